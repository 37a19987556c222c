#pragma once

#include <glib.h>

#include "tl-dataset.h"
#include "tl-model.h"
#include "tl-optimizer.h"

G_BEGIN_DECLS

/* Domain-adversarial training (DANN, Ganin et al. 2016): a small classifier
 * learns to tell source from target features, and through a gradient-reversal
 * layer the features learn to make the two indistinguishable, from labelled
 * rows and unlabelled target rows. */
typedef struct {
  int              cut;        /* the features are the input of layer `cut` (at least 1) */
  const TlDataset *unlabeled;  /* target rows; their labels are not read */
  const guint8    *domain;     /* per training row, 0 source and 1 target; NULL: every row is source */
  float            weight;     /* of the domain loss */
  int              hidden;     /* units of the domain classifier's hidden layer */
} TlAdversary;

/* The reversal's scale over a run, 2 / (1 + exp(-10 p)) - 1 for p from 0 to 1. */
float tl_adversary_schedule (double progress);

typedef struct _TlAdversaryRun TlAdversaryRun;

TlAdversaryRun *tl_adversary_run_new  (const TlAdversary *adversary, const TlModel *model,
                                       const TlOptimizerConfig *optimizer, guint64 seed, GError **error);
void            tl_adversary_run_free (TlAdversaryRun *run);
/* One step on the labelled batch x (rows idx[0..n) of the training set, labels
 * given): the label loss on x, the domain loss on x and as many unlabelled
 * rows. Leaves the model's gradients for its optimiser to apply, steps the
 * domain classifier itself, and returns the label loss (the logits are the
 * model's output for x). */
float           tl_adversary_step     (TlAdversaryRun *run, TlModel *model, int end, const TlTensor *x,
                                       const int *idx, const int *labels, int n, float lr, double progress,
                                       const TlTensor **logits, TlTensor *grad);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlAdversaryRun, tl_adversary_run_free)

G_END_DECLS
