#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "layer-check.h"
#include "tl-architecture.h"
#include "tl-model-file.h"

/* Graph models: Add and Concat joining branches, residual blocks, their
 * gradients, their files, and freezing in layer order. */

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

/* Two Dense branches over the input, summed. */
static TlModel *
make_add_model (guint64 seed)
{
  TlModel *model = tl_model_new (1, (int[]) { 5 }, seed);

  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "a", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_TANH }, "a_tanh", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "b", 1, (int[]) { -1 });
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_ADD }, "sum", 2,
             (int[]) { idx (model, "a_tanh"), idx (model, "b") });
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "head", 0, NULL);
  return model;
}

/* The Add of a branch with itself and with the input: its gradient is summed per reader. */
static void
test_add_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      g_autoptr (TlModel) model = make_add_model (seed);
      g_autoptr (TlTensor) in = NULL;
      TlRng rng;

      g_assert_true (model->graph);
      tl_rng_init (&rng, seed);
      in = random_input (4, 1, (int[]) { 5 }, &rng);
      check_model_gradients (model, in, seed, 1e-2f);
    }
}

static void
test_add_values (void)
{
  g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 3 }, 1);
  g_autoptr (TlTensor) in = tl_tensor_new_2d (2, 3);
  const TlTensor *out;

  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_RELU }, "r", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_ADD }, "x_plus_relu", 2, (int[]) { -1, 0 });
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONCAT }, "cat", 3, (int[]) { 1, -1, 0 });
  for (int i = 0; i < 6; i++)
    in->data[i] = (float) (i - 2);
  out = tl_model_forward (model, in, FALSE);
  g_assert_cmpint (out->shape[1], ==, 9);
  /* sample 0: x = -2 -1 0, relu 0 0 0 -> x + relu, x, relu */
  {
    const float want[18] = { -2, -1, 0, -2, -1, 0, 0, 0, 0,
                             2, 4, 6, 1, 2, 3, 1, 2, 3 };
    for (int i = 0; i < 18; i++)
      g_assert_cmpfloat (out->data[i], ==, want[i]);
  }
}

/* Two convolutions over the input, concatenated along the channels. */
static void
test_concat_gradients (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 2, 5, 5 }, seed);
      g_autoptr (TlTensor) in = NULL;
      TlRng rng;
      int ndim;
      const int *shape;

      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 3, .kernel = 3, .padding = 1 },
                 "c3", 0, NULL);
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 2, .kernel = 1 }, "c1", 1,
                 (int[]) { -1 });
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONCAT }, "cat", 3, (int[]) { 0, 1, -1 });
      shape = tl_model_out_shape (model, &ndim);
      g_assert_cmpint (ndim, ==, 3);
      g_assert_cmpint (shape[0], ==, 7);
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 2, .kernel = 3, .stride = 2 },
                 "mix", 0, NULL);
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, NULL, 0, NULL);
      tl_rng_init (&rng, seed);
      in = random_input (2, 3, (int[]) { 2, 5, 5 }, &rng);
      check_model_gradients (model, in, seed, 1e-2f);
    }
}

/* A ResNet basic block: two 3x3 convolutions with batch norms, summed with a
 * 1x1, stride-2 projection of the block's input, then ReLU. */
static void
add_basic_block (TlModel *model, const char *prefix, int filters, int stride, TlLayerKind act)
{
  int block_in = tl_model_n_layers (model) - 1;
  g_autofree char *c1 = g_strconcat (prefix, "_conv1", NULL), *b1 = g_strconcat (prefix, "_bn1", NULL);
  g_autofree char *r1 = g_strconcat (prefix, "_relu1", NULL), *c2 = g_strconcat (prefix, "_conv2", NULL);
  g_autofree char *b2 = g_strconcat (prefix, "_bn2", NULL), *dc = g_strconcat (prefix, "_down", NULL);
  g_autofree char *db = g_strconcat (prefix, "_down_bn", NULL), *sum = g_strconcat (prefix, "_add", NULL);
  g_autofree char *out = g_strconcat (prefix, "_relu2", NULL);
  int skip = block_in;

  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = filters, .kernel = 3,
                                    .stride = stride, .padding = 1 }, c1, 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, b1, 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = act }, r1, 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = filters, .kernel = 3, .padding = 1 },
             c2, 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, b2, 0, NULL);
  if (stride > 1)
    {
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = filters, .kernel = 1,
                                        .stride = stride }, dc, 1, &block_in);
      add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, db, 0, NULL);
      skip = idx (model, db);
    }
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_ADD }, sum, 2, (int[]) { idx (model, b2), skip });
  add_layer (model, (TlLayerSpec) { .kind = act }, out, 0, NULL);
}

