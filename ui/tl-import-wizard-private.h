#pragma once

#include "tl-audio-preview.h"
#include "tl-bar-view.h"
#include "tl-csv.h"
#include "tl-import-wizard.h"

G_BEGIN_DECLS

/* Shared by the wizard's files: tl-import-wizard.c (steps, threads),
 * tl-import-wizard-columns.c (the CSV preview and column roles) and
 * tl-import-wizard-text.c (how a text column is read). */

#define PREVIEW_ROWS 20

enum { ROLE_LABEL, ROLE_FEATURE, ROLE_TEXT, ROLE_IGNORE };

struct _TlImportWizard
{
  AdwWindow        parent_instance;

  TlDocument      *document;
  char            *path;
  TlSourceFormat   format;
  GPtrArray       *records;        /* TlCsvRecord*, the first rows as read */
  gboolean         has_header;
  guint            n_columns;
  GPtrArray       *role_rows;      /* AdwComboRow*, one per column */
  GPtrArray       *class_checks;   /* GtkCheckButton* */
  char           **class_names;
  GCancellable    *cancellable;
  gboolean         busy;
  gboolean         analysed;
  guint            pulse_id;

  AdwWindowTitle  *title;
  GtkButton       *next_button;
  GtkButton       *back_button;
  GtkRevealer     *error_revealer;
  GtkLabel        *error_label;
  GtkStack        *stack;
  GtkWidget       *drop_area;
  AdwActionRow    *path_row;
  AdwComboRow     *role_row;
  AdwComboRow     *format_row;
  AdwComboRow     *encoding_row;
  GtkFlowBox      *thumbnail_box;
  char            *original_path;  /* the file chosen, when path is its UTF-8 copy */
  gboolean         size_chosen;    /* the image size was set by hand: the data's own is not put in */
  gboolean         setting_size;
  char            *idx_test_path;  /* the IDX test file found beside the training file, or NULL */
  AdwComboRow     *delimiter_row;
  AdwComboRow     *header_row;
  GtkColumnView   *preview;
  AdwPreferencesGroup *roles_group;
  GtkWidget       *analysing_box;
  GtkSpinner      *analysing_spinner;
  GtkLabel        *imbalance_label;
  TlBarView       *bar_view;
  GtkFlowBox      *class_box;
  GtkSpinButton   *per_class_spin;
  GtkSpinButton   *val_spin;
  GtkSpinButton   *test_spin;
  GtkSpinButton   *seed_spin;
  GtkWidget       *text_group;
  GtkSpinButton   *max_len_spin;
  GtkSpinButton   *vocab_spin;
  GtkWidget       *ngram_group;
  GtkSpinButton   *ngram_max_spin;
  GtkSpinButton   *min_df_spin;
  GtkSpinButton   *max_features_spin;
  GtkSwitch       *chars_switch;
  GtkWidget       *char_lengths_row;
  GtkSpinButton   *char_min_spin;
  GtkSpinButton   *char_max_spin;
  GtkLabel        *progress_label;
  GtkProgressBar  *progress_bar;
  GtkWidget       *image_group;
  GtkSpinButton   *image_size_spin;
  AdwComboRow     *channels_row;
  GtkWidget       *audio_group;
  AdwComboRow     *recording_row;
  GtkStringList   *recording_list;
  TlAudioPreview  *audio_preview;
  GPtrArray       *recordings;     /* paths shown in recording_row */
  gboolean         lists_recordings; /* the file chosen is a CSV of recordings */
  guint            n_progress_updates;
  double           progress_fraction;
};

/* The delimiter chosen, 0 to detect it. */
char        tl_import_wizard_chosen_delimiter (TlImportWizard *self);
/* A column's header name, or its number as text in buffer. */
const char *tl_import_wizard_column_name      (TlImportWizard *self, guint column, char *buffer, gsize size);
/* Reads the first rows of the CSV file into the preview and a role row per column. */
gboolean    tl_import_wizard_load_preview     (TlImportWizard *self, GError **error);
/* Exactly one label column and at least one feature or text column. */
gboolean    tl_import_wizard_check_roles      (TlImportWizard *self, GError **error);

/* The text settings' widgets, hidden until the data are analysed. */
void        tl_import_wizard_init_text        (TlImportWizard *self);
/* The text settings of a data source of the experiment, shown as the defaults. */
void        tl_import_wizard_load_text        (TlImportWizard *self, const TlDataSourceSpec *spec);
/* Into s: the text representation the model reads and its settings as chosen (spec's otherwise). */
void        tl_import_wizard_text_settings    (TlImportWizard *self, const TlDataSourceSpec *spec,
                                               TlImportSettings *s);
/* The settings of the representation used, when the data have a text column. */
void        tl_import_wizard_show_text        (TlImportWizard *self, gboolean has_text);

G_END_DECLS
