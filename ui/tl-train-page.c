#define G_LOG_DOMAIN "tl-train-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-curve-view.h"
#include "tl-error.h"
#include "tl-run-history.h"
#include "tl-predict-classes.h"
#include "tl-resume-check.h"
#include "tl-run-on-group.h"
#include "tl-settings.h"
#include "tl-torch-job.h"
#include "tl-torch-run.h"
#include "tl-train-page.h"
#include "tl-training-run.h"
#include "tl-ui-util.h"

struct _TlTrainPage
{
  GtkWidget        parent_instance;

  TlDocument      *document;
  TlTrainingRun   *run;
  TlTorchRun      *torch_run;    /* a run of the PyTorch engine instead of run */
  gboolean         job_busy;     /* a cluster job is being written or collected */
  char            *job_message;  /* what was said about the last cluster job written */
  char            *status;
  TlPipelineStage  stage;
  gboolean         updating;
  guint            batch_updates;
  guint64          batches;
  GCancellable    *predict_cancellable;
  /* Whether the results folder holds a stopped run of the experiment as it is now:
   * checked in a thread whenever the experiment changes, read by update_buttons. */
  gboolean         resumable;
  GCancellable    *resume_cancellable;
  char            *blocked;      /* why the experiment cannot run, or NULL */
  const char      *current_run;  /* the run the worker trains now ("pretrain", "joint", ...) */
  gboolean         stopped;      /* the last run was stopped: the label says whether it can go on */
  gboolean         starting;     /* a run clears the last results: start_run decides about the curves */
  double           last_elapsed; /* the elapsed time last shown, in seconds */
  char            *last_progress; /* the progress line of the last batch, shown again after a pause */
  gpointer         shown_result;  /* the document's result the page shows (compared, never dereferenced) */

  GtkLabel        *stage_label;
  GtkWidget       *start_button;
  GtkWidget       *resume_button;
  GtkWidget       *pause_button;
  AdwButtonContent *pause_content;
  GtkWidget       *stop_button;
  GtkCheckButton  *retrain_check;
  GtkLabel        *reuse_label;
  GtkProgressBar  *progress_bar;
  GtkLabel        *progress_label;
  GtkToggleButton *log_toggle;
  TlCurveView     *loss_view;
  TlCurveView     *accuracy_view;
  GtkSpinButton   *epochs_spin;
  GtkSpinButton   *baseline_epochs_spin;
  GtkSpinButton   *average_spin;
  GtkSpinButton   *batch_spin;
  GtkSpinButton   *lr_spin;
  AdwComboRow     *optimizer_row;
  TlRunOnGroup    *run_on_group;
};

G_DEFINE_FINAL_TYPE (TlTrainPage, tl_train_page, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_STATUS, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { RUN_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_status (TlTrainPage *self, const char *status)
{
  if (g_strcmp0 (self->status, status) == 0)
    return;
  g_free (self->status);
  self->status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATUS]);
}

const char *
tl_train_page_get_status (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return self->status;
}

gboolean
tl_train_page_is_running (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), FALSE);
  return self->run != NULL || self->torch_run != NULL || self->job_busy;
}

GtkWidget *
tl_train_page_get_start_button (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return self->start_button;
}

GtkWidget *
tl_train_page_get_retrain_check (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return GTK_WIDGET (self->retrain_check);
}

GtkWidget *
tl_train_page_get_resume_button (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return self->resume_button;
}

GtkWidget *
tl_train_page_get_pause_button (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return self->pause_button;
}

GtkSpinButton *
tl_train_page_get_epochs_spin (TlTrainPage *self, gboolean baseline)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return baseline ? self->baseline_epochs_spin : self->epochs_spin;
}

GtkSpinButton *
tl_train_page_get_average_spin (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return self->average_spin;
}

GtkWidget *
tl_train_page_get_curve_view (TlTrainPage *self, gboolean accuracy)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return GTK_WIDGET (accuracy ? self->accuracy_view : self->loss_view);
}

const char *
tl_train_page_get_stage_text (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return gtk_label_get_text (self->stage_label);
}

const char *
tl_train_page_get_progress_text (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return gtk_label_get_text (self->progress_label);
}

double
tl_train_page_get_elapsed (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), 0);
  return self->last_elapsed;
}

guint
tl_train_page_get_n_batch_updates (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), 0);
  return self->batch_updates;
}

guint64
tl_train_page_get_n_batches (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), 0);
  return self->batches;
}

