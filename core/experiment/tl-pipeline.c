#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "tl-architecture.h"
#include "tl-atomic-file.h"
#include "tl-embedding-vectors.h"
#include "tl-domain-map-export.h"
#include "tl-error.h"
#include "tl-export.h"
#include "tl-model-file.h"
#include "tl-onnx.h"
#include "tl-provenance.h"
#include "tl-rng.h"
#include "tl-pipeline-private.h"
#include "tl-pipeline-strategies.h"
#include "tl-run-history.h"

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

void
tl_pipeline_run_result_free (TlRunResult *run)
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
  g_free (run->inputs_hash);
  g_free (run->reused_from);
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
  g_free (result->history_root);
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
  const TlAdversary         *adversary;      /* for the strategy being trained, or NULL */
  int                        unlabeled_documents; /* target texts counted into the source's features */
  gboolean                   retrain;        /* no stage is reused */
  GPtrArray                 *earlier;        /* TlRunRecord * of the history, newest first, to reuse stages from */
  char                      *pretrain_hash;  /* of the pretraining's inputs; NULL with pretrain.model */
  GDateTime                 *started;
  TlWordVectors             *vectors;        /* architecture.embedding_vectors, read for the source's vocabulary */
  TlModel                   *vector_model;   /* the model to pretrain, its table from the vectors */
  TlVectorCoverage           coverage;
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
  if (part->averaged_epochs > 0)
    into->averaged_epochs = part->averaged_epochs;
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
  config.adversary = c->adversary;
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
      /* the average spans the last phase only (the experiment check keeps it within) */
      config.average_epochs = done + config.epochs == spec->epochs ? spec->average_epochs : 0;
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
  run->reused_from = g_strdup (json_object_get_string_member_with_default (entry, "reused_from", NULL));
  c->loading = TRUE;
  stage (c, TL_STAGE_EXPORT, "%s finished before the interruption: loaded %s", name, run->model_path);
  return run;
}

/* A stage's model from an earlier run of the history whose same stage had the
 * same inputs (hash), or NULL when it has to be trained. */
static TlRunResult *
reuse_run (Ctx *c, TlPipelineStage s, const char *name, const char *hash, const TlDataset *labels_of)
{
  if (c->retrain || hash == NULL || c->earlier == NULL)
    return NULL;
  for (guint i = 0; i < c->earlier->len; i++)
    {
      TlRunRecord *record = g_ptr_array_index (c->earlier, i);
      JsonObject *entry = tl_run_record_entry (record, name);
      const char *model_name;
      g_autofree char *model_path = NULL, *history_path = NULL, *dir = NULL;
      g_autoptr (TlModel) model = NULL;
      g_autoptr (TlModelInfo) info = NULL;
      g_autoptr (TlHistory) history = NULL;
      g_autoptr (GError) error = NULL;
      TlRunResult *run;

      if (entry == NULL || g_strcmp0 (json_object_get_string_member_with_default (entry, "inputs_hash", NULL), hash) != 0
          || (model_name = json_object_get_string_member_with_default (entry, "model", NULL)) == NULL
          || (model_path = tl_output_path (record->folder, model_name, NULL)) == NULL)
        continue;
      dir = g_path_get_dirname (model_path);
      history_path = g_build_filename (dir, "history.csv", NULL);
      if ((model = tl_model_file_load (model_path, &info, &error)) == NULL)
        {
          g_debug ("%s: not reused: %s", name, error->message);
          continue;
        }
      if (tl_model_n_outputs (model) != labels_of->n_classes)
        continue;
      history = g_file_test (history_path, G_FILE_TEST_EXISTS) ? tl_pipeline_load_history (history_path, NULL) : NULL;
      if (history == NULL)
        history = tl_history_new ();
      history->train_seconds = json_object_get_double_member_with_default (entry, "train_seconds", 0.0);
      history->cached_layers = (int) json_object_get_int_member_with_default (entry, "cached_layers", 0);
      run = run_new (name, g_steal_pointer (&model), labels_of, g_steal_pointer (&history));
      run->epochs = (int) json_object_get_int_member_with_default (entry, "epochs", run->epochs);
      run->trainable_params = (guint64) json_object_get_int_member_with_default (entry, "trainable_params",
                                                                                  (gint64) run->trainable_params);
      run->inputs_hash = g_strdup (hash);
      run->reused_from = g_strdup (record->folder);
      stage (c, s, "%s: inputs unchanged since %s: its model reused, not trained again", name, record->folder);
      return run;
    }
  return NULL;
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
  JsonNode *node;
  TlProvenance p = {
    .experiment = c->exp->name, .run = run->name, .data = data_path,
    .preset = architecture_preset (c->exp), .pretrained_from = pretrained_from,
    .seed = c->exp->seed, .epochs = run->epochs, .training = &training, .metrics = run->metrics,
    .unlabeled_texts = c->unlabeled_documents, .history = run->history,
  };

  tl_pipeline_train_config (spec, c->exp->seed, &training);
  node = tl_provenance_to_json (&p, run->model);
  if (c->vectors != NULL && JSON_NODE_HOLDS_OBJECT (node))
    json_object_set_member (json_node_get_object (node), "embedding_vectors",
                            tl_vector_coverage_to_json (&c->coverage));
  return node;
}

