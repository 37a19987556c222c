#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-layer.h"
#include "tl-parallel.h"

/* 2-D convolution over NCHW batches by im2col: the patches of a chunk of
 * samples become the columns of one matrix [C*k*k, n*Ho*Wo], so a single GEMM
 * with the weight [F, C*k*k] computes every output of the chunk. */

/* Floats of patch matrix per chunk; a training batch of the usual size fits
 * in one chunk, so backward reuses the forward's patches. */
#define COL_LIMIT (1u << 22)

typedef struct {
  int in_c, in_h, in_w;
  int k, stride, pad;
  int out_h, out_w;
  int filters;
  TlTensor *col;      /* [C*k*k, n*P] patches of the current chunk */
  TlTensor *tmp;      /* [F, n*P] outputs, or output gradients, of the chunk */
  TlTensor *dcol;     /* [C*k*k, n*P] patch gradients */
  int col_first;      /* first sample and count whose patches are in col, or -1 */
  int col_count;
} Conv2D;

static int
chunk_samples (const Conv2D *cv)
{
  gsize per_sample = (gsize) cv->in_c * cv->k * cv->k * cv->out_h * cv->out_w;
  gsize n = COL_LIMIT / MAX (per_sample, 1);
  return (int) CLAMP (n, 1, G_MAXINT);
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

/* What the parallel passes of one chunk of samples share. */
typedef struct {
  Conv2D      *cv;
  const float *in;          /* first sample of the chunk */
  float       *grad_in;     /* first sample of the chunk */
  float       *out;         /* first sample of the chunk */
  const float *grad_out;    /* first sample of the chunk */
  const float *bias;
  float       *db;
  int          n;
} ConvPass;

/* Rows [r0, r1) of the patch matrix: row (c, ki, kj) holds that kernel tap for every output. */
static void
im2col_rows (gpointer data, gsize r0, gsize r1)
{
  const ConvPass *cp = data;
  Conv2D *cv = cp->cv;
  const float *in = cp->in;
  const int n = cp->n;
  const int k = cv->k, s = cv->stride, P = cv->out_h * cv->out_w;
  const gsize N = (gsize) n * P;
  const gsize in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;

  for (gsize rr = r0; rr < r1; rr++)
        {
          const int c = (int) rr / (k * k), ki = (int) rr / k % k, kj = (int) rr % k;
          float *row = cv->col->data + (gsize) ((c * k + ki) * k + kj) * N;
          const int off = kj - cv->pad;
          int ow_lo, ow_hi;

          valid_range (off, s, cv->in_w, cv->out_w, &ow_lo, &ow_hi);
          for (int b = 0; b < n; b++)
            {
              const float *plane = in + b * in_sample + (gsize) c * cv->in_h * cv->in_w;
              for (int oh = 0; oh < cv->out_h; oh++)
                {
                  float *dst = row + (gsize) b * P + (gsize) oh * cv->out_w;
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
                    memcpy (dst + ow_lo, src + ow_lo + off, sizeof (float) * (ow_hi - ow_lo));
                  else
                    for (int ow = ow_lo; ow < ow_hi; ow++)
                      dst[ow] = src[ow * s + off];
                  for (int ow = ow_hi; ow < cv->out_w; ow++)
                    dst[ow] = 0.0f;
                }
            }
        }
}

static void
im2col (Conv2D *cv, const float *in, int n)
{
  const int K = cv->in_c * cv->k * cv->k;
  const gsize N = (gsize) n * cv->out_h * cv->out_w;
  ConvPass cp = { .cv = cv, .in = in, .n = n };

  tl_tensor_resize (cv->col, 2, (int[]) { K, (int) N });
  tl_parallel_for (K, MAX (32768 / MAX (N, 1), 1), im2col_rows, &cp);
}

/* Input gradients of samples [b0, b1) of the chunk from the patch gradients:
 * each sample's gradient is zeroed and summed in a fixed order by one thread. */
static void
col2im_samples (gpointer data, gsize b0, gsize b1)
{
  const ConvPass *cp = data;
  Conv2D *cv = cp->cv;
  const int k = cv->k, s = cv->stride, P = cv->out_h * cv->out_w;
  const gsize N = (gsize) cp->n * P;
  const gsize in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;

  memset (cp->grad_in + b0 * in_sample, 0, sizeof (float) * in_sample * (b1 - b0));
  for (gsize b = b0; b < b1; b++)
    for (int c = 0; c < cv->in_c; c++)
      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++)
          {
            const float *row = cv->dcol->data + (gsize) ((c * k + ki) * k + kj) * N;
            float *plane = cp->grad_in + b * in_sample + (gsize) c * cv->in_h * cv->in_w;
            const int off = kj - cv->pad;
            int ow_lo, ow_hi;

            valid_range (off, s, cv->in_w, cv->out_w, &ow_lo, &ow_hi);
            for (int oh = 0; oh < cv->out_h; oh++)
              {
                const float *src = row + b * P + (gsize) oh * cv->out_w;
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

/* Samples [b0, b1): GEMM output [F, n*P] plus bias to the layer's [n, F, P]. */
static void
scatter_outputs (gpointer data, gsize b0, gsize b1)
{
  const ConvPass *cp = data;
  Conv2D *cv = cp->cv;
  const int F = cv->filters, P = cv->out_h * cv->out_w;
  const gsize N = (gsize) cp->n * P;

  for (gsize b = b0; b < b1; b++)
    for (int f = 0; f < F; f++)
      {
        const float *restrict src = cv->tmp->data + f * N + b * P;
        float *restrict dst = cp->out + (b * F + f) * P;
        const float bf = cp->bias[f];
        for (int p = 0; p < P; p++)
          dst[p] = src[p] + bf;
      }
}

/* Samples [b0, b1): output gradients [n, F, P] to the GEMM layout [F, n*P]. */
static void
gather_grads (gpointer data, gsize b0, gsize b1)
{
  const ConvPass *cp = data;
  Conv2D *cv = cp->cv;
  const int F = cv->filters, P = cv->out_h * cv->out_w;
  const gsize N = (gsize) cp->n * P;

  for (gsize b = b0; b < b1; b++)
    for (int f = 0; f < F; f++)
      memcpy (cv->tmp->data + f * N + b * P, cp->grad_out + (b * F + f) * P, sizeof (float) * P);
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

static void
bias_grads (gpointer data, gsize f0, gsize f1)
{
  const ConvPass *cp = data;
  const gsize N = (gsize) cp->n * cp->cv->out_h * cp->cv->out_w;

  for (gsize f = f0; f < f1; f++)
    cp->db[f] += sum_floats (cp->cv->tmp->data + f * N, N);
}

/* Samples per parallel chunk for a pass over `per_sample` floats each. */
static gsize
sample_grain (gsize per_sample)
{
  return MAX (16384 / MAX (per_sample, 1), 1);
}

static void
conv2d_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  Conv2D *cv = layer->priv;
  const int batch = in->shape[0];
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;
  const gsize in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;
  const gsize out_sample = (gsize) F * P;
  const float *w = layer->params[0].value->data;
  const float *bias = layer->params[1].value->data;
  const int chunk = chunk_samples (cv);

  g_assert (in->size == (gsize) batch * in_sample);
  tl_tensor_resize (out, 4, (int[]) { batch, F, cv->out_h, cv->out_w });
  cv->col_first = -1;

  for (int first = 0; first < batch; first += chunk)
    {
      const int n = MIN (chunk, batch - first);
      const gsize N = (gsize) n * P;

      im2col (cv, in->data + first * in_sample, n);
      tl_tensor_resize (cv->tmp, 2, (int[]) { F, (int) N });
      ConvPass cp = { .cv = cv, .out = out->data + first * out_sample, .bias = bias, .n = n };

      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, F, (int) N, K,
                   1.0f, w, K, cv->col->data, (int) N, 0.0f, cv->tmp->data, (int) N);
      tl_parallel_for (n, sample_grain (out_sample), scatter_outputs, &cp);
      cv->col_first = first;
      cv->col_count = n;
    }
}

static void
conv2d_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                 const TlTensor *grad_out, TlTensor *grad_in)
{
  Conv2D *cv = layer->priv;
  const int batch = in->shape[0];
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;
  const gsize in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;
  const gsize out_sample = (gsize) F * P;
  const int chunk = chunk_samples (cv);
  const gboolean weights = layer->trainable;

  if (grad_in != NULL)
    tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (!weights && grad_in == NULL)
    return;

  for (int first = 0; first < batch; first += chunk)
    {
      const int n = MIN (chunk, batch - first);
      const gsize N = (gsize) n * P;
      ConvPass cp = { .cv = cv, .grad_out = grad_out->data + first * out_sample,
                      .grad_in = grad_in ? grad_in->data + first * in_sample : NULL,
                      .db = layer->params[1].grad->data, .n = n };

      tl_tensor_resize (cv->tmp, 2, (int[]) { F, (int) N });
      tl_parallel_for (n, sample_grain (out_sample), gather_grads, &cp);

      if (weights)
        {
          if (cv->col_first != first || cv->col_count != n)
            {
              im2col (cv, in->data + first * in_sample, n);
              cv->col_first = first;
              cv->col_count = n;
            }
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, F, K, (int) N,
                       1.0f, cv->tmp->data, (int) N, cv->col->data, (int) N,
                       1.0f, layer->params[0].grad->data, K);
          tl_parallel_for (F, MAX (65536 / N, 1), bias_grads, &cp);
        }

      if (grad_in != NULL)
        {
          tl_tensor_resize (cv->dcol, 2, (int[]) { K, (int) N });
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, (int) N, F,
                       1.0f, layer->params[0].value->data, K, cv->tmp->data, (int) N,
                       0.0f, cv->dcol->data, (int) N);
          tl_parallel_for (n, sample_grain (in_sample + (gsize) K * P), col2im_samples, &cp);
        }
    }
}

static void
conv2d_finalize (TlLayer *layer)
{
  Conv2D *cv = layer->priv;

  tl_tensor_free (cv->col);
  tl_tensor_free (cv->tmp);
  tl_tensor_free (cv->dcol);
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
  cv->tmp = tl_tensor_new_empty ();
  cv->dcol = tl_tensor_new_empty ();
  cv->col_first = -1;
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
