#define G_LOG_DOMAIN "tl-chart"

#include "config.h"

#include <glib/gi18n.h>

#include <math.h>
#include <string.h>

#include "tl-chart-private.h"

#define MAX_TICKS 32
#define PAD 12.0          /* outer margin */
#define INNER_X 10.0      /* room inside the plot so edge markers are whole */
#define LEGEND_SWATCH 26.0

typedef struct {
  char       *label;
  int         color;
  TlLineStyle line;
  TlMarker    marker;
  double      width;
  GArray     *points;    /* double pairs x, y */
} Series;

struct _TlLineChart {
  TlChartStyle style;
  char     *title;
  char     *x_label;
  char     *y_label;
  gboolean  log_y;
  gboolean  y_percent;
  double    y_lo_limit, y_hi_limit;
  double    highlight;
  GPtrArray *series;
};

typedef struct {
  gboolean empty;
  double px, py, pw, ph;
  double xmin, xmax;
  double ymin, ymax;          /* in log10 units when log_y */
  double xticks[MAX_TICKS], yticks[MAX_TICKS];
  int    n_xticks, n_yticks;
  double xstep, ystep;
  double title_h;
  double legend_y;
  int    n_legend_rows;
  double legend_x[TL_CHART_MAX_SERIES];
  int    legend_row[TL_CHART_MAX_SERIES];
  double legend_row_h;
} Layout;

static void
series_free (gpointer data)
{
  Series *s = data;

  g_free (s->label);
  g_array_unref (s->points);
  g_free (s);
}

TlLineChart *
tl_line_chart_new (void)
{
  TlLineChart *chart = g_new0 (TlLineChart, 1);

  chart->series = g_ptr_array_new_with_free_func (series_free);
  chart->y_lo_limit = NAN;
  chart->y_hi_limit = NAN;
  chart->highlight = NAN;
  return chart;
}

void
tl_line_chart_free (TlLineChart *chart)
{
  if (chart == NULL)
    return;
  g_ptr_array_unref (chart->series);
  g_free (chart->title);
  g_free (chart->x_label);
  g_free (chart->y_label);
  g_free (chart);
}

void
tl_line_chart_set_style (TlLineChart *chart, const TlChartStyle *style)
{
  g_return_if_fail (chart != NULL && style != NULL);
  chart->style = *style;
}

void
tl_line_chart_set_title (TlLineChart *chart, const char *title)
{
  g_return_if_fail (chart != NULL);
  g_free (chart->title);
  chart->title = g_strdup (title);
}

void
tl_line_chart_set_axis_labels (TlLineChart *chart, const char *x_label, const char *y_label)
{
  g_return_if_fail (chart != NULL);
  g_free (chart->x_label);
  g_free (chart->y_label);
  chart->x_label = g_strdup (x_label);
  chart->y_label = g_strdup (y_label);
}

void
tl_line_chart_set_log_y (TlLineChart *chart, gboolean log_y)
{
  g_return_if_fail (chart != NULL);
  chart->log_y = log_y;
}

void
tl_line_chart_set_y_percent (TlLineChart *chart, gboolean percent)
{
  g_return_if_fail (chart != NULL);
  chart->y_percent = percent;
}

void
tl_line_chart_set_y_limits (TlLineChart *chart, double lo, double hi)
{
  g_return_if_fail (chart != NULL);
  chart->y_lo_limit = lo;
  chart->y_hi_limit = hi;
}

void
tl_line_chart_set_highlight (TlLineChart *chart, double x)
{
  g_return_if_fail (chart != NULL);
  chart->highlight = x;
}

int
tl_line_chart_add_series (TlLineChart *chart, const char *label, int color_index, TlLineStyle line,
                          TlMarker marker, double line_width)
{
  Series *s;

  g_return_val_if_fail (chart != NULL, -1);
  if (chart->series->len >= TL_CHART_MAX_SERIES)
    return -1;
  s = g_new0 (Series, 1);
  s->label = g_strdup (label ? label : "");
  s->color = color_index;
  s->line = line;
  s->marker = marker;
  s->width = line_width > 0 ? line_width : 2.0;
  s->points = g_array_new (FALSE, FALSE, sizeof (double) * 2);
  g_ptr_array_add (chart->series, s);
  return (int) chart->series->len - 1;
}

void
tl_line_chart_append (TlLineChart *chart, int series, double x, double y)
{
  double p[2] = { x, y };

  g_return_if_fail (chart != NULL);
  g_return_if_fail (series >= 0 && (guint) series < chart->series->len);
  g_array_append_vals (((Series *) chart->series->pdata[series])->points, p, 1);
}

