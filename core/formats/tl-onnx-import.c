#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-layer-registry.h"
#include "tl-model-file.h"
#include "tl-onnx-import.h"

const char *const tl_onnx_import_operators[] = {
  "Add", "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv", "Dropout", "Flatten",
  "Gemm", "GlobalAveragePool", "HardSigmoid", "HardSwish", "Identity", "MatMul", "MaxPool", "Mul", "Relu", "Reshape",
  "Unsqueeze", NULL,
};

/* The batch-norm layer's epsilon: a file's other epsilon is folded into the variance. */
#define BN_EPS 1e-5

typedef struct {
  const TlOnnxFile *file;
  const char *path;
  TlModel    *model;
  GHashTable *values;        /* ONNX value name -> layer index + 2 (1: the model input) */
  GHashTable *constants;     /* name -> const TlOnnxTensor* (initializers and Constant nodes) */
  GHashTable *from_matmul;   /* layer index + 1 of Dense layers made from a MatMul, bias still open */
  const TlOnnxNode *node;
} Import;

static gboolean
node_error (Import *im, GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
node_error (Import *im, GError **error, int code, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, TL_ERROR, code, "%s: node “%s” (%s): %s", im->path, im->node->name, im->node->op_type, msg);
  return FALSE;
}

/* The layer whose output is value `name`, -1 for the model input; FALSE if it is no layer's. */
static gboolean
layer_of (Import *im, const char *name, int *layer, GError **error)
{
  gpointer v;

  if (name == NULL || *name == '\0' || !g_hash_table_lookup_extended (im->values, name, NULL, &v))
    return node_error (im, error, TL_ERROR_UNSUPPORTED,
                       "its input “%s” is neither the model's input nor computed by an earlier node",
                       name ? name : "");
  *layer = GPOINTER_TO_INT (v) - 2;
  return TRUE;
}

static const TlOnnxTensor *
constant (Import *im, int k)
{
  const char *name = k < (int) g_strv_length (im->node->inputs) ? im->node->inputs[k] : NULL;

  if (name == NULL || *name == '\0')
    return NULL;
  return g_hash_table_lookup (im->constants, name);
}

static gboolean
need_constant (Import *im, int k, int ndim, const char *what, const TlOnnxTensor **out, GError **error)
{
  const TlOnnxTensor *t = constant (im, k);

  if (t == NULL || t->ndim != ndim || t->floats == NULL)
    return node_error (im, error, TL_ERROR_UNSUPPORTED,
                       "its %s (input %d) must be a float32 initializer of %d dimensions", what, k + 1, ndim);
  *out = t;
  return TRUE;
}

static void
set_output (Import *im, int layer)
{
  if (im->node->outputs[0] != NULL)
    g_hash_table_replace (im->values, im->node->outputs[0], GINT_TO_POINTER (layer + 2));
}

/* A layer name from the node's: its path without the operator at its end
 * ("/layer1/layer1.0/conv1/Conv" is "layer1_0_conv1"), letters, digits and
 * '_' only, unique in the model. */
