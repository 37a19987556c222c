#pragma once

#include <gtk/gtk.h>

#include "tl-layer-row.h"

G_BEGIN_DECLS

/* The layer table's score cell: a row's LogME ("" for a layer that is no cut,
 * "—" for a score that did not settle) and, on the recommended cut, a
 * "Freeze up to Here" button for the action layers.freeze-below. */
GtkWidget *tl_layer_score_cell_new  (void);
void       tl_layer_score_cell_bind (GtkWidget *cell, TlLayerRow *row);
char      *tl_layer_score_text      (TlLayerRow *row);

G_END_DECLS
