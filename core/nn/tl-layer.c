#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer.h"
#include "tl-sort-ids.h"

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
  [TL_LAYER_EMBEDDING_BAG] = "embedding_bag",
  [TL_LAYER_GRADIENT_REVERSAL] = "gradient_reversal",
  [TL_LAYER_BATCHNORM2D] = "batchnorm2d",
  [TL_LAYER_BATCHNORM1D] = "batchnorm1d",
  [TL_LAYER_RELU6] = "relu6",
  [TL_LAYER_CLIP] = "clip",
  [TL_LAYER_HARDSWISH] = "hardswish",
  [TL_LAYER_GLOBAL_AVG_POOL2D] = "global_avg_pool2d",
  [TL_LAYER_AVGPOOL2D] = "avgpool2d",
  [TL_LAYER_ADD] = "add",
  [TL_LAYER_CONCAT] = "concat",
  [TL_LAYER_HARDSIGMOID] = "hardsigmoid",
  [TL_LAYER_MUL] = "mul",
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

void
tl_layer_add_buffer (TlLayer *layer, const char *name, int ndim, const int *shape)
{
  TlParam *p;

  g_return_if_fail (layer->n_buffers < TL_LAYER_MAX_BUFFERS);
  p = &layer->buffers[layer->n_buffers++];
  p->name = g_strdup (name);
  p->value = tl_tensor_new (ndim, shape);
}

TlParam *
tl_layer_find_buffer (TlLayer *layer, const char *name)
{
  for (int i = 0; i < layer->n_buffers; i++)
    if (g_strcmp0 (layer->buffers[i].name, name) == 0)
      return &layer->buffers[i];
  return NULL;
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
      TlRowSet *set = layer->params[i].touched;

      g_free (layer->params[i].name);
      if (layer->params[i].support != NULL)
        g_free (layer->params[i].support->live);
      g_free (layer->params[i].support);
      tl_tensor_free (layer->params[i].value);
      tl_tensor_free (layer->params[i].grad);
      if (set != NULL)
        {
          g_free (set->rows);
          g_free (set->marked);
          g_free (set);
        }
    }
  for (int i = 0; i < layer->n_buffers; i++)
    {
      g_free (layer->buffers[i].name);
      tl_tensor_free (layer->buffers[i].value);
    }
  g_free (layer->name);
  g_free (layer);
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
    if (layer->params[i].touched != NULL)
      tl_param_clear_rows (&layer->params[i]);
    else
      tl_tensor_zero (layer->params[i].grad);
}

void
tl_param_track_rows (TlParam *param)
{
  const int rows = param->value->shape[0];

  g_return_if_fail (param->value->ndim == 2 && param->touched == NULL);
  param->touched = g_new0 (TlRowSet, 1);
  param->touched->row_size = param->value->shape[1];
  param->touched->rows = g_new (int, rows);
  param->touched->marked = g_new0 (guint8, rows);
}

void
tl_param_set_support (TlParam *param, int period, int n_live, const int *live)
{
  TlParamSupport *sup;

  g_return_if_fail (period > 0 && n_live > 0 && n_live <= period && param->value->size % period == 0);
  for (int i = 0; i < n_live; i++)
    g_return_if_fail (live[i] >= 0 && live[i] < period && (i == 0 || live[i] > live[i - 1]));
  if (param->support != NULL)
    g_free (param->support->live);
  g_free (param->support);
  sup = g_new0 (TlParamSupport, 1);
  sup->period = period;
  sup->n_live = n_live;
  sup->live = g_memdup2 (live, sizeof (int) * n_live);
  param->support = sup;
}

void
tl_param_clear_rows (TlParam *param)
{
  TlRowSet *set = param->touched;

  for (int i = 0; i < set->n_rows; i++)
    {
      memset (param->grad->data + (gsize) set->rows[i] * set->row_size, 0, sizeof (float) * set->row_size);
    }
  tl_row_set_forget (set);
}

void
tl_row_set_forget (TlRowSet *set)
{
  for (int i = 0; i < set->n_rows; i++)
    set->marked[set->rows[i]] = 0;
  set->n_rows = 0;
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
  /* a frozen batch norm that keeps updating its statistics normalises each
   * sample by its batch's: its training output is not the sample's alone */
  if ((layer->spec.kind == TL_LAYER_BATCHNORM2D || layer->spec.kind == TL_LAYER_BATCHNORM1D)
      && layer->spec.frozen_stats)
    return TRUE;
  return layer->spec.kind == TL_LAYER_DROPOUT && layer->spec.rate > 0.0f;
}

void
tl_row_set_sort (TlRowSet *set)
{
  tl_sort_ids (set->rows, (gsize) set->n_rows);
}
