#include "config.h"

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "tl-checkpoint.h"
#include "tl-csv.h"
#include "tl-error.h"
#include "tl-idx.h"
#include "tl-image-folder.h"
#include "tl-import.h"
#include "tl-model-file.h"

/* Inputs that announce or contain absurd sizes must be refused with a clear
 * message before memory is committed. main() caps the address space, so an
 * attempt to allocate instead of refusing fails the test rather than the machine. */

#define ADDRESS_SPACE_LIMIT ((rlim_t) 3 << 30)

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* A gzip stream written block by block, so gigabytes of content never sit in memory. */
typedef struct {
  GOutputStream *out;
  GString       *pending;
} GzipWriter;

static GzipWriter *
gzip_writer_new (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GFileOutputStream) raw = g_file_replace (file, NULL, FALSE, 0, NULL, &error);
  g_autoptr (GZlibCompressor) gz = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 1);
  GzipWriter *w = g_new0 (GzipWriter, 1);

  g_assert_no_error (error);
  w->out = g_converter_output_stream_new (G_OUTPUT_STREAM (raw), G_CONVERTER (gz));
  w->pending = g_string_sized_new (1 << 20);
  return w;
}

static void
gzip_writer_flush (GzipWriter *w)
{
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (w->out, w->pending->str, w->pending->len, NULL, NULL, &error);
  g_assert_no_error (error);
  g_string_truncate (w->pending, 0);
}

static void
gzip_writer_append (GzipWriter *w, const char *text, gsize len)
{
  g_string_append_len (w->pending, text, len);
  if (w->pending->len >= (1 << 20))
    gzip_writer_flush (w);
}

static void
gzip_writer_close (GzipWriter *w)
{
  g_autoptr (GError) error = NULL;

  gzip_writer_flush (w);
  g_output_stream_close (w->out, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (w->out);
  g_string_free (w->pending, TRUE);
  g_free (w);
}

static void
assert_message_has (const GError *error, const char *a, const char *b)
{
  g_assert_nonnull (error);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, a));
  if (b != NULL)
    g_assert_nonnull (strstr (error->message, b));
}

/* Model files */

static char *
write_safetensors (const char *name, const char *header, gsize data_len)
{
  g_autofree char *path = tmp_path (name);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint64 len = GUINT64_TO_LE (strlen (header));
  g_autofree guint8 *zeros = g_malloc0 (MAX (data_len, 1));
  g_autoptr (GError) error = NULL;

  g_byte_array_append (bytes, (const guint8 *) &len, 8);
  g_byte_array_append (bytes, (const guint8 *) header, strlen (header));
  g_byte_array_append (bytes, zeros, data_len);
  g_file_set_contents (path, (const char *) bytes->data, bytes->len, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
test_model_huge_tensor (void)
{
  /* 25e9 floats = 100 GB announced, 16 bytes present */
  g_autofree char *path = write_safetensors ("huge-tensor.safetensors",
    "{\"__metadata__\": {\"format\": \"transfer-lab\", \"format_version\": \"1\"},"
    " \"fc.weight\": {\"dtype\": \"F32\", \"shape\": [250000, 100000], \"data_offsets\": [0, 100000000000]}}", 16);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;

  info = tl_model_file_read_header (path, &error);
  g_assert_null (info);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "huge-tensor.safetensors", "fc.weight");
  g_clear_error (&error);

  model = tl_model_file_load (path, NULL, &error);
  g_assert_null (model);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "huge-tensor.safetensors", "100000000000");
}

static void
test_model_huge_header (void)
{
  g_autofree char *path = tmp_path ("huge-header.safetensors");
  guint64 len = GUINT64_TO_LE ((guint64) 1 << 40);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;

  g_file_set_contents (path, (const char *) &len, 8, &error);
  g_assert_no_error (error);
  model = tl_model_file_load (path, NULL, &error);
  g_assert_null (model);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "huge-header.safetensors", "header");
}

static void
test_model_huge_architecture (void)
{
  /* A consistent file whose architecture needs 2^48 weights: refused before they are allocated. */
  static const char architecture[] =
    "{\\\"input_shape\\\": [16777216], \\\"layers\\\": [{\\\"kind\\\": \\\"dense\\\", \\\"name\\\": \\\"fc\\\","
    " \\\"units\\\": 16777216}]}";
  g_autofree char *header = g_strdup_printf (
    "{\"__metadata__\": {\"format\": \"transfer-lab\", \"format_version\": \"1\", \"labels\": \"[]\","
    " \"architecture\": \"%s\"},"
    " \"fc.weight\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 16]}}", architecture);
  g_autofree char *path = write_safetensors ("huge-architecture.safetensors", header, 16);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;

  model = tl_model_file_load (path, NULL, &error);
  g_assert_null (model);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "huge-architecture.safetensors", "fc");
}

