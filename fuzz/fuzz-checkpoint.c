#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include "fuzz-common.h"
#include "tl-checkpoint.h"
#include "tl-error.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (TlCheckpoint) ck = NULL;
  g_autoptr (TlCheckpoint) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  tl_fuzz_init ();
  ck = tl_checkpoint_parse (data, size, "fuzz.ckpt", &error);
  tl_fuzz_check_error (ck != NULL, error);
  if (ck == NULL)
    return 0;

  /* What was accepted must survive a save and a load unchanged. */
  path = g_build_filename (g_get_tmp_dir (), "tl-fuzz-checkpoint-XXXXXX", NULL);
  {
    int fd = g_mkstemp (path);
    if (fd < 0)
      abort ();
    close (fd);
  }
  if (!tl_checkpoint_save (ck, path, &error))
    abort ();
  again = tl_checkpoint_load (path, &error);
  g_unlink (path);
  if (again == NULL || tl_checkpoint_n_entries (again) != tl_checkpoint_n_entries (ck))
    abort ();
  return 0;
}
