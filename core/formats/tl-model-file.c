#define G_LOG_DOMAIN "tl-model-file"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "tl-architecture.h"
#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-model-file.h"

static void
tensor_entry_free (gpointer data)
{
  TlTensorEntry *e = data;

  g_free (e->name);
  g_free (e);
}

TlModelInfo *
tl_model_info_new (void)
{
  TlModelInfo *info = g_new0 (TlModelInfo, 1);

  info->tensors = g_ptr_array_new_with_free_func (tensor_entry_free);
  return info;
}

void
tl_model_info_free (TlModelInfo *info)
{
  if (info == NULL)
    return;
  g_strfreev (info->labels);
  g_clear_pointer (&info->preprocessing, json_node_unref);
  g_clear_pointer (&info->provenance, json_node_unref);
  g_clear_pointer (&info->architecture, json_node_unref);
  g_free (info->format_version);
  g_ptr_array_unref (info->tensors);
  g_free (info);
}

static gboolean
file_error (GError **error, int code, const char *path, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
file_error (GError **error, int code, const char *path, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, TL_ERROR, code, "%s: %s", path, msg);
  return FALSE;
}

/* Saving */

typedef struct {
  TlModel *model;
  GString *header;
} SaveJob;

/* "<layer>.<parameter>", as PyTorch's state_dict names it */
static char *
tensor_name (const TlLayer *layer, const TlParam *param)
{
  return g_strconcat (layer->name, ".", param->name, NULL);
}

/* Every tensor the file holds, layer by layer: the parameters, then the
 * buffers (running statistics), as in a PyTorch state_dict. */
typedef struct {
  TlModel *model;
  int      layer;
  int      index;        /* into params, then n_params + into buffers */
} TensorIter;

static void
tensor_iter_init (TensorIter *it, TlModel *model)
{
  it->model = model;
  it->layer = 0;
  it->index = -1;
}

static gboolean
tensor_iter_next (TensorIter *it, TlLayer **layer, TlParam **param)
{
  it->index++;
  while (it->layer < tl_model_n_layers (it->model))
    {
      TlLayer *l = tl_model_layer (it->model, it->layer);

      if (it->index < l->n_params + l->n_buffers)
        {
          if (layer)
            *layer = l;
          *param = it->index < l->n_params ? &l->params[it->index] : &l->buffers[it->index - l->n_params];
          return TRUE;
        }
      it->layer++;
      it->index = 0;
    }
  return FALSE;
}

static char *
json_text (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

static GString *
build_header (TlModel *model, const TlModelInfo *info)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) arch = tl_model_architecture_to_json (model);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonBuilder) lb = json_builder_new ();
  g_autoptr (JsonNode) labels = NULL;
  g_autofree char *arch_text = json_text (arch), *labels_text = NULL, *text = NULL;
  int n_out = tl_model_n_outputs (model);
  guint64 offset = 0;
  GString *header;
  TensorIter it;
  TlLayer *layer;
  TlParam *param;

  json_builder_begin_array (lb);
  for (int c = 0; c < n_out; c++)
    {
      g_autofree char *num = g_strdup_printf ("%d", c);
      gboolean have = info && info->labels && c < (int) g_strv_length (info->labels);

      json_builder_add_string_value (lb, have ? info->labels[c] : num);
    }
  json_builder_end_array (lb);
  labels = json_builder_get_root (lb);
  labels_text = json_text (labels);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "__metadata__");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, TL_MODEL_FILE_FORMAT);
  json_builder_set_member_name (b, "format_version");
  json_builder_add_string_value (b, TL_MODEL_FILE_FORMAT_VERSION);
  json_builder_set_member_name (b, "architecture");
  json_builder_add_string_value (b, arch_text);
  json_builder_set_member_name (b, "labels");
  json_builder_add_string_value (b, labels_text);
  json_builder_set_member_name (b, "preprocessing");
  if (info && info->preprocessing)
    {
      g_autofree char *t = json_text (info->preprocessing);
      json_builder_add_string_value (b, t);
    }
  else
    json_builder_add_string_value (b, "{}");
  json_builder_set_member_name (b, "provenance");
  if (info && info->provenance)
    {
      g_autofree char *t = json_text (info->provenance);
      json_builder_add_string_value (b, t);
    }
  else
    json_builder_add_string_value (b, "{}");
  json_builder_end_object (b);

  tensor_iter_init (&it, model);
  while (tensor_iter_next (&it, &layer, &param))
    {
      const TlTensor *t = param->value;
      g_autofree char *name = tensor_name (layer, param);

      json_builder_set_member_name (b, name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, "F32");
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (int d = 0; d < t->ndim; d++)
        json_builder_add_int_value (b, t->shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) offset);
      offset += (guint64) t->size * 4;
      json_builder_add_int_value (b, (gint64) offset);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  text = json_text (root);
  header = g_string_new (text);
  /* Spaces up to a multiple of 8 keep the tensor data aligned, as the reference writer does. */
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  return header;
}