int
tl_line_chart_n_series (const TlLineChart *chart)
{
  g_return_val_if_fail (chart != NULL, 0);
  return (int) chart->series->len;
}

int
tl_line_chart_n_points (const TlLineChart *chart, int series)
{
  g_return_val_if_fail (chart != NULL, 0);
  g_return_val_if_fail (series >= 0 && (guint) series < chart->series->len, 0);
  return (int) ((Series *) chart->series->pdata[series])->points->len;
}

void
tl_line_chart_clear (TlLineChart *chart)
{
  g_return_if_fail (chart != NULL);
  g_ptr_array_set_size (chart->series, 0);
  chart->highlight = NAN;
}

void
tl_line_chart_add_history (TlLineChart *chart, const TlHistory *history, TlChartQuantity quantity,
                           const char *run_label, int color_index)
{
  g_autofree char *train_label = NULL, *val_label = NULL;
  gboolean has_val = FALSE;
  int tr, va = -1;

  g_return_if_fail (chart != NULL && history != NULL);

  for (guint i = 0; i < history->epochs->len; i++)
    {
      const TlEpochRecord *r = &g_array_index (history->epochs, TlEpochRecord, i);

      if (isfinite (quantity == TL_CHART_LOSS ? r->val_loss : r->val_accuracy))
        has_val = TRUE;
    }
  train_label = run_label ? g_strdup_printf (C_("chart legend", "%s train"), run_label) : g_strdup (C_("chart legend", "Train"));
  val_label = run_label ? g_strdup_printf (C_("chart legend", "%s validation"), run_label) : g_strdup (C_("chart legend", "Validation"));
  tr = tl_line_chart_add_series (chart, train_label, color_index, TL_LINE_SOLID, TL_MARKER_FILLED, 2.0);
  if (has_val)
    va = tl_line_chart_add_series (chart, val_label, color_index, TL_LINE_DASHED, TL_MARKER_HOLLOW, 2.0);
  for (guint i = 0; i < history->epochs->len; i++)
    {
      const TlEpochRecord *r = &g_array_index (history->epochs, TlEpochRecord, i);
      gboolean loss = quantity == TL_CHART_LOSS;

      if (tr >= 0)
        tl_line_chart_append (chart, tr, r->epoch, loss ? r->train_loss : r->train_accuracy);
      if (va >= 0)
        tl_line_chart_append (chart, va, r->epoch, loss ? r->val_loss : r->val_accuracy);
    }
  if (quantity == TL_CHART_LOSS)
    tl_line_chart_set_axis_labels (chart, _("Epoch"), _("Loss"));
  else
    {
      tl_line_chart_set_axis_labels (chart, _("Epoch"), _("Accuracy"));
      tl_line_chart_set_y_percent (chart, TRUE);
      tl_line_chart_set_y_limits (chart, 0, 1);
    }
}

static gboolean
point_usable (const TlLineChart *chart, double x, double y)
{
  return isfinite (x) && isfinite (y) && (!chart->log_y || y > 0);
}

static double
y_transform (const TlLineChart *chart, double y)
{
  return chart->log_y ? log10 (y) : y;
}

/* Powers of ten with 1-2-5 or 1..9 steps between them, as dense as needed to get 3 ticks. */
static int
log_ticks (double llo, double lhi, double *ticks, int max)
{
  static const double sets[3][10] = { { 1, 0 }, { 1, 2, 5, 0 }, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 } };
  int n = 0;

  for (int s = 0; s < 3; s++)
    {
      n = 0;
      for (int k = (int) floor (llo) - 1; k <= (int) ceil (lhi) && n < max; k++)
        for (int m = 0; sets[s][m] != 0 && n < max; m++)
          {
            double v = log10 (sets[s][m]) + k;

            if (v >= llo - 1e-9 && v <= lhi + 1e-9)
              ticks[n++] = v;
          }
      if (n >= 3)
        return n;
    }
  return n;
}

/* Log ticks from the bottom up, each at least a label and a half above the last kept, so
 * that 1..9 steps over a short plot do not overlap: the lowest and a power of ten stay. */
static void
thin_log_ticks (Layout *L)
{
  double tick_h, min_gap;
  int kept = 0;

  if (L->n_yticks < 2 || L->ph <= 0 || L->ymax <= L->ymin)
    return;
  tl_chart_text_size ("0", TL_CHART_FONT_TICK, FALSE, NULL, &tick_h);
  min_gap = 1.5 * tick_h / L->ph * (L->ymax - L->ymin);
  for (int t = 0; t < L->n_yticks; t++)
    {
      double v = L->yticks[t];
      gboolean decade = fabs (v - round (v)) < 1e-9;

      if (kept > 0 && v - L->yticks[kept - 1] < min_gap)
        {
          /* a power of ten takes the place of the tick just below it */
          if (decade && (kept < 2 || v - L->yticks[kept - 2] >= min_gap))
            L->yticks[kept - 1] = v;
          continue;
        }
      L->yticks[kept++] = v;
    }
  L->n_yticks = kept;
}

