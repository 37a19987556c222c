#define G_LOG_DOMAIN "tl-import-wizard"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-error.h"
#include "tl-import-wizard-private.h"

static const char *const role_names[] = { "label", "feature", "text", "ignore" };

/* Columns */

char
tl_import_wizard_chosen_delimiter (TlImportWizard *self)
{
  static const char delimiters[] = { 0, ',', ';', '\t', '|' };
  guint i = adw_combo_row_get_selected (self->delimiter_row);

  return i < G_N_ELEMENTS (delimiters) ? delimiters[i] : 0;
}

const char *
tl_import_wizard_column_name (TlImportWizard *self, guint column, char *buffer, gsize size)
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

/* The columns are those most rows have: a ragged row (a stray delimiter, a row cut short)
 * does not add columns that no other row fills. */
static guint
common_field_count (GPtrArray *records)
{
  g_autoptr (GHashTable) counts = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint best = 0, best_count = 0;

  for (guint i = 0; i < records->len; i++)
    {
      guint n = ((const TlCsvRecord *) g_ptr_array_index (records, i))->n_fields;
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (n))) + 1;

      g_hash_table_insert (counts, GUINT_TO_POINTER (n), GUINT_TO_POINTER (count));
      /* the first row (often the header) decides a tie */
      if (count > best_count)
        {
          best = n;
          best_count = count;
        }
    }
  return best;
}

guint
tl_import_wizard_get_n_columns (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), 0);
  return self->n_columns;
}

gboolean
tl_import_wizard_load_preview (TlImportWizard *self, GError **error)
{
  g_autoptr (TlCsvReader) reader = NULL;
  g_autoptr (GtkStringList) rows = gtk_string_list_new (NULL);
  g_autoptr (GtkNoSelection) selection = NULL;
  GListModel *columns;
  const TlCsvRecord *record;
  guint header_choice;
  int label_column = -1, text_seen = 0;
  GtkWidget *child;

  reader = tl_csv_reader_open (self->path, tl_import_wizard_chosen_delimiter (self), error);
  if (reader == NULL)
    return FALSE;
  g_ptr_array_set_size (self->records, 0);
  self->n_columns = 0;
  while (self->records->len < PREVIEW_ROWS + 1 && (record = tl_csv_reader_next (reader, error)) != NULL)
    g_ptr_array_add (self->records, tl_csv_record_copy (record));
  if (error != NULL && *error != NULL)
    return FALSE;
  self->n_columns = common_field_count (self->records);
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
      column = gtk_column_view_column_new (tl_import_wizard_column_name (self, c, buffer, sizeof buffer), g_object_ref (factory));
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
      const char *name = tl_import_wizard_column_name (self, c, buffer, sizeof buffer);
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
      const char *name = tl_import_wizard_column_name (self, c, buffer, sizeof buffer);
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

gboolean
tl_import_wizard_check_roles (TlImportWizard *self, GError **error)
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

