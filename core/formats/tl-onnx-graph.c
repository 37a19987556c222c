#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "tl-onnx-graph.h"
#include "tl-protobuf.h"

void
tl_onnx_graph_init (TlOnnxGraph *g)
{
  memset (g, 0, sizeof *g);
  g->nodes = g_byte_array_new ();
  g->initializers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g->initializer_names = g_ptr_array_new_with_free_func (g_free);
  g->inputs_read = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g->strings = g_ptr_array_new_with_free_func (g_free);
}

void
tl_onnx_graph_clear (TlOnnxGraph *g)
{
  g_clear_pointer (&g->nodes, g_byte_array_unref);
  g_clear_pointer (&g->initializers, g_ptr_array_unref);
  g_clear_pointer (&g->initializer_names, g_ptr_array_unref);
  g_clear_pointer (&g->inputs_read, g_hash_table_unref);
  g_clear_pointer (&g->strings, g_ptr_array_unref);
}

/* Constants every graph may need are declared once up front; a graph that
 * does not read one leaves it out (runtimes warn about unused initializers). */
void
tl_onnx_graph_write_initializers (TlOnnxGraph *g, GByteArray *graph)
{
  for (guint i = 0; i < g->initializers->len; i++)
    if (g_hash_table_contains (g->inputs_read, g_ptr_array_index (g->initializer_names, i)))
      {
        gsize size;
        const guint8 *data = g_bytes_get_data (g_ptr_array_index (g->initializers, i), &size);

        tl_pb_write_bytes (graph, GRAPH_INITIALIZER, data, size);
      }
}

const char *
tl_onnx_graph_name (TlOnnxGraph *g, const char *format, ...)
{
  va_list args;
  char *s;

  va_start (args, format);
  s = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (g->strings, s);
  return s;
}

GByteArray *
tl_onnx_node_new (TlOnnxGraph *g, const char *scope, const char *op_type,
          const char *const *inputs, const char *const *outputs)
{
  GByteArray *node = g_byte_array_new ();

  for (int i = 0; inputs[i]; i++)
    {
      tl_pb_write_string (node, NODE_INPUT, inputs[i]);
      g_hash_table_add (g->inputs_read, g_strdup (inputs[i]));
    }
  for (int i = 0; outputs[i]; i++)
    tl_pb_write_string (node, NODE_OUTPUT, outputs[i]);
  tl_pb_write_string (node, NODE_NAME, tl_onnx_graph_name (g, "%s/%s_%d", scope, op_type, g->n_nodes++));
  tl_pb_write_string (node, NODE_OP_TYPE, op_type);
  return node;
}

void
tl_onnx_node_attr_int (GByteArray *node, const char *name, gint64 value)
{
  g_autoptr (GByteArray) attr = g_byte_array_new ();

  tl_pb_write_string (attr, ATTR_NAME, name);
  tl_pb_write_int (attr, ATTR_TYPE, ATTR_TYPE_INT);
  tl_pb_write_int (attr, ATTR_I, value);
  tl_pb_write_message (node, NODE_ATTRIBUTE, attr);
}

void
tl_onnx_node_attr_float (GByteArray *node, const char *name, float value)
{
  g_autoptr (GByteArray) attr = g_byte_array_new ();

  tl_pb_write_string (attr, ATTR_NAME, name);
  tl_pb_write_int (attr, ATTR_TYPE, ATTR_TYPE_FLOAT);
  tl_pb_write_float (attr, ATTR_F, value);
  tl_pb_write_message (node, NODE_ATTRIBUTE, attr);
}

void
tl_onnx_node_attr_ints (GByteArray *node, const char *name, const gint64 *values, gsize n)
{
  g_autoptr (GByteArray) attr = g_byte_array_new ();

  tl_pb_write_string (attr, ATTR_NAME, name);
  tl_pb_write_int (attr, ATTR_TYPE, ATTR_TYPE_INTS);
  tl_pb_write_packed_ints (attr, ATTR_INTS, values, n);
  tl_pb_write_message (node, NODE_ATTRIBUTE, attr);
}

void
tl_onnx_graph_add_node (TlOnnxGraph *g, GByteArray *node)
{
  tl_pb_write_message (g->nodes, GRAPH_NODE, node);
  g_byte_array_unref (node);
}

