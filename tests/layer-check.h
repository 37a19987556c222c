#pragma once

#include <glib.h>

#include "tl-layer-registry.h"
#include "tl-model.h"
#include "tl-rng.h"
#include "tl-tensor.h"

/* Shared by the layer tests: random shapes and data, and a central
 * finite-difference check of every gradient a layer computes. */

#define N_SEEDS 3

/* Runs forward and backward in training mode with L = sum(out * R) for a
 * random R, then compares dL/d(in) (unless check_input is FALSE) and dL/d(param)
 * of every parameter with numeric derivatives; aborts on a mismatch. */
void      check_gradients (TlLayer *layer, const TlContext *ctx_template, TlTensor *in,
                           gboolean check_input, guint64 seed, float h);
/* The same for a whole model in training mode (its rng reset before each
 * forward): dL/d(input) and dL/d(param) of every trainable layer. A gradient
 * whose norm is below 1e-3 both ways (a bias under a batch norm) is taken as 0. */
void      check_model_gradients (TlModel *model, TlTensor *in, guint64 seed, float h);
TlLayer  *make_layer      (const TlLayerSpec *spec, int ndim, const int *shape, guint64 seed);
TlTensor *random_input    (int batch, int ndim, const int *shape, TlRng *rng);
int       rand_between    (TlRng *rng, int lo, int hi);
void      fill_normal     (TlTensor *t, TlRng *rng, float scale);
/* d(sum(out * weights))/d(in[i]) by central differences of step h, in inference
 * mode; `out` is a scratch tensor. in[i] is restored. */
double    numeric_input_derivative (TlLayer *layer, TlTensor *in, gsize i, const TlTensor *weights,
                                    TlTensor *out, float h);
/* Values pairwise at least `gap` apart, so a max never flips under a small step. */
void      fill_distinct   (TlTensor *t, TlRng *rng, float gap);

/* Registers the tests of the sequence layers (test-layers-sequence.c). */
void      add_sequence_layer_tests (void);
/* Registers the tests of the vision-backbone layers (test-layers-vision.c). */
void      add_vision_layer_tests (void);
