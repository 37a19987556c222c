#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_DATA_PAGE (tl_data_page_get_type ())
G_DECLARE_FINAL_TYPE (TlDataPage, tl_data_page, TL, DATA_PAGE, GtkWidget)

void            tl_data_page_set_document (TlDataPage *self, TlDocument *document);
/* Opens the import wizard for a role; returns it (owned by the toolkit). */
GtkWidget      *tl_data_page_import       (TlDataPage *self, TlDataRole role);
/* Imports the data sources the experiment names, in a worker thread. */
void            tl_data_page_load_experiment_data (TlDataPage *self);
gboolean        tl_data_page_is_loading   (TlDataPage *self);
/* The data file of a role that the experiment names but is not there (absolute), or NULL. */
const char     *tl_data_page_get_missing  (TlDataPage *self, TlDataRole role);
/* Takes file for a role's missing data (what Locate… does with the file chosen); the other
 * role's missing file is taken too when it is in the same folder. Then loads the data. */
void            tl_data_page_locate       (TlDataPage *self, TlDataRole role, GFile *file);
/* For tests: what the Name and Random Seed rows show. */
/* For tests: "40 for training · 5 for validation · 20 for testing" */
const char     *tl_data_page_get_samples_text (TlDataPage *self, TlDataRole role);
const char     *tl_data_page_get_name_text (TlDataPage *self);
/* The experiment's description as the page shows it, or NULL. */
const char     *tl_data_page_get_description_text (TlDataPage *self);
guint64         tl_data_page_get_seed      (TlDataPage *self);

G_END_DECLS
