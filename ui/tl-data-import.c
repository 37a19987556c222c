#define G_LOG_DOMAIN "tl-data-import"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-data-import.h"
#include "tl-model-file.h"

TlImportSettings *
tl_data_spec_to_settings (const TlExperiment *exp, const TlDataSourceSpec *spec)
{
  TlImportSettings *s = tl_import_settings_new ();

  switch (spec->format)
    {
    case TL_DATA_FORMAT_CSV: s->format = TL_SOURCE_CSV; break;
    case TL_DATA_FORMAT_IDX: s->format = TL_SOURCE_IDX; break;
    case TL_DATA_FORMAT_IMAGES: s->format = TL_SOURCE_IMAGE_FOLDER; break;
    case TL_DATA_FORMAT_AUDIO: s->format = TL_SOURCE_AUDIO; break;
    default: s->format = TL_SOURCE_AUTO; break;
    }
  if (spec->format == TL_DATA_FORMAT_AUDIO)
    {
      s->audio = spec->audio;
      s->audio_augment = spec->audio_augment;
    }
  s->label_column = g_strdup (spec->label_column);
  s->text_column = g_strdup (spec->text_column);
  s->feature_columns = g_strdupv (spec->feature_columns);
  s->classes = g_strdupv (spec->classes);
  s->per_class = spec->per_class;
  s->val_fraction = spec->val_fraction;
  s->test_fraction = spec->test_fraction;
  s->seed = exp->seed;
  if (spec->max_len > 0)
    s->max_len = spec->max_len;
  if (spec->vocab_size > 0)
    s->vocab_size = spec->vocab_size;
  if (spec->image_size > 0)
    s->image_width = s->image_height = spec->image_size;
  if (spec->format == TL_DATA_FORMAT_IMAGES)
    s->channels = spec->grey ? 1 : 3;
  s->labels_path = tl_experiment_resolve_path (exp, spec->labels_path);
  s->test_path = tl_experiment_resolve_path (exp, spec->test_path);
  return s;
}

void
tl_data_spec_from_settings (TlDataSourceSpec *spec, const char *path, const TlImportSettings *s)
{
  switch (s->format)
    {
    case TL_SOURCE_IDX: spec->format = TL_DATA_FORMAT_IDX; break;
    case TL_SOURCE_IMAGE_FOLDER: spec->format = TL_DATA_FORMAT_IMAGES; break;
    case TL_SOURCE_AUDIO:
      spec->format = TL_DATA_FORMAT_AUDIO;
      spec->audio = s->audio;
      spec->audio_augment = s->audio_augment;
      break;
    case TL_SOURCE_CSV:
    case TL_SOURCE_AUTO:
    default:
      spec->format = TL_DATA_FORMAT_CSV;
      break;
    }
  g_free (spec->path);
  spec->path = g_strdup (path);
  g_free (spec->labels_path);
  spec->labels_path = g_strdup (s->labels_path);
  g_free (spec->test_path);
  spec->test_path = g_strdup (s->test_path);
  g_free (spec->label_column);
  spec->label_column = g_strdup (s->label_column);
  g_free (spec->text_column);
  spec->text_column = g_strdup (s->text_column);
  g_strfreev (spec->feature_columns);
  spec->feature_columns = g_strdupv (s->feature_columns);
  g_strfreev (spec->classes);
  spec->classes = g_strdupv (s->classes);
  spec->per_class = s->per_class;
  spec->val_fraction = s->val_fraction;
  spec->test_fraction = s->test_fraction;
  /* a bag's settings are its n-grams'; the length and vocabulary limits are those of token sequences */
  if (s->text_features == TL_TEXT_NGRAMS)
    spec->ngrams = s->ngrams;
  else
    {
      spec->max_len = s->max_len;
      spec->vocab_size = s->vocab_size;
    }
  spec->image_size = s->image_width;
  spec->grey = s->channels == 1;
}

void
tl_data_import_result_free (TlDataImportResult *result)
{
  if (result == NULL)
    return;
  g_free (result->path);
  g_clear_pointer (&result->import, tl_import_free);
  g_clear_pointer (&result->data, tl_pipeline_data_free);
  g_free (result->format);
  g_clear_pointer (&result->train, tl_dataset_free);
  g_clear_pointer (&result->val, tl_dataset_free);
  g_clear_pointer (&result->test, tl_dataset_free);
  g_clear_pointer (&result->shared_files, g_ptr_array_unref);
  g_free (result);
}

/* Shared by the worker and the main loop; freed with the last reference. */
typedef struct {
  GMutex               lock;
  double               fraction;
  guint                idle_id;
  TlImportProgressFunc func;
  gpointer             data;
  GDestroyNotify       destroy;
} Progress;

static void
progress_clear (gpointer data)
{
  Progress *p = data;

  if (p->destroy != NULL)
    p->destroy (p->data);
  g_mutex_clear (&p->lock);
}

