#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xlbctl import keepalived on every sample Debian's keepalived package ships
# that has a virtual_server or vrrp_instance: each must import, the result
# must pass xlbd -t, and every comment the summary counts must be in the
# YAML (nothing dropped silently). Prints per file what was mapped and what
# was kept as a comment. Needs no root: it only reads files.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SAMPLES=${SAMPLES:-/usr/share/doc/keepalived/samples}

[ -x "$BUILD/xlbctl" ] && [ -x "$BUILD/xlbd" ] || { echo "SKIP: $BUILD/xlbctl, xlbd not built (run: make)"; exit 77; }
[ -d "$SAMPLES" ] || { echo "SKIP: no $SAMPLES (install keepalived: make deps)"; exit 77; }

tmp=$(mktemp -d /tmp/xlb-import-samples.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

files=()
for f in "$SAMPLES"/*; do
	[ -f "$f" ] || continue
	case $f in *.gz | *.sh) continue ;; esac
	grep -qE '^[[:space:]]*(virtual_server|vrrp_instance)[[:space:]]' "$f" && files+=("$f")
done
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no sample in $SAMPLES has a virtual_server or vrrp_instance"; exit 1; }

fails=0
printf '%-40s %8s %6s %9s %9s  %s\n' sample services vrrp mapped commented "keepalived -t / commented keywords"
for f in "${files[@]}"; do
	b=${f##*/}
	yaml=$tmp/$b.yaml
	if ! "$BUILD/xlbctl" import keepalived --config-id none "$f" >"$yaml" 2>"$tmp/$b.err"; then
		echo "FAIL: $b: xlbctl import failed: $(tr '\n' ' ' <"$tmp/$b.err")"
		fails=$((fails + 1))
		continue
	fi
	if ! "$BUILD/xlbd" -t -c "$yaml" >"$tmp/$b.check" 2>&1; then
		echo "FAIL: $b: xlbd -t rejects the import: $(tr '\n' ' ' <"$tmp/$b.check")"
		fails=$((fails + 1))
		continue
	fi
	summary=$(tail -1 "$tmp/$b.err")
	# "...: 2 services, 1 VRRP instance; 36 statements mapped, 14 kept as comments (k 1, ...), 0 notes ..."
	services=$(sed -nE 's/.*: ([0-9]+) services?, .*/\1/p' <<<"$summary")
	vrrp=$(sed -nE 's/.* ([0-9]+) VRRP instances?;.*/\1/p' <<<"$summary")
	mapped=$(sed -nE 's/.*; ([0-9]+) statements? mapped.*/\1/p' <<<"$summary")
	commented=$(sed -nE 's/.* mapped, ([0-9]+) kept as comments?.*/\1/p' <<<"$summary")
	keywords=$(sed -nE 's/.* kept as comments? \((.*)\), [0-9]+ notes?.*/\1/p' <<<"$summary")
	in_yaml=$(grep -cE '^ *# keepalived( [^ ]+:[0-9]+)?:( |$)' "$yaml" || true)
	if [ -z "$mapped" ] || [ "$in_yaml" != "$commented" ]; then
		echo "FAIL: $b: the summary counts ${commented:-?} comments, the YAML holds $in_yaml: $summary"
		fails=$((fails + 1))
		continue
	fi
	if [ "$(sed -nE 's/.*: ok \(([0-9]+) services\)/\1/p' "$tmp/$b.check")" != "$services" ]; then
		echo "FAIL: $b: xlbd -t counts other services than the import ($services): $(cat "$tmp/$b.check")"
		fails=$((fails + 1))
		continue
	fi
	# keepalived's own verdict, for the record: samples name interfaces this machine lacks.
	ka=-
	if command -v keepalived >/dev/null 2>&1; then
		ka=ok
		timeout 10 keepalived -t -n -l -f "$f" >/dev/null 2>&1 || ka="rc $?"
	fi
	printf '%-40s %8s %6s %9s %9s  %s / %s\n' "$b" "$services" "$vrrp" "$mapped" "$commented" "$ka" "${keywords:-none}"
done
if [ "$fails" -gt 0 ]; then
	echo "FAIL: $fails of ${#files[@]} samples"
	exit 1
fi
echo "PASS: all ${#files[@]} samples with a virtual_server or vrrp_instance import and pass xlbd -t"
