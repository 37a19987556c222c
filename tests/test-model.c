#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-loss.h"
#include "tl-model.h"

static TlModel *
mlp_784 (guint64 seed)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new_preset (TL_PRESET_MLP, 1, (int[]) { 784 }, 10, 0, seed, &error);
  g_assert_no_error (error);
  return model;
}

static void
fill_uniform (TlTensor *t, guint64 seed, float lo, float hi)
{
  TlRng rng;
  tl_rng_init (&rng, seed);
  for (gsize i = 0; i < t->size; i++)
    t->data[i] = tl_rng_uniform_range (&rng, lo, hi);
}

static void
test_mlp_preset (void)
{
  g_autoptr (TlModel) model = mlp_784 (1);
  g_autoptr (TlTensor) x = tl_tensor_new_2d (5, 784);
  const char *names[] = { "flatten1", "dense1", "relu1", "dense2", "relu2", "dense3" };
  const TlTensor *out;
  int ndim;
  const int *shape;

  g_assert_cmpint (tl_model_n_layers (model), ==, 6);
  for (int i = 0; i < 6; i++)
    {
      g_assert_cmpstr (tl_model_layer (model, i)->name, ==, names[i]);
      g_assert_cmpint (tl_model_find_layer (model, names[i]), ==, i);
    }
  /* PyTorch: 784*256+256 + 256*128+128 + 128*10+10 */
  g_assert_cmpuint (tl_model_param_count (model, FALSE), ==, 235146);
  g_assert_cmpuint (tl_model_param_count (model, TRUE), ==, 235146);
  shape = tl_model_out_shape (model, &ndim);
  g_assert_cmpint (ndim, ==, 1);
  g_assert_cmpint (shape[0], ==, 10);
  g_assert_cmpint (tl_model_n_outputs (model), ==, 10);
  g_assert_false (tl_model_takes_tokens (model));

  fill_uniform (x, 3, 0.0f, 1.0f);
  out = tl_model_forward (model, x, FALSE);
  g_assert_cmpint (out->ndim, ==, 2);
  g_assert_cmpint (out->shape[0], ==, 5);
  g_assert_cmpint (out->shape[1], ==, 10);
  g_assert_cmpint (tl_model_layer (model, 1)->out_shape[0], ==, 256);
  g_assert_cmpint (tl_model_layer (model, 3)->out_shape[0], ==, 128);
}

static void
test_cnn_preset (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = tl_model_new_preset (TL_PRESET_CNN, 3, (int[]) { 1, 28, 28 }, 10, 0, 7, &error);
  g_autoptr (TlModel) bad = NULL;
  g_autoptr (TlTensor) x = tl_tensor_new_4d (2, 1, 28, 28);
  const TlTensor *out;
  TlLayer *flatten;

  g_assert_no_error (error);
  g_assert_cmpint (tl_model_n_layers (model), ==, 10);
  g_assert_cmpstr (tl_model_layer (model, 0)->name, ==, "conv2d1");
  g_assert_cmpstr (tl_model_layer (model, 3)->name, ==, "conv2d2");
  /* 26 -> 13 -> 11 -> 5 as in nn.Conv2d(1, 32, 3), nn.MaxPool2d(2), ... */
  g_assert_cmpint (tl_model_layer (model, 0)->out_shape[1], ==, 26);
  g_assert_cmpint (tl_model_layer (model, 2)->out_shape[1], ==, 13);
  g_assert_cmpint (tl_model_layer (model, 3)->out_shape[1], ==, 11);
  g_assert_cmpint (tl_model_layer (model, 5)->out_shape[0], ==, 64);
  g_assert_cmpint (tl_model_layer (model, 5)->out_shape[2], ==, 5);
  flatten = tl_model_layer (model, 6);
  g_assert_cmpint (flatten->out_ndim, ==, 1);
  g_assert_cmpint (flatten->out_shape[0], ==, 1600);
  /* 320 + 18496 + 204928 + 1290 */
  g_assert_cmpuint (tl_model_param_count (model, FALSE), ==, 225034);

  fill_uniform (x, 5, 0.0f, 1.0f);
  out = tl_model_forward (model, x, FALSE);
  g_assert_cmpint (out->shape[0], ==, 2);
  g_assert_cmpint (out->shape[1], ==, 10);

  bad = tl_model_new_preset (TL_PRESET_CNN, 1, (int[]) { 784 }, 10, 0, 7, &error);
  g_assert_null (bad);
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "[784]"));
}

