#define G_LOG_DOMAIN "tl-idx"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "tl-error.h"
#include "tl-file-cache.h"
#include "tl-idx.h"

static const char *const fashion_names[] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL,
};

const char *const *
tl_fashion_mnist_class_names (void)
{
  return fashion_names;
}

void
tl_idx_array_free (TlIdxArray *array)
{
  if (array == NULL)
    return;
  g_free (array->data);
  g_free (array);
}

static gboolean
io_fail (const char *path, GError *io_error, GError **error)
{
  int code = g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) ? TL_ERROR_PARSE : TL_ERROR_IO;

  g_set_error (error, TL_ERROR, code, "%s: %s", path, io_error->message);
  g_error_free (io_error);
  return FALSE;
}

/* Reads exactly `want` bytes; *got tells how many came before the end. */
static gboolean
read_exact (GInputStream *in, const char *path, void *buffer, gsize want, gsize *got, GError **error)
{
  GError *io_error = NULL;

  if (!g_input_stream_read_all (in, buffer, want, got, NULL, &io_error))
    return io_fail (path, io_error, error);
  return TRUE;
}

/* Opens path for reading, through a gzip decompressor when it starts like gzip. */
static GInputStream *
open_idx_stream (const char *path, guint64 *file_size, gboolean *gzipped, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) raw = NULL;
  g_autoptr (GFileInfo) info = NULL;
  GError *io_error = NULL;
  guint8 magic[2];
  gsize got = 0;

  raw = g_file_read (file, NULL, &io_error);
  if (raw == NULL)
    return io_fail (path, io_error, error), NULL;
  info = g_file_input_stream_query_info (raw, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, &io_error);
  if (info == NULL)
    return io_fail (path, io_error, error), NULL;
  *file_size = g_file_info_get_size (info);

  if (!read_exact (G_INPUT_STREAM (raw), path, magic, 2, &got, error))
    return NULL;
  *gzipped = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (!g_seekable_seek (G_SEEKABLE (raw), 0, G_SEEK_SET, NULL, &io_error))
    return io_fail (path, io_error, error), NULL;
  if (*gzipped)
    {
      g_autoptr (GZlibDecompressor) gz = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);

      return g_converter_input_stream_new (G_INPUT_STREAM (raw), G_CONVERTER (gz));
    }
  return G_INPUT_STREAM (g_object_ref (raw));
}

gboolean
tl_idx_sniff (const char *path)
{
  g_autoptr (GInputStream) in = NULL;
  guint64 size;
  gboolean gzipped;
  guint8 magic[4];
  gsize got = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)
      || (in = open_idx_stream (path, &size, &gzipped, NULL)) == NULL
      || !g_input_stream_read_all (in, magic, 4, &got, NULL, NULL) || got < 4)
    return FALSE;
  /* two zero bytes, an element type of the format (0x08 bytes to 0x0e doubles), 1 to 4 dimensions */
  return magic[0] == 0 && magic[1] == 0 && magic[2] >= 0x08 && magic[2] <= 0x0e && magic[2] != 0x0a
         && magic[3] >= 1 && magic[3] <= 4;
}

