#pragma once

#include <glib.h>

#include "tl-dataset.h"
#include "tl-model.h"

G_BEGIN_DECLS

/* A map of two domains: source and target samples' features at one layer,
 * projected on the first two principal components of both sets together. */

typedef struct {
  int      n;               /* points: the source's first, then the target's */
  int      n_source;
  float   *xy;              /* [n, 2] */
  int     *label;           /* n: index into class_names, -1 for an unlabelled row */
  int      n_classes;
  char   **class_names;     /* the union of both domains' class names, NULL-terminated */
  int      layer;
  char    *layer_name;
  double   explained[2];    /* share of the total variance along each component */
  double   a_distance;      /* proxy A-distance between the two sets of features */
} TlDomainMap;

void tl_domain_map_free (TlDomainMap *map);

/* Principal component analysis of the rows of x [n, dim] (centred here):
 * writes each row's coordinates on the first two components into xy [n, 2]
 * and their shares of the total variance into explained (may be NULL). A
 * component's sign puts its largest loading positive. With dim 1 (or rank 1)
 * the second coordinate is 0. */
gboolean     tl_pca_2d             (const float *x, int n, int dim, float *xy, double explained[2],
                                    GError **error);

/* The features of at most max_rows seeded rows of each domain at the output
 * of layer `layer` (inference mode), their 2-D map and the proxy A-distance
 * between them. */
TlDomainMap *tl_domain_map_compute (TlModel *model, int layer, const TlDataset *source, const TlDataset *target,
                                    int max_rows, guint64 seed, GError **error);

/* The layer a map shows by default: the one whose output the model's last
 * layer with weights (the head) reads, past dropout, flatten and gradient
 * reversal; the last layer when there is none below the head. */
int          tl_domain_map_default_layer (const TlModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlDomainMap, tl_domain_map_free)

G_END_DECLS
