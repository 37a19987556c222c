#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-onnx-graph.h"
#include "tl-onnx-import.h"
#include "tl-onnx.h"
#include "tl-protobuf.h"
#include "tl-rng.h"

/* Reading ONNX: models exported by transfer-lab itself come back with the
 * same outputs; hand-made files that are damaged, too large for what they
 * hold, of unsupported operators or of mismatched shapes are refused clearly. */

static void
add (TlModel *model, TlLayerSpec spec, const char *name, int n, const int *inputs)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (tl_model_add_joined (model, &spec, name, n, inputs, &error));
  g_assert_no_error (error);
}

static TlModel *
import_bytes (GBytes *bytes, GError **error)
{
  g_autoptr (TlOnnxFile) file = tl_onnx_file_parse ("test.onnx", g_bytes_get_data (bytes, NULL),
                                                    g_bytes_get_size (bytes), error);
  return file ? tl_onnx_import (file, "test.onnx", error) : NULL;
}

static void
randomise (TlModel *model, guint64 seed)
{
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      TlLayer *layer = tl_model_layer (model, i);

      for (int b = 0; b < layer->n_buffers; b++)
        for (gsize k = 0; k < layer->buffers[b].value->size; k++)
          layer->buffers[b].value->data[k] = 0.5f + (float) tl_rng_uniform (&rng);
      for (int p = 0; p < layer->n_params; p++)
        for (gsize k = 0; k < layer->params[p].value->size; k++)
          layer->params[p].value->data[k] = (float) tl_rng_normal (&rng) * 0.3f;
    }
}

static void
assert_same_outputs (TlModel *a, TlModel *b, guint64 seed)
{
  g_autoptr (TlTensor) in = tl_tensor_new_empty ();
  g_autoptr (TlTensor) ya = NULL;
  const TlTensor *yb;
  TlRng rng;

  tl_rng_init (&rng, seed);
  tl_tensor_resize_batch (in, 3, a->in_ndim, a->in_shape);
  for (gsize i = 0; i < in->size; i++)
    in->data[i] = (float) tl_rng_normal (&rng);
  ya = tl_tensor_copy (tl_model_forward (a, in, FALSE));
  yb = tl_model_forward (b, in, FALSE);
  g_assert_cmpuint (ya->size, ==, yb->size);
  for (gsize i = 0; i < ya->size; i++)
    g_assert_cmpfloat_with_epsilon (ya->data[i], yb->data[i], 1e-4 * (1 + fabsf (ya->data[i])));
}

/* Every supported layer in a graph: stem, residual block with projection,
 * a concatenation, pools, clip and the head. */
static TlModel *
make_graph (void)
{
  TlModel *m = tl_model_new (3, (int[]) { 3, 9, 9 }, 7);

  add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1 }, "stem", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, "stem_bn", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_RELU }, "stem_relu", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 3, .stride = 2, .padding = 1 }, "pool", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 6, .kernel = 3, .stride = 2, .padding = 1 }, "c1", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_RELU6 }, "c1_relu6", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 6, .kernel = 1, .stride = 2 }, "down", 1, (int[]) { 3 });
  add (m, (TlLayerSpec) { .kind = TL_LAYER_ADD }, "sum", 2, (int[]) { 5, 6 });
  add (m, (TlLayerSpec) { .kind = TL_LAYER_CLIP, .clip_min = -0.5f, .clip_max = 2.0f }, "clip", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 2, .kernel = 3, .padding = 1, .groups = 2 },
       "grouped", 1, (int[]) { 7 });
  add (m, (TlLayerSpec) { .kind = TL_LAYER_CONCAT }, "cat", 2, (int[]) { 8, 9 });
  add (m, (TlLayerSpec) { .kind = TL_LAYER_AVGPOOL2D, .kernel = 3, .stride = 1, .padding = 1 }, "avg", 0, NULL);
  /* a squeeze-excitation gate */
  add (m, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "se_pool", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 8 }, "se_fc", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_HARDSIGMOID }, "se_gate", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_MUL }, "se_mul", 2, (int[]) { 11, 14 });
  add (m, (TlLayerSpec) { .kind = TL_LAYER_HARDSWISH }, "act", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "gap", 0, NULL);
  add (m, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 5 }, "fc", 0, NULL);
  return m;
}

static void
test_round_trip_graph (void)
{
  g_autoptr (TlModel) model = make_graph ();
  g_autoptr (TlModel) back = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  randomise (model, 3);
  bytes = tl_onnx_serialize (model, NULL, NULL, &error);
  g_assert_no_error (error);
  back = import_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_true (back->graph);
  assert_same_outputs (model, back, 5);
}

