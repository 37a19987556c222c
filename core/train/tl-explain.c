#define G_LOG_DOMAIN "tl-explain"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-explain.h"
#include "tl-loss.h"

#define BATCH 64
#define IG_MAX_REFINE 4
#define IG_TOLERANCE 0.01

static gboolean
ends_in_softmax (const TlModel *model)
{
  int n = tl_model_n_layers (model);
  return n > 0 && tl_model_layer (model, n - 1)->spec.kind == TL_LAYER_SOFTMAX;
}

static gsize
sample_size (const TlModel *model)
{
  return tl_shape_size (model->in_ndim, model->in_shape);
}

/* Class target's probability for each of n samples in xs, BATCH at a time, in inference mode. */
static void
target_probs (TlModel *model, const float *xs, int n, int target, double *out)
{
  g_autoptr (TlTensor) x = tl_tensor_new_empty ();
  g_autoptr (TlTensor) probs = tl_tensor_new_empty ();
  gsize size = sample_size (model);
  int n_out = tl_model_n_outputs (model);

  for (int start = 0; start < n; start += BATCH)
    {
      int b = MIN (BATCH, n - start);
      const TlTensor *y;

      tl_tensor_resize_batch (x, b, model->in_ndim, model->in_shape);
      memcpy (x->data, xs + (gsize) start * size, (gsize) b * size * sizeof (float));
      y = tl_model_forward (model, x, FALSE);
      tl_tensor_resize (probs, 2, (int[]) { b, n_out });
      if (ends_in_softmax (model))
        memcpy (probs->data, y->data, probs->size * sizeof (float));
      else
        {
          TlTensor logits = *y;
          logits.ndim = 2;
          logits.shape[0] = b;
          logits.shape[1] = n_out;
          tl_softmax_rows (&logits, probs);
        }
      for (int i = 0; i < b; i++)
        out[start + i] = probs->data[(gsize) i * n_out + target];
    }
}

int
tl_explain_predict (TlModel *model, const float *x, float *probs)
{
  int n_out = tl_model_n_outputs (model);
  int best = 0;

  g_return_val_if_fail (model != NULL && x != NULL && probs != NULL, -1);
  for (int c = 0; c < n_out; c++)
    {
      double p;
      target_probs (model, x, 1, c, &p);
      probs[c] = (float) p;
      if (probs[c] > probs[best])
        best = c;
    }
  return best;
}

static gboolean
check_target (TlModel *model, int target, GError **error)
{
  if (target < 0 || target >= tl_model_n_outputs (model))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("class %d is not one of the model's %d outputs"),
                   target, tl_model_n_outputs (model));
      return FALSE;
    }
  return TRUE;
}

