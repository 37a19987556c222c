#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-gemm.h"
#include "tl-fastmath.h"
#include "tl-layer.h"

/* One-layer GRU over batch-first input [B, T, E], as torch.nn.GRU computes it:
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
 *   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *   h' = (1 - z) * n + z * h
 * One GEMM projects the input of every step, one GEMM per step the state.
 * Padded steps (mask 0) carry h through unchanged. */

typedef struct {
  int T, E, H;
  TlTensor *gx;       /* [B*T, 3H]: input projections, then r, z, n */
  TlTensor *hn;       /* [B*T, H]: W_hn h + b_hn of each step */
  TlTensor *hprev;    /* [B*T, H]: the state entering step t (zero at t = 0) */
  TlTensor *hlast;    /* [B, H] */
  TlTensor *gh;       /* [B, 3H]: one step's state projection */
  TlTensor *dgx;      /* [B*T, 3H]: dL/d(input projections) */
  TlTensor *dgh;      /* [B*T, 3H]: dL/d(state projections) */
  TlTensor *dh;       /* [B, H] */
  float    *colsum;   /* [3H] */
} Gru;

static const float *
step_mask (const TlContext *ctx, int steps)
{
  return ctx != NULL && ctx->mask != NULL && ctx->mask_steps == steps ? ctx->mask : NULL;
}

static void
gru_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  Gru *g = layer->priv;
  const int B = in->shape[0], T = g->T, E = g->E, H = g->H, G = 3 * H;
  const int rows = B * T;
  const float *mask = step_mask (ctx, T);
  const float *w_ih = layer->params[0].value->data;
  const float *w_hh = layer->params[1].value->data;
  const float *b_ih = layer->params[2].value->data;
  const float *b_hh = layer->params[3].value->data;
  const gboolean seq = layer->spec.return_sequences;

  g_assert (in->size == (gsize) rows * E);
  if (seq)
    tl_tensor_resize (out, 3, (int[]) { B, T, H });
  else
    tl_tensor_resize (out, 2, (int[]) { B, H });
  if (B == 0)
    return;
  tl_tensor_resize (g->gx, 2, (int[]) { rows, G });
  tl_tensor_resize (g->hn, 2, (int[]) { rows, H });
  tl_tensor_resize (g->hprev, 2, (int[]) { rows, H });
  tl_tensor_resize (g->hlast, 2, (int[]) { B, H });
  tl_tensor_resize (g->gh, 2, (int[]) { B, G });

  for (int r = 0; r < rows; r++)
    memcpy (g->gx->data + (gsize) r * G, b_ih, sizeof (float) * G);
  tl_sgemm (FALSE, TRUE, rows, G, E,
               1.0f, in->data, E, w_ih, E, 1.0f, g->gx->data, G);

  for (int b = 0; b < B; b++)
    memset (g->hprev->data + (gsize) b * T * H, 0, sizeof (float) * H);

  for (int t = 0; t < T; t++)
    {
      for (int b = 0; b < B; b++)
        memcpy (g->gh->data + (gsize) b * G, b_hh, sizeof (float) * G);
      if (t > 0)
        tl_sgemm (FALSE, TRUE, B, G, H,
                     1.0f, g->hprev->data + (gsize) t * H, T * H, w_hh, H,
                     1.0f, g->gh->data, G);

      for (int b = 0; b < B; b++)
        {
          const gsize r = (gsize) b * T + t;
          float *restrict x = g->gx->data + r * G;
          const float *restrict h = g->gh->data + (gsize) b * G;
          const float *restrict hp = g->hprev->data + r * H;
          float *restrict hn_keep = g->hn->data + r * H;
          float *restrict hnew = t + 1 < T ? g->hprev->data + (r + 1) * H : g->hlast->data + (gsize) b * H;

          if (mask && mask[r] == 0.0f)
            memcpy (hnew, hp, sizeof (float) * H);
          else
            {
              int j = 0;

              for (; j + 4 <= H; j += 4)
                {
                  const TlV4 rj = tl_v4_sigmoid (tl_v4_load (x + j) + tl_v4_load (h + j));
                  const TlV4 zj = tl_v4_sigmoid (tl_v4_load (x + H + j) + tl_v4_load (h + H + j));
                  const TlV4 hnj = tl_v4_load (h + 2 * H + j);
                  const TlV4 nj = tl_v4_tanh (tl_v4_load (x + 2 * H + j) + rj * hnj);

                  tl_v4_store (x + j, rj);
                  tl_v4_store (x + H + j, zj);
                  tl_v4_store (x + 2 * H + j, nj);
                  tl_v4_store (hn_keep + j, hnj);
                  tl_v4_store (hnew + j, (1.0f - zj) * nj + zj * tl_v4_load (hp + j));
                }
              for (; j < H; j++)
                {
                  const float rj = tl_fast_sigmoidf (x[j] + h[j]);
                  const float zj = tl_fast_sigmoidf (x[H + j] + h[H + j]);
                  const float hnj = h[2 * H + j];
                  const float nj = tl_fast_tanhf (x[2 * H + j] + rj * hnj);

                  x[j] = rj;
                  x[H + j] = zj;
                  x[2 * H + j] = nj;
                  hn_keep[j] = hnj;
                  hnew[j] = (1.0f - zj) * nj + zj * hp[j];
                }
            }
          if (seq)
            memcpy (out->data + r * H, hnew, sizeof (float) * H);
        }
    }

  if (!seq)
    memcpy (out->data, g->hlast->data, sizeof (float) * B * H);
}

