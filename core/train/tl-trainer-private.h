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
  float               *average;          /* running mean of the weights of the averaged epochs */
  int                  n_averaged;
  gsize                n_weights;
  /* progress */
  gint64               t_start;          /* monotonic time the run started */
  gint64               t_checkpoint;     /* monotonic time of the last checkpoint, or t_start */
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

/* The first 0-based epoch whose weights enter the average (config->average_epochs > 0). */
static inline int
tl_train_first_averaged_epoch (const TlTrainConfig *config)
{
  return MAX (config->epochs - config->average_epochs, 0);
}

/* Fills run->x and run->labels with the samples idx[0..n) of ds, from the cache
 * (feat) when there is one (tl-train-batch.c). */
void   tl_train_load_batch   (TlTrainRun *run, const TlDataset *ds, const float *feat, const int *idx, int n);
/* The summed class weights of the batch's labels, n without weights. */
double tl_train_batch_weight (const TlTrainRun *run, int n);

/* One DP-SGD step on a Poisson batch, its size into *n and its correct
 * predictions into *correct; returns the batch's mean loss (tl-dp-train.c). */
float    tl_dp_train_step         (TlTrainRun *run, float lr, int *n, int *correct);
/* TRUE when one more epoch would spend more than the privacy budget. */
gboolean tl_dp_train_budget_spent (const TlTrainRun *run);

G_END_DECLS
