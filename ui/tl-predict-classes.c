#include "config.h"

#include <gio/gio.h>

#include "tl-metrics.h"
#include "tl-predict-classes.h"
#include "tl-trainer.h"

typedef struct {
  TlModel   *model;     /* a copy: a new run may free the result's while this one predicts */
  TlDataset *test;      /* borrowed from the document */
  int        n;
} PredictJob;

static void
predict_job_free (PredictJob *job)
{
  tl_model_free (job->model);
  g_free (job);
}

static void
predict_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PredictJob *job = task_data;
  g_autoptr (TlTensor) probs = tl_predict (job->model, job->test, 256);
  int n_classes = tl_model_n_outputs (job->model);
  int *predictions = g_new (int, job->n);

  for (int i = 0; i < job->n; i++)
    predictions[i] = tl_metrics_argmax (probs->data + (gsize) i * n_classes, n_classes);
  g_task_return_pointer (task, predictions, g_free);
}

void
tl_predict_classes_async (TlModel *model, TlDataset *test, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  PredictJob *job = g_new0 (PredictJob, 1);

  job->model = tl_model_copy (model);
  job->test = test;
  job->n = test->n;
  g_task_set_source_tag (task, tl_predict_classes_async);
  g_task_set_task_data (task, job, (GDestroyNotify) predict_job_free);
  g_task_run_in_thread (task, predict_thread);
}

int *
tl_predict_classes_finish (GAsyncResult *result, int *n_out, GError **error)
{
  int *predictions;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tl_predict_classes_async, NULL);

  predictions = g_task_propagate_pointer (G_TASK (result), error);
  *n_out = predictions != NULL ? ((PredictJob *) g_task_get_task_data (G_TASK (result)))->n : 0;
  return predictions;
}
