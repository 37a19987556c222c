#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-conv2d-private.h"
#include "tl-fastmath.h"
#include "tl-layer-kinds.h"
#include "tl-parallel.h"

/* 2-D convolution over NCHW batches by im2col, one image at a time: the
 * patches of an image become a matrix [C*k*k, Ho*Wo], and one product with the
 * weight [F, C*k*k] writes the image's output planes in place. An image's
 * patches and patch gradients fit in L2, and its products run at full speed.
 * Images go to the thread pool in groups whose size depends on the batch
 * alone; weight gradients add up per group, then the groups in order, so the
 * result does not depend on the number of threads.
 * When the model fuses a following ReLU and 2x2 max-pool (TlContext), each
 * image's planes are pooled while they are in cache (tl-conv2d-relu-pool.c).
 * Small output planes take the wide passes instead (tl-conv2d-wide.c), fused
 * or not, so that a fused and an unfused model compute the same bits. */

/* Images per group: at least 4, and at most 16 groups. */
static int
group_size (int batch)
{
  return MAX (4, (batch + 15) / 16);
}

/* What the groups of one pass share. */
typedef struct {
  Conv2D      *cv;
  const float *in, *w, *bias, *grad_out;
  const float *out_values;  /* backward through a fused ReLU: the layer's output */
  float       *out, *grad_in;
  float       *relu_out;    /* forward with a fused ReLU */
  float       *pool_out;    /* forward with a fused ReLU and pool */
  int          batch, group;
  gboolean     weights;
  gboolean     pooled;      /* backward: grad_out is the gradient at the fused pool's output */
  gboolean     sparse_ok;   /* backward: patches are large enough for the sparse path */
} ConvPass;

static void
forward_groups (gpointer data, gsize g0, gsize g1)
{
  const ConvPass *cp = data;
  Conv2D *cv = cp->cv;
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;
  const int OH = cv->out_h / 2, OW = cv->out_w / 2, Q = OH * OW;
  const gsize in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;

  for (gsize g = g0; g < g1; g++)
    {
      float *col = cv->col->data + g * (gsize) K * P;
      const int last = MIN (cp->batch, (int) (g + 1) * cp->group);

      for (int b = (int) g * cp->group; b < last; b++)
        {
          /* before a fused pool the planes stay in this image's cache-sized buffer */
          float *out = cp->pool_out != NULL ? cv->gmask->data + g * F * P : cp->out + (gsize) b * F * P;

          tl_conv2d_patches (cv, cp->in + b * in_sample, col, P);
          tl_conv2d_bias_rows (out, cp->bias, F, P);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, F, P, K,
                       1.0f, cp->w, K, col, P, 1.0f, out, P);
          if (cp->pool_out != NULL)
            tl_conv2d_relu_pool (out, cp->pool_out + (gsize) b * F * Q, cv->code + (gsize) b * F * Q,
                              F, cv->out_h, cv->out_w, OH, OW);
          else if (cp->relu_out != NULL)
            tl_conv2d_relu_pass (out, out, cp->relu_out + (gsize) b * F * P, (gsize) F * P);
        }
    }
}

static void
conv2d_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  Conv2D *cv = layer->priv;
  const int batch = in->shape[0];
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;
  const gsize in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;
  ConvPass cp = {
    .cv = cv, .in = in->data, .w = layer->params[0].value->data, .bias = layer->params[1].value->data,
    .batch = batch, .group = group_size (batch),
  };
  const int groups = (batch + cp.group - 1) / cp.group;
  const gboolean pooled = ctx != NULL && ctx->pool_out != NULL;

  g_assert (in->size == (gsize) batch * in_sample);
  tl_tensor_resize (out, 4, (int[]) { pooled ? 0 : batch, F, cv->out_h, cv->out_w });
  if (pooled)
    {
      const gsize n_codes = (gsize) batch * F * (cv->out_h / 2) * (cv->out_w / 2);

      g_return_if_fail (cv->out_h >= 2 && cv->out_w >= 2);
      tl_tensor_resize (ctx->pool_out, 4, (int[]) { batch, F, cv->out_h / 2, cv->out_w / 2 });
      if (n_codes > cv->code_capacity)
        {
          g_free (cv->code);
          cv->code = g_new (guint8, n_codes);
          cv->code_capacity = n_codes;
        }
      cp.pool_out = ctx->pool_out->data;
    }
  if (batch == 0)
    return;
  cp.out = out->data;
  if (!pooled && ctx != NULL && ctx->relu_out != NULL)
    {
      tl_tensor_resize (ctx->relu_out, out->ndim, out->shape);
      cp.relu_out = ctx->relu_out->data;
    }
  if (P <= TL_CONV2D_WIDE_MAX_P)
    {
      tl_conv2d_wide_forward (cv, &(TlConv2dWide) { .in = cp.in, .w = cp.w, .bias = cp.bias, .out = cp.out,
                                                    .relu_out = cp.relu_out, .pool_out = cp.pool_out,
                                                    .batch = batch });
      return;
    }
  tl_tensor_resize (cv->col, 2, (int[]) { groups, K * P });
  if (pooled)
    tl_tensor_resize (cv->gmask, 2, (int[]) { groups * F, P });
  tl_parallel_for (groups, 1, forward_groups, &cp);
}