static void
test_round_trip_stack (void)
{
  g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 1, 6, 6 }, 2);
  g_autoptr (TlModel) back = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  add (model, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 3, .kernel = 3 }, NULL, 0, NULL);
  add (model, (TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, 0, NULL);
  add (model, (TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, NULL, 0, NULL);
  add (model, (TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, NULL, 0, NULL);
  add (model, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 4 }, NULL, 0, NULL);
  randomise (model, 4);
  bytes = tl_onnx_serialize (model, NULL, NULL, &error);
  g_assert_no_error (error);
  back = import_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_false (back->graph);
  g_assert_cmpint (tl_model_n_layers (back), ==, 5);
  assert_same_outputs (model, back, 6);
}

/* A hand-made file: input "x" [batch, in_shape], output `out`, the nodes and initializers of g. */
static GBytes *
finish (TlOnnxGraph *g, gint64 opset, int in_ndim, const int *in_shape, const char *out)
{
  g_autoptr (GByteArray) graph = g_byte_array_new ();
  g_autoptr (GByteArray) model = g_byte_array_new ();
  g_autoptr (GByteArray) set = g_byte_array_new ();

  g_byte_array_append (graph, g->nodes->data, g->nodes->len);
  tl_onnx_graph_write_initializers (g, graph);
  tl_onnx_write_value_info (graph, GRAPH_INPUT, "x", DTYPE_FLOAT, in_ndim, in_shape);
  tl_onnx_write_value_info (graph, GRAPH_OUTPUT, out, DTYPE_FLOAT, 1, (int[]) { 1 });
  tl_pb_write_int (model, MODEL_IR_VERSION, 8);
  tl_pb_write_message (model, MODEL_GRAPH, graph);
  tl_pb_write_int (set, OPSET_VERSION, opset);
  tl_pb_write_message (model, MODEL_OPSET_IMPORT, set);
  return g_byte_array_free_to_bytes (g_steal_pointer (&model));
}

static void
assert_refused (GBytes *bytes, const char *const *expect)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = import_bytes (bytes, &error);

  g_assert_null (model);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  for (; *expect; expect++)
    if (strstr (error->message, *expect) == NULL)
      g_error ("expected “%s” in: %s", *expect, error->message);
}

#define EXPECT(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void
test_unsupported_operator (void)
{
  g_auto (TlOnnxGraph) g = { 0 };
  g_autoptr (GBytes) bytes = NULL;

  tl_onnx_graph_init (&g);
  tl_onnx_graph_op (&g, "act", "Relu", TL_ONNX_NAMES ("x"), TL_ONNX_NAMES ("r"));
  tl_onnx_graph_op (&g, "squash", "Tanh", TL_ONNX_NAMES ("r"), TL_ONNX_NAMES ("y"));
  bytes = finish (&g, 13, 1, (int[]) { 4 }, "y");
  assert_refused (bytes, EXPECT ("test.onnx", "node “squash", "Tanh", "supported are: Add, AveragePool",
                                 "MaxPool, Mul, Relu, Reshape"));
}

static void
test_opset_refused (void)
{
  g_auto (TlOnnxGraph) g = { 0 };
  g_autoptr (GBytes) bytes = NULL;

  tl_onnx_graph_init (&g);
  tl_onnx_graph_op (&g, "act", "Relu", TL_ONNX_NAMES ("x"), TL_ONNX_NAMES ("y"));
  bytes = finish (&g, 9, 1, (int[]) { 4 }, "y");
  assert_refused (bytes, EXPECT ("opset 9", "opsets 11 to 17"));
}

