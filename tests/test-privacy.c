#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "tl-dp-sgd.h"
#include "tl-error.h"
#include "tl-loss.h"
#include "tl-privacy-accountant.h"
#include "tl-trainer.h"

/* ---- the accountant ---- */

/* TensorFlow Privacy's MNIST tutorial table (60000 examples, batch 256,
 * delta 1e-5, steps = epochs * 60000 // 256, RDP with the standard conversion). */
static void
test_published (void)
{
  static const struct { double sigma; int epochs; double eps; } points[] = {
    { 1.1, 60, 3.01 }, { 1.3, 15, 1.19 }, { 0.7, 45, 7.10 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    {
      guint64 steps = (guint64) points[i].epochs * 60000 / 256;
      double eps = tl_privacy_epsilon (256.0 / 60000, points[i].sigma, steps, 1e-5,
                                       TL_PRIVACY_CONVERSION_STANDARD, NULL);
      g_test_message ("sigma %g, %d epochs: epsilon %.4f (published %.2f)", points[i].sigma, points[i].epochs,
                      eps, points[i].eps);
      g_assert_cmpfloat (fabs (eps - points[i].eps), <, 0.01 * points[i].eps);
    }
}

/* Without subsampling the mechanism is the Gaussian one, RDP alpha / (2 sigma^2), and
 * the standard conversion has a closed-form minimum over real orders: T/(2s^2) + sqrt(2 T log(1/delta)) / s. */
static void
test_gaussian (void)
{
  double sigma = 5.0, delta = 1e-5;
  guint64 steps = 10;
  double exact = steps / (2 * sigma * sigma) + sqrt (2.0 * steps * log (1 / delta)) / sigma;
  double order, eps = tl_privacy_epsilon (1.0, sigma, steps, delta, TL_PRIVACY_CONVERSION_STANDARD, &order);

  g_assert_cmpfloat (tl_privacy_rdp_step (1.0, 2.0, 7.5), ==, 7.5 / 8.0);
  g_assert_cmpfloat (eps, >=, exact * (1 - 1e-12));
  g_assert_cmpfloat (eps, <, exact * 1.001);
  g_assert_cmpfloat (fabs (order - (1 + sqrt (2 * sigma * sigma * log (1 / delta) / steps))), <, 0.1);
  g_assert_cmpfloat (tl_privacy_epsilon (0.01, 1.0, 0, delta, TL_PRIVACY_CONVERSION_STANDARD, NULL), ==, 0.0);
}

/* log of the integral of N(z; 0, s^2) ((1 - q) + q exp((2z - 1) / (2 s^2)))^alpha, the
 * alpha-th moment of the likelihood ratio of the subsampled mechanism, by the trapezoid rule. */
static double
log_moment_by_integration (double q, double sigma, double alpha)
{
  double lo = -40.0 * sigma, hi = alpha + 40.0 * sigma, h = sigma / 400.0;
  double m = -INFINITY, sum = 0.0;
  int n = (int) ceil ((hi - lo) / h);
  g_autofree double *logs = g_new (double, n + 1);

  for (int k = 0; k <= n; k++)
    {
      double z = lo + k * h;
      double log_ratio = log ((1 - q) + q * exp ((2 * z - 1) / (2 * sigma * sigma)));
      logs[k] = -z * z / (2 * sigma * sigma) - 0.5 * log (2 * G_PI * sigma * sigma) + alpha * log_ratio
                + log (k == 0 || k == n ? 0.5 * h : h);
      m = MAX (m, logs[k]);
    }
  for (int k = 0; k <= n; k++)
    sum += exp (logs[k] - m);
  return m + log (sum);
}

static void
test_integration (void)
{
  static const struct { double q, sigma, alpha; } cases[] = {
    { 0.01, 1.1, 2 }, { 0.01, 1.1, 3 }, { 0.01, 1.1, 8 }, { 0.01, 1.1, 32 },
    { 0.1, 2.0, 2.5 }, { 0.1, 2.0, 5.5 }, { 0.1, 2.0, 10.3 }, { 0.004, 0.8, 1.5 },
    { 0.004, 0.8, 7.7 }, { 0.3, 0.6, 4.2 }, { 0.05, 3.0, 64 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double q = cases[i].q, s = cases[i].sigma, a = cases[i].alpha;
      double closed = tl_privacy_rdp_step (q, s, a);
      double numeric = log_moment_by_integration (q, s, a) / (a - 1);
      g_test_message ("q %g sigma %g alpha %g: %.10g vs %.10g", q, s, a, closed, numeric);
      g_assert_cmpfloat (fabs (closed - numeric), <, 1e-6 * fabs (numeric) + 1e-12);
    }
}

static void
test_calibrate (void)
{
  double q = 256.0 / 60000, sigma;
  guint64 steps = 60 * 60000 / 256;
  g_autoptr (GError) error = NULL;

  g_assert_true (tl_privacy_calibrate_sigma (3.0, 1e-5, q, steps, TL_PRIVACY_CONVERSION_STANDARD, &sigma, &error));
  g_assert_cmpfloat (tl_privacy_epsilon (q, sigma, steps, 1e-5, TL_PRIVACY_CONVERSION_STANDARD, NULL), <=, 3.0);
  g_assert_cmpfloat (tl_privacy_epsilon (q, sigma * 0.999, steps, 1e-5, TL_PRIVACY_CONVERSION_STANDARD, NULL), >,
                     3.0);
  /* the published point above: epsilon 3.01 at sigma 1.1 */
  g_assert_cmpfloat (fabs (sigma - 1.1), <, 0.01);

  /* the tighter conversion spends less for the same noise */
  g_assert_cmpfloat (tl_privacy_epsilon (q, 1.1, steps, 1e-5, TL_PRIVACY_CONVERSION_BALLE, NULL), <,
                     tl_privacy_epsilon (q, 1.1, steps, 1e-5, TL_PRIVACY_CONVERSION_STANDARD, NULL));

  g_assert_false (tl_privacy_calibrate_sigma (0.0, 1e-5, q, steps, TL_PRIVACY_CONVERSION_STANDARD, &sigma, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
}

/* ---- per-example gradients ---- */

typedef enum { MODEL_DENSE, MODEL_EMBEDDING, MODEL_BAG, MODEL_CONV } ModelKind;

static TlModel *
make_model (ModelKind kind)
{
  g_autoptr (GError) error = NULL;
  TlModel *model;

  switch (kind)
    {
    case MODEL_DENSE:
      model = tl_model_new (1, (int[]) { 5 }, 3);
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 6 }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_TANH }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 7 }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, NULL, &error));
      break;
    case MODEL_EMBEDDING:
      model = tl_model_new (1, (int[]) { 6 }, 3);
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_EMBEDDING, .vocab_size = 5, .embed_dim = 4 },
                                   NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL1D }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, NULL, &error));
      break;
    case MODEL_CONV:
      /* a ReLU and a pool after the first convolution: the spans a plain run fuses */
      model = tl_model_new (3, (int[]) { 2, 6, 6 }, 3);
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 3, .kernel = 3,
                                                            .padding = 1 }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 2,
                                                            .stride = 1 }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_TANH }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, NULL, &error));
      model->unfused = TRUE;
      break;
    default:
      model = tl_model_new (2, (int[]) { 2, 5 }, 3);
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_EMBEDDING_BAG, .vocab_size = 6,
                                                            .embed_dim = 4 }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_TANH }, NULL, &error));
      g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, NULL, &error));
      break;
    }
  return model;
}

