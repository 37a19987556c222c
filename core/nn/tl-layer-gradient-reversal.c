#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"

/* Gradient reversal (Ganin et al. 2016): the identity forward; backward hands
 * down the gradient times -rate, so that what lies below learns to defeat the
 * classifier above it. The trainer raises rate over a run. */

static void
reversal_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  tl_tensor_resize (out, in->ndim, in->shape);
  if (in->size > 0)
    memcpy (out->data, in->data, in->size * sizeof (float));
}

static void
reversal_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                   const TlTensor *grad_out, TlTensor *grad_in)
{
  const float scale = -layer->spec.rate;

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  for (gsize i = 0; i < in->size; i++)
    grad_in->data[i] = scale * grad_out->data[i];
}

static const TlLayerOps reversal_ops = { reversal_forward, reversal_backward, NULL };

gboolean
tl_gradient_reversal_init (TlLayer *layer, TlRng *rng, GError **error)
{
  if (!(layer->spec.rate >= 0.0f))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "gradient_reversal needs a scale of 0 or more, got %g", layer->spec.rate);
      return FALSE;
    }
  layer->ops = &reversal_ops;
  layer->out_ndim = layer->in_ndim;
  memcpy (layer->out_shape, layer->in_shape, sizeof (int) * layer->in_ndim);
  return TRUE;
}
