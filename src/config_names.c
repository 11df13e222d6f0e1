// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Name rules shared by the config sections, the control socket and xlbctl. */
#include "config_names.h"

#include <net/if.h>
#include <string.h>

/* The kernel's dev_valid_name() rules, so a bad name fails here and not at attach. */
bool config_ifname_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > IF_NAMESIZE - 1 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* Names end up in logs, xlbctl output and stats keys: keep them token-like. */
bool config_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > CONFIG_NAME_MAX - 1)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}
