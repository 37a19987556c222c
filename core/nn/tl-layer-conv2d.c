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
 * image's planes are pooled while they are in cache and only the pooled
 * output leaves the layer, with one byte per pooled value saying which input
 * won its window; backward rebuilds the image's output gradient from those. */


/* Winner codes of a fused 2x2 pool: 0-3 is the window position (row-major);
 * this one says the window's maximum was not positive, so the ReLU passes no gradient. */
#define POOL_NONE 4

/* Images per group: at least 4, and at most 16 groups. */
static int
group_size (int batch)
{
  return MAX (4, (batch + 15) / 16);
}

/* Valid output columns [lo, hi) for a kernel column offset kj: 0 <= ow*s - pad + kj < W. */
static void
valid_range (int offset, int stride, int size, int n_out, int *lo, int *hi)
{
  int a = offset < 0 ? (-offset + stride - 1) / stride : 0;
  int b = size - offset <= 0 ? 0 : (size - offset - 1) / stride + 1;

  *lo = MIN (a, n_out);
  *hi = CLAMP (b, *lo, n_out);
}

/* Runs of an image row are short (the output width): a library memcpy call
 * per run would cost more than the copy. Runs of 8 or more end with one
 * overlapping block instead of a scalar tail. */
static inline void
copy_run (float *restrict dst, const float *restrict src, int n)
{
  int i = 0;

  if (n < 8)
    {
      for (; i < n; i++)
        dst[i] = src[i];
      return;
    }
  for (; i + 8 < n; i += 8)
    memcpy (dst + i, src + i, 8 * sizeof (float));
  memcpy (dst + n - 8, src + n - 8, 8 * sizeof (float));
}

/* The patch matrix [C*k*k, P] of one image: row (c, ki, kj) holds that kernel tap for every output. */
TL_VECTORIZED static void
patches (const Conv2D *cv, const float *in, float *col)
{
  const int k = cv->k, s = cv->stride, P = cv->out_h * cv->out_w;

  for (int c = 0; c < cv->in_c; c++)
    for (int ki = 0; ki < k; ki++)
      for (int kj = 0; kj < k; kj++)
        {
          const float *plane = in + (gsize) c * cv->in_h * cv->in_w;
          float *row = col + (gsize) ((c * k + ki) * k + kj) * P;
          const int off = kj - cv->pad;
          int ow_lo, ow_hi;

          valid_range (off, s, cv->in_w, cv->out_w, &ow_lo, &ow_hi);
          for (int oh = 0; oh < cv->out_h; oh++)
            {
              float *dst = row + (gsize) oh * cv->out_w;
              int ih = oh * s - cv->pad + ki;
              const float *src;

              if (ih < 0 || ih >= cv->in_h)
                {
                  memset (dst, 0, sizeof (float) * cv->out_w);
                  continue;
                }
              src = plane + (gsize) ih * cv->in_w;
              for (int ow = 0; ow < ow_lo; ow++)
                dst[ow] = 0.0f;
              if (s == 1)
                copy_run (dst + ow_lo, src + ow_lo + off, ow_hi - ow_lo);
              else
                for (int ow = ow_lo; ow < ow_hi; ow++)
                  dst[ow] = src[ow * s + off];
              for (int ow = ow_hi; ow < cv->out_w; ow++)
                dst[ow] = 0.0f;
            }
        }
}

/* Adds the patch gradients [C*k*k, P] of one image into its input gradient. */
TL_VECTORIZED static void
unpatches (const Conv2D *cv, const float *dcol, float *grad_in)
{
  const int k = cv->k, s = cv->stride, P = cv->out_h * cv->out_w;

  for (int c = 0; c < cv->in_c; c++)
    for (int ki = 0; ki < k; ki++)
      for (int kj = 0; kj < k; kj++)
        {
          const float *row = dcol + (gsize) ((c * k + ki) * k + kj) * P;
          float *plane = grad_in + (gsize) c * cv->in_h * cv->in_w;
          const int off = kj - cv->pad;
          int ow_lo, ow_hi;

          valid_range (off, s, cv->in_w, cv->out_w, &ow_lo, &ow_hi);
          for (int oh = 0; oh < cv->out_h; oh++)
            {
              const float *src = row + (gsize) oh * cv->out_w;
              int ih = oh * s - cv->pad + ki;
              float *dst;

              if (ih < 0 || ih >= cv->in_h)
                continue;
              dst = plane + (gsize) ih * cv->in_w + (ow_lo * s + off);
              if (s == 1)
                for (int i = 0; i < ow_hi - ow_lo; i++)
                  dst[i] += src[ow_lo + i];
              else
                for (int i = 0; i < ow_hi - ow_lo; i++)
                  dst[i * s] += src[ow_lo + i];
            }
        }
}

