#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether a file name is of the kind a folder reader takes (by its extension). */
typedef gboolean (*TlFileNameFilter) (const char *name);

/* The names in `dir`, sorted by bytes, hidden ones left out: its sub-folders when
 * accept is NULL, else its regular files whose names accept takes. */
GPtrArray *tl_folder_list_sorted (const char *dir, TlFileNameFilter accept, GError **error);
/* For g_ptr_array_sort over arrays of names. */
int        tl_folder_compare_names (gconstpointer a, gconstpointer b);

G_END_DECLS
