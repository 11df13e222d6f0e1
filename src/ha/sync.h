/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Connection sync between LB peers: flow records over UDP, HMAC-SHA256 authenticated. */
#ifndef XLB_HA_SYNC_H
#define XLB_HA_SYNC_H

struct json_object;
struct sync_ctx;

/* Counters and peers for `xlbctl ha`; @s NULL (sync off) gives {"enabled": false}. */
struct json_object *sync_json(const struct sync_ctx *s);

#endif /* XLB_HA_SYNC_H */
