#pragma once

#include <glib.h>

#include "tl-model.h"
#include "tl-privacy-accountant.h"

G_BEGIN_DECLS

/* Differentially private training (DP-SGD, Abadi et al. 2016): every example's
 * gradient of the trainable layers is clipped to norm `clip`, Gaussian noise of
 * sigma * clip is added to their sum, and the sum is divided by the expected
 * batch size. Batches are Poisson samples: each example joins with probability
 * batch_size / n. */
typedef struct {
  double epsilon;   /* the budget; 0: none (sigma must be given) */
  double delta;
  double clip;      /* per-example gradient norm bound */
  double sigma;     /* noise multiplier; 0: the smallest one that spends epsilon over the planned epochs */
} TlPrivacyConfig;

/* TRUE when private training computes the per-example gradients of the layer's kind. */
gboolean tl_dp_layer_supported (const TlLayer *layer);

/* Fails, naming the layer, when a trainable layer in [first, end) is of a kind
 * whose per-example gradients are not computed (grouped convolutions, recurrent
 * layers, batch norms). */
gboolean tl_dp_check_model (const TlModel *model, int first, int end, GError **error);

/* After a backward pass of layers [first, end) from `input` with per-example
 * loss gradients grad_output (rows not averaged), each example's squared norm
 * of the gradient of every trainable parameter, into sq_norms[batch]. Computed
 * from the layers' inputs and output gradients, without per-example gradients
 * (outer products for Dense, grouped rows for the tables). */
void     tl_dp_per_example_sq_norms (const TlModel *model, const TlTensor *input, const TlTensor *grad_output,
                                     int first, int end, double *sq_norms);

/* The clipped sum: from a forward pass in training mode of layers [first, end),
 * with model->unfused set when a convolution trains,
 * and per-example loss gradients grad_output (scaled in place), leaves
 * sum_i min(1, clip / |g_i|) g_i in the trainable gradients, which must be zero
 * on entry. Each example's norm before clipping into norms[batch] when not NULL. */
void     tl_dp_clipped_gradient (TlModel *model, const TlTensor *input, TlTensor *grad_output, int first, int end,
                                 double clip, double *norms);

/* Adds N(0, noise_std^2) to every element of the trainable gradients and
 * divides them by `divisor`. Every row of a table learns: the noise reaches
 * the rows no example touched (padding rows, which never learn, excepted). */
void     tl_dp_noise_gradient (TlModel *model, TlRng *rng, double noise_std, double divisor);

/* The next Poisson batch: each of indices [0, n) joins with probability rate,
 * drawn by geometric skips. Writes at most `max` indices into idx and returns
 * how many joined (a larger count than max is cut, which max = n avoids). */
int      tl_dp_poisson_batch (TlRng *rng, int n, double rate, int *idx, int max);

G_END_DECLS

G_BEGIN_DECLS

/* Checks config against a training set of n examples in expected batches of
 * batch_size over `steps` steps (delta < 1/n, epsilon and clip positive), and
 * starts acc with the noise multiplier given or calibrated from epsilon. */
gboolean tl_dp_setup (const TlPrivacyConfig *config, int n, int batch_size, guint64 steps,
                      TlPrivacyAccountant *acc, GError **error);

G_END_DECLS
