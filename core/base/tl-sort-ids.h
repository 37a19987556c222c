#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sorts non-negative ids ascending: by insertion when few, else by radix, in
 * digits of up to 11 bits. On hot paths: every document's terms, every batch's table rows. */
void tl_sort_ids (int *ids, gsize n);

G_END_DECLS
