#define G_LOG_DOMAIN "tl-chart"

#include "config.h"

#include <math.h>

#include "tl-chart-audio.h"
#include "tl-chart-private.h"

/* Dark blue through magenta and orange to pale yellow: ordered by lightness, so
 * the levels read in grey too. */
static const double stops[][3] = {
  { 0.001, 0.000, 0.014 }, { 0.232, 0.059, 0.437 }, { 0.550, 0.161, 0.506 },
  { 0.868, 0.288, 0.409 }, { 0.994, 0.624, 0.427 }, { 0.987, 0.991, 0.750 },
};

static guint32
shade (double t)
{
  int n = G_N_ELEMENTS (stops) - 1, k;
  double f, rgb[3];

  t = CLAMP (t, 0.0, 1.0) * n;
  k = MIN ((int) t, n - 1);
  f = t - k;
  for (int i = 0; i < 3; i++)
    rgb[i] = stops[k][i] + f * (stops[k + 1][i] - stops[k][i]);
  return ((guint32) lround (rgb[0] * 255) << 16) | ((guint32) lround (rgb[1] * 255) << 8)
         | (guint32) lround (rgb[2] * 255);
}

static guint32
shade_cell (double level, gsize at, gpointer data)
{
  return shade (level);
}

void
tl_spectrogram_chart_draw (const TlSpectrogramChart *chart, cairo_t *cr, double width, double height)
{
  double px, py, pw, ph;

  g_return_if_fail (chart != NULL && cr != NULL);
  g_return_if_fail (chart->values != NULL || chart->bands * chart->frames == 0);

  cairo_save (cr);
  tl_chart_paint_background (cr, &chart->style, width, height);
  tl_chart_draw_corner_texts (cr, &chart->style, chart->title, chart->caption, TL_AUDIO_CHART_MARGIN, width);
  tl_audio_chart_plot_area (chart->title != NULL || chart->caption != NULL, width, height, &px, &py, &pw, &ph);
  if (chart->bands <= 0 || chart->frames <= 0 || pw < 1 || ph < 1)
    {
      cairo_restore (cr);
      return;
    }
  tl_chart_paint_band_cells (cr, px, py, pw, ph, chart->values, chart->bands, chart->frames, chart->range,
                             shade_cell, NULL);
  cairo_restore (cr);
}