/* The bounds of the usable points; FALSE when there are none. */
static gboolean
data_bounds (const TlLineChart *chart, double *xlo, double *xhi, double *ylo, double *yhi, gboolean *integer_x)
{
  *xlo = *ylo = INFINITY;
  *xhi = *yhi = -INFINITY;
  *integer_x = TRUE;
  for (guint i = 0; i < chart->series->len; i++)
    {
      Series *s = chart->series->pdata[i];

      for (guint j = 0; j < s->points->len; j++)
        {
          double *p = &g_array_index (s->points, double, 2 * j);

          if (!point_usable (chart, p[0], p[1]))
            continue;
          *xlo = MIN (*xlo, p[0]);
          *xhi = MAX (*xhi, p[0]);
          *ylo = MIN (*ylo, p[1]);
          *yhi = MAX (*yhi, p[1]);
          if (p[0] != floor (p[0]))
            *integer_x = FALSE;
        }
    }
  return isfinite (*xlo);
}

/* The axes' ranges: y padded (to whole ticks on a linear axis) and limited, x widened when flat. */
static void
set_ranges (const TlLineChart *chart, double xlo, double xhi, double ylo, double yhi, Layout *L)
{
  if (chart->log_y)
    {
      ylo = log10 (ylo);
      yhi = log10 (yhi);
      if (yhi - ylo < 1e-6)
        ylo -= 0.5, yhi += 0.5;
      else
        {
          double pad = (yhi - ylo) * 0.06;
          ylo -= pad;
          yhi += pad;
        }
    }
  else
    {
      double step;

      if (yhi - ylo < 1e-12)
        {
          double pad = fabs (ylo) > 0 ? fabs (ylo) * 0.1 : 0.5;
          ylo -= pad;
          yhi += pad;
        }
      tl_chart_nice_ticks (ylo, yhi, 5, L->yticks, MAX_TICKS, &step);
      ylo = floor (ylo / step + 1e-9) * step;
      yhi = ceil (yhi / step - 1e-9) * step;
      if (isfinite (chart->y_lo_limit))
        ylo = MAX (ylo, chart->y_lo_limit);
      if (isfinite (chart->y_hi_limit))
        yhi = MIN (yhi, chart->y_hi_limit);
      if (yhi <= ylo)
        yhi = ylo + step;
    }
  L->ymin = ylo;
  L->ymax = yhi;

  if (xhi - xlo < 1e-12)
    xlo -= 1, xhi += 1;
  L->xmin = xlo;
  L->xmax = xhi;
}

/* Legend entries in rows as wide as the chart, each row centred; unlabelled series get none. */
static void
place_legend (const TlLineChart *chart, double width, double label_h, Layout *L)
{
  double x = PAD, avail = width - 2 * PAD;
  int row = 0;

  L->legend_y = L->py;
  L->legend_row_h = label_h + 4;
  for (guint i = 0; i < chart->series->len; i++)
    {
      Series *s = chart->series->pdata[i];
      double w;

      if (*s->label == '\0')
        {
          L->legend_row[i] = -1;
          continue;
        }
      tl_chart_text_size (s->label, TL_CHART_FONT_LABEL, FALSE, &w, NULL);
      w += LEGEND_SWATCH + 6 + 18;
      if (x > PAD && x + w > PAD + avail)
        {
          row++;
          x = PAD;
        }
      L->legend_x[i] = x;
      L->legend_row[i] = row;
      L->n_legend_rows = row + 1;
      x += w;
    }
  for (int r = 0; r < L->n_legend_rows; r++)
    {
      double right = PAD;
      guint last = 0;

      for (guint i = 0; i < chart->series->len; i++)
        if (L->legend_row[i] == r)
          last = i;
      tl_chart_text_size (((Series *) chart->series->pdata[last])->label, TL_CHART_FONT_LABEL, FALSE,
                          &right, NULL);
      right += L->legend_x[last] + LEGEND_SWATCH + 6;
      for (guint i = 0; i < chart->series->len; i++)
        if (L->legend_row[i] == r)
          L->legend_x[i] += floor ((width - PAD - right) / 2 - PAD / 2);
    }
}

