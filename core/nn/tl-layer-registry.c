#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"
#include "tl-layer-registry.h"

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
      if (s->groups > 1)
        return g_strdup_printf ("Conv2D(%d, %dx%d, stride %d, pad %d, groups %d)", s->filters,
                                s->kernel, s->kernel, MAX (s->stride, 1), s->padding, s->groups);
      return g_strdup_printf ("Conv2D(%d, %dx%d, stride %d, pad %d)", s->filters, s->kernel,
                              s->kernel, MAX (s->stride, 1), s->padding);
    case TL_LAYER_MAXPOOL2D:
      if (s->padding > 0)
        return g_strdup_printf ("MaxPool2D(%dx%d, stride %d, pad %d)", s->kernel, s->kernel,
                                s->stride > 0 ? s->stride : s->kernel, s->padding);
      return g_strdup_printf ("MaxPool2D(%dx%d)", s->kernel, s->kernel);
    case TL_LAYER_EMBEDDING:
      return g_strdup_printf ("Embedding(%d, %d)", s->vocab_size, s->embed_dim);
    case TL_LAYER_EMBEDDING_BAG:
      return g_strdup_printf ("EmbeddingBag(%d, %d)", s->vocab_size, s->embed_dim);
    case TL_LAYER_GRADIENT_REVERSAL:
      return g_strdup_printf ("GradientReversal(%.2g)", s->rate);
    case TL_LAYER_LSTM:
      return g_strdup_printf ("LSTM(%d%s)", s->units, s->return_sequences ? ", sequences" : "");
    case TL_LAYER_GRU:
      return g_strdup_printf ("GRU(%d%s)", s->units, s->return_sequences ? ", sequences" : "");
    case TL_LAYER_GLOBAL_AVG_POOL1D:
      return g_strdup ("GlobalAveragePool1D");
    case TL_LAYER_GLOBAL_MAX_POOL1D:
      return g_strdup ("GlobalMaxPool1D");
    case TL_LAYER_BATCHNORM2D:
      return g_strdup ("BatchNorm2D");
    case TL_LAYER_BATCHNORM1D:
      return g_strdup ("BatchNorm1D");
    case TL_LAYER_RELU6:
      return g_strdup ("ReLU6");
    case TL_LAYER_CLIP:
      return g_strdup_printf ("Clip(%g, %g)", s->clip_min, s->clip_max);
    case TL_LAYER_HARDSWISH:
      return g_strdup ("HardSwish");
    case TL_LAYER_GLOBAL_AVG_POOL2D:
      return g_strdup ("GlobalAveragePool2D");
    case TL_LAYER_ADD:
      return g_strdup ("Add");
    case TL_LAYER_CONCAT:
      return g_strdup ("Concat");
    case TL_LAYER_HARDSIGMOID:
      return g_strdup ("HardSigmoid");
    case TL_LAYER_MUL:
      return g_strdup ("Mul");
    case TL_LAYER_AVGPOOL2D:
      return g_strdup_printf ("AvgPool2D(%dx%d, stride %d, pad %d)", s->kernel, s->kernel,
                              s->stride > 0 ? s->stride : s->kernel, s->padding);
    case TL_N_LAYER_KINDS:
    default:
      return g_strdup ("?");
    }
}

TlLayer *
tl_layer_new (const TlLayerSpec *spec, const char *name, int in_ndim, const int *in_shape,
              TlRng *rng, GError **error)
{
  return tl_layer_new_joined (spec, name, in_ndim, in_shape, 0, NULL, NULL, rng, error);
}

TlLayer *
tl_layer_new_joined (const TlLayerSpec *spec, const char *name, int in_ndim, const int *in_shape,
                     int n_inputs, const int *inputs, const int *input_channels, TlRng *rng,
                     GError **error)
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
  g_return_val_if_fail (n_inputs >= 0 && n_inputs <= TL_LAYER_MAX_INPUTS, NULL);
  layer->n_inputs = n_inputs;
  for (int k = 0; k < n_inputs; k++)
    {
      layer->inputs[k] = inputs[k];
      layer->input_channels[k] = input_channels ? input_channels[k] : 0;
    }

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
    case TL_LAYER_EMBEDDING_BAG:
      ok = tl_embedding_bag_init (layer, rng, error);
      break;
    case TL_LAYER_GRADIENT_REVERSAL:
      ok = tl_gradient_reversal_init (layer, rng, error);
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
    case TL_LAYER_BATCHNORM2D:
    case TL_LAYER_BATCHNORM1D:
      ok = tl_batchnorm_init (layer, rng, error);
      break;
    case TL_LAYER_RELU6:
    case TL_LAYER_CLIP:
    case TL_LAYER_HARDSWISH:
    case TL_LAYER_HARDSIGMOID:
      ok = tl_clip_init (layer, rng, error);
      break;
    case TL_LAYER_GLOBAL_AVG_POOL2D:
    case TL_LAYER_AVGPOOL2D:
      ok = tl_avgpool2d_init (layer, rng, error);
      break;
    case TL_LAYER_ADD:
    case TL_LAYER_CONCAT:
    case TL_LAYER_MUL:
      ok = tl_join_init (layer, rng, error);
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

TlLayer *
tl_layer_copy (const TlLayer *layer)
{
  TlLayer *copy;
  TlRng rng;

  g_return_val_if_fail (layer != NULL, NULL);
  tl_rng_init (&rng, 0);
  copy = tl_layer_new_joined (&layer->spec, layer->name, layer->in_ndim, layer->in_shape,
                              layer->n_inputs, layer->inputs, layer->input_channels, &rng, NULL);
  g_assert (copy != NULL && copy->n_params == layer->n_params);
  for (int i = 0; i < layer->n_params; i++)
    tl_tensor_copy_into (copy->params[i].value, layer->params[i].value);
  g_assert (copy->n_buffers == layer->n_buffers);
  for (int i = 0; i < layer->n_buffers; i++)
    tl_tensor_copy_into (copy->buffers[i].value, layer->buffers[i].value);
  copy->trainable = layer->trainable;
  copy->lr_mult = layer->lr_mult;
  return copy;
}
