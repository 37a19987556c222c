#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include "tl-pipeline.h"

/* The pipeline in a worker thread. */

typedef struct {
  TlExperiment       *exp;
  char               *output_folder;
  char               *results_root;
  gboolean            resume;
  gboolean            retrain;
  TlPipelineCallbacks callbacks;
  gboolean            has_callbacks;
} AsyncData;

static void
async_data_free (AsyncData *d)
{
  tl_experiment_free (d->exp);
  g_free (d->output_folder);
  g_free (d->results_root);
  g_free (d);
}

static void
run_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AsyncData *d = task_data;
  TlPipelineResult *result = NULL;
  TlPipelineOptions options;
  GError *error = NULL;

  tl_pipeline_options_init (&options);
  options.output_folder = d->output_folder;
  options.resume = d->resume;
  options.results_root = d->results_root;
  options.retrain = d->retrain;
  if (tl_pipeline_run_with_options (d->exp, &options, d->has_callbacks ? &d->callbacks : NULL, cancellable,
                                    &result, &error))
    g_task_return_pointer (task, result, (GDestroyNotify) tl_pipeline_result_free);
  else
    {
      tl_pipeline_result_free (result);
      g_task_return_error (task, error);
    }
}

void
tl_pipeline_run_with_options_async (const TlExperiment *exp, const TlPipelineOptions *options,
                                    const TlPipelineCallbacks *callbacks, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  AsyncData *d = g_new0 (AsyncData, 1);

  g_return_if_fail (exp != NULL);

  g_task_set_source_tag (task, tl_pipeline_run_async);
  d->exp = tl_experiment_copy (exp);
  d->output_folder = g_strdup (options ? options->output_folder : NULL);
  d->resume = options != NULL && options->resume;
  d->results_root = g_strdup (options ? options->results_root : NULL);
  d->retrain = options != NULL && options->retrain;
  if (callbacks)
    {
      d->callbacks = *callbacks;
      d->has_callbacks = TRUE;
    }
  g_task_set_task_data (task, d, (GDestroyNotify) async_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  /* our own TL_ERROR_CANCELLED, which says where the finished runs went */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, run_in_thread);
}

void
tl_pipeline_run_async (const TlExperiment *exp, const char *output_folder, const TlPipelineCallbacks *callbacks,
                       GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  TlPipelineOptions options;

  tl_pipeline_options_init (&options);
  options.output_folder = output_folder;
  tl_pipeline_run_with_options_async (exp, &options, callbacks, cancellable, callback, user_data);
}

TlPipelineResult *
tl_pipeline_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
