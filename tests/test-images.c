#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tl-error.h"
#include "tl-image-folder.h"
#include "tl-import.h"

/* A w x h image whose pixel (x, y) is (10x, 20y, 200) in RGB. */
static void
write_image (const char *dir, const char *cls, const char *name, int w, int h, const char *type)
{
  g_autofree char *sub = g_build_filename (dir, cls, NULL);
  g_autofree char *path = g_build_filename (sub, name, NULL);
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  g_autoptr (GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);

  g_mkdir_with_parents (sub, 0700);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint8 *p = pixels + y * stride + x * 3;

        p[0] = 10 * x;
        p[1] = 20 * y;
        p[2] = 200;
      }
  gdk_pixbuf_save (pixbuf, path, type, &error, NULL);
  g_assert_no_error (error);
}

static char *
make_folder (void)
{
  char *dir = g_dir_make_tmp ("tl-images-XXXXXX", NULL);

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *a = g_strdup_printf ("a%d.png", i);
      g_autofree char *b = g_strdup_printf ("b%d.PNG", i);

      write_image (dir, "cats", a, 4, 3, "png");
      write_image (dir, "dogs", b, 4, 3, "png");
    }
  write_image (dir, "dogs", "photo.jpg", 8, 6, "jpeg");
  {
    g_autofree char *notes = g_build_filename (dir, "dogs", "notes.txt", NULL);

    g_assert_true (g_file_set_contents (notes, "not an image", -1, NULL));
  }
  return dir;
}

static void
test_rgb_round_trip (void)
{
  g_autofree char *dir = make_folder ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) ds = tl_image_folder_load (dir, 4, 3, 3, &error);
  int counts[2];

  g_assert_no_error (error);
  g_assert_cmpint (ds->n, ==, 11);
  g_assert_cmpint (ds->n_classes, ==, 2);
  g_assert_cmpstr (ds->class_names[0], ==, "cats");
  g_assert_cmpstr (ds->class_names[1], ==, "dogs");
  g_assert_cmpint (ds->sample_shape[0], ==, 3);
  g_assert_cmpint (ds->sample_shape[1], ==, 3);
  g_assert_cmpint (ds->sample_shape[2], ==, 4);
  tl_dataset_class_counts (ds, counts);
  g_assert_cmpint (counts[0], ==, 5);
  g_assert_cmpint (counts[1], ==, 6);
  g_assert_true (g_str_has_suffix (ds->source_text[0], "a0.png"));
  /* PNG is lossless: every value is exact */
  for (int y = 0; y < 3; y++)
    for (int x = 0; x < 4; x++)
      {
        g_assert_cmpfloat_with_epsilon (ds->x[0 * 12 + y * 4 + x], 10 * x / 255.0f, 1e-6);
        g_assert_cmpfloat_with_epsilon (ds->x[1 * 12 + y * 4 + x], 20 * y / 255.0f, 1e-6);
        g_assert_cmpfloat_with_epsilon (ds->x[2 * 12 + y * 4 + x], 200 / 255.0f, 1e-6);
      }
  /* the scaled JPEG stays in [0, 1] and keeps its blue plane near 200 */
  for (gsize i = 0; i < ds->sample_size; i++)
    {
      float v = ds->x[10 * ds->sample_size + i];

      g_assert_cmpfloat (v, >=, 0.0f);
      g_assert_cmpfloat (v, <=, 1.0f);
    }
  g_assert_cmpfloat_with_epsilon (ds->x[10 * ds->sample_size + 2 * 12], 200 / 255.0f, 0.05);
}

static void
test_grey_and_size (void)
{
  g_autofree char *dir = make_folder ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) grey = tl_image_folder_load (dir, 0, 0, 1, &error);
  g_autoptr (TlDataset) big = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (grey->sample_shape[0], ==, 1);
  g_assert_cmpint (grey->sample_shape[1], ==, 3);
  g_assert_cmpint (grey->sample_shape[2], ==, 4);
  /* pixel (2, 1) is (20, 20, 200): grey 0.299 * 20 + 0.587 * 20 + 0.114 * 200 = 40.52, the byte 41 */
  g_assert_cmpfloat (grey->x[1 * 4 + 2], ==, 41 * (1.0f / 255.0f));

  big = tl_image_folder_load (dir, 20000, 10, 3, &error);
  g_assert_null (big);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "16384"));
}

static void
test_empty_folder (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tl-images-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_null (tl_image_folder_load (dir, 8, 8, 3, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, dir));
}

static void
test_import (void)
{
  g_autofree char *dir = make_folder ();
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) again = NULL;

  s->image_width = 2;
  s->image_height = 2;
  s->channels = 1;
  s->val_fraction = 0.2;
  s->test_fraction = 0.2;
  import = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (import->report->format, ==, "images");
  g_assert_cmpint (import->split->n_train + import->split->n_val + import->split->n_test, ==, 11);
  g_assert_cmpint (import->split->n_test, ==, 2);
  g_assert_cmpint (import->preprocess->width, ==, 2);
  again = tl_import_apply (dir, NULL, import->preprocess, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->sample_size, ==, 4);
  g_assert_cmpmem (again->x, again->n * 4 * sizeof (float), import->dataset->x, 11 * 4 * sizeof (float));
}

/* Pixels kept as bytes read back as the floats the float loader makes, bit for
 * bit, in colour and in grey, scaled or not, PNG and JPEG. */
