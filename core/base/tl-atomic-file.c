#define G_LOG_DOMAIN "tl-atomic-file"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gio/gunixoutputstream.h>

#include "tl-atomic-file.h"
#include "tl-error.h"

static void
set_errno_error (GError **error, int err, const char *what, const char *path)
{
  g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s “%s”: %s", what, path, g_strerror (err));
}

/* Creates "<dir>/.<base>.XXXXXX" next to path, with the mode the file will keep. */
static int
open_temp (const char *path, char **tmp_path_out, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl = NULL;
  struct stat st;
  mode_t mode = 0644;
  int fd;

  tmpl = g_strdup_printf ("%s%c.%s.XXXXXX", dir, G_DIR_SEPARATOR, base);
  fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      set_errno_error (error, errno, "Cannot create a temporary file in", dir);
      return -1;
    }
  if (stat (path, &st) == 0)
    mode = st.st_mode & 07777;
  if (fchmod (fd, mode) != 0)
    g_debug ("cannot set the mode of %s: %s", tmpl, g_strerror (errno));
  *tmp_path_out = g_steal_pointer (&tmpl);
  return fd;
}

static void
sync_dir (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return;
  /* Some file systems refuse fsync on a folder; the rename is still done. */
  (void) fsync (fd);
  close (fd);
}

/* Renames the temporary file over path when it was written whole (ok), else removes it. */
static gboolean
finish (gboolean ok, const char *tmp_path, const char *path, GError **error)
{
  if (!ok)
    {
      g_unlink (tmp_path);
      return FALSE;
    }
  if (g_rename (tmp_path, path) != 0)
    {
      int err = errno;

      g_unlink (tmp_path);
      set_errno_error (error, err, "Cannot replace", path);
      return FALSE;
    }
  sync_dir (path);
  return TRUE;
}

static gboolean
sync_fd (int fd, const char *path, GError **error)
{
  if (fsync (fd) != 0)
    {
      set_errno_error (error, errno, "Cannot flush to disk", path);
      return FALSE;
    }
  return TRUE;
}

/* A failed final close loses data too: it turns ok into an error. */
static gboolean
check_close (int close_result, gboolean ok, const char *path, GError **error)
{
  if (close_result != 0 && ok)
    {
      set_errno_error (error, errno, "Cannot write", path);
      return FALSE;
    }
  return ok;
}

gboolean
tl_atomic_write_file (const char *path, TlAtomicFileFunc func, gpointer user_data, GError **error)
{
  g_autofree char *tmp_path = NULL;
  FILE *fp;
  int fd;
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = open_temp (path, &tmp_path, error);
  if (fd < 0)
    return FALSE;
  fp = fdopen (fd, "wb");
  if (fp == NULL)
    {
      set_errno_error (error, errno, "Cannot write", tmp_path);
      close (fd);
      g_unlink (tmp_path);
      return FALSE;
    }

  ok = func (fp, user_data, error);
  if (ok && (fflush (fp) != 0 || ferror (fp)))
    {
      set_errno_error (error, errno ? errno : EIO, "Cannot write", path);
      ok = FALSE;
    }
  if (ok)
    ok = sync_fd (fileno (fp), path, error);
  ok = check_close (fclose (fp), ok, path, error);
  return finish (ok, tmp_path, path, error);
}

typedef struct {
  const void *data;
  gsize       len;
} BytesJob;

static gboolean
write_bytes_cb (FILE *fp, gpointer user_data, GError **error)
{
  BytesJob *job = user_data;

  if (job->len > 0 && fwrite (job->data, 1, job->len, fp) != job->len)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "Short write: %s", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
tl_atomic_write_bytes (const char *path, const void *data, gsize len, GError **error)
{
  BytesJob job = { data, len };

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  return tl_atomic_write_file (path, write_bytes_cb, &job, error);
}

gboolean
tl_atomic_write_stream (const char *path, TlAtomicStreamFunc func, gpointer user_data,
                        GError **error)
{
  g_autofree char *tmp_path = NULL;
  g_autoptr (GOutputStream) stream = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = open_temp (path, &tmp_path, error);
  if (fd < 0)
    return FALSE;
  stream = g_unix_output_stream_new (fd, FALSE);

  ok = func (stream, user_data, error);
  if (ok)
    ok = g_output_stream_flush (stream, NULL, error);
  if (ok)
    ok = sync_fd (fd, path, error);
  g_output_stream_close (stream, NULL, NULL);
  ok = check_close (close (fd), ok, path, error);
  return finish (ok, tmp_path, path, error);
}

gboolean
tl_atomic_write_path (const char *path, TlAtomicPathFunc func, gpointer user_data,
                      GError **error)
{
  g_autofree char *tmp_path = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = open_temp (path, &tmp_path, error);
  if (fd < 0)
    return FALSE;
  close (fd);

  ok = func (tmp_path, user_data, error);
  if (ok)
    {
      /* The writer closed its own descriptor: reopen to flush what it wrote. */
      fd = open (tmp_path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          set_errno_error (error, errno, "Cannot reopen", tmp_path);
          ok = FALSE;
        }
      else
        {
          ok = sync_fd (fd, path, error);
          close (fd);
        }
    }
  return finish (ok, tmp_path, path, error);
}