/* Eight running sums break the dependency chain of one long sum. */
static float
sum_floats (const float *x, gsize n)
{
  float acc[8] = { 0 };
  gsize i = 0;

  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++)
      acc[k] += x[i + k];
  for (; i < n; i++)
    acc[0] += x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
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

TL_VECTORIZED static void
relu_pass (const float *restrict x, const float *restrict v, float *restrict y, gsize n)
{
  for (gsize i = 0; i < n; i++)
    y[i] = tl_keep_if_positive (x[i], v[i]);
}

/* Each plane [F, P] of one image starts at its filter's bias; the product adds into it. */
TL_VECTORIZED static void
bias_planes (float *restrict out, const float *restrict bias, int F, int P)
{
  for (int f = 0; f < F; f++)
    {
      const float b = bias[f];
      float *restrict row = out + (gsize) f * P;

      for (int p = 0; p < P; p++)
        row[p] = b;
    }
}

static inline float
max_float (float x, float y)
{
  return x > y ? x : y;
}

/* ReLU then 2x2, stride-2 max-pool of the planes [n, H, W]. Where a window's
 * maximum is positive, the max-pool layer's winner (the first of equal maxima)
 * is the first of its four inputs equal to it, on the raw values as on the
 * ReLU's; elsewhere the output is +0 and no gradient flows back. So this
 * equals the two layers run one after the other, bit for bit. */
TL_VECTORIZED static void
relu_pool_planes (const float *restrict x, float *restrict y, guint8 *restrict code,
                  int n, int H, int W, int OH, int OW)
{
  for (int pl = 0; pl < n; pl++)
    for (int oh = 0; oh < OH; oh++)
      {
        const float *restrict r0 = x + ((gsize) pl * H + 2 * oh) * W;
        const float *restrict r1 = r0 + W;
        float *restrict yr = y + ((gsize) pl * OH + oh) * OW;
        guint8 *restrict cr = code + ((gsize) pl * OH + oh) * OW;

        for (int ow = 0; ow < OW; ow++)
          {
            const float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
            const float m = max_float (max_float (a, b), max_float (c, d));
            const guint32 none = !(m > 0.0f);
            guint32 ba, bb, bc, bm, na, nb, nc;

            /* equal bits is equal value here: m > 0 wherever the winner matters */
            memcpy (&ba, &a, sizeof ba);
            memcpy (&bb, &b, sizeof bb);
            memcpy (&bc, &c, sizeof bc);
            memcpy (&bm, &m, sizeof bm);
            na = ba != bm;
            nb = bb != bm;
            nc = bc != bm;

            yr[ow] = max_float (m, 0.0f);
            cr[ow] = (guint8) (na + (na & nb) + (na & nb & nc) + none * POOL_NONE);
          }
      }
}

/* The gradient at the planes [n, H, W] before a fused ReLU and pool, from the
 * pool's output gradient: each window's winner gets the window's gradient,
 * every other input +0, as the two layers' backward passes give. */
