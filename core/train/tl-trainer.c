#define G_LOG_DOMAIN "tl-trainer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-loss.h"
#include "tl-train-checkpoint.h"

/* The feature cache is skipped when it would need more memory than this. */
#define CACHE_MAX_BYTES ((gsize) 1 << 30)

void
tl_train_config_init (TlTrainConfig *config)
{
  g_return_if_fail (config != NULL);
  memset (config, 0, sizeof *config);
  config->epochs = 10;
  config->batch_size = 32;
  tl_optimizer_config_init (&config->optimizer, TL_OPTIMIZER_ADAM, 1e-3f);
  tl_schedule_config_init (&config->schedule, TL_SCHEDULE_CONSTANT);
  config->seed = 42;
  config->feature_cache = TRUE;
}

TlHistory *
tl_history_new (void)
{
  TlHistory *history = g_new0 (TlHistory, 1);
  history->epochs = g_array_new (FALSE, TRUE, sizeof (TlEpochRecord));
  return history;
}

void
tl_history_free (TlHistory *history)
{
  if (history == NULL)
    return;
  g_array_unref (history->epochs);
  g_free (history);
}

static void
run_clear (TlTrainRun *run)
{
  tl_optimizer_free (run->opt);
  tl_adversary_run_free (run->adversary);
  g_free (run->train_feat);
  g_free (run->val_feat);
  g_free (run->perm);
  g_free (run->order);
  g_free (run->labels);
  tl_tensor_free (run->x);
  tl_tensor_free (run->tokens);
  tl_tensor_free (run->grad);
  g_free (run->good);
  g_free (run->best);
  g_free (run->average);
}

/* The buffers of a model (batch-norm running statistics) one after another. */
static float *
buffers_save (const TlModel *model, float *buf)
{
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      const TlLayer *layer = tl_model_layer (model, i);
      for (int b = 0; b < layer->n_buffers; b++)
        {
          memcpy (buf, layer->buffers[b].value->data, layer->buffers[b].value->size * sizeof (float));
          buf += layer->buffers[b].value->size;
        }
    }
  return buf;
}

static const float *
buffers_load (TlModel *model, const float *buf)
{
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      TlLayer *layer = tl_model_layer (model, i);
      for (int b = 0; b < layer->n_buffers; b++)
        {
          memcpy (layer->buffers[b].value->data, buf, layer->buffers[b].value->size * sizeof (float));
          buf += layer->buffers[b].value->size;
        }
    }
  return buf;
}

static gsize
buffers_count (const TlModel *model)
{
  gsize n = 0;

  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      const TlLayer *layer = tl_model_layer (model, i);
      for (int b = 0; b < layer->n_buffers; b++)
        n += layer->buffers[b].value->size;
    }
  return n;
}

/* A model's training state as one vector: the weights, then the buffers, so that
 * going back to an epoch restores both. */
static void
weights_save (const TlModel *model, float *buf)
{
  TlParamIter it;
  TlLayer *layer;
  TlParam *param;

  /* frozen layers keep their weights through a run: their slots are left as they are */
  tl_model_param_iter_init (&it, model);
  while (tl_model_param_iter_next (&it, &layer, &param))
    {
      if (layer->trainable)
        memcpy (buf, param->value->data, param->value->size * sizeof (float));
      buf += param->value->size;
    }
  buffers_save (model, buf);
}

static void
weights_load (TlModel *model, const float *buf)
{
  TlParamIter it;
  TlLayer *layer;
  TlParam *param;

  tl_model_param_iter_init (&it, model);
  while (tl_model_param_iter_next (&it, &layer, &param))
    {
      if (layer->trainable)
        memcpy (param->value->data, buf, param->value->size * sizeof (float));
      buf += param->value->size;
    }
  buffers_load (model, buf);
}

