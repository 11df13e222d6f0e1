// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Glue between the running model and the health checks: what to check, and verdicts back. */
#include "health/health_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void health_model_notify(void *arg, uint32_t svc_id, uint32_t real_id, bool up, const char *reason)
{
	model_set_real_health(arg, svc_id, real_id, up, reason);
}

int health_sync_model(struct health_ctx *h, const struct model *m)
{
	struct health_target *targets;
	size_t n = 0, cap = 0;
	int err;

	for (size_t i = 0; i < m->nservices; i++)
		cap += m->services[i].nreals;
	targets = calloc(cap ? cap : 1, sizeof(*targets));
	if (!targets)
		return -ENOMEM;
	for (size_t i = 0; i < m->nservices; i++) {
		const struct service *s = &m->services[i];
		const struct health_config *hc = &s->cfg.health;

		if (hc->kind == HEALTH_NONE)
			continue;
		for (size_t j = 0; j < s->nreals; j++) {
			const struct real *r = &s->reals[j];
			struct health_target *t = &targets[n];

			if (r->sorry)
				continue;
			t->svc_id = s->id;
			t->real_id = r->id;
			t->svc_name = s->cfg.name;
			t->cfg = hc;
			t->addr = r->cfg.check_addr.family ? r->cfg.check_addr : r->cfg.addr;
			t->port = r->cfg.check_port ? r->cfg.check_port
				  : hc->port	    ? hc->port
						    : r->cfg.port;
			t->real_addr = r->cfg.addr;
			t->real_port = r->cfg.port;
			n++;
		}
	}
	err = health_sync(h, targets, n);
	free(targets);
	if (err)
		log_error("health checks: cannot set up the checks: %s", strerror(-err));
	else if (n)
		log_info("health checks: %zu reals checked", n);
	return err;
}