TlTensor *
tl_explain_occlusion_patches (TlModel *model, const float *x, const float *fill, int target, int patch_h,
                              int patch_w, int stride_h, int stride_w, GError **error)
{
  g_autofree int *ys = NULL, *xs = NULL;
  g_autofree float *batch = NULL;
  g_autofree double *p = NULL;
  g_autofree double *count = NULL;
  TlTensor *heat;
  int channels, height, width, n_y = 0, n_x = 0, n;
  gsize plane, size;
  double base;

  g_return_val_if_fail (model != NULL && x != NULL, NULL);
  if (!check_target (model, target, error))
    return NULL;
  if (model->in_ndim != 3 || patch_h < 1 || patch_w < 1 || stride_h < 1 || stride_w < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("occlusion maps need an image or spectrogram model [channels, height, width], "
                     "a patch and a stride of at least 1"));
      return NULL;
    }
  channels = model->in_shape[0];
  height = model->in_shape[1];
  width = model->in_shape[2];
  plane = (gsize) height * width;
  size = plane * channels;
  patch_h = MIN (patch_h, height);
  patch_w = MIN (patch_w, width);
  ys = g_new (int, height + 1);
  xs = g_new (int, width + 1);
  for (int r = 0;; r += stride_h)
    {
      ys[n_y++] = MIN (r, height - patch_h);
      if (r + patch_h >= height)
        break;
    }
  for (int c = 0;; c += stride_w)
    {
      xs[n_x++] = MIN (c, width - patch_w);
      if (c + patch_w >= width)
        break;
    }
  n = n_y * n_x;
  batch = g_new (float, (gsize) n * size);
  for (int a = 0; a < n_y; a++)
    for (int b = 0; b < n_x; b++)
      {
        float *img = batch + (gsize) (a * n_x + b) * size;
        memcpy (img, x, sizeof (float) * size);
        for (int ch = 0; ch < channels; ch++)
          for (int r = ys[a]; r < ys[a] + patch_h; r++)
            {
              gsize at = (gsize) ch * plane + (gsize) r * width + xs[b];
              if (fill != NULL)
                memcpy (img + at, fill + at, sizeof (float) * patch_w);
              else
                memset (img + at, 0, sizeof (float) * patch_w);
            }
      }
  p = g_new (double, n);
  target_probs (model, batch, n, target, p);
  target_probs (model, x, 1, target, &base);

  heat = tl_tensor_new_2d (height, width);
  count = g_new0 (double, plane);
  tl_tensor_zero (heat);
  for (int a = 0; a < n_y; a++)
    for (int b = 0; b < n_x; b++)
      for (int r = ys[a]; r < ys[a] + patch_h; r++)
        for (int c = xs[b]; c < xs[b] + patch_w; c++)
          {
            heat->data[(gsize) r * width + c] += (float) (base - p[a * n_x + b]);
            count[(gsize) r * width + c] += 1;
          }
  for (gsize i = 0; i < heat->size; i++)
    heat->data[i] = count[i] > 0 ? (float) (heat->data[i] / count[i]) : 0.0f;
  return heat;
}

TlTensor *
tl_explain_occlusion_image (TlModel *model, const float *x, int target, int patch, int stride, GError **error)
{
  if (model != NULL && model->in_ndim == 3)
    patch = MIN (patch, MIN (model->in_shape[1], model->in_shape[2]));
  return tl_explain_occlusion_patches (model, x, NULL, target, patch, patch, stride, stride, error);
}

/* The gradient of class target's probability at each row of input (one forward and backward). */
static void
probability_gradient (TlModel *model, const TlTensor *input, int target, double *mean_grad)
{
  g_autoptr (TlTensor) grad_out = NULL;
  g_autoptr (TlTensor) probs = NULL;
  const TlTensor *y, *g;
  int n = input->shape[0], n_out = tl_model_n_outputs (model);
  gsize size = sample_size (model);

  y = tl_model_forward (model, input, TRUE);
  grad_out = tl_tensor_new_2d (n, n_out);
  tl_tensor_zero (grad_out);
  if (ends_in_softmax (model))
    for (int i = 0; i < n; i++)
      grad_out->data[(gsize) i * n_out + target] = 1.0f;
  else
    {
      TlTensor logits = *y;
      logits.ndim = 2;
      logits.shape[0] = n;
      logits.shape[1] = n_out;
      probs = tl_tensor_new_2d (n, n_out);
      tl_softmax_rows (&logits, probs);
      /* d p_t / d logit_j = p_t (1[j = t] - p_j) */
      for (int i = 0; i < n; i++)
        {
          const float *pr = probs->data + (gsize) i * n_out;
          for (int j = 0; j < n_out; j++)
            grad_out->data[(gsize) i * n_out + j] = pr[target] * ((j == target ? 1.0f : 0.0f) - pr[j]);
        }
    }
  tl_model_backward (model, input, grad_out);
  g = g_ptr_array_index (model->grads, 0);
  g_assert (g->size == (gsize) n * size);
  for (int i = 0; i < n; i++)
    for (gsize k = 0; k < size; k++)
      mean_grad[k] += g->data[(gsize) i * size + k];
}

