#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-model-file.h"
#include "tl-onnx-import-private.h"

/* The node being imported: its inputs, constants and attributes, its errors,
 * and the layers it adds to the model, named after it. */

gboolean
tl_onnx_import_error (TlOnnxImport *im, GError **error, int code, const char *fmt, ...)
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
gboolean
tl_onnx_import_layer_of (TlOnnxImport *im, const char *name, int *layer, GError **error)
{
  gpointer v;

  if (name == NULL || *name == '\0' || !g_hash_table_lookup_extended (im->values, name, NULL, &v))
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                 "its input “%s” is neither the model's input nor computed by an earlier node",
                                 name ? name : "");
  *layer = GPOINTER_TO_INT (v) - 2;
  return TRUE;
}

const TlOnnxTensor *
tl_onnx_import_constant (TlOnnxImport *im, int k)
{
  const char *name = k < (int) g_strv_length (im->node->inputs) ? im->node->inputs[k] : NULL;

  if (name == NULL || *name == '\0')
    return NULL;
  return g_hash_table_lookup (im->constants, name);
}

gboolean
tl_onnx_import_need_constant (TlOnnxImport *im, int k, int ndim, const char *what, const TlOnnxTensor **out,
                              GError **error)
{
  const TlOnnxTensor *t = tl_onnx_import_constant (im, k);

  if (t == NULL || t->ndim != ndim || t->floats == NULL)
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                 "its %s (input %d) must be a float32 initializer of %d dimensions", what, k + 1,
                                 ndim);
  *out = t;
  return TRUE;
}

void
tl_onnx_import_set_output (TlOnnxImport *im, int layer)
{
  if (im->node->outputs[0] != NULL)
    g_hash_table_replace (im->values, im->node->outputs[0], GINT_TO_POINTER (layer + 2));
}

/* A layer name from the node's: its path without the operator at its end
 * ("/layer1/layer1.0/conv1/Conv" is "layer1_0_conv1"), letters, digits and
 * '_' only, unique in the model. */
static char *
layer_name (TlOnnxImport *im)
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
  /* A join in a module path ("/layer1/layer1.0/Add", as torch.onnx writes)
   * belongs to the block: it is named for its operator too. A path without
   * the leading '/' ("residual/Add_12", as `export --onnx` writes) is the
   * layer's own name. */
  if (im->node->op_type && (path->len == 0
                            || (im->node->name[0] == '/'
                                && (g_str_equal (im->node->op_type, "Add") || g_str_equal (im->node->op_type, "Concat")
                                    || g_str_equal (im->node->op_type, "Mul")))))
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
const int *
tl_onnx_import_shape_of (TlOnnxImport *im, int x, int *ndim)
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
int
tl_onnx_import_add_layer (TlOnnxImport *im, const TlLayerSpec *spec, int n, const int *inputs,
                          GError **error)
{
  g_autofree char *name = layer_name (im);
  g_autoptr (GError) local = NULL;
  const TlLayer *layer;

  if (!tl_model_add_joined (im->model, spec, name, n, inputs, &local))
    {
      tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "%s", local->message);
      return -1;
    }
  layer = tl_model_layer (im->model, tl_model_n_layers (im->model) - 1);
  if (tl_shape_size (layer->out_ndim, layer->out_shape) > TL_MODEL_FILE_MAX_SAMPLE_VALUES)
    {
      tl_onnx_import_error (im, error, TL_ERROR_TOO_LARGE,
                            "its output has more than %" G_GUINT64_FORMAT " values per sample",
                            TL_MODEL_FILE_MAX_SAMPLE_VALUES);
      return -1;
    }
  return tl_model_n_layers (im->model) - 1;
}

gboolean
tl_onnx_import_fill (TlOnnxImport *im, TlTensor *dst, const float *src, gsize n, const char *what,
                     GError **error)
{
  if (dst->size != n)
    return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "its %s has %" G_GSIZE_FORMAT
                                 " values where the layer needs %" G_GSIZE_FORMAT, what, n, dst->size);
  if (n > 0)
    memcpy (dst->data, src, n * sizeof (float));
  return TRUE;
}

gint64
tl_onnx_import_attr_int (const TlOnnxNode *node, const char *name, gint64 fallback)
{
  const TlOnnxAttr *a = tl_onnx_node_attr (node, name);
  return a ? a->i : fallback;
}

float
tl_onnx_import_attr_float (const TlOnnxNode *node, const char *name, float fallback)
{
  const TlOnnxAttr *a = tl_onnx_node_attr (node, name);
  return a ? a->f : fallback;
}
