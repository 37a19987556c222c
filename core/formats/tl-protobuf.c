#define G_LOG_DOMAIN "tl-protobuf"

#include "config.h"

#include <string.h>

#include "tl-protobuf.h"

void
tl_pb_write_varint (GByteArray *out, guint64 value)
{
  guint8 buf[10];
  guint n = 0;

  g_return_if_fail (out != NULL);
  do
    {
      guint8 byte = value & 0x7f;
      value >>= 7;
      buf[n++] = value ? (byte | 0x80) : byte;
    }
  while (value);
  g_byte_array_append (out, buf, n);
}

void
tl_pb_write_tag (GByteArray *out, guint32 field, TlPbWireType wire_type)
{
  g_return_if_fail (field > 0 && field < (1u << 29));
  tl_pb_write_varint (out, ((guint64) field << 3) | (guint64) wire_type);
}

void
tl_pb_write_int (GByteArray *out, guint32 field, gint64 value)
{
  tl_pb_write_tag (out, field, TL_PB_VARINT);
  tl_pb_write_varint (out, (guint64) value);
}

void
tl_pb_append_floats_le (GByteArray *out, const float *values, gsize n)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (values != NULL || n == 0);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  g_byte_array_append (out, (const guint8 *) values, (guint) (n * sizeof (float)));
#else
  for (gsize i = 0; i < n; i++)
    {
      guint32 bits;
      memcpy (&bits, &values[i], 4);
      bits = GUINT32_TO_LE (bits);
      g_byte_array_append (out, (const guint8 *) &bits, 4);
    }
#endif
}

void
tl_pb_write_float (GByteArray *out, guint32 field, float value)
{
  tl_pb_write_tag (out, field, TL_PB_FIXED32);
  tl_pb_append_floats_le (out, &value, 1);
}

void
tl_pb_write_bytes (GByteArray *out, guint32 field, const void *data, gsize len)
{
  g_return_if_fail (data != NULL || len == 0);
  tl_pb_write_tag (out, field, TL_PB_LEN);
  tl_pb_write_varint (out, len);
  if (len > 0)
    g_byte_array_append (out, data, (guint) len);
}

void
tl_pb_write_string (GByteArray *out, guint32 field, const char *value)
{
  g_return_if_fail (value != NULL);
  tl_pb_write_bytes (out, field, value, strlen (value));
}

void
tl_pb_write_message (GByteArray *out, guint32 field, const GByteArray *message)
{
  g_return_if_fail (message != NULL);
  tl_pb_write_bytes (out, field, message->data, message->len);
}

void
tl_pb_write_packed_floats (GByteArray *out, guint32 field, const float *values, gsize n)
{
  tl_pb_write_tag (out, field, TL_PB_LEN);
  tl_pb_write_varint (out, n * sizeof (float));
  tl_pb_append_floats_le (out, values, n);
}

void
tl_pb_write_packed_ints (GByteArray *out, guint32 field, const gint64 *values, gsize n)
{
  g_autoptr (GByteArray) body = g_byte_array_new ();

  g_return_if_fail (values != NULL || n == 0);
  for (gsize i = 0; i < n; i++)
    tl_pb_write_varint (body, (guint64) values[i]);
  tl_pb_write_message (out, field, body);
}
