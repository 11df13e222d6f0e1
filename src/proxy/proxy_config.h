/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The keys of a service with method proxy, as plain data, and their parser. */
#ifndef XLB_PROXY_CONFIG_H
#define XLB_PROXY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum proxy_mode {
	PROXY_MODE_TCP = 0, /* bytes both ways, spliced */
	PROXY_MODE_HTTP,    /* HTTP/1.1 requests, each balanced on its own */
};

enum proxy_pp_version {
	PROXY_PP_NONE = 0,
	PROXY_PP_V1, /* the text form: "PROXY TCP4 ...\r\n" */
	PROXY_PP_V2, /* the binary form */
};

#define PROXY_DEFAULT_MAX_CONNECTIONS 10000u
#define PROXY_DEFAULT_CONNECT_TIMEOUT_MS 2000u
#define PROXY_DEFAULT_IDLE_TIMEOUT_MS 60000u
#define PROXY_DEFAULT_RETRIES 2u
#define PROXY_MAX_RETRIES 16u
/* mode http's pool of idle keep-alive connections to the reals. */
#define PROXY_DEFAULT_POOL_PER_REAL 32u
#define PROXY_DEFAULT_POOL_MAX 1024u
#define PROXY_DEFAULT_POOL_IDLE_MS 4000u /* under Apache's 5 s KeepAliveTimeout */
/* Passive health: consecutive failures that take a real out, and for how long. */
#define PROXY_DEFAULT_PASSIVE_FAILURES 3u
#define PROXY_DEFAULT_PASSIVE_BACKOFF_MS 10000u
/* The largest request head mode http takes (the buffers are sized for it). */
#define PROXY_MAX_HEADER_SIZE (16u * 1024u)
#define PROXY_MIN_HEADER_SIZE 1024u

/* forward_headers: what mode http tells the real about the client. */
enum {
	PROXY_FWD_XFF = 1u << 0,   /* X-Forwarded-For: client */
	PROXY_FWD_XFP = 1u << 1,   /* X-Forwarded-Proto: http */
	PROXY_FWD_RFC7239 = 1u << 2, /* Forwarded: for=client;proto=http */
};

/* mode http's routes: a request goes to the reals of the first route it matches. */
#define PROXY_ROUTES_MAX 32
#define PROXY_ROUTE_TEXT_MAX 256

struct proxy_route {
	char host[PROXY_ROUTE_TEXT_MAX]; /* lower case, no port; "" any host */
	bool host_suffix;		 /* given as "*.example.com": names ending in ".example.com" */
	char path[PROXY_ROUTE_TEXT_MAX]; /* a prefix of the request target; "" any */
	int sched;			 /* enum sched_id, or -1: the service's */
	uint32_t *reals;		 /* indexes into the service's reals */
	size_t nreals;
	int line;
};

struct proxy_config {
	uint8_t mode;		  /* enum proxy_mode */
	uint8_t proxy_protocol;	  /* enum proxy_pp_version */
	uint32_t max_connections; /* client connections at once */
	uint32_t connect_timeout_ms;
	uint32_t idle_timeout_ms;
	uint32_t retries; /* other reals tried after a refused or timed-out connect */
	/* mode http */
	uint32_t pool_per_real; /* idle connections kept per real, all workers; 0: no reuse */
	uint32_t pool_max;	/* idle connections kept for the whole service */
	uint32_t pool_idle_ms;	/* an idle connection is closed after this */
	uint32_t max_header_size; /* a larger request head gets 431 */
	uint8_t forward_headers;  /* PROXY_FWD_* */
	/*
	 * Owned by the service's config (freed with it); the proxy engine copies
	 * what workers need into its snapshots, so copies of this struct held by
	 * connections never follow the pointer.
	 */
	struct proxy_route *routes;
	uint32_t nroutes;
	/* passive health (both modes) */
	bool passive_5xx;	     /* mode http: a 5xx response (but 501, 505) is a failure */
	uint32_t passive_failures;   /* in a row that take a real out; 0: off */
	uint32_t passive_backoff_ms; /* how long it stays out */
};

/*
 * The service keys only method proxy uses: this section's key table
 * (proxy_config_keys), read beside the service's own keys.
 */
enum {
	PROXY_KEY_MODE,
	PROXY_KEY_MAX_CONNECTIONS,
	PROXY_KEY_CONNECT_TIMEOUT,
	PROXY_KEY_IDLE_TIMEOUT,
	PROXY_KEY_RETRIES,
	PROXY_KEY_PROXY_PROTOCOL,
	PROXY_KEY_POOL,
	PROXY_KEY_PASSIVE_HEALTH,
	PROXY_KEY_FORWARD_HEADERS,
	PROXY_KEY_MAX_HEADER_SIZE,
	PROXY_KEY_ROUTES,
	PROXY_KEY__COUNT,
};
extern const char *const proxy_config_keys[PROXY_KEY__COUNT];

struct config_ctx;
struct config_slot;
struct real_config;

/*
 * Fills @pc from @slots (proxy_config_keys' slots in the service's
 * mapping): defaults, then the keys. @proxy: the service's method is
 * proxy, else each key given is an error; @proto, @line: the service's.
 */
void proxy_config_parse(struct config_ctx *ctx, const struct config_slot *slots, bool proxy,
			uint8_t proto, int line, struct proxy_config *pc);

/*
 * routes: after the service's @reals are parsed (a route names some of
 * them); @sched is the service's scheduler.
 */
void proxy_config_parse_routes(struct config_ctx *ctx, const struct config_slot *slots,
			       const struct real_config *reals, size_t nreals, int sched,
			       struct proxy_config *pc);
void proxy_config_free(struct proxy_config *pc);

/*
 * The first of @routes that a request for @host (the Host field, maybe with
 * a port; NULL if none) and @target (its request target) matches, or -1.
 */
int proxy_route_find(const struct proxy_route *routes, size_t n, const char *host, size_t hlen,
		     const char *target, size_t tlen);

const char *proxy_mode_name(uint8_t mode);
const char *proxy_pp_name(uint8_t version);

#endif /* XLB_PROXY_CONFIG_H */