/* Inputs with repeated ids (a row gets several steps' gradients) and padding. */
static TlTensor *
make_input (ModelKind kind, int batch, TlRng *rng)
{
  TlTensor *x;

  if (kind == MODEL_CONV)
    {
      x = tl_tensor_new (4, (int[]) { batch, 2, 6, 6 });
      for (gsize k = 0; k < x->size; k++)
        x->data[k] = (float) tl_rng_normal (rng);
    }
  else if (kind == MODEL_DENSE)
    {
      x = tl_tensor_new_2d (batch, 5);
      for (gsize k = 0; k < x->size; k++)
        x->data[k] = (float) tl_rng_normal (rng);
    }
  else if (kind == MODEL_EMBEDDING)
    {
      x = tl_tensor_new_2d (batch, 6);
      for (gsize k = 0; k < x->size; k++)
        x->data[k] = (float) tl_rng_below (rng, 5);
      x->data[0] = 1.0f;   /* at least one token */
    }
  else
    {
      x = tl_tensor_new_3d (batch, 2, 5);
      for (int b = 0; b < batch; b++)
        for (int k = 0; k < 5; k++)
          {
            x->data[b * 10 + k] = (float) tl_rng_below (rng, 6);
            x->data[b * 10 + 5 + k] = (float) tl_rng_uniform (rng) * 2.0f;
          }
    }
  return x;
}

