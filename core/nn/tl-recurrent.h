#pragma once

#include <glib.h>

#include "tl-layer.h"

G_BEGIN_DECLS

/* What the recurrent kinds (LSTM, GRU) share: sizes, the per-step state
 * workspace, the input projection, and the weight and input gradients. The
 * gate arithmetic stays with each kind. Parameters are PyTorch's weight_ih_l0
 * [G, E], weight_hh_l0 [G, H], bias_ih_l0 [G], bias_hh_l0 [G]. */
typedef struct {
  int       T, E, H, G;   /* steps, input features, hidden units, gate rows (gates x H) */
  TlTensor *hprev;        /* [B*T, H]: the state entering step t (zero at t = 0) */
  TlTensor *hlast;        /* [B, H]: h after the last step */
  TlTensor *dh;           /* [B, H]: dL/dh flowing back through the steps */
} TlRecurrent;

/* Checks the input shape ([steps, features]), sets the output shape, adds and
 * initialises the four parameters; `kind` names the layer in errors. */
gboolean     tl_recurrent_init           (TlRecurrent *rc, TlLayer *layer, const char *kind, int gates,
                                          TlRng *rng, GError **error);
void         tl_recurrent_clear          (TlRecurrent *rc);

/* The padding mask of ctx when it fits `steps`, else NULL (every step real). */
const float *tl_recurrent_mask           (const TlContext *ctx, int steps);

/* Sizes out and the state workspace for the batch, zeroes the first state and
 * writes the input projection of every step into gx [B*T, G] (plus bias_ih
 * when add_bias). FALSE for an empty batch: nothing more to do. */
gboolean     tl_recurrent_forward_begin  (TlRecurrent *rc, TlLayer *layer, const TlTensor *in,
                                          TlTensor *out, TlTensor *gx, gboolean add_bias);
/* Copies the last state to out unless the layer returns every step. */
void         tl_recurrent_forward_end    (TlRecurrent *rc, const TlLayer *layer, TlTensor *out);

/* Sizes grad_in, and seeds dh from grad_out (zero when the layer returns every
 * step: each step adds its own). FALSE when there is nothing to compute. */
gboolean     tl_recurrent_backward_begin (TlRecurrent *rc, const TlLayer *layer, const TlTensor *in,
                                          const TlTensor *grad_out, TlTensor *grad_in);
/* Adds the weight gradients from dgx and dgh ([B*T, G]: dL/d(input and state
 * projections)) when trainable, and writes grad_in from dgx unless it is NULL. */
void         tl_recurrent_backward_end   (TlRecurrent *rc, TlLayer *layer, const TlTensor *in,
                                          const float *dgx, const float *dgh, TlTensor *grad_in);

/* sum[j] = the sum over rows of m [rows, cols] column j, in row order, columns split over threads. */
void         tl_recurrent_column_sums    (const float *m, int rows, int cols, float *sum);

G_END_DECLS
