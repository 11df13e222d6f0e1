// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The data plane specialised to the config: xlbd loads a program whose
 * read-only "xlb_spec" names the methods, scheduler kinds and features the
 * config uses, so the verifier drops every other path (less to verify,
 * less to run). A reload that needs another spec swaps the program in place
 * (dataplane_respecialise), keeping every map.
 */
#include "dp_spec.h"

#include <stdio.h>
#include <sys/socket.h>
#include <string.h>

#include "sched/sched.h"

/* A flow's entry is refreshed at most this often (see struct xlb_dp_spec). */
#define DP_TOUCH_MAX_NS 1000000000ull
#define DP_TOUCH_MIN_NS 1000000ull

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Coarse enough that a busy flow rarely writes its entry, fine enough that
 * neither the sweeper (shortest timeout) nor sync's refresh (flows seen
 * since the last one) can mistake an active flow for an idle one.
 */
static uint64_t touch_ns(const struct xlb_config *cfg)
{
	const struct flow_timeouts *t = &cfg->timeouts;
	uint64_t ns = DP_TOUCH_MAX_NS;

	ns = min_u64(ns, (uint64_t)t->tcp_established_ms * 1000000ull / 4);
	ns = min_u64(ns, (uint64_t)t->tcp_syn_ms * 1000000ull / 4);
	ns = min_u64(ns, (uint64_t)t->tcp_fin_ms * 1000000ull / 4);
	ns = min_u64(ns, (uint64_t)t->udp_ms * 1000000ull / 4);
	if (cfg->ha.sync.enabled)
		ns = min_u64(ns, (uint64_t)cfg->ha.sync.refresh_ms * 1000000ull / 4);
	return ns < DP_TOUCH_MIN_NS ? DP_TOUCH_MIN_NS : ns;
}

void dp_spec_from_config(const struct xlb_config *cfg, struct xlb_dp_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		enum xlb_sched_kind kind;

		if (s->method == XLB_METHOD_PROXY)
			continue; /* userspace: never in the maps */
		kind = sched_get(s->sched)->kind;
		spec->methods |= 1u << s->method;
		spec->scheds |= 1u << kind;
		/* lblc/lblcr fall back to wlc's scan */
		if (kind == XLB_SCHED_KIND_LBLC || kind == XLB_SCHED_KIND_LBLCR)
			spec->scheds |= 1u << XLB_SCHED_KIND_WLC;
		if (s->vip.family == AF_INET6)
			spec->features |= XLB_FEAT_V6;
		if (s->persistence_ms)
			spec->features |= XLB_FEAT_PERSIST;
		if (s->midstream_drop)
			spec->features |= XLB_FEAT_MIDSTREAM_DROP;
	}
	if (cfg->ha.sync.enabled)
		spec->features |= XLB_FEAT_SYNC;
	spec->touch_ns = touch_ns(cfg);
}

bool dp_spec_equal(const struct xlb_dp_spec *have, const struct xlb_dp_spec *need)
{
	return have->methods == need->methods && have->scheds == need->scheds &&
	       have->features == need->features && have->touch_ns == need->touch_ns;
}

static size_t put_names(char *buf, size_t len, size_t at, const char *title, uint32_t bits,
			const char *(*name)(unsigned))
{
	bool first = true;

	at += (size_t)snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "%s%s ",
			       at ? "; " : "", title);
	for (unsigned b = 0; b < 32; b++) {
		if (!(bits & (1u << b)))
			continue;
		at += (size_t)snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "%s%s",
				       first ? "" : ",", name(b));
		first = false;
	}
	if (first)
		at += (size_t)snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "none");
	return at;
}

static const char *method_name(unsigned m)
{
	return config_method_name((uint8_t)m);
}

static const char *kind_name(unsigned k)
{
#define KIND_NAME_(kind, name) [XLB_SCHED_KIND_##kind] = name,
	static const char *const names[] = { XLB_SCHED_KINDS(KIND_NAME_) };

	return k < sizeof(names) / sizeof(names[0]) && names[k] ? names[k] : "?";
}

static const char *feature_name(unsigned f)
{
	switch (1u << f) {
	case XLB_FEAT_V6:
		return "ipv6";
	case XLB_FEAT_PERSIST:
		return "persistence";
	case XLB_FEAT_SYNC:
		return "sync";
	case XLB_FEAT_MIDSTREAM_DROP:
		return "midstream-drop";
	default:
		return "?";
	}
}

void dp_spec_describe(const struct xlb_dp_spec *spec, char *buf, size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	at = put_names(buf, len, at, "methods", spec->methods, method_name);
	at = put_names(buf, len, at, "schedulers", spec->scheds, kind_name);
	at = put_names(buf, len, at, "features", spec->features, feature_name);
	snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "; flow touch %llu ms",
		 (unsigned long long)(spec->touch_ns / 1000000));
}
