#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Many rate-limited HTTP/1.1 downloads at once, in one process, checked.

  multi_download.py HOST PORT PATH COUNT BYTES RATE_BYTES_PER_S SHA256
                    [--first-port P] [--ready FILE] [--stall S]

Opens COUNT connections at once from local ports P, P+1, ... (each its own flow),
asks each for the first BYTES of PATH (a Range request) and reads each at
RATE bytes/s at most (a small receive buffer, so TCP's window slows the
sender: the flows last). --ready FILE is created once every download got its
first body bytes. Prints one JSON line: ok (complete with the right sha256),
failed (a list of {port, error, bytes}), seconds, max_gap_ms (the longest
time one download waited for data).
"""
import errno
import hashlib
import json
import os
import selectors
import socket
import sys
import time


class Dl:
    def __init__(self, port):
        self.port = port
        self.sock = None
        self.head = b""
        self.in_body = False
        self.length = None
        self.got = 0
        self.sha = hashlib.sha256()
        self.error = ""
        self.done = False
        self.t0 = 0.0
        self.last = 0.0
        self.max_gap = 0.0
        self.paused_until = 0.0
        self.sent = False


def main():
    args = [a for a in sys.argv[1:]]
    opts = {}
    for key in ("--first-port", "--ready", "--stall"):
        if key in args:
            i = args.index(key)
            opts[key] = args[i + 1]
            del args[i:i + 2]
    host, port, path = args[0], int(args[1]), args[2]
    count, nbytes, rate, want_sha = int(args[3]), int(args[4]), float(args[5]), args[6]
    first = int(opts.get("--first-port", "20000"))
    ready = opts.get("--ready")
    stall = float(opts.get("--stall", "15"))
    sel = selectors.DefaultSelector()
    dls = []
    t_start = time.monotonic()
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nRange: bytes=0-%d\r\nConnection: close\r\n\r\n"
           % (path, host, nbytes - 1)).encode()
    # Every connect at once (non-blocking): the flows start together, however busy the machine.
    for k in range(count):
        d = Dl(first + k)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        s.bind(("0.0.0.0", d.port))
        s.setblocking(False)
        err = s.connect_ex((host, port))
        if err not in (0, errno.EINPROGRESS):
            d.error, d.done = "connect: %s" % os.strerror(err), True
            s.close()
            dls.append(d)
            continue
        d.sock = s
        d.t0 = d.last = time.monotonic()
        sel.register(s, selectors.EVENT_WRITE, d)
        dls.append(d)
    ready_done = False
    while any(not d.done for d in dls):
        now = time.monotonic()
        # Resume the ones whose rate allows more.
        for d in dls:
            if not d.done and d.paused_until and now >= d.paused_until:
                d.paused_until = 0.0
                sel.register(d.sock, selectors.EVENT_READ, d)
        for key, _ in sel.select(timeout=0.02):
            d = key.data
            if not d.sent:
                err = d.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    d.error = "connect: %s" % os.strerror(err)
                    finish(sel, d)
                    continue
                d.sock.send(req)  # a few dozen bytes into an empty buffer
                d.sent = True
                d.t0 = d.last = time.monotonic()
                sel.modify(d.sock, selectors.EVENT_READ, d)
                continue
            try:
                chunk = d.sock.recv(16384)
            except (ConnectionResetError, BrokenPipeError):
                d.error = "reset"
                chunk = None
            except BlockingIOError:
                continue
            now = time.monotonic()
            if chunk is None or not chunk:
                if not d.error and (d.length is None or d.got < d.length):
                    d.error = "closed early"
                finish(sel, d)
                continue
            d.max_gap = max(d.max_gap, now - d.last)
            d.last = now
            if not d.in_body:
                d.head += chunk
                if b"\r\n\r\n" not in d.head:
                    continue
                head, body = d.head.split(b"\r\n\r\n", 1)
                d.in_body = True
                status = head.split(b"\r\n")[0]
                if b" 206 " not in status + b" ":
                    d.error = "status: %s" % status.decode(errors="replace")
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        d.length = int(v.strip())
                chunk = body
            d.sha.update(chunk)
            d.got += len(chunk)
            if d.length is not None and d.got >= d.length:
                finish(sel, d)
                continue
            due = d.t0 + d.got / rate
            if due > now:
                sel.unregister(d.sock)
                d.paused_until = due
        now = time.monotonic()
        for d in dls:
            if not d.done and not d.paused_until and now - d.last > stall:
                d.error = "stalled"
                finish(sel, d)
        if ready and not ready_done and all(d.done or d.got > 0 for d in dls):
            open(ready, "w").close()
            ready_done = True
    ok, failed = 0, []
    for d in dls:
        if not d.error and d.sha.hexdigest() == want_sha and d.got == nbytes:
            ok += 1
        else:
            failed.append({"port": d.port, "error": d.error or "bad sha256", "bytes": d.got})
    print(json.dumps({"ok": ok, "failed": failed, "seconds": round(time.monotonic() - t_start, 2),
                      "max_gap_ms": int(max(d.max_gap for d in dls) * 1000) if dls else 0}))


def finish(sel, d):
    d.done = True
    if d.sock is not None:
        if not d.paused_until:
            try:
                sel.unregister(d.sock)
            except (KeyError, ValueError):
                pass
        d.sock.close()


if __name__ == "__main__":
    main()
