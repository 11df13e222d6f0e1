#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A rate-limited HTTP/1.1 download that reports what a failover did to it.

  slow_download.py HOST PORT PATH RATE_BYTES_PER_S [STALL_S] [--ready FILE]

Prints one JSON line: bytes of body, sha256, the longest time one recv()
waited for data (the gap the client saw), and error: "" (complete), "reset"
(RST), "stalled" (no byte for STALL_S seconds) or another exception's text.
--ready FILE is created once the first body bytes arrived.
"""
import hashlib
import json
import socket
import sys
import time


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    ready = None
    if "--ready" in sys.argv:
        ready = sys.argv[sys.argv.index("--ready") + 1]
        args.remove(ready)
    host, port, path, rate = args[0], int(args[1]), args[2], float(args[3])
    stall = float(args[4]) if len(args) > 4 else 10.0
    res = {"bytes": 0, "sha256": "", "max_gap_ms": 0, "error": "", "seconds": 0}
    sha = hashlib.sha256()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    t_start = time.monotonic()
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(stall)
    # A small receive buffer: the rate limit then throttles the sender through
    # TCP's window, as a slow client would, and the flow lasts.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    got = 0
    try:
        s.connect((host, port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                raise EOFError("closed before the headers ended")
            head += chunk
        head, body = head.split(b"\r\n\r\n", 1)
        length = None
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        sha.update(body)
        got = len(body)
        if ready:
            open(ready, "w").close()
        t0 = time.monotonic()
        while length is None or got < length:
            w0 = time.monotonic()
            chunk = s.recv(16384)
            waited = time.monotonic() - w0
            res["max_gap_ms"] = max(res["max_gap_ms"], int(waited * 1000))
            if not chunk:
                break
            sha.update(chunk)
            got += len(chunk)
            # Hold the average at RATE: sleep until this many bytes are due.
            due = t0 + got / rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
        if length is not None and got < length:
            res["error"] = "closed early"
    except ConnectionResetError:
        res["error"] = "reset"
    except socket.timeout:
        res["error"] = "stalled"
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        res["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()
    res["bytes"] = got
    res["sha256"] = sha.hexdigest()
    res["seconds"] = round(time.monotonic() - t_start, 2)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
