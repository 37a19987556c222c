#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tl-atomic-file.h"
#include "tl-chart-heatmap.h"
#include "tl-cli-options.h"
#include "tl-cmd-explain-private.h"
#include "tl-commands.h"
#include "tl-error.h"
#include "tl-explain-spectrogram.h"
#include "tl-explain.h"
#include "tl-export.h"
#include "tl-preprocess.h"


static gboolean
write_text (const char *path, const char *text, GError **error)
{
  return g_file_set_contents (path, text, -1, error);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void
append_field (GString *s, const char *text)
{
  if (strpbrk (text, ",\"\n\r") == NULL)
    {
      g_string_append (s, text);
      return;
    }
  g_string_append_c (s, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

static void
draw_heatmap (cairo_t *cr, double width, double height, gpointer user_data)
{
  tl_heatmap_draw (user_data, cr, width, height);
}

static gboolean
save_heatmap (const TlExplainer *e, int row, const char *method, const float *image, const float *heat,
              const char *title, GPtrArray *written, GError **error)
{
  TlHeatmap map = { image, e->model->in_shape[0], e->model->in_shape[1], e->model->in_shape[2], heat, title };
  const char *ext[] = { "png", "svg", "pdf" };
  const TlChartFormat fmt[] = { TL_CHART_FORMAT_PNG, TL_CHART_FORMAT_SVG, TL_CHART_FORMAT_PDF };

  for (int k = 0; k < 3; k++)
    if (e->formats & (1u << k))
      {
        g_autofree char *name = g_strdup_printf ("row-%d-%s.%s", row, method, ext[k]);
        g_autofree char *path = g_build_filename (e->out, name, NULL);
        if (!tl_export_chart (path, fmt[k], 640, 360, draw_heatmap, &map, error))
          return FALSE;
        g_ptr_array_add (written, g_steal_pointer (&name));
      }
  return TRUE;
}

/* Images (and spectrograms of models read otherwise): an occlusion map and integrated gradients summed over channels. */
static gboolean
explain_image (const TlExplainer *e, int row, const float *x, int target, GPtrArray *written, GError **error)
{
  int channels = e->model->in_shape[0], h = e->model->in_shape[1], w = e->model->in_shape[2];
  gsize plane = (gsize) h * w;
  g_autoptr (TlTensor) occlusion = NULL;
  g_autofree float *attr = NULL;
  g_autofree float *heat = g_new0 (float, plane);
  g_autofree float *shown = g_new (float, plane * channels);
  g_autofree char *title_o = NULL, *title_g = NULL;
  double diff = 0, total = 0, lo = INFINITY, hi = -INFINITY;

  occlusion = tl_explain_occlusion_image (e->model, x, target, e->patch, e->stride, error);
  if (occlusion == NULL)
    return FALSE;
  attr = tl_explain_integrated_gradients (e->model, x, NULL, target, e->steps, &diff, error);
  if (attr == NULL)
    return FALSE;
  for (int c = 0; c < channels; c++)
    for (gsize i = 0; i < plane; i++)
      {
        heat[i] += attr[c * plane + i];
        total += attr[c * plane + i];
      }
  /* images are shown as they are; other inputs (spectrograms) stretched to 0..1 */
  for (gsize i = 0; i < plane * channels; i++)
    {
      lo = MIN (lo, x[i]);
      hi = MAX (hi, x[i]);
    }
  for (gsize i = 0; i < plane * channels; i++)
    shown[i] = e->ds->kind == TL_DATA_IMAGE || hi <= lo ? x[i] : (float) ((x[i] - lo) / (hi - lo));

  title_o = g_strdup_printf (_("Row %d, %s: occlusion (%dx%d patches)"), row, e->labels[target], e->patch, e->patch);
  title_g = g_strdup_printf (_("Row %d, %s: integrated gradients (sum %.3f, output change %.3f)"), row,
                             e->labels[target], total, diff);
  return save_heatmap (e, row, "occlusion", shown, occlusion->data, title_o, written, error)
         && save_heatmap (e, row, "gradients", shown, heat, title_g, written, error);
}

/* Text: one CSV line per term or token, with its scores. */
static gboolean
explain_text (const TlExplainer *e, int row, const float *x, int target, GPtrArray *written, GError **error)
{
  g_autoptr (GString) csv = g_string_new (NULL);
  g_autofree float *occlusion = NULL;
  g_autofree float *attr = NULL;
  g_autofree char *name = NULL, *path = NULL;
  gboolean bag = e->pre->ngrams != NULL;
  int n = 0;

  occlusion = tl_explain_occlusion_terms (e->model, x, target, &n, error);
  if (occlusion == NULL)
    return FALSE;
  if (bag)
    {
      /* integrated gradients over the weights, from the same terms with zero weights */
      g_autofree float *baseline = g_memdup2 (x, sizeof (float) * 2 * n);
      memset (baseline + n, 0, sizeof (float) * n);
      attr = tl_explain_integrated_gradients (e->model, x, baseline, target, e->steps, NULL, error);
      if (attr == NULL)
        return FALSE;
      g_string_append (csv, "position,term,weight,occlusion,integrated_gradients\n");
    }
  else
    g_string_append (csv, "position,token,occlusion\n");
  for (int k = 0; k < n; k++)
    {
      int id = (int) x[k];
      const char *term;

      if (x[k] < 1.0f)
        continue;
      term = bag ? tl_ngram_term (e->pre->ngrams, id) : tl_vocab_token (e->pre->vocab, id);
      g_string_append_printf (csv, "%d,", k);
      append_field (csv, term != NULL ? term : "");
      if (bag)
        g_string_append_printf (csv, ",%.6g,%.6g,%.6g\n", x[n + k], occlusion[k], attr[n + k]);
      else
        g_string_append_printf (csv, ",%.6g\n", occlusion[k]);
    }
  name = g_strdup_printf ("row-%d-%s.csv", row, bag ? "terms" : "tokens");
  path = g_build_filename (e->out, name, NULL);
  if (!write_text (path, csv->str, error))
    return FALSE;
  g_ptr_array_add (written, g_steal_pointer (&name));
  return TRUE;
}

/* Tabular rows: integrated gradients per feature from the all-zero (training mean) row. */
static gboolean
explain_features (const TlExplainer *e, int row, const float *x, int target, GPtrArray *written, GError **error)
{
  g_autoptr (GString) csv = g_string_new ("feature,value,integrated_gradients\n");
  g_auto (GStrv) names = tl_preprocess_feature_names (e->pre);
  g_autofree float *attr = NULL;
  g_autofree char *name = NULL, *path = NULL;
  gsize size = e->ds->sample_size;
  guint n_names = names != NULL ? g_strv_length (names) : 0;

  attr = tl_explain_integrated_gradients (e->model, x, NULL, target, e->steps, NULL, error);
  if (attr == NULL)
    return FALSE;
  for (gsize k = 0; k < size; k++)
    {
      g_autofree char *fallback = g_strdup_printf ("feature%" G_GSIZE_FORMAT, k);
      append_field (csv, k < n_names ? names[k] : fallback);
      g_string_append_printf (csv, ",%.6g,%.6g\n", x[k], attr[k]);
    }
  name = g_strdup_printf ("row-%d-features.csv", row);
  path = g_build_filename (e->out, name, NULL);
  if (!write_text (path, csv->str, error))
    return FALSE;
  g_ptr_array_add (written, g_steal_pointer (&name));
  return TRUE;
}

static gboolean
parse_rows (const char *text, int n, GArray *rows)
{
  g_auto (GStrv) parts = tl_cli_split_list (text);

  for (int i = 0; parts[i] != NULL; i++)
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXINT, &v, NULL))
        return FALSE;
      if ((int) v >= n)
        return FALSE;
      g_array_append_val (rows, v);
    }
  return rows->len > 0;
}

