#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Prints "transfer-lab: MESSAGE" on stderr as one line. */
void tl_cli_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* The same for a GError (its message already names file and line where they apply). */
void tl_cli_report (const GError *error);

G_END_DECLS