static void
progress_unref (gpointer data)
{
  g_rc_box_release_full (data, progress_clear);
}

static gboolean
progress_idle (gpointer data)
{
  Progress *p = data;
  double fraction;

  g_mutex_lock (&p->lock);
  fraction = p->fraction;
  p->idle_id = 0;
  g_mutex_unlock (&p->lock);
  p->func (fraction, p->data);
  return G_SOURCE_REMOVE;
}

static void
progress_from_worker (double fraction, gpointer data)
{
  Progress *p = data;

  g_mutex_lock (&p->lock);
  p->fraction = fraction;
  if (p->idle_id == 0)
    p->idle_id = g_idle_add_full (G_PRIORITY_DEFAULT, progress_idle, g_rc_box_acquire (p), progress_unref);
  g_mutex_unlock (&p->lock);
}

typedef struct {
  char             *path;
  TlImportSettings *settings;
  Progress         *progress;   /* NULL without progress reports */
  TlExperiment     *exp;        /* split as a run of it splits; NULL: the import's own split */
  gboolean          target;
  TlPreprocess     *through;
} ImportJob;

static void
import_job_free (ImportJob *job)
{
  g_clear_pointer (&job->exp, tl_experiment_free);
  g_clear_pointer (&job->through, tl_preprocess_free);
  g_free (job->path);
  tl_import_settings_free (job->settings);
  g_clear_pointer (&job->progress, progress_unref);
  g_free (job);
}

static TlImportSettings *
copy_settings (const TlImportSettings *src)
{
  TlImportSettings *s = tl_import_settings_new ();
  g_free (s->label_column);
  g_free (s->text_column);
  g_free (s->labels_path);
  g_free (s->test_path);
  g_strfreev (s->feature_columns);
  g_strfreev (s->column_types);
  g_strfreev (s->classes);
  *s = *src;
  s->label_column = g_strdup (src->label_column);
  s->text_column = g_strdup (src->text_column);
  s->labels_path = g_strdup (src->labels_path);
  s->test_path = g_strdup (src->test_path);
  s->feature_columns = g_strdupv (src->feature_columns);
  s->column_types = g_strdupv (src->column_types);
  s->classes = g_strdupv (src->classes);
  s->keep_bytes = TRUE;
  return s;
}

/* The rows of result->data a run trains and tests on become the result's. */
static void
take_parts (TlDataImportResult *result, const TlDataSourceSpec *spec)
{
  result->train = g_steal_pointer (&result->data->train);
  result->val = g_steal_pointer (&result->data->val);
  result->test = g_steal_pointer (&result->data->test);
  result->n_classes = result->train->n_classes;
  result->n_rows = result->train->n + (result->val ? result->val->n : 0) + (result->test ? result->test->n : 0);
  if (result->data->report != NULL)
    {
      result->vocab_size = result->data->report->vocab_size;
      result->format = g_strdup (result->data->report->format);
    }
  else
    result->format = g_strdup (tl_data_format_name (spec->format));
}

static void
import_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ImportJob *job = task_data;
  g_autoptr (TlDataImportResult) result = g_new0 (TlDataImportResult, 1);
  TlImportProgressFunc progress = job->progress != NULL ? progress_from_worker : NULL;
  GError *error = NULL;

  result->path = g_strdup (job->path);
  /* A source of an experiment is read once, as a run reads it. A target read
   * through the source's preprocessing reports no progress while it is read:
   * the import's own reading comes first, for the progress. */
  if (job->exp == NULL || job->through != NULL)
    {
      result->import = tl_import_run_with_progress (job->path, job->settings, progress, job->progress, &error);
      if (result->import == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      if (g_task_return_error_if_cancelled (task))
        return;
      /* only the report is read from here on: the rows go before a run's import reads them again */
      g_clear_pointer (&result->import->dataset, tl_dataset_free);
    }
  if (job->exp != NULL)
    {
      const TlDataSourceSpec *spec = job->target ? &job->exp->target : &job->exp->source;

      /* What is shown is what a run trains and tests on. */
      result->data = tl_pipeline_import_labelled_with_progress (job->exp, spec, job->through, NULL, job->exp->seed,
                                                                job->target ? "target" : "source",
                                                                result->import == NULL ? progress : NULL,
                                                                job->progress, &error);
      if (result->data == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      take_parts (result, spec);
      /* the model is built for the terms of the data shown: the run's preprocessing */
      if (result->data->preprocess != NULL)
        result->vocab_size = tl_preprocess_vocab_size (result->data->preprocess);
    }
  else
    {
      result->n_classes = result->import->report->n_classes;
      result->n_rows = result->import->report->n_rows;
      result->vocab_size = result->import->report->vocab_size;
      result->format = g_strdup (result->import->report->format);
    }
  g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) tl_data_import_result_free);
}

