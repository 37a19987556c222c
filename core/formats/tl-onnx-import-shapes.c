#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include "tl-error.h"
#include "tl-onnx-import-private.h"

/* Nodes that only change the shape values are seen in: Flatten, Reshape to
 * [batch, -1], and Unsqueeze of pooled channels. */

/* Unsqueeze of pooled channels [batch, C] to [batch, C, 1, ...]: the same
 * values, as a per-channel Mul and a 1x1 Conv read them. */
gboolean
tl_onnx_import_unsqueeze (TlOnnxImport *im, int x, GError **error)
{
  const TlOnnxTensor *axes = tl_onnx_import_constant (im, 1);
  const TlOnnxAttr *attr = tl_onnx_node_attr (im->node, "axes");
  gsize n = axes && axes->ints ? axes->n : attr && attr->ints ? attr->ints->len : 0;
  int ndim;

  tl_onnx_import_shape_of (im, x, &ndim);
  if (ndim != 1 || n == 0)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                 "only an Unsqueeze of pooled channels [batch, C] to "
                                 "[batch, C, 1, ...] by constant axes is supported");
  for (gsize i = 0; i < n; i++)
    {
      gint64 a = axes && axes->ints ? axes->ints[i] : g_array_index (attr->ints, gint64, i);

      if (a >= 0 ? a < 2 : a < -(gint64) n)
        return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "axis %" G_GINT64_FORMAT
                                     "; only trailing axes after the channels (2 and up) can be added", a);
    }
  tl_onnx_import_set_output (im, x);
  return TRUE;
}

/* Reshape to [batch, -1] (or [batch, features]): a Flatten. */
static gboolean
reshape_flattens (TlOnnxImport *im, int x)
{
  const TlOnnxTensor *shape = tl_onnx_import_constant (im, 1);
  gsize size;

  if (shape == NULL || shape->ints == NULL || shape->n != 2 || shape->ints[0] < -1)
    return FALSE;
  if (x < 0)
    size = tl_shape_size (im->model->in_ndim, im->model->in_shape);
  else
    size = tl_shape_size (tl_model_layer (im->model, x)->out_ndim, tl_model_layer (im->model, x)->out_shape);
  /* [-1 or 0, -1] keeps the batch; [any, features] flattens each sample */
  if (shape->ints[1] == -1)
    return shape->ints[0] <= 0;
  return shape->ints[1] == (gint64) size;
}

gboolean
tl_onnx_import_flatten (TlOnnxImport *im, int x, GError **error)
{
  int l, ndim;

  if (g_str_equal (im->node->op_type, "Flatten") && tl_onnx_import_attr_int (im->node, "axis", 1) != 1)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "only Flatten from axis 1 is supported");
  if (g_str_equal (im->node->op_type, "Reshape") && !reshape_flattens (im, x))
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                 "only a Reshape to [batch, -1] by a constant shape is supported");
  /* samples that are rows already (pooled channels) stay as they are: no layer */
  tl_onnx_import_shape_of (im, x, &ndim);
  if (ndim == 1)
    {
      tl_onnx_import_set_output (im, x);
      return TRUE;
    }
  if ((l = tl_onnx_import_add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, 1, &x, error)) < 0)
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}
