#define G_LOG_DOMAIN "tl-transfer-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-layer-assessment.h"
#include "tl-layer-table.h"
#include "tl-pretrained-card.h"
#include "tl-privacy-settings.h"
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
  AdwPreferencesGroup *strategy_group;
  AdwExpanderRow *advanced_row;
  GtkCheckButton *strategy_checks[TL_N_STRATEGIES];
  GtkWidget     *target_weight_row;
  GtkWidget     *adversarial_weight_row;
  GtkWidget     *pseudo_labels_row;
  GtkSpinButton *target_weight_spin;
  GtkSpinButton *adversarial_weight_spin;
  GtkSpinButton *pseudo_labels_spin;
  GtkSwitch     *unlabeled_text_switch;
  GtkLabel      *assess_label;
  GtkSpinner    *assess_spinner;
  GtkButton     *assess_button;
  GtkWidget     *freeze_recommended;  /* "Freeze up to relu2", once assessed */
  TlPrivacySettings *privacy_settings;
  TlPretrainedCard  *pretrained_card;
  GCancellable  *assess_cancellable;   /* of the assessment running, or NULL */
  gboolean       assessed;             /* the table shows scores for the current model and data */
};

/* The Strategies group's rows, in TlStrategy order. */
static const struct {
  const char *title;
  const char *subtitle;
} strategy_info[TL_N_STRATEGIES] = {
  { N_("Fine-Tune"), N_("Train the copy on the labelled target samples (the run named “transfer”)") },
  { N_("Joint"), N_("Train on the source and the labelled target samples together, the target weighted") },
  { N_("Domain-Adversarial"), N_("Joint, while a domain classifier behind a gradient-reversal layer makes source and "
                                 "unlabelled target features alike (DANN); works without target labels") },
  { N_("Self-Training"), N_("Joint, then a second round with confident pseudo-labels of unlabelled target samples, "
                            "each weighted as a labelled one") },
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

/* Which settings matter for the strategies picked: the others are greyed out. */
static void
update_strategies (TlTransferPage *self)
{
  const TlTransferSpec *t = &tl_document_get_experiment (self->document)->transfer;
  gboolean picked[TL_N_STRATEGIES] = { FALSE };

  for (int i = 0; i < t->n_strategies; i++)
    if (t->strategies[i] >= 0 && t->strategies[i] < TL_N_STRATEGIES)
      picked[t->strategies[i]] = TRUE;
  for (int s = 0; s < TL_N_STRATEGIES; s++)
    gtk_check_button_set_active (self->strategy_checks[s], picked[s]);
  gtk_spin_button_set_value (self->target_weight_spin, t->target_weight);
  gtk_spin_button_set_value (self->adversarial_weight_spin, t->adversarial_weight);
  gtk_spin_button_set_value (self->pseudo_labels_spin, t->pseudo_labels);
  gtk_switch_set_active (self->unlabeled_text_switch, t->unlabeled_text);
  gtk_widget_set_sensitive (self->target_weight_row, picked[TL_STRATEGY_JOINT] || picked[TL_STRATEGY_DOMAIN_ADVERSARIAL]
                                                     || picked[TL_STRATEGY_SELF_TRAINING]);
  gtk_widget_set_sensitive (self->adversarial_weight_row, picked[TL_STRATEGY_DOMAIN_ADVERSARIAL]);
  gtk_widget_set_sensitive (self->pseudo_labels_row, picked[TL_STRATEGY_SELF_TRAINING]);
}

static void
on_strategy_changed (TlTransferPage *self)
{
  TlTransferSpec *t;
  int n = 0;

  if (self->updating || self->document == NULL)
    return;
  t = &tl_document_get_experiment (self->document)->transfer;
  /* in the page's order, which is the order they run in */
  for (int s = 0; s < TL_N_STRATEGIES; s++)
    if (gtk_check_button_get_active (self->strategy_checks[s]))
      t->strategies[n++] = s;
  t->n_strategies = n;
  t->target_weight = (float) gtk_spin_button_get_value (self->target_weight_spin);
  t->adversarial_weight = (float) gtk_spin_button_get_value (self->adversarial_weight_spin);
  t->pseudo_labels = gtk_spin_button_get_value_as_int (self->pseudo_labels_spin);
  t->unlabeled_text = gtk_switch_get_active (self->unlabeled_text_switch);
  self->updating = TRUE;
  update_strategies (self);
  self->updating = FALSE;
  tl_document_changed (self->document, "params");
}

gboolean
tl_transfer_page_set_strategy (TlTransferPage *self, TlStrategy strategy, gboolean active)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), FALSE);
  g_return_val_if_fail (strategy < TL_N_STRATEGIES, FALSE);

  if (!gtk_widget_is_sensitive (GTK_WIDGET (self->strategy_checks[strategy])))
    return FALSE;
  gtk_check_button_set_active (self->strategy_checks[strategy], active);
  return TRUE;
}