/* Writes the exports of one run into its folder. */
static gboolean
export_run (Ctx *c, TlRunResult *run, const char *folder_name, const TlPipelineData *data,
            const TlTrainSpec *spec, const TlTensor *probs, const char *data_path, const char *pretrained_from,
            GError **error)
{
  g_autoptr (TlModelInfo) info = tl_model_info_new ();

  info->labels = g_strdupv (run->labels);
  info->preprocessing = data->preprocess ? tl_preprocess_to_json (data->preprocess) : NULL;
  info->provenance = provenance (c, run, spec, data_path, pretrained_from);
  return tl_pipeline_write_run (c->out, folder_name, run, info, &c->exp->outputs, spec->private,
                                data->test != NULL ? data->test->y : NULL, probs, error);
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
  if (c->started != NULL)
    {
      g_autofree char *started = g_date_time_format_iso8601 (c->started);
      json_builder_set_member_name (b, "started");
      json_builder_add_string_value (b, started);
    }
  /* the target's texts counted into the source's text features (their labels unread) */
  json_builder_set_member_name (b, "unlabeled_target_texts");
  json_builder_add_int_value (b, c->unlabeled_documents);
  if (c->vectors != NULL)
    {
      json_builder_set_member_name (b, "embedding_vectors");
      json_builder_add_value (b, tl_vector_coverage_to_json (&c->coverage));
    }
  json_builder_set_member_name (b, "runs");
  json_builder_begin_array (b);
  for (guint i = 0; i < result->runs->len; i++)
    {
      TlRunResult *run = g_ptr_array_index (result->runs, i);

      json_builder_begin_object (b);
      tl_pipeline_add_run_json (b, run, c->out);
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

  if (path == NULL || !tl_atomic_write_bytes (path, text, strlen (text), error))
    return FALSE;
  result->summary_path = g_steal_pointer (&path);

  /* the transfer gain at a glance: every run on the target, its curves and its accuracy */
  return tl_pipeline_write_comparison (c->out, result, o, error);
}

static gboolean
cancelled (Ctx *c, TlPipelineResult *result, const TlHistory *history)
{
  if ((history != NULL && history->cancelled) || g_cancellable_is_cancelled (c->cancellable))
    result->cancelled = TRUE;
  return result->cancelled;
}

TlModel *
tl_pipeline_fresh_copy (const TlModel *model, int n_classes, guint64 seed, GError **error)
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

static gboolean
same_classes (char **a, char **b)
{
  if (a == NULL || b == NULL || g_strv_length (a) != g_strv_length (b))
    return FALSE;
  for (int i = 0; a[i] != NULL; i++)
    if (strcmp (a[i], b[i]) != 0)
      return FALSE;
  return TRUE;
}

/* A copy of the pretrained model ready for the target: its head kept or rebuilt,
 * and the freeze plan applied. */
static TlModel *
transfer_model (Ctx *c, const TlModel *pretrained, gboolean keep_head, int n_classes, GError **error)
{
  g_autoptr (TlModel) model = tl_model_copy (pretrained);

  /* the new head depends on the seed alone, not on how the pretrained model came to be */
  tl_rng_init (&model->rng, c->exp->seed + 3);
  if (!keep_head && !tl_model_replace_head (model, n_classes, error))
    return NULL;
  if (!tl_pipeline_apply_freeze (model, &c->exp->transfer, error))
    return NULL;
  return g_steal_pointer (&model);
}

static const char *
strategy_run_name (TlStrategy strategy)
{
  return strategy == TL_STRATEGY_FINE_TUNE ? "transfer" : tl_strategy_names[strategy];
}

/* The run of a strategy, or of its training without privacy beside a private one. */
static const char *
stage_run_name (TlStrategy strategy, gboolean without_privacy)
{
  return without_privacy ? TL_RUN_NON_PRIVATE : strategy_run_name (strategy);
}

/* Trains one strategy's copy of the pretrained model into *model_out and its history. */
static gboolean
train_strategy (Ctx *c, TlStrategy strategy, const char *name, const TlTrainSpec *spec, TlModel *model,
                const TlPipelineData *source, const TlPipelineData *target, TlHistory *history, GError **error)
{
  const TlExperiment *exp = c->exp;
  const TlTransferSpec *t = &exp->transfer;
  TlPipelineData joint = { .val = target->val, .test = target->test, .preprocess = target->preprocess };
  g_autoptr (TlDataset) rows = NULL;
  g_autofree guint8 *domain = NULL;
  TlAdversary adversary = { 0 };
  gboolean ok;

  if (strategy == TL_STRATEGY_FINE_TUNE)
    return train_model (c, name, model, target, spec, exp->seed, t->feature_cache, t->unfreeze_every,
                        history, error);

  rows = tl_strategy_joint_rows (source->train, target->train, t->target_weight, &domain);
  joint.train = rows;
  if (strategy == TL_STRATEGY_DOMAIN_ADVERSARIAL)
    {
      adversary = (TlAdversary) { tl_strategy_feature_cut (model), target->unlabeled, domain, t->adversarial_weight,
                                  TL_STRATEGY_DOMAIN_HIDDEN };
      c->adversary = &adversary;
    }
  ok = train_model (c, name, model, &joint, spec, exp->seed, FALSE, 0, history, error);
  c->adversary = NULL;
  if (!ok || strategy != TL_STRATEGY_SELF_TRAINING || history->cancelled)
    return ok;

  /* a second round with the first round's most confident guesses on unlabelled target rows */
  {
    g_autoptr (TlDataset) guessed = tl_strategy_pseudo_labels (model, target->unlabeled, t->pseudo_labels);
    int copies = tl_strategy_target_copies (source->train->n, target->train->n, t->target_weight);
    g_autoptr (TlDataset) more = tl_strategy_with_pseudo_labels (rows, guessed, copies);
    g_autoptr (TlHistory) second = tl_history_new ();
    g_autofree char *held = copies == 1 ? g_strdup ("")
                                        : g_strdup_printf (", each held %d times as a labelled one", copies);
    int done = history->epochs->len;

    stage (c, TL_STAGE_TRANSFER, "self-training: a second round with %d pseudo-labelled target rows%s", guessed->n,
           held);
    joint.train = more;
    c->epoch_offset = done;
    ok = train_model (c, "self-training-2", model, &joint, spec, exp->seed + 1, FALSE, 0, second, error);
    c->epoch_offset = 0;
    if (ok)
      append_history (history, second, done);
    history->train_seconds += second->train_seconds;
    return ok;
  }
}

/* One transfer strategy, end to end: train, evaluate, export. *run_out is NULL
 * when it was cancelled before an epoch finished. Without privacy: the
 * strategy of a private experiment trained plainly, for comparison. */
static gboolean
strategy_stage (Ctx *c, TlPipelineResult *result, TlStrategy strategy, gboolean without_privacy,
                const TlModel *pretrained, gboolean keep_head, const TlPipelineData *source,
                const TlPipelineData *target, const char *target_path, const char *model_from,
                TlRunResult **run_out, GError **error)
{
  const TlExperiment *exp = c->exp;
  const char *name = stage_run_name (strategy, without_privacy);
  const char *folder = strategy == TL_STRATEGY_FINE_TUNE && !without_privacy ? exp->outputs.transfer_folder : name;
  TlTrainSpec spec = exp->transfer.finetune;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (TlTensor) probs = NULL;
  g_autofree char *hash = tl_pipeline_stage_hash (exp, name, c->pretrain_hash);
  g_autofree char *unlabeled = NULL;
  TlRunResult *run;

  if (without_privacy)
    spec.private = FALSE;
  *run_out = NULL;
  if ((run = load_finished_run (c, name, folder, target->train)) != NULL)
    {
      run->inputs_hash = g_steal_pointer (&hash);
      g_ptr_array_add (result->runs, run);
      *run_out = run;
      return evaluate (run, target->test, NULL, error);
    }
  if ((run = reuse_run (c, TL_STAGE_TRANSFER, name, hash, target->test)) != NULL)
    {
      g_ptr_array_add (result->runs, run);
      *run_out = run;
      goto export;
    }
  model = transfer_model (c, pretrained, keep_head, target->test->n_classes, error);
  if (model == NULL)
    return FALSE;
  if ((strategy == TL_STRATEGY_DOMAIN_ADVERSARIAL || strategy == TL_STRATEGY_SELF_TRAINING) && target->unlabeled)
    unlabeled = g_strdup_printf (" and %d unlabelled ones", target->unlabeled->n);
  stage (c, TL_STAGE_TRANSFER, "%s: training %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
         " parameters on %d labelled target samples of %d classes%s%s%s",
         without_privacy ? TL_RUN_NON_PRIVATE : tl_strategy_names[strategy],
         (guint64) tl_model_param_count (model, TRUE), (guint64) tl_model_param_count (model, FALSE),
         target->train->n, target->test->n_classes, unlabeled ? unlabeled : "", keep_head ? "" : ", with a new head",
         without_privacy ? ", without privacy, for comparison" : "");
  if (!train_strategy (c, strategy, name, &spec, model, source, target, history, error))
    return FALSE;
  if (cancelled (c, result, history) && history->epochs->len == 0)
    return TRUE;
  run = run_new (name, g_steal_pointer (&model), target->test, g_steal_pointer (&history));
  run->inputs_hash = g_steal_pointer (&hash);
  g_ptr_array_add (result->runs, run);
  *run_out = run;
export:
  if (!evaluate (run, target->test, &probs, error))
    return FALSE;
  stage (c, TL_STAGE_EXPORT, "writing the %s model", name);
  return export_run (c, run, folder, target, &spec, probs, target_path, model_from ? model_from : "pretrain",
                     error)
         && finish_stage (c, result, run, error)
         && (strategy != TL_STRATEGY_SELF_TRAINING
             || tl_pipeline_remove_checkpoints (c->out, "self-training-2", error));
}

/* The pretrained model on the target's test rows as it is: the zero-shot reference. */
static gboolean
source_only_stage (Ctx *c, TlPipelineResult *result, const TlModel *pretrained, const TlPipelineData *target,
                   const char *target_path, const char *model_from, GError **error)
{
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (TlTensor) probs = NULL;
  TlRunResult *run;

  stage (c, TL_STAGE_TRANSFER, "source-only: the pretrained model on the target's test data");
  run = run_new ("source-only", tl_model_copy (pretrained), target->test, g_steal_pointer (&history));
  g_ptr_array_add (result->runs, run);
  if (!evaluate (run, target->test, &probs, error))
    return FALSE;
  return export_run (c, run, "source-only", target, &c->exp->pretrain, probs, target_path,
                     model_from ? model_from : "pretrain", error);
}

/* Whether a strategy trains on the target's unlabelled rows; without one they are not kept. */
static gboolean
reads_unlabeled (const TlTransferSpec *t)
{
  for (int i = 0; i < t->n_strategies; i++)
    if (t->strategies[i] == TL_STRATEGY_DOMAIN_ADVERSARIAL || t->strategies[i] == TL_STRATEGY_SELF_TRAINING)
      return TRUE;
  return FALSE;
}

/* What the strategies need, checked before any training. */
static gboolean
check_strategies (const TlExperiment *exp, const TlPipelineData *source, const TlPipelineData *target,
                  char **model_labels, GError **error)
{
  const TlTransferSpec *t = &exp->transfer;
  gboolean labelled = target->train->n > 0;

  for (int i = 0; i < t->n_strategies; i++)
    {
      TlStrategy s = t->strategies[i];
      const char *name = tl_strategy_names[s];

      if (!labelled && (s == TL_STRATEGY_FINE_TUNE || s == TL_STRATEGY_JOINT || s == TL_STRATEGY_SELF_TRAINING))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "transfer.strategy: %s learns from labelled target rows, and the target has none "
                       "(target.use_labels is false); domain-adversarial works without them", name);
          return FALSE;
        }
      if (s == TL_STRATEGY_FINE_TUNE)
        continue;
      if (source == NULL)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "transfer.strategy: %s trains on the source data too; it cannot start from a model "
                       "file (pretrain.model)", name);
          return FALSE;
        }
      if (!same_classes (model_labels, target->test->class_names))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "transfer.strategy: %s trains source and target rows together, so they need the same "
                       "classes; the target's differ from the source's", name);
          return FALSE;
        }
      if ((s == TL_STRATEGY_DOMAIN_ADVERSARIAL || s == TL_STRATEGY_SELF_TRAINING)
          && (target->unlabeled == NULL || target->unlabeled->n == 0))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "transfer.strategy: %s needs unlabelled target rows: take fewer per class "
                       "(target.per_class) or give target.unlabeled_path", name);
          return FALSE;
        }
    }
  if (exp->baseline && !labelled)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "baseline: a model from scratch needs labelled target rows; set baseline to false "
                   "with target.use_labels false");
      return FALSE;
    }
  return TRUE;
}

