#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "tl-architecture.h"
#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-export.h"
#include "tl-model-file.h"
#include "tl-onnx.h"
#include "tl-provenance.h"
#include "tl-rng.h"
#include "tl-pipeline-private.h"

static const char *const stage_names[] = {
  [TL_STAGE_IMPORT_SOURCE] = "import-source",
  [TL_STAGE_IMPORT_TARGET] = "import-target",
  [TL_STAGE_PRETRAIN] = "pretrain",
  [TL_STAGE_TRANSFER] = "transfer",
  [TL_STAGE_BASELINE] = "baseline",
  [TL_STAGE_EXPORT] = "export",
  [TL_STAGE_DONE] = "done",
};

const char *
tl_pipeline_stage_name (TlPipelineStage stage)
{
  g_return_val_if_fail (stage <= TL_STAGE_DONE, "unknown");
  return stage_names[stage];
}

static void
run_result_free (TlRunResult *run)
{
  if (run == NULL)
    return;
  g_free (run->name);
  tl_model_free (run->model);
  g_strfreev (run->labels);
  tl_history_free (run->history);
  tl_metrics_free (run->metrics);
  g_free (run->folder);
  g_free (run->model_path);
  g_free (run);
}

void
tl_pipeline_result_free (TlPipelineResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->runs);
  g_free (result->output_folder);
  g_free (result->summary_path);
  g_free (result);
}

TlRunResult *
tl_pipeline_result_find (TlPipelineResult *result, const char *name)
{
  g_return_val_if_fail (result != NULL && name != NULL, NULL);

  for (guint i = 0; i < result->runs->len; i++)
    {
      TlRunResult *run = g_ptr_array_index (result->runs, i);
      if (strcmp (run->name, name) == 0)
        return run;
    }
  return NULL;
}

typedef struct {
  const TlExperiment        *exp;
  const TlPipelineCallbacks *cb;
  GCancellable              *cancellable;
  TlPipelineStage            stage;
  int                        epoch_offset;   /* gradual unfreezing trains in pieces */
  int                        total_epochs;
  char                      *out;
  gboolean                   resume;
  gboolean                   loading;        /* finished stages of the interrupted run are still loadable */
  JsonNode                  *old_summary;    /* summary.json of the interrupted run */
} Ctx;

