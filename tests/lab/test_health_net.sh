#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# icmp, arp, tcp and tcp-half-open checks: ICMP dropped fails icmp only, an address taken down fails arp, half-open leaves no connection.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds wrk jq nft tcpdump ss
lab_init hn
lab_up 2
for i in 1 2; do lab_nginx_health "$i"; done

R1=$(lab_real_ip4 1) R2=$(lab_real_ip4 2)
DOWN_LIMIT_MS=$((2 * 500 + 300 + 500))
cfg=$LABTMP/xlb.yaml
# One service per check, all on the same two reals; web4 carries wrk's traffic.
{
	echo "interfaces:"
	echo "  - name: eth0"
	echo "control_socket: $LABTMP/xlb.sock"
	echo "bpf_pin_dir: $LAB_BPFFS/xlb"
	echo "services:"
	port=80
	for check in http icmp arp tcp tcp-half-open; do
		name=$check
		[ "$check" = http ] && name=web4
		echo "  - name: $name"
		echo "    vip: $LAB_VIP4"
		echo "    port: $port"
		echo "    reals: [{address: $R1}, {address: $R2}]"
		echo "    health:"
		echo "      check: $check"
		echo "      interval: 500ms"
		echo "      timeout: 300ms"
		echo "      rise: 2"
		echo "      fall: 2"
		case $check in
		http | tcp) echo "      port: 80" ;;
		# Its own port, so the capture below sees nothing but the half-open checks.
		tcp-half-open) echo "      port: 8080" ;;
		esac
		port=$((port == 80 ? 8001 : port + 1))
	done
} >"$cfg"
lab_start_xlbd "$cfg"
for s in web4 icmp arp tcp tcp-half-open; do lab_wait_reals_up "$s" 2; done
lab_ctl list

url=$(lab_vip_url 4 /5k)
state_of() { lab_real_json "$1" "$2" | jq -r .state; }
reason_of() { lab_real_json "$1" "$2" | jq -r .health.reason; }
transitions_of() { lab_real_json "$1" "$2" | jq -r .health.transitions; }

# --- ICMP dropped in r1's namespace: icmp fails, tcp does not.
lab_wrk_bg "$LABTMP/wrk.icmp" 4s "$url"
tcp0=$(transitions_of tcp "$R1")
t0=$(lab_xlbd_now_ms)
lab_exec r1 nft -f - <<'EOF'
table inet xlbtest {
	chain input {
		type filter hook input priority 0;
		icmp type echo-request drop
	}
}
EOF
lab_wait_state_ms 10 icmp "$R1" down >/dev/null || lab_fail "icmp: r1 still up 10s after ICMP was dropped"
ms=$(lab_changed_ms icmp "$R1" "$t0")
[ "$ms" -le "$DOWN_LIMIT_MS" ] || lab_fail "icmp: r1 removed after $ms ms (limit $DOWN_LIMIT_MS)"
[ "$(reason_of icmp "$R1")" = "no echo reply" ] || lab_fail "icmp: reason '$(reason_of icmp "$R1")'"
errors=$(lab_wrk_wait "$LABTMP/wrk.icmp")
for s in tcp web4 tcp-half-open; do
	[ "$(state_of "$s" "$R1")" = up ] || lab_fail "$s: r1 is $(state_of "$s" "$R1") with only ICMP dropped"
done
[ "$(transitions_of tcp "$R1")" = "$tcp0" ] || lab_fail "tcp: r1 changed state while ICMP was dropped"
lab_pass "ICMP dropped in r1: icmp check down after $ms ms ('no echo reply'); tcp, http and tcp-half-open stayed up; wrk: $errors"
lab_exec r1 nft delete table inet xlbtest
lab_wait_state_ms 10 icmp "$R1" up >/dev/null || lab_fail "icmp: r1 not back up after ICMP was allowed again"

# --- r2's address taken down: arp fails.
lab_wrk_bg "$LABTMP/wrk.arp" 4s "$url"
t0=$(lab_xlbd_now_ms)
lab_exec r2 ip addr del "$R2/24" dev eth0
lab_wait_state_ms 10 arp "$R2" down >/dev/null || lab_fail "arp: r2 still up 10s after its address went"
ms=$(lab_changed_ms arp "$R2" "$t0")
[ "$ms" -le "$DOWN_LIMIT_MS" ] || lab_fail "arp: r2 removed after $ms ms (limit $DOWN_LIMIT_MS)"
[ "$(reason_of arp "$R2")" = "no ARP reply" ] || lab_fail "arp: reason '$(reason_of arp "$R2")'"
[ "$(state_of arp "$R1")" = up ] || lab_fail "arp: r1 is $(state_of arp "$R1")"
errors=$(lab_wrk_wait "$LABTMP/wrk.arp")
lab_pass "r2's address taken down: arp check down after $ms ms ('no ARP reply'), r1 still up; wrk: $errors"
lab_ctl list
lab_exec r2 ip addr add "$R2/24" dev eth0
lab_wait_state_ms 10 arp "$R2" up >/dev/null || lab_fail "arp: r2 not back up with its address"
for s in web4 icmp tcp tcp-half-open; do lab_wait_state_ms 10 "$s" "$R2" up >/dev/null ||
	lab_fail "$s: r2 not back up"; done