/* Reads the magic number and the dimensions into array; *expected is the number of data bytes. */
static gboolean
read_idx_header (GInputStream *in, const char *path, TlIdxArray *array, guint64 *expected, GError **error)
{
  guint8 header[4 + 4 * 4];
  gsize got = 0;

  if (!read_exact (in, path, header, 4, &got, error))
    return FALSE;
  if (got < 4 || header[0] != 0 || header[1] != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: not an IDX file (bad magic number)"), path);
      return FALSE;
    }
  if (header[2] != 0x08)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   _("%s: IDX element type 0x%02x is not supported (only unsigned bytes, 0x08)"),
                   path, header[2]);
      return FALSE;
    }
  array->ndim = header[3];
  if (array->ndim < 1 || array->ndim > 4)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: an IDX file with %d dimensions is not supported"),
                   path, array->ndim);
      return FALSE;
    }
  if (!read_exact (in, path, header + 4, 4 * array->ndim, &got, error))
    return FALSE;
  if (got < (gsize) 4 * array->ndim)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: the IDX header is cut short"), path);
      return FALSE;
    }
  *expected = 1;
  for (int d = 0; d < array->ndim; d++)
    {
      guint32 v = GUINT32_FROM_BE (*(guint32 *) (gpointer) (header + 4 + 4 * d));

      if (v > G_MAXINT)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE, _("%s: dimension %d is %u, too large"), path, d, v);
          return FALSE;
        }
      array->dims[d] = (int) v;
      *expected *= v;
      if (*expected > TL_IDX_MAX_BYTES)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                       _("%s: the header announces more than %llu bytes of data"),
                       path, (unsigned long long) TL_IDX_MAX_BYTES);
          return FALSE;
        }
    }
  return TRUE;
}

/* Refuses a file whose size (or, gzipped, whose recorded uncompressed size) contradicts the header. */
static gboolean
check_idx_size (const char *path, gboolean gzipped, guint64 file_size, guint64 header_size, guint64 expected,
                GError **error)
{
  if (!gzipped && file_size != header_size + expected)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   _("%s: the header announces %llu bytes of data but the file holds %llu"),
                   path, (unsigned long long) expected,
                   (unsigned long long) (file_size >= header_size ? file_size - header_size : 0));
      return FALSE;
    }
  if (gzipped && file_size >= 18)
    {
      /* gzip ends with the uncompressed size modulo 2^32 */
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GFileInputStream) tail = g_file_read (file, NULL, NULL);
      guint8 isize[4];
      gsize got = 0;

      if (tail != NULL && g_seekable_seek (G_SEEKABLE (tail), -4, G_SEEK_END, NULL, NULL)
          && g_input_stream_read_all (G_INPUT_STREAM (tail), isize, 4, &got, NULL, NULL) && got == 4
          && GUINT32_FROM_LE (*(guint32 *) (gpointer) isize) != (guint32) (header_size + expected))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                       _("%s: the header announces %llu bytes of data but the file holds %llu"),
                       path, (unsigned long long) expected,
                       (unsigned long long) (GUINT32_FROM_LE (*(guint32 *) (gpointer) isize) - (guint32) header_size));
          return FALSE;
        }
    }
  return TRUE;
}

/* Reads the array->size data bytes, and checks that nothing follows them. */
static gboolean
read_idx_data (GInputStream *in, const char *path, TlIdxArray *array, gboolean gzipped, GError **error)
{
  guint64 expected = array->size, allocated, filled = 0;
  gsize got = 0;
  guint8 extra;

  /* a few bytes of gzip may announce gigabytes: memory grows with the data that really comes */
  allocated = gzipped ? MIN (expected, (guint64) 1 << 24) : expected;
  array->data = g_try_malloc (MAX (allocated, 1));
  while (array->data != NULL)
    {
      if (!read_exact (in, path, array->data + filled, allocated - filled, &got, error))
        return FALSE;
      filled += got;
      if (filled < allocated || filled == expected)
        break;
      allocated = MIN (expected, allocated * 2);
      array->data = g_try_realloc (array->data, allocated);
    }
  if (array->data == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE, _("%s: not enough memory for %llu bytes"),
                   path, (unsigned long long) expected);
      return FALSE;
    }
  if (filled < expected)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   _("%s: the data ends after %llu of %llu bytes"),
                   path, (unsigned long long) filled, (unsigned long long) expected);
      return FALSE;
    }
  if (!read_exact (in, path, &extra, 1, &got, error))
    return FALSE;
  if (got != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   _("%s: more data follows the %llu bytes the header announces"),
                   path, (unsigned long long) expected);
      return FALSE;
    }
  return TRUE;
}

