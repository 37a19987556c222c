#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_MODEL_PAGE (tl_model_page_get_type ())
G_DECLARE_FINAL_TYPE (TlModelPage, tl_model_page, TL, MODEL_PAGE, GtkWidget)

void tl_model_page_set_document (TlModelPage *self, TlDocument *document);
/* Loads a pretrained model file into the document; errors go to the window. */
void tl_model_page_open_model   (TlModelPage *self, const char *path);
/* For tests: the layer stack editor. */
GtkWidget *tl_model_page_get_layer_editor (TlModelPage *self);
/* For tests: the presets the Preset row offers for the data (copied into presets, up to 8). */
guint      tl_model_page_get_n_presets    (TlModelPage *self, TlPreset *presets);

G_END_DECLS
