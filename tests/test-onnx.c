#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tl-error.h"
#include "tl-model.h"
#include "tl-onnx.h"
#include "tl-protobuf.h"

/* The protobuf writer byte for byte, and the structure of exported ONNX files
 * read back with a small independent wire-format reader. */

typedef struct {
  guint32       field;
  int           wire;
  guint64       value;          /* varint and fixed32 */
  const guint8 *data;           /* length-delimited */
  gsize         len;
} Field;

typedef struct {
  const guint8 *data;
  gsize         len;
} Span;

static gboolean
read_varint (const guint8 **p, const guint8 *end, guint64 *value)
{
  guint64 v = 0;

  *value = 0;
  for (int shift = 0; shift < 70 && *p < end; shift += 7)
    {
      guint8 b = *(*p)++;
      v |= (guint64) (b & 0x7f) << shift;
      if (!(b & 0x80))
        {
          *value = v;
          return TRUE;
        }
    }
  return FALSE;
}

/* Every field of a message, in order; fails the test on malformed input. */
static GArray *
parse (Span msg)
{
  GArray *fields = g_array_new (FALSE, TRUE, sizeof (Field));
  const guint8 *p = msg.data, *end = msg.data + msg.len;

  while (p < end)
    {
      Field f = { 0 };
      guint64 key = 0;

      g_assert_true (read_varint (&p, end, &key));
      f.field = key >> 3;
      f.wire = key & 7;
      switch (f.wire)
        {
        case TL_PB_VARINT:
          g_assert_true (read_varint (&p, end, &f.value));
          break;
        case TL_PB_FIXED32:
          g_assert_cmpint (end - p, >=, 4);
          memcpy (&f.value, p, 4);
          p += 4;
          break;
        case TL_PB_LEN:
          g_assert_true (read_varint (&p, end, &f.value));
          g_assert_cmpuint (f.value, <=, (guint64) (end - p));
          f.data = p;
          f.len = f.value;
          p += f.len;
          break;
        default:
          g_assert_not_reached ();
        }
      g_array_append_val (fields, f);
    }
  return fields;
}

static GPtrArray *
all_of (Span msg, guint32 field)
{
  g_autoptr (GArray) fields = parse (msg);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < fields->len; i++)
    if (g_array_index (fields, Field, i).field == field)
      g_ptr_array_add (out, g_memdup2 (&g_array_index (fields, Field, i), sizeof (Field)));
  return out;
}

static Field
one_of (Span msg, guint32 field)
{
  g_autoptr (GPtrArray) found = all_of (msg, field);
  g_assert_cmpuint (found->len, ==, 1);
  return *(Field *) found->pdata[0];
}

static Span
span (Field f)
{
  g_assert_cmpint (f.wire, ==, TL_PB_LEN);
  return (Span) { f.data, f.len };
}

static char *
string_of (Field f)
{
  return g_strndup ((const char *) f.data, f.len);
}

static gboolean
string_is (Field f, const char *s)
{
  return f.wire == TL_PB_LEN && f.len == strlen (s) && memcmp (f.data, s, f.len) == 0;
}

static GArray *
packed_ints (Field f)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint64));
  const guint8 *p = f.data, *end = f.data + f.len;
  while (p < end)
    {
      guint64 v;
      g_assert_true (read_varint (&p, end, &v));
      g_array_append_val (out, v);
    }
  return out;
}

static void
assert_bytes (GByteArray *b, const guint8 *expected, gsize n)
{
  g_assert_cmpmem (b->data, b->len, expected, n);
  g_byte_array_set_size (b, 0);
}

