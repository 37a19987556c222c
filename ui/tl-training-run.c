#define G_LOG_DOMAIN "tl-training-run"

#include "config.h"

#include "tl-error.h"
#include "tl-training-run.h"

typedef enum { EVENT_STAGE, EVENT_EPOCH, EVENT_POINTS } EventKind;

/* What the worker queues for the main loop, in the order it happened. */
typedef struct {
  EventKind       kind;
  TlPipelineStage stage;
  union {
    char         *message;     /* EVENT_STAGE */
    struct {
      TlEpochRecord record;
      TlHistory    *history;   /* a copy of the epochs so far */
    } epoch;                   /* EVENT_EPOCH */
    GArray       *points;      /* EVENT_POINTS: TlBatchPoint */
  };
} Event;

static void
event_clear (gpointer data)
{
  Event *ev = data;

  switch (ev->kind)
    {
    case EVENT_STAGE: g_clear_pointer (&ev->message, g_free); break;
    case EVENT_EPOCH: g_clear_pointer (&ev->epoch.history, tl_history_free); break;
    case EVENT_POINTS: g_clear_pointer (&ev->points, g_array_unref); break;
    default: g_assert_not_reached ();
    }
}

static GArray *
event_queue_new (void)
{
  GArray *events = g_array_new (FALSE, FALSE, sizeof (Event));

  g_array_set_clear_func (events, event_clear);
  return events;
}

struct _TlTrainingRun
{
  GObject            parent_instance;

  TlExperiment      *exp;
  char              *output_folder;
  char              *results_root;
  gboolean           retrain;
  GCancellable      *cancellable;
  TlPipelineResult  *result;
  gboolean           running;
  gboolean           continue_run;

  /* Shared with the worker, under lock. */
  GMutex             lock;
  GCond              resume_cond;
  gboolean           paused;
  gboolean           stopping;
  gboolean           have_batch;
  TlPipelineStage    batch_stage;
  TlBatchProgress    batch;
  GArray            *events;       /* Event, in the order they happened */
  guint              idle_id;      /* non-zero while a delivery is pending */
  guint64            batches_seen;
  gint64             paused_us;    /* time the worker has waited in pauses, in all */
  gint64             pause_base;   /* paused_us when the current training began */
  double             last_elapsed; /* the trainer's own figure at the last batch */

  guint              batch_updates;
};

G_DEFINE_FINAL_TYPE (TlTrainingRun, tl_training_run, G_TYPE_OBJECT)

enum { STAGE, BATCH, POINTS, EPOCH, FINISHED, GENERATING, N_SIGNALS };
static guint signals[N_SIGNALS];