static char *
format_duration (double seconds)
{
  int s = (int) (seconds + 0.5);

  if (s >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return g_strdup_printf ("%d:%02d", s / 60, s % 60);
}

static const char *
stage_title (TlPipelineStage stage)
{
  switch (stage)
    {
    case TL_STAGE_IMPORT_SOURCE: return _("Importing the source data");
    case TL_STAGE_IMPORT_TARGET: return _("Importing the target data");
    case TL_STAGE_PRETRAIN: return _("Pretraining on the source data");
    case TL_STAGE_TRANSFER: return _("Fine-tuning on the target data");
    case TL_STAGE_BASELINE: return _("Training the from-scratch baseline");
    case TL_STAGE_EXPORT: return _("Evaluating and writing the results");
    case TL_STAGE_DONE: return _("Done");
    default: return "";
    }
}

static void update_buttons (TlTrainPage *self);

static void
resume_checked (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (TlTrainPage) self = data;
  g_autoptr (GError) error = NULL;
  gboolean resumable = tl_resume_check_finish (res, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->resumable = resumable;
  update_buttons (self);
}

/* Compared with the experiment as Start would run it (the freeze plan stored). */
static void
check_resumable (TlTrainPage *self)
{
  g_cancellable_cancel (self->resume_cancellable);
  g_clear_object (&self->resume_cancellable);
  self->resumable = FALSE;
  if (self->run != NULL || self->torch_run != NULL || self->document == NULL
      || tl_document_get_target_model (self->document) == NULL)
    return;
  self->resume_cancellable = g_cancellable_new ();
  tl_resume_check_async (tl_document_dup_planned_experiment (self->document),
                    tl_document_dup_results_root (self->document),
                    self->resume_cancellable, resume_checked, g_object_ref (self));
}

/* Source data and no target: a run trains the source model alone, as `transfer-lab train` would. */
static gboolean
trains_source_alone (TlTrainPage *self)
{
  const TlExperiment *exp = self->document != NULL ? tl_document_get_experiment (self->document) : NULL;

  return exp != NULL && exp->source.path != NULL && exp->target.path == NULL && exp->pretrained_model == NULL;
}

static void
update_buttons (TlTrainPage *self)
{
  gboolean running = tl_train_page_is_running (self);
  gboolean paused = self->run != NULL && tl_training_run_is_paused (self->run);

  gboolean can_start = self->document != NULL && tl_document_get_target_model (self->document) != NULL
                       && self->blocked == NULL;
  gboolean resumable = !running && can_start && self->resumable
                       && tl_run_on_group_get_choice (self->run_on_group) == TL_RUN_ON_LOCAL;

  gtk_widget_set_visible (self->start_button, !running);
  gtk_widget_set_sensitive (self->start_button, can_start);
  gtk_widget_set_visible (self->resume_button, resumable);
  if (resumable)
    gtk_widget_remove_css_class (self->start_button, "suggested-action");
  else
    gtk_widget_add_css_class (self->start_button, "suggested-action");
  gtk_widget_set_tooltip_text (self->start_button,
                               self->blocked != NULL ? self->blocked
                               : resumable ? _("Start over, discarding the stopped run")
                               : trains_source_alone (self) ? _("Trains the source model alone: transfer runs need "
                                                                "target data, imported on the Data page")
                               : NULL);
  if (!running && self->stopped && self->blocked == NULL)
    gtk_label_set_text (self->stage_label,
                        resumable ? _("Stopped. The runs and epochs finished so far are kept: Continue goes on from "
                                      "there, Start begins again.")
                                  : _("Stopped. The runs finished so far are kept and shown."));
  /* the engine has no pause; a cluster job is written or read at once */
  gtk_widget_set_visible (self->pause_button, self->run != NULL);
  gtk_widget_set_visible (self->stop_button, self->run != NULL || self->torch_run != NULL);
  tl_run_on_group_set_running (self->run_on_group, running);
  adw_button_content_set_label (self->pause_content, paused ? _("Res_ume") : _("_Pause"));
  adw_button_content_set_icon_name (self->pause_content, paused ? "media-playback-start-symbolic"
                                                                : "media-playback-pause-symbolic");
  gtk_widget_set_sensitive (GTK_WIDGET (self->epochs_spin), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->baseline_epochs_spin), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->average_spin), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->batch_spin), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->lr_spin), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->optimizer_row), !running);
  gtk_widget_set_visible (GTK_WIDGET (self->retrain_check),
                          !running && tl_run_on_group_get_choice (self->run_on_group) == TL_RUN_ON_LOCAL);
}

/* What the worker does now, with the strategy named when a transfer stage trains one. */
static char *
stage_text (TlPipelineStage stage, const char *run)
{
  if (stage == TL_STAGE_TRANSFER && run != NULL && g_strcmp0 (run, "transfer") != 0)
    {
      if (g_strcmp0 (run, "source-only") == 0)
        return g_strdup (_("Evaluating the pretrained model on the target data as it is"));
      if (g_strcmp0 (run, TL_RUN_NON_PRIVATE) == 0)
        return g_strdup (_("Training the transfer again without privacy, to show what privacy costs"));
      return g_strdup_printf (_("Training the “%s” strategy on the target data"), tl_run_title (run));
    }
  return g_strdup (stage_title (stage));
}

static void
on_stage (TlTrainingRun *run, int stage, const char *message, TlTrainPage *self)
{
  g_autofree char *text = NULL;
  const char *name = NULL;

  if (stage == TL_STAGE_PRETRAIN)
    name = "pretrain";
  else if (stage == TL_STAGE_BASELINE)
    name = "baseline";
  else if (stage == TL_STAGE_TRANSFER)
    name = tl_run_of_stage_message (message) != NULL ? tl_run_of_stage_message (message) : "transfer";
  self->stage = stage;
  /* said as it happens; the run's end names the run it came from */
  if (message != NULL && strstr (message, "its model reused") != NULL && name != NULL)
    {
      g_autofree char *reused = g_strdup_printf (_("%s reused from an earlier run"), tl_run_title (name));

      gtk_label_set_text (self->reuse_label, reused);
      gtk_widget_set_visible (GTK_WIDGET (self->reuse_label), TRUE);
    }
  text = stage_text (stage, name != NULL ? name : self->current_run);
  gtk_label_set_text (self->stage_label, text);
  set_status (self, stage_title (stage));
  /* The curves of the stages before stay; the per-batch line follows the run in training. */
  if (name != NULL && g_strcmp0 (name, self->current_run) != 0)
    {
      tl_curve_view_clear_batches (self->loss_view, tl_run_color (name));
      tl_curve_view_clear_batches (self->accuracy_view, tl_run_color (name));
    }
  if (name != NULL)
    self->current_run = name;
}

