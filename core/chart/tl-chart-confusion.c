#define G_LOG_DOMAIN "tl-chart"

#include "config.h"

#include <glib/gi18n.h>

#include <math.h>
#include <string.h>

#include "tl-chart-private.h"

#define PAD 12.0
#define BAR_W 14.0

typedef struct {
  int    n;
  double gx, gy, cell;
  double row_label_w, col_label_w;
  gboolean rotate;
  double label_font;
  double title_h, label_h, tick_h;
  double cb_x;
  double bottom;
} Layout;

static const char *
class_name (const TlConfusionChart *chart, int i, char buf[16])
{
  if (chart->class_names && chart->class_names[i])
    return chart->class_names[i];
  g_snprintf (buf, 16, "%d", i);
  return buf;
}

static gboolean
compute_layout (const TlConfusionChart *chart, double width, double height, Layout *L)
{
  double max_name = 0, cb_w, W, H, bottom = 0, pct_w;
  int n = chart->n_classes;
  char buf[16];

  memset (L, 0, sizeof *L);
  L->n = n;
  if (n <= 0 || chart->counts == NULL)
    return FALSE;

  if (chart->title && *chart->title)
    tl_chart_text_size (chart->title, TL_CHART_FONT_TITLE, TRUE, NULL, &L->title_h);
  tl_chart_text_size ("Ag", TL_CHART_FONT_LABEL, FALSE, NULL, &L->label_h);
  tl_chart_text_size ("100%", TL_CHART_FONT_TICK, FALSE, &pct_w, &L->tick_h);
  for (int i = 0; i < n; i++)
    {
      double w;

      tl_chart_text_size (class_name (chart, i, buf), TL_CHART_FONT_TICK, FALSE, &w, NULL);
      max_name = MAX (max_name, w);
    }
  L->row_label_w = MIN (max_name, width * 0.22);
  L->col_label_w = MIN (max_name, height * 0.2);
  cb_w = 16 + BAR_W + 6 + pct_w;
  W = width - 2 * PAD - L->label_h - 8 - L->row_label_w - 8 - cb_w;
  L->cell = W / n;

  /* Rotating column names depends on the cell size, which depends on the room they take. */
  for (int pass = 0; pass < 2; pass++)
    {
      L->rotate = max_name > L->cell - 4;
      bottom = L->rotate ? L->col_label_w * G_SQRT2 / 2 + L->tick_h * G_SQRT2 / 2 + 8 : L->tick_h + 8;
      H = height - 2 * PAD - (L->title_h > 0 ? L->title_h + 10 : 0) - bottom - L->label_h - 6;
      L->cell = MIN (W / n, H / n);
    }
  if (L->cell < 2)
    return FALSE;
  L->cell = floor (L->cell);
  L->label_font = MIN (TL_CHART_FONT_TICK, MAX (L->cell * 0.8, 6.0));

  L->bottom = bottom;
  L->gx = PAD + L->label_h + 8 + L->row_label_w + 8 + floor ((W - n * L->cell) / 2);
  L->gy = PAD + (L->title_h > 0 ? L->title_h + 10 : 0) + floor ((H - n * L->cell) / 2);
  L->cb_x = L->gx + n * L->cell + 16;
  return TRUE;
}

/* Sequential blues, light to dark on a light background and the reverse on a dark one. */
static TlChartColor
shade (double v, gboolean dark)
{
  static const TlChartColor light[] = {
    { 0.965, 0.976, 0.992 }, { 0.776, 0.859, 0.937 }, { 0.420, 0.682, 0.839 },
    { 0.129, 0.443, 0.710 }, { 0.031, 0.188, 0.420 },
  };
  static const TlChartColor darkc[] = {
    { 0.180, 0.188, 0.204 }, { 0.114, 0.259, 0.431 }, { 0.145, 0.388, 0.922 },
    { 0.376, 0.647, 0.980 }, { 0.859, 0.918, 0.996 },
  };
  const TlChartColor *stops = dark ? darkc : light;
  double t = CLAMP (v, 0, 1) * 4;
  int i = MIN ((int) t, 3);
  double f = t - i;
  TlChartColor c = {
    stops[i].r + (stops[i + 1].r - stops[i].r) * f,
    stops[i].g + (stops[i + 1].g - stops[i].g) * f,
    stops[i].b + (stops[i + 1].b - stops[i].b) * f,
  };

  return c;
}

