#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "tl-architecture.h"
#include "tl-chart.h"
#include "tl-error.h"
#include "tl-export.h"
#include "tl-idx.h"
#include "tl-pipeline.h"
#include "tl-split.h"

void
tl_pipeline_data_free (TlPipelineData *data)
{
  if (data == NULL)
    return;
  tl_dataset_free (data->train);
  tl_dataset_free (data->val);
  tl_dataset_free (data->test);
  tl_dataset_free (data->unlabeled);
  tl_preprocess_free (data->preprocess);
  tl_import_report_free (data->report);
  g_free (data);
}

TlTextFeatures
tl_pipeline_text_features (const TlArchitectureSpec *arch)
{
  TlPreset preset;

  if (arch->preset != NULL && tl_preset_from_name (arch->preset, &preset))
    return preset == TL_PRESET_TEXT_LSTM || preset == TL_PRESET_TEXT_POOL ? TL_TEXT_SEQUENCE : TL_TEXT_NGRAMS;
  for (int i = 0; i < arch->n_layers; i++)
    if (arch->layers[i].kind == TL_LAYER_EMBEDDING)
      return TL_TEXT_SEQUENCE;
  return TL_TEXT_NGRAMS;
}

TlImportSettings *
tl_pipeline_import_settings (const TlExperiment *exp, const TlDataSourceSpec *spec, guint64 seed)
{
  TlImportSettings *s = tl_import_settings_new ();

  g_return_val_if_fail (exp != NULL && spec != NULL, s);

  s->format = spec->format == TL_DATA_FORMAT_IDX      ? TL_SOURCE_IDX
              : spec->format == TL_DATA_FORMAT_IMAGES ? TL_SOURCE_IMAGE_FOLDER
              : spec->format == TL_DATA_FORMAT_AUDIO  ? TL_SOURCE_AUDIO
                                                      : TL_SOURCE_CSV;
  s->label_column = g_strdup (spec->label_column);
  s->text_column = g_strdup (spec->text_column);
  s->feature_columns = g_strdupv (spec->feature_columns);
  s->text_features = tl_pipeline_text_features (&exp->architecture);
  /* the length and vocabulary limits are those of token sequences; bags keep their own */
  if (s->text_features == TL_TEXT_SEQUENCE)
    {
      s->max_len = spec->max_len;
      s->vocab_size = spec->vocab_size;
    }
  else
    {
      s->max_len = 0;
      s->ngrams = spec->ngrams;
    }
  s->image_width = s->image_height = spec->image_size;
  s->channels = spec->grey ? 1 : 3;
  s->audio = spec->audio;
  s->audio_augment = spec->audio_augment;
  s->labels_path = tl_experiment_resolve_path (exp, spec->labels_path);
  s->classes = g_strdupv (spec->classes);
  s->per_class = 0;
  s->seed = seed;
  s->val_fraction = 0.0;
  s->test_fraction = spec->test_path ? 0.0 : spec->test_fraction;
  s->test_path = NULL;
  return s;
}

/* The data are read with their images as bytes where the file holds bytes
 * (IDX), and each part keeps its rows so: they become floats batch by batch. */
static TlDataset *
subset_rows (const TlDataset *ds, const int *rows, int n)
{
  return tl_dataset_subset (ds, rows, n);
}

/* The rows with a label the preprocessing knows, in order; *n_out of them. */
static int *
labelled_rows (const TlDataset *ds, int *n_out)
{
  int *rows = g_new (int, MAX (ds->n, 1));
  int n = 0;

  for (int i = 0; i < ds->n; i++)
    if (ds->y[i] >= 0 && ds->y[i] < ds->n_classes)
      rows[n++] = i;
  *n_out = n;
  return rows;
}

/* Rows with a label the preprocessing knows; the others are dropped. */
static TlDataset *
labelled_only (TlDataset *ds, int *dropped)
{
  g_autofree int *rows = NULL;
  TlDataset *out;
  int n;

  rows = labelled_rows (ds, &n);
  if (dropped)
    *dropped = ds->n - n;
  if (n == ds->n)
    return ds;
  out = subset_rows (ds, rows, n);
  tl_dataset_free (ds);
  return out;
}