static void
test_text_presets (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) pool = tl_model_new_preset (TL_PRESET_TEXT_POOL, 1, (int[]) { 12 }, 4, 100, 1, &error);
  g_autoptr (TlModel) lstm = NULL;
  g_autoptr (TlTensor) tokens = tl_tensor_new_2d (3, 12);
  const TlTensor *out;
  TlPreset preset;

  g_assert_no_error (error);
  g_assert_true (tl_model_takes_tokens (pool));
  /* Embedding 100*64, Linear 64*64+64, Linear 64*4+4 */
  g_assert_cmpuint (tl_model_param_count (pool, FALSE), ==, 6400 + 4160 + 260);
  for (int i = 0; i < 3; i++)
    for (int t = 0; t < 12; t++)
      tokens->data[i * 12 + t] = t < 4 * (i + 1) ? (float) (1 + (i * 7 + t) % 99) : 0.0f;
  out = tl_model_forward (pool, tokens, FALSE);
  g_assert_cmpint (out->shape[0], ==, 3);
  g_assert_cmpint (out->shape[1], ==, 4);
  /* the mask marks real tokens */
  g_assert_nonnull (pool->ctx.mask);
  g_assert_cmpint (pool->ctx.mask_steps, ==, 12);
  for (int i = 0; i < 3; i++)
    for (int t = 0; t < 12; t++)
      g_assert_cmpfloat (pool->ctx.mask[i * 12 + t], ==, t < 4 * (i + 1) ? 1.0f : 0.0f);

  lstm = tl_model_new_preset (TL_PRESET_TEXT_LSTM, 1, (int[]) { 12 }, 4, 100, 1, &error);
  if (lstm == NULL && g_error_matches (error, TL_ERROR, TL_ERROR_UNSUPPORTED))
    g_test_message ("LSTM layers are not available: %s", error->message);
  else
    {
      g_assert_no_error (error);
      /* Embedding 100*128; LSTM 4*64*(128+64) + 2*4*64; Linear 64*4+4 */
      g_assert_cmpuint (tl_model_param_count (lstm, FALSE), ==, 12800 + 49152 + 512 + 260);
      out = tl_model_forward (lstm, tokens, FALSE);
      g_assert_cmpint (out->shape[1], ==, 4);
    }

  g_assert_true (tl_preset_from_name ("CNN", &preset));
  g_assert_cmpint (preset, ==, TL_PRESET_CNN);
  g_assert_cmpstr (tl_preset_name (TL_PRESET_TEXT_LSTM), ==, "text-lstm");
  g_assert_false (tl_preset_from_name ("resnet", &preset));
}

