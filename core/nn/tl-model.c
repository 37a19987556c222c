#define G_LOG_DOMAIN "tl-model"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-model.h"
#include "tl-model-graph.h"

TlModel *
tl_model_new (int in_ndim, const int *in_shape, guint64 seed)
{
  TlModel *model;

  g_return_val_if_fail (in_ndim >= 1 && in_ndim < TL_MAX_DIMS, NULL);
  g_return_val_if_fail (in_shape != NULL, NULL);

  model = g_new0 (TlModel, 1);
  model->layers = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_layer_free);
  model->acts = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_tensor_free);
  model->grads = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_tensor_free);
  model->mask = tl_tensor_new_empty ();
  model->out_grads = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_tensor_free);
  for (int k = 0; k < TL_LAYER_MAX_INPUTS - 1; k++)
    model->extra_grads[k] = tl_tensor_new_empty ();
  model->input_grad = tl_tensor_new_empty ();
  model->in_ndim = in_ndim;
  memcpy (model->in_shape, in_shape, sizeof (int) * in_ndim);
  tl_rng_init (&model->rng, seed);
  model->ctx.rng = &model->rng;
  return model;
}

void
tl_model_free (TlModel *model)
{
  if (model == NULL)
    return;
  g_ptr_array_unref (model->layers);
  g_ptr_array_unref (model->acts);
  g_ptr_array_unref (model->grads);
  tl_tensor_free (model->mask);
  g_ptr_array_unref (model->out_grads);
  for (int k = 0; k < TL_LAYER_MAX_INPUTS - 1; k++)
    tl_tensor_free (model->extra_grads[k]);
  tl_tensor_free (model->input_grad);
  g_free (model);
}

int
tl_model_n_layers (const TlModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return (int) model->layers->len;
}

TlLayer *
tl_model_layer (const TlModel *model, int index)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (index >= 0 && index < (int) model->layers->len, NULL);
  return g_ptr_array_index (model->layers, index);
}

int
tl_model_find_layer (const TlModel *model, const char *name)
{
  g_return_val_if_fail (model != NULL, -1);
  g_return_val_if_fail (name != NULL, -1);
  for (guint i = 0; i < model->layers->len; i++)
    {
      TlLayer *layer = g_ptr_array_index (model->layers, i);
      if (g_strcmp0 (layer->name, name) == 0)
        return (int) i;
    }
  return -1;
}

/* Per-sample shape of the output of layer j, or of the model input for j = -1. */
static const int *
output_shape_of (const TlModel *model, int j, int *ndim)
{
  if (j < 0)
    {
      *ndim = model->in_ndim;
      return model->in_shape;
    }
  else
    {
      TlLayer *layer = g_ptr_array_index (model->layers, j);
      *ndim = layer->out_ndim;
      return layer->out_shape;
    }
}

const int *
tl_model_out_shape (const TlModel *model, int *ndim)
{
  g_return_val_if_fail (model != NULL, NULL);
  return output_shape_of (model, (int) model->layers->len - 1, ndim);
}

int
tl_model_n_outputs (const TlModel *model)
{
  int ndim;
  const int *shape = tl_model_out_shape (model, &ndim);
  return (int) tl_shape_size (ndim, shape);
}

gboolean
tl_model_takes_tokens (const TlModel *model)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return model->layers->len > 0
         && ((TlLayer *) g_ptr_array_index (model->layers, 0))->spec.kind == TL_LAYER_EMBEDDING;
}

static char *
default_name (const TlModel *model, TlLayerKind kind)
{
  const char *base = tl_layer_kind_name (kind);
  int n = 1;

  for (guint i = 0; i < model->layers->len; i++)
    if (((TlLayer *) g_ptr_array_index (model->layers, i))->spec.kind == kind)
      n++;
  for (;;)
    {
      char *name = g_strdup_printf ("%s%d", base, n);
      if (tl_model_find_layer (model, name) < 0)
        return name;
      g_free (name);
      n++;
    }
}

