#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `xlbd -t -c FILE`: exit 0 on a good config, exit 1 with FILE:LINE: messages on bad ones.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
# No namespaces here, only files: a temp dir that the trap removes.
dir=$(mktemp -d /tmp/xlcfg$$.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# A config in the lab's shape. "# MARK x" comments name the lines the bad
# variants touch, so expected line numbers are looked up, not hard-coded.
good() {
	cat <<EOF
interfaces:
  - name: eth0
    mode: native
control_socket: $dir/xlb.sock
bpf_pin_dir: $dir/bpffs/xlb
services:
  - name: web4            # MARK svc1
    vip: 10.200.0.200     # MARK vip1
    port: 80              # MARK port1
    protocol: tcp
    method: dr
    scheduler: rr
    reals:                # MARK reals1
      - address: 10.200.0.101   # MARK real1
        weight: 1               # MARK weight1
      - address: 10.200.0.102
        weight: 2
  - name: web6            # MARK svc2
    vip: fd00:200::200
    port: 80
    protocol: tcp
    method: dr
    scheduler: wrr
    reals:
      - address: fd00:200::101
        weight: 1
EOF
}

dup_service() {
	cat <<EOF
  - name: web4            # MARK dup
    vip: 10.200.0.200     # MARK dupvip
    port: 80
    protocol: tcp
    method: dr
    scheduler: rr
    reals:
      - address: 10.200.0.103
        weight: 1
EOF
}

line_of() { grep -n -- "# MARK $2\$" "$1" | head -1 | cut -d: -f1; }

fails=0
# check_bad NAME FILE LINE...: `xlbd -t -c FILE` must exit 1 and print
# "FILE:L: message" for one of the LINEs (some errors are fairly reported on
# the offending key's line, others on the line of the entry holding it).
check_bad() {
	local name=$1 f=$2
	shift 2
	local out rc=0 l hit=""
	out=$("$XLBD" -t -c "$f" 2>&1) || rc=$?
	if [ "$rc" -ne 1 ]; then
		echo "FAIL: $name: exit $rc, expected 1; output: $out"
		fails=$((fails + 1))
		return
	fi
	for l in "$@"; do
		[ -n "$l" ] || continue
		grep -q -- "^$f:$l: ." <<<"$out" && hit=$l
	done
	if [ -z "$hit" ]; then
		echo "FAIL: $name: no '$f:LINE: message' for line(s) $*; output: $out"
		fails=$((fails + 1))
		return
	fi
	echo "PASS: $name: exit 1, $(grep -m1 -- "^$f:$hit: " <<<"$out")"
}

# 1. The good config passes.
good >"$dir/good.yaml"
rc=0
out=$("$XLBD" -t -c "$dir/good.yaml" 2>&1) || rc=$?
if [ "$rc" -eq 0 ]; then
	echo "PASS: good config: exit 0${out:+ ($(head -1 <<<"$out"))}"
else
	echo "FAIL: good config: exit $rc: $out"
	fails=$((fails + 1))
fi

# 2. An unknown key inside a service.
f=$dir/unknown-key.yaml
good | sed 's/^\(    port: 80 *# MARK port1\)$/\1\n    colour: blue          # MARK bad/' >"$f"
check_bad "unknown key 'colour' in a service" "$f" "$(line_of "$f" bad)"

# 3. An unknown top-level key (a typo of a known one).
f=$dir/unknown-top.yaml
{
	good
	echo "control_sockett: /tmp/x   # MARK bad"
} >"$f"
check_bad "unknown top-level key 'control_sockett'" "$f" "$(line_of "$f" bad)"

# 4. A bad VIP address.
f=$dir/bad-vip.yaml
good | sed 's/vip: 10.200.0.200 /vip: 10.200.0.300 /' >"$f"
check_bad "bad address 10.200.0.300 (vip)" "$f" "$(line_of "$f" vip1)"

# 5. A bad real address.
f=$dir/bad-real.yaml
good | sed 's/address: 10.200.0.101 /address: not-an-ip /' >"$f"
check_bad "bad address 'not-an-ip' (real)" "$f" "$(line_of "$f" real1)"

# 6. A duplicate service (same name, VIP, port and protocol as the first).
f=$dir/dup-service.yaml
{
	good
	dup_service
} >"$f"
check_bad "duplicate service" "$f" "$(line_of "$f" dup)" "$(line_of "$f" dupvip)"

# 6b. Another name, but the same VIP, port and protocol as the first.
f=$dir/dup-vip.yaml
{
	good
	dup_service | sed 's/name: web4 /name: web4b/'
} >"$f"
check_bad "duplicate service (same VIP:port/tcp, other name)" "$f" "$(line_of "$f" dup)" "$(line_of "$f" dupvip)"

# 7. A service with no reals.
f=$dir/no-reals.yaml
good | awk '/# MARK reals1$/ { print "    reals: []            # MARK bad"; skip = 1; next }
            skip && /^      / { next } { skip = 0; print }' >"$f"
check_bad "service with no reals" "$f" "$(line_of "$f" bad)" "$(line_of "$f" svc1)"

# 8. A real without an address.
f=$dir/real-no-address.yaml
good | sed -e 's/^      - address: 10.200.0.101 .*$/      - weight: 5         # MARK bad/' \
	-e '/# MARK weight1$/d' >"$f"
check_bad "real without address" "$f" "$(line_of "$f" bad)"

# 9. A file that does not exist.
rc=0
out=$("$XLBD" -t -c "$dir/missing.yaml" 2>&1) || rc=$?
if [ "$rc" -eq 1 ] && grep -q "missing.yaml" <<<"$out"; then
	echo "PASS: missing file: exit 1, $(head -1 <<<"$out")"
else
	echo "FAIL: missing file: exit $rc, output: $out"
	fails=$((fails + 1))
fi

if [ "$fails" -ne 0 ]; then
	echo "FAIL: $fails config check case(s) failed"
	exit 1
fi
