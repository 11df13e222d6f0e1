#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xlbctl import keepalived, end to end: a keepalived.conf with a VRRPv3
# instance and (in an included file) a DR virtual server of 3 reals with
# HTTP_GET checks is imported; xlbd runs the result and spreads 300 requests
# over the reals; then keepalived itself (VRRP only: no IPVS here) with the
# same keepalived.conf and the imported xlbd elect as one VRRP pair, one
# master and one backup, both ways round.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq keepalived
lab_ha_init im
lab_up_ha 3

VRID=71
VIP=$LAB_VIP4
SVC=$VIP-80
KA=$LABTMP/keepalived-lb2.conf # lab_start_keepalived lb2 reads this one
mkdir -p "$LABTMP/conf.d"
{
	echo "! written by tests/lab/test_import_lab.sh for lab run $LAB_P"
	echo "global_defs {"
	echo "  router_id ${LAB_P}"
	echo "  vrrp_version 3"
	echo "  notification_email {"
	echo "    root@localhost"
	echo "  }"
	echo "}"
	echo "vrrp_instance VI_LAB {"
	echo "  state BACKUP"
	echo "  interface eth0"
	echo "  virtual_router_id $VRID"
	echo "  priority 100"
	echo "  advert_int 0.2"
	echo "  virtual_ipaddress {"
	echo "    $VIP"
	echo "  }"
	echo "}"
	echo "include conf.d/*.conf"
} >"$KA"
{
	echo "virtual_server $VIP 80 {"
	echo "  delay_loop 1"
	echo "  lb_algo rr"
	echo "  lb_kind DR"
	echo "  protocol TCP"
	for i in 1 2 3; do
		echo "  real_server $(lab_real_ip4 "$i") 80 {"
		echo "    weight 1"
		echo "    HTTP_GET {"
		echo "      url {"
		echo "        path /health_check.html"
		echo "        status_code 200"
		echo "        digest 5a105e8b9d40e1329780d62ea2265d8a"
		echo "      }"
		echo "      connect_timeout 1"
		echo "      retry 1"
		echo "      delay_before_retry 1"
		echo "    }"
		echo "  }"
	done
	echo "}"
} >"$LABTMP/conf.d/web.conf"

# ---------------------------------------------------------------- import
cfg=$LABTMP/lb.yaml
"$XLBCTL" import keepalived "$KA" >"$cfg" 2>"$LABTMP/import.err" ||
	lab_fail "xlbctl import failed: $(cat "$LABTMP/import.err")"
summary=$(tail -1 "$LABTMP/import.err")
[[ $summary == *"1 service, 1 VRRP instance;"* ]] || lab_fail "import summary: $summary"
for want in "method: dr" "scheduler: rr" "check: http" "path: /health_check.html" \
	"expect_status: 200" "interval: 1s" "timeout: 1s" "fall: 2" "vrid: $VRID" \
	"advert_interval: 200ms" "addresses: [$VIP]" "  - name: eth0" \
	"conf.d/web.conf:12: digest 5a105e8b9d40e1329780d62ea2265d8a: digest checks are not supported"; do
	# Comments wrap at 100 columns: search them joined again.
	sed -z 's/\n *#   / /g' "$cfg" | grep -qF -- "$want" || lab_fail "imported YAML lacks '$want': $(cat "$cfg")"
done
# router_id, notification_email, state, and per real digest and delay_before_retry.
[[ $summary == *"9 kept as comments"* ]] || lab_fail "expected 9 comments: $summary"
lab_exec lb "$XLBD" -t -c "$cfg" >"$LABTMP/check.out" 2>&1 || lab_fail "xlbd -t rejects the import: $(cat "$LABTMP/check.out")"
lab_pass "imported: $summary"

# What the lab needs beyond the import: its own socket and pin dir per LB namespace.
printf 'control_socket: %s\nbpf_pin_dir: %s\n' "$(lab_ha_sock lb)" "$LAB_BPFFS/xlb-lb" >>"$cfg"

# ---------------------------------------------------------------- xlbd alone: master, balances
lab_start_xlbd_in lb "$cfg"
lab_wait_vrrp_state lb master 5 || lab_fail "xlbd did not become master: $(lab_vrrp_state lb)"
lab_wait_vip_owner lb 5 || lab_fail "VIP owner is '$(lab_vip_owner)', expected lb"
lab_wait_for 10 lab_ha_reals_up lb "$SVC" 3 ||
	lab_fail "not all 3 reals up by their http check: $(lab_ha_ctl lb list 2>&1 | tr '\n' ' ')"
