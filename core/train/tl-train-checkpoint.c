#define G_LOG_DOMAIN "tl-trainer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-checkpoint.h"
#include "tl-error.h"
#include "tl-train-checkpoint.h"

#define RECORD_FIELDS 7
#define STATE_WORDS   7
#define RNG_WORDS     6
#define PRIVACY_WORDS 5

static char *
weight_name (const TlLayer *layer, const TlParam *param)
{
  return g_strdup_printf ("model/%s/%s", layer->name, param->name);
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

static TlEpochRecord
record_from_floats (const float *f)
{
  TlEpochRecord r = {
    .epoch = (int) f[0], .train_loss = f[1], .train_accuracy = f[2], .val_loss = f[3],
    .val_accuracy = f[4], .learning_rate = f[5], .seconds = f[6],
  };
  return r;
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

static guint64
double_bits (double v)
{
  guint64 w;
  memcpy (&w, &v, sizeof w);
  return w;
}

static double
bits_double (guint64 w)
{
  double v;
  memcpy (&v, &w, sizeof v);
  return v;
}

/* The accountant (its steps and the mechanism's settings) and each epoch's epsilon, bit for bit. */
static void
set_privacy (TlCheckpoint *ck, const TlTrainRun *run, const TlHistory *history)
{
  const TlPrivacyAccountant *acc = &run->accountant;
  guint64 words[PRIVACY_WORDS] = { acc->steps, double_bits (acc->sigma), double_bits (acc->sample_rate),
                                   double_bits (acc->delta), double_bits (run->config->privacy->clip) };
  g_autofree guint64 *eps = g_new (guint64, MAX (history->epochs->len, 1));

  tl_checkpoint_set_u64 (ck, "trainer/privacy", words, PRIVACY_WORDS);
  for (guint i = 0; i < history->epochs->len; i++)
    eps[i] = double_bits (g_array_index (history->epochs, TlEpochRecord, i).epsilon);
  tl_checkpoint_set_u64 (ck, "trainer/epsilon", eps, history->epochs->len);
}

static gboolean
restore_privacy (const TlCheckpoint *ck, TlTrainRun *run, guint64 n_epochs, const guint64 **eps, GError **error)
{
  const char *path = run->config->resume_path;
  gsize n;
  const guint64 *words = tl_checkpoint_get_u64 (ck, "trainer/privacy", &n);
  TlPrivacyAccountant *acc = &run->accountant;

  if (!run->private)
    {
      if (words == NULL)
        return TRUE;
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "cannot resume: checkpoint %s was written by a private run; resume it with the same privacy "
                   "settings", path);
      return FALSE;
    }
  if (words == NULL || n != PRIVACY_WORDS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "cannot resume: checkpoint %s was written by a run without privacy, and the privacy spent "
                   "before it is unknown", path);
      return FALSE;
    }
  if (bits_double (words[1]) != acc->sigma || bits_double (words[2]) != acc->sample_rate
      || bits_double (words[3]) != acc->delta || bits_double (words[4]) != run->config->privacy->clip)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "cannot resume: checkpoint %s was written with noise multiplier %g, sample rate %g, delta %g "
                   "and clip %g; this run has %g, %g, %g and %g", path, bits_double (words[1]),
                   bits_double (words[2]), bits_double (words[3]), bits_double (words[4]), acc->sigma,
                   acc->sample_rate, acc->delta, run->config->privacy->clip);
      return FALSE;
    }
  *eps = tl_checkpoint_get_u64 (ck, "trainer/epsilon", &n);
  if (*eps == NULL || n != n_epochs)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "cannot resume: checkpoint %s has no epsilon for each of its epochs", path);
      return FALSE;
    }
  acc->steps = words[0];
  return TRUE;
}

static void
set_history (TlCheckpoint *ck, const TlHistory *history)
{
  guint n_rec = history->epochs->len;
  g_autofree float *records = g_new (float, MAX (n_rec, 1) * RECORD_FIELDS);

  for (guint i = 0; i < n_rec; i++)
    record_to_floats (&g_array_index (history->epochs, TlEpochRecord, i), records + i * RECORD_FIELDS);
  tl_checkpoint_set_f32 (ck, "trainer/history", records, (gsize) n_rec * RECORD_FIELDS);
}

