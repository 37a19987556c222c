#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include <float.h>
#include <string.h>

#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-model-file.h"
#include "tl-onnx-graph.h"
#include "tl-onnx.h"
#include "tl-onnx-vision.h"
#include "tl-protobuf.h"

/* protobuf messages may not exceed 2 GiB */
#define MAX_MODEL_BYTES ((gsize) G_MAXINT32 - (1u << 20))

#define NAMES TL_ONNX_NAMES
#define DIMS TL_ONNX_DIMS
#define INTS TL_ONNX_INTS

static const char *
layer_value (TlOnnxGraph *g, const TlLayer *layer, const char *want, const char *what)
{
  return want ? want : tl_onnx_graph_name (g, "%s/%s", layer->name, what);
}

/* A parameter as it is stored: PyTorch's layouts are ONNX's for these. */
static const char *
param_initializer (TlOnnxGraph *g, TlLayer *layer, const char *param, GError **error)
{
  TlParam *p = tl_layer_find_param (layer, param);
  gint64 dims[TL_MAX_DIMS];

  if (p == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "layer %s has no parameter “%s”", layer->name, param);
      return NULL;
    }
  for (int i = 0; i < p->value->ndim; i++)
    dims[i] = p->value->shape[i];
  return tl_onnx_add_float_initializer (g, tl_onnx_graph_name (g, "%s.%s", layer->name, param),
                                p->value->ndim, dims, p->value->data);
}

/* Layers. Each returns the name of its output, which is `want` when that is
 * not NULL, or NULL with error set. */

static const char *
emit_dense (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  const char *w, *b, *out;
  GByteArray *node;

  if (layer->in_ndim != 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   "layer %s: Dense over a %d-dimensional input cannot be exported", layer->name,
                   layer->in_ndim);
      return NULL;
    }
  if (!(w = param_initializer (g, layer, "weight", error)) ||
      !(b = param_initializer (g, layer, "bias", error)))
    return NULL;
  out = layer_value (g, layer, want, "out");
  node = tl_onnx_node_new (g, layer->name, "Gemm", NAMES (in, w, b), NAMES (out));
  tl_onnx_node_attr_int (node, "transB", 1);
  tl_onnx_graph_add_node (g, node);
  return out;
}

static const char *
emit_activation (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  static const char *ops[] = {
    [TL_LAYER_RELU] = "Relu",
    [TL_LAYER_TANH] = "Tanh",
    [TL_LAYER_SIGMOID] = "Sigmoid",
    [TL_LAYER_SOFTMAX] = "Softmax",
  };
  const char *out = layer_value (g, layer, want, "out");
  GByteArray *node = tl_onnx_node_new (g, layer->name, ops[layer->spec.kind], NAMES (in), NAMES (out));

  if (layer->spec.kind == TL_LAYER_SOFTMAX)
    tl_onnx_node_attr_int (node, "axis", -1);
  tl_onnx_graph_add_node (g, node);
  return out;
}

static const char *
emit_identity (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  if (want == NULL)
    return in;
  tl_onnx_graph_op (g, layer->name, "Identity", NAMES (in), NAMES (want));
  return want;
}

static const char *
emit_flatten (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  const char *out;
  GByteArray *node;

  out = layer_value (g, layer, want, "out");
  node = tl_onnx_node_new (g, layer->name, "Flatten", NAMES (in), NAMES (out));
  tl_onnx_node_attr_int (node, "axis", 1);
  tl_onnx_graph_add_node (g, node);
  /* no time axis any more */
  g->mask = g->mask_bool = g->lengths = g->order = NULL;
  return out;
}

static const char *
emit_conv2d (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  const gint64 k = layer->spec.kernel;
  const gint64 s = layer->spec.stride > 0 ? layer->spec.stride : 1;
  const gint64 p = layer->spec.padding;
  const char *w, *b, *out;
  GByteArray *node;

  if (!(w = param_initializer (g, layer, "weight", error)) ||
      !(b = param_initializer (g, layer, "bias", error)))
    return NULL;
  out = layer_value (g, layer, want, "out");
  node = tl_onnx_node_new (g, layer->name, "Conv", NAMES (in, w, b), NAMES (out));
  tl_onnx_node_attr_ints (node, "kernel_shape", INTS (k, k));
  tl_onnx_node_attr_ints (node, "strides", INTS (s, s));
  tl_onnx_node_attr_ints (node, "pads", INTS (p, p, p, p));
  if (layer->spec.groups > 1)
    tl_onnx_node_attr_int (node, "group", layer->spec.groups);
  tl_onnx_graph_add_node (g, node);
  return out;
}

