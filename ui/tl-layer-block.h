#pragma once

#include <gio/gio.h>

#include "tl-layer-row.h"
#include "tl-model.h"

G_BEGIN_DECLS

#define TL_TYPE_LAYER_BLOCK (tl_layer_block_get_type ())
G_DECLARE_FINAL_TYPE (TlLayerBlock, tl_layer_block, TL, LAYER_BLOCK, GObject)

/* A block of a graph model: layers from one cut to the next whose branches
 * join inside (a residual block, an inverted residual, a squeeze-excitation
 * gate), with an activation right after the join (the ReLU after a residual
 * Add); or, outside those, consecutive layers whose names start with the same
 * two words, the module they were imported from ("features_2_conv_0_0",
 * "features_2_conv_1"). The layer table shows it as one row that expands into its
 * layers. "trainable" is TRUE when every layer with weights trains; setting
 * it sets them all. */
GListModel *tl_layer_block_get_rows    (TlLayerBlock *self);
int         tl_layer_block_get_first   (TlLayerBlock *self);
int         tl_layer_block_get_last    (TlLayerBlock *self);
/* "layer1_0": the longest common start of the layers' names, cut at a '_'; "" when there is none. */
const char *tl_layer_block_get_title   (TlLayerBlock *self);
gboolean    tl_layer_block_get_trainable (TlLayerBlock *self);
void        tl_layer_block_set_trainable (TlLayerBlock *self, gboolean trainable);

/* The top-level items of a model's table, from its rows (TlLayerRow, one per
 * layer): for a graph model, blocks and the rows outside them; for a plain
 * stack NULL (every row stands alone). */
GListStore *tl_layer_blocks_group      (TlModel *model, GListModel *rows);

/* For a GtkTreeListModel: a block's rows, NULL for a row. */
GListModel *tl_layer_block_children    (gpointer item, gpointer data);

/* What a table row shows, for a TlLayerRow or a TlLayerBlock. */
char       *tl_layer_item_title        (GObject *item);
char       *tl_layer_item_describe     (GObject *item);
char       *tl_layer_item_shape        (GObject *item);
gsize       tl_layer_item_param_count  (GObject *item);
/* The layer a "freeze up to here" on the item freezes through. */
int         tl_layer_item_last_index   (GObject *item);

G_END_DECLS
