#pragma once

#include <glib.h>

#include "tl-dataset.h"
#include "tl-logme.h"
#include "tl-model.h"

G_BEGIN_DECLS

/* Transferability estimates before training: how well a model's features at
 * each candidate cut layer suit a labelled target, from one inference pass. */

/* One candidate cut: the features are the output of layer `layer`. */
typedef struct {
  int    layer;
  char  *name;
  int    out_ndim;                 /* per-sample output shape */
  int    out_shape[TL_MAX_DIMS];
  int    dim;                      /* features per sample */
  double logme;                    /* mean over classes of the log evidence per sample */
  double leep;                     /* NaN except at the model's output */
  double a_distance;               /* proxy A-distance to the source features; NaN without them */
  double evidence_for_best;        /* ln of the Bayes factor for the best cut over this one (0 at the
                                    * best, NaN above it; tl-cut-choice.h) */
} TlCutScore;

typedef struct {
  int         n_samples;           /* labelled rows used */
  int         n_classes;           /* target classes present among them */
  int         n_cuts;
  TlCutScore *cuts;                /* lowest layer first */
  int         best;                /* index into cuts: the highest LogME below the output */
  int         recommended;         /* index into cuts: the lowest cut against which the evidence for
                                    * the best is not strong (tl-cut-choice.h) */
} TlTransferability;

void      tl_transferability_free (TlTransferability *t);

/* Layers whose output is a candidate cut: the last layer, and each layer whose
 * output the next layer with weights reads (past dropout, flatten and gradient
 * reversal, which add nothing): cutting below an activation or a pool would
 * freeze the same weights. Returns n_cuts indices, increasing. */
int      *tl_transferability_cuts (const TlModel *model, int *n_cuts);

/* The outputs of layers cuts[0..n_cuts) (increasing) for every row of ds, in
 * inference mode, batch_size rows at a time: n_cuts tensors [ds->n, dim]. */
TlTensor **tl_transferability_features (TlModel *model, const TlDataset *ds, const int *cuts, int n_cuts,
                                        int batch_size);

/* LEEP (Nguyen et al., ICML 2020): the mean log-likelihood of the target labels
 * under the empirical conditional P(y | z) composed with the source model's
 * distribution probs [n, n_source] over its own classes z. */
double    tl_leep                 (const float *probs, int n, int n_source, const int *labels, int n_classes);
/* Proxy A-distance 2 (1 - 2 e) between two sets of features [na, dim] and
 * [nb, dim], e the error of a ridge least-squares domain classifier trained on
 * a seeded half of each set and tested on the other half (e capped at 0.5). */
double    tl_proxy_a_distance     (const float *a, int na, const float *b, int nb, int dim, guint64 seed,
                                   GError **error);

/* Scores every candidate cut of the model on the labelled rows of target
 * (rows with a label below 0 are left out); with source (may be NULL), also
 * the proxy A-distance between the two datasets' features at each cut. */
TlTransferability *tl_transferability_assess (TlModel *model, const TlDataset *target, const TlDataset *source,
                                              GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlTransferability, tl_transferability_free)

G_END_DECLS