static gboolean
weights_finite (const TlModel *model)
{
  TlParamIter it;
  TlLayer *layer;
  TlParam *param;

  tl_model_param_iter_init (&it, model);
  while (tl_model_param_iter_next (&it, &layer, &param))
    for (gsize k = 0; layer->trainable && k < param->value->size; k++)
      if (!isfinite (param->value->data[k]))
        return FALSE;
  return TRUE;
}

static gboolean
check_data (const TlModel *model, const TlDataset *ds, const char *what, GError **error)
{
  gsize in_size = tl_shape_size (model->in_ndim, model->in_shape);
  int n_out = tl_model_n_outputs (model);

  if (ds->sample_size != in_size)
    {
      g_autofree char *want = tl_tensor_shape_string (model->in_ndim, model->in_shape);
      g_autofree char *have = tl_tensor_shape_string (ds->sample_ndim, ds->sample_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "the model takes samples of shape %s but the %s data has samples of shape %s",
                   want, what, have);
      return FALSE;
    }
  if (ds->n_classes != n_out)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "the model has %d outputs but the %s data has %d classes", n_out, what, ds->n_classes);
      return FALSE;
    }
  for (int i = 0; i < ds->n; i++)
    if (ds->y[i] < 0 || ds->y[i] >= ds->n_classes)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     "%s sample %d has label %d, expected 0 to %d", what, i + 1, ds->y[i],
                     ds->n_classes - 1);
        return FALSE;
      }
  return TRUE;
}

static void
evaluate (TlTrainRun *run, const TlDataset *ds, const float *feat, float *loss, float *accuracy)
{
  double loss_sum = 0.0, weight_sum = 0.0;
  int correct = 0;

  for (int start = 0; start < ds->n; start += run->batch_size)
    {
      int n = MIN (run->batch_size, ds->n - start);
      const TlTensor *logits;
      double w;
      float l;

      for (int i = 0; i < n; i++)
        run->order[i] = start + i;
      tl_train_load_batch (run, ds, feat, run->order, n);
      logits = tl_model_forward_range (run->model, run->x, run->first, run->end, FALSE);
      l = tl_cross_entropy (logits, run->labels, run->config->class_weights,
                            run->config->label_smoothing, NULL, NULL);
      w = tl_train_batch_weight (run, n);
      loss_sum += (double) l * w;
      weight_sum += w;
      correct += tl_count_correct (logits, run->labels);
    }
  *loss = weight_sum > 0.0 ? (float) (loss_sum / weight_sum) : 0.0f;
  *accuracy = ds->n > 0 ? (float) correct / ds->n : NAN;
}

static float *
build_cache (TlTrainRun *run, const TlDataset *ds)
{
  float *feat = g_malloc ((gsize) ds->n * run->feat_size * sizeof (float));

  for (int start = 0; start < ds->n; start += run->batch_size)
    {
      int n = MIN (run->batch_size, ds->n - start);
      const TlTensor *out;

      for (int i = 0; i < n; i++)
        run->order[i] = start + i;
      tl_dataset_gather (ds, run->order, n, run->x, NULL);
      out = tl_model_forward_range (run->model, run->x, 0, run->first, FALSE);
      memcpy (feat + (gsize) start * run->feat_size, out->data, (gsize) n * run->feat_size * sizeof (float));
    }
  return feat;
}