int
tl_cmd_explain (int argc, char **argv)
{
  g_auto (TlDataOptions) data_options;
  g_autofree char *out = NULL, *rows_text = NULL, *plots = NULL, *class_name = NULL;
  g_auto (GStrv) files = NULL;
  int patch = 4, stride = 2, steps = 64, mask_bands = 8;
  double mask_ms = 100;
  GOptionEntry entries[] = {
    { "rows", 'r', 0, G_OPTION_ARG_STRING, &rows_text, N_("Rows to explain, counted from 0 as in predictions.csv"), N_("1,5,9") },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Folder for the heat maps and score tables"), N_("DIR") },
    { "class", 0, 0, G_OPTION_ARG_STRING, &class_name, N_("Explain this class (default: the predicted one)"), N_("NAME") },
    { "patch", 0, 0, G_OPTION_ARG_INT, &patch, N_("Occlusion square side in pixels (default 4)"), N_("N") },
    { "stride", 0, 0, G_OPTION_ARG_INT, &stride, N_("Occlusion step in pixels (default 2)"), N_("N") },
    { "mask-bands", 0, 0, G_OPTION_ARG_INT, &mask_bands, N_("Audio: mel bands one mask covers (default 8)"), N_("N") },
    { "mask-ms", 0, 0, G_OPTION_ARG_DOUBLE, &mask_ms, N_("Audio: milliseconds one mask covers (default 100)"), N_("MS") },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, N_("Integrated-gradients steps (default 64)"), N_("N") },
    { "plots", 0, 0, G_OPTION_ARG_STRING, &plots, N_("Heat map formats: png, svg, pdf (default png,svg)"), N_("png,svg") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlDataset) ds = NULL;
  g_autoptr (TlPreprocess) pre = NULL;
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree float *probs = NULL;
  g_autofree float *row_buf = NULL;
  TlExplainer e = { 0 };
  int fixed_class = -1;

  tl_data_options_init (&data_options);
  context = tl_cli_context_new (_("MODEL DATA — explain a model's predictions for some rows"),
                                _("Reads DATA through the model's own preprocessing and explains the predicted "
                                   "class of each row given: for images, occlusion maps and integrated gradients "
                                   "as PNG and SVG heat maps; for audio, the same over the spectrogram "
                                   "(time x mel-band masks) with a CSV of its regions, most important first; for text, each term's or token's contribution by "
                                   "occlusion (and integrated gradients over n-gram weights) as CSV; for tabular "
                                   "rows, integrated gradients per feature as CSV."),
                                entries, tl_data_options_group (&data_options, FALSE));
  if (!tl_cli_parse (context, &argc, &argv, &files, 2,
                     _("explain: give a MODEL file and a DATA file (see 'transfer-lab explain --help')")))
    return TL_EXIT_USAGE;
  if (rows_text == NULL || out == NULL)
    {
      tl_cli_error (_("explain: give the rows to explain with --rows and a folder with --out"));
      return TL_EXIT_USAGE;
    }
  if (patch < 1 || stride < 1 || steps < 1 || steps > 4096)
    {
      tl_cli_error (_("explain: --patch and --stride take 1 or more, --steps 1 to 4096"));
      return TL_EXIT_USAGE;
    }
  if (mask_bands < 1 || !(mask_ms > 0))
    {
      tl_cli_error (_("explain: --mask-bands takes 1 or more, --mask-ms a positive duration"));
      return TL_EXIT_USAGE;
    }
  e.formats = 3;
  if (plots != NULL)
    {
      g_auto (GStrv) parts = tl_cli_split_list (plots);
      e.formats = 0;
      for (int i = 0; parts[i] != NULL; i++)
        if (g_ascii_strcasecmp (parts[i], "png") == 0)
          e.formats |= 1;
        else if (g_ascii_strcasecmp (parts[i], "svg") == 0)
          e.formats |= 2;
        else if (g_ascii_strcasecmp (parts[i], "pdf") == 0)
          e.formats |= 4;
        else
          {
            tl_cli_error (_("explain: --plots takes a list of png, svg and pdf"));
            return TL_EXIT_USAGE;
          }
    }

  if (!tl_cli_load_model_and_data (files[0], files[1], &data_options, &model, &info, &ds, &error))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (!parse_rows (rows_text, ds->n, rows))
    {
      tl_cli_error (_("explain: --rows takes row numbers from 0 to %d, separated by commas"), ds->n - 1);
      return TL_EXIT_USAGE;
    }
  if (class_name != NULL)
    {
      for (int c = 0; info->labels[c] != NULL; c++)
        if (strcmp (info->labels[c], class_name) == 0)
          fixed_class = c;
      if (fixed_class < 0 || fixed_class >= tl_model_n_outputs (model))
        {
          g_autofree char *known = g_strjoinv (", ", info->labels);
          tl_cli_error (_("explain: the model has no class '%s' (%s)"), class_name, known);
          return TL_EXIT_USAGE;
        }
    }
  pre = tl_preprocess_from_json (info->preprocessing, &error);
  if (pre == NULL || g_mkdir_with_parents (out, 0755) != 0)
    {
      if (error == NULL)
        g_set_error (&error, TL_ERROR, TL_ERROR_IO, _("%s: cannot create the folder"), out);
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }

  e.model = model;
  e.pre = pre;
  e.ds = ds;
  e.labels = info->labels;
  e.out = out;
  e.patch = patch;
  e.stride = stride;
  e.steps = steps;
  e.mask_bands = mask_bands;
  e.mask_ms = mask_ms;
  probs = g_new (float, tl_model_n_outputs (model));
  row_buf = g_new (float, MAX (ds->sample_size, 1));
  for (guint i = 0; i < rows->len; i++)
    {
      g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (g_free);
      int row = g_array_index (rows, int, i);
      const float *x = tl_dataset_row (ds, row, row_buf);
      int predicted = tl_explain_predict (model, x, probs);
      int target = fixed_class >= 0 ? fixed_class : predicted;
      gboolean ok;

      if (tl_model_takes_tokens (model)
          || (tl_model_n_layers (model) > 0 && tl_model_layer (model, 0)->spec.kind == TL_LAYER_EMBEDDING_BAG))
        ok = explain_text (&e, row, x, target, written, &error);
      else if (tl_explain_takes_spectrograms (model, pre))
        ok = tl_explain_audio_row (&e, row, x, target, written, &error);
      else if (model->in_ndim == 3)
        ok = explain_image (&e, row, x, target, written, &error);
      else
        ok = explain_features (&e, row, x, target, written, &error);
      if (!ok)
        {
          g_prefix_error (&error, _("row %d: "), row);
          tl_cli_report (error);
          return TL_EXIT_FAILURE;
        }
      g_ptr_array_add (written, NULL);
      {
        g_autofree char *list = g_strjoinv (", ", (char **) written->pdata);
        const char *truth = ds->y[row] >= 0 && ds->y[row] < ds->n_classes ? ds->class_names[ds->y[row]] : "?";
        printf (_("row %d: %s %.1f%% (true %s): %s\n"), row, info->labels[target], 100.0 * probs[target], truth,
                list);
      }
    }
  printf (_("Wrote the explanations into %s\n"), out);
  return TL_EXIT_OK;
}
