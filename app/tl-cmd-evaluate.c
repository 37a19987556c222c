#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-error.h"
#include "tl-metrics.h"
#include "tl-pipeline.h"
#include "tl-progress.h"

static void
print_metrics (const TlMetrics *m)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr (GPtrArray) confusion = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  printf (_("Accuracy %.2f%% on %d samples, macro F1 %.4f, weighted F1 %.4f\n\n"), 100.0 * m->accuracy,
          m->n_samples, m->macro_f1, m->weighted_f1);

  g_ptr_array_add (rows, tl_table_row (_("class"), _("precision"), _("recall"), _("F1"), _("support"), NULL));
  for (int c = 0; c < m->n_classes; c++)
    {
      g_autofree char *p = g_strdup_printf ("%.3f", m->precision[c]);
      g_autofree char *r = g_strdup_printf ("%.3f", m->recall[c]);
      g_autofree char *f = g_strdup_printf ("%.3f", m->f1[c]);
      g_autofree char *s = g_strdup_printf ("%d", m->support[c]);
      g_ptr_array_add (rows, tl_table_row (m->class_names[c], p, r, f, s, NULL));
    }
  tl_print_table (stdout, rows);

  printf ("\n%s\n", _("Confusion matrix (rows: true class, columns: predicted):"));
  {
    GPtrArray *header = g_ptr_array_new ();
    g_ptr_array_add (header, g_strdup (""));
    for (int c = 0; c < m->n_classes; c++)
      g_ptr_array_add (header, g_strdup (m->class_names[c]));
    g_ptr_array_add (header, NULL);
    g_ptr_array_add (confusion, g_ptr_array_free (header, FALSE));
  }
  for (int r = 0; r < m->n_classes; r++)
    {
      GPtrArray *row = g_ptr_array_new ();
      g_ptr_array_add (row, g_strdup (m->class_names[r]));
      for (int c = 0; c < m->n_classes; c++)
        g_ptr_array_add (row, g_strdup_printf ("%d", tl_metrics_confusion_at (m, r, c)));
      g_ptr_array_add (row, NULL);
      g_ptr_array_add (confusion, g_ptr_array_free (row, FALSE));
    }
  tl_print_table (stdout, confusion);
}

static gboolean
parse_plots (const char *text, guint *formats)
{
  g_auto (GStrv) parts = tl_cli_split_list (text);

  *formats = 0;
  for (int i = 0; parts[i] != NULL; i++)
    if (g_ascii_strcasecmp (parts[i], "png") == 0)
      *formats |= TL_PLOT_PNG;
    else if (g_ascii_strcasecmp (parts[i], "svg") == 0)
      *formats |= TL_PLOT_SVG;
    else if (g_ascii_strcasecmp (parts[i], "pdf") == 0)
      *formats |= TL_PLOT_PDF;
    else
      return FALSE;
  return TRUE;
}

int
tl_cmd_evaluate (int argc, char **argv)
{
  g_auto (TlDataOptions) data_options;
  g_autofree char *out = NULL, *plots = NULL;
  g_auto (GStrv) files = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Write metrics.json, confusion.csv, the confusion plots and predictions.csv into DIR"), N_("DIR") },
    { "plots", 0, 0, G_OPTION_ARG_STRING, &plots, N_("Plot formats with --out (default png,svg,pdf)"), N_("png,svg,pdf") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the metrics as JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlDataset) all = NULL;
  g_autoptr (TlDataset) ds = NULL;
  g_autoptr (TlTensor) probs = NULL;
  g_autoptr (TlMetrics) metrics = NULL;
  g_autofree int *rows = NULL;
  guint formats = TL_PLOT_PNG | TL_PLOT_SVG | TL_PLOT_PDF;
  int n = 0;

  tl_data_options_init (&data_options);
  context = tl_cli_context_new (_("MODEL DATA — evaluate a model on labelled data"),
                                _("Reads DATA through the model's own preprocessing and prints accuracy, "
                                   "per-class precision, recall and F1, and the confusion matrix."),
                                entries, tl_data_options_group (&data_options, FALSE));
  if (!tl_cli_parse (context, &argc, &argv, &files, 2,
                     _("evaluate: give a MODEL file and a DATA file (see 'transfer-lab evaluate --help')")))
    return TL_EXIT_USAGE;
  if (plots != NULL && !parse_plots (plots, &formats))
    {
      tl_cli_error (_("evaluate: --plots takes a list of png, svg and pdf"));
      return TL_EXIT_USAGE;
    }

  if (!tl_cli_load_model_and_data (files[0], files[1], &data_options, &model, &info, &all, &error))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  rows = g_new (int, MAX (all->n, 1));
  for (int i = 0; i < all->n; i++)
    if (all->y[i] >= 0)
      rows[n++] = i;
  if (n == 0)
    {
      g_autofree char *known = g_strjoinv (", ", info->labels);
      tl_cli_error (_("%s: no row has a label the model knows (%s)"), files[1], known);
      return TL_EXIT_FAILURE;
    }
  if (n < all->n)
    fprintf (stderr, _("transfer-lab: %s: %d rows of classes the model does not know were left out\n"),
             files[1], all->n - n);
  ds = tl_dataset_subset (all, rows, n);
  probs = tl_predict (model, ds, 256);
  metrics = tl_metrics_compute (ds->y, probs->data, ds->n, tl_model_n_outputs (model),
                                (const char *const *) info->labels, &error);
  if (metrics == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }

  if (json)
    {
      g_autoptr (JsonNode) node = tl_metrics_to_json (metrics);
      g_autofree char *text = tl_json_to_pretty_string (node);
      fputs (text, stdout);
    }
  else
    print_metrics (metrics);

  if (out != NULL)
    {
      g_autofree char *title = g_strdup_printf (_("Accuracy %.1f%%"), 100.0 * metrics->accuracy);
      if (!tl_pipeline_write_evaluation (out, metrics, ds->y, probs,
                                         TL_EXPORT_METRICS | TL_EXPORT_CONFUSION | TL_EXPORT_PREDICTIONS,
                                         formats, title, &error))
        {
          tl_cli_report (error);
          return TL_EXIT_FAILURE;
        }
      if (!json)
        printf (_("\nWrote the evaluation into %s\n"), out);
    }
  return TL_EXIT_OK;
}
