#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Hostile control-socket clients, for tests/lab/test_ha_isolation.sh.

  ctl_stress.py SOCKET SECONDS [IDLE [TRICKLE_MS]]

For SECONDS: one client that sends one byte every TRICKLE_MS (default 90)
and IDLE (default 16) clients that connect and send nothing. Whenever xlbd
closes one, it connects again at once. Prints "started" once every client
has connected, and at the end how many connections were made and cut.
"""
import selectors
import socket
import sys
import time


def main():
    path, secs = sys.argv[1], float(sys.argv[2])
    nidle = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    trickle_s = (int(sys.argv[4]) if len(sys.argv) > 4 else 90) / 1000.0
    sel = selectors.DefaultSelector()
    stats = {"connects": 0, "cut": 0, "bytes": 0, "refused": 0}

    def connect(kind):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except BlockingIOError:
            pass  # backlog full: connect completes later
        except OSError:
            stats["refused"] += 1
            s.close()
            return None
        stats["connects"] += 1
        sel.register(s, selectors.EVENT_READ, kind)
        return s

    trickler = connect("trickle")
    for _ in range(nidle):
        connect("idle")
    print("started", flush=True)
    end = time.monotonic() + secs
    next_byte = time.monotonic()
    while time.monotonic() < end:
        timeout = max(0.0, min(next_byte, end) - time.monotonic())
        for key, _ in sel.select(timeout):
            # Readable: xlbd answered or closed; either way, start over.
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data:
                continue
            sel.unregister(s)
            s.close()
            stats["cut"] += 1
            ns = connect(key.data)
            if key.data == "trickle":
                trickler = ns
        if time.monotonic() >= next_byte:
            next_byte += trickle_s
            if trickler is None:
                trickler = connect("trickle")
                continue
            try:
                trickler.send(b" ")
                stats["bytes"] += 1
            except OSError:
                pass  # cut: the select above sees it
    print(" ".join(f"{k}={v}" for k, v in stats.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
