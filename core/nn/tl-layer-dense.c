#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <math.h>

#include "tl-error.h"
#include "tl-gemm.h"
#include "tl-layer-kinds.h"

/* Fully connected: out[b, u] = sum_f in[b, f] * weight[u, f] + bias[u]. */

static void
dense_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const int batch = in->shape[0];
  const int n_in = layer->in_shape[0];
  const int n_out = layer->spec.units;
  const float *w = layer->params[0].value->data;
  const float *bias = layer->params[1].value->data;

  g_assert (in->size == (gsize) batch * n_in);
  tl_tensor_resize (out, 2, (int[]) { batch, n_out });
  if (batch == 0)
    return;

  for (int b = 0; b < batch; b++)
    {
      float *row = out->data + (gsize) b * n_out;
      for (int u = 0; u < n_out; u++)
        row[u] = bias[u];
    }
  tl_sgemm (FALSE, TRUE, batch, n_out, n_in,
               1.0f, in->data, n_in, w, n_in, 1.0f, out->data, n_out);
}

static void
dense_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                const TlTensor *grad_out, TlTensor *grad_in)
{
  const int batch = in->shape[0];
  const int n_in = layer->in_shape[0];
  const int n_out = layer->spec.units;
  const float *gout = grad_out->data;

  if (layer->trainable && batch > 0)
    {
      float *dw = layer->params[0].grad->data;
      float *db = layer->params[1].grad->data;

      tl_sgemm (TRUE, FALSE, n_out, n_in, batch,
                   1.0f, gout, n_out, in->data, n_in, 1.0f, dw, n_in);
      for (int b = 0; b < batch; b++)
        {
          const float *row = gout + (gsize) b * n_out;
          for (int u = 0; u < n_out; u++)
            db[u] += row[u];
        }
    }

  if (grad_in != NULL)
    {
      tl_tensor_resize (grad_in, in->ndim, in->shape);
      if (batch > 0)
        tl_sgemm (FALSE, FALSE, batch, n_in, n_out,
                     1.0f, gout, n_out, layer->params[0].value->data, n_in, 0.0f, grad_in->data, n_in);
    }
}

static const TlLayerOps dense_ops = {
  .forward = dense_forward,
  .backward = dense_backward,
  .finalize = NULL,
};

gboolean
tl_dense_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const int units = layer->spec.units;
  int n_in;
  float bound;
  TlTensor *w, *b;

  if (layer->in_ndim != 1)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "dense expects a flat input of features, got %s: add a flatten layer", shape);
      return FALSE;
    }
  n_in = layer->in_shape[0];
  if (n_in < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "dense expects at least one input feature, got %d", n_in);
      return FALSE;
    }
  if (units < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "dense needs at least one unit, got %d", units);
      return FALSE;
    }

  layer->ops = &dense_ops;
  layer->out_ndim = 1;
  layer->out_shape[0] = units;
  tl_layer_add_param (layer, "weight", 2, (int[]) { units, n_in });
  tl_layer_add_param (layer, "bias", 1, (int[]) { units });

  /* torch.nn.Linear: kaiming_uniform(a=sqrt(5)) on the weight reduces to this bound */
  bound = 1.0f / sqrtf ((float) n_in);
  w = layer->params[0].value;
  b = layer->params[1].value;
  for (gsize i = 0; i < w->size; i++)
    w->data[i] = tl_rng_uniform_range (rng, -bound, bound);
  for (gsize i = 0; i < b->size; i++)
    b->data[i] = tl_rng_uniform_range (rng, -bound, bound);
  return TRUE;
}