static const char *
emit_maxpool2d (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  const gint64 k = layer->spec.kernel;
  const gint64 s = layer->spec.stride > 0 ? layer->spec.stride : k;
  const char *out = layer_value (g, layer, want, "out");
  GByteArray *node = tl_onnx_node_new (g, layer->name, "MaxPool", NAMES (in), NAMES (out));

  tl_onnx_node_attr_ints (node, "kernel_shape", INTS (k, k));
  tl_onnx_node_attr_ints (node, "strides", INTS (s, s));
  if (layer->spec.padding > 0)
    {
      const gint64 p = layer->spec.padding;
      tl_onnx_node_attr_ints (node, "pads", INTS (p, p, p, p));
    }
  tl_onnx_graph_add_node (g, node);
  return out;
}

/* The table with row 0 zeroed: what padding and ids outside the table read. */
static const char *
zero_row_table (TlOnnxGraph *g, TlLayer *layer, GError **error)
{
  TlParam *p = tl_layer_find_param (layer, "weight");
  g_autofree float *table = NULL;

  if (p == NULL || p->value->ndim != 2 || p->value->shape[0] != layer->spec.vocab_size)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "layer %s has no table “weight” of %d rows", layer->name, layer->spec.vocab_size);
      return NULL;
    }
  table = g_memdup2 (p->value->data, p->value->size * sizeof (float));
  memset (table, 0, p->value->shape[1] * sizeof (float));
  return tl_onnx_add_float_initializer (g, tl_onnx_graph_name (g, "%s.weight", layer->name), 2,
                                        DIMS (p->value->shape[0], p->value->shape[1]), table);
}

static const char *
emit_embedding (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  const char *w, *out;
  GByteArray *node;

  /* row 0 is what padding and unknown ids read: zero, as the model's Embedding gives */
  if (!(w = zero_row_table (g, layer, error)))
    return NULL;
  out = layer_value (g, layer, want, "out");
  node = tl_onnx_node_new (g, layer->name, "Gather", NAMES (w, in), NAMES (out));
  tl_onnx_node_attr_int (node, "axis", 0);
  tl_onnx_graph_add_node (g, node);
  return out;
}

/* rows [batch, terms] (ids already mapped into the table) and g->bag_weights
 * [batch, terms] -> out[b] = sum_k weights[b, k] * table[rows[b, k]], as
 * torch.nn.EmbeddingBag(mode="sum") with per_sample_weights: Gather, Mul, ReduceSum. */
static const char *
emit_embedding_bag (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  const char *w, *out, *gathered, *w3, *weighted;
  GByteArray *node;

  if (g->bag_weights == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   "layer %s: an embedding_bag can only be the first layer", layer->name);
      return NULL;
    }
  if (!(w = zero_row_table (g, layer, error)))
    return NULL;
  gathered = tl_onnx_graph_name (g, "%s/rows", layer->name);
  w3 = tl_onnx_graph_name (g, "%s/weights3", layer->name);
  weighted = tl_onnx_graph_name (g, "%s/weighted", layer->name);
  out = layer_value (g, layer, want, "out");
  node = tl_onnx_node_new (g, layer->name, "Gather", NAMES (w, in), NAMES (gathered));
  tl_onnx_node_attr_int (node, "axis", 0);
  tl_onnx_graph_add_node (g, node);
  tl_onnx_graph_op (g, layer->name, "Unsqueeze", NAMES (g->bag_weights, "const/axis2"), NAMES (w3));
  tl_onnx_graph_op (g, layer->name, "Mul", NAMES (gathered, w3), NAMES (weighted));
  node = tl_onnx_node_new (g, layer->name, "ReduceSum", NAMES (weighted, "const/axis1"), NAMES (out));
  tl_onnx_node_attr_int (node, "keepdims", 0);
  tl_onnx_graph_add_node (g, node);
  g->bag_weights = NULL;
  return out;
}

/* x [batch, T, F] -> y[b, t] = x[b, index[b, t]] */
static const char *
gather_steps (TlOnnxGraph *g, TlLayer *layer, const char *x, const char *index, const char *what)
{
  const char *shape = tl_onnx_graph_name (g, "%s/%s_shape", layer->name, what);
  const char *index3 = tl_onnx_graph_name (g, "%s/%s_index3", layer->name, what);
  const char *full = tl_onnx_graph_name (g, "%s/%s_index", layer->name, what);
  const char *out = tl_onnx_graph_name (g, "%s/%s", layer->name, what);
  GByteArray *node;

  tl_onnx_graph_op (g, layer->name, "Shape", NAMES (x), NAMES (shape));
  tl_onnx_graph_op (g, layer->name, "Unsqueeze", NAMES (index, "const/axis2"), NAMES (index3));
  tl_onnx_graph_op (g, layer->name, "Expand", NAMES (index3, shape), NAMES (full));
  node = tl_onnx_node_new (g, layer->name, "GatherElements", NAMES (x, full), NAMES (out));
  tl_onnx_node_attr_int (node, "axis", 1);
  tl_onnx_graph_add_node (g, node);
  return out;
}

