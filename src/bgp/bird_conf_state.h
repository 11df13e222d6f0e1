/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Whether BIRD runs the config file as xlbd last wrote it, and so when to
 * send `configure`. Pure state, no I/O: bgp.c feeds it what happened on the
 * control socket. The rule it keeps: a configure BIRD never answered (the
 * socket timed out or closed under it) is sent again on the next connection,
 * so a new VIP set is never silently left unapplied.
 */
#ifndef XLB_BIRD_CONF_STATE_H
#define XLB_BIRD_CONF_STATE_H

#include <stdbool.h>

struct bird_conf_state {
	bool dirty;	 /* the file changed since BIRD last took it */
	bool inflight;	 /* a `configure` was sent and not answered yet */
	bool configured; /* BIRD accepted the file as it is now */
	bool starting;	 /* BIRD started and has not said hello yet */
};

/* BIRD was started: it reads the file as it is now (answered by its hello). */
void bird_conf_started(struct bird_conf_state *s);
/* The file was rewritten. */
void bird_conf_changed(struct bird_conf_state *s);
/* Whether to send `configure` now (nothing else in flight); if so, it counts as sent. */
bool bird_conf_take(struct bird_conf_state *s);
/* BIRD answered the configure: @ok, or refused the file. */
void bird_conf_answered(struct bird_conf_state *s, bool ok);
/* The control socket was closed (timeout, error, BIRD gone) before an answer. */
void bird_conf_lost(struct bird_conf_state *s);
/* BIRD's hello on a new connection. */
void bird_conf_connected(struct bird_conf_state *s);

#endif /* XLB_BIRD_CONF_STATE_H */
