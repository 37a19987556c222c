#define G_LOG_DOMAIN "tl-dp-sgd"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tl-conv2d-per-example.h"
#include "tl-dp-sgd.h"
#include "tl-error.h"

gboolean
tl_dp_layer_supported (const TlLayer *layer)
{
  switch (layer->spec.kind)
    {
    case TL_LAYER_DENSE:
    case TL_LAYER_EMBEDDING:
    case TL_LAYER_EMBEDDING_BAG:
      return TRUE;
    case TL_LAYER_CONV2D:
      return layer->spec.groups <= 1;
    default:
      return FALSE;
    }
}

/* In a graph model: TRUE when layer i reads layer i - 1 alone and only layer i + 1
 * (or nothing, the last) reads it, so that its input and the gradient at its
 * output are where the per-example norms look for them. */
static gboolean
in_plain_chain (const TlModel *model, int i, int end)
{
  if (tl_model_n_inputs_of (model, i) != 1 || tl_model_input_of (model, i, 0) != i - 1)
    return FALSE;
  for (int j = i + 2; j < end; j++)
    for (int k = 0; k < tl_model_n_inputs_of (model, j); k++)
      if (tl_model_input_of (model, j, k) == i)
        return FALSE;
  return TRUE;
}

gboolean
tl_dp_check_model (const TlModel *model, int first, int end, GError **error)
{
  for (int i = first; i < end; i++)
    {
      const TlLayer *layer = tl_model_layer (model, i);

      if (model->graph && layer->trainable && layer->n_params > 0 && !in_plain_chain (model, i, end))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "private training cannot train layer %s (%s): it reads or feeds a branch of the network, "
                       "where per-example gradients are not computed; freeze it", layer->name,
                       tl_layer_kind_name (layer->spec.kind));
          return FALSE;
        }

      if (layer->trainable && layer->n_params > 0 && !tl_dp_layer_supported (layer))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "private training cannot train layer %s (%s%s): per-example gradients are computed for "
                       "dense, conv2d (ungrouped), embedding and embedding_bag layers only; freeze it", layer->name,
                       tl_layer_kind_name (layer->spec.kind), layer->spec.groups > 1 ? ", grouped" : "");
          return FALSE;
        }
      /* batch statistics mix the examples of a batch and learn from them without noise */
      if (layer->n_buffers > 0 && layer->spec.frozen_stats)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "private training cannot use layer %s (%s) while it updates its running statistics "
                       "from the batch: turn frozen_updates_stats off", layer->name,
                       tl_layer_kind_name (layer->spec.kind));
          return FALSE;
        }
    }
  return TRUE;
}

static inline int
table_row (float id, int vocab)
{
  return id >= 1.0f && id < (float) vocab ? (int) id : 0;
}

static double
sq_sum (const float *v, gsize n)
{
  double s = 0.0;
  for (gsize k = 0; k < n; k++)
    s += (double) v[k] * v[k];
  return s;
}

/* weight [u, f] gets g[u] x[f], bias g[u]: |g|^2 (|x|^2 + 1) */
static void
dense_norms (const TlTensor *in, const TlTensor *gout, int batch, double *sq)
{
  const gsize n_in = in->size / batch, n_out = gout->size / batch;

  for (int b = 0; b < batch; b++)
    sq[b] += sq_sum (gout->data + b * n_out, n_out) * (sq_sum (in->data + b * n_in, n_in) + 1.0);
}

typedef struct {
  int   row;
  int   pos;
} Slot;

