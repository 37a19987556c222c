#define G_LOG_DOMAIN "tl-torch"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-torch-tensors.h"

/* safetensors: u64 little-endian header length, the JSON header (padded with
 * spaces to 8 bytes), then the raw little-endian tensors. */

#define MAX_HEADER (100u * 1024u * 1024u)

static const char *const kind_names[] = { "tabular", "image", "text", "audio" };

/* A member that is an object (or array), or NULL: json-glib warns on absent members. */
static JsonObject *
object_member (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
array_member (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static void
add_entry (JsonBuilder *b, const char *name, int ndim, const gint64 *shape, gsize begin, gsize end)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "dtype");
  json_builder_add_string_value (b, "F32");
  json_builder_set_member_name (b, "shape");
  json_builder_begin_array (b);
  for (int i = 0; i < ndim; i++)
    json_builder_add_int_value (b, shape[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "data_offsets");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, (gint64) begin);
  json_builder_add_int_value (b, (gint64) end);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

gboolean
tl_torch_tensors_write_splits (const char *path, const char *const *split_names, const TlDataset *const *splits,
                               int n_splits, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonBuilder) classes = json_builder_new ();
  g_autoptr (JsonNode) classes_node = NULL;
  g_autoptr (JsonNode) header = NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree char *classes_text = NULL, *text = NULL;
  const TlDataset *first = NULL;
  gsize offset = 0, len;
  guint64 len_le;

  for (int s = 0; s < n_splits; s++)
    if (splits[s] != NULL && first == NULL)
      first = splits[s];
  g_return_val_if_fail (first != NULL, FALSE);

  json_builder_begin_array (classes);
  for (int c = 0; c < first->n_classes; c++)
    json_builder_add_string_value (classes, first->class_names[c]);
  json_builder_end_array (classes);
  classes_node = json_builder_get_root (classes);
  classes_text = json_to_string (classes_node, FALSE);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "__metadata__");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "classes");
  json_builder_add_string_value (b, classes_text);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, kind_names[first->kind]);
  json_builder_end_object (b);
  for (int s = 0; s < n_splits; s++)
    {
      const TlDataset *ds = splits[s];
      gint64 shape[TL_MAX_DIMS];
      g_autofree char *xname = NULL, *yname = NULL;
      gsize xbytes;

      if (ds == NULL || ds->n == 0)
        continue;
      shape[0] = ds->n;
      for (int i = 0; i < ds->sample_ndim; i++)
        shape[i + 1] = ds->sample_shape[i];
      xname = g_strdup_printf ("%s.x", split_names[s]);
      yname = g_strdup_printf ("%s.y", split_names[s]);
      xbytes = (gsize) ds->n * ds->sample_size * sizeof (float);
      add_entry (b, xname, ds->sample_ndim + 1, shape, offset, offset + xbytes);
      offset += xbytes;
      add_entry (b, yname, 1, shape, offset, offset + (gsize) ds->n * sizeof (float));
      offset += (gsize) ds->n * sizeof (float);
    }
  json_builder_end_object (b);
  header = json_builder_get_root (b);
  text = json_to_string (header, FALSE);
  len = strlen (text);
  len_le = GUINT64_TO_LE ((guint64) ((len + 7) / 8 * 8));
  g_byte_array_append (out, (const guint8 *) &len_le, 8);
  g_byte_array_append (out, (const guint8 *) text, len);
  while (out->len % 8 != 0)
    g_byte_array_append (out, (const guint8 *) " ", 1);
  for (int s = 0; s < n_splits; s++)
    {
      const TlDataset *ds = splits[s];

      if (ds == NULL || ds->n == 0)
        continue;
      if (ds->x != NULL)
        g_byte_array_append (out, (const guint8 *) ds->x, ds->n * ds->sample_size * sizeof (float));
      else
        {
          g_autofree float *row = g_new (float, MAX (ds->sample_size, 1));

          for (int i = 0; i < ds->n; i++)
            g_byte_array_append (out, (const guint8 *) tl_dataset_row (ds, i, row),
                                 ds->sample_size * sizeof (float));
        }
      for (int i = 0; i < ds->n; i++)
        {
          float label = (float) ds->y[i];
          g_byte_array_append (out, (const guint8 *) &label, sizeof label);
        }
    }
  return tl_atomic_write_bytes (path, out->data, out->len, error);
}

typedef struct {
  GMappedFile *file;
  JsonNode    *header;
  const char  *data;
  gsize        data_len;
} SafeFile;

static void
safe_file_clear (SafeFile *f)
{
  g_clear_pointer (&f->header, json_node_unref);
  g_clear_pointer (&f->file, g_mapped_file_unref);
}

static gboolean
safe_file_open (SafeFile *f, const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  const char *raw;
  gsize size;
  guint64 n;

  memset (f, 0, sizeof *f);
  f->file = g_mapped_file_new (path, FALSE, &local);
  if (f->file == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot read it: %s", path, local->message);
      return FALSE;
    }
  raw = g_mapped_file_get_contents (f->file);
  size = g_mapped_file_get_length (f->file);
  if (size < 8)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: too short for a safetensors file", path);
      return FALSE;
    }
  memcpy (&n, raw, 8);
  n = GUINT64_FROM_LE (n);
  if (n > MAX_HEADER || n > size - 8)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: the header length %" G_GUINT64_FORMAT
                   " does not fit the file", path, n);
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, raw + 8, (gssize) n, &local)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: the header is not a JSON object%s%s", path,
                   local ? ": " : "", local ? local->message : "");
      return FALSE;
    }
  f->header = json_node_ref (json_parser_get_root (parser));
  f->data = raw + 8 + n;
  f->data_len = size - 8 - n;
  return TRUE;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SafeFile, safe_file_clear)

