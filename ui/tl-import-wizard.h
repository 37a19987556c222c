#pragma once

#include <adwaita.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_IMPORT_WIZARD (tl_import_wizard_get_type ())
G_DECLARE_FINAL_TYPE (TlImportWizard, tl_import_wizard, TL, IMPORT_WIZARD, AdwWindow)

/* A dialog of pages that imports a data set into the document: file, columns
 * (CSV), classes, split, import. Emits "finished" (TRUE when imported) before closing. */
TlImportWizard *tl_import_wizard_new       (GtkWindow *parent, TlDocument *document, TlDataRole role);
void            tl_import_wizard_set_file  (TlImportWizard *self, GFile *file);
/* The Next (or Import) button, as a click would; FALSE when it is not available. */
gboolean        tl_import_wizard_next      (TlImportWizard *self);
const char     *tl_import_wizard_get_step  (TlImportWizard *self);
/* The role the data are imported for (the wizard's "Use as" choice). */
TlDataRole      tl_import_wizard_get_role  (TlImportWizard *self);
gboolean        tl_import_wizard_is_busy   (TlImportWizard *self);
const char     *tl_import_wizard_get_error (TlImportWizard *self);
/* Role of a column on the columns page: "label", "feature", "text" or "ignore". */
void            tl_import_wizard_set_column_role (TlImportWizard *self, guint column, const char *role);
void            tl_import_wizard_set_per_class   (TlImportWizard *self, int per_class);
/* Side and colour format images of a folder are imported at. */
void            tl_import_wizard_set_image_options (TlImportWizard *self, int size, gboolean grey);
/* Progress deliveries of the last import so far, and the last fraction shown. */
guint           tl_import_wizard_get_progress    (TlImportWizard *self, double *fraction);

G_END_DECLS