static gboolean
deliver (gpointer data)
{
  TlTrainingRun *self = data;
  g_autoptr (GArray) events = NULL;
  TlBatchProgress batch;
  TlPipelineStage batch_stage;
  gboolean have_batch;

  g_mutex_lock (&self->lock);
  self->idle_id = 0;
  events = g_steal_pointer (&self->events);
  self->events = event_queue_new ();
  have_batch = self->have_batch;
  batch = self->batch;
  batch_stage = self->batch_stage;
  self->have_batch = FALSE;
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < events->len; i++)
    {
      const Event *ev = &g_array_index (events, Event, i);

      switch (ev->kind)
        {
        case EVENT_STAGE:
          g_signal_emit (self, signals[STAGE], 0, (int) ev->stage, ev->message);
          break;
        case EVENT_EPOCH:
          g_signal_emit (self, signals[EPOCH], 0, (int) ev->stage, &ev->epoch.record, ev->epoch.history);
          break;
        case EVENT_POINTS:
          g_signal_emit (self, signals[POINTS], 0, (int) ev->stage, ev->points);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  if (have_batch)
    {
      self->batch_updates++;
      g_signal_emit (self, signals[BATCH], 0, (int) batch_stage, &batch);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Called with the lock held. */
static void
schedule_delivery (TlTrainingRun *self)
{
  if (self->idle_id == 0)
    self->idle_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, deliver, g_object_ref (self), NULL);
}

static void
on_stage (TlPipelineStage stage, const char *message, gpointer user_data)
{
  TlTrainingRun *self = user_data;
  Event ev = { .kind = EVENT_STAGE, .stage = stage, .message = g_strdup (message) };

  g_mutex_lock (&self->lock);
  g_array_append_val (self->events, ev);
  schedule_delivery (self);
  g_mutex_unlock (&self->lock);
}

/* Called with the lock held: adds to the queued points if they are the last
 * event and of the same stage, so that a delivery emits one array per stage. */
static void
add_point (TlTrainingRun *self, TlPipelineStage stage, const TlBatchPoint *point)
{
  guint n = self->events->len;
  Event *last = n > 0 ? &g_array_index (self->events, Event, n - 1) : NULL;

  if (last == NULL || last->kind != EVENT_POINTS || last->stage != stage)
    {
      Event ev = { .kind = EVENT_POINTS, .stage = stage,
                   .points = g_array_new (FALSE, FALSE, sizeof (TlBatchPoint)) };

      g_array_append_val (self->events, ev);
      last = &g_array_index (self->events, Event, n);
    }
  g_array_append_val (last->points, *point);
}

static void
on_batch (TlPipelineStage stage, const TlBatchProgress *progress, gpointer user_data)
{
  TlTrainingRun *self = user_data;
  TlBatchPoint point = {
    (progress->epoch - 1) + (double) progress->batch / MAX (progress->n_batches, 1),
    progress->loss, progress->accuracy,
  };
  TlBatchProgress shown = *progress;
  double paused;

  g_mutex_lock (&self->lock);
  /* The trainer's clock runs on during a pause: the time shown leaves the pauses out. */
  if (progress->elapsed < self->last_elapsed)
    self->pause_base = self->paused_us;
  self->last_elapsed = progress->elapsed;
  paused = (self->paused_us - self->pause_base) / (double) G_USEC_PER_SEC;
  if (paused > 0 && progress->elapsed > 0)
    {
      shown.elapsed = MAX (progress->elapsed - paused, 0.0);
      shown.eta = progress->eta * shown.elapsed / progress->elapsed;
    }
  add_point (self, stage, &point);
  self->batch = shown;
  self->batch_stage = stage;
  self->have_batch = TRUE;
  self->batches_seen++;
  schedule_delivery (self);
  /* Pausing holds the worker here, between two batches. */
  if (self->paused && !self->stopping)
    {
      gint64 since = g_get_monotonic_time ();

      while (self->paused && !self->stopping)
        g_cond_wait (&self->resume_cond, &self->lock);
      self->paused_us += g_get_monotonic_time () - since;
    }
  g_mutex_unlock (&self->lock);
}

static void
on_epoch (TlPipelineStage stage, const TlEpochRecord *record, const TlHistory *history, gpointer user_data)
{
  TlTrainingRun *self = user_data;
  Event ev = { .kind = EVENT_EPOCH, .stage = stage, .epoch = { *record, tl_history_new () } };

  if (history != NULL)
    g_array_append_vals (ev.epoch.history->epochs, history->epochs->data, history->epochs->len);
  else
    g_array_append_val (ev.epoch.history->epochs, *record);
  g_mutex_lock (&self->lock);
  g_array_append_val (self->events, ev);
  schedule_delivery (self);
  g_mutex_unlock (&self->lock);
}

static void
finished (GObject *source, GAsyncResult *res, gpointer data)
{
  TlTrainingRun *self = data;
  g_autoptr (GError) error = NULL;
  TlPipelineResult *result = tl_pipeline_run_finish (res, &error);

  /* Deliver what is still queued before saying it is over. */
  g_mutex_lock (&self->lock);
  if (self->idle_id != 0)
    {
      g_source_remove (self->idle_id);
      self->idle_id = 0;
      g_mutex_unlock (&self->lock);
      /* deliver() drops the reference the removed idle held. */
      deliver (self);
    }
  else
    g_mutex_unlock (&self->lock);

  self->running = FALSE;
  self->result = result;
  if (result == NULL && g_error_matches (error, TL_ERROR, TL_ERROR_CANCELLED))
    g_debug ("stopped before any run finished");
  g_signal_emit (self, signals[FINISHED], 0, result, error);
  g_object_unref (self);
}

static const TlPipelineCallbacks *
callbacks_for (TlTrainingRun *self, TlPipelineCallbacks *callbacks)
{
  callbacks->on_stage = on_stage;
  callbacks->on_batch = on_batch;
  callbacks->on_epoch = on_epoch;
  callbacks->user_data = self;
  return callbacks;
}

static void
start_pipeline (TlTrainingRun *self)
{
  TlPipelineCallbacks callbacks;
  TlPipelineOptions options;

  tl_pipeline_options_init (&options);
  options.output_folder = self->output_folder;
  options.results_root = self->results_root;
  options.retrain = self->retrain;
  options.resume = self->continue_run;
  /* The callbacks keep a pointer to self: the ref is dropped in finished(). */
  tl_pipeline_run_with_options_async (self->exp, &options, callbacks_for (self, &callbacks), self->cancellable,
                                      finished, g_object_ref (self));
}

/* In the worker: the data a generator makes, before the pipeline reads them. */
static void
generate_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  TlTrainingRun *self = source;
  GError *error = NULL;

  if (tl_experiment_generate_data (self->exp, NULL, NULL, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
generated (GObject *source, GAsyncResult *res, gpointer data)
{
  TlTrainingRun *self = TL_TRAINING_RUN (source);
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      self->running = FALSE;
      g_signal_emit (self, signals[FINISHED], 0, NULL, error);
      return;
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_autoptr (GError) cancelled = g_error_new_literal (TL_ERROR, TL_ERROR_CANCELLED, "stopped before the run began");

      self->running = FALSE;
      g_signal_emit (self, signals[FINISHED], 0, NULL, cancelled);
      return;
    }
  start_pipeline (self);
}

void
tl_training_run_start (TlTrainingRun *self)
{
  g_return_if_fail (TL_IS_TRAINING_RUN (self));
  g_return_if_fail (!self->running);

  self->running = TRUE;
  /* a missing folder the experiment names a generator for (the demo's synthetic voices) is made first */
  if (tl_experiment_needs_generation (self->exp))
    {
      const TlDataSourceSpec *spec = &self->exp->source;
      g_autoptr (GTask) task = g_task_new (self, NULL, generated, NULL);
      g_autofree char *folder = NULL, *generator = NULL;

      folder = spec->path != NULL ? tl_experiment_resolve_path (self->exp, spec->path) : NULL;
      if (spec->generate == NULL || folder == NULL || g_file_test (folder, G_FILE_TEST_EXISTS))
        spec = &self->exp->target;
      g_free (folder);
      folder = tl_experiment_resolve_path (self->exp, spec->path);
      generator = tl_experiment_resolve_path (self->exp, spec->generate);
      g_signal_emit (self, signals[GENERATING], 0, folder, generator);
      g_task_run_in_thread (task, generate_in_thread);
      return;
    }
  start_pipeline (self);
}

void
tl_training_run_set_continue (TlTrainingRun *self, gboolean continue_run)
{
  g_return_if_fail (TL_IS_TRAINING_RUN (self));
  g_return_if_fail (!self->running);

  self->continue_run = continue_run;
}

void
tl_training_run_set_results_root (TlTrainingRun *self, const char *results_root)
{
  g_return_if_fail (TL_IS_TRAINING_RUN (self));
  g_return_if_fail (!self->running);

  g_free (self->results_root);
  self->results_root = g_strdup (results_root);
}

void
tl_training_run_set_retrain (TlTrainingRun *self, gboolean retrain)
{
  g_return_if_fail (TL_IS_TRAINING_RUN (self));
  g_return_if_fail (!self->running);

  self->retrain = retrain;
}

void
tl_training_run_pause (TlTrainingRun *self)
{
  g_return_if_fail (TL_IS_TRAINING_RUN (self));

  g_mutex_lock (&self->lock);
  self->paused = TRUE;
  g_mutex_unlock (&self->lock);
}

void
tl_training_run_resume (TlTrainingRun *self)
{
  g_return_if_fail (TL_IS_TRAINING_RUN (self));

  g_mutex_lock (&self->lock);
  self->paused = FALSE;
  g_cond_broadcast (&self->resume_cond);
  g_mutex_unlock (&self->lock);
}

void
tl_training_run_stop (TlTrainingRun *self)
{
  g_return_if_fail (TL_IS_TRAINING_RUN (self));

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->resume_cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->cancellable);
}

gboolean
tl_training_run_is_paused (TlTrainingRun *self)
{
  gboolean paused;

  g_return_val_if_fail (TL_IS_TRAINING_RUN (self), FALSE);
  g_mutex_lock (&self->lock);
  paused = self->paused;
  g_mutex_unlock (&self->lock);
  return paused;
}

gboolean
tl_training_run_is_running (TlTrainingRun *self)
{
  g_return_val_if_fail (TL_IS_TRAINING_RUN (self), FALSE);
  return self->running;
}

TlPipelineResult *
tl_training_run_steal_result (TlTrainingRun *self)
{
  g_return_val_if_fail (TL_IS_TRAINING_RUN (self), NULL);
  return g_steal_pointer (&self->result);
}

guint
tl_training_run_get_n_batch_updates (TlTrainingRun *self)
{
  g_return_val_if_fail (TL_IS_TRAINING_RUN (self), 0);
  return self->batch_updates;
}

guint64
tl_training_run_get_n_batches_seen (TlTrainingRun *self)
{
  guint64 n;

  g_return_val_if_fail (TL_IS_TRAINING_RUN (self), 0);
  g_mutex_lock (&self->lock);
  n = self->batches_seen;
  g_mutex_unlock (&self->lock);
  return n;
}

double
tl_training_run_get_paused_seconds (TlTrainingRun *self)
{
  double seconds;

  g_return_val_if_fail (TL_IS_TRAINING_RUN (self), 0);
  g_mutex_lock (&self->lock);
  seconds = self->paused_us / (double) G_USEC_PER_SEC;
  g_mutex_unlock (&self->lock);
  return seconds;
}

static void
tl_training_run_finalize (GObject *object)
{
  TlTrainingRun *self = TL_TRAINING_RUN (object);

  g_clear_pointer (&self->exp, tl_experiment_free);
  g_free (self->output_folder);
  g_free (self->results_root);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->result, tl_pipeline_result_free);
  g_array_unref (self->events);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->resume_cond);
  G_OBJECT_CLASS (tl_training_run_parent_class)->finalize (object);
}

static void
tl_training_run_class_init (TlTrainingRunClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tl_training_run_finalize;

  signals[STAGE] = g_signal_new ("stage", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  signals[BATCH] = g_signal_new ("batch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_POINTER);
  signals[POINTS] = g_signal_new ("points", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_POINTER);
  signals[EPOCH] = g_signal_new ("epoch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[GENERATING] = g_signal_new ("generating", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                      NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
tl_training_run_init (TlTrainingRun *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->resume_cond);
  self->events = event_queue_new ();
  self->cancellable = g_cancellable_new ();
}

TlTrainingRun *
tl_training_run_new (const TlExperiment *exp, const char *output_folder)
{
  TlTrainingRun *self;

  g_return_val_if_fail (exp != NULL, NULL);

  self = g_object_new (TL_TYPE_TRAINING_RUN, NULL);
  self->exp = tl_experiment_copy (exp);
  /* Export > Fine-Tuned Model takes its preprocessing and provenance from the run's file. */
  self->exp->outputs.exports |= TL_EXPORT_MODELS;
  self->output_folder = g_strdup (output_folder);
  return self;
}