static void
append_layer (TlModel *model, TlLayer *layer)
{
  if (layer->n_inputs > 0)
    model->graph = TRUE;
  g_ptr_array_add (model->layers, layer);
  g_ptr_array_add (model->acts, tl_tensor_new_empty ());
  g_ptr_array_add (model->grads, tl_tensor_new_empty ());
}

/* Builds the layer that would sit at position `pos` reading the outputs of `inputs`. */
static TlLayer *
build_layer (TlModel *model, int pos, const TlLayerSpec *spec, const char *name, int n_inputs,
             const int *inputs, GError **error)
{
  int channels[TL_LAYER_MAX_INPUTS];
  const int *first = NULL;
  int first_ndim = 0;

  if (n_inputs == 0)
    {
      first = output_shape_of (model, pos - 1, &first_ndim);
      return tl_layer_new (spec, name, first_ndim, first, &model->rng, error);
    }
  for (int k = 0; k < n_inputs; k++)
    {
      const int *shape;
      int ndim;

      if (inputs[k] < -1 || inputs[k] >= pos)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "layer %s: input %d must be an earlier layer (0 to %d) or the model input (-1), not %d",
                       name, k + 1, pos - 1, inputs[k]);
          return NULL;
        }
      shape = output_shape_of (model, inputs[k], &ndim);
      if (k == 0)
        {
          first = shape;
          first_ndim = ndim;
        }
      else if (spec->kind == TL_LAYER_MUL && ndim == 1 && shape[0] == first[0])
        ; /* one factor per channel */
      else if (ndim != first_ndim || memcmp (shape + 1, first + 1, sizeof (int) * (ndim - 1)) != 0)
        {
          g_autofree char *a = tl_tensor_shape_string (first_ndim, first);
          g_autofree char *b = tl_tensor_shape_string (ndim, shape);
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "layer %s: input %d has the shape %s, which does not match the first input's %s",
                       name, k + 1, b, a);
          return NULL;
        }
      channels[k] = shape[0];
    }
  return tl_layer_new_joined (spec, name, first_ndim, first, n_inputs, inputs, channels, &model->rng, error);
}

gboolean
tl_model_add (TlModel *model, const TlLayerSpec *spec, const char *name, GError **error)
{
  return tl_model_add_joined (model, spec, name, 0, NULL, error);
}

gboolean
tl_model_add_joined (TlModel *model, const TlLayerSpec *spec, const char *name, int n_inputs,
                     const int *inputs, GError **error)
{
  g_autofree char *auto_name = NULL;
  gboolean join;
  TlLayer *layer;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (n_inputs >= 0 && (n_inputs == 0 || inputs != NULL), FALSE);

  if (name == NULL)
    name = auto_name = default_name (model, spec->kind);
  else if (tl_model_find_layer (model, name) >= 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "the model already has a layer named “%s”", name);
      return FALSE;
    }
  if (spec->kind == TL_LAYER_EMBEDDING && model->layers->len > 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "layer %s: an Embedding can only be the first layer", name);
      return FALSE;
    }
  join = spec->kind == TL_LAYER_ADD || spec->kind == TL_LAYER_CONCAT || spec->kind == TL_LAYER_MUL;
  if (join ? n_inputs < 2 || n_inputs > TL_LAYER_MAX_INPUTS : n_inputs > 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   join ? "layer %s: %s joins 2 to %d inputs, not %d" : "layer %s: %s reads one input, not %d",
                   name, tl_layer_kind_name (spec->kind), join ? TL_LAYER_MAX_INPUTS : n_inputs, n_inputs);
      return FALSE;
    }
  /* a layer reading its predecessor is a layer of a plain stack */
  if (n_inputs == 1 && inputs[0] == (int) model->layers->len - 1)
    n_inputs = 0;

  layer = build_layer (model, (int) model->layers->len, spec, name, n_inputs, inputs, error);
  if (layer == NULL)
    return FALSE;
  append_layer (model, layer);
  return TRUE;
}

