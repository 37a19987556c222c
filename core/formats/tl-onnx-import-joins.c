#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-onnx-import-private.h"

/* Nodes joining branches of the graph: Add (a residual sum), Concat along
 * the channels, and Mul (squeeze-excitation gates). */

gboolean
tl_onnx_import_add (TlOnnxImport *im, GError **error)
{
  const char *a = im->node->inputs[0], *b = a ? im->node->inputs[1] : NULL;
  int inputs[2], l;

  if (a == NULL || b == NULL || im->node->inputs[2] != NULL)
    return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "it needs two inputs");
  /* a MatMul's bias */
  for (int k = 0; k < 2; k++)
    if (tl_onnx_import_constant (im, k) != NULL)
      return tl_onnx_import_bias_add (im, k, error);
  if (!tl_onnx_import_layer_of (im, a, &inputs[0], error) || !tl_onnx_import_layer_of (im, b, &inputs[1], error))
    return FALSE;
  if ((l = tl_onnx_import_add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_ADD }, 2, inputs, error)) < 0)
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}

/* The product of two computed values: of one shape, or channels [C, H, W]
 * scaled by the factors [C] of a pooled branch (squeeze-excitation). */
gboolean
tl_onnx_import_mul (TlOnnxImport *im, GError **error)
{
  const char *a = im->node->inputs[0], *b = a ? im->node->inputs[1] : NULL;
  int inputs[2], nd[2], l;
  const int *shape[2];

  if (a == NULL || b == NULL || im->node->inputs[2] != NULL)
    return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "it needs two inputs");
  if (tl_onnx_import_constant (im, 0) != NULL || tl_onnx_import_constant (im, 1) != NULL)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "multiplying by a constant is not supported");
  if (!tl_onnx_import_layer_of (im, a, &inputs[0], error) || !tl_onnx_import_layer_of (im, b, &inputs[1], error))
    return FALSE;
  for (int k = 0; k < 2; k++)
    shape[k] = tl_onnx_import_shape_of (im, inputs[k], &nd[k]);
  if (nd[0] < nd[1])
    {
      int t = inputs[0];
      inputs[0] = inputs[1];
      inputs[1] = t;
    }
  if (nd[0] == nd[1] ? memcmp (shape[0], shape[1], sizeof (int) * nd[0]) != 0
                     : MIN (nd[0], nd[1]) != 1 || shape[0][0] != shape[1][0])
    {
      g_autofree char *sa = tl_tensor_shape_string (nd[0], shape[0]);
      g_autofree char *sb = tl_tensor_shape_string (nd[1], shape[1]);
      return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                   "it multiplies %s by %s; supported are two values of "
                                   "one shape and channels by one factor per channel", sa, sb);
    }
  if ((l = tl_onnx_import_add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_MUL }, 2, inputs, error)) < 0)
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}

gboolean
tl_onnx_import_concat (TlOnnxImport *im, GError **error)
{
  int inputs[TL_LAYER_MAX_INPUTS], n = (int) g_strv_length (im->node->inputs), l;

  if (tl_onnx_import_attr_int (im->node, "axis", 0) != 1)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                 "only concatenation along the channels (axis 1) is supported");
  if (n < 2 || n > TL_LAYER_MAX_INPUTS)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "it joins %d inputs; 2 to %d are supported", n,
                                 TL_LAYER_MAX_INPUTS);
  for (int k = 0; k < n; k++)
    if (!tl_onnx_import_layer_of (im, im->node->inputs[k], &inputs[k], error))
      return FALSE;
  if ((l = tl_onnx_import_add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_CONCAT }, n, inputs, error)) < 0)
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}