static char *
layer_name (Import *im)
{
  g_auto (GStrv) parts = g_strsplit (im->node->name, "/", -1);
  g_autoptr (GString) path = g_string_new (NULL);
  g_autoptr (GString) s = g_string_new (NULL);
  g_autofree char *base = NULL;
  int n = (int) g_strv_length (parts);

  /* "Conv" or "Conv_3" at the end names the operator, not the layer */
  if (n > 1 && g_str_has_prefix (parts[n - 1], im->node->op_type))
    n--;
  for (int i = 0; i < n; i++)
    {
      /* "layer1" before "layer1.0": the module path repeats its parent */
      if (i + 1 < n && *parts[i] && g_str_has_prefix (parts[i + 1], parts[i]) && parts[i + 1][strlen (parts[i])] == '.')
        continue;
      if (*parts[i])
        g_string_append_printf (path, "%s%s", path->len ? "_" : "", parts[i]);
    }
  if (im->node->op_type && (g_str_equal (im->node->op_type, "Add") || g_str_equal (im->node->op_type, "Concat")
                            || g_str_equal (im->node->op_type, "Mul") || path->len == 0))
    g_string_append_printf (path, "%s%s", path->len ? "_" : "", im->node->op_type);
  for (const char *p = path->str; *p; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (s, g_ascii_tolower (*p));
    else if (s->len > 0 && s->str[s->len - 1] != '_')
      g_string_append_c (s, '_');
  while (s->len > 0 && s->str[s->len - 1] == '_')
    g_string_truncate (s, s->len - 1);
  if (s->len == 0)
    g_string_append (s, "node");
  base = g_string_free (g_steal_pointer (&s), FALSE);
  if (tl_model_find_layer (im->model, base) < 0)
    return g_steal_pointer (&base);
  for (int k = 2;; k++)
    {
      char *name = g_strdup_printf ("%s_%d", base, k);
      if (tl_model_find_layer (im->model, name) < 0)
        return name;
      g_free (name);
    }
}

/* Per-sample shape of the output of layer x, or of the input for x = -1. */
static const int *
shape_of (Import *im, int x, int *ndim)
{
  if (x < 0)
    {
      *ndim = im->model->in_ndim;
      return im->model->in_shape;
    }
  *ndim = tl_model_layer (im->model, x)->out_ndim;
  return tl_model_layer (im->model, x)->out_shape;
}

/* Appends a layer reading the layers `inputs`; returns its index or -1. */
static int
add_layer (Import *im, const TlLayerSpec *spec, int n, const int *inputs, GError **error)
{
  g_autofree char *name = layer_name (im);
  g_autoptr (GError) local = NULL;
  const TlLayer *layer;

  if (!tl_model_add_joined (im->model, spec, name, n, inputs, &local))
    {
      node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "%s", local->message);
      return -1;
    }
  layer = tl_model_layer (im->model, tl_model_n_layers (im->model) - 1);
  if (tl_shape_size (layer->out_ndim, layer->out_shape) > TL_MODEL_FILE_MAX_SAMPLE_VALUES)
    {
      node_error (im, error, TL_ERROR_TOO_LARGE, "its output has more than %" G_GUINT64_FORMAT " values per sample",
                  TL_MODEL_FILE_MAX_SAMPLE_VALUES);
      return -1;
    }
  return tl_model_n_layers (im->model) - 1;
}

static gboolean
fill (Import *im, TlTensor *dst, const float *src, gsize n, const char *what, GError **error)
{
  if (dst->size != n)
    return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its %s has %" G_GSIZE_FORMAT
                       " values where the layer needs %" G_GSIZE_FORMAT, what, n, dst->size);
  if (n > 0)
    memcpy (dst->data, src, n * sizeof (float));
  return TRUE;
}

static gint64
attr_int (const TlOnnxNode *node, const char *name, gint64 fallback)
{
  const TlOnnxAttr *a = tl_onnx_node_attr (node, name);
  return a ? a->i : fallback;
}

static float
attr_float (const TlOnnxNode *node, const char *name, float fallback)
{
  const TlOnnxAttr *a = tl_onnx_node_attr (node, name);
  return a ? a->f : fallback;
}

/* A square window's kernel, stride and padding from kernel_shape, strides,
 * pads and dilations; refused unless square, symmetric and undilated. */
