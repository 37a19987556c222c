#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include "fuzz-common.h"
#include "tl-error.h"
#include "tl-experiment.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *path = NULL;
  g_autofree char *copy_path = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;
  g_autoptr (TlExperiment) exp = NULL;
  g_autoptr (TlExperiment) again = NULL;
  g_autoptr (GError) error = NULL;

  tl_fuzz_init ();
  path = tl_fuzz_write ("experiment.json", data, size);
  exp = tl_experiment_load (path, &error);
  tl_fuzz_check_error (exp != NULL, error);
  if (exp == NULL)
    return 0;

  /* An accepted experiment is written back and read again to the same text. */
  text = tl_experiment_to_string (exp);
  copy_path = g_build_filename (tl_fuzz_dir, "copy.json", NULL);
  if (!tl_experiment_save (exp, copy_path, &error))
    {
      tl_fuzz_check_error (FALSE, error);
      return 0;
    }
  again = tl_experiment_load (copy_path, &error);
  if (again == NULL)
    {
      fprintf (stderr, "saved experiment does not load again: %s\n", error->message);
      abort ();
    }
  g_free (again->file_name);
  again->file_name = g_strdup (exp->file_name);
  text_again = tl_experiment_to_string (again);
  if (g_strcmp0 (text, text_again) != 0)
    {
      fprintf (stderr, "experiment changed on its way through a file:\n%s\n---\n%s\n", text, text_again);
      abort ();
    }
  return 0;
}
