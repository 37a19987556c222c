#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The pieces of an ONNX file, for tl-onnx.c: field numbers from onnx.proto
 * and writers of nodes, attributes, initializers and value infos. */

enum {
  MODEL_IR_VERSION = 1,
  MODEL_PRODUCER_NAME = 2,
  MODEL_PRODUCER_VERSION = 3,
  MODEL_MODEL_VERSION = 5,
  MODEL_DOC_STRING = 6,
  MODEL_GRAPH = 7,
  MODEL_OPSET_IMPORT = 8,
  MODEL_METADATA_PROPS = 14,

  OPSET_DOMAIN = 1,
  OPSET_VERSION = 2,

  ENTRY_KEY = 1,
  ENTRY_VALUE = 2,

  GRAPH_NODE = 1,
  GRAPH_NAME = 2,
  GRAPH_INITIALIZER = 5,
  GRAPH_INPUT = 11,
  GRAPH_OUTPUT = 12,

  NODE_INPUT = 1,
  NODE_OUTPUT = 2,
  NODE_NAME = 3,
  NODE_OP_TYPE = 4,
  NODE_ATTRIBUTE = 5,

  ATTR_NAME = 1,
  ATTR_F = 2,
  ATTR_I = 3,
  ATTR_S = 4,
  ATTR_INTS = 8,
  ATTR_TYPE = 20,

  TENSOR_DIMS = 1,
  TENSOR_DATA_TYPE = 2,
  TENSOR_FLOAT_DATA = 4,
  TENSOR_INT64_DATA = 7,
  TENSOR_NAME = 8,

  VALUE_INFO_NAME = 1,
  VALUE_INFO_TYPE = 2,
  TYPE_TENSOR_TYPE = 1,
  TENSOR_TYPE_ELEM_TYPE = 1,
  TENSOR_TYPE_SHAPE = 2,
  SHAPE_DIM = 1,
  DIM_VALUE = 1,
  DIM_PARAM = 2,
};

enum {
  ATTR_TYPE_FLOAT = 1,
  ATTR_TYPE_INT = 2,
  ATTR_TYPE_STRING = 3,
  ATTR_TYPE_INTS = 7,
};

enum {
  DTYPE_FLOAT = 1,
  DTYPE_INT32 = 6,
  DTYPE_INT64 = 7,
};

/* NULL-terminated names; int64 arrays; int64 arrays followed by their length */
#define TL_ONNX_NAMES(...) ((const char *[]) { __VA_ARGS__, NULL })
#define TL_ONNX_DIMS(...) ((const gint64[]) { __VA_ARGS__ })
#define TL_ONNX_INTS(...) ((const gint64[]) { __VA_ARGS__ }), G_N_ELEMENTS (((const gint64[]) { __VA_ARGS__ }))

/* A graph being written: its nodes as encoded fields, its initializers
 * encoded but kept apart until tl_onnx_graph_write_initializers, which writes
 * only those some node reads. */
typedef struct {
  GByteArray *nodes;
  GPtrArray  *initializers;     /* GBytes, each an encoded TensorProto */
  GPtrArray  *initializer_names; /* the name of each, owned */
  GHashTable *inputs_read;      /* every node input name, owned */
  GPtrArray  *strings;          /* every generated name, owned */
  int         n_nodes;
  /* token models, while the time axis is present */
  const char *mask;             /* float [batch, steps]: 1 for a real token */
  const char *mask_bool;        /* the same as bool */
  const char *lengths;          /* int32 [batch]: real tokens per sample */
  const char *order;            /* int64 [batch, steps]: real steps first, in order */
  const char *carry;            /* int64 [batch, steps]: compacted step whose state step t shows */
  const char *started;          /* float [batch, steps, 1]: 1 once a real step has passed */
  /* bag models: float [batch, terms], the weight of each term */
  const char *bag_weights;
} TlOnnxGraph;

void        tl_onnx_graph_init           (TlOnnxGraph *g);
void        tl_onnx_graph_clear          (TlOnnxGraph *g);
/* Writes, as fields of `graph`, the initializers that some node of g reads. */
void        tl_onnx_graph_write_initializers (TlOnnxGraph *g, GByteArray *graph);
/* A name that lives as long as the graph. */
const char *tl_onnx_graph_name           (TlOnnxGraph *g, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* A NodeProto with its inputs, outputs, a unique name under scope, and op type. */
GByteArray *tl_onnx_node_new             (TlOnnxGraph *g, const char *scope, const char *op_type,
                                          const char *const *inputs, const char *const *outputs);
void        tl_onnx_node_attr_int        (GByteArray *node, const char *name, gint64 value);
void        tl_onnx_node_attr_float      (GByteArray *node, const char *name, float value);
void        tl_onnx_node_attr_ints       (GByteArray *node, const char *name, const gint64 *values, gsize n);
/* Appends the node to the graph and frees it. */
void        tl_onnx_graph_add_node       (TlOnnxGraph *g, GByteArray *node);
/* A node without attributes, in one call. */
void        tl_onnx_graph_op             (TlOnnxGraph *g, const char *scope, const char *op_type,
                                          const char *const *inputs, const char *const *outputs);
const char *tl_onnx_add_float_initializer (TlOnnxGraph *g, const char *name, int ndim, const gint64 *dims,
                                           const float *data);
const char *tl_onnx_add_int64_initializer (TlOnnxGraph *g, const char *name, int ndim, const gint64 *dims,
                                           const gint64 *data);
/* A ValueInfoProto [batch, sample_shape...] with a symbolic batch, as field `field` of graph. */
void        tl_onnx_write_value_info     (GByteArray *graph, guint32 field, const char *name, int elem_type,
                                          int sample_ndim, const int *sample_shape);
/* The same with some sample dimensions symbolic: dim_names[i], when not NULL,
 * names dimension i instead of its size. */
void        tl_onnx_write_value_info_named (GByteArray *graph, guint32 field, const char *name, int elem_type,
                                            int sample_ndim, const int *sample_shape,
                                            const char *const *dim_names);
void        tl_onnx_write_metadata       (GByteArray *model, const char *key, const char *value);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TlOnnxGraph, tl_onnx_graph_clear)

G_END_DECLS
