#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"

/* Piecewise-linear activations of mobile networks: Clip (ReLU6 is Clip to
 * [0, 6]), HardSwish, x * relu6(x + 3) / 6, and HardSigmoid, relu6(x + 3) / 6.
 * At a kink the gradient is the one of the side PyTorch takes: Clip and
 * HardSigmoid pass it only strictly inside their bounds, HardSwish uses the
 * middle piece on [-3, 3]. */

static void
clip_bounds (const TlLayer *layer, float *lo, float *hi)
{
  if (layer->spec.kind == TL_LAYER_RELU6)
    {
      *lo = 0.0f;
      *hi = 6.0f;
    }
  else
    {
      *lo = layer->spec.clip_min;
      *hi = layer->spec.clip_max;
    }
}

static void
clip_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const float *x = in->data;
  float *y;

  tl_tensor_resize (out, in->ndim, in->shape);
  y = out->data;
  if (layer->spec.kind == TL_LAYER_HARDSWISH)
    {
      for (gsize i = 0; i < in->size; i++)
        {
          const float v = x[i];
          y[i] = v <= -3.0f ? 0.0f : v >= 3.0f ? v : v * (v + 3.0f) / 6.0f;
        }
      return;
    }
  if (layer->spec.kind == TL_LAYER_HARDSIGMOID)
    {
      for (gsize i = 0; i < in->size; i++)
        {
          const float v = x[i];
          y[i] = v <= -3.0f ? 0.0f : v >= 3.0f ? 1.0f : v / 6.0f + 0.5f;
        }
      return;
    }
  {
    float lo, hi;

    clip_bounds (layer, &lo, &hi);
    for (gsize i = 0; i < in->size; i++)
      y[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
  }
}

static void
clip_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
               const TlTensor *grad_out, TlTensor *grad_in)
{
  const float *x = in->data, *g = grad_out->data;
  float *d;

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  d = grad_in->data;
  if (layer->spec.kind == TL_LAYER_HARDSWISH)
    {
      for (gsize i = 0; i < in->size; i++)
        {
          const float v = x[i];
          d[i] = v < -3.0f ? 0.0f : v > 3.0f ? g[i] : g[i] * (2.0f * v + 3.0f) / 6.0f;
        }
      return;
    }
  if (layer->spec.kind == TL_LAYER_HARDSIGMOID)
    {
      for (gsize i = 0; i < in->size; i++)
        d[i] = x[i] > -3.0f && x[i] < 3.0f ? g[i] / 6.0f : 0.0f;
      return;
    }
  {
    float lo, hi;

    clip_bounds (layer, &lo, &hi);
    for (gsize i = 0; i < in->size; i++)
      d[i] = x[i] > lo && x[i] < hi ? g[i] : 0.0f;
  }
}

static void
clip_finalize (TlLayer *layer)
{
}

static const TlLayerOps clip_ops = { clip_forward, clip_backward, clip_finalize };

gboolean
tl_clip_init (TlLayer *layer, TlRng *rng, GError **error)
{
  if (layer->spec.kind == TL_LAYER_CLIP && !(layer->spec.clip_min < layer->spec.clip_max))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "clip needs min below max, got min %g, max %g", layer->spec.clip_min,
                   layer->spec.clip_max);
      return FALSE;
    }
  layer->ops = &clip_ops;
  layer->out_ndim = layer->in_ndim;
  memcpy (layer->out_shape, layer->in_shape, sizeof (int) * layer->in_ndim);
  return TRUE;
}
