#define G_LOG_DOMAIN "tl-layer-table"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "tl-layer-block.h"
#include "tl-layer-row.h"
#include "tl-layer-score-cell.h"
#include "tl-layer-table-cells.h"
#include "tl-layer-table.h"
#include "tl-ui-util.h"

struct _TlLayerTable
{
  GtkWidget          parent_instance;

  TlModel           *model;     /* borrowed */
  GListStore        *rows;      /* TlLayerRow, one per layer */
  GListStore        *top;       /* what the view lists: the rows, or a graph model's blocks and the
                                   * rows between them */
  gboolean           editable;
  int                new_from;
  /* the last assessment, by layer index: NULL arrays when there is none */
  int                n_scored;        /* layers covered */
  gboolean          *is_cut;
  double            *logme;
  double            *a_distance;
  int                recommended;     /* layer index, or -1 */

  GtkWidget         *scroller;
  GtkWidget         *more_button;
  GtkColumnView     *column_view;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *type_column;
  GtkColumnViewColumn *shape_column;
  GtkColumnViewColumn *params_column;
  GtkColumnViewColumn *score_column;
  GtkColumnViewColumn *trainable_column;
  GtkColumnViewColumn *lr_column;
  GtkColumnViewColumn *action_column;
};

G_DEFINE_FINAL_TYPE (TlLayerTable, tl_layer_table, GTK_TYPE_WIDGET)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* Changes */

static void
on_row_notify (TlLayerTable *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
freeze_below_action (GtkWidget *widget, const char *name, GVariant *param)
{
  TlLayerTable *self = TL_LAYER_TABLE (widget);
  int index = g_variant_get_int32 (param);

  if (self->model == NULL || index < 0 || index >= tl_model_n_layers (self->model))
    return;
  tl_model_freeze_below (self->model, index + 1);
  tl_layer_table_refresh (self);
}

void
tl_layer_table_refresh (TlLayerTable *self)
{
  guint n;

  g_return_if_fail (TL_IS_LAYER_TABLE (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TlLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
      g_signal_handlers_block_by_func (row, on_row_notify, self);
      tl_layer_row_sync (row);
      g_signal_handlers_unblock_by_func (row, on_row_notify, self);
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

/* The column view's rows: a graph model's blocks, collapsed, and the layers between them. */
static void
show_rows (TlLayerTable *self)
{
  g_autoptr (GListStore) blocks = tl_layer_blocks_group (self->model, G_LIST_MODEL (self->rows));
  GListModel *items = blocks ? G_LIST_MODEL (blocks) : G_LIST_MODEL (self->rows);
  g_autoptr (GPtrArray) shown = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    g_ptr_array_add (shown, g_list_model_get_item (items, i));
  /* the view keeps its model, so that cells unbind while their rows live */
  g_list_store_splice (self->top, 0, g_list_model_get_n_items (G_LIST_MODEL (self->top)), shown->pdata, shown->len);
}

void
tl_layer_table_set_model (TlLayerTable *self, TlModel *model)
{
  guint n;

  g_return_if_fail (TL_IS_LAYER_TABLE (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TlLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
      g_signal_handlers_disconnect_by_func (row, on_row_notify, self);
    }
  g_list_store_remove_all (self->rows);
  self->model = model;
  if (model != NULL)
    {
      int layers = tl_model_n_layers (model);
      g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

      for (int i = 0; i < layers; i++)
        {
          TlLayerRow *row = tl_layer_row_new (model, i);
          if (i < self->n_scored)
            tl_layer_row_set_score (row, self->is_cut[i], self->logme[i], self->a_distance[i],
                                    i == self->recommended);
          g_signal_connect_swapped (row, "notify", G_CALLBACK (on_row_notify), self);
          g_ptr_array_add (items, row);
        }
      g_list_store_splice (self->rows, 0, 0, items->pdata, items->len);
    }
  show_rows (self);
}

TlModel *
tl_layer_table_get_model (TlLayerTable *self)
{
  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), NULL);
  return self->model;
}

void
tl_layer_table_set_editable (TlLayerTable *self, gboolean editable)
{
  g_return_if_fail (TL_IS_LAYER_TABLE (self));

  self->editable = editable;
  gtk_column_view_column_set_visible (self->trainable_column, editable);
  gtk_column_view_column_set_visible (self->lr_column, editable);
  gtk_column_view_column_set_visible (self->action_column, editable);
}

void
tl_layer_table_set_new_from (TlLayerTable *self, int index)
{
  g_return_if_fail (TL_IS_LAYER_TABLE (self));

  self->new_from = index;
  /* Rebinding redraws the badges. */
  tl_layer_table_set_model (self, self->model);
}

void
tl_layer_table_set_scores (TlLayerTable *self, const TlTransferability *t)
{
  g_return_if_fail (TL_IS_LAYER_TABLE (self));

  g_clear_pointer (&self->is_cut, g_free);
  g_clear_pointer (&self->logme, g_free);
  g_clear_pointer (&self->a_distance, g_free);
  self->n_scored = 0;
  self->recommended = -1;
  if (t != NULL && t->n_cuts > 0)
    {
      int n = t->cuts[t->n_cuts - 1].layer + 1;

      self->n_scored = n;
      self->is_cut = g_new0 (gboolean, n);
      self->logme = g_new (double, n);
      self->a_distance = g_new (double, n);
      for (int i = 0; i < n; i++)
        self->logme[i] = self->a_distance[i] = NAN;
      for (int c = 0; c < t->n_cuts; c++)
        {
          int layer = t->cuts[c].layer;
          self->is_cut[layer] = TRUE;
          self->logme[layer] = t->cuts[c].logme;
          self->a_distance[layer] = t->cuts[c].a_distance;
        }
      self->recommended = t->cuts[t->recommended].layer;
    }
  gtk_column_view_column_set_visible (self->score_column, self->n_scored > 0);
  if (t != NULL)
    {
      /* rebinding shows the marks */
      tl_layer_table_set_model (self, self->model);
      return;
    }
  /* Clearing happens when the document changes, possibly before the table has
   * its new model: the rows forget their scores without reading the old one. */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->rows)); i++)
    {
      g_autoptr (TlLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
      tl_layer_row_set_score (row, FALSE, NAN, NAN, FALSE);
    }
}

int
tl_layer_table_get_recommended (TlLayerTable *self)
{
  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), -1);
  return self->recommended;
}

