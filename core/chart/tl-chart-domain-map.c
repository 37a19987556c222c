#define G_LOG_DOMAIN "tl-chart"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "tl-chart-domain-map.h"
#include "tl-chart-private.h"

#define POINT_RADIUS 3.6
#define PAD 12.0

/* A marker of shape `shape` centred at (x, y); filled shapes are closed paths,
 * the plus and the cross only stroked. Returns whether to fill. */
static gboolean
marker_path (cairo_t *cr, int shape, double x, double y, double r)
{
  switch (shape % TL_DOMAIN_MAP_N_SHAPES)
    {
    case 0:
      cairo_new_sub_path (cr);
      cairo_arc (cr, x, y, r, 0, 2 * G_PI);
      return TRUE;
    case 1:
      cairo_rectangle (cr, x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
      return TRUE;
    case 2:
    case 4:
      {
        double d = shape % TL_DOMAIN_MAP_N_SHAPES == 2 ? -1 : 1;
        cairo_move_to (cr, x, y + d * r * 1.15);
        cairo_line_to (cr, x + r * 1.05, y - d * r * 0.7);
        cairo_line_to (cr, x - r * 1.05, y - d * r * 0.7);
        cairo_close_path (cr);
        return TRUE;
      }
    case 3:
      cairo_move_to (cr, x, y - r * 1.2);
      cairo_line_to (cr, x + r * 1.2, y);
      cairo_line_to (cr, x, y + r * 1.2);
      cairo_line_to (cr, x - r * 1.2, y);
      cairo_close_path (cr);
      return TRUE;
    case 5:
      cairo_move_to (cr, x - r * 1.2, y);
      cairo_line_to (cr, x + r * 1.2, y);
      cairo_move_to (cr, x, y - r * 1.2);
      cairo_line_to (cr, x, y + r * 1.2);
      return FALSE;
    case 6:
      cairo_move_to (cr, x - r, y - r);
      cairo_line_to (cr, x + r, y + r);
      cairo_move_to (cr, x - r, y + r);
      cairo_line_to (cr, x + r, y - r);
      return FALSE;
    default:
      {
        /* a star (7), a pentagon (8), a hexagon (9) */
        int kind = shape % TL_DOMAIN_MAP_N_SHAPES, corners = kind == 7 ? 10 : kind == 8 ? 5 : 6;
        for (int i = 0; i < corners; i++)
          {
            double a = -G_PI / 2 + 2 * G_PI * i / corners;
            double rr = kind == 7 && (i % 2) ? r * 0.5 : r * 1.15;
            if (i == 0)
              cairo_move_to (cr, x + rr * cos (a), y + rr * sin (a));
            else
              cairo_line_to (cr, x + rr * cos (a), y + rr * sin (a));
          }
        cairo_close_path (cr);
        return TRUE;
      }
    }
}

static void
draw_marker (cairo_t *cr, int shape, double x, double y, double r, const TlChartColor *color, gboolean hollow)
{
  gboolean fill = marker_path (cr, shape, x, y, r);

  if (fill && !hollow)
    {
      tl_chart_set_color (cr, color, 0.55);
      cairo_fill_preserve (cr);
    }
  tl_chart_set_color (cr, color, 0.95);
  cairo_set_line_width (cr, fill ? 1.0 : 1.6);
  cairo_stroke (cr);
}

static void
draw_panel (const TlDomainMapChart *chart, int m, cairo_t *cr, double x0, double y0, double w, double h)
{
  const TlDomainMap *map = chart->maps[m];
  const TlChartTheme *theme = tl_chart_theme (&chart->style);
  const char *title = chart->titles != NULL ? chart->titles[m] : NULL;
  TlChartColor colors[2] = { tl_chart_palette (0, chart->style.dark), tl_chart_palette (1, chart->style.dark) };
  g_autofree char *sub = NULL, *xl = NULL, *yl = NULL;
  double lo[2] = { G_MAXDOUBLE, G_MAXDOUBLE }, hi[2] = { -G_MAXDOUBLE, -G_MAXDOUBLE };
  double px, py, pw, ph, top = y0, th;

  if (title != NULL)
    {
      tl_chart_text_size (title, TL_CHART_FONT_TITLE, TRUE, NULL, &th);
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, title, TL_CHART_FONT_TITLE, TRUE, x0 + w / 2, top, 0.5, 0, 0, w);
      top += th + 4;
    }
  /* TRANSLATORS: under a domain map: the layer shown and the proxy A-distance (0 alike, 2 apart) */
  sub = g_strdup_printf (_("layer %d %s · proxy A-distance %.2f"), map->layer, map->layer_name, map->a_distance);
  tl_chart_text_size (sub, TL_CHART_FONT_LABEL, FALSE, NULL, &th);
  tl_chart_set_color (cr, &theme->text, 1.0);
  tl_chart_draw_text (cr, sub, TL_CHART_FONT_LABEL, FALSE, x0 + w / 2, top, 0.5, 0, 0, w);
  top += th + 8;

  /* TRANSLATORS: axis of a domain map: the first principal component and its share of the variance */
  xl = g_strdup_printf (_("component 1 (%.0f%% of the variance)"), 100 * map->explained[0]);
  yl = g_strdup_printf (_("component 2 (%.0f%%)"), 100 * map->explained[1]);
  tl_chart_text_size (xl, TL_CHART_FONT_TICK, FALSE, NULL, &th);
  px = x0 + th + 8;
  py = top;
  pw = w - (px - x0);
  ph = y0 + h - top - th - 6;
  if (pw < 20 || ph < 20)
    return;
  tl_chart_set_color (cr, &theme->muted, 1.0);
  tl_chart_draw_text (cr, xl, TL_CHART_FONT_TICK, FALSE, px + pw / 2, py + ph + 4, 0.5, 0, 0, pw);
  tl_chart_draw_text (cr, yl, TL_CHART_FONT_TICK, FALSE, x0, py + ph / 2, 0.5, 0, -G_PI / 2, ph);

  tl_chart_set_color (cr, &theme->axis, 1.0);
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, px + 0.5, py + 0.5, pw - 1, ph - 1);
  cairo_stroke (cr);

  for (int i = 0; i < map->n; i++)
    for (int d = 0; d < 2; d++)
      {
        lo[d] = MIN (lo[d], map->xy[2 * i + d]);
        hi[d] = MAX (hi[d], map->xy[2 * i + d]);
      }
  for (int d = 0; d < 2; d++)
    {
      double span = hi[d] - lo[d];
      if (span <= 0)
        span = MAX (fabs (hi[d]), 1.0);
      lo[d] -= 0.06 * span;
      hi[d] += 0.06 * span;
    }
  /* the zero lines: where the mean of both domains lies */
  tl_chart_set_color (cr, &theme->grid, 1.0);
  if (lo[0] < 0 && hi[0] > 0)
    {
      double gx = px + pw * (0 - lo[0]) / (hi[0] - lo[0]);
      cairo_move_to (cr, gx, py + 1);
      cairo_line_to (cr, gx, py + ph - 1);
    }
  if (lo[1] < 0 && hi[1] > 0)
    {
      double gy = py + ph - ph * (0 - lo[1]) / (hi[1] - lo[1]);
      cairo_move_to (cr, px + 1, gy);
      cairo_line_to (cr, px + pw - 1, gy);
    }
  cairo_stroke (cr);

  cairo_save (cr);
  cairo_rectangle (cr, px, py, pw, ph);
  cairo_clip (cr);
  /* the target over the source, so the smaller labelled target stays in view */
  for (int i = 0; i < map->n; i++)
    {
      int domain = i < map->n_source ? 0 : 1;
      double x = px + pw * (map->xy[2 * i] - lo[0]) / (hi[0] - lo[0]);
      double y = py + ph - ph * (map->xy[2 * i + 1] - lo[1]) / (hi[1] - lo[1]);

      draw_marker (cr, map->label[i] < 0 ? 0 : map->label[i], x, y, POINT_RADIUS, &colors[domain],
                   map->label[i] < 0);
    }
  cairo_restore (cr);
}

