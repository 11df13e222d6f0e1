#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Makes an xlb.yaml big, for load tests (tests/lab/test_ha_isolation.sh) and
the loader's measurements in docs/CONFIG.md.

  gen_reals.py CONFIG NREALS PER_SERVICE > big.yaml

Copies CONFIG and, right after its top-level "services:" line, inserts
services big0, big1, ... with NREALS reals in all, PER_SERVICE per service:
dr + rr on port 80, VIPs 10.201.S.S, reals distinct addresses from
10.64.0.0 on (off the lab's subnets: nothing to resolve).
"""
import sys


def services(total, per):
    r = 0
    s = 0
    while r < total:
        yield (f"  - name: big{s}\n    vip: 10.201.{s // 256}.{s % 256}\n"
               "    port: 80\n    reals:\n")
        for _ in range(min(per, total - r)):
            a = (64 << 16) + r
            yield f"      - address: 10.{a >> 16}.{(a >> 8) & 255}.{a & 255}\n"
            r += 1
        s += 1


def main():
    path, total, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    out = sys.stdout
    done = False
    with open(path) as f:
        for line in f:
            out.write(line)
            if not done and line.rstrip() in ("services:", "services: []"):
                if line.rstrip() == "services: []":
                    print("gen_reals.py: services: [] cannot take more", file=sys.stderr)
                    return 1
                out.writelines(services(total, per))
                done = True
    if not done:
        out.write("services:\n")
        out.writelines(services(total, per))
    return 0


if __name__ == "__main__":
    sys.exit(main())