float *
tl_explain_integrated_gradients (TlModel *model, const float *x, const float *baseline, int target, int steps,
                                 double *difference, GError **error)
{
  g_autofree float *zeros = NULL;
  g_autofree double *sum = NULL;
  g_autofree float *rates = NULL;
  g_autoptr (TlTensor) input = tl_tensor_new_empty ();
  gboolean saved_input_gradient;
  gsize size;
  float *attr;
  double f_x, f_b, diff;
  int n_layers;

  g_return_val_if_fail (model != NULL && x != NULL, NULL);
  if (!check_target (model, target, error))
    return NULL;
  if (tl_model_takes_tokens (model))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   _("integrated gradients need continuous inputs; token ids are explained by occlusion"));
      return NULL;
    }
  steps = CLAMP (steps, 1, 4096);
  size = sample_size (model);
  if (baseline == NULL)
    baseline = zeros = g_new0 (float, size);
  target_probs (model, x, 1, target, &f_x);
  target_probs (model, baseline, 1, target, &f_b);
  diff = f_x - f_b;

  /* a training-mode pass for the backward, without dropout's randomness */
  n_layers = tl_model_n_layers (model);
  rates = g_new (float, MAX (n_layers, 1));
  for (int i = 0; i < n_layers; i++)
    {
      TlLayer *layer = tl_model_layer (model, i);
      rates[i] = layer->spec.rate;
      if (layer->spec.kind == TL_LAYER_DROPOUT)
        layer->spec.rate = 0.0f;
    }
  saved_input_gradient = model->input_gradient;
  model->input_gradient = TRUE;

  sum = g_new (double, size);
  attr = g_new (float, size);
  for (int refine = 0; refine <= IG_MAX_REFINE; refine++, steps *= 2)
    {
      double total = 0;

      memset (sum, 0, size * sizeof (double));
      for (int start = 0; start < steps; start += BATCH)
        {
          int b = MIN (BATCH, steps - start);
          tl_tensor_resize_batch (input, b, model->in_ndim, model->in_shape);
          for (int i = 0; i < b; i++)
            {
              float t = (float) ((start + i + 0.5) / steps);
              float *row = input->data + (gsize) i * size;
              for (gsize k = 0; k < size; k++)
                row[k] = baseline[k] + t * (x[k] - baseline[k]);
            }
          probability_gradient (model, input, target, sum);
        }
      for (gsize k = 0; k < size; k++)
        {
          attr[k] = (float) ((x[k] - baseline[k]) * sum[k] / steps);
          total += attr[k];
        }
      if (fabs (total - diff) <= IG_TOLERANCE * fabs (diff) || fabs (diff) < 1e-6)
        break;
    }

  tl_model_zero_grad (model);
  model->input_gradient = saved_input_gradient;
  for (int i = 0; i < n_layers; i++)
    tl_model_layer (model, i)->spec.rate = rates[i];
  if (difference != NULL)
    *difference = diff;
  return attr;
}

float *
tl_explain_occlusion_terms (TlModel *model, const float *x, int target, int *n_positions, GError **error)
{
  g_autofree float *batch = NULL;
  g_autofree double *p = NULL;
  g_autofree int *which = NULL;
  TlLayerKind first;
  gsize size;
  int positions, n = 0;
  gboolean bag;
  double base;
  float *scores;

  g_return_val_if_fail (model != NULL && x != NULL && n_positions != NULL, NULL);
  if (!check_target (model, target, error))
    return NULL;
  first = tl_model_n_layers (model) > 0 ? tl_model_layer (model, 0)->spec.kind : TL_LAYER_DENSE;
  bag = first == TL_LAYER_EMBEDDING_BAG;
  if (!bag && first != TL_LAYER_EMBEDDING)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   _("term occlusion needs a text model (an embedding or embedding_bag first layer)"));
      return NULL;
    }
  size = sample_size (model);
  positions = bag ? (int) (size / 2) : (int) size;
  scores = g_new0 (float, MAX (positions, 1));
  which = g_new (int, MAX (positions, 1));
  batch = g_new (float, (gsize) MAX (positions, 1) * size);
  for (int k = 0; k < positions; k++)
    {
      float *row;
      if (x[k] < 1.0f)
        continue;
      row = batch + (gsize) n * size;
      memcpy (row, x, size * sizeof (float));
      if (bag)
        row[positions + k] = 0.0f;
      else
        row[k] = 0.0f;
      which[n++] = k;
    }
  p = g_new (double, MAX (n, 1));
  target_probs (model, batch, n, target, p);
  target_probs (model, x, 1, target, &base);
  for (int i = 0; i < n; i++)
    scores[which[i]] = (float) (base - p[i]);
  *n_positions = positions;
  return scores;
}
