#define G_LOG_DOMAIN "tl-layer-score-cell"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "tl-layer-score-cell.h"

GtkWidget *
tl_layer_score_cell_new (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *button = gtk_button_new_with_label (_("Freeze up to Here"));

  gtk_label_set_xalign (GTK_LABEL (label), 1.0f);
  gtk_label_set_width_chars (GTK_LABEL (label), 6);
  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (button, "suggested-action");
  /* the table finds its freeze buttons by this class, the row and whether in words */
  gtk_widget_add_css_class (button, "freeze-up-to");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_object_set_data (G_OBJECT (button), "words", GINT_TO_POINTER (TRUE));
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), button);
  return box;
}

char *
tl_layer_score_text (TlLayerRow *row)
{
  if (!tl_layer_row_is_cut (row))
    return g_strdup ("");
  if (isnan (tl_layer_row_get_logme (row)))
    return g_strdup ("—");
  return g_strdup_printf ("%.3f", tl_layer_row_get_logme (row));
}

void
tl_layer_score_cell_bind (GtkWidget *cell, TlLayerRow *row)
{
  GtkWidget *label = gtk_widget_get_first_child (cell);
  GtkWidget *button = gtk_widget_get_last_child (cell);
  g_autofree char *text = tl_layer_score_text (row);
  g_autofree char *tip = NULL;
  g_autofree char *name = g_strdup_printf (_("Freeze up to here: layer %s and the rows above it"),
                                           tl_layer_row_get_layer (row)->name);

  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_widget_set_visible (button, tl_layer_row_is_recommended (row));
  g_object_set_data (G_OBJECT (button), "row", GINT_TO_POINTER (tl_layer_row_get_index (row) + 1));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "i", tl_layer_row_get_index (row));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "layers.freeze-below");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  if (tl_layer_row_is_cut (row) && !isnan (tl_layer_row_get_a_distance (row)))
    tip = g_strdup_printf (_("LogME %s: how well a linear model on this layer's output fits the target's labels "
                             "(higher is better). Proxy A-distance to the source %.2f (0: alike, 2: apart)."),
                           text, tl_layer_row_get_a_distance (row));
  else if (tl_layer_row_is_cut (row))
    tip = g_strdup_printf (_("LogME %s: how well a linear model on this layer's output fits the target's labels "
                             "(higher is better)."), text);
  gtk_widget_set_tooltip_text (cell, tip);
}
