#define G_LOG_DOMAIN "tl-domain-map-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "tl-chart-domain-map.h"
#include "tl-domain-map-view.h"
#include "tl-error.h"
#include "tl-export.h"
#include "tl-layer-assessment.h"

struct _TlDomainMapView
{
  GtkWidget     parent_instance;
  TlDomainMap  *maps[2];
  int           n_wanted;
  int           pending;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (TlDomainMapView, tl_domain_map_view, GTK_TYPE_WIDGET)

typedef struct {
  TlDomainMapView *view;
  int              panel;
} Pending;

/* The maps drawn, on the window's background or (for a file) on white. */
static void
draw_maps (TlDomainMapView *self, cairo_t *cr, double width, double height, gboolean on_screen)
{
  const TlDomainMap *maps[2];
  const char *titles[2] = { _("Before fine-tuning"), _("After fine-tuning") };
  TlDomainMapChart chart = { .maps = maps, .titles = titles };

  maps[chart.n_maps++] = self->maps[0];
  if (self->maps[1] != NULL)
    maps[chart.n_maps++] = self->maps[1];
  chart.style.dark = on_screen && adw_style_manager_get_dark (adw_style_manager_get_default ());
  chart.style.transparent = on_screen;
  tl_domain_map_chart_draw (&chart, cr, width, height);
}

static void
tl_domain_map_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  TlDomainMapView *self = TL_DOMAIN_MAP_VIEW (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (self->pending > 0 || self->maps[0] == NULL || width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw_maps (self, cr, width, height, TRUE);
  cairo_destroy (cr);
}

static void
draw_for_file (cairo_t *cr, double width, double height, gpointer data)
{
  draw_maps (data, cr, width, height, FALSE);
}

gboolean
tl_domain_map_view_export (TlDomainMapView *self, const char *path, GError **error)
{
  TlChartFormat format;

  g_return_val_if_fail (TL_IS_DOMAIN_MAP_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (self->pending > 0 || self->maps[0] == NULL)
    {
      g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           _("The domain map is not ready yet: wait until it is drawn."));
      return FALSE;
    }
  if (!tl_chart_format_from_path (path, &format, error))
    return FALSE;
  return tl_export_chart (path, format, self->maps[1] != NULL ? 1200 : 640, 560, draw_for_file, self, error);
}

static void
tl_domain_map_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                            int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 300 : 260;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 900 : 440;
}

static void
on_map (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Pending *p = user_data;
  g_autoptr (TlDomainMapView) self = p->view;
  g_autoptr (GError) error = NULL;
  TlDomainMap *map = tl_domain_map_run_finish (result, &error);
  int panel = p->panel;

  g_free (p);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (map == NULL)
    g_warning ("domain map: %s", error->message);
  g_clear_pointer (&self->maps[panel], tl_domain_map_free);
  self->maps[panel] = map;
  if (--self->pending == 0)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
    }
}

void
tl_domain_map_view_set_models (TlDomainMapView *self, const TlModel *before, const TlModel *after,
                               const TlDataset *source, const TlDataset *target)
{
  const TlModel *models[2] = { before, after };

  g_return_if_fail (TL_IS_DOMAIN_MAP_VIEW (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  for (int i = 0; i < 2; i++)
    g_clear_pointer (&self->maps[i], tl_domain_map_free);
  self->pending = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (before == NULL || source == NULL || target == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  for (int i = 0; i < 2; i++)
    if (models[i] != NULL)
      {
        Pending *p = g_new (Pending, 1);

        p->view = g_object_ref (self);
        p->panel = i;
        self->pending++;
        tl_domain_map_run (models[i], -1, source, target, self->cancellable, on_map, p);
      }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), _("Mapping the source and target features…"));
}

int
tl_domain_map_view_get_n_maps (TlDomainMapView *self)
{
  g_return_val_if_fail (TL_IS_DOMAIN_MAP_VIEW (self), 0);
  return self->pending > 0 ? 0 : (self->maps[0] != NULL) + (self->maps[1] != NULL);
}

double
tl_domain_map_view_get_a_distance (TlDomainMapView *self, int panel)
{
  g_return_val_if_fail (TL_IS_DOMAIN_MAP_VIEW (self), NAN);
  if (panel < 0 || panel > 1 || self->pending > 0 || self->maps[panel] == NULL)
    return NAN;
  return self->maps[panel]->a_distance;
}

gboolean
tl_domain_map_view_is_busy (TlDomainMapView *self)
{
  g_return_val_if_fail (TL_IS_DOMAIN_MAP_VIEW (self), FALSE);
  return self->pending > 0;
}

static void
tl_domain_map_view_dispose (GObject *object)
{
  TlDomainMapView *self = TL_DOMAIN_MAP_VIEW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  for (int i = 0; i < 2; i++)
    g_clear_pointer (&self->maps[i], tl_domain_map_free);
  G_OBJECT_CLASS (tl_domain_map_view_parent_class)->dispose (object);
}

static void
tl_domain_map_view_class_init (TlDomainMapViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_domain_map_view_dispose;
  widget_class->snapshot = tl_domain_map_view_snapshot;
  widget_class->measure = tl_domain_map_view_measure;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
tl_domain_map_view_init (TlDomainMapView *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Map of the source and target domains"), -1);
}

GtkWidget *
tl_domain_map_view_new (void)
{
  return g_object_new (TL_TYPE_DOMAIN_MAP_VIEW, NULL);
}
