#define G_LOG_DOMAIN "tl-onnx"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "tl-error.h"
#include "tl-onnx-graph.h"
#include "tl-onnx-reader.h"
#include "tl-protobuf-reader.h"

/* Files beyond this are refused before they are read: ONNX keeps inline data under 2 GB. */
#define MAX_FILE_BYTES ((gsize) 2 << 30)

enum {
  NODE_DOMAIN = 7,
  ATTR_FLOATS = 7,
  ATTR_T = 5,
  TENSOR_INT32_DATA = 5,
  TENSOR_RAW_DATA = 9,
  TENSOR_DATA_LOCATION = 14,
  GRAPH_VALUE_INFO = 13,
  DTYPE_FLOAT_ = 1,
  DTYPE_INT32_ = 6,
  DTYPE_INT64_ = 7,
};

void
tl_onnx_tensor_free (TlOnnxTensor *t)
{
  if (t == NULL)
    return;
  g_free (t->name);
  g_free (t->floats);
  g_free (t->ints);
  g_free (t);
}

static void
attr_free (gpointer data)
{
  TlOnnxAttr *a = data;

  g_free (a->name);
  g_free (a->s);
  if (a->ints)
    g_array_unref (a->ints);
  if (a->floats)
    g_array_unref (a->floats);
  tl_onnx_tensor_free (a->t);
  g_free (a);
}

static void
node_free (gpointer data)
{
  TlOnnxNode *n = data;

  g_free (n->name);
  g_free (n->op_type);
  g_free (n->domain);
  g_strfreev (n->inputs);
  g_strfreev (n->outputs);
  g_ptr_array_unref (n->attrs);
  g_free (n);
}

static void
value_info_free (gpointer data)
{
  TlOnnxValueInfo *v = data;

  g_free (v->name);
  g_free (v);
}

void
tl_onnx_file_free (TlOnnxFile *file)
{
  if (file == NULL)
    return;
  g_ptr_array_unref (file->nodes);
  g_hash_table_unref (file->initializers);
  g_ptr_array_unref (file->inputs);
  g_ptr_array_unref (file->outputs);
  g_hash_table_unref (file->metadata);
  g_free (file);
}

const TlOnnxAttr *
tl_onnx_node_attr (const TlOnnxNode *node, const char *name)
{
  for (guint i = 0; i < node->attrs->len; i++)
    {
      const TlOnnxAttr *a = node->attrs->pdata[i];
      if (g_strcmp0 (a->name, name) == 0)
        return a;
    }
  return NULL;
}

static gboolean
fail (GError **error, const TlPbReader *r, const guint8 *at, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, const TlPbReader *r, const guint8 *at, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "byte %" G_GSIZE_FORMAT ": %s", tl_pb_reader_offset (r, at), msg);
  return FALSE;
}

static gboolean
read_string (const TlPbReader *r, const TlPbField *f, char **out, GError **error)
{
  char *s = tl_pb_field_string (r, f, error);

  if (s == NULL)
    return FALSE;
  g_free (*out);
  *out = s;
  return TRUE;
}

