#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* The loaders read files by name, so each input is written to a private
 * folder first; one folder per process, removed at exit. */

static char *tl_fuzz_dir;

static inline void
tl_fuzz_cleanup (void)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (tl_fuzz_dir == NULL)
    return;
  dir = g_dir_open (tl_fuzz_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tl_fuzz_dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (tl_fuzz_dir);
  g_clear_pointer (&tl_fuzz_dir, g_free);
}

/* Path of `name` inside the private folder, holding exactly data[0..size). */
static inline char *
tl_fuzz_write (const char *name, const guint8 *data, size_t size)
{
  char *path;
  int fd;

  if (tl_fuzz_dir == NULL)
    {
      tl_fuzz_dir = g_dir_make_tmp ("tl-fuzz-XXXXXX", NULL);
      if (tl_fuzz_dir == NULL)
        abort ();
      atexit (tl_fuzz_cleanup);
    }
  path = g_build_filename (tl_fuzz_dir, name, NULL);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    abort ();
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);
      if (n <= 0)
        abort ();
      data += n;
      size -= (size_t) n;
    }
  close (fd);
  return path;
}

/* Every loader must explain a refusal: a failure without a message is a bug. */
static inline void
tl_fuzz_check_error (gboolean ok, GError *error)
{
  if (!ok && (error == NULL || error->message == NULL || error->message[0] == '\0'))
    abort ();
  if (ok && error != NULL)
    abort ();
}

/* GLib's criticals are programming errors: make them crash so they are found. */
static inline void
tl_fuzz_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_setenv ("OPENBLAS_NUM_THREADS", "1", TRUE);
}
