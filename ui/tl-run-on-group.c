#define G_LOG_DOMAIN "tl-run-on-group"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-run-on-group.h"
#include "tl-torch-probe.h"

struct _TlRunOnGroup
{
  AdwPreferencesGroup parent_instance;

  TlRunOn         choice;
  gboolean        torch_checked;
  gboolean        torch_probed;   /* the search has started */
  char           *python;
  char           *device;
  char           *torch_problem;
  GCancellable   *cancellable;
  AdwActionRow   *rows[3];
  GtkCheckButton *checks[3];
  GtkWidget      *collect_button;
};

G_DEFINE_FINAL_TYPE (TlRunOnGroup, tl_run_on_group, ADW_TYPE_PREFERENCES_GROUP)

enum { PROP_0, PROP_CHOICE, PROP_TORCH_CHECKED, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { COLLECT, N_SIGNALS };
static guint signals[N_SIGNALS];

TlRunOn
tl_run_on_group_get_choice (TlRunOnGroup *self)
{
  g_return_val_if_fail (TL_IS_RUN_ON_GROUP (self), TL_RUN_ON_LOCAL);
  return self->choice;
}

gboolean
tl_run_on_group_set_choice (TlRunOnGroup *self, TlRunOn choice)
{
  g_return_val_if_fail (TL_IS_RUN_ON_GROUP (self), FALSE);
  g_return_val_if_fail (choice <= TL_RUN_ON_CLUSTER, FALSE);

  if (choice == TL_RUN_ON_TORCH && self->python == NULL)
    return FALSE;
  gtk_check_button_set_active (self->checks[choice], TRUE);
  return TRUE;
}

gboolean
tl_run_on_group_get_torch_checked (TlRunOnGroup *self)
{
  g_return_val_if_fail (TL_IS_RUN_ON_GROUP (self), FALSE);
  return self->torch_checked;
}

const char *
tl_run_on_group_get_python (TlRunOnGroup *self)
{
  g_return_val_if_fail (TL_IS_RUN_ON_GROUP (self), NULL);
  return self->python;
}

const char *
tl_run_on_group_get_device (TlRunOnGroup *self)
{
  g_return_val_if_fail (TL_IS_RUN_ON_GROUP (self), NULL);
  return self->device;
}

const char *
tl_run_on_group_get_torch_problem (TlRunOnGroup *self)
{
  g_return_val_if_fail (TL_IS_RUN_ON_GROUP (self), NULL);
  return self->torch_problem;
}

GtkWidget *
tl_run_on_group_get_row (TlRunOnGroup *self, TlRunOn choice)
{
  g_return_val_if_fail (TL_IS_RUN_ON_GROUP (self), NULL);
  g_return_val_if_fail (choice <= TL_RUN_ON_CLUSTER, NULL);
  return GTK_WIDGET (self->rows[choice]);
}

void
tl_run_on_group_set_running (TlRunOnGroup *self, gboolean running)
{
  g_return_if_fail (TL_IS_RUN_ON_GROUP (self));

  for (int i = 0; i < 3; i++)
    gtk_widget_set_sensitive (GTK_WIDGET (self->rows[i]), !running && (i != TL_RUN_ON_TORCH || self->python != NULL));
  gtk_widget_set_sensitive (self->collect_button, !running);
}

static void
on_toggled (TlRunOnGroup *self)
{
  for (int i = 0; i < 3; i++)
    if (gtk_check_button_get_active (self->checks[i]) && self->choice != (TlRunOn) i)
      {
        self->choice = i;
        g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CHOICE]);
      }
}

static void
on_collect (TlRunOnGroup *self)
{
  g_signal_emit (self, signals[COLLECT], 0);
}

static void
probe_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  TlTorchProbe *probe = g_new0 (TlTorchProbe, 1);
  GError *error = NULL;

  if (tl_torch_probe_run (probe, &error))
    g_task_return_pointer (task, probe, NULL);
  else
    {
      g_free (probe);
      g_task_return_error (task, error);
    }
}

static void
probed (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (GError) error = NULL;
  TlTorchProbe *probe = g_task_propagate_pointer (G_TASK (res), &error);
  TlRunOnGroup *self;
  AdwActionRow *row;

  self = TL_RUN_ON_GROUP (data);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      if (probe != NULL)
        tl_torch_probe_clear (probe);
      g_free (probe);
      g_object_unref (self);
      return;
    }
  row = self->rows[TL_RUN_ON_TORCH];
  if (probe != NULL)
    {
      g_autofree char *subtitle = NULL;

      self->python = g_strdup (probe->python);
      self->device = g_strdup (probe->cuda && probe->gpus > 0 ? "cuda" : "cpu");
      subtitle = probe->cuda && probe->gpus > 0
                 ? g_strdup_printf (_("PyTorch %s on the GPU, with distributed data parallel training"),
                                    probe->torch_version)
                 : g_strdup_printf (_("PyTorch %s on the CPU (no GPU found), with distributed data parallel "
                                      "training"), probe->torch_version);
      adw_action_row_set_subtitle (row, subtitle);
      gtk_widget_set_tooltip_text (GTK_WIDGET (row), NULL);
      gtk_widget_set_sensitive (GTK_WIDGET (row), TRUE);
      tl_torch_probe_clear (probe);
      g_free (probe);
    }
  else
    {
      self->torch_problem = g_strdup (error->message);
      adw_action_row_set_subtitle (row, _("Not available: Python 3 with PyTorch was not found"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (row), error->message);
    }
  self->torch_checked = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TORCH_CHECKED]);
  g_object_unref (self);
}