static TlOnnxTensor *
parse_tensor (const TlPbReader *parent, const TlPbField *msg, GError **error)
{
  g_autoptr (GArray) dims = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) floats = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr (GArray) ints = g_array_new (FALSE, FALSE, sizeof (gint64));
  TlOnnxTensor *t = g_new0 (TlOnnxTensor, 1);
  const guint8 *raw = NULL;
  gsize raw_len = 0, elem;
  gboolean external = FALSE;
  guint64 n = 1;
  TlPbReader r;
  TlPbField f;

  tl_pb_reader_sub (&r, parent, msg);
  while (tl_pb_reader_next (&r, &f, error))
    {
      gboolean ok = TRUE;

      switch (f.field)
        {
        case TENSOR_DIMS:
          ok = tl_pb_field_ints (&r, &f, dims, error);
          break;
        case TENSOR_DATA_TYPE:
          t->data_type = (int) f.value;
          break;
        case TENSOR_FLOAT_DATA:
          ok = tl_pb_field_floats (&r, &f, floats, error);
          break;
        case TENSOR_INT32_DATA:
        case TENSOR_INT64_DATA:
          ok = tl_pb_field_ints (&r, &f, ints, error);
          break;
        case TENSOR_NAME:
          ok = read_string (&r, &f, &t->name, error);
          break;
        case TENSOR_RAW_DATA:
          raw = f.data;
          raw_len = f.len;
          break;
        case TENSOR_DATA_LOCATION:
          external = f.value == 1;
          break;
        default:
          break;
        }
      if (!ok)
        goto fail;
    }
  if (error && *error)
    goto fail;

  if (external)
    {
      fail (error, parent, msg->data, "tensor “%s” keeps its data in an external file, which is not supported",
            t->name ? t->name : "");
      goto fail;
    }
  if (dims->len > TL_ONNX_MAX_DIMS)
    {
      fail (error, parent, msg->data, "tensor “%s” has %u dimensions, at most %d are supported",
            t->name ? t->name : "", dims->len, TL_ONNX_MAX_DIMS);
      goto fail;
    }
  t->ndim = (int) dims->len;
  for (int d = 0; d < t->ndim; d++)
    {
      gint64 v = g_array_index (dims, gint64, d);

      if (v < 0 || (v > 0 && n > G_MAXUINT32 / (guint64) v))
        {
          fail (error, parent, msg->data, "tensor “%s”: dimension %d (%" G_GINT64_FORMAT ") is negative or too large",
                t->name ? t->name : "", d, v);
          goto fail;
        }
      t->dims[d] = v;
      n *= (guint64) v;
    }
  t->n = (gsize) n;
  if (t->data_type != DTYPE_FLOAT_ && t->data_type != DTYPE_INT64_ && t->data_type != DTYPE_INT32_)
    {
      fail (error, parent, msg->data, "tensor “%s” has data type %d; only float32, int32 and int64 are supported",
            t->name ? t->name : "", t->data_type);
      goto fail;
    }
  elem = t->data_type == DTYPE_INT64_ ? 8 : 4;
  if (raw != NULL)
    {
      if (raw_len != t->n * elem)
        {
          fail (error, parent, msg->data, "tensor “%s”: its dimensions need %" G_GSIZE_FORMAT " bytes but it holds %"
                G_GSIZE_FORMAT, t->name ? t->name : "", t->n * elem, raw_len);
          goto fail;
        }
      if (t->data_type == DTYPE_FLOAT_)
        {
          TlPbField as_floats = { .wire = TL_PB_LEN, .data = raw, .len = raw_len };
          g_array_set_size (floats, 0);
          tl_pb_field_floats (&r, &as_floats, floats, NULL);
        }
      else
        {
          g_array_set_size (ints, 0);
          for (gsize i = 0; i < t->n; i++)
            {
              guint64 v = 0;

              for (int b = (int) elem - 1; b >= 0; b--)
                v = (v << 8) | raw[i * elem + b];
              if (elem == 4)
                v = (guint64) (gint64) (gint32) (guint32) v;
              g_array_append_val (ints, v);
            }
        }
    }
  if ((t->data_type == DTYPE_FLOAT_ ? floats->len : ints->len) != t->n)
    {
      fail (error, parent, msg->data, "tensor “%s”: its dimensions need %" G_GSIZE_FORMAT " values but it holds %u",
            t->name ? t->name : "", t->n, t->data_type == DTYPE_FLOAT_ ? floats->len : ints->len);
      goto fail;
    }
  if (t->data_type == DTYPE_FLOAT_)
    t->floats = (float *) g_array_free (g_steal_pointer (&floats), FALSE);
  else
    {
      t->data_type = DTYPE_INT64_;
      t->ints = (gint64 *) g_array_free (g_steal_pointer (&ints), FALSE);
    }
  return t;

