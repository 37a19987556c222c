#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"

/* Add, Concat and Mul join the outputs of several earlier layers of a graph
 * model: `in` is the first input, ctx->extra_in the others (see TlContext).
 * Mul multiplies two inputs of one shape value by value, or scales each
 * channel of the first by the second's value for it (a squeeze-excitation
 * gate, [C] against [C, H, W]): which one is told by the second's size. */

static const TlTensor *
input_k (const TlContext *ctx, const TlTensor *in, int k)
{
  return k == 0 ? in : ctx->extra_in[k - 1];
}

static void
add_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  tl_tensor_resize (out, in->ndim, in->shape);
  if (in->size > 0)
    memcpy (out->data, in->data, in->size * sizeof (float));
  for (int k = 0; k < ctx->n_extra; k++)
    {
      const float *x = ctx->extra_in[k]->data;

      g_assert (ctx->extra_in[k]->size == out->size);
      for (gsize i = 0; i < out->size; i++)
        out->data[i] += x[i];
    }
}

static void
add_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
              const TlTensor *grad_out, TlTensor *grad_in)
{
  for (int k = 0; k <= ctx->n_extra; k++)
    {
      TlTensor *g = k == 0 ? grad_in : ctx->extra_grad[k - 1];

      if (g == NULL)
        continue;
      tl_tensor_resize (g, in->ndim, in->shape);
      if (g->size > 0)
        memcpy (g->data, grad_out->data, g->size * sizeof (float));
    }
}

/* Floats per sample of input k: its channels times the values of one channel. */
static gsize
block_of (const TlLayer *layer, int k)
{
  return (gsize) layer->input_channels[k] * tl_shape_size (layer->in_ndim - 1, layer->in_shape + 1);
}

static void
concat_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const int batch = in->shape[0];
  const gsize row = tl_shape_size (layer->out_ndim, layer->out_shape);
  int shape[TL_MAX_DIMS];
  gsize offset = 0;

  shape[0] = batch;
  memcpy (shape + 1, layer->out_shape, sizeof (int) * layer->out_ndim);
  tl_tensor_resize (out, layer->out_ndim + 1, shape);
  for (int k = 0; k <= ctx->n_extra; k++)
    {
      const TlTensor *x = input_k (ctx, in, k);
      const gsize block = block_of (layer, k);

      g_assert (x->size == block * batch);
      for (int b = 0; b < batch; b++)
        memcpy (out->data + b * row + offset, x->data + b * block, block * sizeof (float));
      offset += block;
    }
}

static void
concat_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                 const TlTensor *grad_out, TlTensor *grad_in)
{
  const int batch = in->shape[0];
  const gsize row = tl_shape_size (layer->out_ndim, layer->out_shape);
  gsize offset = 0;

  for (int k = 0; k <= ctx->n_extra; k++)
    {
      const TlTensor *x = input_k (ctx, in, k);
      TlTensor *g = k == 0 ? grad_in : ctx->extra_grad[k - 1];
      const gsize block = block_of (layer, k);

      if (g != NULL)
        {
          tl_tensor_resize (g, x->ndim, x->shape);
          for (int b = 0; b < batch; b++)
            memcpy (g->data + b * block, grad_out->data + b * row + offset, block * sizeof (float));
        }
      offset += block;
    }
}

/* Values of the first input that one value of the second multiplies: 1 or H * W. */
static gsize
mul_span (const TlLayer *layer, const TlTensor *in, const TlTensor *s)
{
  const gsize row = tl_shape_size (layer->in_ndim, layer->in_shape);

  if (s->size == in->size)
    return 1;
  g_assert (s->size * (row / (gsize) layer->in_shape[0]) == in->size);
  return row / (gsize) layer->in_shape[0];
}

static void
mul_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const TlTensor *s = ctx->extra_in[0];
  const gsize span = mul_span (layer, in, s);

  tl_tensor_resize (out, in->ndim, in->shape);
  for (gsize j = 0; j < s->size; j++)
    {
      const float v = s->data[j];
      const float *x = in->data + j * span;
      float *y = out->data + j * span;

      for (gsize i = 0; i < span; i++)
        y[i] = x[i] * v;
    }
}

static void
mul_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
              const TlTensor *grad_out, TlTensor *grad_in)
{
  const TlTensor *s = ctx->extra_in[0];
  TlTensor *grad_s = ctx->extra_grad[0];
  const gsize span = mul_span (layer, in, s);

  if (grad_in != NULL)
    tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (grad_s != NULL)
    tl_tensor_resize (grad_s, s->ndim, s->shape);
  for (gsize j = 0; j < s->size; j++)
    {
      const float *x = in->data + j * span, *g = grad_out->data + j * span;
      double sum = 0.0;

      if (grad_in != NULL)
        for (gsize i = 0; i < span; i++)
          grad_in->data[j * span + i] = g[i] * s->data[j];
      if (grad_s != NULL)
        {
          for (gsize i = 0; i < span; i++)
            sum += (double) g[i] * x[i];
          grad_s->data[j] = (float) sum;
        }
    }
}

static const TlLayerOps add_ops = { add_forward, add_backward, NULL };
static const TlLayerOps concat_ops = { concat_forward, concat_backward, NULL };
static const TlLayerOps mul_ops = { mul_forward, mul_backward, NULL };

static const char *
join_name (TlLayerKind kind)
{
  return kind == TL_LAYER_ADD ? "add" : kind == TL_LAYER_MUL ? "mul" : "concat";
}

gboolean
tl_join_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const char *what = join_name (layer->spec.kind);
  const gboolean same = layer->spec.kind != TL_LAYER_CONCAT;
  gsize channels = 0;

  if (layer->spec.kind == TL_LAYER_MUL && layer->n_inputs != 2)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "mul needs two inputs, it has %d",
                   layer->n_inputs);
      return FALSE;
    }
  if (layer->n_inputs < 2)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "%s needs at least two inputs, it has %d", what, layer->n_inputs);
      return FALSE;
    }
  for (int k = 0; k < layer->n_inputs; k++)
    {
      if (layer->input_channels[k] < 1
          || (same && layer->input_channels[k] != layer->in_shape[0]))
        {
          g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "%s: input %d has %d channels but the first input is %s", what, k + 1,
                       layer->input_channels[k], shape);
          return FALSE;
        }
      channels += (gsize) layer->input_channels[k];
    }
  if (channels > G_MAXINT / 2)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "%s: too many channels", what);
      return FALSE;
    }
  layer->ops = layer->spec.kind == TL_LAYER_ADD ? &add_ops : layer->spec.kind == TL_LAYER_MUL ? &mul_ops
                                                                                        : &concat_ops;
  layer->out_ndim = layer->in_ndim;
  memcpy (layer->out_shape, layer->in_shape, sizeof (int) * layer->in_ndim);
  if (layer->spec.kind == TL_LAYER_CONCAT)
    layer->out_shape[0] = (int) channels;
  return TRUE;
}