static void
test_protobuf_varints (void)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();

  tl_pb_write_varint (b, 0);
  assert_bytes (b, (guint8[]) { 0x00 }, 1);
  tl_pb_write_varint (b, 127);
  assert_bytes (b, (guint8[]) { 0x7f }, 1);
  tl_pb_write_varint (b, 128);
  assert_bytes (b, (guint8[]) { 0x80, 0x01 }, 2);
  tl_pb_write_varint (b, 300);
  assert_bytes (b, (guint8[]) { 0xac, 0x02 }, 2);
  tl_pb_write_varint (b, G_MAXUINT64);
  assert_bytes (b, (guint8[]) { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 10);
  /* field 1, varint; negative int64 as ten bytes of two's complement */
  tl_pb_write_int (b, 1, -1);
  assert_bytes (b, (guint8[]) { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 11);
  tl_pb_write_int (b, 20, 7);
  assert_bytes (b, (guint8[]) { 0xa0, 0x01, 0x07 }, 3);
}

static void
test_protobuf_fields (void)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_autoptr (GByteArray) inner = g_byte_array_new ();

  tl_pb_write_string (b, 2, "hi");
  assert_bytes (b, (guint8[]) { 0x12, 0x02, 'h', 'i' }, 4);
  tl_pb_write_float (b, 2, 1.0f);
  assert_bytes (b, (guint8[]) { 0x15, 0x00, 0x00, 0x80, 0x3f }, 5);
  tl_pb_write_packed_floats (b, 4, (float[]) { 1.0f, -2.0f }, 2);
  assert_bytes (b, (guint8[]) { 0x22, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0 }, 10);
  tl_pb_write_packed_ints (b, 7, (gint64[]) { 1, 300 }, 2);
  assert_bytes (b, (guint8[]) { 0x3a, 0x03, 0x01, 0xac, 0x02 }, 5);
  tl_pb_write_packed_floats (b, 4, NULL, 0);
  assert_bytes (b, (guint8[]) { 0x22, 0x00 }, 2);

  tl_pb_write_int (inner, 1, 150);
  tl_pb_write_message (b, 3, inner);
  assert_bytes (b, (guint8[]) { 0x1a, 0x03, 0x08, 0x96, 0x01 }, 5);
}

/* ONNX field numbers used below (onnx.proto) */
enum { M_IR = 1, M_PRODUCER = 2, M_GRAPH = 7, M_OPSET = 8, M_META = 14 };
enum { G_NODE = 1, G_INIT = 5, G_INPUT = 11, G_OUTPUT = 12 };
enum { N_INPUT = 1, N_OUTPUT = 2, N_OP = 4, N_ATTR = 5 };
enum { T_DIMS = 1, T_TYPE = 2, T_FLOATS = 4, T_NAME = 8 };

typedef struct {
  GBytes    *bytes;
  Span       model;
  Span       graph;
} Onnx;

static void
onnx_clear (Onnx *o)
{
  g_clear_pointer (&o->bytes, g_bytes_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Onnx, onnx_clear)

static void
onnx_read_with (Onnx *o, TlModel *model, const char *const *labels, JsonNode *preprocessing)
{
  g_autoptr (GError) error = NULL;
  gsize len;

  o->bytes = tl_onnx_serialize (model, labels, preprocessing, &error);
  g_assert_no_error (error);
  o->model.data = g_bytes_get_data (o->bytes, &len);
  o->model.len = len;
  o->graph = span (one_of (o->model, M_GRAPH));
}

static void
onnx_read (Onnx *o, TlModel *model, const char *const *labels)
{
  onnx_read_with (o, model, labels, NULL);
}

static GPtrArray *
op_types (const Onnx *o)
{
  g_autoptr (GPtrArray) nodes = all_of (o->graph, G_NODE);
  GPtrArray *ops = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < nodes->len; i++)
    g_ptr_array_add (ops, string_of (one_of (span (*(Field *) nodes->pdata[i]), N_OP)));
  return ops;
}

static gboolean
find_node (const Onnx *o, const char *op, Span *node)
{
  g_autoptr (GPtrArray) nodes = all_of (o->graph, G_NODE);

  for (guint i = 0; i < nodes->len; i++)
    {
      Span n = span (*(Field *) nodes->pdata[i]);
      if (string_is (one_of (n, N_OP), op))
        {
          *node = n;
          return TRUE;
        }
    }
  return FALSE;
}

