#pragma once

#include <glib.h>

#include "tl-protobuf.h"

G_BEGIN_DECLS

/* A reader of the protocol buffers wire format over bytes held in memory.
 * Every length is checked against the bytes that remain; an error names the
 * byte offset from the start of the outermost message. */

typedef struct {
  const guint8 *start;          /* of the outermost message: offsets in errors count from here */
  const guint8 *p, *end;
} TlPbReader;

typedef struct {
  guint32       field;
  TlPbWireType  wire;
  guint64       value;          /* VARINT, FIXED64 and FIXED32 bits */
  const guint8 *data;           /* LEN: the payload */
  gsize         len;
} TlPbField;

void     tl_pb_reader_init    (TlPbReader *r, const guint8 *data, gsize len);
/* A reader of a LEN field's payload, within the same outermost message. */
void     tl_pb_reader_sub     (TlPbReader *sub, const TlPbReader *parent, const TlPbField *f);
/* The next field: FALSE at the end (error unset) or on malformed bytes (error set). */
gboolean tl_pb_reader_next    (TlPbReader *r, TlPbField *f, GError **error);
gsize    tl_pb_reader_offset  (const TlPbReader *r, const guint8 *at);

/* Values of a repeated scalar field, packed (LEN) or one by one: appended to
 * `out` (gint64 for varints, float for FIXED32). */
gboolean tl_pb_field_ints     (const TlPbReader *r, const TlPbField *f, GArray *out, GError **error);
gboolean tl_pb_field_floats   (const TlPbReader *r, const TlPbField *f, GArray *out, GError **error);
/* A LEN field as a NUL-terminated string (refused when it holds a NUL or is not UTF-8). */
char    *tl_pb_field_string   (const TlPbReader *r, const TlPbField *f, GError **error);

G_END_DECLS
