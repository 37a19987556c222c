#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "layer-check.h"
#include "tl-error.h"
#include "tl-layer-registry.h"

/* Layers of pretrained vision backbones: batch normalisation, grouped and
 * depthwise convolution, ReLU6 / Clip / HardSwish and average pools. */

/* Moves values off the kinks of a piecewise-linear function. */
static void
avoid_kinks (TlTensor *t, const float *kinks, int n_kinks, float gap)
{
  for (gsize i = 0; i < t->size; i++)
    for (int k = 0; k < n_kinks; k++)
      if (fabsf (t->data[i] - kinks[k]) < gap)
        t->data[i] = kinks[k] + (t->data[i] < kinks[k] ? -gap : gap);
}

static void
test_batchnorm_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    for (int variant = 0; variant < 3; variant++)
      {
        TlRng rng;
        TlContext ctx = { 0 };
        g_autoptr (TlLayer) layer = NULL;
        g_autoptr (TlTensor) in = NULL;
        int shape[3], ndim;
        TlLayerKind kind = variant == 0 ? TL_LAYER_BATCHNORM2D : TL_LAYER_BATCHNORM1D;

        tl_rng_init (&rng, seed + 100 * variant);
        ndim = variant == 0 ? 3 : variant == 1 ? 1 : 2;
        for (int d = 0; d < ndim; d++)
          shape[d] = rand_between (&rng, 1, 4);
        layer = make_layer (&(TlLayerSpec) { .kind = kind }, ndim, shape, seed);
        fill_normal (layer->params[0].value, &rng, 1.0f);
        fill_normal (layer->params[1].value, &rng, 1.0f);
        in = random_input (rand_between (&rng, 2, 4), ndim, shape, &rng);
        check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
      }
}

/* One training step from the initial statistics, then inference with them. */
static void
test_batchnorm_running_stats (void)
{
  const int C = 2, H = 2, W = 3, N = 3;
  g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, 3,
                                          (int[]) { C, H, W }, 1);
  g_autoptr (TlTensor) in = NULL;
  g_autoptr (TlTensor) out = tl_tensor_new_empty ();
  TlContext train = { .training = TRUE }, infer = { 0 };
  TlRng rng;
  double mean[2] = { 0 }, var[2] = { 0 };
  const int n = N * H * W;

  g_assert_cmpint (layer->n_buffers, ==, 2);
  g_assert_cmpstr (layer->buffers[0].name, ==, "running_mean");
  g_assert_cmpstr (layer->buffers[1].name, ==, "running_var");
  tl_rng_init (&rng, 3);
  in = random_input (N, 3, (int[]) { C, H, W }, &rng);
  for (gsize i = 0; i < in->size; i++)
    in->data[i] = in->data[i] * 2.0f + 1.0f;
  for (int c = 0; c < C; c++)
    {
      for (int i = 0; i < N; i++)
        for (int s = 0; s < H * W; s++)
          mean[c] += in->data[(i * C + c) * H * W + s];
      mean[c] /= n;
      for (int i = 0; i < N; i++)
        for (int s = 0; s < H * W; s++)
          {
            double d = in->data[(i * C + c) * H * W + s] - mean[c];
            var[c] += d * d;
          }
    }

  tl_layer_forward (layer, &train, in, out);
  for (int c = 0; c < C; c++)
    {
      double s = 0.0;

      g_assert_cmpfloat_with_epsilon (layer->buffers[0].value->data[c], 0.1 * mean[c], 1e-6);
      g_assert_cmpfloat_with_epsilon (layer->buffers[1].value->data[c], 0.9 + 0.1 * var[c] / (n - 1), 1e-5);
      /* normalised with the batch's own (biased) statistics */
      for (int i = 0; i < N; i++)
        for (int k = 0; k < H * W; k++)
          {
            float y = out->data[(i * C + c) * H * W + k];
            float x = in->data[(i * C + c) * H * W + k];
            g_assert_cmpfloat_with_epsilon (y, (x - mean[c]) / sqrt (var[c] / n + 1e-5), 1e-4);
            s += y;
          }
      g_assert_cmpfloat (fabs (s), <, 1e-4);
    }

  tl_layer_forward (layer, &infer, in, out);
  for (int c = 0; c < C; c++)
    {
      float rm = layer->buffers[0].value->data[c], rv = layer->buffers[1].value->data[c];
      float x = in->data[c * H * W];
      g_assert_cmpfloat_with_epsilon (out->data[c * H * W], (x - rm) / sqrtf (rv + 1e-5f), 1e-5);
      /* inference leaves the statistics alone */
      g_assert_cmpfloat (layer->buffers[0].value->data[c], ==, rm);
    }
}

/* A frozen layer normalises with its running statistics while training and
 * leaves them alone, unless told to keep updating them. */
