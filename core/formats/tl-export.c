#define G_LOG_DOMAIN "tl-export"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-export.h"

gboolean
tl_chart_format_from_path (const char *path, TlChartFormat *format, GError **error)
{
  const char *dot;

  g_return_val_if_fail (path != NULL && format != NULL, FALSE);

  dot = strrchr (path, '.');
  if (dot && g_ascii_strcasecmp (dot, ".png") == 0)
    *format = TL_CHART_FORMAT_PNG;
  else if (dot && g_ascii_strcasecmp (dot, ".svg") == 0)
    *format = TL_CHART_FORMAT_SVG;
  else if (dot && g_ascii_strcasecmp (dot, ".pdf") == 0)
    *format = TL_CHART_FORMAT_PDF;
  else
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   "Cannot tell the chart format of “%s”: expected a .png, .svg or .pdf name", path);
      return FALSE;
    }
  return TRUE;
}

static cairo_status_t
write_to_file (void *closure, const unsigned char *data, unsigned int length)
{
  return fwrite (data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

typedef struct {
  TlChartFormat   format;
  double          width, height;
  TlChartDrawFunc draw;
  gpointer        user_data;
} ChartJob;

static gboolean
cairo_failed (cairo_status_t status, GError **error)
{
  if (status == CAIRO_STATUS_SUCCESS)
    return FALSE;
  g_set_error (error, TL_ERROR, TL_ERROR_IO, "Cannot draw the chart: %s", cairo_status_to_string (status));
  return TRUE;
}

static gboolean
write_chart (FILE *fp, gpointer user_data, GError **error)
{
  ChartJob *job = user_data;
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  switch (job->format)
    {
    case TL_CHART_FORMAT_PNG:
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (job->width),
                                            (int) ceil (job->height));
      break;
    case TL_CHART_FORMAT_SVG:
      surface = cairo_svg_surface_create_for_stream (write_to_file, fp, job->width, job->height);
      break;
    case TL_CHART_FORMAT_PDF:
    default:
      surface = cairo_pdf_surface_create_for_stream (write_to_file, fp, job->width, job->height);
      break;
    }
  if (cairo_failed (cairo_surface_status (surface), error))
    {
      cairo_surface_destroy (surface);
      return FALSE;
    }

  cr = cairo_create (surface);
  job->draw (cr, job->width, job->height, job->user_data);
  status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && job->format == TL_CHART_FORMAT_PNG)
    status = cairo_surface_write_to_png_stream (surface, write_to_file, fp);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  return !cairo_failed (status, error);
}

gboolean
tl_export_chart (const char *path, TlChartFormat format, double width, double height,
                 TlChartDrawFunc draw, gpointer user_data, GError **error)
{
  ChartJob job = { format, width, height, draw, user_data };

  g_return_val_if_fail (path != NULL && draw != NULL, FALSE);

  if (!(width >= 1 && height >= 1 && width <= 20000 && height <= 20000))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "Chart size %g x %g is outside 1 to 20000", width, height);
      return FALSE;
    }
  return tl_atomic_write_file (path, write_chart, &job, error);
}

static void
draw_line_chart (cairo_t *cr, double w, double h, gpointer data)
{
  tl_line_chart_draw (data, cr, w, h);
}

static void
draw_confusion_chart (cairo_t *cr, double w, double h, gpointer data)
{
  tl_confusion_chart_draw (data, cr, w, h);
}

static void
draw_bar_chart (cairo_t *cr, double w, double h, gpointer data)
{
  tl_bar_chart_draw (data, cr, w, h);
}

gboolean
tl_export_line_chart (const char *path, TlLineChart *chart, double width, double height,
                      GError **error)
{
  TlChartFormat format;

  g_return_val_if_fail (path != NULL && chart != NULL, FALSE);
  return tl_chart_format_from_path (path, &format, error) &&
         tl_export_chart (path, format, width, height, draw_line_chart, chart, error);
}

gboolean
tl_export_confusion_chart (const char *path, const TlConfusionChart *chart, double width,
                           double height, GError **error)
{
  TlChartFormat format;

  g_return_val_if_fail (path != NULL && chart != NULL, FALSE);
  return tl_chart_format_from_path (path, &format, error) &&
         tl_export_chart (path, format, width, height, draw_confusion_chart, (gpointer) chart, error);
}

gboolean
tl_export_bar_chart (const char *path, const TlBarChart *chart, double width, double height,
                     GError **error)
{
  TlChartFormat format;

  g_return_val_if_fail (path != NULL && chart != NULL, FALSE);
  return tl_chart_format_from_path (path, &format, error) &&
         tl_export_chart (path, format, width, height, draw_bar_chart, (gpointer) chart, error);
}

/* CSV writing: RFC 4180 quoting, '.' as the decimal point whatever the locale. */

static void
csv_field (GString *out, const char *s)
{
  gboolean quote = strpbrk (s, ",\"\r\n") != NULL || (*s && (g_ascii_isspace (s[0]) ||
                                                             g_ascii_isspace (s[strlen (s) - 1])));

  if (!quote)
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = s; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* Nine significant digits give back the same float when read. */
static void
csv_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isfinite (v))
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.9g", v));
}

