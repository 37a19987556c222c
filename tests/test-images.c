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
  g_assert_cmpfloat_with_epsilon (grey->x[1 * 4 + 2], (0.299f * 20 + 0.587f * 20 + 0.114f * 200) / 255.0f, 1e-5);

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/images/rgb", test_rgb_round_trip);
  g_test_add_func ("/images/grey-size", test_grey_and_size);
  g_test_add_func ("/images/empty", test_empty_folder);
  g_test_add_func ("/images/import", test_import);
  return g_test_run ();
}
