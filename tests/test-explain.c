#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-explain.h"
#include "tl-model.h"

static void
fill_uniform (float *x, gsize n, guint64 seed, float lo, float hi)
{
  TlRng rng;
  tl_rng_init (&rng, seed);
  for (gsize i = 0; i < n; i++)
    x[i] = tl_rng_uniform_range (&rng, lo, hi);
}

/* Scales every parameter so the untrained model's probabilities move far from uniform. */
static void
sharpen (TlModel *model, float factor)
{
  TlParamIter it;
  TlParam *param;

  tl_model_param_iter_init (&it, model);
  while (tl_model_param_iter_next (&it, NULL, &param))
    for (gsize i = 0; i < param->value->size; i++)
      param->value->data[i] *= factor;
}

static void
check_completeness (TlModel *model, const float *x, int steps, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *probs = g_new (float, tl_model_n_outputs (model));
  g_autofree float *attr = NULL;
  gsize size = tl_shape_size (model->in_ndim, model->in_shape);
  int target = tl_explain_predict (model, x, probs);
  double diff = 0, total = 0;

  attr = tl_explain_integrated_gradients (model, x, NULL, target, steps, &diff, &error);
  g_assert_no_error (error);
  for (gsize k = 0; k < size; k++)
    total += attr[k];
  g_test_message ("%s: integrated gradients sum %.6f, F(x) - F(0) %.6f, completeness error %.3f%%", what, total,
                  diff, 100.0 * fabs (total - diff) / fabs (diff));
  g_assert_cmpfloat (fabs (diff), >, 0.01);
  g_assert_cmpfloat (fabs (total - diff), <=, 0.01 * fabs (diff));
}

static void
test_integrated_gradients_completeness (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) cnn = tl_model_new_preset (TL_PRESET_CNN, 3, (int[]) { 1, 12, 12 }, 4, 0, 5, &error);
  g_autoptr (TlModel) mlp = NULL;
  float image[144], row[10];

  g_assert_no_error (error);
  sharpen (cnn, 2.0f);
  for (int s = 0; s < 3; s++)
    {
      g_autofree char *what = g_strdup_printf ("CNN image %d", s);
      fill_uniform (image, 144, 30 + s, 0.0f, 1.0f);
      check_completeness (cnn, image, 64, what);
    }
  mlp = tl_model_new_preset (TL_PRESET_MLP, 1, (int[]) { 10 }, 3, 0, 7, &error);
  g_assert_no_error (error);
  sharpen (mlp, 2.0f);
  for (int s = 0; s < 3; s++)
    {
      g_autofree char *what = g_strdup_printf ("MLP tabular %d", s);
      fill_uniform (row, 10, 40 + s, -2.0f, 2.0f);
      check_completeness (mlp, row, 32, what);
    }
}

/* EmbeddingBag(20, 4) - ReLU - Dense 2: term 5 pushes class 1 up, the other terms barely matter. */
static TlModel *
bag_model (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (2, (int[]) { 2, 6 }, 1);
  TlLayerSpec bag = { .kind = TL_LAYER_EMBEDDING_BAG, .vocab_size = 20, .embed_dim = 4 };
  TlLayerSpec relu = { .kind = TL_LAYER_RELU };
  TlLayerSpec dense = { .kind = TL_LAYER_DENSE, .units = 2 };
  TlTensor *table, *w;

  g_assert_true (tl_model_add (model, &bag, NULL, &error));
  g_assert_true (tl_model_add (model, &relu, NULL, &error));
  g_assert_true (tl_model_add (model, &dense, NULL, &error));
  g_assert_no_error (error);
  table = tl_model_layer (model, 0)->params[0].value;
  for (gsize i = 0; i < table->size; i++)
    table->data[i] = 0.05f;
  for (int d = 0; d < 4; d++)
    table->data[5 * 4 + d] = 2.0f;
  w = tl_model_layer (model, 2)->params[0].value;   /* [2, 4] */
  for (int d = 0; d < 4; d++)
    {
      w->data[d] = -1.0f;
      w->data[4 + d] = 1.0f;
    }
  tl_tensor_zero (tl_model_layer (model, 2)->params[1].value);
  return model;
}

