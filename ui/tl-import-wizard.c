#define G_LOG_DOMAIN "tl-import-wizard"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-bar-view.h"
#include "tl-csv.h"
#include "tl-error.h"
#include "tl-data-import.h"
#include "tl-import-wizard.h"

#define PREVIEW_ROWS 20

enum { ROLE_LABEL, ROLE_FEATURE, ROLE_TEXT, ROLE_IGNORE };
static const char *const role_names[] = { "label", "feature", "text", "ignore" };

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
  GtkLabel        *progress_label;
  GtkProgressBar  *progress_bar;
};

G_DEFINE_FINAL_TYPE (TlImportWizard, tl_import_wizard, ADW_TYPE_WINDOW)

enum { FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
show_error (TlImportWizard *self, const char *message)
{
  if (message != NULL)
    gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

const char *
tl_import_wizard_get_error (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), NULL);
  return gtk_revealer_get_reveal_child (self->error_revealer) ? gtk_label_get_text (self->error_label) : NULL;
}

const char *
tl_import_wizard_get_step (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

gboolean
tl_import_wizard_is_busy (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), FALSE);
  return self->busy;
}

static gboolean
is_csv (TlImportWizard *self)
{
  return self->format == TL_SOURCE_CSV;
}

static void
update_buttons (TlImportWizard *self)
{
  const char *step = gtk_stack_get_visible_child_name (self->stack);
  gboolean first = g_strcmp0 (step, "file") == 0;
  gboolean last = g_strcmp0 (step, "split") == 0;
  gboolean importing = g_strcmp0 (step, "import") == 0;

  gtk_widget_set_visible (GTK_WIDGET (self->back_button), !first && !importing);
  gtk_button_set_label (self->next_button, last ? _("_Import") : _("_Next"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button),
                            !self->busy && !importing && (!first || self->path != NULL)
                            && (g_strcmp0 (step, "classes") != 0 || self->analysed));
  adw_window_title_set_subtitle (self->title, gtk_stack_page_get_title (
                                   gtk_stack_get_page (self->stack, gtk_stack_get_visible_child (self->stack))));
}

static void
go_to (TlImportWizard *self, const char *step)
{
  gtk_stack_set_visible_child_name (self->stack, step);
  update_buttons (self);
}

/* The file */

void
tl_import_wizard_set_file (TlImportWizard *self, GFile *file)
{
  g_autofree char *path = NULL;
  g_autofree char *shown = NULL;

  g_return_if_fail (TL_IS_IMPORT_WIZARD (self));
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  if (path == NULL)
    {
      show_error (self, _("Only local files and folders can be imported."));
      return;
    }
  g_free (self->path);
  self->path = g_steal_pointer (&path);
  self->analysed = FALSE;
  shown = g_file_get_parse_name (file);
  adw_action_row_set_subtitle (self->path_row, shown);
  show_error (self, NULL);
  update_buttons (self);
}

