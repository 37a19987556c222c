#define G_LOG_DOMAIN "tl-csv"

#include "config.h"

#include <csv.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tl-csv.h"
#include "tl-error.h"

#define BLOCK_SIZE   (256 * 1024)
#define SEGMENT_MAX  (64 * 1024)
#define SAMPLE_SIZE  (256 * 1024)
/* libcsv's state before any byte of a record was seen */
#define CSV_ROW_NOT_BEGUN 0

typedef struct {
  TlCsvRecord pub;
  GString    *buf;
  GArray     *offsets;
  GArray     *lengths;
  GPtrArray  *ptrs;
} ReaderRecord;

struct _TlCsvReader {
  char              *path;
  GInputStream      *stream;
  struct csv_parser  parser;
  gboolean           parser_ready;
  char               delimiter;

  char              *block;
  gsize              block_len;
  gsize              block_pos;
  gboolean           eof;
  gboolean           finished;
  gboolean           bom_checked;
  guint64            position;

  int                line;
  int                record_start;

  ReaderRecord      *building;
  GQueue             ready;
  GQueue             pool;
  ReaderRecord      *current;
  GError            *error;
};

static ReaderRecord *
reader_record_new (void)
{
  ReaderRecord *r = g_new0 (ReaderRecord, 1);

  r->buf = g_string_sized_new (256);
  r->offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  r->lengths = g_array_new (FALSE, FALSE, sizeof (gsize));
  r->ptrs = g_ptr_array_new ();
  return r;
}

static void
reader_record_free (gpointer data)
{
  ReaderRecord *r = data;

  g_string_free (r->buf, TRUE);
  g_array_unref (r->offsets);
  g_array_unref (r->lengths);
  g_ptr_array_unref (r->ptrs);
  g_free (r);
}

static void
reader_record_clear (ReaderRecord *r)
{
  g_string_truncate (r->buf, 0);
  g_array_set_size (r->offsets, 0);
  g_array_set_size (r->lengths, 0);
  g_ptr_array_set_size (r->ptrs, 0);
  r->pub.n_fields = 0;
}

static ReaderRecord *
take_record (TlCsvReader *reader)
{
  ReaderRecord *r = g_queue_pop_head (&reader->pool);

  if (r == NULL)
    r = reader_record_new ();
  reader_record_clear (r);
  return r;
}

static void
on_field (void *data, size_t len, void *user_data)
{
  TlCsvReader *reader = user_data;
  ReaderRecord *r = reader->building;
  gsize offset = r->buf->len;

  if (reader->error != NULL)
    return;
  if (len > 0 && !g_utf8_validate_len (data, len, NULL))
    {
      g_set_error (&reader->error, TL_ERROR, TL_ERROR_PARSE,
                   _("%s:%d: invalid UTF-8 text (the file must be UTF-8 encoded)"),
                   reader->path, reader->line);
      return;
    }
  /* one huge row of small fields would otherwise grow the record without bound */
  if (r->buf->len + len > TL_CSV_MAX_RECORD_BYTES || r->offsets->len >= TL_CSV_MAX_FIELDS)
    {
      g_set_error (&reader->error, TL_ERROR, TL_ERROR_TOO_LARGE,
                   _("%s:%d: a row is larger than %u MiB or has more than %u fields"), reader->path,
                   reader->record_start, (guint) (TL_CSV_MAX_RECORD_BYTES >> 20), TL_CSV_MAX_FIELDS);
      return;
    }
  g_string_append_len (r->buf, data != NULL ? data : "", len);
  g_string_append_c (r->buf, '\0');
  g_array_append_val (r->offsets, offset);
  g_array_append_val (r->lengths, len);
}

static void
on_record (int terminator, void *user_data)
{
  TlCsvReader *reader = user_data;
  ReaderRecord *r = reader->building;

  if (reader->error != NULL || r->offsets->len == 0)
    return;
  for (guint i = 0; i < r->offsets->len; i++)
    g_ptr_array_add (r->ptrs, r->buf->str + g_array_index (r->offsets, gsize, i));
  g_ptr_array_add (r->ptrs, NULL);
  r->pub.line = reader->record_start;
  r->pub.n_fields = r->offsets->len;
  r->pub.fields = (char **) r->ptrs->pdata;
  r->pub.lengths = (const gsize *) (gpointer) r->lengths->data;
  g_queue_push_tail (&reader->ready, r);
  reader->building = take_record (reader);
}

