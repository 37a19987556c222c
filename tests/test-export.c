#include "config.h"

#include <math.h>
#include <string.h>

#include <csv.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-export.h"

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* CSV reading through libcsv: rows of fields. */

typedef struct {
  GPtrArray *rows;   /* GPtrArray of char* */
  GPtrArray *row;
} CsvRead;

static void
csv_field_cb (void *s, size_t len, void *data)
{
  CsvRead *r = data;

  if (r->row == NULL)
    r->row = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (r->row, g_strndup (s, len));
}

static void
csv_row_cb (int c, void *data)
{
  CsvRead *r = data;

  if (r->row == NULL)
    r->row = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (r->rows, r->row);
  r->row = NULL;
}

static GPtrArray *
read_csv (const char *path)
{
  g_autofree char *text = NULL;
  gsize len;
  struct csv_parser p;
  CsvRead r = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref), NULL };

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_assert_cmpint (csv_init (&p, CSV_STRICT | CSV_STRICT_FINI), ==, 0);
  g_assert_cmpuint (csv_parse (&p, text, len, csv_field_cb, csv_row_cb, &r), ==, len);
  g_assert_cmpint (csv_fini (&p, csv_field_cb, csv_row_cb, &r), ==, 0);
  csv_free (&p);
  return r.rows;
}

static const char *
cell (GPtrArray *rows, guint r, guint c)
{
  GPtrArray *row = g_ptr_array_index (rows, r);

  g_assert_cmpuint (c, <, row->len);
  return g_ptr_array_index (row, c);
}

static const char *names[] = { "cat", "dog, big", "\"bird\"", NULL };
static const int y_true[6] = { 0, 1, 2, 2, 1, 0 };
static const float probs[6 * 3] = {
  0.8f, 0.15f, 0.05f,  0.1f, 0.7f, 0.2f,  0.2f, 0.2f, 0.6f,
  0.3f, 0.6f, 0.1f,    0.4f, 0.35f, 0.25f,  1.0f / 3, 1.0f / 3, 1.0f / 3,
};

static void
test_history_csv (void)
{
  g_autoptr (TlHistory) h = tl_history_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = tmp_path ("history.csv");
  g_autoptr (GPtrArray) rows = NULL;

  for (int e = 1; e <= 4; e++)
    {
      TlEpochRecord r = { e, 1.0f / (e + 2), 0.1f * e + 0.0123f, e == 3 ? NAN : 1.1f / e, e == 3 ? NAN : 0.2f * e,
                          1e-3f / e, 0.75 * e };
      g_array_append_val (h->epochs, r);
    }
  g_assert_true (tl_export_history_csv (path, h, &error));
  g_assert_no_error (error);

  rows = read_csv (path);
  g_assert_cmpuint (rows->len, ==, 5);
  g_assert_cmpstr (cell (rows, 0, 0), ==, "epoch");
  g_assert_cmpstr (cell (rows, 0, 6), ==, "seconds");
  for (guint i = 0; i < 4; i++)
    {
      const TlEpochRecord *r = &g_array_index (h->epochs, TlEpochRecord, i);

      g_assert_cmpint (atoi (cell (rows, i + 1, 0)), ==, r->epoch);
      g_assert_cmpfloat ((float) g_ascii_strtod (cell (rows, i + 1, 1), NULL), ==, r->train_loss);
      g_assert_cmpfloat ((float) g_ascii_strtod (cell (rows, i + 1, 2), NULL), ==, r->train_accuracy);
      if (isnan (r->val_loss))
        {
          g_assert_cmpstr (cell (rows, i + 1, 3), ==, "");
          g_assert_cmpstr (cell (rows, i + 1, 4), ==, "");
        }
      else
        {
          g_assert_cmpfloat ((float) g_ascii_strtod (cell (rows, i + 1, 3), NULL), ==, r->val_loss);
          g_assert_cmpfloat ((float) g_ascii_strtod (cell (rows, i + 1, 4), NULL), ==, r->val_accuracy);
        }
      g_assert_cmpfloat ((float) g_ascii_strtod (cell (rows, i + 1, 5), NULL), ==, r->learning_rate);
      g_assert_cmpfloat (g_ascii_strtod (cell (rows, i + 1, 6), NULL), ==, r->seconds);
    }
}

