#pragma once

#include <glib-object.h>

#include "tl-dataset.h"
#include "tl-experiment.h"
#include "tl-metrics.h"
#include "tl-pipeline.h"
#include "tl-preprocess.h"
#include "tl-model.h"
#include "tl-trainer.h"

G_BEGIN_DECLS

/* Which data a role refers to. */
typedef enum {
  TL_ROLE_SOURCE,     /* pretraining data */
  TL_ROLE_TARGET,     /* fine-tuning and evaluation data */
  TL_N_ROLES
} TlDataRole;

typedef struct {
  char      *description;    /* "train.csv, text column 'text', 20 classes" */
  char      *path;           /* the file or folder imported */
  TlDataset *train;
  TlDataset *val;            /* may be NULL */
  TlDataset *test;           /* may be NULL */
  int        vocab_size;     /* text data: size of the vocabulary, else 0 */
  TlPreprocess *preprocess;  /* how the rows were read, as a run reads them; may be NULL */
} TlDataSlot;

#define TL_TYPE_DOCUMENT (tl_document_get_type ())
G_DECLARE_FINAL_TYPE (TlDocument, tl_document, TL, DOCUMENT, GObject)

/* The experiment a window edits: its data, models, settings and results. The
 * pages read it through the getters and change it through the functions below,
 * which emit "changed" with a detail naming what changed (data, model,
 * transfer, params, results, file). */

TlDocument *tl_document_new             (void);
/* The description that is saved: data specs, preset, plan, settings. Owned by
 * the document; a page that edits it in place calls tl_document_changed(). */
TlExperiment *tl_document_get_experiment (TlDocument *self);
/* NULL until saved. */
const char *tl_document_get_path        (TlDocument *self);
gboolean    tl_document_get_modified    (TlDocument *self);
const TlDataSlot *tl_document_get_data  (TlDocument *self, TlDataRole role);
TlPreset    tl_document_get_preset      (TlDocument *self);
/* The architecture, pretrained once tl_document_get_source_trained(). */
TlModel    *tl_document_get_source_model (TlDocument *self);
gboolean    tl_document_get_source_trained (TlDocument *self);
/* Source model with its head rebuilt: the freeze plan lives here. */
TlModel    *tl_document_get_target_model (TlDocument *self);
/* The last run (pretrain, transfer and baseline), or NULL. */
TlPipelineResult *tl_document_get_result (TlDocument *self);
/* The metrics of the main run, or NULL. */
const TlMetrics *tl_document_get_metrics (TlDocument *self);
/* The evaluated model's class per test row of the target, or NULL; n_out gets their count. */
const int  *tl_document_get_predictions (TlDocument *self, int *n_out);
void        tl_document_changed         (TlDocument *self, const char *what);
void        tl_document_set_modified    (TlDocument *self, gboolean modified);
void        tl_document_set_path        (TlDocument *self, const char *path);
/* "fashion-split" from the path, or "Untitled Experiment". */
char       *tl_document_get_title       (TlDocument *self);

/* Takes the datasets. Clears results that depended on them. */
void        tl_document_set_data        (TlDocument *self, TlDataRole role, const char *path,
                                         const char *description, TlDataset *train,
                                         TlDataset *val, TlDataset *test, int vocab_size);
/* Takes the preprocessing the role's data went through (after tl_document_set_data). */
void        tl_document_set_preprocess  (TlDocument *self, TlDataRole role, TlPreprocess *preprocess);
gboolean    tl_document_has_data        (TlDocument *self, TlDataRole role);
/* Builds the source model from the preset for the source data (or the target
 * when there is no source) and the target model from it. */
gboolean    tl_document_set_preset      (TlDocument *self, TlPreset preset, GError **error);
/* The presets that can take the architecture's data, in the order the Model page
 * offers them (up to max; all of them without data): the CNN only for images, the
 * text models only for text they can read, never the MLP over token ids. */
guint       tl_document_list_presets    (TlDocument *self, TlPreset *presets, guint max);
gboolean    tl_document_preset_fits     (TlDocument *self, TlPreset preset);
/* Replaces the architecture with an explicit layer list (the last Dense is the
 * head, sized for the classes) and rebuilds the source model; nothing changes
 * when the stack cannot be built for the data. */
gboolean    tl_document_set_layers      (TlDocument *self, const TlLayerSpec *layers, char *const *names,
                                         int n, GError **error);
/* Whether the architecture is an explicit layer list rather than a preset. */
gboolean    tl_document_has_layers      (TlDocument *self);
/* Copies the freeze plan and learning-rate multipliers of the target model into exp->transfer. */
void        tl_document_store_plan      (TlDocument *self);
/* A copy of the experiment as a run would start it: with the target model's
 * plan stored, the document's own left as it is. */
TlExperiment *tl_document_dup_planned_experiment (TlDocument *self);
/* Applies exp->transfer's plan to the target model. */
void        tl_document_apply_plan      (TlDocument *self);
/* Replaces the experiment (after opening a file); clears data and results. */
void        tl_document_set_experiment  (TlDocument *self, TlExperiment *exp, const char *path);
/* Whether the target model gets a new head: when asked for (transfer.rebuild_head), or when
 * the target's classes are not the source's by name and order. */
gboolean    tl_document_rebuilds_head   (TlDocument *self);
/* Rebuilds the target model from the source model with a head for the target's classes. */
gboolean    tl_document_rebuild_target  (TlDocument *self, GError **error);
/* Loads the experiment's pretrain.model as the source model (trained), as
 * opening the file in the Model step does, without marking the document
 * modified. TRUE without one. */
gboolean    tl_document_load_pretrained (TlDocument *self, GError **error);
/* Takes a pretrained source model (after a run or from a file). */
void        tl_document_set_source_model (TlDocument *self, TlModel *model, gboolean trained,
                                          const char *path);
void        tl_document_clear_results   (TlDocument *self);
/* Takes the result of a pipeline run. */
void        tl_document_set_result      (TlDocument *self, TlPipelineResult *result);
/* A run of the last result by name ("pretrain", "transfer", "baseline"), or NULL. */
TlRunResult *tl_document_get_run        (TlDocument *self, const char *name);
/* The run the Evaluate and Export steps show: transfer, else the last with metrics. */
TlRunResult *tl_document_get_main_run   (TlDocument *self);
/* A run's class per test row as its predictions.csv gives them, when it has n rows; else NULL. */
int        *tl_run_read_predictions     (const TlRunResult *run, int n);
void        tl_document_set_predictions (TlDocument *self, int *predictions, int n);
/* Where the experiment's runs are kept (its run history): the preferences'
 * results folder and the experiment's name, else outputs.folder or results/<name>
 * next to the experiment file; for an experiment never saved, the user's data folder. */
char       *tl_document_dup_results_root (TlDocument *self);
/* Takes the newest run of the history that has results (finished or stopped) as the
 * document's result, models, metrics and curves read from its folder. FALSE when there is none. */
gboolean    tl_document_load_last_result (TlDocument *self);
/* The data the target model trains and is evaluated on: target, else source. */
const TlDataSlot *tl_document_target_slot (TlDocument *self);

G_END_DECLS