static gboolean
is_light (const TlChartColor *c)
{
  return 0.2126 * c->r + 0.7152 * c->g + 0.0722 * c->b > 0.5;
}

static void
draw_cells (const TlConfusionChart *chart, cairo_t *cr, const Layout *L)
{
  int n = chart->n_classes;
  double font = MIN (TL_CHART_FONT_TICK, L->cell * 0.36);

  for (int r = 0; r < n; r++)
    {
      long row_sum = 0;

      for (int c = 0; c < n; c++)
        row_sum += chart->counts[r * n + c];
      for (int c = 0; c < n; c++)
        {
          int count = chart->counts[r * n + c];
          double share = row_sum > 0 ? (double) count / row_sum : 0;
          TlChartColor col = shade (share, chart->style.dark);
          double x = L->gx + c * L->cell, y = L->gy + r * L->cell;
          g_autofree char *text = NULL;
          static const TlChartColor dark_text = { 0.122, 0.137, 0.157 };
          static const TlChartColor light_text = { 1, 1, 1 };
          double tw;

          tl_chart_set_color (cr, &col, 1.0);
          cairo_rectangle (cr, x + 0.5, y + 0.5, L->cell - 1, L->cell - 1);
          cairo_fill (cr);

          if (font < 6.5)
            continue;
          /* Empty cells stay blank in large matrices, so the errors stand out. */
          if (count == 0 && n > 10)
            continue;
          if (chart->normalised && count > 0 && share < 0.005)
            text = g_strdup ("<1%");
          else
            text = chart->normalised ? g_strdup_printf ("%.0f%%", share * 100) : g_strdup_printf ("%d", count);
          tl_chart_text_size (text, font, FALSE, &tw, NULL);
          if (tw > L->cell - 3 && chart->normalised)
            {
              text[strlen (text) - 1] = '\0';
              tl_chart_text_size (text, font, FALSE, &tw, NULL);
            }
          if (tw > L->cell - 3)
            continue;
          tl_chart_set_color (cr, is_light (&col) ? &dark_text : &light_text, count == 0 ? 0.45 : 1.0);
          tl_chart_draw_text (cr, text, font, count > 0 && r == c, x + L->cell / 2, y + L->cell / 2,
                              0.5, 0.5, 0, 0);
        }
    }
}

static void
draw_color_bar (const TlConfusionChart *chart, cairo_t *cr, const Layout *L)
{
  const TlChartTheme *theme = tl_chart_theme (&chart->style);
  double h = L->n * L->cell, y0 = L->gy;
  cairo_pattern_t *pat = cairo_pattern_create_linear (0, y0 + h, 0, y0);

  for (int i = 0; i <= 8; i++)
    {
      TlChartColor c = shade (i / 8.0, chart->style.dark);

      cairo_pattern_add_color_stop_rgb (pat, i / 8.0, c.r, c.g, c.b);
    }
  cairo_set_source (cr, pat);
  cairo_rectangle (cr, L->cb_x, y0, BAR_W, h);
  cairo_fill (cr);
  cairo_pattern_destroy (pat);

  tl_chart_set_color (cr, &theme->axis, 1.0);
  cairo_set_line_width (cr, 1);
  cairo_rectangle (cr, round (L->cb_x) + 0.5, round (y0) + 0.5, BAR_W - 1, round (h) - 1);
  cairo_stroke (cr);
  for (int t = 0; t <= 4; t++)
    {
      double y = y0 + h - h * t / 4.0;
      g_autofree char *s = g_strdup_printf ("%d%%", t * 25);

      if (h < 120 && (t % 2) == 1)
        continue;
      tl_chart_set_color (cr, &theme->axis, 1.0);
      cairo_move_to (cr, L->cb_x + BAR_W, round (y) + 0.5);
      cairo_line_to (cr, L->cb_x + BAR_W + 3, round (y) + 0.5);
      cairo_stroke (cr);
      tl_chart_set_color (cr, &theme->muted, 1.0);
      tl_chart_draw_text (cr, s, TL_CHART_FONT_TICK, FALSE, L->cb_x + BAR_W + 5, y, 0, 0.5, 0, 0);
    }
}