/* The preprocessing `through` with the target's class names. */
static TlPreprocess *
preprocess_for_classes (const TlPreprocess *through, char **class_names, GError **error)
{
  g_autoptr (JsonNode) node = tl_preprocess_to_json (through);
  TlPreprocess *pre = tl_preprocess_from_json (node, error);

  if (pre == NULL)
    return NULL;
  g_strfreev (pre->class_names);
  pre->class_names = g_strdupv (class_names);
  return pre;
}

static gboolean
all_in_order (const int *rows, int n, int n_all)
{
  if (n != n_all)
    return FALSE;
  for (int i = 0; i < n; i++)
    if (rows[i] != i)
      return FALSE;
  return TRUE;
}

/* With `owned` set (*owned is ds, and the caller's to give), a training part
 * of all of ds's rows in order is ds itself rather than a copy. */
static gboolean
split_pool (TlPipelineData *data, const TlDataset *ds, TlDataset **owned, const int *pool, int n_pool,
            const TlDataSourceSpec *spec, gboolean keep_unlabeled, guint64 seed, const char *what,
            GError **error)
{
  g_autofree int *rows = NULL;
  int n = n_pool;

  if (!spec->use_labels && n_pool > 0)
    {
      /* unsupervised adaptation: the labels of the training rows stay unread */
      if (keep_unlabeled)
        data->unlabeled = tl_dataset_subset (ds, pool, n_pool);
      data->train = subset_rows (ds, pool, 0);
      return TRUE;
    }
  if (n_pool == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "%s: no labelled rows to train on", what);
      return FALSE;
    }
  if (spec->per_class > 0)
    {
      rows = tl_sample_per_class (ds->y, pool, n_pool, ds->n_classes,
                                  (const char *const *) ds->class_names, spec->per_class, seed, &n, error);
      if (rows == NULL)
        {
          g_prefix_error (error, "%s: ", what);
          return FALSE;
        }
    }
  else
    rows = g_memdup2 (pool, n_pool * sizeof (int));
  if (n < n_pool && keep_unlabeled)
    {
      g_autofree guint8 *picked = g_new0 (guint8, ds->n);
      g_autofree int *rest = g_new (int, n_pool - n);
      int n_rest = 0;

      for (int i = 0; i < n; i++)
        picked[rows[i]] = 1;
      for (int i = 0; i < n_pool; i++)
        if (!picked[pool[i]])
          rest[n_rest++] = pool[i];
      data->unlabeled = tl_dataset_subset (ds, rest, n_rest);
    }

  if (spec->val_fraction > 0)
    {
      g_autoptr (TlSplit) split = tl_split_stratified (ds->y, rows, n, ds->n_classes,
                                                      (const char *const *) ds->class_names,
                                                      spec->val_fraction, 0.0, seed + 1, error);
      if (split == NULL)
        {
          g_prefix_error (error, "%s: ", what);
          return FALSE;
        }
      data->train = subset_rows (ds, split->train, split->n_train);
      data->val = split->n_val > 0 ? subset_rows (ds, split->val, split->n_val) : NULL;
    }
  else if (owned != NULL && *owned == ds && ds->source_text == NULL && all_in_order (rows, n, ds->n))
    data->train = g_steal_pointer (owned);
  else
    data->train = subset_rows (ds, rows, n);
  return TRUE;
}

