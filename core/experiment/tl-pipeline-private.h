#pragma once

#include <json-glib/json-glib.h>

#include "tl-model-file.h"
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
/* Writes one run's files into out/folder_name (created), as `outputs` asks: the
 * model file and ONNX graph with `info`, the history (with the privacy spent when
 * `private`), its curves and, when it has metrics, the evaluation of probs
 * against y_true. Sets run->folder and run->model_path. */
gboolean    tl_pipeline_write_run          (const char *out, const char *folder_name, TlRunResult *run,
                                            const TlModelInfo *info, const TlOutputSpec *outputs,
                                            gboolean private, const int *y_true, const TlTensor *probs,
                                            GError **error);
/* Every target run's curves overlaid (comparison.*) and test accuracies as bars
 * (accuracy.*) in `out`, when there are two or more. */
gboolean    tl_pipeline_write_comparison   (const char *out, const TlPipelineResult *result,
                                            const TlOutputSpec *outputs, GError **error);
void        tl_pipeline_run_result_free    (TlRunResult *run);
/* The same architecture as `model` with new weights, a head of n_classes and
 * every layer trainable: the baseline from scratch. */
TlModel    *tl_pipeline_fresh_copy         (const TlModel *model, int n_classes, guint64 seed, GError **error);
/* The members of one run's entry in summary.json (the object is the caller's to
 * begin and end); paths relative to the results folder `out`. */
void        tl_pipeline_add_run_json       (JsonBuilder *b, const TlRunResult *run, const char *out);
/* The entry of one run in a summary, or NULL. */
JsonObject *tl_pipeline_summary_run        (JsonNode *summary, const char *name);
/* The experiment in a form two runs of it share: absolute data paths, and
 * without the fields that do not change results (description, folders). */
TlExperiment *tl_pipeline_experiment_shared (const TlExperiment *exp);
/* The same as text. */
char       *tl_pipeline_experiment_key     (const TlExperiment *exp);
/* Fails when `out` holds a run of another experiment; *found tells whether it holds one at all. */
gboolean    tl_pipeline_check_same_run     (const TlExperiment *exp, const char *out, gboolean *found,
                                            GError **error);

/* What a stage's model depends on, as canonical JSON: the data (paths, sizes and
 * times of their files) and their settings, the architecture, the stage's own
 * settings and the seed. `stage` is "pretrain", "baseline" or a strategy's run
 * name; a strategy's key holds pretrained_hash, the pretraining's hash (NULL
 * when the model comes from pretrain.model, whose file's identity is used). */
char       *tl_pipeline_stage_key          (const TlExperiment *exp, const char *stage,
                                            const char *pretrained_hash);
/* Its SHA-256, in hex: the key two runs reuse a stage's model by. */
char       *tl_pipeline_stage_hash         (const TlExperiment *exp, const char *stage,
                                            const char *pretrained_hash);

G_END_DECLS