static void
test_shape_mismatch (void)
{
  static const float w[15] = { 0 };
  g_auto (TlOnnxGraph) g = { 0 };
  g_autoptr (GBytes) bytes = NULL;
  g_auto (TlOnnxGraph) h = { 0 };
  g_autoptr (GBytes) conv = NULL;
  static const float k[2 * 5 * 3 * 3] = { 0 };

  /* Gemm of a [3, 5] weight (transB) on 4 features */
  tl_onnx_graph_init (&g);
  tl_onnx_add_float_initializer (&g, "w", 2, TL_ONNX_DIMS (3, 5), w);
  {
    GByteArray *node = tl_onnx_node_new (&g, "fc", "Gemm", TL_ONNX_NAMES ("x", "w"), TL_ONNX_NAMES ("y"));
    tl_onnx_node_attr_int (node, "transB", 1);
    tl_onnx_graph_add_node (&g, node);
  }
  bytes = finish (&g, 13, 1, (int[]) { 4 }, "y");
  assert_refused (bytes, EXPECT ("node “fc", "Gemm", "5 inputs but the layer below gives 4"));

  /* a convolution of 5 input channels on a 2-channel image */
  tl_onnx_graph_init (&h);
  tl_onnx_add_float_initializer (&h, "k", 4, TL_ONNX_DIMS (2, 5, 3, 3), k);
  tl_onnx_graph_op (&h, "conv", "Conv", TL_ONNX_NAMES ("x", "k"), TL_ONNX_NAMES ("y"));
  conv = finish (&h, 13, 3, (int[]) { 2, 6, 6 }, "y");
  assert_refused (conv, EXPECT ("node “conv", "Conv", "weight reads 5 channels in 1 groups", "[2, 6, 6]"));
}

/* MatMul then Add of a constant (through an Identity): one Dense layer with that bias. */
static void
test_matmul_bias (void)
{
  static const float w[6] = { 1, 2, 3, 4, 5, 6 };      /* [in 2, out 3] */
  static const float b[3] = { 0.5f, -1, 2 };
  g_auto (TlOnnxGraph) g = { 0 };
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlTensor) in = tl_tensor_new_2d (1, 2);
  const TlTensor *y;

  tl_onnx_graph_init (&g);
  tl_onnx_add_float_initializer (&g, "w", 2, TL_ONNX_DIMS (2, 3), w);
  tl_onnx_add_float_initializer (&g, "b", 1, TL_ONNX_DIMS (3), b);
  tl_onnx_graph_op (&g, "mm", "MatMul", TL_ONNX_NAMES ("x", "w"), TL_ONNX_NAMES ("h"));
  /* a shared constant passed on by an Identity, as torch.onnx.export writes repeated weights */
  tl_onnx_graph_op (&g, "share", "Identity", TL_ONNX_NAMES ("b"), TL_ONNX_NAMES ("b_copy"));
  tl_onnx_graph_op (&g, "bias", "Add", TL_ONNX_NAMES ("h", "b_copy"), TL_ONNX_NAMES ("y"));
  bytes = finish (&g, 17, 1, (int[]) { 2 }, "y");
  model = import_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tl_model_n_layers (model), ==, 1);
  in->data[0] = 1;
  in->data[1] = -1;
  y = tl_model_forward (model, in, FALSE);
  g_assert_cmpfloat (y->data[0], ==, 1 - 4 + 0.5f);
  g_assert_cmpfloat (y->data[1], ==, 2 - 5 - 1);
  g_assert_cmpfloat (y->data[2], ==, 3 - 6 + 2);
}

/* As torch.onnx.export writes MobileNetV3 at opset 13: HardSwish as x times
 * HardSigmoid(x), and a squeeze-excitation gate, global pool, 1x1 Conv,
 * HardSigmoid, multiplying the channels (the gate first). */
