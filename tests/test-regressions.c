#include "config.h"

#include <glib.h>
#include <string.h>

#include "tl-checkpoint.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-idx.h"
#include "tl-image-folder.h"
#include "tl-import.h"
#include "tl-model-file.h"

/* Every file in tests/regressions/<loader>/ once crashed or exhausted memory in
 * that loader. Each must now be refused with an error of the TL_ERROR domain
 * whose message names the file. */

typedef gboolean (*LoadFunc) (const char *path, GError **error);

static gboolean
load_csv (const char *path, GError **error)
{
  g_autoptr (TlImportSettings) settings = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;

  settings->format = TL_SOURCE_CSV;
  import = tl_import_run (path, settings, error);
  return import != NULL;
}

static gboolean
load_idx (const char *path, GError **error)
{
  g_autoptr (TlIdxArray) array = tl_idx_read (path, error);

  return array != NULL;
}

static gboolean
load_model (const char *path, GError **error)
{
  g_autoptr (TlModel) model = tl_model_file_load (path, NULL, error);

  return model != NULL;
}

static gboolean
load_experiment (const char *path, GError **error)
{
  g_autoptr (TlExperiment) exp = tl_experiment_load (path, error);

  return exp != NULL;
}

static gboolean
load_checkpoint (const char *path, GError **error)
{
  g_autoptr (TlCheckpoint) ck = tl_checkpoint_load (path, error);

  return ck != NULL;
}

static gboolean
load_image (const char *path, GError **error)
{
  float pixels[3 * 8 * 8];

  return tl_image_load (path, 8, 8, 3, pixels, error);
}

static const struct {
  const char *folder;
  LoadFunc    load;
} loaders[] = {
  { "csv", load_csv },
  { "idx", load_idx },
  { "model-file", load_model },
  { "experiment", load_experiment },
  { "checkpoint", load_checkpoint },
  { "image", load_image },
};

typedef struct {
  char    *path;
  LoadFunc load;
} Case;

static void
case_free (gpointer data)
{
  Case *c = data;

  g_free (c->path);
  g_free (c);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
run_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *base = g_path_get_basename (c->path);

  g_assert_false (c->load (c->path, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == TL_ERROR);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, base));
}

int
main (int argc, char **argv)
{
  const char *source = g_getenv ("TL_SOURCE_DIR");
  g_autofree char *root = NULL;
  g_autoptr (GPtrArray) cases = g_ptr_array_new_with_free_func (case_free);
  int status;

  g_test_init (&argc, &argv, NULL);
  root = g_build_filename (source != NULL ? source : ".", "tests", "regressions", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (loaders); i++)
    {
      g_autofree char *folder = g_build_filename (root, loaders[i].folder, NULL);
      g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        if (name[0] != '.')
          g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, compare_names);
      for (guint k = 0; k < names->len; k++)
        {
          Case *c = g_new0 (Case, 1);
          g_autofree char *test_path = NULL;

          c->path = g_build_filename (folder, g_ptr_array_index (names, k), NULL);
          c->load = loaders[i].load;
          test_path = g_strdup_printf ("/regressions/%s/%s", loaders[i].folder,
                                       (char *) g_ptr_array_index (names, k));
          g_test_add_data_func (test_path, c, run_case);
          g_ptr_array_add (cases, c);
        }
    }
  /* an empty or misplaced folder would silently test nothing */
  if (cases->len == 0)
    g_error ("no regression inputs under %s (is TL_SOURCE_DIR set?)", root);
  status = g_test_run ();
  return status;
}
