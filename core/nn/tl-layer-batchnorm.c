#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"
#include "tl-parallel.h"

/* Batch normalisation with PyTorch's conventions: per channel over the batch
 * and the positions (N,H,W for 2-D, N or N,L for 1-D), eps 1e-5, momentum 0.1,
 * running variance updated with the unbiased batch variance.
 *
 * A trainable layer normalises with the batch's statistics while training and
 * with the running ones otherwise. A frozen layer normalises with the running
 * statistics and leaves them alone, unless its spec asks it to keep updating
 * them (frozen_stats): then it behaves as while training, without gradients
 * for its scale and shift. */

#define BN_EPS 1e-5
#define BN_MOMENTUM 0.1

typedef struct {
  int       channels;
  int       positions;      /* values per channel per sample */
  gboolean  batch_stats;    /* the last forward used the batch's statistics */
  TlTensor *mean;           /* [C] statistics of the last forward */
  TlTensor *inv_std;        /* [C] */
  TlTensor *dscale;         /* [C] scratch: sums of the backward pass */
  TlTensor *dshift;         /* [C] */
} BatchNorm;

typedef struct {
  TlLayer     *layer;
  BatchNorm   *bn;
  int          batch;
  const float *x;
  float       *y;
  const float *g;
  float       *d;
} BnPass;

static gboolean
uses_batch_stats (const TlLayer *layer, const TlContext *ctx)
{
  return ctx->training && (layer->trainable || layer->spec.frozen_stats);
}

static void
forward_channels (gpointer data, gsize c0, gsize c1)
{
  const BnPass *p = data;
  BatchNorm *bn = p->bn;
  const int C = bn->channels, S = bn->positions, N = p->batch;
  const float *gamma = p->layer->params[0].value->data;
  const float *beta = p->layer->params[1].value->data;
  float *rmean = p->layer->buffers[0].value->data;
  float *rvar = p->layer->buffers[1].value->data;

  for (gsize c = c0; c < c1; c++)
    {
      double mean, inv;
      float a, b;

      if (bn->batch_stats)
        {
          const double n = (double) N * S;
          double sum = 0.0, sq = 0.0, var;

          for (int i = 0; i < N; i++)
            {
              const float *x = p->x + ((gsize) i * C + c) * S;
              for (int s = 0; s < S; s++)
                sum += x[s];
            }
          mean = sum / n;
          for (int i = 0; i < N; i++)
            {
              const float *x = p->x + ((gsize) i * C + c) * S;
              for (int s = 0; s < S; s++)
                sq += ((double) x[s] - mean) * ((double) x[s] - mean);
            }
          var = sq / n;
          inv = 1.0 / sqrt (var + BN_EPS);
          rmean[c] = (float) ((1.0 - BN_MOMENTUM) * rmean[c] + BN_MOMENTUM * mean);
          rvar[c] = (float) ((1.0 - BN_MOMENTUM) * rvar[c]
                             + BN_MOMENTUM * (n > 1.0 ? sq / (n - 1.0) : var));
        }
      else
        {
          mean = rmean[c];
          inv = 1.0 / sqrt ((double) rvar[c] + BN_EPS);
        }
      bn->mean->data[c] = (float) mean;
      bn->inv_std->data[c] = (float) inv;
      a = (float) (gamma[c] * inv);
      b = (float) (beta[c] - gamma[c] * inv * mean);
      for (int i = 0; i < N; i++)
        {
          const float *x = p->x + ((gsize) i * C + c) * S;
          float *y = p->y + ((gsize) i * C + c) * S;
          for (int s = 0; s < S; s++)
            y[s] = a * x[s] + b;
        }
    }
}

static void
batchnorm_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  BatchNorm *bn = layer->priv;
  BnPass p = { layer, bn, in->shape[0], in->data, NULL, NULL, NULL };

  g_assert (in->size == (gsize) p.batch * bn->channels * bn->positions);
  tl_tensor_resize (out, in->ndim, in->shape);
  p.y = out->data;
  bn->batch_stats = uses_batch_stats (layer, ctx) && p.batch > 0;
  if (p.batch == 0)
    return;
  tl_parallel_for (bn->channels, MAX (16384 / MAX (in->size / bn->channels, 1), 1), forward_channels, &p);
}