void
tl_confusion_chart_draw (const TlConfusionChart *chart, cairo_t *cr, double width, double height)
{
  const TlChartTheme *theme;
  double grid;
  char buf[16];
  Layout L;
  int n;

  g_return_if_fail (chart != NULL && cr != NULL);

  theme = tl_chart_theme (&chart->style);
  cairo_save (cr);
  tl_chart_paint_background (cr, &chart->style, width, height);
  if (!compute_layout (chart, width, height, &L))
    goto out;
  n = chart->n_classes;
  grid = n * L.cell;
  if (chart->title && *chart->title)
    {
      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, chart->title, TL_CHART_FONT_TITLE, TRUE, width / 2,
                          L.gy - 10 - L.title_h, 0.5, 0, 0, width - 2 * PAD);
    }

  draw_cells (chart, cr, &L);

  for (int i = 0; i < n; i++)
    {
      const char *name = class_name (chart, i, buf);
      double c = L.gx + (i + 0.5) * L.cell;

      tl_chart_set_color (cr, &theme->text, 1.0);
      tl_chart_draw_text (cr, name, L.label_font, FALSE, L.gx - 6, L.gy + (i + 0.5) * L.cell, 1, 0.5,
                          0, L.row_label_w);
      if (L.rotate)
        tl_chart_draw_text (cr, name, L.label_font, FALSE, c + L.label_font * 0.3, L.gy + grid + 6,
                            1, 0.5, -G_PI / 4, L.col_label_w);
      else
        tl_chart_draw_text (cr, name, L.label_font, FALSE, c, L.gy + grid + 5, 0.5, 0, 0, L.cell);
    }

  tl_chart_set_color (cr, &theme->text, 1.0);
  tl_chart_draw_text (cr, _("Predicted"), TL_CHART_FONT_LABEL, TRUE, L.gx + grid / 2,
                      L.gy + grid + L.bottom, 0.5, 0, 0, 0);
  tl_chart_draw_text (cr, _("True"), TL_CHART_FONT_LABEL, TRUE, L.gx - L.row_label_w - 16 - L.label_h,
                      L.gy + grid / 2, 0.5, 0, -G_PI / 2, 0);

  draw_color_bar (chart, cr, &L);

  if (chart->has_selection && chart->selected_row >= 0 && chart->selected_row < n &&
      chart->selected_col >= 0 && chart->selected_col < n)
    {
      TlChartColor c = tl_chart_palette (1, chart->style.dark);

      tl_chart_set_color (cr, &c, 1.0);
      cairo_set_line_width (cr, 2.5);
      cairo_rectangle (cr, L.gx + chart->selected_col * L.cell + 1.25,
                       L.gy + chart->selected_row * L.cell + 1.25, L.cell - 2.5, L.cell - 2.5);
      cairo_stroke (cr);
    }
out:
  cairo_restore (cr);
}

gboolean
tl_confusion_chart_hit (const TlConfusionChart *chart, double width, double height,
                        double x, double y, int *row, int *col)
{
  Layout L;
  int r, c;

  g_return_val_if_fail (chart != NULL, FALSE);

  if (!compute_layout (chart, width, height, &L))
    return FALSE;
  if (x < L.gx || y < L.gy)
    return FALSE;
  c = (int) floor ((x - L.gx) / L.cell);
  r = (int) floor ((y - L.gy) / L.cell);
  if (r >= L.n || c >= L.n)
    return FALSE;
  if (row)
    *row = r;
  if (col)
    *col = c;
  return TRUE;
}

gboolean
tl_confusion_chart_cell_center (const TlConfusionChart *chart, double width, double height,
                                int row, int col, double *x, double *y)
{
  Layout L;

  g_return_val_if_fail (chart != NULL, FALSE);

  if (!compute_layout (chart, width, height, &L) || row < 0 || col < 0 || row >= L.n || col >= L.n)
    return FALSE;
  *x = L.gx + (col + 0.5) * L.cell;
  *y = L.gy + (row + 0.5) * L.cell;
  return TRUE;
}
