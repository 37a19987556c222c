#pragma once

#include <glib.h>

#include "tl-dataset.h"
#include "tl-model.h"
#include "tl-optimizer.h"
#include "tl-adversary.h"
#include "tl-dp-sgd.h"

G_BEGIN_DECLS

typedef struct {
  int      epochs;
  int      batch_size;
  TlOptimizerConfig optimizer;
  TlScheduleConfig  schedule;
  float    label_smoothing;
  const float *class_weights;   /* n_classes or NULL */
  int      patience;            /* early stopping on validation loss; 0 = off. Restores the best weights. */
  /* The run ends on the mean of the weights after each of its last N epochs
   * (tail averaging, as in stochastic weight averaging); 0 = off. Not with patience. */
  int      average_epochs;
  guint64  seed;                /* shuffling and dropout */
  gboolean feature_cache;       /* cache outputs of frozen, deterministic lower layers */
  const char *checkpoint_path;  /* written atomically after every epoch; NULL = none */
  /* The caller removes the checkpoint once the run has ended: none is written
   * after the last epoch (it would be as large as the model and its optimiser). */
  gboolean    checkpoint_removed_at_end;
  /* A checkpoint to continue from (it may be checkpoint_path): weights, optimiser
   * state, random streams and history, so the run ends bitwise where an
   * uninterrupted one would. NULL = start afresh. */
  const char *resume_path;
  /* Domain-adversarial training on top of the label loss; NULL = off. Not kept
   * in checkpoints: a resumed adversarial run starts its domain classifier afresh. */
  const TlAdversary *adversary;
  /* Differentially private training (DP-SGD) of the trainable layers; NULL = off.
   * Batches are then Poisson samples of expected size batch_size. */
  const TlPrivacyConfig *privacy;
} TlTrainConfig;

void tl_train_config_init (TlTrainConfig *config);   /* sensible defaults: Adam 1e-3, batch 32, 10 epochs */

typedef struct {
  int    epoch;                 /* 1-based */
  int    n_epochs;
  int    batch;                 /* 1-based within the epoch */
  int    n_batches;
  float  loss;                  /* running mean over the epoch so far */
  float  accuracy;
  double elapsed;               /* seconds since the run started */
  double eta;                   /* seconds left, estimated */
} TlBatchProgress;

typedef struct {
  int    epoch;                 /* 1-based */
  float  train_loss, train_accuracy;
  float  val_loss, val_accuracy;   /* NaN without validation data */
  float  learning_rate;
  double seconds;               /* wall time of this epoch */
  double epsilon;               /* privacy spent after this epoch (delta of the run); NaN when not private */
} TlEpochRecord;

typedef struct {
  GArray *epochs;               /* TlEpochRecord */
  int     best_epoch;           /* 1-based epoch of the lowest validation loss, 0 if none */
  int     averaged_epochs;      /* epochs whose weights the final model averages; 0 = the last epoch's */
  gboolean stopped_early;
  gboolean cancelled;
  double  train_seconds;
  double  cache_seconds;        /* time spent building the feature cache */
  int     cached_layers;        /* layers whose outputs came from the cache */
  int     resumed_epochs;       /* epochs taken from the resumed checkpoint */
  /* private training: the noise multiplier used, epsilon spent after the last
   * epoch, the steps taken, and whether the run stopped because one more epoch
   * would have gone over the budget */
  double  privacy_sigma, privacy_sample_rate;
  double  epsilon;
  guint64 privacy_steps;
  gboolean budget_spent;
} TlHistory;

TlHistory *tl_history_new  (void);
void       tl_history_free (TlHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlHistory, tl_history_free)

/* Called from the training thread. on_batch may be called often: a UI should
 * coalesce. should_stop returning TRUE ends the run after the current batch
 * with the weights of the last finished epoch and history->cancelled set. */
typedef struct {
  void     (*on_batch)    (const TlBatchProgress *progress, gpointer user_data);
  void     (*on_epoch)    (const TlEpochRecord *record, const TlHistory *history, gpointer user_data);
  gboolean (*should_stop) (gpointer user_data);
  gpointer user_data;
} TlTrainCallbacks;

/* Trains model on train, validating on val (may be NULL) every epoch.
 * On divergence (NaN or Inf) fails with TL_ERROR_DIVERGED naming epoch and
 * batch, and leaves the model at its last good weights. */
gboolean tl_train (TlModel *model, const TlDataset *train, const TlDataset *val,
                   const TlTrainConfig *config, const TlTrainCallbacks *callbacks,
                   TlHistory *history, GError **error);

/* Predicts class probabilities [n, n_classes] for every row of ds. */
TlTensor *tl_predict (TlModel *model, const TlDataset *ds, int batch_size);

G_END_DECLS
