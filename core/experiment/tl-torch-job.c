#define G_LOG_DOMAIN "tl-torch"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tl-pipeline-private.h"
#include "tl-remove-tree.h"
#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-json-pretty.h"
#include "tl-model-file.h"
#include "tl-pipeline.h"
#include "tl-pipeline-strategies.h"
#include "tl-rng.h"
#include "tl-run-history.h"
#include "tl-torch-engine-files.h"
#include "tl-torch-job.h"
#include "tl-torch-tensors.h"

static gboolean
has_strategy (const TlExperiment *exp, TlStrategy strategy)
{
  for (int i = 0; i < exp->transfer.n_strategies; i++)
    if (exp->transfer.strategies[i] == strategy)
      return TRUE;
  return FALSE;
}

/* train settings as job.json holds them */
static void
add_train_spec (JsonBuilder *b, const TlTrainSpec *spec, int epochs)
{
  const TlOptimizerConfig *o = &spec->optimizer;

  json_builder_set_member_name (b, "train");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, epochs);
  json_builder_set_member_name (b, "batch_size");
  json_builder_add_int_value (b, spec->batch_size);
  json_builder_set_member_name (b, "label_smoothing");
  json_builder_add_double_value (b, spec->label_smoothing);
  json_builder_set_member_name (b, "optimizer");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, tl_optimizer_kind_names[o->kind]);
  json_builder_set_member_name (b, "lr");
  json_builder_add_double_value (b, o->learning_rate);
  json_builder_set_member_name (b, "momentum");
  json_builder_add_double_value (b, o->momentum);
  json_builder_set_member_name (b, "nesterov");
  json_builder_add_boolean_value (b, o->nesterov);
  json_builder_set_member_name (b, "beta1");
  json_builder_add_double_value (b, o->beta1);
  json_builder_set_member_name (b, "beta2");
  json_builder_add_double_value (b, o->beta2);
  json_builder_set_member_name (b, "eps");
  json_builder_add_double_value (b, o->eps);
  json_builder_set_member_name (b, "weight_decay");
  json_builder_add_double_value (b, o->weight_decay);
  json_builder_set_member_name (b, "clip_norm");
  json_builder_add_double_value (b, o->clip_norm);
  json_builder_end_object (b);
  /* as core/nn/tl-schedule.h computes it, per optimiser step */
  json_builder_set_member_name (b, "schedule");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, tl_schedule_kind_names[spec->schedule.kind]);
  json_builder_set_member_name (b, "step_size");
  json_builder_add_int_value (b, spec->schedule.step_size);
  json_builder_set_member_name (b, "gamma");
  json_builder_add_double_value (b, spec->schedule.gamma);
  json_builder_set_member_name (b, "min_lr");
  json_builder_add_double_value (b, spec->schedule.min_lr);
  json_builder_set_member_name (b, "warmup_fraction");
  json_builder_add_double_value (b, spec->schedule.warmup_fraction);
  json_builder_end_object (b);
  /* early stopping on the validation loss, ending on the best epoch's weights, as the trainer does */
  json_builder_set_member_name (b, "patience");
  json_builder_add_int_value (b, spec->patience);
  /* the mean weights of the last N epochs, as the trainer's tail averaging */
  json_builder_set_member_name (b, "average_epochs");
  json_builder_add_int_value (b, spec->average_epochs);
  json_builder_end_object (b);
}

/* Opens a stage's object; end_stage closes it, and a strategy adds its members between. */
static void
begin_stage (JsonBuilder *b, const char *name, const char *data, const char *from, const char *fresh_layer,
             guint64 seed)
{
  g_autofree char *init = g_strdup_printf ("models/%s.safetensors", name);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "data");
  json_builder_add_string_value (b, data);
  json_builder_set_member_name (b, "init");
  json_builder_add_string_value (b, init);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) seed);
  if (from != NULL)
    {
      json_builder_set_member_name (b, "from");
      json_builder_add_string_value (b, from);
      json_builder_set_member_name (b, "fresh_layers");
      json_builder_begin_array (b);
      if (fresh_layer != NULL)
        json_builder_add_string_value (b, fresh_layer);
      json_builder_end_array (b);
    }
}

