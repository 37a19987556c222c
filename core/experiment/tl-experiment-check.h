#pragma once

#include <glib.h>

#include "tl-dataset.h"
#include "tl-experiment.h"

G_BEGIN_DECLS

/* The whole experiment checked before any training: data kinds, shapes, class
 * counts, splits, the architecture against the data, the freeze plan and the
 * training settings. Each problem names the field that causes it, by the dotted
 * path of the experiment file ("transfer.freeze.below"), so that a window can show
 * it on the page where it is fixed and the command line can name it. */

typedef struct {
  char *field;     /* "target.path", "architecture.preset", "transfer.freeze.below", ... */
  char *message;   /* one sentence, translated */
} TlExperimentProblem;

void tl_experiment_problem_free (TlExperimentProblem *problem);

/* What is known of a data source once imported; NULL where it is not (the
 * command line checks before importing, from the experiment file alone). */
typedef struct {
  TlDataKind kind;
  int        sample_ndim;
  int        sample_shape[3];
  int        n_classes;
  int        vocab_size;    /* text: embedding rows */
  int        n_train;       /* labelled rows kept for training */
  int        n_test;        /* test rows; 0 = none */
} TlDataSummary;

void tl_data_summary_from_dataset (TlDataSummary *summary, const TlDataset *train, const TlDataset *test,
                                   int vocab_size);

/* The problems (TlExperimentProblem *, in field order of the file), empty when the
 * experiment can run. source and target may be NULL. */
GPtrArray *tl_experiment_check (const TlExperiment *exp, const TlDataSummary *source,
                                const TlDataSummary *target);

G_END_DECLS