/* The values of one F32 tensor, checked against the file; NULL without an error when absent. */
static float *
safe_file_tensor (SafeFile *f, const char *path, const char *name, int *ndim, gint64 *shape, int max_ndim,
                  GError **error)
{
  JsonObject *root = json_node_get_object (f->header);
  JsonObject *entry;
  JsonArray *dims, *offsets;
  gsize count = 1;
  gint64 begin, end;

  if (!json_object_has_member (root, name))
    return NULL;
  entry = object_member (root, name);
  if (entry == NULL || g_strcmp0 (json_object_get_string_member_with_default (entry, "dtype", ""), "F32") != 0
      || (dims = array_member (entry, "shape")) == NULL
      || (offsets = array_member (entry, "data_offsets")) == NULL
      || json_array_get_length (offsets) != 2 || (int) json_array_get_length (dims) > max_ndim)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "%s: tensor %s: expected F32 with a shape of at most %d dimensions and data_offsets", path,
                   name, max_ndim);
      return NULL;
    }
  *ndim = (int) json_array_get_length (dims);
  for (int i = 0; i < *ndim; i++)
    {
      shape[i] = json_array_get_int_element (dims, i);
      if (shape[i] < 0 || (shape[i] > 0 && count > G_MAXSIZE / 4 / (gsize) shape[i]))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: tensor %s: a dimension out of range", path, name);
          return NULL;
        }
      count *= (gsize) shape[i];
    }
  begin = json_array_get_int_element (offsets, 0);
  end = json_array_get_int_element (offsets, 1);
  if (begin < 0 || end < begin || (guint64) end > f->data_len || (gsize) (end - begin) != count * 4)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: tensor %s: its data_offsets do not match its shape",
                   path, name);
      return NULL;
    }
  return g_memdup2 (f->data + begin, MAX (count * 4, 1));
}

float *
tl_torch_tensors_read (const char *path, const char *name, int *ndim, gint64 *shape, int max_ndim,
                       GError **error)
{
  g_auto (SafeFile) f = { 0 };
  g_autoptr (GError) local = NULL;
  float *values;

  if (!safe_file_open (&f, path, error))
    return NULL;
  values = safe_file_tensor (&f, path, name, ndim, shape, max_ndim, &local);
  if (values == NULL && local == NULL)
    g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: no tensor %s", path, name);
  else if (local != NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return values;
}

TlDataset *
tl_torch_tensors_read_split (const char *path, const char *split, GError **error)
{
  g_auto (SafeFile) f = { 0 };
  g_autofree char *xname = g_strdup_printf ("%s.x", split);
  g_autofree char *yname = g_strdup_printf ("%s.y", split);
  g_autofree float *x = NULL, *y = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (GStrv) classes = NULL;
  gint64 xshape[TL_MAX_DIMS], yshape[1];
  int xdim = 0, ydim = 0, sample[TL_MAX_DIMS], n_classes;
  JsonObject *meta;
  JsonArray *names;
  const char *kind;
  TlDataKind data_kind = TL_DATA_TABULAR;
  TlDataset *ds;

  if (!safe_file_open (&f, path, error))
    return NULL;
  meta = object_member (json_node_get_object (f.header), "__metadata__");
  if (meta == NULL || json_object_get_string_member_with_default (meta, "classes", NULL) == NULL
      || !json_parser_load_from_data (parser, json_object_get_string_member (meta, "classes"), -1, NULL)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: __metadata__.classes: expected a JSON list of names",
                   path);
      return NULL;
    }
  names = json_node_get_array (json_parser_get_root (parser));
  n_classes = (int) json_array_get_length (names);
  classes = g_new0 (char *, n_classes + 1);
  for (int c = 0; c < n_classes; c++)
    {
      JsonNode *name = json_array_get_element (names, c);
      if (JSON_NODE_TYPE (name) != JSON_NODE_VALUE || json_node_get_value_type (name) != G_TYPE_STRING)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: __metadata__.classes: class %d is not a name", path, c);
          return NULL;
        }
      classes[c] = g_strdup (json_node_get_string (name));
    }
  kind = json_object_get_string_member_with_default (meta, "kind", "tabular");
  for (guint k = 0; k < G_N_ELEMENTS (kind_names); k++)
    if (g_strcmp0 (kind, kind_names[k]) == 0)
      data_kind = (TlDataKind) k;

  x = safe_file_tensor (&f, path, xname, &xdim, xshape, TL_MAX_DIMS, error);
  if (x == NULL)
    return NULL;
  y = safe_file_tensor (&f, path, yname, &ydim, yshape, 1, error);
  if (y == NULL)
    {
      if (error && *error == NULL)
        g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: %s without %s", path, xname, yname);
      return NULL;
    }
  if (xdim < 1 || ydim != 1 || yshape[0] != xshape[0] || xshape[0] > G_MAXINT)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: %s and %s do not have the same rows", path, xname, yname);
      return NULL;
    }
  for (int i = 1; i < xdim; i++)
    sample[i - 1] = (int) xshape[i];
  ds = tl_dataset_new (data_kind, (int) xshape[0], xdim - 1, sample, n_classes, (const char *const *) classes);
  memcpy (ds->x, x, (gsize) ds->n * ds->sample_size * sizeof (float));
  for (int i = 0; i < ds->n; i++)
    {
      if (!(y[i] >= 0 && y[i] < n_classes))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: %s: row %d has class %g, outside 0..%d", path, yname,
                       i, y[i], n_classes - 1);
          tl_dataset_free (ds);
          return NULL;
        }
      ds->y[i] = (int) y[i];
    }
  return ds;
}