static gboolean
report_io_error (const char *path, GError *io_error, GError **error)
{
  int code = g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) ? TL_ERROR_PARSE : TL_ERROR_IO;

  g_set_error (error, TL_ERROR, code, "%s: %s", path, io_error->message);
  g_error_free (io_error);
  return FALSE;
}

/* Reads until `want` bytes or the end of the stream. */
static gssize
read_fully (TlCsvReader *reader, char *buffer, gsize want, GError **error)
{
  gsize got = 0;

  while (got < want)
    {
      GError *io_error = NULL;
      gssize n = g_input_stream_read (reader->stream, buffer + got, want - got, NULL, &io_error);

      if (n < 0)
        {
          report_io_error (reader->path, io_error, error);
          return -1;
        }
      if (n == 0)
        {
          reader->eof = TRUE;
          break;
        }
      got += n;
    }
  return got;
}

static gboolean
fill_block (TlCsvReader *reader, GError **error)
{
  gssize n;

  n = read_fully (reader, reader->block, BLOCK_SIZE, error);
  if (n < 0)
    return FALSE;
  reader->block_len = n;
  reader->block_pos = 0;
  if (!reader->bom_checked)
    {
      reader->bom_checked = TRUE;
      if (n >= 3 && memcmp (reader->block, "\xEF\xBB\xBF", 3) == 0)
        reader->block_pos = 3;
    }
  return TRUE;
}

/* Feeds the parser one line (or SEGMENT_MAX bytes of a long line) at a time,
 * so that each record knows the line it starts on. */
static gboolean
parse_block (TlCsvReader *reader)
{
  while (reader->block_pos < reader->block_len && reader->error == NULL)
    {
      const char *start = reader->block + reader->block_pos;
      gsize avail = MIN (reader->block_len - reader->block_pos, SEGMENT_MAX);
      const char *nl = memchr (start, '\n', avail);
      gsize len = nl != NULL ? (gsize) (nl - start) + 1 : avail;

      if (reader->parser.pstate == CSV_ROW_NOT_BEGUN)
        reader->record_start = reader->line;
      if (csv_parse (&reader->parser, start, len, on_field, on_record, reader) != len)
        {
          if (reader->error == NULL)
            g_set_error (&reader->error, TL_ERROR, TL_ERROR_PARSE, "%s:%d: %s", reader->path,
                         reader->line, csv_strerror (csv_error (&reader->parser)));
          return FALSE;
        }
      reader->block_pos += len;
      reader->position += len;
      if (reader->parser.entry_pos > TL_CSV_MAX_FIELD_BYTES && reader->error == NULL)
        g_set_error (&reader->error, TL_ERROR, TL_ERROR_TOO_LARGE,
                     _("%s:%d: a field is larger than %u MiB"), reader->path, reader->record_start,
                     (guint) (TL_CSV_MAX_FIELD_BYTES >> 20));
      if (nl != NULL)
        reader->line++;
    }
  return reader->error == NULL;
}

static void
feed_more (TlCsvReader *reader)
{
  if (reader->block_pos >= reader->block_len)
    {
      if (reader->eof)
        {
          if (csv_fini (&reader->parser, on_field, on_record, reader) != 0 && reader->error == NULL)
            g_set_error (&reader->error, TL_ERROR, TL_ERROR_PARSE,
                         _("%s:%d: a quoted field is not closed before the end of the file"),
                         reader->path, reader->record_start);
          reader->finished = TRUE;
          return;
        }
      if (!fill_block (reader, &reader->error))
        return;
    }
  parse_block (reader);
}

static GInputStream *
open_stream (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = NULL;
  GError *io_error = NULL;
  guchar magic[2] = { 0, 0 };
  gssize n;

  in = g_file_read (file, NULL, &io_error);
  if (in == NULL)
    {
      report_io_error (path, io_error, error);
      return NULL;
    }
  n = g_input_stream_read (G_INPUT_STREAM (in), magic, 2, NULL, &io_error);
  if (n < 0 || !g_seekable_seek (G_SEEKABLE (in), 0, G_SEEK_SET, NULL, &io_error))
    {
      report_io_error (path, io_error, error);
      return NULL;
    }
  if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
    {
      g_autoptr (GZlibDecompressor) gz = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);

      return g_converter_input_stream_new (G_INPUT_STREAM (in), G_CONVERTER (gz));
    }
  return G_INPUT_STREAM (g_steal_pointer (&in));
}

