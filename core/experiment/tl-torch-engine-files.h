#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Copies the torch engine from engine_dir (tl_torch_engine/ and the model
 * bridge beside it: transfer_lab_torch.py and transfer_lab_graph.py) into
 * JOB/engine/, so that a job folder runs wherever it is copied. */
gboolean tl_torch_engine_vendor (const char *engine_dir, const char *job, GError **error);

G_END_DECLS