static void
backward_channels (gpointer data, gsize c0, gsize c1)
{
  const BnPass *p = data;
  BatchNorm *bn = p->bn;
  const int C = bn->channels, S = bn->positions, N = p->batch;
  const float *gamma = p->layer->params[0].value->data;

  for (gsize c = c0; c < c1; c++)
    {
      const double mean = bn->mean->data[c], inv = bn->inv_std->data[c];
      double sg = 0.0, sgx = 0.0;

      for (int i = 0; i < N; i++)
        {
          const float *x = p->x + ((gsize) i * C + c) * S;
          const float *g = p->g + ((gsize) i * C + c) * S;
          for (int s = 0; s < S; s++)
            {
              sg += g[s];
              sgx += (double) g[s] * ((x[s] - mean) * inv);
            }
        }
      bn->dshift->data[c] = (float) sg;
      bn->dscale->data[c] = (float) sgx;
      if (p->d == NULL)
        continue;
      if (bn->batch_stats)
        {
          /* dx = gamma * inv / n * (n g - sum g - xhat sum(g xhat)) */
          const double n = (double) N * S, k = gamma[c] * inv / n;
          for (int i = 0; i < N; i++)
            {
              const float *x = p->x + ((gsize) i * C + c) * S;
              const float *g = p->g + ((gsize) i * C + c) * S;
              float *d = p->d + ((gsize) i * C + c) * S;
              for (int s = 0; s < S; s++)
                d[s] = (float) (k * (n * g[s] - sg - (x[s] - mean) * inv * sgx));
            }
        }
      else
        {
          const float a = (float) (gamma[c] * inv);
          for (int i = 0; i < N; i++)
            {
              const float *g = p->g + ((gsize) i * C + c) * S;
              float *d = p->d + ((gsize) i * C + c) * S;
              for (int s = 0; s < S; s++)
                d[s] = a * g[s];
            }
        }
    }
}

static void
batchnorm_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                    const TlTensor *grad_out, TlTensor *grad_in)
{
  BatchNorm *bn = layer->priv;
  BnPass p = { layer, bn, in->shape[0], in->data, NULL, grad_out->data, NULL };

  if (grad_in != NULL)
    {
      tl_tensor_resize (grad_in, in->ndim, in->shape);
      p.d = grad_in->data;
    }
  if (p.batch == 0)
    return;
  tl_parallel_for (bn->channels, MAX (16384 / MAX (in->size / bn->channels, 1), 1), backward_channels, &p);
  if (layer->trainable)
    for (int c = 0; c < bn->channels; c++)
      {
        layer->params[0].grad->data[c] += bn->dscale->data[c];
        layer->params[1].grad->data[c] += bn->dshift->data[c];
      }
}

static void
batchnorm_finalize (TlLayer *layer)
{
  BatchNorm *bn = layer->priv;

  tl_tensor_free (bn->mean);
  tl_tensor_free (bn->inv_std);
  tl_tensor_free (bn->dscale);
  tl_tensor_free (bn->dshift);
  g_free (bn);
}

static const TlLayerOps batchnorm_ops = { batchnorm_forward, batchnorm_backward, batchnorm_finalize };

gboolean
tl_batchnorm_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const gboolean two_d = layer->spec.kind == TL_LAYER_BATCHNORM2D;
  BatchNorm *bn;
  int C, S = 1;

  if ((two_d && layer->in_ndim != 3) || (!two_d && layer->in_ndim > 2))
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   two_d ? "batchnorm2d expects an image input [channels, height, width], got %s"
                         : "batchnorm1d expects an input [features] or [channels, length], got %s",
                   shape);
      return FALSE;
    }
  C = layer->in_shape[0];
  for (int d = 1; d < layer->in_ndim; d++)
    S *= layer->in_shape[d];

  bn = g_new0 (BatchNorm, 1);
  bn->channels = C;
  bn->positions = S;
  bn->mean = tl_tensor_new (1, &C);
  bn->inv_std = tl_tensor_new (1, &C);
  bn->dscale = tl_tensor_new (1, &C);
  bn->dshift = tl_tensor_new (1, &C);
  layer->priv = bn;
  layer->ops = &batchnorm_ops;
  layer->out_ndim = layer->in_ndim;
  memcpy (layer->out_shape, layer->in_shape, sizeof (int) * layer->in_ndim);

  tl_layer_add_param (layer, "weight", 1, &C);
  tl_layer_add_param (layer, "bias", 1, &C);
  tl_tensor_fill (layer->params[0].value, 1.0f);
  tl_tensor_fill (layer->params[1].value, 0.0f);
  tl_layer_add_buffer (layer, "running_mean", 1, &C);
  tl_layer_add_buffer (layer, "running_var", 1, &C);
  tl_tensor_fill (layer->buffers[0].value, 0.0f);
  tl_tensor_fill (layer->buffers[1].value, 1.0f);
  return TRUE;
}