static gboolean
write_gstring (FILE *fp, gpointer user_data, GError **error)
{
  GString *s = user_data;

  if (s->len > 0 && fwrite (s->str, 1, s->len, fp) != s->len)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "Short write: %s", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
save_gstring (const char *path, GString *s, GError **error)
{
  return tl_atomic_write_file (path, write_gstring, s, error);
}

gboolean
tl_export_history_csv (const char *path, const TlHistory *history, GError **error)
{
  return tl_export_history_csv_full (path, history, FALSE, error);
}

gboolean
tl_export_history_csv_full (const char *path, const TlHistory *history, gboolean epsilon, GError **error)
{
  g_autoptr (GString) out = g_string_new ("epoch,train_loss,train_accuracy,val_loss,val_accuracy,"
                                          "learning_rate,seconds");

  g_return_val_if_fail (path != NULL && history != NULL, FALSE);

  g_string_append (out, epsilon ? ",epsilon\n" : "\n");
  for (guint i = 0; i < history->epochs->len; i++)
    {
      const TlEpochRecord *r = &g_array_index (history->epochs, TlEpochRecord, i);
      const double values[] = { r->train_loss, r->train_accuracy, r->val_loss, r->val_accuracy,
                                r->learning_rate, r->seconds, r->epsilon };

      g_string_append_printf (out, "%d", r->epoch);
      for (guint k = 0; k < G_N_ELEMENTS (values) - (epsilon ? 0 : 1); k++)
        {
          g_string_append_c (out, ',');
          csv_number (out, values[k]);
        }
      g_string_append_c (out, '\n');
    }
  return save_gstring (path, out, error);
}

gboolean
tl_export_metrics_json (const char *path, const TlMetrics *metrics, GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;
  gsize len;

  g_return_val_if_fail (path != NULL && metrics != NULL, FALSE);

  root = tl_metrics_to_json (metrics);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  text = json_generator_to_data (gen, &len);
  return tl_atomic_write_bytes (path, text, len, error);
}

gboolean
tl_export_confusion_csv (const char *path, const TlMetrics *metrics, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  int C;

  g_return_val_if_fail (path != NULL && metrics != NULL, FALSE);

  C = metrics->n_classes;
  csv_field (out, "true \\ predicted");
  for (int c = 0; c < C; c++)
    {
      g_string_append_c (out, ',');
      csv_field (out, metrics->class_names[c]);
    }
  g_string_append_c (out, '\n');
  for (int t = 0; t < C; t++)
    {
      csv_field (out, metrics->class_names[t]);
      for (int p = 0; p < C; p++)
        g_string_append_printf (out, ",%d", metrics->confusion[t * C + p]);
      g_string_append_c (out, '\n');
    }
  return save_gstring (path, out, error);
}

gboolean
tl_export_predictions_csv (const char *path, const int *y_true, const float *probs, int n,
                           int n_classes, const char *const *class_names, GError **error)
{
  return tl_export_predictions_csv_sourced (path, y_true, probs, n, n_classes, class_names, NULL, error);
}

gboolean
tl_export_predictions_csv_sourced (const char *path, const int *y_true, const float *probs, int n,
                                   int n_classes, const char *const *class_names, const char *const *sources,
                                   GError **error)
{
  g_autoptr (GString) out = g_string_new ("row,true_label,predicted_label");
  g_auto (GStrv) names = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n >= 0 && n_classes > 0 && (n == 0 || probs != NULL), FALSE);

  names = g_new0 (char *, n_classes + 1);
  for (int c = 0; c < n_classes; c++)
    {
      g_autofree char *col = NULL;

      names[c] = class_names && class_names[c] ? g_strdup (class_names[c]) : g_strdup_printf ("%d", c);
      col = g_strconcat ("prob_", names[c], NULL);
      g_string_append_c (out, ',');
      csv_field (out, col);
    }
  if (sources != NULL)
    g_string_append (out, ",source");
  g_string_append_c (out, '\n');

  for (int i = 0; i < n; i++)
    {
      const float *row = probs + (gsize) i * n_classes;
      int pred = tl_metrics_argmax (row, n_classes);

      g_string_append_printf (out, "%d,", i);
      if (y_true)
        {
          if (y_true[i] < 0 || y_true[i] >= n_classes)
            {
              g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           "True label %d of row %d is outside the %d classes", y_true[i], i, n_classes);
              return FALSE;
            }
          csv_field (out, names[y_true[i]]);
        }
      g_string_append_c (out, ',');
      csv_field (out, names[pred]);
      for (int c = 0; c < n_classes; c++)
        {
          g_string_append_c (out, ',');
          csv_number (out, row[c]);
        }
      if (sources != NULL)
        {
          g_string_append_c (out, ',');
          csv_field (out, sources[i] ? sources[i] : "");
        }
      g_string_append_c (out, '\n');
    }
  return save_gstring (path, out, error);
}