static void
on_points (TlTrainingRun *run, int stage, const GArray *points, TlTrainPage *self)
{
  for (guint i = 0; i < points->len; i++)
    {
      const TlBatchPoint *point = &g_array_index (points, TlBatchPoint, i);

      tl_curve_view_add_batch (self->loss_view, point->x, point->loss);
      tl_curve_view_add_batch (self->accuracy_view, point->x, point->accuracy);
    }
}

static void
on_batch (TlTrainingRun *run, int stage, const TlBatchProgress *p, TlTrainPage *self)
{
  double fraction = ((p->epoch - 1) + (double) p->batch / MAX (p->n_batches, 1)) / MAX (p->n_epochs, 1);
  g_autofree char *elapsed = format_duration (p->elapsed);
  g_autofree char *eta = format_duration (p->eta);
  g_autofree char *text = NULL;
  g_autofree char *status = NULL;

  self->batch_updates++;
  self->batches = tl_training_run_get_n_batches_seen (run);
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
  text = g_strdup_printf (_("%s · epoch %d of %d · batch %d of %d · loss %.4f · accuracy %.1f%% · %s elapsed · about %s left"),
                          stage_title (stage), p->epoch, p->n_epochs, p->batch, p->n_batches, p->loss,
                          p->accuracy * 100.0, elapsed, eta);
  self->last_elapsed = p->elapsed;
  g_free (self->last_progress);
  self->last_progress = g_strdup (text);
  /* a batch delivered after the click on Pause does not hide that the run is paused */
  if (tl_training_run_is_paused (run))
    return;
  gtk_label_set_text (self->progress_label, text);
  status = g_strdup_printf (_("Epoch %d of %d"), p->epoch, p->n_epochs);
  set_status (self, status);
}

static void
on_epoch (TlTrainingRun *run, int stage, const TlEpochRecord *record, const TlHistory *history, TlTrainPage *self)
{
  const char *name = stage == TL_STAGE_BASELINE ? "baseline" : stage == TL_STAGE_PRETRAIN ? "pretrain"
                     : self->current_run != NULL ? self->current_run : "transfer";
  guint n = history != NULL ? history->epochs->len : 0;

  /* A continued stage reports its whole history so far: every epoch of it is drawn. */
  if (n > 0 && g_array_index (history->epochs, TlEpochRecord, n - 1).epoch == record->epoch)
    for (guint i = 0; i + 1 < n; i++)
      {
        tl_curve_view_add_epoch (self->loss_view, name, &g_array_index (history->epochs, TlEpochRecord, i));
        tl_curve_view_add_epoch (self->accuracy_view, name, &g_array_index (history->epochs, TlEpochRecord, i));
      }
  tl_curve_view_add_epoch (self->loss_view, name, record);
  tl_curve_view_add_epoch (self->accuracy_view, name, record);
}

/* Every run of the result, each in its colour; the earlier curves of a continued run stay. */
static void
show_result_curves (TlTrainPage *self)
{
  TlPipelineResult *result = tl_document_get_result (self->document);

  if (result == NULL)
    return;
  for (guint i = 0; i < result->runs->len; i++)
    {
      TlRunResult *r = g_ptr_array_index (result->runs, i);

      if (r->history == NULL || r->history->epochs->len == 0)
        continue;
      tl_curve_view_set_run (self->loss_view, r->name, r->history);
      tl_curve_view_set_run (self->accuracy_view, r->name, r->history);
    }
}

/* "2026-12-05 20:40:12" from a run folder's name, or the name as it is. */
static char *
run_folder_date (const char *folder)
{
  g_autofree char *id = g_path_get_basename (folder);
  char *date = g_strdup (id);

  if (strlen (date) >= 19 && date[10] == 'T')
    {
      date[10] = ' ';
      date[13] = ':';
      date[16] = ':';
    }
  return date;
}

/* Which stages of the result were taken from an earlier run rather than trained. */
static void
show_reuse (TlTrainPage *self)
{
  TlPipelineResult *result = tl_document_get_result (self->document);
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; result != NULL && i < result->runs->len; i++)
    {
      TlRunResult *r = g_ptr_array_index (result->runs, i);
      g_autofree char *date = NULL;

      if (r->reused_from == NULL)
        continue;
      date = run_folder_date (r->reused_from);
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append_printf (text, _("%s reused from the run of %s: its data and settings did not change, so it "
                                      "was not trained again."), tl_run_title (r->name), date);
    }
  gtk_label_set_text (self->reuse_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->reuse_label), text->len > 0);
}

const char *
tl_train_page_get_reuse_text (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->reuse_label)) ? gtk_label_get_text (self->reuse_label) : NULL;
}

