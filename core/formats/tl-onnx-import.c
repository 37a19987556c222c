#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include "tl-error.h"
#include "tl-onnx-import-private.h"
#include "tl-onnx-import.h"

const char *const tl_onnx_import_operators[] = {
  "Add", "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv", "Dropout", "Flatten",
  "Gemm", "GlobalAveragePool", "HardSigmoid", "HardSwish", "Identity", "MatMul", "MaxPool", "Mul", "Relu", "Reshape",
  "Unsqueeze", NULL,
};

static gboolean
import_node (TlOnnxImport *im, GError **error)
{
  const TlOnnxNode *node = im->node;
  const char *op = node->op_type;
  int x = -1;

  if (node->domain && *node->domain && !g_str_equal (node->domain, "ai.onnx"))
    return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "operators of the domain “%s” are not supported",
                                 node->domain);
  if (node->outputs[0] == NULL)
    return tl_onnx_import_error (im, error, TL_ERROR_INVALID_ARGUMENT, "it has no output");
  if (g_str_equal (op, "Constant"))
    {
      const TlOnnxAttr *v = tl_onnx_node_attr (node, "value");
      if (v == NULL || v->t == NULL)
        return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED, "only a tensor “value” is supported");
      g_hash_table_replace (im->constants, node->outputs[0], v->t);
      return TRUE;
    }
  if (g_str_equal (op, "Add"))
    return tl_onnx_import_add (im, error);
  if (g_str_equal (op, "Concat"))
    return tl_onnx_import_concat (im, error);
  if (g_str_equal (op, "Mul"))
    return tl_onnx_import_mul (im, error);
  if (!g_strv_contains (tl_onnx_import_operators, op))
    {
      g_autofree char *list = g_strjoinv (", ", (char **) tl_onnx_import_operators);
      return tl_onnx_import_error (im, error, TL_ERROR_UNSUPPORTED,
                                   "the operator %s is not supported; supported are: %s",
                                   op, list);
    }
  /* the exporter may pass a shared weight through an Identity: the copy is the same constant */
  if (g_str_equal (op, "Identity") && tl_onnx_import_constant (im, 0) != NULL)
    {
      g_hash_table_replace (im->constants, node->outputs[0], (gpointer) tl_onnx_import_constant (im, 0));
      return TRUE;
    }
  if (!tl_onnx_import_layer_of (im, node->inputs[0], &x, error))
    return FALSE;
  if (g_str_equal (op, "Identity") || g_str_equal (op, "Dropout"))
    {
      tl_onnx_import_set_output (im, x);
      return TRUE;
    }
  if (g_str_equal (op, "Conv"))
    return tl_onnx_import_conv (im, x, error);
  if (g_str_equal (op, "BatchNormalization"))
    return tl_onnx_import_batchnorm (im, x, error);
  if (g_str_equal (op, "Clip"))
    return tl_onnx_import_clip (im, x, error);
  if (g_str_equal (op, "HardSigmoid"))
    return tl_onnx_import_hardsigmoid (im, x, error);
  if (g_str_equal (op, "Unsqueeze"))
    return tl_onnx_import_unsqueeze (im, x, error);
  if (g_str_equal (op, "MaxPool") || g_str_equal (op, "AveragePool"))
    return tl_onnx_import_pool (im, x, op[0] == 'M', error);
  if (g_str_equal (op, "Gemm") || g_str_equal (op, "MatMul"))
    return tl_onnx_import_dense (im, x, op[0] == 'G', error);
  if (g_str_equal (op, "Flatten") || g_str_equal (op, "Reshape"))
    return tl_onnx_import_flatten (im, x, error);
  if (g_str_equal (op, "GlobalAveragePool"))
    return tl_onnx_import_global_pool (im, x, error);
  return tl_onnx_import_activation (im, x, g_str_equal (op, "HardSwish") ? TL_LAYER_HARDSWISH : TL_LAYER_RELU,
                                    error);
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
  TlOnnxImport im = { file, path };
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