static int
slot_compare (const void *a, const void *b)
{
  const Slot *x = a, *y = b;
  if (x->row != y->row)
    return x->row < y->row ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* An example's table gradient: row r gets the sum of the output gradients of its
 * steps with id r. Steps sorted by id, each run of equal ids summed. */
static void
embedding_norms (const TlLayer *layer, const TlTensor *in, const TlTensor *gout, int batch, double *sq)
{
  const int T = (int) (in->size / batch), E = layer->spec.embed_dim, V = layer->spec.vocab_size;
  g_autofree Slot *slots = g_new (Slot, T);
  g_autofree double *acc = g_new (double, E);

  for (int b = 0; b < batch; b++)
    {
      const float *ids = in->data + (gsize) b * T;
      const float *g = gout->data + (gsize) b * T * E;
      int n = 0;
      double total = 0.0;

      for (int t = 0; t < T; t++)
        if (table_row (ids[t], V) != 0)
          slots[n++] = (Slot) { table_row (ids[t], V), t };
      qsort (slots, n, sizeof (Slot), slot_compare);
      for (int s = 0; s < n;)
        {
          int e_run = s;
          memset (acc, 0, sizeof (double) * E);
          for (; e_run < n && slots[e_run].row == slots[s].row; e_run++)
            for (int e = 0; e < E; e++)
              acc[e] += g[(gsize) slots[e_run].pos * E + e];
          for (int e = 0; e < E; e++)
            total += acc[e] * acc[e];
          s = e_run;
        }
      sq[b] += total;
    }
}

/* A bag's row r gets (sum of the weights of its id-r terms) times the output gradient. */
static void
bag_norms (const TlLayer *layer, const TlTensor *in, const TlTensor *gout, int batch, double *sq)
{
  const int K = (int) (in->size / batch / 2), D = layer->spec.embed_dim, V = layer->spec.vocab_size;
  g_autofree Slot *slots = g_new (Slot, K);

  for (int b = 0; b < batch; b++)
    {
      const float *ids = in->data + (gsize) b * 2 * K, *w = ids + K;
      double weights = 0.0;
      int n = 0;

      for (int k = 0; k < K; k++)
        if (table_row (ids[k], V) != 0 && w[k] != 0.0f)
          slots[n++] = (Slot) { table_row (ids[k], V), k };
      qsort (slots, n, sizeof (Slot), slot_compare);
      for (int s = 0; s < n;)
        {
          double sum = 0.0;
          int e_run = s;
          for (; e_run < n && slots[e_run].row == slots[s].row; e_run++)
            sum += w[slots[e_run].pos];
          weights += sum * sum;
          s = e_run;
        }
      sq[b] += weights * sq_sum (gout->data + (gsize) b * D, D);
    }
}

void
tl_dp_per_example_sq_norms (const TlModel *model, const TlTensor *input, const TlTensor *grad_output,
                            int first, int end, double *sq_norms)
{
  const int batch = input->shape[0];

  memset (sq_norms, 0, sizeof (double) * batch);
  if (batch == 0)
    return;
  for (int i = first; i < end; i++)
    {
      const TlLayer *layer = tl_model_layer (model, i);
      const TlTensor *in = i == first ? input : g_ptr_array_index (model->acts, i - 1);
      const TlTensor *gout = i == end - 1 ? grad_output : g_ptr_array_index (model->grads, i + 1);

      if (!layer->trainable || layer->n_params == 0)
        continue;
      switch (layer->spec.kind)
        {
        case TL_LAYER_DENSE:
          dense_norms (in, gout, batch, sq_norms);
          break;
        case TL_LAYER_EMBEDDING:
          embedding_norms (layer, in, gout, batch, sq_norms);
          break;
        case TL_LAYER_EMBEDDING_BAG:
          bag_norms (layer, in, gout, batch, sq_norms);
          break;
        case TL_LAYER_CONV2D:
          /* fused with a ReLU and a pool, the gradient at its own output is not kept */
          g_return_if_fail (model->unfused);
          tl_conv2d_per_example_sq_norms (layer, in, gout, sq_norms);
          break;
        default:
          g_critical ("no per-example gradient norms for layer %s", layer->name);
          break;
        }
    }
}

/* Rows of src times scale[b] into dst, [batch, row]. */
static void
scale_rows (const TlTensor *src, const float *scale, int batch, TlTensor *dst)
{
  const gsize row = src->size / batch;

  if (dst != src)
    tl_tensor_resize (dst, src->ndim, src->shape);
  for (int b = 0; b < batch; b++)
    for (gsize k = 0; k < row; k++)
      dst->data[b * row + k] = src->data[b * row + k] * scale[b];
}

void
tl_dp_clipped_gradient (TlModel *model, const TlTensor *input, TlTensor *grad_output, int first, int end,
                        double clip, double *norms)
{
  const int batch = input->shape[0];
  g_autofree double *sq = g_new (double, MAX (batch, 1));
  g_autofree float *scale = g_new (float, MAX (batch, 1));
  g_autoptr (TlTensor) scaled = tl_tensor_new_empty ();

  if (batch == 0)
    return;
  /* a first pass for the norms; it keeps every layer's output gradient */
  tl_model_backward_range (model, input, grad_output, first, end);
  tl_dp_per_example_sq_norms (model, input, grad_output, first, end, sq);
  for (int b = 0; b < batch; b++)
    {
      double norm = sqrt (sq[b]);

      scale[b] = norm > clip ? (float) (clip / norm) : 1.0f;
      if (norms)
        norms[b] = norm;
    }
  /* Gradients are linear in the loss gradient, and clipping scales an example's
   * loss gradient: each layer's output gradient, its rows scaled, gives that
   * layer's clipped sum. Only the parameters' gradients are computed again, no
   * input gradient flows. */
  tl_model_zero_grad (model);
  scale_rows (grad_output, scale, batch, grad_output);
  for (int i = first; i < end; i++)
    {
      TlLayer *layer = tl_model_layer (model, i);
      const TlTensor *in = i == first ? input : g_ptr_array_index (model->acts, i - 1);
      const TlTensor *gout = i == end - 1 ? grad_output : g_ptr_array_index (model->grads, i + 1);

      if (!layer->trainable || layer->n_params == 0)
        continue;
      if (gout != grad_output)
        scale_rows (gout, scale, batch, scaled);
      tl_layer_backward (layer, &model->ctx, in, g_ptr_array_index (model->acts, i),
                         gout != grad_output ? scaled : grad_output, NULL);
    }
}

static gboolean
has_padding_row (const TlLayer *layer)
{
  return layer->spec.kind == TL_LAYER_EMBEDDING || layer->spec.kind == TL_LAYER_EMBEDDING_BAG;
}

void
tl_dp_noise_gradient (TlModel *model, TlRng *rng, double noise_std, double divisor)
{
  const float inv = (float) (1.0 / divisor);

  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      TlLayer *layer = tl_model_layer (model, i);

      if (!layer->trainable)
        continue;
      for (int p = 0; p < layer->n_params; p++)
        {
          TlParam *param = &layer->params[p];
          TlTensor *g = param->grad;
          gsize skip = has_padding_row (layer) ? (gsize) g->shape[1] : 0;

          for (gsize k = skip; k < g->size; k++)
            g->data[k] = (float) (g->data[k] + noise_std * tl_rng_normal (rng)) * inv;
          if (param->touched)
            for (int r = 1; r < g->shape[0]; r++)
              tl_row_set_add (param->touched, r);
        }
    }
}