/* Decides whether layers below the lowest trainable one can be computed once, and does so. */
static void
setup_cache (TlTrainRun *run, TlHistory *history)
{
  TlModel *model = run->model;
  int k = tl_model_lowest_trainable (model);
  const TlLayer *below;
  gsize rows;
  gint64 t0;

  if (!run->config->feature_cache || run->config->adversary || k <= 0 || k >= run->end
      || !tl_model_is_cut (model, k))
    return;
  for (int i = 0; i < k; i++)
    if (tl_layer_has_randomness (tl_model_layer (model, i)))
      return;
  below = tl_model_layer (model, k - 1);
  rows = (gsize) run->train->n + (run->val ? (gsize) run->val->n : 0);
  run->feat_size = tl_shape_size (below->out_ndim, below->out_shape);
  if (run->feat_size == 0 || rows * run->feat_size > CACHE_MAX_BYTES / sizeof (float))
    return;

  t0 = g_get_monotonic_time ();
  run->first = k;
  run->feat_ndim = below->out_ndim;
  memcpy (run->feat_shape, below->out_shape, sizeof (int) * below->out_ndim);
  run->train_feat = build_cache (run, run->train);
  if (run->val)
    run->val_feat = build_cache (run, run->val);
  history->cached_layers = k;
  history->cache_seconds = (g_get_monotonic_time () - t0) / 1e6;
}

/* One forward and backward pass of a full batch, so that every buffer has its
 * final size before the loop; the random stream, gradients and running
 * statistics are left as they were. */
static void
warm_up (TlTrainRun *run)
{
  TlModel *model = run->model;
  TlRng saved = model->rng;
  g_autofree float *stats = g_new (float, buffers_count (model) + 1);
  int n = MIN (run->batch_size, run->train->n);
  const TlTensor *out;

  buffers_save (model, stats);
  for (int i = 0; i < n; i++)
    run->order[i] = i;
  tl_train_load_batch (run, run->train, run->train_feat, run->order, n);
  out = tl_model_forward_range (model, run->x, run->first, run->end, TRUE);
  tl_tensor_resize (run->grad, out->ndim, out->shape);
  tl_tensor_zero (run->grad);
  tl_model_backward_range (model, run->x, run->grad, run->first, run->end);
  tl_model_zero_grad (model);
  tl_model_forward_range (model, run->x, run->first, run->end, FALSE);
  model->rng = saved;
  buffers_load (model, stats);
}

static void
diverged (TlTrainRun *run, GError **error, int epoch, int batch, const char *what)
{
  weights_load (run->model, run->good);
  g_set_error (error, TL_ERROR, TL_ERROR_DIVERGED, "training diverged at epoch %d, batch %d (%s)",
               epoch, batch, what);
}

static gboolean
check_arguments (const TlModel *model, const TlDataset *train, const TlDataset *val,
                 const TlTrainConfig *config, GError **error)
{
  if (config->epochs < 0 || config->batch_size <= 0 || train->n <= 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "training needs at least one sample and a positive batch size (got %d samples, batch %d, "
                   "%d epochs)", train->n, config->batch_size, config->epochs);
      return FALSE;
    }
  if (tl_model_n_layers (model) == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "the model has no layers");
      return FALSE;
    }
  if (config->label_smoothing < 0.0f || config->label_smoothing >= 1.0f)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "label smoothing must be in [0, 1), got %g", config->label_smoothing);
      return FALSE;
    }
  if (config->average_epochs < 0 || (config->average_epochs > 0 && config->patience > 0))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   config->average_epochs < 0 ? "the number of averaged epochs cannot be negative, got %d"
                                              : "averaging the last %d epochs cannot be combined with early "
                                                "stopping (patience), which ends on the best epoch instead",
                   config->average_epochs);
      return FALSE;
    }
  if (config->privacy && config->adversary)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "private training cannot be combined with domain-adversarial training");
      return FALSE;
    }
  if (config->privacy && !tl_dp_check_model (model, 0, tl_model_n_layers (model), error))
    return FALSE;
  return check_data (model, train, "training", error) && (val == NULL || check_data (model, val, "validation", error));
}

static void
history_reset (TlHistory *history)
{
  g_array_set_size (history->epochs, 0);
  history->best_epoch = history->averaged_epochs = 0;
  history->stopped_early = history->cancelled = FALSE;
  history->train_seconds = history->cache_seconds = 0.0;
  history->cached_layers = history->resumed_epochs = 0;
  history->privacy_sigma = history->privacy_sample_rate = history->epsilon = NAN;
  history->privacy_steps = 0;
  history->budget_spent = FALSE;
}