TL_VECTORIZED static void
unpool_relu_planes (const float *restrict g, const guint8 *restrict code, float *restrict d,
                    int n, int H, int W, int OH, int OW)
{
  memset (d, 0, sizeof (float) * n * H * W);
  for (int pl = 0; pl < n; pl++)
    for (int oh = 0; oh < OH; oh++)
      {
        float *restrict d0 = d + ((gsize) pl * H + 2 * oh) * W;
        const float *restrict gr = g + ((gsize) pl * OH + oh) * OW;
        const guint8 *restrict cr = code + ((gsize) pl * OH + oh) * OW;

        for (int ow = 0; ow < OW; ow++)
          {
            /* a window without a winner rewrites its first input with +0: no branch */
            const guint32 c = cr[ow], at = c & 3;

            d0[2 * ow + (at >> 1) * W + (at & 1)] = tl_mask_float (gr[ow], c < POOL_NONE);
          }
      }
}

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

          patches (cv, cp->in + b * in_sample, col);
          bias_planes (out, cp->bias, F, P);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, F, P, K,
                       1.0f, cp->w, K, col, P, 1.0f, out, P);
          if (cp->pool_out != NULL)
            relu_pool_planes (out, cp->pool_out + (gsize) b * F * Q, cv->code + (gsize) b * F * Q,
                              F, cv->out_h, cv->out_w, OH, OW);
          else if (cp->relu_out != NULL)
            relu_pass (out, out, cp->relu_out + (gsize) b * F * P, (gsize) F * P);
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
  tl_tensor_resize (cv->col, 2, (int[]) { groups, K * P });
  if (pooled)
    tl_tensor_resize (cv->gmask, 2, (int[]) { groups * F, P });
  cp.out = out->data;
  if (!pooled && ctx != NULL && ctx->relu_out != NULL)
    {
      tl_tensor_resize (ctx->relu_out, out->ndim, out->shape);
      cp.relu_out = ctx->relu_out->data;
    }
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

              unpool_relu_planes (cp->grad_out + (gsize) b * F * Q, cv->code + (gsize) b * F * Q,
                                  masked, F, cv->out_h, cv->out_w, OH, OW);
              gout = masked;
            }
          else if (cp->out_values != NULL)
            {
              float *masked = cv->gmask->data + g * F * P;

              relu_pass (cp->out_values + (gsize) b * F * P, cp->grad_out + (gsize) b * F * P,
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
                  patches (cv, cp->in + b * in_sample, col);
                  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, F, K, P,
                               1.0f, gout, P, col, P, b == first ? 0.0f : 1.0f, wp, K);
                }
              for (int f = 0; f < F; f++)
                {
                  float sum = sum_floats (gout + (gsize) f * P, P);
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
              unpatches (cv, dcol, gin);
            }
        }
      if (taps_first)
        tl_conv2d_channels_first (cv, wpt, wp);
    }
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
  const int groups = (batch + cp.group - 1) / cp.group;

  if (grad_in != NULL)
    tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (batch == 0 || (!cp.weights && grad_in == NULL))
    return;

  cp.grad_in = grad_in != NULL ? grad_in->data : NULL;
  if (ctx != NULL && ctx->pool_grad)
    {
      g_assert (grad_out->size == (gsize) batch * F * (cv->out_h / 2) * (cv->out_w / 2));
      g_assert (cv->code_capacity >= grad_out->size);
      cp.pooled = TRUE;
      tl_tensor_resize (cv->gmask, 2, (int[]) { groups * F, P });
    }
  else if (ctx != NULL && ctx->relu_grad)
    {
      g_assert (out->size == grad_out->size);
      cp.out_values = out->data;
      tl_tensor_resize (cv->gmask, 2, (int[]) { groups * F, P });
    }
  tl_tensor_resize (cv->col, 2, (int[]) { groups, K * P });
  cp.sparse_ok = K >= TL_CONV2D_SPARSE_MIN_K;
  if (cp.sparse_ok)
    tl_conv2d_sparse_prepare (cv, groups, cp.w, cp.weights, grad_in != NULL);
  if (grad_in != NULL)
    tl_tensor_resize (cv->dcol, 2, (int[]) { groups * K, P });
  if (cp.weights)
    {
      tl_tensor_resize (cv->wpart, 2, (int[]) { groups * F, K });
      tl_tensor_resize (cv->bpart, 2, (int[]) { groups, F });
    }
  tl_parallel_for (groups, 1, backward_groups, &cp);

  if (cp.weights)
    {
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
  return TRUE;
}