/* "transfer 81.2%, joint 83.0%, baseline 75.1%": every run evaluated on the target's test data. */
static char *
runs_summary (TlDocument *doc, int *n_samples)
{
  TlPipelineResult *result = tl_document_get_result (doc);
  TlRunResult *main_run = tl_document_get_main_run (doc);
  g_autoptr (GString) text = g_string_new (NULL);

  *n_samples = 0;
  for (guint i = 0; result != NULL && i < result->runs->len; i++)
    {
      TlRunResult *r = g_ptr_array_index (result->runs, i);
      g_autofree char *item = NULL;

      if (r->metrics == NULL || (g_strcmp0 (r->name, "pretrain") == 0 && r != main_run))
        continue;
      *n_samples = r->metrics->n_samples;
      item = g_strdup_printf (C_("run and its accuracy", "%s %.1f%%"), tl_run_title (r->name),
                              r->metrics->accuracy * 100.0);
      if (text->len > 0)
        g_string_append (text, C_("list separator", ", "));
      g_string_append (text, item);
    }
  return text->len > 0 ? g_strdup (text->str) : NULL;
}

static void
predicted (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (TlTrainPage) self = data;
  g_autoptr (GError) error = NULL;
  int n = 0;
  int *predictions = tl_predict_classes_finish (res, &n, &error);

  if (predictions != NULL && self->document != NULL)
    tl_document_set_predictions (self->document, predictions, n);
  else
    g_free (predictions);
}

/* The samples behind each confusion cell need each test row's prediction. */
static void
start_predictions (TlTrainPage *self)
{
  TlRunResult *main_run = tl_document_get_main_run (self->document);
  const TlDataSlot *slot = tl_document_target_slot (self->document);
  int *from_run;

  if (main_run == NULL || main_run->model == NULL || slot->test == NULL || main_run->metrics == NULL
      || main_run->metrics->n_samples != slot->test->n
      || tl_model_n_outputs (main_run->model) != slot->test->n_classes)
    return;
  if ((from_run = tl_run_read_predictions (main_run, slot->test->n)) != NULL)
    {
      tl_document_set_predictions (self->document, from_run, slot->test->n);
      return;
    }
  tl_predict_classes_async (main_run->model, slot->test, self->predict_cancellable, predicted, g_object_ref (self));
}

/* A run has ended (a local one, the engine's, or a collected cluster job): taken is its result. */
static void
show_finished (TlTrainPage *self, TlPipelineResult *taken, const GError *error)
{
  TlRunResult *main_run;

  if (taken != NULL)
    {
      self->shown_result = taken;
      tl_document_set_result (self->document, taken);
    }
  main_run = tl_document_get_main_run (self->document);

  if (error != NULL && !g_error_matches (error, TL_ERROR, TL_ERROR_CANCELLED))
    {
      gtk_label_set_text (self->stage_label, _("The run failed"));
      set_status (self, _("Failed"));
      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", error->message);
    }
  else if (error != NULL || (taken != NULL && taken->cancelled))
    {
      /* whether it can go on is known once the checkpoints are read: update_stopped_text */
      self->stopped = TRUE;
      set_status (self, _("Stopped"));
    }
  else
    {
      g_autofree char *text = NULL;
      g_autofree char *runs = NULL;
      int n_samples = 0;

      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      if (main_run != NULL && main_run->metrics != NULL && g_strcmp0 (main_run->name, "pretrain") == 0
          && trains_source_alone (self))
        text = g_strdup_printf (_("Finished: the source model alone, test accuracy %.1f%% on the source's test data. "
                                  "Transfer runs need target data: import it on the Data page."),
                                main_run->metrics->accuracy * 100.0);
      else if (main_run != NULL && main_run->metrics != NULL)
        text = g_strdup_printf (_("Finished: test accuracy %.1f%%"), main_run->metrics->accuracy * 100.0);
      else
        text = g_strdup (_("Finished"));
      runs = runs_summary (self->document, &n_samples);
      if (runs != NULL)
        {
          g_autofree char *summary = g_strdup_printf (_("On %d test samples: %s"), n_samples, runs);
          gtk_label_set_text (self->progress_label, summary);
        }
      else
        gtk_label_set_text (self->progress_label, text);
      gtk_label_set_text (self->stage_label, text);
      set_status (self, _("Finished"));
      gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", text);
    }
  show_result_curves (self);
  show_reuse (self);
  start_predictions (self);
  check_resumable (self);
  update_buttons (self);
  /* the run is over even when the status reads the same as the last stage's (both "完成" in Chinese) */
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATUS]);
  g_signal_emit (self, signals[RUN_FINISHED], 0);
}

static void
on_finished (TlTrainingRun *run, TlPipelineResult *result, const GError *error, TlTrainPage *self)
{
  /* the page's reference, dropped when this handler returns */
  G_GNUC_UNUSED g_autoptr (TlTrainingRun) owned = g_steal_pointer (&self->run);

  g_signal_handlers_disconnect_by_data (run, self);
  show_finished (self, tl_training_run_steal_result (run), error);
}

static void
on_torch_finished (TlTorchRun *run, TlPipelineResult *result, const GError *error, TlTrainPage *self)
{
  G_GNUC_UNUSED g_autoptr (TlTorchRun) owned = g_steal_pointer (&self->torch_run);

  g_signal_handlers_disconnect_by_data (run, self);
  show_finished (self, tl_torch_run_steal_result (run), error);
}

