#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include "tl-error.h"
#include "tl-onnx-import-private.h"

/* Fully connected layers: Gemm, and MatMul followed by the Add of its bias. */

/* Gemm (A · B' + C with transB, else A · B + C) and MatMul as a Dense layer. */
gboolean
tl_onnx_import_dense (TlOnnxImport *im, int x, gboolean gemm, GError **error)
{
  const TlOnnxTensor *w = NULL, *c = gemm ? tl_onnx_import_constant (im, 2) : NULL;
  const gboolean trans = gemm && tl_onnx_import_attr_int (im->node, "transB", 0) != 0;
  const float alpha = gemm ? tl_onnx_import_attr_float (im->node, "alpha", 1.0f) : 1.0f;
  const float beta = gemm ? tl_onnx_import_attr_float (im->node, "beta", 1.0f) : 1.0f;
  TlLayerSpec spec = { .kind = TL_LAYER_DENSE };
  TlTensor *weight, *bias;
  gsize n_in, units;
  int l;

  if (!tl_onnx_import_need_constant (im, 1, 2, "weight", &w, error))
    return FALSE;
  if (gemm && tl_onnx_import_attr_int (im->node, "transA", 0) != 0)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "transA 1 is not supported");
  units = (gsize) w->dims[trans ? 0 : 1];
  n_in = (gsize) w->dims[trans ? 1 : 0];
  if (c != NULL && (c->floats == NULL || (c->n != units && c->n != 1)))
    return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its bias C has %" G_GSIZE_FORMAT
                                 " values for %" G_GSIZE_FORMAT " outputs", c->n, units);
  spec.units = (int) MIN (units, (gsize) G_MAXINT);
  {
    int ndim;
    const int *in = tl_onnx_import_shape_of (im, x, &ndim);

    if (ndim != 1 || (gsize) in[0] != n_in)
      return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its weight has %" G_GSIZE_FORMAT
                                   " inputs but the layer below gives %" G_GSIZE_FORMAT, n_in,
                                   tl_shape_size (ndim, in));
  }
  if ((l = tl_onnx_import_add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  weight = tl_layer_find_param (tl_model_layer (im->model, l), "weight")->value;
  bias = tl_layer_find_param (tl_model_layer (im->model, l), "bias")->value;
  g_assert (weight->size == w->n);
  for (gsize u = 0; u < units; u++)
    for (gsize i = 0; i < n_in; i++)
      weight->data[u * n_in + i] = alpha * (trans ? w->floats[u * n_in + i] : w->floats[i * units + u]);
  for (gsize u = 0; u < units; u++)
    bias->data[u] = c ? beta * c->floats[c->n == 1 ? 0 : u] : 0.0f;
  if (!gemm)
    g_hash_table_add (im->from_matmul, GINT_TO_POINTER (l + 1));
  tl_onnx_import_set_output (im, l);
  return TRUE;
}

gboolean
tl_onnx_import_bias_add (TlOnnxImport *im, int k, GError **error)
{
  const TlOnnxTensor *c = tl_onnx_import_constant (im, k);
  int dense;

  if (!tl_onnx_import_layer_of (im, im->node->inputs[1 - k], &dense, error))
    return FALSE;
  if (dense >= 0 && g_hash_table_remove (im->from_matmul, GINT_TO_POINTER (dense + 1)))
    {
      TlTensor *bias = tl_layer_find_param (tl_model_layer (im->model, dense), "bias")->value;

      if (c->floats == NULL || (c->n != bias->size && c->n != 1))
        return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its bias has %" G_GSIZE_FORMAT
                                     " values for %" G_GSIZE_FORMAT " outputs", c->n, bias->size);
      for (gsize u = 0; u < bias->size; u++)
        bias->data[u] += c->floats[c->n == 1 ? 0 : u];
      tl_onnx_import_set_output (im, dense);
      return TRUE;
    }
  return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                               "adding a constant is supported only as the bias right after a MatMul");
}
