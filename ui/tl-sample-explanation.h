#pragma once

#include <gtk/gtk.h>

#include "tl-dataset.h"
#include "tl-explanation-panel.h"
#include "tl-model.h"
#include "tl-preprocess.h"

G_BEGIN_DECLS

#define TL_TYPE_SAMPLE_EXPLANATION (tl_sample_explanation_get_type ())
G_DECLARE_FINAL_TYPE (TlSampleExplanation, tl_sample_explanation, TL, SAMPLE_EXPLANATION, TlExplanationPanel)

/* What one image's or text's prediction depends on, computed in a worker
 * thread by occlusion: a heat map over the image, or the words the model read
 * highlighted by how much they raise (red) or lower (blue) the predicted class
 * (tl-explanation-panel.h). */
GtkWidget  *tl_sample_explanation_new        (void);
/* Explains x (one sample of ds's shape, as model reads it; read with pre) with
 * a copy of model. text is the sample's text for text data (may be NULL).
 * NULL model: empty. class_names name the model's outputs. */
void        tl_sample_explanation_set_sample (TlSampleExplanation *self, const TlModel *model,
                                              const TlPreprocess *pre, TlDataKind kind, const float *x,
                                              const char *text, const char *const *class_names);
/* Whether it is ready, and its error: tl_explanation_panel_is_ready, _get_error. */
/* The class explained, -1 before. */
int         tl_sample_explanation_get_class  (TlSampleExplanation *self);
/* Text: the highlighted words as Pango markup; NULL for images or before. */
const char *tl_sample_explanation_get_markup (TlSampleExplanation *self);
/* Text: the sentence naming the words most for and against the class; NULL for images or before. */
const char *tl_sample_explanation_get_summary (TlSampleExplanation *self);
/* Images: row and column of the map's highest score (-1 before). */
void        tl_sample_explanation_get_peak   (TlSampleExplanation *self, int *row, int *column);

G_END_DECLS
