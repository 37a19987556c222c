#include "config.h"

#include <gio/gio.h>

#include "tl-pipeline.h"
#include "tl-resume-check.h"
#include "tl-run-history.h"

char *
tl_newest_run_folder (const char *root)
{
  g_autoptr (TlRunHistory) history = tl_run_history_load (root, NULL);
  TlRunRecord *latest = history != NULL ? tl_run_history_latest (history) : NULL;

  return latest != NULL ? g_strdup (latest->folder) : NULL;
}

typedef struct {
  TlExperiment *planned;
  char         *folder;
} ResumeCheck;

static void
resume_check_free (ResumeCheck *check)
{
  tl_experiment_free (check->planned);
  g_free (check->folder);
  g_free (check);
}

static void
resume_check_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ResumeCheck *check = task_data;
  g_autofree char *newest = tl_newest_run_folder (check->folder);

  g_task_return_boolean (task, newest != NULL && tl_pipeline_can_resume (check->planned, newest, NULL));
}

void
tl_resume_check_async (TlExperiment *planned, char *folder, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ResumeCheck *check = g_new0 (ResumeCheck, 1);

  check->planned = planned;
  check->folder = folder;
  g_task_set_source_tag (task, tl_resume_check_async);
  g_task_set_task_data (task, check, (GDestroyNotify) resume_check_free);
  g_task_run_in_thread (task, resume_check_thread);
}

gboolean
tl_resume_check_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tl_resume_check_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
