#define G_LOG_DOMAIN "tl-bar-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-bar-view.h"
#include "tl-chart.h"

struct _TlBarView
{
  GtkWidget  parent_instance;
  int        n;
  char     **names;
  int       *counts;
  gboolean  *selected;
  double    *shares;       /* instead of counts: values in [0, 1] drawn as percentages */
  char      *value_label;
};

G_DEFINE_FINAL_TYPE (TlBarView, tl_bar_view, GTK_TYPE_WIDGET)

static void
tl_bar_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  TlBarView *self = TL_BAR_VIEW (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  TlBarChart chart = { 0 };
  cairo_t *cr;

  if (self->n == 0 || width <= 0 || height <= 0)
    return;
  chart.n = self->n;
  chart.names = (const char *const *) self->names;
  chart.counts = self->shares != NULL ? NULL : self->counts;
  chart.shares = self->shares;
  chart.selected = self->selected;
  chart.value_label = self->value_label != NULL ? self->value_label : _("Samples");
  chart.style.dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  chart.style.transparent = TRUE;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  tl_bar_chart_draw (&chart, cr, width, height);
  cairo_destroy (cr);
}

static void
tl_bar_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                     int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  TlBarView *self = TL_BAR_VIEW (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 420;
    }
  else
    {
      /* A fixed slot per class keeps bars thick and their counts readable; the page scrolls. */
      int slot = self->n <= 10 ? 34 : self->n <= 30 ? 26 : 18;

      *minimum = *natural = self->n == 0 ? 0 : MAX (76 + self->n * slot, 200);
    }
}

void
tl_bar_view_set_counts (TlBarView *self, int n, const char *const *names, const int *counts,
                        const gboolean *selected)
{
  g_autofree char *desc = NULL;

  g_return_if_fail (TL_IS_BAR_VIEW (self));

  g_clear_pointer (&self->names, g_strfreev);
  g_clear_pointer (&self->counts, g_free);
  g_clear_pointer (&self->selected, g_free);
  g_clear_pointer (&self->shares, g_free);
  g_clear_pointer (&self->value_label, g_free);
  self->n = n;
  if (n > 0)
    {
      self->names = g_new0 (char *, n + 1);
      self->counts = g_memdup2 (counts, sizeof (int) * n);
      self->selected = g_new (gboolean, n);
      for (int i = 0; i < n; i++)
        {
          self->names[i] = g_strdup (names != NULL && names[i] != NULL ? names[i] : "?");
          self->selected[i] = selected == NULL || selected[i];
        }
    }
  desc = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d class", "%d classes", n), n);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Samples per class"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, desc, -1);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
tl_bar_view_set_shares (TlBarView *self, int n, const char *const *names, const double *shares,
                        const char *value_label)
{
  g_autofree int *zeros = g_new0 (int, MAX (n, 1));

  g_return_if_fail (TL_IS_BAR_VIEW (self));

  tl_bar_view_set_counts (self, n, names, zeros, NULL);
  if (n > 0)
    self->shares = g_memdup2 (shares, sizeof (double) * n);
  self->value_label = g_strdup (value_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, value_label, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
tl_bar_view_set_selected (TlBarView *self, int index, gboolean selected)
{
  g_return_if_fail (TL_IS_BAR_VIEW (self));
  g_return_if_fail (index >= 0 && index < self->n);

  self->selected[index] = selected;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
tl_bar_view_get_n_bars (TlBarView *self)
{
  g_return_val_if_fail (TL_IS_BAR_VIEW (self), 0);
  return self->n;
}

static void
tl_bar_view_finalize (GObject *object)
{
  TlBarView *self = TL_BAR_VIEW (object);

  g_strfreev (self->names);
  g_free (self->counts);
  g_free (self->selected);
  g_free (self->shares);
  g_free (self->value_label);
  G_OBJECT_CLASS (tl_bar_view_parent_class)->finalize (object);
}

static void
tl_bar_view_class_init (TlBarViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = tl_bar_view_finalize;
  widget_class->snapshot = tl_bar_view_snapshot;
  widget_class->measure = tl_bar_view_measure;
  gtk_widget_class_set_css_name (widget_class, "barview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
tl_bar_view_init (TlBarView *self)
{
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (gtk_widget_queue_draw),
                           self, G_CONNECT_SWAPPED);
}

GtkWidget *
tl_bar_view_new (void)
{
  return g_object_new (TL_TYPE_BAR_VIEW, NULL);
}