/* Ticks on both axes, as many as the plot's size allows; the widest y tick sets the plot's left edge. */
static void
place_ticks (const TlLineChart *chart, double width, double label_h, gboolean integer_x, Layout *L)
{
  double tick_w = 0;

  if (chart->log_y)
    {
      L->n_yticks = log_ticks (L->ymin, L->ymax, L->yticks, MAX_TICKS);
      thin_log_ticks (L);
    }
  else
    L->n_yticks = tl_chart_nice_ticks (L->ymin, L->ymax, CLAMP ((int) (L->ph / 55), 2, 10),
                                       L->yticks, MAX_TICKS, &L->ystep);
  for (int t = 0; t < L->n_yticks; t++)
    {
      g_autofree char *s = chart->log_y ? g_strdup_printf ("%.3g", pow (10, L->yticks[t]))
                                        : tl_chart_format_tick (L->yticks[t], L->ystep, chart->y_percent);
      double w;

      tl_chart_text_size (s, TL_CHART_FONT_TICK, FALSE, &w, NULL);
      tick_w = MAX (tick_w, w);
    }

  L->px = PAD + (chart->y_label ? label_h + 8 : 0) + tick_w + 8;
  L->pw = width - L->px - PAD - 6;

  L->n_xticks = tl_chart_nice_ticks (L->xmin, L->xmax, CLAMP ((int) (L->pw / 80), 2, 12),
                                     L->xticks, MAX_TICKS, &L->xstep);
  /* epochs are whole: no tick at 2.5 */
  if (integer_x && L->xstep != floor (L->xstep))
    {
      const double step = MAX (1.0, floor (L->xstep));

      L->n_xticks = 0;
      for (double v = ceil (L->xmin / step) * step; v <= L->xmax + 1e-9 && L->n_xticks < MAX_TICKS; v += step)
        L->xticks[L->n_xticks++] = v;
      L->xstep = step;
    }
}

static void
compute_layout (const TlLineChart *chart, double width, double height, Layout *L)
{
  double xlo, xhi, ylo, yhi, tick_h, label_h;
  gboolean integer_x;

  memset (L, 0, sizeof *L);
  L->empty = !data_bounds (chart, &xlo, &xhi, &ylo, &yhi, &integer_x);
  if (L->empty)
    {
      xlo = 1;
      xhi = 10;
      ylo = chart->log_y ? 0.1 : 0;
      yhi = 1;
    }
  set_ranges (chart, xlo, xhi, ylo, yhi, L);

  /* vertical space: title, legend, plot, ticks, x label */
  tl_chart_text_size ("0", TL_CHART_FONT_TICK, FALSE, NULL, &tick_h);
  tl_chart_text_size ("Ag", TL_CHART_FONT_LABEL, FALSE, NULL, &label_h);
  L->py = PAD;
  if (chart->title && *chart->title)
    {
      tl_chart_text_size (chart->title, TL_CHART_FONT_TITLE, TRUE, NULL, &L->title_h);
      L->py += L->title_h + 6;
    }
  place_legend (chart, width, label_h, L);
  L->py += L->n_legend_rows * L->legend_row_h + (L->n_legend_rows > 0 ? 8 : 4);
  L->ph = height - L->py - PAD - tick_h - 6 - (chart->x_label ? label_h + 6 : 0);
  place_ticks (chart, width, label_h, integer_x, L);
}

static double
map_x (const Layout *L, double x)
{
  return L->px + INNER_X + (x - L->xmin) / (L->xmax - L->xmin) * (L->pw - 2 * INNER_X);
}

static double
map_y (const Layout *L, double ty)
{
  return L->py + L->ph - (ty - L->ymin) / (L->ymax - L->ymin) * L->ph;
}

static void
set_line_style (cairo_t *cr, const Series *s)
{
  static const double dashed[] = { 7, 4 };
  static const double dotted[] = { 1, 4 };

  cairo_set_line_width (cr, s->width);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, s->line == TL_LINE_DOTTED ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT);
  if (s->line == TL_LINE_DASHED)
    cairo_set_dash (cr, dashed, 2, 0);
  else if (s->line == TL_LINE_DOTTED)
    cairo_set_dash (cr, dotted, 2, 0);
  else
    cairo_set_dash (cr, NULL, 0, 0);
}

static void
draw_marker (cairo_t *cr, const TlChartTheme *theme, const TlChartColor *c, TlMarker marker,
             double x, double y, double r)
{
  cairo_set_dash (cr, NULL, 0, 0);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, r, 0, 2 * G_PI);
  if (marker == TL_MARKER_HOLLOW)
    {
      tl_chart_set_color (cr, &theme->background, 1.0);
      cairo_fill_preserve (cr);
      tl_chart_set_color (cr, c, 1.0);
      cairo_set_line_width (cr, 1.6);
      cairo_stroke (cr);
    }
  else
    {
      tl_chart_set_color (cr, c, 1.0);
      cairo_fill (cr);
    }
}

