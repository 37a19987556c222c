#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "layer-check.h"
#include "tl-conv2d-private.h"
#include "tl-error.h"
#include "tl-layer-registry.h"
#include "tl-fastmath.h"

/* ---- Dense and activations --------------------------------------------- */

static void
test_dense_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      TlRng rng;
      TlContext ctx = { 0 };
      g_autoptr (TlLayer) layer = NULL;
      g_autoptr (TlTensor) in = NULL;
      int n_in, units, batch;

      tl_rng_init (&rng, seed);
      n_in = rand_between (&rng, 1, 12);
      units = rand_between (&rng, 1, 9);
      batch = rand_between (&rng, 1, 5);
      layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = units }, 1, &n_in, seed);
      in = random_input (batch, 1, &n_in, &rng);
      check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
    }
}

static void
test_dense_forward_values (void)
{
  g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 },
                                          1, (int[]) { 3 }, 1);
  g_autoptr (TlTensor) in = tl_tensor_new_2d (1, 3);
  g_autoptr (TlTensor) out = tl_tensor_new_empty ();
  const float w[] = { 1, 2, 3, -1, 0, 1 };
  TlContext ctx = { 0 };
  float bound = 1.0f / sqrtf (3.0f);

  g_assert_cmpstr (layer->params[0].name, ==, "weight");
  g_assert_cmpint (layer->params[0].value->shape[0], ==, 2);
  g_assert_cmpint (layer->params[0].value->shape[1], ==, 3);
  g_assert_cmpstr (layer->params[1].name, ==, "bias");
  for (int p = 0; p < 2; p++)
    for (gsize i = 0; i < layer->params[p].value->size; i++)
      g_assert_cmpfloat (fabsf (layer->params[p].value->data[i]), <=, bound);

  memcpy (layer->params[0].value->data, w, sizeof w);
  layer->params[1].value->data[0] = 0.5f;
  layer->params[1].value->data[1] = -0.5f;
  in->data[0] = 1;
  in->data[1] = 2;
  in->data[2] = 3;
  tl_layer_forward (layer, &ctx, in, out);
  g_assert_cmpint (out->ndim, ==, 2);
  g_assert_cmpint (out->shape[1], ==, 2);
  g_assert_cmpfloat_with_epsilon (out->data[0], 14.5f, 1e-5);
  g_assert_cmpfloat_with_epsilon (out->data[1], 1.5f, 1e-5);
}

static void
test_activation_gradients (void)
{
  const TlLayerKind kinds[] = { TL_LAYER_RELU, TL_LAYER_TANH, TL_LAYER_SIGMOID, TL_LAYER_SOFTMAX };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (guint64 seed = 1; seed <= N_SEEDS; seed++)
      {
        TlRng rng;
        TlContext ctx = { 0 };
        g_autoptr (TlLayer) layer = NULL;
        g_autoptr (TlTensor) in = NULL;
        int shape[2];

        tl_rng_init (&rng, seed + 10 * k);
        shape[0] = rand_between (&rng, 1, 4);
        shape[1] = rand_between (&rng, 1, 6);
        layer = make_layer (&(TlLayerSpec) { .kind = kinds[k] }, 2, shape, seed);
        in = random_input (rand_between (&rng, 1, 3), 2, shape, &rng);
        /* keep ReLU inputs away from its kink */
        for (gsize i = 0; i < in->size; i++)
          if (fabsf (in->data[i]) < 0.1f)
            in->data[i] = in->data[i] < 0 ? -0.1f - in->data[i] : 0.1f + in->data[i];
        check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
      }
}

static void
test_softmax_rows (void)
{
  g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_SOFTMAX }, 1, (int[]) { 4 }, 1);
  g_autoptr (TlTensor) in = tl_tensor_new_2d (2, 4);
  g_autoptr (TlTensor) out = tl_tensor_new_empty ();
  TlContext ctx = { 0 };

  for (gsize i = 0; i < in->size; i++)
    in->data[i] = (float) i * 100.0f;       /* large logits must not overflow */
  tl_layer_forward (layer, &ctx, in, out);
  for (int r = 0; r < 2; r++)
    {
      float sum = 0.0f;
      for (int i = 0; i < 4; i++)
        {
          g_assert_true (isfinite (out->data[r * 4 + i]));
          sum += out->data[r * 4 + i];
        }
      g_assert_cmpfloat_with_epsilon (sum, 1.0f, 1e-5);
      g_assert_cmpfloat (out->data[r * 4 + 3], >, 0.99f);
    }
}

/* ---- Flatten and Dropout ----------------------------------------------- */

static void
test_flatten (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      TlRng rng;
      TlContext ctx = { 0 };
      g_autoptr (TlLayer) layer = NULL;
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      int shape[3];

      tl_rng_init (&rng, seed);
      for (int i = 0; i < 3; i++)
        shape[i] = rand_between (&rng, 1, 4);
      layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, 3, shape, seed);
      g_assert_cmpint (layer->out_ndim, ==, 1);
      g_assert_cmpint (layer->out_shape[0], ==, shape[0] * shape[1] * shape[2]);
      in = random_input (2, 3, shape, &rng);
      tl_layer_forward (layer, &ctx, in, out);
      g_assert_cmpint (out->ndim, ==, 2);
      g_assert_cmpmem (out->data, out->size * sizeof (float), in->data, in->size * sizeof (float));
      check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
    }
}