static gboolean
window (Import *im, int kernel_default, int *kernel, int *stride, int *padding, GError **error)
{
  const TlOnnxAttr *ks = tl_onnx_node_attr (im->node, "kernel_shape");
  const TlOnnxAttr *st = tl_onnx_node_attr (im->node, "strides");
  const TlOnnxAttr *pd = tl_onnx_node_attr (im->node, "pads");
  const TlOnnxAttr *dl = tl_onnx_node_attr (im->node, "dilations");
  const TlOnnxAttr *ap = tl_onnx_node_attr (im->node, "auto_pad");

  if (ap && ap->s && *ap->s && !g_str_equal (ap->s, "NOTSET"))
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "auto_pad %s is not supported; pads must be explicit", ap->s);
  if (ks ? ks->ints->len != 2 || g_array_index (ks->ints, gint64, 0) != g_array_index (ks->ints, gint64, 1)
         : kernel_default <= 0)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "only square 2-D windows are supported");
  *kernel = ks ? (int) CLAMP (g_array_index (ks->ints, gint64, 0), 0, 1 << 20) : kernel_default;
  *stride = 1;
  if (st && (st->ints->len != 2 || g_array_index (st->ints, gint64, 0) != g_array_index (st->ints, gint64, 1)
             || g_array_index (st->ints, gint64, 0) < 1 || g_array_index (st->ints, gint64, 0) > 1 << 20))
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "only equal strides of 1 or more are supported");
  if (st)
    *stride = (int) g_array_index (st->ints, gint64, 0);
  *padding = 0;
  if (pd)
    {
      if (pd->ints->len != 4)
        return node_error (im, error, TL_ERROR_UNSUPPORTED, "pads must have 4 values");
      for (int i = 1; i < 4; i++)
        if (g_array_index (pd->ints, gint64, i) != g_array_index (pd->ints, gint64, 0))
          return node_error (im, error, TL_ERROR_UNSUPPORTED, "only the same padding on every side is supported");
      if (g_array_index (pd->ints, gint64, 0) < 0 || g_array_index (pd->ints, gint64, 0) > 1 << 20)
        return node_error (im, error, TL_ERROR_UNSUPPORTED, "the padding is out of range");
      *padding = (int) g_array_index (pd->ints, gint64, 0);
    }
  if (dl)
    for (guint i = 0; i < dl->ints->len; i++)
      if (g_array_index (dl->ints, gint64, i) != 1)
        return node_error (im, error, TL_ERROR_UNSUPPORTED, "dilated windows are not supported");
  if (attr_int (im->node, "ceil_mode", 0) != 0)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "ceil_mode 1 is not supported");
  return TRUE;
}

/* A 1x1 convolution of the globally pooled channels (a squeeze-excitation
 * block's): the pool gives [C], and the convolution is a Dense layer. */
static gboolean
import_pooled_conv (Import *im, int x, const TlOnnxTensor *w, const TlOnnxTensor *b, GError **error)
{
  const int *in;
  int ndim, l;
  TlLayer *layer;

  in = shape_of (im, x, &ndim);
  if (w->dims[2] != 1 || w->dims[3] != 1 || attr_int (im->node, "group", 1) != 1)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "a convolution of globally pooled channels must be "
                       "1x1 with one group, not %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, w->dims[2], w->dims[3]);
  {
    const TlOnnxAttr *pd = tl_onnx_node_attr (im->node, "pads");
    for (guint i = 0; pd && i < pd->ints->len; i++)
      if (g_array_index (pd->ints, gint64, i) != 0)
        return node_error (im, error, TL_ERROR_UNSUPPORTED, "a padded convolution of pooled channels is not supported");
  }
  if ((gint64) in[0] != w->dims[1])
    return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its weight reads %" G_GINT64_FORMAT
                       " channels but its input has %d", w->dims[1], in[0]);
  if ((l = add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = (int) MIN (w->dims[0], G_MAXINT) },
                      1, &x, error)) < 0)
    return FALSE;
  layer = tl_model_layer (im->model, l);
  /* [out, in, 1, 1] is [out, in] in memory */
  if (!fill (im, tl_layer_find_param (layer, "weight")->value, w->floats, w->n, "weight", error))
    return FALSE;
  if (b != NULL && !fill (im, tl_layer_find_param (layer, "bias")->value, b->floats, b->n, "bias", error))
    return FALSE;
  set_output (im, l);
  return TRUE;
}

