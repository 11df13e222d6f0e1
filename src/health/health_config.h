/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A service's health: block as plain data, and its parser (health_config.c). */
#ifndef XLB_HEALTH_CONFIG_H
#define XLB_HEALTH_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

enum health_kind {
	HEALTH_NONE = 0,
	HEALTH_ICMP,
	HEALTH_ARP,
	HEALTH_TCP,
	HEALTH_TCP_HALF_OPEN,
	HEALTH_HTTP,
	HEALTH_HTTPS,
	HEALTH_UDP,
	HEALTH_DNS,
	HEALTH_SCRIPT,
	HEALTH__COUNT,
};

enum health_on_failure {
	HEALTH_ON_FAILURE_REMOVE = 0, /* out of the ring, existing flows rescheduled */
	HEALTH_ON_FAILURE_WEIGHT0,    /* out of the ring, existing flows stay */
};

#define HEALTH_DEFAULT_INTERVAL_MS 2000
#define HEALTH_DEFAULT_TIMEOUT_MS 1000
#define HEALTH_DEFAULT_RISE 2
#define HEALTH_DEFAULT_FALL 3
#define HEALTH_MIN_INTERVAL_MS 50
#define HEALTH_RISE_FALL_MAX 100

/* Room for each string key, NUL included. */
#define HEALTH_PATH_MAX 256
#define HEALTH_HOST_MAX 256
#define HEALTH_MATCH_MAX 256 /* expect_body, expect */
#define HEALTH_SEND_MAX 512
#define HEALTH_DNS_NAME_MAX 254
#define HEALTH_COMMAND_MAX 1024

struct health_config {
	uint8_t kind;	    /* enum health_kind */
	uint8_t on_failure; /* enum health_on_failure */
	uint8_t rise;
	uint8_t fall;
	bool verify_tls;
	uint16_t port;		/* 0: the real's check_port, else its port */
	uint16_t expect_status; /* 0: any 2xx or 3xx */
	uint32_t interval_ms;
	uint32_t timeout_ms;
	char path[HEALTH_PATH_MAX];
	char host[HEALTH_HOST_MAX]; /* "": the check address */
	char expect_body[HEALTH_MATCH_MAX];
	char send[HEALTH_SEND_MAX];
	char expect[HEALTH_MATCH_MAX];
	char dns_name[HEALTH_DNS_NAME_MAX];
	char command[HEALTH_COMMAND_MAX];
	int line; /* of the health: key, 0 when absent */
};

/* A service's sorry server: gets new flows only while no real is usable. */
struct health_sorry {
	struct net_addr addr; /* family 0: none */
	uint16_t port;
	int line;
};

/* "none", "icmp", ... as written in the config. */
const char *health_kind_name(unsigned int kind);
const char *health_on_failure_name(unsigned int on_failure);
/* Fills the defaults of a service without a health: block (check: none). */
void health_config_defaults(struct health_config *hc);

struct config_ctx;
typedef struct yaml_node_s yaml_node_t;

/*
 * The health: block of a service into @hc (defaults first), every problem
 * reported through @ctx as FILE:LINE. @vip_family: the service's (arp
 * checks are IPv4 only), 0 if it did not parse.
 */
void health_config_parse(struct config_ctx *ctx, yaml_node_t *n, int vip_family,
			 struct health_config *hc);
/*
 * A service's sorry: server into @out. @port: the service's, the default;
 * @dsr: the method cannot change ports, so another port is an error.
 */
void health_sorry_parse(struct config_ctx *ctx, yaml_node_t *n, int vip_family, uint16_t port,
			bool dsr, struct health_sorry *out);

#endif /* XLB_HEALTH_CONFIG_H */
