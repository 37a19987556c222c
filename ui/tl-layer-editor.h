#pragma once

#include <gtk/gtk.h>

#include "tl-layer.h"

G_BEGIN_DECLS

#define TL_TYPE_LAYER_EDITOR (tl_layer_editor_get_type ())
G_DECLARE_FINAL_TYPE (TlLayerEditor, tl_layer_editor, TL, LAYER_EDITOR, GtkWidget)

/* An editable layer stack: add a layer of a kind, remove it, move it, change
 * its parameters. Each edit rebuilds the stack through the core for the input
 * shape given, so every row shows its output shape and parameter count, and an
 * impossible stack shows the core's message on the row that fails. The last
 * Dense layer is the head: its units follow the number of classes. Emits
 * "changed" after an edit made in the editor (not after set_layers). */
GtkWidget   *tl_layer_editor_new          (void);
/* in_ndim 0: no data yet, shapes are not computed. vocab_size fills an Embedding's 0. */
void         tl_layer_editor_set_input    (TlLayerEditor *self, int in_ndim, const int *in_shape,
                                           int n_classes, int vocab_size);
/* Copies the specs and names (names may be NULL, or hold NULL entries). */
void         tl_layer_editor_set_layers   (TlLayerEditor *self, const TlLayerSpec *specs,
                                           char *const *names, int n);
int          tl_layer_editor_get_n_layers (TlLayerEditor *self);
const TlLayerSpec *tl_layer_editor_get_spec (TlLayerEditor *self, int index);
const char  *tl_layer_editor_get_name     (TlLayerEditor *self, int index);
/* The first impossible layer's message, or NULL when the stack builds. */
const char  *tl_layer_editor_get_error    (TlLayerEditor *self);
int          tl_layer_editor_get_error_index (TlLayerEditor *self);
/* What the row shows under the layer's title: "dense1 · [128] · 16,512 parameters". */
const char  *tl_layer_editor_get_row_text (TlLayerEditor *self, int index);

/* The edits the buttons make, as a click would. */
void         tl_layer_editor_add_layer    (TlLayerEditor *self, TlLayerKind kind);
void         tl_layer_editor_remove_layer (TlLayerEditor *self, int index);
void         tl_layer_editor_move_layer   (TlLayerEditor *self, int index, int delta);
/* Sets a parameter through its spin button or switch: "units", "filters", "kernel",
 * "stride", "padding", "rate", "embed_dim", "vocab_size", "return_sequences".
 * FALSE when the layer's kind has no such parameter. */
gboolean     tl_layer_editor_set_param    (TlLayerEditor *self, int index, const char *param, double value);

G_END_DECLS
