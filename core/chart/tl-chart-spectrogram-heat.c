#define G_LOG_DOMAIN "tl-chart"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "tl-chart-private.h"
#include "tl-chart-spectrogram-heat.h"

#define MARGIN   6.0
#define TITLE_H  20.0
#define BAR_W    10.0
#define TICK_LEN 3.0

static guint8
to_byte (double v)
{
  return (guint8) lround (CLAMP (v, 0.0, 1.0) * 255.0);
}

/* v in [-1, 1] over a grey level: red for positive, blue for negative. */
static void
mix (double grey, double v, double *r, double *g, double *b)
{
  double a = MIN (fabs (v), 1.0) * 0.85;
  double hr = v > 0 ? 0.85 : 0.15, hg = 0.15, hb = v > 0 ? 0.1 : 0.85;

  *r = grey + a * (hr - grey);
  *g = grey + a * (hg - grey);
  *b = grey + a * (hb - grey);
}

double
tl_spectrogram_heat_chart_scale (const TlSpectrogramHeatChart *chart)
{
  double max_abs = 0;

  g_return_val_if_fail (chart != NULL, 0);
  for (gsize i = 0; chart->heat != NULL && i < (gsize) chart->bands * chart->frames; i++)
    if (isfinite (chart->heat[i]))
      max_abs = MAX (max_abs, fabs (chart->heat[i]));
  return max_abs;
}

typedef struct {
  const float *heat;
  double       max_abs;
} Heat;

/* The spectrogram in grey, red or blue over it by the heat. */
static guint32
heat_cell (double level, gsize at, gpointer data)
{
  const Heat *h = data;
  double v = h->max_abs > 0 && isfinite (h->heat[at]) ? h->heat[at] / h->max_abs : 0.0;
  double r, g, bl;

  mix (0.15 + 0.7 * level, v, &r, &g, &bl);
  return ((guint32) to_byte (r) << 16) | ((guint32) to_byte (g) << 8) | to_byte (bl);
}

/* Where frequency hz lies in band units (band k's centre at k), by the band centres. */
static double
band_position (const TlSpectrogramHeatChart *chart, double hz)
{
  const double *c = chart->band_hz;
  int n = chart->bands;

  if (n == 1 || hz <= c[0])
    return 0;
  for (int k = 1; k < n; k++)
    if (hz <= c[k])
      return k - 1 + (hz - c[k - 1]) / MAX (c[k] - c[k - 1], 1e-9);
  return n - 1;
}

static char *
format_hz (double hz)
{
  if (hz >= 1000)
    return g_strdup_printf ("%gk", round (hz / 100) / 10);
  return g_strdup_printf ("%g", hz);
}

/* Rounds to 2 significant digits (1 below 100 Hz). */
static double
round_hz (double hz)
{
  double mag;

  if (hz < 1)
    return 0;
  mag = pow (10, floor (log10 (hz)) - (hz >= 100 ? 1 : 0));
  return round (hz / mag) * mag;
}

static void
draw_frequency_axis (const TlSpectrogramHeatChart *chart, cairo_t *cr, const TlChartTheme *theme, double px,
                     double py, double pw, double ph)
{
  int n_ticks = CLAMP ((int) (ph / 36), 2, 8);
  double last_y = INFINITY;

  tl_chart_set_color (cr, &theme->muted, 1.0);
  for (int k = 0; k < n_ticks; k++)
    {
      double pos = (chart->bands - 1) * (double) k / (n_ticks - 1), y;
      g_autofree char *label = NULL;

      if (chart->band_hz != NULL)
        {
          double hz = round_hz (chart->band_hz[(int) lround (pos)]);
          pos = band_position (chart, hz);
          label = format_hz (hz);
        }
      else
        {
          pos = round (pos);
          label = g_strdup_printf ("%d", (int) pos);
        }
      y = py + ph - (pos + 0.5) / chart->bands * ph;
      if (fabs (y - last_y) < 12)
        continue;
      last_y = y;
      cairo_move_to (cr, px - TICK_LEN, y);
      cairo_line_to (cr, px, y);
      cairo_stroke (cr);
      tl_chart_draw_text (cr, label, TL_CHART_FONT_SMALL, FALSE, px - TICK_LEN - 2, y, 1, 0.5, 0, 0);
    }
  tl_chart_set_color (cr, &theme->text, 1.0);
  tl_chart_draw_text (cr, chart->band_hz != NULL ? _("Frequency (Hz)") : _("Band"), TL_CHART_FONT_SMALL, FALSE,
                      MARGIN, py + ph / 2, 0.5, 0, -G_PI / 2, ph);
}