static gboolean
finish_test (TlPipelineData *data, const TlExperiment *exp, const TlDataSourceSpec *spec,
             const TlImportSettings *settings, guint64 seed, const char *what, GError **error)
{
  if (spec->test_path != NULL)
    {
      g_autofree char *path = tl_experiment_resolve_path (exp, spec->test_path);
      g_autoptr (TlImportSettings) s = NULL;
      TlDataset *test;
      int dropped = 0;

      s = tl_pipeline_import_settings (exp, spec, seed);
      g_free (s->labels_path);
      s->labels_path = tl_experiment_resolve_path (exp, spec->test_labels_path);
      s->keep_bytes = TRUE;
      test = tl_import_apply (path, s, data->preprocess, error);
      if (test == NULL)
        return FALSE;
      data->test = labelled_only (test, &dropped);
      data->test_dropped = dropped;
    }
  if (data->test != NULL && spec->test_per_class > 0)
    {
      TlDataset *small = tl_dataset_sample_per_class (data->test, spec->test_per_class, seed + 2, error);
      if (small == NULL)
        {
          g_prefix_error (error, "%s test data: ", what);
          return FALSE;
        }
      tl_dataset_free (data->test);
      data->test = small;
    }
  if (data->test != NULL && data->test->n == 0)
    g_clear_pointer (&data->test, tl_dataset_free);
  (void) settings;
  return TRUE;
}

static void
add_lines (GArray *lines, const TlDataset *ds)
{
  for (int i = 0; ds != NULL && ds->source_index != NULL && i < ds->n; i++)
    g_array_append_val (lines, ds->source_index[i]);
}

GPtrArray *
tl_pipeline_target_documents (const TlExperiment *exp, GError **error)
{
  const TlDataSourceSpec *spec = &exp->target;
  g_autofree char *path = tl_experiment_resolve_path (exp, spec->path);
  g_autofree char *unlabeled_path = tl_experiment_resolve_path (exp, spec->unlabeled_path);
  g_autoptr (TlImportSettings) s = NULL;
  g_autoptr (TlImport) probe = NULL;
  g_autoptr (TlExperiment) main_only = NULL;
  g_autoptr (TlPipelineData) data = NULL;
  g_autoptr (GArray) lines = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GPtrArray) docs = NULL;

  if (spec->format != TL_DATA_FORMAT_CSV)
    return g_ptr_array_new ();
  /* the rows and the split of the target, as the run will make them; the words are read afterwards */
  s = tl_pipeline_import_settings (exp, spec, exp->seed);
  s->text_features = TL_TEXT_SEQUENCE;
  s->max_len = 1;
  probe = tl_import_run (path, s, error);
  if (probe == NULL)
    return NULL;
  if (probe->preprocess->kind != TL_DATA_TEXT)
    return g_ptr_array_new ();
  main_only = tl_experiment_copy (exp);
  g_clear_pointer (&main_only->target.unlabeled_path, g_free);
  data = tl_pipeline_import (main_only, &main_only->target, probe->preprocess, exp->seed, "target", error);
  if (data == NULL)
    return NULL;
  add_lines (lines, data->train);
  add_lines (lines, data->val);
  add_lines (lines, data->unlabeled);
  docs = tl_import_documents (path, s, probe->preprocess, (const int *) (gpointer) lines->data, lines->len, error);
  if (docs == NULL)
    return NULL;
  if (unlabeled_path != NULL)
    {
      g_autoptr (GPtrArray) more = NULL;

      g_clear_pointer (&s->label_column, g_free);
      more = tl_import_documents (unlabeled_path, s, probe->preprocess, NULL, 0, error);
      if (more == NULL)
        return NULL;
      for (guint i = 0; i < more->len; i++)
        g_ptr_array_add (docs, g_steal_pointer (&more->pdata[i]));
    }
  return g_steal_pointer (&docs);
}

GPtrArray *
tl_pipeline_source_documents (const TlExperiment *exp, GError **error)
{
  if (!exp->transfer.unlabeled_text || exp->source.format != TL_DATA_FORMAT_CSV || exp->target.path == NULL)
    return g_ptr_array_new ();
  return tl_pipeline_target_documents (exp, error);
}

