#pragma once

#include "tl-privacy-accountant.h"
#include "tl-trainer.h"

G_BEGIN_DECLS

/* One call of tl_train, shared by the trainer and its checkpoints (tl-train-checkpoint.c). */
typedef struct {
  TlModel             *model;
  const TlTrainConfig *config;
  const TlDataset     *train, *val;
  TlOptimizer         *opt;
  TlAdversaryRun      *adversary;
  TlRng                shuffle_rng;
  int                  first, end;       /* layers run by the loop: [first, end) */
  gboolean             flat_input;       /* Flattens below `first` are skipped: batches are loaded flat */
  int                  batch_size, n_batches;
  /* inputs of layer `first` for every sample, when lower layers are cached */
  float               *train_feat, *val_feat;
  gsize                feat_size;
  int                  feat_ndim;
  int                  feat_shape[TL_MAX_DIMS];
  /* buffers sized once */
  int                 *perm, *order, *labels;
  TlTensor            *x, *tokens, *grad;
  float               *good, *best;      /* weights after the last finished epoch, at the best epoch */
  gsize                n_weights;
  /* progress */
  gint64               t_start;          /* monotonic time the run started */
  guint64              step, total_steps;
  guint64              steps_this_run;   /* steps since t_start, without the resumed ones */
  int                  epochs_done;
  float                best_val;
  int                  bad_epochs;
  /* private training; accountant.steps counts every noisy step taken */
  gboolean             private;
  TlPrivacyAccountant  accountant;
  double               budget;           /* epsilon not to exceed; 0: none */
} TlTrainRun;

G_END_DECLS
