#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-cut-choice.h"
#include "tl-error.h"
#include "tl-model.h"
#include "tl-transferability.h"

/* LogME and LEEP against NumPy are in interop/test_transferability_reference.py. */

static float *
gaussian (int n, int dim, float shift, guint64 seed)
{
  float *x = g_new (float, (gsize) n * dim);
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (gsize i = 0; i < (gsize) n * dim; i++)
    x[i] = (float) tl_rng_normal (&rng) + shift;
  return x;
}

static void
test_cuts_of_presets (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) mlp = tl_model_new_preset (TL_PRESET_MLP, 1, (int[]) { 20 }, 3, 0, 1, &error);
  g_autoptr (TlModel) cnn = NULL;
  g_autofree int *cuts = NULL;
  g_autofree int *cnn_cuts = NULL;
  int n = 0;

  g_assert_no_error (error);
  /* flatten1 dense1 relu1 dense2 relu2 dense3 */
  cuts = tl_transferability_cuts (mlp, &n);
  g_assert_cmpint (n, ==, 3);
  g_assert_cmpint (cuts[0], ==, 2);
  g_assert_cmpint (cuts[1], ==, 4);
  g_assert_cmpint (cuts[2], ==, 5);

  cnn = tl_model_new_preset (TL_PRESET_CNN, 3, (int[]) { 1, 28, 28 }, 10, 0, 1, &error);
  g_assert_no_error (error);
  cnn_cuts = tl_transferability_cuts (cnn, &n);
  /* pool, pool, relu, dense: the outputs the next weighted layer reads */
  g_assert_cmpint (n, ==, 4);
  for (int i = 0; i < n - 1; i++)
    {
      TlLayerKind kind = tl_model_layer (cnn, cnn_cuts[i])->spec.kind;
      g_assert_true (kind == TL_LAYER_RELU || kind == TL_LAYER_MAXPOOL2D);
    }
  g_assert_cmpint (cnn_cuts[n - 1], ==, tl_model_n_layers (cnn) - 1);
}

/* Features from the chained segments equal the layers' outputs of one whole forward pass. */
static void
test_features_match_forward (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) cnn = tl_model_new_preset (TL_PRESET_CNN, 3, (int[]) { 1, 12, 12 }, 4, 0, 3, &error);
  g_autoptr (TlDataset) ds = tl_dataset_new (TL_DATA_IMAGE, 37, 3, (int[]) { 1, 12, 12 }, 2, NULL);
  g_autoptr (TlTensor) x = tl_tensor_new_4d (37, 1, 12, 12);
  g_autofree float *pixels = gaussian (37, 144, 0.5f, 9);
  g_autofree int *cuts = NULL;
  TlTensor **features;
  const TlTensor *out;
  int n = 0;

  g_assert_no_error (error);
  memcpy (ds->x, pixels, sizeof (float) * 37 * 144);
  memcpy (x->data, pixels, sizeof (float) * 37 * 144);
  for (int i = 0; i < 37; i++)
    ds->y[i] = i % 2;
  cuts = tl_transferability_cuts (cnn, &n);
  features = tl_transferability_features (cnn, ds, cuts, n, 16);
  out = tl_model_forward (cnn, x, FALSE);
  g_assert_cmpuint (out->size, ==, features[n - 1]->size);
  for (gsize i = 0; i < out->size; i++)
    g_assert_cmpfloat_with_epsilon (out->data[i], features[n - 1]->data[i], 1e-5);
  for (int c = 0; c < n; c++)
    tl_tensor_free (features[c]);
  g_free (features);
}

