#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A writer of the protocol buffers wire format into a growing byte array.
 * Nested messages are written into their own array, then appended whole with
 * tl_pb_write_message, since a length prefix must precede its content. */

typedef enum {
  TL_PB_VARINT = 0,
  TL_PB_FIXED64 = 1,
  TL_PB_LEN = 2,
  TL_PB_FIXED32 = 5,
} TlPbWireType;

void tl_pb_write_varint        (GByteArray *out, guint64 value);
void tl_pb_write_tag           (GByteArray *out, guint32 field, TlPbWireType wire_type);
/* int32, int64 and enum fields: negative values take ten bytes, as the format says. */
void tl_pb_write_int           (GByteArray *out, guint32 field, gint64 value);
void tl_pb_write_float         (GByteArray *out, guint32 field, float value);
void tl_pb_write_bytes         (GByteArray *out, guint32 field, const void *data, gsize len);
void tl_pb_write_string        (GByteArray *out, guint32 field, const char *value);
void tl_pb_write_message       (GByteArray *out, guint32 field, const GByteArray *message);
/* Packed repeated fields: one length-delimited field holding every value. */
void tl_pb_write_packed_floats (GByteArray *out, guint32 field, const float *values, gsize n);
void tl_pb_write_packed_ints   (GByteArray *out, guint32 field, const gint64 *values, gsize n);

/* Floats as little-endian bytes, whatever the host's order. */
void tl_pb_append_floats_le    (GByteArray *out, const float *values, gsize n);

G_END_DECLS