gboolean
tl_train_checkpoint_save (const TlTrainRun *run, const TlHistory *history, GError **error)
{
  g_autoptr (TlCheckpoint) ck = tl_checkpoint_new ();
  TlModel *model = run->model;
  guint64 state[STATE_WORDS], rngs[2 * RNG_WORDS];
  TlParamIter it;
  TlLayer *layer;
  TlParam *param;

  tl_model_param_iter_init (&it, model);
  while (tl_model_param_iter_next (&it, &layer, &param))
    {
      g_autofree char *name = weight_name (layer, param);
      tl_checkpoint_set_f32_borrowed (ck, name, param->value->data, param->value->size);
    }
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      layer = tl_model_layer (model, i);
      for (int b = 0; b < layer->n_buffers; b++)
        {
          g_autofree char *name = weight_name (layer, &layer->buffers[b]);
          tl_checkpoint_set_f32_borrowed (ck, name, layer->buffers[b].value->data, layer->buffers[b].value->size);
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
  rng_to_words (&model->rng, rngs + RNG_WORDS);
  tl_checkpoint_set_u64 (ck, "trainer/rng", rngs, G_N_ELEMENTS (rngs));
  tl_checkpoint_set_f32 (ck, "trainer/best_val_loss", &run->best_val, 1);
  set_history (ck, history);
  if (run->private)
    set_privacy (ck, run, history);
  if (state[6])
    tl_checkpoint_set_f32_borrowed (ck, "trainer/best_weights", run->best, run->n_weights);
  if (run->n_averaged > 0)
    {
      guint64 n = (guint64) run->n_averaged;
      tl_checkpoint_set_u64 (ck, "trainer/averaged_epochs", &n, 1);
      tl_checkpoint_set_f32_borrowed (ck, "trainer/average_weights", run->average, run->n_weights);
    }

  return tl_checkpoint_save (ck, run->config->checkpoint_path, error);
}

static gboolean
restore_weights (const TlCheckpoint *ck, TlModel *model, GError **error)
{
  TlParamIter it;
  TlLayer *layer;
  TlParam *param;

  tl_model_param_iter_init (&it, model);
  while (tl_model_param_iter_next (&it, &layer, &param))
    {
      g_autofree char *name = weight_name (layer, param);
      TlTensor *v = param->value;
      const float *data = tl_checkpoint_require_f32 (ck, name, v->size, error);

      if (data == NULL)
        return FALSE;
      memcpy (v->data, data, v->size * sizeof (float));
    }
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      layer = tl_model_layer (model, i);
      for (int b = 0; b < layer->n_buffers; b++)
        {
          g_autofree char *name = weight_name (layer, &layer->buffers[b]);
          TlTensor *v = layer->buffers[b].value;
          const float *data = tl_checkpoint_require_f32 (ck, name, v->size, error);

          if (data == NULL)
            return FALSE;
          memcpy (v->data, data, v->size * sizeof (float));
        }
    }
  return TRUE;
}

/* The history and progress figures, checked against this run before anything is changed. */
static gboolean
check_progress (const TlCheckpoint *ck, const TlTrainRun *run, const guint64 *state, const float **records,
                GError **error)
{
  const char *path = run->config->resume_path;
  gsize n_records;

  if (state[4] != (guint64) run->train->n || state[5] != (guint64) run->batch_size)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "cannot resume: checkpoint %s was written for %" G_GUINT64_FORMAT " training samples in "
                   "batches of %" G_GUINT64_FORMAT ", this run has %d samples in batches of %d",
                   path, state[4], state[5], run->train->n, run->batch_size);
      return FALSE;
    }
  *records = tl_checkpoint_get_f32 (ck, "trainer/history", &n_records);
  if (*records == NULL || n_records != state[0] * RECORD_FIELDS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "cannot resume: checkpoint %s has a history that does not match its %" G_GUINT64_FORMAT
                   " epochs", path, state[0]);
      return FALSE;
    }
  return TRUE;
}