static void
run_init (TlTrainRun *run, TlModel *model, const TlDataset *train, const TlDataset *val,
          const TlTrainConfig *config)
{
  const TlLayer *last = tl_model_layer (model, tl_model_n_layers (model) - 1);

  run->model = model;
  run->config = config;
  run->train = train;
  run->val = val;
  run->batch_size = config->batch_size;
  run->n_batches = (train->n + run->batch_size - 1) / run->batch_size;
  run->total_steps = (guint64) run->n_batches * config->epochs;
  /* the loss takes logits: a final Softmax runs only at prediction */
  run->end = tl_model_n_layers (model) - (last->spec.kind == TL_LAYER_SOFTMAX ? 1 : 0);
  run->best_val = INFINITY;
  run->n_weights = tl_model_param_count (model, FALSE) + buffers_count (model);
  run->opt = tl_optimizer_new (&config->optimizer);
  tl_optimizer_prepare (run->opt, model);
  tl_rng_init (&run->shuffle_rng, config->seed);
  tl_rng_split (&run->shuffle_rng, &model->rng);
  run->perm = g_new (int, train->n);
  /* a Poisson batch may hold any number of examples */
  run->private = config->privacy != NULL;
  run->order = g_new (int, run->private ? MAX (train->n, run->batch_size) : run->batch_size);
  run->labels = g_new (int, run->private ? MAX (train->n, run->batch_size) : run->batch_size);
  run->x = tl_tensor_new_empty ();
  run->tokens = tl_tensor_new_empty ();
  run->grad = tl_tensor_new_empty ();
  run->good = g_new0 (float, MAX (run->n_weights, 1));
  if (config->patience > 0 && val)
    run->best = g_new0 (float, MAX (run->n_weights, 1));
  if (config->average_epochs > 0)
    run->average = g_new0 (float, MAX (run->n_weights, 1));
}

/* Folds the weights after this epoch into the running mean. Frozen layers'
 * slots stay as weights_save left them: they are never loaded back. */
static void
average_epoch (TlTrainRun *run, int epoch)
{
  float k;

  if (run->average == NULL || epoch < tl_train_first_averaged_epoch (run->config))
    return;
  k = (float) ++run->n_averaged;
  for (gsize i = 0; i < run->n_weights; i++)
    run->average[i] += (run->good[i] - run->average[i]) / k;
}

/* Chooses the layers the loop runs (past the cache and leading reshapes) and sizes every buffer. */
static void
prepare_loop (TlTrainRun *run, TlHistory *history)
{
  int first;

  setup_cache (run, history);
  first = MIN (tl_model_skip_reshapes (run->model, run->first), run->end);
  run->flat_input = first > run->first;
  run->first = first;
  warm_up (run);
  weights_save (run->model, run->good);
}

static void
report_batch (const TlTrainRun *run, const TlTrainCallbacks *callbacks, int epoch, int batch,
              double loss_sum, int correct, int seen)
{
  double elapsed = (g_get_monotonic_time () - run->t_start) / 1e6;
  guint64 left = run->total_steps - run->step;
  TlBatchProgress progress = {
    .epoch = epoch + 1, .n_epochs = run->config->epochs, .batch = batch + 1,
    .n_batches = run->n_batches, .loss = (float) (loss_sum / seen),
    .accuracy = (float) correct / seen, .elapsed = elapsed,
    .eta = elapsed / run->steps_this_run * left,
  };
  callbacks->on_batch (&progress, callbacks->user_data);
}

typedef enum {
  EPOCH_NEXT,                  /* go on with the next epoch */
  EPOCH_EARLY_STOP,            /* patience ran out: this was the last epoch */
  EPOCH_CANCELLED,             /* should_stop: the weights of the last finished epoch are back */
  EPOCH_FAILED,                /* error set */
} EpochEnd;