/* The legend from y = top: the two domains' colours, then each class's shape,
 * in as many lines as the width needs. Returns its height; draws only with draw. */
static double
legend (const TlDomainMapChart *chart, cairo_t *cr, double width, double top, gboolean draw)
{
  const TlChartTheme *theme = tl_chart_theme (&chart->style);
  const TlDomainMap *map = chart->maps[0];
  TlChartColor colors[2] = { tl_chart_palette (0, chart->style.dark), tl_chart_palette (1, chart->style.dark) };
  const char *domains[2] = { chart->source_label != NULL ? chart->source_label : _("source"),
                             chart->target_label != NULL ? chart->target_label : _("target") };
  double x = PAD, line, tw;
  int rows = 1;

  tl_chart_text_size ("Ag", TL_CHART_FONT_SMALL, FALSE, NULL, &line);
  line += 6;
  for (int k = 0; k < 2 + map->n_classes; k++)
    {
      const char *text = k < 2 ? domains[k] : map->class_names[k - 2];
      double item, cy;

      tl_chart_text_size (text, TL_CHART_FONT_SMALL, FALSE, &tw, NULL);
      tw = MIN (tw, 140);
      item = 14 + tw + (k == 1 ? 28 : 14);
      if (x + item > width - PAD && x > PAD)
        {
          x = PAD;
          rows++;
        }
      cy = top + (rows - 1) * line + line / 2;
      if (draw)
        {
          draw_marker (cr, k < 2 ? 1 : k - 2, x + 5, cy, 4.5, k < 2 ? &colors[k] : &theme->muted, FALSE);
          tl_chart_set_color (cr, &theme->text, 1.0);
          tl_chart_draw_text (cr, text, TL_CHART_FONT_SMALL, FALSE, x + 14, cy, 0, 0.5, 0, 140);
        }
      x += item;
    }
  return rows * line;
}

void
tl_domain_map_chart_draw (const TlDomainMapChart *chart, cairo_t *cr, double width, double height)
{
  double below, panel_w;

  g_return_if_fail (chart != NULL && cr != NULL && chart->n_maps > 0 && chart->maps != NULL);

  cairo_save (cr);
  tl_chart_paint_background (cr, &chart->style, width, height);
  below = legend (chart, cr, width, 0, FALSE);
  legend (chart, cr, width, height - PAD - below, TRUE);
  panel_w = (width - PAD * (chart->n_maps + 1)) / chart->n_maps;
  for (int m = 0; m < chart->n_maps; m++)
    if (chart->maps[m] != NULL && chart->maps[m]->n > 0)
      draw_panel (chart, m, cr, PAD + m * (panel_w + PAD), PAD, panel_w, height - 2 * PAD - below - 8);
  cairo_restore (cr);
}
