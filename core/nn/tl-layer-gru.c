#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-gemm.h"
#include "tl-fastmath.h"
#include "tl-layer-kinds.h"
#include "tl-recurrent.h"

/* One-layer GRU over batch-first input [B, T, E], as torch.nn.GRU computes it:
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
 *   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *   h' = (1 - z) * n + z * h
 * One GEMM projects the input of every step, one GEMM per step the state.
 * Padded steps (mask 0) carry h through unchanged. */

typedef struct {
  TlRecurrent rc;
  TlTensor *gx;       /* [B*T, 3H]: input projections, then r, z, n */
  TlTensor *hn;       /* [B*T, H]: W_hn h + b_hn of each step */
  TlTensor *gh;       /* [B, 3H]: one step's state projection */
  TlTensor *dgx;      /* [B*T, 3H]: dL/d(input projections) */
  TlTensor *dgh;      /* [B*T, 3H]: dL/d(state projections) */
  float    *colsum;   /* [3H] */
} Gru;

static void
gru_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  Gru *g = layer->priv;
  const int B = in->shape[0], T = g->rc.T, H = g->rc.H, G = g->rc.G;
  const int rows = B * T;
  const float *mask = tl_recurrent_mask (ctx, T);
  const float *w_hh = layer->params[1].value->data;
  const float *b_hh = layer->params[3].value->data;
  const gboolean seq = layer->spec.return_sequences;

  if (!tl_recurrent_forward_begin (&g->rc, layer, in, out, g->gx, TRUE))
    return;
  tl_tensor_resize (g->hn, 2, (int[]) { rows, H });
  tl_tensor_resize (g->gh, 2, (int[]) { B, G });

  for (int t = 0; t < T; t++)
    {
      for (int b = 0; b < B; b++)
        memcpy (g->gh->data + (gsize) b * G, b_hh, sizeof (float) * G);
      if (t > 0)
        tl_sgemm (FALSE, TRUE, B, G, H,
                     1.0f, g->rc.hprev->data + (gsize) t * H, T * H, w_hh, H,
                     1.0f, g->gh->data, G);

      for (int b = 0; b < B; b++)
        {
          const gsize r = (gsize) b * T + t;
          float *restrict x = g->gx->data + r * G;
          const float *restrict h = g->gh->data + (gsize) b * G;
          const float *restrict hp = g->rc.hprev->data + r * H;
          float *restrict hn_keep = g->hn->data + r * H;
          float *restrict hnew = t + 1 < T ? g->rc.hprev->data + (r + 1) * H : g->rc.hlast->data + (gsize) b * H;

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
  tl_recurrent_forward_end (&g->rc, layer, out);
}

static void
add_column_sums (float *acc, const float *m, int rows, int cols, float *scratch)
{
  tl_recurrent_column_sums (m, rows, cols, scratch);
  for (int j = 0; j < cols; j++)
    acc[j] += scratch[j];
}

static void
gru_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
              const TlTensor *grad_out, TlTensor *grad_in)
{
  Gru *g = layer->priv;
  const int B = in->shape[0], T = g->rc.T, H = g->rc.H, G = g->rc.G;
  const int rows = B * T;
  const float *mask = tl_recurrent_mask (ctx, T);
  const gboolean seq = layer->spec.return_sequences;
  float *dh;

  if (!tl_recurrent_backward_begin (&g->rc, layer, in, grad_out, grad_in))
    return;
  tl_tensor_resize (g->dgx, 2, (int[]) { rows, G });
  tl_tensor_resize (g->dgh, 2, (int[]) { rows, G });
  dh = g->rc.dh->data;

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
            const float *restrict hp = g->rc.hprev->data + r * H;

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
      add_column_sums (layer->params[2].grad->data, g->dgx->data, rows, G, g->colsum);
      add_column_sums (layer->params[3].grad->data, g->dgh->data, rows, G, g->colsum);
    }
  tl_recurrent_backward_end (&g->rc, layer, in, g->dgx->data, g->dgh->data, grad_in);
}

static void
gru_finalize (TlLayer *layer)
{
  Gru *g = layer->priv;

  tl_recurrent_clear (&g->rc);
  tl_tensor_free (g->gx);
  tl_tensor_free (g->hn);
  tl_tensor_free (g->gh);
  tl_tensor_free (g->dgx);
  tl_tensor_free (g->dgh);
  g_free (g->colsum);
  g_free (g);
}

static const TlLayerOps gru_ops = { gru_forward, gru_backward, gru_finalize };

gboolean
tl_gru_init (TlLayer *layer, TlRng *rng, GError **error)
{
  Gru *g = g_new0 (Gru, 1);

  if (!tl_recurrent_init (&g->rc, layer, "gru", 3, rng, error))
    {
      g_free (g);
      return FALSE;
    }
  g->gx = tl_tensor_new_empty ();
  g->hn = tl_tensor_new_empty ();
  g->gh = tl_tensor_new_empty ();
  g->dgx = tl_tensor_new_empty ();
  g->dgh = tl_tensor_new_empty ();
  g->colsum = g_new0 (float, g->rc.G);
  layer->priv = g;
  layer->ops = &gru_ops;
  return TRUE;
}