TlCsvReader *
tl_csv_reader_open (const char *path, char delimiter, GError **error)
{
  g_autoptr (TlCsvReader) reader = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  reader = g_new0 (TlCsvReader, 1);
  reader->path = g_strdup (path);
  reader->line = 1;
  reader->record_start = 1;
  g_queue_init (&reader->ready);
  g_queue_init (&reader->pool);
  reader->stream = open_stream (path, error);
  if (reader->stream == NULL)
    return NULL;

  reader->block = g_malloc (BLOCK_SIZE);
  if (!fill_block (reader, error))
    return NULL;
  if (reader->block_len - reader->block_pos == 0 && reader->eof)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: the file is empty"), path);
      return NULL;
    }

  if (delimiter == 0)
    delimiter = tl_csv_detect_delimiter (reader->block + reader->block_pos,
                                         MIN (reader->block_len - reader->block_pos, SAMPLE_SIZE),
                                         reader->eof);
  reader->delimiter = delimiter;

  if (csv_init (&reader->parser, CSV_STRICT_FINI) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_FAILED, _("%s: cannot start the CSV parser"), path);
      return NULL;
    }
  reader->parser_ready = TRUE;
  csv_set_delim (&reader->parser, (unsigned char) delimiter);
  /* libcsv grows a field by this much at a time: small steps make a huge field quadratic */
  csv_set_blk_size (&reader->parser, 1 << 20);
  reader->building = take_record (reader);
  return g_steal_pointer (&reader);
}

void
tl_csv_reader_free (TlCsvReader *reader)
{
  if (reader == NULL)
    return;
  if (reader->parser_ready)
    csv_free (&reader->parser);
  g_clear_object (&reader->stream);
  g_free (reader->block);
  g_free (reader->path);
  g_queue_clear_full (&reader->ready, reader_record_free);
  g_queue_clear_full (&reader->pool, reader_record_free);
  if (reader->building != NULL)
    reader_record_free (reader->building);
  if (reader->current != NULL)
    reader_record_free (reader->current);
  g_clear_error (&reader->error);
  g_free (reader);
}

const char *
tl_csv_reader_get_path (TlCsvReader *reader)
{
  g_return_val_if_fail (reader != NULL, NULL);
  return reader->path;
}

char
tl_csv_reader_get_delimiter (TlCsvReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->delimiter;
}

guint64
tl_csv_reader_get_position (TlCsvReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->position;
}

const TlCsvRecord *
tl_csv_reader_next (TlCsvReader *reader, GError **error)
{
  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (reader->current != NULL)
    {
      g_queue_push_tail (&reader->pool, reader->current);
      reader->current = NULL;
    }
  while (g_queue_is_empty (&reader->ready))
    {
      if (reader->error != NULL)
        {
          g_propagate_error (error, g_error_copy (reader->error));
          return NULL;
        }
      if (reader->finished)
        return NULL;
      feed_more (reader);
    }
  reader->current = g_queue_pop_head (&reader->ready);
  return &reader->current->pub;
}

/* Delimiter detection */

typedef struct {
  int   fields;
  int   counts[64];
  int   n_records;
} SniffState;

static void
sniff_field (void *data, size_t len, void *user_data)
{
  SniffState *s = user_data;

  s->fields++;
}

static void
sniff_record (int c, void *user_data)
{
  SniffState *s = user_data;

  if (s->n_records < (int) G_N_ELEMENTS (s->counts))
    s->counts[s->n_records++] = s->fields;
  s->fields = 0;
}

