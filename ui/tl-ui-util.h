#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* n with a comma between groups of three digits, "2,610,964": the same in every locale,
 * as the tables and the command line print it. */
char *tl_format_thousands (guint64 n);

/* A run of the pipeline ("pretrain", "transfer", "joint", "baseline", ...) as the window
 * names it, translated; unknown names come back as they are. */
const char *tl_run_title (const char *name);
/* The palette colour of a run, the same in every chart of the window. */
int         tl_run_color (const char *name);
/* The run a stage's message is about: "joint: training ..." gives "joint", a fine-tune
 * message "transfer"; NULL when the message names none. */
const char *tl_run_of_stage_message (const char *message);

G_END_DECLS