static gboolean
write_model (FILE *fp, gpointer user_data, GError **error)
{
  SaveJob *job = user_data;
  guint64 n = GUINT64_TO_LE ((guint64) job->header->len);
  TensorIter it;
  TlParam *param;

  if (fwrite (&n, 8, 1, fp) != 1 || fwrite (job->header->str, 1, job->header->len, fp) != job->header->len)
    goto fail;
  tensor_iter_init (&it, job->model);
  while (tensor_iter_next (&it, NULL, &param))
    {
      const TlTensor *t = param->value;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      if (t->size > 0 && fwrite (t->data, sizeof (float), t->size, fp) != t->size)
        goto fail;
#else
      for (gsize k = 0; k < t->size; k++)
        {
          guint32 v;
          memcpy (&v, &t->data[k], 4);
          v = GUINT32_TO_LE (v);
          if (fwrite (&v, 4, 1, fp) != 1)
            goto fail;
        }
#endif
    }
  return TRUE;
fail:
  g_set_error (error, TL_ERROR, TL_ERROR_IO, "Short write: %s", g_strerror (errno));
  return FALSE;
}

gboolean
tl_model_file_save (const char *path, TlModel *model, const TlModelInfo *info, GError **error)
{
  g_autoptr (GError) local = NULL;
  SaveJob job;
  gboolean ok;

  g_return_val_if_fail (path != NULL && model != NULL, FALSE);

  job.model = model;
  job.header = build_header (model, info);
  ok = tl_atomic_write_file (path, write_model, &job, &local);
  g_string_free (job.header, TRUE);
  if (!ok)
    return file_error (error, local->code, path, "cannot save the model: %s", local->message);
  return TRUE;
}

/* Reading */

static gboolean
get_uint (JsonNode *n, guint64 *out)
{
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64 ||
      json_node_get_int (n) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (n);
  return TRUE;
}