static void
end_stage (JsonBuilder *b, const TlTrainSpec *spec, int epochs)
{
  add_train_spec (b, spec, epochs);
  json_builder_end_object (b);
}

static void
add_stage (JsonBuilder *b, const char *name, const char *data, const char *from, const char *fresh_layer,
           const TlTrainSpec *spec, int epochs, guint64 seed)
{
  begin_stage (b, name, data, from, fresh_layer, seed);
  end_stage (b, spec, epochs);
}

/* domain-adversarial: the pipeline's recipe (core/train/tl-adversary.h), for the engine to follow */
static void
add_adversary (JsonBuilder *b, const TlExperiment *exp, const TlModel *model, int source_rows)
{
  int cut = tl_strategy_feature_cut (model);

  json_builder_set_member_name (b, "adversary");
  json_builder_begin_object (b);
  /* the domain classifier reads the input of this layer */
  json_builder_set_member_name (b, "cut_layer");
  json_builder_add_string_value (b, tl_model_layer (model, cut)->name);
  json_builder_set_member_name (b, "weight");
  json_builder_add_double_value (b, exp->transfer.adversarial_weight);
  json_builder_set_member_name (b, "hidden");
  json_builder_add_int_value (b, TL_STRATEGY_DOMAIN_HIDDEN);
  /* the training rows before this one are the source's (domain 0), the rest the target's (1) */
  json_builder_set_member_name (b, "source_rows");
  json_builder_add_int_value (b, source_rows);
  json_builder_set_member_name (b, "unlabeled");
  json_builder_add_string_value (b, "target");
  json_builder_end_object (b);
}

/* self-training: a second round with the first round's most confident guesses,
 * each held `copies` times as the labelled target rows are */
static void
add_self_training (JsonBuilder *b, const TlExperiment *exp, int copies)
{
  json_builder_set_member_name (b, "self_training");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pseudo_labels");
  json_builder_add_int_value (b, exp->transfer.pseudo_labels);
  json_builder_set_member_name (b, "pseudo_copies");
  json_builder_add_int_value (b, copies);
  json_builder_set_member_name (b, "unlabeled");
  json_builder_add_string_value (b, "target");
  json_builder_set_member_name (b, "second_seed");
  json_builder_add_int_value (b, (gint64) exp->seed + 1);
  json_builder_end_object (b);
}

/* gradual unfreezing, which the built-in pipeline gives fine-tuning alone */
static void
add_unfreeze (JsonBuilder *b, const TlExperiment *exp)
{
  if (exp->transfer.unfreeze_every <= 0)
    return;
  json_builder_set_member_name (b, "unfreeze_every");
  json_builder_add_int_value (b, exp->transfer.unfreeze_every);
}

static gboolean
save_model_labelled (const char *job, const char *name, TlModel *model, char **labels, const TlPreprocess *pre,
                     GError **error)
{
  g_autoptr (TlModelInfo) info = tl_model_info_new ();
  g_autofree char *file = g_strdup_printf ("%s.safetensors", name);
  g_autofree char *path = g_build_filename (job, "models", file, NULL);

  info->labels = g_strdupv (labels);
  info->preprocessing = pre ? tl_preprocess_to_json (pre) : NULL;
  return tl_model_file_save (path, model, info, error);
}

static gboolean
save_model (const char *job, const char *name, TlModel *model, const TlDataset *labels_of,
            const TlPreprocess *pre, GError **error)
{
  return save_model_labelled (job, name, model, labels_of->class_names, pre, error);
}

static gboolean
learns_from_unlabeled (const TlExperiment *exp)
{
  return has_strategy (exp, TL_STRATEGY_DOMAIN_ADVERSARIAL) || has_strategy (exp, TL_STRATEGY_SELF_TRAINING);
}

/* joint, domain-adversarial and self-training train source and target rows together */
static gboolean
mixes_domains (const TlExperiment *exp)
{
  return has_strategy (exp, TL_STRATEGY_JOINT) || has_strategy (exp, TL_STRATEGY_DOMAIN_ADVERSARIAL)
         || has_strategy (exp, TL_STRATEGY_SELF_TRAINING);
}