/* CSV */

static void
test_csv_gigabyte_line (void)
{
  g_autofree char *path = tmp_path ("gigabyte-line.csv.gz");
  g_autoptr (TlImportSettings) settings = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *block = g_malloc (1 << 20);
  GzipWriter *w = gzip_writer_new (path);

  /* the header, one ordinary row, then a single line of 1 GiB in fields of 1 KiB */
  gzip_writer_append (w, "a,b,label\n1,2,x\n", 16);
  memset (block, '7', 1 << 20);
  for (gsize i = 1023; i < (1 << 20); i += 1024)
    block[i] = ',';
  for (int i = 0; i < 1024; i++)
    gzip_writer_append (w, block, 1 << 20);
  gzip_writer_append (w, "\n", 1);
  gzip_writer_close (w);

  settings->format = TL_SOURCE_CSV;
  import = tl_import_run (path, settings, &error);
  g_assert_null (import);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "gigabyte-line.csv.gz:3", "row");
}

static void
test_csv_too_many_fields (void)
{
  g_autofree char *path = tmp_path ("many-fields.csv.gz");
  g_autoptr (TlCsvReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  GzipWriter *w = gzip_writer_new (path);

  gzip_writer_append (w, "a,b\n", 4);
  for (guint i = 0; i < TL_CSV_MAX_FIELDS + 10; i++)
    gzip_writer_append (w, "1,", 2);
  gzip_writer_append (w, "1\n", 2);
  gzip_writer_close (w);

  reader = tl_csv_reader_open (path, ',', &error);
  g_assert_no_error (error);
  g_assert_nonnull (tl_csv_reader_next (reader, &error));
  g_assert_null (tl_csv_reader_next (reader, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "many-fields.csv.gz:2", "fields");
}

static void
test_csv_gigabyte_field (void)
{
  g_autofree char *path = tmp_path ("gigabyte-field.csv.gz");
  g_autoptr (TlCsvReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *block = g_malloc (1 << 20);
  const TlCsvRecord *record;
  GzipWriter *w = gzip_writer_new (path);
  int records = 0;

  gzip_writer_append (w, "text,label\n\"", 12);
  memset (block, 'w', 1 << 20);
  for (int i = 0; i < 1024; i++)
    gzip_writer_append (w, block, 1 << 20);
  gzip_writer_append (w, "\",x\n", 4);
  gzip_writer_close (w);

  reader = tl_csv_reader_open (path, 0, &error);
  g_assert_no_error (error);
  while ((record = tl_csv_reader_next (reader, &error)) != NULL)
    records++;
  g_assert_cmpint (records, ==, 1);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "gigabyte-field.csv.gz:2", "MiB");
}

static void
test_csv_ten_million_labels (void)
{
  g_autofree char *path = tmp_path ("ten-million-labels.csv.gz");
  g_autoptr (TlImportSettings) settings = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  GzipWriter *w = gzip_writer_new (path);
  char line[64];

  gzip_writer_append (w, "x,label\n", 8);
  for (int i = 0; i < 10 * 1000 * 1000; i++)
    {
      int n = g_snprintf (line, sizeof line, "%d,id%d\n", i % 7, i);
      gzip_writer_append (w, line, n);
    }
  gzip_writer_close (w);

  settings->format = TL_SOURCE_CSV;
  import = tl_import_run (path, settings, &error);
  g_assert_null (import);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "ten-million-labels.csv.gz", "label");
}

static void
test_csv_one_hot_explosion (void)
{
  /* A column that looks categorical at the start, then has a new value on every row:
   * one-hot encoding would need rows x values floats. */
  g_autofree char *path = tmp_path ("one-hot.csv.gz");
  g_autoptr (TlImportSettings) settings = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  GzipWriter *w = gzip_writer_new (path);
  char line[64];

  gzip_writer_append (w, "city,label\n", 11);
  for (int i = 0; i < 2000; i++)
    {
      int n = g_snprintf (line, sizeof line, "%s,%c\n", i % 2 ? "paris" : "lyon", i % 3 ? 'a' : 'b');
      gzip_writer_append (w, line, n);
    }
  for (int i = 0; i < 90000; i++)
    {
      int n = g_snprintf (line, sizeof line, "town%d,%c\n", i, i % 3 ? 'a' : 'b');
      gzip_writer_append (w, line, n);
    }
  gzip_writer_close (w);

  settings->format = TL_SOURCE_CSV;
  settings->column_types = g_strsplit ("city=categorical", " ", -1);
  import = tl_import_run (path, settings, &error);
  g_assert_null (import);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "one-hot.csv.gz", "GiB");
}

