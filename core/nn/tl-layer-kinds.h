#pragma once

#include "tl-layer.h"

G_BEGIN_DECLS

/* Per-kind constructors: they check the input shape, set out_shape, add the
 * parameters, initialise them and set ops and priv. */
gboolean tl_dense_init        (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_activation_init   (TlLayer *layer, TlRng *rng, GError **error); /* ReLU, Tanh, Sigmoid, Softmax */
gboolean tl_dropout_init      (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_flatten_init      (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_conv2d_init       (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_maxpool2d_init    (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_embedding_init    (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_embedding_bag_init (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_gradient_reversal_init (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_lstm_init         (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_gru_init          (TlLayer *layer, TlRng *rng, GError **error);
gboolean tl_pool1d_init       (TlLayer *layer, TlRng *rng, GError **error); /* global average and max */

gboolean tl_batchnorm_init    (TlLayer *layer, TlRng *rng, GError **error); /* 2-D over N,H,W; 1-D over N */
gboolean tl_clip_init         (TlLayer *layer, TlRng *rng, GError **error); /* ReLU6, Clip, HardSwish, HardSigmoid */
gboolean tl_avgpool2d_init    (TlLayer *layer, TlRng *rng, GError **error); /* windowed and global */
/* Add and Concat over layer->n_inputs inputs of layer->input_channels (the
 * other dimensions the first input's, as the model checked); Mul of two
 * inputs, the second of the first's shape or [channels] (scaling each channel). */
gboolean tl_join_init         (TlLayer *layer, TlRng *rng, GError **error);
/* Conv2D with groups > 1 (tl-conv2d-grouped.c), called by tl_conv2d_init. */
gboolean tl_conv2d_grouped_init (TlLayer *layer, TlRng *rng, GError **error);

G_END_DECLS
