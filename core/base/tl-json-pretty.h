#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* JSON text with two-space indentation and shortest round-trip numbers (json-glib
 * 1.6's generator writes 1e-08 as "1e-08.0", which no reader accepts). */
char *tl_json_to_pretty_string (JsonNode *node);

G_END_DECLS
