#define G_LOG_DOMAIN "tl-trainer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-checkpoint.h"
#include "tl-error.h"
#include "tl-loss.h"
#include "tl-trainer.h"

/* The feature cache is skipped when it would need more memory than this. */
#define CACHE_MAX_BYTES ((gsize) 1 << 30)
#define RECORD_FIELDS 7

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

typedef struct {
  TlModel             *model;
  const TlTrainConfig *config;
  const TlDataset     *train, *val;
  TlOptimizer         *opt;
  TlRng                shuffle_rng;
  int                  first, end;       /* layers run by the loop: [first, end) */
  gboolean             flat_input;       /* Flattens below `first` are skipped: batches are loaded flat */
  int                  batch_size, n_batches;
  /* inputs of layer `first` for every sample, when lower layers are cached */
  float               *train_feat, *val_feat;
  gsize                feat_size;
  int                  feat_ndim;
  int                  feat_shape[TL_MAX_DIMS];
  /* buffers sized once */
  int                 *perm, *order, *labels;
  TlTensor            *x, *tokens, *grad;
  float               *good, *best;      /* weights after the last finished epoch, at the best epoch */
  gsize                n_weights;
  /* progress */
  guint64              step, total_steps;
  int                  epochs_done;
  float                best_val;
  int                  bad_epochs;
} Run;

static void
run_clear (Run *run)
{
  tl_optimizer_free (run->opt);
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
}

static void
weights_save (const TlModel *model, float *buf)
{
  for (guint i = 0; i < model->layers->len; i++)
    {
      const TlLayer *layer = g_ptr_array_index (model->layers, i);
      for (int p = 0; p < layer->n_params; p++)
        {
          const TlTensor *v = layer->params[p].value;
          memcpy (buf, v->data, v->size * sizeof (float));
          buf += v->size;
        }
    }
}

static void
weights_load (TlModel *model, const float *buf)
{
  for (guint i = 0; i < model->layers->len; i++)
    {
      TlLayer *layer = g_ptr_array_index (model->layers, i);
      for (int p = 0; p < layer->n_params; p++)
        {
          TlTensor *v = layer->params[p].value;
          memcpy (v->data, buf, v->size * sizeof (float));
          buf += v->size;
        }
    }
}

static gboolean
weights_finite (const TlModel *model)
{
  for (guint i = 0; i < model->layers->len; i++)
    {
      const TlLayer *layer = g_ptr_array_index (model->layers, i);
      for (int p = 0; p < layer->n_params; p++)
        {
          const TlTensor *v = layer->params[p].value;
          for (gsize k = 0; k < v->size; k++)
            if (!isfinite (v->data[k]))
              return FALSE;
        }
    }
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

/* Fills run->x and run->labels with the samples idx[0..n) of ds, from the cache when there is one. */
static void
load_batch (Run *run, const TlDataset *ds, const float *feat, const int *idx, int n)
{
  if (feat == NULL)
    tl_dataset_gather (ds, idx, n, run->x, run->labels);
  else
    {
      tl_tensor_resize_batch (run->x, n, run->feat_ndim, run->feat_shape);
      for (int i = 0; i < n; i++)
        {
          memcpy (run->x->data + (gsize) i * run->feat_size, feat + (gsize) idx[i] * run->feat_size,
                  run->feat_size * sizeof (float));
          run->labels[i] = ds->y[idx[i]];
        }
      if (tl_model_takes_tokens (run->model))
        {
          tl_dataset_gather (ds, idx, n, run->tokens, NULL);
          tl_model_set_token_mask (run->model, run->tokens);
        }
    }
  if (run->flat_input)
    tl_tensor_resize (run->x, 2, (int[]) { n, (int) tl_tensor_sample_size (run->x) });
}

static double
batch_weight (const Run *run, int n)
{
  double w = 0.0;
  if (run->config->class_weights == NULL)
    return n;
  for (int i = 0; i < n; i++)
    w += run->config->class_weights[run->labels[i]];
  return w;
}

static void
evaluate (Run *run, const TlDataset *ds, const float *feat, float *loss, float *accuracy)
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
      load_batch (run, ds, feat, run->order, n);
      logits = tl_model_forward_range (run->model, run->x, run->first, run->end, FALSE);
      l = tl_cross_entropy (logits, run->labels, run->config->class_weights,
                            run->config->label_smoothing, NULL, NULL);
      w = batch_weight (run, n);
      loss_sum += (double) l * w;
      weight_sum += w;
      correct += tl_count_correct (logits, run->labels);
    }
  *loss = weight_sum > 0.0 ? (float) (loss_sum / weight_sum) : 0.0f;
  *accuracy = ds->n > 0 ? (float) correct / ds->n : NAN;
}