static void
test_csv_nan_inf_reported (void)
{
  g_autofree char *path = tmp_path ("nan-inf.csv");
  g_autoptr (TlImportSettings) settings = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  const TlRejectedRow *first, *second;
  GString *csv = g_string_new ("height,weight,label\n");

  for (int i = 0; i < 40; i++)
    {
      if (i == 5)
        g_string_append (csv, "1.5,NaN,a\n");        /* line 7 */
      else if (i == 20)
        g_string_append (csv, "-inf,3,b\n");         /* line 22 */
      else
        g_string_append_printf (csv, "%d.5,%d,%c\n", i, i * 2, i % 2 ? 'a' : 'b');
    }
  g_file_set_contents (path, csv->str, csv->len, &error);
  g_string_free (csv, TRUE);
  g_assert_no_error (error);

  settings->format = TL_SOURCE_CSV;
  import = tl_import_run (path, settings, &error);
  g_assert_no_error (error);
  g_assert_nonnull (import);
  g_assert_cmpint (import->report->rows_rejected, ==, 2);
  g_assert_cmpint (import->report->n_rows, ==, 38);
  first = &g_array_index (import->report->rejected, TlRejectedRow, 0);
  second = &g_array_index (import->report->rejected, TlRejectedRow, 1);
  g_assert_cmpint (first->line, ==, 7);
  g_assert_nonnull (strstr (first->reason, "weight"));
  g_assert_nonnull (strstr (first->reason, "NaN"));
  g_assert_cmpint (second->line, ==, 22);
  g_assert_nonnull (strstr (second->reason, "height"));
  g_assert_nonnull (strstr (second->reason, "Inf"));
  for (gsize i = 0; i < (gsize) import->dataset->n * import->dataset->sample_size; i++)
    g_assert_true (isfinite (import->dataset->x[i]));
}

/* Images */

static guint32
crc32_png (const guint8 *data, gsize len)
{
  guint32 crc = 0xffffffffu;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
  return crc ^ 0xffffffffu;
}

static void
png_chunk (GByteArray *out, const char *type, const guint8 *data, guint32 len)
{
  g_autoptr (GByteArray) body = g_byte_array_new ();
  guint32 be_len = GUINT32_TO_BE (len), be_crc;

  g_byte_array_append (body, (const guint8 *) type, 4);
  g_byte_array_append (body, data, len);
  be_crc = GUINT32_TO_BE (crc32_png (body->data, body->len));
  g_byte_array_append (out, (const guint8 *) &be_len, 4);
  g_byte_array_append (out, body->data, body->len);
  g_byte_array_append (out, (const guint8 *) &be_crc, 4);
}

/* A valid PNG signature and header for a width x height RGB image, with a few bytes of pixel data. */
static void
write_png_header (const char *path, guint32 width, guint32 height)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 idat[] = { 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01 };
  g_autoptr (GByteArray) png = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint8 ihdr[13];
  guint32 w = GUINT32_TO_BE (width), h = GUINT32_TO_BE (height);

  memcpy (ihdr, &w, 4);
  memcpy (ihdr + 4, &h, 4);
  ihdr[8] = 8;      /* bit depth */
  ihdr[9] = 2;      /* RGB */
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  g_byte_array_append (png, signature, 8);
  png_chunk (png, "IHDR", ihdr, 13);
  png_chunk (png, "IDAT", idat, sizeof idat);
  png_chunk (png, "IEND", NULL, 0);
  g_file_set_contents (path, (const char *) png->data, png->len, &error);
  g_assert_no_error (error);
}