/* The running mean of the averaged epochs the checkpoint's run had reached;
 * refuses a checkpoint whose averaging does not match this run's. */
static gboolean
restore_average (const TlCheckpoint *ck, TlTrainRun *run, int epochs_done, GError **error)
{
  int expected = run->average ? MAX (epochs_done - tl_train_first_averaged_epoch (run->config), 0) : 0;
  gsize len = 0;
  const guint64 *n = tl_checkpoint_get_u64 (ck, "trainer/averaged_epochs", &len);
  const float *average;

  if (n != NULL && len != 1)
    n = NULL;
  if ((int) (n ? *n : 0) != expected)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "cannot resume: after epoch %d the checkpoint averages the weights of %d epochs, and this "
                   "run would average %d (another average_epochs)", epochs_done, (int) (n ? *n : 0), expected);
      return FALSE;
    }
  if (expected == 0)
    return TRUE;
  average = tl_checkpoint_require_f32 (ck, "trainer/average_weights", run->n_weights, error);
  if (average == NULL)
    {
      g_prefix_error (error, "cannot resume: ");
      return FALSE;
    }
  memcpy (run->average, average, run->n_weights * sizeof (float));
  run->n_averaged = expected;
  return TRUE;
}

gboolean
tl_train_checkpoint_resume (TlTrainRun *run, TlHistory *history, GError **error)
{
  g_autoptr (TlCheckpoint) ck = NULL;
  TlModel *model = run->model;
  const guint64 *state, *rngs;
  const float *records, *best_val;
  const guint64 *eps = NULL;

  ck = tl_checkpoint_load (run->config->resume_path, error);
  if (ck == NULL)
    return FALSE;

  if (!restore_weights (ck, model, error)
      || !tl_optimizer_load_state (run->opt, model, ck, error)
      || (state = tl_checkpoint_require_u64 (ck, "trainer/state", STATE_WORDS, error)) == NULL
      || (rngs = tl_checkpoint_require_u64 (ck, "trainer/rng", 2 * RNG_WORDS, error)) == NULL
      || (best_val = tl_checkpoint_require_f32 (ck, "trainer/best_val_loss", 1, error)) == NULL)
    {
      g_prefix_error (error, "cannot resume: ");
      return FALSE;
    }
  if (!check_progress (ck, run, state, &records, error) || !restore_privacy (ck, run, state[0], &eps, error))
    return FALSE;
  if (state[6])
    {
      const float *best = tl_checkpoint_require_f32 (ck, "trainer/best_weights", run->n_weights, error);
      if (best == NULL)
        {
          g_prefix_error (error, "cannot resume: ");
          return FALSE;
        }
      if (run->best == NULL)
        run->best = g_new0 (float, run->n_weights);
      memcpy (run->best, best, run->n_weights * sizeof (float));
    }

  if (!restore_average (ck, run, (int) state[0], error))
    return FALSE;
  run->epochs_done = (int) state[0];
  run->step = state[1];
  history->best_epoch = (int) state[2];
  run->bad_epochs = (int) state[3];
  run->best_val = *best_val;
  rng_from_words (&run->shuffle_rng, rngs);
  rng_from_words (&model->rng, rngs + RNG_WORDS);
  for (int e = 0; e < run->epochs_done; e++)
    {
      TlEpochRecord r = record_from_floats (records + (gsize) e * RECORD_FIELDS);
      r.epsilon = eps ? bits_double (eps[e]) : NAN;
      g_array_append_val (history->epochs, r);
    }
  history->resumed_epochs = run->epochs_done;
  if (run->private && run->epochs_done > 0)
    {
      history->epsilon = g_array_index (history->epochs, TlEpochRecord, run->epochs_done - 1).epsilon;
      history->privacy_steps = run->accountant.steps;
    }
  return TRUE;
}