static void
chooser_response (GtkNativeDialog *dialog, int response, TlImportWizard *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      tl_import_wizard_set_file (self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
choose (TlImportWizard *self, GtkFileChooserAction action)
{
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (action == GTK_FILE_CHOOSER_ACTION_OPEN ? _("Choose a Data File")
                                                                              : _("Choose an Image Folder"),
                                        GTK_WINDOW (self), action, _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_choose_file (TlImportWizard *self)
{
  choose (self, GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
on_choose_folder (TlImportWizard *self)
{
  choose (self, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, TlImportWizard *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = g_value_get_boxed (value);
  if (files == NULL)
    return FALSE;
  tl_import_wizard_set_file (self, G_FILE (files->data));
  return TRUE;
}

/* Columns */

static char
chosen_delimiter (TlImportWizard *self)
{
  static const char delimiters[] = { 0, ',', ';', '\t', '|' };
  guint i = adw_combo_row_get_selected (self->delimiter_row);

  return i < G_N_ELEMENTS (delimiters) ? delimiters[i] : 0;
}

static const char *
column_name (TlImportWizard *self, guint column, char *buffer, gsize size)
{
  if (self->has_header && self->records->len > 0)
    {
      TlCsvRecord *header = g_ptr_array_index (self->records, 0);
      if (column < header->n_fields && header->fields[column][0] != '\0')
        return header->fields[column];
    }
  g_snprintf (buffer, size, "%u", column);
  return buffer;
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, TlImportWizard *self)
{
  GtkStringObject *row = gtk_list_item_get_item (item);
  guint column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "column"));
  guint index = (guint) g_ascii_strtoull (gtk_string_object_get_string (row), NULL, 10);
  TlCsvRecord *record = g_ptr_array_index (self->records, index);
  const char *text = column < record->n_fields ? record->fields[column] : "";
  g_autofree char *shown = g_utf8_substring (text, 0, MIN (g_utf8_strlen (text, -1), 60));

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), shown);
}

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 30);
  gtk_list_item_set_child (item, label);
}

static int
guess_role (TlImportWizard *self, guint column, const char *name, int label_column)
{
  double total_len = 0;
  guint n = 0, numeric = 0;

  if ((int) column == label_column)
    return ROLE_LABEL;
  for (guint r = self->has_header ? 1 : 0; r < self->records->len; r++)
    {
      TlCsvRecord *record = g_ptr_array_index (self->records, r);
      double value;

      if (column >= record->n_fields)
        continue;
      n++;
      total_len += g_utf8_strlen (record->fields[column], -1);
      if (tl_csv_parse_number (record->fields[column], &value) || tl_csv_is_missing (record->fields[column]))
        numeric++;
    }
  if (n > 0 && numeric < n && total_len / n > 20)
    return ROLE_TEXT;
  return ROLE_FEATURE;
}

static gboolean
load_preview (TlImportWizard *self, GError **error)
{
  g_autoptr (TlCsvReader) reader = NULL;
  g_autoptr (GtkStringList) rows = gtk_string_list_new (NULL);
  g_autoptr (GtkNoSelection) selection = NULL;
  GListModel *columns;
  const TlCsvRecord *record;
  guint header_choice;
  int label_column = -1, text_seen = 0;
  GtkWidget *child;

  reader = tl_csv_reader_open (self->path, chosen_delimiter (self), error);
  if (reader == NULL)
    return FALSE;
  g_ptr_array_set_size (self->records, 0);
  self->n_columns = 0;
  while (self->records->len < PREVIEW_ROWS + 1 && (record = tl_csv_reader_next (reader, error)) != NULL)
    {
      g_ptr_array_add (self->records, tl_csv_record_copy (record));
      self->n_columns = MAX (self->n_columns, record->n_fields);
    }
  if (error != NULL && *error != NULL)
    return FALSE;
  if (self->records->len == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: the file is empty"), self->path);
      return FALSE;
    }

  header_choice = adw_combo_row_get_selected (self->header_row);
  if (header_choice == 0)
    self->has_header = tl_csv_looks_like_header ((TlCsvRecord *const *) self->records->pdata, self->records->len);
  else
    self->has_header = header_choice == 1;

  /* The preview table. */
  columns = gtk_column_view_get_columns (self->preview);
  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr (GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);
      gtk_column_view_remove_column (self->preview, column);
    }
  for (guint c = 0; c < self->n_columns; c++)
    {
      g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
      g_autoptr (GtkColumnViewColumn) column = NULL;
      char buffer[32];

      g_object_set_data (G_OBJECT (factory), "column", GUINT_TO_POINTER (c));
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
      column = gtk_column_view_column_new (column_name (self, c, buffer, sizeof buffer), g_object_ref (factory));
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_append_column (self->preview, column);
    }
  for (guint r = self->has_header ? 1 : 0; r < self->records->len; r++)
    {
      char index[16];
      g_snprintf (index, sizeof index, "%u", r);
      gtk_string_list_append (rows, index);
    }
  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (rows)));
  gtk_column_view_set_model (self->preview, GTK_SELECTION_MODEL (selection));

  /* The roles. */
  for (guint i = 0; i < self->role_rows->len; i++)
    adw_preferences_group_remove (self->roles_group, g_ptr_array_index (self->role_rows, i));
  g_ptr_array_set_size (self->role_rows, 0);
  for (guint c = 0; c < self->n_columns && label_column < 0; c++)
    {
      char buffer[32];
      const char *name = column_name (self, c, buffer, sizeof buffer);
      if (g_ascii_strcasecmp (name, "label") == 0 || g_ascii_strcasecmp (name, "class") == 0
          || g_ascii_strcasecmp (name, "target") == 0 || g_ascii_strcasecmp (name, "y") == 0)
        label_column = (int) c;
    }
  if (label_column < 0)
    label_column = (int) self->n_columns - 1;
  for (guint c = 0; c < self->n_columns; c++)
    {
      const char *choices[] = { _("Label"), _("Feature"), _("Text"), _("Ignore"), NULL };
      g_autoptr (GtkStringList) model = gtk_string_list_new (choices);
      GtkWidget *row = adw_combo_row_new ();
      char buffer[32];
      const char *name = column_name (self, c, buffer, sizeof buffer);
      int role = guess_role (self, c, name, label_column);

      if (role == ROLE_TEXT && text_seen++ > 0)
        role = ROLE_IGNORE;
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
      adw_combo_row_set_selected (ADW_COMBO_ROW (row), (guint) role);
      adw_preferences_group_add (self->roles_group, row);
      g_ptr_array_add (self->role_rows, row);
    }
  (void) child;
  return TRUE;
}

