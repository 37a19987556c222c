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

G_END_DECLS
