// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A VIP's quorum from its services'; see bgp_vips.h. */
#include "bgp/bgp_vips.h"

#include <stdio.h>
#include <string.h>

#include "model.h"

static struct bgp_vip *bgp_vip_find(struct bgp_vip *v, size_t count, const struct net_addr *a)
{
	for (size_t i = 0; i < count; i++)
		if (net_addr_equal(&v[i].addr, a))
			return &v[i];
	return NULL;
}

/*
 * Until each real's first check has answered, reals count as up (model.c),
 * but a node that starts (or gets a new real) should not draw traffic on
 * that assumption: its VIP waits for the answers, one check interval.
 */
static bool bgp_checking(const struct service *s)
{
	if (s->cfg.health.kind == HEALTH_NONE)
		return false;
	for (size_t i = 0; i < s->nreals; i++)
		if (!s->reals[i].sorry && !s->reals[i].health_known)
			return true;
	return false;
}

size_t bgp_vips_collect(const struct service *svcs, size_t n, enum bgp_vip_quorum q,
			struct bgp_vip *out)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		const struct service *s = &svcs[i];
		struct bgp_vip *v = bgp_vip_find(out, count, &s->cfg.vip);
		size_t used;

		if (!v) {
			v = &out[count++];
			memset(v, 0, sizeof(*v));
			v->addr = s->cfg.vip;
		}
		v->services++;
		if (s->quorum_up && !bgp_checking(s)) {
			v->services_up++;
			continue;
		}
		/* The first few services that lost it, by name: what an operator looks at next. */
		used = strlen(v->reason);
		v->checking += s->quorum_up;
		if (used + 1 < sizeof(v->reason) && s->quorum_up)
			snprintf(v->reason + used, sizeof(v->reason) - used,
				 "%s%s: first health checks running", used ? ", " : "", s->cfg.name);
		else if (used + 1 < sizeof(v->reason))
			snprintf(v->reason + used, sizeof(v->reason) - used, "%s%s %u/%u healthy",
				 used ? ", " : "", s->cfg.name, s->healthy, s->cfg.quorum);
	}
	for (size_t i = 0; i < count; i++) {
		struct bgp_vip *v = &out[i];
		char lost[sizeof(v->reason)];

		v->quorum = q == BGP_VIP_QUORUM_ALL ? v->services_up == v->services :
						      v->services_up > 0;
		v->quorum_unchecked = q == BGP_VIP_QUORUM_ALL ?
					      v->services_up + v->checking == v->services :
					      v->services_up + v->checking > 0;
		if (v->services_up == v->services) {
			snprintf(v->reason, sizeof(v->reason), "quorum met");
			continue;
		}
		memcpy(lost, v->reason, sizeof(lost));
		snprintf(v->reason, sizeof(v->reason), "%s (%.120s)",
			 v->quorum ? "quorum met by some services" :
			 v->services_up + v->checking == v->services ? "waiting for health checks" :
								       "quorum lost",
			 lost);
	}
	return count;
}