/* act ReLU as in a ResNet; Tanh for finite differences, which a ReLU's kink would upset */
static TlModel *
make_resnet (guint64 seed, TlLayerKind act)
{
  TlModel *model = tl_model_new (3, (int[]) { 2, 6, 6 }, seed);

  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 3, .kernel = 3, .padding = 1 },
             "stem", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = act }, "stem_relu", 0, NULL);
  add_basic_block (model, "block1", 3, 1, act);
  add_basic_block (model, "block2", 4, 2, act);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "pool", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, "flat", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "fc", 0, NULL);
  return model;
}

static void
test_residual_gradients (void)
{
  for (guint64 seed = 1; seed <= 2; seed++)
    {
      g_autoptr (TlModel) model = make_resnet (seed, TL_LAYER_TANH);
      g_autoptr (TlTensor) in = NULL;
      TlRng rng;

      tl_rng_init (&rng, seed);
      in = random_input (3, 3, (int[]) { 2, 6, 6 }, &rng);
      check_model_gradients (model, in, seed, 1e-2f);
    }
}

/* Freezing layers [0, k) of a graph: the backward stops at k, and the
 * gradients above are those of a backward that runs down to the input. */
static void
test_freeze_in_layer_order (void)
{
  g_autoptr (TlModel) model = make_resnet (3, TL_LAYER_RELU);
  g_autoptr (TlModel) frozen = NULL;
  g_autoptr (TlTensor) in = NULL, r = NULL;
  int k = idx (model, "block2_conv1");
  TlRng rng;

  tl_rng_init (&rng, 9);
  in = random_input (3, 3, (int[]) { 2, 6, 6 }, &rng);
  r = tl_tensor_new_2d (3, 3);
  fill_normal (r, &rng, 1.0f);
  g_assert_true (tl_model_is_cut (model, 0));
  g_assert_false (tl_model_is_cut (model, k + 1));     /* the projection reads block2's input */
  g_assert_true (tl_model_is_cut (model, k));
  g_assert_true (tl_model_is_cut (model, idx (model, "pool")));

  tl_model_freeze_below (model, k);
  frozen = tl_model_copy (model);
  g_assert_cmpint (tl_model_lowest_trainable (frozen), ==, k);
  tl_model_zero_grad (model);
  tl_model_forward (model, in, TRUE);
  model->input_gradient = TRUE;
  tl_model_backward (model, in, r);
  model->input_gradient = FALSE;
  tl_model_zero_grad (frozen);
  tl_model_forward (frozen, in, TRUE);
  tl_model_backward (frozen, in, r);
  for (int i = k; i < tl_model_n_layers (model); i++)
    for (int p = 0; p < tl_model_layer (model, i)->n_params; p++)
      {
        const TlTensor *a = tl_model_layer (model, i)->params[p].grad;
        const TlTensor *b = tl_model_layer (frozen, i)->params[p].grad;

        for (gsize j = 0; j < a->size; j++)
          g_assert_cmpfloat (a->data[j], ==, b->data[j]);
      }
  /* the frozen layers were not given a gradient */
  for (int i = 0; i < k; i++)
    for (int p = 0; p < tl_model_layer (frozen, i)->n_params; p++)
      {
        const TlTensor *g = tl_model_layer (frozen, i)->params[p].grad;
        for (gsize j = 0; j < g->size; j++)
          g_assert_cmpfloat (g->data[j], ==, 0.0f);
      }

  /* from a cut, the output of the layer below is all a range needs (a feature cache) */
  {
    g_autoptr (TlTensor) below = NULL, whole = NULL, other = NULL;
    const TlTensor *top;

    whole = tl_tensor_copy (tl_model_forward (model, in, FALSE));
    below = tl_tensor_copy (tl_model_forward_range (model, in, 0, k, FALSE));
    other = tl_tensor_copy (in);
    fill_normal (other, &rng, 1.0f);
    tl_model_forward (model, other, FALSE);
    top = tl_model_forward_range (model, below, k, tl_model_n_layers (model), FALSE);
    for (gsize j = 0; j < whole->size; j++)
      g_assert_cmpfloat (top->data[j], ==, whole->data[j]);
  }
}