void
tl_import_wizard_set_column_role (TlImportWizard *self, guint column, const char *role)
{
  g_return_if_fail (TL_IS_IMPORT_WIZARD (self));
  g_return_if_fail (column < self->role_rows->len);

  for (guint i = 0; i < G_N_ELEMENTS (role_names); i++)
    if (g_strcmp0 (role_names[i], role) == 0)
      adw_combo_row_set_selected (g_ptr_array_index (self->role_rows, column), i);
}

void
tl_import_wizard_set_per_class (TlImportWizard *self, int per_class)
{
  g_return_if_fail (TL_IS_IMPORT_WIZARD (self));
  gtk_spin_button_set_value (self->per_class_spin, per_class);
}

static gboolean
check_roles (TlImportWizard *self, GError **error)
{
  int labels = 0, texts = 0, features = 0;

  for (guint i = 0; i < self->role_rows->len; i++)
    switch (adw_combo_row_get_selected (g_ptr_array_index (self->role_rows, i)))
      {
      case ROLE_LABEL: labels++; break;
      case ROLE_TEXT: texts++; break;
      case ROLE_FEATURE: features++; break;
      default: break;
      }
  if (labels != 1)
    {
      g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("Choose exactly one label column."));
      return FALSE;
    }
  if (texts > 1)
    {
      g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("Choose at most one text column."));
      return FALSE;
    }
  if (texts + features == 0)
    {
      g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           _("Choose at least one feature or text column."));
      return FALSE;
    }
  return TRUE;
}

