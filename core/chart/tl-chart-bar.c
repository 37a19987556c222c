#define G_LOG_DOMAIN "tl-chart"

#include "config.h"

#include <math.h>

#include "tl-chart-private.h"

/* What both orientations measure before they draw. */
typedef struct {
  const TlBarChart   *chart;
  const TlChartTheme *theme;
  double              width, height;
  double              ticks[16], step;
  int                 n_ticks;
  double              vmax;              /* value at the end of the value axis */
  double              title_h, label_h, tick_h;
  double              name_w;            /* widest class name */
  double              value_w;           /* widest count printed at a bar */
} BarLayout;

static void
bar_color (const TlBarChart *chart, int i, TlChartColor *c)
{
  if (chart->selected && !chart->selected[i])
    *c = tl_chart_theme (&chart->style)->inactive;
  else
    *c = tl_chart_palette (0, chart->style.dark);
}

static void
draw_title (cairo_t *cr, BarLayout *l)
{
  const TlBarChart *chart = l->chart;

  if (chart->title && *chart->title)
    {
      tl_chart_text_size (chart->title, TL_CHART_FONT_TITLE, TRUE, NULL, &l->title_h);
      tl_chart_set_color (cr, &l->theme->text, 1.0);
      tl_chart_draw_text (cr, chart->title, TL_CHART_FONT_TITLE, TRUE, l->width / 2, 10, 0.5, 0, 0,
                          l->width - 20);
      l->title_h += 8;
    }
}

/* Text sizes, and ticks on the value axis from 0 to at least the largest count. */
/* A bar's length in axis units: its count, or its share in percent. */
static double
bar_value (const TlBarChart *chart, int i)
{
  return chart->shares != NULL ? 100.0 * chart->shares[i] : chart->counts[i];
}

static char *
bar_text (const TlBarChart *chart, int i)
{
  return chart->shares != NULL ? g_strdup_printf ("%.1f%%", 100.0 * chart->shares[i])
                               : g_strdup_printf ("%d", chart->counts[i]);
}

static void
measure (BarLayout *l)
{
  const TlBarChart *chart = l->chart;

  tl_chart_text_size ("0", TL_CHART_FONT_TICK, FALSE, NULL, &l->tick_h);
  l->label_h = 0;
  if (chart->value_label && *chart->value_label)
    tl_chart_text_size (chart->value_label, TL_CHART_FONT_LABEL, FALSE, NULL, &l->label_h);

  for (int i = 0; i < chart->n; i++)
    {
      double w;

      l->vmax = MAX (l->vmax, bar_value (chart, i));
      tl_chart_text_size (chart->names[i], TL_CHART_FONT_TICK, FALSE, &w, NULL);
      l->name_w = MAX (l->name_w, w);
    }
  if (chart->shares != NULL)
    l->vmax = 100;
  l->n_ticks = tl_chart_nice_ticks (0, MAX (l->vmax, 5), 5, l->ticks, G_N_ELEMENTS (l->ticks), &l->step);
  l->step = MAX (l->step, 1);
  if (l->n_ticks > 0 && l->ticks[l->n_ticks - 1] < l->vmax && l->n_ticks < (int) G_N_ELEMENTS (l->ticks))
    {
      l->ticks[l->n_ticks] = l->ticks[l->n_ticks - 1] + l->step;
      l->n_ticks++;
    }
  l->vmax = l->n_ticks > 0 ? MAX (l->ticks[l->n_ticks - 1], l->vmax) : MAX (l->vmax, 1);
  {
    g_autofree char *s = g_strdup_printf ("%d", (int) l->vmax);
    tl_chart_text_size (s, TL_CHART_FONT_SMALL, FALSE, &l->value_w, NULL);
  }
}

/* Bars grow rightwards from the class names. */
static void
draw_horizontal (cairo_t *cr, const BarLayout *l)
{
  const TlBarChart *chart = l->chart;
  const TlChartTheme *theme = l->theme;
  double name_w = MIN (l->name_w, l->width * 0.3);
  double px = 12 + name_w + 8, py = 10 + l->title_h + 6;
  double pw = l->width - px - 16 - l->value_w - 6;
  double ph = l->height - py - 10 - l->tick_h - 6 - (l->label_h > 0 ? l->label_h + 6 : 0);
  double slot, bar;

  if (pw <= 10 || ph <= 10 || chart->n == 0)
    return;
  slot = ph / chart->n;
  bar = MIN (slot * 0.72, 28);

  for (int t = 0; t < l->n_ticks; t++)
    {
      double x = px + pw * l->ticks[t] / l->vmax;
      g_autofree char *s = tl_chart_format_tick (l->ticks[t], l->step, FALSE);

      tl_chart_set_color (cr, &theme->grid, 1.0);
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, round (x) + 0.5, py);
      cairo_line_to (cr, round (x) + 0.5, py + ph);
      cairo_stroke (cr);
      tl_chart_set_color (cr, &theme->muted, 1.0);
      tl_chart_draw_text (cr, s, TL_CHART_FONT_TICK, FALSE, x, py + ph + 5, 0.5, 0, 0, 0);
    }
  for (int i = 0; i < chart->n; i++)
    {
      double y = py + slot * i + (slot - bar) / 2, w = pw * bar_value (chart, i) / l->vmax;
      g_autofree char *s = bar_text (chart, i);
      TlChartColor c;

      bar_color (chart, i, &c);
      tl_chart_set_color (cr, &c, 1.0);
      cairo_rectangle (cr, px, y, w, bar);
      cairo_fill (cr);
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, chart->names[i], TL_CHART_FONT_TICK, FALSE, px - 8, y + bar / 2,
                          1, 0.5, 0, name_w);
      if (bar >= 9)
        {
          tl_chart_set_color (cr, &theme->muted, 1.0);
          tl_chart_draw_text (cr, s, MIN (TL_CHART_FONT_SMALL, bar * 0.9), FALSE, px + w + 4,
                              y + bar / 2, 0, 0.5, 0, 0);
        }
    }
  tl_chart_set_color (cr, &theme->axis, 1.0);
  cairo_move_to (cr, round (px) + 0.5, py);
  cairo_line_to (cr, round (px) + 0.5, py + ph);
  cairo_stroke (cr);
  if (l->label_h > 0)
    {
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, chart->value_label, TL_CHART_FONT_LABEL, FALSE, px + pw / 2,
                          l->height - 8, 0.5, 1, 0, 0);
    }
}