static void
test_dropout (void)
{
  const float p = 0.3f;
  g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_DROPOUT, .rate = p },
                                          1, (int[]) { 1000 }, 1);
  g_autoptr (TlTensor) in = tl_tensor_new_2d (20, 1000);
  g_autoptr (TlTensor) out = tl_tensor_new_empty ();
  g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
  TlRng rng, drop_rng;
  TlContext ctx = { .training = FALSE, .rng = &drop_rng };
  gsize kept = 0;

  tl_rng_init (&rng, 3);
  tl_rng_init (&drop_rng, 4);
  fill_normal (in, &rng, 1.0f);
  for (gsize i = 0; i < in->size; i++)
    if (in->data[i] == 0.0f)
      in->data[i] = 1.0f;

  /* inference: identity */
  tl_layer_forward (layer, &ctx, in, out);
  g_assert_cmpmem (out->data, out->size * sizeof (float), in->data, in->size * sizeof (float));

  /* training: kept units scaled by 1/(1-p), about 1-p of them kept */
  ctx.training = TRUE;
  tl_layer_forward (layer, &ctx, in, out);
  for (gsize i = 0; i < in->size; i++)
    {
      if (out->data[i] != 0.0f)
        {
          g_assert_cmpfloat_with_epsilon (out->data[i], in->data[i] / (1.0f - p), 1e-5);
          kept++;
        }
    }
  g_test_message ("kept %.4f", (double) kept / in->size);
  g_assert_cmpfloat (fabs ((double) kept / in->size - (1.0 - p)), <, 0.01);

  /* the gradient follows the same mask */
  tl_layer_backward (layer, &ctx, in, out, in, grad_in);
  for (gsize i = 0; i < in->size; i++)
    g_assert_cmpfloat_with_epsilon (grad_in->data[i], out->data[i], 1e-6);

  /* a fixed mask (the same generator state) gives a checkable gradient */
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      g_autoptr (TlLayer) small = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_DROPOUT, .rate = 0.5f },
                                              2, (int[]) { 3, 4 }, seed);
      g_autoptr (TlTensor) x = random_input (3, 2, (int[]) { 3, 4 }, &rng);
      TlContext c2 = { 0 };
      check_gradients (small, &c2, x, TRUE, seed, 1e-2f);
    }

  g_assert_true (tl_layer_has_randomness (layer));
}

/* ---- Conv2D and MaxPool2D ---------------------------------------------- */

/* Direct convolution in double, for comparison. */
static double
naive_conv (const TlLayer *layer, const TlTensor *in, int b, int f, int oh, int ow)
{
  const int C = layer->in_shape[0], H = layer->in_shape[1], W = layer->in_shape[2];
  const int k = layer->spec.kernel, s = MAX (layer->spec.stride, 1), pad = layer->spec.padding;
  const float *w = layer->params[0].value->data;
  double sum = layer->params[1].value->data[f];

  for (int c = 0; c < C; c++)
    for (int i = 0; i < k; i++)
      for (int j = 0; j < k; j++)
        {
          int ih = oh * s - pad + i, iw = ow * s - pad + j;
          if (ih < 0 || ih >= H || iw < 0 || iw >= W)
            continue;
          sum += (double) w[((f * C + c) * k + i) * k + j]
                 * in->data[(((gsize) b * C + c) * H + ih) * W + iw];
        }
  return sum;
}

static void
assert_conv_matches_naive (TlLayer *layer, const TlTensor *in, const TlTensor *out, int b)
{
  const int F = layer->out_shape[0], OH = layer->out_shape[1], OW = layer->out_shape[2];

  for (int f = 0; f < F; f++)
    for (int oh = 0; oh < OH; oh++)
      for (int ow = 0; ow < OW; ow++)
        {
          double ref = naive_conv (layer, in, b, f, oh, ow);
          float got = out->data[(((gsize) b * F + f) * OH + oh) * OW + ow];
          g_assert_cmpfloat (fabs (got - ref), <, 1e-4 * (1 + fabs (ref)));
        }
}

static void
test_conv2d_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS + 3; seed++)
    {
      TlRng rng;
      TlContext ctx = { 0 };
      g_autoptr (TlLayer) layer = NULL;
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      TlLayerSpec spec = { .kind = TL_LAYER_CONV2D };
      int shape[3];

      tl_rng_init (&rng, seed);
      shape[0] = rand_between (&rng, 1, 3);
      shape[1] = rand_between (&rng, 3, 7);
      shape[2] = rand_between (&rng, 3, 7);
      spec.filters = rand_between (&rng, 1, 4);
      spec.kernel = rand_between (&rng, 1, 3);
      spec.stride = rand_between (&rng, 0, 2);
      spec.padding = rand_between (&rng, 0, 1);
      if (seed == 1)
        {
          spec.kernel = 3;      /* stride 2 with padding 1, as in downsampling stacks */
          spec.stride = 2;
          spec.padding = 1;
        }
      if (seed == 2)
        {
          /* output planes too large for the wide passes: the per-image pass */
          shape[1] = shape[2] = 10;
          spec.kernel = 2;
          spec.stride = 1;
          spec.padding = 0;
        }
      if (seed == 3 || seed == 4)
        {
          /* planes smaller than the kernel's reach: some taps read only the border */
          shape[1] = shape[2] = seed == 3 ? 1 : 2;
          spec.kernel = 3;
          spec.stride = seed == 3 ? 1 : 2;
          spec.padding = 1;
        }
      layer = make_layer (&spec, 3, shape, seed);
      in = random_input (rand_between (&rng, 1, 3), 3, shape, &rng);
      g_test_message ("conv %dx%dx%d filters %d kernel %d stride %d pad %d -> %dx%d", shape[0],
                      shape[1], shape[2], spec.filters, spec.kernel, spec.stride, spec.padding,
                      layer->out_shape[1], layer->out_shape[2]);

      tl_layer_forward (layer, &ctx, in, out);
      for (int b = 0; b < in->shape[0]; b++)
        assert_conv_matches_naive (layer, in, out, b);
      check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
    }
}

