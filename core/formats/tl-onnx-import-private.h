#pragma once

#include <glib.h>

#include "tl-model.h"
#include "tl-onnx-reader.h"

G_BEGIN_DECLS

/* Shared by the ONNX import (tl-onnx-import.c), the node it is at
 * (tl-onnx-import-node.c) and the operator families it hands nodes to
 * (tl-onnx-import-{conv,activations,dense,joins,shapes}.c). */

typedef struct {
  const TlOnnxFile *file;
  const char *path;
  TlModel    *model;
  GHashTable *values;        /* ONNX value name -> layer index + 2 (1: the model input) */
  GHashTable *constants;     /* name -> const TlOnnxTensor* (initializers and Constant nodes) */
  GHashTable *from_matmul;   /* layer index + 1 of Dense layers made from a MatMul, bias still open */
  const TlOnnxNode *node;    /* the node being imported */
} TlOnnxImport;

/* The node at hand (tl-onnx-import-node.c) */

/* Sets `error` to "PATH: node “NAME” (OP): MESSAGE"; returns FALSE. */
gboolean tl_onnx_import_error (TlOnnxImport *im, GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF (4, 5);
/* The layer whose output is value `name`, -1 for the model input; FALSE if it is no layer's. */
gboolean tl_onnx_import_layer_of (TlOnnxImport *im, const char *name, int *layer, GError **error);
/* The node's input k if it is a constant (an initializer or a Constant node's), else NULL. */
const TlOnnxTensor *tl_onnx_import_constant (TlOnnxImport *im, int k);
gboolean tl_onnx_import_need_constant (TlOnnxImport *im, int k, int ndim, const char *what,
                                       const TlOnnxTensor **out, GError **error);
/* Makes the node's first output the output of `layer`. */
void     tl_onnx_import_set_output (TlOnnxImport *im, int layer);
/* Per-sample shape of the output of layer x, or of the input for x = -1. */
const int *tl_onnx_import_shape_of (TlOnnxImport *im, int x, int *ndim);
/* Appends a layer named after the node, reading the layers `inputs`; returns its index or -1. */
int      tl_onnx_import_add_layer (TlOnnxImport *im, const TlLayerSpec *spec, int n, const int *inputs,
                                   GError **error);
/* Copies n values into a parameter of the layer, refused unless it holds n. */
gboolean tl_onnx_import_fill (TlOnnxImport *im, TlTensor *dst, const float *src, gsize n, const char *what,
                              GError **error);
gint64   tl_onnx_import_attr_int (const TlOnnxNode *node, const char *name, gint64 fallback);
float    tl_onnx_import_attr_float (const TlOnnxNode *node, const char *name, float fallback);

/* The operator families: each imports the node at hand, x being the layer
 * of its first input (-1: the model input). */

/* tl-onnx-import-conv.c */
gboolean tl_onnx_import_conv (TlOnnxImport *im, int x, GError **error);
gboolean tl_onnx_import_batchnorm (TlOnnxImport *im, int x, GError **error);
gboolean tl_onnx_import_pool (TlOnnxImport *im, int x, gboolean max, GError **error);
gboolean tl_onnx_import_global_pool (TlOnnxImport *im, int x, GError **error);
/* tl-onnx-import-activations.c: Relu, HardSwish; Clip; HardSigmoid */
gboolean tl_onnx_import_activation (TlOnnxImport *im, int x, TlLayerKind kind, GError **error);
gboolean tl_onnx_import_clip (TlOnnxImport *im, int x, GError **error);
gboolean tl_onnx_import_hardsigmoid (TlOnnxImport *im, int x, GError **error);
/* tl-onnx-import-dense.c: Gemm and MatMul, and the Add of a MatMul's bias */
gboolean tl_onnx_import_dense (TlOnnxImport *im, int x, gboolean gemm, GError **error);
/* An Add of constant input k to the other input, which must be a MatMul's: its bias. */
gboolean tl_onnx_import_bias_add (TlOnnxImport *im, int k, GError **error);
/* tl-onnx-import-joins.c (the node's inputs are read there) */
gboolean tl_onnx_import_add (TlOnnxImport *im, GError **error);
gboolean tl_onnx_import_mul (TlOnnxImport *im, GError **error);
gboolean tl_onnx_import_concat (TlOnnxImport *im, GError **error);
/* tl-onnx-import-shapes.c: Flatten and Reshape as a Flatten; Unsqueeze of pooled channels */
gboolean tl_onnx_import_flatten (TlOnnxImport *im, int x, GError **error);
gboolean tl_onnx_import_unsqueeze (TlOnnxImport *im, int x, GError **error);

G_END_DECLS