static TlImportSettings *
build_settings (TlImportWizard *self, gboolean full)
{
  TlImportSettings *s = tl_import_settings_new ();

  s->format = self->format;
  s->seed = (guint64) gtk_spin_button_get_value_as_int (self->seed_spin);
  if (is_csv (self))
    {
      g_autoptr (GStrvBuilder) features = g_strv_builder_new ();
      guint header_choice = adw_combo_row_get_selected (self->header_row);

      s->delimiter = chosen_delimiter (self);
      s->header = header_choice == 1 ? TL_CSV_HEADER_YES : header_choice == 2 ? TL_CSV_HEADER_NO : TL_CSV_HEADER_AUTO;
      for (guint c = 0; c < self->role_rows->len; c++)
        {
          char buffer[32];
          const char *name = self->has_header ? column_name (self, c, buffer, sizeof buffer)
                                              : (g_snprintf (buffer, sizeof buffer, "%u", c), buffer);
          switch (adw_combo_row_get_selected (g_ptr_array_index (self->role_rows, c)))
            {
            case ROLE_LABEL: g_free (s->label_column); s->label_column = g_strdup (name); break;
            case ROLE_TEXT: g_free (s->text_column); s->text_column = g_strdup (name); break;
            case ROLE_FEATURE: g_strv_builder_add (features, name); break;
            default: break;
            }
        }
      if (s->text_column == NULL)
        s->feature_columns = g_strv_builder_end (features);
      else
        {
          s->max_len = gtk_spin_button_get_value_as_int (self->max_len_spin);
          s->vocab_size = gtk_spin_button_get_value_as_int (self->vocab_spin);
        }
    }
  if (self->format == TL_SOURCE_IMAGE_FOLDER)
    {
      s->image_width = s->image_height = 32;
      s->channels = 3;
    }
  if (full)
    {
      g_autoptr (GStrvBuilder) classes = g_strv_builder_new ();
      gboolean all = TRUE;

      for (guint i = 0; i < self->class_checks->len; i++)
        {
          if (gtk_check_button_get_active (g_ptr_array_index (self->class_checks, i)))
            g_strv_builder_add (classes, self->class_names[i]);
          else
            all = FALSE;
        }
      if (!all)
        s->classes = g_strv_builder_end (classes);
      s->per_class = gtk_spin_button_get_value_as_int (self->per_class_spin);
      s->val_fraction = gtk_spin_button_get_value (self->val_spin);
      s->test_fraction = gtk_spin_button_get_value (self->test_spin);
    }
  else
    {
      s->val_fraction = 0.0;
      s->test_fraction = 0.0;
    }
  return s;
}

/* Work in a thread */

static gboolean
pulse (gpointer data)
{
  TlImportWizard *self = data;

  gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
set_busy (TlImportWizard *self, gboolean busy)
{
  self->busy = busy;
  if (busy && self->pulse_id == 0)
    self->pulse_id = g_timeout_add (100, pulse, self);
  else if (!busy)
    g_clear_handle_id (&self->pulse_id, g_source_remove);
  gtk_spinner_set_spinning (self->analysing_spinner, busy);
  gtk_widget_set_visible (self->analysing_box, busy && !self->analysed);
  update_buttons (self);
}

static void
on_class_toggled (GtkCheckButton *check, TlImportWizard *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (check), "index"));
  tl_bar_view_set_selected (self->bar_view, (int) index, gtk_check_button_get_active (check));
}

static void
analysed (GObject *source, GAsyncResult *res, gpointer data)
{
  TlImportWizard *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataImportResult) result = tl_data_import_finish (res, &error);
  const TlImportReport *report;
  GtkWidget *child;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  set_busy (self, FALSE);
  if (result == NULL)
    {
      show_error (self, error->message);
      go_to (self, is_csv (self) ? "columns" : "file");
      g_object_unref (self);
      return;
    }
  report = result->import->report;
  self->analysed = TRUE;
  tl_bar_view_set_counts (self->bar_view, report->n_classes, (const char *const *) report->class_names,
                          report->class_counts, NULL);
  if (report->imbalance > 3.0)
    {
      g_autofree char *text = g_strdup_printf (_("The classes are imbalanced: the largest has %.1f times the samples of the smallest. Consider a per-class sample size or class weights."), report->imbalance);
      gtk_label_set_text (self->imbalance_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->imbalance_label), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->imbalance_label), FALSE);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->class_box))) != NULL)
    gtk_flow_box_remove (self->class_box, child);
  g_ptr_array_set_size (self->class_checks, 0);
  g_strfreev (self->class_names);
  self->class_names = g_strdupv (report->class_names);
  for (int i = 0; i < report->n_classes; i++)
    {
      g_autofree char *label = g_strdup_printf ("%s (%d)", report->class_names[i], report->class_counts[i]);
      GtkWidget *check = gtk_check_button_new_with_label (label);

      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
      g_object_set_data (G_OBJECT (check), "index", GUINT_TO_POINTER ((guint) i));
      g_signal_connect (check, "toggled", G_CALLBACK (on_class_toggled), self);
      gtk_flow_box_append (self->class_box, check);
      g_ptr_array_add (self->class_checks, check);
    }
  gtk_widget_set_visible (self->text_group, report->vocab_size > 0 || report->max_len > 0);
  update_buttons (self);
  g_object_unref (self);
}