/* An output gradient that is mostly zero, as behind a ReLU and a max-pool,
 * takes the convolution's sparse path: its weight, bias and input gradients
 * must still match a direct computation in double. Padding and stride 2 too,
 * and a dense image between sparse ones in one group of images. */
static void
test_conv2d_sparse_gradient (void)
{
  for (int variant = 0; variant < 2; variant++)
    {
      /* output planes of 72 and 210 values: past the wide passes, which have no sparse path */
      const int shape[3] = { 5, 17, 16 };
      const TlLayerSpec spec = { .kind = TL_LAYER_CONV2D, .filters = 6, .kernel = 3,
                                 .stride = variant + 1, .padding = variant };
      g_autoptr (TlLayer) layer = make_layer (&spec, 3, shape, 31 + variant);
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      g_autoptr (TlTensor) grad_out = NULL;
      g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
      g_autoptr (GArray) ref_in = NULL;
      TlContext ctx = { .training = TRUE };
      const int B = 5, C = shape[0], H = shape[1], W = shape[2], k = 3, s = variant + 1, pad = variant;
      const int F = layer->out_shape[0], OH = layer->out_shape[1], OW = layer->out_shape[2];
      TlRng rng;

      tl_rng_init (&rng, 40 + variant);
      in = random_input (B, 3, shape, &rng);
      tl_layer_zero_grad (layer);
      tl_layer_forward (layer, &ctx, in, out);
      grad_out = tl_tensor_new (out->ndim, out->shape);
      /* image 1 is dense: its group switches from the sparse path to the dense one and back */
      for (gsize i = 0; i < grad_out->size; i++)
        {
          const float density = i / (grad_out->size / B) == 1 ? 0.9f : 0.15f;

          grad_out->data[i] = tl_rng_uniform (&rng) < density ? tl_rng_uniform_range (&rng, -1.0f, 1.0f) : 0.0f;
        }
      tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);

      ref_in = g_array_new (FALSE, TRUE, sizeof (double));
      g_array_set_size (ref_in, in->size);
      for (int f = 0; f < F; f++)
        {
          double db = 0.0;

          for (int c = 0; c < C; c++)
            for (int i = 0; i < k; i++)
              for (int j = 0; j < k; j++)
                {
                  const float w = layer->params[0].value->data[((f * C + c) * k + i) * k + j];
                  double dw = 0.0;

                  for (int b = 0; b < B; b++)
                    for (int oh = 0; oh < OH; oh++)
                      for (int ow = 0; ow < OW; ow++)
                        {
                          const int ih = oh * s - pad + i, iw = ow * s - pad + j;
                          const double g = grad_out->data[(((gsize) b * F + f) * OH + oh) * OW + ow];
                          const gsize at = (((gsize) b * C + c) * H + ih) * W + iw;

                          if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                            continue;
                          dw += g * in->data[at];
                          g_array_index (ref_in, double, at) += g * w;
                        }
                  g_assert_cmpfloat_with_epsilon (layer->params[0].grad->data[((f * C + c) * k + i) * k + j],
                                                  dw, 1e-4 * (1 + fabs (dw)));
                }
          for (int b = 0; b < B; b++)
            for (int q = 0; q < OH * OW; q++)
              db += grad_out->data[((gsize) b * F + f) * OH * OW + q];
          g_assert_cmpfloat_with_epsilon (layer->params[1].grad->data[f], db, 1e-4 * (1 + fabs (db)));
        }
      for (gsize i = 0; i < in->size; i++)
        g_assert_cmpfloat_with_epsilon (grad_in->data[i], g_array_index (ref_in, double, i),
                                        1e-4 * (1 + fabs (g_array_index (ref_in, double, i))));
    }
}

/* A batch larger than one im2col chunk gives the same outputs and gradients
 * as the samples one at a time. */
