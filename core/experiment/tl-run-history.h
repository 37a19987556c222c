#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-experiment.h"
#include "tl-trainer.h"

G_BEGIN_DECLS

/* The runs of an experiment, kept side by side.
 *
 * Each run of `transfer-lab run` (and of the window) goes into its own dated
 * folder inside the experiment's results folder, its history root:
 * results/<name>/2026-12-05T20-40-12/ next to the experiment file, or under
 * outputs.folder. A run folder holds experiment.json (the experiment as run)
 * and, once it has finished or stopped, summary.json. The history root also
 * holds runs.json, an index rewritten (atomically) after every run; the run
 * folders are the truth, so a missing or broken index only costs a warning. */

typedef enum {
  TL_RUN_FINISHED,     /* summary.json of a run that went to the end */
  TL_RUN_STOPPED,      /* cancelled: summary.json says so, or checkpoints are left; can be resumed */
  TL_RUN_INCOMPLETE,   /* no summary: still running, or it failed */
} TlRunStatus;

const char *tl_run_status_name (TlRunStatus status);   /* "finished", "stopped", "incomplete" */

/* One run folder. */
typedef struct {
  char         *folder;       /* absolute */
  char         *id;           /* the folder's name, "2026-12-05T20-40-12" */
  GDateTime    *started;      /* from summary.json, else the folder's name, else its time */
  TlRunStatus   status;
  TlExperiment *experiment;   /* its experiment.json; NULL when unreadable */
  JsonNode     *summary;      /* its summary.json; NULL when absent or unreadable */
  /* Within a history: the settings (dotted keys, as in --set) that differ from
   * the previous run's; NULL for the first run or when either is unreadable. */
  char        **changes;
} TlRunRecord;

void         tl_run_record_free         (TlRunRecord *record);
/* Reads one run folder. Fails when it holds no experiment.json. */
TlRunRecord *tl_run_record_load         (const char *folder, GError **error);
/* The names of its runs ("pretrain", "transfer", ...) in summary order; empty without a summary. */
GStrv        tl_run_record_run_names    (const TlRunRecord *record);
/* Its entry for one run in summary.json, or NULL. */
JsonObject  *tl_run_record_entry        (const TlRunRecord *record, const char *run);
/* Test accuracy of one run, NAN when it has none. */
double       tl_run_record_accuracy     (const TlRunRecord *record, const char *run);
/* The folder one run went to (absolute), or NULL. */
char        *tl_run_record_run_folder   (const TlRunRecord *record, const char *run);
/* The run's training curves (its history.csv), or NULL with an error. */
TlHistory   *tl_run_record_load_history (const TlRunRecord *record, const char *run, GError **error);
/* The earlier run folder a stage's model was reused from, or NULL when it was trained. */
const char  *tl_run_record_reused_from  (const TlRunRecord *record, const char *run);

typedef struct {
  char      *root;            /* the history root */
  GPtrArray *records;         /* TlRunRecord *, oldest first */
  /* Set when runs.json was present but unreadable: the runs were listed from
   * their folders instead, and the next run rewrites it. */
  char      *index_warning;
} TlRunHistory;

void          tl_run_history_free        (TlRunHistory *history);
/* Where an experiment's runs go: results_root when given, else outputs.folder,
 * else results/<name> next to the experiment file. */
char         *tl_run_history_root        (const TlExperiment *exp, const char *results_root);
/* The runs in a history root, oldest first; an absent root is an empty history. */
TlRunHistory *tl_run_history_load        (const char *root, GError **error);
TlRunHistory *tl_run_history_for_experiment (const TlExperiment *exp, const char *results_root,
                                             GError **error);
/* The newest run, or NULL when there is none. */
TlRunRecord  *tl_run_history_latest      (const TlRunHistory *history);
/* Rewrites runs.json from the run folders (atomically). */
gboolean      tl_run_history_write_index (TlRunHistory *history, GError **error);
/* The index's content: {"experiment", "runs": [{"id", "folder", "started",
 * "status", "accuracy": {run: value}, "reused": {run: folder}, "changes": [keys]}]} */
JsonNode     *tl_run_history_to_json     (const TlRunHistory *history);

/* Creates a new dated run folder in root ("2026-12-05T20-40-12", then "-2",
 * "-3"... when taken) and returns its path. */
char         *tl_run_history_new_folder  (const char *root, GDateTime *now, GError **error);
/* TRUE when folder holds summary.json of a run that was not cancelled. */
gboolean      tl_run_folder_is_finished  (const char *folder);

/* Settings as dotted keys ("transfer.epochs") with their JSON text, from the
 * experiment in the form two runs share (absolute data paths, without the
 * description and the folders). */
GHashTable   *tl_run_experiment_settings (const TlExperiment *exp);

/* Two runs side by side. */
typedef struct {
  char *key;        /* dotted path, as --set takes it */
  char *a;          /* JSON text of the value in each run; NULL when absent there */
  char *b;
} TlSettingChange;

typedef struct {
  char   *run;        /* "pretrain", "transfer", ... */
  gboolean in_a, in_b;
  double  accuracy_a, accuracy_b;   /* NAN when none */
  double  macro_f1_a, macro_f1_b;
  int     epochs_a, epochs_b;
  double  seconds_a, seconds_b;
  int     test_samples_a, test_samples_b;
} TlRunMetricsPair;

typedef struct {
  char   *run;
  int     n_classes;
  char  **labels;     /* n_classes */
  gint64 *a, *b;      /* n_classes x n_classes counts, true label by row */
  gint64 *diff;       /* b - a */
} TlConfusionDiff;

typedef struct {
  TlRunRecord *a, *b;          /* borrowed from the caller */
  GPtrArray   *settings;       /* TlSettingChange *, by key */
  GPtrArray   *runs;           /* TlRunMetricsPair *, in a's order then b's new ones */
  GPtrArray   *confusion;      /* TlConfusionDiff *, runs in both with the same classes */
  GPtrArray   *notes;          /* char *: confusion matrices that could not be compared, and why */
} TlRunComparison;

void             tl_run_comparison_free    (TlRunComparison *comparison);
TlRunComparison *tl_run_compare            (TlRunRecord *a, TlRunRecord *b, GError **error);
JsonNode        *tl_run_comparison_to_json (const TlRunComparison *comparison);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlRunRecord, tl_run_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlRunHistory, tl_run_history_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlRunComparison, tl_run_comparison_free)

G_END_DECLS
