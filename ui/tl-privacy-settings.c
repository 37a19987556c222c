#define G_LOG_DOMAIN "tl-privacy-settings"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "tl-privacy-settings.h"

#define DEFAULT_EPSILON 3.0
#define DEFAULT_DELTA   1e-5
#define DEFAULT_CLIP    1.0

struct _TlPrivacySettings
{
  GtkWidget      parent_instance;

  TlDocument    *document;
  gboolean       updating;
  gboolean       writing;   /* the document's "changed" of our own edit: the fields are already right */
  char          *delta_error;

  GtkSwitch     *enable_switch;
  GtkWidget     *epsilon_row;
  GtkWidget     *delta_row;
  GtkWidget     *clip_row;
  GtkSpinButton *epsilon_spin;
  GtkEntry      *delta_entry;
  GtkSpinButton *clip_spin;
  GtkWidget     *reference_row;
  GtkSwitch     *reference_switch;
};

G_DEFINE_FINAL_TYPE (TlPrivacySettings, tl_privacy_settings, GTK_TYPE_WIDGET)

static const char *
delta_hint (void)
{
  return _("Chance that the guarantee fails; below one over the target's training samples");
}

/* The delta typed, or NAN (with the reason kept) when it is no number in (0, 1). */
static double
parse_delta (TlPrivacySettings *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->delta_entry));
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  char *end = NULL;
  double delta = g_ascii_strtod (trimmed, &end);

  g_clear_pointer (&self->delta_error, g_free);
  if (*trimmed == '\0' || end == NULL || *end != '\0' || !(delta > 0.0 && delta < 1.0))
    {
      self->delta_error = g_strdup_printf (_("Delta must be a number between 0 and 1, such as 1e-5, not “%s”."),
                                           trimmed);
      return NAN;
    }
  return delta;
}

static void
show_delta_state (TlPrivacySettings *self)
{
  if (self->delta_error != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->delta_entry), "error");
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->delta_row), self->delta_error);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->delta_entry), "error");
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->delta_row), delta_hint ());
    }
}

static void
sync_sensitivity (TlPrivacySettings *self)
{
  gboolean on = gtk_switch_get_active (self->enable_switch);

  gtk_widget_set_sensitive (self->epsilon_row, on);
  gtk_widget_set_sensitive (self->delta_row, on);
  gtk_widget_set_sensitive (self->clip_row, on);
  gtk_widget_set_sensitive (self->reference_row, on);
}

/* The experiment's settings into the fields. */
static void
update (TlPrivacySettings *self)
{
  const TlTrainSpec *spec = &tl_document_get_experiment (self->document)->transfer.finetune;
  const TlPrivacyConfig *p = &spec->privacy;
  char delta[G_ASCII_DTOSTR_BUF_SIZE];

  self->updating = TRUE;
  gtk_switch_set_active (self->enable_switch, spec->private);
  gtk_switch_set_active (self->reference_switch, spec->private_reference);
  gtk_spin_button_set_value (self->epsilon_spin, p->epsilon > 0.0 ? p->epsilon : DEFAULT_EPSILON);
  gtk_spin_button_set_value (self->clip_spin, p->clip > 0.0 ? p->clip : DEFAULT_CLIP);
  g_ascii_formatd (delta, sizeof delta, "%g", p->delta > 0.0 ? p->delta : DEFAULT_DELTA);
  gtk_editable_set_text (GTK_EDITABLE (self->delta_entry), delta);
  g_clear_pointer (&self->delta_error, g_free);
  show_delta_state (self);
  if (p->sigma > 0.0)
    {
      g_autofree char *text = g_strdup_printf (_("The experiment file sets the noise multiplier σ to %g: the run "
                                                 "stops before it would spend more than this"), p->sigma);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->epsilon_row), text);
    }
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->epsilon_row),
                                 _("The privacy spent over all epochs: the noise is calibrated to it"));
  sync_sensitivity (self);
  self->updating = FALSE;
}

/* The fields into the experiment; the window checks it again and shows what it refuses. */
static void
on_edited (TlPrivacySettings *self)
{
  TlTrainSpec *spec;
  double delta;

  sync_sensitivity (self);
  if (self->updating || self->document == NULL)
    return;
  spec = &tl_document_get_experiment (self->document)->transfer.finetune;
  delta = parse_delta (self);
  show_delta_state (self);
  spec->private = gtk_switch_get_active (self->enable_switch);
  spec->private_reference = gtk_switch_get_active (self->reference_switch);
  spec->privacy.epsilon = gtk_spin_button_get_value (self->epsilon_spin);
  spec->privacy.clip = gtk_spin_button_get_value (self->clip_spin);
  if (!isnan (delta))
    spec->privacy.delta = delta;
  else if (!(spec->privacy.delta > 0.0))
    spec->privacy.delta = DEFAULT_DELTA;
  self->writing = TRUE;
  tl_document_changed (self->document, "params");
  self->writing = FALSE;
}

static void
on_document_changed (TlPrivacySettings *self, const char *what)
{
  if (g_strcmp0 (what, "params") == 0 || g_strcmp0 (what, "transfer") == 0 || g_strcmp0 (what, "file") == 0)
    {
      /* keep a refused delta on screen while it is being typed */
      if (!self->writing && self->delta_error == NULL)
        update (self);
    }
}