/* A negative colour index is the neutral text colour (legend keys such as "dashed: validation"). */
static TlChartColor
series_color (const TlLineChart *chart, const Series *s)
{
  if (s->color < 0)
    return tl_chart_theme (&chart->style)->muted;
  return tl_chart_palette (s->color, chart->style.dark);
}

/* Whether every drawn point of a lies, to a pixel, on a point of b at the same x: b, drawn later,
 * would hide a entirely (a joint run under the self-training run that starts from it). Both
 * walk their x in order; a series whose x goes back is never taken as hidden. */
static gboolean
hidden_under (const TlLineChart *chart, const Layout *L, const Series *a, const Series *b)
{
  guint j = 0;
  int n_checked = 0;

  for (guint i = 0; i < a->points->len; i++)
    {
      const double *p = &g_array_index (a->points, double, 2 * i);
      const double *q = NULL;

      if (!point_usable (chart, p[0], p[1]))
        continue;
      if (i > 0 && p[0] < g_array_index (a->points, double, 2 * (i - 1)))
        return FALSE;
      while (j < b->points->len && g_array_index (b->points, double, 2 * j) < p[0])
        j++;
      if (j < b->points->len)
        q = &g_array_index (b->points, double, 2 * j);
      if (q == NULL || q[0] != p[0] || !point_usable (chart, q[0], q[1])
          || fabs (map_y (L, y_transform (chart, p[1])) - map_y (L, y_transform (chart, q[1]))) > 1.0)
        return FALSE;
      n_checked++;
    }
  return n_checked > 0;
}

/* A hidden series is drawn wider, once per series over it, so its colour rings the one on top. */
static int
hidden_depth (const TlLineChart *chart, const Layout *L, guint index)
{
  const Series *s = chart->series->pdata[index];
  int depth = 0;

  for (guint k = index + 1; k < chart->series->len; k++)
    {
      const Series *over = chart->series->pdata[k];

      if ((over->marker == TL_MARKER_NONE) == (s->marker == TL_MARKER_NONE)
          && hidden_under (chart, L, s, over))
        depth++;
    }
  return depth;
}

static void
draw_series (const TlLineChart *chart, cairo_t *cr, const Layout *L, const Series *s, int depth)
{
  const TlChartTheme *theme = tl_chart_theme (&chart->style);
  TlChartColor c = series_color (chart, s);
  gboolean pen_down = FALSE;
  int n_drawn = 0;
  Series widened = *s;

  widened.width = s->width + 3.0 * depth;
  set_line_style (cr, &widened);
  tl_chart_set_color (cr, &c, s->marker == TL_MARKER_NONE && s->width < 1.5 ? 0.55 : 1.0);
  for (guint j = 0; j < s->points->len; j++)
    {
      double *p = &g_array_index (s->points, double, 2 * j);

      if (!point_usable (chart, p[0], p[1]))
        {
          pen_down = FALSE;
          continue;
        }
      if (pen_down)
        cairo_line_to (cr, map_x (L, p[0]), map_y (L, y_transform (chart, p[1])));
      else
        cairo_move_to (cr, map_x (L, p[0]), map_y (L, y_transform (chart, p[1])));
      pen_down = TRUE;
      n_drawn++;
    }
  cairo_stroke (cr);

  if (s->marker == TL_MARKER_NONE && n_drawn != 1)
    return;
  /* Markers get sparse when an axis holds hundreds of points. */
  if (s->points->len > L->pw / 6)
    return;
  for (guint j = 0; j < s->points->len; j++)
    {
      double *p = &g_array_index (s->points, double, 2 * j);

      if (point_usable (chart, p[0], p[1]))
        draw_marker (cr, theme, &c, s->marker == TL_MARKER_NONE ? TL_MARKER_FILLED : s->marker,
                     map_x (L, p[0]), map_y (L, y_transform (chart, p[1])), 3.2 + 2.2 * depth);
    }
}

static void
draw_legend (const TlLineChart *chart, cairo_t *cr, const Layout *L)
{
  const TlChartTheme *theme = tl_chart_theme (&chart->style);

  for (guint i = 0; i < chart->series->len; i++)
    {
      const Series *s = chart->series->pdata[i];
      TlChartColor c = series_color (chart, s);
      double x = L->legend_x[i], y = L->legend_y + L->legend_row[i] * L->legend_row_h + L->legend_row_h / 2;

      if (L->legend_row[i] < 0)
        continue;
      set_line_style (cr, s);
      tl_chart_set_color (cr, &c, 1.0);
      cairo_move_to (cr, x, y);
      cairo_line_to (cr, x + LEGEND_SWATCH, y);
      cairo_stroke (cr);
      if (s->marker != TL_MARKER_NONE)
        draw_marker (cr, theme, &c, s->marker, x + LEGEND_SWATCH / 2, y, 3.2);
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, s->label, TL_CHART_FONT_LABEL, FALSE, x + LEGEND_SWATCH + 6, y, 0, 0.5, 0, 0);
    }
}