gboolean
tl_transfer_page_get_strategy (TlTransferPage *self, TlStrategy strategy)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), FALSE);
  g_return_val_if_fail (strategy < TL_N_STRATEGIES, FALSE);
  return gtk_check_button_get_active (self->strategy_checks[strategy]);
}

GtkWidget *
tl_transfer_page_get_head_switch (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), NULL);
  return GTK_WIDGET (self->head_switch);
}

const char *
tl_transfer_page_get_head_text (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), NULL);
  return gtk_label_get_text (self->head_label);
}

static void
build_strategy_rows (TlTransferPage *self)
{
  /* the strategies above the expander of their settings */
  g_object_ref (self->advanced_row);
  adw_preferences_group_remove (self->strategy_group, GTK_WIDGET (self->advanced_row));
  for (int s = 0; s < TL_N_STRATEGIES; s++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(strategy_info[s].title));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(strategy_info[s].subtitle));
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _(strategy_info[s].title), -1);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_signal_connect_swapped (check, "notify::active", G_CALLBACK (on_strategy_changed), self);
      self->strategy_checks[s] = GTK_CHECK_BUTTON (check);
      adw_preferences_group_add (self->strategy_group, row);
    }
  adw_preferences_group_add (self->strategy_group, GTK_WIDGET (self->advanced_row));
  g_object_unref (self->advanced_row);
}

static void
update (TlTransferPage *self)
{
  TlDocument *doc = self->document;
  TlModel *model = tl_document_get_target_model (doc);
  const TlDataSlot *target = tl_document_target_slot (doc);
  const TlExperiment *exp = tl_document_get_experiment (doc);
  TlModel *source = tl_document_get_source_model (doc);

  self->updating = TRUE;
  gtk_switch_set_active (self->head_switch, exp->transfer.rebuild_head);
  gtk_switch_set_active (self->cache_switch, exp->transfer.feature_cache);
  gtk_switch_set_active (self->baseline_switch, exp->baseline);
  update_strategies (self);
  self->updating = FALSE;

  tl_layer_table_set_model (self->layer_table, model);
  gtk_stack_set_visible_child_name (self->table_stack, model != NULL ? "table" : "empty");
  if (model != NULL)
    {
      int head = head_index (model);
      g_autofree char *text = NULL;

      gboolean new_head = tl_document_rebuilds_head (doc);

      tl_layer_table_set_new_from (self->layer_table, new_head ? head : -1);
      if (new_head)
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "The head is rebuilt for the target's %d class. Freeze what should keep its pretrained weights.",
                                             "The head is rebuilt for the target's %d classes. Freeze what should keep its pretrained weights.",
                                             target->train->n_classes),
                                target->train->n_classes);
      else if (target->train != NULL && source != NULL)
        text = g_strdup (_("The pretrained head is kept: the target's classes are the source's. Freeze what should keep "
                           "its pretrained weights; give the rest a learning-rate multiplier."));
      else
        text = g_strdup (_("Freeze what should keep its pretrained weights; give the rest a learning-rate multiplier."));
      gtk_label_set_text (self->head_label, text);
    }
  else
    gtk_label_set_text (self->head_label, _("Choose what to freeze once there is a model."));
  update_counts (self);
}

/* Assessment: scores of the source model's layers for the target's labelled training rows. */

static const TlDataset *
assess_target (TlTransferPage *self)
{
  const TlDataSlot *target = tl_document_get_data (self->document, TL_ROLE_TARGET);
  return target != NULL ? target->train : NULL;
}

/* The pretrained model: the source model once trained or opened from a file,
 * else the last run's pretraining (the same layers), else NULL. */
static TlModel *
assess_model (TlTransferPage *self)
{
  TlModel *source = tl_document_get_source_model (self->document);
  TlRunResult *pretrain = tl_document_get_run (self->document, "pretrain");

  if (source == NULL)
    return NULL;
  if (tl_document_get_source_trained (self->document))
    return source;
  if (pretrain != NULL && pretrain->model != NULL && tl_model_n_layers (pretrain->model) == tl_model_n_layers (source))
    return pretrain->model;
  return NULL;
}

