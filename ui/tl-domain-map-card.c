#define G_LOG_DOMAIN "tl-domain-map-card"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "tl-domain-map-card.h"
#include "tl-domain-map-view.h"

enum { IN_PRETRAINED, IN_TUNED, IN_SOURCE, IN_TARGET, N_INPUTS };

struct _TlDomainMapCard
{
  GtkWidget        parent_instance;

  TlDocument      *document;
  /* What the map shows, so that it is computed again only when one of them changes. */
  const void      *inputs[N_INPUTS];
  guint            poll_id;

  TlDomainMapView *domain_map_view;
  GtkSpinner      *domain_map_spinner;
  GtkButton       *domain_map_export;
};

G_DEFINE_FINAL_TYPE (TlDomainMapCard, tl_domain_map_card, GTK_TYPE_WIDGET)

static void
show_busy (TlDomainMapCard *self)
{
  gboolean busy = tl_domain_map_view_is_busy (self->domain_map_view);

  gtk_spinner_set_spinning (self->domain_map_spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->domain_map_spinner), busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->domain_map_export),
                            !busy && tl_domain_map_view_get_n_maps (self->domain_map_view) > 0);
}

/* The view computes in a worker and says nothing when it is done: the spinner follows it. */
static gboolean
poll_busy (gpointer data)
{
  TlDomainMapCard *self = data;

  show_busy (self);
  if (tl_domain_map_view_is_busy (self->domain_map_view))
    return G_SOURCE_CONTINUE;
  self->poll_id = 0;
  return G_SOURCE_REMOVE;
}

static void
update (TlDomainMapCard *self)
{
  TlRunResult *pretrain = tl_document_get_run (self->document, "pretrain");
  TlRunResult *tuned = tl_document_get_main_run (self->document);
  const TlDataset *source = tl_document_get_data (self->document, TL_ROLE_SOURCE)->test;
  const TlDataset *target = tl_document_target_slot (self->document)->test;
  const void *inputs[N_INPUTS] = { pretrain != NULL ? pretrain->model : NULL, tuned != NULL ? tuned->model : NULL,
                                   source, target };
  gboolean complete = TRUE;

  for (int i = 0; i < N_INPUTS; i++)
    complete = complete && inputs[i] != NULL;
  /* the main run may be the pretraining itself when nothing was fine-tuned */
  complete = complete && tuned != pretrain;
  gtk_widget_set_visible (GTK_WIDGET (self), complete);
  if (memcmp (inputs, self->inputs, sizeof inputs) == 0)
    return;
  memcpy (self->inputs, inputs, sizeof inputs);
  if (!complete)
    tl_domain_map_view_set_models (self->domain_map_view, NULL, NULL, NULL, NULL);
  else
    tl_domain_map_view_set_models (self->domain_map_view, pretrain->model, tuned->model, source, target);
  show_busy (self);
  if (self->poll_id == 0 && tl_domain_map_view_is_busy (self->domain_map_view))
    self->poll_id = g_timeout_add (150, poll_busy, self);
}

static void
on_document_changed (TlDomainMapCard *self, const char *what)
{
  if (g_strcmp0 (what, "results") == 0 || g_strcmp0 (what, "data") == 0)
    update (self);
}

void
tl_domain_map_card_set_document (TlDomainMapCard *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_DOMAIN_MAP_CARD (self));

  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  update (self);
}

GtkWidget *
tl_domain_map_card_get_view (TlDomainMapCard *self)
{
  g_return_val_if_fail (TL_IS_DOMAIN_MAP_CARD (self), NULL);
  return GTK_WIDGET (self->domain_map_view);
}

GtkWidget *
tl_domain_map_card_get_export_button (TlDomainMapCard *self)
{
  g_return_val_if_fail (TL_IS_DOMAIN_MAP_CARD (self), NULL);
  return GTK_WIDGET (self->domain_map_export);
}

static void
export_response (GtkNativeDialog *dialog, int response, TlDomainMapCard *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;

      if (path != NULL && tl_domain_map_view_export (self->domain_map_view, path, &error))
        {
          g_autofree char *base = g_path_get_basename (path);
          g_autofree char *toast = g_strdup_printf (_("Saved %s"), base);
          gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", toast);
        }
      else if (error != NULL)
        gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", error->message);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_export (TlDomainMapCard *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Export the Domain Map"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "domain-map.png");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
tl_domain_map_card_dispose (GObject *object)
{
  TlDomainMapCard *self = TL_DOMAIN_MAP_CARD (object);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_DOMAIN_MAP_CARD);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->document);
  G_OBJECT_CLASS (tl_domain_map_card_parent_class)->dispose (object);
}

static void
tl_domain_map_card_class_init (TlDomainMapCardClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_domain_map_card_dispose;
  g_type_ensure (TL_TYPE_DOMAIN_MAP_VIEW);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-domain-map-card.ui");
  gtk_widget_class_bind_template_child (widget_class, TlDomainMapCard, domain_map_view);
  gtk_widget_class_bind_template_child (widget_class, TlDomainMapCard, domain_map_spinner);
  gtk_widget_class_bind_template_child (widget_class, TlDomainMapCard, domain_map_export);
}

static void
tl_domain_map_card_init (TlDomainMapCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self->domain_map_spinner), FALSE);
  g_signal_connect_swapped (self->domain_map_export, "clicked", G_CALLBACK (on_export), self);
}