static void
test_conv2d_chunks (void)
{
  const int shape[3] = { 3, 32, 32 };
  const int batch = 200;
  g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4,
                                                           .kernel = 3, .padding = 1 }, 3, shape, 5);
  g_autoptr (TlTensor) in = NULL;
  g_autoptr (TlTensor) out = tl_tensor_new_empty ();
  g_autoptr (TlTensor) grad_out = NULL;
  g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
  g_autoptr (TlTensor) one_in = tl_tensor_new_empty ();
  g_autoptr (TlTensor) one_out = tl_tensor_new_empty ();
  g_autoptr (TlTensor) one_grad_out = tl_tensor_new_empty ();
  g_autoptr (TlTensor) one_grad_in = tl_tensor_new_empty ();
  g_autoptr (TlTensor) dw = NULL;
  g_autoptr (TlTensor) db = NULL;
  TlContext ctx = { .training = TRUE };
  TlRng rng;
  const gsize in_sample = 3 * 32 * 32, out_sample = 4 * 32 * 32;

  tl_rng_init (&rng, 9);
  in = random_input (batch, 3, shape, &rng);
  tl_layer_zero_grad (layer);
  tl_layer_forward (layer, &ctx, in, out);
  grad_out = tl_tensor_new (out->ndim, out->shape);
  fill_normal (grad_out, &rng, 1.0f);
  tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);
  dw = tl_tensor_copy (layer->params[0].grad);
  db = tl_tensor_copy (layer->params[1].grad);
  assert_conv_matches_naive (layer, in, out, batch - 1);

  tl_layer_zero_grad (layer);
  for (int b = 0; b < batch; b++)
    {
      tl_tensor_resize_batch (one_in, 1, 3, shape);
      memcpy (one_in->data, in->data + b * in_sample, in_sample * sizeof (float));
      tl_layer_forward (layer, &ctx, one_in, one_out);
      g_assert_cmpmem (one_out->data, out_sample * sizeof (float),
                       out->data + b * out_sample, out_sample * sizeof (float));
      tl_tensor_resize (one_grad_out, one_out->ndim, one_out->shape);
      memcpy (one_grad_out->data, grad_out->data + b * out_sample, out_sample * sizeof (float));
      tl_layer_backward (layer, &ctx, one_in, one_out, one_grad_out, one_grad_in);
      for (gsize i = 0; i < in_sample; i++)
        g_assert_cmpfloat (fabsf (one_grad_in->data[i] - grad_in->data[b * in_sample + i]), <, 1e-4f);
    }
  for (gsize i = 0; i < dw->size; i++)
    g_assert_cmpfloat (fabsf (dw->data[i] - layer->params[0].grad->data[i]), <,
                       1e-3f * (1.0f + fabsf (dw->data[i])));
  for (gsize i = 0; i < db->size; i++)
    g_assert_cmpfloat (fabsf (db->data[i] - layer->params[1].grad->data[i]), <,
                       1e-3f * (1.0f + fabsf (db->data[i])));
}

/* Small output planes take the wide passes: the images of a group side by
 * side in one product. A batch split into groups of several images gives the
 * outputs and gradients of the images one at a time:
 * - with and without a stride, with a ReLU fused;
 * - on planes of 1x1 and 2x2, where the padded kernel's outer taps read only the border;
 * - on planes of 8x8 and 4x4, whose groups the direct kernel computes (all but
 *   the batch's last, smaller group): two images of 8x8 outputs; 8 images of
 *   4x4; 32 images of 2x2 at a stride of 2. */
static void
test_conv2d_wide (void)
{
  static const int sides[] = { 7, 7, 7, 1, 2, 8, 4, 4 };
  static const int strides[] = { 1, 2, 1, 1, 2, 1, 1, 2 };

  for (int variant = 0; variant < (int) G_N_ELEMENTS (sides); variant++)
    {
      const int side = sides[variant];
      const int shape[3] = { 6, side, side };
      const int batch = 37;
      g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3,
                                                               .stride = strides[variant],
                                                               .padding = 1 },
                                              3, shape, 11 + variant);
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      g_autoptr (TlTensor) relu = tl_tensor_new_empty ();
      g_autoptr (TlTensor) grad_out = NULL;
      g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
      g_autoptr (TlTensor) one_in = tl_tensor_new_empty ();
      g_autoptr (TlTensor) one_out = tl_tensor_new_empty ();
      g_autoptr (TlTensor) one_relu = tl_tensor_new_empty ();
      g_autoptr (TlTensor) one_grad_out = tl_tensor_new_empty ();
      g_autoptr (TlTensor) one_grad_in = tl_tensor_new_empty ();
      g_autoptr (TlTensor) dw = NULL;
      g_autoptr (TlTensor) db = NULL;
      const gboolean fused = variant == 2;
      TlContext ctx = { .training = TRUE, .relu_out = fused ? relu : NULL, .relu_grad = fused };
      TlContext one_ctx = { .training = TRUE, .relu_out = fused ? one_relu : NULL, .relu_grad = fused };
      const gsize in_sample = (gsize) 6 * side * side;
      gsize out_sample;
      TlRng rng;

      tl_rng_init (&rng, 21 + variant);
      in = random_input (batch, 3, shape, &rng);
      tl_layer_zero_grad (layer);
      tl_layer_forward (layer, &ctx, in, out);
      out_sample = out->size / batch;
      g_assert_cmpuint (out_sample / 8, <=, 64);
      grad_out = tl_tensor_new (out->ndim, out->shape);
      fill_normal (grad_out, &rng, 1.0f);
      tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);
      dw = tl_tensor_copy (layer->params[0].grad);
      db = tl_tensor_copy (layer->params[1].grad);
      for (int b = 0; b < batch; b += 9)
        assert_conv_matches_naive (layer, in, out, b);

      tl_layer_zero_grad (layer);
      for (int b = 0; b < batch; b++)
        {
          tl_tensor_resize_batch (one_in, 1, 3, shape);
          memcpy (one_in->data, in->data + b * in_sample, in_sample * sizeof (float));
          tl_layer_forward (layer, &one_ctx, one_in, one_out);
          /* each output is the same sum in the same order in any group: the same bits */
          g_assert_cmpmem (one_out->data, out_sample * sizeof (float), out->data + b * out_sample,
                           out_sample * sizeof (float));
          if (fused)
            g_assert_cmpmem (one_relu->data, out_sample * sizeof (float), relu->data + b * out_sample,
                             out_sample * sizeof (float));
          tl_tensor_resize (one_grad_out, one_out->ndim, one_out->shape);
          memcpy (one_grad_out->data, grad_out->data + b * out_sample, out_sample * sizeof (float));
          /* the batch's own outputs, so that the fused ReLU passes the same gradients */
          memcpy (one_out->data, out->data + b * out_sample, out_sample * sizeof (float));
          tl_layer_backward (layer, &one_ctx, one_in, one_out, one_grad_out, one_grad_in);
          for (gsize i = 0; i < in_sample; i++)
            g_assert_cmpfloat (fabsf (one_grad_in->data[i] - grad_in->data[b * in_sample + i]), <, 1e-4f);
        }
      for (gsize i = 0; i < dw->size; i++)
        g_assert_cmpfloat (fabsf (dw->data[i] - layer->params[0].grad->data[i]), <,
                           1e-4f * (1.0f + fabsf (dw->data[i])));
      for (gsize i = 0; i < db->size; i++)
        g_assert_cmpfloat (fabsf (db->data[i] - layer->params[1].grad->data[i]), <,
                           1e-4f * (1.0f + fabsf (db->data[i])));
    }
}