static void
assert_same_outputs (TlModel *a, TlModel *b, const TlTensor *in)
{
  g_autoptr (TlTensor) ya = tl_tensor_copy (tl_model_forward (a, in, FALSE));
  const TlTensor *yb = tl_model_forward (b, in, FALSE);

  g_assert_true (tl_tensor_same_shape (ya, yb));
  for (gsize j = 0; j < ya->size; j++)
    g_assert_cmpfloat (ya->data[j], ==, yb->data[j]);
}

static void
test_file_round_trip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tl-graph-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "resnet.safetensors", NULL);
  g_autoptr (TlModel) model = make_resnet (4, TL_LAYER_RELU);
  g_autoptr (TlModel) loaded = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlTensor) in = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) arch = NULL;
  g_autofree char *text = NULL;
  TlRng rng;

  tl_rng_init (&rng, 4);
  in = random_input (2, 3, (int[]) { 2, 6, 6 }, &rng);
  tl_model_set_trainable (model, 0, FALSE);
  /* running statistics away from their initial values */
  tl_model_forward (model, in, TRUE);
  g_assert_true (tl_model_file_save (path, model, NULL, &error));
  g_assert_no_error (error);
  loaded = tl_model_file_load (path, &info, &error);
  g_assert_no_error (error);
  g_assert_true (loaded->graph);
  g_assert_cmpint (tl_model_n_layers (loaded), ==, tl_model_n_layers (model));
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      g_assert_cmpint (tl_model_n_inputs_of (loaded, i), ==, tl_model_n_inputs_of (model, i));
      for (int k = 0; k < tl_model_n_inputs_of (model, i); k++)
        g_assert_cmpint (tl_model_input_of (loaded, i, k), ==, tl_model_input_of (model, i, k));
      g_assert_cmpint (tl_model_layer (loaded, i)->trainable, ==, tl_model_layer (model, i)->trainable);
    }
  assert_same_outputs (model, loaded, in);

  text = json_to_string (info->architecture, FALSE);
  g_assert_nonnull (strstr (text, "\"inputs\":[\"block1_bn2\",\"stem_relu\"]"));
  g_assert_nonnull (strstr (text, "\"inputs\":[\"block1_relu2\"]"));

  /* the copy is the same graph */
  {
    g_autoptr (TlModel) copy = tl_model_copy (model);
    assert_same_outputs (model, copy, in);
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* A plain stack writes no "inputs": its files are those of before. */
static void
test_plain_stack_unchanged (void)
{
  g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 4 }, 1);
  g_autoptr (JsonNode) arch = NULL;
  g_autofree char *text = NULL;

  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "a", 0, NULL);
  /* naming the previous layer is the same as naming none */
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_RELU }, "r", 1, (int[]) { 0 });
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "b", 0, NULL);
  g_assert_false (model->graph);
  arch = tl_model_architecture_to_json (model);
  text = json_to_string (arch, FALSE);
  g_assert_null (strstr (text, "inputs"));
}

static void
assert_add_refused (TlModel *model, TlLayerSpec spec, int n, const int *inputs, const char *expect)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (tl_model_add_joined (model, &spec, "bad", n, inputs, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, expect) == NULL)
    g_error ("expected “%s” in: %s", expect, error->message);
}