void
tl_data_import_async (const char *path, const TlImportSettings *settings, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  ImportJob *job;

  g_return_if_fail (path != NULL);
  g_return_if_fail (settings != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tl_data_import_async);
  job = g_new0 (ImportJob, 1);
  job->path = g_strdup (path);
  job->settings = copy_settings (settings);
  g_task_set_task_data (task, job, (GDestroyNotify) import_job_free);
  g_task_run_in_thread (task, import_thread);
}

void
tl_data_import_async_with_progress (const char *path, const TlImportSettings *settings, const TlExperiment *exp,
                                    gboolean target, const TlPreprocess *through, GCancellable *cancellable,
                                    TlImportProgressFunc progress, gpointer progress_data,
                                    GDestroyNotify progress_destroy, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  ImportJob *job;

  g_return_if_fail (path != NULL);
  g_return_if_fail (settings != NULL);
  g_return_if_fail (progress != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tl_data_import_async);
  job = g_new0 (ImportJob, 1);
  job->path = g_strdup (path);
  job->settings = copy_settings (settings);
  job->exp = exp != NULL ? tl_experiment_copy (exp) : NULL;
  job->target = target;
  job->through = tl_data_import_dup_preprocess (through);
  job->progress = g_rc_box_new0 (Progress);
  g_mutex_init (&job->progress->lock);
  job->progress->func = progress;
  job->progress->data = progress_data;
  job->progress->destroy = progress_destroy;
  g_task_set_task_data (task, job, (GDestroyNotify) import_job_free);
  g_task_run_in_thread (task, import_thread);
}

TlDataImportResult *
tl_data_import_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tl_data_import_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  TlExperiment *exp;
  gboolean      target;
  TlPreprocess *through;
} ExperimentJob;

static void
experiment_job_free (ExperimentJob *job)
{
  tl_preprocess_free (job->through);
  tl_experiment_free (job->exp);
  g_free (job);
}

static void
experiment_import_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExperimentJob *job = task_data;
  const TlDataSourceSpec *spec = job->target ? &job->exp->target : &job->exp->source;
  g_autoptr (TlDataImportResult) result = g_new0 (TlDataImportResult, 1);
  g_autoptr (GPtrArray) documents = NULL;
  GError *error = NULL;

  result->path = tl_experiment_resolve_path (job->exp, spec->path);
  if (!job->target)
    {
      result->shared_files = tl_pipeline_hold_shared_files (job->exp);
      /* the source's text features count what a run's count, so the window reads the texts as the run's model does */
      if ((documents = tl_pipeline_source_documents (job->exp, &error)) == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  /* the window shows the parts a run trains and tests on; the unlabelled rows are not shown */
  result->data = tl_pipeline_import_labelled (job->exp, spec, job->target ? job->through : NULL, documents,
                                              job->exp->seed, job->target ? "target" : "source", &error);
  if (result->data == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  take_parts (result, spec);
  g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) tl_data_import_result_free);
}

void
tl_data_import_experiment_async (const TlExperiment *exp, gboolean target, const TlPreprocess *through,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  ExperimentJob *job;

  g_return_if_fail (exp != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tl_data_import_experiment_async);
  job = g_new0 (ExperimentJob, 1);
  job->exp = tl_experiment_copy (exp);
  job->target = target;
  job->through = tl_data_import_dup_preprocess (through);
  g_task_set_task_data (task, job, (GDestroyNotify) experiment_job_free);
  g_task_run_in_thread (task, experiment_import_thread);
}

TlDataImportResult *
tl_data_import_experiment_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tl_data_import_experiment_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

TlPreprocess *
tl_data_import_dup_preprocess (const TlPreprocess *pre)
{
  g_autoptr (JsonNode) node = NULL;

  if (pre == NULL)
    return NULL;
  node = tl_preprocess_to_json (pre);
  return tl_preprocess_from_json (node, NULL);
}

TlPreprocess *
tl_data_import_through (const TlExperiment *exp, const TlPreprocess *imported_source)
{
  g_return_val_if_fail (exp != NULL, NULL);

  if (exp->pretrained_model != NULL)
    {
      g_autofree char *path = tl_experiment_resolve_path (exp, exp->pretrained_model);
      g_autoptr (TlModelInfo) info = tl_model_file_read_header (path, NULL);

      return info != NULL && info->preprocessing != NULL ? tl_preprocess_from_json (info->preprocessing, NULL) : NULL;
    }
  return exp->source.path != NULL ? tl_data_import_dup_preprocess (imported_source) : NULL;
}

char *
tl_data_import_describe (const TlDataImportResult *result)
{
  g_autofree char *base = g_path_get_basename (result->path);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %s · %d class", "%s · %s · %d classes",
                                       result->n_classes),
                          base, result->format != NULL ? result->format : "", result->n_classes);
}
