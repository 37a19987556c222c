#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tl-error.h"
#include "tl-export.h"
#include "tl-onnx.h"
#include "tl-pipeline-private.h"

static const char *const plot_ext[] = { "png", "svg", "pdf" };

static gboolean
write_models (const char *folder, TlRunResult *run, const TlModelInfo *info, guint exports, GError **error)
{
  if (exports & TL_EXPORT_MODELS)
    {
      g_autofree char *path = tl_output_path (folder, "model.safetensors", error);
      if (path == NULL || !tl_model_file_save (path, run->model, info, error))
        return FALSE;
      g_free (run->model_path);
      run->model_path = g_steal_pointer (&path);
    }
  if (exports & TL_EXPORT_ONNX)
    {
      g_autofree char *path = tl_output_path (folder, "model.onnx", error);
      if (path == NULL
          || !tl_onnx_export (run->model, (const char *const *) run->labels, info->preprocessing, path, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
tl_pipeline_write_run (const char *out, const char *folder_name, TlRunResult *run, const TlModelInfo *info,
                       const TlOutputSpec *o, gboolean private, const int *y_true, const TlTensor *probs,
                       GError **error)
{
  g_autofree char *folder = tl_output_path (out, folder_name, error);

  if (folder == NULL)
    return FALSE;
  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", folder, g_strerror (errno));
      return FALSE;
    }
  g_free (run->folder);
  run->folder = g_strdup (folder);
  if (!write_models (folder, run, info, o->exports, error))
    return FALSE;
  if (o->exports & TL_EXPORT_HISTORY)
    {
      g_autofree char *path = tl_output_path (folder, "history.csv", error);
      if (path == NULL || !tl_export_history_csv_full (path, run->history, private, error))
        return FALSE;
    }
  if ((o->exports & TL_EXPORT_CURVES) && run->history->epochs->len > 0)
    for (int f = 0; f < 3; f++)
      if (o->plot_formats & (1u << f))
        {
          g_autofree char *name = g_strdup_printf ("curves.%s", plot_ext[f]);
          g_autofree char *path = tl_output_path (folder, name, error);
          const TlHistory *histories[] = { run->history };
          const char *labels[] = { run->name };

          if (path == NULL || !tl_pipeline_write_curves (path, histories, labels, 1, error))
            return FALSE;
        }
  if (run->metrics != NULL)
    {
      g_autofree char *title = g_strdup_printf ("%s: accuracy %.1f%%", run->name, 100.0 * run->metrics->accuracy);
      if (!tl_pipeline_write_evaluation (folder, run->metrics, y_true, probs, o->exports, o->plot_formats, title,
                                         error))
        return FALSE;
    }
  return TRUE;
}

gboolean
tl_pipeline_write_comparison (const char *out, const TlPipelineResult *result, const TlOutputSpec *o,
                              GError **error)
{
  g_autoptr (GPtrArray) histories = g_ptr_array_new ();
  g_autoptr (GPtrArray) curve_names = g_ptr_array_new ();
  g_autoptr (GPtrArray) bar_names = g_ptr_array_new ();
  g_autoptr (GArray) accuracies = g_array_new (FALSE, FALSE, sizeof (double));

  if (!(o->exports & TL_EXPORT_CURVES))
    return TRUE;
  for (guint i = 0; i < result->runs->len; i++)
    {
      TlRunResult *run = g_ptr_array_index (result->runs, i);

      if (strcmp (run->name, "pretrain") == 0)
        continue;
      if (run->history->epochs->len > 0)
        {
          g_ptr_array_add (histories, run->history);
          g_ptr_array_add (curve_names, run->name);
        }
      if (run->metrics != NULL)
        {
          g_ptr_array_add (bar_names, run->name);
          g_array_append_val (accuracies, run->metrics->accuracy);
        }
    }
  for (int f = 0; f < 3; f++)
    if (o->plot_formats & (1u << f))
      {
        g_autofree char *name = g_strdup_printf ("comparison.%s", plot_ext[f]);
        g_autofree char *bars = g_strdup_printf ("accuracy.%s", plot_ext[f]);
        g_autofree char *cpath = tl_output_path (out, name, error);
        g_autofree char *bpath = cpath != NULL ? tl_output_path (out, bars, error) : NULL;

        if (cpath == NULL || bpath == NULL)
          return FALSE;
        if (histories->len > 1
            && !tl_pipeline_write_curves (cpath, (const TlHistory *const *) histories->pdata,
                                          (const char *const *) curve_names->pdata, histories->len, error))
          return FALSE;
        if (bar_names->len > 1
            && !tl_pipeline_write_accuracies (bpath, (const char *const *) bar_names->pdata,
                                              (const double *) (gpointer) accuracies->data, bar_names->len, error))
          return FALSE;
      }
  return TRUE;
}