static gint64
node_int_attr (Span node, const char *name)
{
  g_autoptr (GPtrArray) attrs = all_of (node, N_ATTR);

  for (guint i = 0; i < attrs->len; i++)
    {
      Span a = span (*(Field *) attrs->pdata[i]);
      if (string_is (one_of (a, 1), name))
        return (gint64) one_of (a, 3).value;
    }
  g_assert_not_reached ();
}

static GPtrArray *kept_values;

/* An initializer's dims and float values (alive until the program ends). */
static const float *
initializer (const Onnx *o, const char *name, GArray **dims)
{
  g_autoptr (GPtrArray) inits = all_of (o->graph, G_INIT);

  for (guint i = 0; i < inits->len; i++)
    {
      Span t = span (*(Field *) inits->pdata[i]);
      if (string_is (one_of (t, T_NAME), name))
        {
          g_assert_cmpuint (one_of (t, T_TYPE).value, ==, 1);
          Field values = one_of (t, T_FLOATS);
          float *copy = g_memdup2 (values.data, MAX (values.len, 1));

          /* a copy: the packed floats of a protobuf need not be aligned */
          if (kept_values == NULL)
            kept_values = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (kept_values, copy);
          *dims = packed_ints (one_of (t, T_DIMS));
          return copy;
        }
    }
  g_error ("no initializer %s", name);
}

static void
assert_value_info (Span graph, guint32 field, int index, const char *name, int elem_type,
                   int n_dims, const int *dims)
{
  g_autoptr (GPtrArray) infos = all_of (graph, field);
  Span info, tensor, shape;
  g_autoptr (GPtrArray) dim = NULL;

  g_assert_cmpuint (infos->len, >, (guint) index);
  info = span (*(Field *) infos->pdata[index]);
  g_assert_true (string_is (one_of (info, 1), name));
  tensor = span (one_of (span (one_of (info, 2)), 1));
  g_assert_cmpuint (one_of (tensor, 1).value, ==, (guint64) elem_type);
  shape = span (one_of (tensor, 2));
  dim = all_of (shape, 1);
  g_assert_cmpuint (dim->len, ==, (guint) n_dims + 1);
  g_assert_true (string_is (one_of (span (*(Field *) dim->pdata[0]), 2), "batch"));
  for (int i = 0; i < n_dims; i++)
    g_assert_cmpuint (one_of (span (*(Field *) dim->pdata[i + 1]), 1).value, ==, (guint64) dims[i]);
}

/* A value info whose sample dimensions are all symbolic, named as given. */
static void
assert_symbolic_value_info (Span graph, guint32 field, int index, const char *name, int elem_type,
                            int n_dims, const char *const *dims)
{
  g_autoptr (GPtrArray) infos = all_of (graph, field);
  Span info, tensor, shape;
  g_autoptr (GPtrArray) dim = NULL;

  g_assert_cmpuint (infos->len, >, (guint) index);
  info = span (*(Field *) infos->pdata[index]);
  g_assert_true (string_is (one_of (info, 1), name));
  tensor = span (one_of (span (one_of (info, 2)), 1));
  g_assert_cmpuint (one_of (tensor, 1).value, ==, (guint64) elem_type);
  shape = span (one_of (tensor, 2));
  dim = all_of (shape, 1);
  g_assert_cmpuint (dim->len, ==, (guint) n_dims + 1);
  g_assert_true (string_is (one_of (span (*(Field *) dim->pdata[0]), 2), "batch"));
  for (int i = 0; i < n_dims; i++)
    g_assert_true (string_is (one_of (span (*(Field *) dim->pdata[i + 1]), 2), dims[i]));
}

static TlModel *
build (int ndim, const int *shape, const TlLayerSpec *specs, int n)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (ndim, shape, 3);

  for (int i = 0; i < n; i++)
    {
      tl_model_add (model, &specs[i], NULL, &error);
      g_assert_no_error (error);
    }
  return model;
}