/* The torch engine's epochs draw the same curves; it reports no batches. */
static void
on_torch_epoch (TlTorchRun *run, int stage, const TlEpochRecord *record, gpointer history, TlTrainPage *self)
{
  g_autofree char *text = NULL;
  g_autofree char *status = NULL;
  int epochs = tl_torch_run_get_stage_epochs (run);

  on_epoch (NULL, stage, record, NULL, self);
  if (epochs > 0)
    gtk_progress_bar_set_fraction (self->progress_bar, CLAMP ((double) record->epoch / epochs, 0.0, 1.0));
  text = g_strdup_printf (_("%s with PyTorch · epoch %d · loss %.4f · accuracy %.1f%%"), stage_title (stage),
                          record->epoch, record->train_loss, record->train_accuracy * 100.0);
  gtk_label_set_text (self->progress_label, text);
  status = epochs > 0 ? g_strdup_printf (_("Epoch %d of %d"), record->epoch, epochs)
                      : g_strdup_printf (_("Epoch %d"), record->epoch);
  set_status (self, status);
}

static void
on_torch_stage (TlTorchRun *run, int stage, const char *message, TlTrainPage *self)
{
  if (stage == TL_STAGE_IMPORT_SOURCE)
    {
      gtk_label_set_text (self->stage_label, _("Preparing the data and the models for PyTorch"));
      set_status (self, _("Preparing"));
      return;
    }
  on_stage (NULL, stage, NULL, self);
}

static void
start_torch_run (TlTrainPage *self, const TlExperiment *exp, const char *root)
{
  self->torch_run = tl_torch_run_new (exp, root, tl_run_on_group_get_python (self->run_on_group),
                                      tl_run_on_group_get_device (self->run_on_group));
  g_signal_connect (self->torch_run, "stage", G_CALLBACK (on_torch_stage), self);
  g_signal_connect (self->torch_run, "epoch", G_CALLBACK (on_torch_epoch), self);
  g_signal_connect (self->torch_run, "finished", G_CALLBACK (on_torch_finished), self);
  set_status (self, _("Starting"));
  tl_torch_run_start (self->torch_run);
}

/* Cluster jobs */

static void
job_written (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (TlTrainPage) self = data;
  g_autoptr (GError) error = NULL;

  self->job_busy = FALSE;
  if (!tl_torch_run_prepare_job_finish (res, &error))
    {
      gtk_label_set_text (self->stage_label, _("The cluster job could not be written"));
      set_status (self, _("Failed"));
      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", error->message);
    }
  else
    {
      gtk_label_set_text (self->stage_label, self->job_message);
      gtk_label_set_text (self->progress_label, _("Not run yet: the job runs where it is copied to"));
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
      set_status (self, _("Job written"));
      gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", _("The cluster job is written"));
    }
  update_buttons (self);
  g_signal_emit (self, signals[RUN_FINISHED], 0);
}

void
tl_train_page_write_cluster_job (TlTrainPage *self, const char *folder)
{
  const TlExperiment *exp;
  g_autofree char *name = NULL, *job = NULL, *root = NULL, *quoted = NULL;

  g_return_if_fail (TL_IS_TRAIN_PAGE (self));

  if (tl_train_page_is_running (self) || self->document == NULL)
    return;
  exp = tl_document_get_experiment (self->document);
  name = g_strdup_printf ("%s-torch-job", exp->name);
  g_strdelimit (name, "/\\:", '-');
  job = g_build_filename (folder, name, NULL);
  root = tl_document_dup_results_root (self->document);
  quoted = g_shell_quote (job);
  g_free (self->job_message);
  self->job_message = g_strdup_printf (_("The job is in %s. Copy it to the cluster and run `sh run.sh` in it "
                                         "(or `sbatch job.slurm` under SLURM); then Collect Results… reads the "
                                         "folder back."), job);
  tl_document_store_plan (self->document);
  self->job_busy = TRUE;
  self->stopped = FALSE;
  gtk_label_set_text (self->stage_label, _("Writing the cluster job…"));
  set_status (self, _("Preparing"));
  update_buttons (self);
  tl_torch_run_prepare_job_async (exp, root, "auto", job, job_written, g_object_ref (self));
}

static void
job_collected (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (TlTrainPage) self = data;
  g_autoptr (GError) error = NULL;
  TlPipelineResult *result = tl_torch_run_collect_job_finish (res, &error);

  self->job_busy = FALSE;
  if (error != NULL)
    {
      g_autoptr (GError) failed = g_error_new (TL_ERROR, TL_ERROR_FAILED, _("The job's results cannot be read "
                                                                            "back: %s"), error->message);
      show_finished (self, NULL, failed);
      return;
    }
  tl_curve_view_clear (self->loss_view);
  tl_curve_view_clear (self->accuracy_view);
  show_finished (self, result, NULL);
}

void
tl_train_page_collect_job (TlTrainPage *self, const char *job_dir)
{
  g_return_if_fail (TL_IS_TRAIN_PAGE (self));

  if (tl_train_page_is_running (self) || self->document == NULL)
    return;
  self->job_busy = TRUE;
  self->stopped = FALSE;
  gtk_label_set_text (self->stage_label, _("Reading back the job's results…"));
  set_status (self, _("Collecting"));
  update_buttons (self);
  tl_torch_run_collect_job_async (job_dir, job_collected, g_object_ref (self));
}

