/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the model's own files only: model.c (policy and events),
 * model_writer.c (the map writer), model_apply.c (the reload transaction).
 */
#ifndef XLB_MODEL_INTERNAL_H
#define XLB_MODEL_INTERNAL_H

#include "model.h"

/* A real found in the pinned maps at start, until the first apply adopts it (or drops it). */
struct recovered_real {
	uint32_t id;
	struct xlb_real val;
	bool adopted;
};

/* ---- model.c: policy ---- */
/* Restarts the "for how long" clock when what xlbctl shows for @r changes. */
void model_note_state(struct real *r);
const struct iface *model_find_iface(const struct model *m, int ifindex);
/* Egress interface, next hop and its MAC for @r, against m->ifaces. */
void model_resolve_real(struct model *m, const struct service *s, struct real *r);
/* Counts healthy reals; quorum and sorry-server changes. */
void model_update_quorum(struct service *s);

/* ---- model_writer.c: the map writer (m->dp, m->ifaces, m->proxy_gen) ---- */
void service_key(const struct service_config *sc, struct xlb_service_key *key);
int model_write_real(struct model *m, const struct service *s, const struct real *r);
/* The ring (or Maglev table) into the idle slot, then the service flipped to it. */
int model_write_service(struct model *m, struct service *s);
int model_write_fnat_locals(struct model *m, const struct service *s);

/* ---- model_apply.c ---- */
void model_free_services(struct service *services, size_t n);

#endif /* XLB_MODEL_INTERNAL_H */
