#include "config.h"

#include <gio/gio.h>

#include "cli-run.h"

void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}

const char *
cli_binary (void)
{
  static const char *binary;

  if (binary == NULL)
    {
      binary = g_getenv ("TL_BINARY");
      if (binary == NULL || !g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE))
        g_error ("TL_BINARY must name the transfer-lab binary");
    }
  return binary;
}

void
run_argv (Result *r, const char *const *argv)
{
  g_autoptr (GPtrArray) full = g_ptr_array_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (full, (gpointer) cli_binary ());
  for (int i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (full, (gpointer) argv[i]);
  g_ptr_array_add (full, NULL);
  proc = g_subprocess_newv ((const char *const *) full->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &r->out, &r->err, &error);
  g_assert_no_error (error);
  r->status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc)
                                                : 128 + g_subprocess_get_term_sig (proc);
}

void
expect_status (const Result *r, int status)
{
  if (r->status != status)
    g_error ("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", r->status, status, r->out, r->err);
}