static void
test_onnx_mlp_structure (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_FLATTEN },
    { .kind = TL_LAYER_DENSE, .units = 5 },
    { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_DROPOUT, .rate = 0.5f },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };
  const char *labels[] = { "cat", "dog", "bird \"quoted\"", NULL };
  const char *expected_ops[] = { "Flatten", "Gemm", "Relu", "Gemm", "Softmax" };
  g_autoptr (TlModel) model = build (3, (int[]) { 1, 4, 4 }, specs, G_N_ELEMENTS (specs));
  g_auto (Onnx) o = { 0 };
  g_autoptr (GPtrArray) ops = NULL;
  g_autoptr (GPtrArray) meta = NULL;
  g_autoptr (GArray) dims = NULL;
  TlLayer *dense = tl_model_layer (model, 1);
  g_autofree char *wname = g_strdup_printf ("%s.weight", dense->name);
  Span opset, node;
  const float *w;

  onnx_read (&o, model, labels);
  g_assert_cmpuint (one_of (o.model, M_IR).value, ==, 8);
  g_assert_true (string_is (one_of (o.model, M_PRODUCER), "transfer-lab"));
  opset = span (one_of (o.model, M_OPSET));
  g_assert_true (string_is (one_of (opset, 1), ""));
  g_assert_cmpuint (one_of (opset, 2).value, ==, 17);

  ops = op_types (&o);
  g_assert_cmpuint (ops->len, ==, G_N_ELEMENTS (expected_ops));
  for (guint i = 0; i < ops->len; i++)
    g_assert_cmpstr (ops->pdata[i], ==, expected_ops[i]);

  /* Gemm takes PyTorch's [out, in] weight with transB */
  g_assert_true (find_node (&o, "Gemm", &node));
  g_assert_cmpint (node_int_attr (node, "transB"), ==, 1);
  w = initializer (&o, wname, &dims);
  g_assert_cmpuint (dims->len, ==, 2);
  g_assert_cmpint (g_array_index (dims, gint64, 0), ==, 5);
  g_assert_cmpint (g_array_index (dims, gint64, 1), ==, 16);
  g_assert_cmpmem (w, 5 * 16 * sizeof (float), dense->params[0].value->data, 5 * 16 * sizeof (float));

  assert_value_info (o.graph, G_INPUT, 0, "input", 1, 3, (int[]) { 1, 4, 4 });
  assert_value_info (o.graph, G_OUTPUT, 0, "logits", 1, 1, (int[]) { 3 });
  assert_value_info (o.graph, G_OUTPUT, 1, "probabilities", 1, 1, (int[]) { 3 });
  {
    g_autoptr (GPtrArray) graph_inputs = all_of (o.graph, G_INPUT);
    g_assert_cmpuint (graph_inputs->len, ==, 1);
  }

  meta = all_of (o.model, M_META);
  g_assert_cmpuint (meta->len, ==, 1);
  {
    Span entry = span (*(Field *) meta->pdata[0]);
    g_autofree char *value = string_of (one_of (entry, 2));
    g_autoptr (JsonNode) parsed = json_from_string (value, NULL);
    JsonArray *array;

    g_assert_true (string_is (one_of (entry, 1), "labels"));
    g_assert_nonnull (parsed);
    array = json_node_get_array (parsed);
    g_assert_cmpuint (json_array_get_length (array), ==, 3);
    g_assert_cmpstr (json_array_get_string_element (array, 2), ==, "bird \"quoted\"");
  }
}

static void
assert_gate_blocks (const float *onnx, const float *torch, const int *order, int n_gates, gsize block)
{
  for (int j = 0; j < n_gates; j++)
    g_assert_cmpmem (onnx + j * block, block * sizeof (float), torch + order[j] * block,
                     block * sizeof (float));
}

