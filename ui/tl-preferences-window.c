#define G_LOG_DOMAIN "tl-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-preferences-window.h"
#include "tl-settings.h"

struct _TlPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwComboRow    *style_row;
  GtkSpinButton  *epochs_spin;
  GtkSpinButton  *batch_spin;
  GtkSpinButton  *lr_spin;
  GtkSpinButton  *seed_spin;
  GtkSwitch      *baseline_switch;
  AdwActionRow   *results_row;
  GtkWidget      *results_reset;
};

G_DEFINE_FINAL_TYPE (TlPreferencesWindow, tl_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static gboolean
enum_to_index (GValue *value, GVariant *variant, gpointer user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);
  guint index = g_str_equal (nick, "light") ? 1 : g_str_equal (nick, "dark") ? 2 : 0;

  g_value_set_uint (value, index);
  return TRUE;
}

static GVariant *
index_to_enum (const GValue *value, const GVariantType *type, gpointer user_data)
{
  static const char *nicks[] = { "default", "light", "dark" };
  guint index = g_value_get_uint (value);

  return g_variant_new_string (nicks[MIN (index, 2)]);
}

static void
show_results_folder (TlPreferencesWindow *self)
{
  GSettings *settings = tl_settings_get ();
  g_autofree char *folder = settings != NULL ? g_settings_get_string (settings, "results-folder") : NULL;
  gboolean chosen = folder != NULL && *folder != '\0';

  adw_action_row_set_subtitle (self->results_row,
                               chosen ? folder : _("Next to each experiment file, in results/ and the experiment's name"));
  gtk_widget_set_visible (self->results_reset, chosen);
}

static void
results_chosen (GtkNativeDialog *dialog, int response, TlPreferencesWindow *self)
{
  GSettings *settings = tl_settings_get ();

  if (response == GTK_RESPONSE_ACCEPT && settings != NULL)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (settings, "results-folder", path);
    }
  g_object_unref (dialog);
}

static void
on_results_choose (TlPreferencesWindow *self)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Choose the Results Folder"), GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"),
                                                              _("_Cancel"));

  g_signal_connect (dialog, "response", G_CALLBACK (results_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_results_reset (TlPreferencesWindow *self)
{
  GSettings *settings = tl_settings_get ();

  if (settings != NULL)
    g_settings_reset (settings, "results-folder");
}

static void
tl_preferences_window_class_init (TlPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/transferlab/TransferLab/ui/tl-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, baseline_switch);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, results_row);
  gtk_widget_class_bind_template_child (widget_class, TlPreferencesWindow, results_reset);
  gtk_widget_class_bind_template_callback (widget_class, on_results_choose);
  gtk_widget_class_bind_template_callback (widget_class, on_results_reset);
}

static void
tl_preferences_window_init (TlPreferencesWindow *self)
{
  GSettings *settings = tl_settings_get ();

  gtk_widget_init_template (GTK_WIDGET (self));
  show_results_folder (self);
  if (settings == NULL)
    return;
  g_signal_connect_object (settings, "changed::results-folder", G_CALLBACK (show_results_folder), self,
                           G_CONNECT_SWAPPED);
  g_settings_bind_with_mapping (settings, "color-scheme", self->style_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                enum_to_index, index_to_enum, NULL, NULL);
  g_settings_bind (settings, "default-epochs", self->epochs_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "default-batch-size", self->batch_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "default-learning-rate", self->lr_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "default-seed", self->seed_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "run-baseline", self->baseline_switch, "active", G_SETTINGS_BIND_DEFAULT);
}

TlPreferencesWindow *
tl_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (TL_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
