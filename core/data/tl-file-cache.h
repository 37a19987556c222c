#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads and decodes a file; NULL with `error` set on failure. */
typedef gpointer (*TlFileCacheLoad) (const char *path, GError **error);

/* Files read once while someone holds them: a second caller asking for the
 * same file (same path, size and modification time) through the same `load`
 * gets the contents the first one read, until the last holder lets go. Safe
 * from any thread. */

/* The contents of `path` as `load` makes them, held until tl_file_cache_release;
 * `free_func` frees them after the last release. */
gpointer tl_file_cache_acquire (const char *path, TlFileCacheLoad load, GDestroyNotify free_func,
                                GError **error);
/* Lets go of contents from tl_file_cache_acquire. */
void     tl_file_cache_release (gpointer contents);
/* How many files are held. */
guint    tl_file_cache_n_held  (void);

G_END_DECLS