static void
test_names (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 4 }, 1);
  TlLayerSpec dense = { .kind = TL_LAYER_DENSE, .units = 3 };
  TlLayerSpec relu = { .kind = TL_LAYER_RELU };

  g_assert_true (tl_model_add (model, &dense, "dense2", &error));
  g_assert_true (tl_model_add (model, &dense, NULL, &error));
  g_assert_true (tl_model_add (model, &relu, NULL, &error));
  g_assert_no_error (error);
  /* "dense2" is taken, so the second Dense is named dense3 */
  g_assert_cmpstr (tl_model_layer (model, 1)->name, ==, "dense3");
  g_assert_cmpstr (tl_model_layer (model, 2)->name, ==, "relu1");
  g_assert_false (tl_model_add (model, &dense, "relu1", &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (tl_model_n_layers (model), ==, 3);
}

static void
test_replace_head (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = mlp_784 (2);
  g_autoptr (TlTensor) w1 = tl_tensor_copy (tl_model_layer (model, 1)->params[0].value);
  TlLayer *head;

  tl_model_freeze_below (model, 6);
  g_assert_cmpuint (tl_model_param_count (model, TRUE), ==, 0);
  g_assert_true (tl_model_replace_head (model, 3, &error));
  g_assert_no_error (error);
  head = tl_model_layer (model, 5);
  g_assert_cmpstr (head->name, ==, "dense3");
  g_assert_cmpint (head->out_shape[0], ==, 3);
  g_assert_true (head->trainable);
  g_assert_cmpint (tl_model_n_outputs (model), ==, 3);
  g_assert_cmpuint (tl_model_param_count (model, FALSE), ==, 235146 - 1290 + 128 * 3 + 3);
  g_assert_cmpuint (tl_model_param_count (model, TRUE), ==, 128 * 3 + 3);
  g_assert_cmpint (tl_model_lowest_trainable (model), ==, 5);
  g_assert_cmpmem (w1->data, w1->size * sizeof (float), tl_model_layer (model, 1)->params[0].value->data,
                   w1->size * sizeof (float));
  /* freshly initialised: PyTorch's bound 1/sqrt(fan_in), not all zero */
  {
    TlTensor *w = head->params[0].value;
    float bound = 1.0f / sqrtf (128.0f), max_abs = 0.0f;
    for (gsize i = 0; i < w->size; i++)
      max_abs = MAX (max_abs, fabsf (w->data[i]));
    g_assert_cmpfloat (max_abs, >, 0.0f);
    g_assert_cmpfloat (max_abs, <=, bound);
  }

  /* a head followed by a Softmax keeps the Softmax, sized to the new head */
  {
    g_autoptr (TlModel) m = tl_model_new (1, (int[]) { 4 }, 1);
    g_autoptr (TlModel) none = tl_model_new (1, (int[]) { 4 }, 1);
    g_autoptr (TlTensor) x = tl_tensor_new_2d (2, 4);
    const TlTensor *out;

    g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 5 }, NULL, &error));
    g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_SOFTMAX }, NULL, &error));
    g_assert_true (tl_model_replace_head (m, 2, &error));
    g_assert_cmpint (tl_model_layer (m, 1)->spec.kind, ==, TL_LAYER_SOFTMAX);
    g_assert_cmpint (tl_model_n_outputs (m), ==, 2);
    fill_uniform (x, 1, -1.0f, 1.0f);
    out = tl_model_forward (m, x, FALSE);
    g_assert_cmpfloat_with_epsilon (out->data[0] + out->data[1], 1.0, 1e-6);

    g_assert_true (tl_model_add (none, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, &error));
    g_assert_false (tl_model_replace_head (none, 2, &error));
    g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_copy_independent (void)
{
  g_autoptr (TlModel) model = mlp_784 (3);
  g_autoptr (TlModel) copy = NULL;
  g_autoptr (TlTensor) x = tl_tensor_new_2d (4, 784);
  g_autoptr (TlTensor) a = NULL;
  TlTensor *w_copy, *w_orig;

  tl_model_freeze_below (model, 2);
  tl_model_set_lr_mult (model, 3, 0.25f);
  copy = tl_model_copy (model);
  fill_uniform (x, 9, 0.0f, 1.0f);
  a = tl_tensor_copy (tl_model_forward (model, x, FALSE));
  g_assert_cmpmem (a->data, a->size * sizeof (float), tl_model_forward (copy, x, FALSE)->data,
                   a->size * sizeof (float));
  g_assert_cmpuint (tl_model_param_count (copy, TRUE), ==, tl_model_param_count (model, TRUE));
  g_assert_false (tl_model_layer (copy, 1)->trainable);
  g_assert_cmpfloat (tl_model_layer (copy, 3)->lr_mult, ==, 0.25f);

  w_copy = tl_model_layer (copy, 1)->params[0].value;
  w_orig = tl_model_layer (model, 1)->params[0].value;
  g_assert_true (w_copy->data != w_orig->data);
  for (gsize i = 0; i < w_copy->size; i++)
    w_copy->data[i] = 0.0f;
  tl_model_layer (copy, 5)->trainable = FALSE;
  g_assert_cmpmem (a->data, a->size * sizeof (float), tl_model_forward (model, x, FALSE)->data,
                   a->size * sizeof (float));
  g_assert_true (tl_model_layer (model, 5)->trainable);
  g_assert_cmpfloat (fabsf (w_orig->data[0]), >, 0.0f);
}