/* The direct kernel's two tiles, AVX-512's blocks of 16 and the halves of 8
 * other hosts take, give the same bits, and the naive sums: 13 filters (a
 * partial tile), 8x8 and 4x4 planes, a stride of 2. */
static void
test_conv2d_direct_tiles (void)
{
  static const int sides[] = { 8, 4, 8 };
  static const int strides[] = { 1, 1, 2 };

  for (int variant = 0; variant < (int) G_N_ELEMENTS (sides); variant++)
    {
      const int shape[3] = { 5, sides[variant], sides[variant] };
      g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 13, .kernel = 3,
                                                               .stride = strides[variant], .padding = 1 },
                                              3, shape, 41 + variant);
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) wide = tl_tensor_new_empty ();
      g_autoptr (TlTensor) halves = tl_tensor_new_empty ();
      TlContext ctx = { .training = FALSE };
      TlRng rng;

      tl_rng_init (&rng, 51 + variant);
      in = random_input (35, 3, shape, &rng);
      tl_conv2d_direct_set_tiles (TL_CONV2D_TILES_WIDE);
      tl_layer_forward (layer, &ctx, in, wide);
      tl_conv2d_direct_set_tiles (TL_CONV2D_TILES_HALVES);
      tl_layer_forward (layer, &ctx, in, halves);
      tl_conv2d_direct_set_tiles (TL_CONV2D_TILES_HOST);
      g_assert_cmpuint (wide->size / 35, <=, 13 * 64);
      g_assert_cmpmem (wide->data, wide->size * sizeof (float), halves->data, halves->size * sizeof (float));
      for (int b = 0; b < 35; b += 6)
        assert_conv_matches_naive (layer, in, halves, b);
    }
}

/* Whether kernel tap (i, j) reads the image for some output cell, by brute force. */
static gboolean
tap_reads_image (int i, int j, int side, int k, int stride, int pad)
{
  const int out = (side + 2 * pad - k) / stride + 1;

  for (int oh = 0; oh < out; oh++)
    for (int ow = 0; ow < out; ow++)
      {
        const int ih = oh * stride - pad + i, iw = ow * stride - pad + j;
        if (ih >= 0 && ih < side && iw >= 0 && iw < side)
          return TRUE;
      }
  return FALSE;
}

/* A convolution declares as its weights' support the taps that read the image
 * (their bounding rows and columns: a tap between two live ones may be dead),
 * and every tap that never does gets a zero gradient, bit for bit. */
static void
test_conv2d_support (void)
{
  for (int side = 1; side <= 9; side += 2)
    for (int k = 3; k <= 5; k += 2)
      for (int stride = 1; stride <= 2; stride++)
        for (int pad = 0; pad <= k / 2 + 1; pad++)
          {
            const int shape[3] = { 2, side, side };
            g_autoptr (TlLayer) layer = NULL;
            g_autoptr (TlTensor) in = NULL;
            g_autoptr (TlTensor) out = tl_tensor_new_empty ();
            g_autoptr (TlTensor) grad_out = NULL;
            TlContext ctx = { .training = TRUE };
            const TlParamSupport *sup;
            int i0 = k, i1 = 0, j0 = k, j1 = 0, next = 0;
            TlRng rng;

            if (side + 2 * pad < k)
              continue;
            layer = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 3, .kernel = k,
                                                 .stride = stride, .padding = pad }, 3, shape, 5);
            sup = layer->params[0].support;
            for (int t = 0; t < k * k; t++)
              if (tap_reads_image (t / k, t % k, side, k, stride, pad))
                {
                  i0 = MIN (i0, t / k), i1 = MAX (i1, t / k + 1);
                  j0 = MIN (j0, t % k), j1 = MAX (j1, t % k + 1);
                }
            if ((i1 - i0) * (j1 - j0) == k * k)
              g_assert_null (sup);
            else
              {
                g_assert_nonnull (sup);
                g_assert_cmpint (sup->period, ==, k * k);
                g_assert_cmpint (sup->n_live, ==, (i1 - i0) * (j1 - j0));
                for (int i = i0; i < i1; i++)
                  for (int j = j0; j < j1; j++)
                    g_assert_cmpint (sup->live[next++], ==, i * k + j);
              }

            tl_rng_init (&rng, side * 100 + k * 10 + stride + pad);
            in = random_input (5, 3, shape, &rng);
            tl_layer_zero_grad (layer);
            tl_layer_forward (layer, &ctx, in, out);
            grad_out = tl_tensor_new (out->ndim, out->shape);
            fill_normal (grad_out, &rng, 1.0f);
            tl_layer_backward (layer, &ctx, in, out, grad_out, NULL);
            for (gsize e = 0; e < layer->params[0].grad->size; e++)
              {
                const int t = (int) (e % (gsize) (k * k));
                if (!tap_reads_image (t / k, t % k, side, k, stride, pad))
                  g_assert_cmpfloat (layer->params[0].grad->data[e], ==, 0.0f);
                else
                  g_assert_cmpfloat (layer->params[0].grad->data[e], !=, 0.0f);
              }
          }
}