static void
test_confusion_csv_and_metrics_json (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlMetrics) m = tl_metrics_compute (y_true, probs, 6, 3, names, &error);
  g_autofree char *csv_path = tmp_path ("confusion.csv");
  g_autofree char *json_path = tmp_path ("metrics.json");
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (TlMetrics) back = NULL;

  g_assert_no_error (error);
  g_assert_true (tl_export_confusion_csv (csv_path, m, &error));
  g_assert_no_error (error);
  rows = read_csv (csv_path);
  g_assert_cmpuint (rows->len, ==, 4);
  for (int c = 0; c < 3; c++)
    {
      g_assert_cmpstr (cell (rows, 0, c + 1), ==, names[c]);
      g_assert_cmpstr (cell (rows, c + 1, 0), ==, names[c]);
    }
  for (int t = 0; t < 3; t++)
    for (int p = 0; p < 3; p++)
      g_assert_cmpint (atoi (cell (rows, t + 1, p + 1)), ==, tl_metrics_confusion_at (m, t, p));

  g_assert_true (tl_export_metrics_json (json_path, m, &error));
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_file (parser, json_path, &error));
  back = tl_metrics_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back->confusion, 9 * sizeof (int), m->confusion, 9 * sizeof (int));
  g_assert_cmpstrv (back->class_names, m->class_names);
  g_assert_cmpfloat_with_epsilon (back->accuracy, m->accuracy, 1e-12);
  g_assert_cmpfloat_with_epsilon (back->macro_f1, m->macro_f1, 1e-12);
  g_assert_cmpfloat_with_epsilon (back->weighted_f1, m->weighted_f1, 1e-12);
  g_assert_cmpfloat_with_epsilon (back->log_loss, m->log_loss, 1e-12);
}

static void
test_predictions_csv (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = tmp_path ("predictions.csv");
  g_autoptr (GPtrArray) rows = NULL;
  static const int bad_y[1] = { 5 };

  g_assert_true (tl_export_predictions_csv (path, y_true, probs, 6, 3, names, &error));
  g_assert_no_error (error);
  rows = read_csv (path);
  g_assert_cmpuint (rows->len, ==, 7);
  g_assert_cmpstr (cell (rows, 0, 0), ==, "row");
  g_assert_cmpstr (cell (rows, 0, 1), ==, "true_label");
  g_assert_cmpstr (cell (rows, 0, 2), ==, "predicted_label");
  g_assert_cmpstr (cell (rows, 0, 4), ==, "prob_dog, big");
  g_assert_cmpstr (cell (rows, 0, 5), ==, "prob_\"bird\"");
  for (int i = 0; i < 6; i++)
    {
      int pred = tl_metrics_argmax (probs + 3 * i, 3);

      g_assert_cmpint (atoi (cell (rows, i + 1, 0)), ==, i);
      g_assert_cmpstr (cell (rows, i + 1, 1), ==, names[y_true[i]]);
      g_assert_cmpstr (cell (rows, i + 1, 2), ==, names[pred]);
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat ((float) g_ascii_strtod (cell (rows, i + 1, 3 + c), NULL), ==, probs[3 * i + c]);
    }
  g_assert_cmpstr (cell (rows, 6, 2), ==, "cat");   /* a three-way tie goes to the first class */

  g_assert_false (tl_export_predictions_csv (path, bad_y, probs, 1, 3, names, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  /* the failed export left the earlier file whole */
  g_ptr_array_unref (rows);
  rows = read_csv (path);
  g_assert_cmpuint (rows->len, ==, 7);
}

static void
draw_line (cairo_t *cr, double w, double h, gpointer data)
{
  tl_line_chart_draw (data, cr, w, h);
}

static gboolean
png_not_blank (const char *path, int w, int h)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new_from_file (path, &error);
  const guint8 *px;
  int stride, n_ch, differ = 0;

  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pb), ==, w);
  g_assert_cmpint (gdk_pixbuf_get_height (pb), ==, h);
  px = gdk_pixbuf_read_pixels (pb);
  stride = gdk_pixbuf_get_rowstride (pb);
  n_ch = gdk_pixbuf_get_n_channels (pb);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (memcmp (px + y * stride + x * n_ch, px, n_ch) != 0)
        differ++;
  return differ > w * h / 50;
}

static gboolean
svg_is_xml (const char *path)
{
  static const GMarkupParser parser = { 0 };
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  GMarkupParseContext *ctx;
  gsize len;
  gboolean ok;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  ctx = g_markup_parse_context_new (&parser, 0, NULL, NULL);
  ok = g_markup_parse_context_parse (ctx, text, len, &error) && g_markup_parse_context_end_parse (ctx, &error);
  g_markup_parse_context_free (ctx);
  if (!ok)
    g_test_message ("SVG: %s", error->message);
  return ok && strstr (text, "<svg") != NULL;
}

static gboolean
pdf_ok (const char *path)
{
  g_autofree char *text = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  if (len < 1000 || !g_str_has_prefix (text, "%PDF-"))
    return FALSE;
  /* the trailer ends the file: "%%EOF" within its last bytes */
  for (gsize i = len - 32; i + 5 <= len; i++)
    if (memcmp (text + i, "%%EOF", 5) == 0)
      return TRUE;
  return FALSE;
}

