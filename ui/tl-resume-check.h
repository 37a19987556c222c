#pragma once

#include <gio/gio.h>

#include "tl-experiment.h"

G_BEGIN_DECLS

/* The newest run folder of the results history in root, or NULL. */
char    *tl_newest_run_folder   (const char *root);

/* Whether Resume can continue the newest run of the results history in root
 * with the experiment planned (both taken): its checkpoints are read in a thread. */
void     tl_resume_check_async  (TlExperiment *planned, char *root, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
gboolean tl_resume_check_finish (GAsyncResult *result, GError **error);

G_END_DECLS
