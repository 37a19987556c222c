#pragma once

#include <gio/gio.h>

#include "tl-dataset.h"
#include "tl-model.h"

G_BEGIN_DECLS

/* Each row of test's predicted class by model (copied; test is borrowed and must
 * outlive the task), computed in a thread. */
void tl_predict_classes_async  (TlModel *model, TlDataset *test, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
/* The classes (free with g_free) and their count in n_out, or NULL with error set. */
int *tl_predict_classes_finish (GAsyncResult *result, int *n_out, GError **error);

G_END_DECLS
