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
		if (s->quorum_up) {
			v->services_up++;
			continue;
		}
		/* The first few services that lost it, by name: what an operator looks at next. */
		used = strlen(v->reason);
		if (used + 1 < sizeof(v->reason))
			snprintf(v->reason + used, sizeof(v->reason) - used, "%s%s %u/%u healthy",
				 used ? ", " : "", s->cfg.name, s->healthy, s->cfg.quorum);
	}
	for (size_t i = 0; i < count; i++) {
		struct bgp_vip *v = &out[i];
		char lost[sizeof(v->reason)];

		v->quorum = q == BGP_VIP_QUORUM_ALL ? v->services_up == v->services :
						      v->services_up > 0;
		if (v->services_up == v->services) {
			snprintf(v->reason, sizeof(v->reason), "quorum met");
			continue;
		}
		memcpy(lost, v->reason, sizeof(lost));
		snprintf(v->reason, sizeof(v->reason), "%s (%.120s)",
			 v->quorum ? "quorum met by some services" : "quorum lost", lost);
	}
	return count;
}
