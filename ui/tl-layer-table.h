#pragma once

#include <gtk/gtk.h>

#include "tl-model.h"
#include "tl-transferability.h"

G_BEGIN_DECLS

#define TL_TYPE_LAYER_TABLE (tl_layer_table_get_type ())
G_DECLARE_FINAL_TYPE (TlLayerTable, tl_layer_table, TL, LAYER_TABLE, GtkWidget)

/* A table of a model's layers: name, type, output shape, parameters, and when
 * editable a trainable switch, a learning-rate multiplier and a row action
 * "freeze up to here": this row and the rows above it (the layers closer to the input). Edits go to the model and emit
 * "changed". The model is borrowed: set NULL before freeing it. */
GtkWidget *tl_layer_table_new            (void);
void       tl_layer_table_set_model      (TlLayerTable *self, TlModel *model);
TlModel   *tl_layer_table_get_model      (TlLayerTable *self);
void       tl_layer_table_set_editable   (TlLayerTable *self, gboolean editable);
/* Rows from this index on are marked as newly built (the rebuilt head); -1 for none. */
void       tl_layer_table_set_new_from   (TlLayerTable *self, int index);
/* Shows each candidate cut's LogME in a column, the recommended one marked
 * beside its name and with a "Freeze up to Here" button beside its score
 * (every row has it as an icon in the last column); NULL hides the column
 * and clears the rows' marks when they are next shown (it reads nothing of the
 * model, which may already be gone). The scores are by layer index and copied. */
void       tl_layer_table_set_scores     (TlLayerTable *self, const TlTransferability *t);
/* The recommended cut's layer index, or -1. */
int        tl_layer_table_get_recommended (TlLayerTable *self);
/* A row's score as shown ("" for a layer that is no cut). */
char      *tl_layer_table_dup_score_text (TlLayerTable *self, guint row);
/* A row's "Freeze up to here" button, once the row is on screen: the one in
 * words (the recommended row's, in the score column), or the row's icon. */
GtkWidget *tl_layer_table_get_freeze_button (TlLayerTable *self, guint row);
/* Re-reads the model's flags (after a change made elsewhere). */
void       tl_layer_table_refresh        (TlLayerTable *self);
guint      tl_layer_table_get_n_rows     (TlLayerTable *self);
/* A graph model's layers are grouped into blocks (tl-layer-block.h), one
 * collapsed row each: the rows on screen, and expanding or collapsing the
 * one at `position` (FALSE when it is no block). */
guint      tl_layer_table_get_n_shown_rows (TlLayerTable *self);
gboolean   tl_layer_table_expand         (TlLayerTable *self, guint position, gboolean expanded);
/* The trainable switch of a row, for tests and keyboard access. */
GtkWidget *tl_layer_table_get_switch     (TlLayerTable *self, guint row);

/* Whether columns are out of view to the right (a button over the edge says so). */
gboolean   tl_layer_table_has_more_columns (TlLayerTable *self);
/* For tests: whether a shape or a parameter count shown is cut short ("1,0…"). */
gboolean   tl_layer_table_cuts_numbers     (TlLayerTable *self);

G_END_DECLS
