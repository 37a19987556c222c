#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-fastmath.h"
#include "tl-layer-kinds.h"
#include "tl-parallel.h"

/* Element-wise ReLU, Tanh and Sigmoid, and Softmax over the last dimension.
 * Backward needs only the input and the output, so there is no workspace. */

typedef struct {
  const float *x, *g;
  float       *y;
} ReluPass;

/* Element-wise passes big enough to be worth a second core go in chunks of this many. */
#define RELU_GRAIN 32768

TL_VECTORIZED static void
relu_range (const float *restrict x, float *restrict y, gsize n)
{
  for (gsize i = 0; i < n; i++)
    y[i] = tl_keep_if_positive (x[i], x[i]);
}

TL_VECTORIZED static void
relu_grad_range (const float *restrict x, const float *restrict g, float *restrict d, gsize n)
{
  for (gsize i = 0; i < n; i++)
    d[i] = tl_keep_if_positive (x[i], g[i]);
}

static void
relu_chunk (gpointer data, gsize start, gsize end)
{
  const ReluPass *p = data;
  relu_range (p->x + start, p->y + start, end - start);
}

static void
relu_grad_chunk (gpointer data, gsize start, gsize end)
{
  const ReluPass *p = data;
  relu_grad_range (p->x + start, p->g + start, p->y + start, end - start);
}

static void
relu_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  ReluPass p = { in->data, NULL, NULL };

  tl_tensor_resize (out, in->ndim, in->shape);
  p.y = out->data;
  tl_parallel_for (in->size, RELU_GRAIN, relu_chunk, &p);
}

static void
relu_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
               const TlTensor *grad_out, TlTensor *grad_in)
{
  ReluPass p = { in->data, grad_out->data, NULL };

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  p.y = grad_in->data;
  tl_parallel_for (in->size, RELU_GRAIN, relu_grad_chunk, &p);
}

static void
tanh_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const float *restrict x = in->data;
  float *restrict y;

  tl_tensor_resize (out, in->ndim, in->shape);
  y = out->data;
  for (gsize i = 0; i < in->size; i++)
    y[i] = tl_fast_tanhf (x[i]);
}

static void
tanh_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
               const TlTensor *grad_out, TlTensor *grad_in)
{
  const float *restrict y = out->data;
  const float *restrict g = grad_out->data;
  float *restrict d;

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  d = grad_in->data;
  for (gsize i = 0; i < in->size; i++)
    d[i] = g[i] * (1.0f - y[i] * y[i]);
}

static void
sigmoid_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const float *restrict x = in->data;
  float *restrict y;

  tl_tensor_resize (out, in->ndim, in->shape);
  y = out->data;
  for (gsize i = 0; i < in->size; i++)
    y[i] = tl_fast_sigmoidf (x[i]);
}

static void
sigmoid_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                  const TlTensor *grad_out, TlTensor *grad_in)
{
  const float *restrict y = out->data;
  const float *restrict g = grad_out->data;
  float *restrict d;

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  d = grad_in->data;
  for (gsize i = 0; i < in->size; i++)
    d[i] = g[i] * y[i] * (1.0f - y[i]);
}

static void
softmax_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const int n = in->shape[in->ndim - 1];
  const gsize rows = n > 0 ? in->size / (gsize) n : 0;

  tl_tensor_resize (out, in->ndim, in->shape);
  for (gsize r = 0; r < rows; r++)
    {
      const float *x = in->data + r * n;
      float *y = out->data + r * n;
      float max = x[0], sum = 0.0f, inv;

      for (int i = 1; i < n; i++)
        max = MAX (max, x[i]);
      for (int i = 0; i < n; i++)
        {
          y[i] = tl_fast_expf (x[i] - max);
          sum += y[i];
        }
      inv = 1.0f / sum;
      for (int i = 0; i < n; i++)
        y[i] *= inv;
    }
}

static void
softmax_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                  const TlTensor *grad_out, TlTensor *grad_in)
{
  const int n = in->shape[in->ndim - 1];
  const gsize rows = n > 0 ? in->size / (gsize) n : 0;

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  for (gsize r = 0; r < rows; r++)
    {
      const float *y = out->data + r * n;
      const float *g = grad_out->data + r * n;
      float *d = grad_in->data + r * n;
      float dot = 0.0f;

      for (int i = 0; i < n; i++)
        dot += g[i] * y[i];
      for (int i = 0; i < n; i++)
        d[i] = y[i] * (g[i] - dot);
    }
}

static const TlLayerOps relu_ops = { relu_forward, relu_backward, NULL };
static const TlLayerOps tanh_ops = { tanh_forward, tanh_backward, NULL };
static const TlLayerOps sigmoid_ops = { sigmoid_forward, sigmoid_backward, NULL };
static const TlLayerOps softmax_ops = { softmax_forward, softmax_backward, NULL };

gboolean
tl_activation_init (TlLayer *layer, TlRng *rng, GError **error)
{
  switch (layer->spec.kind)
    {
    case TL_LAYER_RELU:
      layer->ops = &relu_ops;
      break;
    case TL_LAYER_TANH:
      layer->ops = &tanh_ops;
      break;
    case TL_LAYER_SIGMOID:
      layer->ops = &sigmoid_ops;
      break;
    case TL_LAYER_SOFTMAX:
      layer->ops = &softmax_ops;
      if (layer->in_shape[layer->in_ndim - 1] < 1)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "softmax needs at least one value in its last dimension");
          return FALSE;
        }
      break;
    default:
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "%s is not an activation",
                   tl_layer_kind_name (layer->spec.kind));
      return FALSE;
    }

  layer->out_ndim = layer->in_ndim;
  for (int i = 0; i < layer->in_ndim; i++)
    layer->out_shape[i] = layer->in_shape[i];
  return TRUE;
}
