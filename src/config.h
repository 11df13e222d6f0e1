/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The YAML configuration as plain data: no pointers into runtime state. */
#ifndef XLB_CONFIG_H
#define XLB_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "bgp/bgp_config.h"
#include "config_names.h"
#include "ha/ha_config.h"
#include "metrics/metrics_config.h"
#include "service_config.h"

#define CONFIG_PATH_MAX 256
#define CONFIG_DEFAULT_CONTROL_SOCKET "/run/xlb/xlb.sock"
#define CONFIG_DEFAULT_PIN_DIR "/sys/fs/bpf/xlb"

enum attach_mode {
	ATTACH_NATIVE = 0, /* native XDP; falls back to generic with a warning */
	ATTACH_GENERIC,
	ATTACH_TC, /* tc clsact ingress */
};

struct iface_config {
	char name[IF_NAMESIZE];
	enum attach_mode mode;
	int line;
};

struct flow_timeouts {
	uint32_t tcp_established_ms;
	uint32_t tcp_syn_ms;
	uint32_t tcp_fin_ms;
	uint32_t udp_ms;
};

struct xlb_config {
	char path[CONFIG_PATH_MAX]; /* file it was read from */
	struct iface_config *ifaces;
	size_t nifaces;
	char control_socket[CONFIG_PATH_MAX];
	char bpf_pin_dir[CONFIG_PATH_MAX];
	uint32_t max_flows;
	uint32_t syn_max; /* flows that have only sent a SYN; 0: max_flows / 4 (at least 1024) */
	struct flow_timeouts timeouts;
	struct service_config *services;
	size_t nservices;
	struct ha_config ha;
	struct metrics_config metrics; /* enabled false: no listener */
	struct bgp_config bgp; /* enabled false: no BGP (bgp/bgp.h) */
};

/* Every problem found in a file, each "FILE:LINE: what (expected ...)". */
struct config_errors {
	char **msgs;
	size_t count;
};

/*
 * Reads and validates @path. Returns 0 and fills @cfg, or -EINVAL with every
 * problem in @errs (and @cfg left empty), or another negative errno when the
 * file cannot be read (also described in @errs).
 */
int config_load(const char *path, struct xlb_config *cfg, struct config_errors *errs);
void config_free(struct xlb_config *cfg);
void config_errors_free(struct config_errors *errs);

const char *config_attach_mode_name(enum attach_mode mode);

#endif /* XLB_CONFIG_H */