/* The rows of spec->unlabeled_path, read the way the data were, join the unlabelled ones. */
static gboolean
add_unlabeled_file (TlPipelineData *data, const TlExperiment *exp, const TlDataSourceSpec *spec,
                    const char *what, GError **error)
{
  g_autofree char *path = tl_experiment_resolve_path (exp, spec->unlabeled_path);
  g_autoptr (TlImportSettings) s = NULL;
  g_autoptr (TlDataset) more = NULL;

  if (path == NULL)
    return TRUE;
  s = tl_pipeline_import_settings (exp, spec, 0);
  g_clear_pointer (&s->label_column, g_free);
  more = tl_import_apply (path, s, data->preprocess, error);
  if (more == NULL)
    {
      g_prefix_error (error, "%s unlabelled data: ", what);
      return FALSE;
    }
  if (more->sample_size != data->train->sample_size)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "%s unlabelled data: %s: the rows are not of "
                   "the training data's shape", what, path);
      return FALSE;
    }
  if (data->unlabeled == NULL)
    data->unlabeled = g_steal_pointer (&more);
  else
    {
      TlDataset *both = tl_dataset_concat (data->unlabeled, more);
      tl_dataset_free (data->unlabeled);
      data->unlabeled = both;
    }
  return TRUE;
}

static void
spec_idx_paths (const TlExperiment *exp, const TlDataSourceSpec *spec, GPtrArray *paths)
{
  const char *const names[] = { spec->path, spec->labels_path, spec->test_path, spec->test_labels_path };

  if (spec->format != TL_DATA_FORMAT_IDX)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (names[i] != NULL)
      g_ptr_array_add (paths, tl_experiment_resolve_path (exp, names[i]));
}

GPtrArray *
tl_pipeline_hold_shared_files (const TlExperiment *exp)
{
  g_autoptr (GPtrArray) source = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) target = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *held = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_return_val_if_fail (exp != NULL, held);

  spec_idx_paths (exp, &exp->source, source);
  spec_idx_paths (exp, &exp->target, target);
  for (guint i = 0; i < source->len; i++)
    if (g_ptr_array_find_with_equal_func (target, source->pdata[i], g_str_equal, NULL))
      {
        /* a file that cannot be read is left to the import, which says why */
        GBytes *bytes = tl_idx_hold (source->pdata[i], NULL);

        if (bytes != NULL)
          g_ptr_array_add (held, bytes);
      }
  return held;
}

TlPipelineData *
tl_pipeline_import (const TlExperiment *exp, const TlDataSourceSpec *spec, const TlPreprocess *through,
                    guint64 seed, const char *what, GError **error)
{
  return tl_pipeline_import_with_documents (exp, spec, through, NULL, seed, what, error);
}

static TlPipelineData *import_data (const TlExperiment *exp, const TlDataSourceSpec *spec,
                                    const TlPreprocess *through, GPtrArray *fit_documents,
                                    gboolean keep_unlabeled, guint64 seed, const char *what,
                                    TlImportProgressFunc progress, gpointer progress_data, GError **error);

TlPipelineData *
tl_pipeline_import_with_documents (const TlExperiment *exp, const TlDataSourceSpec *spec,
                                   const TlPreprocess *through, GPtrArray *fit_documents, guint64 seed,
                                   const char *what, GError **error)
{
  return import_data (exp, spec, through, fit_documents, TRUE, seed, what, NULL, NULL, error);
}

TlPipelineData *
tl_pipeline_import_labelled (const TlExperiment *exp, const TlDataSourceSpec *spec, const TlPreprocess *through,
                             GPtrArray *fit_documents, guint64 seed, const char *what, GError **error)
{
  return import_data (exp, spec, through, fit_documents, FALSE, seed, what, NULL, NULL, error);
}

TlPipelineData *
tl_pipeline_import_labelled_with_progress (const TlExperiment *exp, const TlDataSourceSpec *spec,
                                           const TlPreprocess *through, GPtrArray *fit_documents, guint64 seed,
                                           const char *what, TlImportProgressFunc progress, gpointer progress_data,
                                           GError **error)
{
  return import_data (exp, spec, through, fit_documents, FALSE, seed, what, progress, progress_data, error);
}

