#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>

#include "tl-chart-audio.h"
#include "tl-chart-domain-map.h"
#include "tl-chart-heatmap.h"
#include "tl-chart-spectrogram-heat.h"
#include "tl-chart.h"
#include "tl-rng.h"

static const char *names20[] = {
  "alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
  "comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos", "rec.motorcycles",
  "rec.sport.baseball", "rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med", "sci.space",
  "soc.religion.christian", "talk.politics.guns", "talk.politics.mideast", "talk.politics.misc",
  "talk.religion.misc", NULL,
};

typedef void (*DrawFunc) (cairo_t *cr, double w, double h, gpointer data);

static guint32 last_checksum;   /* of the last render's pixels */

/* Renders and returns how many pixels differ from the top-left (background) pixel. */
static int
render_count (DrawFunc draw, gpointer data, int w, int h, cairo_surface_t **keep)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (s);
  guint32 bg;
  int differ = 0;
  unsigned char *px;
  int stride;

  draw (cr, w, h, data);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  px = cairo_image_surface_get_data (s);
  stride = cairo_image_surface_get_stride (s);
  bg = *(guint32 *) px;
  last_checksum = 2166136261u;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 v = *(guint32 *) (px + y * stride + 4 * x);

        if (v != bg)
          differ++;
        last_checksum = (last_checksum ^ v) * 16777619u;
      }
  if (keep)
    *keep = s;
  else
    cairo_surface_destroy (s);
  return differ;
}

static void
draw_line (cairo_t *cr, double w, double h, gpointer data)
{
  tl_line_chart_draw (data, cr, w, h);
}

static void
draw_confusion (cairo_t *cr, double w, double h, gpointer data)
{
  tl_confusion_chart_draw (data, cr, w, h);
}

static void
draw_bars (cairo_t *cr, double w, double h, gpointer data)
{
  tl_bar_chart_draw (data, cr, w, h);
}

static TlHistory *
make_history (int epochs, double offset)
{
  TlHistory *h = tl_history_new ();

  for (int e = 1; e <= epochs; e++)
    {
      TlEpochRecord r = { e, 1.5 * exp (-0.3 * e) + offset, 1 - 0.7 * exp (-0.3 * e),
                          1.4 * exp (-0.25 * e) + offset + 0.2, 0.9 - 0.7 * exp (-0.3 * e), 1e-3, 1.5 };
      g_array_append_val (h->epochs, r);
    }
  return h;
}

static void
test_line_chart_draws (void)
{
  g_autoptr (TlLineChart) chart = tl_line_chart_new ();
  g_autoptr (TlHistory) h = make_history (10, 0.1);
  g_autoptr (TlHistory) base = make_history (10, 0.4);
  int empty, full, logged;
  guint32 full_sum;

  tl_line_chart_set_title (chart, "Loss");
  empty = render_count (draw_line, chart, 640, 400, NULL);
  tl_line_chart_add_history (chart, h, TL_CHART_LOSS, "transfer", 0);
  tl_line_chart_add_history (chart, base, TL_CHART_LOSS, "baseline", 1);
  g_assert_cmpint (tl_line_chart_n_series (chart), ==, 4);
  g_assert_cmpint (tl_line_chart_n_points (chart, 0), ==, 10);
  full = render_count (draw_line, chart, 640, 400, NULL);
  full_sum = last_checksum;
  g_assert_cmpint (empty, >, 500);          /* axes, title and "No data yet" */
  g_assert_cmpint (full, >, empty + 2000);  /* four curves with markers and a legend */

  tl_line_chart_set_highlight (chart, 4);
  render_count (draw_line, chart, 640, 400, NULL);
  g_assert_cmpuint (last_checksum, !=, full_sum);

  tl_line_chart_set_highlight (chart, NAN);
  tl_line_chart_set_log_y (chart, TRUE);
  tl_line_chart_append (chart, 0, 11, 0.0);   /* not drawable on a log axis: skipped */
  logged = render_count (draw_line, chart, 640, 400, NULL);
  g_assert_cmpint (logged, >, empty + 2000);

  /* too small to draw a plot: must not fail */
  render_count (draw_line, chart, 30, 20, NULL);
}

static int count_colour (cairo_surface_t *s, int x0, int x1, int index);

