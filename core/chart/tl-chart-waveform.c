#define G_LOG_DOMAIN "tl-chart"

#include "config.h"

#include <math.h>

#include "tl-chart-audio.h"
#include "tl-chart-private.h"

void
tl_waveform_chart_draw (const TlWaveformChart *chart, cairo_t *cr, double width, double height)
{
  const TlChartTheme *theme;
  TlChartColor line;
  double px, py, pw, ph, mid;
  int columns;

  g_return_if_fail (chart != NULL && cr != NULL);
  g_return_if_fail (chart->samples != NULL || chart->n_samples == 0);

  theme = tl_chart_theme (&chart->style);
  line = tl_chart_palette (0, chart->style.dark);
  cairo_save (cr);
  tl_chart_paint_background (cr, &chart->style, width, height);
  tl_chart_draw_corner_texts (cr, &chart->style, chart->title, chart->caption, TL_AUDIO_CHART_MARGIN, width);
  tl_audio_chart_plot_area (chart->title != NULL || chart->caption != NULL, width, height, &px, &py, &pw, &ph);
  columns = (int) floor (pw);
  if (columns < 1 || ph < 2)
    {
      cairo_restore (cr);
      return;
    }
  mid = py + ph / 2.0;
  tl_chart_set_color (cr, &theme->grid, 1.0);
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, px, floor (mid) + 0.5);
  cairo_line_to (cr, px + pw, floor (mid) + 0.5);
  cairo_stroke (cr);

  /* each column spans its share of the samples; the envelope is at least a pixel tall */
  tl_chart_set_color (cr, &line, 1.0);
  for (int c = 0; c < columns && chart->n_samples > 0; c++)
    {
      gsize from = (gsize) ((double) c / columns * chart->n_samples);
      gsize to = (gsize) ((double) (c + 1) / columns * chart->n_samples);
      float lo = 0, hi = 0;
      double top, bottom;

      to = MAX (to, from + 1);
      for (gsize i = from; i < to && i < chart->n_samples; i++)
        {
          lo = MIN (lo, chart->samples[i]);
          hi = MAX (hi, chart->samples[i]);
        }
      if (hi == 0 && lo == 0)
        continue;
      top = mid - CLAMP (hi, -1.0f, 1.0f) * ph / 2.0;
      bottom = mid - CLAMP (lo, -1.0f, 1.0f) * ph / 2.0;
      if (bottom - top < 1.0)
        {
          double centre = (top + bottom) / 2.0;
          top = centre - 0.5;
          bottom = centre + 0.5;
        }
      cairo_rectangle (cr, px + c, top, 1.0, bottom - top);
    }
  cairo_fill (cr);
  cairo_restore (cr);
}
