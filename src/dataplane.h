/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loading, pinning and attaching the BPF program; typed access to its maps. */
#ifndef XLB_DATAPLANE_H
#define XLB_DATAPLANE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "xlb/xlb_types.h"

struct dataplane;
struct bpf_object;

enum dp_stats_map { DP_STATS_SERVICE, DP_STATS_REAL };
enum dp_flow_table { DP_FLOWS, DP_SYN_FLOWS, DP_FLOW_TABLES };

/* Sizes of the maps that are sized from the config (0: the object's default). */
struct dp_sizes {
	uint32_t max_flows; /* flows, nat_rev, persist */
	uint32_t syn_max; /* syn_flows; 0: max_flows / 4, at least 1024 */
};

/*
 * Opens and loads the program. With a @pin_dir, maps already pinned there are
 * reused (flows survive a restart) and new ones are pinned; NULL pins nothing
 * (tests). Errors are logged with context and returned as negative errno.
 */
int dataplane_open(const char *pin_dir, uint32_t max_flows, struct dataplane **out);
/* The same, with the map sizes and the program specialised to @spec (NULL: everything). */
int dataplane_open_spec(const char *pin_dir, const struct dp_sizes *sizes,
			const struct xlb_dp_spec *spec, struct dataplane **out);
/* The spec of a program that carries everything (what dataplane_open loads). */
void dataplane_spec_full(struct xlb_dp_spec *spec);
/* What the loaded program carries. */
const struct xlb_dp_spec *dataplane_spec(const struct dataplane *dp);
/*
 * Loads a program specialised to @spec over the same maps (every flow and
 * count stays) and swaps it in on every attached interface atomically; on
 * any failure the running program stays, attached as it was.
 */
int dataplane_respecialise(struct dataplane *dp, const struct xlb_dp_spec *spec);
void dataplane_close(struct dataplane *dp);

/*
 * A transaction (a reload): from begin, every map write and delete is
 * journaled, and the attached interfaces and program are remembered.
 * Rollback puts back the interfaces (and their modes), the program, and
 * every map entry written since begin, then ends the transaction; commit
 * forgets the journal. Writes outside a transaction are not journaled.
 */
int dataplane_txn_begin(struct dataplane *dp);
void dataplane_txn_commit(struct dataplane *dp);
int dataplane_txn_rollback(struct dataplane *dp);

/* Attaches to @ifindex, whose MAC is @mac. Native XDP falls back to generic (logged). */
int dataplane_attach(struct dataplane *dp, int ifindex, const char *ifname, const uint8_t mac[6],
		     enum attach_mode mode);
int dataplane_detach(struct dataplane *dp, int ifindex, const char *ifname);

int dataplane_service_put(struct dataplane *dp, const struct xlb_service_key *key,
			  const struct xlb_service *val);
int dataplane_service_del(struct dataplane *dp, const struct xlb_service_key *key);
/* Looks a service up in the (possibly pinned) map: 0, or -ENOENT. */
int dataplane_service_get(struct dataplane *dp, const struct xlb_service_key *key,
			  struct xlb_service *val);
int dataplane_ring_put(struct dataplane *dp, uint32_t slot, const struct xlb_ring *ring);
/* Writes @n buckets of a Maglev table starting at index @base of "mh_tables". */
int dataplane_mh_table_put(struct dataplane *dp, uint32_t base, const uint32_t *table, uint32_t n);
int dataplane_real_put(struct dataplane *dp, uint32_t id, const struct xlb_real *real);
int dataplane_real_del(struct dataplane *dp, uint32_t id);
/* Calls @fn for every entry of the reals map (used to recover ids on restart). */
int dataplane_reals_foreach(struct dataplane *dp,
			    void (*fn)(uint32_t id, const struct xlb_real *real, void *arg), void *arg);
int dataplane_fnat_locals_put(struct dataplane *dp, uint32_t svc_id,
			      const struct xlb_fnat_locals *locals);