/* Copies gate blocks of `rows` rows each into ONNX's order: block j of dst is
 * block order[j] of src. */
static void
reorder_gates (float *dst, const float *src, const int *order, int n_gates, gsize block)
{
  for (int j = 0; j < n_gates; j++)
    memcpy (dst + j * block, src + order[j] * block, block * sizeof (float));
}

static const char *
emit_recurrent (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  /* ONNX LSTM gates are i, o, f, c; PyTorch's i, f, g, o. ONNX GRU z, r, h; PyTorch's r, z, n. */
  static const int lstm_order[4] = { 0, 3, 1, 2 };
  static const int gru_order[3] = { 1, 0, 2 };
  const gboolean lstm = layer->spec.kind == TL_LAYER_LSTM;
  const int n_gates = lstm ? 4 : 3;
  const int *order = lstm ? lstm_order : gru_order;
  const gint64 hidden = layer->spec.units;
  const gint64 n_in = layer->in_shape[1];
  TlParam *w_ih = tl_layer_find_param (layer, "weight_ih_l0");
  TlParam *w_hh = tl_layer_find_param (layer, "weight_hh_l0");
  TlParam *b_ih = tl_layer_find_param (layer, "bias_ih_l0");
  TlParam *b_hh = tl_layer_find_param (layer, "bias_hh_l0");
  g_autofree float *w = NULL;
  g_autofree float *r = NULL;
  g_autofree float *b = NULL;
  const char *wn, *rn, *bn, *xt, *out;
  GByteArray *node;

  if (layer->in_ndim != 2 || !w_ih || !w_hh || !b_ih || !b_hh ||
      w_ih->value->size != (gsize) (n_gates * hidden * n_in) ||
      w_hh->value->size != (gsize) (n_gates * hidden * hidden) ||
      b_ih->value->size != (gsize) (n_gates * hidden) ||
      b_hh->value->size != (gsize) (n_gates * hidden))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "layer %s: parameters are not those of a one-layer %s", layer->name,
                   lstm ? "LSTM" : "GRU");
      return NULL;
    }

  w = g_new (float, w_ih->value->size);
  r = g_new (float, w_hh->value->size);
  b = g_new (float, 2 * n_gates * hidden);
  reorder_gates (w, w_ih->value->data, order, n_gates, hidden * n_in);
  reorder_gates (r, w_hh->value->data, order, n_gates, hidden * hidden);
  reorder_gates (b, b_ih->value->data, order, n_gates, hidden);
  reorder_gates (b + n_gates * hidden, b_hh->value->data, order, n_gates, hidden);
  wn = tl_onnx_add_float_initializer (g, tl_onnx_graph_name (g, "%s.W", layer->name), 3,
                              (const gint64[]) { 1, n_gates * hidden, n_in }, w);
  rn = tl_onnx_add_float_initializer (g, tl_onnx_graph_name (g, "%s.R", layer->name), 3,
                              (const gint64[]) { 1, n_gates * hidden, hidden }, r);
  bn = tl_onnx_add_float_initializer (g, tl_onnx_graph_name (g, "%s.B", layer->name), 2,
                              (const gint64[]) { 1, 2 * n_gates * hidden }, b);

  /* ONNX recurrences stop at sequence_lens but cannot skip steps inside a
   * sequence: real steps are moved in front first, then the outputs are put
   * back where the model has them, padded steps showing the carried state. */
  if (g->order != NULL)
    in = gather_steps (g, layer, in, g->order, "compact");

  /* ONNX recurrences are time-major */
  xt = tl_onnx_graph_name (g, "%s/time_major", layer->name);
  node = tl_onnx_node_new (g, layer->name, "Transpose", NAMES (in), NAMES (xt));
  tl_onnx_node_attr_ints (node, "perm", INTS (1, 0, 2));
  tl_onnx_graph_add_node (g, node);

  if (layer->spec.return_sequences)
    {
      const char *y = tl_onnx_graph_name (g, "%s/Y", layer->name);
      const char *y3 = tl_onnx_graph_name (g, "%s/Y_squeezed", layer->name);
      const char *yb;

      node = tl_onnx_node_new (g, layer->name, lstm ? "LSTM" : "GRU",
                       NAMES (xt, wn, rn, bn, g->lengths ? g->lengths : ""), NAMES (y));
      tl_onnx_node_attr_int (node, "hidden_size", hidden);
      if (!lstm)
        tl_onnx_node_attr_int (node, "linear_before_reset", 1);
      tl_onnx_graph_add_node (g, node);
      tl_onnx_graph_op (g, layer->name, "Squeeze", NAMES (y, "const/axis1"), NAMES (y3));
      yb = g->order ? tl_onnx_graph_name (g, "%s/Y_batch_major", layer->name) : layer_value (g, layer, want, "out");
      node = tl_onnx_node_new (g, layer->name, "Transpose", NAMES (y3), NAMES (yb));
      tl_onnx_node_attr_ints (node, "perm", INTS (1, 0, 2));
      tl_onnx_graph_add_node (g, node);
      out = yb;
      if (g->order != NULL)
        {
          const char *carried = gather_steps (g, layer, yb, g->carry, "carried");
          out = layer_value (g, layer, want, "out");
          tl_onnx_graph_op (g, layer->name, "Mul", NAMES (carried, g->started), NAMES (out));
        }
    }
  else
    {
      const char *y_h = tl_onnx_graph_name (g, "%s/Y_h", layer->name);

      node = tl_onnx_node_new (g, layer->name, lstm ? "LSTM" : "GRU",
                       NAMES (xt, wn, rn, bn, g->lengths ? g->lengths : ""), NAMES ("", y_h));
      tl_onnx_node_attr_int (node, "hidden_size", hidden);
      if (!lstm)
        tl_onnx_node_attr_int (node, "linear_before_reset", 1);
      tl_onnx_graph_add_node (g, node);
      out = layer_value (g, layer, want, "out");
      tl_onnx_graph_op (g, layer->name, "Squeeze", NAMES (y_h, "const/axis0"), NAMES (out));
      g->mask = g->mask_bool = g->lengths = g->order = NULL;
    }
  return out;
}