static gboolean
baseline_stage (Ctx *c, TlPipelineResult *result, const TlModel *pretrained, const TlPipelineData *target,
                const char *target_path, GError **error)
{
  const TlExperiment *exp = c->exp;
  g_autoptr (TlTensor) probs = NULL;
  TlRunResult *run = load_finished_run (c, "baseline", exp->outputs.baseline_folder, target->train);
  TlRunResult *transfer;
  g_autofree char *hash = tl_pipeline_stage_hash (exp, "baseline", NULL);

  if (run == NULL && (run = reuse_run (c, TL_STAGE_BASELINE, "baseline", hash, target->train)) != NULL)
    {
      g_ptr_array_add (result->runs, run);
      if (!evaluate (run, target->test, &probs, error)
          || !export_run (c, run, exp->outputs.baseline_folder, target, &exp->transfer.finetune, probs,
                         target_path, NULL, error)
          || !finish_stage (c, result, run, error))
        return FALSE;
    }
  else if (run == NULL)
    {
      g_autoptr (TlHistory) history = tl_history_new ();
      g_autoptr (TlModel) model = tl_pipeline_fresh_copy (pretrained, target->train->n_classes, exp->seed, error);
      TlTrainSpec budget = exp->transfer.finetune;

      if (exp->baseline_epochs > 0)
        budget.epochs = exp->baseline_epochs;
      if (model == NULL)
        return FALSE;
      /* from scratch but for the word vectors, which come from no labels */
      if (c->vectors != NULL
          && !tl_embedding_vectors_apply (model, target->preprocess, c->vectors, exp->architecture.embedding_vectors_unknown,
                                          exp->seed, NULL, error))
        return FALSE;
      stage (c, TL_STAGE_BASELINE, "training the baseline from scratch on %d samples", target->train->n);
      if (!train_model (c, "baseline", model, target, &budget, exp->seed, FALSE, 0, history, error))
        return FALSE;
      if (cancelled (c, result, history) && history->epochs->len == 0)
        return TRUE;
      run = run_new ("baseline", g_steal_pointer (&model), target->train, g_steal_pointer (&history));
      run->inputs_hash = g_strdup (hash);
      g_ptr_array_add (result->runs, run);
      if (!evaluate (run, target->test, &probs, error)
          || !export_run (c, run, exp->outputs.baseline_folder, target, &exp->transfer.finetune, probs,
                         target_path, NULL, error)
          || !finish_stage (c, result, run, error))
        return FALSE;
    }
  else
    {
      run->inputs_hash = g_strdup (hash);
      g_ptr_array_add (result->runs, run);
      if (!evaluate (run, target->test, NULL, error))
        return FALSE;
    }
  transfer = tl_pipeline_result_find (result, "transfer");
  if (transfer && transfer->epochs > 0 && run->epochs > 0 && transfer->train_seconds > 0)
    result->speedup = (run->train_seconds / run->epochs) / (transfer->train_seconds / transfer->epochs);
  return TRUE;
}