static void
add_column_sums (float *acc, const float *m, int rows, int cols, float *scratch)
{
  memset (scratch, 0, sizeof (float) * cols);
  for (int r = 0; r < rows; r++)
    {
      const float *row = m + (gsize) r * cols;
      for (int j = 0; j < cols; j++)
        scratch[j] += row[j];
    }
  for (int j = 0; j < cols; j++)
    acc[j] += scratch[j];
}

static void
gru_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
              const TlTensor *grad_out, TlTensor *grad_in)
{
  Gru *g = layer->priv;
  const int B = in->shape[0], T = g->T, E = g->E, H = g->H, G = 3 * H;
  const int rows = B * T;
  const float *mask = step_mask (ctx, T);
  const gboolean seq = layer->spec.return_sequences;
  float *dh;

  if (grad_in != NULL)
    tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (B == 0 || (!layer->trainable && grad_in == NULL))
    return;
  g_assert (g->gx->size == (gsize) rows * G);

  tl_tensor_resize (g->dgx, 2, (int[]) { rows, G });
  tl_tensor_resize (g->dgh, 2, (int[]) { rows, G });
  tl_tensor_resize (g->dh, 2, (int[]) { B, H });
  dh = g->dh->data;
  if (seq)
    tl_tensor_zero (g->dh);
  else
    memcpy (dh, grad_out->data, sizeof (float) * B * H);

  for (int t = T - 1; t >= 0; t--)
    {
      for (int b = 0; b < B; b++)
        {
          const gsize r = (gsize) b * T + t;
          float *restrict dhb = dh + (gsize) b * H;
          float *restrict dx = g->dgx->data + r * G;
          float *restrict dhp = g->dgh->data + r * G;

          if (seq)
            {
              const float *restrict go = grad_out->data + r * H;
              for (int j = 0; j < H; j++)
                dhb[j] += go[j];
            }
          if (mask && mask[r] == 0.0f)
            {
              memset (dx, 0, sizeof (float) * G);
              memset (dhp, 0, sizeof (float) * G);
              continue;
            }
          {
            const float *restrict x = g->gx->data + r * G;
            const float *restrict hn = g->hn->data + r * H;
            const float *restrict hp = g->hprev->data + r * H;

            for (int j = 0; j < H; j++)
              {
                const float rj = x[j], zj = x[H + j], nj = x[2 * H + j];
                const float dhj = dhb[j];
                const float dan = dhj * (1.0f - zj) * (1.0f - nj * nj);
                const float dar = dan * hn[j] * rj * (1.0f - rj);
                const float daz = dhj * (hp[j] - nj) * zj * (1.0f - zj);

                dx[j] = dar;
                dx[H + j] = daz;
                dx[2 * H + j] = dan;
                dhp[j] = dar;
                dhp[H + j] = daz;
                dhp[2 * H + j] = dan * rj;
                dhb[j] = dhj * zj;
              }
          }
        }
      if (t > 0)
        tl_sgemm (FALSE, FALSE, B, H, G,
                     1.0f, g->dgh->data + (gsize) t * G, T * G,
                     layer->params[1].value->data, H, 1.0f, dh, H);
    }

  if (layer->trainable)
    {
      tl_sgemm (TRUE, FALSE, G, E, rows,
                   1.0f, g->dgx->data, G, in->data, E, 1.0f, layer->params[0].grad->data, E);
      /* hprev is zero at t = 0, so the whole batch of steps is one product */
      tl_sgemm (TRUE, FALSE, G, H, rows,
                   1.0f, g->dgh->data, G, g->hprev->data, H, 1.0f, layer->params[1].grad->data, H);
      add_column_sums (layer->params[2].grad->data, g->dgx->data, rows, G, g->colsum);
      add_column_sums (layer->params[3].grad->data, g->dgh->data, rows, G, g->colsum);
    }

  if (grad_in != NULL)
    tl_sgemm (FALSE, FALSE, rows, E, G,
                 1.0f, g->dgx->data, G, layer->params[0].value->data, E, 0.0f, grad_in->data, E);
}