char *
tl_layer_table_dup_score_text (TlLayerTable *self, guint row)
{
  g_autoptr (TlLayerRow) item = NULL;

  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), NULL);
  item = g_list_model_get_item (G_LIST_MODEL (self->rows), row);
  return item != NULL ? tl_layer_score_text (item) : NULL;
}

static GtkWidget *
find_freeze_button (GtkWidget *widget, guint row)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && gtk_widget_has_css_class (child, "freeze-up-to")
          && GPOINTER_TO_INT (g_object_get_data (G_OBJECT (child), "row")) == (int) row + 1)
        return child;
      found = find_freeze_button (child, row);
      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
tl_layer_table_get_freeze_button (TlLayerTable *self, guint row)
{
  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), NULL);
  return find_freeze_button (GTK_WIDGET (self->column_view), row);
}

guint
tl_layer_table_get_n_shown_rows (TlLayerTable *self)
{
  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (self->column_view)));
}

gboolean
tl_layer_table_expand (TlLayerTable *self, guint position, gboolean expanded)
{
  g_autoptr (GtkTreeListRow) row = NULL;

  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), FALSE);
  row = g_list_model_get_item (G_LIST_MODEL (gtk_column_view_get_model (self->column_view)), position);
  if (row == NULL || !gtk_tree_list_row_is_expandable (row))
    return FALSE;
  gtk_tree_list_row_set_expanded (row, expanded);
  return TRUE;
}

guint
tl_layer_table_get_n_rows (TlLayerTable *self)
{
  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->rows));
}

static GtkWidget *
find_switch (GtkWidget *widget, int *remaining)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_SWITCH (child))
        {
          if ((*remaining)-- == 0)
            return child;
          continue;
        }
      found = find_switch (child, remaining);
      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
tl_layer_table_get_switch (TlLayerTable *self, guint row)
{
  int remaining = (int) row;

  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), NULL);
  return find_switch (GTK_WIDGET (self->column_view), &remaining);
}