/* Pixels of palette colour `index` in the whole chart. */
static int
count_chart_colour (TlLineChart *chart, int index)
{
  cairo_surface_t *s = NULL;
  int n;

  render_count (draw_line, chart, 640, 400, &s);
  n = count_colour (s, 0, 640, index);
  cairo_surface_destroy (s);
  return n;
}

/* A run whose curve another run repeats (joint under the self-training that starts from it)
 * must still show: its colour rings the curve drawn over it. */
static void
test_line_chart_hidden_series_shows (void)
{
  g_autoptr (TlLineChart) alone = tl_line_chart_new ();
  g_autoptr (TlLineChart) under = tl_line_chart_new ();
  g_autoptr (TlLineChart) apart = tl_line_chart_new ();
  TlLineChart *charts[] = { alone, under, apart };
  int legend_only, hidden, separate;

  for (int c = 0; c < 3; c++)
    {
      int a = tl_line_chart_add_series (charts[c], "joint", 0, TL_LINE_SOLID, TL_MARKER_FILLED, 2.0);
      int b = tl_line_chart_add_series (charts[c], "self-training", 1, TL_LINE_SOLID, TL_MARKER_FILLED, 2.0);

      for (int e = 1; e <= 20; e++)
        {
          double y = exp (-0.2 * e);

          if (e <= 10 && c > 0)
            tl_line_chart_append (charts[c], a, e, c == 2 ? y + 0.3 : y);
          tl_line_chart_append (charts[c], b, e, y);
        }
    }
  legend_only = count_chart_colour (alone, 0);
  hidden = count_chart_colour (under, 0);
  separate = count_chart_colour (apart, 0);
  g_test_message ("legend %d hidden %d apart %d", legend_only, hidden, separate);
  g_assert_cmpint (hidden, >, legend_only + 300);
  /* a curve that is not hidden keeps its own width */
  g_assert_cmpint (separate, <, hidden);
}

/* Epochs are whole numbers: ticks fall on them, with data or without. */
static void
test_line_chart_whole_epoch_ticks (void)
{
  g_autoptr (TlLineChart) chart = tl_line_chart_new ();
  g_autoptr (TlHistory) h = make_history (10, 0.1);
  double ticks[64];

  for (int pass = 0; pass < 2; pass++)
    {
      for (int width = 200; width <= 1200; width += 50)
        {
          int n = tl_line_chart_x_ticks (chart, width, 400, ticks, G_N_ELEMENTS (ticks));

          g_assert_cmpint (n, >=, 2);
          for (int i = 0; i < n; i++)
            g_assert_cmpfloat (ticks[i], ==, floor (ticks[i]));
        }
      tl_line_chart_add_history (chart, h, TL_CHART_LOSS, "transfer", 0);
    }
}

static void
test_line_chart_pick (void)
{
  g_autoptr (TlLineChart) chart = tl_line_chart_new ();
  g_autoptr (TlHistory) h = make_history (8, 0.1);
  TlChartPick pick;
  double last = 0;
  gboolean seen[9] = { FALSE };

  g_assert_false (tl_line_chart_pick (chart, 600, 400, 300, &pick));
  tl_line_chart_add_history (chart, h, TL_CHART_ACCURACY, NULL, 0);

  g_assert_true (tl_line_chart_pick (chart, 600, 400, 0, &pick));
  g_assert_cmpfloat (pick.x, ==, 1);
  g_assert_true (tl_line_chart_pick (chart, 600, 400, 600, &pick));
  g_assert_cmpfloat (pick.x, ==, 8);
  g_assert_cmpint (pick.n_values, ==, 2);
  g_assert_cmpint (pick.series[0], ==, 0);
  g_assert_cmpfloat (pick.y[0], ==, g_array_index (h->epochs, TlEpochRecord, 7).train_accuracy);
  g_assert_cmpfloat (pick.y[1], ==, g_array_index (h->epochs, TlEpochRecord, 7).val_accuracy);

  /* sweeping the pointer visits every epoch once, in order */
  for (int px = 0; px <= 600; px += 3)
    {
      g_assert_true (tl_line_chart_pick (chart, 600, 400, px, &pick));
      g_assert_cmpfloat (pick.x, >=, last);
      last = pick.x;
      seen[(int) pick.x] = TRUE;
    }
  for (int e = 1; e <= 8; e++)
    g_assert_true (seen[e]);
}