static void
test_image_huge_png (void)
{
  g_autofree char *folder = tmp_path ("huge-images");
  g_autofree char *class_a = g_build_filename (folder, "a", NULL);
  g_autofree char *class_b = g_build_filename (folder, "b", NULL);
  g_autofree char *huge = g_build_filename (class_a, "huge.png", NULL);
  g_autofree char *small = g_build_filename (class_b, "small.png", NULL);
  g_autoptr (GError) error = NULL;
  TlDataset *ds;
  float pixel[3];

  g_assert_cmpint (g_mkdir_with_parents (class_a, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (class_b, 0700), ==, 0);
  write_png_header (huge, 100000, 100000);
  write_png_header (small, 1, 1);

  /* the file alone, scaled to one pixel: the decoder must not be asked for 30 GB */
  g_assert_false (tl_image_load (huge, 1, 1, 3, pixel, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "huge.png", "100000");
  g_clear_error (&error);

  /* a folder whose first image is the huge one takes its size from it */
  ds = tl_image_folder_load (folder, 0, 0, 3, &error);
  g_assert_null (ds);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "huge.png", "100000");
}

/* IDX and checkpoints */

static void
test_idx_gzip_bomb (void)
{
  /* 60000 x 28 x 28 announced in a gzip file that holds a few hundred bytes */
  g_autofree char *path = tmp_path ("bomb-images-idx3-ubyte.gz");
  static const guint8 header[] = { 0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28 };
  g_autoptr (TlIdxArray) array = NULL;
  g_autoptr (GError) error = NULL;
  GzipWriter *w = gzip_writer_new (path);

  gzip_writer_append (w, (const char *) header, sizeof header);
  gzip_writer_append (w, "\1\2\3", 3);
  gzip_writer_close (w);
  array = tl_idx_read (path, &error);
  g_assert_null (array);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  assert_message_has (error, "bomb-images-idx3-ubyte.gz", "47040000");
}

static void
test_idx_huge_header (void)
{
  g_autofree char *path = tmp_path ("huge-idx3-ubyte");
  static const guint8 header[] = { 0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0, 0, 1, 0, 0, 0, 1, 0 };
  g_autoptr (TlIdxArray) array = NULL;
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, (const char *) header, sizeof header, &error);
  g_assert_no_error (error);
  array = tl_idx_read (path, &error);
  g_assert_null (array);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  assert_message_has (error, "huge-idx3-ubyte", "bytes");
}

static void
test_checkpoint_huge_entry (void)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  g_autoptr (TlCheckpoint) ck = NULL;
  g_autoptr (GError) error = NULL;
  guint32 u32;
  guint64 u64;

  g_byte_array_append (bytes, (const guint8 *) "TLCKPT\r\n", 8);
  u32 = GUINT32_TO_LE (1);
  g_byte_array_append (bytes, (const guint8 *) &u32, 4);   /* version */
  g_byte_array_append (bytes, (const guint8 *) &u32, 4);   /* one entry */
  g_byte_array_append (bytes, (const guint8 *) &u32, 4);   /* name of 1 byte */
  g_byte_array_append (bytes, (const guint8 *) "w", 1);
  g_byte_array_append (bytes, (const guint8 *) &u32, 4);   /* float32 */
  u64 = GUINT64_TO_LE ((guint64) 1 << 62);
  g_byte_array_append (bytes, (const guint8 *) &u64, 8);
  g_byte_array_append (bytes, (const guint8 *) "\0\0\0\0", 4);

  ck = tl_checkpoint_parse (bytes->data, bytes->len, "huge.ckpt", &error);
  g_assert_null (ck);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  assert_message_has (error, "huge.ckpt", "4611686018427387904");
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
limit_address_space (void)
{
#if defined(__SANITIZE_ADDRESS__)
  g_test_message ("AddressSanitizer reserves terabytes of address space: no limit set");
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  g_test_message ("AddressSanitizer reserves terabytes of address space: no limit set");
#else
  struct rlimit limit = { ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT };
  g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
#endif
#else
  struct rlimit limit = { ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT };
  g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
#endif
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  limit_address_space ();
  tmpdir = g_dir_make_tmp ("tl-limits-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);

  g_test_add_func ("/limits/model/huge-tensor", test_model_huge_tensor);
  g_test_add_func ("/limits/model/huge-header", test_model_huge_header);
  g_test_add_func ("/limits/model/huge-architecture", test_model_huge_architecture);
  g_test_add_func ("/limits/csv/gigabyte-line", test_csv_gigabyte_line);
  g_test_add_func ("/limits/csv/gigabyte-field", test_csv_gigabyte_field);
  g_test_add_func ("/limits/csv/too-many-fields", test_csv_too_many_fields);
  g_test_add_func ("/limits/csv/ten-million-labels", test_csv_ten_million_labels);
  g_test_add_func ("/limits/csv/one-hot-explosion", test_csv_one_hot_explosion);
  g_test_add_func ("/limits/csv/nan-inf-reported", test_csv_nan_inf_reported);
  g_test_add_func ("/limits/image/huge-png", test_image_huge_png);
  g_test_add_func ("/limits/idx/gzip-bomb", test_idx_gzip_bomb);
  g_test_add_func ("/limits/idx/huge-header", test_idx_huge_header);
  g_test_add_func ("/limits/checkpoint/huge-entry", test_checkpoint_huge_entry);

  status = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return status;
}
