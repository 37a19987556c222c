#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "tl-dataset.h"
#include "tl-experiment.h"
#include "tl-import.h"
#include "tl-metrics.h"
#include "tl-model.h"
#include "tl-trainer.h"

G_BEGIN_DECLS

/* The whole transfer experiment, end to end: import the source and target data,
 * pretrain (or load a model), transfer, fine-tune, run a from-scratch baseline,
 * evaluate each run on the target's test split and write every export into the
 * results folder, with summary.json. Used by `transfer-lab run` and the window. */

typedef enum {
  TL_STAGE_IMPORT_SOURCE,
  TL_STAGE_IMPORT_TARGET,
  TL_STAGE_PRETRAIN,
  TL_STAGE_TRANSFER,
  TL_STAGE_BASELINE,
  TL_STAGE_EXPORT,
  TL_STAGE_DONE,
} TlPipelineStage;

const char *tl_pipeline_stage_name (TlPipelineStage stage);

/* Called from the thread that runs the pipeline (a worker under
 * tl_pipeline_run_async): a user interface should coalesce. Any may be NULL. */
typedef struct {
  void (*on_stage) (TlPipelineStage stage, const char *message, gpointer user_data);
  void (*on_batch) (TlPipelineStage stage, const TlBatchProgress *progress, gpointer user_data);
  void (*on_epoch) (TlPipelineStage stage, const TlEpochRecord *record, const TlHistory *history,
                    gpointer user_data);
  gpointer user_data;
} TlPipelineCallbacks;

/* The run of a private experiment's first strategy trained without privacy. */
#define TL_RUN_NON_PRIVATE "non-private"

/* One trained model and how it did. */
typedef struct {
  char      *name;               /* "pretrain", "transfer", "baseline", a strategy, TL_RUN_NON_PRIVATE */
  TlModel   *model;
  char     **labels;             /* class names of its outputs */
  TlHistory *history;
  TlMetrics *metrics;            /* on the test split; NULL without one */
  int        epochs;             /* epochs trained */
  double     train_seconds;
  guint64    trainable_params;
  guint64    total_params;
  int        cached_layers;      /* layers served from the frozen-feature cache */
  double     cache_seconds;
  char      *folder;             /* where its exports went, or NULL */
  char      *model_path;         /* its model file, or NULL */
  /* SHA-256 of what its model depends on (data, preprocessing, architecture,
   * its settings, seed); NULL for source-only, which trains nothing. */
  char      *inputs_hash;
  /* The earlier run folder whose model of the same inputs it took instead of
   * training, or NULL when it was trained (or loaded to resume). */
  char      *reused_from;
} TlRunResult;

typedef struct {
  GPtrArray *runs;               /* TlRunResult *, in the order they ran */
  char      *output_folder;
  char      *summary_path;
  /* Transfer's training time per epoch against the baseline's (the speed-up of
   * frozen layers and their feature cache); 0 without a baseline. */
  double     speedup;
  gboolean   cancelled;
  /* The run history the run went into (output_folder is then one of its dated
   * run folders); NULL when the run went to a folder given as it is. */
  char      *history_root;
} TlPipelineResult;

void              tl_pipeline_result_free (TlPipelineResult *result);
TlRunResult      *tl_pipeline_result_find (TlPipelineResult *result, const char *name);

/* Runs everything synchronously. output_folder NULL: a new dated run folder in
 * the experiment's run history (tl-run-history.h); otherwise exactly that folder.
 * Cancelling stops after the current batch: the runs finished so far are kept and
 * written, and the error is TL_ERROR_CANCELLED (result_out still receives them). */
gboolean          tl_pipeline_run        (const TlExperiment *exp, const char *output_folder,
                                          const TlPipelineCallbacks *callbacks, GCancellable *cancellable,
                                          TlPipelineResult **result_out, GError **error);

