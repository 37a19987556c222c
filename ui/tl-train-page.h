#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_TRAIN_PAGE (tl_train_page_get_type ())
G_DECLARE_FINAL_TYPE (TlTrainPage, tl_train_page, TL, TRAIN_PAGE, GtkWidget)

/* Runs the experiment with live curves. "notify::status" follows the run;
 * "run-finished" is emitted when a run has ended (finished, failed or stopped)
 * and its results are in the document. */
void        tl_train_page_set_document (TlTrainPage *self, TlDocument *document);
void        tl_train_page_start        (TlTrainPage *self);
/* Continues the stopped run of the experiment from its checkpoint. */
void        tl_train_page_continue     (TlTrainPage *self);
void        tl_train_page_stop         (TlTrainPage *self);
/* Keeps Start off while reason (why the experiment cannot run) is not NULL, and says it. */
void        tl_train_page_set_blocked  (TlTrainPage *self, const char *reason);
const char *tl_train_page_get_blocked  (TlTrainPage *self);
gboolean    tl_train_page_is_running   (TlTrainPage *self);
const char *tl_train_page_get_status   (TlTrainPage *self);
/* For tests. */
GtkWidget  *tl_train_page_get_start_button (TlTrainPage *self);
/* Shown when there is a stopped run to continue. */
GtkWidget  *tl_train_page_get_resume_button (TlTrainPage *self);
GtkWidget  *tl_train_page_get_pause_button  (TlTrainPage *self);
GtkWidget  *tl_train_page_get_curve_view   (TlTrainPage *self, gboolean accuracy);
/* The fine-tuning's epochs, or the from-scratch baseline's. */
GtkSpinButton *tl_train_page_get_epochs_spin (TlTrainPage *self, gboolean baseline);
/* "Average Last Epochs": transfer.average_epochs */
GtkSpinButton *tl_train_page_get_average_spin (TlTrainPage *self);
guint       tl_train_page_get_n_batch_updates (TlTrainPage *self);
guint64     tl_train_page_get_n_batches       (TlTrainPage *self);
const char *tl_train_page_get_stage_text      (TlTrainPage *self);
const char *tl_train_page_get_progress_text   (TlTrainPage *self);
/* The training time last shown, pauses left out, in seconds. */
double      tl_train_page_get_elapsed         (TlTrainPage *self);

/* What the last result took from earlier runs instead of training, or NULL. */
const char *tl_train_page_get_reuse_text (TlTrainPage *self);
/* The "Retrain everything" option beside Start. */
GtkWidget  *tl_train_page_get_retrain_check (TlTrainPage *self);

/* Where Start trains (TlRunOnGroup). */
GtkWidget  *tl_train_page_get_run_on_group (TlTrainPage *self);
/* Writes the experiment's job for the PyTorch engine into folder/NAME-torch-job
 * (what Start does after asking for the folder when a cluster job is chosen);
 * "run-finished" once written. */
void        tl_train_page_write_cluster_job (TlTrainPage *self, const char *folder);
/* Reads back a job folder that has run as a run of the experiment, as a run's end. */
void        tl_train_page_collect_job (TlTrainPage *self, const char *job_dir);

G_END_DECLS
