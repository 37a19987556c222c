#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-model.h"

G_BEGIN_DECLS

#define TL_ONNX_OPSET 17
#define TL_ONNX_IR_VERSION 8

/* Writes the model as an ONNX file (opset 17) for inference elsewhere.
 *
 * The graph takes one input, "input": float [batch, in_shape...], or int64
 * token ids [batch, steps] when the model starts with an Embedding (id 0 is
 * padding, wherever it stands). A model that starts with an embedding_bag
 * takes two instead: "ids", int64 n-gram ids [batch, terms], and "weights",
 * float [batch, terms], any number of terms (id 0 is an empty slot); its
 * table must match the n-gram features of preprocessing when that has them.
 * It gives two outputs: "logits" and
 * "probabilities" (a softmax over the last axis; when the model ends with a
 * Softmax layer, "logits" is that layer's input). Recurrent layers and 1-D
 * pools skip padded steps as the model does. labels (NULL-terminated, one per
 * output, may be NULL) and preprocessing (may be NULL) go into the metadata as
 * JSON under "labels" and "preprocessing". The file is replaced atomically. */
gboolean tl_onnx_export     (TlModel            *model,
                             const char *const  *labels,
                             JsonNode           *preprocessing,
                             const char         *path,
                             GError            **error);

/* The same, into memory. */
GBytes  *tl_onnx_serialize  (TlModel            *model,
                             const char *const  *labels,
                             JsonNode           *preprocessing,
                             GError            **error);

G_END_DECLS