static void
test_maxpool2d_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS + 2; seed++)
    {
      TlRng rng;
      TlContext ctx = { 0 };
      g_autoptr (TlLayer) layer = NULL;
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      TlLayerSpec spec = { .kind = TL_LAYER_MAXPOOL2D };
      int shape[3];

      tl_rng_init (&rng, seed);
      shape[0] = rand_between (&rng, 1, 3);
      shape[1] = rand_between (&rng, 3, 8);
      shape[2] = rand_between (&rng, 3, 8);
      spec.kernel = rand_between (&rng, 2, 3);
      spec.stride = seed == 1 ? 0 : rand_between (&rng, 1, 2);
      /* padded as after a residual network's first convolution (3x3, stride 2, padding 1) */
      spec.padding = seed >= 3 ? 1 : 0;
      if (seed >= 3)
        spec.kernel = 3;
      layer = make_layer (&spec, 3, shape, seed);
      in = random_input (rand_between (&rng, 1, 3), 3, shape, &rng);
      fill_distinct (in, &rng, 0.1f);

      /* an inference pass keeps no winners and takes another loop: both give every window's largest input */
      for (int training = 0; training <= 1; training++)
        {
          ctx.training = training;
          tl_layer_forward (layer, &ctx, in, out);
          for (gsize i = 0; i < out->size; i++)
            {
              gsize plane = i / ((gsize) layer->out_shape[1] * layer->out_shape[2]);
              int oh = (int) (i / layer->out_shape[2] % layer->out_shape[1]);
              int ow = (int) (i % layer->out_shape[2]);
              int s = spec.stride ? spec.stride : spec.kernel;
              float max = -G_MAXFLOAT;
              for (int a = 0; a < spec.kernel; a++)
                for (int c = 0; c < spec.kernel; c++)
                  {
                    const int h = oh * s - spec.padding + a, w = ow * s - spec.padding + c;

                    if (h >= 0 && h < shape[1] && w >= 0 && w < shape[2])
                      max = MAX (max, in->data[plane * shape[1] * shape[2] + h * shape[2] + w]);
                  }
              g_assert_cmpfloat (out->data[i], ==, max);
            }
        }
      check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
    }
}

/* ---- freezing, shapes, errors ------------------------------------------ */

static TlLayer *
layer_for_kind (TlLayerKind kind, int *ndim, int *shape, TlTensor **in, TlRng *rng)
{
  TlLayerSpec spec = { .kind = kind };
  TlLayer *layer;

  switch (kind)
    {
    case TL_LAYER_DENSE:
      spec.units = 4;
      *ndim = 1;
      shape[0] = 5;
      break;
    case TL_LAYER_CONV2D:
      spec.filters = 3;
      spec.kernel = 3;
      spec.padding = 1;
      *ndim = 3;
      shape[0] = 2, shape[1] = 5, shape[2] = 4;
      break;
    case TL_LAYER_EMBEDDING:
      spec.vocab_size = 6;
      spec.embed_dim = 3;
      *ndim = 1;
      shape[0] = 4;
      break;
    case TL_LAYER_LSTM:
    case TL_LAYER_GRU:
      spec.units = 3;
      spec.return_sequences = TRUE;
      *ndim = 2;
      shape[0] = 4, shape[1] = 2;
      break;
    default:
      g_assert_not_reached ();
    }
  layer = make_layer (&spec, *ndim, shape, 21);
  *in = random_input (3, *ndim, shape, rng);
  if (kind == TL_LAYER_EMBEDDING)
    for (gsize i = 0; i < (*in)->size; i++)
      (*in)->data[i] = (float) (1 + tl_rng_below (rng, 5));
  return layer;
}

