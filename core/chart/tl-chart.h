#pragma once

#include <cairo.h>
#include <glib.h>

#include "tl-trainer.h"

G_BEGIN_DECLS

/* Charts draw into any cairo_t (a GTK snapshot, an image, SVG or PDF surface)
 * at the origin, filling width x height user units. Hit tests take the same
 * width and height and return what the drawing shows at a point. */

#define TL_CHART_MAX_SERIES 16

typedef struct {
  gboolean dark;             /* colours for a dark background */
  gboolean transparent;      /* leave the background unpainted */
} TlChartStyle;

/* Colour i of the palette (it repeats after 8), as 0..1 components. */
void tl_chart_palette_color (int index, gboolean dark, double *r, double *g, double *b);

/* Line chart */

typedef enum {
  TL_LINE_SOLID,
  TL_LINE_DASHED,
  TL_LINE_DOTTED,
} TlLineStyle;

typedef enum {
  TL_MARKER_NONE,
  TL_MARKER_FILLED,
  TL_MARKER_HOLLOW,
} TlMarker;

typedef enum {
  TL_CHART_LOSS,
  TL_CHART_ACCURACY,
} TlChartQuantity;

typedef struct _TlLineChart TlLineChart;

/* What lies under a pointer: the x of the nearest point, and each series'
 * value there (series without a point near that x are left out). */
typedef struct {
  double x;
  int    n_values;
  int    series[TL_CHART_MAX_SERIES];
  double y[TL_CHART_MAX_SERIES];
} TlChartPick;

TlLineChart *tl_line_chart_new             (void);
void         tl_line_chart_free            (TlLineChart *chart);
void         tl_line_chart_set_style       (TlLineChart *chart, const TlChartStyle *style);
void         tl_line_chart_set_title       (TlLineChart *chart, const char *title);
void         tl_line_chart_set_axis_labels (TlLineChart *chart, const char *x_label, const char *y_label);
/* Logarithmic y axis; values <= 0 are not drawn. */
void         tl_line_chart_set_log_y       (TlLineChart *chart, gboolean log_y);
/* Tick labels as percentages (for accuracies in 0..1). */
void         tl_line_chart_set_y_percent   (TlLineChart *chart, gboolean percent);
/* The automatic y range never goes beyond [lo, hi]; NAN leaves a side open. */
void         tl_line_chart_set_y_limits    (TlLineChart *chart, double lo, double hi);
/* An x position to mark with a guide line and a read-out of the values; NAN for none. */
void         tl_line_chart_set_highlight   (TlLineChart *chart, double x);
/* Returns the new series' index, or -1 past TL_CHART_MAX_SERIES. */
int          tl_line_chart_add_series      (TlLineChart *chart, const char *label, int color_index,
                                            TlLineStyle line, TlMarker marker, double line_width);
void         tl_line_chart_append          (TlLineChart *chart, int series, double x, double y);
int          tl_line_chart_n_series        (const TlLineChart *chart);
int          tl_line_chart_n_points        (const TlLineChart *chart, int series);
/* Removes every series. */
void         tl_line_chart_clear           (TlLineChart *chart);
/* The smallest room between two neighbouring y tick labels at this size, in pixels:
 * negative when they overlap, G_MAXDOUBLE with fewer than two ticks. */
double       tl_line_chart_y_tick_room     (const TlLineChart *chart, double width, double height);
/* The x axis' tick values at this size, up to max of them; returns how many there are. */
int          tl_line_chart_x_ticks         (const TlLineChart *chart, double width, double height,
                                            double *ticks, int max);
/* Whether the y title is drawn upright, a character under the other (Chinese, Japanese). */
gboolean     tl_line_chart_y_label_upright (const TlLineChart *chart);
/* Adds the training (solid) and validation (dashed, hollow markers) curves of a
 * run per epoch, labelled "<run> train" / "<run> validation" (run may be NULL),
 * and sets the axis labels, the percent and the limits for the quantity. */
void         tl_line_chart_add_history     (TlLineChart *chart, const TlHistory *history,
                                            TlChartQuantity quantity, const char *run_label,
                                            int color_index);
void         tl_line_chart_draw            (TlLineChart *chart, cairo_t *cr, double width, double height);
/* Maps a pointer x to the nearest point; FALSE when the chart has no data. */
gboolean     tl_line_chart_pick            (TlLineChart *chart, double width, double height,
                                            double pointer_x, TlChartPick *pick);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlLineChart, tl_line_chart_free)

/* Confusion-matrix heat map: rows are true classes, columns predicted ones.
 * Cells are shaded by their share of the row; they show counts or, when
 * normalised, that share. */
typedef struct {
  int                n_classes;
  const char *const *class_names;    /* n_classes; NULL: "0", "1", ... */
  const int         *counts;         /* [n_classes * n_classes] */
  gboolean           normalised;
  const char        *title;          /* NULL: no title */
  TlChartStyle       style;
  gboolean           has_selection;  /* outline one cell */
  int                selected_row, selected_col;
} TlConfusionChart;

void     tl_confusion_chart_draw (const TlConfusionChart *chart, cairo_t *cr, double width, double height);
/* The cell at (x, y), FALSE outside the grid. */
gboolean tl_confusion_chart_hit  (const TlConfusionChart *chart, double width, double height,
                                  double x, double y, int *row, int *col);
/* The centre of a cell, for tests and keyboard focus. */
gboolean tl_confusion_chart_cell_center (const TlConfusionChart *chart, double width, double height,
                                         int row, int col, double *x, double *y);

/* Bar chart of counts per class, e.g. a data set's class balance, or of shares such as accuracies. */
typedef struct {
  int                n;
  const char *const *names;          /* n */
  const int         *counts;         /* n; or NULL with shares */
  const gboolean    *selected;       /* n or NULL; unselected bars are drawn grey */
  gboolean           vertical;       /* bars grow upwards; default: horizontal bars, names on the left */
  const char        *title;
  const char        *value_label;    /* axis label of the counts, e.g. "Samples" */
  TlChartStyle       style;
  const double      *shares;         /* n values in [0, 1] drawn as percentages, instead of counts */
} TlBarChart;

void tl_bar_chart_draw (const TlBarChart *chart, cairo_t *cr, double width, double height);

G_END_DECLS
