#include "config.h"

#include <glib.h>
#include <string.h>

#include "tl-loss.h"
#include "tl-model.h"

/* The model runs a ReLU that follows a Conv2D, and a 2x2 max-pool after that
 * ReLU, inside the convolution's own passes. These tests run the same layers
 * one by one, unfused, and expect the same bits everywhere. */

/* A model of the layers specs over inputs [c, h, w]. */
static TlModel *
stack (int c, int h, int w, guint64 seed, const TlLayerSpec *specs, guint n)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (3, (int[]) { c, h, w }, seed);

  for (guint i = 0; i < n; i++)
    g_assert_true (tl_model_add (model, &specs[i], NULL, &error));
  return model;
}

/* conv - relu - conv - relu - pool (7x7 to 3x3: an odd size) - flatten - dense */
static TlModel *
conv_model (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1 }, { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_CONV2D, .filters = 5, .kernel = 3 }, { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, { .kind = TL_LAYER_FLATTEN },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };

  return stack (2, 9, 9, 17, specs, G_N_ELEMENTS (specs));
}

/* The preset CNN's shape in small: two conv - relu - pool blocks (12 to 6, 4 to 2). */
static TlModel *
pooled_model (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_CONV2D, .filters = 6, .kernel = 3 }, { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 },
    { .kind = TL_LAYER_CONV2D, .filters = 7, .kernel = 3 }, { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 }, { .kind = TL_LAYER_FLATTEN },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };

  return stack (1, 14, 14, 23, specs, G_N_ELEMENTS (specs));
}

/* Rows of pooled windows that go eight at a time, the last eight overlapping:
 * 23x25 to 21x23 (odd) to 10x11 by the first block, 8x9 to 4x4 by the second. */
static TlModel *
wide_rows_model (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_CONV2D, .filters = 5, .kernel = 3 }, { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 },
    { .kind = TL_LAYER_CONV2D, .filters = 3, .kernel = 3 }, { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, { .kind = TL_LAYER_FLATTEN },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };

  return stack (2, 23, 25, 31, specs, G_N_ELEMENTS (specs));
}

/* A 1x1 convolution that passes its input through, then ReLU and pool over
 * rows of 20 (10 windows: a block of eight and one overlapping it), on an input of
 * few distinct values: windows with equal maxima, and windows with none positive. */
static TlModel *
tied_model (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_CONV2D, .filters = 1, .kernel = 1 }, { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, { .kind = TL_LAYER_FLATTEN },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };
  TlModel *model = stack (1, 6, 20, 29, specs, G_N_ELEMENTS (specs));

  tl_model_layer (model, 0)->params[0].value->data[0] = 1.0f;
  tl_model_layer (model, 0)->params[1].value->data[0] = 0.0f;
  return model;
}

/* TRUE for the Conv2D and the ReLU under a fused pool: the model keeps no output for them. */
static gboolean
consumed_by_pool (TlModel *model, int i)
{
  int n = tl_model_n_layers (model);

  for (int c = MAX (i - 1, 0); c <= i; c++)
    if (c + 2 < n && tl_model_layer (model, c)->spec.kind == TL_LAYER_CONV2D
        && tl_model_layer (model, c + 2)->spec.kind == TL_LAYER_MAXPOOL2D)
      return TRUE;
  return FALSE;
}

static void
fill (TlTensor *t, guint64 seed)
{
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (gsize i = 0; i < t->size; i++)
    t->data[i] = tl_rng_uniform_range (&rng, -1.0f, 1.0f);
}

/* Values from {-1, -0.5, -0, +0, 0.5, 1}: ties everywhere. */
static void
fill_tied (TlTensor *t, guint64 seed)
{
  static const float values[] = { -1.0f, -0.5f, -0.0f, 0.0f, 0.5f, 1.0f };
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (gsize i = 0; i < t->size; i++)
    t->data[i] = values[tl_rng_next (&rng) % G_N_ELEMENTS (values)];
}

static void
assert_same (const TlTensor *a, const TlTensor *b)
{
  g_assert_cmpuint (a->size, ==, b->size);
  g_assert_cmpmem (a->data, a->size * sizeof (float), b->data, b->size * sizeof (float));
}

