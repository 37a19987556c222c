#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "layer-check.h"
#include "tl-architecture.h"
#include "tl-model-file.h"

/* Gates of mobile networks in graph models: Mul of two branches, value by
 * value or one factor per channel, and squeeze-excitation blocks (global
 * pool, two Dense layers, HardSigmoid, the channels scaled by the result). */

static void
add_layer (TlModel *model, TlLayerSpec spec, const char *name, int n_inputs, const int *inputs)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (tl_model_add_joined (model, &spec, name, n_inputs, inputs, &error));
  g_assert_no_error (error);
}

static int
idx (TlModel *model, const char *name)
{
  int i = tl_model_find_layer (model, name);
  g_assert_cmpint (i, >=, 0);
  return i;
}

/* conv -> [squeeze: pool, Dense, ReLU or Tanh, Dense, HardSigmoid] -> conv * gate -> head */
static TlModel *
make_se_model (guint64 seed, TlLayerKind act)
{
  TlModel *model = tl_model_new (3, (int[]) { 2, 5, 4 }, seed);

  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1 },
             "conv", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "se_pool", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "se_fc1", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = act }, "se_act", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 4 }, "se_fc2", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_HARDSIGMOID }, "se_gate", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, "se_mul", 2,
             (int[]) { idx (model, "conv"), idx (model, "se_gate") });
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_HARDSWISH }, "act", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, "flat", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "head", 0, NULL);
  return model;
}

static void
test_mul_values (void)
{
  g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 2, 1, 3 }, 1);
  g_autoptr (TlTensor) in = tl_tensor_new (4, (int[]) { 1, 2, 1, 3 });
  const TlTensor *out;
  const float want[12] = {
    /* x * per-channel mean: channel 0 mean 1, channel 1 mean 4 */
    0, 1, 2, 12, 16, 20,
    /* x * x */
    0, 1, 4, 9, 16, 25,
  };

  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "pool", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, "scaled", 2, (int[]) { -1, 0 });
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, "square", 2, (int[]) { -1, -1 });
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONCAT }, "both", 2, (int[]) { 1, 2 });
  for (int i = 0; i < 6; i++)
    in->data[i] = (float) i;
  out = tl_model_forward (model, in, FALSE);
  g_assert_cmpint (out->size, ==, 12);
  for (int i = 0; i < 12; i++)
    g_assert_cmpfloat_with_epsilon (out->data[i], want[i], 1e-6);
}

/* Both operands of a value-by-value product read the same layer, and the
 * per-channel gate reads a branch of the first: every gradient path counts. */
static void
test_mul_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 3, 4, 3 }, seed);
      g_autoptr (TlTensor) in = NULL;
      TlRng rng;

      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 2, .kernel = 3, .padding = 1 },
                 "conv", 0, NULL);
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_TANH }, "t", 0, NULL);
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, "square", 2, (int[]) { 1, 0 });
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "pool", 1, (int[]) { 0 });
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "fc", 0, NULL);
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, "gated", 2, (int[]) { 2, 4 });
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, "flat", 0, NULL);
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "head", 0, NULL);
      g_assert_true (model->graph);
      tl_rng_init (&rng, seed);
      in = random_input (3, 3, (int[]) { 3, 4, 3 }, &rng);
      check_model_gradients (model, in, seed, 1e-2f);
    }
}

/* A squeeze-excitation block; Tanh for the finite differences, which a ReLU's kink would upset. */
static void
test_se_block_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      g_autoptr (TlModel) model = make_se_model (seed, TL_LAYER_TANH);
      g_autoptr (TlTensor) in = NULL;
      TlRng rng;

      tl_rng_init (&rng, seed);
      in = random_input (2, 3, (int[]) { 2, 5, 4 }, &rng);
      check_model_gradients (model, in, seed, 1e-2f);
    }
}

static void
test_se_file_round_trip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tl-se-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "se.safetensors", NULL);
  g_autoptr (TlModel) model = make_se_model (4, TL_LAYER_RELU);
  g_autoptr (TlModel) loaded = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlTensor) in = NULL, want = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  const TlTensor *got;
  TlRng rng;

  tl_rng_init (&rng, 4);
  in = random_input (2, 3, (int[]) { 2, 5, 4 }, &rng);
  g_assert_true (tl_model_file_save (path, model, NULL, &error));
  g_assert_no_error (error);
  loaded = tl_model_file_load (path, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tl_model_layer (loaded, idx (loaded, "se_mul"))->spec.kind, ==, TL_LAYER_MUL);
  g_assert_cmpint (tl_model_layer (loaded, idx (loaded, "se_gate"))->spec.kind, ==, TL_LAYER_HARDSIGMOID);
  text = json_to_string (info->architecture, FALSE);
  g_assert_nonnull (strstr (text, "\"kind\":\"mul\",\"name\":\"se_mul\""));
  g_assert_nonnull (strstr (text, "\"inputs\":[\"conv\",\"se_gate\"]"));
  g_assert_nonnull (strstr (text, "\"kind\":\"hardsigmoid\""));
  want = tl_tensor_copy (tl_model_forward (model, in, FALSE));
  got = tl_model_forward (loaded, in, FALSE);
  g_assert_true (tl_tensor_same_shape (want, got));
  for (gsize j = 0; j < want->size; j++)
    g_assert_cmpfloat (got->data[j], ==, want->data[j]);
  g_unlink (path);
  g_rmdir (dir);
}

static void
assert_refused (TlModel *model, TlLayerSpec spec, int n, const int *inputs, const char *expect)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (tl_model_add_joined (model, &spec, "bad", n, inputs, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, expect) == NULL)
    g_error ("expected “%s” in: %s", expect, error->message);
}

static void
test_mul_refused (void)
{
  g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 2, 4, 4 }, 1);

  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "pool", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "three", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 2, .kernel = 3 }, "small", 1,
             (int[]) { -1 });
  /* three factors for two channels */
  assert_refused (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, 2, (int[]) { -1, 1 }, "does not match");
  /* [2, 2, 2] against [2, 4, 4] */
  assert_refused (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, 2, (int[]) { -1, 2 }, "does not match");
  /* the factors first */
  assert_refused (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, 2, (int[]) { 0, -1 }, "does not match");
  assert_refused (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, 3, (int[]) { -1, 0, 0 }, "two inputs");
  assert_refused (model, (TlLayerSpec) { .kind = TL_LAYER_MUL }, 1, (int[]) { -1 }, "joins 2 to");
  g_assert_cmpint (tl_model_n_layers (model), ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/squeeze-excitation/mul-values", test_mul_values);
  g_test_add_func ("/squeeze-excitation/mul-gradients", test_mul_gradients);
  g_test_add_func ("/squeeze-excitation/block-gradients", test_se_block_gradients);
  g_test_add_func ("/squeeze-excitation/file-round-trip", test_se_file_round_trip);
  g_test_add_func ("/squeeze-excitation/refused", test_mul_refused);
  return g_test_run ();
}