static char *
format_value (const TlLineChart *chart, double y)
{
  if (chart->y_percent)
    return g_strdup_printf ("%.2f%%", y * 100);
  return g_strdup_printf ("%.4g", y);
}

static void
draw_readout (TlLineChart *chart, cairo_t *cr, const Layout *L)
{
  const TlChartTheme *theme = tl_chart_theme (&chart->style);
  TlChartPick pick;
  g_autofree char *header = NULL;
  double gx, row_h, box_w, box_h, bx, by, w;

  if (!tl_line_chart_pick (chart, 0, 0, NAN, &pick))
    return;
  gx = map_x (L, pick.x);
  if (gx < L->px - 1 || gx > L->px + L->pw + 1)
    return;

  cairo_save (cr);
  tl_chart_set_color (cr, &theme->axis, 0.9);
  cairo_set_line_width (cr, 1);
  cairo_set_dash (cr, (double[]) { 3, 3 }, 2, 0);
  cairo_move_to (cr, round (gx) + 0.5, L->py);
  cairo_line_to (cr, round (gx) + 0.5, L->py + L->ph);
  cairo_stroke (cr);

  for (int i = 0; i < pick.n_values; i++)
    {
      const Series *s = chart->series->pdata[pick.series[i]];
      TlChartColor c = series_color (chart, s);

      if (point_usable (chart, pick.x, pick.y[i]))
        draw_marker (cr, theme, &c, TL_MARKER_FILLED, gx, map_y (L, y_transform (chart, pick.y[i])), 4.5);
    }

  header = g_strdup_printf ("%s %g", chart->x_label ? chart->x_label : "x", pick.x);
  tl_chart_text_size (header, TL_CHART_FONT_LABEL, TRUE, &box_w, &row_h);
  row_h += 3;
  for (int i = 0; i < pick.n_values; i++)
    {
      const Series *s = chart->series->pdata[pick.series[i]];
      g_autofree char *line = NULL, *value = format_value (chart, pick.y[i]);

      line = g_strdup_printf ("%s  %s", s->label, value);
      tl_chart_text_size (line, TL_CHART_FONT_SMALL, FALSE, &w, NULL);
      box_w = MAX (box_w, w + 18);
    }
  box_w += 16;
  box_h = row_h * (pick.n_values + 1) + 10;
  bx = gx + 10;
  if (bx + box_w > L->px + L->pw)
    bx = gx - 10 - box_w;
  bx = MAX (bx, L->px + 2);
  by = L->py + 6;

  cairo_set_dash (cr, NULL, 0, 0);
  cairo_new_sub_path (cr);
  cairo_arc (cr, bx + box_w - 5, by + 5, 5, -G_PI / 2, 0);
  cairo_arc (cr, bx + box_w - 5, by + box_h - 5, 5, 0, G_PI / 2);
  cairo_arc (cr, bx + 5, by + box_h - 5, 5, G_PI / 2, G_PI);
  cairo_arc (cr, bx + 5, by + 5, 5, G_PI, 1.5 * G_PI);
  cairo_close_path (cr);
  tl_chart_set_color (cr, &theme->background, 0.94);
  cairo_fill_preserve (cr);
  tl_chart_set_color (cr, &theme->axis, 0.8);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);

  tl_chart_set_color (cr, &theme->text, 1.0);
  tl_chart_draw_text (cr, header, TL_CHART_FONT_LABEL, TRUE, bx + 8, by + 5, 0, 0, 0, 0);
  for (int i = 0; i < pick.n_values; i++)
    {
      const Series *s = chart->series->pdata[pick.series[i]];
      TlChartColor c = series_color (chart, s);
      g_autofree char *line = NULL, *value = format_value (chart, pick.y[i]);
      double y = by + 5 + row_h * (i + 1);

      set_line_style (cr, s);
      cairo_set_line_width (cr, 2.5);
      tl_chart_set_color (cr, &c, 1.0);
      cairo_move_to (cr, bx + 7, y + row_h / 2);
      cairo_line_to (cr, bx + 19, y + row_h / 2);
      cairo_stroke (cr);
      line = g_strdup_printf ("%s  %s", s->label, value);
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, line, TL_CHART_FONT_SMALL, FALSE, bx + 24, y + row_h / 2, 0, 0.5, 0, 0);
    }
  cairo_restore (cr);
}

