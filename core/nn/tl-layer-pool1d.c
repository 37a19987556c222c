#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"

/* Global average or max over the steps of [B, T, E] -> [B, E]. Padded steps
 * (mask 0) take no part; a sequence with no real step gives zeros. */

typedef struct {
  int   *argmax;        /* max: winning step per [b, e], -1 for none */
  gsize  capacity;
} Pool1D;

static const float *
step_mask (const TlContext *ctx, int steps)
{
  return ctx != NULL && ctx->mask != NULL && ctx->mask_steps == steps ? ctx->mask : NULL;
}

static void
avg_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const int batch = in->shape[0];
  const int T = layer->in_shape[0], E = layer->in_shape[1];
  const float *mask = step_mask (ctx, T);

  g_assert (in->size == (gsize) batch * T * E);
  tl_tensor_resize (out, 2, (int[]) { batch, E });
  tl_tensor_zero (out);
  for (int b = 0; b < batch; b++)
    {
      float *y = out->data + (gsize) b * E;
      int n = 0;

      for (int t = 0; t < T; t++)
        {
          const float *x = in->data + ((gsize) b * T + t) * E;
          if (mask && mask[(gsize) b * T + t] == 0.0f)
            continue;
          for (int e = 0; e < E; e++)
            y[e] += x[e];
          n++;
        }
      if (n > 0)
        {
          const float inv = 1.0f / (float) n;
          for (int e = 0; e < E; e++)
            y[e] *= inv;
        }
    }
}

static void
avg_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
              const TlTensor *grad_out, TlTensor *grad_in)
{
  const int batch = in->shape[0];
  const int T = layer->in_shape[0], E = layer->in_shape[1];
  const float *mask = step_mask (ctx, T);

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  for (int b = 0; b < batch; b++)
    {
      const float *g = grad_out->data + (gsize) b * E;
      int n = T;
      float inv;

      if (mask)
        {
          n = 0;
          for (int t = 0; t < T; t++)
            n += mask[(gsize) b * T + t] != 0.0f;
        }
      inv = n > 0 ? 1.0f / (float) n : 0.0f;
      for (int t = 0; t < T; t++)
        {
          float *d = grad_in->data + ((gsize) b * T + t) * E;
          const float f = mask && mask[(gsize) b * T + t] == 0.0f ? 0.0f : inv;
          for (int e = 0; e < E; e++)
            d[e] = g[e] * f;
        }
    }
}

static void
max_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  Pool1D *pool = layer->priv;
  const int batch = in->shape[0];
  const int T = layer->in_shape[0], E = layer->in_shape[1];
  const float *mask = step_mask (ctx, T);
  const gsize n_out = (gsize) batch * E;

  g_assert (in->size == (gsize) batch * T * E);
  tl_tensor_resize (out, 2, (int[]) { batch, E });
  if (n_out > pool->capacity)
    {
      g_free (pool->argmax);
      pool->argmax = g_new (int, n_out);
      pool->capacity = n_out;
    }
  for (int b = 0; b < batch; b++)
    {
      float *y = out->data + (gsize) b * E;
      int *arg = pool->argmax + (gsize) b * E;

      for (int e = 0; e < E; e++)
        arg[e] = -1;
      for (int t = 0; t < T; t++)
        {
          const float *x = in->data + ((gsize) b * T + t) * E;
          if (mask && mask[(gsize) b * T + t] == 0.0f)
            continue;
          for (int e = 0; e < E; e++)
            if (arg[e] < 0 || x[e] > y[e])
              {
                y[e] = x[e];
                arg[e] = t;
              }
        }
      for (int e = 0; e < E; e++)
        if (arg[e] < 0)
          y[e] = 0.0f;
    }
}

static void
max_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
              const TlTensor *grad_out, TlTensor *grad_in)
{
  Pool1D *pool = layer->priv;
  const int batch = in->shape[0];
  const int T = layer->in_shape[0], E = layer->in_shape[1];

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  tl_tensor_zero (grad_in);
  for (int b = 0; b < batch; b++)
    {
      const float *g = grad_out->data + (gsize) b * E;
      const int *arg = pool->argmax + (gsize) b * E;

      for (int e = 0; e < E; e++)
        if (arg[e] >= 0)
          grad_in->data[((gsize) b * T + arg[e]) * E + e] += g[e];
    }
}

static void
pool1d_finalize (TlLayer *layer)
{
  Pool1D *pool = layer->priv;

  g_free (pool->argmax);
  g_free (pool);
}

static const TlLayerOps avg_ops = { avg_forward, avg_backward, pool1d_finalize };
static const TlLayerOps max_ops = { max_forward, max_backward, pool1d_finalize };

gboolean
tl_pool1d_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const char *name = tl_layer_kind_name (layer->spec.kind);

  if (layer->in_ndim != 2 || layer->in_shape[0] < 1 || layer->in_shape[1] < 1)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "%s expects a sequence of vectors [steps, features], got %s", name, shape);
      return FALSE;
    }
  layer->priv = g_new0 (Pool1D, 1);
  layer->ops = layer->spec.kind == TL_LAYER_GLOBAL_MAX_POOL1D ? &max_ops : &avg_ops;
  layer->out_ndim = 1;
  layer->out_shape[0] = layer->in_shape[1];
  return TRUE;
}