int
tl_dp_poisson_batch (TlRng *rng, int n, double rate, int *idx, int max)
{
  int count = 0;
  double log_keep;

  if (rate >= 1.0)
    {
      for (int i = 0; i < n && i < max; i++)
        idx[i] = i;
      return MIN (n, max);
    }
  if (rate <= 0.0)
    return 0;
  log_keep = log1p (-rate);
  /* the gap before the next member is geometric: floor(log U / log(1 - rate)) */
  for (double pos = -1.0;;)
    {
      double u = 1.0 - tl_rng_uniform (rng);   /* in (0, 1] */
      pos += 1.0 + floor (log (u) / log_keep);
      if (pos >= n || count >= max)
        break;
      idx[count++] = (int) pos;
    }
  return count;
}

gboolean
tl_dp_setup (const TlPrivacyConfig *config, int n, int batch_size, guint64 steps, TlPrivacyAccountant *acc,
             GError **error)
{
  double rate = MIN (1.0, (double) batch_size / n);
  double sigma = config->sigma;

  if (!(config->delta > 0.0) || config->delta >= 1.0 / n)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "privacy delta must be above 0 and below 1/n = %g for %d training examples, got %g",
                   1.0 / n, n, config->delta);
      return FALSE;
    }
  if (!(config->clip > 0.0) || !isfinite (config->clip))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "privacy clip (the per-example gradient norm bound) must be positive, got %g", config->clip);
      return FALSE;
    }
  if (config->epsilon < 0.0 || config->sigma < 0.0 || !isfinite (config->epsilon) || !isfinite (config->sigma)
      || (config->epsilon == 0.0 && config->sigma == 0.0))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "privacy needs a positive epsilon (the budget) or a positive sigma (the noise multiplier), "
                   "got epsilon %g, sigma %g", config->epsilon, config->sigma);
      return FALSE;
    }
  if (sigma == 0.0
      && !tl_privacy_calibrate_sigma (config->epsilon, config->delta, rate, MAX (steps, 1),
                                      TL_PRIVACY_CONVERSION_STANDARD, &sigma, error))
    return FALSE;
  tl_privacy_accountant_init (acc, rate, sigma, config->delta);
  return TRUE;
}