/* Global pools over steps [batch, T, E] -> [batch, E]; with a mask, padded
 * steps take no part and a sample without real steps gives zeros. */
static const char *
emit_pool1d (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  const gboolean avg = layer->spec.kind == TL_LAYER_GLOBAL_AVG_POOL1D;
  const char *out = layer_value (g, layer, want, "out");
  GByteArray *node;

  if (g->mask == NULL)
    {
      node = tl_onnx_node_new (g, layer->name, avg ? "ReduceMean" : "ReduceMax", NAMES (in), NAMES (out));
      tl_onnx_node_attr_ints (node, "axes", INTS (1));
      tl_onnx_node_attr_int (node, "keepdims", 0);
      tl_onnx_graph_add_node (g, node);
      return out;
    }

  if (avg)
    {
      const char *m3 = tl_onnx_graph_name (g, "%s/mask3", layer->name);
      const char *xm = tl_onnx_graph_name (g, "%s/masked", layer->name);
      const char *sum = tl_onnx_graph_name (g, "%s/sum", layer->name);
      const char *count = tl_onnx_graph_name (g, "%s/count", layer->name);
      const char *divisor = tl_onnx_graph_name (g, "%s/divisor", layer->name);

      tl_onnx_graph_op (g, layer->name, "Unsqueeze", NAMES (g->mask, "const/axis2"), NAMES (m3));
      tl_onnx_graph_op (g, layer->name, "Mul", NAMES (in, m3), NAMES (xm));
      node = tl_onnx_node_new (g, layer->name, "ReduceSum", NAMES (xm, "const/axis1"), NAMES (sum));
      tl_onnx_node_attr_int (node, "keepdims", 0);
      tl_onnx_graph_add_node (g, node);
      node = tl_onnx_node_new (g, layer->name, "ReduceSum", NAMES (g->mask, "const/axis1"), NAMES (count));
      tl_onnx_node_attr_int (node, "keepdims", 1);
      tl_onnx_graph_add_node (g, node);
      /* an empty sample has a zero sum: dividing by one keeps it zero */
      tl_onnx_graph_op (g, layer->name, "Max", NAMES (count, "const/one_f"), NAMES (divisor));
      tl_onnx_graph_op (g, layer->name, "Div", NAMES (sum, divisor), NAMES (out));
    }
  else
    {
      const char *m3 = tl_onnx_graph_name (g, "%s/mask3", layer->name);
      const char *xm = tl_onnx_graph_name (g, "%s/masked", layer->name);
      const char *max = tl_onnx_graph_name (g, "%s/max", layer->name);
      const char *any = tl_onnx_graph_name (g, "%s/any", layer->name);

      tl_onnx_graph_op (g, layer->name, "Unsqueeze", NAMES (g->mask_bool, "const/axis2"), NAMES (m3));
      tl_onnx_graph_op (g, layer->name, "Where", NAMES (m3, in, "const/lowest_f"), NAMES (xm));
      node = tl_onnx_node_new (g, layer->name, "ReduceMax", NAMES (xm), NAMES (max));
      tl_onnx_node_attr_ints (node, "axes", INTS (1));
      tl_onnx_node_attr_int (node, "keepdims", 0);
      tl_onnx_graph_add_node (g, node);
      node = tl_onnx_node_new (g, layer->name, "ReduceMax", NAMES (g->mask), NAMES (any));
      tl_onnx_node_attr_ints (node, "axes", INTS (1));
      tl_onnx_node_attr_int (node, "keepdims", 1);
      tl_onnx_graph_add_node (g, node);
      tl_onnx_graph_op (g, layer->name, "Mul", NAMES (max, any), NAMES (out));
    }
  g->mask = g->mask_bool = g->lengths = g->order = NULL;
  return out;
}

