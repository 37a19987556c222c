#pragma once

#include "tl-dataset.h"
#include "tl-model.h"

G_BEGIN_DECLS

/* The rows a joint strategy trains on: the source's, then the labelled target's
 * repeated `weight` times (0: as often as balances the source). domain_out, when
 * not NULL, gets each row's domain: 0 source, 1 target. */
TlDataset *tl_strategy_joint_rows   (const TlDataset *source, const TlDataset *target, float weight,
                                     guint8 **domain_out);
/* How many times the joint rows hold each labelled target row. */
int        tl_strategy_target_copies (int source_rows, int target_rows, float weight);
/* `data`'s rows, `copies` times over. */
TlDataset *tl_strategy_repeat_rows  (const TlDataset *data, int copies);
/* Self-training's pseudo-labels: for each class, the `per_class` unlabelled rows
 * the model gives that class with the most confidence, labelled so. */
TlDataset *tl_strategy_pseudo_labels (TlModel *model, const TlDataset *unlabeled, int per_class);
/* The second round's rows: the joint rows, then the pseudo-labelled ones, each
 * held `copies` times (as many as a labelled target row) so that they weigh as
 * much against the source. */
TlDataset *tl_strategy_with_pseudo_labels (const TlDataset *joint, const TlDataset *guessed, int copies);

/* The layer whose input domain-adversarial training's domain classifier reads:
 * the one above the first activation above the lowest layer (else the head). */
int        tl_strategy_feature_cut  (const TlModel *model);
/* Units of the domain classifier's hidden layer. */
#define TL_STRATEGY_DOMAIN_HIDDEN 32

G_END_DECLS
