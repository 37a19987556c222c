#define G_LOG_DOMAIN "tl-remove-tree"

#include "config.h"

#include <glib/gstdio.h>

#include "tl-remove-tree.h"

void
tl_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_remove (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      tl_remove_tree (child);
    }
  g_rmdir (path);
}
