/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* xlbctl bgp, drain-node, undrain-node: VIP announcements over BGP. */
#ifndef XLBCTL_BGP_H
#define XLBCTL_BGP_H

#include <json-c/json.h>

struct xlbctl_opts;

json_object *xlbctl_req_bgp(const char *name, int argc, char **argv);
int xlbctl_cmd_bgp(const struct xlbctl_opts *opts, json_object *reply);
int xlbctl_cmd_drain(const struct xlbctl_opts *opts, json_object *reply);

#endif /* XLBCTL_BGP_H */