static void
test_freeze_below (void)
{
  g_autoptr (TlModel) model = mlp_784 (4);
  g_autoptr (TlTensor) x = tl_tensor_new_2d (3, 784);
  g_autoptr (TlTensor) grad = tl_tensor_new_empty ();
  const int labels[] = { 1, 4, 9 };
  const TlTensor *out;
  TlLayer *d1, *d2, *d3;

  d1 = tl_model_layer (model, 1);
  d2 = tl_model_layer (model, 3);
  d3 = tl_model_layer (model, 5);
  g_assert_cmpint (tl_model_lowest_trainable (model), ==, 1);

  tl_model_freeze_below (model, 5);
  g_assert_cmpuint (tl_model_param_count (model, TRUE), ==, 1290);
  g_assert_cmpint (tl_model_lowest_trainable (model), ==, 5);
  tl_model_freeze_below (model, 3);
  g_assert_cmpuint (tl_model_param_count (model, TRUE), ==, 256 * 128 + 128 + 1290);
  g_assert_cmpint (tl_model_lowest_trainable (model), ==, 3);
  tl_model_set_trainable (model, 3, FALSE);
  g_assert_cmpint (tl_model_lowest_trainable (model), ==, 5);
  tl_model_freeze_below (model, 6);
  g_assert_cmpint (tl_model_lowest_trainable (model), ==, 6);
  g_assert_cmpuint (tl_model_param_count (model, TRUE), ==, 0);
  tl_model_freeze_below (model, 0);
  g_assert_cmpuint (tl_model_param_count (model, TRUE), ==, 235146);

  /* frozen layers get no weight gradients, and nothing is propagated below the lowest trainable one */
  tl_model_freeze_below (model, 3);
  fill_uniform (x, 11, 0.0f, 1.0f);
  tl_model_zero_grad (model);
  out = tl_model_forward (model, x, TRUE);
  tl_cross_entropy (out, labels, NULL, 0.0f, grad, NULL);
  tl_tensor_resize (g_ptr_array_index (model->grads, 3), 2, (int[]) { 3, 256 });
  tl_tensor_fill (g_ptr_array_index (model->grads, 3), 12345.0f);
  tl_model_backward (model, x, grad);
  for (gsize i = 0; i < d1->params[0].grad->size; i++)
    g_assert_cmpfloat (d1->params[0].grad->data[i], ==, 0.0f);
  g_assert_cmpfloat (((TlTensor *) g_ptr_array_index (model->grads, 3))->data[0], ==, 12345.0f);
  {
    double s2 = 0.0, s3 = 0.0;
    for (gsize i = 0; i < d2->params[0].grad->size; i++)
      s2 += fabsf (d2->params[0].grad->data[i]);
    for (gsize i = 0; i < d3->params[0].grad->size; i++)
      s3 += fabsf (d3->params[0].grad->data[i]);
    g_assert_cmpfloat (s2, >, 0.0);
    g_assert_cmpfloat (s3, >, 0.0);
  }
}