static void
test_batchnorm_frozen (void)
{
  for (int updates = 0; updates < 2; updates++)
    {
      g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_BATCHNORM1D,
                                                               .frozen_stats = updates },
                                              1, (int[]) { 3 }, 1);
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      g_autoptr (TlTensor) grad = NULL;
      g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
      TlContext train = { .training = TRUE };
      TlRng rng;

      tl_rng_init (&rng, 5);
      layer->trainable = FALSE;
      for (int c = 0; c < 3; c++)
        {
          layer->params[0].value->data[c] = 0.5f + c;
          layer->params[1].value->data[c] = -0.25f * c;
          layer->buffers[0].value->data[c] = 0.3f * c;
          layer->buffers[1].value->data[c] = 1.0f + c;
        }
      in = random_input (4, 1, (int[]) { 3 }, &rng);
      grad = tl_tensor_copy (in);
      fill_normal (grad, &rng, 1.0f);
      tl_layer_zero_grad (layer);
      tl_layer_forward (layer, &train, in, out);
      tl_layer_backward (layer, &train, in, out, grad, grad_in);
      for (int c = 0; c < 3; c++)
        {
          g_assert_cmpfloat (layer->params[0].grad->data[c], ==, 0.0f);
          if (updates)
            g_assert_cmpfloat (layer->buffers[0].value->data[c], !=, 0.3f * c);
          else
            g_assert_cmpfloat (layer->buffers[0].value->data[c], ==, 0.3f * c);
        }
      g_assert_cmpint (tl_layer_has_randomness (layer), ==, updates);
      if (updates)
        continue;
      for (int i = 0; i < 4; i++)
        for (int c = 0; c < 3; c++)
          {
            float a = (0.5f + c) / sqrtf (1.0f + c + 1e-5f);
            g_assert_cmpfloat_with_epsilon (out->data[i * 3 + c],
                                            a * (in->data[i * 3 + c] - 0.3f * c) - 0.25f * c, 1e-5);
            g_assert_cmpfloat_with_epsilon (grad_in->data[i * 3 + c], a * grad->data[i * 3 + c], 1e-5);
          }
    }
}

static void
test_grouped_conv2d_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    for (int depthwise = 0; depthwise < 2; depthwise++)
      {
        TlRng rng;
        TlContext ctx = { 0 };
        g_autoptr (TlLayer) layer = NULL;
        g_autoptr (TlTensor) in = NULL;
        TlLayerSpec spec = { .kind = TL_LAYER_CONV2D };
        int shape[3];

        tl_rng_init (&rng, seed + 50 * depthwise);
        shape[0] = depthwise ? rand_between (&rng, 1, 4) : 2 * rand_between (&rng, 1, 2);
        shape[1] = rand_between (&rng, 3, 6);
        shape[2] = rand_between (&rng, 3, 6);
        spec.groups = depthwise ? shape[0] : 2;
        spec.filters = spec.groups * rand_between (&rng, 1, 2);
        spec.kernel = rand_between (&rng, 1, 3);
        spec.stride = rand_between (&rng, 0, 2);
        spec.padding = rand_between (&rng, 0, spec.kernel / 2 + 1);
        layer = make_layer (&spec, 3, shape, seed);
        g_assert_cmpint (layer->params[0].value->shape[1], ==, shape[0] / spec.groups);
        in = random_input (rand_between (&rng, 1, 3), 3, shape, &rng);
        check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
      }
}

/* A grouped convolution is the ungrouped one with a block-diagonal weight. */
static void
test_grouped_conv2d_matches_dense (void)
{
  const int C = 4, F = 6, G = 2, K = 3;
  int shape[3] = { C, 5, 4 };
  TlLayerSpec spec = { .kind = TL_LAYER_CONV2D, .filters = F, .kernel = K, .stride = 2, .padding = 1 };
  g_autoptr (TlLayer) full = make_layer (&spec, 3, shape, 1);
  g_autoptr (TlLayer) grouped = NULL;
  g_autoptr (TlTensor) in = NULL;
  g_autoptr (TlTensor) a = tl_tensor_new_empty ();
  g_autoptr (TlTensor) b = tl_tensor_new_empty ();
  TlContext ctx = { 0 };
  TlRng rng;

  spec.groups = G;
  grouped = make_layer (&spec, 3, shape, 2);
  tl_tensor_zero (full->params[0].value);
  for (int f = 0; f < F; f++)
    for (int c = 0; c < C / G; c++)
      for (int k = 0; k < K * K; k++)
        full->params[0].value->data[((f * C) + (f / (F / G)) * (C / G) + c) * K * K + k] =
          grouped->params[0].value->data[(f * (C / G) + c) * K * K + k];
  tl_tensor_copy_into (full->params[1].value, grouped->params[1].value);
  tl_rng_init (&rng, 9);
  in = random_input (2, 3, shape, &rng);
  tl_layer_forward (full, &ctx, in, a);
  tl_layer_forward (grouped, &ctx, in, b);
  g_assert_true (tl_tensor_same_shape (a, b));
  for (gsize i = 0; i < a->size; i++)
    g_assert_cmpfloat_with_epsilon (a->data[i], b->data[i], 1e-5);
}

