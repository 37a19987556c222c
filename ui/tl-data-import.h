#pragma once

#include <gio/gio.h>

#include "tl-experiment.h"
#include "tl-import.h"
#include "tl-pipeline.h"

G_BEGIN_DECLS

/* Import settings for a data source of an experiment (paths resolved against
 * the experiment's folder), and back. */
TlImportSettings *tl_data_spec_to_settings   (const TlExperiment *exp, const TlDataSourceSpec *spec);
void              tl_data_spec_from_settings (TlDataSourceSpec *spec, const char *path,
                                              const TlImportSettings *settings);

typedef struct {
  char      *path;
  TlImport  *import;           /* the import's own report, split and preprocessing, without its rows */
  TlPipelineData *data;        /* from tl_data_import_experiment_async */
  TlDataset *train, *val, *test;
  int        n_classes;
  int        n_rows;
  int        vocab_size;
  char      *format;
  GPtrArray *shared_files;     /* the experiment's source: the files its target reads too, held
                                * (tl_pipeline_hold_shared_files) for the target's import to share */
} TlDataImportResult;

void tl_data_import_result_free (TlDataImportResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlDataImportResult, tl_data_import_result_free)

/* Runs tl_import_run in a worker thread for its report (classes, counts, rejected
 * rows): the rows are not kept, so import->dataset, train, val and test are NULL.
 * The settings are copied. */
void                tl_data_import_async  (const char *path, const TlImportSettings *settings,
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data);
/* The same, calling progress on the main loop with the fraction done: the worker
 * keeps the latest fraction under a mutex and schedules at most one idle at a
 * time. progress_data is released with progress_destroy once nothing more is delivered.
 * With exp (copied), train, val and test are the labelled rows a run of exp uses
 * for that role (tl_pipeline_import_labelled, through `through` for the target),
 * and a source is read once, as the run reads it (import stays NULL); without
 * exp, they are NULL as above. */
void                tl_data_import_async_with_progress (const char *path, const TlImportSettings *settings,
                                                        const TlExperiment *exp, gboolean target,
                                                        const TlPreprocess *through,
                                                        GCancellable *cancellable,
                                                        TlImportProgressFunc progress, gpointer progress_data,
                                                        GDestroyNotify progress_destroy,
                                                        GAsyncReadyCallback callback, gpointer user_data);
/* For either of the two above. */
TlDataImportResult *tl_data_import_finish (GAsyncResult *result, GError **error);

/* Imports a data source of an experiment as the pipeline does (class subset,
 * test split, N per class, validation split); the experiment is copied. A target
 * is read through `through` (copied; may be NULL), as a run reads it through the
 * source's or the pretrained model's preprocessing. */
void                tl_data_import_experiment_async (const TlExperiment *exp, gboolean target,
                                                     const TlPreprocess *through,
                                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                                     gpointer user_data);
TlDataImportResult *tl_data_import_experiment_finish (GAsyncResult *result, GError **error);

/* A copy of the preprocessing a run reads the target through: the pretrained
 * model's, else the source's (imported_source), or NULL. */
TlPreprocess       *tl_data_import_through (const TlExperiment *exp, const TlPreprocess *imported_source);
TlPreprocess       *tl_data_import_dup_preprocess      (const TlPreprocess *pre);

/* "train.csv · 20 classes · 8,000 / 1,000 / 1,000" */
char *tl_data_import_describe (const TlDataImportResult *result);

G_END_DECLS