/* Whole-model gradient against central differences along a random direction. */
static void
test_model_gradient (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 5 }, 21);
  g_autoptr (TlTensor) x = tl_tensor_new_2d (4, 5);
  g_autoptr (TlTensor) grad = tl_tensor_new_empty ();
  const int labels[] = { 0, 2, 1, 2 };
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_DENSE, .units = 7 }, { .kind = TL_LAYER_TANH },
    { .kind = TL_LAYER_DENSE, .units = 6 }, { .kind = TL_LAYER_SIGMOID },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };
  TlRng rng;
  double analytic = 0.0, numeric;
  float up = 0.0f, down = 0.0f;
  const float h = 1e-2f;
  GPtrArray *dirs = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_tensor_free);

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    g_assert_true (tl_model_add (model, &specs[i], NULL, &error));
  fill_uniform (x, 2, -1.0f, 1.0f);
  tl_model_zero_grad (model);
  tl_cross_entropy (tl_model_forward (model, x, TRUE), labels, NULL, 0.0f, grad, NULL);
  tl_model_backward (model, x, grad);

  tl_rng_init (&rng, 5);
  for (int l = 0; l < tl_model_n_layers (model); l++)
    {
      TlLayer *layer = tl_model_layer (model, l);
      for (int p = 0; p < layer->n_params; p++)
        {
          TlTensor *d = tl_tensor_copy (layer->params[p].value);
          for (gsize k = 0; k < d->size; k++)
            {
              d->data[k] = tl_rng_uniform_range (&rng, -1.0f, 1.0f);
              analytic += (double) d->data[k] * layer->params[p].grad->data[k];
            }
          g_ptr_array_add (dirs, d);
        }
    }

  for (int sign = 1; sign >= -1; sign -= 2)
    {
      guint di = 0;
      for (int l = 0; l < tl_model_n_layers (model); l++)
        {
          TlLayer *layer = tl_model_layer (model, l);
          for (int p = 0; p < layer->n_params; p++)
            {
              TlTensor *d = g_ptr_array_index (dirs, di++);
              for (gsize k = 0; k < d->size; k++)
                layer->params[p].value->data[k] += sign * h * d->data[k];
            }
        }
      if (sign == 1)
        up = tl_cross_entropy (tl_model_forward (model, x, FALSE), labels, NULL, 0.0f, NULL, NULL);
      else
        down = tl_cross_entropy (tl_model_forward (model, x, FALSE), labels, NULL, 0.0f, NULL, NULL);
      /* undo, then step to the other side */
      di = 0;
      for (int l = 0; l < tl_model_n_layers (model); l++)
        {
          TlLayer *layer = tl_model_layer (model, l);
          for (int p = 0; p < layer->n_params; p++)
            {
              TlTensor *d = g_ptr_array_index (dirs, di++);
              for (gsize k = 0; k < d->size; k++)
                layer->params[p].value->data[k] -= sign * h * d->data[k];
            }
        }
    }
  numeric = (up - down) / (2.0 * h);
  g_assert_cmpfloat (fabs (analytic), >, 1e-3);
  g_assert_cmpfloat (fabs (numeric - analytic), <, 2e-3 * MAX (1.0, fabs (analytic)));
  g_ptr_array_unref (dirs);
}

static void
test_forward_range (void)
{
  g_autoptr (TlModel) model = mlp_784 (6);
  g_autoptr (TlTensor) x = tl_tensor_new_2d (3, 784);
  g_autoptr (TlTensor) full = NULL;
  g_autoptr (TlTensor) mid = NULL;
  const TlTensor *out;

  fill_uniform (x, 4, 0.0f, 1.0f);
  full = tl_tensor_copy (tl_model_forward (model, x, FALSE));
  mid = tl_tensor_copy (tl_model_forward_range (model, x, 0, 3, FALSE));
  g_assert_cmpint (mid->shape[1], ==, 256);
  out = tl_model_forward_range (model, mid, 3, 6, FALSE);
  g_assert_cmpmem (full->data, full->size * sizeof (float), out->data, out->size * sizeof (float));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/preset/mlp", test_mlp_preset);
  g_test_add_func ("/model/preset/cnn", test_cnn_preset);
  g_test_add_func ("/model/preset/text", test_text_presets);
  g_test_add_func ("/model/names", test_names);
  g_test_add_func ("/model/replace-head", test_replace_head);
  g_test_add_func ("/model/copy", test_copy_independent);
  g_test_add_func ("/model/freeze-below", test_freeze_below);
  g_test_add_func ("/model/gradient", test_model_gradient);
  g_test_add_func ("/model/forward-range", test_forward_range);
  return g_test_run ();
}