/* The source, read with the target's unlabelled text when its features count words. */
static TlPipelineData *
import_source (Ctx *c, GError **error)
{
  const TlExperiment *exp = c->exp;
  g_autoptr (GPtrArray) docs = tl_pipeline_source_documents (exp, error);

  if (docs == NULL)
    return NULL;
  c->unlabeled_documents = docs->len;
  return tl_pipeline_import_with_documents (exp, &exp->source, NULL, docs, exp->seed, "source", error);
}

static gboolean
pretrain_stage (Ctx *c, TlPipelineResult *result, const TlPipelineData *source, const char *source_path,
                TlModel **pretrained_out, GError **error)
{
  const TlExperiment *exp = c->exp;
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (TlTensor) probs = NULL;
  g_autoptr (TlModel) pretrained = NULL;
  TlRunResult *run = load_finished_run (c, "pretrain", exp->outputs.pretrain_folder, source->train);

  if (run != NULL)
    {
      run->inputs_hash = g_strdup (c->pretrain_hash);
      g_ptr_array_add (result->runs, run);
      *pretrained_out = tl_model_copy (run->model);
      return evaluate (run, source->test, NULL, error);
    }
  if ((run = reuse_run (c, TL_STAGE_PRETRAIN, "pretrain", c->pretrain_hash, source->train)) != NULL)
    {
      g_ptr_array_add (result->runs, run);
      *pretrained_out = tl_model_copy (run->model);
      goto export;
    }
  if (c->vector_model != NULL)
    pretrained = g_steal_pointer (&c->vector_model);
  else
    pretrained = tl_pipeline_build_model (&exp->architecture, source->train,
                                          tl_preprocess_vocab_size (source->preprocess), exp->seed, error);
  if (pretrained == NULL)
    return FALSE;
  stage (c, TL_STAGE_PRETRAIN, "pretraining on %d samples of %d classes", source->train->n,
         source->train->n_classes);
  if (!train_model (c, "pretrain", pretrained, source, &exp->pretrain, exp->seed, FALSE, 0, history, error))
    return FALSE;
  if (cancelled (c, result, history) && history->epochs->len == 0)
    return TRUE;
  run = run_new ("pretrain", tl_model_copy (pretrained), source->train, g_steal_pointer (&history));
  run->inputs_hash = g_strdup (c->pretrain_hash);
  g_ptr_array_add (result->runs, run);
  *pretrained_out = g_steal_pointer (&pretrained);
export:
  if (!evaluate (run, source->test, &probs, error))
    return FALSE;
  stage (c, TL_STAGE_EXPORT, "writing the pretrained model");
  return export_run (c, run, exp->outputs.pretrain_folder, source, &exp->pretrain, probs, source_path, NULL, error)
         && finish_stage (c, result, run, error);
}