static void
stage (Ctx *c, TlPipelineStage s, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
stage (Ctx *c, TlPipelineStage s, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  c->stage = s;
  if (c->cb == NULL || c->cb->on_stage == NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  c->cb->on_stage (s, message, c->cb->user_data);
}

static void
on_batch (const TlBatchProgress *progress, gpointer user_data)
{
  Ctx *c = user_data;
  TlBatchProgress p = *progress;

  if (c->cb == NULL || c->cb->on_batch == NULL)
    return;
  p.epoch += c->epoch_offset;
  p.n_epochs = MAX (c->total_epochs, p.n_epochs);
  c->cb->on_batch (c->stage, &p, c->cb->user_data);
}

static void
on_epoch (const TlEpochRecord *record, const TlHistory *history, gpointer user_data)
{
  Ctx *c = user_data;
  TlEpochRecord r = *record;

  if (c->cb == NULL || c->cb->on_epoch == NULL)
    return;
  r.epoch += c->epoch_offset;
  c->cb->on_epoch (c->stage, &r, history, c->cb->user_data);
}

static gboolean
should_stop (gpointer user_data)
{
  Ctx *c = user_data;

  return g_cancellable_is_cancelled (c->cancellable);
}

static void
append_history (TlHistory *into, const TlHistory *part, int offset)
{
  for (guint i = 0; i < part->epochs->len; i++)
    {
      TlEpochRecord r = g_array_index (part->epochs, TlEpochRecord, i);
      r.epoch += offset;
      g_array_append_val (into->epochs, r);
    }
  if (part->best_epoch > 0)
    into->best_epoch = part->best_epoch + offset;
  into->train_seconds += part->train_seconds;
  into->cache_seconds += part->cache_seconds;
  into->cached_layers = MAX (into->cached_layers, part->cached_layers);
  into->stopped_early |= part->stopped_early;
  into->cancelled |= part->cancelled;
}

/* One call of the trainer, checkpointed into `ckpt`; when resuming, it
 * continues from that checkpoint if there is one. */
static gboolean
train_piece (Ctx *c, TlModel *model, const TlPipelineData *data, TlTrainConfig *config, const char *ckpt,
             TlHistory *history, GError **error)
{
  TlTrainCallbacks callbacks = { on_batch, on_epoch, should_stop, c };
  g_autofree char *dir = g_path_get_dirname (ckpt);
  gboolean stopped = FALSE;
  int done = 0;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", ckpt, g_strerror (errno));
      return FALSE;
    }
  config->checkpoint_path = ckpt;
  config->resume_path = NULL;
  if (c->resume && g_file_test (ckpt, G_FILE_TEST_EXISTS))
    {
      if (!tl_pipeline_checkpoint_peek (ckpt, data->val != NULL && data->val->n > 0, config->patience, &done,
                                        &stopped, error))
        return FALSE;
      /* early stopping ended it there: the trainer must not go on */
      if (stopped)
        config->epochs = MIN (config->epochs, done);
      config->resume_path = ckpt;
    }
  if (!tl_train (model, data->train, data->val, config, &callbacks, history, error))
    return FALSE;
  if (stopped)
    history->stopped_early = TRUE;
  return TRUE;
}

/* Trains with the spec's budget; with unfreeze_every > 0, one more frozen layer
 * (from the top) is released every that many epochs. */
static gboolean
train_model (Ctx *c, const char *name, TlModel *model, const TlPipelineData *data, const TlTrainSpec *spec,
             guint64 seed, gboolean cache, int unfreeze_every, TlHistory *history, GError **error)
{
  TlTrainConfig config;
  int done = 0;

  tl_pipeline_train_config (spec, seed, &config);
  config.feature_cache = cache;
  c->epoch_offset = 0;
  c->total_epochs = spec->epochs;
  if (unfreeze_every <= 0 || tl_model_lowest_trainable (model) == 0)
    {
      g_autofree char *ckpt = tl_pipeline_checkpoint_path (c->out, name, 0);
      return train_piece (c, model, data, &config, ckpt, history, error);
    }

  for (int phase = 1; done < spec->epochs; phase++)
    {
      g_autoptr (TlHistory) part = tl_history_new ();
      g_autofree char *ckpt = tl_pipeline_checkpoint_path (c->out, name, phase);
      gboolean released = FALSE;

      config.epochs = MIN (unfreeze_every, spec->epochs - done);
      config.seed = seed + done;
      c->epoch_offset = done;
      if (!train_piece (c, model, data, &config, ckpt, part, error))
        return FALSE;
      append_history (history, part, done);
      done += config.epochs;
      if (part->cancelled || part->stopped_early)
        break;
      for (int i = tl_model_n_layers (model) - 1; i >= 0 && !released; i--)
        {
          TlLayer *layer = tl_model_layer (model, i);
          if (!layer->trainable && layer->n_params > 0)
            {
              tl_model_set_trainable (model, i, TRUE);
              released = TRUE;
            }
        }
      /* layers without weights below the released one follow it */
      if (released)
        for (int i = tl_model_lowest_trainable (model) - 1; i >= 0; i--)
          {
            TlLayer *layer = tl_model_layer (model, i);
            if (layer->n_params > 0)
              break;
            tl_model_set_trainable (model, i, TRUE);
          }
    }
  c->epoch_offset = 0;
  return TRUE;
}

static TlRunResult *
run_new (const char *name, TlModel *model, const TlDataset *train, TlHistory *history)
{
  TlRunResult *run = g_new0 (TlRunResult, 1);

  run->name = g_strdup (name);
  run->model = model;
  run->labels = g_strdupv (train->class_names);
  run->history = history;
  run->epochs = history->epochs->len;
  run->train_seconds = history->train_seconds;
  run->trainable_params = tl_model_param_count (model, TRUE);
  run->total_params = tl_model_param_count (model, FALSE);
  run->cached_layers = history->cached_layers;
  run->cache_seconds = history->cache_seconds;
  return run;
}

static gboolean cancelled (Ctx *c, TlPipelineResult *result, const TlHistory *history);

/* A stage the interrupted run finished, from its files, or NULL when it has to
 * be trained: then so do the stages after it. */
static TlRunResult *
load_finished_run (Ctx *c, const char *name, const char *folder_name, const TlDataset *train)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *folder = NULL, *model_path = NULL, *history_path = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlHistory) history = NULL;
  JsonObject *entry;
  TlRunResult *run;

  if (!c->loading)
    return NULL;
  c->loading = FALSE;
  entry = tl_pipeline_summary_run (c->old_summary, name);
  if (entry == NULL || tl_pipeline_has_checkpoints (c->out, name)
      || (folder = tl_output_path (c->out, folder_name, NULL)) == NULL)
    return NULL;
  model_path = g_build_filename (folder, "model.safetensors", NULL);
  history_path = g_build_filename (folder, "history.csv", NULL);
  if ((model = tl_model_file_load (model_path, &info, &error)) == NULL
      || (history = tl_pipeline_load_history (history_path, &error)) == NULL)
    {
      g_debug ("%s: training it again: %s", name, error->message);
      return NULL;
    }
  if (tl_model_n_outputs (model) != train->n_classes
      || json_object_get_int_member_with_default (entry, "epochs", -1) != (gint64) history->epochs->len
      || json_object_get_int_member_with_default (entry, "total_params", -1)
             != (gint64) tl_model_param_count (model, FALSE))
    return NULL;
  history->train_seconds = json_object_get_double_member_with_default (entry, "train_seconds", 0.0);
  history->cached_layers = (int) json_object_get_int_member_with_default (entry, "cached_layers", 0);
  run = run_new (name, g_steal_pointer (&model), train, g_steal_pointer (&history));
  run->trainable_params = (guint64) json_object_get_int_member_with_default (entry, "trainable_params",
                                                                              (gint64) run->trainable_params);
  run->folder = g_steal_pointer (&folder);
  run->model_path = g_steal_pointer (&model_path);
  c->loading = TRUE;
  stage (c, TL_STAGE_EXPORT, "%s finished before the interruption: loaded %s", name, run->model_path);
  return run;
}

