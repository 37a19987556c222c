#pragma once

#include <stdio.h>

#include <gio/gio.h>

G_BEGIN_DECLS

/* Writers of the content of a file. They return FALSE with error set on
 * failure; the destination is then left as it was. */
typedef gboolean (*TlAtomicFileFunc)   (FILE *fp, gpointer user_data, GError **error);
typedef gboolean (*TlAtomicStreamFunc) (GOutputStream *stream, gpointer user_data, GError **error);
/* Writes the content to tmp_path, for libraries that only take a filename. */
typedef gboolean (*TlAtomicPathFunc)   (const char *tmp_path, gpointer user_data, GError **error);

/* Each writes a temporary file in the folder of `path`, flushes it to disk,
 * renames it over `path` and flushes the folder: a reader sees either the old
 * file or the whole new one, never a part. */
gboolean tl_atomic_write_bytes  (const char *path, const void *data, gsize len, GError **error);
gboolean tl_atomic_write_file   (const char *path, TlAtomicFileFunc func, gpointer user_data,
                                 GError **error);
gboolean tl_atomic_write_stream (const char *path, TlAtomicStreamFunc func, gpointer user_data,
                                 GError **error);
gboolean tl_atomic_write_path   (const char *path, TlAtomicPathFunc func, gpointer user_data,
                                 GError **error);

G_END_DECLS
