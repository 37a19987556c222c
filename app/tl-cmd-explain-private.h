#pragma once

#include <glib.h>

#include "tl-dataset.h"
#include "tl-model.h"
#include "tl-preprocess.h"

G_BEGIN_DECLS

typedef struct {
  TlModel            *model;
  const TlPreprocess *pre;
  const TlDataset    *ds;
  char              **labels;
  const char         *out;
  int                 patch, stride, steps;
  int                 mask_bands;          /* audio: mel bands and milliseconds one mask covers */
  double              mask_ms;
  guint               formats;             /* 1: PNG, 2: SVG, 4: PDF */
} TlExplainer;

/* Writes row-N-spectrogram-occlusion and -gradients heat maps (in e->formats)
 * and row-N-regions.csv for one audio row; adds the file names to written. */
gboolean tl_explain_audio_row (const TlExplainer *e, int row, const float *x, int target, GPtrArray *written,
                               GError **error);

G_END_DECLS
