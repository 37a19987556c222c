#pragma once

#include <glib.h>

#include "tl-pipeline.h"

G_BEGIN_DECLS

/* Reads back a job folder the torch engine has run (tl-torch-job.h) and writes
 * a run folder as a local run does: for each stage its model file (with its
 * provenance), history.csv, curves, metrics, confusion and predictions, then
 * experiment.json, summary.json, the comparison plots, and the run history's
 * index. The application evaluates every model on the job's test rows itself;
 * the probabilities must match the engine's own within `tolerance`, or
 * nothing is kept.
 *
 * out NULL: a new dated folder in the run history the job was prepared for.
 * A failure removes the run folder it created. */
gboolean tl_torch_job_collect (const char *job_dir, const char *out, double tolerance,
                               TlPipelineResult **result_out, GError **error);

G_END_DECLS