static gint
compare_begin (gconstpointer a, gconstpointer b)
{
  const TlTensorEntry *x = *(const TlTensorEntry **) a, *y = *(const TlTensorEntry **) b;

  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static gboolean
parse_tensor (const char *path, const char *name, JsonNode *node, guint64 data_size, TlTensorEntry *e,
              GError **error)
{
  JsonObject *obj;
  JsonNode *m;
  JsonArray *shape, *offsets;
  guint64 elems = 1, bytes;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return file_error (error, TL_ERROR_PARSE, path, "tensor “%s” is not a JSON object", name);
  obj = json_node_get_object (node);
  m = json_object_get_member (obj, "dtype");
  if (m == NULL || !JSON_NODE_HOLDS_VALUE (m) || json_node_get_value_type (m) != G_TYPE_STRING)
    return file_error (error, TL_ERROR_PARSE, path, "tensor “%s” has no “dtype” string", name);
  if (!g_str_equal (json_node_get_string (m), "F32"))
    return file_error (error, TL_ERROR_UNSUPPORTED, path,
                       "tensor “%s” has dtype “%s”; only F32 is supported", name,
                       json_node_get_string (m));

  m = json_object_get_member (obj, "shape");
  if (m == NULL || !JSON_NODE_HOLDS_ARRAY (m))
    return file_error (error, TL_ERROR_PARSE, path, "tensor “%s” has no “shape” array", name);
  shape = json_node_get_array (m);
  if (json_array_get_length (shape) > G_N_ELEMENTS (e->shape))
    return file_error (error, TL_ERROR_PARSE, path, "tensor “%s” has %u dimensions, at most %u allowed",
                       name, json_array_get_length (shape), (guint) G_N_ELEMENTS (e->shape));
  e->ndim = (int) json_array_get_length (shape);
  for (int d = 0; d < e->ndim; d++)
    {
      guint64 v;

      if (!get_uint (json_array_get_element (shape, d), &v))
        return file_error (error, TL_ERROR_PARSE, path,
                           "tensor “%s”: shape dimension %d is not a non-negative integer", name, d);
      e->shape[d] = (gint64) v;
      if (v != 0 && elems > G_MAXUINT64 / v)
        return file_error (error, TL_ERROR_TOO_LARGE, path, "tensor “%s”: its shape overflows", name);
      elems *= v;
    }
  if (elems > G_MAXUINT64 / 4)
    return file_error (error, TL_ERROR_TOO_LARGE, path, "tensor “%s”: its size overflows", name);
  bytes = elems * 4;

  m = json_object_get_member (obj, "data_offsets");
  if (m == NULL || !JSON_NODE_HOLDS_ARRAY (m) || json_array_get_length (json_node_get_array (m)) != 2)
    return file_error (error, TL_ERROR_PARSE, path, "tensor “%s” has no “data_offsets” pair", name);
  offsets = json_node_get_array (m);
  if (!get_uint (json_array_get_element (offsets, 0), &e->begin) ||
      !get_uint (json_array_get_element (offsets, 1), &e->end) || e->end < e->begin)
    return file_error (error, TL_ERROR_PARSE, path,
                       "tensor “%s”: “data_offsets” must be two non-negative integers, begin <= end", name);
  if (e->end > data_size)
    return file_error (error, TL_ERROR_TOO_LARGE, path,
                       "tensor “%s” claims bytes %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
                       " but the data section holds only %" G_GUINT64_FORMAT " bytes",
                       name, e->begin, e->end, data_size);
  if (e->end - e->begin != bytes)
    return file_error (error, TL_ERROR_PARSE, path,
                       "tensor “%s”: shape needs %" G_GUINT64_FORMAT " bytes but its offsets span %"
                       G_GUINT64_FORMAT, name, bytes, e->end - e->begin);
  return TRUE;
}

static gboolean
parse_metadata (const char *path, JsonNode *node, TlModelInfo *info, GError **error)
{
  g_autoptr (GList) keys = NULL;
  JsonObject *obj;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return file_error (error, TL_ERROR_PARSE, path, "“__metadata__” is not a JSON object");
  obj = json_node_get_object (node);
  keys = json_object_get_members (obj);
  for (GList *l = keys; l; l = l->next)
    {
      const char *key = l->data;
      JsonNode *v = json_object_get_member (obj, key);
      g_autoptr (JsonParser) parser = NULL;
      g_autoptr (GError) local = NULL;
      const char *text;

      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        return file_error (error, TL_ERROR_PARSE, path, "metadata “%s” is not a string", key);
      text = json_node_get_string (v);
      if (g_str_equal (key, "format"))
        {
          if (!g_str_equal (text, TL_MODEL_FILE_FORMAT))
            return file_error (error, TL_ERROR_UNSUPPORTED, path,
                               "metadata “format” is “%s”, expected “%s”", text, TL_MODEL_FILE_FORMAT);
          continue;
        }
      if (g_str_equal (key, "format_version"))
        {
          g_free (info->format_version);
          info->format_version = g_strdup (text);
          continue;
        }
      if (!g_str_equal (key, "architecture") && !g_str_equal (key, "labels") &&
          !g_str_equal (key, "preprocessing") && !g_str_equal (key, "provenance"))
        continue;

      parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, text, -1, &local))
        return file_error (error, TL_ERROR_PARSE, path, "metadata “%s” is not valid JSON: %s", key,
                           local->message);
      if (g_str_equal (key, "labels"))
        {
          JsonNode *root = json_parser_get_root (parser);
          JsonArray *arr;
          guint n;

          if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
            return file_error (error, TL_ERROR_PARSE, path, "metadata “labels” is not a JSON array");
          arr = json_node_get_array (root);
          n = json_array_get_length (arr);
          g_strfreev (info->labels);
          info->labels = g_new0 (char *, n + 1);
          for (guint i = 0; i < n; i++)
            {
              JsonNode *e = json_array_get_element (arr, i);

              if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
                return file_error (error, TL_ERROR_PARSE, path, "label %u is not a string", i);
              info->labels[i] = g_strdup (json_node_get_string (e));
            }
        }
      else
        {
          JsonNode **slot = g_str_equal (key, "architecture") ? &info->architecture
                          : g_str_equal (key, "preprocessing") ? &info->preprocessing
                                                               : &info->provenance;

          g_clear_pointer (slot, json_node_unref);
          *slot = json_parser_steal_root (parser);
          /* "{}" is how a model without preprocessing is written: it has none */
          if (slot == &info->preprocessing && JSON_NODE_HOLDS_OBJECT (*slot)
              && json_object_get_size (json_node_get_object (*slot)) == 0)
            g_clear_pointer (slot, json_node_unref);
        }
    }
  if (info->format_version && !g_str_equal (info->format_version, TL_MODEL_FILE_FORMAT_VERSION))
    return file_error (error, TL_ERROR_UNSUPPORTED, path,
                       "format version “%s” is not supported (this program reads version %s)",
                       info->format_version, TL_MODEL_FILE_FORMAT_VERSION);
  return TRUE;
}

