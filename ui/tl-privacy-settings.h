#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_PRIVACY_SETTINGS (tl_privacy_settings_get_type ())
G_DECLARE_FINAL_TYPE (TlPrivacySettings, tl_privacy_settings, TL, PRIVACY_SETTINGS, GtkWidget)

/* "Private fine-tuning" on the Transfer page: a switch and the budget
 * (epsilon), delta, the gradient clip and whether the transfer also trains
 * without privacy for comparison, written into the experiment's
 * transfer.privacy as they are edited. What the experiment check refuses
 * (layers that cannot be trained privately, strategies) shows with the
 * page's other problems; a delta that is no number in (0, 1) is refused here
 * and the experiment keeps the last valid one. */
void        tl_privacy_settings_set_document (TlPrivacySettings *self, TlDocument *document);
/* For tests: the switch, the fields, and why the delta typed is refused (NULL when it is not). */
GtkWidget  *tl_privacy_settings_get_switch        (TlPrivacySettings *self);
GtkWidget  *tl_privacy_settings_get_epsilon_spin  (TlPrivacySettings *self);
GtkWidget  *tl_privacy_settings_get_delta_entry   (TlPrivacySettings *self);
GtkWidget  *tl_privacy_settings_get_clip_spin     (TlPrivacySettings *self);
GtkWidget  *tl_privacy_settings_get_reference_switch (TlPrivacySettings *self);
const char *tl_privacy_settings_get_delta_error   (TlPrivacySettings *self);

G_END_DECLS