fail:
  tl_onnx_tensor_free (t);
  return NULL;
}

static TlOnnxAttr *
parse_attr (const TlPbReader *parent, const TlPbField *msg, GError **error)
{
  TlOnnxAttr *a = g_new0 (TlOnnxAttr, 1);
  TlPbReader r;
  TlPbField f;

  a->ints = g_array_new (FALSE, FALSE, sizeof (gint64));
  a->floats = g_array_new (FALSE, FALSE, sizeof (float));
  tl_pb_reader_sub (&r, parent, msg);
  while (tl_pb_reader_next (&r, &f, error))
    {
      gboolean ok = TRUE;

      switch (f.field)
        {
        case ATTR_NAME:
          ok = read_string (&r, &f, &a->name, error);
          break;
        case ATTR_F:
          {
            guint32 bits = (guint32) f.value;
            memcpy (&a->f, &bits, 4);
          }
          break;
        case ATTR_I:
          a->i = (gint64) f.value;
          break;
        case ATTR_S:
          ok = read_string (&r, &f, &a->s, error);
          break;
        case ATTR_T:
          if (f.wire == TL_PB_LEN)
            {
              tl_onnx_tensor_free (a->t);
              a->t = parse_tensor (&r, &f, error);
              ok = a->t != NULL;
            }
          break;
        case ATTR_FLOATS:
          ok = tl_pb_field_floats (&r, &f, a->floats, error);
          break;
        case ATTR_INTS:
          ok = tl_pb_field_ints (&r, &f, a->ints, error);
          break;
        case ATTR_TYPE:
          a->type = (int) f.value;
          break;
        default:
          break;
        }
      if (!ok)
        break;
    }
  if (error && *error)
    {
      attr_free (a);
      return NULL;
    }
  return a;
}

static TlOnnxNode *
parse_node (const TlPbReader *parent, const TlPbField *msg, GError **error)
{
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) outputs = g_ptr_array_new_with_free_func (g_free);
  TlOnnxNode *n = g_new0 (TlOnnxNode, 1);
  TlPbReader r;
  TlPbField f;

  n->attrs = g_ptr_array_new_with_free_func (attr_free);
  tl_pb_reader_sub (&r, parent, msg);
  while (tl_pb_reader_next (&r, &f, error))
    {
      char *s = NULL;
      gboolean ok = TRUE;

      switch (f.field)
        {
        case NODE_INPUT:
        case NODE_OUTPUT:
          ok = (s = tl_pb_field_string (&r, &f, error)) != NULL;
          if (ok)
            g_ptr_array_add (f.field == NODE_INPUT ? inputs : outputs, s);
          break;
        case NODE_NAME:
          ok = read_string (&r, &f, &n->name, error);
          break;
        case NODE_OP_TYPE:
          ok = read_string (&r, &f, &n->op_type, error);
          break;
        case NODE_DOMAIN:
          ok = read_string (&r, &f, &n->domain, error);
          break;
        case NODE_ATTRIBUTE:
          if (f.wire == TL_PB_LEN)
            {
              TlOnnxAttr *a = parse_attr (&r, &f, error);
              ok = a != NULL;
              if (ok)
                g_ptr_array_add (n->attrs, a);
            }
          break;
        default:
          break;
        }
      if (!ok)
        break;
    }
  g_ptr_array_add (inputs, NULL);
  g_ptr_array_add (outputs, NULL);
  n->inputs = (char **) g_ptr_array_free (g_steal_pointer (&inputs), FALSE);
  n->outputs = (char **) g_ptr_array_free (g_steal_pointer (&outputs), FALSE);
  if ((error && *error) || n->op_type == NULL)
    {
      if (!(error && *error))
        fail (error, parent, msg->data, "a node has no operator type");
      node_free (n);
      return NULL;
    }
  if (n->name == NULL)
    n->name = g_strdup (n->outputs[0] ? n->outputs[0] : n->op_type);
  return n;
}

