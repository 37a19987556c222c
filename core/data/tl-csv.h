#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A field longer than this is refused before the parser grows its buffer further. */
#define TL_CSV_MAX_FIELD_BYTES ((gsize) 64 * 1024 * 1024)
/* A record (one row, all its fields) larger than this, or with more fields, is refused. */
#define TL_CSV_MAX_RECORD_BYTES ((gsize) 256 * 1024 * 1024)
#define TL_CSV_MAX_FIELDS       (1u << 20)

typedef enum {
  TL_CSV_HEADER_AUTO,
  TL_CSV_HEADER_YES,
  TL_CSV_HEADER_NO,
} TlCsvHeader;

/* One record. Fields are valid UTF-8, NUL-terminated, and owned by the
 * reader: they stay valid until the next call to tl_csv_reader_next(). */
typedef struct {
  int          line;       /* 1-based line where the record starts */
  guint        n_fields;
  char       **fields;     /* n_fields, then NULL */
  const gsize *lengths;
} TlCsvRecord;

typedef struct _TlCsvReader TlCsvReader;

/* Opens a CSV file (or a gzip-compressed one, recognised by its magic bytes)
 * and reads a sample to detect the delimiter when `delimiter` is 0. A UTF-8
 * byte-order mark is skipped. The file is then read in blocks. */
TlCsvReader       *tl_csv_reader_open          (const char *path, char delimiter, GError **error);
void               tl_csv_reader_free          (TlCsvReader *reader);
const char        *tl_csv_reader_get_path      (TlCsvReader *reader);
char               tl_csv_reader_get_delimiter (TlCsvReader *reader);
/* The next record, or NULL at the end (error unset) or on an error such as
 * invalid UTF-8 or an oversized field (error set, naming file and line). */
const TlCsvRecord *tl_csv_reader_next          (TlCsvReader *reader, GError **error);
/* Bytes of (decompressed) input consumed so far. */
guint64            tl_csv_reader_get_position  (TlCsvReader *reader);

/* The most consistent of comma, semicolon, tab and pipe in a sample of the
 * file's start; `complete` tells whether the sample is the whole file. */
char               tl_csv_detect_delimiter     (const char *sample, gsize len, gboolean complete);
/* Whether the first of `n` records is a header rather than data. */
gboolean           tl_csv_looks_like_header    (TlCsvRecord *const *records, guint n);

TlCsvRecord       *tl_csv_record_copy          (const TlCsvRecord *record);
void               tl_csv_record_free          (TlCsvRecord *record);

/* A number in C syntax with optional surrounding blanks; NaN and Inf parse. */
gboolean           tl_csv_parse_number         (const char *text, double *value);
/* The usual markers of a missing value: "", "NA", "N/A", "?", "null", "None" (blanks ignored). */
gboolean           tl_csv_is_missing           (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlCsvReader, tl_csv_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlCsvRecord, tl_csv_record_free)

G_END_DECLS
