#define G_LOG_DOMAIN "tl-transfer-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-layer-table.h"
#include "tl-transfer-page.h"
#include "tl-ui-util.h"

struct _TlTransferPage
{
  GtkWidget      parent_instance;

  TlDocument    *document;
  gboolean       updating;

  GtkLabel      *head_label;
  GtkLabel      *trainable_label;
  GtkLabel      *total_label;
  GtkLevelBar   *trainable_bar;
  GtkStack      *table_stack;
  TlLayerTable  *layer_table;
  GtkSwitch     *head_switch;
  GtkSwitch     *cache_switch;
  GtkSwitch     *baseline_switch;
};

G_DEFINE_FINAL_TYPE (TlTransferPage, tl_transfer_page, GTK_TYPE_WIDGET)

static int
head_index (TlModel *model)
{
  for (int i = tl_model_n_layers (model) - 1; i >= 0; i--)
    if (tl_model_layer (model, i)->spec.kind == TL_LAYER_DENSE)
      return i;
  return -1;
}

static void
update_counts (TlTransferPage *self)
{
  TlModel *model = tl_document_get_target_model (self->document);
  gsize trainable, total;
  g_autofree char *t = NULL, *a = NULL, *text = NULL, *total_text = NULL;

  if (model == NULL)
    {
      gtk_label_set_text (self->trainable_label, "");
      gtk_label_set_text (self->total_label, "");
      gtk_level_bar_set_value (self->trainable_bar, 0);
      return;
    }
  trainable = tl_model_param_count (model, TRUE);
  total = tl_model_param_count (model, FALSE);
  t = tl_format_thousands (trainable);
  a = tl_format_thousands (total);
  text = g_strdup_printf (_("%s trainable"), t);
  total_text = g_strdup_printf (_("of %s parameters (%.1f%%)"), a, total > 0 ? 100.0 * trainable / total : 0.0);
  gtk_label_set_text (self->trainable_label, text);
  gtk_label_set_text (self->total_label, total_text);
  gtk_level_bar_set_value (self->trainable_bar, total > 0 ? (double) trainable / total : 0);
}

const char *
tl_transfer_page_get_trainable_text (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), NULL);
  return gtk_label_get_text (self->trainable_label);
}

GtkWidget *
tl_transfer_page_get_layer_table (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), NULL);
  return GTK_WIDGET (self->layer_table);
}

static void
update (TlTransferPage *self)
{
  TlDocument *doc = self->document;
  TlModel *model = tl_document_get_target_model (doc);
  const TlDataSlot *target = tl_document_target_slot (doc);
  const TlExperiment *exp = tl_document_get_experiment (doc);

  self->updating = TRUE;
  gtk_switch_set_active (self->head_switch, exp->transfer.rebuild_head);
  gtk_switch_set_active (self->cache_switch, exp->transfer.feature_cache);
  gtk_switch_set_active (self->baseline_switch, exp->baseline);
  self->updating = FALSE;

  tl_layer_table_set_model (self->layer_table, model);
  gtk_stack_set_visible_child_name (self->table_stack, model != NULL ? "table" : "empty");
  if (model != NULL)
    {
      int head = head_index (model);
      g_autofree char *text = NULL;

      tl_layer_table_set_new_from (self->layer_table, exp->transfer.rebuild_head ? head : -1);
      if (target->train != NULL && exp->transfer.rebuild_head)
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "The head is rebuilt for the target's %d class. Freeze what should keep its pretrained weights.",
                                             "The head is rebuilt for the target's %d classes. Freeze what should keep its pretrained weights.",
                                             target->train->n_classes),
                                target->train->n_classes);
      else
        text = g_strdup (_("Freeze what should keep its pretrained weights; give the rest a learning-rate multiplier."));
      gtk_label_set_text (self->head_label, text);
    }
  else
    gtk_label_set_text (self->head_label, _("Choose what to freeze once there is a model."));
  update_counts (self);
}

static void
on_table_changed (TlTransferPage *self)
{
  update_counts (self);
  tl_document_store_plan (self->document);
  tl_document_changed (self->document, "plan");
}

static void
on_document_changed (TlTransferPage *self, const char *what)
{
  if (g_strcmp0 (what, "transfer") == 0 || g_strcmp0 (what, "params") == 0)
    update (self);
}

static void
on_option_changed (TlTransferPage *self)
{
  TlExperiment *exp;
  gboolean head;

  if (self->updating || self->document == NULL)
    return;
  exp = tl_document_get_experiment (self->document);
  head = gtk_switch_get_active (self->head_switch);
  exp->transfer.feature_cache = gtk_switch_get_active (self->cache_switch);
  exp->baseline = gtk_switch_get_active (self->baseline_switch);
  if (head != exp->transfer.rebuild_head)
    {
      g_autoptr (GError) error = NULL;

      exp->transfer.rebuild_head = head;
      if (!tl_document_rebuild_target (self->document, &error))
        gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", error->message);
    }
  tl_document_changed (self->document, "params");
}

static void
on_freeze_all (TlTransferPage *self)
{
  TlModel *model = tl_document_get_target_model (self->document);

  if (model == NULL)
    return;
  tl_model_freeze_below (model, MAX (head_index (model), 0));
  tl_layer_table_refresh (self->layer_table);
}

static void
on_unfreeze_all (TlTransferPage *self)
{
  TlModel *model = tl_document_get_target_model (self->document);

  if (model == NULL)
    return;
  tl_model_freeze_below (model, 0);
  tl_layer_table_refresh (self->layer_table);
}

void
tl_transfer_page_set_document (TlTransferPage *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_TRANSFER_PAGE (self));

  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  update (self);
}

static void
tl_transfer_page_dispose (GObject *object)
{
  TlTransferPage *self = TL_TRANSFER_PAGE (object);

  if (self->layer_table != NULL)
    tl_layer_table_set_model (self->layer_table, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_TRANSFER_PAGE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->document);
  G_OBJECT_CLASS (tl_transfer_page_parent_class)->dispose (object);
}

static void
tl_transfer_page_class_init (TlTransferPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_transfer_page_dispose;
  g_type_ensure (TL_TYPE_LAYER_TABLE);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-transfer-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, head_label);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, trainable_label);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, total_label);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, trainable_bar);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, table_stack);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, layer_table);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, head_switch);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, cache_switch);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, baseline_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_freeze_all);
  gtk_widget_class_bind_template_callback (widget_class, on_unfreeze_all);
}

static void
tl_transfer_page_init (TlTransferPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  tl_layer_table_set_editable (self->layer_table, TRUE);
  g_signal_connect_swapped (self->layer_table, "changed", G_CALLBACK (on_table_changed), self);
  g_signal_connect_swapped (self->head_switch, "notify::active", G_CALLBACK (on_option_changed), self);
  g_signal_connect_swapped (self->cache_switch, "notify::active", G_CALLBACK (on_option_changed), self);
  g_signal_connect_swapped (self->baseline_switch, "notify::active", G_CALLBACK (on_option_changed), self);
}
