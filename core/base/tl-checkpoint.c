#define G_LOG_DOMAIN "tl-checkpoint"

#include "config.h"

#include <errno.h>
#include <string.h>

#include "tl-atomic-file.h"
#include "tl-checkpoint.h"
#include "tl-error.h"

static const char magic[8] = { 'T', 'L', 'C', 'K', 'P', 'T', '\r', '\n' };

typedef struct {
  char            *name;
  TlCheckpointType type;
  gsize            n;
  gpointer         data;
  gboolean         borrowed;   /* data is the caller's */
} Entry;

struct _TlCheckpoint {
  GPtrArray  *entries;     /* Entry*, in insertion order */
  GHashTable *by_name;     /* name -> Entry* */
  char       *path;
};

static void
entry_free (Entry *e)
{
  g_free (e->name);
  if (!e->borrowed)
    g_free (e->data);
  g_free (e);
}

TlCheckpoint *
tl_checkpoint_new (void)
{
  TlCheckpoint *ck = g_new0 (TlCheckpoint, 1);
  ck->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  ck->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return ck;
}

void
tl_checkpoint_free (TlCheckpoint *ck)
{
  if (ck == NULL)
    return;
  g_hash_table_unref (ck->by_name);
  g_ptr_array_unref (ck->entries);
  g_free (ck->path);
  g_free (ck);
}

static gsize
type_size (TlCheckpointType type)
{
  return type == TL_CHECKPOINT_U64 ? 8 : 4;
}

static void
set_entry (TlCheckpoint *ck, const char *name, TlCheckpointType type, gconstpointer data, gsize n,
           gboolean borrow)
{
  Entry *e = g_hash_table_lookup (ck->by_name, name);

  if (e == NULL)
    {
      e = g_new0 (Entry, 1);
      e->name = g_strdup (name);
      g_ptr_array_add (ck->entries, e);
      g_hash_table_insert (ck->by_name, e->name, e);
    }
  if (!e->borrowed)
    g_free (e->data);
  e->type = type;
  e->n = n;
  e->borrowed = borrow;
  e->data = borrow ? (gpointer) data : g_memdup2 (data, n * type_size (type));
}

void
tl_checkpoint_set_f32 (TlCheckpoint *ck, const char *name, const float *data, gsize n)
{
  g_return_if_fail (ck != NULL && name != NULL && (data != NULL || n == 0));
  g_return_if_fail (strlen (name) <= TL_CHECKPOINT_MAX_NAME);
  set_entry (ck, name, TL_CHECKPOINT_F32, data, n, FALSE);
}

void
tl_checkpoint_set_f32_borrowed (TlCheckpoint *ck, const char *name, const float *data, gsize n)
{
  g_return_if_fail (ck != NULL && name != NULL && (data != NULL || n == 0));
  g_return_if_fail (strlen (name) <= TL_CHECKPOINT_MAX_NAME);
  set_entry (ck, name, TL_CHECKPOINT_F32, data, n, TRUE);
}

void
tl_checkpoint_set_u64 (TlCheckpoint *ck, const char *name, const guint64 *data, gsize n)
{
  g_return_if_fail (ck != NULL && name != NULL && (data != NULL || n == 0));
  g_return_if_fail (strlen (name) <= TL_CHECKPOINT_MAX_NAME);
  set_entry (ck, name, TL_CHECKPOINT_U64, data, n, FALSE);
}

static const Entry *
get_entry (const TlCheckpoint *ck, const char *name, TlCheckpointType type, gsize *n)
{
  const Entry *e;

  g_return_val_if_fail (ck != NULL && name != NULL, NULL);
  e = g_hash_table_lookup (ck->by_name, name);
  if (e == NULL || e->type != type)
    return NULL;
  if (n)
    *n = e->n;
  return e;
}

const float *
tl_checkpoint_get_f32 (const TlCheckpoint *ck, const char *name, gsize *n)
{
  const Entry *e = get_entry (ck, name, TL_CHECKPOINT_F32, n);
  return e ? e->data : NULL;
}

const guint64 *
tl_checkpoint_get_u64 (const TlCheckpoint *ck, const char *name, gsize *n)
{
  const Entry *e = get_entry (ck, name, TL_CHECKPOINT_U64, n);
  return e ? e->data : NULL;
}