/* Checks the header bytes against a data section of data_size bytes. */
static TlModelInfo *
parse_header (const char *path, const char *hdr, gsize n, guint64 data_size, GError **error)
{
  g_autoptr (TlModelInfo) info = tl_model_info_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autoptr (GList) keys = NULL;
  g_autoptr (GPtrArray) sorted = NULL;
  JsonNode *root;
  JsonObject *obj;
  guint64 pos = 0;

  info->header_size = n;
  info->data_size = data_size;
  if (memchr (hdr, '\0', n) != NULL || !g_utf8_validate (hdr, (gssize) n, NULL))
    return file_error (error, TL_ERROR_PARSE, path, "the header is not UTF-8 text"), NULL;
  if (!json_parser_load_from_data (parser, hdr, (gssize) n, &local))
    return file_error (error, TL_ERROR_PARSE, path, "the header is not valid JSON: %s", local->message), NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return file_error (error, TL_ERROR_PARSE, path, "the header is not a JSON object"), NULL;
  obj = json_node_get_object (root);

  keys = json_object_get_members (obj);
  for (GList *l = keys; l; l = l->next)
    {
      const char *key = l->data;
      TlTensorEntry *e;

      if (g_str_equal (key, "__metadata__"))
        {
          if (!parse_metadata (path, json_object_get_member (obj, key), info, error))
            return NULL;
          continue;
        }
      e = g_new0 (TlTensorEntry, 1);
      e->name = g_strdup (key);
      g_ptr_array_add (info->tensors, e);
      if (!parse_tensor (path, key, json_object_get_member (obj, key), data_size, e, error))
        return NULL;
    }

  /* The tensors must tile the data section exactly: no gap, no overlap. */
  /* A copy would share the free function: the entries stay owned by info->tensors. */
  sorted = g_ptr_array_sized_new (info->tensors->len);
  for (guint i = 0; i < info->tensors->len; i++)
    g_ptr_array_add (sorted, info->tensors->pdata[i]);
  g_ptr_array_sort (sorted, compare_begin);
  for (guint i = 0; i < sorted->len; i++)
    {
      const TlTensorEntry *e = sorted->pdata[i];

      if (e->begin < pos)
        return file_error (error, TL_ERROR_PARSE, path,
                           "tensor “%s” (bytes %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
                           ") overlaps “%s”", e->name, e->begin, e->end,
                           ((TlTensorEntry *) sorted->pdata[i - 1])->name), NULL;
      if (e->begin > pos)
        return file_error (error, TL_ERROR_PARSE, path,
                           "bytes %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
                           " of the data section belong to no tensor", pos, e->begin), NULL;
      pos = e->end;
    }
  if (pos != data_size)
    return file_error (error, TL_ERROR_PARSE, path,
                       "the data section has %" G_GUINT64_FORMAT " bytes but the tensors cover %"
                       G_GUINT64_FORMAT, data_size, pos), NULL;
  return g_steal_pointer (&info);
}