/* All trainable gradients, flat. */
static gsize
gather_grads (TlModel *model, float *out)
{
  TlParamIter it;
  TlLayer *layer;
  TlParam *param;
  gsize n = 0;

  tl_model_param_iter_init (&it, model);
  while (tl_model_param_iter_next (&it, &layer, &param))
    if (layer->trainable)
      {
        if (out)
          memcpy (out + n, param->grad->data, param->grad->size * sizeof (float));
        n += param->grad->size;
      }
  return n;
}

/* Each example's own gradient, one at a time. */
static float *
brute_force_grads (TlModel *model, const TlTensor *x, const int *labels, gsize n_grad)
{
  int batch = x->shape[0];
  gsize row = x->size / batch;
  float *grads = g_new (float, (gsize) batch * n_grad);
  g_autoptr (TlTensor) one = NULL;
  g_autoptr (TlTensor) gout = tl_tensor_new_empty ();

  for (int b = 0; b < batch; b++)
    {
      int shape[TL_MAX_DIMS];
      const TlTensor *logits;

      memcpy (shape, x->shape, sizeof shape);
      shape[0] = 1;
      one = (tl_tensor_free (one), tl_tensor_new (x->ndim, shape));
      memcpy (one->data, x->data + b * row, row * sizeof (float));
      logits = tl_model_forward (model, one, TRUE);
      tl_cross_entropy (logits, labels + b, NULL, 0.0f, gout, NULL);
      tl_model_zero_grad (model);
      tl_model_backward (model, one, gout);
      gather_grads (model, grads + b * n_grad);
    }
  tl_model_zero_grad (model);
  return grads;
}

static double
vec_sq (const float *v, gsize n)
{
  double s = 0;
  for (gsize k = 0; k < n; k++)
    s += (double) v[k] * v[k];
  return s;
}

static void
check_per_example (ModelKind kind, gboolean freeze_first)
{
  g_autoptr (TlModel) model = make_model (kind);
  const int batch = 9;
  int labels[9];
  TlRng rng;
  g_autoptr (TlTensor) x = NULL;
  g_autoptr (TlTensor) gout = tl_tensor_new_empty ();
  g_autofree float *per = NULL, *want = NULL, *got = NULL;
  double sq[9], norms[9], clip;
  gsize n_grad;
  const TlTensor *logits;

  if (freeze_first)
    tl_model_set_trainable (model, 0, FALSE);
  tl_rng_init (&rng, 7 + kind);
  x = make_input (kind, batch, &rng);
  for (int b = 0; b < batch; b++)
    labels[b] = (int) tl_rng_below (&rng, 3);
  n_grad = gather_grads (model, NULL);
  per = brute_force_grads (model, x, labels, n_grad);

  /* the norms from one batched backward pass */
  logits = tl_model_forward (model, x, TRUE);
  tl_cross_entropy (logits, labels, NULL, 0.0f, gout, NULL);
  for (gsize k = 0; k < gout->size; k++)
    gout->data[k] *= batch;
  tl_model_backward (model, x, gout);
  tl_dp_per_example_sq_norms (model, x, gout, 0, tl_model_n_layers (model), sq);
  tl_model_zero_grad (model);
  for (int b = 0; b < batch; b++)
    {
      double want_sq = vec_sq (per + b * n_grad, n_grad);
      g_assert_cmpfloat (fabs (sq[b] - want_sq), <=, 1e-5 * want_sq + 1e-12);
      norms[b] = sqrt (want_sq);
    }

  /* the clipped sum, with a bound between the smallest and largest norms */
  clip = 0.5 * (norms[0] + norms[1]);
  want = g_new0 (float, n_grad);
  for (int b = 0; b < batch; b++)
    {
      double scale = norms[b] > clip ? clip / norms[b] : 1.0;
      for (gsize k = 0; k < n_grad; k++)
        want[k] += (float) (scale * per[b * n_grad + k]);
    }
  tl_model_forward (model, x, TRUE);
  tl_cross_entropy (tl_model_forward (model, x, TRUE), labels, NULL, 0.0f, gout, NULL);
  for (gsize k = 0; k < gout->size; k++)
    gout->data[k] *= batch;
  tl_dp_clipped_gradient (model, x, gout, 0, tl_model_n_layers (model), clip, norms);
  got = g_new (float, n_grad);
  gather_grads (model, got);
  {
    double scale = sqrt (vec_sq (want, n_grad) / n_grad) + 1e-12;
    for (gsize k = 0; k < n_grad; k++)
      g_assert_cmpfloat (fabs (got[k] - want[k]), <=, 1e-5 * scale + 1e-5 * fabs (want[k]));
  }
  tl_model_zero_grad (model);

  /* one example alone contributes at most clip */
  for (int b = 0; b < batch; b++)
    {
      g_autoptr (TlTensor) one = NULL;
      int shape[TL_MAX_DIMS];
      gsize row = x->size / batch;

      memcpy (shape, x->shape, sizeof shape);
      shape[0] = 1;
      one = tl_tensor_new (x->ndim, shape);
      memcpy (one->data, x->data + b * row, row * sizeof (float));
      tl_cross_entropy (tl_model_forward (model, one, TRUE), labels + b, NULL, 0.0f, gout, NULL);
      for (gsize k = 0; k < gout->size; k++)
        gout->data[k] *= 1000.0f;   /* far past the bound */
      tl_dp_clipped_gradient (model, one, gout, 0, tl_model_n_layers (model), clip, NULL);
      gather_grads (model, got);
      g_assert_cmpfloat (sqrt (vec_sq (got, n_grad)), <=, clip * (1 + 1e-5));
      g_assert_cmpfloat (sqrt (vec_sq (got, n_grad)), >=, clip * (1 - 1e-4));
      tl_model_zero_grad (model);
    }
}