/* Once a stage's model is saved, its checkpoints are no longer needed. */
static gboolean
finish_stage (Ctx *c, TlPipelineResult *result, const TlRunResult *run, GError **error)
{
  if (cancelled (c, result, run->history))
    return TRUE;
  return tl_pipeline_remove_checkpoints (c->out, run->name, error);
}

static gboolean
evaluate (TlRunResult *run, const TlDataset *test, TlTensor **probs_out, GError **error)
{
  g_autoptr (TlTensor) probs = NULL;

  if (test == NULL || test->n == 0)
    return TRUE;
  probs = tl_predict (run->model, test, 256);
  run->metrics = tl_metrics_compute (test->y, probs->data, test->n, test->n_classes,
                                     (const char *const *) test->class_names, error);
  if (run->metrics == NULL)
    return FALSE;
  if (probs_out)
    *probs_out = g_steal_pointer (&probs);
  return TRUE;
}

/* The preset the run's architecture came from: none when it came from a model file or a list of layers. */
static const char *
architecture_preset (const TlExperiment *exp)
{
  if (exp->pretrained_model != NULL)
    return NULL;
  if (exp->architecture.preset != NULL)
    return exp->architecture.preset;
  return exp->architecture.n_layers == 0 ? "mlp" : NULL;
}

static JsonNode *
provenance (const Ctx *c, const TlRunResult *run, const TlTrainSpec *spec, const char *data_path,
            const char *pretrained_from)
{
  TlTrainConfig training;
  TlProvenance p = {
    .experiment = c->exp->name, .run = run->name, .data = data_path,
    .preset = architecture_preset (c->exp), .pretrained_from = pretrained_from,
    .seed = c->exp->seed, .epochs = run->epochs, .training = &training, .metrics = run->metrics,
  };

  tl_pipeline_train_config (spec, c->exp->seed, &training);
  return tl_provenance_to_json (&p, run->model);
}

static const char *const plot_ext[] = { "png", "svg", "pdf" };