/* Checks the 8-byte length against the file size; returns the header length. */
static gboolean
check_lengths (const char *path, const guint8 *prefix, guint64 file_size, guint64 *header_len,
               GError **error)
{
  guint64 n;

  if (file_size < 8)
    return file_error (error, TL_ERROR_PARSE, path,
                       "the file is %" G_GUINT64_FORMAT " bytes long, too short for a safetensors header",
                       file_size);
  memcpy (&n, prefix, 8);
  n = GUINT64_FROM_LE (n);
  if (n < 2)
    return file_error (error, TL_ERROR_PARSE, path, "the header length %" G_GUINT64_FORMAT " is too small", n);
  if (n > TL_MODEL_FILE_MAX_HEADER)
    return file_error (error, TL_ERROR_TOO_LARGE, path,
                       "the header claims %" G_GUINT64_FORMAT " bytes, more than the %u allowed", n,
                       TL_MODEL_FILE_MAX_HEADER);
  if (n > file_size - 8)
    return file_error (error, TL_ERROR_PARSE, path,
                       "the header claims %" G_GUINT64_FORMAT " bytes but only %" G_GUINT64_FORMAT
                       " follow the length (truncated file?)", n, file_size - 8);
  *header_len = n;
  return TRUE;
}

TlModelInfo *
tl_model_file_read_header (const char *path, GError **error)
{
  g_autofree char *hdr = NULL;
  guint8 prefix[8] = { 0 };
  guint64 n = 0, size;
  struct stat st;
  FILE *fp;
  TlModelInfo *info;

  g_return_val_if_fail (path != NULL, NULL);

  fp = g_fopen (path, "rb");
  if (fp == NULL)
    return file_error (error, TL_ERROR_IO, path, "%s", g_strerror (errno)), NULL;
  if (fstat (fileno (fp), &st) != 0)
    {
      file_error (error, TL_ERROR_IO, path, "%s", g_strerror (errno));
      fclose (fp);
      return NULL;
    }
  size = (guint64) st.st_size;
  if ((size >= 8 && fread (prefix, 1, 8, fp) != 8) || !check_lengths (path, prefix, size, &n, error))
    {
      if (error && *error == NULL)
        file_error (error, TL_ERROR_IO, path, "cannot read the header length");
      fclose (fp);
      return NULL;
    }
  hdr = g_malloc (n + 1);
  if (fread (hdr, 1, n, fp) != n)
    {
      file_error (error, TL_ERROR_IO, path, "cannot read the %" G_GUINT64_FORMAT "-byte header", n);
      fclose (fp);
      return NULL;
    }
  fclose (fp);
  hdr[n] = '\0';
  info = parse_header (path, hdr, n, size - 8 - n, error);
  return info;
}

static guint64
values_per_sample (int ndim, const int *shape)
{
  guint64 n = 1;

  for (int d = 0; d < ndim; d++)
    {
      n *= (guint64) MAX (shape[d], 0);
      if (n > TL_MODEL_FILE_MAX_SAMPLE_VALUES)
        break;
    }
  return n;
}

/* Shapes come from the file: their products may not even fit in an int. */
static gboolean
check_sample_sizes (const char *path, const TlModel *model, GError **error)
{
  g_autofree char *shape = NULL;

  if (values_per_sample (model->in_ndim, model->in_shape) > TL_MODEL_FILE_MAX_SAMPLE_VALUES)
    {
      shape = tl_tensor_shape_string (model->in_ndim, model->in_shape);
      return file_error (error, TL_ERROR_TOO_LARGE, path,
                         "the input shape %s has more than %" G_GUINT64_FORMAT " values per sample",
                         shape, TL_MODEL_FILE_MAX_SAMPLE_VALUES);
    }
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      const TlLayer *layer = tl_model_layer (model, i);

      if (values_per_sample (layer->out_ndim, layer->out_shape) > TL_MODEL_FILE_MAX_SAMPLE_VALUES)
        {
          shape = tl_tensor_shape_string (layer->out_ndim, layer->out_shape);
          return file_error (error, TL_ERROR_TOO_LARGE, path,
                             "layer “%s” outputs %s, more than %" G_GUINT64_FORMAT " values per sample",
                             layer->name, shape, TL_MODEL_FILE_MAX_SAMPLE_VALUES);
        }
    }
  return TRUE;
}

