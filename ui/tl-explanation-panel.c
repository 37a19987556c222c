#define G_LOG_DOMAIN "tl-explanation-panel"

#include "config.h"

#include "tl-explanation-panel.h"

typedef struct
{
  GCancellable *cancellable;
  gpointer      result;
  char         *error;
  GtkLabel     *status_label;
} TlExplanationPanelPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (TlExplanationPanel, tl_explanation_panel, GTK_TYPE_BOX)

void
tl_explanation_panel_add (TlExplanationPanel *self, GtkWidget *child)
{
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);

  g_return_if_fail (TL_IS_EXPLANATION_PANEL (self));
  gtk_widget_insert_before (child, GTK_WIDGET (self), GTK_WIDGET (priv->status_label));
}

void
tl_explanation_panel_set_status (TlExplanationPanel *self, const char *text, gboolean error)
{
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);
  GtkWidget *label = GTK_WIDGET (priv->status_label);

  g_return_if_fail (TL_IS_EXPLANATION_PANEL (self));
  gtk_label_set_text (priv->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (label, text != NULL);
  if (error)
    gtk_widget_add_css_class (label, "error");
  else
    gtk_widget_remove_css_class (label, "error");
}

void
tl_explanation_panel_reset (TlExplanationPanel *self)
{
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);

  g_return_if_fail (TL_IS_EXPLANATION_PANEL (self));
  g_cancellable_cancel (priv->cancellable);
  g_clear_object (&priv->cancellable);
  if (priv->result != NULL)
    TL_EXPLANATION_PANEL_GET_CLASS (self)->free_result (g_steal_pointer (&priv->result));
  g_clear_pointer (&priv->error, g_free);
}

void
tl_explanation_panel_fail (TlExplanationPanel *self, const char *message)
{
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);

  g_return_if_fail (TL_IS_EXPLANATION_PANEL (self));
  g_free (priv->error);
  priv->error = g_strdup (message);
  tl_explanation_panel_set_status (self, message, TRUE);
}

static void
explain_in_thread (GTask *task, gpointer source, gpointer job, GCancellable *cancellable)
{
  TlExplanationPanelClass *klass = TL_EXPLANATION_PANEL_GET_CLASS (source);
  GError *error = NULL;
  gpointer result = klass->explain (job, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, klass->free_result);
}

static void
explained (GObject *source, GAsyncResult *res, gpointer data)
{
  TlExplanationPanel *self = TL_EXPLANATION_PANEL (source);
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);
  g_autoptr (GError) error = NULL;
  gpointer result = g_task_propagate_pointer (G_TASK (res), &error);

  /* another sample was chosen meanwhile, or the widget is going away */
  if (g_task_get_cancellable (G_TASK (res)) != priv->cancellable)
    {
      if (result != NULL)
        TL_EXPLANATION_PANEL_GET_CLASS (self)->free_result (result);
      return;
    }
  if (result == NULL)
    {
      tl_explanation_panel_fail (self, error->message);
      return;
    }
  priv->result = result;
  TL_EXPLANATION_PANEL_GET_CLASS (self)->explained (self, result);
}

void
tl_explanation_panel_start (TlExplanationPanel *self, gpointer job, GDestroyNotify job_free, const char *status)
{
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (TL_IS_EXPLANATION_PANEL (self));
  tl_explanation_panel_set_status (self, status, FALSE);
  priv->cancellable = g_cancellable_new ();
  task = g_task_new (self, priv->cancellable, explained, NULL);
  g_task_set_task_data (task, job, job_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, explain_in_thread);
}

gpointer
tl_explanation_panel_get_result (TlExplanationPanel *self)
{
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);

  g_return_val_if_fail (TL_IS_EXPLANATION_PANEL (self), NULL);
  return priv->result;
}

gboolean
tl_explanation_panel_is_ready (TlExplanationPanel *self)
{
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);

  g_return_val_if_fail (TL_IS_EXPLANATION_PANEL (self), FALSE);
  return priv->result != NULL || priv->error != NULL;
}

const char *
tl_explanation_panel_get_error (TlExplanationPanel *self)
{
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);

  g_return_val_if_fail (TL_IS_EXPLANATION_PANEL (self), NULL);
  return priv->error;
}

static void
tl_explanation_panel_dispose (GObject *object)
{
  tl_explanation_panel_reset (TL_EXPLANATION_PANEL (object));
  G_OBJECT_CLASS (tl_explanation_panel_parent_class)->dispose (object);
}

static void
tl_explanation_panel_class_init (TlExplanationPanelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = tl_explanation_panel_dispose;
}

static void
tl_explanation_panel_init (TlExplanationPanel *self)
{
  TlExplanationPanelPrivate *priv = tl_explanation_panel_get_instance_private (self);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 4);
  priv->status_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (priv->status_label, TRUE);
  gtk_label_set_xalign (priv->status_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (priv->status_label), "caption");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (priv->status_label));
  tl_explanation_panel_set_status (self, NULL, FALSE);
}
