#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer.h"

G_DEFINE_QUARK (tl-error-quark, tl_error)

static const char *kind_names[TL_N_LAYER_KINDS] = {
  [TL_LAYER_DENSE] = "dense",
  [TL_LAYER_RELU] = "relu",
  [TL_LAYER_TANH] = "tanh",
  [TL_LAYER_SIGMOID] = "sigmoid",
  [TL_LAYER_SOFTMAX] = "softmax",
  [TL_LAYER_DROPOUT] = "dropout",
  [TL_LAYER_FLATTEN] = "flatten",
  [TL_LAYER_CONV2D] = "conv2d",
  [TL_LAYER_MAXPOOL2D] = "maxpool2d",
  [TL_LAYER_EMBEDDING] = "embedding",
  [TL_LAYER_LSTM] = "lstm",
  [TL_LAYER_GRU] = "gru",
  [TL_LAYER_GLOBAL_AVG_POOL1D] = "global_avg_pool1d",
  [TL_LAYER_GLOBAL_MAX_POOL1D] = "global_max_pool1d",
};

const char *
tl_layer_kind_name (TlLayerKind kind)
{
  g_return_val_if_fail (kind < TL_N_LAYER_KINDS, "unknown");
  return kind_names[kind];
}

gboolean
tl_layer_kind_from_name (const char *name, TlLayerKind *kind)
{
  for (int k = 0; k < TL_N_LAYER_KINDS; k++)
    if (g_ascii_strcasecmp (name, kind_names[k]) == 0)
      {
        *kind = k;
        return TRUE;
      }
  return FALSE;
}

char *
tl_layer_spec_describe (const TlLayerSpec *s)
{
  switch (s->kind)
    {
    case TL_LAYER_DENSE:
      return g_strdup_printf ("Dense(%d)", s->units);
    case TL_LAYER_RELU:
      return g_strdup ("ReLU");
    case TL_LAYER_TANH:
      return g_strdup ("Tanh");
    case TL_LAYER_SIGMOID:
      return g_strdup ("Sigmoid");
    case TL_LAYER_SOFTMAX:
      return g_strdup ("Softmax");
    case TL_LAYER_DROPOUT:
      return g_strdup_printf ("Dropout(%.2g)", s->rate);
    case TL_LAYER_FLATTEN:
      return g_strdup ("Flatten");
    case TL_LAYER_CONV2D:
      return g_strdup_printf ("Conv2D(%d, %dx%d, stride %d, pad %d)", s->filters, s->kernel,
                              s->kernel, MAX (s->stride, 1), s->padding);
    case TL_LAYER_MAXPOOL2D:
      return g_strdup_printf ("MaxPool2D(%dx%d)", s->kernel, s->kernel);
    case TL_LAYER_EMBEDDING:
      return g_strdup_printf ("Embedding(%d, %d)", s->vocab_size, s->embed_dim);
    case TL_LAYER_LSTM:
      return g_strdup_printf ("LSTM(%d%s)", s->units, s->return_sequences ? ", sequences" : "");
    case TL_LAYER_GRU:
      return g_strdup_printf ("GRU(%d%s)", s->units, s->return_sequences ? ", sequences" : "");
    case TL_LAYER_GLOBAL_AVG_POOL1D:
      return g_strdup ("GlobalAveragePool1D");
    case TL_LAYER_GLOBAL_MAX_POOL1D:
      return g_strdup ("GlobalMaxPool1D");
    case TL_N_LAYER_KINDS:
    default:
      return g_strdup ("?");
    }
}

void
tl_layer_add_param (TlLayer *layer, const char *name, int ndim, const int *shape)
{
  TlParam *p;

  g_return_if_fail (layer->n_params < TL_LAYER_MAX_PARAMS);
  p = &layer->params[layer->n_params++];
  p->name = g_strdup (name);
  p->value = tl_tensor_new (ndim, shape);
  p->grad = tl_tensor_new (ndim, shape);
}

