/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every scheduler, once, for the data plane and xlbd alike. Adding one is
 * its file in src/sched/ (the reference algorithm and its sched_ops, which
 * say its name and data-plane kind), one XLB_SCHEDULERS line, and, when the
 * data plane picks in a new way, one XLB_SCHED_KINDS line and its pick in
 * bpf/sched.h. The enums, the ops table, the names config and import
 * accept and the kinds' names in logs all come from these two lists.
 */
#ifndef XLB_SCHED_TABLE_H
#define XLB_SCHED_TABLE_H

/*
 * How the data plane picks a real for a new flow: K(KIND, log name). The
 * order gives the value stored in struct xlb_service.sched_kind, which
 * pinned maps keep across restarts: add new kinds at the end.
 *
 * RING: ring[cursor++ % len] (rr, wrr: xlbd computes the ring).
 * HASH_SRC / HASH_DST: table[hash_32(fold(saddr) [+ sport] / fold(daddr), 8)].
 * LC .. OVF: count-based, the ring lists the candidates, scanned with counts.
 * MH: mh_tables[mh_base + jhash_1word(fold(saddr) [+ sport], seed) % 65537].
 * TWOS: two weighted random draws over the candidates, the less loaded wins.
 * LBLC: a per-destination real in "loc_cache", wlc when it cannot take more.
 * LBLCR: a per-destination set of reals in "locset_cache".
 */
#define XLB_SCHED_KINDS(K)                                                                 \
	K(RING, "ring")                                                                    \
	K(HASH_SRC, "sh")                                                                  \
	K(HASH_DST, "dh")                                                                  \
	K(LC, "lc")                                                                        \
	K(WLC, "wlc")                                                                      \
	K(SED, "sed")                                                                      \
	K(NQ, "nq")                                                                        \
	K(FO, "fo")                                                                        \
	K(OVF, "ovf")                                                                      \
	K(MH, "mh")                                                                        \
	K(TWOS, "twos")                                                                    \
	K(LBLC, "lblc")                                                                    \
	K(LBLCR, "lblcr")

#define XLB_SCHED_KIND_ENUM_(kind, name) XLB_SCHED_KIND_##kind,
enum xlb_sched_kind { XLB_SCHED_KINDS(XLB_SCHED_KIND_ENUM_) XLB_SCHED_KIND__COUNT };

/*
 * Every scheduler: S(ID, file), its ops being sched_<file>_ops in
 * src/sched/<file>.c. The order gives enum sched_id, which configs store:
 * add new ones at the end.
 */
#define XLB_SCHEDULERS(S)                                                                  \
	S(RR, rr)                                                                          \
	S(WRR, wrr)                                                                        \
	S(LC, lc)                                                                          \
	S(WLC, wlc)                                                                        \
	S(SED, sed)                                                                        \
	S(NQ, nq)                                                                          \
	S(SH, sh)                                                                          \
	S(DH, dh)                                                                          \
	S(MH, mh)                                                                          \
	S(LBLC, lblc)                                                                      \
	S(LBLCR, lblcr)                                                                    \
	S(FO, fo)                                                                          \
	S(OVF, ovf)                                                                        \
	S(TWOS, twos)

#endif /* XLB_SCHED_TABLE_H */
