#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include "tl-error.h"
#include "tl-onnx-import-private.h"

/* Convolutions (grouped and depthwise too), batch normalisation and
 * pooling windows. */

/* The batch-norm layer's epsilon: a file's other epsilon is folded into the variance. */
#define BN_EPS 1e-5

/* A square window's kernel, stride and padding from kernel_shape, strides,
 * pads and dilations; refused unless square, symmetric and undilated. */
static gboolean
window (TlOnnxImport *im, int kernel_default, int *kernel, int *stride, int *padding, GError **error)
{
  const TlOnnxAttr *ks = tl_onnx_node_attr (im->node, "kernel_shape");
  const TlOnnxAttr *st = tl_onnx_node_attr (im->node, "strides");
  const TlOnnxAttr *pd = tl_onnx_node_attr (im->node, "pads");
  const TlOnnxAttr *dl = tl_onnx_node_attr (im->node, "dilations");
  const TlOnnxAttr *ap = tl_onnx_node_attr (im->node, "auto_pad");

  if (ap && ap->s && *ap->s && !g_str_equal (ap->s, "NOTSET"))
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                 "auto_pad %s is not supported; pads must be explicit", ap->s);
  if (ks ? ks->ints->len != 2 || g_array_index (ks->ints, gint64, 0) != g_array_index (ks->ints, gint64, 1)
         : kernel_default <= 0)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "only square 2-D windows are supported");
  *kernel = ks ? (int) CLAMP (g_array_index (ks->ints, gint64, 0), 0, 1 << 20) : kernel_default;
  *stride = 1;
  if (st && (st->ints->len != 2 || g_array_index (st->ints, gint64, 0) != g_array_index (st->ints, gint64, 1)
             || g_array_index (st->ints, gint64, 0) < 1 || g_array_index (st->ints, gint64, 0) > 1 << 20))
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "only equal strides of 1 or more are supported");
  if (st)
    *stride = (int) g_array_index (st->ints, gint64, 0);
  *padding = 0;
  if (pd)
    {
      if (pd->ints->len != 4)
        return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "pads must have 4 values");
      for (int i = 1; i < 4; i++)
        if (g_array_index (pd->ints, gint64, i) != g_array_index (pd->ints, gint64, 0))
          return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                       "only the same padding on every side is supported");
      if (g_array_index (pd->ints, gint64, 0) < 0 || g_array_index (pd->ints, gint64, 0) > 1 << 20)
        return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "the padding is out of range");
      *padding = (int) g_array_index (pd->ints, gint64, 0);
    }
  if (dl)
    for (guint i = 0; i < dl->ints->len; i++)
      if (g_array_index (dl->ints, gint64, i) != 1)
        return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "dilated windows are not supported");
  if (tl_onnx_import_attr_int (im->node, "ceil_mode", 0) != 0)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "ceil_mode 1 is not supported");
  return TRUE;
}

/* A 1x1 convolution of the globally pooled channels (a squeeze-excitation
 * block's): the pool gives [C], and the convolution is a Dense layer. */