TlIdxArray *
tl_idx_read (const char *path, GError **error)
{
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (TlIdxArray) array = NULL;
  guint64 file_size = 0, expected = 1;
  gboolean gzipped = FALSE;

  g_return_val_if_fail (path != NULL, NULL);

  in = open_idx_stream (path, &file_size, &gzipped, error);
  if (in == NULL)
    return NULL;
  array = g_new0 (TlIdxArray, 1);
  if (!read_idx_header (in, path, array, &expected, error)
      || !check_idx_size (path, gzipped, file_size, 4 + 4 * (guint64) array->ndim, expected, error))
    return NULL;
  array->size = expected;
  if (!read_idx_data (in, path, array, gzipped, error))
    return NULL;
  return g_steal_pointer (&array);
}

gboolean
tl_idx_write (const char *path, int ndim, const int *dims, const guint8 *data, gboolean gzip,
              GError **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileOutputStream) raw = NULL;
  g_autoptr (GOutputStream) out = NULL;
  GError *io_error = NULL;
  guint8 header[4 + 16] = { 0, 0, 0x08, 0 };
  gsize size = 1;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (ndim >= 1 && ndim <= 4, FALSE);
  g_return_val_if_fail (dims != NULL, FALSE);

  header[3] = (guint8) ndim;
  for (int d = 0; d < ndim; d++)
    {
      guint32 be = GUINT32_TO_BE ((guint32) dims[d]);

      memcpy (header + 4 + 4 * d, &be, 4);
      size *= dims[d];
    }
  file = g_file_new_for_path (path);
  /* g_file_replace writes a temporary file and renames it over the target */
  raw = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL, &io_error);
  if (raw == NULL)
    return io_fail (path, io_error, error);
  if (gzip)
    {
      g_autoptr (GZlibCompressor) gz = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);

      out = g_converter_output_stream_new (G_OUTPUT_STREAM (raw), G_CONVERTER (gz));
    }
  else
    out = G_OUTPUT_STREAM (g_object_ref (raw));
  if (!g_output_stream_write_all (out, header, 4 + 4 * ndim, NULL, NULL, &io_error)
      || !g_output_stream_write_all (out, data, size, NULL, NULL, &io_error)
      || !g_output_stream_close (out, NULL, &io_error))
    return io_fail (path, io_error, error);
  return TRUE;
}

static char *
replace_once (const char *text, const char *from, const char *to)
{
  const char *at = strstr (text, from);

  if (at == NULL)
    return NULL;
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, to, at + strlen (from));
}

char *
tl_idx_find_labels_path (const char *images_path)
{
  static const char *const patterns[][2] = {
    { "images-idx3", "labels-idx1" },
    { "images.idx3", "labels.idx1" },
    { "images", "labels" },
  };
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;

  g_return_val_if_fail (images_path != NULL, NULL);

  dir = g_path_get_dirname (images_path);
  base = g_path_get_basename (images_path);
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      g_autofree char *name = replace_once (base, patterns[i][0], patterns[i][1]);
      g_autofree char *candidate = NULL;
      g_autofree char *other = NULL;

      if (name == NULL)
        continue;
      candidate = g_build_filename (dir, name, NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&candidate);
      if (g_str_has_suffix (candidate, ".gz"))
        other = g_strndup (candidate, strlen (candidate) - 3);
      else
        other = g_strconcat (candidate, ".gz", NULL);
      if (g_file_test (other, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&other);
    }
  return NULL;
}

static gboolean
is_fashion_folder (const char *images_path)
{
  g_autofree char *dir = g_path_get_dirname (images_path);
  g_autofree char *abs = g_canonicalize_filename (dir, NULL);
  g_autofree char *name = g_path_get_basename (abs);
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return strstr (lower, "fashion") != NULL;
}

static gpointer
read_for_cache (const char *path, GError **error)
{
  return tl_idx_read (path, error);
}

static TlIdxArray *
read_shared (const char *path, GError **error)
{
  return tl_file_cache_acquire (path, read_for_cache, (GDestroyNotify) tl_idx_array_free, error);
}

