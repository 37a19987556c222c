#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_TRANSFER_PAGE (tl_transfer_page_get_type ())
G_DECLARE_FINAL_TYPE (TlTransferPage, tl_transfer_page, TL, TRANSFER_PAGE, GtkWidget)

void       tl_transfer_page_set_document (TlTransferPage *self, TlDocument *document);
GtkWidget *tl_transfer_page_get_layer_table (TlTransferPage *self);
/* The trainable-parameter figure as shown. */
const char *tl_transfer_page_get_trainable_text (TlTransferPage *self);
/* Ticks or clears a strategy's check button as a click would; FALSE when it is not sensitive. */
gboolean    tl_transfer_page_set_strategy   (TlTransferPage *self, TlStrategy strategy, gboolean active);
gboolean    tl_transfer_page_get_strategy   (TlTransferPage *self, TlStrategy strategy);
GtkWidget  *tl_transfer_page_get_head_switch (TlTransferPage *self);
/* The sentence under the title: whether the head is kept or rebuilt. */
const char *tl_transfer_page_get_head_text  (TlTransferPage *self);

/* Starts assessing the layers as the Assess button does; FALSE when it is not sensitive. */
gboolean    tl_transfer_page_assess         (TlTransferPage *self);
gboolean    tl_transfer_page_is_assessing   (TlTransferPage *self);
/* The line over the table: what to do, the progress or the assessment's summary. */
const char *tl_transfer_page_get_assess_text (TlTransferPage *self);
GtkWidget  *tl_transfer_page_get_freeze_recommended_button (TlTransferPage *self);

/* The "Private fine-tuning" settings (a TlPrivacySettings). */
/* The "Pretrained Model" card (tl-pretrained-card.h), for tests. */
GtkWidget  *tl_transfer_page_get_pretrained_card (TlTransferPage *self);
GtkWidget  *tl_transfer_page_get_privacy_settings (TlTransferPage *self);

G_END_DECLS