int dataplane_fnat_locals_del(struct dataplane *dp, uint32_t svc_id);
int dataplane_globals_put(struct dataplane *dp, const struct xlb_globals *g);
int dataplane_txport_add(struct dataplane *dp, int ifindex);

/* The data plane's and the sweeper's sides of a real's connection counts. */
int dataplane_conns_get(struct dataplane *dp, uint32_t real_id, struct xlb_conns *bpf_side,
			struct xlb_conns *swept);
int dataplane_conns_swept_put(struct dataplane *dp, uint32_t real_id, const struct xlb_conns *swept);
/* Zeroes both sides: for an id given to a new real. */
int dataplane_conns_reset(struct dataplane *dp, uint32_t real_id);
int dataplane_real_get(struct dataplane *dp, uint32_t id, struct xlb_real *real);
/*
 * Calls @fn for every flow, read in batches. @fn returns true to delete the
 * flow. Returns the number of flows seen, or negative errno.
 */
long dataplane_flows_sweep(struct dataplane *dp, enum dp_flow_table table,
			   bool (*fn)(const struct xlb_flow_key *key, const struct xlb_flow *flow,
				      void *arg),
			   void *arg);
/* For eviction counts: sizes, and what user space inserted and the sweeper deleted. */
struct dp_flow_table_stats {
	uint32_t max[DP_FLOW_TABLES];
	uint64_t deleted[DP_FLOW_TABLES];
	uint64_t inserted_by_us; /* into "flows" */
};
void dataplane_flow_table_stats(struct dataplane *dp, struct dp_flow_table_stats *st);
int dataplane_nat_rev_del(struct dataplane *dp, const struct xlb_flow_key *key);
int dataplane_nat_rev_put(struct dataplane *dp, const struct xlb_flow_key *key,
			  const struct xlb_nat_rev *rev);
/*
 * One flow by key, from "flows" or else "syn_flows": 0, or -ENOENT. Put
 * creates or replaces in "flows" (connection sync installs).
 */
int dataplane_flow_get(struct dataplane *dp, const struct xlb_flow_key *key,
		       struct xlb_flow *flow);
int dataplane_flow_put(struct dataplane *dp, const struct xlb_flow_key *key,
		       const struct xlb_flow *flow);
/* From whichever table holds it ("flows" or, before its handshake ends, "syn_flows"). */
int dataplane_flow_del(struct dataplane *dp, const struct xlb_flow_key *key);
/* The "flow_events" ring buffer, for ring_buffer__new(). */
int dataplane_flow_events_fd(struct dataplane *dp);
/*
 * Removes xlb programs (of any xlbd run) from @ifindex's hooks other than
 * @keep (an enum attach_mode, or -1 for all). Returns how many it removed.
 */
int dataplane_detach_stale(int ifindex, const char *ifname, int keep);
/* The fd of the program's map @name (owned by @dp: do not close), or -ENOENT. For tests and bench. */
int dataplane_map_fd(struct dataplane *dp, const char *name);
/* The loaded object (owned by @dp), to walk every map: tests reset them between cases. */
struct bpf_object *dataplane_bpf_object(struct dataplane *dp);
int dataplane_txport_del(struct dataplane *dp, int ifindex);

int dataplane_stats_read(struct dataplane *dp, enum dp_stats_map which, uint32_t id,
			 struct xlb_stats *sum);
int dataplane_stats_reset(struct dataplane *dp, enum dp_stats_map which, uint32_t id);
int dataplane_counters_read(struct dataplane *dp, uint64_t out[XLB_CNT__COUNT]);

const char *dataplane_counter_name(enum xlb_counter c);

/* The loaded program's fd (XDP, or tc with @tc), for bpf_prog_test_run_opts. */
int dataplane_prog_fd(struct dataplane *dp, bool tc);

#endif /* XLB_DATAPLANE_H */