static int *
make_counts (int n)
{
  int *counts = g_new0 (int, n * n);

  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++)
      counts[r * n + c] = r == c ? 100 + 7 * r : (r * 31 + c * 17) % 9;
  return counts;
}

static void
check_hit_test (int n, double w, double h)
{
  g_autofree int *counts = make_counts (n);
  TlConfusionChart chart = { n, n == 20 ? names20 : NULL, counts, FALSE, "Confusion", { 0 } };
  int row = -1, col = -1;

  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++)
      {
        double x, y;

        g_assert_true (tl_confusion_chart_cell_center (&chart, w, h, r, c, &x, &y));
        g_assert_true (x > 0 && x < w && y > 0 && y < h);
        g_assert_true (tl_confusion_chart_hit (&chart, w, h, x, y, &row, &col));
        g_assert_cmpint (row, ==, r);
        g_assert_cmpint (col, ==, c);
      }
  g_assert_false (tl_confusion_chart_hit (&chart, w, h, 1, 1, &row, &col));
  g_assert_false (tl_confusion_chart_hit (&chart, w, h, w - 1, h - 1, &row, &col));
}

static void
test_confusion_hit (void)
{
  check_hit_test (5, 600, 520);
  check_hit_test (20, 900, 800);
  check_hit_test (20, 500, 700);
  check_hit_test (2, 300, 300);
}

static void
test_confusion_draws (void)
{
  g_autofree int *counts = make_counts (20);
  TlConfusionChart chart = { 20, names20, counts, FALSE, "Test", { 0 } };
  int counts_mode, norm_mode, dark, nothing;
  guint32 counts_sum, norm_sum;

  counts_mode = render_count (draw_confusion, &chart, 800, 760, NULL);
  counts_sum = last_checksum;
  chart.normalised = TRUE;
  norm_mode = render_count (draw_confusion, &chart, 800, 760, NULL);
  norm_sum = last_checksum;
  chart.has_selection = TRUE;
  chart.selected_row = 3;
  chart.selected_col = 4;
  render_count (draw_confusion, &chart, 800, 760, NULL);
  chart.style.dark = TRUE;
  dark = render_count (draw_confusion, &chart, 800, 760, NULL);
  g_assert_cmpint (counts_mode, >, 800 * 760 / 4);  /* the grid fills much of the area */
  g_assert_cmpint (norm_mode, >, 800 * 760 / 4);
  g_assert_cmpuint (norm_sum, !=, counts_sum);
  g_assert_cmpuint (last_checksum, !=, norm_sum);   /* the selected cell is outlined */
  g_assert_cmpint (dark, >, 1000);

  chart.n_classes = 0;
  nothing = render_count (draw_confusion, &chart, 200, 200, NULL);
  g_assert_cmpint (nothing, ==, 0);
}

static void
test_bar_chart_draws (void)
{
  int counts[20];
  gboolean selected[20];
  TlBarChart chart = { 20, names20, counts, selected, FALSE, "Classes", "Samples", { 0 } };
  int horizontal, vertical, all_selected;

  for (int i = 0; i < 20; i++)
    {
      counts[i] = 50 + i * 13;
      selected[i] = i % 3 != 0;
    }
  horizontal = render_count (draw_bars, &chart, 700, 500, NULL);
  chart.vertical = TRUE;
  vertical = render_count (draw_bars, &chart, 700, 500, NULL);
  chart.selected = NULL;
  all_selected = render_count (draw_bars, &chart, 700, 500, NULL);
  g_assert_cmpint (horizontal, >, 20000);
  g_assert_cmpint (vertical, >, 20000);
  g_assert_cmpint (horizontal, !=, vertical);
  g_assert_cmpint (all_selected, >, 20000);
}

static void
draw_waveform (cairo_t *cr, double w, double h, gpointer data)
{
  tl_waveform_chart_draw (data, cr, w, h);
}

static void
draw_spectrogram (cairo_t *cr, double w, double h, gpointer data)
{
  tl_spectrogram_chart_draw (data, cr, w, h);
}

static guint32
pixel_at (cairo_surface_t *s, int x, int y)
{
  return *(guint32 *) (cairo_image_surface_get_data (s) + y * cairo_image_surface_get_stride (s) + 4 * x) & 0xffffff;
}