static void
test_onnx_recurrent_structure (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_EMBEDDING, .vocab_size = 20, .embed_dim = 6 },
    { .kind = TL_LAYER_LSTM, .units = 4, .return_sequences = TRUE },
    { .kind = TL_LAYER_GRU, .units = 5 },
    { .kind = TL_LAYER_DENSE, .units = 2 },
    { .kind = TL_LAYER_SOFTMAX },
  };
  g_autoptr (TlModel) model = build (1, (int[]) { 9 }, specs, G_N_ELEMENTS (specs));
  TlLayer *lstm = tl_model_layer (model, 1), *gru = tl_model_layer (model, 2);
  g_auto (Onnx) o = { 0 };
  g_autoptr (GArray) dims = NULL;
  g_autoptr (GArray) rdims = NULL;
  g_autoptr (GArray) bdims = NULL;
  g_autofree char *lw = g_strdup_printf ("%s.W", lstm->name);
  g_autofree char *gw = g_strdup_printf ("%s.W", gru->name);
  g_autofree char *gb = g_strdup_printf ("%s.B", gru->name);
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) ops = NULL;
  const float *w, *b;
  Span node;

  onnx_read (&o, model, NULL);
  {
    g_autoptr (GPtrArray) meta = all_of (o.model, M_META);
    g_assert_cmpuint (meta->len, ==, 0);
  }
  assert_value_info (o.graph, G_INPUT, 0, "input", 7, 1, (int[]) { 9 });
  assert_value_info (o.graph, G_OUTPUT, 0, "logits", 1, 1, (int[]) { 2 });

  /* LSTM: ONNX i, o, f, c from PyTorch i, f, g, o, lengths from the tokens */
  w = initializer (&o, lw, &dims);
  g_assert_cmpuint (dims->len, ==, 3);
  g_assert_cmpint (g_array_index (dims, gint64, 0), ==, 1);
  g_assert_cmpint (g_array_index (dims, gint64, 1), ==, 16);
  g_assert_cmpint (g_array_index (dims, gint64, 2), ==, 6);
  assert_gate_blocks (w, tl_layer_find_param (lstm, "weight_ih_l0")->value->data,
                      (int[]) { 0, 3, 1, 2 }, 4, 4 * 6);
  g_assert_true (find_node (&o, "LSTM", &node));
  g_assert_cmpint (node_int_attr (node, "hidden_size"), ==, 4);
  inputs = all_of (node, N_INPUT);
  g_assert_cmpuint (inputs->len, ==, 5);
  g_assert_true (string_is (*(Field *) inputs->pdata[4], "tokens/lengths"));

  /* GRU: ONNX z, r, h from PyTorch r, z, n, with PyTorch's reset placement */
  w = initializer (&o, gw, &rdims);
  assert_gate_blocks (w, tl_layer_find_param (gru, "weight_ih_l0")->value->data,
                      (int[]) { 1, 0, 2 }, 3, 5 * 4);
  b = initializer (&o, gb, &bdims);
  g_assert_cmpint (g_array_index (bdims, gint64, 1), ==, 30);
  assert_gate_blocks (b, tl_layer_find_param (gru, "bias_ih_l0")->value->data, (int[]) { 1, 0, 2 }, 3, 5);
  assert_gate_blocks (b + 15, tl_layer_find_param (gru, "bias_hh_l0")->value->data,
                      (int[]) { 1, 0, 2 }, 3, 5);
  g_assert_true (find_node (&o, "GRU", &node));
  g_assert_cmpint (node_int_attr (node, "linear_before_reset"), ==, 1);

  /* padding is moved behind the real tokens before the recurrences */
  ops = op_types (&o);
  g_assert_true (g_ptr_array_find_with_equal_func (ops, "TopK", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (ops, "GatherElements", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (ops, "Gather", g_str_equal, NULL));
}

/* n-gram features of 8 words (ids 2..9, a table of 10 rows) in bags of `terms` slots */
static JsonNode *
ngram_preprocessing (int n_words, int terms)
{
  g_autoptr (GString) s = g_string_new ("{\"kind\": \"text\", \"features\": \"ngrams\", \"class_names\": [],"
                                        " \"ngrams\": {\"ngram_max\": 1, \"max_features\": 0, \"min_df\": 1,"
                                        " \"hash_size\": 0, \"sublinear_tf\": true, \"use_idf\": true,");
  g_string_append_printf (s, " \"max_terms\": %d, \"terms\": [", terms);
  for (int i = 0; i < n_words; i++)
    g_string_append_printf (s, "%s\"w%d\"", i ? ", " : "", i);
  g_string_append (s, "], \"idf\": [0");
  for (int i = 1; i < n_words + 2; i++)
    g_string_append (s, ", 1.5");
  g_string_append (s, "]}}");
  return json_from_string (s->str, NULL);
}

static void
test_onnx_bag_structure (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_EMBEDDING_BAG, .vocab_size = 10, .embed_dim = 4 },
    { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_DENSE, .units = 2 },
  };
  const char *expected_ops[] = { "Greater", "Less", "And", "Where", "Gather", "Unsqueeze", "Mul",
                                 "ReduceSum", "Relu", "Gemm", "Softmax" };
  g_autoptr (TlModel) model = build (2, (int[]) { 2, 6 }, specs, G_N_ELEMENTS (specs));
  g_autoptr (JsonNode) prep = ngram_preprocessing (8, 6);
  TlLayer *bag = tl_model_layer (model, 0);
  g_autofree char *tname = g_strdup_printf ("%s.weight", bag->name);
  g_auto (Onnx) o = { 0 };
  g_autoptr (GPtrArray) ops = NULL;
  g_autoptr (GArray) dims = NULL;
  const float *table;
  Span node;

  onnx_read_with (&o, model, NULL, prep);
  assert_symbolic_value_info (o.graph, G_INPUT, 0, "ids", 7, 1, (const char *[]) { "terms" });
  assert_symbolic_value_info (o.graph, G_INPUT, 1, "weights", 1, 1, (const char *[]) { "terms" });
  {
    g_autoptr (GPtrArray) graph_inputs = all_of (o.graph, G_INPUT);
    g_assert_cmpuint (graph_inputs->len, ==, 2);
  }
  assert_value_info (o.graph, G_OUTPUT, 0, "logits", 1, 1, (int[]) { 2 });

  ops = op_types (&o);
  g_assert_cmpuint (ops->len, ==, G_N_ELEMENTS (expected_ops));
  for (guint i = 0; i < ops->len; i++)
    g_assert_cmpstr (ops->pdata[i], ==, expected_ops[i]);
  g_assert_true (find_node (&o, "ReduceSum", &node));
  g_assert_cmpint (node_int_attr (node, "keepdims"), ==, 0);

  /* the table as PyTorch's EmbeddingBag holds it, row 0 (empty slots, unknown ids) zero */
  table = initializer (&o, tname, &dims);
  g_assert_cmpuint (dims->len, ==, 2);
  g_assert_cmpint (g_array_index (dims, gint64, 0), ==, 10);
  g_assert_cmpint (g_array_index (dims, gint64, 1), ==, 4);
  for (int d = 0; d < 4; d++)
    g_assert_cmpfloat (table[d], ==, 0.0f);
  g_assert_cmpmem (table + 4, 9 * 4 * sizeof (float), bag->params[0].value->data + 4, 9 * 4 * sizeof (float));
}