/* Add, Mul, or Concat along the channels, of the outputs of a graph model's
 * layers `ins`. A Mul by one factor per channel ([batch, C] against [batch,
 * C, H, W]) gives the factors trailing axes of 1 for ONNX's broadcasting. */
static const char *
emit_join (TlOnnxGraph *g, TlLayer *layer, const char *const *ins, int second_ndim, const char *want)
{
  const char *names[TL_LAYER_MAX_INPUTS + 1] = { NULL };
  const char *out = layer_value (g, layer, want, "out");
  const char *op = layer->spec.kind == TL_LAYER_ADD ? "Add" : layer->spec.kind == TL_LAYER_MUL ? "Mul" : "Concat";
  GByteArray *node;

  for (int k = 0; k < layer->n_inputs; k++)
    names[k] = ins[k];
  if (layer->spec.kind == TL_LAYER_MUL && second_ndim < layer->in_ndim)
    {
      gint64 axes[TL_MAX_DIMS];
      const char *axes_name = tl_onnx_graph_name (g, "%s/axes", layer->name);
      const char *gate = tl_onnx_graph_name (g, "%s/per_channel", layer->name);

      for (int d = 0; d < layer->in_ndim - second_ndim; d++)
        axes[d] = second_ndim + 1 + d;
      tl_onnx_add_int64_initializer (g, axes_name, 1, DIMS (layer->in_ndim - second_ndim), axes);
      tl_onnx_graph_op (g, layer->name, "Unsqueeze", NAMES (ins[1], axes_name), NAMES (gate));
      names[1] = gate;
    }
  node = tl_onnx_node_new (g, layer->name, op, names, NAMES (out));
  if (layer->spec.kind == TL_LAYER_CONCAT)
    tl_onnx_node_attr_int (node, "axis", 1);
  tl_onnx_graph_add_node (g, node);
  return out;
}

static const char *
emit_layer (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *want, GError **error)
{
  switch (layer->spec.kind)
    {
    case TL_LAYER_DENSE:
      return emit_dense (g, layer, in, want, error);
    case TL_LAYER_RELU:
    case TL_LAYER_TANH:
    case TL_LAYER_SIGMOID:
    case TL_LAYER_SOFTMAX:
      return emit_activation (g, layer, in, want, error);
    case TL_LAYER_DROPOUT:
    case TL_LAYER_GRADIENT_REVERSAL:
      return emit_identity (g, layer, in, want, error);
    case TL_LAYER_FLATTEN:
      return emit_flatten (g, layer, in, want, error);
    case TL_LAYER_CONV2D:
      return emit_conv2d (g, layer, in, want, error);
    case TL_LAYER_MAXPOOL2D:
      return emit_maxpool2d (g, layer, in, want, error);
    case TL_LAYER_EMBEDDING:
      return emit_embedding (g, layer, in, want, error);
    case TL_LAYER_EMBEDDING_BAG:
      return emit_embedding_bag (g, layer, in, want, error);
    case TL_LAYER_LSTM:
    case TL_LAYER_GRU:
      return emit_recurrent (g, layer, in, want, error);
    case TL_LAYER_GLOBAL_AVG_POOL1D:
    case TL_LAYER_GLOBAL_MAX_POOL1D:
      return emit_pool1d (g, layer, in, want, error);
    case TL_LAYER_BATCHNORM2D:
    case TL_LAYER_BATCHNORM1D:
    case TL_LAYER_RELU6:
    case TL_LAYER_CLIP:
    case TL_LAYER_HARDSWISH:
    case TL_LAYER_HARDSIGMOID:
    case TL_LAYER_GLOBAL_AVG_POOL2D:
    case TL_LAYER_AVGPOOL2D:
      return tl_onnx_emit_vision_layer (g, layer, in, layer_value (g, layer, want, "out"), error);
    case TL_N_LAYER_KINDS:
    default:
      break;
    }
  g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, "layer %s: unknown kind %d",
               layer->name, layer->spec.kind);
  return NULL;
}

static void
add_constants (TlOnnxGraph *g)
{
  const float one = 1.0f, zero_f = 0.0f, lowest = -FLT_MAX;
  const gint64 zero = 0, one_i64 = 1;

  tl_onnx_add_int64_initializer (g, "const/axis0", 1, DIMS (1), (const gint64[]) { 0 });
  tl_onnx_add_int64_initializer (g, "const/axis1", 1, DIMS (1), (const gint64[]) { 1 });
  tl_onnx_add_int64_initializer (g, "const/axis2", 1, DIMS (1), (const gint64[]) { 2 });
  tl_onnx_add_int64_initializer (g, "const/zero_i64", 0, NULL, &zero);
  tl_onnx_add_int64_initializer (g, "const/axis1_scalar", 0, NULL, &one_i64);
  tl_onnx_add_float_initializer (g, "const/one_f", 0, NULL, &one);
  tl_onnx_add_float_initializer (g, "const/zero_f", 0, NULL, &zero_f);
  tl_onnx_add_float_initializer (g, "const/lowest_f", 0, NULL, &lowest);
}

