#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Strings numbered from 1 in the order first seen: an open-addressing table
 * of 64-bit hashes over one arena of texts. Built for the millions of short
 * words and word pieces a text corpus brings. */
typedef struct _TlStringIds TlStringIds;

TlStringIds *tl_string_ids_new    (void);
void         tl_string_ids_free   (TlStringIds *ids);
/* The id of the `len` bytes at str (no NUL needed), added when `add`; 0 when absent. */
guint32      tl_string_ids_lookup (TlStringIds *ids, const char *str, gsize len, gboolean add);
/* The same for a string already known not to change the table. */
guint32      tl_string_ids_find   (const TlStringIds *ids, const char *str, gsize len);
/* The NUL-terminated text of id (1 .. count), valid while ids lives. */
const char  *tl_string_ids_text   (const TlStringIds *ids, guint32 id);
guint32      tl_string_ids_count  (const TlStringIds *ids);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlStringIds, tl_string_ids_free)

G_END_DECLS