/* A node without attributes, in one call. */
void
tl_onnx_graph_op (TlOnnxGraph *g, const char *scope, const char *op_type,
          const char *const *inputs, const char *const *outputs)
{
  tl_onnx_graph_add_node (g, tl_onnx_node_new (g, scope, op_type, inputs, outputs));
}

/* A TensorProto of DTYPE_FLOAT or DTYPE_INT64 values, fields in ONNX's order. */
static const char *
add_initializer (TlOnnxGraph *g, const char *name, int ndim, const gint64 *dims, int data_type, gconstpointer data)
{
  g_autoptr (GByteArray) t = g_byte_array_new ();
  gsize n = 1;

  for (int i = 0; i < ndim; i++)
    n *= (gsize) dims[i];
  if (ndim > 0)
    tl_pb_write_packed_ints (t, TENSOR_DIMS, dims, ndim);
  tl_pb_write_int (t, TENSOR_DATA_TYPE, data_type);
  tl_pb_write_string (t, TENSOR_NAME, name);
  if (data_type == DTYPE_FLOAT)
    tl_pb_write_packed_floats (t, TENSOR_FLOAT_DATA, data, n);
  else
    tl_pb_write_packed_ints (t, TENSOR_INT64_DATA, data, n);
  g_ptr_array_add (g->initializers, g_byte_array_free_to_bytes (g_steal_pointer (&t)));
  g_ptr_array_add (g->initializer_names, g_strdup (name));
  return name;
}

const char *
tl_onnx_add_float_initializer (TlOnnxGraph *g, const char *name, int ndim, const gint64 *dims, const float *data)
{
  return add_initializer (g, name, ndim, dims, DTYPE_FLOAT, data);
}

const char *
tl_onnx_add_int64_initializer (TlOnnxGraph *g, const char *name, int ndim, const gint64 *dims, const gint64 *data)
{
  return add_initializer (g, name, ndim, dims, DTYPE_INT64, data);
}

void
tl_onnx_write_value_info (GByteArray *graph, guint32 field, const char *name, int elem_type,
                int sample_ndim, const int *sample_shape)
{
  tl_onnx_write_value_info_named (graph, field, name, elem_type, sample_ndim, sample_shape, NULL);
}

void
tl_onnx_write_value_info_named (GByteArray *graph, guint32 field, const char *name, int elem_type,
                                int sample_ndim, const int *sample_shape, const char *const *dim_names)
{
  g_autoptr (GByteArray) info = g_byte_array_new ();
  g_autoptr (GByteArray) type = g_byte_array_new ();
  g_autoptr (GByteArray) tensor = g_byte_array_new ();
  g_autoptr (GByteArray) shape = g_byte_array_new ();
  g_autoptr (GByteArray) batch = g_byte_array_new ();

  tl_pb_write_string (batch, DIM_PARAM, "batch");
  tl_pb_write_message (shape, SHAPE_DIM, batch);
  for (int i = 0; i < sample_ndim; i++)
    {
      g_autoptr (GByteArray) dim = g_byte_array_new ();
      if (dim_names != NULL && dim_names[i] != NULL)
        tl_pb_write_string (dim, DIM_PARAM, dim_names[i]);
      else
        tl_pb_write_int (dim, DIM_VALUE, sample_shape[i]);
      tl_pb_write_message (shape, SHAPE_DIM, dim);
    }
  tl_pb_write_int (tensor, TENSOR_TYPE_ELEM_TYPE, elem_type);
  tl_pb_write_message (tensor, TENSOR_TYPE_SHAPE, shape);
  tl_pb_write_message (type, TYPE_TENSOR_TYPE, tensor);
  tl_pb_write_string (info, VALUE_INFO_NAME, name);
  tl_pb_write_message (info, VALUE_INFO_TYPE, type);
  tl_pb_write_message (graph, field, info);
}

void
tl_onnx_write_metadata (GByteArray *model, const char *key, const char *value)
{
  g_autoptr (GByteArray) entry = g_byte_array_new ();

  tl_pb_write_string (entry, ENTRY_KEY, key);
  tl_pb_write_string (entry, ENTRY_VALUE, value);
  tl_pb_write_message (model, MODEL_METADATA_PROPS, entry);
}