/* ValueInfoProto: name, and the shape of a tensor type. */
static TlOnnxValueInfo *
parse_value_info (const TlPbReader *parent, const TlPbField *msg, GError **error)
{
  TlOnnxValueInfo *v = g_new0 (TlOnnxValueInfo, 1);
  g_autoptr (GError) local = NULL;
  TlPbReader r, type_r, tensor_r, shape_r, dim_r;
  TlPbField f, g, h, d, e;

  v->ndim = -1;
  tl_pb_reader_sub (&r, parent, msg);
  while (local == NULL && tl_pb_reader_next (&r, &f, &local))
    {
      if (f.field == VALUE_INFO_NAME && !read_string (&r, &f, &v->name, &local))
        break;
      if (f.field != VALUE_INFO_TYPE || f.wire != TL_PB_LEN)
        continue;
      tl_pb_reader_sub (&type_r, &r, &f);
      while (local == NULL && tl_pb_reader_next (&type_r, &g, &local))
        {
          if (g.field != TYPE_TENSOR_TYPE || g.wire != TL_PB_LEN)
            continue;
          tl_pb_reader_sub (&tensor_r, &type_r, &g);
          while (local == NULL && tl_pb_reader_next (&tensor_r, &h, &local))
            {
              if (h.field == TENSOR_TYPE_ELEM_TYPE)
                v->elem_type = (int) h.value;
              if (h.field != TENSOR_TYPE_SHAPE || h.wire != TL_PB_LEN)
                continue;
              v->ndim = 0;
              tl_pb_reader_sub (&shape_r, &tensor_r, &h);
              while (local == NULL && tl_pb_reader_next (&shape_r, &d, &local))
                {
                  if (d.field != SHAPE_DIM || d.wire != TL_PB_LEN)
                    continue;
                  if (v->ndim >= TL_ONNX_MAX_DIMS)
                    {
                      fail (&local, &shape_r, d.data, "value “%s” has more than %d dimensions",
                            v->name ? v->name : "", TL_ONNX_MAX_DIMS);
                      break;
                    }
                  v->dims[v->ndim] = -1;
                  tl_pb_reader_sub (&dim_r, &shape_r, &d);
                  while (local == NULL && tl_pb_reader_next (&dim_r, &e, &local))
                    if (e.field == DIM_VALUE && e.wire == TL_PB_VARINT && (gint64) e.value >= 0)
                      v->dims[v->ndim] = (gint64) e.value;
                  v->ndim++;
                }
            }
        }
    }
  if (local == NULL && v->name == NULL)
    fail (&local, parent, msg->data, "a graph input or output has no name");
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      value_info_free (v);
      return NULL;
    }
  return v;
}

static gboolean
parse_graph (TlOnnxFile *file, const TlPbReader *parent, const TlPbField *msg, GError **error)
{
  TlPbReader r;
  TlPbField f;

  tl_pb_reader_sub (&r, parent, msg);
  while (tl_pb_reader_next (&r, &f, error))
    {
      if (f.wire != TL_PB_LEN)
        continue;
      if (f.field == GRAPH_NODE)
        {
          TlOnnxNode *n = parse_node (&r, &f, error);
          if (n == NULL)
            return FALSE;
          g_ptr_array_add (file->nodes, n);
        }
      else if (f.field == GRAPH_INITIALIZER)
        {
          TlOnnxTensor *t = parse_tensor (&r, &f, error);
          if (t == NULL)
            return FALSE;
          if (t->name == NULL)
            {
              tl_onnx_tensor_free (t);
              return fail (error, &r, f.data, "an initializer has no name");
            }
          g_hash_table_replace (file->initializers, t->name, t);
        }
      else if (f.field == GRAPH_INPUT || f.field == GRAPH_OUTPUT)
        {
          TlOnnxValueInfo *v = parse_value_info (&r, &f, error);
          if (v == NULL)
            return FALSE;
          g_ptr_array_add (f.field == GRAPH_INPUT ? file->inputs : file->outputs, v);
        }
    }
  return !(error && *error);
}

