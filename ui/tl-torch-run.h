#pragma once

#include <gio/gio.h>

#include "tl-pipeline.h"

G_BEGIN_DECLS

#define TL_TYPE_TORCH_RUN (tl_torch_run_get_type ())
G_DECLARE_FINAL_TYPE (TlTorchRun, tl_torch_run, TL, TORCH_RUN, GObject)

/* An experiment trained by the PyTorch engine on this computer, without
 * blocking the main loop: the job folder is prepared in a thread (in a
 * temporary folder), torchrun runs as a subprocess in its own process group
 * and reports each epoch as a JSON line, and the finished job is collected
 * in a thread into a new dated folder of the run history. Signals, on the
 * main loop, as TlTrainingRun's:
 *   "stage"    (int TlPipelineStage, string message)
 *   "epoch"    (int stage, pointer const TlEpochRecord *, pointer NULL)
 *   "finished" (pointer TlPipelineResult * or NULL, pointer const GError * or NULL)
 * Stop ends the process group (SIGTERM); the temporary job folder is removed
 * and no run folder is written. */
TlTorchRun       *tl_torch_run_new          (const TlExperiment *exp, const char *results_root, const char *python,
                                             const char *device);
void              tl_torch_run_start        (TlTorchRun *self);
void              tl_torch_run_stop         (TlTorchRun *self);
/* Takes the result once "finished" has been emitted. */
TlPipelineResult *tl_torch_run_steal_result (TlTorchRun *self);
/* The epochs of the stage in training (its last "epoch" told them). */
int               tl_torch_run_get_stage_epochs (TlTorchRun *self);
/* The engine's epochs reported so far (for tests). */
guint             tl_torch_run_get_n_epochs (TlTorchRun *self);

/* A job folder for the torch engine (tl-torch-job.h), for one process on
 * device ("cpu", "cuda" or "auto"), written in a thread; its collected run
 * joins the run history results_root. */
void              tl_torch_run_prepare_job_async  (const TlExperiment *exp, const char *results_root,
                                                   const char *device, const char *job_dir,
                                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean          tl_torch_run_prepare_job_finish (GAsyncResult *result, GError **error);
/* Reads back a job folder that has run (tl-torch-collect.h), in a thread. */
void              tl_torch_run_collect_job_async  (const char *job_dir, GAsyncReadyCallback callback,
                                                   gpointer user_data);
TlPipelineResult *tl_torch_run_collect_job_finish (GAsyncResult *result, GError **error);

/* Removes a folder and everything in it (symbolic links are not followed). */
void              tl_remove_folder_tree     (const char *path);

G_END_DECLS