gboolean
tl_torch_job_check (const TlExperiment *exp, GError **error)
{
  if (exp->target.path == NULL)
    {
      g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           "target.path: a PyTorch job transfers to target data, and there are none; the built-in "
                           "engine trains the source model alone");
      return FALSE;
    }
  if (exp->pretrained_model != NULL && mixes_domains (exp))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "transfer.strategy: joint, domain-adversarial and self-training train on the source data too; "
                   "they cannot start from a model file (pretrain.model)");
      return FALSE;
    }
  /* the job would fine-tune on the private rows without the guarantee */
  if (exp->transfer.finetune.private)
    {
      g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           "transfer.privacy: the PyTorch engine does not train privately; run a private experiment "
                           "with the built-in engine, or remove transfer.privacy");
      return FALSE;
    }
  return TRUE;
}

const char *
tl_torch_job_stage_name (TlStrategy strategy)
{
  return strategy == TL_STRATEGY_FINE_TUNE ? "transfer" : tl_strategy_names[strategy];
}

/* Each strategy's starting model, the pretrained one made ready for the target. */
static gboolean
save_strategy_models (const TlExperiment *exp, const char *job, TlModel *transfer, const TlPipelineData *target,
                      GError **error)
{
  if (exp->transfer.n_strategies == 0)
    return save_model (job, "transfer", transfer, target->test, target->preprocess, error);
  for (int i = 0; i < exp->transfer.n_strategies; i++)
    if (!save_model (job, tl_torch_job_stage_name (exp->transfer.strategies[i]), transfer, target->test,
                     target->preprocess, error))
      return FALSE;
  return TRUE;
}

static const char *
head_name (const TlModel *model)
{
  for (int i = tl_model_n_layers (model); i-- > 0;)
    if (tl_model_layer ((TlModel *) model, i)->spec.kind == TL_LAYER_DENSE)
      return tl_model_layer ((TlModel *) model, i)->name;
  return NULL;
}

