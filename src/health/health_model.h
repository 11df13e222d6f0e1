/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Glue between the running model and the health checks. */
#ifndef XLB_HEALTH_MODEL_H
#define XLB_HEALTH_MODEL_H

#include "health/health.h"
#include "model.h"

/* A health_notify_cb for health_open(): @arg is the struct model. */
void health_model_notify(void *arg, uint32_t svc_id, uint32_t real_id, bool up, const char *reason);
/* Checks exactly the reals of @m's services that have a health: block. */
int health_sync_model(struct health_ctx *h, const struct model *m);

#endif /* XLB_HEALTH_MODEL_H */
