/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The control socket: one JSON request per connection, one JSON reply. */
#ifndef XLB_CTL_H
#define XLB_CTL_H

#include "model.h"

struct ctl_server;

/* Listens on @path (mode 0600: the socket can change forwarding). */
int ctl_open(const char *path, struct ctl_server **out);
void ctl_close(struct ctl_server *ctl);
int ctl_listen_fd(const struct ctl_server *ctl);
/* A client asking for the hand-over (xlbd --upgrade, upgrade.h): not answered yet. */
struct ctl_upgrade {
	int fd; /* its connection, the caller's to use and close */
	uint32_t drain_ms;
};

/*
 * Accepts and serves one pending client (call it again while the listening
 * fd is readable); waits for a slow one at most 100 ms in all for its
 * request and 1 s in all for its reply. True when the client asked for the
 * hand-over: then @up holds its connection.
 */
bool ctl_handle(struct ctl_server *ctl, struct model *m, struct ctl_upgrade *up);

/* The reply to "list": every service and real with state and counters. */
struct json_object *ctl_list_json(struct model *m);

#endif /* XLB_CTL_H */