static gboolean
same_classes (char **a, char **b)
{
  if (g_strv_length (a) != g_strv_length (b))
    return FALSE;
  for (int i = 0; a[i] != NULL; i++)
    if (strcmp (a[i], b[i]) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
write_text (const char *job, const char *name, const char *text, gboolean executable, GError **error)
{
  g_autofree char *path = g_build_filename (job, name, NULL);

  if (!tl_atomic_write_bytes (path, text, strlen (text), error))
    return FALSE;
  if (executable && g_chmod (path, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot make it executable: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_scripts (const TlExperiment *exp, const TlTorchJobOptions *o, const char *job, GError **error)
{
  g_autofree char *gres = g_strcmp0 (o->device, "cuda") == 0 ? g_strdup_printf ("#SBATCH --gres=gpu:%d\n", o->nproc)
                                                             : g_strdup ("");
  g_autofree char *run = g_strdup_printf (
    "#!/bin/sh\n"
    "# Trains the stages of this Transfer Lab job with PyTorch: one process per device under torchrun\n"
    "# (engine/tl_torch_engine/torchrun.py is torch.distributed.run, made to work with torch 1.13 on\n"
    "# Python 3.11), DistributedDataParallel over gloo (cpu) or nccl (cuda).\n"
    "# Needs python3 with torch. Afterwards: transfer-lab run --engine torch --collect THIS_FOLDER\n"
    "# NPROC, DEVICE and PYTHON change the defaults below.\n"
    "set -eu\n"
    "cd \"$(dirname \"$0\")\"\n"
    "PYTHON=\"${PYTHON:-python3}\"\n"
    "NPROC=\"${NPROC:-%d}\"\n"
    "DEVICE=\"${DEVICE:-%s}\"\n"
    "exec \"$PYTHON\" engine/tl_torch_engine/torchrun.py --standalone --nnodes 1 --nproc_per_node \"$NPROC\" \\\n"
    "  engine/tl_torch_engine/__main__.py . --device \"$DEVICE\"\n",
    o->nproc, o->device);
  g_autofree char *slurm = g_strdup_printf (
    "#!/bin/sh\n"
    "# A SLURM batch job for this folder: cd into it, then `sbatch job.slurm`.\n"
    "#SBATCH --job-name=tl-%s\n"
    "#SBATCH --nodes=1\n"
    "#SBATCH --ntasks=1\n"
    "#SBATCH --cpus-per-task=%d\n"
    "%s"
    "#SBATCH --time=02:00:00\n"
    "#SBATCH --output=slurm-%%j.out\n"
    "set -eu\n"
    "cd \"${SLURM_SUBMIT_DIR:-.}\"\n"
    "NPROC=%d DEVICE=%s exec ./run.sh\n",
    exp->name, o->nproc, gres, o->nproc, o->device);

  return write_text (job, "run.sh", run, TRUE, error) && write_text (job, "job.slurm", slurm, TRUE, error);
}

/* The splits as tensors; the target's unlabelled rows too (split "unlabeled", their labels unread),
 * for the strategies that learn from them. */
static gboolean
write_data (const char *job, const char *role, const TlPipelineData *d, gboolean with_unlabeled, GError **error)
{
  const char *names[] = { "train", "val", "test", "unlabeled" };
  g_autoptr (TlDataset) unlabeled = NULL;
  const TlDataset *splits[] = { d->train, d->val, d->test, NULL };
  g_autofree char *file = g_strdup_printf ("%s.safetensors", role);
  g_autofree char *path = g_build_filename (job, "data", file, NULL);

  if (with_unlabeled && d->unlabeled != NULL && d->unlabeled->n > 0)
    {
      g_autofree int *all = g_new (int, d->unlabeled->n);

      for (int i = 0; i < d->unlabeled->n; i++)
        all[i] = i;
      /* as floats, whichever way they were read */
      unlabeled = tl_dataset_subset_floats (d->unlabeled, all, d->unlabeled->n);
      splits[3] = unlabeled;
    }
  return tl_torch_tensors_write_splits (path, names, splits, 4, error);
}

/* Everything of the job into `job` (a new folder). */
static gboolean
write_job (const TlExperiment *exp, const TlTorchJobOptions *o, const char *job, GError **error)
{
  g_autoptr (TlPipelineData) source = NULL;
  g_autoptr (TlPipelineData) target = NULL;
  g_autoptr (TlDataset) joint_rows = NULL;
  g_autoptr (GPtrArray) docs = NULL;
  g_autoptr (TlModel) pretrain = NULL, transfer = NULL, baseline = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (TlExperiment) record = tl_experiment_copy (exp);
  g_autofree char *text = NULL, *manifest = NULL, *record_path = NULL;
  g_autofree char *models = g_build_filename (job, "models", NULL);
  g_autofree char *data = g_build_filename (job, "data", NULL);
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlPreprocess) loaded_pre = NULL;
  g_auto (GStrv) model_labels = NULL;
  g_autofree char *model_from = tl_experiment_resolve_path (exp, exp->pretrained_model);
  const char *fresh = NULL, *from = model_from != NULL ? NULL : "pretrain";
  gboolean keep_head, source_only;
  TlTrainSpec budget = exp->transfer.finetune;

  if (model_from != NULL)
    {
      /* the given model is the pretrained one: no source data, no pretraining stage */
      pretrain = tl_model_file_load (model_from, &info, error);
      if (pretrain == NULL)
        return FALSE;
      if (info->preprocessing != NULL && (loaded_pre = tl_preprocess_from_json (info->preprocessing, error)) == NULL)
        {
          g_prefix_error (error, "%s: ", model_from);
          return FALSE;
        }
      model_labels = g_strdupv (info->labels);
    }
  else
    {
      if ((docs = tl_pipeline_source_documents (exp, error)) == NULL)
        return FALSE;
      source = tl_pipeline_import_with_documents (exp, &exp->source, NULL, docs, exp->seed, "source", error);
      if (source == NULL)
        return FALSE;
      /* the initial model of each stage, made as the built-in pipeline makes them */
      pretrain = tl_pipeline_build_model (&exp->architecture, source->train,
                                          tl_preprocess_vocab_size (source->preprocess), exp->seed, error);
      if (pretrain == NULL)
        return FALSE;
      model_labels = g_strdupv (source->train->class_names);
    }
  target = tl_pipeline_import (exp, &exp->target, source ? source->preprocess : loaded_pre, exp->seed, "target",
                               error);
  if (target == NULL)
    return FALSE;
  if (target->test == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "target: no test data (set target.test_fraction or target.test_path)");
      return FALSE;
    }

  source_only = same_classes (model_labels, target->test->class_names);
  keep_head = !exp->transfer.rebuild_head && source_only;
  transfer = tl_model_copy (pretrain);
  tl_rng_init (&transfer->rng, exp->seed + 3);
  if (!keep_head)
    {
      if (!tl_model_replace_head (transfer, target->test->n_classes, error))
        return FALSE;
      fresh = head_name (transfer);
    }
  if (!tl_pipeline_apply_freeze (transfer, &exp->transfer, error))
    return FALSE;
  if (mixes_domains (exp))
    {
      if (!same_classes (source->train->class_names, target->test->class_names))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "transfer.strategy: joint, domain-adversarial and self-training train source and target "
                       "rows together, so they need the same classes; the target's differ from the source's");
          return FALSE;
        }
      if (learns_from_unlabeled (exp) && (target->unlabeled == NULL || target->unlabeled->n == 0))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "transfer.strategy: domain-adversarial and self-training need unlabelled target rows: take "
                       "fewer per class (target.per_class) or give target.unlabeled_path");
          return FALSE;
        }
      /* the rows the built-in pipeline trains these strategies on: the source's and the target's, repeated by
       * weight */
      joint_rows = tl_strategy_joint_rows (source->train, target->train, exp->transfer.target_weight, NULL);
    }
  if (exp->baseline && (baseline = tl_pipeline_fresh_copy (pretrain, target->train->n_classes, exp->seed, error)) == NULL)
    return FALSE;

  if (g_mkdir_with_parents (models, 0755) != 0 || g_mkdir_with_parents (data, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", job, g_strerror (errno));
      return FALSE;
    }
  if ((source != NULL && !write_data (job, "source", source, FALSE, error))
      || !write_data (job, "target", target, learns_from_unlabeled (exp), error)
      || !save_model_labelled (job, "pretrain", pretrain, model_labels, source ? source->preprocess : loaded_pre,
                               error)
      || !save_model (job, "transfer", transfer, target->test, target->preprocess, error)
      || !save_strategy_models (exp, job, transfer, target, error)
      || (baseline && !save_model (job, "baseline", baseline, target->train, target->preprocess, error)))
    return FALSE;
  if (joint_rows)
    {
      TlPipelineData joint = { .train = joint_rows, .val = target->val, .test = target->test };

      if (!write_data (job, "joint", &joint, FALSE, error))
        return FALSE;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, TL_TORCH_JOB_FORMAT);
  json_builder_set_member_name (b, "format_version");
  json_builder_add_int_value (b, TL_TORCH_JOB_VERSION);
  json_builder_set_member_name (b, "experiment");
  json_builder_add_string_value (b, exp->name);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) exp->seed);
  /* where the collected run goes unless told otherwise: the experiment's run history */
  {
    g_autofree char *history = o->results_root != NULL ? g_strdup (o->results_root) : tl_run_history_root (exp, NULL);
    g_autofree char *absolute = g_canonicalize_filename (history, NULL);
    json_builder_set_member_name (b, "results_root");
    json_builder_add_string_value (b, absolute);
  }
  json_builder_set_member_name (b, "nproc");
  json_builder_add_int_value (b, o->nproc);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, o->device);
  json_builder_set_member_name (b, "unlabeled_target_texts");
  json_builder_add_int_value (b, docs ? docs->len : 0);
  json_builder_set_member_name (b, "source_only");
  json_builder_add_boolean_value (b, source_only);
  if (model_from != NULL)
    {
      /* models/pretrain.safetensors is this file's model: the strategies start from it as it is */
      g_autofree char *absolute = g_canonicalize_filename (model_from, NULL);

      json_builder_set_member_name (b, "pretrained_from");
      json_builder_add_string_value (b, absolute);
    }
  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  if (source != NULL)
    {
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, "data/source.safetensors");
    }
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, "data/target.safetensors");
  if (joint_rows)
    {
      json_builder_set_member_name (b, "joint");
      json_builder_add_string_value (b, "data/joint.safetensors");
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "stages");
  json_builder_begin_array (b);
  if (source != NULL)
    add_stage (b, "pretrain", "source", NULL, NULL, &exp->pretrain, exp->pretrain.epochs, exp->seed);
  if (exp->transfer.n_strategies == 0)
    {
      begin_stage (b, "transfer", "target", from, fresh, exp->seed);
      add_unfreeze (b, exp);
      end_stage (b, &exp->transfer.finetune, exp->transfer.finetune.epochs);
    }
  /* in the experiment's order, as the built-in pipeline runs them */
  for (int i = 0; i < exp->transfer.n_strategies; i++)
    {
      TlStrategy s = exp->transfer.strategies[i];

      begin_stage (b, tl_torch_job_stage_name (s), s == TL_STRATEGY_FINE_TUNE ? "target" : "joint", from,
                   fresh, exp->seed);
      if (s == TL_STRATEGY_FINE_TUNE)
        add_unfreeze (b, exp);
      else if (s == TL_STRATEGY_DOMAIN_ADVERSARIAL)
        add_adversary (b, exp, transfer, source->train->n);
      else if (s == TL_STRATEGY_SELF_TRAINING)
        add_self_training (b, exp, tl_strategy_target_copies (source->train->n, target->train->n,
                                                              exp->transfer.target_weight));
      end_stage (b, &exp->transfer.finetune, exp->transfer.finetune.epochs);
    }
  if (exp->baseline_epochs > 0)
    budget.epochs = exp->baseline_epochs;
  if (baseline)
    add_stage (b, "baseline", "target", NULL, NULL, &budget, budget.epochs, exp->seed);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = tl_json_to_pretty_string (root);
  manifest = g_build_filename (job, "job.json", NULL);
  record_path = g_build_filename (job, "experiment.json", NULL);
  return tl_atomic_write_bytes (manifest, text, strlen (text), error)
         && tl_experiment_save (record, record_path, error)
         && tl_torch_engine_vendor (o->engine_dir, job, error)
         && write_scripts (exp, o, job, error);
}

