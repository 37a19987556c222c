#define G_LOG_DOMAIN "test-import-progress"

#include "config.h"

#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "tl-import.h"

typedef struct {
  GArray *fractions;   /* double */
  gint64  start;
} Seen;

static void
record (double fraction, gpointer data)
{
  Seen *seen = data;

  g_array_append_val (seen->fractions, fraction);
}

static void
check_fractions (const Seen *seen, double seconds)
{
  double last = -1;

  g_assert_cmpuint (seen->fractions->len, >=, 1);
  for (guint i = 0; i < seen->fractions->len; i++)
    {
      double f = g_array_index (seen->fractions, double, i);

      g_assert_cmpfloat (f, >=, 0.0);
      g_assert_cmpfloat (f, <=, 1.0);
      g_assert_cmpfloat (f, >=, last);
      last = f;
    }
  g_assert_cmpfloat (last, ==, 1.0);
  /* About 20 reports a second, the final one besides. */
  g_assert_cmpfloat (seen->fractions->len, <=, seconds * 20 + 3);
}

static void
test_csv_by_bytes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("import-progress-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "big.csv", NULL);
  g_autoptr (GString) text = g_string_new ("a,b,c,label\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (TlImport) import = NULL;
  Seen seen = { g_array_new (FALSE, FALSE, sizeof (double)), 0 };
  gint64 start;
  double seconds;
  gboolean intermediate = FALSE;

  for (int i = 0; i < 200000; i++)
    g_string_append_printf (text, "%d.5,%d,%d.25,%s\n", i % 97, i % 13, i % 7, i % 3 ? "x" : "y");
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
  start = g_get_monotonic_time ();
  import = tl_import_run_with_progress (path, NULL, record, &seen, &error);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_assert_no_error (error);
  g_assert_cmpint (import->report->rows_read, ==, 200000);
  check_fractions (&seen, seconds);
  for (guint i = 0; i < seen.fractions->len; i++)
    if (g_array_index (seen.fractions, double, i) > 0.05 && g_array_index (seen.fractions, double, i) < 0.95)
      intermediate = TRUE;
  g_test_message ("%u reports in %.2f s", seen.fractions->len, seconds);
  if (seconds > 0.3)
    g_assert_true (intermediate);
  g_array_unref (seen.fractions);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_images_by_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("import-progress-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlImport) import = NULL;
  g_autoptr (TlImportSettings) settings = tl_import_settings_new ();
  Seen seen = { g_array_new (FALSE, FALSE, sizeof (double)), 0 };
  gint64 start;

  for (int c = 0; c < 2; c++)
    {
      g_autofree char *sub = g_build_filename (dir, c ? "dark" : "light", NULL);

      g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
      for (int i = 0; i < 10; i++)
        {
          g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 20, 20);
          g_autofree char *name = g_strdup_printf ("%02d.png", i);
          g_autofree char *path = g_build_filename (sub, name, NULL);

          gdk_pixbuf_fill (pixbuf, c ? 0x202020ff : 0xe0e0e0ff);
          g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", NULL, NULL));
        }
    }
  settings->format = TL_SOURCE_IMAGE_FOLDER;
  settings->image_width = settings->image_height = 12;
  settings->channels = 1;
  start = g_get_monotonic_time ();
  import = tl_import_run_with_progress (dir, settings, record, &seen, &error);
  g_assert_no_error (error);
  g_assert_cmpint (import->dataset->n, ==, 20);
  g_assert_cmpint (import->dataset->sample_shape[0], ==, 1);
  g_assert_cmpint (import->dataset->sample_shape[1], ==, 12);
  check_fractions (&seen, (g_get_monotonic_time () - start) / 1e6);
  g_array_unref (seen.fractions);
  /* Without a callback the import is the same. */
  g_clear_pointer (&import, tl_import_free);
  import = tl_import_run (dir, settings, &error);
  g_assert_no_error (error);
  g_assert_cmpint (import->dataset->n, ==, 20);
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 10; i++)
      {
        g_autofree char *path = g_strdup_printf ("%s/%s/%02d.png", dir, c ? "dark" : "light", i);
        g_unlink (path);
      }
  for (int c = 0; c < 2; c++)
    {
      g_autofree char *sub = g_build_filename (dir, c ? "dark" : "light", NULL);
      g_rmdir (sub);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/import-progress/csv-by-bytes", test_csv_by_bytes);
  g_test_add_func ("/import-progress/images-by-files", test_images_by_files);
  return g_test_run ();
}
