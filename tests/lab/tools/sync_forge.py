#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Forged and replayed connection sync messages, for tests/lab/test_ha_sync.sh.

  sync_forge.py capture IFACE PORT OUTFILE [TIMEOUT_S]
      waits for one UDP datagram to PORT on IFACE (AF_PACKET, so the receiving
      xlbd still gets it) and saves its payload
  sync_forge.py replay SRC DST PORT FILE      sends FILE's bytes again, from SRC
  sync_forge.py wrongkey SRC DST PORT         a well-formed message signed with another key
  sync_forge.py flood SRC DST PORT SECONDS    such messages, as fast as it can, for SECONDS;
                                              prints how many were sent
"""
import hashlib
import hmac
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def capture(iface, port, out, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(1.0)
    print("listening", flush=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        etype = struct.unpack("!H", frame[12:14])[0]
        if etype == 0x0800:
            ihl = (frame[14] & 0x0F) * 4
            if frame[23] != 17:
                continue
            udp = 14 + ihl
        elif etype == 0x86DD:
            if frame[20] != 17:
                continue
            udp = 14 + 40
        else:
            continue
        dport = struct.unpack("!H", frame[udp + 2:udp + 4])[0]
        length = struct.unpack("!H", frame[udp + 4:udp + 6])[0]
        if dport != port:
            continue
        with open(out, "wb") as f:
            f.write(frame[udp + 8:udp + length])
        return 0
    print("no sync message seen", file=sys.stderr)
    return 1


def send(src, dst, port, payload):
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.sendto(payload, (dst, port))


def wrongkey():
    # Version 2, a flows message without records, a random session.
    head = struct.pack("!4sBBHQQ", b"XLBS", 2, 1, 0, int.from_bytes(os.urandom(8), "big"), 1)
    return head + hmac.new(os.urandom(32), head, hashlib.sha256).digest()


def flood(src, dst, port, secs):
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((src, 0))
    msgs = [wrongkey() for _ in range(256)]
    sent = 0
    end = time.monotonic() + secs
    print("flooding", flush=True)
    while time.monotonic() < end:
        for m in msgs:
            try:
                s.sendto(m, (dst, port))
                sent += 1
            except OSError:
                pass  # ENOBUFS and the like: keep going
    print(f"sent {sent}", flush=True)


def main():
    cmd = sys.argv[1]
    if cmd == "capture":
        timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
        return capture(sys.argv[2], int(sys.argv[3]), sys.argv[4], timeout)
    if cmd == "replay":
        with open(sys.argv[5], "rb") as f:
            send(sys.argv[2], sys.argv[3], int(sys.argv[4]), f.read())
        return 0
    if cmd == "wrongkey":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]), wrongkey())
        return 0
    if cmd == "flood":
        flood(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