static void
gru_finalize (TlLayer *layer)
{
  Gru *g = layer->priv;

  tl_tensor_free (g->gx);
  tl_tensor_free (g->hn);
  tl_tensor_free (g->hprev);
  tl_tensor_free (g->hlast);
  tl_tensor_free (g->gh);
  tl_tensor_free (g->dgx);
  tl_tensor_free (g->dgh);
  tl_tensor_free (g->dh);
  g_free (g->colsum);
  g_free (g);
}

static const TlLayerOps gru_ops = { gru_forward, gru_backward, gru_finalize };

gboolean
tl_gru_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const int H = layer->spec.units;
  Gru *g;
  float bound;

  if (layer->in_ndim != 2 || layer->in_shape[0] < 1 || layer->in_shape[1] < 1)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "gru expects a sequence of vectors [steps, features], got %s: "
                   "put an embedding layer before it", shape);
      return FALSE;
    }
  if (H < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "gru needs at least one hidden unit, got %d", H);
      return FALSE;
    }

  g = g_new0 (Gru, 1);
  g->T = layer->in_shape[0];
  g->E = layer->in_shape[1];
  g->H = H;
  g->gx = tl_tensor_new_empty ();
  g->hn = tl_tensor_new_empty ();
  g->hprev = tl_tensor_new_empty ();
  g->hlast = tl_tensor_new_empty ();
  g->gh = tl_tensor_new_empty ();
  g->dgx = tl_tensor_new_empty ();
  g->dgh = tl_tensor_new_empty ();
  g->dh = tl_tensor_new_empty ();
  g->colsum = g_new0 (float, 3 * H);
  layer->priv = g;
  layer->ops = &gru_ops;

  if (layer->spec.return_sequences)
    {
      layer->out_ndim = 2;
      layer->out_shape[0] = g->T;
      layer->out_shape[1] = H;
    }
  else
    {
      layer->out_ndim = 1;
      layer->out_shape[0] = H;
    }

  tl_layer_add_param (layer, "weight_ih_l0", 2, (int[]) { 3 * H, g->E });
  tl_layer_add_param (layer, "weight_hh_l0", 2, (int[]) { 3 * H, H });
  tl_layer_add_param (layer, "bias_ih_l0", 1, (int[]) { 3 * H });
  tl_layer_add_param (layer, "bias_hh_l0", 1, (int[]) { 3 * H });
  bound = 1.0f / sqrtf ((float) H);
  for (int p = 0; p < layer->n_params; p++)
    {
      TlTensor *v = layer->params[p].value;
      for (gsize i = 0; i < v->size; i++)
        v->data[i] = tl_rng_uniform_range (rng, -bound, bound);
    }
  return TRUE;
}
