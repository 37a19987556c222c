#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include "tl-error.h"
#include "tl-onnx-vision.h"

#define NAMES TL_ONNX_NAMES
#define DIMS TL_ONNX_DIMS
#define INTS TL_ONNX_INTS

/* A parameter or buffer of the layer, [C], as an initializer "<layer>.<name>". */
static const char *
vector_initializer (TlOnnxGraph *g, TlLayer *layer, TlParam *p, const char *name, GError **error)
{
  if (p == NULL || p->value->ndim != 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "layer %s has no vector “%s”",
                   layer->name, name);
      return NULL;
    }
  return tl_onnx_add_float_initializer (g, tl_onnx_graph_name (g, "%s.%s", layer->name, name), 1,
                                        DIMS (p->value->shape[0]), p->value->data);
}

/* Inference-mode normalisation with the running statistics; ONNX's default
 * epsilon, 1e-5, is the layer's. */
static const char *
emit_batchnorm (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *out, GError **error)
{
  const char *scale, *bias, *mean, *var;

  if (!(scale = vector_initializer (g, layer, tl_layer_find_param (layer, "weight"), "weight", error))
      || !(bias = vector_initializer (g, layer, tl_layer_find_param (layer, "bias"), "bias", error))
      || !(mean = vector_initializer (g, layer, tl_layer_find_buffer (layer, "running_mean"),
                                      "running_mean", error))
      || !(var = vector_initializer (g, layer, tl_layer_find_buffer (layer, "running_var"),
                                     "running_var", error)))
    return NULL;
  tl_onnx_graph_op (g, layer->name, "BatchNormalization", NAMES (in, scale, bias, mean, var), NAMES (out));
  return out;
}

static const char *
emit_clip (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *out, GError **error)
{
  const gboolean relu6 = layer->spec.kind == TL_LAYER_RELU6;
  const float lo = relu6 ? 0.0f : layer->spec.clip_min, hi = relu6 ? 6.0f : layer->spec.clip_max;
  const char *min = tl_onnx_add_float_initializer (g, tl_onnx_graph_name (g, "%s/min", layer->name), 0, NULL, &lo);
  const char *max = tl_onnx_add_float_initializer (g, tl_onnx_graph_name (g, "%s/max", layer->name), 0, NULL, &hi);

  tl_onnx_graph_op (g, layer->name, "Clip", NAMES (in, min, max), NAMES (out));
  return out;
}

static const char *
emit_global_avg_pool (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *out, GError **error)
{
  const char *pooled = tl_onnx_graph_name (g, "%s/pooled", layer->name);
  GByteArray *node;

  tl_onnx_graph_op (g, layer->name, "GlobalAveragePool", NAMES (in), NAMES (pooled));
  node = tl_onnx_node_new (g, layer->name, "Flatten", NAMES (pooled), NAMES (out));
  tl_onnx_node_attr_int (node, "axis", 1);
  tl_onnx_graph_add_node (g, node);
  return out;
}

static const char *
emit_avgpool (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *out, GError **error)
{
  const gint64 k = layer->spec.kernel;
  const gint64 s = layer->spec.stride > 0 ? layer->spec.stride : k;
  const gint64 p = layer->spec.padding;
  GByteArray *node = tl_onnx_node_new (g, layer->name, "AveragePool", NAMES (in), NAMES (out));

  tl_onnx_node_attr_ints (node, "kernel_shape", INTS (k, k));
  tl_onnx_node_attr_ints (node, "strides", INTS (s, s));
  tl_onnx_node_attr_ints (node, "pads", INTS (p, p, p, p));
  tl_onnx_node_attr_int (node, "count_include_pad", 1);
  tl_onnx_graph_add_node (g, node);
  return out;
}

const char *
tl_onnx_emit_vision_layer (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *out, GError **error)
{
  switch (layer->spec.kind)
    {
    case TL_LAYER_BATCHNORM2D:
    case TL_LAYER_BATCHNORM1D:
      return emit_batchnorm (g, layer, in, out, error);
    case TL_LAYER_RELU6:
    case TL_LAYER_CLIP:
      return emit_clip (g, layer, in, out, error);
    case TL_LAYER_HARDSWISH:
      tl_onnx_graph_op (g, layer->name, "HardSwish", NAMES (in), NAMES (out));
      return out;
    case TL_LAYER_HARDSIGMOID:
      {
        GByteArray *node = tl_onnx_node_new (g, layer->name, "HardSigmoid", NAMES (in), NAMES (out));

        tl_onnx_node_attr_float (node, "alpha", 1.0f / 6.0f);
        tl_onnx_node_attr_float (node, "beta", 0.5f);
        tl_onnx_graph_add_node (g, node);
        return out;
      }
    case TL_LAYER_GLOBAL_AVG_POOL2D:
      return emit_global_avg_pool (g, layer, in, out, error);
    case TL_LAYER_AVGPOOL2D:
      return emit_avgpool (g, layer, in, out, error);
    default:
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, "layer %s: unknown kind %d", layer->name,
                   layer->spec.kind);
      return NULL;
    }
}