/* Why the layers cannot be assessed now, or NULL when they can. */
static const char *
assess_blocked (TlTransferPage *self)
{
  TlModel *model = assess_model (self);
  const TlDataset *target = assess_target (self);

  if (tl_document_get_source_model (self->document) == NULL || target == NULL)
    return _("Assessing the layers needs a model and labelled target data.");
  if (model == NULL)
    return _("Assess the layers once the source model is pretrained (run the experiment, or open a model file).");
  if (target->sample_size != tl_shape_size (model->in_ndim, model->in_shape))
    return _("The target's samples do not fit the model's input; import them again to assess the layers.");
  return NULL;
}

static void
update_assess (TlTransferPage *self)
{
  const char *blocked = self->document != NULL ? assess_blocked (self) : "";
  gboolean running = self->assess_cancellable != NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->assess_button), blocked == NULL && !running);
  gtk_widget_set_visible (GTK_WIDGET (self->assess_spinner), running);
  gtk_spinner_set_spinning (self->assess_spinner, running);
  if (running || self->assessed)
    return;
  gtk_label_set_text (self->assess_label,
                      blocked != NULL ? blocked
                                      : _("Assess the layers to see which cut suits the target: each candidate "
                                          "layer's LogME, the recommended one marked."));
}

/* Scores of another model or other data are dropped, and a running assessment with them. */
static void
forget_scores (TlTransferPage *self)
{
  if (self->assess_cancellable != NULL)
    {
      g_cancellable_cancel (self->assess_cancellable);
      g_clear_object (&self->assess_cancellable);
    }
  self->assessed = FALSE;
  tl_layer_table_set_scores (self->layer_table, NULL);
  gtk_widget_set_visible (self->freeze_recommended, FALSE);
  update_assess (self);
}

static void
on_assessed (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TlTransferPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlTransferability) t = tl_layer_assessment_finish (result, &error);
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->assess_cancellable);
  if (t == NULL)
    {
      text = g_strdup_printf (_("The layers could not be assessed: %s"), error->message);
      gtk_label_set_text (self->assess_label, text);
      self->assessed = TRUE;
      update_assess (self);
      self->assessed = FALSE;
      return;
    }
  self->assessed = TRUE;
  tl_layer_table_set_scores (self->layer_table, t);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "LogME of each cut for %d labelled target row of %d classes (higher suits the "
                                       "target better). Recommended cut: layer %d, %s, the lowest against "
                                       "which the evidence for the best is not strong — freeze up to it, train above it.",
                                       "LogME of each cut for %d labelled target rows of %d classes (higher suits the "
                                       "target better). Recommended cut: layer %d, %s, the lowest against "
                                       "which the evidence for the best is not strong — freeze up to it, train above it.",
                                       t->n_samples),
                          t->n_samples, t->n_classes, t->cuts[t->recommended].layer, t->cuts[t->recommended].name);
  gtk_label_set_text (self->assess_label, text);
  {
    g_autofree char *label = g_strdup_printf (_("Freeze up to %s"), t->cuts[t->recommended].name);
    gtk_button_set_label (GTK_BUTTON (self->freeze_recommended), label);
    gtk_widget_set_visible (self->freeze_recommended, TRUE);
  }
  update_assess (self);
}

/* The recommended cut in one click: the layer table's own "freeze up to here". */
static void
on_freeze_recommended (TlTransferPage *self)
{
  int layer = tl_layer_table_get_recommended (self->layer_table);

  if (layer >= 0)
    gtk_widget_activate_action (GTK_WIDGET (self->layer_table), "layers.freeze-below", "i", layer);
}

static void
on_assess (TlTransferPage *self)
{
  const TlDataSlot *source = tl_document_get_data (self->document, TL_ROLE_SOURCE);
  g_autofree char *text = NULL;
  TlModel *model = assess_model (self);
  const TlDataset *target = assess_target (self);
  const TlDataset *source_rows = source != NULL ? source->train : NULL;

  if (assess_blocked (self) != NULL || self->assess_cancellable != NULL)
    return;
  if (source_rows != NULL && source_rows->sample_size != target->sample_size)
    source_rows = NULL;
  forget_scores (self);
  self->assess_cancellable = g_cancellable_new ();
  text = g_strdup_printf (_("Assessing the layers on the target's %d training rows…"), target->n);
  gtk_label_set_text (self->assess_label, text);
  update_assess (self);
  tl_layer_assessment_run (model, target, source_rows, self->assess_cancellable, on_assessed, g_object_ref (self));
}