/* One step on the samples perm[start, start + n); returns the loss, and takes no
 * step when the loss is not finite. */
static float
plain_step (TlTrainRun *run, int start, int n, float lr, int *correct)
{
  const TlTrainConfig *config = run->config;
  TlModel *model = run->model;
  const TlTensor *logits;
  float loss;

  tl_train_load_batch (run, run->train, run->train_feat, run->perm + start, n);
  if (run->adversary != NULL)
    loss = tl_adversary_step (run->adversary, model, run->end, run->x, run->perm + start, run->labels, n, lr,
                              (double) run->step / MAX (run->total_steps, 1), &logits, run->grad);
  else
    {
      logits = tl_model_forward_range (model, run->x, run->first, run->end, TRUE);
      loss = tl_cross_entropy (logits, run->labels, config->class_weights, config->label_smoothing,
                               run->grad, NULL);
    }
  *correct = tl_count_correct (logits, run->labels);
  if (!isfinite (loss))
    return loss;
  if (run->adversary == NULL)
    tl_model_backward_range (model, run->x, run->grad, run->first, run->end);
  /* gradients start at zero (warm_up) and the step clears them for the next batch */
  tl_optimizer_step_and_zero (run->opt, model, lr);
  return loss;
}

/* Shuffles and runs every batch of one epoch, filling the training figures of record. */
static EpochEnd
train_batches (TlTrainRun *run, int epoch, const TlTrainCallbacks *callbacks, TlHistory *history,
               TlEpochRecord *record, GError **error)
{
  const TlTrainConfig *config = run->config;
  const TlDataset *train = run->train;
  double loss_sum = 0.0;
  int seen = 0, correct = 0;
  float lr = config->optimizer.learning_rate;

  if (!run->private)
    {
      for (int i = 0; i < train->n; i++)
        run->perm[i] = i;
      tl_rng_shuffle (&run->shuffle_rng, run->perm, train->n);
    }

  for (int b = 0; b < run->n_batches; b++)
    {
      int start = b * run->batch_size;
      int n = MIN (run->batch_size, train->n - start), n_correct;
      float loss;

      lr = tl_schedule_lr (&config->schedule, config->optimizer.learning_rate, (int) run->step,
                           (int) run->total_steps, epoch);
      if (run->private)
        loss = tl_dp_train_step (run, lr, &n, &n_correct);
      else
        loss = plain_step (run, start, n, lr, &n_correct);
      if (!isfinite (loss))
        {
          diverged (run, error, epoch + 1, b + 1, isnan (loss) ? "loss is nan" : "loss is infinite");
          return EPOCH_FAILED;
        }
      correct += n_correct;
      run->step++;
      run->steps_this_run++;

      loss_sum += (double) loss * n;
      seen += n;

      if (callbacks && callbacks->on_batch && seen > 0)
        report_batch (run, callbacks, epoch, b, loss_sum, correct, seen);
      if (callbacks && callbacks->should_stop && callbacks->should_stop (callbacks->user_data))
        {
          weights_load (run->model, run->good);
          history->cancelled = TRUE;
          return EPOCH_CANCELLED;
        }
    }

  record->train_loss = seen > 0 ? (float) (loss_sum / seen) : NAN;
  record->train_accuracy = seen > 0 ? (float) correct / seen : NAN;
  record->learning_rate = lr;
  return EPOCH_NEXT;
}

/* Fills the validation figures of record, keeps the best weights and counts epochs without progress. */
static EpochEnd
validate_epoch (TlTrainRun *run, int epoch, TlHistory *history, TlEpochRecord *record, GError **error)
{
  evaluate (run, run->val, run->val_feat, &record->val_loss, &record->val_accuracy);
  if (!isfinite (record->val_loss))
    {
      diverged (run, error, epoch + 1, run->n_batches, "validation loss is not finite");
      return EPOCH_FAILED;
    }
  if (record->val_loss < run->best_val)
    {
      run->best_val = record->val_loss;
      history->best_epoch = epoch + 1;
      run->bad_epochs = 0;
      if (run->best)
        weights_save (run->model, run->best);
    }
  else if (run->config->patience > 0 && ++run->bad_epochs >= run->config->patience)
    return EPOCH_EARLY_STOP;
  return EPOCH_NEXT;
}