gboolean
tl_torch_job_prepare (const TlExperiment *exp, const TlTorchJobOptions *options, const char *job_dir,
                      GError **error)
{
  g_autofree char *partial = g_strdup_printf ("%s.partial", job_dir);

  g_return_val_if_fail (exp != NULL && options != NULL && job_dir != NULL, FALSE);

  if (!tl_torch_job_check (exp, error))
    return FALSE;
  if (g_file_test (job_dir, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "%s: it exists already; a job goes into a new folder",
                   job_dir);
      return FALSE;
    }
  tl_remove_tree (partial);
  if (g_mkdir_with_parents (partial, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", partial, g_strerror (errno));
      return FALSE;
    }
  if (!write_job (exp, options, partial, error))
    {
      tl_remove_tree (partial);
      return FALSE;
    }
  if (g_rename (partial, job_dir) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot rename it into place: %s", job_dir, g_strerror (errno));
      tl_remove_tree (partial);
      return FALSE;
    }
  return TRUE;
}

GStrv
tl_torch_job_argv (const char *python, const char *engine_dir, const char *job_dir, int nproc, const char *device)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_autofree char *engine = engine_dir ? g_strdup (engine_dir) : g_build_filename (job_dir, "engine", NULL);
  g_autofree char *main_py = g_build_filename (engine, "tl_torch_engine", "__main__.py", NULL);
  g_autofree char *torchrun = g_build_filename (engine, "tl_torch_engine", "torchrun.py", NULL);
  g_autofree char *n = g_strdup_printf ("%d", nproc);

  g_strv_builder_add_many (b, python, torchrun, "--standalone", "--nnodes", "1", "--nproc_per_node", n, main_py,
                           job_dir, "--device", device, NULL);
  return g_strv_builder_end (b);
}