static void
test_chart_files (void)
{
  g_autoptr (TlLineChart) line = tl_line_chart_new ();
  g_autoptr (GError) error = NULL;
  g_autofree int *counts = g_new0 (int, 9);
  const char *const cls[] = { "a", "b", "c", NULL };
  TlConfusionChart conf = { 3, cls, counts, TRUE, "Confusion", { 0 } };
  int bar_counts[3] = { 10, 20, 5 };
  TlBarChart bars = { 3, cls, bar_counts, NULL, FALSE, "Counts", "Samples", { 0 } };
  const char *kinds[] = { "line", "confusion", "bars" };
  TlChartFormat format;
  int s;

  s = tl_line_chart_add_series (line, "loss", 0, TL_LINE_SOLID, TL_MARKER_FILLED, 2);
  for (int e = 1; e <= 6; e++)
    tl_line_chart_append (line, s, e, 1.0 / e);
  for (int i = 0; i < 9; i++)
    counts[i] = i % 4 == 0 ? 20 : i;

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *png = g_strdup_printf ("%s/%s.png", tmpdir, kinds[k]);
      g_autofree char *svg = g_strdup_printf ("%s/%s.svg", tmpdir, kinds[k]);
      g_autofree char *pdf = g_strdup_printf ("%s/%s.PDF", tmpdir, kinds[k]);
      const char *paths[] = { png, svg, pdf };

      for (guint f = 0; f < 3; f++)
        {
          gboolean ok = k == 0 ? tl_export_line_chart (paths[f], line, 480, 320, &error)
                      : k == 1 ? tl_export_confusion_chart (paths[f], &conf, 480, 320, &error)
                               : tl_export_bar_chart (paths[f], &bars, 480, 320, &error);

          g_assert_no_error (error);
          g_assert_true (ok);
        }
      g_assert_true (png_not_blank (png, 480, 320));
      g_assert_true (svg_is_xml (svg));
      g_assert_true (pdf_ok (pdf));
    }

  g_assert_false (tl_chart_format_from_path ("chart.jpeg", &format, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_true (tl_chart_format_from_path ("a.Svg", &format, &error));
  g_assert_cmpint (format, ==, TL_CHART_FORMAT_SVG);
  {
    g_autofree char *p = tmp_path ("huge.png");
    g_assert_false (tl_export_chart (p, TL_CHART_FORMAT_PNG, 1e6, 10, draw_line, line, &error));
    g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
    g_assert_false (g_file_test (p, G_FILE_TEST_EXISTS));
  }
}

static gboolean
failing_writer (FILE *fp, gpointer user_data, GError **error)
{
  fputs ("half of the new con", fp);
  g_set_error (error, TL_ERROR, TL_ERROR_FAILED, "stopped on purpose");
  return FALSE;
}

static gboolean
stream_writer (GOutputStream *out, gpointer user_data, GError **error)
{
  return g_output_stream_write_all (out, user_data, strlen (user_data), NULL, NULL, error);
}

static gboolean
failing_stream_writer (GOutputStream *out, gpointer user_data, GError **error)
{
  g_output_stream_write_all (out, "xyz", 3, NULL, NULL, NULL);
  g_set_error (error, TL_ERROR, TL_ERROR_FAILED, "stopped on purpose");
  return FALSE;
}

static gboolean
path_writer (const char *tmp, gpointer user_data, GError **error)
{
  return g_file_set_contents (tmp, user_data, -1, error);
}

static gboolean
failing_path_writer (const char *tmp, gpointer user_data, GError **error)
{
  g_file_set_contents (tmp, "partial", -1, NULL);
  g_set_error (error, TL_ERROR, TL_ERROR_FAILED, "stopped on purpose");
  return FALSE;
}

static int
count_entries (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  int n = 0;

  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  return n;
}

static void
test_atomic_write (void)
{
  g_autofree char *dir = tmp_path ("atomic");
  g_autofree char *path = g_build_filename (dir, "file.txt", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  struct stat st;

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  g_assert_true (tl_atomic_write_bytes (path, "old content\n", 12, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0640), ==, 0);

  g_assert_false (tl_atomic_write_file (path, failing_writer, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (tl_atomic_write_stream (path, failing_stream_writer, NULL, &error));
  g_clear_error (&error);
  g_assert_false (tl_atomic_write_path (path, failing_path_writer, NULL, &error));
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "old content\n");
  g_assert_cmpint (count_entries (dir), ==, 1);     /* no temporary file left behind */
  g_clear_pointer (&text, g_free);

  g_assert_true (tl_atomic_write_stream (path, stream_writer, "from a stream", &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "from a stream");
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);    /* replacing keeps the mode */
  g_clear_pointer (&text, g_free);

  g_assert_true (tl_atomic_write_path (path, path_writer, "by name", &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "by name");
  g_assert_cmpint (count_entries (dir), ==, 1);

  {
    g_autofree char *nowhere = g_build_filename (dir, "missing", "file.txt", NULL);
    g_assert_false (tl_atomic_write_bytes (nowhere, "x", 1, &error));
    g_assert_error (error, TL_ERROR, TL_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "missing"));
  }
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      GDir *d = g_dir_open (path, 0, NULL);
      const char *name;

      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tl-export-XXXXXX", NULL);
  g_test_add_func ("/export/history-csv", test_history_csv);
  g_test_add_func ("/export/confusion-csv-metrics-json", test_confusion_csv_and_metrics_json);
  g_test_add_func ("/export/predictions-csv", test_predictions_csv);
  g_test_add_func ("/export/chart-files", test_chart_files);
  g_test_add_func ("/export/atomic-write", test_atomic_write);
  ret = g_test_run ();
  if (g_getenv ("TL_KEEP_TMP") == NULL)
    remove_tree (tmpdir);
  g_free (tmpdir);
  return ret;
}
