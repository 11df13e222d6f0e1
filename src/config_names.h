/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What a name in the config may be: services, VRRP instances, interfaces. */
#ifndef XLB_CONFIG_NAMES_H
#define XLB_CONFIG_NAMES_H

#include <stdbool.h>

#define CONFIG_NAME_MAX 64 /* room for a service or instance name, NUL included */

/* 1 to CONFIG_NAME_MAX - 1 characters from A-Z a-z 0-9 _ . - (service and instance names). */
bool config_name_ok(const char *s);
/* An interface name the kernel would take (dev_valid_name()). */
bool config_ifname_ok(const char *s);

#endif /* XLB_CONFIG_NAMES_H */
