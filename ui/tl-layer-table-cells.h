#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The layer table's columns (tl-layer-table.c). */
typedef struct {
  GtkColumnViewColumn *name, *type, *shape, *params, *score, *trainable, *lr, *action;
} TlLayerTableColumns;

/* Gives each column its cells. Rows from *new_from on (read at each bind,
 * -1 for none) carry the "new head" badge. */
void tl_layer_table_cells_install (const TlLayerTableColumns *columns, const int *new_from);

G_END_DECLS