static gboolean
import_conv (Import *im, int x, GError **error)
{
  const TlOnnxTensor *w = NULL, *b = constant (im, 2);
  TlLayerSpec spec = { .kind = TL_LAYER_CONV2D };
  TlLayer *layer;
  int l;

  if (!need_constant (im, 1, 4, "weight", &w, error))
    return FALSE;
  if (b != NULL && (b->floats == NULL || b->n != (gsize) w->dims[0]))
    return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its bias has %" G_GSIZE_FORMAT
                       " values for %" G_GINT64_FORMAT " filters", b->n, w->dims[0]);
  {
    int ndim;

    shape_of (im, x, &ndim);
    if (ndim == 1)
      return import_pooled_conv (im, x, w, b, error);
  }
  if (w->dims[2] != w->dims[3])
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "only square kernels are supported");
  if (!window (im, (int) MIN (w->dims[2], 1 << 20), &spec.kernel, &spec.stride, &spec.padding, error))
    return FALSE;
  if (spec.kernel != w->dims[2])
    return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "kernel_shape %d does not match the weight's %"
                       G_GINT64_FORMAT, spec.kernel, w->dims[2]);
  spec.filters = (int) MIN (w->dims[0], G_MAXINT);
  spec.groups = (int) CLAMP (attr_int (im->node, "group", 1), 1, G_MAXINT);
  {
    int ndim;
    const int *in = shape_of (im, x, &ndim);
    g_autofree char *text = tl_tensor_shape_string (ndim, in);

    /* before the layer allocates its weights from the input's channels */
    if (ndim != 3 || (gint64) in[0] != w->dims[1] * spec.groups)
      return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its weight reads %" G_GINT64_FORMAT
                         " channels in %d groups but its input has the shape %s", w->dims[1], spec.groups,
                         text);
  }
  if ((l = add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  layer = tl_model_layer (im->model, l);
  if (!fill (im, tl_layer_find_param (layer, "weight")->value, w->floats, w->n, "weight", error))
    return FALSE;
  if (b != NULL && !fill (im, tl_layer_find_param (layer, "bias")->value, b->floats, b->n, "bias", error))
    return FALSE;
  set_output (im, l);
  return TRUE;
}

static gboolean
import_batchnorm (Import *im, int x, GError **error)
{
  const TlOnnxTensor *t[4] = { NULL };
  const char *what[4] = { "scale", "bias", "mean", "variance" };
  const double eps = attr_float (im->node, "epsilon", 1e-5f);
  TlLayerSpec spec = { .kind = TL_LAYER_BATCHNORM2D };
  int ndim, l;
  TlLayer *layer;

  for (int k = 0; k < 4; k++)
    if (!need_constant (im, k + 1, 1, what[k], &t[k], error))
      return FALSE;
  if (attr_int (im->node, "training_mode", 0) != 0)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "training_mode 1 is not supported");
  if (x < 0)
    ndim = im->model->in_ndim;
  else
    ndim = tl_model_layer (im->model, x)->out_ndim;
  if (ndim == 1)
    spec.kind = TL_LAYER_BATCHNORM1D;
  if ((l = add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  layer = tl_model_layer (im->model, l);
  if (!fill (im, tl_layer_find_param (layer, "weight")->value, t[0]->floats, t[0]->n, "scale", error)
      || !fill (im, tl_layer_find_param (layer, "bias")->value, t[1]->floats, t[1]->n, "bias", error)
      || !fill (im, tl_layer_find_buffer (layer, "running_mean")->value, t[2]->floats, t[2]->n, "mean", error)
      || !fill (im, tl_layer_find_buffer (layer, "running_var")->value, t[3]->floats, t[3]->n, "variance", error))
    return FALSE;
  {
    TlTensor *var = tl_layer_find_buffer (layer, "running_var")->value;
    for (gsize i = 0; i < var->size; i++)
      var->data[i] = (float) MAX (var->data[i] + eps - BN_EPS, 0.0);
  }
  set_output (im, l);
  return TRUE;
}

/* Clip's bounds: inputs 2 and 3 from opset 11, attributes before. */
static gboolean
import_clip (Import *im, int x, GError **error)
{
  TlLayerSpec spec = { .kind = TL_LAYER_CLIP, .clip_min = -1e30f, .clip_max = 1e30f };
  int l;

  for (int k = 1; k <= 2; k++)
    {
      const TlOnnxTensor *t = constant (im, k);
      const char *name = k < (int) g_strv_length (im->node->inputs) ? im->node->inputs[k] : "";

      if (t == NULL && *name != '\0')
        return node_error (im, error, TL_ERROR_UNSUPPORTED, "its bounds must be constants");
      if (t != NULL && (t->floats == NULL || t->n != 1 || !isfinite (t->floats[0])))
        return node_error (im, error, TL_ERROR_UNSUPPORTED, "its bounds must be finite float32 scalars");
      if (t != NULL)
        *(k == 1 ? &spec.clip_min : &spec.clip_max) = CLAMP (t->floats[0], -1e30f, 1e30f);
    }
  if (tl_onnx_node_attr (im->node, "min"))
    spec.clip_min = attr_float (im->node, "min", spec.clip_min);
  if (tl_onnx_node_attr (im->node, "max"))
    spec.clip_max = attr_float (im->node, "max", spec.clip_max);
  if (spec.clip_min == 0.0f && spec.clip_max == 6.0f)
    spec = (TlLayerSpec) { .kind = TL_LAYER_RELU6 };
  if ((l = add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  set_output (im, l);
  return TRUE;
}

/* PyTorch's Hardsigmoid, relu6(x + 3) / 6: alpha 1/6 and beta 1/2. */
static gboolean
import_hardsigmoid (Import *im, int x, GError **error)
{
  const float alpha = attr_float (im->node, "alpha", 0.2f), beta = attr_float (im->node, "beta", 0.5f);
  int l;

  if (fabsf (alpha - 1.0f / 6.0f) > 1e-6f || beta != 0.5f)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "alpha %g and beta %g; only alpha 1/6 and beta 0.5 "
                       "(PyTorch's Hardsigmoid) are supported", alpha, beta);
  if ((l = add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_HARDSIGMOID }, 1, &x, error)) < 0)
    return FALSE;
  set_output (im, l);
  return TRUE;
}

static gboolean
import_pool (Import *im, int x, gboolean max, GError **error)
{
  TlLayerSpec spec = { .kind = max ? TL_LAYER_MAXPOOL2D : TL_LAYER_AVGPOOL2D };
  int l;

  if (!window (im, 0, &spec.kernel, &spec.stride, &spec.padding, error))
    return FALSE;
  if (max && (g_strv_length (im->node->outputs) > 1 || attr_int (im->node, "storage_order", 0) != 0))
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "the indices output is not supported");
  if (!max && spec.padding > 0 && attr_int (im->node, "count_include_pad", 0) != 1)
    return node_error (im, error, TL_ERROR_UNSUPPORTED,
                       "padded average pooling must count the padding (count_include_pad 1)");
  if ((l = add_layer (im, &spec, 1, &x, error)) < 0)
    return FALSE;
  set_output (im, l);
  return TRUE;
}

