#pragma once

#include <glib.h>

#include "tl-model.h"

G_BEGIN_DECLS

/* Explanations of one prediction: which parts of an input a class's
 * probability depends on. x is one sample of the model's input shape. */

/* The model's class probabilities for x into probs[n_outputs]; returns the arg-max. */
int       tl_explain_predict      (TlModel *model, const float *x, float *probs);

/* Occlusion for an image [channels, height, width]: a patch x patch square of
 * every channel is set to 0, moved by stride (the last one touching each edge).
 * Returns [height, width]: the mean drop in the probability of class `target`
 * over the squares that cover each pixel. */
TlTensor *tl_explain_occlusion_image (TlModel *model, const float *x, int target, int patch, int stride,
                                      GError **error);

/* The same with patch_h x patch_w rectangles moved by stride_h and stride_w, set to
 * fill's values (a whole sample; NULL: zeros) rather than 0. For a spectrogram
 * [1, bands, frames] the rectangles span bands x frames. */
TlTensor *tl_explain_occlusion_patches (TlModel *model, const float *x, const float *fill, int target,
                                        int patch_h, int patch_w, int stride_h, int stride_w, GError **error);

/* Integrated gradients (Sundararajan et al. 2017) of class target's probability
 * along the straight path from baseline (NULL: zeros) to x, by the midpoint rule
 * over `steps` points run as one batch; the steps are doubled (up to 16 times as
 * many) until the attributions sum to F(x) - F(baseline) within 1%. Returns one
 * attribution per input value; *difference (may be NULL) gets F(x) - F(baseline).
 * For an n-gram bag input [2, K] give a baseline with the same ids and zero
 * weights: the ids then get 0 and each weight its term's attribution. */
float    *tl_explain_integrated_gradients (TlModel *model, const float *x, const float *baseline, int target,
                                           int steps, double *difference, GError **error);

/* Occlusion of each term of a text input: for a bag [2, K] (first layer
 * embedding_bag) term k's weight is set to 0; for token ids [T] (first layer
 * embedding) token t is set to 0, the padding id. Returns the drop in class
 * target's probability per position (K or T values; 0 for empty positions). */
float    *tl_explain_occlusion_terms (TlModel *model, const float *x, int target, int *n_positions,
                                      GError **error);

G_END_DECLS
