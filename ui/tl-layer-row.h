#pragma once

#include <glib-object.h>

#include "tl-model.h"

G_BEGIN_DECLS

#define TL_TYPE_LAYER_ROW (tl_layer_row_get_type ())
G_DECLARE_FINAL_TYPE (TlLayerRow, tl_layer_row, TL, LAYER_ROW, GObject)

/* One layer of a model as a list item; "trainable" and "lr-mult" write through
 * to the model. */
TlLayerRow *tl_layer_row_new          (TlModel *model, int index);
int         tl_layer_row_get_index    (TlLayerRow *self);
TlLayer    *tl_layer_row_get_layer    (TlLayerRow *self);
gboolean    tl_layer_row_get_trainable (TlLayerRow *self);
void        tl_layer_row_set_trainable (TlLayerRow *self, gboolean trainable);
double      tl_layer_row_get_lr_mult  (TlLayerRow *self);
void        tl_layer_row_set_lr_mult  (TlLayerRow *self, double mult);
gboolean    tl_layer_row_has_params   (TlLayerRow *self);
/* The layer's transferability, when it is a candidate cut that was assessed:
 * its LogME (NAN when it did not settle) and proxy A-distance (NAN without
 * source data); recommended marks the cut to freeze up to. */
void        tl_layer_row_set_score    (TlLayerRow *self, gboolean is_cut, double logme, double a_distance,
                                       gboolean recommended);
gboolean    tl_layer_row_is_cut       (TlLayerRow *self);
double      tl_layer_row_get_logme    (TlLayerRow *self);
double      tl_layer_row_get_a_distance (TlLayerRow *self);
gboolean    tl_layer_row_is_recommended (TlLayerRow *self);
/* Re-reads the flags from the model, notifying what changed. */
void        tl_layer_row_sync         (TlLayerRow *self);

G_END_DECLS