static void
test_mobile_gates (void)
{
  static const float w[4] = { 1, -1, 0.5f, 2 };        /* [2 out, 2 in, 1, 1] */
  static const float b[2] = { 0.5f, -0.25f };
  g_auto (TlOnnxGraph) g = { 0 };
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlTensor) in = tl_tensor_new (4, (int[]) { 1, 2, 1, 2 });
  const float x[4] = { -4, 1, 2, 5 };
  const TlTensor *y;

  tl_onnx_graph_init (&g);
  tl_onnx_add_float_initializer (&g, "w", 4, TL_ONNX_DIMS (2, 2, 1, 1), w);
  tl_onnx_add_float_initializer (&g, "b", 1, TL_ONNX_DIMS (2), b);
  {
    GByteArray *node = tl_onnx_node_new (&g, "/act/HardSigmoid", "HardSigmoid", TL_ONNX_NAMES ("x"),
                                         TL_ONNX_NAMES ("hs"));
    tl_onnx_node_attr_float (node, "alpha", 1.0f / 6.0f);
    tl_onnx_graph_add_node (&g, node);
  }
  tl_onnx_graph_op (&g, "/act/Mul", "Mul", TL_ONNX_NAMES ("x", "hs"), TL_ONNX_NAMES ("h"));
  tl_onnx_graph_op (&g, "/se/pool", "GlobalAveragePool", TL_ONNX_NAMES ("h"), TL_ONNX_NAMES ("p"));
  tl_onnx_graph_op (&g, "/se/fc/Conv", "Conv", TL_ONNX_NAMES ("p", "w", "b"), TL_ONNX_NAMES ("c"));
  {
    GByteArray *node = tl_onnx_node_new (&g, "/se/gate", "HardSigmoid", TL_ONNX_NAMES ("c"), TL_ONNX_NAMES ("s"));
    tl_onnx_node_attr_float (node, "alpha", 1.0f / 6.0f);
    tl_onnx_graph_add_node (&g, node);
  }
  tl_onnx_graph_op (&g, "/se/Mul", "Mul", TL_ONNX_NAMES ("s", "h"), TL_ONNX_NAMES ("y"));
  bytes = finish (&g, 13, 3, (int[]) { 2, 1, 2 }, "y");
  model = import_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tl_model_n_layers (model), ==, 6);
  g_assert_cmpint (tl_model_layer (model, 3)->spec.kind, ==, TL_LAYER_DENSE);
  g_assert_cmpint (tl_model_layer (model, 5)->spec.kind, ==, TL_LAYER_MUL);
  g_assert_cmpint (tl_model_input_of (model, 5, 0), ==, 1);
  memcpy (in->data, x, sizeof x);
  y = tl_model_forward (model, in, FALSE);
  {
    float h[4], p[2], s[2];

    for (int i = 0; i < 4; i++)
      h[i] = x[i] * CLAMP (x[i] / 6 + 0.5f, 0, 1);
    p[0] = (h[0] + h[1]) / 2;
    p[1] = (h[2] + h[3]) / 2;
    for (int o = 0; o < 2; o++)
      s[o] = CLAMP ((w[2 * o] * p[0] + w[2 * o + 1] * p[1] + b[o]) / 6 + 0.5f, 0, 1);
    for (int i = 0; i < 4; i++)
      g_assert_cmpfloat_with_epsilon (y->data[i], h[i] * s[i / 2], 1e-6);
  }
}

static void
test_mobile_gates_refused (void)
{
  static const float k[4] = { 0 };
  g_auto (TlOnnxGraph) g = { 0 }, h = { 0 }, u = { 0 };
  g_autoptr (GBytes) keras = NULL, scaled = NULL, wide = NULL;

  /* ONNX's default HardSigmoid (alpha 0.2) is not PyTorch's */
  tl_onnx_graph_init (&g);
  tl_onnx_graph_op (&g, "gate", "HardSigmoid", TL_ONNX_NAMES ("x"), TL_ONNX_NAMES ("y"));
  keras = finish (&g, 13, 1, (int[]) { 4 }, "y");
  assert_refused (keras, EXPECT ("node “gate", "alpha 0.2", "only alpha 1/6"));

  tl_onnx_graph_init (&h);
  tl_onnx_add_float_initializer (&h, "k", 1, TL_ONNX_DIMS (4), k);
  tl_onnx_graph_op (&h, "scale", "Mul", TL_ONNX_NAMES ("x", "k"), TL_ONNX_NAMES ("y"));
  scaled = finish (&h, 13, 1, (int[]) { 4 }, "y");
  assert_refused (scaled, EXPECT ("node “scale", "by a constant"));

  /* an Unsqueeze of an image, not of pooled channels */
  tl_onnx_graph_init (&u);
  tl_onnx_add_int64_initializer (&u, "axes", 1, TL_ONNX_DIMS (1), (const gint64[]) { 4 });
  tl_onnx_graph_op (&u, "up", "Unsqueeze", TL_ONNX_NAMES ("x", "axes"), TL_ONNX_NAMES ("y"));
  wide = finish (&u, 13, 3, (int[]) { 2, 2, 2 }, "y");
  assert_refused (wide, EXPECT ("node “up", "pooled channels"));
}

/* Every truncation of a real file is refused (or, cut at a field boundary,
 * refused by the import); none crashes. */
static void
test_truncated (void)
{
  g_autoptr (TlModel) model = make_graph ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  gsize size;
  const guint8 *data;

  bytes = tl_onnx_serialize (model, NULL, NULL, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (bytes, &size);
  for (gsize n = 0; n < size; n += 1 + n / 64)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (TlOnnxFile) file = tl_onnx_file_parse ("cut.onnx", data, n, &e);
      g_autoptr (TlModel) m = file ? tl_onnx_import (file, "cut.onnx", &e) : NULL;

      if (m != NULL)
        g_error ("a file cut at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes was imported", n, size);
      g_assert_nonnull (e);
      g_assert_nonnull (strstr (e->message, "cut.onnx"));
    }
  {
    g_autoptr (GError) e = NULL;
    g_autoptr (TlOnnxFile) file = tl_onnx_file_parse ("cut.onnx", data, size - 1, &e);
    g_assert_null (file);
    g_assert_nonnull (strstr (e->message, "truncated"));
  }
}