static void
test_dense (void)
{
  check_per_example (MODEL_DENSE, FALSE);
  check_per_example (MODEL_DENSE, TRUE);
}

static void
test_embedding (void)
{
  check_per_example (MODEL_EMBEDDING, FALSE);
}

static void
test_bag (void)
{
  check_per_example (MODEL_BAG, FALSE);
}

static void
test_conv (void)
{
  check_per_example (MODEL_CONV, FALSE);
  check_per_example (MODEL_CONV, TRUE);
}

static void
test_poisson (void)
{
  TlRng rng;
  g_autofree int *idx = g_new (int, 10000);
  long total = 0;

  tl_rng_init (&rng, 5);
  for (int s = 0; s < 200; s++)
    {
      int n = tl_dp_poisson_batch (&rng, 10000, 0.01, idx, 10000);
      for (int i = 1; i < n; i++)
        g_assert_cmpint (idx[i], >, idx[i - 1]);
      if (n > 0)
        g_assert_cmpint (idx[n - 1], <, 10000);
      total += n;
    }
  /* mean 100 per batch; the sum over 200 batches has standard deviation ~141 */
  g_assert_cmpint (labs (total - 20000), <, 800);
}

/* ---- training ---- */

static TlDataset *
blobs (int n, guint64 seed)
{
  TlDataset *ds = tl_dataset_new (TL_DATA_TABULAR, n, 1, (int[]) { 4 }, 2, NULL);
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (int i = 0; i < n; i++)
    {
      ds->y[i] = i % 2;
      for (int f = 0; f < 4; f++)
        ds->x[i * 4 + f] = (float) (tl_rng_normal (&rng) * 0.5 + (ds->y[i] ? 1.0 : -1.0));
    }
  return ds;
}

static TlModel *
small_mlp (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (1, (int[]) { 4 }, 11);
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 8 }, NULL, &error));
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, &error));
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, NULL, &error));
  return model;
}

