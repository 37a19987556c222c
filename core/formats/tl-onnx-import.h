#pragma once

#include <glib.h>

#include "tl-model.h"
#include "tl-onnx-reader.h"

G_BEGIN_DECLS

/* Builds a model from an ONNX graph of opset 11 to 17 over one float input
 * [batch, ...] whose other dimensions are fixed: Conv, BatchNormalization,
 * Relu, Clip, HardSwish, HardSigmoid, MaxPool, AveragePool,
 * GlobalAveragePool, Add, Concat, Mul, Flatten, Reshape (to [batch, -1]),
 * Gemm, and MatMul with its bias Add, as the model's layers (Identity,
 * Dropout and an Unsqueeze of pooled channels pass their input on). Anything
 * else is refused naming the node, its operator and the supported ones. */

#define TL_ONNX_IMPORT_MIN_OPSET 11
#define TL_ONNX_IMPORT_MAX_OPSET 17

extern const char *const tl_onnx_import_operators[];

TlModel *tl_onnx_import (const TlOnnxFile *file, const char *path, GError **error);

G_END_DECLS