static void
test_frozen (void)
{
  const TlLayerKind kinds[] = { TL_LAYER_DENSE, TL_LAYER_CONV2D, TL_LAYER_EMBEDDING,
                                TL_LAYER_LSTM, TL_LAYER_GRU };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      TlRng rng;
      TlContext ctx = { .training = TRUE };
      int ndim, shape[3];
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlLayer) layer = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      g_autoptr (TlTensor) grad_out = NULL;
      g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
      g_autoptr (TlTensor) grad_in_frozen = tl_tensor_new_empty ();
      TlTensor *once[TL_LAYER_MAX_PARAMS];

      tl_rng_init (&rng, 30 + k);
      layer = layer_for_kind (kinds[k], &ndim, shape, &in, &rng);
      tl_layer_forward (layer, &ctx, in, out);
      grad_out = tl_tensor_new (out->ndim, out->shape);
      fill_normal (grad_out, &rng, 1.0f);

      /* trainable: gradients appear, and a second backward adds to them */
      tl_layer_zero_grad (layer);
      tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);
      for (int p = 0; p < layer->n_params; p++)
        {
          double norm = 0.0;
          once[p] = tl_tensor_copy (layer->params[p].grad);
          for (gsize i = 0; i < once[p]->size; i++)
            norm += fabsf (once[p]->data[i]);
          g_assert_cmpfloat (norm, >, 0.0);
        }
      tl_layer_forward (layer, &ctx, in, out);
      tl_layer_backward (layer, &ctx, in, out, grad_out, NULL);
      for (int p = 0; p < layer->n_params; p++)
        {
          for (gsize i = 0; i < once[p]->size; i++)
            g_assert_cmpfloat (fabsf (layer->params[p].grad->data[i] - 2 * once[p]->data[i]), <=,
                               1e-5f * (1 + fabsf (once[p]->data[i])));
          tl_tensor_free (once[p]);
        }

      /* frozen: the parameter gradients stay as they were, the input gradient is the same */
      layer->trainable = FALSE;
      for (int p = 0; p < layer->n_params; p++)
        tl_tensor_fill (layer->params[p].grad, 0.25f);
      tl_layer_forward (layer, &ctx, in, out);
      tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in_frozen);
      for (int p = 0; p < layer->n_params; p++)
        for (gsize i = 0; i < layer->params[p].grad->size; i++)
          g_assert_cmpfloat (layer->params[p].grad->data[i], ==, 0.25f);
      g_assert_true (tl_tensor_same_shape (grad_in, grad_in_frozen));
      g_assert_cmpmem (grad_in->data, grad_in->size * sizeof (float),
                       grad_in_frozen->data, grad_in_frozen->size * sizeof (float));
    }
}

static void
assert_out_shape (const TlLayerSpec *spec, int in_ndim, const int *in_shape, int out_ndim, const int *out_shape)
{
  g_autoptr (TlLayer) layer = make_layer (spec, in_ndim, in_shape, 1);
  g_autoptr (TlTensor) in = NULL;
  g_autoptr (TlTensor) out = tl_tensor_new_empty ();
  TlContext ctx = { 0 };
  TlRng rng;

  g_assert_cmpint (layer->out_ndim, ==, out_ndim);
  for (int i = 0; i < out_ndim; i++)
    g_assert_cmpint (layer->out_shape[i], ==, out_shape[i]);

  /* the forward agrees, for a batch of 2 */
  tl_rng_init (&rng, 2);
  in = random_input (2, in_ndim, in_shape, &rng);
  if (spec->kind == TL_LAYER_EMBEDDING)
    tl_tensor_fill (in, 1.0f);
  tl_layer_forward (layer, &ctx, in, out);
  g_assert_cmpint (out->ndim, ==, out_ndim + 1);
  g_assert_cmpint (out->shape[0], ==, 2);
  for (int i = 0; i < out_ndim; i++)
    g_assert_cmpint (out->shape[i + 1], ==, out_shape[i]);
}

static void
test_output_shapes (void)
{
  TlLayerSpec conv = { .kind = TL_LAYER_CONV2D, .filters = 32, .kernel = 3, .padding = 1 };
  TlLayerSpec conv_s2 = { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3, .stride = 2, .padding = 1 };
  TlLayerSpec conv_valid = { .kind = TL_LAYER_CONV2D, .filters = 6, .kernel = 5 };
  TlLayerSpec pool = { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 };
  TlLayerSpec pool_overlap = { .kind = TL_LAYER_MAXPOOL2D, .kernel = 3, .stride = 2 };
  TlLayerSpec lstm = { .kind = TL_LAYER_LSTM, .units = 64 };
  TlLayerSpec gru_seq = { .kind = TL_LAYER_GRU, .units = 16, .return_sequences = TRUE };
  TlLayerSpec embed = { .kind = TL_LAYER_EMBEDDING, .vocab_size = 100, .embed_dim = 8 };

  assert_out_shape (&conv, 3, (int[]) { 1, 28, 28 }, 3, (int[]) { 32, 28, 28 });
  assert_out_shape (&conv_s2, 3, (int[]) { 3, 28, 27 }, 3, (int[]) { 8, 14, 14 });
  assert_out_shape (&conv_valid, 3, (int[]) { 1, 28, 28 }, 3, (int[]) { 6, 24, 24 });
  assert_out_shape (&pool, 3, (int[]) { 32, 28, 28 }, 3, (int[]) { 32, 14, 14 });
  assert_out_shape (&pool, 3, (int[]) { 64, 7, 7 }, 3, (int[]) { 64, 3, 3 });
  assert_out_shape (&pool_overlap, 3, (int[]) { 2, 28, 28 }, 3, (int[]) { 2, 13, 13 });
  assert_out_shape (&lstm, 2, (int[]) { 20, 8 }, 1, (int[]) { 64 });
  assert_out_shape (&gru_seq, 2, (int[]) { 20, 8 }, 2, (int[]) { 20, 16 });
  assert_out_shape (&embed, 1, (int[]) { 20 }, 2, (int[]) { 20, 8 });
  assert_out_shape (&(TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL1D }, 2, (int[]) { 20, 8 }, 1, (int[]) { 8 });
  assert_out_shape (&(TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, 3, (int[]) { 64, 7, 7 }, 1, (int[]) { 3136 });
  assert_out_shape (&(TlLayerSpec) { .kind = TL_LAYER_SOFTMAX }, 2, (int[]) { 3, 5 }, 2, (int[]) { 3, 5 });
}

static void
assert_bad_shape (const TlLayerSpec *spec, int in_ndim, const int *in_shape, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlLayer) layer = NULL;
  TlRng rng;

  tl_rng_init (&rng, 1);
  layer = tl_layer_new (spec, NULL, in_ndim, in_shape, &rng, &error);
  g_assert_null (layer);
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, needle));
}

