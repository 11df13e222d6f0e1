#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The part of systemd that xlbd's unit relies on, for a lab without systemd.

  mini_systemd.py --dir DIR --watchdog-sec S -- COMMAND...

Runs COMMAND as a Type=notify service with WatchdogSec=S and Restart=always:
NOTIFY_SOCKET and WATCHDOG_USEC in its environment; READY=1 and WATCHDOG=1
read from the socket; no keep-alive for S seconds after READY=1 gets it
SIGABRT and then SIGKILL (systemd's WatchdogSignal and final kill); any exit
gets it started again. DIR/events gets one line per event ("start PID",
"ready PID", "watchdog PID", "exit PID STATUS"), DIR/pid the current PID.
SIGTERM stops the service (SIGTERM to it) and then this supervisor.
"""
import os
import select
import signal
import socket
import subprocess
import sys
import time

RESTART_SEC = 0.2
ABORT_GRACE_SEC = 1.0


def main():
    argv = sys.argv[1:]
    sep = argv.index("--")
    opts, cmd = argv[:sep], argv[sep + 1:]
    d = opts[opts.index("--dir") + 1]
    wd = float(opts[opts.index("--watchdog-sec") + 1])
    path = os.path.join(d, "notify.sock")
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(int(wd * 1e6)))
    events = open(os.path.join(d, "events"), "a", buffering=1)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))

    while not stopping:
        child = subprocess.Popen(cmd, env=env)
        with open(os.path.join(d, "pid.tmp"), "w") as f:
            f.write("%d\n" % child.pid)
        os.replace(os.path.join(d, "pid.tmp"), os.path.join(d, "pid"))
        events.write("start %d\n" % child.pid)
        ready, last_ping, aborted = False, time.monotonic(), None
        while child.poll() is None and not stopping:
            r, _, _ = select.select([sock], [], [], 0.05)
            if r:
                msg = sock.recv(4096).decode(errors="replace")
                for line in msg.split("\n"):
                    if line == "READY=1" and not ready:
                        ready = True
                        events.write("ready %d\n" % child.pid)
                    if line in ("READY=1", "WATCHDOG=1"):
                        last_ping = time.monotonic()
            now = time.monotonic()
            if ready and aborted is None and now - last_ping > wd:
                events.write("watchdog %d\n" % child.pid)
                child.send_signal(signal.SIGABRT)
                aborted = now
            if aborted is not None and now - aborted > ABORT_GRACE_SEC:
                child.kill()
        if stopping and child.poll() is None:
            child.terminate()
        status = child.wait()
        events.write("exit %d %d\n" % (child.pid, status))
        if not stopping:
            time.sleep(RESTART_SEC)
    sock.close()
    os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