/* The word vectors of the source's vocabulary, and the model to pretrain started from them. */
static gboolean
read_vectors (Ctx *c, const TlPipelineData *source, GError **error)
{
  const TlExperiment *exp = c->exp;
  g_autofree char *path = tl_experiment_resolve_path (exp, exp->architecture.embedding_vectors);
  g_autofree char *text = NULL;

  stage (c, TL_STAGE_IMPORT_SOURCE, "reading the word vectors %s", path);
  c->vectors = tl_embedding_vectors_read (path, source->preprocess, error);
  if (c->vectors == NULL)
    return FALSE;
  c->vector_model = tl_embedding_vectors_build (&exp->architecture, source->train, source->preprocess, c->vectors,
                                                exp->architecture.embedding_vectors_unknown, exp->seed,
                                                &c->coverage, error);
  if (c->vector_model == NULL)
    return FALSE;
  text = tl_vector_coverage_describe (&c->coverage);
  stage (c, TL_STAGE_IMPORT_SOURCE, "%s", text);
  return TRUE;
}

static gboolean
pipeline_body (Ctx *c, TlPipelineResult *result, GError **error)
{
  const TlExperiment *exp = c->exp;
  g_autoptr (TlPipelineData) source = NULL;
  g_autoptr (TlPipelineData) target = NULL;
  g_autoptr (TlModel) pretrained = NULL;
  g_autoptr (TlPreprocess) loaded_pre = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autofree char *source_path = tl_experiment_resolve_path (exp, exp->source.path);
  g_autofree char *target_path = tl_experiment_resolve_path (exp, exp->target.path);
  g_autofree char *model_from = tl_experiment_resolve_path (exp, exp->pretrained_model);
  g_auto (GStrv) model_labels = NULL;
  const TlPreprocess *through;
  g_autoptr (GPtrArray) shared = NULL;
  gboolean keep_head, known_classes;

  /* 1. the data, both read before any training so that a plan that cannot work stops here */
  if (!tl_embedding_vectors_check (exp, error))
    return FALSE;
  if (exp->target.path == NULL && model_from != NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "target.path: no target data to fine-tune %s on; give the target's data", model_from);
      return FALSE;
    }
  if (model_from != NULL)
    {
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
      model_labels = g_strdupv (info->labels);
    }
  else if (source_path == NULL)
    {
      g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           "source.path: no source data to pretrain on; give the source's data or a pretrained "
                           "model (pretrain.model)");
      return FALSE;
    }
  else
    {
      stage (c, TL_STAGE_IMPORT_SOURCE, "importing %s", source_path);
      shared = tl_pipeline_hold_shared_files (exp);
      source = import_source (c, error);
      if (source == NULL)
        return FALSE;
      through = source->preprocess;
      model_labels = g_strdupv (source->train->class_names);
      if (exp->architecture.embedding_vectors != NULL && !read_vectors (c, source, error))
        return FALSE;
    }
  /* no target: the source model is trained alone, as `transfer-lab train` would */
  if (target_path == NULL)
    {
      c->pretrain_hash = tl_pipeline_stage_hash (exp, "pretrain", NULL);
      if (!pretrain_stage (c, result, source, source_path, &pretrained, error))
        return FALSE;
      if (pretrained != NULL && !cancelled (c, result, NULL))
        stage (c, TL_STAGE_EXPORT, "no target data (target.path): the source model was trained alone; "
                                   "transfer runs need a target");
      return TRUE;
    }
  stage (c, TL_STAGE_IMPORT_TARGET, "importing %s", target_path);
  target = reads_unlabeled (&exp->transfer)
           ? tl_pipeline_import (exp, &exp->target, through, exp->seed, "target", error)
           : tl_pipeline_import_labelled (exp, &exp->target, through, NULL, exp->seed, "target", error);
  g_clear_pointer (&shared, g_ptr_array_unref);
  if (target == NULL)
    return FALSE;
  if (target->test == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "target: no test data (set target.test_fraction or target.test_path)");
      return FALSE;
    }
  if (!check_strategies (exp, source, target, model_labels, error))
    return FALSE;

  /* 2. a pretrained model */
  if (model_from == NULL)
    c->pretrain_hash = tl_pipeline_stage_hash (exp, "pretrain", NULL);
  if (pretrained == NULL)
    {
      if (!pretrain_stage (c, result, source, source_path, &pretrained, error))
        return FALSE;
      if (pretrained == NULL || cancelled (c, result, NULL))
        return TRUE;
    }

  /* 3. the zero-shot reference, wherever the model knows the target's classes
   * (even when the strategies get a new head), then each strategy */
  /* the head is kept when the target's classes are the model's, by name and in order, unless a new one is asked for */
  known_classes = same_classes (model_labels, target->test->class_names);
  keep_head = known_classes && !exp->transfer.rebuild_head;
  if (known_classes && !source_only_stage (c, result, pretrained, target, target_path, model_from, error))
    return FALSE;
  for (int i = 0; i < exp->transfer.n_strategies; i++)
    {
      TlRunResult *run;

      if (!strategy_stage (c, result, exp->transfer.strategies[i], FALSE, pretrained, keep_head, source, target,
                           target_path, model_from, &run, error))
        return FALSE;
      if (run == NULL || cancelled (c, result, run->history))
        return TRUE;
    }
  /* what privacy costs: the first strategy again without it */
  if (exp->transfer.finetune.private && exp->transfer.finetune.private_reference && exp->transfer.n_strategies > 0)
    {
      TlRunResult *run;

      if (!strategy_stage (c, result, exp->transfer.strategies[0], TRUE, pretrained, keep_head, source, target,
                           target_path, model_from, &run, error))
        return FALSE;
      if (run == NULL || cancelled (c, result, run->history))
        return TRUE;
    }

  /* the domains as the pretrained and the fine-tuned model see them */
  if (source != NULL && (exp->outputs.exports & TL_EXPORT_CURVES) && exp->outputs.plot_formats != 0)
    {
      TlRunResult *tuned = tl_pipeline_result_find (result, "transfer");
      const TlDataset *rows = source->test != NULL ? source->test : source->train;

      if (tuned == NULL && exp->transfer.n_strategies > 0)
        tuned = tl_pipeline_result_find (result, strategy_run_name (exp->transfer.strategies[0]));
      stage (c, TL_STAGE_EXPORT, "mapping the source and target features before and after fine-tuning");
      if (!tl_domain_map_write_run (c->out, pretrained, tuned != NULL ? tuned->model : NULL,
                                    tuned != NULL ? tuned->name : NULL, rows, target->test,
                                    exp->outputs.plot_formats, exp->seed, error))
        return FALSE;
    }

  /* 4. the same architecture from scratch, same data, seed and budget */
  if (exp->baseline && !baseline_stage (c, result, pretrained, target, target_path, error))
    return FALSE;
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