static void
test_train (void)
{
  g_autoptr (TlDataset) ds = blobs (400, 1);
  g_autoptr (TlModel) model = small_mlp ();
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (GError) error = NULL;
  TlPrivacyConfig privacy = { .epsilon = 3.0, .delta = 1e-3, .clip = 1.0 };
  TlTrainConfig config;
  double prev = 0.0;

  tl_train_config_init (&config);
  config.epochs = 6;
  config.batch_size = 40;
  config.optimizer.learning_rate = 0.05f;
  config.privacy = &privacy;
  g_assert_true (tl_train (model, ds, NULL, &config, NULL, history, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (history->epochs->len, ==, 6);
  g_assert_false (history->budget_spent);
  for (guint i = 0; i < history->epochs->len; i++)
    {
      double eps = g_array_index (history->epochs, TlEpochRecord, i).epsilon;
      g_assert_cmpfloat (eps, >, prev);
      prev = eps;
    }
  /* the calibrated noise spends the whole budget over the planned steps, and no more */
  g_assert_cmpfloat (history->epsilon, <=, 3.0);
  g_assert_cmpfloat (history->epsilon, >, 2.95);
  g_assert_cmpuint (history->privacy_steps, ==, 60);
  g_assert_cmpfloat (history->epsilon, ==,
                     tl_privacy_epsilon (0.1, history->privacy_sigma, 60, 1e-3, TL_PRIVACY_CONVERSION_STANDARD, NULL));
  /* separable blobs are learnt even with the noise */
  g_assert_cmpfloat (g_array_index (history->epochs, TlEpochRecord, 5).train_accuracy, >, 0.8);
}

static void
test_budget_stop (void)
{
  g_autoptr (TlDataset) ds = blobs (400, 1);
  g_autoptr (TlModel) model = small_mlp ();
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (GError) error = NULL;
  TlPrivacyConfig privacy = { .delta = 1e-3, .clip = 1.0, .sigma = 1.0 };
  TlTrainConfig config;
  double two = tl_privacy_epsilon (0.1, 1.0, 20, 1e-3, TL_PRIVACY_CONVERSION_STANDARD, NULL);
  double three = tl_privacy_epsilon (0.1, 1.0, 30, 1e-3, TL_PRIVACY_CONVERSION_STANDARD, NULL);

  tl_train_config_init (&config);
  config.epochs = 10;
  config.batch_size = 40;
  config.privacy = &privacy;
  privacy.epsilon = 0.5 * (two + three);   /* enough for two epochs, not three */
  g_assert_true (tl_train (model, ds, NULL, &config, NULL, history, &error));
  g_assert_true (history->budget_spent);
  g_assert_cmpuint (history->epochs->len, ==, 2);
  g_assert_cmpfloat (history->epsilon, ==, two);
}

static void
test_refusals (void)
{
  g_autoptr (TlDataset) ds = blobs (100, 1);
  g_autoptr (TlHistory) history = tl_history_new ();
  TlPrivacyConfig privacy = { .epsilon = 1.0, .delta = 0.01, .clip = 1.0 };
  TlPrivacyAccountant acc;
  TlTrainConfig config;
  GError *error = NULL;

  g_assert_false (tl_dp_setup (&privacy, 100, 10, 100, &acc, &error));   /* delta = 1/n */
  g_assert_nonnull (strstr (error->message, "delta"));
  g_clear_error (&error);
  privacy.delta = 1e-3;
  privacy.epsilon = 0.0;
  g_assert_false (tl_dp_setup (&privacy, 100, 10, 100, &acc, &error));
  g_assert_nonnull (strstr (error->message, "epsilon"));
  g_clear_error (&error);
  privacy.epsilon = -1.0;
  privacy.sigma = 1.0;
  g_assert_false (tl_dp_setup (&privacy, 100, 10, 100, &acc, &error));
  g_clear_error (&error);
  privacy.epsilon = 1.0;
  privacy.clip = 0.0;
  g_assert_false (tl_dp_setup (&privacy, 100, 10, 100, &acc, &error));
  g_assert_nonnull (strstr (error->message, "clip"));
  g_clear_error (&error);
  privacy.clip = 1.0;
  g_assert_true (tl_dp_setup (&privacy, 100, 10, 100, &acc, &error));
  g_assert_cmpfloat (acc.sigma, ==, 1.0);
  g_assert_cmpfloat (acc.sample_rate, ==, 0.1);
  privacy.sigma = 0.0;

  /* a grouped convolution is refused before training, by name; frozen, it costs nothing */
  {
    g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 2, 4, 1 }, 1);
    g_autoptr (TlDataset) img = tl_dataset_new (TL_DATA_IMAGE, 100, 3, (int[]) { 2, 4, 1 }, 2, NULL);
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 2, .kernel = 1,
                                                          .groups = 2 }, "conv1", &error));
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, NULL, &error));
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, NULL, &error));
    tl_train_config_init (&config);
    config.privacy = &privacy;
    g_assert_false (tl_train (model, img, NULL, &config, NULL, history, &error));
    g_assert_nonnull (strstr (error->message, "conv1"));
    g_assert_nonnull (strstr (error->message, "grouped"));
    g_clear_error (&error);
    tl_model_set_trainable (model, 0, FALSE);
    config.epochs = 1;
    g_assert_true (tl_train (model, img, NULL, &config, NULL, history, &error));
    g_assert_no_error (error);
    g_assert_cmpint (history->cached_layers, ==, 2);
  }

  /* an ungrouped convolution trains privately behind a ReLU and a pool, and the
   * model runs its fused passes again afterwards */
  {
    g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 1, 4, 4 }, 1);
    g_autoptr (TlDataset) img = tl_dataset_new (TL_DATA_IMAGE, 100, 3, (int[]) { 1, 4, 4 }, 2, NULL);
    g_autofree float *before = NULL;
    TlLayer *conv;
    gboolean moved = FALSE;

    for (int i = 0; i < img->n; i++)
      {
        img->y[i] = i % 2;
        for (int k = 0; k < 16; k++)
          img->x[(gsize) i * 16 + k] = (float) ((i * 7 + k * 3) % 11) / 11.0f;
      }
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 2, .kernel = 3,
                                                          .padding = 1 }, "conv1", &error));
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, &error));
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, NULL, &error));
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, NULL, &error));
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, NULL, &error));
    conv = tl_model_layer (model, 0);
    before = g_memdup2 (conv->params[0].value->data, conv->params[0].value->size * sizeof (float));
    tl_train_config_init (&config);
    config.privacy = &privacy;
    config.epochs = 2;
    g_assert_true (tl_train (model, img, NULL, &config, NULL, history, &error));
    g_assert_no_error (error);
    g_assert_cmpint (history->cached_layers, ==, 0);
    g_assert_true (isfinite (history->epsilon) && history->epsilon > 0.0);
    g_assert_false (model->unfused);
    for (gsize k = 0; k < conv->params[0].value->size; k++)
      moved |= conv->params[0].value->data[k] != before[k];
    g_assert_true (moved);
  }

  /* a frozen batch norm still learning its statistics from the batch mixes the examples: refused */
  {
    g_autoptr (TlModel) model = tl_model_new (1, (int[]) { ds->sample_size }, 1);
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 4 }, NULL, &error));
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_BATCHNORM1D, .frozen_stats = TRUE }, "bn",
                                 &error));
    g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, NULL, &error));
    tl_model_set_trainable (model, 1, FALSE);
    tl_train_config_init (&config);
    config.privacy = &privacy;
    config.epochs = 1;
    g_assert_false (tl_train (model, ds, NULL, &config, NULL, history, &error));
    g_assert_nonnull (strstr (error->message, "bn"));
    g_assert_nonnull (strstr (error->message, "frozen_updates_stats"));
    g_clear_error (&error);
    /* on its running statistics it is a fixed affine map: allowed */
    tl_model_layer (model, 1)->spec.frozen_stats = FALSE;
    g_assert_true (tl_train (model, ds, NULL, &config, NULL, history, &error));
    g_assert_no_error (error);
  }

  /* a graph model: a layer whose output two layers read is refused by name; the
   * plain chain from the branch to the head trains */
  {
    g_autoptr (TlModel) model = tl_model_new (1, (int[]) { ds->sample_size }, 1);
    g_assert_true (tl_model_add_joined (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 4 }, "stem", 1,
                                        (int[]) { -1 }, &error));
    g_assert_true (tl_model_add_joined (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 4 }, "branch", 1,
                                        (int[]) { 0 }, &error));
    g_assert_true (tl_model_add_joined (model, &(TlLayerSpec) { .kind = TL_LAYER_ADD }, "sum", 2, (int[]) { 1, 0 },
                                        &error));
    g_assert_true (tl_model_add_joined (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "head", 1,
                                        (int[]) { 2 }, &error));
    g_assert_true (model->graph);
    tl_train_config_init (&config);
    config.privacy = &privacy;
    config.epochs = 1;
    g_assert_false (tl_train (model, ds, NULL, &config, NULL, history, &error));
    g_assert_nonnull (strstr (error->message, "stem"));
    g_assert_nonnull (strstr (error->message, "branch of the network"));
    g_clear_error (&error);
    tl_model_set_trainable (model, 0, FALSE);
    g_assert_true (tl_train (model, ds, NULL, &config, NULL, history, &error));
    g_assert_no_error (error);
  }
}