/* Writes the exports of one run into its folder. */
static gboolean
export_run (Ctx *c, TlRunResult *run, const char *folder_name, const TlPipelineData *data,
            const TlTrainSpec *spec, const TlTensor *probs, const char *data_path, const char *pretrained_from,
            GError **error)
{
  const TlOutputSpec *o = &c->exp->outputs;
  g_autofree char *folder = tl_output_path (c->out, folder_name, error);

  if (folder == NULL)
    return FALSE;
  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", folder, g_strerror (errno));
      return FALSE;
    }
  run->folder = g_strdup (folder);

  if (o->exports & (TL_EXPORT_MODELS | TL_EXPORT_ONNX))
    {
      g_autoptr (TlModelInfo) info = tl_model_info_new ();
      g_autofree char *path = NULL;

      info->labels = g_strdupv (run->labels);
      info->preprocessing = data->preprocess ? tl_preprocess_to_json (data->preprocess) : NULL;
      info->provenance = provenance (c, run, spec, data_path, pretrained_from);
      if (o->exports & TL_EXPORT_MODELS)
        {
          path = tl_output_path (folder, "model.safetensors", error);
          if (path == NULL || !tl_model_file_save (path, run->model, info, error))
            return FALSE;
          run->model_path = g_steal_pointer (&path);
        }
      if (o->exports & TL_EXPORT_ONNX)
        {
          path = tl_output_path (folder, "model.onnx", error);
          if (path == NULL
              || !tl_onnx_export (run->model, (const char *const *) run->labels, info->preprocessing, path, error))
            return FALSE;
        }
    }
  if (o->exports & TL_EXPORT_HISTORY)
    {
      g_autofree char *path = tl_output_path (folder, "history.csv", error);
      if (path == NULL || !tl_export_history_csv (path, run->history, error))
        return FALSE;
    }
  if (o->exports & TL_EXPORT_CURVES)
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
      if (!tl_pipeline_write_evaluation (folder, run->metrics, data->test->y, probs, o->exports,
                                         o->plot_formats, title, error))
        return FALSE;
    }
  return TRUE;
}

