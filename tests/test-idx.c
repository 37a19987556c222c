#include "config.h"

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tl-error.h"
#include "tl-idx.h"
#include "tl-import.h"

static char *
make_folder (const char *name)
{
  g_autofree char *root = g_dir_make_tmp ("tl-idx-XXXXXX", NULL);
  char *dir = g_build_filename (root, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return dir;
}

/* n images of 4x3 whose pixels encode their index, and labels i % 3. */
static void
write_pair (const char *dir, int n, gboolean gzip)
{
  g_autofree guint8 *pixels = g_new (guint8, n * 12);
  g_autofree guint8 *labels = g_new (guint8, n);
  g_autofree char *images_path = g_build_filename (dir, gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte", NULL);
  g_autofree char *labels_path = g_build_filename (dir, gzip ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte", NULL);
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < n * 12; i++)
    pixels[i] = (guint8) ((i / 12) * 10 + i % 12);
  for (int i = 0; i < n; i++)
    labels[i] = i % 3;
  tl_idx_write (images_path, 3, (int[]) { n, 4, 3 }, pixels, gzip, &error);
  g_assert_no_error (error);
  tl_idx_write (labels_path, 1, (int[]) { n }, labels, gzip, &error);
  g_assert_no_error (error);
}

static void
check_pair (const char *dir, gboolean gzip)
{
  g_autofree char *images_path = g_build_filename (dir, gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) ds = tl_idx_load (images_path, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (ds->n, ==, 12);
  g_assert_cmpint (ds->kind, ==, TL_DATA_IMAGE);
  g_assert_cmpint (ds->sample_ndim, ==, 3);
  g_assert_cmpint (ds->sample_shape[0], ==, 1);
  g_assert_cmpint (ds->sample_shape[1], ==, 4);
  g_assert_cmpint (ds->sample_shape[2], ==, 3);
  g_assert_cmpint (ds->n_classes, ==, 3);
  g_assert_cmpstr (ds->class_names[2], ==, "2");
  for (int i = 0; i < 12; i++)
    {
      g_assert_cmpint (ds->y[i], ==, i % 3);
      for (int p = 0; p < 12; p++)
        g_assert_cmpfloat_with_epsilon (ds->x[i * 12 + p], (i * 10 + p) / 255.0f, 1e-7);
    }
}

static void
test_round_trip (void)
{
  g_autofree char *dir = make_folder ("digits");

  write_pair (dir, 12, FALSE);
  check_pair (dir, FALSE);
  write_pair (dir, 12, TRUE);
  check_pair (dir, TRUE);
}

static void
test_fashion_names (void)
{
  g_autofree char *dir = make_folder ("fashion-mnist");
  g_autofree char *images_path = g_build_filename (dir, "train-images-idx3-ubyte.gz", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) ds = NULL;

  write_pair (dir, 12, TRUE);
  ds = tl_idx_load (images_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->n_classes, ==, 10);
  g_assert_cmpstr (ds->class_names[0], ==, "T-shirt/top");
  g_assert_cmpstr (ds->class_names[9], ==, "Ankle boot");
}

static void
test_malformed (void)
{
  g_autofree char *dir = make_folder ("bad");
  g_autofree char *path = g_build_filename (dir, "x-images-idx3-ubyte", NULL);
  g_autofree char *gz = g_build_filename (dir, "y-images-idx3-ubyte.gz", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlIdxArray) array = NULL;
  guint8 data[12] = { 0 };
  /* announces 2^30 * 2^30 bytes in a 16-byte file */
  const guint8 huge[] = { 0, 0, 8, 3, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 1 };
  const guint8 short_file[] = { 0, 0, 8, 1, 0, 0, 0, 100, 1, 2, 3 };
  const guint8 bad_magic[] = { 1, 2, 8, 1, 0, 0, 0, 1, 1 };

  g_file_set_contents (path, (const char *) huge, sizeof huge, NULL);
  array = tl_idx_read (path, &error);
  g_assert_null (array);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_file_set_contents (path, (const char *) short_file, sizeof short_file, NULL);
  array = tl_idx_read (path, &error);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "announces 100 bytes"));
  g_clear_error (&error);

  g_file_set_contents (path, (const char *) bad_magic, sizeof bad_magic, NULL);
  array = tl_idx_read (path, &error);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "magic"));
  g_clear_error (&error);

  /* a gzip file whose header announces more than it holds */
  tl_idx_write (gz, 1, (int[]) { 12 }, data, TRUE, &error);
  g_assert_no_error (error);
  {
    g_autofree char *contents = NULL;
    gsize len;

    g_file_get_contents (gz, &contents, &len, NULL);
    contents[len - 4] = (char) 0x20;     /* the recorded size no longer matches */
    g_file_set_contents (gz, contents, len, NULL);
  }
  array = tl_idx_read (gz, &error);
  g_assert_null (array);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_clear_error (&error);

  /* images without labels */
  tl_idx_write (path, 3, (int[]) { 1, 2, 2 }, data, FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (tl_idx_load (path, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "labels"));
}

static void
test_fashion_mnist (void)
{
  const char *path = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  int counts[10];

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("Fashion-MNIST is not installed in /usr/share/datasets/fashion-mnist");
      return;
    }
  s->val_fraction = 0.0;
  s->test_fraction = 0.0;
  import = tl_import_run (path, s, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (import->report->format, ==, "idx");
  g_assert_cmpint (import->dataset->n, ==, 60000);
  g_assert_cmpint (import->dataset->n_classes, ==, 10);
  g_assert_cmpstr (import->dataset->class_names[7], ==, "Sneaker");
  g_assert_cmpint (import->dataset->sample_shape[1], ==, 28);
  tl_dataset_class_counts (import->dataset, counts);
  for (int c = 0; c < 10; c++)
    g_assert_cmpint (counts[c], ==, 6000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/idx/round-trip", test_round_trip);
  g_test_add_func ("/idx/fashion-names", test_fashion_names);
  g_test_add_func ("/idx/malformed", test_malformed);
  g_test_add_func ("/idx/fashion-mnist", test_fashion_mnist);
  return g_test_run ();
}