/* Copies the tensor of param from the data section, after checking its shape. */
static gboolean
load_tensor (const char *path, const char *name, const TlTensorEntry *e, const guint8 *data, TlTensor *t,
             GError **error)
{
  g_autofree char *want = tl_tensor_shape_string (t->ndim, t->shape);
  gboolean same = e != NULL && e->ndim == t->ndim;

  if (e == NULL)
    return file_error (error, TL_ERROR_PARSE, path, "tensor “%s” %s is missing", name, want);
  for (int d = 0; same && d < t->ndim; d++)
    same = e->shape[d] == t->shape[d];
  if (!same)
    {
      g_autoptr (GString) got = g_string_new ("[");

      for (int d = 0; d < e->ndim; d++)
        g_string_append_printf (got, "%s%" G_GINT64_FORMAT, d ? ", " : "", e->shape[d]);
      g_string_append_c (got, ']');
      return file_error (error, TL_ERROR_PARSE, path, "tensor “%s” has shape %s but the architecture needs %s",
                         name, got->str, want);
    }
  memcpy (t->data, data + e->begin, t->size * sizeof (float));
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
  for (gsize k = 0; k < t->size; k++)
    {
      guint32 v;
      memcpy (&v, &t->data[k], 4);
      v = GUINT32_FROM_LE (v);
      memcpy (&t->data[k], &v, 4);
    }
#endif
  return TRUE;
}

/* Fills every parameter of model from its tensor; a tensor that fills none is an error. */
static gboolean
load_weights (const char *path, TlModel *model, const TlModelInfo *info, const guint8 *data, GError **error)
{
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  TensorIter it;
  TlLayer *layer;
  TlParam *param;
  guint used = 0;

  for (guint i = 0; i < info->tensors->len; i++)
    {
      TlTensorEntry *e = info->tensors->pdata[i];

      g_hash_table_insert (by_name, e->name, e);
    }
  tensor_iter_init (&it, model);
  while (tensor_iter_next (&it, &layer, &param))
    {
      g_autofree char *name = tensor_name (layer, param);

      if (!load_tensor (path, name, g_hash_table_lookup (by_name, name), data, param->value, error))
        return FALSE;
      used++;
    }
  if (used != info->tensors->len)
    for (guint i = 0; i < info->tensors->len; i++)
      {
        TlTensorEntry *e = info->tensors->pdata[i];
        g_auto (GStrv) parts = g_strsplit (e->name, ".", 2);
        int li = parts[0] ? tl_model_find_layer (model, parts[0]) : -1;

        if (li < 0 || parts[1] == NULL
            || (tl_layer_find_param (tl_model_layer (model, li), parts[1]) == NULL
                && tl_layer_find_buffer (tl_model_layer (model, li), parts[1]) == NULL))
          return file_error (error, TL_ERROR_PARSE, path,
                             "tensor “%s” belongs to no parameter of the architecture", e->name);
      }
  return TRUE;
}

/* A member that is a string, or NULL (whatever else it is). */
static const char *
string_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

/* A member that is a whole number, or -1. */
static gint64
int_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return -1;
  return json_node_get_int (n);
}

/* Rows of the table the n-gram features address (ids 0 .. rows - 1), as
 * tl_ngram_features_from_json counts them: a hashing size plus the empty
 * slot, or the terms plus the empty and unknown slots; -1 when neither is there. */
static gint64
ngram_rows (JsonObject *ngrams)
{
  gint64 hash_size = int_member (ngrams, "hash_size");
  JsonNode *terms = json_object_get_member (ngrams, "terms");

  if (hash_size > 0)
    return hash_size + 1;
  if (terms != NULL && JSON_NODE_HOLDS_ARRAY (terms))
    return (gint64) json_array_get_length (json_node_get_array (terms)) + 2;
  return -1;
}

