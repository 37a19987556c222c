#define G_LOG_DOMAIN "tl-layer-score-cell"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "tl-layer-score-cell.h"

GtkWidget *
tl_layer_score_cell_new (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 1.0f);
  gtk_label_set_width_chars (GTK_LABEL (label), 6);
  gtk_widget_add_css_class (label, "numeric");
  return label;
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
  g_autofree char *text = tl_layer_score_text (row);
  g_autofree char *tip = NULL;

  gtk_label_set_text (GTK_LABEL (cell), text);
  if (tl_layer_row_is_cut (row) && !isnan (tl_layer_row_get_a_distance (row)))
    tip = g_strdup_printf (_("LogME %s: how well a linear model on this layer's output fits the target's labels "
                             "(higher is better). Proxy A-distance to the source %.2f (0: alike, 2: apart)."),
                           text, tl_layer_row_get_a_distance (row));
  else if (tl_layer_row_is_cut (row))
    tip = g_strdup_printf (_("LogME %s: how well a linear model on this layer's output fits the target's labels "
                             "(higher is better)."), text);
  gtk_widget_set_tooltip_text (cell, tip);
}
