#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"
#include "tl-parallel.h"

/* A weighted bag of rows: each sample is [2, K], K term ids (stored as floats)
 * followed by their K weights; the output [D] is the weighted sum of the ids'
 * rows, as torch.nn.EmbeddingBag(mode="sum", padding_idx=0) with
 * per_sample_weights. Id 0 (and any id outside the table) is an empty slot:
 * it adds nothing and its row never learns. The table's gradient is sparse in
 * effect: only the rows of the batch's terms are touched. */

static inline int
term_row (float id, int vocab)
{
  return id >= 1.0f && id < (float) vocab ? (int) id : 0;
}

typedef struct {
  const float *x, *table, *grad_out;
  float       *out, *dtable, *grad_in;
  int          batch, K, D, V;
} Bag;

/* Rows are 512 bytes at the preset's width, spread over a table far larger
 * than the caches: the row a few terms ahead is fetched while this one is summed. */
#define PREFETCH_AHEAD 4

static inline void
prefetch_row (const float *row, int D, int write)
{
  for (int d = 0; d < D; d += 16)
    {
      if (write)
        __builtin_prefetch (row + d, 1, 3);
      else
        __builtin_prefetch (row + d, 0, 3);
    }
}

TL_VECTORIZED static void
sum_rows (gpointer data, gsize b0, gsize b1)
{
  const Bag *bag = data;
  const int K = bag->K, D = bag->D, V = bag->V;

  for (gsize b = b0; b < b1; b++)
    {
      const float *ids = bag->x + b * 2 * K;
      const float *w = ids + K;
      float *restrict dst = bag->out + b * D;

      memset (dst, 0, sizeof (float) * D);
      for (int k = 0; k < PREFETCH_AHEAD && k < K; k++)
        prefetch_row (bag->table + (gsize) term_row (ids[k], V) * D, D, 0);
      for (int k = 0; k < K; k++)
        {
          const int row = term_row (ids[k], V);
          const float *restrict src = bag->table + (gsize) row * D;
          const float wk = w[k];

          if (k + PREFETCH_AHEAD < K)
            prefetch_row (bag->table + (gsize) term_row (ids[k + PREFETCH_AHEAD], V) * D, D, 0);
          if (row == 0 || wk == 0.0f)
            continue;
          for (int d = 0; d < D; d++)
            dst[d] += wk * src[d];
        }
    }
}

static void
bag_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const int batch = in->shape[0];
  Bag bag = { in->data, layer->params[0].value->data, NULL, NULL, NULL, NULL, batch,
              layer->in_shape[1], layer->spec.embed_dim, layer->spec.vocab_size };

  g_assert (in->size == (gsize) batch * 2 * bag.K);
  tl_tensor_resize (out, 2, (int[]) { batch, bag.D });
  bag.out = out->data;
  tl_parallel_for (batch, MAX (1, 4096 / (bag.K * bag.D + 1)), sum_rows, &bag);
}

/* Columns [d0, d1) of the table's gradient, every term in batch order, so the
 * sums do not depend on how the columns are split between threads. */
TL_VECTORIZED static void
scatter_columns (gpointer data, gsize d0, gsize d1)
{
  const Bag *bag = data;
  const int K = bag->K, D = bag->D, V = bag->V;

  for (int b = 0; b < bag->batch; b++)
    {
      const float *ids = bag->x + (gsize) b * 2 * K;
      const float *w = ids + K;
      const float *restrict g = bag->grad_out + (gsize) b * D;

      for (int k = 0; k < K; k++)
        {
          const int row = term_row (ids[k], V);
          float *restrict dst = bag->dtable + (gsize) row * D;
          const float wk = w[k];

          if (k + PREFETCH_AHEAD < K)
            prefetch_row (bag->dtable + (gsize) term_row (ids[k + PREFETCH_AHEAD], V) * D + d0,
                          (int) (d1 - d0), 1);
          if (row == 0 || wk == 0.0f)
            continue;
          for (gsize d = d0; d < d1; d++)
            dst[d] += wk * g[d];
        }
    }
}