/* A checkpoint holds the weights and the optimiser's moments. A small one is
 * written after every epoch. A large one, written every epoch of a quick
 * fine-tuning (an imported backbone), would cost as much time as the epoch:
 * the kernel holds back a writer of a gigabyte a second. It is written once
 * CHECKPOINT_INTERVAL seconds have passed since the last one, so a stopped or
 * killed run repeats at most that much on resuming, from the same state. */
#define CHECKPOINT_SMALL_BYTES (16u << 20)
#define CHECKPOINT_INTERVAL 30

static gboolean
checkpoint_due (const TlTrainRun *run)
{
  const double bytes = 3.0 * sizeof (float) * tl_model_param_count (run->model, FALSE);

  return bytes <= CHECKPOINT_SMALL_BYTES
         || g_get_monotonic_time () - run->t_checkpoint >= CHECKPOINT_INTERVAL * G_USEC_PER_SEC;
}

static EpochEnd
run_epoch (TlTrainRun *run, int epoch, const TlTrainCallbacks *callbacks, TlHistory *history, GError **error)
{
  gint64 t_epoch = g_get_monotonic_time ();
  TlEpochRecord record = { .epoch = epoch + 1, .epsilon = NAN };
  EpochEnd end = train_batches (run, epoch, callbacks, history, &record, error);

  if (end != EPOCH_NEXT)
    return end;
  if (!weights_finite (run->model))
    {
      diverged (run, error, epoch + 1, run->n_batches, "weights are not finite");
      return EPOCH_FAILED;
    }
  record.val_loss = record.val_accuracy = NAN;
  if (run->val && (end = validate_epoch (run, epoch, history, &record, error)) == EPOCH_FAILED)
    return EPOCH_FAILED;
  record.seconds = (g_get_monotonic_time () - t_epoch) / 1e6;
  if (run->private)
    {
      record.epsilon = history->epsilon = tl_privacy_accountant_epsilon (&run->accountant);
      history->privacy_steps = run->accountant.steps;
    }
  g_array_append_val (history->epochs, record);
  weights_save (run->model, run->good);
  average_epoch (run, epoch);
  run->epochs_done = epoch + 1;

  if (run->config->checkpoint_path
      && !(run->config->checkpoint_removed_at_end && epoch + 1 == run->config->epochs)
      && checkpoint_due (run))
    {
      if (!tl_train_checkpoint_save (run, history, error))
        return EPOCH_FAILED;
      run->t_checkpoint = g_get_monotonic_time ();
    }
  if (callbacks && callbacks->on_epoch)
    callbacks->on_epoch (&record, history, callbacks->user_data);
  return end;
}

