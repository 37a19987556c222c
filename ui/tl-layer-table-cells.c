#define G_LOG_DOMAIN "tl-layer-table"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-layer-block.h"
#include "tl-layer-row.h"
#include "tl-layer-score-cell.h"
#include "tl-layer-table-cells.h"
#include "tl-ui-util.h"

/* The cells of the layer table's columns, for a layer's row (TlLayerRow) or
 * a graph model's block (TlLayerBlock), each the item of a GtkTreeListRow. */

/* The row or block a list item shows: the tree row holds it. */
static GObject *
item_of (GtkListItem *item)
{
  g_autoptr (GObject) obj = gtk_tree_list_row_get_item (gtk_list_item_get_item (item));
  return obj;
}

/* Labels */

static void
setup_label (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gboolean numeric = GPOINTER_TO_INT (data);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1.0f : 0.0f);
  /* Enough to tell kinds apart on a narrow window; the table scrolls sideways instead.
   * Shapes and counts are never cut: a number with "…" in it says nothing. */
  if (!numeric)
    {
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_width_chars (GTK_LABEL (label), 10);
    }
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
setup_name (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *badge = gtk_label_new (_("new head"));
  GtkWidget *cut;

  cut = gtk_label_new (_("recommended cut"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "layer-name");
  gtk_widget_add_css_class (badge, "badge");
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (cut, "badge");
  gtk_widget_add_css_class (cut, "recommended");
  gtk_widget_set_valign (cut, GTK_ALIGN_CENTER);
  GtkWidget *expander = gtk_tree_expander_new ();

  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), badge);
  gtk_box_append (GTK_BOX (box), cut);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);
  gtk_list_item_set_child (item, expander);
}

static void
bind_name (GtkSignalListItemFactory *factory, GtkListItem *item, const int *new_from)
{
  GObject *obj = item_of (item);
  GtkWidget *expander = gtk_list_item_get_child (item);
  GtkWidget *box = gtk_tree_expander_get_child (GTK_TREE_EXPANDER (expander));
  GtkWidget *label = gtk_widget_get_first_child (box);
  GtkWidget *badge = gtk_widget_get_next_sibling (label);
  GtkWidget *cut = gtk_widget_get_last_child (box);
  gboolean row = TL_IS_LAYER_ROW (obj);
  g_autofree char *text = tl_layer_item_title (obj);

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), gtk_list_item_get_item (item));
  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_widget_set_visible (badge, row && *new_from >= 0 && tl_layer_row_get_index (TL_LAYER_ROW (obj)) >= *new_from
                                   && tl_layer_row_has_params (TL_LAYER_ROW (obj)));
  gtk_widget_set_visible (cut, row && tl_layer_row_is_recommended (TL_LAYER_ROW (obj)));
}

