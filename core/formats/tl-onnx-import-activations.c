#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include <math.h>

#include "tl-error.h"
#include "tl-onnx-import-private.h"

/* Element-wise activations: Relu, HardSwish, Clip (ReLU6 when it clips to
 * [0, 6]) and HardSigmoid. */

gboolean
tl_onnx_import_activation (TlOnnxImport *im, int x, TlLayerKind kind, GError **error)
{
  int l;

  if ((l = tl_onnx_import_add_layer (im, &(TlLayerSpec) { .kind = kind }, 1, &x, error)) < 0)
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}

/* Clip's bounds: inputs 2 and 3 from opset 11, attributes before. */
gboolean
tl_onnx_import_clip (TlOnnxImport *im, int x, GError **error)
{
  TlLayerSpec spec = { .kind = TL_LAYER_CLIP, .clip_min = -1e30f, .clip_max = 1e30f };
  int l;

  for (int k = 1; k <= 2; k++)
    {
      const TlOnnxTensor *t = tl_onnx_import_constant (im, k);
      const char *name = k < (int) g_strv_length (im->node->inputs) ? im->node->inputs[k] : "";

      if (t == NULL && *name != '\0')
        return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "its bounds must be constants");
      if (t != NULL && (t->floats == NULL || t->n != 1 || !isfinite (t->floats[0])))
        return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "its bounds must be finite float32 scalars");
      if (t != NULL)
        *(k == 1 ? &spec.clip_min : &spec.clip_max) = CLAMP (t->floats[0], -1e30f, 1e30f);
    }
  if (tl_onnx_node_attr (im->node, "min"))
    spec.clip_min = tl_onnx_import_attr_float (im->node, "min", spec.clip_min);
  if (tl_onnx_node_attr (im->node, "max"))
    spec.clip_max = tl_onnx_import_attr_float (im->node, "max", spec.clip_max);
  if (spec.clip_min == 0.0f && spec.clip_max == 6.0f)
    spec = (TlLayerSpec) { .kind = TL_LAYER_RELU6 };
  if ((l = tl_onnx_import_add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}

/* PyTorch's Hardsigmoid, relu6(x + 3) / 6: alpha 1/6 and beta 1/2. */
gboolean
tl_onnx_import_hardsigmoid (TlOnnxImport *im, int x, GError **error)
{
  const float alpha = tl_onnx_import_attr_float (im->node, "alpha", 0.2f);
  const float beta = tl_onnx_import_attr_float (im->node, "beta", 0.5f);
  int l;

  if (fabsf (alpha - 1.0f / 6.0f) > 1e-6f || beta != 0.5f)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "alpha %g and beta %g; only alpha 1/6 and beta 0.5 "
                                 "(PyTorch's Hardsigmoid) are supported", alpha, beta);
  if ((l = tl_onnx_import_add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_HARDSIGMOID }, 1, &x, error)) < 0)
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}