static gconstpointer
require (const TlCheckpoint *ck, const char *name, TlCheckpointType type, gsize n, GError **error)
{
  const Entry *e;
  const char *what = type == TL_CHECKPOINT_F32 ? "float32" : "uint64";

  g_return_val_if_fail (ck != NULL && name != NULL, NULL);
  e = g_hash_table_lookup (ck->by_name, name);
  if (e == NULL || e->type != type)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "checkpoint %s: no %s entry “%s”",
                   ck->path ? ck->path : "(memory)", what, name);
      return NULL;
    }
  if (e->n != n)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "checkpoint %s: entry “%s” has %" G_GSIZE_FORMAT " values, expected %" G_GSIZE_FORMAT,
                   ck->path ? ck->path : "(memory)", name, e->n, n);
      return NULL;
    }
  return e->data;
}

const float *
tl_checkpoint_require_f32 (const TlCheckpoint *ck, const char *name, gsize n, GError **error)
{
  return require (ck, name, TL_CHECKPOINT_F32, n, error);
}

const guint64 *
tl_checkpoint_require_u64 (const TlCheckpoint *ck, const char *name, gsize n, GError **error)
{
  return require (ck, name, TL_CHECKPOINT_U64, n, error);
}

guint
tl_checkpoint_n_entries (const TlCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, 0);
  return ck->entries->len;
}

const char *
tl_checkpoint_path (const TlCheckpoint *ck)
{
  g_return_val_if_fail (ck != NULL, NULL);
  return ck->path;
}

static gboolean
put (FILE *fp, const void *data, gsize len)
{
  return len == 0 || fwrite (data, 1, len, fp) == len;
}

static gboolean
put_u32 (FILE *fp, guint32 v)
{
  v = GUINT32_TO_LE (v);
  return put (fp, &v, 4);
}

static gboolean
put_u64 (FILE *fp, guint64 v)
{
  v = GUINT64_TO_LE (v);
  return put (fp, &v, 8);
}

static gboolean
put_values (FILE *fp, const Entry *e)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return put (fp, e->data, e->n * type_size (e->type));
#else
  for (gsize i = 0; i < e->n; i++)
    {
      gboolean ok;
      if (e->type == TL_CHECKPOINT_U64)
        ok = put_u64 (fp, ((const guint64 *) e->data)[i]);
      else
        {
          guint32 bits;
          memcpy (&bits, (const float *) e->data + i, 4);
          ok = put_u32 (fp, bits);
        }
      if (!ok)
        return FALSE;
    }
  return TRUE;
#endif
}

/* Streamed entry by entry: a checkpoint is as large as the model and its
 * optimiser's state together, and is never held twice in memory. */
static gboolean
write_entries (FILE *fp, gpointer user_data, GError **error)
{
  const TlCheckpoint *ck = user_data;
  gboolean ok = put (fp, magic, sizeof magic) && put_u32 (fp, TL_CHECKPOINT_VERSION)
                && put_u32 (fp, ck->entries->len);

  for (guint i = 0; ok && i < ck->entries->len; i++)
    {
      const Entry *e = g_ptr_array_index (ck->entries, i);
      const gsize len = strlen (e->name);

      ok = put_u32 (fp, (guint32) len) && put (fp, e->name, len) && put_u32 (fp, e->type)
           && put_u64 (fp, e->n) && put_values (fp, e);
    }
  if (!ok)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s", g_strerror (errno));
  return ok;
}

gboolean
tl_checkpoint_save (const TlCheckpoint *ck, const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (ck != NULL && path != NULL, FALSE);

  /* the temporary file is hidden, so one left by a killed run never passes for a checkpoint */
  if (!tl_atomic_write_file (path, write_entries, (gpointer) ck, &local))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "cannot write checkpoint %s: %s", path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  const guint8 *p;
  gsize         left;
  gsize         offset;
} Reader;

static gboolean
take (Reader *r, gpointer dst, gsize n)
{
  if (r->left < n)
    return FALSE;
  memcpy (dst, r->p, n);
  r->p += n;
  r->left -= n;
  r->offset += n;
  return TRUE;
}

static gboolean
take_u32 (Reader *r, guint32 *v)
{
  if (!take (r, v, 4))
    return FALSE;
  *v = GUINT32_FROM_LE (*v);
  return TRUE;
}

static gboolean
take_u64 (Reader *r, guint64 *v)
{
  if (!take (r, v, 8))
    return FALSE;
  *v = GUINT64_FROM_LE (*v);
  return TRUE;
}