# --- tcp-half-open: SYN, SYN/ACK, RST; never a connection on the real.
cap=$LABTMP/halfopen.pcap.txt
lab_bg r1 "$cap" tcpdump -i eth0 -nn -l -S "tcp port 8080 and host $LAB_LB4"
cap_pid=$LAB_BG_LAST
_captured() { [ "$(grep -c "Flags \[S\]" "$cap")" -ge 4 ]; }
seen_bad=""
t_end=$(($(_lab_now_us) + 3000000))
while [ "$(_lab_now_us)" -lt "$t_end" ]; do
	# Any connection from the LB on 8080 that got past the handshake?
	st=$(lab_exec r1 ss -Htan "( sport = :8080 )" | awk -v lb="$LAB_LB4" 'index($5, lb ":") == 1 { print $1 }' | sort -u | tr '\n' ' ')
	case " $st " in *ESTAB* | *TIME-WAIT* | *FIN-WAIT* | *CLOSE-WAIT*) seen_bad+="$st" ;; esac
	_captured && break
	sleep 0.05
done
lab_wait_for 5 _captured || lab_fail "tcp-half-open: fewer than 4 SYNs captured in r1: $(head -5 "$cap")"
lab_kill_pid "$cap_pid" 3
[ -z "$seen_bad" ] || lab_fail "tcp-half-open: r1 had sockets from the LB on :8080 in state $seen_bad"
leftover=$(lab_exec r1 ss -Htan "( sport = :8080 )" | awk -v lb="$LAB_LB4" 'index($5, lb ":") == 1' | wc -l)
[ "$leftover" = 0 ] || lab_fail "tcp-half-open: $leftover sockets from the LB left on r1"
# Per LB port: the LB's first packet is a SYN, every later one a RST (no ACK
# alone, no data, no FIN); r1 answered with SYN/ACK.
verdict=$(awk -v lb="$LAB_LB4" '
	$0 ~ " IP " lb "\\." && / > / {
		split($3, a, "."); port = a[5]
		match($0, /Flags \[[^]]*\]/); f = substr($0, RSTART + 7, RLENGTH - 8)
		if (!(port in first)) { first[port] = f; n++ } else if (f != "R" && f != "R.") bad = bad port ":" f " "
		if (f == "R" || f == "R.") rst[port] = 1
		next
	}
	/ > / { if ($0 ~ /Flags \[S\.\]/) synack++ }
	END {
		for (p in first) { if (first[p] != "S") bad = bad p ":first=" first[p] " "; if (!(p in rst)) norst = norst p " " }
		printf "flows=%d synacks=%d bad=%s norst=%s\n", n, synack, bad, norst
	}' "$cap")
case $verdict in
*"bad= norst="*) ;;
*) lab_fail "tcp-half-open: packets are not SYN then RST: $verdict; capture: $(head -12 "$cap" | tr '\n' '|')" ;;
esac
flows=$(sed 's/.*flows=\([0-9]*\).*/\1/' <<<"$verdict")
[ "$flows" -ge 3 ] || lab_fail "tcp-half-open: only $flows checks captured"
lab_pass "tcp-half-open: $verdict; each from the LB was SYN then RST only; r1 never had an ESTABLISHED or TIME_WAIT socket from the LB on :8080"
head -6 "$cap" | sed 's/^/    /'

# A closed port is "connect refused" for half-open too.
sed -i 's/      port: 8080/      port: 8099/' "$cfg"
lab_reload_xlbd
ms=$(lab_wait_state_ms 10 tcp-half-open "$R1" down) || lab_fail "tcp-half-open to a closed port: r1 still up"
[ "$(reason_of tcp-half-open "$R1")" = "connect refused" ] ||
	lab_fail "tcp-half-open: reason '$(reason_of tcp-half-open "$R1")' for a closed port"
lab_pass "tcp-half-open to a closed port: down ('connect refused')"
lab_ctl list
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS on SIGTERM"