/* ids outside the table (below 1, or vocab and up) read the zero row 0, as
 * the model's Embedding and embedding_bag do. */
static const char *
table_rows (TlOnnxGraph *g, const char *scope, const char *ids, int vocab)
{
  const char *size = tl_onnx_graph_name (g, "%s/vocab_size", scope);
  const char *above = tl_onnx_graph_name (g, "%s/above_zero", scope);
  const char *below = tl_onnx_graph_name (g, "%s/below_vocab", scope);
  const char *in_table = tl_onnx_graph_name (g, "%s/in_table", scope);
  const char *rows = tl_onnx_graph_name (g, "%s/rows", scope);

  tl_onnx_add_int64_initializer (g, size, 0, NULL, (const gint64[]) { vocab });
  tl_onnx_graph_op (g, scope, "Greater", NAMES (ids, "const/zero_i64"), NAMES (above));
  tl_onnx_graph_op (g, scope, "Less", NAMES (ids, size), NAMES (below));
  tl_onnx_graph_op (g, scope, "And", NAMES (above, below), NAMES (in_table));
  tl_onnx_graph_op (g, scope, "Where", NAMES (in_table, ids, "const/zero_i64"), NAMES (rows));
  return rows;
}

/* Token ids [batch, T] -> the mask of real tokens (id 0 is padding) and, when
 * a recurrent layer follows, what it needs to skip padded steps as the model
 * does: the order that puts real steps first, their count, and for each step
 * the last real step at or before it. Returns the ids to look up. */
static const char *
emit_token_input (TlOnnxGraph *g, const char *ids, int steps, int vocab, gboolean recurrent)
{
  GByteArray *node;

  tl_onnx_graph_op (g, "tokens", "Equal", NAMES (ids, "const/zero_i64"), NAMES ("tokens/is_padding"));
  g->mask_bool = "tokens/mask_bool";
  tl_onnx_graph_op (g, "tokens", "Not", NAMES ("tokens/is_padding"), NAMES (g->mask_bool));
  g->mask = "tokens/mask";
  node = tl_onnx_node_new (g, "tokens", "Cast", NAMES (g->mask_bool), NAMES (g->mask));
  tl_onnx_node_attr_int (node, "to", DTYPE_FLOAT);
  tl_onnx_graph_add_node (g, node);

  if (recurrent)
    {
      g_autofree float *positions = g_new (float, steps);
      const float span = (float) steps;

      /* key = t for a real step, T + t for padding: ascending keys put real steps first, in order */
      for (int t = 0; t < steps; t++)
        positions[t] = (float) (t + steps);
      tl_onnx_add_float_initializer (g, "tokens/padded_position", 1, DIMS (steps), positions);
      tl_onnx_add_float_initializer (g, "tokens/steps_f", 0, NULL, &span);
      tl_onnx_add_int64_initializer (g, "tokens/steps_i64", 1, DIMS (1), (const gint64[]) { steps });
      tl_onnx_graph_op (g, "tokens", "Mul", NAMES (g->mask, "tokens/steps_f"), NAMES ("tokens/shift"));
      tl_onnx_graph_op (g, "tokens", "Sub", NAMES ("tokens/padded_position", "tokens/shift"),
                NAMES ("tokens/order_key"));
      g->order = "tokens/order";
      node = tl_onnx_node_new (g, "tokens", "TopK", NAMES ("tokens/order_key", "tokens/steps_i64"),
                       NAMES ("tokens/sorted_key", g->order));
      tl_onnx_node_attr_int (node, "axis", 1);
      tl_onnx_node_attr_int (node, "largest", 0);
      tl_onnx_node_attr_int (node, "sorted", 1);
      tl_onnx_graph_add_node (g, node);

      node = tl_onnx_node_new (g, "tokens", "ReduceSum", NAMES (g->mask, "const/axis1"), NAMES ("tokens/count"));
      tl_onnx_node_attr_int (node, "keepdims", 0);
      tl_onnx_graph_add_node (g, node);
      g->lengths = "tokens/lengths";
      node = tl_onnx_node_new (g, "tokens", "Cast", NAMES ("tokens/count"), NAMES (g->lengths));
      tl_onnx_node_attr_int (node, "to", DTYPE_INT32);
      tl_onnx_graph_add_node (g, node);

      /* real steps up to t, minus one: where step t's state sits among the compacted steps */
      tl_onnx_graph_op (g, "tokens", "CumSum", NAMES (g->mask, "const/axis1_scalar"), NAMES ("tokens/seen"));
      tl_onnx_graph_op (g, "tokens", "Sub", NAMES ("tokens/seen", "const/one_f"), NAMES ("tokens/seen_before"));
      tl_onnx_graph_op (g, "tokens", "Max", NAMES ("tokens/seen_before", "const/zero_f"), NAMES ("tokens/carry_f"));
      g->carry = "tokens/carry";
      node = tl_onnx_node_new (g, "tokens", "Cast", NAMES ("tokens/carry_f"), NAMES (g->carry));
      tl_onnx_node_attr_int (node, "to", DTYPE_INT64);
      tl_onnx_graph_add_node (g, node);
      tl_onnx_graph_op (g, "tokens", "Min", NAMES ("tokens/seen", "const/one_f"), NAMES ("tokens/started2"));
      g->started = "tokens/started";
      tl_onnx_graph_op (g, "tokens", "Unsqueeze", NAMES ("tokens/started2", "const/axis2"), NAMES (g->started));
    }

  return table_rows (g, "tokens", ids, vocab);
}

