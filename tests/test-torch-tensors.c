#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tl-error.h"
#include "tl-torch-tensors.h"
#include "test-util.h"

/* The prepared data of a torch job: splits to safetensors and back, and
 * damaged files refused with the file's name. */

static char *tmp;

static TlDataset *
small_images (int n, int seed)
{
  const char *classes[] = { "Sandal", "Shirt", "Bag", NULL };
  TlDataset *ds = tl_dataset_new (TL_DATA_IMAGE, n, 3, (int[]) { 1, 2, 3 }, 3, classes);

  for (gsize i = 0; i < (gsize) n * ds->sample_size; i++)
    ds->x[i] = (float) ((i * 7 + seed) % 11) / 10.0f;
  for (int i = 0; i < n; i++)
    ds->y[i] = (i + seed) % 3;
  return ds;
}

static void
test_round_trip (void)
{
  g_autofree char *path = g_build_filename (tmp, "splits.safetensors", NULL);
  g_autoptr (TlDataset) train = small_images (5, 1);
  g_autoptr (TlDataset) test = small_images (4, 2);
  const char *names[] = { "train", "val", "test" };
  const TlDataset *splits[] = { train, NULL, test };
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) back = NULL;
  g_autoptr (TlDataset) none = NULL;
  g_autofree float *y = NULL;
  gint64 shape[4];
  int ndim = 0;

  g_assert_true (tl_torch_tensors_write_splits (path, names, splits, 3, &error));
  g_assert_no_error (error);

  back = tl_torch_tensors_read_split (path, "test", &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpint (back->kind, ==, TL_DATA_IMAGE);
  g_assert_cmpint (back->n, ==, 4);
  g_assert_cmpint (back->sample_ndim, ==, 3);
  g_assert_cmpint (back->sample_shape[2], ==, 3);
  g_assert_cmpint (back->n_classes, ==, 3);
  g_assert_cmpstr (back->class_names[2], ==, "Bag");
  g_assert_cmpmem (back->x, 4 * 6 * sizeof (float), test->x, 4 * 6 * sizeof (float));
  g_assert_cmpmem (back->y, 4 * sizeof (int), test->y, 4 * sizeof (int));

  /* a split without rows is absent, without an error */
  none = tl_torch_tensors_read_split (path, "val", &error);
  g_assert_no_error (error);
  g_assert_null (none);

  y = tl_torch_tensors_read (path, "train.y", &ndim, shape, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ndim, ==, 1);
  g_assert_cmpint (shape[0], ==, 5);
  g_assert_cmpfloat (y[3], ==, (float) train->y[3]);
}

static void
write_raw (const char *path, const char *header, const void *data, gsize len)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint64 n = GUINT64_TO_LE (strlen (header));
  g_autoptr (GError) error = NULL;

  g_byte_array_append (b, (const guint8 *) &n, 8);
  g_byte_array_append (b, (const guint8 *) header, strlen (header));
  g_byte_array_append (b, data, len);
  g_file_set_contents (path, (const char *) b->data, b->len, &error);
  g_assert_no_error (error);
}

static void
expect_refused (const char *path, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) ds = tl_torch_tensors_read_split (path, "test", &error);

  g_assert_null (ds);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_assert_true (g_str_has_prefix (error->message, path));
  if (strstr (error->message, message) == NULL)
    g_error ("expected '%s' in: %s", message, error->message);
}

/* Images held as bytes are written as the floats they stand for, the same file as from floats. */
static void
test_bytes_split (void)
{
  g_autofree char *from_bytes = g_build_filename (tmp, "bytes.safetensors", NULL);
  g_autofree char *from_floats = g_build_filename (tmp, "floats.safetensors", NULL);
  const char *classes[] = { "Sandal", "Shirt", "Bag", NULL };
  guint8 *pixels = g_new (guint8, 4 * 6);
  g_autoptr (TlDataset) bytes = NULL;
  g_autoptr (TlDataset) floats = NULL;
  const char *names[] = { "train" };
  g_autoptr (GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL;
  gsize len_a = 0, len_b = 0;

  for (int i = 0; i < 4 * 6; i++)
    pixels[i] = (guint8) (i * 37 % 256);
  bytes = tl_dataset_new_bytes (TL_DATA_IMAGE, 4, 3, (int[]) { 1, 2, 3 }, 3, classes, pixels);
  for (int i = 0; i < 4; i++)
    bytes->y[i] = i % 3;
  floats = tl_dataset_subset_floats (bytes, (int[]) { 0, 1, 2, 3 }, 4);
  g_assert_true (tl_torch_tensors_write_splits (from_bytes, names, (const TlDataset *[]) { bytes }, 1, &error));
  g_assert_no_error (error);
  g_assert_true (tl_torch_tensors_write_splits (from_floats, names, (const TlDataset *[]) { floats }, 1, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (from_bytes, &a, &len_a, NULL));
  g_assert_true (g_file_get_contents (from_floats, &b, &len_b, NULL));
  g_assert_cmpmem (a, len_a, b, len_b);
}

static void
test_malformed (void)
{
  g_autofree char *path = g_build_filename (tmp, "bad.safetensors", NULL);
  const float values[4] = { 0.5f, 0.25f, 0.0f, 7.0f };
  const char *meta = "\"__metadata__\":{\"classes\":\"[\\\"a\\\",\\\"b\\\"]\"}";
  g_autofree char *mismatch = g_strdup_printf (
    "{%s,\"test.x\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,12]},"
    "\"test.y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", meta);
  g_autofree char *beyond = g_strdup_printf (
    "{%s,\"test.x\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
    "\"test.y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", meta);
  g_autofree char *wrong_dtype = g_strdup_printf (
    "{%s,\"test.x\":{\"dtype\":\"F16\",\"shape\":[2,1],\"data_offsets\":[0,4]}}", meta);
  g_autofree char *bad_class = g_strdup_printf (
    "{%s,\"test.x\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
    "\"test.y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", meta);
  g_autofree char *no_y = g_strdup_printf (
    "{%s,\"test.x\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]}}", meta);

  g_file_set_contents (path, "abc", 3, NULL);
  expect_refused (path, "too short");
  {
    guint64 huge = GUINT64_TO_LE (1u << 30);
    g_file_set_contents (path, (const char *) &huge, 8, NULL);
    expect_refused (path, "does not fit the file");
  }
  write_raw (path, "[1, 2]", NULL, 0);
  expect_refused (path, "not a JSON object");
  write_raw (path, "{\"test.x\":{}}", NULL, 0);
  expect_refused (path, "__metadata__.classes");
  write_raw (path, mismatch, values, sizeof values);
  expect_refused (path, "data_offsets do not match its shape");
  write_raw (path, beyond, values, sizeof values);
  expect_refused (path, "data_offsets do not match its shape");
  write_raw (path, wrong_dtype, values, sizeof values);
  expect_refused (path, "expected F32");
  write_raw (path, bad_class, values, sizeof values);
  expect_refused (path, "row 1 has class 7");
  write_raw (path, no_y, values, sizeof values);
  expect_refused (path, "test.x without test.y");
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp = g_dir_make_tmp ("tl-torch-tensors-XXXXXX", NULL);
  g_test_add_func ("/torch-tensors/round-trip", test_round_trip);
  g_test_add_func ("/torch-tensors/bytes", test_bytes_split);
  g_test_add_func ("/torch-tensors/malformed", test_malformed);
  status = g_test_run ();
  tl_test_remove_tree (tmp);
  g_free (tmp);
  return status;
}