TlCheckpoint *
tl_checkpoint_parse (const guint8 *bytes, gsize length, const char *path, GError **error)
{
  g_autoptr (TlCheckpoint) ck = NULL;
  Reader r = { bytes, length, 0 };
  char head[8];
  guint32 version, count;

  g_return_val_if_fail (bytes != NULL || length == 0, NULL);
  if (path == NULL)
    path = "(memory)";

  if (!take (&r, head, 8) || memcmp (head, magic, 8) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "%s is not a Transfer Lab checkpoint (the file does not start with TLCKPT)", path);
      return NULL;
    }
  if (!take_u32 (&r, &version) || !take_u32 (&r, &count))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "checkpoint %s: truncated header (%" G_GSIZE_FORMAT
                   " bytes)", path, length);
      return NULL;
    }
  if (version != TL_CHECKPOINT_VERSION)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   "checkpoint %s: format version %u, this program reads version %d", path, version,
                   TL_CHECKPOINT_VERSION);
      return NULL;
    }
  /* the smallest entry takes 16 bytes: reject impossible counts before looping */
  if (count > r.left / 16)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "checkpoint %s: header claims %u entries but the file has only %" G_GSIZE_FORMAT
                   " bytes after it", path, count, r.left);
      return NULL;
    }

  ck = tl_checkpoint_new ();
  ck->path = g_strdup (path);
  for (guint32 i = 0; i < count; i++)
    {
      g_autofree char *name = NULL;
      gsize entry_offset = r.offset;
      guint32 name_len, type;
      guint64 n;
      Entry *e;

      if (!take_u32 (&r, &name_len))
        goto truncated;
      if (name_len == 0 || name_len > TL_CHECKPOINT_MAX_NAME)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                       "checkpoint %s: entry %u at byte %" G_GSIZE_FORMAT " has a name of %u bytes "
                       "(expected 1 to %d)", path, i + 1, entry_offset, name_len, TL_CHECKPOINT_MAX_NAME);
          return NULL;
        }
      name = g_malloc (name_len + 1);
      if (!take (&r, name, name_len))
        goto truncated;
      name[name_len] = '\0';
      if (!g_utf8_validate (name, name_len, NULL) || strlen (name) != name_len)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                       "checkpoint %s: entry %u at byte %" G_GSIZE_FORMAT " has a name that is not UTF-8 text",
                       path, i + 1, entry_offset);
          return NULL;
        }
      if (g_hash_table_contains (ck->by_name, name))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "checkpoint %s: entry “%s” appears twice", path,
                       name);
          return NULL;
        }
      if (!take_u32 (&r, &type) || !take_u64 (&r, &n))
        goto truncated;
      if (type != TL_CHECKPOINT_F32 && type != TL_CHECKPOINT_U64)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                       "checkpoint %s: entry “%s” has type %u (expected 1 for float32 or 2 for uint64)",
                       path, name, type);
          return NULL;
        }
      if (n > r.left / type_size (type))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                       "checkpoint %s: entry “%s” claims %" G_GUINT64_FORMAT " values of %u bytes"
                       " but only %" G_GSIZE_FORMAT " bytes remain", path, name, n,
                       (guint) type_size (type), r.left);
          return NULL;
        }

      e = g_new0 (Entry, 1);
      e->name = g_steal_pointer (&name);
      e->type = type;
      e->n = (gsize) n;
      e->data = g_malloc (MAX (e->n * type_size (type), 1));
      take (&r, e->data, e->n * type_size (type));
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
      for (gsize k = 0; k < e->n; k++)
        {
          if (type == TL_CHECKPOINT_U64)
            ((guint64 *) e->data)[k] = GUINT64_FROM_LE (((guint64 *) e->data)[k]);
          else
            ((guint32 *) e->data)[k] = GUINT32_FROM_LE (((guint32 *) e->data)[k]);
        }
#endif
      g_ptr_array_add (ck->entries, e);
      g_hash_table_insert (ck->by_name, e->name, e);
      continue;

    truncated:
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "checkpoint %s: entry %u at byte %" G_GSIZE_FORMAT " is cut short by the end of the file",
                   path, i + 1, entry_offset);
      return NULL;
    }

  if (r.left != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "checkpoint %s: %" G_GSIZE_FORMAT " unexpected bytes after the last entry (at byte %"
                   G_GSIZE_FORMAT ")", path, r.left, r.offset);
      return NULL;
    }
  return g_steal_pointer (&ck);
}

TlCheckpoint *
tl_checkpoint_load (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local = NULL;
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_get_contents (path, &contents, &length, &local))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "cannot read checkpoint %s: %s", path, local->message);
      return NULL;
    }
  return tl_checkpoint_parse ((const guint8 *) contents, length, path, error);
}