/* The bag's two inputs: term ids int64 [batch, terms] and their weights float
 * [batch, terms], any number of terms. Returns the rows to look up; the
 * weights wait in g->bag_weights for the embedding_bag. */
static const char *
emit_bag_input (TlOnnxGraph *g, const char *ids, const char *weights, int vocab)
{
  g->bag_weights = weights;
  return table_rows (g, "bag", ids, vocab);
}

static char *
labels_json (const char *const *labels)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (int i = 0; labels[i]; i++)
    json_builder_add_string_value (builder, labels[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static gboolean
check_exportable (TlModel *model, const char *const *labels, JsonNode *preprocessing, GError **error)
{
  int n = tl_model_n_layers (model);
  gsize bytes = 0;

  if (n == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "the model has no layers");
      return FALSE;
    }
  if (labels != NULL && g_strv_length ((char **) labels) != (guint) tl_model_n_outputs (model))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "%u label names for a model with %d outputs",
                   g_strv_length ((char **) labels), tl_model_n_outputs (model));
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      TlLayer *layer = tl_model_layer (model, i);
      if (i > 0 && layer->spec.kind == TL_LAYER_EMBEDDING)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                       "layer %s: an Embedding can only be the first layer", layer->name);
          return FALSE;
        }
      if (i > 0 && layer->spec.kind == TL_LAYER_EMBEDDING_BAG)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                       "layer %s: an embedding_bag can only be the first layer", layer->name);
          return FALSE;
        }
      bytes += tl_layer_param_count (layer) * sizeof (float) * 2;
    }
  if (bytes > MAX_MODEL_BYTES)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                   "the model's %" G_GSIZE_FORMAT " MB of weights exceed ONNX's 2 GB limit",
                   bytes / 2 / (1024 * 1024));
      return FALSE;
    }
  return tl_model_check_preprocessing (model, preprocessing, error);
}

