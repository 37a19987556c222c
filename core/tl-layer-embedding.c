#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer.h"

/* A lookup table: token ids (stored as floats) [B, T] -> vectors [B, T, E].
 * Id 0 is padding: its vector is zero and never learns, as with
 * torch.nn.Embedding(padding_idx=0). Ids outside the table count as padding. */

static inline int
token_row (float id, int vocab)
{
  return id >= 1.0f && id < (float) vocab ? (int) id : 0;
}

static void
embedding_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const int batch = in->shape[0];
  const int T = layer->in_shape[0];
  const int E = layer->spec.embed_dim;
  const int V = layer->spec.vocab_size;
  const float *table = layer->params[0].value->data;

  g_assert (in->size == (gsize) batch * T);
  tl_tensor_resize (out, 3, (int[]) { batch, T, E });
  for (gsize i = 0; i < in->size; i++)
    {
      const int row = token_row (in->data[i], V);
      float *dst = out->data + i * E;

      if (row == 0)
        memset (dst, 0, sizeof (float) * E);
      else
        memcpy (dst, table + (gsize) row * E, sizeof (float) * E);
    }
}

static void
embedding_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                    const TlTensor *grad_out, TlTensor *grad_in)
{
  const int E = layer->spec.embed_dim;
  const int V = layer->spec.vocab_size;

  if (layer->trainable)
    {
      float *dtable = layer->params[0].grad->data;

      for (gsize i = 0; i < in->size; i++)
        {
          const int row = token_row (in->data[i], V);
          const float *g = grad_out->data + i * E;
          float *d = dtable + (gsize) row * E;

          if (row == 0)
            continue;
          for (int e = 0; e < E; e++)
            d[e] += g[e];
        }
    }
  /* token ids have no gradient */
  if (grad_in != NULL)
    {
      tl_tensor_resize (grad_in, in->ndim, in->shape);
      tl_tensor_zero (grad_in);
    }
}

static const TlLayerOps embedding_ops = { embedding_forward, embedding_backward, NULL };

gboolean
tl_embedding_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const int V = layer->spec.vocab_size;
  const int E = layer->spec.embed_dim;
  TlTensor *w;

  if (layer->in_ndim != 1)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "embedding expects a sequence of token ids [steps], got %s", shape);
      return FALSE;
    }
  if (layer->in_shape[0] < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "embedding needs at least one step, got %d", layer->in_shape[0]);
      return FALSE;
    }
  if (V < 2 || E < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "embedding needs a vocabulary of at least 2 (0 is padding) and a dimension of "
                   "at least 1, got vocabulary %d, dimension %d", V, E);
      return FALSE;
    }

  layer->ops = &embedding_ops;
  layer->out_ndim = 2;
  layer->out_shape[0] = layer->in_shape[0];
  layer->out_shape[1] = E;
  tl_layer_add_param (layer, "weight", 2, (int[]) { V, E });
  w = layer->params[0].value;
  for (gsize i = E; i < w->size; i++)
    w->data[i] = (float) tl_rng_normal (rng);
  return TRUE;
}