typedef TlIdxArray TlIdxShared;

static void
release_shared (TlIdxArray *array)
{
  tl_file_cache_release (array);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlIdxShared, release_shared)

GBytes *
tl_idx_hold (const char *path, GError **error)
{
  TlIdxArray *array;

  g_return_val_if_fail (path != NULL, NULL);

  array = read_shared (path, error);
  if (array == NULL)
    return NULL;
  return g_bytes_new_with_free_func (array->data, array->size, (GDestroyNotify) release_shared, array);
}

TlDataset *
tl_idx_load_bytes (const char *images_path, const char *labels_path, GError **error)
{
  g_autoptr (TlIdxShared) images = NULL;
  g_autoptr (TlIdxShared) labels = NULL;
  g_autoptr (GBytes) pixels = NULL;
  g_autofree char *found = NULL;
  g_auto (GStrv) names = NULL;
  TlDataset *ds;
  int n, max_label = 0, n_classes, rows, cols;

  g_return_val_if_fail (images_path != NULL, NULL);

  if (labels_path == NULL)
    {
      found = tl_idx_find_labels_path (images_path);
      if (found == NULL)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_IO,
                       _("%s: no labels file found beside it (such as train-labels-idx1-ubyte.gz); name one"),
                       images_path);
          return NULL;
        }
      labels_path = found;
    }
  if ((images = read_shared (images_path, error)) == NULL
      || (labels = read_shared (labels_path, error)) == NULL)
    return NULL;
  if (images->ndim != 3)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   _("%s: images must have 3 dimensions (count, rows, columns), not %d"),
                   images_path, images->ndim);
      return NULL;
    }
  if (labels->ndim != 1 || labels->dims[0] != images->dims[0])
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   _("%s: expected %d labels in one dimension to match the images"),
                   labels_path, images->dims[0]);
      return NULL;
    }
  if ((guint64) images->size > TL_IDX_MAX_FLOATS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                   _("%s: %llu pixels would take more than %llu GiB as floats"),
                   images_path, (unsigned long long) images->size,
                   (unsigned long long) ((TL_IDX_MAX_FLOATS * sizeof (float)) >> 30));
      return NULL;
    }
  n = images->dims[0];
  for (int i = 0; i < n; i++)
    max_label = MAX (max_label, labels->data[i]);
  n_classes = max_label + 1;
  if (is_fashion_folder (images_path) && n_classes <= 10)
    {
      n_classes = 10;
      names = g_strdupv ((char **) fashion_names);
    }
  else
    {
      names = g_new0 (char *, n_classes + 1);
      for (int c = 0; c < n_classes; c++)
        names[c] = g_strdup_printf ("%d", c);
    }

  rows = images->dims[1];
  cols = images->dims[2];
  /* the rows stay those of the file as read, shared with whoever reads it too */
  pixels = g_bytes_new_with_free_func (images->data, images->size, (GDestroyNotify) release_shared, images);
  images = NULL;   /* now the bytes' */
  ds = tl_dataset_new_shared_bytes (TL_DATA_IMAGE, n, 3, (int[]) { 1, rows, cols },
                                    n_classes, (const char *const *) names, pixels, 0);
  ds->source_index = g_new (int, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      ds->y[i] = labels->data[i];
      ds->source_index[i] = i;
    }
  return ds;
}

TlDataset *
tl_idx_load (const char *images_path, const char *labels_path, GError **error)
{
  TlDataset *ds = tl_idx_load_bytes (images_path, labels_path, error);
  gsize size;

  if (ds == NULL)
    return NULL;
  size = (gsize) ds->n * ds->sample_size;
  ds->x = g_new (float, MAX (size, 1));
  for (gsize i = 0; i < size; i++)
    ds->x[i] = ds->x8[i] * (1.0f / 255.0f);
  ds->x8 = NULL;
  g_clear_pointer (&ds->x8_owner, g_bytes_unref);
  return ds;
}