/* Pixels of the waveform's colour in each row and in each half of the columns. */
static void
count_wave_pixels (cairo_surface_t *s, int *per_row, int *left, int *right)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  double r, g, b;
  guint32 want;

  tl_chart_palette_color (0, FALSE, &r, &g, &b);
  want = ((guint32) lround (r * 255) << 16) | ((guint32) lround (g * 255) << 8) | (guint32) lround (b * 255);

  *left = *right = 0;
  for (int y = 0; y < h; y++)
    {
      per_row[y] = 0;
      for (int x = 0; x < w; x++)
        if (pixel_at (s, x, y) == want)
          {
            per_row[y]++;
            (x < w / 2 ? left : right)[0]++;
          }
    }
}

/* A sine of amplitude 0.8 fills the rows within 0.8 of the half height around the middle
 * and none beyond; silence draws only the zero line; a tone then silence only the left half. */
static void
test_waveform_draws (void)
{
  enum { W = 400, H = 120, N = 8000 };
  g_autofree float *sine = g_new (float, N);
  g_autofree float *quiet = g_new0 (float, N);
  g_autofree float *half = g_new0 (float, N);
  TlWaveformChart chart = { sine, N, NULL, NULL, { 0 } };
  cairo_surface_t *s = NULL;
  int rows[H], left, right, differ;
  double px, py, pw, ph, mid, reach;

  for (int i = 0; i < N; i++)
    {
      sine[i] = 0.8f * (float) sin (2 * G_PI * 440.0 * i / 8000.0);
      half[i] = i < N / 2 ? sine[i] : 0.0f;
    }
  tl_audio_chart_plot_area (FALSE, W, H, &px, &py, &pw, &ph);
  mid = py + ph / 2;
  reach = 0.8 * ph / 2;

  render_count (draw_waveform, &chart, W, H, &s);
  count_wave_pixels (s, rows, &left, &right);
  for (int y = 0; y < H; y++)
    {
      if (fabs (y + 0.5 - mid) < reach - 2)
        g_assert_cmpint (rows[y], >=, (int) pw - 2);   /* every column reaches this row */
      if (fabs (y + 0.5 - mid) > reach + 2)
        g_assert_cmpint (rows[y], ==, 0);
    }
  g_assert_cmpint (abs (left - right), <, (left + right) / 20);
  cairo_surface_destroy (s);

  chart.samples = quiet;
  differ = render_count (draw_waveform, &chart, W, H, &s);
  count_wave_pixels (s, rows, &left, &right);
  g_assert_cmpint (left + right, ==, 0);
  g_assert_cmpint (differ, <=, (int) pw + 2);   /* the zero line, one row */
  g_assert_cmpint (differ, >, 0);
  cairo_surface_destroy (s);

  chart.samples = half;
  chart.title = "Waveform";
  chart.caption = "1.00 s";
  render_count (draw_waveform, &chart, W, H, &s);
  count_wave_pixels (s, rows, &left, &right);
  g_assert_cmpint (left, >, 1000);
  g_assert_cmpint (right, <, 10);
  cairo_surface_destroy (s);
}

static int
brightness (guint32 v)
{
  return (int) ((v >> 16) & 0xff) + (int) ((v >> 8) & 0xff) + (int) (v & 0xff);
}

/* Band 0 at the bottom, time to the right: a loud patch in the high bands of the second
 * half shows bright at the top right only; a flat spectrogram is one colour. */