/* The button over the right edge says that columns are hidden there, and shows them. */
static void
update_more_button (TlLayerTable *self)
{
  GtkAdjustment *h = gtk_scrolled_window_get_hadjustment (GTK_SCROLLED_WINDOW (self->scroller));

  gtk_widget_set_visible (self->more_button, gtk_adjustment_get_value (h) + gtk_adjustment_get_page_size (h)
                                               < gtk_adjustment_get_upper (h) - 1.0);
}

static void
show_more_action (GtkWidget *widget, const char *name, GVariant *param)
{
  TlLayerTable *self = TL_LAYER_TABLE (widget);
  GtkAdjustment *h = gtk_scrolled_window_get_hadjustment (GTK_SCROLLED_WINDOW (self->scroller));

  gtk_adjustment_set_value (h, gtk_adjustment_get_upper (h) - gtk_adjustment_get_page_size (h));
}

static gboolean
cuts_numbers (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "numeric") && gtk_widget_get_mapped (widget)
      && pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (widget))))
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (cuts_numbers (c))
      return TRUE;
  return FALSE;
}

gboolean
tl_layer_table_cuts_numbers (TlLayerTable *self)
{
  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), FALSE);
  return cuts_numbers (GTK_WIDGET (self->column_view));
}

gboolean
tl_layer_table_has_more_columns (TlLayerTable *self)
{
  g_return_val_if_fail (TL_IS_LAYER_TABLE (self), FALSE);
  return gtk_widget_get_visible (self->more_button);
}

static void
tl_layer_table_dispose (GObject *object)
{
  TlLayerTable *self = TL_LAYER_TABLE (object);

  if (self->rows != NULL)
    tl_layer_table_set_model (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_LAYER_TABLE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->top);
  g_clear_object (&self->rows);
  g_clear_pointer (&self->is_cut, g_free);
  g_clear_pointer (&self->logme, g_free);
  g_clear_pointer (&self->a_distance, g_free);
  G_OBJECT_CLASS (tl_layer_table_parent_class)->dispose (object);
}

static void
tl_layer_table_class_init (TlLayerTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_layer_table_dispose;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "layertable");
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-layer-table.ui");
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, scroller);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, more_button);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, column_view);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, name_column);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, type_column);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, shape_column);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, params_column);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, score_column);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, trainable_column);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, lr_column);
  gtk_widget_class_bind_template_child (widget_class, TlLayerTable, action_column);
  gtk_widget_class_install_action (widget_class, "layers.freeze-below", "i", freeze_below_action);
  gtk_widget_class_install_action (widget_class, "layers.show-more", NULL, show_more_action);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
tl_layer_table_init (TlLayerTable *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->new_from = -1;
  self->recommended = -1;
  self->editable = TRUE;
  self->rows = g_list_store_new (TL_TYPE_LAYER_ROW);
  self->top = g_list_store_new (G_TYPE_OBJECT);
  {
    GtkTreeListModel *tree = gtk_tree_list_model_new (G_LIST_MODEL (g_object_ref (self->top)), FALSE, FALSE,
                                                      tl_layer_block_children, NULL, NULL);
    g_autoptr (GtkNoSelection) selection = gtk_no_selection_new (G_LIST_MODEL (tree));

    gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));
  }

  tl_layer_table_cells_install (&(TlLayerTableColumns) { self->name_column, self->type_column, self->shape_column,
                                                         self->params_column, self->score_column,
                                                         self->trainable_column, self->lr_column,
                                                         self->action_column }, &self->new_from);
  gtk_column_view_column_set_visible (self->score_column, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Layers"), -1);
  {
    GtkAdjustment *h = gtk_scrolled_window_get_hadjustment (GTK_SCROLLED_WINDOW (self->scroller));

    g_signal_connect_object (h, "changed", G_CALLBACK (update_more_button), self, G_CONNECT_SWAPPED);
    g_signal_connect_object (h, "value-changed", G_CALLBACK (update_more_button), self, G_CONNECT_SWAPPED);
  }
}

GtkWidget *
tl_layer_table_new (void)
{
  return g_object_new (TL_TYPE_LAYER_TABLE, NULL);
}