TlModel *
tl_model_copy (const TlModel *model)
{
  TlModel *copy;

  g_return_val_if_fail (model != NULL, NULL);
  copy = tl_model_new (model->in_ndim, model->in_shape, 0);
  copy->rng = model->rng;
  for (guint i = 0; i < model->layers->len; i++)
    append_layer (copy, tl_layer_copy (g_ptr_array_index (model->layers, i)));
  return copy;
}

void
tl_model_set_token_mask (TlModel *model, const TlTensor *tokens)
{
  int batch, steps;

  g_return_if_fail (model != NULL && tokens != NULL);
  g_return_if_fail (tokens->ndim == 2);

  batch = tokens->shape[0];
  steps = tokens->shape[1];
  tl_tensor_resize (model->mask, 2, (int[]) { batch, steps });
  for (gsize i = 0; i < tokens->size; i++)
    model->mask->data[i] = tokens->data[i] != 0.0f ? 1.0f : 0.0f;
  model->ctx.mask = model->mask->data;
  model->ctx.mask_steps = steps;
}

/* How many layers from i the layer at i runs in its own passes, counting only
 * layers below `to`: 3 for a Conv2D followed by a ReLU and a 2x2, stride-2
 * max-pool, 2 for a Conv2D followed by a ReLU (see TlContext), else 1. */
static int
fused_span (const TlModel *model, int i, int to)
{
  const TlLayer *conv = g_ptr_array_index (model->layers, i);
  const TlLayer *pool;

  if (model->unfused || conv->spec.kind != TL_LAYER_CONV2D || conv->spec.groups > 1 || i + 1 >= to
      || ((TlLayer *) g_ptr_array_index (model->layers, i + 1))->spec.kind != TL_LAYER_RELU)
    return 1;
  if (i + 2 >= to)
    return 2;
  pool = g_ptr_array_index (model->layers, i + 2);
  if (pool->spec.kind == TL_LAYER_MAXPOOL2D && pool->spec.kernel == 2 && pool->spec.padding == 0
      && (pool->spec.stride == 0 || pool->spec.stride == 2)
      && conv->out_shape[1] >= 2 && conv->out_shape[2] >= 2)
    return 3;
  return 2;
}

const TlTensor *
tl_model_forward_range (TlModel *model, const TlTensor *input, int from, int to, gboolean training)
{
  const TlTensor *x = input;
  int n;

  g_return_val_if_fail (model != NULL && input != NULL, NULL);
  n = (int) model->layers->len;
  g_return_val_if_fail (from >= 0 && from <= to && to <= n, NULL);
  g_return_val_if_fail (input->ndim >= 1, NULL);

  if (from == 0)
    {
      g_return_val_if_fail (tl_tensor_sample_size (input)
                              == tl_shape_size (model->in_ndim, model->in_shape) || input->shape[0] == 0,
                            NULL);
      if (tl_model_takes_tokens (model))
        tl_model_set_token_mask (model, input);
      else
        {
          model->ctx.mask = NULL;
          model->ctx.mask_steps = 0;
        }
    }

  model->ctx.training = training;
  model->ctx.rng = &model->rng;
  if (model->graph)
    return tl_model_graph_forward (model, input, from, to);
  for (int i = from; i < to; i++)
    {
      TlTensor *out = g_ptr_array_index (model->acts, i);

      switch (fused_span (model, i, to))
        {
        case 3:
          /* only the pooled output leaves the convolution; the two outputs below it are not kept */
          model->ctx.pool_out = g_ptr_array_index (model->acts, i + 2);
          tl_layer_forward (g_ptr_array_index (model->layers, i), &model->ctx, x, out);
          model->ctx.pool_out = NULL;
          tl_tensor_resize (g_ptr_array_index (model->acts, i + 1), out->ndim, out->shape);
          i += 2;
          x = g_ptr_array_index (model->acts, i);
          continue;
        case 2:
          /* the convolution writes the ReLU's output too, while its own is in cache */
          model->ctx.relu_out = g_ptr_array_index (model->acts, i + 1);
          tl_layer_forward (g_ptr_array_index (model->layers, i), &model->ctx, x, out);
          model->ctx.relu_out = NULL;
          x = g_ptr_array_index (model->acts, ++i);
          continue;
        default:
          break;
        }
      tl_layer_forward (g_ptr_array_index (model->layers, i), &model->ctx, x, out);
      x = out;
    }
  return x;
}

