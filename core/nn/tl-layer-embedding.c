#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"
#include "tl-parallel.h"

/* A lookup table: token ids (stored as floats) [B, T] -> vectors [B, T, E].
 * Id 0 is padding: its vector is zero and never learns, as with
 * torch.nn.Embedding(padding_idx=0). Ids outside the table count as padding. */

static inline int
token_row (float id, int vocab)
{
  return id >= 1.0f && id < (float) vocab ? (int) id : 0;
}

typedef struct {
  const float *ids, *table, *grad_out;
  float       *out, *dtable;
  gsize        n_ids;
  int          E, V;
} Lookup;

static void
lookup_rows (gpointer data, gsize i0, gsize i1)
{
  const Lookup *lk = data;

  for (gsize i = i0; i < i1; i++)
    {
      const int row = token_row (lk->ids[i], lk->V);
      float *dst = lk->out + i * lk->E;

      if (row == 0)
        memset (dst, 0, sizeof (float) * lk->E);
      else
        memcpy (dst, lk->table + (gsize) row * lk->E, sizeof (float) * lk->E);
    }
}

static void
embedding_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const int batch = in->shape[0];
  const int T = layer->in_shape[0];
  const int E = layer->spec.embed_dim;
  Lookup lk = { in->data, layer->params[0].value->data, NULL, NULL, NULL, in->size, E,
                layer->spec.vocab_size };

  g_assert (in->size == (gsize) batch * T);
  tl_tensor_resize (out, 3, (int[]) { batch, T, E });
  lk.out = out->data;
  tl_parallel_for (in->size, MAX (8192 / E, 1), lookup_rows, &lk);
}

/* Columns [e0, e1) of the table gradient: every token adds its gradient in
 * token order, so the sums do not depend on how the columns are split. */
TL_VECTORIZED static void
scatter_columns (gpointer data, gsize e0, gsize e1)
{
  const Lookup *lk = data;

  for (gsize i = 0; i < lk->n_ids; i++)
    {
      const int row = token_row (lk->ids[i], lk->V);
      const float *restrict g = lk->grad_out + i * lk->E;
      float *restrict d = lk->dtable + (gsize) row * lk->E;

      if (row == 0)
        continue;
      for (gsize e = e0; e < e1; e++)
        d[e] += g[e];
    }
}

static void
embedding_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                    const TlTensor *grad_out, TlTensor *grad_in)
{
  const int E = layer->spec.embed_dim;

  if (layer->trainable)
    {
      Lookup lk = { in->data, NULL, grad_out->data, NULL, layer->params[0].grad->data, in->size, E,
                    layer->spec.vocab_size };

      /* columns in multiples of 16 keep each thread on whole cache lines */
      tl_parallel_for (E, MAX ((gsize) 16, (gsize) (E + 3) / 4 / 16 * 16), scatter_columns, &lk);
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