TlLayer *
tl_layer_new (const TlLayerSpec *spec, const char *name, int in_ndim, const int *in_shape,
              TlRng *rng, GError **error)
{
  g_autoptr (TlLayer) layer = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (in_ndim >= 1 && in_ndim < TL_MAX_DIMS, NULL);

  if (spec->kind >= TL_N_LAYER_KINDS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "unknown layer kind %d", spec->kind);
      return NULL;
    }

  layer = g_new0 (TlLayer, 1);
  layer->spec = *spec;
  layer->name = g_strdup (name ? name : tl_layer_kind_name (spec->kind));
  layer->in_ndim = in_ndim;
  memcpy (layer->in_shape, in_shape, sizeof (int) * in_ndim);
  layer->trainable = TRUE;
  layer->lr_mult = 1.0f;

  switch (spec->kind)
    {
    case TL_LAYER_DENSE:
      ok = tl_dense_init (layer, rng, error);
      break;
    case TL_LAYER_RELU:
    case TL_LAYER_TANH:
    case TL_LAYER_SIGMOID:
    case TL_LAYER_SOFTMAX:
      ok = tl_activation_init (layer, rng, error);
      break;
    case TL_LAYER_DROPOUT:
      ok = tl_dropout_init (layer, rng, error);
      break;
    case TL_LAYER_FLATTEN:
      ok = tl_flatten_init (layer, rng, error);
      break;
    case TL_LAYER_CONV2D:
      ok = tl_conv2d_init (layer, rng, error);
      break;
    case TL_LAYER_MAXPOOL2D:
      ok = tl_maxpool2d_init (layer, rng, error);
      break;
    case TL_LAYER_EMBEDDING:
      ok = tl_embedding_init (layer, rng, error);
      break;
    case TL_LAYER_LSTM:
      ok = tl_lstm_init (layer, rng, error);
      break;
    case TL_LAYER_GRU:
      ok = tl_gru_init (layer, rng, error);
      break;
    case TL_LAYER_GLOBAL_AVG_POOL1D:
    case TL_LAYER_GLOBAL_MAX_POOL1D:
      ok = tl_pool1d_init (layer, rng, error);
      break;
    case TL_N_LAYER_KINDS:
    default:
      g_assert_not_reached ();
    }

  if (!ok)
    {
      if (error && *error)
        g_prefix_error (error, "layer %s: ", layer->name);
      return NULL;
    }
  g_assert (layer->ops != NULL);
  return g_steal_pointer (&layer);
}

void
tl_layer_free (TlLayer *layer)
{
  if (layer == NULL)
    return;
  if (layer->ops && layer->ops->finalize)
    layer->ops->finalize (layer);
  for (int i = 0; i < layer->n_params; i++)
    {
      g_free (layer->params[i].name);
      tl_tensor_free (layer->params[i].value);
      tl_tensor_free (layer->params[i].grad);
    }
  g_free (layer->name);
  g_free (layer);
}

TlLayer *
tl_layer_copy (const TlLayer *layer)
{
  TlLayer *copy;
  TlRng rng;

  g_return_val_if_fail (layer != NULL, NULL);
  tl_rng_init (&rng, 0);
  copy = tl_layer_new (&layer->spec, layer->name, layer->in_ndim, layer->in_shape, &rng, NULL);
  g_assert (copy != NULL && copy->n_params == layer->n_params);
  for (int i = 0; i < layer->n_params; i++)
    tl_tensor_copy_into (copy->params[i].value, layer->params[i].value);
  copy->trainable = layer->trainable;
  copy->lr_mult = layer->lr_mult;
  return copy;
}

void
tl_layer_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  layer->ops->forward (layer, ctx, in, out);
}

void
tl_layer_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                   const TlTensor *grad_out, TlTensor *grad_in)
{
  layer->ops->backward (layer, ctx, in, out, grad_out, grad_in);
}

void
tl_layer_zero_grad (TlLayer *layer)
{
  for (int i = 0; i < layer->n_params; i++)
    tl_tensor_zero (layer->params[i].grad);
}

gsize
tl_layer_param_count (const TlLayer *layer)
{
  gsize n = 0;
  for (int i = 0; i < layer->n_params; i++)
    n += layer->params[i].value->size;
  return n;
}

TlParam *
tl_layer_find_param (TlLayer *layer, const char *name)
{
  for (int i = 0; i < layer->n_params; i++)
    if (g_strcmp0 (layer->params[i].name, name) == 0)
      return &layer->params[i];
  return NULL;
}

gboolean
tl_layer_has_randomness (const TlLayer *layer)
{
  return layer->spec.kind == TL_LAYER_DROPOUT && layer->spec.rate > 0.0f;
}