gboolean
tl_model_check_preprocessing (TlModel *model, JsonNode *preprocessing, GError **error)
{
  TlLayer *bag;
  JsonObject *o, *ngrams;
  JsonNode *ngrams_node;
  const char *kind, *features;
  gint64 rows, max_terms;

  g_return_val_if_fail (model != NULL, FALSE);

  if (tl_model_n_layers (model) == 0 || tl_model_layer (model, 0)->spec.kind != TL_LAYER_EMBEDDING_BAG)
    return TRUE;
  bag = tl_model_layer (model, 0);
  /* no preprocessing ({} or none), or not one of Transfer Lab's: nothing to compare */
  if (preprocessing == NULL || !JSON_NODE_HOLDS_OBJECT (preprocessing))
    return TRUE;
  o = json_node_get_object (preprocessing);
  if ((kind = string_member (o, "kind")) == NULL)
    return TRUE;

  features = string_member (o, "features");
  ngrams_node = json_object_get_member (o, "ngrams");
  if (!g_str_equal (kind, "text") || g_strcmp0 (features, "ngrams") != 0 ||
      ngrams_node == NULL || !JSON_NODE_HOLDS_OBJECT (ngrams_node))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "layer %s (embedding_bag) reads bags of n-grams, but the preprocessing makes %s %s "
                   "features: the model and its preprocessing do not belong together",
                   bag->name, kind, features ? features : "(no n-gram)");
      return FALSE;
    }
  ngrams = json_node_get_object (ngrams_node);
  rows = ngram_rows (ngrams);
  if (rows != bag->spec.vocab_size)
    {
      if (rows < 0)
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     "layer %s (embedding_bag) has a table of %d rows, but the preprocessing's n-gram "
                     "features have neither “terms” nor a “hash_size”", bag->name, bag->spec.vocab_size);
      else
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     "layer %s (embedding_bag) has a table of %d rows (vocab_size), but the preprocessing's "
                     "n-gram vocabulary gives ids 0 to %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT " rows: "
                     "the model and its preprocessing do not belong together",
                     bag->name, bag->spec.vocab_size, rows - 1, rows);
      return FALSE;
    }
  max_terms = int_member (ngrams, "max_terms");
  if (max_terms != bag->in_shape[1])
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "layer %s (embedding_bag) takes bags of %d terms, but the preprocessing writes "
                   "%" G_GINT64_FORMAT " (“max_terms”): the model and its preprocessing do not belong together",
                   bag->name, bag->in_shape[1], max_terms);
      return FALSE;
    }
  return TRUE;
}

TlModel *
tl_model_file_load (const char *path, TlModelInfo **info_out, GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlArchitecture) arch = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (GError) local = NULL;
  const guint8 *bytes, *data;
  guint64 size, n = 0;

  g_return_val_if_fail (path != NULL, NULL);

  mapped = g_mapped_file_new (path, FALSE, &local);
  if (mapped == NULL)
    return file_error (error, TL_ERROR_IO, path, "%s", local->message), NULL;
  bytes = (const guint8 *) g_mapped_file_get_contents (mapped);
  size = g_mapped_file_get_length (mapped);
  if (!check_lengths (path, bytes, size, &n, error))
    return NULL;
  info = parse_header (path, (const char *) bytes + 8, n, size - 8 - n, error);
  if (info == NULL)
    return NULL;
  data = bytes + 8 + n;

  if (info->format_version == NULL)
    return file_error (error, TL_ERROR_UNSUPPORTED, path,
                       "no “format_version” in “__metadata__”: not a Transfer Lab model"), NULL;
  if (info->architecture == NULL || info->labels == NULL)
    return file_error (error, TL_ERROR_PARSE, path,
                       "“__metadata__” lacks “architecture” or “labels”"), NULL;
  arch = tl_architecture_from_json (info->architecture, &local);
  if (arch == NULL)
    return file_error (error, local->code, path, "%s", local->message), NULL;
  /* Every parameter has 4 bytes in the data section, so this bounds what the model may allocate. */
  model = tl_architecture_build (arch, 0, MAX (info->data_size / 4, 1), &local);
  if (model == NULL)
    return file_error (error, local->code, path, "%s", local->message), NULL;
  if (!check_sample_sizes (path, model, error))
    return NULL;
  if ((int) g_strv_length (info->labels) != tl_model_n_outputs (model))
    return file_error (error, TL_ERROR_PARSE, path, "%u labels for a model with %d outputs",
                       g_strv_length (info->labels), tl_model_n_outputs (model)), NULL;
  if (!tl_model_check_preprocessing (model, info->preprocessing, &local))
    return file_error (error, local->code, path, "%s", local->message), NULL;

  if (!load_weights (path, model, info, data, error))
    return NULL;

  if (info_out)
    *info_out = g_steal_pointer (&info);
  return g_steal_pointer (&model);
}
