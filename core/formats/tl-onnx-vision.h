#pragma once

#include <glib.h>

#include "tl-layer.h"
#include "tl-onnx-graph.h"

G_BEGIN_DECLS

/* ONNX nodes of the vision-backbone layers, for tl-onnx.c: BatchNormalization,
 * Clip, HardSwish, GlobalAveragePool (flattened to [batch, C]) and
 * AveragePool. Returns the layer's output, named `out`, or NULL with error set. */
const char *tl_onnx_emit_vision_layer (TlOnnxGraph *g, TlLayer *layer, const char *in, const char *out,
                                       GError **error);

G_END_DECLS