static float *
build_cache (Run *run, const TlDataset *ds)
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
setup_cache (Run *run, TlHistory *history)
{
  TlModel *model = run->model;
  int k = tl_model_lowest_trainable (model);
  const TlLayer *below;
  gsize rows;
  gint64 t0;

  if (!run->config->feature_cache || k <= 0 || k >= run->end)
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

static void
record_to_floats (const TlEpochRecord *r, float *f)
{
  f[0] = (float) r->epoch;
  f[1] = r->train_loss;
  f[2] = r->train_accuracy;
  f[3] = r->val_loss;
  f[4] = r->val_accuracy;
  f[5] = r->learning_rate;
  f[6] = (float) r->seconds;
}

static void
rng_to_words (const TlRng *rng, guint64 *w)
{
  double spare = rng->spare;
  memcpy (w, rng->s, sizeof rng->s);
  w[4] = rng->has_spare ? 1 : 0;
  memcpy (&w[5], &spare, sizeof spare);
}

static void
rng_from_words (TlRng *rng, const guint64 *w)
{
  memcpy (rng->s, w, sizeof rng->s);
  rng->has_spare = w[4] != 0;
  memcpy (&rng->spare, &w[5], sizeof rng->spare);
}

static gboolean
write_checkpoint (Run *run, const TlHistory *history, GError **error)
{
  g_autoptr (TlCheckpoint) ck = tl_checkpoint_new ();
  g_autofree float *records = NULL;
  TlModel *model = run->model;
  guint64 state[7], rngs[12];
  guint n_rec = history->epochs->len;

  for (guint i = 0; i < model->layers->len; i++)
    {
      const TlLayer *layer = g_ptr_array_index (model->layers, i);
      for (int p = 0; p < layer->n_params; p++)
        {
          g_autofree char *name = g_strdup_printf ("model/%s/%s", layer->name, layer->params[p].name);
          tl_checkpoint_set_f32 (ck, name, layer->params[p].value->data, layer->params[p].value->size);
        }
    }
  tl_optimizer_save_state (run->opt, model, ck);

  state[0] = (guint64) run->epochs_done;
  state[1] = run->step;
  state[2] = (guint64) history->best_epoch;
  state[3] = (guint64) run->bad_epochs;
  state[4] = (guint64) run->train->n;
  state[5] = (guint64) run->batch_size;
  state[6] = run->best != NULL && history->best_epoch > 0;
  tl_checkpoint_set_u64 (ck, "trainer/state", state, G_N_ELEMENTS (state));
  rng_to_words (&run->shuffle_rng, rngs);
  rng_to_words (&model->rng, rngs + 6);
  tl_checkpoint_set_u64 (ck, "trainer/rng", rngs, G_N_ELEMENTS (rngs));
  tl_checkpoint_set_f32 (ck, "trainer/best_val_loss", &run->best_val, 1);
  records = g_new (float, MAX (n_rec, 1) * RECORD_FIELDS);
  for (guint i = 0; i < n_rec; i++)
    record_to_floats (&g_array_index (history->epochs, TlEpochRecord, i), records + i * RECORD_FIELDS);
  tl_checkpoint_set_f32 (ck, "trainer/history", records, (gsize) n_rec * RECORD_FIELDS);
  if (state[6])
    tl_checkpoint_set_f32 (ck, "trainer/best_weights", run->best, run->n_weights);

  return tl_checkpoint_save (ck, run->config->checkpoint_path, error);
}

static gboolean
resume (Run *run, TlHistory *history, GError **error)
{
  g_autoptr (TlCheckpoint) ck = NULL;
  const char *path = run->config->resume_path;
  TlModel *model = run->model;
  const guint64 *state, *rngs;
  const float *records, *best_val;
  gsize n_records;

  ck = tl_checkpoint_load (path, error);
  if (ck == NULL)
    return FALSE;

  for (guint i = 0; i < model->layers->len; i++)
    {
      TlLayer *layer = g_ptr_array_index (model->layers, i);
      for (int p = 0; p < layer->n_params; p++)
        {
          g_autofree char *name = g_strdup_printf ("model/%s/%s", layer->name, layer->params[p].name);
          TlTensor *v = layer->params[p].value;
          const float *data = tl_checkpoint_require_f32 (ck, name, v->size, error);
          if (data == NULL)
            {
              g_prefix_error (error, "cannot resume: ");
              return FALSE;
            }
          memcpy (v->data, data, v->size * sizeof (float));
        }
    }
  if (!tl_optimizer_load_state (run->opt, model, ck, error)
      || (state = tl_checkpoint_require_u64 (ck, "trainer/state", 7, error)) == NULL
      || (rngs = tl_checkpoint_require_u64 (ck, "trainer/rng", 12, error)) == NULL
      || (best_val = tl_checkpoint_require_f32 (ck, "trainer/best_val_loss", 1, error)) == NULL)
    {
      g_prefix_error (error, "cannot resume: ");
      return FALSE;
    }
  if (state[4] != (guint64) run->train->n || state[5] != (guint64) run->batch_size)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "cannot resume: checkpoint %s was written for %" G_GUINT64_FORMAT " training samples in "
                   "batches of %" G_GUINT64_FORMAT ", this run has %d samples in batches of %d",
                   path, state[4], state[5], run->train->n, run->batch_size);
      return FALSE;
    }
  records = tl_checkpoint_get_f32 (ck, "trainer/history", &n_records);
  if (records == NULL || n_records != state[0] * RECORD_FIELDS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "cannot resume: checkpoint %s has a history that does not match its %" G_GUINT64_FORMAT
                   " epochs", path, state[0]);
      return FALSE;
    }
  if (state[6])
    {
      const float *best = tl_checkpoint_require_f32 (ck, "trainer/best_weights", run->n_weights, error);
      if (best == NULL)
        {
          g_prefix_error (error, "cannot resume: ");
          return FALSE;
        }
      if (run->best == NULL)
        run->best = g_new (float, run->n_weights);
      memcpy (run->best, best, run->n_weights * sizeof (float));
    }

  run->epochs_done = (int) state[0];
  run->step = state[1];
  history->best_epoch = (int) state[2];
  run->bad_epochs = (int) state[3];
  run->best_val = *best_val;
  rng_from_words (&run->shuffle_rng, rngs);
  rng_from_words (&model->rng, rngs + 6);
  for (int e = 0; e < run->epochs_done; e++)
    {
      const float *f = records + (gsize) e * RECORD_FIELDS;
      TlEpochRecord r = {
        .epoch = (int) f[0], .train_loss = f[1], .train_accuracy = f[2], .val_loss = f[3],
        .val_accuracy = f[4], .learning_rate = f[5], .seconds = f[6],
      };
      g_array_append_val (history->epochs, r);
    }
  history->resumed_epochs = run->epochs_done;
  return TRUE;
}

