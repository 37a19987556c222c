#pragma once

#include <pango/pangocairo.h>

#include "tl-chart.h"

G_BEGIN_DECLS

/* Font sizes in user units (pixels on screen, points in PDF and SVG). */
#define TL_CHART_FONT_TITLE 15.0
#define TL_CHART_FONT_LABEL 12.5
#define TL_CHART_FONT_TICK  11.0
#define TL_CHART_FONT_SMALL 10.0

typedef struct {
  double r, g, b;
} TlChartColor;

typedef struct {
  TlChartColor background;
  TlChartColor text;
  TlChartColor muted;        /* tick labels, secondary text */
  TlChartColor grid;
  TlChartColor axis;
  TlChartColor inactive;     /* unselected bars */
} TlChartTheme;

const TlChartTheme *tl_chart_theme            (const TlChartStyle *style);
void                tl_chart_set_color        (cairo_t *cr, const TlChartColor *color, double alpha);
TlChartColor        tl_chart_palette          (int index, gboolean dark);
void                tl_chart_paint_background (cairo_t *cr, const TlChartStyle *style, double w, double h);

/* A pixel's colour from its value's level (0..1) and its index in the values. */
typedef guint32 (*TlBandCellColour) (double level, gsize at, gpointer data);
/* Paints each band x frame value as one cell of the rectangle (x, y, w, h), the lowest band at
 * the bottom; the levels run from the values' lowest (or their highest minus range, when
 * range > 0) to their highest. */
void tl_chart_paint_band_cells (cairo_t *cr, double x, double y, double w, double h, const float *values,
                                int bands, int frames, double range, TlBandCellColour colour, gpointer data);

/* Size of a text as the charts measure it for their layout. */
void tl_chart_text_size (const char *text, double font_px, gboolean bold, double *w, double *h);
/* Draws text with its box anchored at (x, y): ax, ay = 0 left/top, 0.5 centre,
 * 1 right/bottom of the box, after rotating by angle (radians) around the anchor.
 * max_width > 0 ellipsizes longer text. */
void tl_chart_draw_text (cairo_t *cr, const char *text, double font_px, gboolean bold,
                         double x, double y, double ax, double ay, double angle, double max_width);

/* A bold title at the top left and a muted caption at the top right, `margin` in
 * from the edges (either may be NULL). */
void tl_chart_draw_corner_texts (cairo_t *cr, const TlChartStyle *style, const char *title, const char *caption,
                                 double margin, double width);

/* Up to max "nice" ticks (1, 2, 5 x 10^k steps) covering [lo, hi]; returns the count. */
int   tl_chart_nice_ticks  (double lo, double hi, int target, double *ticks, int max, double *step);
char *tl_chart_format_tick (double value, double step, gboolean percent);

G_END_DECLS