char
tl_csv_detect_delimiter (const char *sample, gsize len, gboolean complete)
{
  static const char candidates[] = { ',', ';', '\t', '|' };
  char best = ',';
  double best_consistency = 0.0;
  int best_width = 1;

  g_return_val_if_fail (sample != NULL || len == 0, ',');

  for (guint c = 0; c < G_N_ELEMENTS (candidates); c++)
    {
      struct csv_parser p;
      SniffState s = { 0 };
      int mode = 0, mode_count = 0;
      double consistency;

      if (csv_init (&p, 0) != 0)
        continue;
      csv_set_delim (&p, (unsigned char) candidates[c]);
      csv_parse (&p, sample, len, sniff_field, sniff_record, &s);
      /* the last record of a partial sample may be cut: count it only when little else is there */
      if (complete || s.n_records < 2)
        csv_fini (&p, sniff_field, sniff_record, &s);
      csv_free (&p);

      for (int i = 0; i < s.n_records; i++)
        {
          int same = 0;

          for (int j = 0; j < s.n_records; j++)
            same += s.counts[j] == s.counts[i];
          if (same > mode_count || (same == mode_count && s.counts[i] > mode))
            {
              mode = s.counts[i];
              mode_count = same;
            }
        }
      if (mode < 2 || s.n_records == 0)
        continue;
      consistency = (double) mode_count / s.n_records;
      if (consistency > best_consistency + 1e-9
          || (fabs (consistency - best_consistency) <= 1e-9 && mode > best_width))
        {
          best = candidates[c];
          best_consistency = consistency;
          best_width = mode;
        }
    }
  return best;
}

/* Records and values */

TlCsvRecord *
tl_csv_record_copy (const TlCsvRecord *record)
{
  TlCsvRecord *copy;
  gsize *lengths;

  g_return_val_if_fail (record != NULL, NULL);

  copy = g_new0 (TlCsvRecord, 1);
  copy->line = record->line;
  copy->n_fields = record->n_fields;
  copy->fields = g_new0 (char *, record->n_fields + 1);
  lengths = g_new0 (gsize, MAX (record->n_fields, 1));
  for (guint i = 0; i < record->n_fields; i++)
    {
      copy->fields[i] = g_strndup (record->fields[i], record->lengths[i]);
      lengths[i] = record->lengths[i];
    }
  copy->lengths = lengths;
  return copy;
}

void
tl_csv_record_free (TlCsvRecord *record)
{
  if (record == NULL)
    return;
  g_strfreev (record->fields);
  g_free ((gpointer) record->lengths);
  g_free (record);
}

gboolean
tl_csv_parse_number (const char *text, double *value)
{
  char *end = NULL;
  double v;

  g_return_val_if_fail (text != NULL, FALSE);

  while (g_ascii_isspace (*text))
    text++;
  if (*text == '\0')
    return FALSE;
  errno = 0;
  v = g_ascii_strtod (text, &end);
  if (end == text)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  if (*end != '\0')
    return FALSE;
  if (value != NULL)
    *value = v;
  return TRUE;
}

gboolean
tl_csv_is_missing (const char *text)
{
  static const char *const markers[] = { "", "NA", "N/A", "?", "null", "NULL", "None", "n/a", "na" };
  g_autofree char *trimmed = NULL;

  g_return_val_if_fail (text != NULL, FALSE);

  trimmed = g_strstrip (g_strdup (text));
  for (guint i = 0; i < G_N_ELEMENTS (markers); i++)
    if (strcmp (trimmed, markers[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_number_or_missing (const char *text)
{
  return tl_csv_is_missing (text) || tl_csv_parse_number (text, NULL);
}

gboolean
tl_csv_looks_like_header (TlCsvRecord *const *records, guint n)
{
  const TlCsvRecord *first;
  gboolean any_repeat = FALSE;
  gboolean numeric_below = FALSE;

  g_return_val_if_fail (records != NULL || n == 0, FALSE);

  if (n == 0)
    return FALSE;
  first = records[0];
  for (guint c = 0; c < first->n_fields; c++)
    {
      const char *name = first->fields[c];

      if (tl_csv_is_missing (name) || tl_csv_parse_number (name, NULL))
        return FALSE;
      for (guint d = 0; d < c; d++)
        if (strcmp (first->fields[d], name) == 0)
          return FALSE;
    }
  if (n == 1)
    return TRUE;

  for (guint c = 0; c < first->n_fields; c++)
    {
      gboolean all_numeric = TRUE;

      for (guint r = 1; r < n; r++)
        {
          const TlCsvRecord *rec = records[r];

          if (c >= rec->n_fields)
            continue;
          if (!is_number_or_missing (rec->fields[c]))
            all_numeric = FALSE;
          if (strcmp (rec->fields[c], first->fields[c]) == 0)
            any_repeat = TRUE;
        }
      if (all_numeric)
        numeric_below = TRUE;
    }
  /* a name above numbers, or names that never recur as values, make a header */
  return numeric_below || !any_repeat;
}
