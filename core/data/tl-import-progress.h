#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*TlImportProgressFunc) (double fraction, gpointer user_data);

/* Progress of one import: the current step covers [from, from + span) of the whole. */
typedef struct {
  TlImportProgressFunc func;
  gpointer             user_data;
  gint64               last;
  double               from;
  double               span;
} TlImportProgress;

/* Reports `fraction` of the current step, throttled; p may be NULL. */
void tl_import_progress_report (TlImportProgress *p, double fraction);

G_END_DECLS