gboolean
tl_line_chart_y_label_upright (const TlLineChart *chart)
{
  g_return_val_if_fail (chart != NULL, FALSE);

  if (chart->y_label == NULL)
    return FALSE;
  for (const char *c = chart->y_label; *c != '\0'; c = g_utf8_next_char (c))
    if (g_unichar_iswide (g_utf8_get_char (c)))
      return TRUE;
  return FALSE;
}

/* Chinese and Japanese read upright: one character under the other, centred on (x
 * + half a character, y); the characters that do not fit in max_height are left out. */
static void
draw_upright_label (cairo_t *cr, const char *text, double x, double y, double max_height)
{
  glong n = g_utf8_strlen (text, -1);
  double char_w = 0, char_h = 0, top;
  glong fit;
  const char *c = text;

  tl_chart_text_size ("\u56fe", TL_CHART_FONT_LABEL, FALSE, &char_w, &char_h);
  fit = MIN (n, (glong) floor (max_height / MAX (char_h, 1)));
  top = y - fit * char_h / 2;
  for (glong i = 0; i < fit; i++, c = g_utf8_next_char (c))
    {
      char one[8] = { 0 };

      g_unichar_to_utf8 (g_utf8_get_char (c), one);
      tl_chart_draw_text (cr, one, TL_CHART_FONT_LABEL, FALSE, x + char_w / 2, top + i * char_h, 0.5, 0, 0, 0);
    }
}

int
tl_line_chart_x_ticks (const TlLineChart *chart, double width, double height, double *ticks, int max)
{
  Layout L;

  g_return_val_if_fail (chart != NULL, 0);

  compute_layout (chart, width, height, &L);
  for (int i = 0; i < MIN (max, L.n_xticks); i++)
    ticks[i] = L.xticks[i];
  return L.n_xticks;
}

double
tl_line_chart_y_tick_room (const TlLineChart *chart, double width, double height)
{
  Layout L;
  double tick_h, room = G_MAXDOUBLE;

  g_return_val_if_fail (chart != NULL, 0);

  compute_layout (chart, width, height, &L);
  tl_chart_text_size ("0", TL_CHART_FONT_TICK, FALSE, NULL, &tick_h);
  for (int t = 1; t < L.n_yticks; t++)
    room = MIN (room, fabs (map_y (&L, L.yticks[t]) - map_y (&L, L.yticks[t - 1])) - tick_h);
  return room;
}

void
tl_line_chart_draw (TlLineChart *chart, cairo_t *cr, double width, double height)
{
  const TlChartTheme *theme;
  Layout L;

  g_return_if_fail (chart != NULL && cr != NULL);

  theme = tl_chart_theme (&chart->style);
  compute_layout (chart, width, height, &L);
  cairo_save (cr);
  tl_chart_paint_background (cr, &chart->style, width, height);
  if (L.pw < 20 || L.ph < 20)
    goto out;

  if (chart->title && *chart->title)
    {
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, chart->title, TL_CHART_FONT_TITLE, TRUE, width / 2, PAD, 0.5, 0, 0,
                          width - 2 * PAD);
    }
  draw_legend (chart, cr, &L);

  cairo_set_line_width (cr, 1);
  for (int t = 0; t < L.n_yticks; t++)
    {
      double y = round (map_y (&L, L.yticks[t])) + 0.5;
      g_autofree char *s = chart->log_y ? g_strdup_printf ("%.3g", pow (10, L.yticks[t]))
                                        : tl_chart_format_tick (L.yticks[t], L.ystep, chart->y_percent);

      tl_chart_set_color (cr, &theme->grid, 1.0);
      cairo_move_to (cr, L.px, y);
      cairo_line_to (cr, L.px + L.pw, y);
      cairo_stroke (cr);
      tl_chart_set_color (cr, &theme->muted, 1.0);
      tl_chart_draw_text (cr, s, TL_CHART_FONT_TICK, FALSE, L.px - 7, y, 1, 0.5, 0, 0);
    }
  for (int t = 0; t < L.n_xticks; t++)
    {
      double x = round (map_x (&L, L.xticks[t])) + 0.5;
      g_autofree char *s = tl_chart_format_tick (L.xticks[t], L.xstep, FALSE);

      tl_chart_set_color (cr, &theme->axis, 1.0);
      cairo_move_to (cr, x, L.py + L.ph);
      cairo_line_to (cr, x, L.py + L.ph + 4);
      cairo_stroke (cr);
      tl_chart_set_color (cr, &theme->muted, 1.0);
      tl_chart_draw_text (cr, s, TL_CHART_FONT_TICK, FALSE, x, L.py + L.ph + 6, 0.5, 0, 0, 0);
    }
  tl_chart_set_color (cr, &theme->axis, 1.0);
  cairo_move_to (cr, round (L.px) + 0.5, L.py);
  cairo_line_to (cr, round (L.px) + 0.5, round (L.py + L.ph) + 0.5);
  cairo_line_to (cr, L.px + L.pw, round (L.py + L.ph) + 0.5);
  cairo_stroke (cr);

  if (chart->x_label)
    {
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, chart->x_label, TL_CHART_FONT_LABEL, FALSE, L.px + L.pw / 2,
                          height - PAD, 0.5, 1, 0, L.pw);
    }
  if (chart->y_label && tl_line_chart_y_label_upright (chart))
    {
      tl_chart_set_color (cr, &theme->text, 1.0);
      draw_upright_label (cr, chart->y_label, PAD, L.py + L.ph / 2, L.ph);
    }
  else if (chart->y_label)
    {
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, chart->y_label, TL_CHART_FONT_LABEL, FALSE, PAD, L.py + L.ph / 2,
                          0.5, 0, -G_PI / 2, L.ph);
    }

  if (L.empty)
    {
      tl_chart_set_color (cr, &theme->muted, 1.0);
      tl_chart_draw_text (cr, _("No data yet"), TL_CHART_FONT_LABEL, FALSE, L.px + L.pw / 2,
                          L.py + L.ph / 2, 0.5, 0.5, 0, 0);
      goto out;
    }

  cairo_save (cr);
  cairo_rectangle (cr, L.px + 1, L.py - 5, L.pw + 5, L.ph + 5);
  cairo_clip (cr);
  /* Thin lines (per-batch curves) first, so epoch curves stay on top. */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < chart->series->len; i++)
      {
        const Series *s = chart->series->pdata[i];

        if ((s->marker == TL_MARKER_NONE) == (pass == 0))
          draw_series (chart, cr, &L, s, hidden_depth (chart, &L, i));
      }
  cairo_restore (cr);

  if (isfinite (chart->highlight))
    draw_readout (chart, cr, &L);