/* The newest run of the history, when it is a stopped run of exp to continue; NULL otherwise. */
static char *
run_to_resume (const TlExperiment *exp, TlRunHistory *history)
{
  TlRunRecord *latest = tl_run_history_latest (history);
  gboolean found = FALSE;

  if (latest == NULL || latest->status != TL_RUN_STOPPED || strcmp (latest->id, ".") == 0
      || !tl_pipeline_check_same_run (exp, latest->folder, &found, NULL) || !found)
    return NULL;
  return g_strdup (latest->folder);
}

/* Where the run goes: the folder given, the stopped run to continue, or a new dated folder in the history. */
static gboolean
choose_folder (Ctx *c, const TlPipelineOptions *options, TlPipelineResult *result, TlRunHistory *history,
               GError **error)
{
  if (options != NULL && options->output_folder != NULL)
    {
      result->output_folder = tl_experiment_output_folder (c->exp, options->output_folder);
      return TRUE;
    }
  result->history_root = g_strdup (history->root);
  if (c->resume && (result->output_folder = run_to_resume (c->exp, history)) != NULL)
    return TRUE;
  result->output_folder = tl_run_history_new_folder (history->root, c->started, error);
  return result->output_folder != NULL;
}

/* The runs of the history a stage may be reused from: newest first, not this one. */
static GPtrArray *
earlier_runs (TlRunHistory *history, const char *out)
{
  GPtrArray *earlier = g_ptr_array_new ();

  for (guint i = history->records->len; i-- > 0;)
    {
      TlRunRecord *r = g_ptr_array_index (history->records, i);
      if (r->summary != NULL && strcmp (r->folder, out) != 0)
        g_ptr_array_add (earlier, r);
    }
  return earlier;
}

