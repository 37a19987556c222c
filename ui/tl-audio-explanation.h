#pragma once

#include <gtk/gtk.h>

#include "tl-explanation-panel.h"
#include "tl-model.h"
#include "tl-preprocess.h"

G_BEGIN_DECLS

#define TL_TYPE_AUDIO_EXPLANATION (tl_audio_explanation_get_type ())
G_DECLARE_FINAL_TYPE (TlAudioExplanation, tl_audio_explanation, TL, AUDIO_EXPLANATION, TlExplanationPanel)

/* Which time x frequency regions of one recording's spectrogram the model's
 * predicted class depends on (occlusion masks), computed in a worker thread
 * (tl-explanation-panel.h). */
GtkWidget  *tl_audio_explanation_new       (void);
/* Explains x ([1, bands, frames] as model reads it, read with pre) with a copy
 * of model; NULL model: empty. class_names name the model's outputs. */
void        tl_audio_explanation_set_sample (TlAudioExplanation *self, const TlModel *model, const TlPreprocess *pre,
                                             const float *x, const char *const *class_names);
/* Whether it is ready, and its error: tl_explanation_panel_is_ready, _get_error. */
/* The class explained (-1 before), and times the map was drawn with it. */
int         tl_audio_explanation_get_class (TlAudioExplanation *self);
guint       tl_audio_explanation_get_n_draws (TlAudioExplanation *self);
/* Band and frame of the map's highest score (-1 before). */
void        tl_audio_explanation_get_peak  (TlAudioExplanation *self, int *band, int *frame);

G_END_DECLS
