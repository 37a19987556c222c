#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"

/* Row-major order makes flattening a copy with a new shape. */

static void
flatten_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  tl_tensor_resize (out, 2, (int[]) { in->shape[0], layer->out_shape[0] });
  g_assert (out->size == in->size);
  if (in->size > 0)
    memcpy (out->data, in->data, in->size * sizeof (float));
}

static void
flatten_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                  const TlTensor *grad_out, TlTensor *grad_in)
{
  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (in->size > 0)
    memcpy (grad_in->data, grad_out->data, in->size * sizeof (float));
}

static const TlLayerOps flatten_ops = { flatten_forward, flatten_backward, NULL };

gboolean
tl_flatten_init (TlLayer *layer, TlRng *rng, GError **error)
{
  gsize n = tl_shape_size (layer->in_ndim, layer->in_shape);

  if (n < 1 || n > G_MAXINT)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "flatten cannot flatten an input of %s", shape);
      return FALSE;
    }
  layer->ops = &flatten_ops;
  layer->out_ndim = 1;
  layer->out_shape[0] = (int) n;
  return TRUE;
}
