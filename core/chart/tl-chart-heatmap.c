#define G_LOG_DOMAIN "tl-chart"

#include "config.h"

#include <math.h>

#include "tl-chart-heatmap.h"

static guint8
to_byte (double v)
{
  return (guint8) lround (CLAMP (v, 0.0, 1.0) * 255.0);
}

/* The image as displayed: as it is when its values lie in 0..1; else (a
 * model's normalised input, a standardised spectrogram) stretched from its
 * own range, one map for all channels so that colours keep their balance. */
typedef struct {
  double lo, span;
} Shade;

static Shade
shade_of (const TlHeatmap *map)
{
  const gsize n = (gsize) MIN (map->channels, 3) * map->height * map->width;
  double lo = INFINITY, hi = -INFINITY;

  for (gsize i = 0; i < n; i++)
    if (isfinite (map->image[i]))
      {
        lo = MIN (lo, map->image[i]);
        hi = MAX (hi, map->image[i]);
      }
  if (!(lo < -1e-6 || hi > 1.0 + 1e-6))
    return (Shade) { 0.0, 1.0 };
  return (Shade) { lo, hi > lo ? hi - lo : 1.0 };
}

/* One panel as pixels: the image, or the greyed image under the heat colours. */
static cairo_surface_t *
panel (const TlHeatmap *map, gboolean with_heat, double max_abs)
{
  const Shade shade = shade_of (map);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, map->width, map->height);
  guint8 *data;
  int stride;

  cairo_surface_flush (s);
  data = cairo_image_surface_get_data (s);
  stride = cairo_image_surface_get_stride (s);
  for (int y = 0; y < map->height; y++)
    for (int x = 0; x < map->width; x++)
      {
        gsize plane = (gsize) map->height * map->width, at = (gsize) y * map->width + x;
        double r = (map->image[at] - shade.lo) / shade.span, g = r, b = r;
        guint32 *px = (guint32 *) (data + (gsize) y * stride) + x;

        if (map->channels >= 3)
          {
            g = (map->image[plane + at] - shade.lo) / shade.span;
            b = (map->image[2 * plane + at] - shade.lo) / shade.span;
          }
        if (with_heat)
          {
            double grey = 0.3 + 0.4 * (0.299 * r + 0.587 * g + 0.114 * b);
            double v = max_abs > 0 ? map->heat[at] / max_abs : 0.0;
            double a = MIN (fabs (v), 1.0) * 0.85;
            double hr = v > 0 ? 0.85 : 0.15, hg = 0.15, hb = v > 0 ? 0.1 : 0.85;
            r = grey + a * (hr - grey);
            g = grey + a * (hg - grey);
            b = grey + a * (hb - grey);
          }
        *px = ((guint32) to_byte (r) << 16) | ((guint32) to_byte (g) << 8) | to_byte (b);
      }
  cairo_surface_mark_dirty (s);
  return s;
}

void
tl_heatmap_draw (const TlHeatmap *map, cairo_t *cr, double width, double height)
{
  double max_abs = 0, top = map->title != NULL ? 28.0 : 8.0, gap = 12.0, side, scale;

  g_return_if_fail (map != NULL && map->image != NULL && map->heat != NULL && cr != NULL);
  g_return_if_fail (map->width > 0 && map->height > 0);

  for (gsize i = 0; i < (gsize) map->width * map->height; i++)
    max_abs = MAX (max_abs, fabs (map->heat[i]));

  cairo_save (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (map->title != NULL)
    {
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
      cairo_set_font_size (cr, 13);
      cairo_move_to (cr, 8, 19);
      cairo_show_text (cr, map->title);
    }
  side = MIN ((width - 3 * gap) / 2.0, height - top - gap);
  scale = side / MAX (map->width, map->height);
  for (int k = 0; k < 2 && side > 0; k++)
    {
      cairo_surface_t *s = panel (map, k == 1, max_abs);
      cairo_save (cr);
      cairo_translate (cr, gap + k * (side + gap), top);
      cairo_scale (cr, scale, scale);
      cairo_set_source_surface (cr, s, 0, 0);
      /* pixels stay square blocks when enlarged */
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_rectangle (cr, 0, 0, map->width, map->height);
      cairo_fill (cr);
      cairo_restore (cr);
      cairo_surface_destroy (s);
    }
  cairo_restore (cr);
}
