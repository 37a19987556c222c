#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_DOMAIN_MAP_CARD (tl_domain_map_card_get_type ())
G_DECLARE_FINAL_TYPE (TlDomainMapCard, tl_domain_map_card, TL, DOMAIN_MAP_CARD, GtkWidget)

/* The Evaluate page's domain map: the pretrained model's features and the
 * fine-tuned one's on the source and target test sets (TlDomainMapView), with
 * an export to PNG, SVG or PDF. It shows itself only when the pretraining run,
 * the main run and both test sets exist, and maps again when one changes. */
void       tl_domain_map_card_set_document (TlDomainMapCard *self, TlDocument *document);
GtkWidget *tl_domain_map_card_get_view     (TlDomainMapCard *self);
GtkWidget *tl_domain_map_card_get_export_button (TlDomainMapCard *self);

G_END_DECLS
