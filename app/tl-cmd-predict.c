#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-export.h"

/* Where each sample came from, for the CSV's source column: the file of an
 * image or a recording, else the line of a CSV (the index in an IDX file). */
static char **
sources_of (const TlDataset *ds)
{
  char **s;

  if ((ds->kind == TL_DATA_IMAGE || ds->kind == TL_DATA_AUDIO) && ds->source_text != NULL)
    return g_strdupv (ds->source_text);
  if (ds->source_index == NULL)
    return NULL;
  s = g_new0 (char *, ds->n + 1);
  for (int i = 0; i < ds->n; i++)
    s[i] = g_strdup_printf ("%d", ds->source_index[i]);
  return s;
}

int
tl_cmd_predict (int argc, char **argv)
{
  g_auto (TlDataOptions) data_options;
  g_autofree char *out = NULL;
  g_auto (GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("The predictions CSV to write"), N_("FILE") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlDataset) ds = NULL;
  g_autoptr (TlTensor) probs = NULL;
  g_auto (GStrv) sources = NULL;
  gboolean labelled = TRUE;

  tl_data_options_init (&data_options);
  context = tl_cli_context_new (_("MODEL DATA — write a model's predictions for new data"),
                                _("Reads DATA through the model's own preprocessing and writes one CSV "
                                   "line per sample: row, true label (when known), predicted label, the "
                                   "probability of each class, and its source: the image or recording file, "
                                   "or the CSV line (the index in an IDX file)."),
                                entries, tl_data_options_group (&data_options, FALSE));
  if (!tl_cli_parse (context, &argc, &argv, &files, 2,
                     _("predict: give a MODEL file and a DATA file (see 'transfer-lab predict --help')")))
    return TL_EXIT_USAGE;
  if (out == NULL)
    {
      tl_cli_error (_("predict: --out FILE is required"));
      return TL_EXIT_USAGE;
    }
  if (!tl_cli_load_model_and_data (files[0], files[1], &data_options, &model, &info, &ds, &error))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  probs = tl_predict (model, ds, 256);
  for (int i = 0; i < ds->n && labelled; i++)
    labelled = ds->y[i] >= 0;
  sources = sources_of (ds);
  if (!tl_export_predictions_csv_sourced (out, labelled ? ds->y : NULL, probs->data, ds->n,
                                          tl_model_n_outputs (model), (const char *const *) info->labels,
                                          (const char *const *) sources, &error))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  printf (_("Wrote %d predictions to %s\n"), ds->n, out);
  return TL_EXIT_OK;
}