static void
backward_groups (gpointer data, gsize g0, gsize g1)
{
  const ConvPass *cp = data;
  Conv2D *cv = cp->cv;
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;
  const int OH = cv->out_h / 2, OW = cv->out_w / 2, Q = OH * OW;
  const gsize in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;

  for (gsize g = g0; g < g1; g++)
    {
      float *col = cv->col->data + g * (gsize) K * P;
      float *dcol = cv->dcol->data != NULL ? cv->dcol->data + g * K * P : NULL;   /* none without grad_in */
      float *wp = cp->weights ? cv->wpart->data + g * F * K : NULL;
      float *wpt = cp->sparse_ok && cp->weights ? cv->wpart_t->data + g * F * K : NULL;
      float *bp = cp->weights ? cv->bpart->data + g * F : NULL;
      float *padded = cp->sparse_ok ? cv->padded->data + g * tl_conv2d_padded_size (cv) : NULL;
      float *vals = cp->sparse_ok ? cv->vals + g * MAX (F, P) : NULL;
      const float **rows = cp->sparse_ok ? cv->rows + g * MAX (F, P) : NULL;
      const int first = (int) g * cp->group, last = MIN (cp->batch, first + cp->group);
      /* the group's weight gradient is held taps first while sparse images add into it */
      gboolean taps_first = FALSE;

      for (int b = first; b < last; b++)
        {
          const float *gout;
          gboolean sparse;

          if (cp->pooled)
            {
              float *masked = cv->gmask->data + g * F * P;

              tl_conv2d_unpool_relu (cp->grad_out + (gsize) b * F * Q, cv->code + (gsize) b * F * Q,
                                  masked, F, cv->out_h, cv->out_w, OH, OW);
              gout = masked;
            }
          else if (cp->out_values != NULL)
            {
              float *masked = cv->gmask->data + g * F * P;

              tl_conv2d_relu_pass (cp->out_values + (gsize) b * F * P, cp->grad_out + (gsize) b * F * P,
                         masked, (gsize) F * P);
              gout = masked;
            }
          else
            gout = cp->grad_out + (gsize) b * F * P;

          sparse = cp->sparse_ok
                   && tl_conv2d_count_nonzero (gout, F, P, cv->used + g * P) * 4 <= (gsize) F * P;
          if (cp->weights)
            {
              if (sparse)
                {
                  if (!taps_first && b != first)
                    tl_conv2d_taps_first (cv, wp, wpt);
                  taps_first = TRUE;
                  tl_conv2d_sparse_weight_grad (cv, cp->in + b * in_sample, gout, b != first, wpt,
                                                padded, vals, rows);
                }
              else
                {
                  if (taps_first)
                    tl_conv2d_channels_first (cv, wpt, wp);
                  taps_first = FALSE;
                  tl_conv2d_patches (cv, cp->in + b * in_sample, col, P);
                  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, F, K, P,
                               1.0f, gout, P, col, P, b == first ? 0.0f : 1.0f, wp, K);
                }
              for (int f = 0; f < F; f++)
                {
                  float sum = tl_conv2d_sum (gout + (gsize) f * P, P);
                  bp[f] = b == first ? sum : bp[f] + sum;
                }
            }
          if (cp->grad_in != NULL)
            {
              float *gin = cp->grad_in + b * in_sample;

              if (sparse)
                {
                  tl_conv2d_sparse_input_grad (cv, cv->wt->data, gout, cv->used + g * P, gin, padded,
                                               dcol, vals, rows);
                  continue;
                }
              cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, P, F,
                           1.0f, cp->w, K, gout, P, 0.0f, dcol, P);
              memset (gin, 0, sizeof (float) * in_sample);
              tl_conv2d_unpatches (cv, &tl_conv2d_all_taps (cv), dcol, gin, P);
            }
        }
      if (taps_first)
        tl_conv2d_channels_first (cv, wpt, wp);
    }
}

