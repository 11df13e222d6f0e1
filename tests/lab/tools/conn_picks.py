#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Which real answers each of COUNT connections from fixed source ports.

  conn_picks.py SRC_ADDR DST_ADDR DST_PORT FIRST_SPORT COUNT

Connection i comes from SRC_ADDR:FIRST_SPORT+i, sends "GET /" and reads the
body (the lab's nginx answers with the real's name). Prints one line per
connection: "SPORT BODY" ("SPORT -" if it failed). The same source port
from the same address is the same flow key, so two runs through two load
balancers show whether they pick the same real for each flow.
"""
import socket
import sys


def pick(src, dst, port, sport):
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((src, sport))
        s.connect((dst, port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")
        data = b""
        while len(data) < 4096:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        body = data.split(b"\r\n\r\n", 1)[1].strip().decode() if b"\r\n\r\n" in data else ""
        return body or "-"
    except OSError:
        return "-"
    finally:
        s.close()


def main():
    src, dst, port, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    for sport in range(first, first + count):
        print(sport, pick(src, dst, port, sport), flush=True)


if __name__ == "__main__":
    main()