TlOnnxFile *
tl_onnx_file_parse (const char *path, const guint8 *data, gsize len, GError **error)
{
  g_autoptr (TlOnnxFile) file = g_new0 (TlOnnxFile, 1);
  g_autoptr (GError) local = NULL;
  gboolean have_graph = FALSE;
  TlPbReader r;
  TlPbField f;

  file->nodes = g_ptr_array_new_with_free_func (node_free);
  file->initializers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify) tl_onnx_tensor_free);
  file->inputs = g_ptr_array_new_with_free_func (value_info_free);
  file->outputs = g_ptr_array_new_with_free_func (value_info_free);
  file->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  tl_pb_reader_init (&r, data, len);
  while (tl_pb_reader_next (&r, &f, &local))
    {
      if (f.field == MODEL_IR_VERSION && f.wire == TL_PB_VARINT)
        file->ir_version = (gint64) f.value;
      else if (f.field == MODEL_GRAPH && f.wire == TL_PB_LEN)
        {
          if (!parse_graph (file, &r, &f, &local))
            break;
          have_graph = TRUE;
        }
      else if (f.field == MODEL_OPSET_IMPORT && f.wire == TL_PB_LEN)
        {
          g_autofree char *domain = NULL;
          gint64 version = 0;
          TlPbReader o;
          TlPbField g;

          tl_pb_reader_sub (&o, &r, &f);
          while (tl_pb_reader_next (&o, &g, &local))
            if (g.field == OPSET_DOMAIN && !read_string (&o, &g, &domain, &local))
              break;
            else if (g.field == OPSET_VERSION && g.wire == TL_PB_VARINT)
              version = (gint64) g.value;
          if (local)
            break;
          if (domain == NULL || *domain == '\0' || g_str_equal (domain, "ai.onnx"))
            file->opset = version;
        }
      else if (f.field == MODEL_METADATA_PROPS && f.wire == TL_PB_LEN)
        {
          g_autofree char *key = NULL, *value = NULL;
          TlPbReader o;
          TlPbField g;

          tl_pb_reader_sub (&o, &r, &f);
          while (tl_pb_reader_next (&o, &g, &local))
            if ((g.field == ENTRY_KEY && !read_string (&o, &g, &key, &local))
                || (g.field == ENTRY_VALUE && !read_string (&o, &g, &value, &local)))
              break;
          if (local)
            break;
          if (key != NULL)
            g_hash_table_replace (file->metadata, g_steal_pointer (&key), value ? g_steal_pointer (&value) : g_strdup (""));
        }
    }
  if (local == NULL && !have_graph)
    g_set_error (&local, TL_ERROR, TL_ERROR_PARSE, "no graph: this is not an ONNX model");
  if (local != NULL)
    {
      g_set_error (error, local->domain, local->code, "%s: %s", path, local->message);
      return NULL;
    }
  return g_steal_pointer (&file);
}

TlOnnxFile *
tl_onnx_file_read (const char *path, GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GError) local = NULL;
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int e = errno;
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", path, g_strerror (e));
      return NULL;
    }
  if ((guint64) st.st_size > MAX_FILE_BYTES)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE, "%s: %" G_GUINT64_FORMAT
                   " bytes, more than the 2 GB an ONNX file with inline weights can hold", path,
                   (guint64) st.st_size);
      return NULL;
    }
  mapped = g_mapped_file_new (path, FALSE, &local);
  if (mapped == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", path, local->message);
      return NULL;
    }
  return tl_onnx_file_parse (path, (const guint8 *) g_mapped_file_get_contents (mapped),
                             g_mapped_file_get_length (mapped), error);
}
