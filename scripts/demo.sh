#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make demo`: xlb balancing HTTP over 3 nginx reals by direct routing, in a namespace lab.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lab/lib.sh

REQUESTS=${REQUESTS:-300}

# Headings in bold on a terminal, plain in a log.
if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

[ "$(id -u)" = 0 ] || {
	echo "demo: needs root (network namespaces, XDP)" >&2
	exit 1
}
for f in "$XLBD" "$XLBCTL" "$LAB_XDP_PASS"; do
	[ -e "$f" ] || {
		echo "demo: $f is missing; run 'make' first" >&2
		exit 1
	}
done

lab_init demo
say "Building the lab (network namespaces prefixed $LAB_P-)"
cat <<EOF
   client $LAB_CLIENT4 --+
   lb     $LAB_LB4  --+-- bridge    the LB owns VIP $LAB_VIP4 and runs xlbd (XDP on eth0)
   r1..r3 $LAB_NET4.101-103 --+          each real: nginx, VIP on lo, arp_ignore=1 / arp_announce=2
EOF
lab_up 3

cfg=$LABTMP/xlb.yaml
lab_write_config "$cfg" family=4 sched=rr mode=native
say "Starting xlbd: service web4 = $LAB_VIP4:80, direct routing (dr), round robin"
sed 's/^/   /' "$cfg"
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3

say "Sending $REQUESTS HTTP requests from the client to http://$LAB_VIP4/ (one TCP connection each)"
out=$LABTMP/demo.out
lab_http_many "$REQUESTS" "$(lab_vip_url 4 /)" >"$out"
ok=$(awk '$1 == 200' "$out" | wc -l)
echo "   $ok of $REQUESTS answered 200. Each real's nginx answers with its own name, so the client can count:"
for i in "${LAB_REALS[@]}"; do
	n=$(lab_count_of "$out" "r$i")
	bar=$(printf '%*s' $((n * 40 / (REQUESTS > 0 ? REQUESTS : 1))) '' | tr ' ' '#')
	printf '   r%s (%s)  %4d  %s\n' "$i" "$(lab_real_ip4 "$i")" "$n" "$bar"
done

say "Replies bypass the load balancer (DSR): downloading 64 MiB through the VIP"
rx0=$(lab_if_stat lb eth0 rx_bytes)
lab_exec client curl -s --max-time 60 -o /dev/null -w '   client received %{size_download} bytes in %{time_total} s\n' "$(lab_vip_url 4 /big)"
rx1=$(lab_if_stat lb eth0 rx_bytes)
echo "   the LB's eth0 received only $((rx1 - rx0)) bytes meanwhile (the client's ACKs)"

say "xlbctl list (the ipvsadm -Ln view): packets counted are client -> VIP only"
lab_ctl list | sed 's/^/   /'

say "Done; removing the lab"
