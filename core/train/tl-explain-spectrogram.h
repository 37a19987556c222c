#pragma once

#include <glib.h>

#include "tl-model.h"
#include "tl-preprocess.h"

G_BEGIN_DECLS

/* Explanations of an audio model's prediction over its input spectrogram
 * [1, bands, frames]: which time x frequency regions the class depends on. */

typedef struct {
  int          band_patch;    /* bands one mask covers */
  int          frame_patch;   /* frames one mask covers */
  int          band_stride;   /* 0: half the patch (at least 1) */
  int          frame_stride;
  int          steps;         /* integrated-gradients steps; 0: no gradients */
  const float *fill;          /* what a masked cell becomes, [bands * frames]; NULL: zeros */
} TlSpectrogramExplainOptions;

typedef struct {
  int     bands;
  int     frames;
  int     target;
  int     band_patch;
  int     frame_patch;
  double  probability;        /* of target, for the whole spectrogram */
  float  *occlusion;          /* [bands, frames]: mean drop in target's probability when masked */
  float  *gradients;          /* [bands, frames]: integrated gradients from fill, or NULL */
  double  gradient_sum;       /* their sum, and F(x) - F(fill) it should match */
  double  difference;
} TlSpectrogramExplanation;

void tl_spectrogram_explain_options_init (TlSpectrogramExplainOptions *options);

TlSpectrogramExplanation *tl_explain_spectrogram (TlModel *model, const float *x, int target,
                                                  const TlSpectrogramExplainOptions *options, GError **error);
void tl_spectrogram_explanation_free (TlSpectrogramExplanation *e);

/* One band_patch x frame_patch tile of the explanation, the last ones at the
 * edges smaller: its occlusion score averaged and its gradients summed. */
typedef struct {
  int    band0, band1;        /* [band0, band1) */
  int    frame0, frame1;
  double occlusion;
  double gradients;
} TlSpectrogramTile;

/* The tiles, most important (highest occlusion score) first. */
GArray *tl_spectrogram_explanation_tiles (const TlSpectrogramExplanation *e);

/* What a masked cell of x becomes for an audio model read with pre: the average
 * level (0) of normalised features, else x's quietest value. */
float  *tl_spectrogram_mask_fill (const TlPreprocess *pre, const float *x, int bands, int frames);

/* Whether model reads spectrograms [1, bands, frames] of audio read with pre. */
gboolean tl_explain_takes_spectrograms (const TlModel *model, const TlPreprocess *pre);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlSpectrogramExplanation, tl_spectrogram_explanation_free)

G_END_DECLS
