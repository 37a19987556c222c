#pragma once

#include <glib.h>

#include "tl-dataset.h"
#include "tl-domain-map.h"
#include "tl-model.h"

G_BEGIN_DECLS

/* Domain maps as files: PNG, SVG or PDF by the path's extension, the maps
 * side by side (tl_domain_map_chart_draw), written atomically. */
gboolean tl_domain_map_write (const char *path, const TlDomainMap *const *maps, const char *const *titles,
                              int n_maps, GError **error);

/* The rows of each domain a map shows at most, and at least (fewer: no map). */
#define TL_DOMAIN_MAP_ROWS 300
#define TL_DOMAIN_MAP_MIN_ROWS 4

/* The map before and after fine-tuning: source and target rows' features at
 * the input of each model's head, by `before` (the pretrained model) and by
 * `after` (may be NULL: the map before only), each with its proxy A-distance.
 * Writes out/domain-map.<ext> for each of plot_formats (TlPlotFormats);
 * nothing when a domain has fewer than TL_DOMAIN_MAP_MIN_ROWS rows. */
gboolean tl_domain_map_write_run (const char *out, TlModel *before, TlModel *after, const char *after_name,
                                  const TlDataset *source, const TlDataset *target, guint plot_formats,
                                  guint64 seed, GError **error);

G_END_DECLS