void
tl_privacy_settings_set_document (TlPrivacySettings *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_PRIVACY_SETTINGS (self));

  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  update (self);
}

GtkWidget *
tl_privacy_settings_get_switch (TlPrivacySettings *self)
{
  g_return_val_if_fail (TL_IS_PRIVACY_SETTINGS (self), NULL);
  return GTK_WIDGET (self->enable_switch);
}

GtkWidget *
tl_privacy_settings_get_epsilon_spin (TlPrivacySettings *self)
{
  g_return_val_if_fail (TL_IS_PRIVACY_SETTINGS (self), NULL);
  return GTK_WIDGET (self->epsilon_spin);
}

GtkWidget *
tl_privacy_settings_get_delta_entry (TlPrivacySettings *self)
{
  g_return_val_if_fail (TL_IS_PRIVACY_SETTINGS (self), NULL);
  return GTK_WIDGET (self->delta_entry);
}

GtkWidget *
tl_privacy_settings_get_clip_spin (TlPrivacySettings *self)
{
  g_return_val_if_fail (TL_IS_PRIVACY_SETTINGS (self), NULL);
  return GTK_WIDGET (self->clip_spin);
}

GtkWidget *
tl_privacy_settings_get_reference_switch (TlPrivacySettings *self)
{
  g_return_val_if_fail (TL_IS_PRIVACY_SETTINGS (self), NULL);
  return GTK_WIDGET (self->reference_switch);
}

const char *
tl_privacy_settings_get_delta_error (TlPrivacySettings *self)
{
  g_return_val_if_fail (TL_IS_PRIVACY_SETTINGS (self), NULL);
  return self->delta_error;
}

static GtkWidget *
add_row (AdwPreferencesGroup *group, const char *title, const char *subtitle, GtkWidget *suffix)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), TRUE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (suffix, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), suffix);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (suffix), GTK_ACCESSIBLE_RELATION_LABELLED_BY, row, NULL, -1);
  adw_preferences_group_add (group, row);
  return row;
}

static GtkSpinButton *
spin (double lo, double hi, double step, double value)
{
  GtkWidget *button = gtk_spin_button_new_with_range (lo, hi, step);

  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (button), 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (button), value);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (button), TRUE);
  return GTK_SPIN_BUTTON (button);
}

static void
tl_privacy_settings_dispose (GObject *object)
{
  TlPrivacySettings *self = TL_PRIVACY_SETTINGS (object);

  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->document);
  g_clear_pointer (&self->delta_error, g_free);
  G_OBJECT_CLASS (tl_privacy_settings_parent_class)->dispose (object);
}

static void
tl_privacy_settings_class_init (TlPrivacySettingsClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_privacy_settings_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
tl_privacy_settings_init (TlPrivacySettings *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_preferences_group_set_title (group, _("Privacy"));
  gtk_widget_set_parent (GTK_WIDGET (group), GTK_WIDGET (self));
  self->enable_switch = GTK_SWITCH (gtk_switch_new ());
  add_row (group, _("_Private Fine-Tuning"),
                 _("Differentially private training (DP-SGD) of every run on the target's rows: each sample's "
                   "gradient is clipped and noise is added. Pretraining is not private."),
                 GTK_WIDGET (self->enable_switch));
  self->epsilon_spin = spin (0.01, 1000, 0.5, DEFAULT_EPSILON);
  self->epsilon_row = add_row (group, _("Privacy _Budget ε"), "", GTK_WIDGET (self->epsilon_spin));
  self->delta_entry = GTK_ENTRY (gtk_entry_new ());
  gtk_editable_set_width_chars (GTK_EDITABLE (self->delta_entry), 10);
  gtk_entry_set_alignment (self->delta_entry, 1.0f);
  self->delta_row = add_row (group, _("_Delta δ"), delta_hint (), GTK_WIDGET (self->delta_entry));
  self->clip_spin = spin (0.01, 100, 0.1, DEFAULT_CLIP);
  self->clip_row = add_row (group, _("Gradient _Clip"), _("The largest norm a single sample's gradient keeps"),
                            GTK_WIDGET (self->clip_spin));
  self->reference_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_switch_set_active (self->reference_switch, TRUE);
  self->reference_row = add_row (group, _("Compare _Without Privacy"),
                                 _("Also fine-tunes once without privacy, beside the private runs, to show what "
                                   "privacy costs. That model is not private."),
                                 GTK_WIDGET (self->reference_switch));
  g_signal_connect_swapped (self->enable_switch, "notify::active", G_CALLBACK (on_edited), self);
  g_signal_connect_swapped (self->reference_switch, "notify::active", G_CALLBACK (on_edited), self);
  g_signal_connect_swapped (self->epsilon_spin, "value-changed", G_CALLBACK (on_edited), self);
  g_signal_connect_swapped (self->clip_spin, "value-changed", G_CALLBACK (on_edited), self);
  g_signal_connect_swapped (self->delta_entry, "changed", G_CALLBACK (on_edited), self);
  sync_sensitivity (self);
}