static void
test_bad_shapes (void)
{
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 10 }, 3, (int[]) { 1, 28, 28 },
                    "dense expects a flat input of features, got [1, 28, 28]: add a flatten layer");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 0 }, 1, (int[]) { 5 }, "unit");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3 }, 1, (int[]) { 784 },
                    "got [784]");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 5 }, 3, (int[]) { 1, 3, 3 },
                    "does not fit");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 4 }, 3, (int[]) { 1, 3, 3 },
                    "does not fit");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, 2, (int[]) { 3, 3 }, "got [3, 3]");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_EMBEDDING, .vocab_size = 10, .embed_dim = 4 },
                    2, (int[]) { 10, 4 }, "token ids");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_EMBEDDING, .vocab_size = 1, .embed_dim = 4 },
                    1, (int[]) { 10 }, "vocabulary");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_LSTM, .units = 8 }, 1, (int[]) { 100 },
                    "put an embedding layer before it");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_GRU, .units = 8 }, 3, (int[]) { 1, 2, 3 }, "got [1, 2, 3]");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_GLOBAL_MAX_POOL1D }, 1, (int[]) { 100 }, "[steps, features]");
  assert_bad_shape (&(TlLayerSpec) { .kind = TL_LAYER_DROPOUT, .rate = 1.0f }, 1, (int[]) { 10 }, "below 1");
}

/* ---- the activations' exp ---------------------------------------------- */

static void
test_fast_math (void)
{
  double worst_exp = 0.0, worst_tanh = 0.0, worst_sigmoid = 0.0;

  for (int i = 0; i <= 200000; i++)
    {
      float x = -80.0f + 160.0f * (float) i / 200000.0f;
      double e = exp ((double) x);

      worst_exp = MAX (worst_exp, fabs (tl_fast_expf (x) - e) / e);
      worst_tanh = MAX (worst_tanh, fabs (tl_fast_tanhf (x) - tanh ((double) x)));
      worst_sigmoid = MAX (worst_sigmoid, fabs (tl_fast_sigmoidf (x) - 1.0 / (1.0 + exp (-(double) x))));
    }
  g_test_message ("exp relative %.2e, tanh absolute %.2e, sigmoid absolute %.2e",
                  worst_exp, worst_tanh, worst_sigmoid);
  g_assert_cmpfloat (worst_exp, <, 5e-7);
  g_assert_cmpfloat (worst_tanh, <, 5e-7);
  g_assert_cmpfloat (worst_sigmoid, <, 2e-7);
  /* saturation stays finite */
  g_assert_cmpfloat (tl_fast_tanhf (1e4f), ==, 1.0f);
  g_assert_cmpfloat (tl_fast_tanhf (-1e4f), ==, -1.0f);
  g_assert_cmpfloat (tl_fast_sigmoidf (-1e4f), >=, 0.0f);
  g_assert_cmpfloat (tl_fast_sigmoidf (1e4f), ==, 1.0f);

  /* the four-wide forms give the scalar results */
  for (int i = 0; i < 4000; i++)
    {
      float x[4], e[4], s[4], t[4];
      for (int k = 0; k < 4; k++)
        x[k] = -100.0f + 200.0f * (float) (i * 4 + k) / 16000.0f;
      tl_v4_store (e, tl_v4_exp (tl_v4_load (x)));
      tl_v4_store (s, tl_v4_sigmoid (tl_v4_load (x)));
      tl_v4_store (t, tl_v4_tanh (tl_v4_load (x)));
      for (int k = 0; k < 4; k++)
        {
          g_assert_cmpfloat (e[k], ==, tl_fast_expf (x[k]));
          g_assert_cmpfloat (s[k], ==, tl_fast_sigmoidf (x[k]));
          g_assert_cmpfloat (t[k], ==, tl_fast_tanhf (x[k]));
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/layers/fast-math", test_fast_math);
  g_test_add_func ("/layers/dense/forward", test_dense_forward_values);
  g_test_add_func ("/layers/dense/gradients", test_dense_gradients);
  g_test_add_func ("/layers/activation/gradients", test_activation_gradients);
  g_test_add_func ("/layers/activation/softmax-rows", test_softmax_rows);
  g_test_add_func ("/layers/flatten", test_flatten);
  g_test_add_func ("/layers/dropout", test_dropout);
  g_test_add_func ("/layers/conv2d/gradients", test_conv2d_gradients);
  g_test_add_func ("/layers/conv2d/chunks", test_conv2d_chunks);
  g_test_add_func ("/layers/conv2d/wide", test_conv2d_wide);
  g_test_add_func ("/layers/conv2d/direct-tiles", test_conv2d_direct_tiles);
  g_test_add_func ("/layers/conv2d/support", test_conv2d_support);
  g_test_add_func ("/layers/conv2d/sparse-gradient", test_conv2d_sparse_gradient);
  g_test_add_func ("/layers/maxpool2d/gradients", test_maxpool2d_gradients);
  add_sequence_layer_tests ();
  add_vision_layer_tests ();
  g_test_add_func ("/layers/frozen", test_frozen);
  g_test_add_func ("/layers/output-shapes", test_output_shapes);
  g_test_add_func ("/layers/bad-shapes", test_bad_shapes);

  return g_test_run ();
}
