#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_PRETRAINED_CARD (tl_pretrained_card_get_type ())
G_DECLARE_FINAL_TYPE (TlPretrainedCard, tl_pretrained_card, TL, PRETRAINED_CARD, GtkWidget)

/* "Pretrained Model" on the Transfer page, shown when the experiment starts
 * from a model file (pretrain.model): the file, where it came from (imported
 * from ONNX or a state dict, or a run of an experiment), the input it takes
 * with its normalisation, and its labels, as the file's metadata says. */
void        tl_pretrained_card_set_document (TlPretrainedCard *self, TlDocument *document);
/* For tests: the text of the rows "Origin", "Input" and "Labels" (row 0, 1, 2). */
const char *tl_pretrained_card_get_text     (TlPretrainedCard *self, int row);

G_END_DECLS