static TlPipelineData *
import_data (const TlExperiment *exp, const TlDataSourceSpec *spec, const TlPreprocess *through,
             GPtrArray *fit_documents, gboolean keep_unlabeled, guint64 seed, const char *what,
             TlImportProgressFunc progress, gpointer progress_data, GError **error)
{
  g_autoptr (TlPipelineData) data = g_new0 (TlPipelineData, 1);
  g_autoptr (TlImportSettings) settings = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (exp != NULL && spec != NULL, NULL);

  settings = tl_pipeline_import_settings (exp, spec, seed);
  settings->keep_bytes = TRUE;
  if (fit_documents != NULL)
    settings->fit_documents = g_ptr_array_ref (fit_documents);
  path = tl_experiment_resolve_path (exp, spec->path);

  if (through == NULL)
    {
      g_autoptr (TlImport) imp = tl_import_run_with_progress (path, settings, progress, progress_data, error);

      if (imp == NULL)
        return NULL;
      if (imp->split->n_test > 0)
        data->test = subset_rows (imp->dataset, imp->split->test, imp->split->n_test);
      if (!split_pool (data, imp->dataset, &imp->dataset, imp->split->train, imp->split->n_train, spec,
                       keep_unlabeled, seed, what, error))
        return NULL;
      data->preprocess = g_steal_pointer (&imp->preprocess);
      data->report = g_steal_pointer (&imp->report);
    }
  else
    {
      /* Through an existing preprocessing (the source's vocabulary, image size,
       * feature scaling), so that the model reads the target as it read the source. */
      g_auto (GStrv) classes = g_strdupv (spec->classes);
      g_autoptr (TlDataset) ds = NULL;
      g_autoptr (TlSplit) split = NULL;
      g_autofree int *all = NULL;
      int n_all;

      if (classes == NULL)
        {
          g_autoptr (TlImport) probe = tl_import_run (path, settings, error);
          if (probe == NULL)
            return NULL;
          classes = g_strdupv (probe->dataset->class_names);
        }
      data->preprocess = preprocess_for_classes (through, classes, error);
      if (data->preprocess == NULL)
        return NULL;
      if (data->preprocess->kind == TL_DATA_IMAGE)
        {
          settings->image_width = data->preprocess->width;
          settings->image_height = data->preprocess->height;
          settings->channels = data->preprocess->channels;
        }
      ds = tl_import_apply (path, settings, data->preprocess, error);
      if (ds == NULL)
        return NULL;
      /* the parts are taken from the labelled rows */
      all = labelled_rows (ds, &n_all);
      if (spec->test_path == NULL && spec->test_fraction > 0)
        {
          split = tl_split_stratified (ds->y, all, n_all, ds->n_classes, (const char *const *) ds->class_names,
                                      0.0, spec->test_fraction, seed, error);
          if (split == NULL)
            {
              g_prefix_error (error, "%s: ", what);
              return NULL;
            }
          if (!split_pool (data, ds, NULL, split->train, split->n_train, spec, keep_unlabeled, seed, what, error))
            return NULL;
          data->test = subset_rows (ds, split->test, split->n_test);
        }
      else if (!split_pool (data, ds, NULL, all, n_all, spec, keep_unlabeled, seed, what, error))
        return NULL;
    }

  if (!finish_test (data, exp, spec, settings, seed, what, error)
      || (keep_unlabeled && !add_unlabeled_file (data, exp, spec, what, error)))
    return NULL;
  return g_steal_pointer (&data);
}

void
tl_pipeline_train_config (const TlTrainSpec *spec, guint64 seed, TlTrainConfig *config)
{
  g_return_if_fail (spec != NULL && config != NULL);

  tl_train_config_init (config);
  config->epochs = spec->epochs;
  config->batch_size = spec->batch_size;
  config->optimizer = spec->optimizer;
  config->schedule = spec->schedule;
  config->patience = spec->patience;
  config->average_epochs = spec->average_epochs;
  config->label_smoothing = spec->label_smoothing;
  config->seed = seed;
  config->privacy = spec->private ? &spec->privacy : NULL;
}

