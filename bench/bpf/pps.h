/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by bench/bpf/pps.bpf.c and bench/pps_gen.c: the generated frame. */
#ifndef XLB_BENCH_PPS_H
#define XLB_BENCH_PPS_H

/* Ethernet + IPv4 (no options) + TCP (no options): the smallest TCP segment a client sends. */
#define PPS_FRAME_LEN 54
#define PPS_OFF_SPORT 34
#define PPS_OFF_TCP_CHECK 50

#endif /* XLB_BENCH_PPS_H */