static JsonNode *
summary_json (const Ctx *c, const TlPipelineResult *result)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "experiment");
  json_builder_add_string_value (b, c->exp->name);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) c->exp->seed);
  json_builder_set_member_name (b, "cancelled");
  json_builder_add_boolean_value (b, result->cancelled);
  json_builder_set_member_name (b, "runs");
  json_builder_begin_array (b);
  for (guint i = 0; i < result->runs->len; i++)
    {
      TlRunResult *run = g_ptr_array_index (result->runs, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, run->name);
      json_builder_set_member_name (b, "test_accuracy");
      if (run->metrics)
        json_builder_add_double_value (b, run->metrics->accuracy);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "macro_f1");
      if (run->metrics)
        json_builder_add_double_value (b, run->metrics->macro_f1);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "test_samples");
      json_builder_add_int_value (b, run->metrics ? run->metrics->n_samples : 0);
      json_builder_set_member_name (b, "epochs");
      json_builder_add_int_value (b, run->epochs);
      json_builder_set_member_name (b, "train_seconds");
      json_builder_add_double_value (b, round (run->train_seconds * 1000) / 1000);
      json_builder_set_member_name (b, "trainable_params");
      json_builder_add_int_value (b, (gint64) run->trainable_params);
      json_builder_set_member_name (b, "total_params");
      json_builder_add_int_value (b, (gint64) run->total_params);
      json_builder_set_member_name (b, "cached_layers");
      json_builder_add_int_value (b, run->cached_layers);
      if (run->model_path)
        {
          json_builder_set_member_name (b, "model");
          json_builder_add_string_value (b, run->model_path + strlen (c->out) + 1);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (result->speedup > 0)
    {
      json_builder_set_member_name (b, "transfer_speedup");
      json_builder_add_double_value (b, round (result->speedup * 100) / 100);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
write_summary (Ctx *c, TlPipelineResult *result, GError **error)
{
  const TlOutputSpec *o = &c->exp->outputs;
  g_autoptr (JsonNode) node = summary_json (c, result);
  g_autofree char *text = tl_json_to_pretty_string (node);
  g_autofree char *path = tl_output_path (c->out, "summary.json", error);
  TlRunResult *transfer = tl_pipeline_result_find (result, "transfer");
  TlRunResult *baseline = tl_pipeline_result_find (result, "baseline");

  if (path == NULL || !tl_atomic_write_bytes (path, text, strlen (text), error))
    return FALSE;
  result->summary_path = g_steal_pointer (&path);

  /* the transfer gain at a glance: both runs' curves on one plot */
  if (transfer && baseline && (o->exports & TL_EXPORT_CURVES))
    for (int f = 0; f < 3; f++)
      if (o->plot_formats & (1u << f))
        {
          const TlHistory *histories[] = { transfer->history, baseline->history };
          const char *labels[] = { "transfer", "baseline" };
          g_autofree char *name = g_strdup_printf ("comparison.%s", plot_ext[f]);
          g_autofree char *cpath = tl_output_path (c->out, name, error);

          if (cpath == NULL || !tl_pipeline_write_curves (cpath, histories, labels, 2, error))
            return FALSE;
        }
  return TRUE;
}

static gboolean
cancelled (Ctx *c, TlPipelineResult *result, const TlHistory *history)
{
  if (history->cancelled || g_cancellable_is_cancelled (c->cancellable))
    result->cancelled = TRUE;
  return result->cancelled;
}

/* The same architecture as `model` with new weights, a head of n_classes and
 * every layer trainable. */
static TlModel *
fresh_copy (const TlModel *model, int n_classes, guint64 seed, GError **error)
{
  g_autoptr (TlArchitecture) arch = tl_architecture_from_model (model);
  int head = -1;

  for (guint i = 0; i < arch->layers->len; i++)
    {
      TlArchLayer *layer = &g_array_index (arch->layers, TlArchLayer, i);
      layer->trainable = TRUE;
      layer->lr_mult = 1.0f;
      if (layer->spec.kind == TL_LAYER_DENSE)
        head = (int) i;
    }
  if (head >= 0)
    g_array_index (arch->layers, TlArchLayer, head).spec.units = n_classes;
  return tl_architecture_build (arch, seed, 0, error);
}

/* Fine-tunes a copy of the pretrained model on the target. *run_out is NULL
 * when it was cancelled before an epoch finished. */
static gboolean
transfer_stage (Ctx *c, TlPipelineResult *result, const TlModel *pretrained, const TlPipelineData *target,
                const char *target_path, const char *model_from, TlRunResult **run_out, GError **error)
{
  const TlExperiment *exp = c->exp;
  g_autoptr (TlModel) model = tl_model_copy (pretrained);
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (TlTensor) probs = NULL;
  TlRunResult *run;

  *run_out = NULL;
  /* the new head depends on the seed alone, not on how the pretrained model came to be */
  tl_rng_init (&model->rng, exp->seed + 3);
  if (exp->transfer.rebuild_head || tl_model_n_outputs (model) != target->train->n_classes)
    {
      if (!exp->transfer.rebuild_head)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "transfer.rebuild_head: the model has %d outputs but the target %d classes",
                       tl_model_n_outputs (model), target->train->n_classes);
          return FALSE;
        }
      if (!tl_model_replace_head (model, target->train->n_classes, error))
        return FALSE;
    }
  if (!tl_pipeline_apply_freeze (model, &exp->transfer, error))
    return FALSE;
  stage (c, TL_STAGE_TRANSFER, "fine-tuning %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
         " parameters on %d samples of %d classes", (guint64) tl_model_param_count (model, TRUE),
         (guint64) tl_model_param_count (model, FALSE), target->train->n, target->train->n_classes);
  if (!train_model (c, "transfer", model, target, &exp->transfer.finetune, exp->seed, exp->transfer.feature_cache,
                    exp->transfer.unfreeze_every, history, error))
    return FALSE;
  if (cancelled (c, result, history) && history->epochs->len == 0)
    return TRUE;
  run = run_new ("transfer", g_steal_pointer (&model), target->train, g_steal_pointer (&history));
  g_ptr_array_add (result->runs, run);
  *run_out = run;
  if (!evaluate (run, target->test, &probs, error))
    return FALSE;
  stage (c, TL_STAGE_EXPORT, "writing the transferred model");
  return export_run (c, run, exp->outputs.transfer_folder, target, &exp->transfer.finetune, probs, target_path,
                     model_from ? model_from : "pretrain", error)
         && finish_stage (c, result, run, error);
}