static void
test_clip_gradients (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_RELU6 },
    { .kind = TL_LAYER_CLIP, .clip_min = -0.5f, .clip_max = 1.5f },
    { .kind = TL_LAYER_HARDSWISH },
    { .kind = TL_LAYER_HARDSIGMOID },
  };
  const float kinks[4][2] = { { 0.0f, 6.0f }, { -0.5f, 1.5f }, { -3.0f, 3.0f }, { -3.0f, 3.0f } };

  for (guint k = 0; k < G_N_ELEMENTS (specs); k++)
    for (guint64 seed = 1; seed <= N_SEEDS; seed++)
      {
        TlRng rng;
        TlContext ctx = { 0 };
        g_autoptr (TlLayer) layer = NULL;
        g_autoptr (TlTensor) in = NULL;
        int shape[3];

        tl_rng_init (&rng, seed + 10 * k);
        for (int d = 0; d < 3; d++)
          shape[d] = rand_between (&rng, 1, 4);
        layer = make_layer (&specs[k], 3, shape, seed);
        in = random_input (rand_between (&rng, 1, 3), 3, shape, &rng);
        for (gsize i = 0; i < in->size; i++)
          in->data[i] *= 4.0f;
        avoid_kinks (in, kinks[k], 2, 0.1f);
        check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
      }
}

static void
test_clip_values (void)
{
  const float x[] = { -7, -3, -1, 0, 1, 3, 5, 7 };
  const float relu6[] = { 0, 0, 0, 0, 1, 3, 5, 6 };
  const float hswish[] = { 0, 0, -1.0f / 3, 0, 2.0f / 3, 3, 5, 7 };
  const float clip[] = { -2, -2, -1, 0, 1, 2, 2, 2 };
  const float hsigmoid[] = { 0, 0, 1.0f / 3, 0.5f, 2.0f / 3, 1, 1, 1 };
  const TlLayerSpec specs[] = { { .kind = TL_LAYER_RELU6 }, { .kind = TL_LAYER_HARDSWISH },
                                { .kind = TL_LAYER_CLIP, .clip_min = -2, .clip_max = 2 },
                                { .kind = TL_LAYER_HARDSIGMOID } };
  const float *want[] = { relu6, hswish, clip, hsigmoid };

  for (int k = 0; k < 4; k++)
    {
      g_autoptr (TlLayer) layer = make_layer (&specs[k], 1, (int[]) { 8 }, 1);
      g_autoptr (TlTensor) in = tl_tensor_new_2d (1, 8);
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      TlContext ctx = { 0 };

      memcpy (in->data, x, sizeof x);
      tl_layer_forward (layer, &ctx, in, out);
      for (int i = 0; i < 8; i++)
        g_assert_cmpfloat_with_epsilon (out->data[i], want[k][i], 1e-6);
    }
}

static void
test_avgpool2d_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS + 1; seed++)
    for (int global = 0; global < 2; global++)
      {
        TlRng rng;
        TlContext ctx = { 0 };
        g_autoptr (TlLayer) layer = NULL;
        g_autoptr (TlTensor) in = NULL;
        TlLayerSpec spec = { .kind = global ? TL_LAYER_GLOBAL_AVG_POOL2D : TL_LAYER_AVGPOOL2D };
        int shape[3];

        tl_rng_init (&rng, seed + 20 * global);
        shape[0] = rand_between (&rng, 1, 3);
        shape[1] = rand_between (&rng, 2, 7);
        shape[2] = rand_between (&rng, 2, 7);
        spec.kernel = rand_between (&rng, 1, 2);
        spec.stride = rand_between (&rng, 0, 2);
        spec.padding = rand_between (&rng, 0, spec.kernel / 2);
        layer = make_layer (&spec, 3, shape, seed);
        in = random_input (rand_between (&rng, 1, 3), 3, shape, &rng);
        check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
      }
}