static void
draw_time_axis (const TlSpectrogramHeatChart *chart, cairo_t *cr, const TlChartTheme *theme, double px, double py,
                double pw, double ph)
{
  double spf = chart->seconds_per_frame > 0 ? chart->seconds_per_frame : 1.0;
  double ticks[16], step = 0;
  int n = tl_chart_nice_ticks (0, (chart->frames - 1) * spf, CLAMP ((int) (pw / 70), 2, 10), ticks, 16, &step);
  double label_h;

  tl_chart_set_color (cr, &theme->muted, 1.0);
  for (int i = 0; i < n; i++)
    {
      double x = px + (ticks[i] / spf + 0.5) / chart->frames * pw;
      g_autofree char *label = tl_chart_format_tick (ticks[i], step, FALSE);

      if (x < px - 0.5 || x > px + pw + 0.5)
        continue;
      cairo_move_to (cr, x, py + ph);
      cairo_line_to (cr, x, py + ph + TICK_LEN);
      cairo_stroke (cr);
      tl_chart_draw_text (cr, label, TL_CHART_FONT_SMALL, FALSE, x, py + ph + TICK_LEN + 1, 0.5, 0, 0, 0);
    }
  tl_chart_text_size ("0", TL_CHART_FONT_SMALL, FALSE, NULL, &label_h);
  tl_chart_set_color (cr, &theme->text, 1.0);
  tl_chart_draw_text (cr, chart->seconds_per_frame > 0 ? _("Time (s)") : _("Frame"), TL_CHART_FONT_SMALL, FALSE,
                      px + pw / 2, py + ph + TICK_LEN + label_h + 3, 0.5, 0, 0, pw);
}

static void
draw_colour_bar (const TlSpectrogramHeatChart *chart, cairo_t *cr, const TlChartTheme *theme, double x, double py,
                 double ph, double max_abs)
{
  cairo_pattern_t *gradient = cairo_pattern_create_linear (0, py + ph, 0, py);
  double values[3] = { -max_abs, 0, max_abs };

  for (int i = 0; i <= 20; i++)
    {
      double v = -1 + i / 10.0, r, g, b;
      mix (0.55, v, &r, &g, &b);
      cairo_pattern_add_color_stop_rgb (gradient, i / 20.0, r, g, b);
    }
  cairo_rectangle (cr, x, py, BAR_W, ph);
  cairo_set_source (cr, gradient);
  cairo_fill (cr);
  cairo_pattern_destroy (gradient);
  tl_chart_set_color (cr, &theme->axis, 1.0);
  cairo_rectangle (cr, x + 0.5, py + 0.5, BAR_W - 1, ph - 1);
  cairo_stroke (cr);
  tl_chart_set_color (cr, &theme->muted, 1.0);
  for (int i = 0; i < 3; i++)
    {
      double y = py + ph - (i / 2.0) * ph;
      g_autofree char *label = g_strdup_printf ("%+.2g", values[i]);

      if (values[i] == 0)
        g_snprintf (label, 4, "0");
      tl_chart_draw_text (cr, label, TL_CHART_FONT_SMALL, FALSE, x + BAR_W + 3, y, 0, i == 0 ? 1 : i == 2 ? 0 : 0.5,
                          0, 0);
    }
}

void
tl_spectrogram_heat_chart_draw (const TlSpectrogramHeatChart *chart, cairo_t *cr, double width, double height)
{
  const TlChartTheme *theme;
  const char *heat_label;
  double max_abs, label_h, tick_w, legend_w, left, bottom, top, px, py, pw, ph;

  g_return_if_fail (chart != NULL && cr != NULL);
  g_return_if_fail ((chart->values != NULL && chart->heat != NULL) || chart->bands * chart->frames == 0);

  theme = tl_chart_theme (&chart->style);
  heat_label = chart->heat_label != NULL ? chart->heat_label : _("Importance");
  cairo_save (cr);
  cairo_set_line_width (cr, 1.0);
  tl_chart_paint_background (cr, &chart->style, width, height);
  tl_chart_draw_corner_texts (cr, &chart->style, chart->title, chart->caption, MARGIN, width);
  if (chart->bands <= 0 || chart->frames <= 0)
    {
      cairo_restore (cr);
      return;
    }
  max_abs = tl_spectrogram_heat_chart_scale (chart);
  tl_chart_text_size ("0", TL_CHART_FONT_SMALL, FALSE, NULL, &label_h);
  tl_chart_text_size ("+0.00", TL_CHART_FONT_SMALL, FALSE, &tick_w, NULL);
  top = MARGIN + (chart->title != NULL || chart->caption != NULL ? TITLE_H : 0) + label_h / 2;
  left = MARGIN + label_h + 4 + tick_w + TICK_LEN;
  bottom = MARGIN + 2 * label_h + TICK_LEN + 4;
  legend_w = BAR_W + 3 + tick_w + label_h + 8;
  px = left;
  py = top;
  pw = width - left - legend_w - MARGIN;
  ph = height - top - bottom;
  if (pw < 8 || ph < 8)
    {
      cairo_restore (cr);
      return;
    }

  {
    Heat heat = { chart->heat, max_abs };
    tl_chart_paint_band_cells (cr, px, py, pw, ph, chart->values, chart->bands, chart->frames, 0, heat_cell, &heat);
  }
  tl_chart_set_color (cr, &theme->axis, 1.0);
  cairo_rectangle (cr, px + 0.5, py + 0.5, pw - 1, ph - 1);
  cairo_stroke (cr);

  draw_frequency_axis (chart, cr, theme, px, py, pw, ph);
  draw_time_axis (chart, cr, theme, px, py, pw, ph);
  draw_colour_bar (chart, cr, theme, px + pw + 6, py, ph, max_abs);
  tl_chart_set_color (cr, &theme->text, 1.0);
  tl_chart_draw_text (cr, heat_label, TL_CHART_FONT_SMALL, FALSE, width - MARGIN, py + ph / 2, 0.5, 1, -G_PI / 2, ph);
  cairo_restore (cr);
}