static void
test_bytes_match_floats (void)
{
  g_autofree char *dir = make_folder ();
  const int sizes[][3] = { { 0, 0, 3 }, { 0, 0, 1 }, { 5, 7, 3 }, { 3, 2, 1 } };

  for (gsize k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (TlDataset) floats = tl_image_folder_load (dir, sizes[k][0], sizes[k][1], sizes[k][2], &error);
      g_autoptr (TlDataset) bytes = tl_image_folder_load_bytes (dir, sizes[k][0], sizes[k][1], sizes[k][2], NULL,
                                                                NULL, NULL, &error);
      g_autofree float *row = NULL;

      g_assert_no_error (error);
      g_assert_null (bytes->x);
      g_assert_nonnull (bytes->x8);
      g_assert_cmpint (bytes->n, ==, floats->n);
      g_assert_cmpint (bytes->sample_size, ==, floats->sample_size);
      g_assert_cmpmem (bytes->y, bytes->n * sizeof (int), floats->y, floats->n * sizeof (int));
      row = g_new (float, bytes->sample_size);
      for (int i = 0; i < bytes->n; i++)
        {
          g_assert_cmpstr (bytes->source_text[i], ==, floats->source_text[i]);
          g_assert_cmpmem (tl_dataset_row (bytes, i, row), bytes->sample_size * sizeof (float),
                           floats->x + (gsize) i * floats->sample_size, floats->sample_size * sizeof (float));
        }
    }
}

/* Asked for some classes, the loader reads only their images; every class keeps
 * its name and label. */
static void
test_bytes_of_some_classes (void)
{
  g_autofree char *dir = make_folder ();
  const char *const dogs[] = { "dogs", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) all = tl_image_folder_load (dir, 4, 3, 3, &error);
  g_autoptr (TlDataset) some = tl_image_folder_load_bytes (dir, 4, 3, 3, dogs, NULL, NULL, &error);
  float row[4 * 3 * 3];
  int k = 0;

  g_assert_no_error (error);
  g_assert_cmpint (some->n_classes, ==, 2);
  g_assert_cmpstr (some->class_names[0], ==, "cats");
  g_assert_cmpstr (some->class_names[1], ==, "dogs");
  g_assert_cmpint (some->n, ==, 6);
  for (int i = 0; i < all->n; i++)
    if (all->y[i] == 1)
      {
        g_assert_cmpint (some->y[k], ==, 1);
        g_assert_cmpstr (some->source_text[k], ==, all->source_text[i]);
        g_assert_cmpmem (tl_dataset_row (some, k, row), sizeof row, all->x + (gsize) i * all->sample_size, sizeof row);
        k++;
      }
  g_assert_cmpint (k, ==, some->n);
}

/* A run's import (keep_bytes) holds the folder's pixels as bytes, and a new
 * folder read through its preprocessing does too. */
static void
test_import_keeps_bytes (void)
{
  g_autofree char *dir = make_folder ();
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL, as_floats = NULL;
  g_autoptr (TlDataset) again = NULL;
  g_autoptr (GError) error = NULL;
  float row[4 * 3 * 3];

  s->image_width = 4;
  s->image_height = 3;
  s->test_fraction = 0.2;
  as_floats = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  s->keep_bytes = TRUE;
  import = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  g_assert_null (import->dataset->x);
  g_assert_nonnull (import->dataset->x8);
  g_assert_cmpint (import->dataset->n, ==, as_floats->dataset->n);
  for (int i = 0; i < import->dataset->n; i++)
    g_assert_cmpmem (tl_dataset_row (import->dataset, i, row), sizeof row,
                     as_floats->dataset->x + (gsize) i * G_N_ELEMENTS (row), sizeof row);

  again = tl_import_apply (dir, s, import->preprocess, &error);
  g_assert_no_error (error);
  g_assert_null (again->x);
  g_assert_nonnull (again->x8);
  g_assert_cmpint (again->n, ==, 11);

  /* one class of two: the same rows as the float import of that class */
  g_clear_pointer (&import, tl_import_free);
  g_clear_pointer (&as_floats, tl_import_free);
  s->classes = g_strsplit ("dogs", ",", -1);
  s->keep_bytes = FALSE;
  as_floats = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  s->keep_bytes = TRUE;
  import = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  g_assert_cmpint (import->dataset->n, ==, 6);
  g_assert_cmpint (import->dataset->n, ==, as_floats->dataset->n);
  g_assert_cmpint (import->dataset->n_classes, ==, 1);
  g_assert_cmpint (import->split->n_test, ==, as_floats->split->n_test);
  for (int i = 0; i < import->dataset->n; i++)
    g_assert_cmpmem (tl_dataset_row (import->dataset, i, row), sizeof row,
                     as_floats->dataset->x + (gsize) i * G_N_ELEMENTS (row), sizeof row);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/images/rgb", test_rgb_round_trip);
  g_test_add_func ("/images/grey-size", test_grey_and_size);
  g_test_add_func ("/images/empty", test_empty_folder);
  g_test_add_func ("/images/import", test_import);
  g_test_add_func ("/images/bytes-match-floats", test_bytes_match_floats);
  g_test_add_func ("/images/bytes-of-some-classes", test_bytes_of_some_classes);
  g_test_add_func ("/images/import-keeps-bytes", test_import_keeps_bytes);
  return g_test_run ();
}
