#define G_LOG_DOMAIN "tl-torch"

#include "config.h"

#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-torch-engine-files.h"

static gboolean
copy_file (const char *from, const char *to, GError **error)
{
  g_autofree char *text = NULL;
  gsize len;

  if (!g_file_get_contents (from, &text, &len, error))
    return FALSE;
  return tl_atomic_write_bytes (to, text, len, error);
}

/* The model bridge beside tl_torch_engine/: the module the engine imports and the graph models' part of it. */
static const char *const bridge_files[] = { "transfer_lab_torch.py", "transfer_lab_graph.py" };

gboolean
tl_torch_engine_vendor (const char *engine_dir, const char *job, GError **error)
{
  g_autofree char *package = g_build_filename (engine_dir, "tl_torch_engine", NULL);
  g_autofree char *into = g_build_filename (job, "engine", "tl_torch_engine", NULL);
  g_autoptr (GDir) dir = g_dir_open (package, 0, NULL);
  const char *name;
  int copied = 0;
  gboolean bridge = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (bridge_files); i++)
    {
      g_autofree char *from = g_build_filename (engine_dir, bridge_files[i], NULL);
      bridge = bridge && g_file_test (from, G_FILE_TEST_IS_REGULAR);
    }
  if (dir == NULL || !bridge)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: the torch engine is not there (tl_torch_engine/, "
                   "transfer_lab_torch.py and transfer_lab_graph.py); set TL_TORCH_ENGINE_DIR to the folder "
                   "that holds them", engine_dir);
      return FALSE;
    }
  g_mkdir_with_parents (into, 0755);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".py"))
      {
        g_autofree char *from = g_build_filename (package, name, NULL);
        g_autofree char *to = g_build_filename (into, name, NULL);
        if (!copy_file (from, to, error))
          return FALSE;
        copied++;
      }
  if (copied == 0)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (bridge_files); i++)
    {
      g_autofree char *from = g_build_filename (engine_dir, bridge_files[i], NULL);
      g_autofree char *to = g_build_filename (job, "engine", bridge_files[i], NULL);
      if (!copy_file (from, to, error))
        return FALSE;
    }
  return TRUE;
}
