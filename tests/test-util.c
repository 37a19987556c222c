#include "config.h"

#include <glib/gstdio.h>

#include "test-util.h"

void
tl_test_write_text (const char *path, const char *text)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

void
tl_test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          tl_test_remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

char *
tl_test_fashion_split (void)
{
  const char *src = g_getenv ("TL_SOURCE_DIR");

  if (!g_file_test ("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed (/usr/share/datasets/fashion-mnist)");
      return NULL;
    }
  g_assert_nonnull (src);
  return g_build_filename (src, "data", "experiments", "fashion-split.json", NULL);
}
