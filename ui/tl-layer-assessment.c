#define G_LOG_DOMAIN "tl-layer-assessment"

#include "config.h"

#include "tl-layer-assessment.h"

#define MAP_ROWS 300

typedef struct {
  TlModel   *model;
  TlDataset *target;
  TlDataset *source;    /* may be NULL */
  int        layer;
} Job;

static void
job_free (Job *job)
{
  tl_model_free (job->model);
  tl_dataset_free (job->target);
  if (job->source != NULL)
    tl_dataset_free (job->source);
  g_free (job);
}

static Job *
job_new (const TlModel *model, const TlDataset *target, const TlDataset *source, int layer)
{
  Job *job = g_new0 (Job, 1);

  job->model = tl_model_copy (model);
  job->target = tl_dataset_copy (target);
  job->source = source != NULL ? tl_dataset_copy (source) : NULL;
  job->layer = layer;
  return job;
}

static void
assess_thread (GTask *task, gpointer object, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  TlTransferability *t = tl_transferability_assess (job->model, job->target, job->source, &error);

  if (t == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, t, (GDestroyNotify) tl_transferability_free);
}

void
tl_layer_assessment_run (const TlModel *model, const TlDataset *target, const TlDataset *source,
                         GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_return_if_fail (model != NULL && target != NULL);
  g_task_set_source_tag (task, tl_layer_assessment_run);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_set_task_data (task, job_new (model, target, source, -1), (GDestroyNotify) job_free);
  g_task_run_in_thread (task, assess_thread);
}

TlTransferability *
tl_layer_assessment_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
map_thread (GTask *task, gpointer object, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  int layer = job->layer >= 0 ? job->layer : tl_domain_map_default_layer (job->model);
  TlDomainMap *map = tl_domain_map_compute (job->model, layer, job->source, job->target, MAP_ROWS, 42, &error);

  if (map == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, map, (GDestroyNotify) tl_domain_map_free);
}

void
tl_domain_map_run (const TlModel *model, int layer, const TlDataset *source, const TlDataset *target,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_return_if_fail (model != NULL && source != NULL && target != NULL);
  g_task_set_source_tag (task, tl_domain_map_run);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_set_task_data (task, job_new (model, target, source, layer), (GDestroyNotify) job_free);
  g_task_run_in_thread (task, map_thread);
}

TlDomainMap *
tl_domain_map_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
