#define G_LOG_DOMAIN "tl-chart"

#include "config.h"

#include <math.h>

#include "tl-chart-private.h"

static const TlChartTheme light_theme = {
  .background = { 1.000, 1.000, 1.000 },
  .text       = { 0.122, 0.137, 0.157 },
  .muted      = { 0.380, 0.412, 0.447 },
  .grid       = { 0.905, 0.914, 0.925 },
  .axis       = { 0.600, 0.627, 0.659 },
  .inactive   = { 0.800, 0.812, 0.827 },
};

static const TlChartTheme dark_theme = {
  .background = { 0.141, 0.141, 0.141 },
  .text       = { 0.945, 0.945, 0.945 },
  .muted      = { 0.690, 0.690, 0.700 },
  .grid       = { 0.235, 0.235, 0.245 },
  .axis       = { 0.450, 0.450, 0.470 },
  .inactive   = { 0.330, 0.330, 0.340 },
};

/* Blue, orange, green, purple, red, teal, amber, pink: distinct in hue and lightness. */
static const guint32 palette_light[8] = {
  0x2563eb, 0xea580c, 0x16a34a, 0x9333ea, 0xdc2626, 0x0891b2, 0xca8a04, 0xdb2777,
};
static const guint32 palette_dark[8] = {
  0x60a5fa, 0xfb923c, 0x4ade80, 0xc084fc, 0xf87171, 0x22d3ee, 0xfacc15, 0xf472b6,
};

const TlChartTheme *
tl_chart_theme (const TlChartStyle *style)
{
  return style && style->dark ? &dark_theme : &light_theme;
}

TlChartColor
tl_chart_palette (int index, gboolean dark)
{
  guint32 v = (dark ? palette_dark : palette_light)[((index % 8) + 8) % 8];
  TlChartColor c = { ((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0, (v & 0xff) / 255.0 };

  return c;
}

void
tl_chart_palette_color (int index, gboolean dark, double *r, double *g, double *b)
{
  TlChartColor c = tl_chart_palette (index, dark);

  *r = c.r;
  *g = c.g;
  *b = c.b;
}

void
tl_chart_set_color (cairo_t *cr, const TlChartColor *color, double alpha)
{
  cairo_set_source_rgba (cr, color->r, color->g, color->b, alpha);
}

void
tl_chart_paint_background (cairo_t *cr, const TlChartStyle *style, double w, double h)
{
  if (style && style->transparent)
    return;
  cairo_save (cr);
  tl_chart_set_color (cr, &tl_chart_theme (style)->background, 1.0);
  cairo_rectangle (cr, 0, 0, w, h);
  cairo_fill (cr);
  cairo_restore (cr);
}

static PangoFontDescription *
font_for (double font_px, gboolean bold)
{
  PangoFontDescription *desc = pango_font_description_from_string ("Sans");

  pango_font_description_set_absolute_size (desc, font_px * PANGO_SCALE);
  if (bold)
    pango_font_description_set_weight (desc, PANGO_WEIGHT_BOLD);
  return desc;
}

static void
setup_layout (PangoLayout *layout, const char *text, double font_px, gboolean bold, double max_width)
{
  PangoFontDescription *desc = font_for (font_px, bold);

  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_text (layout, text, -1);
  if (max_width > 0)
    {
      pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
}

/* Layout decisions use this context, not the target's, so a hit test
 * without a cairo_t sees the same geometry as the drawing. */
static GPrivate measure_context = G_PRIVATE_INIT (g_object_unref);

static PangoContext *
get_measure_context (void)
{
  PangoContext *ctx = g_private_get (&measure_context);

  if (ctx == NULL)
    {
      ctx = pango_font_map_create_context (pango_cairo_font_map_get_default ());
      g_private_set (&measure_context, ctx);
    }
  return ctx;
}

void
tl_chart_text_size (const char *text, double font_px, gboolean bold, double *w, double *h)
{
  g_autoptr (PangoLayout) layout = pango_layout_new (get_measure_context ());
  PangoRectangle logical;

  setup_layout (layout, text, font_px, bold, 0);
  pango_layout_get_extents (layout, NULL, &logical);
  if (w)
    *w = (double) logical.width / PANGO_SCALE;
  if (h)
    *h = (double) logical.height / PANGO_SCALE;
}

void
tl_chart_draw_text (cairo_t *cr, const char *text, double font_px, gboolean bold,
                    double x, double y, double ax, double ay, double angle, double max_width)
{
  g_autoptr (PangoLayout) layout = NULL;
  PangoRectangle logical;
  double w, h;

  if (text == NULL || *text == '\0')
    return;
  layout = pango_cairo_create_layout (cr);
  setup_layout (layout, text, font_px, bold, max_width);
  pango_layout_get_extents (layout, NULL, &logical);
  w = (double) logical.width / PANGO_SCALE;
  h = (double) logical.height / PANGO_SCALE;

  cairo_save (cr);
  cairo_translate (cr, x, y);
  if (angle != 0)
    cairo_rotate (cr, angle);
  cairo_move_to (cr, -ax * w - (double) logical.x / PANGO_SCALE, -ay * h);
  pango_cairo_show_layout (cr, layout);
  cairo_restore (cr);
}

void
tl_chart_draw_corner_texts (cairo_t *cr, const TlChartStyle *style, const char *title, const char *caption,
                            double margin, double width)
{
  const TlChartTheme *theme = tl_chart_theme (style);

  if (title != NULL)
    {
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, title, TL_CHART_FONT_SMALL, TRUE, margin, margin, 0, 0, 0, width * 0.6);
    }
  if (caption != NULL)
    {
      tl_chart_set_color (cr, &theme->muted, 1.0);
      tl_chart_draw_text (cr, caption, TL_CHART_FONT_SMALL, FALSE, width - margin, margin, 1, 0, 0, width * 0.4);
    }
}

int
tl_chart_nice_ticks (double lo, double hi, int target, double *ticks, int max, double *step_out)
{
  double range, raw, mag, frac, step;
  int n = 0;

  if (!isfinite (lo) || !isfinite (hi) || max <= 0)
    return 0;
  if (hi < lo)
    {
      double t = lo;
      lo = hi;
      hi = t;
    }
  range = hi - lo;
  if (range <= 0)
    range = fabs (lo) > 0 ? fabs (lo) * 0.1 : 1.0;
  raw = range / MAX (target, 1);
  mag = pow (10, floor (log10 (raw)));
  frac = raw / mag;
  step = (frac <= 1.0 ? 1 : frac <= 2.0 ? 2 : frac <= 2.5 ? 2.5 : frac <= 5.0 ? 5 : 10) * mag;

  for (double v = ceil (lo / step - 1e-9) * step; v <= hi + step * 1e-9 && n < max; v += step)
    ticks[n++] = fabs (v) < step * 1e-9 ? 0.0 : v;
  if (step_out)
    *step_out = step;
  return n;
}

char *
tl_chart_format_tick (double value, double step, gboolean percent)
{
  int decimals;

  if (percent)
    {
      value *= 100;
      step *= 100;
    }
  decimals = step > 0 ? (int) CLAMP (ceil (-log10 (step) - 1e-9), 0, 8) : 2;
  if (step > 0 && fabs (step * pow (10, decimals) - round (step * pow (10, decimals))) > 1e-6)
    decimals++;
  if (fabs (value) >= 1e5 || (fabs (value) > 0 && fabs (value) < 1e-4 && !percent))
    return g_strdup_printf ("%.2g", value);
  return g_strdup_printf (percent ? "%.*f%%" : "%.*f", decimals, value);
}