static void
bind_type (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  g_autofree char *text = tl_layer_item_describe (item_of (item));

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

static void
bind_shape (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  g_autofree char *text = tl_layer_item_shape (item_of (item));

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

static void
bind_params (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  gsize n = tl_layer_item_param_count (item_of (item));
  g_autofree char *text = n > 0 ? tl_format_thousands (n) : g_strdup ("–");

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

/* Editable cells: the binding lives on the list item while it shows a row.
 * The item holds a reference: a cell's widget may be gone before it is unbound. */

static void
unbind_editable (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  const char *keys[] = { "binding", "binding-sensitive" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GBinding *binding = g_object_get_data (G_OBJECT (item), keys[i]);

      if (binding != NULL)
        g_binding_unbind (binding);
      g_object_set_data (G_OBJECT (item), keys[i], NULL);
    }
}

static void
setup_switch (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *sw = gtk_switch_new ();

  gtk_widget_set_halign (sw, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_list_item_set_child (item, sw);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_switch (GtkSignalListItemFactory *factory, GtkListItem *item, const int *new_from)
{
  GObject *row = item_of (item);
  GtkWidget *sw = gtk_list_item_get_child (item);
  g_autofree char *label = TL_IS_LAYER_BLOCK (row)
    ? g_strdup_printf (_("Train block %s"), tl_layer_block_get_title (TL_LAYER_BLOCK (row)))
    : g_strdup_printf (_("Train layer %s"), tl_layer_row_get_layer (TL_LAYER_ROW (row))->name);
  GBinding *binding;

  gtk_widget_set_visible (sw, tl_layer_item_param_count (row) > 0);
  binding = g_object_bind_property (row, "trainable", sw, "active", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_set_data_full (G_OBJECT (item), "binding", g_object_ref (binding), g_object_unref);
  gtk_accessible_update_property (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
setup_spin (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *spin = gtk_spin_button_new_with_range (0.0, 10.0, 0.1);

  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), 2);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (spin, "lr-spin");
  gtk_list_item_set_child (item, spin);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_spin (GtkSignalListItemFactory *factory, GtkListItem *item, const int *new_from)
{
  GtkWidget *spin = gtk_list_item_get_child (item);
  TlLayerRow *row;
  g_autofree char *label = NULL;
  GBinding *binding;

  /* a block's layers keep their own multipliers */
  gtk_widget_set_visible (spin, FALSE);
  if (!TL_IS_LAYER_ROW (item_of (item)))
    return;
  row = TL_LAYER_ROW (item_of (item));
  gtk_widget_set_visible (spin, tl_layer_row_has_params (row));
  label = g_strdup_printf (_("Learning-rate multiplier of layer %s"), tl_layer_row_get_layer (row)->name);
  binding = g_object_bind_property (row, "lr-mult", spin, "value", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_set_data_full (G_OBJECT (item), "binding", g_object_ref (binding), g_object_unref);
  binding = g_object_bind_property (row, "trainable", spin, "sensitive", G_BINDING_SYNC_CREATE);
  g_object_set_data_full (G_OBJECT (item), "binding-sensitive", g_object_ref (binding), g_object_unref);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
setup_score (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  gtk_list_item_set_child (item, tl_layer_score_cell_new ());
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_score (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GObject *row = item_of (item);

  gtk_widget_set_visible (gtk_list_item_get_child (item), TL_IS_LAYER_ROW (row));
  if (TL_IS_LAYER_ROW (row))
    tl_layer_score_cell_bind (gtk_list_item_get_child (item), TL_LAYER_ROW (row));
}

static void
setup_action (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("changes-prevent-symbolic");

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "freeze-up-to");
  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button,
                               _("Freeze up to here: this layer and every layer above it, closer to the input"));
  gtk_list_item_set_child (item, button);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_action (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GObject *row = item_of (item);
  GtkWidget *button = gtk_list_item_get_child (item);
  int last = tl_layer_item_last_index (row);
  g_autofree char *label = TL_IS_LAYER_BLOCK (row)
    ? g_strdup_printf (_("Freeze up to here: block %s and the rows above it"),
                       tl_layer_block_get_title (TL_LAYER_BLOCK (row)))
    : g_strdup_printf (_("Freeze up to here: layer %s and the rows above it"),
                       tl_layer_row_get_layer (TL_LAYER_ROW (row))->name);

  g_object_set_data (G_OBJECT (button), "row", GINT_TO_POINTER (last + 1));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "i", last);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "layers.freeze-below");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
set_factory (GtkColumnViewColumn *column, GCallback setup, gpointer setup_data, GCallback bind,
             GCallback unbind, gpointer user_data)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", setup, setup_data);
  g_signal_connect (factory, "bind", bind, user_data);
  if (unbind != NULL)
    g_signal_connect (factory, "unbind", unbind, user_data);
  gtk_column_view_column_set_factory (column, factory);
}

void
tl_layer_table_cells_install (const TlLayerTableColumns *c, const int *new_from)
{
  set_factory (c->name, G_CALLBACK (setup_name), NULL, G_CALLBACK (bind_name), NULL, (gpointer) new_from);
  set_factory (c->type, G_CALLBACK (setup_label), GINT_TO_POINTER (FALSE), G_CALLBACK (bind_type), NULL, NULL);
  set_factory (c->shape, G_CALLBACK (setup_label), GINT_TO_POINTER (TRUE), G_CALLBACK (bind_shape), NULL, NULL);
  set_factory (c->params, G_CALLBACK (setup_label), GINT_TO_POINTER (TRUE), G_CALLBACK (bind_params), NULL, NULL);
  set_factory (c->score, G_CALLBACK (setup_score), NULL, G_CALLBACK (bind_score), NULL, NULL);
  set_factory (c->trainable, G_CALLBACK (setup_switch), NULL, G_CALLBACK (bind_switch), G_CALLBACK (unbind_editable),
               NULL);
  set_factory (c->lr, G_CALLBACK (setup_spin), NULL, G_CALLBACK (bind_spin), G_CALLBACK (unbind_editable), NULL);
  set_factory (c->action, G_CALLBACK (setup_action), NULL, G_CALLBACK (bind_action), NULL, NULL);
}