/* Gemm (A · B' + C with transB, else A · B + C) and MatMul as a Dense layer. */
static gboolean
import_dense (Import *im, int x, gboolean gemm, GError **error)
{
  const TlOnnxTensor *w = NULL, *c = gemm ? constant (im, 2) : NULL;
  const gboolean trans = gemm && attr_int (im->node, "transB", 0) != 0;
  const float alpha = gemm ? attr_float (im->node, "alpha", 1.0f) : 1.0f;
  const float beta = gemm ? attr_float (im->node, "beta", 1.0f) : 1.0f;
  TlLayerSpec spec = { .kind = TL_LAYER_DENSE };
  TlTensor *weight, *bias;
  gsize n_in, units;
  int l;

  if (!need_constant (im, 1, 2, "weight", &w, error))
    return FALSE;
  if (gemm && attr_int (im->node, "transA", 0) != 0)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "transA 1 is not supported");
  units = (gsize) w->dims[trans ? 0 : 1];
  n_in = (gsize) w->dims[trans ? 1 : 0];
  if (c != NULL && (c->floats == NULL || (c->n != units && c->n != 1)))
    return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its bias C has %" G_GSIZE_FORMAT
                       " values for %" G_GSIZE_FORMAT " outputs", c->n, units);
  spec.units = (int) MIN (units, (gsize) G_MAXINT);
  {
    int ndim;
    const int *in = shape_of (im, x, &ndim);

    if (ndim != 1 || (gsize) in[0] != n_in)
      return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its weight has %" G_GSIZE_FORMAT
                         " inputs but the layer below gives %" G_GSIZE_FORMAT, n_in, tl_shape_size (ndim, in));
  }
  if ((l = add_layer (im, &spec, 1, &x, error)) < 0)
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
  set_output (im, l);
  return TRUE;
}