out:
  cairo_restore (cr);
}

/* With width 0 the pick uses chart->highlight as the x in data units. */
gboolean
tl_line_chart_pick (TlLineChart *chart, double width, double height, double pointer_x,
                    TlChartPick *pick)
{
  gboolean any_markers = FALSE;
  double best_d = INFINITY, best_x = NAN;
  Layout L;

  g_return_val_if_fail (chart != NULL && pick != NULL, FALSE);

  memset (pick, 0, sizeof *pick);
  if (width > 0)
    {
      compute_layout (chart, width, height, &L);
      if (L.empty)
        return FALSE;
    }
  for (guint i = 0; i < chart->series->len; i++)
    if (((Series *) chart->series->pdata[i])->marker != TL_MARKER_NONE)
      any_markers = TRUE;

  for (guint i = 0; i < chart->series->len; i++)
    {
      const Series *s = chart->series->pdata[i];

      if (any_markers && s->marker == TL_MARKER_NONE)
        continue;
      for (guint j = 0; j < s->points->len; j++)
        {
          double *p = &g_array_index (s->points, double, 2 * j);
          double d;

          if (!point_usable (chart, p[0], p[1]))
            continue;
          d = width > 0 ? fabs (map_x (&L, p[0]) - pointer_x) : fabs (p[0] - chart->highlight);
          if (d < best_d)
            {
              best_d = d;
              best_x = p[0];
            }
        }
    }
  if (!isfinite (best_x))
    return FALSE;

  pick->x = best_x;
  for (guint i = 0; i < chart->series->len; i++)
    {
      const Series *s = chart->series->pdata[i];
      double first = NAN, last = NAN, tol, bd = INFINITY, by = NAN;
      int n_usable = 0;

      for (guint j = 0; j < s->points->len; j++)
        {
          double *p = &g_array_index (s->points, double, 2 * j);

          if (!point_usable (chart, p[0], p[1]))
            continue;
          if (n_usable++ == 0)
            first = p[0];
          last = p[0];
          if (fabs (p[0] - best_x) < bd)
            {
              bd = fabs (p[0] - best_x);
              by = p[1];
            }
        }
      if (n_usable == 0)
        continue;
      /* Half the series' mean spacing: a point of this series "at" the picked x. */
      tol = n_usable > 1 ? fabs (last - first) / (n_usable - 1) / 2 : 1e-9;
      if (bd <= tol + 1e-9)
        {
          pick->series[pick->n_values] = (int) i;
          pick->y[pick->n_values] = by;
          pick->n_values++;
        }
    }
  return TRUE;
}