static void
start_analysis (TlImportWizard *self)
{
  g_autoptr (TlImportSettings) settings = build_settings (self, FALSE);

  self->analysed = FALSE;
  go_to (self, "classes");
  set_busy (self, TRUE);
  tl_data_import_async (self->path, settings, self->cancellable, analysed, g_object_ref (self));
}

static void
imported (GObject *source, GAsyncResult *res, gpointer data)
{
  TlImportWizard *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataImportResult) result = tl_data_import_finish (res, &error);
  g_autoptr (TlImportSettings) settings = NULL;
  g_autofree char *description = NULL;
  g_autofree char *toast = NULL;
  TlDataRole role;
  TlDataSourceSpec *spec;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  set_busy (self, FALSE);
  if (result == NULL)
    {
      /* Back to the last choices, all of them kept. */
      show_error (self, error->message);
      go_to (self, "split");
      g_object_unref (self);
      return;
    }
  role = adw_combo_row_get_selected (self->role_row) == 1 ? TL_ROLE_TARGET : TL_ROLE_SOURCE;
  settings = build_settings (self, TRUE);
  spec = role == TL_ROLE_SOURCE ? &self->document->exp->source : &self->document->exp->target;
  tl_data_spec_from_settings (spec, self->path, settings);
  self->document->exp->seed = settings->seed;
  description = tl_data_import_describe (result);
  tl_document_set_data (self->document, role, self->path, description,
                        g_steal_pointer (&result->train), g_steal_pointer (&result->val),
                        g_steal_pointer (&result->test), result->vocab_size);
  toast = g_strdup_printf (_("Imported %d samples"), result->n_rows);
  gtk_widget_activate_action (GTK_WIDGET (gtk_window_get_transient_for (GTK_WINDOW (self))), "win.toast", "s", toast);
  g_signal_emit (self, signals[FINISHED], 0, TRUE);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

static void
start_import (TlImportWizard *self)
{
  g_autoptr (TlImportSettings) settings = build_settings (self, TRUE);
  g_autofree char *base = g_path_get_basename (self->path);
  g_autofree char *text = g_strdup_printf (_("Importing %s…"), base);

  gtk_label_set_text (self->progress_label, text);
  show_error (self, NULL);
  go_to (self, "import");
  set_busy (self, TRUE);
  tl_data_import_async (self->path, settings, self->cancellable, imported, g_object_ref (self));
}

/* Navigation */

gboolean
tl_import_wizard_next (TlImportWizard *self)
{
  const char *step;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), FALSE);

  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->next_button)))
    return FALSE;
  step = gtk_stack_get_visible_child_name (self->stack);
  show_error (self, NULL);
  if (g_strcmp0 (step, "file") == 0)
    {
      static const TlSourceFormat formats[] = { TL_SOURCE_AUTO, TL_SOURCE_CSV, TL_SOURCE_IDX, TL_SOURCE_IMAGE_FOLDER };
      guint chosen = adw_combo_row_get_selected (self->format_row);

      self->format = formats[MIN (chosen, 3)];
      if (self->format == TL_SOURCE_AUTO)
        self->format = tl_import_guess_format (self->path);
      if (self->format == TL_SOURCE_AUTO)
        self->format = g_file_test (self->path, G_FILE_TEST_IS_DIR) ? TL_SOURCE_IMAGE_FOLDER : TL_SOURCE_CSV;
      if (is_csv (self))
        {
          if (!load_preview (self, &error))
            {
              show_error (self, error->message);
              return TRUE;
            }
          go_to (self, "columns");
        }
      else
        start_analysis (self);
    }
  else if (g_strcmp0 (step, "columns") == 0)
    {
      if (!check_roles (self, &error))
        show_error (self, error->message);
      else
        start_analysis (self);
    }
  else if (g_strcmp0 (step, "classes") == 0)
    go_to (self, "split");
  else if (g_strcmp0 (step, "split") == 0)
    start_import (self);
  return TRUE;
}