static void
test_refused (void)
{
  g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 2, 4, 4 }, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (TlArchitecture) arch = NULL;

  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 3, .kernel = 3, .padding = 1 },
             "c", 0, NULL);
  add_layer (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 3, .kernel = 3 }, "small", 1,
             (int[]) { -1 });
  assert_add_refused (model, (TlLayerSpec) { .kind = TL_LAYER_ADD }, 2, (int[]) { 0, -1 }, "channels");
  assert_add_refused (model, (TlLayerSpec) { .kind = TL_LAYER_ADD }, 2, (int[]) { 0, 1 }, "does not match");
  assert_add_refused (model, (TlLayerSpec) { .kind = TL_LAYER_CONCAT }, 2, (int[]) { 0, 1 }, "does not match");
  assert_add_refused (model, (TlLayerSpec) { .kind = TL_LAYER_ADD }, 2, (int[]) { 0, 5 }, "earlier layer");
  assert_add_refused (model, (TlLayerSpec) { .kind = TL_LAYER_ADD }, 1, (int[]) { 0 }, "joins 2 to");
  assert_add_refused (model, (TlLayerSpec) { .kind = TL_LAYER_RELU }, 2, (int[]) { 0, 0 }, "one input");
  g_assert_cmpint (tl_model_n_layers (model), ==, 2);

  g_assert_true (json_parser_load_from_data (parser,
    "{\"input_shape\": [4], \"layers\": [{\"kind\": \"dense\", \"name\": \"a\", \"units\": 2},"
    " {\"kind\": \"add\", \"name\": \"s\", \"inputs\": [\"a\", \"later\"]},"
    " {\"kind\": \"dense\", \"name\": \"later\", \"units\": 2}]}", -1, NULL));
  arch = tl_architecture_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_null (tl_architecture_build (arch, 1, 0, &error));
  g_assert_nonnull (strstr (error->message, "“later”, which is not an earlier layer"));
  g_clear_error (&error);

  g_assert_true (json_parser_load_from_data (parser,
    "{\"input_shape\": [4], \"layers\": [{\"kind\": \"add\", \"name\": \"s\", \"inputs\": [\"\", 3]}]}",
    -1, NULL));
  g_assert_null (tl_architecture_from_json (json_parser_get_root (parser), &error));
  g_assert_nonnull (strstr (error->message, "input 2 is not a layer name"));
}

/* ResNet's stem pool: 3x3, stride 2, padding 1, whose padding never wins. */
static void
test_maxpool_padding (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      g_autoptr (TlLayer) pool = make_layer (&(TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 3,
                                                              .stride = 2, .padding = 1 },
                                             3, (int[]) { 2, 5, 6 }, seed);
      g_autoptr (TlTensor) in = NULL;
      TlContext ctx = { 0 };
      TlRng rng;

      g_assert_cmpint (pool->out_shape[1], ==, 3);
      g_assert_cmpint (pool->out_shape[2], ==, 3);
      tl_rng_init (&rng, seed);
      in = random_input (2, 3, (int[]) { 2, 5, 6 }, &rng);
      fill_distinct (in, &rng, 0.05f);
      /* all negative: a zero padding would win every border window */
      for (gsize i = 0; i < in->size; i++)
        in->data[i] -= 100.0f;
      check_gradients (pool, &ctx, in, TRUE, seed, 1e-3f);
      {
        g_autoptr (TlTensor) out = tl_tensor_new_empty ();
        tl_layer_forward (pool, &ctx, in, out);
        for (gsize i = 0; i < out->size; i++)
          g_assert_cmpfloat (out->data[i], <, -50.0f);
      }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/graph/add-values", test_add_values);
  g_test_add_func ("/graph/add-gradients", test_add_gradients);
  g_test_add_func ("/graph/concat-gradients", test_concat_gradients);
  g_test_add_func ("/graph/residual-gradients", test_residual_gradients);
  g_test_add_func ("/graph/freeze-in-layer-order", test_freeze_in_layer_order);
  g_test_add_func ("/graph/file-round-trip", test_file_round_trip);
  g_test_add_func ("/graph/plain-stack-unchanged", test_plain_stack_unchanged);
  g_test_add_func ("/graph/refused", test_refused);
  g_test_add_func ("/graph/maxpool-padding", test_maxpool_padding);
  return g_test_run ();
}
