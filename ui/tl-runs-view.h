#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_RUNS_VIEW (tl_runs_view_get_type ())
G_DECLARE_FINAL_TYPE (TlRunsView, tl_runs_view, TL, RUNS_VIEW, GtkWidget)

/* The experiment's run history: every run kept, newest first, with its date,
 * the accuracy of each of its runs, the settings changed since the run before
 * and the stages it reused; and two runs compared: their curves overlaid,
 * metrics side by side and the difference of their confusion matrices. */

void        tl_runs_view_set_document  (TlRunsView *self, TlDocument *document);
/* Reads the history again; "reloaded" is emitted after. */
void        tl_runs_view_reload        (TlRunsView *self);
guint       tl_runs_view_get_n_runs    (TlRunsView *self);
/* The text of row i (newest first): "date · accuracies · changes". */
char       *tl_runs_view_get_run_text  (TlRunsView *self, guint i);
/* Compares runs a and b (indices newest first); FALSE when either is missing. */
gboolean    tl_runs_view_compare       (TlRunsView *self, guint a, guint b);
/* For tests: the comparison's rows of metrics, its changed settings, its overlaid
 * curves and the sum of the absolute differences of its confusion matrix. */
guint       tl_runs_view_get_n_metric_rows (TlRunsView *self);
const char *tl_runs_view_get_settings_text (TlRunsView *self);
GtkWidget  *tl_runs_view_get_curve_view    (TlRunsView *self);
gint64      tl_runs_view_get_confusion_change (TlRunsView *self);

/* One epoch of a training under way: a private one's privacy spent so far
 * ("privacy spent ε 1.20 of 3") is shown above the list; other runs hide it. */
void        tl_runs_view_show_epoch    (TlRunsView *self, const char *run, const TlEpochRecord *record);
/* The privacy shown, NULL when none is. */
const char *tl_runs_view_get_privacy_text (TlRunsView *self);

G_END_DECLS
