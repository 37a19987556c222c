#pragma once

#include <adwaita.h>

#include "tl-document.h"
#include "tl-import.h"

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
/* The encoding a CSV is read in ("UTF-8", "WINDOWS-1252", "GB18030", ...): other than
 * UTF-8, a UTF-8 copy is made beside the file and imported. */
void            tl_import_wizard_set_encoding    (TlImportWizard *self, const char *charset);
/* The IDX test file taken from beside the training file ("t10k-images-idx3-ubyte"), or NULL. */
const char     *tl_import_wizard_get_test_path   (TlImportWizard *self);
/* For tests: the image size offered, and the thumbnails shown of a folder of images. */
int             tl_import_wizard_get_image_size  (TlImportWizard *self);
guint           tl_import_wizard_get_n_thumbnails (TlImportWizard *self);
/* For tests: the recordings offered of an audio folder or CSV, choosing one, and the preview
 * (waveform, spectrogram, play button) of the one chosen. */
guint           tl_import_wizard_get_n_recordings (TlImportWizard *self);
void            tl_import_wizard_select_recording (TlImportWizard *self, guint index);
GtkWidget      *tl_import_wizard_get_audio_preview (TlImportWizard *self);
/* How a text column is read: as the experiment's model reads text, n-gram bags
 * for the default text model (text-ngram), token sequences for text-lstm and text-pool. */
TlTextFeatures  tl_import_wizard_get_text_features (TlImportWizard *self);
/* Whether the settings of that representation are on show (the split page, for text). */
gboolean        tl_import_wizard_shows_text_settings (TlImportWizard *self, TlTextFeatures features);
/* The columns the CSV preview shows (and offers roles for). */
guint           tl_import_wizard_get_n_columns   (TlImportWizard *self);
/* Side and colour format images of a folder are imported at. */
void            tl_import_wizard_set_image_options (TlImportWizard *self, int size, gboolean grey);
/* Progress deliveries of the last import so far, and the last fraction shown. */
guint           tl_import_wizard_get_progress    (TlImportWizard *self, double *fraction);

G_END_DECLS
