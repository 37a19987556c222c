#define G_LOG_DOMAIN "tl-model"

#include "config.h"

#include <string.h>

#include "tl-model-graph.h"

static TlLayer *
layer_at (const TlModel *model, int i)
{
  return g_ptr_array_index (model->layers, i);
}

int
tl_model_n_inputs_of (const TlModel *model, int index)
{
  g_return_val_if_fail (model != NULL && index >= 0 && index < (int) model->layers->len, 0);
  return MAX (layer_at (model, index)->n_inputs, 1);
}

int
tl_model_input_of (const TlModel *model, int index, int k)
{
  const TlLayer *layer;

  g_return_val_if_fail (model != NULL && index >= 0 && index < (int) model->layers->len, -1);
  layer = layer_at (model, index);
  if (layer->n_inputs == 0)
    {
      g_return_val_if_fail (k == 0, -1);
      return index - 1;
    }
  g_return_val_if_fail (k >= 0 && k < layer->n_inputs, -1);
  return layer->inputs[k];
}

gboolean
tl_model_is_cut (const TlModel *model, int k)
{
  g_return_val_if_fail (model != NULL, FALSE);
  if (!model->graph)
    return TRUE;
  for (int i = MAX (k, 0); i < (int) model->layers->len; i++)
    for (int n = 0; n < tl_model_n_inputs_of (model, i); n++)
      if (tl_model_input_of (model, i, n) < k - 1)
        return FALSE;
  return TRUE;
}

/* The tensor a range [from, ...) sees as the output of layer j: its input for j = from - 1. */
static const TlTensor *
output_of (TlModel *model, const TlTensor *input, int from, int j)
{
  return j == from - 1 ? input : g_ptr_array_index (model->acts, j);
}

const TlTensor *
tl_model_graph_forward (TlModel *model, const TlTensor *input, int from, int to)
{
  TlContext *ctx = &model->ctx;

  for (int i = from; i < to; i++)
    {
      TlLayer *layer = layer_at (model, i);
      const int n = tl_model_n_inputs_of (model, i);

      ctx->n_extra = n - 1;
      for (int k = 1; k < n; k++)
        ctx->extra_in[k - 1] = output_of (model, input, from, tl_model_input_of (model, i, k));
      tl_layer_forward (layer, ctx, output_of (model, input, from, tl_model_input_of (model, i, 0)),
                        g_ptr_array_index (model->acts, i));
    }
  ctx->n_extra = 0;
  return output_of (model, input, from, to - 1);
}

static void
accumulate (TlTensor *sum, const TlTensor *g, gboolean first)
{
  if (first)
    {
      tl_tensor_copy_into (sum, g);
      return;
    }
  g_assert (sum->size == g->size);
  for (gsize i = 0; i < g->size; i++)
    sum->data[i] += g->data[i];
}

void
tl_model_graph_backward (TlModel *model, const TlTensor *input, const TlTensor *grad_output,
                         int from, int to, int lowest)
{
  TlContext *ctx = &model->ctx;
  /* reached[j - from + 1]: some reader of the output of layer j (of the input for j = from - 1)
   * passed a gradient into it */
  g_autofree gboolean *reached = g_new0 (gboolean, to - from + 1);

  while (model->out_grads->len < model->layers->len)
    g_ptr_array_add (model->out_grads, tl_tensor_new_empty ());
  for (int i = to - 1; i >= lowest; i--)
    {
      TlLayer *layer = layer_at (model, i);
      const int n = tl_model_n_inputs_of (model, i);
      const TlTensor *gout = i == to - 1 ? grad_output : g_ptr_array_index (model->out_grads, i);
      TlTensor *gin[TL_LAYER_MAX_INPUTS] = { NULL };

      if (i != to - 1 && !reached[i - from + 1])
        continue;
      for (int k = 0; k < n; k++)
        {
          int j = tl_model_input_of (model, i, k);
          gboolean wanted = j >= lowest || (j == from - 1 && model->input_gradient);

          gin[k] = !wanted ? NULL : k == 0 ? g_ptr_array_index (model->grads, i) : model->extra_grads[k - 1];
        }
      ctx->n_extra = n - 1;
      for (int k = 1; k < n; k++)
        {
          ctx->extra_in[k - 1] = output_of (model, input, from, tl_model_input_of (model, i, k));
          ctx->extra_grad[k - 1] = gin[k];
        }
      tl_layer_backward (layer, ctx, output_of (model, input, from, tl_model_input_of (model, i, 0)),
                         g_ptr_array_index (model->acts, i), gout, gin[0]);
      for (int k = 0; k < n; k++)
        {
          int j = tl_model_input_of (model, i, k);
          TlTensor *sum;

          if (gin[k] == NULL)
            continue;
          sum = j == from - 1 ? model->input_grad : g_ptr_array_index (model->out_grads, j);
          accumulate (sum, gin[k], !reached[j - from + 1]);
          reached[j - from + 1] = TRUE;
        }
    }
  ctx->n_extra = 0;
  memset (ctx->extra_grad, 0, sizeof ctx->extra_grad);

  if (model->input_gradient)
    {
      TlTensor *g = g_ptr_array_index (model->grads, from);

      if (reached[0])
        tl_tensor_copy_into (g, model->input_grad);
      else
        {
          tl_tensor_resize (g, input->ndim, input->shape);
          tl_tensor_zero (g);
        }
    }
}