static gboolean
pooled_conv (TlOnnxImport *im, int x, const TlOnnxTensor *w, const TlOnnxTensor *b, GError **error)
{
  TlLayerSpec spec = { .kind = TL_LAYER_DENSE, .units = (int) MIN (w->dims[0], G_MAXINT) };
  const int *in;
  int ndim, l;
  TlLayer *layer;

  in = tl_onnx_import_shape_of (im, x, &ndim);
  if (w->dims[2] != 1 || w->dims[3] != 1 || tl_onnx_import_attr_int (im->node, "group", 1) != 1)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "a convolution of globally pooled channels must be "
                                 "1x1 with one group, not %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT,
                                 w->dims[2], w->dims[3]);
  {
    const TlOnnxAttr *pd = tl_onnx_node_attr (im->node, "pads");
    for (guint i = 0; pd && i < pd->ints->len; i++)
      if (g_array_index (pd->ints, gint64, i) != 0)
        return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                     "a padded convolution of pooled channels is not supported");
  }
  if ((gint64) in[0] != w->dims[1])
    return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its weight reads %" G_GINT64_FORMAT
                                 " channels but its input has %d", w->dims[1], in[0]);
  if ((l = tl_onnx_import_add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  layer = tl_model_layer (im->model, l);
  /* [out, in, 1, 1] is [out, in] in memory */
  if (!tl_onnx_import_fill (im, tl_layer_find_param (layer, "weight")->value, w->floats, w->n, "weight", error))
    return FALSE;
  if (b != NULL
      && !tl_onnx_import_fill (im, tl_layer_find_param (layer, "bias")->value, b->floats, b->n, "bias", error))
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}

gboolean
tl_onnx_import_conv (TlOnnxImport *im, int x, GError **error)
{
  const TlOnnxTensor *w = NULL, *b = tl_onnx_import_constant (im, 2);
  TlLayerSpec spec = { .kind = TL_LAYER_CONV2D };
  TlLayer *layer;
  int l;

  if (!tl_onnx_import_need_constant (im, 1, 4, "weight", &w, error))
    return FALSE;
  if (b != NULL && (b->floats == NULL || b->n != (gsize) w->dims[0]))
    return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its bias has %" G_GSIZE_FORMAT
                                 " values for %" G_GINT64_FORMAT " filters", b->n, w->dims[0]);
  {
    int ndim;

    tl_onnx_import_shape_of (im, x, &ndim);
    if (ndim == 1)
      return pooled_conv (im, x, w, b, error);
  }
  if (w->dims[2] != w->dims[3])
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "only square kernels are supported");
  if (!window (im, (int) MIN (w->dims[2], 1 << 20), &spec.kernel, &spec.stride, &spec.padding, error))
    return FALSE;
  if (spec.kernel != w->dims[2])
    return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "kernel_shape %d does not match the weight's %"
                                 G_GINT64_FORMAT, spec.kernel, w->dims[2]);
  spec.filters = (int) MIN (w->dims[0], G_MAXINT);
  spec.groups = (int) CLAMP (tl_onnx_import_attr_int (im->node, "group", 1), 1, G_MAXINT);
  {
    int ndim;
    const int *in = tl_onnx_import_shape_of (im, x, &ndim);
    g_autofree char *text = tl_tensor_shape_string (ndim, in);

    /* before the layer allocates its weights from the input's channels */
    if (ndim != 3 || (gint64) in[0] != w->dims[1] * spec.groups)
      return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its weight reads %" G_GINT64_FORMAT
                                   " channels in %d groups but its input has the shape %s", w->dims[1], spec.groups,
                                   text);
  }
  if ((l = tl_onnx_import_add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  layer = tl_model_layer (im->model, l);
  if (!tl_onnx_import_fill (im, tl_layer_find_param (layer, "weight")->value, w->floats, w->n, "weight", error))
    return FALSE;
  if (b != NULL
      && !tl_onnx_import_fill (im, tl_layer_find_param (layer, "bias")->value, b->floats, b->n, "bias", error))
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}

gboolean
tl_onnx_import_batchnorm (TlOnnxImport *im, int x, GError **error)
{
  const TlOnnxTensor *t[4] = { NULL };
  const char *what[4] = { "scale", "bias", "mean", "variance" };
  const double eps = tl_onnx_import_attr_float (im->node, "epsilon", 1e-5f);
  TlLayerSpec spec = { .kind = TL_LAYER_BATCHNORM2D };
  int ndim, l;
  TlLayer *layer;

  for (int k = 0; k < 4; k++)
    if (!tl_onnx_import_need_constant (im, k + 1, 1, what[k], &t[k], error))
      return FALSE;
  if (tl_onnx_import_attr_int (im->node, "training_mode", 0) != 0)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "training_mode 1 is not supported");
  if (x < 0)
    ndim = im->model->in_ndim;
  else
    ndim = tl_model_layer (im->model, x)->out_ndim;
  if (ndim == 1)
    spec.kind = TL_LAYER_BATCHNORM1D;
  if ((l = tl_onnx_import_add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  layer = tl_model_layer (im->model, l);
  {
    TlTensor *dst[4] = { tl_layer_find_param (layer, "weight")->value, tl_layer_find_param (layer, "bias")->value,
                         tl_layer_find_buffer (layer, "running_mean")->value,
                         tl_layer_find_buffer (layer, "running_var")->value };

    for (int k = 0; k < 4; k++)
      if (!tl_onnx_import_fill (im, dst[k], t[k]->floats, t[k]->n, what[k], error))
        return FALSE;
  }
  {
    TlTensor *var = tl_layer_find_buffer (layer, "running_var")->value;
    for (gsize i = 0; i < var->size; i++)
      var->data[i] = (float) MAX (var->data[i] + eps - BN_EPS, 0.0);
  }
  tl_onnx_import_set_output (im, l);
  return TRUE;
}

gboolean
tl_onnx_import_pool (TlOnnxImport *im, int x, gboolean max, GError **error)
{
  TlLayerSpec spec = { .kind = max ? TL_LAYER_MAXPOOL2D : TL_LAYER_AVGPOOL2D };
  int l;

  if (!window (im, 0, &spec.kernel, &spec.stride, &spec.padding, error))
    return FALSE;
  if (max && (g_strv_length (im->node->outputs) > 1 || tl_onnx_import_attr_int (im->node, "storage_order", 0) != 0))
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "the indices output is not supported");
  if (!max && spec.padding > 0 && tl_onnx_import_attr_int (im->node, "count_include_pad", 0) != 1)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                 "padded average pooling must count the padding (count_include_pad 1)");
  if ((l = tl_onnx_import_add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}

/* GlobalAveragePool: [C, H, W] to the layer's [C], which a Flatten keeps and
 * a 1x1 Conv reads as a Dense layer. */
gboolean
tl_onnx_import_global_pool (TlOnnxImport *im, int x, GError **error)
{
  int l;

  if ((l = tl_onnx_import_add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, 1, &x, error)) < 0)
    return FALSE;
  tl_onnx_import_set_output (im, l);
  return TRUE;
}