static void
test_spectrogram_draws (void)
{
  enum { BANDS = 40, FRAMES = 101, W = 300, H = 150 };
  g_autofree float *v = g_new (float, BANDS * FRAMES);
  TlSpectrogramChart chart = { v, BANDS, FRAMES, 0, NULL, NULL, { 0 } };
  cairo_surface_t *s = NULL;
  double px, py, pw, ph;
  int differ, top_right, top_left, bottom_right;

  for (int b = 0; b < BANDS; b++)
    for (int t = 0; t < FRAMES; t++)
      v[b * FRAMES + t] = (b >= 30 && t >= 60) ? 0.0f : -12.0f;
  tl_audio_chart_plot_area (FALSE, W, H, &px, &py, &pw, &ph);
  differ = render_count (draw_spectrogram, &chart, W, H, &s);
  g_assert_cmpint (differ, >, (int) (pw * ph * 0.9));   /* the plot is filled, not the background */
  top_right = brightness (pixel_at (s, (int) (px + pw * 0.9), (int) (py + ph * 0.1)));
  top_left = brightness (pixel_at (s, (int) (px + pw * 0.2), (int) (py + ph * 0.1)));
  bottom_right = brightness (pixel_at (s, (int) (px + pw * 0.9), (int) (py + ph * 0.9)));
  g_assert_cmpint (top_right, >, 600);
  g_assert_cmpint (top_left, <, 100);
  g_assert_cmpint (bottom_right, ==, top_left);
  cairo_surface_destroy (s);

  /* a range narrower than the values: everything below max - range is the darkest colour */
  chart.range = 6.0;
  render_count (draw_spectrogram, &chart, W, H, &s);
  g_assert_cmpint (brightness (pixel_at (s, (int) (px + pw * 0.2), (int) (py + ph * 0.5))), <, 60);
  cairo_surface_destroy (s);

  for (int i = 0; i < BANDS * FRAMES; i++)
    v[i] = 3.0f;
  chart.title = "Log-mel";
  render_count (draw_spectrogram, &chart, W, H, &s);
  tl_audio_chart_plot_area (TRUE, W, H, &px, &py, &pw, &ph);
  g_assert_cmpint (pixel_at (s, (int) (px + 2), (int) (py + 2)), ==, pixel_at (s, (int) (px + pw - 3), (int) (py + ph - 3)));
  cairo_surface_destroy (s);
}

static void
draw_spectrogram_heat (cairo_t *cr, double w, double h, gpointer data)
{
  tl_spectrogram_heat_chart_draw (data, cr, w, h);
}

/* Centroid of the pixels left of x_max where channel `hue` (0 red, 2 blue) leads both others by 80. */
static int
tinted_centroid (cairo_surface_t *s, int hue, int x_max, double *cx, double *cy)
{
  int h = cairo_image_surface_get_height (s), n = 0;

  *cx = *cy = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < x_max; x++)
      {
        guint32 v = pixel_at (s, x, y);
        int c[3] = { (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

        if (c[hue] > c[1] + 80 && c[hue] > c[2 - hue] + 80)
          {
            *cx += x;
            *cy += y;
            n++;
          }
      }
  if (n > 0)
    {
      *cx /= n;
      *cy /= n;
    }
  return n;
}

/* Importance over a spectrogram: red where it is positive (high bands, late frames: top right),
 * blue where negative (low bands, early frames: bottom left), the axes follow the band centres. */
static void
test_spectrogram_heat_draws (void)
{
  enum { BANDS = 40, FRAMES = 101, W = 480, H = 260 };
  g_autofree float *v = g_new (float, BANDS * FRAMES);
  g_autofree float *heat = g_new0 (float, BANDS * FRAMES);
  double hz[BANDS], cx, cy;
  TlSpectrogramHeatChart chart = { 0 };
  cairo_surface_t *s = NULL;
  guint32 numbered;
  int red, blue;

  for (int b = 0; b < BANDS; b++)
    {
      hz[b] = 700 * (pow (10, (b + 1) * 2146.0 / 41 / 2595) - 1);
      for (int t = 0; t < FRAMES; t++)
        {
          v[b * FRAMES + t] = (float) sin (b * 0.3 + t * 0.1);
          if (b >= 30 && t >= 60)
            heat[b * FRAMES + t] = 0.2f;
          if (b < 10 && t < 30)
            heat[b * FRAMES + t] = -0.2f;
        }
    }
  chart.values = v;
  chart.heat = heat;
  chart.bands = BANDS;
  chart.frames = FRAMES;
  chart.seconds_per_frame = 0.01;
  chart.band_hz = hz;
  chart.title = "Row 3";
  g_assert_cmpfloat_with_epsilon (tl_spectrogram_heat_chart_scale (&chart), 0.2, 1e-6);
  g_assert_cmpint (render_count (draw_spectrogram_heat, &chart, W, H, &s), >, W * H / 2);
  /* the colour bar at the right holds both tints: look left of it */
  red = tinted_centroid (s, 0, W * 3 / 4, &cx, &cy);
  g_assert_cmpint (red, >, 500);
  g_assert_cmpfloat (cx, >, W * 0.45);
  g_assert_cmpfloat (cy, <, H * 0.45);
  blue = tinted_centroid (s, 2, W * 3 / 4, &cx, &cy);
  g_assert_cmpint (blue, >, 500);
  g_assert_cmpfloat (cx, <, W * 0.35);
  g_assert_cmpfloat (cy, >, H * 0.5);
  cairo_surface_destroy (s);

  /* bands numbered instead of in Hz: other labels; no heat: no tint in the plot */
  chart.band_hz = NULL;
  render_count (draw_spectrogram_heat, &chart, W, H, NULL);
  numbered = last_checksum;
  chart.band_hz = hz;
  render_count (draw_spectrogram_heat, &chart, W, H, NULL);
  g_assert_cmpuint (numbered, !=, last_checksum);
  memset (heat, 0, sizeof (float) * BANDS * FRAMES);
  render_count (draw_spectrogram_heat, &chart, W, H, &s);
  g_assert_cmpint (tinted_centroid (s, 0, W * 3 / 4, &cx, &cy), ==, 0);
  g_assert_cmpint (tinted_centroid (s, 2, W * 3 / 4, &cx, &cy), ==, 0);
  cairo_surface_destroy (s);

  /* too small to hold the plot: nothing but the title, no failure */
  render_count (draw_spectrogram_heat, &chart, 30, 20, NULL);
}

static void
draw_domain_map (cairo_t *cr, double w, double h, gpointer data)
{
  tl_domain_map_chart_draw (data, cr, w, h);
}

/* Pixels of [x0, x1) close to palette colour `index` (the points' outlines are drawn nearly opaque). */
static int
count_colour (cairo_surface_t *s, int x0, int x1, int index)
{
  const unsigned char *px = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s), n = 0;
  double r, g, b;

  tl_chart_palette_color (index, FALSE, &r, &g, &b);
  for (int y = 0; y < cairo_image_surface_get_height (s); y++)
    for (int x = x0; x < x1; x++)
      {
        guint32 v = *(const guint32 *) (px + y * stride + 4 * x);
        double dr = ((v >> 16) & 0xff) - 255 * r, dg = ((v >> 8) & 0xff) - 255 * g, db = (v & 0xff) - 255 * b;
        if (dr * dr + dg * dg + db * db < 30 * 30)
          n++;
      }
  return n;
}