/* A new run folder that failed before anything was worth keeping goes away again. */
static void
drop_empty_run (const char *out)
{
  g_autofree char *record = g_build_filename (out, "experiment.json", NULL);
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);

  if (g_file_test (summary, G_FILE_TEST_EXISTS) || tl_pipeline_has_checkpoints (out, NULL))
    return;
  g_unlink (record);
  g_rmdir (out);
}

static void
update_index (const char *root)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlRunHistory) history = tl_run_history_load (root, &error);

  if (history == NULL || !tl_run_history_write_index (history, &error))
    g_warning ("%s: the index of runs is not updated: %s", root, error->message);
}

gboolean
tl_pipeline_run_with_options (const TlExperiment *exp, const TlPipelineOptions *options,
                              const TlPipelineCallbacks *callbacks, GCancellable *cancellable,
                              TlPipelineResult **result_out, GError **error)
{
  g_autoptr (TlPipelineResult) result = g_new0 (TlPipelineResult, 1);
  g_autoptr (TlExperiment) record = NULL;
  g_autoptr (TlRunHistory) history = NULL;
  g_autoptr (GPtrArray) earlier = NULL;
  g_autoptr (GDateTime) started = g_date_time_new_now_local ();
  g_autofree char *record_path = NULL, *root = NULL;
  Ctx c = { exp, callbacks, cancellable, TL_STAGE_IMPORT_SOURCE, 0, 0, NULL, FALSE, FALSE, NULL };
  gboolean ok, fresh;

  g_return_val_if_fail (exp != NULL, FALSE);

  result->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_pipeline_run_result_free);
  c.resume = options != NULL && options->resume;
  c.retrain = options != NULL && options->retrain;
  c.started = started;
  root = tl_run_history_root (exp, options ? options->results_root : NULL);
  history = tl_run_history_load (root, NULL);
  if (history == NULL)
    {
      /* an unreadable history only means nothing to reuse */
      history = g_new0 (TlRunHistory, 1);
      history->root = g_canonicalize_filename (root, NULL);
      history->records = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_run_record_free);
    }
  if (!choose_folder (&c, options, result, history, error))
    return FALSE;
  c.out = result->output_folder;
  earlier = earlier_runs (history, c.out);
  c.earlier = earlier;
  if (g_mkdir_with_parents (c.out, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", c.out, g_strerror (errno));
      return FALSE;
    }
  if (!prepare_folder (&c, error))
    return FALSE;
  fresh = result->history_root != NULL && !c.resume;
  /* a continued run keeps the time it started at */
  if (c.old_summary != NULL)
    {
      const char *was = json_object_get_string_member_with_default (json_node_get_object (c.old_summary),
                                                                    "started", NULL);
      GDateTime *then = was ? g_date_time_new_from_iso8601 (was, NULL) : NULL;
      if (then != NULL)
        {
          g_date_time_unref (started);
          c.started = started = then;
        }
    }

  /* the experiment as run, overrides included, beside its results */
  record = tl_experiment_copy (exp);
  record_path = tl_output_path (c.out, "experiment.json", error);
  if (record_path == NULL || !tl_experiment_save (record, record_path, error))
    {
      g_clear_pointer (&c.old_summary, json_node_unref);
      if (fresh)
        drop_empty_run (c.out);
      return FALSE;
    }

  ok = pipeline_body (&c, result, error);
  g_clear_pointer (&c.old_summary, json_node_unref);
  g_clear_pointer (&c.pretrain_hash, g_free);
  if (result->runs->len > 0)
    {
      g_autoptr (GError) local = NULL;
      if (!write_summary (&c, result, ok ? error : &local))
        ok = FALSE;
    }
  g_clear_pointer (&c.vectors, tl_word_vectors_free);
  g_clear_pointer (&c.vector_model, tl_model_free);
  tl_vector_coverage_clear (&c.coverage);
  if (ok && result->cancelled)
    {
      if (tl_pipeline_has_checkpoints (c.out, NULL))
        g_set_error (error, TL_ERROR, TL_ERROR_CANCELLED,
                     "the runs finished so far, and a checkpoint of the one interrupted, are in %s", c.out);
      else
        /* a large model's checkpoint waits for its interval (tl-trainer.c): none may exist yet */
        g_set_error (error, TL_ERROR, TL_ERROR_CANCELLED,
                     "the runs finished so far are in %s; the one interrupted had no checkpoint yet and "
                     "starts over when continued", c.out);
      ok = FALSE;
    }
  if (result->history_root != NULL)
    {
      if (!ok && fresh && result->runs->len == 0)
        drop_empty_run (c.out);
      update_index (result->history_root);
    }
  stage (&c, TL_STAGE_DONE, "%s", ok ? "done" : "stopped");
  if (result_out)
    *result_out = g_steal_pointer (&result);
  return ok;
}

gboolean
tl_pipeline_can_resume (const TlExperiment *exp, const char *folder, GError **error)
{
  g_autofree char *out = NULL;
  g_autoptr (JsonNode) summary = NULL;
  gboolean found = FALSE;

  g_return_val_if_fail (exp != NULL, FALSE);

  if (folder == NULL)
    {
      g_autoptr (TlRunHistory) history = tl_run_history_for_experiment (exp, NULL, NULL);
      TlRunRecord *latest = history ? tl_run_history_latest (history) : NULL;

      if (latest == NULL || strcmp (latest->id, ".") == 0)
        return FALSE;
      return tl_pipeline_can_resume (exp, latest->folder, error);
    }
  out = tl_experiment_output_folder (exp, folder);
  if (!tl_pipeline_check_same_run (exp, out, &found, error) || !found)
    return FALSE;
  if (tl_pipeline_has_checkpoints (out, NULL))
    return TRUE;
  summary = tl_pipeline_load_summary (out);
  return summary != NULL && json_object_get_boolean_member_with_default (json_node_get_object (summary),
                                                                          "cancelled", FALSE);
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