static gboolean
pipeline_body (Ctx *c, TlPipelineResult *result, GError **error)
{
  const TlExperiment *exp = c->exp;
  g_autoptr (TlPipelineData) source = NULL;
  g_autoptr (TlPipelineData) target = NULL;
  g_autoptr (TlModel) pretrained = NULL;
  g_autoptr (TlPreprocess) loaded_pre = NULL;
  g_autofree char *source_path = tl_experiment_resolve_path (exp, exp->source.path);
  g_autofree char *target_path = tl_experiment_resolve_path (exp, exp->target.path);
  g_autofree char *model_from = tl_experiment_resolve_path (exp, exp->pretrained_model);
  const TlPreprocess *through;
  int vocab = 0;

  /* 1. the source and a pretrained model */
  if (model_from != NULL)
    {
      g_autoptr (TlModelInfo) info = NULL;

      stage (c, TL_STAGE_PRETRAIN, "loading %s", model_from);
      pretrained = tl_model_file_load (model_from, &info, error);
      if (pretrained == NULL)
        return FALSE;
      if (info->preprocessing != NULL)
        {
          loaded_pre = tl_preprocess_from_json (info->preprocessing, error);
          if (loaded_pre == NULL)
            {
              g_prefix_error (error, "%s: ", model_from);
              return FALSE;
            }
        }
      through = loaded_pre;
    }
  else
    {
      g_autoptr (TlHistory) history = tl_history_new ();
      g_autoptr (TlTensor) probs = NULL;
      TlRunResult *run;

      stage (c, TL_STAGE_IMPORT_SOURCE, "importing %s", source_path);
      source = tl_pipeline_import (exp, &exp->source, NULL, exp->seed, "source", error);
      if (source == NULL)
        return FALSE;
      if (source->preprocess)
        vocab = tl_preprocess_vocab_size (source->preprocess);
      run = load_finished_run (c, "pretrain", exp->outputs.pretrain_folder, source->train);
      if (run != NULL)
        {
          g_ptr_array_add (result->runs, run);
          pretrained = tl_model_copy (run->model);
          if (!evaluate (run, source->test, NULL, error))
            return FALSE;
        }
      else
        {
          pretrained = tl_pipeline_build_model (&exp->architecture, source->train, vocab, exp->seed, error);
          if (pretrained == NULL)
            return FALSE;
          stage (c, TL_STAGE_PRETRAIN, "pretraining on %d samples of %d classes", source->train->n,
                 source->train->n_classes);
          if (!train_model (c, "pretrain", pretrained, source, &exp->pretrain, exp->seed, FALSE, 0, history, error))
            return FALSE;
          if (cancelled (c, result, history) && history->epochs->len == 0)
            return TRUE;
          run = run_new ("pretrain", tl_model_copy (pretrained), source->train, g_steal_pointer (&history));
          g_ptr_array_add (result->runs, run);
          if (!evaluate (run, source->test, &probs, error))
            return FALSE;
          stage (c, TL_STAGE_EXPORT, "writing the pretrained model");
          if (!export_run (c, run, exp->outputs.pretrain_folder, source, &exp->pretrain, probs, source_path, NULL,
                              error)
              || !finish_stage (c, result, run, error))
            return FALSE;
        }
      if (cancelled (c, result, run->history))
        return TRUE;
      through = source->preprocess;
    }

  /* 2. the target, read the way the source was */
  stage (c, TL_STAGE_IMPORT_TARGET, "importing %s", target_path);
  target = tl_pipeline_import (exp, &exp->target, through, exp->seed, "target", error);
  if (target == NULL)
    return FALSE;
  if (target->test == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "target: no test data (set target.test_fraction or target.test_path)");
      return FALSE;
    }

  /* 3. transfer */
  {
    TlRunResult *run = load_finished_run (c, "transfer", exp->outputs.transfer_folder, target->train);

    if (run != NULL)
      {
        g_ptr_array_add (result->runs, run);
        if (!evaluate (run, target->test, NULL, error))
          return FALSE;
      }
    else if (!transfer_stage (c, result, pretrained, target, target_path, model_from, &run, error))
      return FALSE;
    if (run == NULL || cancelled (c, result, run->history))
      return TRUE;
  }

  /* 4. the same architecture from scratch, same data, seed and budget */
  if (exp->baseline)
    {
      g_autoptr (TlTensor) probs = NULL;
      TlRunResult *run = load_finished_run (c, "baseline", exp->outputs.baseline_folder, target->train);
      TlRunResult *transfer;

      if (run == NULL)
        {
          g_autoptr (TlHistory) history = tl_history_new ();
          g_autoptr (TlModel) model = fresh_copy (pretrained, target->train->n_classes, exp->seed, error);

          if (model == NULL)
            return FALSE;
          stage (c, TL_STAGE_BASELINE, "training the baseline from scratch on %d samples", target->train->n);
          if (!train_model (c, "baseline", model, target, &exp->transfer.finetune, exp->seed, FALSE, 0, history,
                            error))
            return FALSE;
          if (cancelled (c, result, history) && history->epochs->len == 0)
            return TRUE;
          run = run_new ("baseline", g_steal_pointer (&model), target->train, g_steal_pointer (&history));
          g_ptr_array_add (result->runs, run);
          if (!evaluate (run, target->test, &probs, error)
              || !export_run (c, run, exp->outputs.baseline_folder, target, &exp->transfer.finetune, probs,
                             target_path, NULL, error)
              || !finish_stage (c, result, run, error))
            return FALSE;
        }
      else
        {
          g_ptr_array_add (result->runs, run);
          if (!evaluate (run, target->test, NULL, error))
            return FALSE;
        }
      transfer = tl_pipeline_result_find (result, "transfer");
      if (transfer->epochs > 0 && run->epochs > 0 && transfer->train_seconds > 0)
        result->speedup = (run->train_seconds / run->epochs) / (transfer->train_seconds / transfer->epochs);
      if (cancelled (c, result, run->history))
        return TRUE;
    }
  return TRUE;
}

