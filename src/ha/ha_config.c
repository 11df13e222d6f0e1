// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The ha: block. (Being written: rejects the block for now.) */
#include "ha/ha_config.h"

#include "config_yaml.h"

void ha_config_parse(struct config_ctx *ctx, struct yaml_node_s *n, struct xlb_config *cfg)
{
	(void)cfg;
	config_err(ctx, config_line(n), "ha: is not supported yet");
}