TlModel *
tl_pipeline_build_model (const TlArchitectureSpec *arch, const TlDataset *ds, int vocab_size,
                         guint64 seed, GError **error)
{
  g_autoptr (TlArchitecture) a = NULL;
  int head = -1;

  g_return_val_if_fail (arch != NULL && ds != NULL, NULL);

  if (arch->preset != NULL || arch->n_layers == 0)
    {
      TlPreset preset;
      const char *name = arch->preset ? arch->preset : "mlp";

      if (!tl_preset_from_name (name, &preset))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "unknown preset '%s'", name);
          return NULL;
        }
      return tl_model_new_preset (preset, ds->sample_ndim, ds->sample_shape, ds->n_classes,
                                  vocab_size, seed, error);
    }

  a = tl_architecture_new (ds->sample_ndim, ds->sample_shape);
  for (int i = 0; i < arch->n_layers; i++)
    if (arch->layers[i].kind == TL_LAYER_DENSE)
      head = i;
  for (int i = 0; i < arch->n_layers; i++)
    {
      TlLayerSpec spec = arch->layers[i];

      /* the head is sized for the data's classes; an embedding for its vocabulary */
      if (i == head)
        spec.units = ds->n_classes;
      if ((spec.kind == TL_LAYER_EMBEDDING || spec.kind == TL_LAYER_EMBEDDING_BAG) && spec.vocab_size == 0)
        spec.vocab_size = vocab_size;
      tl_architecture_add (a, &spec, arch->layer_names ? arch->layer_names[i] : NULL, TRUE, 1.0f);
    }
  return tl_architecture_build (a, seed, 0, error);
}

int
tl_pipeline_find_layer (const TlModel *model, const char *name, GError **error)
{
  guint64 index;
  int found = tl_model_find_layer (model, name);

  if (found >= 0)
    return found;
  if (g_ascii_string_to_unsigned (name, 10, 0, G_MAXINT, &index, NULL)
      && (int) index < tl_model_n_layers (model))
    return (int) index;
  {
    g_autoptr (GString) names = g_string_new (NULL);
    for (int i = 0; i < tl_model_n_layers (model); i++)
      g_string_append_printf (names, "%s%s", i ? ", " : "", tl_model_layer (model, i)->name);
    g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                 "there is no layer '%s' (the layers are: %s)", name, names->str);
  }
  return -1;
}

gboolean
tl_pipeline_apply_freeze (TlModel *model, const TlTransferSpec *spec, GError **error)
{
  int n = tl_model_n_layers (model);

  g_return_val_if_fail (model != NULL && spec != NULL, FALSE);

  tl_model_freeze_below (model, 0);
  switch (spec->freeze_mode)
    {
    case TL_FREEZE_NONE:
      break;
    case TL_FREEZE_BELOW:
      if (spec->freeze_below >= n)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "transfer.freeze.below: %d would freeze every layer of a %d-layer model, the head too",
                       spec->freeze_below, n);
          return FALSE;
        }
      tl_model_freeze_below (model, spec->freeze_below);
      break;
    case TL_FREEZE_LAYERS:
      for (int i = 0; spec->freeze_layers && spec->freeze_layers[i]; i++)
        {
          int k = tl_pipeline_find_layer (model, spec->freeze_layers[i], error);
          if (k < 0)
            {
              g_prefix_error (error, "transfer.freeze.layers: ");
              return FALSE;
            }
          tl_model_set_trainable (model, k, FALSE);
        }
      break;
    }
  for (int i = 0; i < n; i++)
    tl_model_set_lr_mult (model, i, 1.0f);
  for (int i = 0; i < spec->n_lr_mults; i++)
    {
      int k = tl_pipeline_find_layer (model, spec->lr_mult_layers[i], error);
      if (k < 0)
        {
          g_prefix_error (error, "transfer.lr_mult: ");
          return FALSE;
        }
      tl_model_set_lr_mult (model, k, (float) spec->lr_mults[i]);
    }
  if (tl_model_param_count (model, TRUE) == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "transfer.freeze: the plan leaves no layer to train");
      return FALSE;
    }
  return TRUE;
}

/* Exports. */

static const struct {
  TlPlotFormats flag;
  const char *ext;
} plot_exts[] = {
  { TL_PLOT_PNG, "png" },
  { TL_PLOT_SVG, "svg" },
  { TL_PLOT_PDF, "pdf" },
};

