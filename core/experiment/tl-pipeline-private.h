#pragma once

#include <json-glib/json-glib.h>

#include "tl-pipeline.h"

G_BEGIN_DECLS

/* Checkpoints of a results folder: checkpoints/<stage>.ckpt, or
 * checkpoints/<stage>-<phase>.ckpt for each phase of gradual unfreezing. */
char       *tl_pipeline_checkpoint_path    (const char *out, const char *stage, int phase);
/* stage NULL: any stage. */
gboolean    tl_pipeline_has_checkpoints    (const char *out, const char *stage);
gboolean    tl_pipeline_remove_checkpoints (const char *out, const char *stage, GError **error);
/* Epochs a checkpoint holds, and whether early stopping (patience, with
 * validation data) ended the run at its last epoch. */
gboolean    tl_pipeline_checkpoint_peek    (const char *path, gboolean has_val, int patience,
                                            int *epochs_done, gboolean *stopped_early, GError **error);
/* Reads what tl_export_history_csv wrote. */
TlHistory  *tl_pipeline_load_history       (const char *path, GError **error);
/* summary.json of a results folder, or NULL when absent or unreadable. */
JsonNode   *tl_pipeline_load_summary       (const char *out);
/* The entry of one run in a summary, or NULL. */
JsonObject *tl_pipeline_summary_run        (JsonNode *summary, const char *name);
/* The experiment in a form two runs of it share: absolute data paths, and
 * without the fields that do not change results (description, folders). */
char       *tl_pipeline_experiment_key     (const TlExperiment *exp);
/* Fails when `out` holds a run of another experiment; *found tells whether it holds one at all. */
gboolean    tl_pipeline_check_same_run     (const TlExperiment *exp, const char *out, gboolean *found,
                                            GError **error);

G_END_DECLS
