// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* When BIRD must re-read its config file; see bird_conf_state.h. */
#include "bgp/bird_conf_state.h"

void bird_conf_started(struct bird_conf_state *s)
{
	s->dirty = false;
	s->inflight = false;
	s->configured = false; /* until its hello says it runs */
	s->starting = true;
}

void bird_conf_changed(struct bird_conf_state *s)
{
	s->dirty = true;
	s->configured = false;
}

bool bird_conf_take(struct bird_conf_state *s)
{
	if (!s->dirty || s->inflight)
		return false;
	s->dirty = false;
	s->inflight = true;
	s->configured = false;
	return true;
}

void bird_conf_answered(struct bird_conf_state *s, bool ok)
{
	s->inflight = false;
	/* A change written while BIRD read the file is still dirty. */
	s->configured = ok && !s->dirty;
}

void bird_conf_lost(struct bird_conf_state *s)
{
	/* BIRD may or may not have read it: read it again, it costs nothing. */
	if (s->inflight)
		s->dirty = true;
	s->inflight = false;
}

void bird_conf_connected(struct bird_conf_state *s)
{
	/* The first hello of a BIRD: it read the file at start; a change since is dirty. */
	if (s->starting)
		s->configured = !s->dirty;
	s->starting = false;
}
