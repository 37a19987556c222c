#pragma once

#include <cairo.h>
#include <glib.h>

#include "tl-chart.h"
#include "tl-domain-map.h"

G_BEGIN_DECLS

/* Maps of two domains side by side (e.g. before and after fine-tuning): in
 * each panel every sample is a point on the first two principal components,
 * coloured by domain and shaped by class, with the panel's title, layer and
 * proxy A-distance above it; one legend under all panels. */
typedef struct {
  int                        n_maps;      /* 1 or more */
  const TlDomainMap *const  *maps;
  const char *const         *titles;      /* n_maps, entries may be NULL */
  const char                *source_label; /* NULL: "source" */
  const char                *target_label; /* NULL: "target" */
  TlChartStyle               style;
} TlDomainMapChart;

void tl_domain_map_chart_draw (const TlDomainMapChart *chart, cairo_t *cr, double width, double height);

/* The shape of class k's points (they repeat after this many classes). */
#define TL_DOMAIN_MAP_N_SHAPES 10

G_END_DECLS