static gboolean
import_add (Import *im, GError **error)
{
  const char *a = im->node->inputs[0], *b = a ? im->node->inputs[1] : NULL;
  int inputs[2], l;

  if (a == NULL || b == NULL || im->node->inputs[2] != NULL)
    return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "it needs two inputs");
  /* a MatMul's bias */
  for (int k = 0; k < 2; k++)
    {
      const TlOnnxTensor *c = constant (im, k);
      int dense;

      if (c == NULL)
        continue;
      if (!layer_of (im, im->node->inputs[1 - k], &dense, error))
        return FALSE;
      if (dense >= 0 && g_hash_table_remove (im->from_matmul, GINT_TO_POINTER (dense + 1)))
        {
          TlTensor *bias = tl_layer_find_param (tl_model_layer (im->model, dense), "bias")->value;

          if (c->floats == NULL || (c->n != bias->size && c->n != 1))
            return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its bias has %" G_GSIZE_FORMAT
                               " values for %" G_GSIZE_FORMAT " outputs", c->n, bias->size);
          for (gsize u = 0; u < bias->size; u++)
            bias->data[u] += c->floats[c->n == 1 ? 0 : u];
          set_output (im, dense);
          return TRUE;
        }
      return node_error (im, error, TL_ERROR_UNSUPPORTED,
                         "adding a constant is supported only as the bias right after a MatMul");
    }
  if (!layer_of (im, a, &inputs[0], error) || !layer_of (im, b, &inputs[1], error))
    return FALSE;
  if ((l = add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_ADD }, 2, inputs, error)) < 0)
    return FALSE;
  set_output (im, l);
  return TRUE;
}

/* The product of two computed values: of one shape, or channels [C, H, W]
 * scaled by the factors [C] of a pooled branch (squeeze-excitation). */
static gboolean
import_mul (Import *im, GError **error)
{
  const char *a = im->node->inputs[0], *b = a ? im->node->inputs[1] : NULL;
  int inputs[2], nd[2], l;
  const int *shape[2];

  if (a == NULL || b == NULL || im->node->inputs[2] != NULL)
    return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "it needs two inputs");
  if (constant (im, 0) != NULL || constant (im, 1) != NULL)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "multiplying by a constant is not supported");
  if (!layer_of (im, a, &inputs[0], error) || !layer_of (im, b, &inputs[1], error))
    return FALSE;
  for (int k = 0; k < 2; k++)
    shape[k] = shape_of (im, inputs[k], &nd[k]);
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
      return node_error (im, error, TL_ERROR_UNSUPPORTED, "it multiplies %s by %s; supported are two values of "
                         "one shape and channels by one factor per channel", sa, sb);
    }
  if ((l = add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_MUL }, 2, inputs, error)) < 0)
    return FALSE;
  set_output (im, l);
  return TRUE;
}

static gboolean
import_concat (Import *im, GError **error)
{
  int inputs[TL_LAYER_MAX_INPUTS], n = (int) g_strv_length (im->node->inputs), l;

  if (attr_int (im->node, "axis", 0) != 1)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "only concatenation along the channels (axis 1) is supported");
  if (n < 2 || n > TL_LAYER_MAX_INPUTS)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "it joins %d inputs; 2 to %d are supported", n,
                       TL_LAYER_MAX_INPUTS);
  for (int k = 0; k < n; k++)
    if (!layer_of (im, im->node->inputs[k], &inputs[k], error))
      return FALSE;
  if ((l = add_layer (im, &(TlLayerSpec) { .kind = TL_LAYER_CONCAT }, n, inputs, error)) < 0)
    return FALSE;
  set_output (im, l);
  return TRUE;
}

/* Unsqueeze of pooled channels [batch, C] to [batch, C, 1, ...]: the same
 * values, as a per-channel Mul and a 1x1 Conv read them. */
static gboolean
import_unsqueeze (Import *im, int x, GError **error)
{
  const TlOnnxTensor *axes = constant (im, 1);
  const TlOnnxAttr *attr = tl_onnx_node_attr (im->node, "axes");
  gsize n = axes && axes->ints ? axes->n : attr && attr->ints ? attr->ints->len : 0;
  int ndim;

  shape_of (im, x, &ndim);
  if (ndim != 1 || n == 0)
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "only an Unsqueeze of pooled channels [batch, C] to "
                       "[batch, C, 1, ...] by constant axes is supported");
  for (gsize i = 0; i < n; i++)
    {
      gint64 a = axes && axes->ints ? axes->ints[i] : g_array_index (attr->ints, gint64, i);

      if (a >= 0 ? a < 2 : a < -(gint64) n)
        return node_error (im, error, TL_ERROR_UNSUPPORTED, "axis %" G_GINT64_FORMAT
                           "; only trailing axes after the channels (2 and up) can be added", a);
    }
  set_output (im, x);
  return TRUE;
}

