/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* xlbctl's operator commands: list --rate/--stats, flows, zero, reload, trace, doctor. */
#ifndef XLBCTL_OPS_H
#define XLBCTL_OPS_H

#include <json-c/json.h>

struct xlbctl_opts;

/* list [--rate|--stats]: the request, and the view it asked for. */
json_object *xlbctl_req_list(const char *name, int argc, char **argv);
/* Non-zero when list was asked for --rate or --stats: print with xlbctl_list_alt(). */
int xlbctl_list_view(void);
int xlbctl_list_alt(json_object *reply);

json_object *xlbctl_req_flows(const char *name, int argc, char **argv);
int xlbctl_cmd_flows(const struct xlbctl_opts *opts, json_object *reply);
json_object *xlbctl_req_zero(const char *name, int argc, char **argv);
int xlbctl_cmd_zero(const struct xlbctl_opts *opts, json_object *reply);
json_object *xlbctl_req_reload(const char *name, int argc, char **argv);
int xlbctl_cmd_reload(const struct xlbctl_opts *opts, json_object *reply);
json_object *xlbctl_req_trace(const char *name, int argc, char **argv);
int xlbctl_cmd_trace(const struct xlbctl_opts *opts, json_object *reply);

/* xlbctl doctor [-c FILE] [--strict]: runs here, without xlbd; exit status 0 or 1. */
int xlbctl_doctor(int argc, char **argv, int json);

#endif /* XLBCTL_OPS_H */