gboolean
tl_train (TlModel *model, const TlDataset *train, const TlDataset *val, const TlTrainConfig *config,
          const TlTrainCallbacks *callbacks, TlHistory *history, GError **error)
{
  TlTrainRun run = { .t_start = g_get_monotonic_time (), .t_checkpoint = g_get_monotonic_time () };
  gboolean ok = FALSE;

  g_return_val_if_fail (model != NULL && train != NULL && config != NULL && history != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_arguments (model, train, val, config, error))
    return FALSE;
  if (val && val->n == 0)
    val = NULL;
  history_reset (history);
  run_init (&run, model, train, val, config);
  if (config->adversary
      && !(run.adversary = tl_adversary_run_new (config->adversary, model, &config->optimizer, config->seed, error)))
    goto out;
  if (config->privacy)
    {
      if (!tl_dp_setup (config->privacy, train->n, config->batch_size, run.total_steps, &run.accountant, error))
        goto out;
      run.budget = config->privacy->epsilon;
      history->privacy_sigma = run.accountant.sigma;
      history->privacy_sample_rate = run.accountant.sample_rate;
    }
  if (config->resume_path && !tl_train_checkpoint_resume (&run, history, error))
    goto out;
  prepare_loop (&run, history);

  for (int epoch = run.epochs_done; epoch < config->epochs; epoch++)
    {
      EpochEnd end;

      if (run.private && tl_dp_train_budget_spent (&run))
        {
          if (epoch == 0)
            {
              g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           "the privacy budget (epsilon %g) does not cover one epoch of noise multiplier %g: "
                           "allow a larger epsilon or add noise",
                           run.budget, run.accountant.sigma);
              goto out;
            }
          history->budget_spent = TRUE;
          break;
        }
      end = run_epoch (&run, epoch, callbacks, history, error);

      if (end == EPOCH_FAILED)
        goto out;
      if (end == EPOCH_CANCELLED)
        {
          ok = TRUE;
          goto out;
        }
      if (end == EPOCH_EARLY_STOP)
        {
          history->stopped_early = TRUE;
          break;
        }
    }

  /* with patience set, the run ends on the weights of its best validation epoch */
  if (run.best && history->best_epoch > 0)
    weights_load (model, run.best);
  /* a run cut short by the privacy budget averages the epochs of the window it reached */
  if (run.average && run.n_averaged > 0)
    {
      weights_load (model, run.average);
      history->averaged_epochs = run.n_averaged;
    }
  ok = TRUE;

out:
  history->train_seconds = (g_get_monotonic_time () - run.t_start) / 1e6;
  run_clear (&run);
  return ok;
}

TlTensor *
tl_predict (TlModel *model, const TlDataset *ds, int batch_size)
{
  g_autoptr (TlTensor) x = NULL;
  g_autofree int *order = NULL;
  TlTensor *probs;
  int n_out, n_layers, first;
  gboolean ends_in_softmax;

  g_return_val_if_fail (model != NULL && ds != NULL, NULL);
  g_return_val_if_fail (batch_size > 0, NULL);
  g_return_val_if_fail (ds->sample_size == tl_shape_size (model->in_ndim, model->in_shape), NULL);

  n_out = tl_model_n_outputs (model);
  n_layers = tl_model_n_layers (model);
  ends_in_softmax = n_layers > 0 && tl_model_layer (model, n_layers - 1)->spec.kind == TL_LAYER_SOFTMAX;
  first = MIN (tl_model_skip_reshapes (model, 0), n_layers);
  probs = tl_tensor_new_2d (ds->n, n_out);
  x = tl_tensor_new_empty ();
  order = g_new (int, batch_size);

  for (int start = 0; start < ds->n; start += batch_size)
    {
      int n = MIN (batch_size, ds->n - start);
      TlTensor rows = { .data = probs->data + (gsize) start * n_out, .ndim = 2, .shape = { n, n_out },
                        .size = (gsize) n * n_out, .capacity = (gsize) n * n_out };
      const TlTensor *out;

      for (int i = 0; i < n; i++)
        order[i] = start + i;
      tl_dataset_gather (ds, order, n, x, NULL);
      if (first > 0)
        tl_tensor_resize (x, 2, (int[]) { n, (int) ds->sample_size });
      out = tl_model_forward_range (model, x, first, n_layers, FALSE);
      if (ends_in_softmax)
        memcpy (rows.data, out->data, rows.size * sizeof (float));
      else
        {
          TlTensor logits = *out;
          logits.ndim = 2;
          logits.shape[0] = n;
          logits.shape[1] = n_out;
          tl_softmax_rows (&logits, &rows);
        }
    }
  return probs;
}