/* The same in a worker thread; the callbacks are called from that thread. */
void              tl_pipeline_run_async  (const TlExperiment *exp, const char *output_folder,
                                          const TlPipelineCallbacks *callbacks, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
TlPipelineResult *tl_pipeline_run_finish (GAsyncResult *result, GError **error);

/* Pieces the command line shares. */

/* One data source imported and split: train always, val and test when there are rows for them. */
typedef struct {
  TlDataset      *train;
  TlDataset      *val;
  TlDataset      *test;
  TlDataset      *unlabeled;   /* training rows whose labels are not used (beyond N per class, or all of
                                * them without use_labels) and unlabeled_path; NULL when there are none.
                                * Images read as bytes stay bytes here (x8): read the rows through
                                * tl_dataset_gather or tl_dataset_subset_floats */
  TlPreprocess   *preprocess;  /* fitted on the training rows, or the one data went through */
  TlImportReport *report;      /* NULL when imported through an existing preprocessing */
  int             test_dropped; /* test rows of classes the model does not know */
} TlPipelineData;

void              tl_pipeline_data_free       (TlPipelineData *data);
/* Imports a source of an experiment: the class subset, a seeded stratified test
 * split (or the separate test file), N per class from the rest, then the
 * validation split. With `through` set, the data are read through that
 * preprocessing (a source's vocabulary and scaling) with their own classes.
 * `what` names the source in messages ("target"). */
TlPipelineData   *tl_pipeline_import          (const TlExperiment *exp, const TlDataSourceSpec *spec,
                                               const TlPreprocess *through, guint64 seed, const char *what,
                                               GError **error);
/* The same without the unlabelled rows (unlabeled stays NULL), which only the
 * strategies that train on them read; fit_documents (or NULL) as below. */
TlPipelineData   *tl_pipeline_import_labelled (const TlExperiment *exp, const TlDataSourceSpec *spec,
                                               const TlPreprocess *through, GPtrArray *fit_documents,
                                               guint64 seed, const char *what, GError **error);
/* The same, calling progress from the importing thread (tl_import_run_with_progress)
 * while the data are read; a source read through a preprocessing reports nothing. */
TlPipelineData   *tl_pipeline_import_labelled_with_progress (const TlExperiment *exp, const TlDataSourceSpec *spec,
                                                             const TlPreprocess *through, GPtrArray *fit_documents,
                                                             guint64 seed, const char *what,
                                                             TlImportProgressFunc progress, gpointer progress_data,
                                                             GError **error);
/* tl_pipeline_import with unlabelled documents (GStrv each) counted into fitted text features. */
TlPipelineData   *tl_pipeline_import_with_documents (const TlExperiment *exp, const TlDataSourceSpec *spec,
                                                     const TlPreprocess *through, GPtrArray *fit_documents,
                                                     guint64 seed, const char *what, GError **error);
/* The IDX files both the source and the target read (the same path), read now
 * and held until the array is freed, so that both imports share one copy. */
GPtrArray        *tl_pipeline_hold_shared_files (const TlExperiment *exp);
/* The words of the target's rows that a run does not test on (its labels are not
 * read), and of its unlabeled_path: text for the source's features to count.
 * Empty when the target is not text. */
GPtrArray        *tl_pipeline_target_documents (const TlExperiment *exp, GError **error);
/* The unlabelled documents the source's text features count, as a run counts
 * them: the target's (above) with transfer.unlabeled_text and a CSV source,
 * else none (an empty array). NULL on error. */
GPtrArray        *tl_pipeline_source_documents (const TlExperiment *exp, GError **error);
/* How a model of arch reads text: as bags of n-grams unless it reads token
 * sequences (the text-lstm and text-pool presets, or layers that start with an
 * Embedding). The default model (text-ngram) reads bags. */
TlTextFeatures    tl_pipeline_text_features  (const TlArchitectureSpec *arch);
/* Import settings for one data source of an experiment (paths resolved). */
TlImportSettings *tl_pipeline_import_settings (const TlExperiment *exp, const TlDataSourceSpec *spec,
                                               guint64 seed);
void              tl_pipeline_train_config    (const TlTrainSpec *spec, guint64 seed, TlTrainConfig *config);
/* A fresh model of the experiment's architecture for data of this shape. */
TlModel          *tl_pipeline_build_model     (const TlArchitectureSpec *arch, const TlDataset *ds,
                                               int vocab_size, guint64 seed, GError **error);
/* Resolves a layer given by name or decimal index. */
int               tl_pipeline_find_layer      (const TlModel *model, const char *name_or_index,
                                               GError **error);
/* Applies the freeze plan and learning-rate multipliers of a transfer spec. */
gboolean          tl_pipeline_apply_freeze    (TlModel *model, const TlTransferSpec *spec, GError **error);

/* Writes the evaluation exports of `exports` (TlExportFlags: confusion, metrics,
 * predictions) into folder, the plots in `plot_formats`. */
gboolean          tl_pipeline_write_evaluation (const char *folder, const TlMetrics *metrics,
                                                const int *y_true, const TlTensor *probs,
                                                guint exports, guint plot_formats, const char *title,
                                                GError **error);
/* Horizontal bars of each run's test accuracy (in [0, 1]), as PNG, SVG or PDF by the path's extension. */
gboolean          tl_pipeline_write_accuracies (const char *path, const char *const *names,
                                                const double *accuracies, int n, GError **error);
/* Loss and accuracy curves of one or more runs side by side, in one file. */
gboolean          tl_pipeline_write_curves    (const char *path, const TlHistory *const *histories,
                                               const char *const *labels, int n, GError **error);

/* Continuing an interrupted run. Each training stage (each phase of gradual
 * unfreezing too) writes a checkpoint after every epoch into the results
 * folder's checkpoints/ and removes it once the stage's model is saved. */
typedef struct {
  /* Exactly this folder (an earlier run in it is replaced). NULL: a new dated
   * folder in the run history, e.g. results/<name>/2026-12-05T20-40-12/, and
   * runs.json of the history updated afterwards. */
  const char *output_folder;
  /* Continue the run in the results folder: stages whose model file, history
   * and summary entry are there are loaded, not retrained; the interrupted
   * stage continues from its checkpoint; the rest runs as usual. The result is
   * bitwise the one an uninterrupted run gives. Fails with
   * TL_ERROR_INVALID_ARGUMENT when the folder holds a run of another experiment.
   * Without output_folder: the newest stopped run of the history, when it is a
   * run of this experiment; else a new run. */
  gboolean    resume;
  /* The run history's folder; NULL: tl_run_history_root (exp, NULL), that is
   * outputs.folder or results/<name> next to the experiment file. Reused
   * stages are looked for there too. */
  const char *results_root;
  /* Train every stage, even those whose inputs match a run in the history
   * (by default their models are reused, and summary.json says from where). */
  gboolean    retrain;
} TlPipelineOptions;

void              tl_pipeline_options_init    (TlPipelineOptions *options);
gboolean          tl_pipeline_run_with_options (const TlExperiment *exp, const TlPipelineOptions *options,
                                                const TlPipelineCallbacks *callbacks, GCancellable *cancellable,
                                                TlPipelineResult **result_out, GError **error);
void              tl_pipeline_run_with_options_async (const TlExperiment *exp, const TlPipelineOptions *options,
                                                      const TlPipelineCallbacks *callbacks,
                                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                                      gpointer user_data);
/* TRUE when `folder` holds an interrupted run of exp (checkpoints, or the
 * summary of a stopped run). FALSE with TL_ERROR_INVALID_ARGUMENT when it holds
 * a run of another experiment, FALSE without an error when there is nothing to continue.
 * folder NULL: whether the newest run of exp's history is one to continue. */
gboolean          tl_pipeline_can_resume      (const TlExperiment *exp, const char *folder, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlPipelineResult, tl_pipeline_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlPipelineData, tl_pipeline_data_free)

G_END_DECLS