static void
test_term_occlusion_and_gradients (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = bag_model ();
  /* ids 3, 5, 7, 9 then two empty slots; weights */
  const float x[12] = { 3, 5, 7, 9, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, 0, 0 };
  float baseline[12], probs[2];
  g_autofree float *scores = NULL;
  g_autofree float *attr = NULL;
  double diff = 0, total = 0;
  int n = 0, target;

  target = tl_explain_predict (model, x, probs);
  g_assert_cmpint (target, ==, 1);
  scores = tl_explain_occlusion_terms (model, x, target, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 6);
  g_test_message ("occlusion of term 5: probability falls by %.4f; others %.4f %.4f %.4f", scores[1], scores[0],
                  scores[2], scores[3]);
  /* removing the term the model depends on lowers its class's probability, and most */
  g_assert_cmpfloat (scores[1], >, 0.2);
  for (int k = 0; k < n; k++)
    if (k != 1)
      g_assert_cmpfloat (fabs (scores[k]), <, scores[1]);
  g_assert_cmpfloat (scores[4], ==, 0.0f);

  /* integrated gradients over the weights, from the same ids with zero weights */
  memcpy (baseline, x, sizeof x);
  for (int k = 6; k < 12; k++)
    baseline[k] = 0.0f;
  attr = tl_explain_integrated_gradients (model, x, baseline, target, 32, &diff, &error);
  g_assert_no_error (error);
  for (int k = 0; k < 12; k++)
    total += attr[k];
  g_test_message ("bag: integrated gradients sum %.6f, F(x) - F(baseline) %.6f", total, diff);
  g_assert_cmpfloat (fabs (total - diff), <=, 0.01 * fabs (diff));
  for (int k = 0; k < 6; k++)
    g_assert_cmpfloat (attr[k], ==, 0.0f);
  for (int k = 6; k < 12; k++)
    if (k != 7)
      g_assert_cmpfloat (attr[7], >, attr[k]);
}

/* Embedding - GlobalAveragePool1D - Dense: occlusion per token. */
static void
test_token_occlusion (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 5 }, 2);
  TlLayerSpec emb = { .kind = TL_LAYER_EMBEDDING, .vocab_size = 10, .embed_dim = 3 };
  TlLayerSpec pool = { .kind = TL_LAYER_GLOBAL_AVG_POOL1D };
  TlLayerSpec dense = { .kind = TL_LAYER_DENSE, .units = 2 };
  const float x[5] = { 2, 4, 6, 0, 0 };
  g_autofree float *scores = NULL;
  float probs[2];
  TlTensor *table, *w;
  int n = 0, target;

  g_assert_true (tl_model_add (model, &emb, NULL, &error));
  g_assert_true (tl_model_add (model, &pool, NULL, &error));
  g_assert_true (tl_model_add (model, &dense, NULL, &error));
  table = tl_model_layer (model, 0)->params[0].value;
  tl_tensor_zero (table);
  for (int d = 0; d < 3; d++)
    table->data[4 * 3 + d] = 3.0f;
  w = tl_model_layer (model, 2)->params[0].value;
  for (int d = 0; d < 3; d++)
    {
      w->data[d] = -1.0f;
      w->data[3 + d] = 1.0f;
    }
  tl_tensor_zero (tl_model_layer (model, 2)->params[1].value);
  target = tl_explain_predict (model, x, probs);
  g_assert_cmpint (target, ==, 1);
  scores = tl_explain_occlusion_terms (model, x, target, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 5);
  g_assert_cmpfloat (scores[1], >, 0.2);
  g_assert_cmpfloat (scores[1], >, scores[0]);
  g_assert_cmpfloat (scores[1], >, scores[2]);
  g_assert_cmpfloat (scores[3], ==, 0.0f);

  g_assert_null (tl_explain_integrated_gradients (model, x, NULL, 1, 8, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED);
}

/* An image whose class depends on one bright corner: occluding that corner matters most. */
static void
test_image_occlusion (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 1, 8, 8 }, 3);
  TlLayerSpec flatten = { .kind = TL_LAYER_FLATTEN };
  TlLayerSpec dense = { .kind = TL_LAYER_DENSE, .units = 2 };
  g_autoptr (TlTensor) heat = NULL;
  float image[64] = { 0 }, probs[2];
  TlTensor *w;

  g_assert_true (tl_model_add (model, &flatten, NULL, &error));
  g_assert_true (tl_model_add (model, &dense, NULL, &error));
  w = tl_model_layer (model, 1)->params[0].value;
  tl_tensor_zero (w);
  tl_tensor_zero (tl_model_layer (model, 1)->params[1].value);
  for (int r = 0; r < 2; r++)
    for (int c = 0; c < 2; c++)
      w->data[64 + r * 8 + c] = 2.0f;   /* class 1 looks at the top-left corner */
  for (int i = 0; i < 64; i++)
    image[i] = 0.5f;
  g_assert_cmpint (tl_explain_predict (model, image, probs), ==, 1);
  heat = tl_explain_occlusion_image (model, image, 1, 2, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (heat->shape[0], ==, 8);
  g_assert_cmpint (heat->shape[1], ==, 8);
  g_assert_cmpfloat (heat->data[0], >, 0.1f);
  g_assert_cmpfloat (fabs (heat->data[63]), <, 1e-6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/explain/integrated-gradients-completeness", test_integrated_gradients_completeness);
  g_test_add_func ("/explain/terms", test_term_occlusion_and_gradients);
  g_test_add_func ("/explain/tokens", test_token_occlusion);
  g_test_add_func ("/explain/image-occlusion", test_image_occlusion);
  return g_test_run ();
}
