#pragma once

#include <stdio.h>

#include <glib.h>

#include "tl-trainer.h"

G_BEGIN_DECLS

/* Training progress on a terminal: one line rewritten in place when the output
 * is a terminal, one plain line per epoch otherwise (logs, pipes, tests). */
typedef struct _TlProgress TlProgress;

TlProgress *tl_progress_new       (FILE *out);
void        tl_progress_free      (TlProgress *progress);
gboolean    tl_progress_is_tty    (const TlProgress *progress);
/* The name shown in front of every line: "pretrain", "transfer"... */
void        tl_progress_set_stage (TlProgress *progress, const char *stage);
void        tl_progress_batch     (TlProgress *progress, const TlBatchProgress *batch);
/* n_epochs 0: the count the last batch event gave. */
void        tl_progress_epoch     (TlProgress *progress, const TlEpochRecord *record, int n_epochs);
/* A line of its own, after clearing the live line. */
void        tl_progress_message   (TlProgress *progress, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* Ends the live line, if one is showing. */
void        tl_progress_end_line  (TlProgress *progress);

/* Callbacks for tl_train() that draw on `progress` and stop on Ctrl-C. */
void        tl_progress_train_callbacks (TlProgress *progress, TlTrainCallbacks *callbacks);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlProgress, tl_progress_free)

/* Ctrl-C: the first one sets a flag that training checks after each batch; a
 * second one ends the program at once. */
void        tl_interrupt_install  (void);
gboolean    tl_interrupt_requested (void);

/* A table with aligned columns: rows are NULL-terminated string vectors, the
 * first one the header. Columns after the first are right-aligned. */
void        tl_print_table        (FILE *out, GPtrArray *rows);
/* A row of copies of the strings given, NULL-terminated. */
char      **tl_table_row          (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* "1:05", "12:03:07" */
char       *tl_format_duration    (double seconds);

G_END_DECLS
