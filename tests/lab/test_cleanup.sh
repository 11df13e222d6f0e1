#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The lab's traps leave nothing behind on normal exit, failure, Ctrl-C or SIGTERM.
#
# Runs a small lab (this same script with --child) in its own process group,
# ends it each of those ways, then checks that its namespaces, bpffs mount,
# temp dir and processes (nginx, xlbd if built, a background curl) are gone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- the child
if [ "${1:-}" = --child ]; then
	how=$2 state=$3
	lab_init cl
	lab_up 1
	xlbd_pid=""
	if [ -x "$XLBD" ] && [ -x "$XLBCTL" ]; then
		lab_write_config "$LABTMP/xlb.yaml" family=46 reals=1
		lab_start_xlbd "$LABTMP/xlb.yaml"
		xlbd_pid=$LAB_XLBD_PID
	fi
	# A slow download: a background process to be ended too.
	lab_bg client "$LABTMP/bg.out" curl -s --limit-rate 100k -o /dev/null "http://$(lab_real_ip4 1)/big"
	echo "$$ $LAB_P $LABTMP ${LAB_NGINX_PID[1]} $LAB_BG_LAST ${xlbd_pid:--}" >"$state.tmp"
	mv "$state.tmp" "$state"
	case $how in
	exit) lab_down; exit 0 ;; # lab_down twice (here and the trap): idempotent
	fail) false ;;            # set -e failure
	signal) lab_wait_for 60 false; exit 3 ;; # wait to be signalled
	esac
	exit 4
fi

# ---------------------------------------------------------------- the checks
lab_require_root
lab_require_cmds setsid
dir=$(mktemp -d /tmp/xlclean$$.XXXXXX)
trap 'rm -rf "$dir"' EXIT

fails=0
# run_case NAME HOW SIGNAL EXPECTED_RC
run_case() {
	local name=$1 how=$2 sig=$3 want=$4 state=$dir/$1.state
	local pid rc=0 t0
	# setsid: own process group, so a Ctrl-C can be imitated by signalling
	# the whole group, as a terminal does. A background job starts with
	# SIGINT ignored, and bash cannot trap a signal ignored at entry, so
	# restore the default first (a terminal's foreground job has it).
	setsid -w env --default-signal=INT bash "$0" --child "$how" "$state" >"$dir/$name.out" 2>&1 &
	pid=$!
	if ! lab_wait_for 60 test -s "$state"; then
		echo "FAIL: $name: the lab did not come up: $(tail -5 "$dir/$name.out" | tr '\n' ' ')"
		wait "$pid" || true
		fails=$((fails + 1))
		return
	fi
	local cpid p tmp ngx bg xpid
	read -r cpid p tmp ngx bg xpid <"$state"
	t0=$(_lab_now_us)
	case $sig in
	INT) kill -INT -- "-$cpid" ;; # the process group, like Ctrl-C
	TERM) kill -TERM "$cpid" ;;   # just the script, like `kill`
	esac
	wait "$pid" || rc=$?
	local took=$((($(_lab_now_us) - t0) / 1000)) problems=()
	[ "$rc" -eq "$want" ] || problems+=("exit $rc, expected $want")
	local left
	left=$(ip netns list | awk '{print $1}' | grep -- "^$p-" | tr '\n' ' ' || true)
	[ -z "$left" ] || problems+=("namespaces left: $left")
	grep -q -- " $tmp" /proc/mounts && problems+=("mounts left: $(grep -- " $tmp" /proc/mounts | cut -d' ' -f2 | tr '\n' ' ')")
	[ ! -e "$tmp" ] || problems+=("temp dir $tmp left")
	lab_pid_alive "$ngx" && problems+=("nginx pid $ngx still running")
	lab_pid_alive "$bg" && problems+=("background curl pid $bg still running")
	[ "$xpid" != - ] && lab_pid_alive "$xpid" && problems+=("xlbd pid $xpid still running")
	if [ ${#problems[@]} -eq 0 ]; then
		local what="nginx, curl"
		[ "$xpid" = - ] || what+=", xlbd"
		echo "PASS: $name: exit $rc, cleanup in ${took} ms; no namespace, mount, temp dir or process ($what) of $p left"
	else
		echo "FAIL: $name: ${problems[*]}"
		sed 's/^/    | /' "$dir/$name.out" | tail -15
		fails=$((fails + 1))
	fi
}

run_case normal-exit exit none 0
run_case failure fail none 1
run_case ctrl-c signal INT 130
run_case sigterm signal TERM 143

# Labs of runs that no longer exist (e.g. killed with SIGKILL, which no trap
# can catch) are reported, not failed: they may predate this checkout.
stale=""
for ns in $(ip netns list | awk '{print $1}' | grep -E '^xl[0-9]+[a-z0-9]*-' || true); do
	owner=$(sed -E 's/^xl([0-9]+).*/\1/' <<<"$ns")
	lab_pid_alive "$owner" || stale+="$ns "
done
[ -z "$stale" ] || echo "WARN: namespaces of lab runs that no longer exist: $stale(remove with: ip netns del NAME)"

if [ "$fails" -ne 0 ]; then
	echo "FAIL: $fails cleanup case(s) failed"
	exit 1
fi