static double
widest_tick (const BarLayout *l)
{
  double tick_w = 0;

  for (int t = 0; t < l->n_ticks; t++)
    {
      g_autofree char *s = tl_chart_format_tick (l->ticks[t], l->step, FALSE);
      double w;

      tl_chart_text_size (s, TL_CHART_FONT_TICK, FALSE, &w, NULL);
      tick_w = MAX (tick_w, w);
    }
  return tick_w;
}

/* Bars grow upwards over the class names, which turn by 45 degrees when they do not fit. */
static void
draw_vertical (cairo_t *cr, const BarLayout *l)
{
  const TlBarChart *chart = l->chart;
  const TlChartTheme *theme = l->theme;
  double px = 12 + (l->label_h > 0 ? l->label_h + 8 : 0) + widest_tick (l) + 6;
  double pw = l->width - px - 16;
  double slot, bar, label_space, py, ph, name_w;
  gboolean rotate;

  if (pw <= 10 || chart->n == 0)
    return;
  slot = pw / chart->n;
  rotate = l->name_w > slot - 6;
  name_w = MIN (l->name_w, l->height * 0.25);
  label_space = rotate ? name_w * G_SQRT2 / 2 + l->tick_h : l->tick_h;
  py = 10 + l->title_h + 6 + l->tick_h;
  ph = l->height - py - 10 - label_space - 6;
  if (ph <= 10)
    return;
  bar = MIN (slot * 0.72, 48);

  for (int t = 0; t < l->n_ticks; t++)
    {
      double y = py + ph - ph * l->ticks[t] / l->vmax;
      g_autofree char *s = tl_chart_format_tick (l->ticks[t], l->step, FALSE);

      tl_chart_set_color (cr, &theme->grid, 1.0);
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, px, round (y) + 0.5);
      cairo_line_to (cr, px + pw, round (y) + 0.5);
      cairo_stroke (cr);
      tl_chart_set_color (cr, &theme->muted, 1.0);
      tl_chart_draw_text (cr, s, TL_CHART_FONT_TICK, FALSE, px - 6, y, 1, 0.5, 0, 0);
    }
  for (int i = 0; i < chart->n; i++)
    {
      double x = px + slot * i + (slot - bar) / 2, hgt = ph * bar_value (chart, i) / l->vmax;
      g_autofree char *s = bar_text (chart, i);
      TlChartColor c;

      bar_color (chart, i, &c);
      tl_chart_set_color (cr, &c, 1.0);
      cairo_rectangle (cr, x, py + ph - hgt, bar, hgt);
      cairo_fill (cr);
      tl_chart_set_color (cr, &theme->text, 1.0);
      if (rotate)
        tl_chart_draw_text (cr, chart->names[i], TL_CHART_FONT_TICK, FALSE, x + bar / 2,
                            py + ph + 6, 1, 0.5, -G_PI / 4, name_w);
      else
        tl_chart_draw_text (cr, chart->names[i], TL_CHART_FONT_TICK, FALSE, x + bar / 2,
                            py + ph + 5, 0.5, 0, 0, slot);
      if (l->value_w <= slot)
        {
          tl_chart_set_color (cr, &theme->muted, 1.0);
          tl_chart_draw_text (cr, s, TL_CHART_FONT_SMALL, FALSE, x + bar / 2, py + ph - hgt - 3,
                              0.5, 1, 0, 0);
        }
    }
  tl_chart_set_color (cr, &theme->axis, 1.0);
  cairo_move_to (cr, px, round (py + ph) + 0.5);
  cairo_line_to (cr, px + pw, round (py + ph) + 0.5);
  cairo_stroke (cr);
  if (l->label_h > 0)
    {
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, chart->value_label, TL_CHART_FONT_LABEL, FALSE, 10, py + ph / 2,
                          0.5, 0, -G_PI / 2, 0);
    }
}

void
tl_bar_chart_draw (const TlBarChart *chart, cairo_t *cr, double width, double height)
{
  BarLayout layout = { .chart = chart, .width = width, .height = height, .step = 1 };

  g_return_if_fail (chart != NULL && cr != NULL);
  g_return_if_fail (chart->n == 0 || (chart->names && (chart->counts || chart->shares)));

  layout.theme = tl_chart_theme (&chart->style);
  cairo_save (cr);
  tl_chart_paint_background (cr, &chart->style, width, height);
  draw_title (cr, &layout);
  measure (&layout);
  if (chart->vertical)
    draw_vertical (cr, &layout);
  else
    draw_horizontal (cr, &layout);
  cairo_restore (cr);
}