const TlTensor *
tl_model_forward (TlModel *model, const TlTensor *input, gboolean training)
{
  g_return_val_if_fail (model != NULL, NULL);
  return tl_model_forward_range (model, input, 0, (int) model->layers->len, training);
}

void
tl_model_backward_range (TlModel *model, const TlTensor *input, const TlTensor *grad_output,
                         int from, int to)
{
  int lowest;

  g_return_if_fail (model != NULL && input != NULL && grad_output != NULL);
  g_return_if_fail (from >= 0 && from <= to && to <= (int) model->layers->len);

  lowest = model->input_gradient ? from : MAX (from, tl_model_lowest_trainable (model));
  model->ctx.training = TRUE;
  if (model->graph)
    {
      tl_model_graph_backward (model, input, grad_output, from, to, lowest);
      return;
    }
  for (int i = to - 1; i >= lowest; i--)
    {
      const TlTensor *gout = i == to - 1 ? grad_output : g_ptr_array_index (model->grads, i + 1);
      const TlTensor *in;
      TlTensor *gin;

      /* a ReLU (and a pool) over a convolution: the convolution takes the
       * gradient at the top of the three and applies the derivatives itself */
      if (i - 2 >= lowest && fused_span (model, i - 2, to) == 3)
        {
          i -= 2;
          model->ctx.pool_grad = TRUE;
        }
      else if (i - 1 >= lowest && fused_span (model, i - 1, to) == 2)
        {
          i--;
          model->ctx.relu_grad = TRUE;
        }
      in = i == from ? input : g_ptr_array_index (model->acts, i - 1);
      gin = i == lowest && !model->input_gradient ? NULL : g_ptr_array_index (model->grads, i);
      tl_layer_backward (g_ptr_array_index (model->layers, i), &model->ctx, in,
                         g_ptr_array_index (model->acts, i), gout, gin);
      model->ctx.relu_grad = FALSE;
      model->ctx.pool_grad = FALSE;
    }
}

void
tl_model_backward (TlModel *model, const TlTensor *input, const TlTensor *grad_output)
{
  g_return_if_fail (model != NULL);
  tl_model_backward_range (model, input, grad_output, 0, (int) model->layers->len);
}

void
tl_model_zero_grad (TlModel *model)
{
  g_return_if_fail (model != NULL);
  for (guint i = 0; i < model->layers->len; i++)
    {
      TlLayer *layer = g_ptr_array_index (model->layers, i);
      if (layer->trainable)
        tl_layer_zero_grad (layer);
    }
}

gsize
tl_model_param_count (const TlModel *model, gboolean trainable_only)
{
  gsize n = 0;

  g_return_val_if_fail (model != NULL, 0);
  for (guint i = 0; i < model->layers->len; i++)
    {
      TlLayer *layer = g_ptr_array_index (model->layers, i);
      if (!trainable_only || layer->trainable)
        n += tl_layer_param_count (layer);
    }
  return n;
}

void
tl_model_param_iter_init (TlParamIter *iter, const TlModel *model)
{
  g_return_if_fail (iter != NULL && model != NULL);
  iter->model = model;
  iter->layer_index = 0;
  iter->param_index = -1;
}

gboolean
tl_model_param_iter_next (TlParamIter *iter, TlLayer **layer, TlParam **param)
{
  const GPtrArray *layers;

  g_return_val_if_fail (iter != NULL && iter->model != NULL, FALSE);
  layers = iter->model->layers;
  iter->param_index++;
  while (iter->layer_index < (int) layers->len)
    {
      TlLayer *l = g_ptr_array_index (layers, iter->layer_index);

      if (iter->param_index < l->n_params)
        {
          if (layer)
            *layer = l;
          if (param)
            *param = &l->params[iter->param_index];
          return TRUE;
        }
      iter->layer_index++;
      iter->param_index = 0;
    }
  return FALSE;
}

