#pragma once

#include "tl-layer.h"

G_BEGIN_DECLS

/* The registry: every layer kind by name, and building a layer of any kind. */

/* Builds a layer for inputs of the given per-sample shape, its weights
 * initialised as PyTorch initialises them, from `rng`. */
TlLayer    *tl_layer_new         (const TlLayerSpec *spec, const char *name, int in_ndim,
                                  const int *in_shape, TlRng *rng, GError **error);
/* The same, for a layer of a graph model that reads the outputs of the
 * layers `inputs` (-1: the model's input) whose first dimensions are
 * input_channels; in_shape is the first input's. n_inputs 0 is tl_layer_new. */
TlLayer    *tl_layer_new_joined  (const TlLayerSpec *spec, const char *name, int in_ndim,
                                  const int *in_shape, int n_inputs, const int *inputs,
                                  const int *input_channels, TlRng *rng, GError **error);
/* The same layer with the same weights and flags (gradients zero). */
TlLayer    *tl_layer_copy        (const TlLayer *layer);
/* "Dense(128)", "Conv2D(32, 3x3, stride 1, pad 1)" for tables */
char       *tl_layer_spec_describe (const TlLayerSpec *spec);

G_END_DECLS