static void
folder_chosen (GtkNativeDialog *dialog, int response, TlTrainPage *self)
{
  gboolean collect = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "collect"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL && collect)
        tl_train_page_collect_job (self, path);
      else if (path != NULL)
        tl_train_page_write_cluster_job (self, path);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
choose_job_folder (TlTrainPage *self, gboolean collect)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog
    = gtk_file_chooser_native_new (collect ? _("Choose a Job Folder That Has Run") : _("Choose Where to Write the Job"),
                                   GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                   collect ? _("_Collect") : _("_Write Job"), _("_Cancel"));

  g_object_set_data (G_OBJECT (dialog), "collect", GINT_TO_POINTER (collect));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (folder_chosen), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_collect_clicked (TlTrainPage *self)
{
  choose_job_folder (self, TRUE);
}

/* The demo's synthetic voices: made in a worker before the run reads them. */
static void
on_generating (TlTrainingRun *run, const char *folder, const char *generator, TlTrainPage *self)
{
  g_autofree char *base = g_path_get_basename (generator);
  g_autofree char *text = g_strdup_printf (_("Generating the missing data in %s with %s (a few seconds)…"), folder,
                                           base);

  gtk_label_set_text (self->stage_label, text);
  gtk_label_set_text (self->progress_label, _("Generating data…"));
  set_status (self, _("Generating data"));
}

static void
start_run (TlTrainPage *self, gboolean continue_run)
{
  g_autofree char *root = NULL;
  g_autofree char *folder = NULL;
  const TlExperiment *exp;

  if (tl_train_page_is_running (self) || self->document == NULL || self->blocked != NULL)
    return;
  exp = tl_document_get_experiment (self->document);
  if (exp->source.path == NULL && exp->target.path == NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s",
                                  _("Import some data first (Ctrl+I)."));
      return;
    }
  if (tl_run_on_group_get_choice (self->run_on_group) != TL_RUN_ON_LOCAL)
    {
      g_autoptr (GError) error = NULL;

      if (!tl_torch_job_check (exp, &error))
        {
          g_autofree char *message = g_strdup_printf (_("PyTorch cannot run this experiment: %s. Run it on "
                                                        "this computer instead."), error->message);
          gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", message);
          return;
        }
      if (tl_run_on_group_get_choice (self->run_on_group) == TL_RUN_ON_CLUSTER)
        {
          choose_job_folder (self, FALSE);
          return;
        }
      continue_run = FALSE;
    }
  tl_document_store_plan (self->document);
  root = tl_document_dup_results_root (self->document);
  /* a new dated run folder in the history; Continue goes on in the newest one */
  if (continue_run)
    folder = tl_newest_run_folder (root);
  self->starting = TRUE;
  tl_document_clear_results (self->document);
  self->starting = FALSE;
  self->batch_updates = 0;
  self->batches = 0;
  self->stopped = FALSE;
  self->current_run = NULL;
  /* a continued run keeps the curves drawn so far: its finished stages are not trained again */
  if (!continue_run)
    {
      tl_curve_view_clear (self->loss_view);
      tl_curve_view_clear (self->accuracy_view);
    }
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->progress_label, _("Starting…"));
  gtk_widget_set_visible (GTK_WIDGET (self->reuse_label), FALSE);
  if (tl_run_on_group_get_choice (self->run_on_group) == TL_RUN_ON_TORCH)
    {
      start_torch_run (self, exp, root);
      update_buttons (self);
      return;
    }
  self->run = tl_training_run_new (exp, folder);
  tl_training_run_set_continue (self->run, continue_run);
  tl_training_run_set_results_root (self->run, root);
  tl_training_run_set_retrain (self->run, gtk_check_button_get_active (self->retrain_check));
  g_signal_connect (self->run, "stage", G_CALLBACK (on_stage), self);
  g_signal_connect (self->run, "batch", G_CALLBACK (on_batch), self);
  g_signal_connect (self->run, "points", G_CALLBACK (on_points), self);
  g_signal_connect (self->run, "epoch", G_CALLBACK (on_epoch), self);
  g_signal_connect (self->run, "finished", G_CALLBACK (on_finished), self);
  g_signal_connect (self->run, "generating", G_CALLBACK (on_generating), self);
  set_status (self, _("Starting"));
  /* emits "generating" at once when data are to be made first */
  tl_training_run_start (self->run);
  check_resumable (self);
  update_buttons (self);
}

void
tl_train_page_set_blocked (TlTrainPage *self, const char *reason)
{
  g_return_if_fail (TL_IS_TRAIN_PAGE (self));

  if (g_strcmp0 (self->blocked, reason) == 0)
    return;
  if (!tl_train_page_is_running (self) && (reason != NULL || self->blocked != NULL))
    gtk_label_set_text (self->stage_label, reason != NULL ? reason : _("Ready to run"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->stage_label), "warning");
  if (reason != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->stage_label), "warning");
  g_free (self->blocked);
  self->blocked = g_strdup (reason);
  update_buttons (self);
}

const char *
tl_train_page_get_blocked (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return self->blocked;
}

void
tl_train_page_start (TlTrainPage *self)
{
  g_return_if_fail (TL_IS_TRAIN_PAGE (self));
  start_run (self, FALSE);
}

void
tl_train_page_continue (TlTrainPage *self)
{
  g_return_if_fail (TL_IS_TRAIN_PAGE (self));
  start_run (self, TRUE);
}

