#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* n with a comma between groups of three digits, "2,610,964": the same in every locale,
 * as the tables and the command line print it. */
char *tl_format_thousands (guint64 n);

G_END_DECLS
