// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Connection sync (being written). */
#include "ha/sync.h"

#include <json-c/json.h>

struct json_object *sync_json(const struct sync_ctx *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "enabled", json_object_new_boolean(s != NULL));
	return o;
}