static TlDomainMap *
fake_map (double target_x, double a_distance)
{
  static const char *const names[] = { "shirt", "bag", "boot", NULL };
  TlDomainMap *map = g_new0 (TlDomainMap, 1);
  TlRng rng;

  tl_rng_init (&rng, 5);
  map->n = 120;
  map->n_source = 80;
  map->xy = g_new (float, 2 * map->n);
  map->label = g_new (int, map->n);
  for (int i = 0; i < map->n; i++)
    {
      gboolean target = i >= map->n_source;
      map->label[i] = target ? 2 : i % 2;
      map->xy[2 * i] = (float) ((target ? target_x : -2.0) + tl_rng_normal (&rng));
      map->xy[2 * i + 1] = (float) (map->label[i] + 0.4 * tl_rng_normal (&rng));
    }
  map->n_classes = 3;
  map->class_names = g_strdupv ((char **) names);
  map->layer = 4;
  map->layer_name = g_strdup ("relu2");
  map->explained[0] = 0.6;
  map->explained[1] = 0.2;
  map->a_distance = a_distance;
  return map;
}

/* Two panels, each with both domains' colours in its half; points drawn where the data puts them. */
static void
test_domain_map_draws (void)
{
  g_autoptr (TlDomainMap) before = fake_map (3.0, 1.9);
  g_autoptr (TlDomainMap) after = fake_map (-1.0, 0.4);
  const TlDomainMap *maps[] = { before, after };
  const char *titles[] = { "Before", "After" };
  TlDomainMapChart chart = { .n_maps = 2, .maps = maps, .titles = titles };
  cairo_surface_t *s = NULL;
  guint32 sum_two, sum_moved;
  int differ;

  differ = render_count (draw_domain_map, &chart, 1000, 500, &s);
  sum_two = last_checksum;
  g_test_message ("domain map: %d pixels drawn; colours left %d/%d, right %d/%d", differ,
                  count_colour (s, 0, 500, 0), count_colour (s, 0, 500, 1), count_colour (s, 500, 1000, 0),
                  count_colour (s, 500, 1000, 1));
  g_assert_cmpint (differ, >, 20000);
  for (int half = 0; half < 2; half++)
    for (int colour = 0; colour < 2; colour++)
      g_assert_cmpint (count_colour (s, half * 500, half * 500 + 500, colour), >, 150);   /* the legend alone: about 40 */
  cairo_surface_destroy (s);

  /* the target moved: another picture */
  for (int i = after->n_source; i < after->n; i++)
    after->xy[2 * i] += 2.0f;
  render_count (draw_domain_map, &chart, 1000, 500, NULL);
  sum_moved = last_checksum;
  g_assert_cmpuint (sum_two, !=, sum_moved);

  /* one panel alone, no titles, dark; and a size too small to draw points stays whole */
  chart.n_maps = 1;
  chart.titles = NULL;
  chart.style.dark = TRUE;
  g_assert_cmpint (render_count (draw_domain_map, &chart, 500, 500, NULL), >, 10000);
  render_count (draw_domain_map, &chart, 40, 30, NULL);
}