void
tl_train_page_stop (TlTrainPage *self)
{
  g_return_if_fail (TL_IS_TRAIN_PAGE (self));

  if (self->torch_run != NULL)
    {
      gtk_label_set_text (self->stage_label, _("Stopping the PyTorch engine…"));
      tl_torch_run_stop (self->torch_run);
      return;
    }
  if (self->run == NULL)
    return;
  gtk_label_set_text (self->stage_label, _("Stopping after the current batch…"));
  tl_training_run_stop (self->run);
}

static void
on_start (TlTrainPage *self)
{
  tl_train_page_start (self);
}

static void
on_resume_run (TlTrainPage *self)
{
  tl_train_page_continue (self);
}

static void
on_pause (TlTrainPage *self)
{
  if (self->run == NULL)
    return;
  if (tl_training_run_is_paused (self->run))
    {
      g_autofree char *text = stage_text (self->stage, self->current_run);

      tl_training_run_resume (self->run);
      gtk_label_set_text (self->stage_label, text);
      if (self->last_progress != NULL)
        gtk_label_set_text (self->progress_label, self->last_progress);
      set_status (self, _("Training"));
    }
  else
    {
      g_autofree char *elapsed = format_duration (self->last_elapsed);
      g_autofree char *text = g_strdup_printf (_("Paused after %s of training: the clock is stopped. Resume goes on "
                                                 "from the next batch."), elapsed);

      tl_training_run_pause (self->run);
      gtk_label_set_text (self->stage_label, _("Paused"));
      gtk_label_set_text (self->progress_label, text);
      set_status (self, _("Paused"));
    }
  update_buttons (self);
}

static void
on_stop (TlTrainPage *self)
{
  tl_train_page_stop (self);
}

/* Hyper-parameters */

static void
load_params (TlTrainPage *self)
{
  const TlExperiment *exp = tl_document_get_experiment (self->document);
  const TlTrainSpec *spec = &exp->transfer.finetune;
  guint optimizer = spec->optimizer.kind == TL_OPTIMIZER_SGD ? 0 : spec->optimizer.kind == TL_OPTIMIZER_ADAM ? 1 : 2;

  self->updating = TRUE;
  gtk_spin_button_set_value (self->epochs_spin, spec->epochs);
  gtk_spin_button_set_value (self->baseline_epochs_spin, exp->baseline_epochs > 0 ? exp->baseline_epochs : spec->epochs);
  gtk_widget_set_visible (gtk_widget_get_ancestor (GTK_WIDGET (self->baseline_epochs_spin), ADW_TYPE_ACTION_ROW),
                          exp->baseline);
  gtk_spin_button_set_value (self->average_spin, spec->average_epochs);
  gtk_spin_button_set_value (self->batch_spin, spec->batch_size);
  gtk_spin_button_set_value (self->lr_spin, spec->optimizer.learning_rate);
  adw_combo_row_set_selected (self->optimizer_row, optimizer);
  self->updating = FALSE;
}

static void
on_param_changed (TlTrainPage *self)
{
  TlExperiment *exp;
  TlTrainSpec *spec;
  int baseline_epochs;
  static const TlOptimizerKind kinds[] = { TL_OPTIMIZER_SGD, TL_OPTIMIZER_ADAM, TL_OPTIMIZER_ADAMW };
  guint optimizer;

  if (self->updating || self->document == NULL)
    return;
  exp = tl_document_get_experiment (self->document);
  spec = &exp->transfer.finetune;
  baseline_epochs = gtk_spin_button_get_value_as_int (self->baseline_epochs_spin);
  /* a baseline that had the transfer's epochs keeps following them */
  if (exp->baseline_epochs == 0 && baseline_epochs == spec->epochs)
    baseline_epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  spec->epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  exp->baseline_epochs = baseline_epochs == spec->epochs ? 0 : baseline_epochs;
  if (exp->baseline_epochs == 0)
    {
      self->updating = TRUE;
      gtk_spin_button_set_value (self->baseline_epochs_spin, spec->epochs);
      self->updating = FALSE;
    }
  spec->average_epochs = gtk_spin_button_get_value_as_int (self->average_spin);
  spec->batch_size = gtk_spin_button_get_value_as_int (self->batch_spin);
  optimizer = MIN (adw_combo_row_get_selected (self->optimizer_row), 2);
  if (spec->optimizer.kind != kinds[optimizer])
    tl_optimizer_config_init (&spec->optimizer, kinds[optimizer], (float) gtk_spin_button_get_value (self->lr_spin));
  spec->optimizer.learning_rate = (float) gtk_spin_button_get_value (self->lr_spin);
  tl_document_changed (self->document, "params");
}

