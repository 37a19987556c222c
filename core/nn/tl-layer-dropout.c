#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"

/* Inverted dropout: kept units are scaled by 1/(1-p) while training, so
 * inference is the identity. */

typedef struct {
  TlTensor *mask;       /* 0 or 1/(1-p) per element of the last training forward */
  gboolean  masked;     /* the last forward applied the mask */
} Dropout;

static void
dropout_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  Dropout *d = layer->priv;
  const float p = layer->spec.rate;

  tl_tensor_resize (out, in->ndim, in->shape);
  d->masked = ctx->training && p > 0.0f;
  if (!d->masked)
    {
      if (in->size > 0)
        memcpy (out->data, in->data, in->size * sizeof (float));
      return;
    }

  g_assert (ctx->rng != NULL);
  tl_tensor_resize (d->mask, in->ndim, in->shape);
  {
    const float scale = 1.0f / (1.0f - p);
    const float *x = in->data;
    float *m = d->mask->data;
    float *y = out->data;

    for (gsize i = 0; i < in->size; i++)
      {
        m[i] = tl_rng_uniform (ctx->rng) >= p ? scale : 0.0f;
        y[i] = x[i] * m[i];
      }
  }
}

static void
dropout_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                  const TlTensor *grad_out, TlTensor *grad_in)
{
  Dropout *d = layer->priv;

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (!d->masked)
    {
      if (in->size > 0)
        memcpy (grad_in->data, grad_out->data, in->size * sizeof (float));
      return;
    }
  g_assert (d->mask->size == in->size);
  for (gsize i = 0; i < in->size; i++)
    grad_in->data[i] = grad_out->data[i] * d->mask->data[i];
}

static void
dropout_finalize (TlLayer *layer)
{
  Dropout *d = layer->priv;

  tl_tensor_free (d->mask);
  g_free (d);
}

static const TlLayerOps dropout_ops = { dropout_forward, dropout_backward, dropout_finalize };

gboolean
tl_dropout_init (TlLayer *layer, TlRng *rng, GError **error)
{
  Dropout *d;
  const float p = layer->spec.rate;

  if (!(p >= 0.0f && p < 1.0f))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "dropout rate must be at least 0 and below 1, got %g", p);
      return FALSE;
    }
  d = g_new0 (Dropout, 1);
  d->mask = tl_tensor_new_empty ();
  layer->priv = d;
  layer->ops = &dropout_ops;
  layer->out_ndim = layer->in_ndim;
  for (int i = 0; i < layer->in_ndim; i++)
    layer->out_shape[i] = layer->in_shape[i];
  return TRUE;
}