/* The weights' gradient is the dot product of each term's row with the output
 * gradient; the ids have none. */
static void
weight_gradients (gpointer data, gsize b0, gsize b1)
{
  const Bag *bag = data;

  for (gsize b = b0; b < b1; b++)
    {
      const float *ids = bag->x + b * 2 * bag->K;
      const float *g = bag->grad_out + b * bag->D;
      float *dx = bag->grad_in + b * 2 * bag->K;

      memset (dx, 0, sizeof (float) * 2 * bag->K);
      for (int k = 0; k < bag->K; k++)
        {
          const int row = term_row (ids[k], bag->V);
          const float *src = bag->table + (gsize) row * bag->D;
          float dot = 0.0f;

          if (row == 0)
            continue;
          for (int d = 0; d < bag->D; d++)
            dot += src[d] * g[d];
          dx[bag->K + k] = dot;
        }
    }
}

static void
bag_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
              const TlTensor *grad_out, TlTensor *grad_in)
{
  Bag bag = { in->data, layer->params[0].value->data, grad_out->data, NULL,
              layer->params[0].grad->data, NULL, in->shape[0], layer->in_shape[1],
              layer->spec.embed_dim, layer->spec.vocab_size };

  if (layer->trainable && layer->params[0].touched != NULL)
    {
      TlRowSet *set = layer->params[0].touched;
      for (gsize i = 0; i < (gsize) bag.batch * 2 * bag.K; i += 2 * bag.K)
        for (int k = 0; k < bag.K; k++)
          {
            const int row = term_row (bag.x[i + k], bag.V);
            if (row != 0 && bag.x[i + bag.K + k] != 0.0f)
              tl_row_set_add (set, row);
          }
    }
  /* every chunk reads all the batch's terms: one chunk of columns per thread,
   * whole cache lines each; a column's sums never depend on the split */
  if (layer->trainable)
    tl_parallel_for (bag.D, (tl_parallel_grain (bag.D, 16) + 15) / 16 * 16, scatter_columns, &bag);
  if (grad_in != NULL)
    {
      tl_tensor_resize (grad_in, in->ndim, in->shape);
      bag.grad_in = grad_in->data;
      tl_parallel_for (bag.batch, 8, weight_gradients, &bag);
    }
}

static const TlLayerOps bag_ops = { bag_forward, bag_backward, NULL };

gboolean
tl_embedding_bag_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const int V = layer->spec.vocab_size;
  const int D = layer->spec.embed_dim;
  TlTensor *w;

  if (layer->in_ndim != 2 || layer->in_shape[0] != 2 || layer->in_shape[1] < 1)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "embedding_bag expects a bag of terms [2, terms] (ids, then weights), got %s; "
                   "it takes n-gram features", shape);
      return FALSE;
    }
  if (V < 2 || D < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "embedding_bag needs a vocabulary of at least 2 (0 is an empty slot) and a "
                   "dimension of at least 1, got vocabulary %d, dimension %d", V, D);
      return FALSE;
    }

  layer->ops = &bag_ops;
  layer->out_ndim = 1;
  layer->out_shape[0] = D;
  tl_layer_add_param (layer, "weight", 2, (int[]) { V, D });
  tl_param_track_rows (&layer->params[0]);
  w = layer->params[0].value;
  /* Rows drawn as a Linear layer over V inputs would be (PyTorch's default
   * for nn.Linear): the bag is a linear map of a sparse, L2-normalised vector. */
  {
    const float bound = 1.0f / sqrtf ((float) MIN (V, 4096));
    for (gsize i = D; i < w->size; i++)
      w->data[i] = tl_rng_uniform_range (rng, -bound, bound);
  }
  return TRUE;
}