/* Before a run: a run to continue is checked and its summary kept; a fresh
 * start drops whatever an earlier run left to continue from. */
static gboolean
prepare_folder (Ctx *c, GError **error)
{
  g_autofree char *summary = g_build_filename (c->out, "summary.json", NULL);
  gboolean found = FALSE;

  if (c->resume && !tl_pipeline_check_same_run (c->exp, c->out, &found, error))
    return FALSE;
  if (found)
    {
      c->old_summary = tl_pipeline_load_summary (c->out);
      c->loading = c->old_summary != NULL;
      return TRUE;
    }
  c->resume = FALSE;
  if (g_file_test (summary, G_FILE_TEST_EXISTS) && g_unlink (summary) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot remove it: %s", summary, g_strerror (errno));
      return FALSE;
    }
  return tl_pipeline_remove_checkpoints (c->out, NULL, error);
}

gboolean
tl_pipeline_run_with_options (const TlExperiment *exp, const TlPipelineOptions *options,
                              const TlPipelineCallbacks *callbacks, GCancellable *cancellable,
                              TlPipelineResult **result_out, GError **error)
{
  g_autoptr (TlPipelineResult) result = g_new0 (TlPipelineResult, 1);
  g_autoptr (TlExperiment) record = NULL;
  g_autofree char *record_path = NULL;
  Ctx c = { exp, callbacks, cancellable, TL_STAGE_IMPORT_SOURCE, 0, 0, NULL, FALSE, FALSE, NULL };
  gboolean ok;

  g_return_val_if_fail (exp != NULL, FALSE);

  result->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) run_result_free);
  result->output_folder = tl_experiment_output_folder (exp, options ? options->output_folder : NULL);
  c.out = result->output_folder;
  c.resume = options != NULL && options->resume;
  if (g_mkdir_with_parents (c.out, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", c.out, g_strerror (errno));
      return FALSE;
    }
  if (!prepare_folder (&c, error))
    return FALSE;

  /* the experiment as run, overrides included, beside its results */
  record = tl_experiment_copy (exp);
  record_path = tl_output_path (c.out, "experiment.json", error);
  if (record_path == NULL || !tl_experiment_save (record, record_path, error))
    {
      g_clear_pointer (&c.old_summary, json_node_unref);
      return FALSE;
    }

  ok = pipeline_body (&c, result, error);
  g_clear_pointer (&c.old_summary, json_node_unref);
  if (result->runs->len > 0)
    {
      g_autoptr (GError) local = NULL;
      if (!write_summary (&c, result, ok ? error : &local))
        ok = FALSE;
    }
  if (ok && result->cancelled)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_CANCELLED,
                   "the runs finished so far, and a checkpoint of the one interrupted, are in %s", c.out);
      ok = FALSE;
    }
  stage (&c, TL_STAGE_DONE, "%s", ok ? "done" : "stopped");
  if (result_out)
    *result_out = g_steal_pointer (&result);
  return ok;
}

gboolean
tl_pipeline_run (const TlExperiment *exp, const char *output_folder, const TlPipelineCallbacks *callbacks,
                 GCancellable *cancellable, TlPipelineResult **result_out, GError **error)
{
  TlPipelineOptions options;

  tl_pipeline_options_init (&options);
  options.output_folder = output_folder;
  return tl_pipeline_run_with_options (exp, &options, callbacks, cancellable, result_out, error);
}
