#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A VRRPv3 advertisement (IPv4) from whoever runs it, for tests/lab/test_ha_vrrp_guard.sh.

  vrrp_forge.py SRC DST VRID PRIORITY INTERVAL_CS ADDRESS...

Sent once with TTL 255 from SRC (an address of this namespace) to DST
(unicast, or 224.0.0.18), with a correct checksum: everything a receiver
can check about a VRRPv3 advert holds, which is the point.
"""
import socket
import struct
import sys

VRRP_PROTO = 112


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def advert(src, dst, vrid, prio, cs, addrs):
    body = b"".join(socket.inet_aton(a) for a in addrs)
    msg = struct.pack("!BBBBHH", 0x31, vrid, prio, len(addrs), cs & 0xFFF, 0) + body
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, VRRP_PROTO, len(msg))
    return msg[:6] + struct.pack("!H", checksum(pseudo + msg)) + msg[8:]


def main():
    if len(sys.argv) < 7:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    vrid, prio, cs = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, VRRP_PROTO)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    s.bind((src, 0))
    s.sendto(advert(src, dst, vrid, prio, cs, sys.argv[6:]), (dst, 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
