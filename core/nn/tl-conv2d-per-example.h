#pragma once

#include "tl-layer.h"

G_BEGIN_DECLS

/* Adds each image's squared norm of its own weight and bias gradient into
 * sq[batch], from the layer's input and the gradient at its output (before
 * any following activation). For private training (tl-dp-sgd.c); ungrouped
 * convolutions only. */
void tl_conv2d_per_example_sq_norms (const TlLayer *layer, const TlTensor *in, const TlTensor *grad_out,
                                     double *sq);

G_END_DECLS