/* The results of an earlier run, as reopening the experiment finds them in its history. */
static void
show_loaded_result (TlTrainPage *self)
{
  TlPipelineResult *result = tl_document_get_result (self->document);
  g_autofree char *date = NULL;
  g_autofree char *runs = NULL;
  g_autofree char *text = NULL;
  int n_samples = 0;

  if (result == NULL || result == self->shown_result || result->output_folder == NULL)
    return;
  self->shown_result = result;
  tl_curve_view_clear (self->loss_view);
  tl_curve_view_clear (self->accuracy_view);
  show_result_curves (self);
  show_reuse (self);
  date = run_folder_date (result->output_folder);
  text = g_strdup_printf (result->cancelled ? _("Last run, %s: stopped") : _("Last run, %s: finished"), date);
  gtk_label_set_text (self->stage_label, text);
  runs = runs_summary (self->document, &n_samples);
  if (runs != NULL)
    {
      g_autofree char *summary = g_strdup_printf (_("On %d test samples: %s"), n_samples, runs);
      gtk_label_set_text (self->progress_label, summary);
    }
  gtk_progress_bar_set_fraction (self->progress_bar, result->cancelled ? 0.0 : 1.0);
  set_status (self, result->cancelled ? _("Stopped") : _("Finished"));
  start_predictions (self);
}

static void
on_document_changed (TlTrainPage *self, const char *what)
{
  if (g_strcmp0 (what, "params") == 0 || g_strcmp0 (what, "data") == 0)
    load_params (self);
  if (g_strcmp0 (what, "results") == 0 && tl_document_get_result (self->document) == NULL
      && !tl_train_page_is_running (self) && !self->starting)
    {
      tl_curve_view_clear (self->loss_view);
      tl_curve_view_clear (self->accuracy_view);
    }
  else if (g_strcmp0 (what, "results") == 0 && !tl_train_page_is_running (self) && !self->starting)
    show_loaded_result (self);
  check_resumable (self);
  update_buttons (self);
}

void
tl_train_page_set_document (TlTrainPage *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_TRAIN_PAGE (self));

  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  load_params (self);
  check_resumable (self);
  update_buttons (self);
}

static void
tl_train_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TlTrainPage *self = TL_TRAIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_train_page_dispose (GObject *object)
{
  TlTrainPage *self = TL_TRAIN_PAGE (object);

  if (self->run != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->run, self);
      tl_training_run_stop (self->run);
      g_clear_object (&self->run);
    }
  if (self->torch_run != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->torch_run, self);
      tl_torch_run_stop (self->torch_run);
      g_clear_object (&self->torch_run);
    }
  g_cancellable_cancel (self->predict_cancellable);
  g_cancellable_cancel (self->resume_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_TRAIN_PAGE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (tl_train_page_parent_class)->dispose (object);
}

static void
tl_train_page_finalize (GObject *object)
{
  TlTrainPage *self = TL_TRAIN_PAGE (object);

  g_clear_object (&self->document);
  g_clear_object (&self->predict_cancellable);
  g_clear_object (&self->resume_cancellable);
  g_free (self->status);
  g_free (self->blocked);
  g_free (self->last_progress);
  g_free (self->job_message);
  G_OBJECT_CLASS (tl_train_page_parent_class)->finalize (object);
}

static void
tl_train_page_class_init (TlTrainPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_train_page_dispose;
  object_class->finalize = tl_train_page_finalize;
  object_class->get_property = tl_train_page_get_property;
  props[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  signals[RUN_FINISHED] = g_signal_new ("run-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (TL_TYPE_CURVE_VIEW);
  g_type_ensure (TL_TYPE_RUN_ON_GROUP);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-train-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, stage_label);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, start_button);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, resume_button);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, pause_button);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, pause_content);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, stop_button);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, retrain_check);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, reuse_label);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, progress_label);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, log_toggle);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, loss_view);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, accuracy_view);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, baseline_epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, average_spin);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, optimizer_row);
  gtk_widget_class_bind_template_child (widget_class, TlTrainPage, run_on_group);
  gtk_widget_class_bind_template_callback (widget_class, on_start);
  gtk_widget_class_bind_template_callback (widget_class, on_resume_run);
  gtk_widget_class_bind_template_callback (widget_class, on_pause);
  gtk_widget_class_bind_template_callback (widget_class, on_stop);
}

static void
tl_train_page_init (TlTrainPage *self)
{
  GSettings *settings = tl_settings_get ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->status = g_strdup (_("Not started"));
  self->predict_cancellable = g_cancellable_new ();
  g_object_bind_property (self->log_toggle, "active", self->loss_view, "log-scale", G_BINDING_SYNC_CREATE);
  if (settings != NULL)
    g_settings_bind (settings, "loss-log-scale", self->log_toggle, "active", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_swapped (self->epochs_spin, "value-changed", G_CALLBACK (on_param_changed), self);
  g_signal_connect_swapped (self->baseline_epochs_spin, "value-changed", G_CALLBACK (on_param_changed), self);
  g_signal_connect_swapped (self->average_spin, "value-changed", G_CALLBACK (on_param_changed), self);
  g_signal_connect_swapped (self->batch_spin, "value-changed", G_CALLBACK (on_param_changed), self);
  g_signal_connect_swapped (self->lr_spin, "value-changed", G_CALLBACK (on_param_changed), self);
  g_signal_connect_swapped (self->optimizer_row, "notify::selected", G_CALLBACK (on_param_changed), self);
  g_signal_connect_swapped (self->run_on_group, "notify::choice", G_CALLBACK (update_buttons), self);
  g_signal_connect_swapped (self->run_on_group, "collect", G_CALLBACK (on_collect_clicked), self);
}

GtkWidget *
tl_train_page_get_run_on_group (TlTrainPage *self)
{
  g_return_val_if_fail (TL_IS_TRAIN_PAGE (self), NULL);
  return GTK_WIDGET (self->run_on_group);
}
