#include "config.h"

#include <string.h>

#include "tl-folder-list.h"

int
tl_folder_compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
tl_folder_list_sorted (const char *dir, TlFileNameFilter accept, GError **error)
{
  g_autoptr (GDir) d = NULL;
  GPtrArray *names;
  const char *name;

  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *full = NULL;

      if (name[0] == '.')
        continue;
      full = g_build_filename (dir, name, NULL);
      if (accept == NULL ? g_file_test (full, G_FILE_TEST_IS_DIR)
                         : (accept (name) && g_file_test (full, G_FILE_TEST_IS_REGULAR)))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, tl_folder_compare_names);
  return names;
}
