#pragma once

#include <glib.h>

#include "tl-tensor.h"

G_BEGIN_DECLS

/* Softmax cross-entropy of logits [batch, classes] against integer labels, with
 * PyTorch's semantics: with class_weights (classes floats, or NULL) the mean is
 * weighted, sum_i w[y_i] l_i / sum_i w[y_i]; label_smoothing in [0, 1) mixes the
 * one-hot target with the uniform one, and is weighted the same way.
 * Returns the mean loss (0 when every sample weighs 0). Writes dL/dlogits into
 * grad and the softmax into probs when they are not NULL (both resized to logits). */
float tl_cross_entropy     (const TlTensor *logits, const int *labels, const float *class_weights,
                            float label_smoothing, TlTensor *grad, TlTensor *probs);

/* Mean squared error over all elements; dL/dpred into grad when not NULL. */
float tl_mse               (const TlTensor *pred, const TlTensor *target, TlTensor *grad);

/* Row-wise softmax of [batch, classes]; probs may be logits itself. */
void  tl_softmax_rows      (const TlTensor *logits, TlTensor *probs);

/* Rows whose largest value (the first on ties) is at the label's index. */
int   tl_count_correct     (const TlTensor *scores, const int *labels);

G_END_DECLS