typedef struct {
  int stop_after;
  int epochs_seen;
} StopAt;

static void
count_epoch (const TlEpochRecord *record, const TlHistory *history, gpointer user_data)
{
  ((StopAt *) user_data)->epochs_seen++;
}

static gboolean
stop_now (gpointer user_data)
{
  StopAt *s = user_data;
  return s->epochs_seen >= s->stop_after;
}

static void
test_resume (void)
{
  g_autoptr (TlDataset) ds = blobs (300, 2);
  g_autoptr (TlModel) whole = small_mlp ();
  g_autoptr (TlModel) parts = small_mlp ();
  g_autoptr (TlHistory) h1 = tl_history_new ();
  g_autoptr (TlHistory) h2 = tl_history_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tl-privacy-XXXXXX", NULL);
  g_autofree char *ckpt = g_build_filename (dir, "run.checkpoint", NULL);
  TlPrivacyConfig privacy = { .epsilon = 2.0, .delta = 1e-4, .clip = 0.5 };
  StopAt stop = { .stop_after = 2 };
  TlTrainCallbacks callbacks = { .on_epoch = count_epoch, .should_stop = stop_now, .user_data = &stop };
  TlTrainConfig config;
  TlParamIter a, b;
  TlParam *pa, *pb;

  tl_train_config_init (&config);
  config.epochs = 4;
  config.batch_size = 25;
  config.privacy = &privacy;
  g_assert_true (tl_train (whole, ds, NULL, &config, NULL, h1, &error));

  config.checkpoint_path = ckpt;
  g_assert_true (tl_train (parts, ds, NULL, &config, &callbacks, h2, &error));
  g_assert_true (h2->cancelled);
  g_assert_cmpuint (h2->epochs->len, ==, 2);

  /* a run with other privacy settings may not continue it */
  {
    g_autoptr (TlModel) other = small_mlp ();
    TlPrivacyConfig changed = privacy;
    TlTrainConfig c2 = config;
    changed.clip = 1.0;
    c2.privacy = &changed;
    c2.resume_path = ckpt;
    c2.checkpoint_path = NULL;
    g_assert_false (tl_train (other, ds, NULL, &c2, NULL, h2, &error));
    g_assert_nonnull (strstr (error->message, "clip"));
    g_clear_error (&error);
    c2.privacy = NULL;
    g_assert_false (tl_train (other, ds, NULL, &c2, NULL, h2, &error));
    g_assert_nonnull (strstr (error->message, "private"));
    g_clear_error (&error);
  }

  config.resume_path = ckpt;
  g_assert_true (tl_train (parts, ds, NULL, &config, NULL, h2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (h2->resumed_epochs, ==, 2);
  g_assert_cmpuint (h2->epochs->len, ==, 4);
  g_assert_cmpuint (h2->privacy_steps, ==, h1->privacy_steps);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpfloat (g_array_index (h1->epochs, TlEpochRecord, i).epsilon, ==,
                       g_array_index (h2->epochs, TlEpochRecord, i).epsilon);
  g_assert_cmpfloat (h1->epsilon, ==, h2->epsilon);
  /* bit for bit the weights of the uninterrupted run */
  tl_model_param_iter_init (&a, whole);
  tl_model_param_iter_init (&b, parts);
  while (tl_model_param_iter_next (&a, NULL, &pa))
    {
      g_assert_true (tl_model_param_iter_next (&b, NULL, &pb));
      g_assert_cmpmem (pa->value->data, pa->value->size * sizeof (float), pb->value->data,
                       pb->value->size * sizeof (float));
    }
  g_unlink (ckpt);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/privacy/accountant/published", test_published);
  g_test_add_func ("/privacy/accountant/gaussian", test_gaussian);
  g_test_add_func ("/privacy/accountant/integration", test_integration);
  g_test_add_func ("/privacy/accountant/calibrate", test_calibrate);
  g_test_add_func ("/privacy/per-example/dense", test_dense);
  g_test_add_func ("/privacy/per-example/embedding", test_embedding);
  g_test_add_func ("/privacy/per-example/embedding-bag", test_bag);
  g_test_add_func ("/privacy/per-example/conv2d", test_conv);
  g_test_add_func ("/privacy/poisson", test_poisson);
  g_test_add_func ("/privacy/train", test_train);
  g_test_add_func ("/privacy/budget-stop", test_budget_stop);
  g_test_add_func ("/privacy/refusals", test_refusals);
  g_test_add_func ("/privacy/resume", test_resume);
  return g_test_run ();
}
