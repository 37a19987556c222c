#include "config.h"

#include <math.h>

#include "tl-chart-private.h"

static cairo_surface_t *
band_cells (const float *values, int bands, int frames, double range, TlBandCellColour colour, gpointer data)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, frames, bands);
  float lo = INFINITY, hi = -INFINITY;
  guint8 *pixels;
  int stride;

  for (gsize i = 0; i < (gsize) bands * frames; i++)
    if (isfinite (values[i]))
      {
        lo = MIN (lo, values[i]);
        hi = MAX (hi, values[i]);
      }
  if (!isfinite (lo))
    lo = hi = 0;
  if (range > 0)
    lo = MAX (lo, hi - (float) range);
  cairo_surface_flush (s);
  pixels = cairo_image_surface_get_data (s);
  stride = cairo_image_surface_get_stride (s);
  for (int b = 0; b < bands; b++)
    {
      guint32 *row = (guint32 *) (pixels + (gsize) (bands - 1 - b) * stride);

      for (int t = 0; t < frames; t++)
        {
          gsize at = (gsize) b * frames + t;
          float v = values[at];

          row[t] = colour (hi > lo && isfinite (v) ? (v - lo) / (hi - lo) : 0.0, at, data);
        }
    }
  cairo_surface_mark_dirty (s);
  return s;
}

void
tl_chart_paint_band_cells (cairo_t *cr, double x, double y, double w, double h, const float *values, int bands,
                           int frames, double range, TlBandCellColour colour, gpointer data)
{
  cairo_surface_t *s = band_cells (values, bands, frames, range, colour, data);

  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, w / frames, h / bands);
  cairo_set_source_surface (cr, s, 0, 0);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (s);
}
