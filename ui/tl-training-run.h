#pragma once

#include <gio/gio.h>

#include "tl-pipeline.h"

G_BEGIN_DECLS

#define TL_TYPE_TRAINING_RUN (tl_training_run_get_type ())
G_DECLARE_FINAL_TYPE (TlTrainingRun, tl_training_run, TL, TRAINING_RUN, GObject)

/* An experiment's pipeline running in a worker thread (which owns the models
 * it trains). Figures reach the main loop coalesced: the worker keeps the
 * latest batch under a mutex and schedules at most one idle; stage changes,
 * epoch records and every batch's curve point are queued in order so none is
 * lost. Signals, all on the main loop:
 *   "stage"    (int TlPipelineStage, string message)
 *   "batch"    (int stage, pointer const TlBatchProgress *): the latest batch
 *   "points"   (int stage, pointer const GArray * of TlBatchPoint): batches of that stage since
 *              the last "points", in order with "stage" and "epoch"
 *   "epoch"    (int stage, pointer const TlEpochRecord *, pointer const TlHistory * so far)
 *   "finished" (pointer TlPipelineResult * or NULL, pointer const GError * or NULL)
 *   "generating" (string folder, string generator): before the pipeline, a missing data folder
 *              is being made by the generator its experiment names (in a worker; a failure
 *              ends the run with "finished" and the error)
 * Pause makes the worker wait on a condition variable at the next batch. Stop
 * cancels after the current batch; finished runs and the last finished epoch are kept,
 * and the checkpoint in the results folder lets a later run continue. */
typedef struct {
  double          x;                /* epochs done, as a fraction: 0.5 = half of the first */
  float           loss, accuracy;   /* running means over the epoch so far */
} TlBatchPoint;

TlTrainingRun *tl_training_run_new        (const TlExperiment *exp, const char *output_folder);
void           tl_training_run_start      (TlTrainingRun *self);
/* Before start: continue the stopped run in the results folder from its
 * checkpoints and finished stages, instead of starting over. */
void           tl_training_run_set_continue (TlTrainingRun *self, gboolean continue_run);
/* Before start, without an output folder: the run history a new dated run folder goes into. */
void           tl_training_run_set_results_root (TlTrainingRun *self, const char *results_root);
/* Before start: train every stage, even those an earlier run could give. */
void           tl_training_run_set_retrain (TlTrainingRun *self, gboolean retrain);
void           tl_training_run_pause      (TlTrainingRun *self);
void           tl_training_run_resume     (TlTrainingRun *self);
void           tl_training_run_stop       (TlTrainingRun *self);
gboolean       tl_training_run_is_paused  (TlTrainingRun *self);
gboolean       tl_training_run_is_running (TlTrainingRun *self);
/* Takes the result once "finished" has been emitted. */
TlPipelineResult *tl_training_run_steal_result (TlTrainingRun *self);
/* Main-loop deliveries of batch figures so far (for tests of the coalescing). */
guint          tl_training_run_get_n_batch_updates (TlTrainingRun *self);
guint64        tl_training_run_get_n_batches_seen  (TlTrainingRun *self);
/* Time the worker has spent held by pauses; the elapsed time in "batch" leaves it out. */
double         tl_training_run_get_paused_seconds  (TlTrainingRun *self);

G_END_DECLS