void
tl_model_set_trainable (TlModel *model, int index, gboolean trainable)
{
  g_return_if_fail (model != NULL);
  g_return_if_fail (index >= 0 && index < (int) model->layers->len);
  tl_model_layer (model, index)->trainable = trainable;
}

void
tl_model_freeze_below (TlModel *model, int k)
{
  g_return_if_fail (model != NULL);
  g_return_if_fail (k >= 0 && k <= (int) model->layers->len);
  for (guint i = 0; i < model->layers->len; i++)
    tl_model_layer (model, (int) i)->trainable = (int) i >= k;
}

void
tl_model_set_lr_mult (TlModel *model, int index, float mult)
{
  g_return_if_fail (model != NULL);
  g_return_if_fail (index >= 0 && index < (int) model->layers->len);
  g_return_if_fail (mult >= 0.0f);
  tl_model_layer (model, index)->lr_mult = mult;
}

int
tl_model_lowest_trainable (const TlModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  for (guint i = 0; i < model->layers->len; i++)
    {
      TlLayer *layer = g_ptr_array_index (model->layers, i);
      if (layer->trainable && layer->n_params > 0)
        return (int) i;
    }
  return (int) model->layers->len;
}

int
tl_model_skip_reshapes (const TlModel *model, int first)
{
  g_return_val_if_fail (model != NULL, first);
  while (first >= 0 && first < (int) model->layers->len
         && ((TlLayer *) g_ptr_array_index (model->layers, first))->spec.kind == TL_LAYER_FLATTEN
         && tl_model_is_cut (model, first + 1))
    first++;
  return first;
}

static void
replace_layer (TlModel *model, int index, TlLayer *layer)
{
  TlLayer *old = g_ptr_array_index (model->layers, index);
  model->layers->pdata[index] = layer;
  tl_layer_free (old);
}

gboolean
tl_model_replace_head (TlModel *model, int n_outputs, GError **error)
{
  TlLayerSpec spec;
  int head = -1;
  TlLayer *old, *layer;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (n_outputs > 0, FALSE);

  for (int i = (int) model->layers->len - 1; i >= 0 && head < 0; i--)
    if (tl_model_layer (model, i)->spec.kind == TL_LAYER_DENSE)
      head = i;
  if (head < 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "the model has no Dense layer to replace with a %d-output head", n_outputs);
      return FALSE;
    }

  old = tl_model_layer (model, head);
  spec = old->spec;
  spec.units = n_outputs;
  layer = build_layer (model, head, &spec, old->name, old->n_inputs, old->inputs, error);
  if (layer == NULL)
    return FALSE;
  replace_layer (model, head, layer);

  /* Layers above the head (an activation) are rebuilt for the new width. */
  for (int i = head + 1; i < (int) model->layers->len; i++)
    {
      TlLayer *above = tl_model_layer (model, i);
      TlLayer *rebuilt;

      rebuilt = build_layer (model, i, &above->spec, above->name, above->n_inputs, above->inputs, error);
      if (rebuilt == NULL)
        return FALSE;
      rebuilt->trainable = above->trainable;
      rebuilt->lr_mult = above->lr_mult;
      for (int p = 0; p < rebuilt->n_params && p < above->n_params; p++)
        if (rebuilt->params[p].value->size == above->params[p].value->size)
          tl_tensor_copy_into (rebuilt->params[p].value, above->params[p].value);
      for (int p = 0; p < rebuilt->n_buffers && p < above->n_buffers; p++)
        if (rebuilt->buffers[p].value->size == above->buffers[p].value->size)
          tl_tensor_copy_into (rebuilt->buffers[p].value, above->buffers[p].value);
      replace_layer (model, i, rebuilt);
    }
  return TRUE;
}