static AdwActionRow *
add_row (TlRunOnGroup *self, TlRunOn choice, const char *title, const char *subtitle)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkCheckButton *check = GTK_CHECK_BUTTON (gtk_check_button_new ());

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (row, subtitle);
  gtk_widget_set_valign (GTK_WIDGET (check), GTK_ALIGN_CENTER);
  if (choice != TL_RUN_ON_LOCAL)
    gtk_check_button_set_group (check, self->checks[TL_RUN_ON_LOCAL]);
  adw_action_row_add_prefix (row, GTK_WIDGET (check));
  adw_action_row_set_activatable_widget (row, GTK_WIDGET (check));
  g_signal_connect_swapped (check, "toggled", G_CALLBACK (on_toggled), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), GTK_WIDGET (row));
  self->rows[choice] = row;
  self->checks[choice] = check;
  return row;
}

static void
tl_run_on_group_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TlRunOnGroup *self = TL_RUN_ON_GROUP (object);

  switch (prop_id)
    {
    case PROP_CHOICE: g_value_set_int (value, self->choice); break;
    case PROP_TORCH_CHECKED: g_value_set_boolean (value, self->torch_checked); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_run_on_group_dispose (GObject *object)
{
  TlRunOnGroup *self = TL_RUN_ON_GROUP (object);

  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (tl_run_on_group_parent_class)->dispose (object);
}

static void
tl_run_on_group_finalize (GObject *object)
{
  TlRunOnGroup *self = TL_RUN_ON_GROUP (object);

  g_clear_object (&self->cancellable);
  g_free (self->python);
  g_free (self->device);
  g_free (self->torch_problem);
  G_OBJECT_CLASS (tl_run_on_group_parent_class)->finalize (object);
}

/* Python importing torch takes a second or more of a processor: it waits until
 * the group is first shown rather than compete with the window's start-up. */
static void
tl_run_on_group_map (GtkWidget *widget)
{
  TlRunOnGroup *self = TL_RUN_ON_GROUP (widget);

  GTK_WIDGET_CLASS (tl_run_on_group_parent_class)->map (widget);
  if (!self->torch_probed)
    {
      g_autoptr (GTask) task = g_task_new (NULL, NULL, probed, g_object_ref (self));

      self->torch_probed = TRUE;
      g_task_run_in_thread (task, probe_thread);
    }
}

static void
tl_run_on_group_class_init (TlRunOnGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = tl_run_on_group_get_property;
  object_class->dispose = tl_run_on_group_dispose;
  object_class->finalize = tl_run_on_group_finalize;
  widget_class->map = tl_run_on_group_map;
  props[PROP_CHOICE] = g_param_spec_int ("choice", NULL, NULL, TL_RUN_ON_LOCAL, TL_RUN_ON_CLUSTER, TL_RUN_ON_LOCAL,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_TORCH_CHECKED] = g_param_spec_boolean ("torch-checked", NULL, NULL, FALSE,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  signals[COLLECT] = g_signal_new ("collect", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
tl_run_on_group_init (TlRunOnGroup *self)
{
  AdwActionRow *torch, *cluster;

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), _("Run On"));
  add_row (self, TL_RUN_ON_LOCAL, _("This computer"), _("The built-in trainer, with live curves per batch"));
  torch = add_row (self, TL_RUN_ON_TORCH, _("PyTorch on this computer"), _("Looking for PyTorch…"));
  gtk_widget_set_sensitive (GTK_WIDGET (torch), FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (torch), _("Looking for Python 3 with PyTorch…"));
  cluster = add_row (self, TL_RUN_ON_CLUSTER, _("Prepare a cluster job"),
                     _("Start writes a job folder to run with PyTorch elsewhere; collect its results here "
                       "when it has run"));
  self->collect_button = gtk_button_new_with_mnemonic (_("C_ollect Results…"));
  gtk_widget_set_valign (self->collect_button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (self->collect_button, _("Read back a job folder that has run, as a run of this "
                                                        "experiment"));
  g_signal_connect_swapped (self->collect_button, "clicked", G_CALLBACK (on_collect), self);
  adw_action_row_add_suffix (cluster, self->collect_button);
  gtk_check_button_set_active (self->checks[TL_RUN_ON_LOCAL], TRUE);

  self->cancellable = g_cancellable_new ();
}