gboolean
tl_pipeline_write_evaluation (const char *folder, const TlMetrics *metrics, const int *y_true,
                              const TlTensor *probs, guint exports, guint plot_formats, const char *title,
                              GError **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (folder != NULL && metrics != NULL, FALSE);

  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", folder, g_strerror (errno));
      return FALSE;
    }
  if (exports & TL_EXPORT_METRICS)
    {
      path = tl_output_path (folder, "metrics.json", error);
      if (path == NULL || !tl_export_metrics_json (path, metrics, error))
        return FALSE;
      g_clear_pointer (&path, g_free);
    }
  if (exports & TL_EXPORT_CONFUSION)
    {
      TlConfusionChart chart = { 0 };

      path = tl_output_path (folder, "confusion.csv", error);
      if (path == NULL || !tl_export_confusion_csv (path, metrics, error))
        return FALSE;
      g_clear_pointer (&path, g_free);
      chart.n_classes = metrics->n_classes;
      chart.class_names = (const char *const *) metrics->class_names;
      chart.counts = metrics->confusion;
      chart.title = title;
      for (guint i = 0; i < G_N_ELEMENTS (plot_exts); i++)
        if (plot_formats & plot_exts[i].flag)
          {
            g_autofree char *name = g_strdup_printf ("confusion.%s", plot_exts[i].ext);
            double side = 160 + 56.0 * MAX (metrics->n_classes, 2);
            path = tl_output_path (folder, name, error);
            if (path == NULL || !tl_export_confusion_chart (path, &chart, side + 80, side, error))
              return FALSE;
            g_clear_pointer (&path, g_free);
          }
    }
  if ((exports & TL_EXPORT_PREDICTIONS) && probs != NULL)
    {
      path = tl_output_path (folder, "predictions.csv", error);
      if (path == NULL
          || !tl_export_predictions_csv (path, y_true, probs->data, probs->shape[0], metrics->n_classes,
                                         (const char *const *) metrics->class_names, error))
        return FALSE;
    }
  return TRUE;
}

typedef struct {
  const TlHistory *const *histories;
  const char *const *labels;
  int n;
} CurvesData;

static void
draw_curves (cairo_t *cr, double width, double height, gpointer user_data)
{
  CurvesData *d = user_data;

  for (int q = 0; q < 2; q++)
    {
      g_autoptr (TlLineChart) chart = tl_line_chart_new ();

      tl_line_chart_set_title (chart, q == 0 ? "Loss" : "Accuracy");
      for (int i = 0; i < d->n; i++)
        tl_line_chart_add_history (chart, d->histories[i], q == 0 ? TL_CHART_LOSS : TL_CHART_ACCURACY,
                                   d->n > 1 ? d->labels[i] : NULL, i);
      cairo_save (cr);
      cairo_translate (cr, q * width / 2, 0);
      tl_line_chart_draw (chart, cr, width / 2, height);
      cairo_restore (cr);
    }
}

gboolean
tl_pipeline_write_curves (const char *path, const TlHistory *const *histories, const char *const *labels,
                          int n, GError **error)
{
  CurvesData data = { histories, labels, n };
  TlChartFormat format;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!tl_chart_format_from_path (path, &format, error))
    return FALSE;
  return tl_export_chart (path, format, 1200, 450, draw_curves, &data, error);
}

typedef struct {
  const char *const *names;
  const double      *accuracies;
  int                n;
} AccuracyData;

static void
draw_accuracies (cairo_t *cr, double width, double height, gpointer user_data)
{
  const AccuracyData *d = user_data;
  TlBarChart chart = {
    .n = d->n, .names = d->names, .title = "Test accuracy on the target",
    .value_label = "Accuracy (%)", .shares = d->accuracies,
  };

  tl_bar_chart_draw (&chart, cr, width, height);
}

gboolean
tl_pipeline_write_accuracies (const char *path, const char *const *names, const double *accuracies, int n,
                              GError **error)
{
  AccuracyData data = { names, accuracies, n };
  TlChartFormat format;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!tl_chart_format_from_path (path, &format, error))
    return FALSE;
  return tl_export_chart (path, format, 900, 120 + 44 * MAX (n, 1), draw_accuracies, &data, error);
}