GBytes *
tl_onnx_serialize (TlModel *model, const char *const *labels, JsonNode *preprocessing, GError **error)
{
  g_auto (TlOnnxGraph) g = { 0 };
  g_autoptr (GByteArray) graph = NULL;
  g_autoptr (GByteArray) onnx = NULL;
  g_autoptr (GByteArray) opset = NULL;
  g_autofree char *doc = NULL;
  const gboolean tokens = tl_model_takes_tokens (model);
  const int n = tl_model_n_layers (model);
  const gboolean bag = n > 0 && tl_model_layer (model, 0)->spec.kind == TL_LAYER_EMBEDDING_BAG;
  gboolean recurrent = FALSE;
  const int *out_shape;
  int out_ndim, end;
  const char *x = "input", *input;
  g_autofree const char **outs = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_exportable (model, labels, preprocessing, error))
    return NULL;

  tl_onnx_graph_init (&g);
  add_constants (&g);

  for (int i = 0; i < n; i++)
    {
      TlLayerKind kind = tl_model_layer (model, i)->spec.kind;
      recurrent |= kind == TL_LAYER_LSTM || kind == TL_LAYER_GRU;
    }
  if (tokens)
    x = emit_token_input (&g, x, model->in_shape[0], tl_model_layer (model, 0)->spec.vocab_size,
                          recurrent);
  else if (bag)
    x = emit_bag_input (&g, "ids", "weights", tl_model_layer (model, 0)->spec.vocab_size);

  input = x;
  /* a final Softmax layer makes "probabilities"; its input is "logits" */
  end = tl_model_layer (model, n - 1)->spec.kind == TL_LAYER_SOFTMAX ? n - 1 : n;
  if (end == 0)
    {
      tl_onnx_graph_op (&g, "input", "Identity", NAMES (x), NAMES ("logits"));
      x = "logits";
    }
  outs = g_new0 (const char *, MAX (n, 1));
  for (int i = 0; i < end; i++)
    {
      TlLayer *layer = tl_model_layer (model, i);
      const char *want = i == end - 1 ? "logits" : NULL;

      if (layer->n_inputs > 0)
        {
          const char *ins[TL_LAYER_MAX_INPUTS];

          for (int k = 0; k < layer->n_inputs; k++)
            ins[k] = layer->inputs[k] < 0 ? input : outs[layer->inputs[k]];
          if (layer->spec.kind == TL_LAYER_ADD || layer->spec.kind == TL_LAYER_CONCAT
              || layer->spec.kind == TL_LAYER_MUL)
            {
              const int second = layer->inputs[1];
              const int second_ndim = second < 0 ? model->in_ndim : tl_model_layer (model, second)->out_ndim;

              x = emit_join (&g, layer, ins, second_ndim, want);
            }
          else
            x = emit_layer (&g, layer, ins[0], want, error);
        }
      else
        x = emit_layer (&g, layer, x, want, error);
      if (x == NULL)
        return NULL;
      outs[i] = x;
    }
  {
    GByteArray *node = tl_onnx_node_new (&g, "output", "Softmax", NAMES ("logits"), NAMES ("probabilities"));
    tl_onnx_node_attr_int (node, "axis", -1);
    tl_onnx_graph_add_node (&g, node);
  }

  graph = g_byte_array_new ();
  g_byte_array_append (graph, g.nodes->data, g.nodes->len);
  tl_pb_write_string (graph, GRAPH_NAME, "transfer-lab");
  tl_onnx_graph_write_initializers (&g, graph);
  if (bag)
    {
      /* any number of terms: the sum does not depend on how many empty slots pad it */
      const char *const terms[] = { "terms" };
      tl_onnx_write_value_info_named (graph, GRAPH_INPUT, "ids", DTYPE_INT64, 1, &model->in_shape[1], terms);
      tl_onnx_write_value_info_named (graph, GRAPH_INPUT, "weights", DTYPE_FLOAT, 1, &model->in_shape[1], terms);
    }
  else
    tl_onnx_write_value_info (graph, GRAPH_INPUT, "input", tokens ? DTYPE_INT64 : DTYPE_FLOAT,
                              model->in_ndim, model->in_shape);
  out_shape = tl_model_out_shape (model, &out_ndim);
  tl_onnx_write_value_info (graph, GRAPH_OUTPUT, "logits", DTYPE_FLOAT, out_ndim, out_shape);
  tl_onnx_write_value_info (graph, GRAPH_OUTPUT, "probabilities", DTYPE_FLOAT, out_ndim, out_shape);

  onnx = g_byte_array_new ();
  tl_pb_write_int (onnx, MODEL_IR_VERSION, TL_ONNX_IR_VERSION);
  tl_pb_write_string (onnx, MODEL_PRODUCER_NAME, "transfer-lab");
  tl_pb_write_string (onnx, MODEL_PRODUCER_VERSION, PACKAGE_VERSION);
  tl_pb_write_int (onnx, MODEL_MODEL_VERSION, 1);
  doc = g_strdup_printf ("%s. Outputs \"logits\" and \"probabilities\" "
                         "(softmax over the last axis).",
                         bag ? "Inputs \"ids\": int64 n-gram ids [batch, terms], 0 is an empty slot; "
                               "\"weights\": float32 [batch, terms], each id's TF-IDF weight "
                               "(the preprocessing in the metadata lists the n-grams and their idf)"
                         : tokens ? "Input \"input\": int64 token ids [batch, steps], 0 is padding"
                                  : "Input \"input\": float32 [batch, ...] after the preprocessing in the metadata");
  tl_pb_write_string (onnx, MODEL_DOC_STRING, doc);
  tl_pb_write_message (onnx, MODEL_GRAPH, graph);
  opset = g_byte_array_new ();
  tl_pb_write_string (opset, OPSET_DOMAIN, "");
  tl_pb_write_int (opset, OPSET_VERSION, TL_ONNX_OPSET);
  tl_pb_write_message (onnx, MODEL_OPSET_IMPORT, opset);
  if (labels != NULL)
    {
      g_autofree char *json = labels_json (labels);
      tl_onnx_write_metadata (onnx, "labels", json);
    }
  if (preprocessing != NULL)
    {
      g_autofree char *json = json_to_string (preprocessing, FALSE);
      tl_onnx_write_metadata (onnx, "preprocessing", json);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&onnx));
}

gboolean
tl_onnx_export (TlModel *model, const char *const *labels, JsonNode *preprocessing,
                const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  gsize len;
  const void *data;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  bytes = tl_onnx_serialize (model, labels, preprocessing, error);
  if (bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (bytes, &len);
  return tl_atomic_write_bytes (path, data, len, error);
}