/* Padding counts in the divisor, as PyTorch's count_include_pad=True. */
static void
test_avgpool2d_values (void)
{
  g_autoptr (TlLayer) pool = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_AVGPOOL2D, .kernel = 3,
                                                          .stride = 2, .padding = 1 },
                                         3, (int[]) { 1, 3, 4 }, 1);
  g_autoptr (TlLayer) global = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D },
                                           3, (int[]) { 1, 3, 4 }, 1);
  g_autoptr (TlTensor) in = tl_tensor_new_empty ();
  g_autoptr (TlTensor) out = tl_tensor_new_empty ();
  TlContext ctx = { 0 };

  g_assert_cmpint (pool->out_shape[1], ==, 2);
  g_assert_cmpint (pool->out_shape[2], ==, 2);
  tl_tensor_resize_batch (in, 1, 3, (int[]) { 1, 3, 4 });
  for (int i = 0; i < 12; i++)
    in->data[i] = (float) (i + 1);
  tl_layer_forward (pool, &ctx, in, out);
  /* top-left window covers rows 0-1, columns 0-1 of the input: 1+2+5+6 over 9 */
  g_assert_cmpfloat_with_epsilon (out->data[0], 14.0f / 9, 1e-6);
  /* top-right: rows 0-1, columns 1-3: 2+3+4+6+7+8 over 9 */
  g_assert_cmpfloat_with_epsilon (out->data[1], 30.0f / 9, 1e-6);
  /* bottom-right: rows 1-2, columns 1-3 */
  g_assert_cmpfloat_with_epsilon (out->data[3], (6 + 7 + 8 + 10 + 11 + 12) / 9.0f, 1e-6);

  g_assert_cmpint (global->out_ndim, ==, 1);
  tl_layer_forward (global, &ctx, in, out);
  g_assert_cmpint (out->ndim, ==, 2);
  g_assert_cmpfloat_with_epsilon (out->data[0], 6.5f, 1e-6);
}

static void
assert_refused (const TlLayerSpec *spec, int ndim, const int *shape, const char *fragment)
{
  g_autoptr (GError) error = NULL;
  TlRng rng;
  g_autoptr (TlLayer) layer = NULL;

  tl_rng_init (&rng, 1);
  layer = tl_layer_new (spec, "bad", ndim, shape, &rng, &error);
  g_assert_null (layer);
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
}

static void
test_vision_bad_specs (void)
{
  assert_refused (&(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 1, .groups = 3 },
                  3, (int[]) { 6, 4, 4 }, "groups 3 must divide");
  assert_refused (&(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 1, .groups = 2 },
                  3, (int[]) { 3, 4, 4 }, "input channels (3)");
  assert_refused (&(TlLayerSpec) { .kind = TL_LAYER_CLIP, .clip_min = 1, .clip_max = 1 },
                  1, (int[]) { 3 }, "min below max");
  assert_refused (&(TlLayerSpec) { .kind = TL_LAYER_AVGPOOL2D, .kernel = 2, .padding = 2 },
                  3, (int[]) { 1, 4, 4 }, "padding 2");
  assert_refused (&(TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, 1, (int[]) { 3 }, "got [3]");
  assert_refused (&(TlLayerSpec) { .kind = TL_LAYER_BATCHNORM1D }, 3, (int[]) { 3, 2, 2 }, "batchnorm1d");
  assert_refused (&(TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, 1, (int[]) { 3 }, "global_avg_pool2d");
}

/* A copy keeps the running statistics. */
static void
test_batchnorm_copy (void)
{
  g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, 3,
                                          (int[]) { 2, 1, 1 }, 1);
  g_autoptr (TlLayer) copy = NULL;

  layer->buffers[0].value->data[1] = 0.75f;
  layer->buffers[1].value->data[0] = 2.5f;
  copy = tl_layer_copy (layer);
  g_assert_cmpfloat (copy->buffers[0].value->data[1], ==, 0.75f);
  g_assert_cmpfloat (copy->buffers[1].value->data[0], ==, 2.5f);
}

void
add_vision_layer_tests (void)
{
  g_test_add_func ("/layers/batchnorm/gradients", test_batchnorm_gradients);
  g_test_add_func ("/layers/batchnorm/running-stats", test_batchnorm_running_stats);
  g_test_add_func ("/layers/batchnorm/frozen", test_batchnorm_frozen);
  g_test_add_func ("/layers/batchnorm/copy", test_batchnorm_copy);
  g_test_add_func ("/layers/conv2d/grouped-gradients", test_grouped_conv2d_gradients);
  g_test_add_func ("/layers/conv2d/grouped-matches-dense", test_grouped_conv2d_matches_dense);
  g_test_add_func ("/layers/clip/gradients", test_clip_gradients);
  g_test_add_func ("/layers/clip/values", test_clip_values);
  g_test_add_func ("/layers/avgpool2d/gradients", test_avgpool2d_gradients);
  g_test_add_func ("/layers/avgpool2d/values", test_avgpool2d_values);
  g_test_add_func ("/layers/vision-bad-specs", test_vision_bad_specs);
}