/* One forward and backward pass of a full batch, so that every buffer has its
 * final size before the loop; the random stream and gradients are left as they were. */
static void
warm_up (Run *run)
{
  TlModel *model = run->model;
  TlRng saved = model->rng;
  int n = MIN (run->batch_size, run->train->n);
  const TlTensor *out;

  for (int i = 0; i < n; i++)
    run->order[i] = i;
  load_batch (run, run->train, run->train_feat, run->order, n);
  out = tl_model_forward_range (model, run->x, run->first, run->end, TRUE);
  tl_tensor_resize (run->grad, out->ndim, out->shape);
  tl_tensor_zero (run->grad);
  tl_model_backward_range (model, run->x, run->grad, run->first, run->end);
  tl_model_zero_grad (model);
  tl_model_forward_range (model, run->x, run->first, run->end, FALSE);
  model->rng = saved;
}

static void
diverged (Run *run, GError **error, int epoch, int batch, const char *what)
{
  weights_load (run->model, run->good);
  g_set_error (error, TL_ERROR, TL_ERROR_DIVERGED, "training diverged at epoch %d, batch %d (%s)",
               epoch, batch, what);
}

gboolean
tl_train (TlModel *model, const TlDataset *train, const TlDataset *val, const TlTrainConfig *config,
          const TlTrainCallbacks *callbacks, TlHistory *history, GError **error)
{
  Run run = { 0 };
  gint64 t_start = g_get_monotonic_time ();
  guint64 steps_this_run = 0;
  const TlLayer *last;
  int first;
  gboolean ok = FALSE;

  g_return_val_if_fail (model != NULL && train != NULL && config != NULL && history != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

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
  if (!check_data (model, train, "training", error) || (val && !check_data (model, val, "validation", error)))
    return FALSE;
  if (val && val->n == 0)
    val = NULL;

  g_array_set_size (history->epochs, 0);
  history->best_epoch = 0;
  history->stopped_early = history->cancelled = FALSE;
  history->train_seconds = history->cache_seconds = 0.0;
  history->cached_layers = history->resumed_epochs = 0;

  run.model = model;
  run.config = config;
  run.train = train;
  run.val = val;
  run.batch_size = config->batch_size;
  run.n_batches = (train->n + run.batch_size - 1) / run.batch_size;
  run.total_steps = (guint64) run.n_batches * config->epochs;
  last = tl_model_layer (model, tl_model_n_layers (model) - 1);
  /* the loss takes logits: a final Softmax runs only at prediction */
  run.end = tl_model_n_layers (model) - (last->spec.kind == TL_LAYER_SOFTMAX ? 1 : 0);
  run.best_val = INFINITY;
  run.n_weights = tl_model_param_count (model, FALSE);
  run.opt = tl_optimizer_new (&config->optimizer);
  tl_optimizer_prepare (run.opt, model);
  tl_rng_init (&run.shuffle_rng, config->seed);
  tl_rng_split (&run.shuffle_rng, &model->rng);
  run.perm = g_new (int, train->n);
  run.order = g_new (int, run.batch_size);
  run.labels = g_new (int, run.batch_size);
  run.x = tl_tensor_new_empty ();
  run.tokens = tl_tensor_new_empty ();
  run.grad = tl_tensor_new_empty ();
  run.good = g_new (float, MAX (run.n_weights, 1));
  if (config->patience > 0 && val)
    run.best = g_new (float, MAX (run.n_weights, 1));

  if (config->resume_path && !resume (&run, history, error))
    goto out;

  setup_cache (&run, history);
  first = MIN (tl_model_skip_reshapes (model, run.first), run.end);
  run.flat_input = first > run.first;
  run.first = first;
  warm_up (&run);
  weights_save (model, run.good);

  for (int epoch = run.epochs_done; epoch < config->epochs; epoch++)
    {
      gint64 t_epoch = g_get_monotonic_time ();
      double loss_sum = 0.0;
      int seen = 0, correct = 0;
      float lr = config->optimizer.learning_rate;
      TlEpochRecord record = { .epoch = epoch + 1 };
      gboolean stop = FALSE;

      for (int i = 0; i < train->n; i++)
        run.perm[i] = i;
      tl_rng_shuffle (&run.shuffle_rng, run.perm, train->n);

      for (int b = 0; b < run.n_batches; b++)
        {
          int start = b * run.batch_size;
          int n = MIN (run.batch_size, train->n - start);
          const TlTensor *logits;
          float loss;

          lr = tl_schedule_lr (&config->schedule, config->optimizer.learning_rate, (int) run.step,
                               (int) run.total_steps, epoch);
          load_batch (&run, train, run.train_feat, run.perm + start, n);
          logits = tl_model_forward_range (model, run.x, run.first, run.end, TRUE);
          loss = tl_cross_entropy (logits, run.labels, config->class_weights, config->label_smoothing,
                                   run.grad, NULL);
          if (!isfinite (loss))
            {
              diverged (&run, error, epoch + 1, b + 1, isnan (loss) ? "loss is nan" : "loss is infinite");
              goto out;
            }
          tl_model_backward_range (model, run.x, run.grad, run.first, run.end);
          /* gradients start at zero (warm_up) and the step clears them for the next batch */
          tl_optimizer_step_and_zero (run.opt, model, lr);
          run.step++;
          steps_this_run++;

          loss_sum += (double) loss * n;
          correct += tl_count_correct (logits, run.labels);
          seen += n;

          if (callbacks && callbacks->on_batch)
            {
              double elapsed = (g_get_monotonic_time () - t_start) / 1e6;
              guint64 left = run.total_steps - run.step;
              TlBatchProgress progress = {
                .epoch = epoch + 1, .n_epochs = config->epochs, .batch = b + 1,
                .n_batches = run.n_batches, .loss = (float) (loss_sum / seen),
                .accuracy = (float) correct / seen, .elapsed = elapsed,
                .eta = elapsed / steps_this_run * left,
              };
              callbacks->on_batch (&progress, callbacks->user_data);
            }
          if (callbacks && callbacks->should_stop && callbacks->should_stop (callbacks->user_data))
            {
              weights_load (model, run.good);
              history->cancelled = TRUE;
              ok = TRUE;
              goto out;
            }
        }

      if (!weights_finite (model))
        {
          diverged (&run, error, epoch + 1, run.n_batches, "weights are not finite");
          goto out;
        }

      record.train_loss = (float) (loss_sum / seen);
      record.train_accuracy = (float) correct / seen;
      record.val_loss = record.val_accuracy = NAN;
      record.learning_rate = lr;
      if (val)
        {
          evaluate (&run, val, run.val_feat, &record.val_loss, &record.val_accuracy);
          if (!isfinite (record.val_loss))
            {
              diverged (&run, error, epoch + 1, run.n_batches, "validation loss is not finite");
              goto out;
            }
          if (record.val_loss < run.best_val)
            {
              run.best_val = record.val_loss;
              history->best_epoch = epoch + 1;
              run.bad_epochs = 0;
              if (run.best)
                weights_save (model, run.best);
            }
          else if (config->patience > 0 && ++run.bad_epochs >= config->patience)
            stop = TRUE;
        }
      record.seconds = (g_get_monotonic_time () - t_epoch) / 1e6;
      g_array_append_val (history->epochs, record);
      weights_save (model, run.good);
      run.epochs_done = epoch + 1;

      if (config->checkpoint_path && !write_checkpoint (&run, history, error))
        goto out;
      if (callbacks && callbacks->on_epoch)
        callbacks->on_epoch (&record, history, callbacks->user_data);
      if (stop)
        {
          history->stopped_early = TRUE;
          break;
        }
    }

  /* with patience set, the run ends on the weights of its best validation epoch */
  if (run.best && history->best_epoch > 0)
    weights_load (model, run.best);
  ok = TRUE;

out:
  history->train_seconds = (g_get_monotonic_time () - t_start) / 1e6;
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
