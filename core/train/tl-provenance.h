#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-metrics.h"
#include "tl-model.h"
#include "tl-trainer.h"

G_BEGIN_DECLS

/* Where a trained model came from: the "provenance" of a model file's metadata
 * (docs/model-format.md). Every pointer may be NULL: its fields are then left out. */
typedef struct {
  const char          *experiment;       /* the experiment's name */
  const char          *run;              /* "pretrain", "transfer", "baseline" */
  const char          *data;             /* the training data */
  const char          *preset;           /* when the architecture is a preset */
  const char          *pretrained_from;  /* the parent model: a file, or the run it came from */
  guint64              seed;
  int                  epochs;           /* epochs trained */
  const TlTrainConfig *training;         /* hyper-parameters */
  const TlMetrics     *metrics;          /* on the test data */
  int                  unlabeled_texts;  /* target texts counted into the text features (labels unread); 0: none */
  const TlHistory     *history;          /* the privacy spent, and the epochs averaged; may be NULL */
} TlProvenance;

/* The provenance object, with the frozen layers and learning-rate multipliers of model. */
JsonNode *tl_provenance_to_json (const TlProvenance *provenance, const TlModel *model);

G_END_DECLS