/* The weight and bias gradients of the groups, added in group order. */
static void
add_group_gradients (TlLayer *layer, Conv2D *cv, int groups)
{
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k;
  float *dw = layer->params[0].grad->data;
  float *db = layer->params[1].grad->data;

  for (int g = 0; g < groups; g++)
    {
      const float *restrict wp = cv->wpart->data + (gsize) g * F * K;
      const float *restrict bp = cv->bpart->data + (gsize) g * F;

      for (gsize i = 0; i < (gsize) F * K; i++)
        dw[i] += wp[i];
      for (int f = 0; f < F; f++)
        db[f] += bp[f];
    }
}

static void
backward_per_image (Conv2D *cv, const TlContext *ctx, const TlTensor *out, ConvPass *cp, int groups)
{
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;

  if (ctx != NULL && ctx->pool_grad)
    {
      g_assert (cv->code_capacity >= (gsize) cp->batch * F * (cv->out_h / 2) * (cv->out_w / 2));
      cp->pooled = TRUE;
      tl_tensor_resize (cv->gmask, 2, (int[]) { groups * F, P });
    }
  else if (ctx != NULL && ctx->relu_grad)
    {
      g_assert (out->size == (gsize) cp->batch * F * P);
      cp->out_values = out->data;
      tl_tensor_resize (cv->gmask, 2, (int[]) { groups * F, P });
    }
  tl_tensor_resize (cv->col, 2, (int[]) { groups, K * P });
  cp->sparse_ok = K >= TL_CONV2D_SPARSE_MIN_K;
  if (cp->sparse_ok)
    tl_conv2d_sparse_prepare (cv, groups, cp->w, cp->weights, cp->grad_in != NULL);
  if (cp->grad_in != NULL)
    tl_tensor_resize (cv->dcol, 2, (int[]) { groups * K, P });
  tl_parallel_for (groups, 1, backward_groups, cp);
}

static void
conv2d_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                 const TlTensor *grad_out, TlTensor *grad_in)
{
  Conv2D *cv = layer->priv;
  const int batch = in->shape[0];
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;
  ConvPass cp = {
    .cv = cv, .in = in->data, .w = layer->params[0].value->data, .grad_out = grad_out->data,
    .batch = batch, .group = group_size (batch), .weights = layer->trainable,
  };
  const gboolean wide = P <= TL_CONV2D_WIDE_MAX_P;
  const int groups = wide ? tl_conv2d_wide_groups (cv, batch) : (batch + cp.group - 1) / cp.group;

  if (grad_in != NULL)
    tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (batch == 0 || (!cp.weights && grad_in == NULL))
    return;

  cp.grad_in = grad_in != NULL ? grad_in->data : NULL;
  if (cp.weights && !(wide && groups == 1))
    {
      tl_tensor_resize (cv->wpart, 2, (int[]) { groups * F, K });
      tl_tensor_resize (cv->bpart, 2, (int[]) { groups, F });
    }
  if (wide)
    {
      const gboolean pooled = ctx != NULL && ctx->pool_grad;

      g_assert (!pooled || cv->code_capacity >= grad_out->size);
      g_assert (pooled || ctx == NULL || !ctx->relu_grad || out->size == grad_out->size);
      tl_conv2d_wide_backward (cv, &(TlConv2dWide) {
        .in = cp.in, .w = cp.w, .grad_out = cp.grad_out, .grad_in = cp.grad_in, .weights = cp.weights,
        .out_values = !pooled && ctx != NULL && ctx->relu_grad ? out->data : NULL, .pooled = pooled,
        .dw = cp.weights && groups == 1 ? layer->params[0].grad->data : NULL,
        .db = cp.weights && groups == 1 ? layer->params[1].grad->data : NULL, .batch = batch });
      if (cp.weights && groups > 1)
        add_group_gradients (layer, cv, groups);
      return;
    }
  backward_per_image (cv, ctx, out, &cp, groups);
  if (cp.weights)
    add_group_gradients (layer, cv, groups);
}

