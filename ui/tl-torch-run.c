#define G_LOG_DOMAIN "tl-torch-run"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <unistd.h>

#include "tl-error.h"
#include "tl-torch-collect.h"
#include "tl-torch-job.h"
#include "tl-torch-probe.h"
#include "tl-torch-run.h"

/* Probabilities the application and the engine compute for the same model and rows agree within this. */
#define TORCH_TOLERANCE 1e-4
/* The engine's last lines of output kept for the error message of a failed run. */
#define TAIL_LINES 12

struct _TlTorchRun
{
  GObject           parent_instance;

  TlExperiment     *exp;
  char             *results_root;
  char             *python;
  char             *device;
  char             *tmp;           /* the temporary folder holding job/ */
  char             *job;
  GSubprocess      *process;
  GDataInputStream *output;
  GCancellable     *cancellable;   /* of the output reader */
  GQueue            tail;          /* of char *: the last lines that were not progress */
  gboolean          stopped;
  gboolean          engine_started; /* a failure after this keeps the job for a look */
  int               stage_epochs;   /* of the stage in training, as the engine said */
  gboolean          output_done, exited;
  GError           *exit_error;
  TlPipelineResult *result;
  guint             n_epochs;
};

G_DEFINE_FINAL_TYPE (TlTorchRun, tl_torch_run, G_TYPE_OBJECT)

enum { STAGE, EPOCH, FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

void
tl_remove_folder_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          tl_remove_folder_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static void
finish (TlTorchRun *self, TlPipelineResult *result, const GError *error)
{
  g_autoptr (TlTorchRun) hold = g_object_ref (self);

  if (self->tmp != NULL && (error == NULL || self->stopped || !self->engine_started))
    {
      tl_remove_folder_tree (self->tmp);
      g_clear_pointer (&self->tmp, g_free);
    }
  self->result = result;
  g_signal_emit (self, signals[FINISHED], 0, result, error);
}

static void
finish_stopped (TlTorchRun *self)
{
  g_autoptr (GError) error = g_error_new_literal (TL_ERROR, TL_ERROR_CANCELLED, _("Stopped"));

  finish (self, NULL, error);
}

/* Collecting */

static void
collect_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  const char *job = task_data;
  TlPipelineResult *result = NULL;
  GError *error = NULL;

  if (tl_torch_job_collect (job, NULL, TORCH_TOLERANCE, &result, &error))
    g_task_return_pointer (task, result, (GDestroyNotify) tl_pipeline_result_free);
  else
    g_task_return_error (task, error);
}

void
tl_torch_run_collect_job_async (const char *job_dir, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (task, tl_torch_run_collect_job_async);
  g_task_set_task_data (task, g_strdup (job_dir), g_free);
  g_task_run_in_thread (task, collect_thread);
}

TlPipelineResult *
tl_torch_run_collect_job_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
collected (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (TlTorchRun) self = data;
  g_autoptr (GError) error = NULL;
  TlPipelineResult *result = tl_torch_run_collect_job_finish (res, &error);

  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The PyTorch run finished but its results cannot be read "
                                                     "back: %s (its job folder is kept: %s)"), error->message,
                                                   self->job);
      g_autoptr (GError) failed = g_error_new_literal (TL_ERROR, TL_ERROR_FAILED, message);

      finish (self, NULL, failed);
      return;
    }
  finish (self, result, NULL);
}

static void
engine_done (TlTorchRun *self)
{
  g_autoptr (GString) tail = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  if (!self->output_done || !self->exited)
    return;
  g_clear_object (&self->process);
  if (self->stopped)
    {
      finish_stopped (self);
      return;
    }
  if (self->exit_error != NULL)
    {
      for (GList *l = self->tail.head; l != NULL; l = l->next)
        g_string_append_printf (tail, "\n%s", (const char *) l->data);
      error = g_error_new (TL_ERROR, TL_ERROR_FAILED, _("The PyTorch engine failed (%s); its job folder is kept: "
                                                         "%s%s"), self->exit_error->message, self->job, tail->str);
      finish (self, NULL, error);
      return;
    }
  g_signal_emit (self, signals[STAGE], 0, TL_STAGE_EXPORT, NULL);
  tl_torch_run_collect_job_async (self->job, collected, g_object_ref (self));
}

/* Following the engine */

static int
stage_of (const char *name)
{
  if (g_strcmp0 (name, "pretrain") == 0)
    return TL_STAGE_PRETRAIN;
  if (g_strcmp0 (name, "baseline") == 0)
    return TL_STAGE_BASELINE;
  return TL_STAGE_TRANSFER;
}

