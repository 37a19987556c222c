#pragma once

#include <gtk/gtk.h>

#include "tl-chart.h"
#include "tl-trainer.h"

G_BEGIN_DECLS

#define TL_CURVE_VIEW_MAX_RUNS 7

#define TL_TYPE_CURVE_VIEW (tl_curve_view_get_type ())
G_DECLARE_FINAL_TYPE (TlCurveView, tl_curve_view, TL, CURVE_VIEW, GtkWidget)

/* Live training curves of one quantity (loss or accuracy), drawn by the core's
 * line chart: the running per-batch value of the current run as a thin line,
 * per-epoch train and validation points, and a second run (the baseline)
 * overlaid. The pointer shows a read-out of the values under it. */
GtkWidget *tl_curve_view_new            (TlChartQuantity quantity);
void       tl_curve_view_set_quantity   (TlCurveView *self, TlChartQuantity quantity);
void       tl_curve_view_set_log_scale  (TlCurveView *self, gboolean log_scale);
gboolean   tl_curve_view_get_log_scale  (TlCurveView *self);
void       tl_curve_view_clear          (TlCurveView *self);
/* x in epochs (1.5 = half-way through the second epoch). */
void       tl_curve_view_add_batch      (TlCurveView *self, double x, double value);
/* Copies the epoch records into slot run (0 .. TL_CURVE_VIEW_MAX_RUNS - 1). */
void       tl_curve_view_set_history    (TlCurveView *self, int run, const TlHistory *history, const char *label);
/* The chart as drawn now (for tests). */
TlLineChart *tl_curve_view_get_chart    (TlCurveView *self);
/* The palette colour of slot run (after tl_curve_view_set_history). */
void       tl_curve_view_set_color      (TlCurveView *self, int run, int color);
/* The curves of a pipeline run by name ("pretrain", "joint", ...), in its own colour and title;
 * each run keeps its slot until cleared. */
void       tl_curve_view_set_run        (TlCurveView *self, const char *name, const TlHistory *history);
/* Adds (or replaces, by epoch number) one epoch of a run, and emits
 * "epoch-added" (string run, pointer const TlEpochRecord *) for those who
 * follow a training as it goes. */
void       tl_curve_view_add_epoch      (TlCurveView *self, const char *name, const TlEpochRecord *record);
/* Empties the per-batch line, which then takes that palette colour (the running run's). */
void       tl_curve_view_clear_batches  (TlCurveView *self, int color);
/* Runs with at least one epoch drawn. */
int        tl_curve_view_get_n_runs     (TlCurveView *self);
gboolean   tl_curve_view_has_run        (TlCurveView *self, const char *name);
/* Points drawn, over every series (for tests). */
int        tl_curve_view_get_n_points   (TlCurveView *self);
/* Points of the per-batch line. */
int        tl_curve_view_get_n_batch_points (TlCurveView *self);
/* The text shown for the pointer at x (widget coordinates), or NULL off the data. */
char      *tl_curve_view_read_out       (TlCurveView *self, double x);

G_END_DECLS