/* A length of 2 GB in a file of a few bytes, and a tensor whose dimensions
 * claim far more than the bytes it holds. */
static void
test_false_claims (void)
{
  g_autoptr (GByteArray) raw = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TlOnnxFile) file = NULL;
  g_autoptr (GByteArray) tensor = g_byte_array_new ();
  g_autoptr (GByteArray) graph = g_byte_array_new ();
  g_autoptr (GByteArray) model = g_byte_array_new ();
  static const float four[4] = { 1, 2, 3, 4 };

  tl_pb_write_tag (raw, MODEL_GRAPH, TL_PB_LEN);
  tl_pb_write_varint (raw, (guint64) 2 << 30);
  g_byte_array_append (raw, (const guint8 *) "abcdef", 6);
  file = tl_onnx_file_parse ("big.onnx", raw->data, raw->len, &error);
  g_assert_null (file);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "big.onnx: byte 0: field 7 claims 2147483648 bytes but only 6 remain"));
  g_clear_error (&error);

  tl_pb_write_packed_ints (tensor, TENSOR_DIMS, (const gint64[]) { 65536, 32768 }, 2);
  tl_pb_write_int (tensor, TENSOR_DATA_TYPE, DTYPE_FLOAT);
  tl_pb_write_string (tensor, TENSOR_NAME, "w");
  tl_pb_write_bytes (tensor, 9, four, sizeof four);
  tl_pb_write_message (graph, GRAPH_INITIALIZER, tensor);
  tl_pb_write_message (model, MODEL_GRAPH, graph);
  file = tl_onnx_file_parse ("claim.onnx", model->data, model->len, &error);
  g_assert_null (file);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "tensor “w”: its dimensions need 8589934592 bytes but it holds 16"));
}

/* Damage deep inside a graph output's type: one error, the innermost. */
static void
test_nested_damage (void)
{
  g_autoptr (GByteArray) type = g_byte_array_new ();
  g_autoptr (GByteArray) info = g_byte_array_new ();
  g_autoptr (GByteArray) graph = g_byte_array_new ();
  g_autoptr (GByteArray) model = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TlOnnxFile) file = NULL;

  tl_pb_write_tag (type, TYPE_TENSOR_TYPE, TL_PB_LEN);
  tl_pb_write_varint (type, 9);                        /* claims 9 bytes, holds 2 */
  g_byte_array_append (type, (const guint8 *) "\x08\x01", 2);
  tl_pb_write_string (info, VALUE_INFO_NAME, "y");
  tl_pb_write_message (info, VALUE_INFO_TYPE, type);
  tl_pb_write_message (graph, GRAPH_OUTPUT, info);
  tl_pb_write_message (graph, GRAPH_OUTPUT, info);
  tl_pb_write_message (model, MODEL_GRAPH, graph);
  file = tl_onnx_file_parse ("nested.onnx", model->data, model->len, &error);
  g_assert_null (file);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "nested.onnx: byte"));
  g_assert_nonnull (strstr (error->message, "claims 9 bytes but only 2 remain"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* a GError set twice only warns: make it fail here */
  g_log_set_always_fatal (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
  g_test_add_func ("/onnx-import/round-trip-graph", test_round_trip_graph);
  g_test_add_func ("/onnx-import/round-trip-stack", test_round_trip_stack);
  g_test_add_func ("/onnx-import/matmul-bias", test_matmul_bias);
  g_test_add_func ("/onnx-import/mobile-gates", test_mobile_gates);
  g_test_add_func ("/onnx-import/mobile-gates-refused", test_mobile_gates_refused);
  g_test_add_func ("/onnx-import/unsupported-operator", test_unsupported_operator);
  g_test_add_func ("/onnx-import/opset-refused", test_opset_refused);
  g_test_add_func ("/onnx-import/shape-mismatch", test_shape_mismatch);
  g_test_add_func ("/onnx-import/truncated", test_truncated);
  g_test_add_func ("/onnx-import/false-claims", test_false_claims);
  g_test_add_func ("/onnx-import/nested-damage", test_nested_damage);
  return g_test_run ();
}