/* Forward and backward of layers [lowest, n) one at a time, as the model did before fusing. */
static void
run_unfused (TlModel *model, const TlTensor *x, const int *labels, int lowest, TlTensor **acts)
{
  TlContext ctx = { .training = TRUE, .rng = &model->rng };
  int n = tl_model_n_layers (model);
  g_autoptr (TlTensor) grad = tl_tensor_new_empty ();
  g_autoptr (GPtrArray) grads = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_tensor_free);

  for (int i = 0; i < n; i++)
    {
      acts[i] = tl_tensor_new_empty ();
      tl_layer_forward (tl_model_layer (model, i), &ctx, i == 0 ? x : acts[i - 1], acts[i]);
      g_ptr_array_add (grads, tl_tensor_new_empty ());
    }
  tl_cross_entropy (acts[n - 1], labels, NULL, 0.0f, grad, NULL);
  for (int i = n - 1; i >= lowest; i--)
    tl_layer_backward (tl_model_layer (model, i), &ctx, i == 0 ? x : acts[i - 1], acts[i],
                       i == n - 1 ? grad : grads->pdata[i + 1], i == lowest ? NULL : grads->pdata[i]);
}

static void
check_against_unfused (TlModel *(*make) (void), int lowest)
{
  g_autoptr (TlModel) fused = make ();
  g_autoptr (TlModel) plain = NULL;
  g_autoptr (TlTensor) x = tl_tensor_new_4d (6, fused->in_shape[0], fused->in_shape[1], fused->in_shape[2]);
  g_autoptr (TlTensor) grad = tl_tensor_new_empty ();
  const int labels[] = { 0, 2, 1, 1, 0, 2 };
  TlTensor *acts[16] = { NULL };
  const TlTensor *out;
  int n;

  if (make == tied_model)
    fill_tied (x, 3);
  else
    fill (x, 3);
  tl_model_freeze_below (fused, lowest);
  plain = tl_model_copy (fused);
  n = tl_model_n_layers (fused);

  tl_model_zero_grad (fused);
  out = tl_model_forward (fused, x, TRUE);
  tl_cross_entropy (out, labels, NULL, 0.0f, grad, NULL);
  tl_model_backward (fused, x, grad);

  tl_model_zero_grad (plain);
  run_unfused (plain, x, labels, tl_model_lowest_trainable (plain), acts);

  for (int i = 0; i < n; i++)
    {
      TlLayer *a = tl_model_layer (fused, i), *b = tl_model_layer (plain, i);

      /* every layer's output, the fused ReLUs' included, except those a fused pool consumed */
      if (consumed_by_pool (fused, i))
        g_assert_cmpint (((TlTensor *) g_ptr_array_index (fused->acts, i))->shape[0], ==, 0);
      else
        assert_same (g_ptr_array_index (fused->acts, i), acts[i]);
      for (int p = 0; p < a->n_params; p++)
        assert_same (a->params[p].grad, b->params[p].grad);
      tl_tensor_free (acts[i]);
    }
}

static void
test_fused_matches_layers (void)
{
  check_against_unfused (conv_model, 0);
}

static void
test_fused_above_frozen (void)
{
  /* the first convolution frozen: the second is the lowest trainable and gets no input gradient */
  check_against_unfused (conv_model, 2);
}

static void
test_pooled_matches_layers (void)
{
  check_against_unfused (pooled_model, 0);
}

static void
test_pooled_above_frozen (void)
{
  check_against_unfused (pooled_model, 3);
}

static void
test_pooled_wide_rows (void)
{
  check_against_unfused (wide_rows_model, 0);
}

static void
test_pooled_ties (void)
{
  check_against_unfused (tied_model, 0);
}

static void
test_range_ending_at_convolution (void)
{
  g_autoptr (TlModel) model = conv_model ();
  g_autoptr (TlTensor) x = tl_tensor_new_4d (2, 2, 9, 9);
  g_autoptr (TlTensor) conv_out = NULL;
  const TlTensor *out;

  fill (x, 4);
  /* a range that stops between a convolution and its ReLU runs the convolution alone */
  out = tl_model_forward_range (model, x, 0, 1, FALSE);
  conv_out = tl_tensor_copy (out);
  g_assert_cmpint (out->ndim, ==, 4);
  out = tl_model_forward_range (model, conv_out, 1, 2, FALSE);
  for (gsize i = 0; i < out->size; i++)
    g_assert_cmpfloat (out->data[i], ==, conv_out->data[i] > 0.0f ? conv_out->data[i] : 0.0f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fusion/conv-relu", test_fused_matches_layers);
  g_test_add_func ("/fusion/conv-relu-frozen-below", test_fused_above_frozen);
  g_test_add_func ("/fusion/conv-relu-pool", test_pooled_matches_layers);
  g_test_add_func ("/fusion/conv-relu-pool-frozen-below", test_pooled_above_frozen);
  g_test_add_func ("/fusion/conv-relu-pool-ties", test_pooled_ties);
  g_test_add_func ("/fusion/conv-relu-pool-wide-rows", test_pooled_wide_rows);
  g_test_add_func ("/fusion/range-split", test_range_ending_at_convolution);
  return g_test_run ();
}