static float
member_float (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? (float) json_node_get_double (node) : NAN;
}

/* TRUE when the line was one of the engine's progress reports. */
static gboolean
progress_line (TlTorchRun *self, const char *line)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  const char *event;

  if (line[0] != '{' || !json_parser_load_from_data (parser, line, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  o = json_node_get_object (json_parser_get_root (parser));
  event = json_object_get_string_member_with_default (o, "event", NULL);
  if (g_strcmp0 (event, "stage") == 0)
    {
      const char *stage = json_object_get_string_member_with_default (o, "stage", "");
      g_autofree char *message = g_strdup_printf ("%s: %" G_GINT64_FORMAT " samples on %s", stage,
                                                  json_object_get_int_member_with_default (o, "samples", 0),
                                                  json_object_get_string_member_with_default (o, "device", "?"));

      g_signal_emit (self, signals[STAGE], 0, stage_of (stage), message);
    }
  else if (g_strcmp0 (event, "epoch") == 0)
    {
      TlEpochRecord record = { 0 };

      record.epoch = (int) json_object_get_int_member_with_default (o, "epoch", 0);
      record.train_loss = member_float (o, "train_loss");
      record.train_accuracy = member_float (o, "train_accuracy");
      record.val_loss = member_float (o, "val_loss");
      record.val_accuracy = member_float (o, "val_accuracy");
      record.learning_rate = member_float (o, "learning_rate");
      record.seconds = json_object_get_double_member_with_default (o, "seconds", 0);
      record.epsilon = NAN;
      self->stage_epochs = (int) json_object_get_int_member_with_default (o, "epochs", 0);
      self->n_epochs++;
      g_signal_emit (self, signals[EPOCH], 0,
                     stage_of (json_object_get_string_member_with_default (o, "stage", "")), &record, NULL);
    }
  else if (event == NULL)
    return FALSE;
  return TRUE;
}

static void read_next_line (TlTorchRun *self);

static void
line_read (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (TlTorchRun) self = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), res, NULL,
                                                                      &error);

  if (line == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("engine output: %s", error->message);
      self->output_done = TRUE;
      engine_done (self);
      return;
    }
  if (!progress_line (self, line))
    {
      g_debug ("engine: %s", line);
      g_queue_push_tail (&self->tail, g_steal_pointer (&line));
      if (self->tail.length > TAIL_LINES)
        g_free (g_queue_pop_head (&self->tail));
    }
  read_next_line (self);
}

static void
read_next_line (TlTorchRun *self)
{
  g_data_input_stream_read_line_async (self->output, G_PRIORITY_DEFAULT, self->cancellable, line_read,
                                       g_object_ref (self));
}

static void
waited (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (TlTorchRun) self = data;
  GError *error = NULL;

  if (g_subprocess_wait_check_finish (G_SUBPROCESS (source), res, &error))
    ;
  else
    self->exit_error = error;
  self->exited = TRUE;
  engine_done (self);
}

/* Its own process group, so that Stop reaches torchrun's workers too. */
static void
child_setup (gpointer data)
{
  setpgid (0, 0);
}

static void
start_engine (TlTorchRun *self)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_auto (GStrv) argv = tl_torch_job_argv (self->python, NULL, self->job, 1, self->device);
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "TL_TORCH_PROGRESS", "json", TRUE);
  g_subprocess_launcher_setenv (launcher, "PYTHONUNBUFFERED", "1", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv, &error);
  if (self->process == NULL)
    {
      g_autoptr (GError) failed = g_error_new (TL_ERROR, TL_ERROR_FAILED, _("The PyTorch engine cannot be started: "
                                                                            "%s"), error->message);
      finish (self, NULL, failed);
      return;
    }
  self->engine_started = TRUE;
  self->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  read_next_line (self);
  g_subprocess_wait_check_async (self->process, NULL, waited, g_object_ref (self));
}

/* Preparing */

typedef struct {
  TlExperiment *exp;
  char         *results_root;
  char         *device;
  char         *job;
} PrepareJob;

static void
prepare_job_free (PrepareJob *p)
{
  tl_experiment_free (p->exp);
  g_free (p->results_root);
  g_free (p->device);
  g_free (p->job);
  g_free (p);
}