/* Reshape to [batch, -1] (or [batch, features]): a Flatten. */
static gboolean
reshape_flattens (Import *im, int x)
{
  const TlOnnxTensor *shape = constant (im, 1);
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

static gboolean
import_node (Import *im, GError **error)
{
  const TlOnnxNode *node = im->node;
  const char *op = node->op_type;
  int x = -1;

  if (node->domain && *node->domain && !g_str_equal (node->domain, "ai.onnx"))
    return node_error (im, error, TL_ERROR_UNSUPPORTED, "operators of the domain “%s” are not supported",
                       node->domain);
  if (node->outputs[0] == NULL)
    return node_error (im, error, TL_ERROR_INVALID_ARGUMENT, "it has no output");
  if (g_str_equal (op, "Constant"))
    {
      const TlOnnxAttr *v = tl_onnx_node_attr (node, "value");
      if (v == NULL || v->t == NULL)
        return node_error (im, error, TL_ERROR_UNSUPPORTED, "only a tensor “value” is supported");
      g_hash_table_replace (im->constants, node->outputs[0], v->t);
      return TRUE;
    }
  if (g_str_equal (op, "Add"))
    return import_add (im, error);
  if (g_str_equal (op, "Concat"))
    return import_concat (im, error);
  if (g_str_equal (op, "Mul"))
    return import_mul (im, error);
  if (!g_strv_contains (tl_onnx_import_operators, op))
    {
      g_autofree char *list = g_strjoinv (", ", (char **) tl_onnx_import_operators);
      return node_error (im, error, TL_ERROR_UNSUPPORTED, "the operator %s is not supported; supported are: %s",
                         op, list);
    }
  /* the exporter may pass a shared weight through an Identity: the copy is the same constant */
  if (g_str_equal (op, "Identity") && constant (im, 0) != NULL)
    {
      g_hash_table_replace (im->constants, node->outputs[0], (gpointer) constant (im, 0));
      return TRUE;
    }
  if (!layer_of (im, node->inputs[0], &x, error))
    return FALSE;
  if (g_str_equal (op, "Identity") || g_str_equal (op, "Dropout"))
    {
      set_output (im, x);
      return TRUE;
    }
  if (g_str_equal (op, "Conv"))
    return import_conv (im, x, error);
  if (g_str_equal (op, "BatchNormalization"))
    return import_batchnorm (im, x, error);
  if (g_str_equal (op, "Clip"))
    return import_clip (im, x, error);
  if (g_str_equal (op, "HardSigmoid"))
    return import_hardsigmoid (im, x, error);
  if (g_str_equal (op, "Unsqueeze"))
    return import_unsqueeze (im, x, error);
  if (g_str_equal (op, "MaxPool") || g_str_equal (op, "AveragePool"))
    return import_pool (im, x, op[0] == 'M', error);
  if (g_str_equal (op, "Gemm") || g_str_equal (op, "MatMul"))
    return import_dense (im, x, op[0] == 'G', error);
  {
    TlLayerSpec spec = { .kind = TL_LAYER_RELU };
    int l;

    if (g_str_equal (op, "GlobalAveragePool"))
      spec.kind = TL_LAYER_GLOBAL_AVG_POOL2D;
    else if (g_str_equal (op, "HardSwish"))
      spec.kind = TL_LAYER_HARDSWISH;
    else if (g_str_equal (op, "Flatten"))
      {
        if (attr_int (node, "axis", 1) != 1)
          return node_error (im, error, TL_ERROR_UNSUPPORTED, "only Flatten from axis 1 is supported");
        spec.kind = TL_LAYER_FLATTEN;
      }
    else if (g_str_equal (op, "Reshape"))
      {
        if (!reshape_flattens (im, x))
          return node_error (im, error, TL_ERROR_UNSUPPORTED,
                             "only a Reshape to [batch, -1] by a constant shape is supported");
        spec.kind = TL_LAYER_FLATTEN;
      }
    if ((l = add_layer (im, &spec, 1, &x, error)) < 0)
      return FALSE;
    set_output (im, l);
    return TRUE;
  }
}

/* The nodes the first graph output depends on: others (a Softmax to a second
 * output "probabilities") are left out. */
static gboolean *
needed_nodes (const TlOnnxFile *file)
{
  g_autoptr (GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean *needed = g_new0 (gboolean, MAX (file->nodes->len, 1));

  g_hash_table_add (wanted, ((TlOnnxValueInfo *) file->outputs->pdata[0])->name);
  for (int i = (int) file->nodes->len - 1; i >= 0; i--)
    {
      const TlOnnxNode *node = file->nodes->pdata[i];

      for (char **o = node->outputs; *o && !needed[i]; o++)
        needed[i] = g_hash_table_contains (wanted, *o);
      if (needed[i])
        for (char **in = node->inputs; *in; in++)
          g_hash_table_add (wanted, *in);
    }
  return needed;
}

TlModel *
tl_onnx_import (const TlOnnxFile *file, const char *path, GError **error)
{
  Import im = { file, path };
  g_autoptr (GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) constants = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) from_matmul = g_hash_table_new (NULL, NULL);
  g_autoptr (TlModel) model = NULL;
  const TlOnnxValueInfo *input = NULL;
  int shape[TL_MAX_DIMS], out;
  g_autofree gboolean *needed = NULL;
  GHashTableIter it;
  gpointer key, value;

  g_return_val_if_fail (file != NULL && path != NULL, NULL);

  if (file->opset < TL_ONNX_IMPORT_MIN_OPSET || file->opset > TL_ONNX_IMPORT_MAX_OPSET)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, "%s: opset %" G_GINT64_FORMAT
                   "; the import reads opsets %d to %d", path, file->opset, TL_ONNX_IMPORT_MIN_OPSET,
                   TL_ONNX_IMPORT_MAX_OPSET);
      return NULL;
    }
  for (guint i = 0; i < file->inputs->len; i++)
    {
      const TlOnnxValueInfo *v = file->inputs->pdata[i];

      if (g_hash_table_contains (file->initializers, v->name))
        continue;
      if (input != NULL)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, "%s: the graph has several inputs (“%s”, “%s”); "
                       "one is supported", path, input->name, v->name);
          return NULL;
        }
      input = v;
    }
  if (input == NULL || input->elem_type != 1 || input->ndim < 2 || input->ndim > TL_MAX_DIMS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, "%s: the graph needs one float32 input "
                   "[batch, ...] of 2 to %d dimensions", path, TL_MAX_DIMS);
      return NULL;
    }
  for (int d = 1; d < input->ndim; d++)
    {
      if (input->dims[d] < 1 || input->dims[d] > 1 << 24)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, "%s: dimension %d of the input “%s” is not a fixed "
                       "size (1 to %d)", path, d, input->name, 1 << 24);
          return NULL;
        }
      shape[d - 1] = (int) input->dims[d];
    }
  if (tl_shape_size (input->ndim - 1, shape) > (gsize) 1 << 24)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE, "%s: the input “%s” has too many values per sample",
                   path, input->name);
      return NULL;
    }
  if (file->outputs->len < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "%s: the graph has no output", path);
      return NULL;
    }

  model = tl_model_new (input->ndim - 1, shape, 0);
  im.model = model;
  im.values = values;
  im.constants = constants;
  im.from_matmul = from_matmul;
  g_hash_table_iter_init (&it, file->initializers);
  while (g_hash_table_iter_next (&it, &key, &value))
    g_hash_table_insert (constants, key, value);
  g_hash_table_insert (values, input->name, GINT_TO_POINTER (1));
  needed = needed_nodes (file);
  for (guint i = 0; i < file->nodes->len; i++)
    {
      im.node = file->nodes->pdata[i];
      if (needed[i] && !import_node (&im, error))
        return NULL;
    }

  im.node = NULL;
  {
    const char *name = ((TlOnnxValueInfo *) file->outputs->pdata[0])->name;
    if (!g_hash_table_lookup_extended (values, name, NULL, &value))
      {
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "%s: the output “%s” is computed by no node",
                     path, name);
        return NULL;
      }
    out = GPOINTER_TO_INT (value) - 2;
  }
  if (out < 0 || out != tl_model_n_layers (model) - 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, "%s: the output must be the last node's result", path);
      return NULL;
    }
  return g_steal_pointer (&model);
}