/* Every initializer of a graph is read by some node (ONNX Runtime warns about the others). */
static void
assert_every_initializer_read (const Onnx *o, const char *what)
{
  g_autoptr (GPtrArray) nodes = all_of (o->graph, G_NODE);
  g_autoptr (GPtrArray) inits = all_of (o->graph, G_INIT);
  g_autoptr (GHashTable) read = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < nodes->len; i++)
    {
      g_autoptr (GPtrArray) inputs = all_of (span (*(Field *) nodes->pdata[i]), N_INPUT);
      for (guint j = 0; j < inputs->len; j++)
        g_hash_table_add (read, string_of (*(Field *) inputs->pdata[j]));
    }
  g_assert_cmpuint (inits->len, >, 0);
  for (guint i = 0; i < inits->len; i++)
    {
      char *name = string_of (one_of (span (*(Field *) inits->pdata[i]), T_NAME));
      if (!g_hash_table_contains (read, name))
        g_error ("%s: the initializer %s is not read by any node", what, name);
      if (!g_hash_table_add (seen, name))
        g_error ("%s: the initializer %s is there twice", what, name);
    }
}

static void
test_onnx_no_unused_initializers (void)
{
  const TlLayerSpec mlp[] = {
    { .kind = TL_LAYER_FLATTEN }, { .kind = TL_LAYER_DENSE, .units = 5 }, { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };
  const TlLayerSpec cnn[] = {
    { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1 }, { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, { .kind = TL_LAYER_FLATTEN },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };
  const TlLayerSpec lstm[] = {
    { .kind = TL_LAYER_EMBEDDING, .vocab_size = 20, .embed_dim = 6 },
    { .kind = TL_LAYER_LSTM, .units = 4, .return_sequences = TRUE }, { .kind = TL_LAYER_GRU, .units = 5 },
    { .kind = TL_LAYER_DENSE, .units = 3 }, { .kind = TL_LAYER_SOFTMAX },
  };
  const TlLayerSpec pool[] = {
    { .kind = TL_LAYER_EMBEDDING, .vocab_size = 20, .embed_dim = 6 }, { .kind = TL_LAYER_GLOBAL_AVG_POOL1D },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };
  const TlLayerSpec bag[] = {
    { .kind = TL_LAYER_EMBEDDING_BAG, .vocab_size = 10, .embed_dim = 4 }, { .kind = TL_LAYER_DENSE, .units = 2 },
  };
  struct {
    const char *what;
    int ndim;
    int shape[3];
    const TlLayerSpec *specs;
    int n;
  } cases[] = {
    { "mlp", 3, { 1, 4, 4 }, mlp, G_N_ELEMENTS (mlp) },
    { "cnn", 3, { 1, 8, 8 }, cnn, G_N_ELEMENTS (cnn) },
    { "text-lstm", 1, { 7 }, lstm, G_N_ELEMENTS (lstm) },
    { "text-pool", 1, { 7 }, pool, G_N_ELEMENTS (pool) },
    { "ngrams", 2, { 2, 6 }, bag, G_N_ELEMENTS (bag) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (TlModel) model = build (cases[i].ndim, cases[i].shape, cases[i].specs, cases[i].n);
      g_autoptr (JsonNode) prep = cases[i].specs[0].kind == TL_LAYER_EMBEDDING_BAG ? ngram_preprocessing (8, 6)
                                                                                   : NULL;
      g_auto (Onnx) o = { 0 };

      onnx_read_with (&o, model, NULL, prep);
      assert_every_initializer_read (&o, cases[i].what);
    }
}

/* A bag whose table or size disagrees with the n-gram features is refused. */
static void
test_onnx_bag_errors (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_EMBEDDING_BAG, .vocab_size = 10, .embed_dim = 4 },
    { .kind = TL_LAYER_DENSE, .units = 2 },
  };
  const TlLayerSpec inner[] = {
    { .kind = TL_LAYER_GRU, .units = 5, .return_sequences = TRUE },
    { .kind = TL_LAYER_EMBEDDING_BAG, .vocab_size = 10, .embed_dim = 4 },
    { .kind = TL_LAYER_DENSE, .units = 2 },
  };
  g_autoptr (TlModel) model = build (2, (int[]) { 2, 6 }, specs, G_N_ELEMENTS (specs));
  g_autoptr (TlModel) second = build (2, (int[]) { 2, 3 }, inner, G_N_ELEMENTS (inner));
  g_autoptr (JsonNode) fits = ngram_preprocessing (8, 6);
  g_autoptr (JsonNode) fewer = ngram_preprocessing (7, 6);
  g_autoptr (JsonNode) more = ngram_preprocessing (300, 6);
  g_autoptr (JsonNode) longer = ngram_preprocessing (8, 12);
  g_autoptr (JsonNode) sequence = json_from_string ("{\"kind\": \"text\", \"max_len\": 6, "
                                                    "\"vocabulary\": [\"<pad>\", \"<unk>\", \"a\"]}", NULL);
  g_autoptr (JsonNode) hashed = json_from_string ("{\"kind\": \"text\", \"features\": \"ngrams\", \"ngrams\": "
                                                  "{\"hash_size\": 9, \"max_terms\": 6}}", NULL);
  g_autoptr (JsonNode) other = json_from_string ("{\"steps\": 6}", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  bytes = tl_onnx_serialize (model, NULL, fits, &error);
  g_assert_no_error (error);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = tl_onnx_serialize (model, NULL, hashed, &error);      /* ids 1..9 */
  g_assert_no_error (error);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = tl_onnx_serialize (model, NULL, other, &error);       /* not Transfer Lab's: nothing to compare */
  g_assert_no_error (error);
  g_clear_pointer (&bytes, g_bytes_unref);

  g_assert_null (tl_onnx_serialize (model, NULL, fewer, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "table of 10 rows"));
  g_assert_nonnull (strstr (error->message, "ids 0 to 8, 9 rows"));
  g_clear_error (&error);
  g_assert_null (tl_onnx_serialize (model, NULL, more, &error));
  g_assert_nonnull (strstr (error->message, "302 rows"));
  g_clear_error (&error);
  g_assert_null (tl_onnx_serialize (model, NULL, longer, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "bags of 6 terms"));
  g_assert_nonnull (strstr (error->message, "max_terms"));
  g_clear_error (&error);
  g_assert_null (tl_onnx_serialize (model, NULL, sequence, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "reads bags of n-grams"));
  g_clear_error (&error);

  /* the bag reads the graph's inputs: it cannot sit behind another layer */
  g_assert_null (tl_onnx_serialize (second, NULL, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "only be the first layer"));
}

static void
test_onnx_errors (void)
{
  const TlLayerSpec mlp[] = {
    { .kind = TL_LAYER_DENSE, .units = 2 },
  };
  g_autoptr (TlModel) model = build (1, (int[]) { 3 }, mlp, G_N_ELEMENTS (mlp));
  g_autofree char *dir = g_dir_make_tmp ("tl-onnx-test-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "model.onnx", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  g_assert_false (tl_onnx_export (model, (const char *[]) { "only one", NULL }, NULL, path, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "2 outputs"));
  g_clear_error (&error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_true (tl_onnx_export (model, NULL, NULL, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 100);

  /* a failed export leaves the earlier file as it was */
  g_assert_false (tl_onnx_export (model, (const char *[]) { "a", "b", "c", NULL }, NULL, path, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  {
    g_autofree char *again = NULL;
    gsize len2;
    g_assert_true (g_file_get_contents (path, &again, &len2, NULL));
    g_assert_cmpmem (again, len2, contents, len);
  }

  g_assert_false (tl_onnx_export (model, NULL, NULL, missing, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "no-such-folder"));

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protobuf/varints", test_protobuf_varints);
  g_test_add_func ("/protobuf/fields", test_protobuf_fields);
  g_test_add_func ("/onnx/mlp-structure", test_onnx_mlp_structure);
  g_test_add_func ("/onnx/recurrent-structure", test_onnx_recurrent_structure);
  g_test_add_func ("/onnx/errors", test_onnx_errors);
  g_test_add_func ("/onnx/bag-structure", test_onnx_bag_structure);
  g_test_add_func ("/onnx/bag-errors", test_onnx_bag_errors);
  g_test_add_func ("/onnx/no-unused-initializers", test_onnx_no_unused_initializers);
  status = g_test_run ();
  g_clear_pointer (&kept_values, g_ptr_array_unref);
  return status;
}