static void
prepare_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PrepareJob *p = task_data;
  TlTorchJobOptions options = { tl_torch_engine_dir (), 1, p->device, p->results_root };
  GError *error = NULL;

  if (tl_torch_job_prepare (p->exp, &options, p->job, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
tl_torch_run_prepare_job_async (const TlExperiment *exp, const char *results_root, const char *device,
                                const char *job_dir, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, callback, user_data);
  PrepareJob *p = g_new0 (PrepareJob, 1);

  p->exp = tl_experiment_copy (exp);
  p->results_root = g_strdup (results_root);
  p->device = g_strdup (device);
  p->job = g_strdup (job_dir);
  g_task_set_source_tag (task, tl_torch_run_prepare_job_async);
  g_task_set_task_data (task, p, (GDestroyNotify) prepare_job_free);
  g_task_run_in_thread (task, prepare_thread);
}

gboolean
tl_torch_run_prepare_job_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
prepared (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (TlTorchRun) self = data;
  g_autoptr (GError) error = NULL;

  if (!tl_torch_run_prepare_job_finish (res, &error))
    {
      finish (self, NULL, error);
      return;
    }
  if (self->stopped)
    {
      finish_stopped (self);
      return;
    }
  start_engine (self);
}

TlTorchRun *
tl_torch_run_new (const TlExperiment *exp, const char *results_root, const char *python, const char *device)
{
  TlTorchRun *self;

  g_return_val_if_fail (exp != NULL && python != NULL && device != NULL, NULL);

  self = g_object_new (TL_TYPE_TORCH_RUN, NULL);
  self->exp = tl_experiment_copy (exp);
  self->results_root = g_strdup (results_root);
  self->python = g_strdup (python);
  self->device = g_strdup (device);
  return self;
}

void
tl_torch_run_start (TlTorchRun *self)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (TL_IS_TORCH_RUN (self));
  g_return_if_fail (self->tmp == NULL);

  self->tmp = g_dir_make_tmp ("tl-torch-XXXXXX", &error);
  if (self->tmp == NULL)
    {
      finish (self, NULL, error);
      return;
    }
  self->job = g_build_filename (self->tmp, "job", NULL);
  g_signal_emit (self, signals[STAGE], 0, TL_STAGE_IMPORT_SOURCE, NULL);
  tl_torch_run_prepare_job_async (self->exp, self->results_root, self->device, self->job, prepared,
                                  g_object_ref (self));
}

void
tl_torch_run_stop (TlTorchRun *self)
{
  g_return_if_fail (TL_IS_TORCH_RUN (self));

  if (self->stopped)
    return;
  self->stopped = TRUE;
  if (self->process != NULL)
    {
      const char *id = g_subprocess_get_identifier (self->process);

      if (id != NULL)
        kill (-(pid_t) g_ascii_strtoll (id, NULL, 10), SIGTERM);
    }
}

TlPipelineResult *
tl_torch_run_steal_result (TlTorchRun *self)
{
  g_return_val_if_fail (TL_IS_TORCH_RUN (self), NULL);
  return g_steal_pointer (&self->result);
}

int
tl_torch_run_get_stage_epochs (TlTorchRun *self)
{
  g_return_val_if_fail (TL_IS_TORCH_RUN (self), 0);
  return self->stage_epochs;
}

guint
tl_torch_run_get_n_epochs (TlTorchRun *self)
{
  g_return_val_if_fail (TL_IS_TORCH_RUN (self), 0);
  return self->n_epochs;
}

static void
tl_torch_run_finalize (GObject *object)
{
  TlTorchRun *self = TL_TORCH_RUN (object);

  /* the output reader and the wait hold references: a run is finalized once they are done */
  g_clear_object (&self->output);
  g_clear_object (&self->process);
  g_clear_object (&self->cancellable);
  g_queue_clear_full (&self->tail, g_free);
  g_clear_error (&self->exit_error);
  g_clear_pointer (&self->result, tl_pipeline_result_free);
  tl_experiment_free (self->exp);
  g_free (self->results_root);
  g_free (self->python);
  g_free (self->device);
  g_free (self->tmp);
  g_free (self->job);
  G_OBJECT_CLASS (tl_torch_run_parent_class)->finalize (object);
}

static void
tl_torch_run_class_init (TlTorchRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tl_torch_run_finalize;
  signals[STAGE] = g_signal_new ("stage", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  signals[EPOCH] = g_signal_new ("epoch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
}

static void
tl_torch_run_init (TlTorchRun *self)
{
  g_queue_init (&self->tail);
  self->cancellable = g_cancellable_new ();
}
