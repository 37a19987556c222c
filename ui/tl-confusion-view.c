#define G_LOG_DOMAIN "tl-confusion-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-chart.h"
#include "tl-confusion-view.h"

struct _TlConfusionView
{
  GtkWidget  parent_instance;

  int        n;
  int       *counts;
  char     **names;
  gboolean   normalised;
  int        sel_row, sel_col;
};

G_DEFINE_FINAL_TYPE (TlConfusionView, tl_confusion_view, GTK_TYPE_WIDGET)

enum { CELL_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
fill_chart (TlConfusionView *self, TlConfusionChart *chart)
{
  memset (chart, 0, sizeof *chart);
  chart->n_classes = self->n;
  chart->class_names = (const char *const *) self->names;
  chart->counts = self->counts;
  chart->normalised = self->normalised;
  chart->style.dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  chart->style.transparent = TRUE;
  chart->has_selection = self->sel_row >= 0 && self->sel_col >= 0;
  chart->selected_row = self->sel_row;
  chart->selected_col = self->sel_col;
}

static void
tl_confusion_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  TlConfusionView *self = TL_CONFUSION_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  TlConfusionChart chart;
  cairo_t *cr;

  if (self->n == 0 || width <= 0 || height <= 0)
    return;
  fill_chart (self, &chart);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  tl_confusion_chart_draw (&chart, cr, width, height);
  cairo_destroy (cr);
}

static void
tl_confusion_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                           int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 240;
  *natural = 440;
}

gboolean
tl_confusion_view_cell_at (TlConfusionView *self, double x, double y, int *row, int *col)
{
  TlConfusionChart chart;

  g_return_val_if_fail (TL_IS_CONFUSION_VIEW (self), FALSE);

  if (self->n == 0)
    return FALSE;
  fill_chart (self, &chart);
  return tl_confusion_chart_hit (&chart, gtk_widget_get_width (GTK_WIDGET (self)),
                                 gtk_widget_get_height (GTK_WIDGET (self)), x, y, row, col);
}

gboolean
tl_confusion_view_cell_center (TlConfusionView *self, int row, int col, double *x, double *y)
{
  TlConfusionChart chart;

  g_return_val_if_fail (TL_IS_CONFUSION_VIEW (self), FALSE);

  if (self->n == 0)
    return FALSE;
  fill_chart (self, &chart);
  return tl_confusion_chart_cell_center (&chart, gtk_widget_get_width (GTK_WIDGET (self)),
                                         gtk_widget_get_height (GTK_WIDGET (self)), row, col, x, y);
}

static void
update_accessible (TlConfusionView *self)
{
  g_autofree char *desc = NULL;

  if (self->n == 0)
    desc = g_strdup (_("No evaluation yet"));
  else if (self->sel_row >= 0)
    desc = g_strdup_printf (_("%d classes; selected: true %s, predicted %s, %d samples"), self->n,
                            self->names[self->sel_row], self->names[self->sel_col],
                            self->counts[self->sel_row * self->n + self->sel_col]);
  else
    desc = g_strdup_printf (_("%d classes"), self->n);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Confusion matrix"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, desc, -1);
}

void
tl_confusion_view_select (TlConfusionView *self, int row, int col)
{
  g_return_if_fail (TL_IS_CONFUSION_VIEW (self));

  if (row < 0 || col < 0 || row >= self->n || col >= self->n)
    row = col = -1;
  self->sel_row = row;
  self->sel_col = col;
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (row >= 0)
    g_signal_emit (self, signals[CELL_ACTIVATED], 0, row, col);
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, TlConfusionView *self)
{
  int row, col;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (tl_confusion_view_cell_at (self, x, y, &row, &col))
    tl_confusion_view_select (self, row, col);
}

static gboolean
on_key (GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state, TlConfusionView *self)
{
  int row = MAX (self->sel_row, 0), col = MAX (self->sel_col, 0);

  if (self->n == 0)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Left: col = MAX (col - 1, 0); break;
    case GDK_KEY_Right: col = MIN (col + 1, self->n - 1); break;
    case GDK_KEY_Up: row = MAX (row - 1, 0); break;
    case GDK_KEY_Down: row = MIN (row + 1, self->n - 1); break;
    case GDK_KEY_Return: case GDK_KEY_space: break;
    default: return FALSE;
    }
  tl_confusion_view_select (self, row, col);
  return TRUE;
}

void
tl_confusion_view_set_matrix (TlConfusionView *self, int n, const int *counts, const char *const *names)
{
  g_return_if_fail (TL_IS_CONFUSION_VIEW (self));
  g_return_if_fail (n == 0 || counts != NULL);

  g_clear_pointer (&self->counts, g_free);
  g_clear_pointer (&self->names, g_strfreev);
  self->n = n;
  self->sel_row = self->sel_col = -1;
  if (n > 0)
    {
      self->counts = g_memdup2 (counts, sizeof (int) * (gsize) n * (gsize) n);
      self->names = g_new0 (char *, n + 1);
      for (int i = 0; i < n; i++)
        self->names[i] = names != NULL && names[i] != NULL ? g_strdup (names[i]) : g_strdup_printf ("%d", i);
    }
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
tl_confusion_view_set_normalised (TlConfusionView *self, gboolean normalised)
{
  g_return_if_fail (TL_IS_CONFUSION_VIEW (self));
  self->normalised = !!normalised;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
tl_confusion_view_get_normalised (TlConfusionView *self)
{
  g_return_val_if_fail (TL_IS_CONFUSION_VIEW (self), FALSE);
  return self->normalised;
}

int
tl_confusion_view_get_n_classes (TlConfusionView *self)
{
  g_return_val_if_fail (TL_IS_CONFUSION_VIEW (self), 0);
  return self->n;
}

int
tl_confusion_view_get_count (TlConfusionView *self, int true_class, int predicted)
{
  g_return_val_if_fail (TL_IS_CONFUSION_VIEW (self), -1);
  g_return_val_if_fail (true_class >= 0 && true_class < self->n, -1);
  g_return_val_if_fail (predicted >= 0 && predicted < self->n, -1);
  return self->counts[true_class * self->n + predicted];
}

static void
tl_confusion_view_finalize (GObject *object)
{
  TlConfusionView *self = TL_CONFUSION_VIEW (object);

  g_free (self->counts);
  g_strfreev (self->names);
  G_OBJECT_CLASS (tl_confusion_view_parent_class)->finalize (object);
}

static void
tl_confusion_view_class_init (TlConfusionViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = tl_confusion_view_finalize;
  widget_class->snapshot = tl_confusion_view_snapshot;
  widget_class->measure = tl_confusion_view_measure;

  signals[CELL_ACTIVATED] = g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  gtk_widget_class_set_css_name (widget_class, "confusionview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GRID);
}

static void
tl_confusion_view_init (TlConfusionView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *key = gtk_event_controller_key_new ();

  self->sel_row = self->sel_col = -1;
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (gtk_widget_queue_draw),
                           self, G_CONNECT_SWAPPED);
  update_accessible (self);
}

GtkWidget *
tl_confusion_view_new (void)
{
  return g_object_new (TL_TYPE_CONFUSION_VIEW, NULL);
}