static void
conv2d_finalize (TlLayer *layer)
{
  Conv2D *cv = layer->priv;

  tl_tensor_free (cv->col);
  tl_tensor_free (cv->dcol);
  tl_tensor_free (cv->wpart);
  tl_tensor_free (cv->bpart);
  tl_tensor_free (cv->gmask);
  tl_tensor_free (cv->kept);
  tl_tensor_free (cv->packed);
  tl_tensor_free (cv->wlive);
  tl_tensor_free (cv->wt);
  tl_tensor_free (cv->wpart_t);
  tl_tensor_free (cv->padded);
  g_free (cv->code);
  g_free (cv->vals);
  g_free (cv->rows);
  g_free (cv->used);
  g_free (cv);
}

static const TlLayerOps conv2d_ops = { conv2d_forward, conv2d_backward, conv2d_finalize };

/* Taps that only ever read the zero border get no gradient: the kernel's
 * support, for the optimiser. */
static void
declare_live_taps (TlLayer *layer, const Conv2D *cv)
{
  const TlConv2dTaps t = tl_conv2d_live_taps (cv);
  const int k = cv->k;
  g_autofree int *live = g_new (int, k * k);
  int n = 0;

  for (int i = t.ki0; i < t.ki1; i++)
    for (int j = t.kj0; j < t.kj1; j++)
      live[n++] = i * k + j;
  if (n < k * k)
    tl_param_set_support (&layer->params[0], k * k, n, live);
}

gboolean
tl_conv2d_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const TlLayerSpec *s = &layer->spec;
  const int stride = s->stride > 0 ? s->stride : 1;
  Conv2D *cv;
  float bound;

  if (layer->in_ndim != 3)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "conv2d expects an image input [channels, height, width], got %s", shape);
      return FALSE;
    }
  if (s->filters < 1 || s->kernel < 1 || s->stride < 0 || s->padding < 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "conv2d needs filters >= 1, kernel >= 1, stride >= 0 and padding >= 0, "
                   "got filters %d, kernel %d, stride %d, padding %d",
                   s->filters, s->kernel, s->stride, s->padding);
      return FALSE;
    }
  if (layer->in_shape[0] < 1 || layer->in_shape[1] + 2 * s->padding < s->kernel
      || layer->in_shape[2] + 2 * s->padding < s->kernel)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "conv2d kernel %dx%d with padding %d does not fit an input of %s",
                   s->kernel, s->kernel, s->padding, shape);
      return FALSE;
    }

  if (s->groups < 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "conv2d groups must be >= 0, got %d",
                   s->groups);
      return FALSE;
    }
  if (s->groups > 1)
    return tl_conv2d_grouped_init (layer, rng, error);

  cv = g_new0 (Conv2D, 1);
  cv->in_c = layer->in_shape[0];
  cv->in_h = layer->in_shape[1];
  cv->in_w = layer->in_shape[2];
  cv->k = s->kernel;
  cv->stride = stride;
  cv->pad = s->padding;
  cv->filters = s->filters;
  cv->out_h = (cv->in_h + 2 * cv->pad - cv->k) / stride + 1;
  cv->out_w = (cv->in_w + 2 * cv->pad - cv->k) / stride + 1;
  cv->col = tl_tensor_new_empty ();
  cv->dcol = tl_tensor_new_empty ();
  cv->wpart = tl_tensor_new_empty ();
  cv->bpart = tl_tensor_new_empty ();
  cv->gmask = tl_tensor_new_empty ();
  cv->kept = tl_tensor_new_empty ();
  cv->packed = tl_tensor_new_empty ();
  cv->wlive = tl_tensor_new_empty ();
  cv->wt = tl_tensor_new_empty ();
  cv->wpart_t = tl_tensor_new_empty ();
  cv->padded = tl_tensor_new_empty ();
  layer->priv = cv;
  layer->ops = &conv2d_ops;

  layer->out_ndim = 3;
  layer->out_shape[0] = cv->filters;
  layer->out_shape[1] = cv->out_h;
  layer->out_shape[2] = cv->out_w;

  tl_layer_add_param (layer, "weight", 4, (int[]) { cv->filters, cv->in_c, cv->k, cv->k });
  tl_layer_add_param (layer, "bias", 1, (int[]) { cv->filters });
  bound = 1.0f / sqrtf ((float) (cv->in_c * cv->k * cv->k));
  for (int p = 0; p < 2; p++)
    {
      TlTensor *t = layer->params[p].value;
      for (gsize i = 0; i < t->size; i++)
        t->data[i] = tl_rng_uniform_range (rng, -bound, bound);
    }
  declare_live_taps (layer, cv);
  return TRUE;
}