static void
on_next (TlImportWizard *self)
{
  tl_import_wizard_next (self);
}

static void
on_back (TlImportWizard *self)
{
  const char *step = gtk_stack_get_visible_child_name (self->stack);

  show_error (self, NULL);
  if (self->busy)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
      set_busy (self, FALSE);
    }
  if (g_strcmp0 (step, "columns") == 0)
    go_to (self, "file");
  else if (g_strcmp0 (step, "classes") == 0)
    go_to (self, is_csv (self) ? "columns" : "file");
  else if (g_strcmp0 (step, "split") == 0)
    go_to (self, "classes");
}

static void
on_cancel (TlImportWizard *self)
{
  g_cancellable_cancel (self->cancellable);
  g_signal_emit (self, signals[FINISHED], 0, FALSE);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_preview_option_changed (TlImportWizard *self)
{
  g_autoptr (GError) error = NULL;

  if (self->path == NULL || g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "columns") != 0)
    return;
  if (!load_preview (self, &error))
    show_error (self, error->message);
  else
    show_error (self, NULL);
}

static void
tl_import_wizard_dispose (GObject *object)
{
  TlImportWizard *self = TL_IMPORT_WIZARD (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_IMPORT_WIZARD);
  G_OBJECT_CLASS (tl_import_wizard_parent_class)->dispose (object);
}

static void
tl_import_wizard_finalize (GObject *object)
{
  TlImportWizard *self = TL_IMPORT_WIZARD (object);

  g_clear_object (&self->document);
  g_clear_object (&self->cancellable);
  g_free (self->path);
  g_ptr_array_unref (self->records);
  g_ptr_array_unref (self->role_rows);
  g_ptr_array_unref (self->class_checks);
  g_strfreev (self->class_names);
  G_OBJECT_CLASS (tl_import_wizard_parent_class)->finalize (object);
}

static void
tl_import_wizard_class_init (TlImportWizardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_import_wizard_dispose;
  object_class->finalize = tl_import_wizard_finalize;

  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  g_type_ensure (TL_TYPE_BAR_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-import-wizard.ui");
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, title);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, next_button);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, back_button);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, error_label);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, stack);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, drop_area);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, path_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, role_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, format_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, delimiter_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, header_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, preview);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, roles_group);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, analysing_box);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, analysing_spinner);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, imbalance_label);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, bar_view);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, class_box);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, per_class_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, val_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, test_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, text_group);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, max_len_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, vocab_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, progress_label);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, progress_bar);
  gtk_widget_class_bind_template_callback (widget_class, on_next);
  gtk_widget_class_bind_template_callback (widget_class, on_back);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_file);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_folder);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
tl_import_wizard_init (TlImportWizard *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->records = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_csv_record_free);
  self->role_rows = g_ptr_array_new ();
  self->class_checks = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  g_signal_connect_swapped (self->delimiter_row, "notify::selected", G_CALLBACK (on_preview_option_changed), self);
  g_signal_connect_swapped (self->header_row, "notify::selected", G_CALLBACK (on_preview_option_changed), self);
  gtk_widget_set_visible (self->text_group, FALSE);
  update_buttons (self);
}

TlImportWizard *
tl_import_wizard_new (GtkWindow *parent, TlDocument *document, TlDataRole role)
{
  TlImportWizard *self;

  g_return_val_if_fail (TL_IS_DOCUMENT (document), NULL);

  self = g_object_new (TL_TYPE_IMPORT_WIZARD, "transient-for", parent, NULL);
  self->document = g_object_ref (document);
  adw_combo_row_set_selected (self->role_row, role == TL_ROLE_TARGET ? 1 : 0);
  gtk_spin_button_set_value (self->seed_spin, (double) document->exp->seed);
  return self;
}