gboolean
tl_transfer_page_assess (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), FALSE);

  if (!gtk_widget_is_sensitive (GTK_WIDGET (self->assess_button)))
    return FALSE;
  g_signal_emit_by_name (self->assess_button, "clicked");
  return TRUE;
}

gboolean
tl_transfer_page_is_assessing (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), FALSE);
  return self->assess_cancellable != NULL;
}

GtkWidget *
tl_transfer_page_get_freeze_recommended_button (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), NULL);
  return self->freeze_recommended;
}

const char *
tl_transfer_page_get_assess_text (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), NULL);
  return gtk_label_get_text (self->assess_label);
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
  if (g_strcmp0 (what, "model") == 0 || g_strcmp0 (what, "data") == 0 || g_strcmp0 (what, "results") == 0)
    forget_scores (self);
  if (g_strcmp0 (what, "transfer") == 0 || g_strcmp0 (what, "params") == 0)
    update (self);
  update_assess (self);
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
  tl_privacy_settings_set_document (self->privacy_settings, document);
  tl_pretrained_card_set_document (self->pretrained_card, document);
  update (self);
  update_assess (self);
}

GtkWidget *
tl_transfer_page_get_pretrained_card (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), NULL);
  return GTK_WIDGET (self->pretrained_card);
}

GtkWidget *
tl_transfer_page_get_privacy_settings (TlTransferPage *self)
{
  g_return_val_if_fail (TL_IS_TRANSFER_PAGE (self), NULL);
  return GTK_WIDGET (self->privacy_settings);
}

static void
tl_transfer_page_dispose (GObject *object)
{
  TlTransferPage *self = TL_TRANSFER_PAGE (object);

  if (self->assess_cancellable != NULL)
    g_cancellable_cancel (self->assess_cancellable);
  g_clear_object (&self->assess_cancellable);
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
  g_type_ensure (TL_TYPE_PRIVACY_SETTINGS);
  g_type_ensure (TL_TYPE_PRETRAINED_CARD);
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
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, strategy_group);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, advanced_row);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, target_weight_row);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, adversarial_weight_row);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, pseudo_labels_row);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, target_weight_spin);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, adversarial_weight_spin);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, pseudo_labels_spin);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, unlabeled_text_switch);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, assess_label);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, assess_spinner);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, assess_button);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, privacy_settings);
  gtk_widget_class_bind_template_child (widget_class, TlTransferPage, pretrained_card);
  gtk_widget_class_bind_template_callback (widget_class, on_assess);
  gtk_widget_class_bind_template_callback (widget_class, on_freeze_all);
  gtk_widget_class_bind_template_callback (widget_class, on_unfreeze_all);
}

static void
tl_transfer_page_init (TlTransferPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  tl_layer_table_set_editable (self->layer_table, TRUE);
  self->freeze_recommended = gtk_button_new ();
  gtk_widget_add_css_class (self->freeze_recommended, "suggested-action");
  gtk_widget_set_valign (self->freeze_recommended, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->freeze_recommended, FALSE);
  gtk_widget_set_tooltip_text (self->freeze_recommended,
                               _("Freeze the recommended layer and every layer above it, closer to the input"));
  gtk_box_insert_child_after (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (self->assess_button))),
                              self->freeze_recommended, GTK_WIDGET (self->assess_label));
  g_signal_connect_swapped (self->freeze_recommended, "clicked", G_CALLBACK (on_freeze_recommended), self);
  build_strategy_rows (self);
  g_signal_connect_swapped (self->target_weight_spin, "value-changed", G_CALLBACK (on_strategy_changed), self);
  g_signal_connect_swapped (self->adversarial_weight_spin, "value-changed", G_CALLBACK (on_strategy_changed), self);
  g_signal_connect_swapped (self->pseudo_labels_spin, "value-changed", G_CALLBACK (on_strategy_changed), self);
  g_signal_connect_swapped (self->unlabeled_text_switch, "notify::active", G_CALLBACK (on_strategy_changed), self);
  g_signal_connect_swapped (self->layer_table, "changed", G_CALLBACK (on_table_changed), self);
  g_signal_connect_swapped (self->head_switch, "notify::active", G_CALLBACK (on_option_changed), self);
  g_signal_connect_swapped (self->cache_switch, "notify::active", G_CALLBACK (on_option_changed), self);
  g_signal_connect_swapped (self->baseline_switch, "notify::active", G_CALLBACK (on_option_changed), self);
}
