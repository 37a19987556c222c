#define G_LOG_DOMAIN "tl-protobuf"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-protobuf-reader.h"

void
tl_pb_reader_init (TlPbReader *r, const guint8 *data, gsize len)
{
  r->start = r->p = data;
  r->end = data + len;
}

void
tl_pb_reader_sub (TlPbReader *sub, const TlPbReader *parent, const TlPbField *f)
{
  sub->start = parent->start;
  sub->p = f->data;
  sub->end = f->data + f->len;
}

gsize
tl_pb_reader_offset (const TlPbReader *r, const guint8 *at)
{
  return (gsize) (at - r->start);
}

static gboolean
read_varint (TlPbReader *r, guint64 *out, GError **error)
{
  const guint8 *at = r->p;
  guint64 v = 0;

  for (int shift = 0; shift < 70; shift += 7)
    {
      guint8 b;

      if (r->p >= r->end)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                       "byte %" G_GSIZE_FORMAT ": a number runs past the end of its message (truncated file?)",
                       tl_pb_reader_offset (r, at));
          return FALSE;
        }
      b = *r->p++;
      if (shift == 63 && b > 1)
        break;
      v |= (guint64) (b & 0x7f) << shift;
      if (!(b & 0x80))
        {
          *out = v;
          return TRUE;
        }
    }
  g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "byte %" G_GSIZE_FORMAT ": a number longer than 64 bits",
               tl_pb_reader_offset (r, at));
  return FALSE;
}

static gboolean
need (TlPbReader *r, const guint8 *at, guint32 field, guint64 n, GError **error)
{
  if (n > (guint64) (r->end - r->p))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   "byte %" G_GSIZE_FORMAT ": field %u claims %" G_GUINT64_FORMAT
                   " bytes but only %" G_GSIZE_FORMAT " remain (truncated or damaged file)",
                   tl_pb_reader_offset (r, at), field, n, (gsize) (r->end - r->p));
      return FALSE;
    }
  return TRUE;
}

gboolean
tl_pb_reader_next (TlPbReader *r, TlPbField *f, GError **error)
{
  const guint8 *at = r->p;
  guint64 tag;

  memset (f, 0, sizeof *f);
  if (r->p >= r->end)
    return FALSE;
  if (!read_varint (r, &tag, error))
    return FALSE;
  if ((tag >> 3) == 0 || (tag >> 3) > G_MAXINT32)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "byte %" G_GSIZE_FORMAT ": field number %" G_GUINT64_FORMAT
                   " is out of range", tl_pb_reader_offset (r, at), tag >> 3);
      return FALSE;
    }
  f->field = (guint32) (tag >> 3);
  f->wire = (TlPbWireType) (tag & 7);
  switch ((int) f->wire)
    {
    case TL_PB_VARINT:
      return read_varint (r, &f->value, error);
    case TL_PB_FIXED64:
      if (!need (r, at, f->field, 8, error))
        return FALSE;
      for (int i = 7; i >= 0; i--)
        f->value = (f->value << 8) | r->p[i];
      r->p += 8;
      return TRUE;
    case TL_PB_FIXED32:
      if (!need (r, at, f->field, 4, error))
        return FALSE;
      for (int i = 3; i >= 0; i--)
        f->value = (f->value << 8) | r->p[i];
      r->p += 4;
      return TRUE;
    case TL_PB_LEN:
      {
        guint64 n;

        if (!read_varint (r, &n, error) || !need (r, at, f->field, n, error))
          return FALSE;
        f->data = r->p;
        f->len = (gsize) n;
        r->p += n;
        return TRUE;
      }
    default:
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "byte %" G_GSIZE_FORMAT ": field %u has the unknown wire type %d",
                   tl_pb_reader_offset (r, at), f->field, (int) f->wire);
      return FALSE;
    }
}

gboolean
tl_pb_field_ints (const TlPbReader *r, const TlPbField *f, GArray *out, GError **error)
{
  if (f->wire == TL_PB_VARINT)
    {
      gint64 v = (gint64) f->value;
      g_array_append_val (out, v);
      return TRUE;
    }
  if (f->wire == TL_PB_LEN)
    {
      TlPbReader sub;

      tl_pb_reader_sub (&sub, r, f);
      while (sub.p < sub.end)
        {
          guint64 v;

          if (!read_varint (&sub, &v, error))
            return FALSE;
          g_array_append_val (out, v);
        }
      return TRUE;
    }
  g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "byte %" G_GSIZE_FORMAT ": field %u should hold integers",
               tl_pb_reader_offset (r, f->data ? f->data : r->p), f->field);
  return FALSE;
}

gboolean
tl_pb_field_floats (const TlPbReader *r, const TlPbField *f, GArray *out, GError **error)
{
  if (f->wire == TL_PB_FIXED32 || (f->wire == TL_PB_LEN && f->len % 4 == 0))
    {
      const gsize n = f->wire == TL_PB_LEN ? f->len / 4 : 1;
      const guint8 *p = f->data;
      guint8 one[4];

      if (f->wire == TL_PB_FIXED32)
        {
          for (int i = 0; i < 4; i++)
            one[i] = (guint8) (f->value >> (8 * i));
          p = one;
        }
      for (gsize i = 0; i < n; i++)
        {
          guint32 bits = (guint32) p[4 * i] | (guint32) p[4 * i + 1] << 8 | (guint32) p[4 * i + 2] << 16
                         | (guint32) p[4 * i + 3] << 24;
          float v;

          memcpy (&v, &bits, 4);
          g_array_append_val (out, v);
        }
      return TRUE;
    }
  g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "byte %" G_GSIZE_FORMAT ": field %u should hold float32 values",
               tl_pb_reader_offset (r, f->data ? f->data : r->p), f->field);
  return FALSE;
}

char *
tl_pb_field_string (const TlPbReader *r, const TlPbField *f, GError **error)
{
  if (f->wire != TL_PB_LEN || memchr (f->data, 0, f->len) != NULL
      || !g_utf8_validate ((const char *) f->data, (gssize) f->len, NULL))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "byte %" G_GSIZE_FORMAT ": field %u is not a UTF-8 string",
                   tl_pb_reader_offset (r, f->data ? f->data : r->p), f->field);
      return NULL;
    }
  return g_strndup ((const char *) f->data, f->len);
}
