#pragma once

#include <gtk/gtk.h>

#include "tl-dataset.h"
#include "tl-model.h"

G_BEGIN_DECLS

#define TL_TYPE_DOMAIN_MAP_VIEW (tl_domain_map_view_get_type ())
G_DECLARE_FINAL_TYPE (TlDomainMapView, tl_domain_map_view, TL, DOMAIN_MAP_VIEW, GtkWidget)

/* The map of the domains before and after fine-tuning, side by side
 * (tl_domain_map_chart_draw): source and target samples' features at the
 * input of each model's head, on their first two principal components, with
 * the proxy A-distance over each panel. Computed in a worker from copies. */
GtkWidget *tl_domain_map_view_new        (void);
/* before: the pretrained model; after: the fine-tuned one (may be NULL: one
 * panel). NULL before clears the view. The models and data are copied. */
void       tl_domain_map_view_set_models (TlDomainMapView *self, const TlModel *before, const TlModel *after,
                                          const TlDataset *source, const TlDataset *target);
/* Maps drawn (0 while computing), and a panel's A-distance (NAN when absent). */
int        tl_domain_map_view_get_n_maps (TlDomainMapView *self);
double     tl_domain_map_view_get_a_distance (TlDomainMapView *self, int panel);
gboolean   tl_domain_map_view_is_busy    (TlDomainMapView *self);
/* Writes the maps shown as PNG, SVG or PDF (by the extension), atomically;
 * fails while they are computed or when there are none. */
gboolean   tl_domain_map_view_export     (TlDomainMapView *self, const char *path, GError **error);

G_END_DECLS