_one_ok() {
	lab_http_many 1 "http://$VIP/" >"$LABTMP/one.out"
	grep -q '^200 ' "$LABTMP/one.out"
}
lab_wait_for 5 _one_ok || lab_fail "no request through the VIP succeeded within 5s"
out=$LABTMP/spread.out
lab_http_many 300 "http://$VIP/" >"$out"
ok=$(awk -v v="$VIP" '$1 == 200 && $2 == v' "$out" | wc -l)
[ "$ok" -eq 300 ] || lab_fail "$ok of 300 requests got 200 from $VIP: $(awk '$1 != 200' "$out" | sort | uniq -c | head -3 | tr '\n' ';')"
for r in r1 r2 r3; do
	n=$(lab_count_of "$out" "$r")
	lab_within "$n" 100 5 || lab_fail "$r served $n of 300 (rr: 100 +- 5; all: $(lab_tally "$out" | tr '\n' ' '))"
done
lab_pass "xlbd on the imported config: VRRP master, 300/300 requests 200 via $VIP: $(lab_tally "$out" | tr '\n' ' ')"

# ---------------------------------------------------------------- keepalived joins: one pair
ka_is() { [ "$(lab_keepalived_state lb2)" = "$1" ]; }
# Master_Down_Interval at priority 100, 200 ms adverts: 3 * 200 + 156 * 200 / 256 ms.
DOWN_MS=$((3 * 200 + 156 * 200 / 256))
lab_start_keepalived lb2
lab_wait_for 5 ka_is BACKUP || lab_fail "keepalived did not enter BACKUP: $(lab_keepalived_state lb2)"
# Long enough for keepalived to have taken over had it not heard xlbd's adverts.
until_ms=$(($(lab_now_ms) + 3 * DOWN_MS))
while [ "$(lab_now_ms)" -lt "$until_ms" ]; do sleep 0.1; done
ka_is BACKUP && [ "$(lab_vrrp_state lb)" = master ] && [ "$(lab_vip_owner)" = lb ] ||
	lab_fail "not one pair: keepalived $(lab_keepalived_state lb2), xlbd $(lab_vrrp_state lb), VIP on $(lab_vip_owner)"
lab_pass "keepalived (same keepalived.conf) BACKUP under the imported xlbd's MASTER, VIP on lb only"

# The other way round: xlbd leaves (priority 0), keepalived takes over; xlbd back
# at the same priority from the lower address stays backup under keepalived.
lab_stop_xlbd_in lb TERM
lab_wait_for 5 ka_is MASTER || lab_fail "keepalived did not take over: $(lab_keepalived_state lb2)"
lab_wait_vip_owner lb2 5 || lab_fail "VIP owner is '$(lab_vip_owner)', expected lb2"
lab_start_xlbd_in lb "$cfg"
_hears_ka() {
	[ "$(lab_vrrp_state lb)" = backup ] && [ "$(lab_vrrp_field lb .peer.address)" = "$LAB_LB2_4" ] &&
		[ "$(lab_vrrp_field lb .peer.priority)" = 100 ]
}
lab_wait_for 5 _hears_ka || lab_fail "xlbd is $(lab_vrrp_state lb), hearing $(lab_vrrp_field lb '.peer | tojson'); expected backup under $LAB_LB2_4"
until_ms=$(($(lab_now_ms) + 3 * DOWN_MS))
while [ "$(lab_now_ms)" -lt "$until_ms" ]; do sleep 0.1; done
ka_is MASTER && [ "$(lab_vrrp_state lb)" = backup ] && [ "$(lab_vip_owner)" = lb2 ] ||
	lab_fail "not one pair: keepalived $(lab_keepalived_state lb2), xlbd $(lab_vrrp_state lb), VIP on $(lab_vip_owner)"
[ "$(lab_ha_json lb | jq '[.vrrp.instances[0].counters.rx_errors[]] | add')" = 0 ] ||
	lab_fail "xlbd counted errors on keepalived's adverts: $(lab_vrrp_field lb '.counters.rx_errors | tojson')"
lab_pass "keepalived MASTER, the imported xlbd BACKUP hearing it (priority 100, $(lab_vrrp_field lb .counters.adverts_rx) adverts, 0 errors)"