static void
test_a_distance (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *one = gaussian (600, 16, 0.0f, 1);
  g_autofree float *far = gaussian (300, 16, 3.0f, 2);
  double same, apart;

  /* two halves of one sample of one distribution */
  same = tl_proxy_a_distance (one, 300, one + 300 * 16, 300, 16, 5, &error);
  g_assert_no_error (error);
  g_test_message ("proxy A-distance: same distribution %.3f", same);
  g_assert_cmpfloat (fabs (same), <, 0.3);

  apart = tl_proxy_a_distance (one, 300, far, 300, 16, 5, &error);
  g_assert_no_error (error);
  g_test_message ("proxy A-distance: separable %.3f", apart);
  g_assert_cmpfloat (apart, >, 1.9);
  g_assert_cmpfloat (apart, <=, 2.0);

  /* more features than samples: the dual form */
  {
    g_autofree float *wide_a = gaussian (40, 500, 0.0f, 3);
    g_autofree float *wide_b = gaussian (40, 500, 1.0f, 4);
    double wide = tl_proxy_a_distance (wide_a, 40, wide_b, 40, 500, 5, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (wide, >, 1.5);
  }
}

/* Features that carry the label score a higher LogME than noise. */
static void
test_logme_prefers_informative_features (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *noise = gaussian (200, 8, 0.0f, 11);
  g_autofree float *useful = gaussian (200, 8, 0.0f, 12);
  g_autofree int *y = g_new (int, 200);
  double l_noise, l_useful;

  for (int i = 0; i < 200; i++)
    {
      y[i] = i % 3;
      useful[i * 8 + y[i]] += 3.0f;
    }
  l_noise = tl_logme (noise, 200, 8, y, 3, &error);
  g_assert_no_error (error);
  l_useful = tl_logme (useful, 200, 8, y, 3, &error);
  g_assert_no_error (error);
  g_test_message ("LogME: noise %.4f, informative %.4f", l_noise, l_useful);
  g_assert_cmpfloat (l_useful, >, l_noise + 0.1);

  /* far more features than rows (a convolution's output on a few labelled rows): the fit can be
   * exact, and the score must still come out finite and still prefer the informative features */
  {
    g_autofree float *wide_noise = gaussian (50, 4000, 0.0f, 13);
    g_autofree float *wide_useful = gaussian (50, 4000, 0.0f, 14);
    double w_noise, w_useful;

    for (int i = 0; i < 50; i++)
      for (int d = 0; d < 4000; d += 5)
        wide_useful[i * 4000 + d + y[i]] += 1.0f;
    w_noise = tl_logme (wide_noise, 50, 4000, y, 3, &error);
    g_assert_no_error (error);
    w_useful = tl_logme (wide_useful, 50, 4000, y, 3, &error);
    g_assert_no_error (error);
    g_test_message ("LogME, 4000 features of 50 rows: noise %.4f, informative %.4f", w_noise, w_useful);
    g_assert_true (isfinite (w_noise));
    g_assert_true (isfinite (w_useful));
    g_assert_cmpfloat (w_useful, >, w_noise);
  }
}

static void
test_assess_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) mlp = tl_model_new_preset (TL_PRESET_MLP, 1, (int[]) { 10 }, 4, 0, 1, &error);
  g_autoptr (TlDataset) target = tl_dataset_new (TL_DATA_TABULAR, 120, 1, (int[]) { 10 }, 3, NULL);
  g_autoptr (TlDataset) source = tl_dataset_new (TL_DATA_TABULAR, 80, 1, (int[]) { 10 }, 3, NULL);
  g_autoptr (TlTransferability) t = NULL;
  g_autofree float *tx = gaussian (120, 10, 0.0f, 21);
  g_autofree float *sx = gaussian (80, 10, 4.0f, 22);

  g_assert_no_error (error);
  memcpy (target->x, tx, sizeof (float) * 120 * 10);
  memcpy (source->x, sx, sizeof (float) * 80 * 10);
  for (int i = 0; i < 120; i++)
    {
      /* every fifth row unlabelled; class 1 absent */
      target->y[i] = i % 5 == 4 ? -1 : (i % 2 == 0 ? 0 : 2);
      target->x[i * 10] += target->y[i] == 2 ? 2.0f : 0.0f;
    }
  t = tl_transferability_assess (mlp, target, source, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_cmpint (t->n_samples, ==, 96);
  g_assert_cmpint (t->n_classes, ==, 2);
  g_assert_cmpint (t->n_cuts, ==, 3);
  g_assert_cmpint (t->best, <, t->n_cuts - 1);
  g_assert_cmpint (t->recommended, <=, t->best);
  g_assert_cmpfloat (t->cuts[t->best].evidence_for_best, ==, 0.0);
  for (int c = 0; c < t->n_cuts; c++)
    {
      const TlCutScore *cut = &t->cuts[c];
      double gap = t->cuts[t->best].logme - cut->logme;

      g_assert_true (isfinite (cut->logme));
      g_assert_true (isfinite (cut->a_distance));
      g_assert_cmpfloat (cut->a_distance, >, 1.5);
      g_assert_true (c == t->n_cuts - 1 ? isfinite (cut->leep) : isnan (cut->leep));
      g_test_message ("cut %d: LogME %.4f, ln Bayes factor for the best %.2f", cut->layer, cut->logme,
                      cut->evidence_for_best);
      if (c != t->n_cuts - 1)
        g_assert_cmpfloat (cut->logme, <=, t->cuts[t->best].logme);
      /* the evidence is rows x classes x the gap, at the best and below; the recommended cut is the
       * lowest against which it is not strong */
      if (c <= t->best)
        g_assert_cmpfloat_with_epsilon (cut->evidence_for_best, 96.0 * 2 * gap, 1e-9);
      else
        g_assert_true (isnan (cut->evidence_for_best));
      if (c < t->recommended)
        g_assert_cmpfloat (cut->evidence_for_best, >=, TL_CUT_CHOICE_STRONG_EVIDENCE);
      if (c == t->recommended)
        g_assert_cmpfloat (cut->evidence_for_best, <, TL_CUT_CHOICE_STRONG_EVIDENCE);
    }
  g_assert_cmpfloat (t->cuts[t->n_cuts - 1].leep, <, 0.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/transferability/cuts", test_cuts_of_presets);
  g_test_add_func ("/transferability/features", test_features_match_forward);
  g_test_add_func ("/transferability/a-distance", test_a_distance);
  g_test_add_func ("/transferability/logme-informative", test_logme_prefers_informative_features);
  g_test_add_func ("/transferability/assess", test_assess_model);
  return g_test_run ();
}