static void
draw_heatmap (cairo_t *cr, double w, double h, gpointer data)
{
  tl_heatmap_draw (data, cr, w, h);
}

/* The grey level of image cell (x, y) in the left panel of a 2x2 heat map drawn at 200x100. */
static int
left_grey (const float *image, int x, int y)
{
  const float heat[4] = { 0 };
  TlHeatmap map = { image, 1, 2, 2, heat, NULL };
  cairo_surface_t *s = NULL;
  guint32 v;

  render_count (draw_heatmap, &map, 200, 100, &s);
  /* panels of 80x80 from (12, 8): a cell is 40 pixels */
  v = *(guint32 *) (cairo_image_surface_get_data (s) + (8 + 20 + 40 * y) * cairo_image_surface_get_stride (s)
                    + 4 * (12 + 20 + 40 * x));
  cairo_surface_destroy (s);
  g_assert_cmpuint ((v >> 16) & 0xff, ==, v & 0xff);
  return (int) (v & 0xff);
}

/* An image in 0..1 is shown as it is; a normalised one (a model's input after
 * its mean and standard deviation) from its own range, not clipped to black and white. */
static void
test_heatmap_image_range (void)
{
  const float plain[4] = { 0.0f, 0.25f, 0.5f, 1.0f };
  const float normalised[4] = { -1.0f, 0.0f, 2.0f, 0.5f };

  g_assert_cmpint (left_grey (plain, 1, 0), ==, 64);
  g_assert_cmpint (left_grey (plain, 0, 1), ==, 128);
  g_assert_cmpint (left_grey (normalised, 0, 0), ==, 0);
  g_assert_cmpint (left_grey (normalised, 1, 0), ==, 85);
  g_assert_cmpint (left_grey (normalised, 1, 1), ==, 128);
  g_assert_cmpint (left_grey (normalised, 0, 1), ==, 255);
}

static void
test_palette (void)
{
  double r1, g1, b1, r2, g2, b2;

  tl_chart_palette_color (0, FALSE, &r1, &g1, &b1);
  tl_chart_palette_color (1, FALSE, &r2, &g2, &b2);
  g_assert_true (fabs (r1 - r2) + fabs (g1 - g2) + fabs (b1 - b2) > 0.5);
  tl_chart_palette_color (8, FALSE, &r2, &g2, &b2);
  g_assert_cmpfloat (r1, ==, r2);
  g_assert_cmpfloat (b1, ==, b2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/chart/line-draws", test_line_chart_draws);
  g_test_add_func ("/chart/line-pick", test_line_chart_pick);
  g_test_add_func ("/chart/line-hidden-series-shows", test_line_chart_hidden_series_shows);
  g_test_add_func ("/chart/line-whole-epoch-ticks", test_line_chart_whole_epoch_ticks);
  g_test_add_func ("/chart/confusion-hit", test_confusion_hit);
  g_test_add_func ("/chart/confusion-draws", test_confusion_draws);
  g_test_add_func ("/chart/bar-draws", test_bar_chart_draws);
  g_test_add_func ("/chart/palette", test_palette);
  g_test_add_func ("/chart/heatmap-image-range", test_heatmap_image_range);
  g_test_add_func ("/chart/waveform-draws", test_waveform_draws);
  g_test_add_func ("/chart/spectrogram-draws", test_spectrogram_draws);
  g_test_add_func ("/chart/spectrogram-heat-draws", test_spectrogram_heat_draws);
  g_test_add_func ("/chart/domain-map-draws", test_domain_map_draws);
  return g_test_run ();
}
