#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-fastmath.h"
#include "tl-layer-kinds.h"
#include "tl-parallel.h"
#include "tl-recurrent.h"
#include "tl-row-products.h"

/* One-layer LSTM over batch-first input [B, T, E], as torch.nn.LSTM computes it
 * (gates i, f, g, o). The input projection of every step is one GEMM; the
 * recurrence then runs each batch row on its own (rows split over threads),
 * adding the recurrent product in place. Padded steps (mask 0) carry h and c
 * through unchanged. Backward is full back-propagation through time. */

typedef struct {
  TlRecurrent rc;
  TlTensor *gates;    /* [B*T, 4H]: pre-activations, then the gate values i, f, g, o */
  TlTensor *cell;     /* [B*T, H]: c after step t */
  TlTensor *tanh_c;   /* [B*T, H] */
  TlTensor *dgates;   /* [B*T, 4H]: dL/d(gate pre-activations) */
  TlTensor *dc;       /* [B, H] */
  float    *bias;     /* [4H]: b_ih + b_hh */
  float    *zeros;    /* [H] */
  float    *w_hh_t;   /* [H, 4H]: weight_hh transposed for the row products */
} Lstm;

/* Gate pre-activations g (without bias) of one row to gate values, new cell and state. */
TL_VECTORIZED static void
cell_forward (int H, float *restrict g, const float *restrict bias, const float *restrict cp,
              float *restrict c, float *restrict tc, float *restrict hn)
{
  for (int j = 0; j < H; j++)
    {
      const float i = tl_fast_sigmoidf (g[j] + bias[j]);
      const float f = tl_fast_sigmoidf (g[H + j] + bias[H + j]);
      const float gg = tl_fast_tanhf (g[2 * H + j] + bias[2 * H + j]);
      const float o = tl_fast_sigmoidf (g[3 * H + j] + bias[3 * H + j]);
      const float cj = f * cp[j] + i * gg;
      const float tcj = tl_fast_tanhf (cj);

      g[j] = i;
      g[H + j] = f;
      g[2 * H + j] = gg;
      g[3 * H + j] = o;
      c[j] = cj;
      tc[j] = tcj;
      hn[j] = o * tcj;
    }
}

TL_VECTORIZED static void
cell_backward (int H, const float *restrict g, const float *restrict cp, const float *restrict tc,
               float *restrict dh, float *restrict dc, float *restrict dg)
{
  for (int j = 0; j < H; j++)
    {
      const float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
      const float dhj = dh[j];
      const float dcj = dc[j] + dhj * o * (1.0f - tc[j] * tc[j]);

      dg[j] = dcj * gg * i * (1.0f - i);
      dg[H + j] = dcj * cp[j] * f * (1.0f - f);
      dg[2 * H + j] = dcj * i * (1.0f - gg * gg);
      dg[3 * H + j] = dhj * tc[j] * o * (1.0f - o);
      dc[j] = dcj * f;
      dh[j] = 0.0f;
    }
}

typedef struct {
  Lstm        *l;
  const float *mask;
  const float *w_hh;        /* [4H, H] */
  const float *grad_out;    /* backward with return_sequences */
  float       *out;         /* forward with return_sequences */
} Pass;

static gboolean
step_is_real (const Pass *p, gsize r)
{
  return p->mask == NULL || p->mask[r] != 0.0f;
}

/* For each batch row b in [b0, b1) whose step t is real: y + b * ys += (x + b * xs)
 * times m [k, n], real rows four at a time so that they share the loads of m. */
static void
real_rows_times_matrix (const Pass *p, int t, gsize b0, gsize b1, float *y, gsize ys,
                        const float *x, gsize xs, const float *m, int k, int n)
{
  const gsize T = p->l->rc.T;
  float *yr[4];
  const float *xr[4];
  int nr = 0;

  for (gsize b = b0; b < b1; b++)
    {
      if (!step_is_real (p, b * T + t))
        continue;
      yr[nr] = y + b * ys;
      xr[nr] = x + b * xs;
      if (++nr == 4)
        {
          tl_rows_times_matrix (4, yr, xr, m, k, n);
          nr = 0;
        }
    }
  if (nr > 0)
    tl_rows_times_matrix (nr, yr, xr, m, k, n);
}

static void
forward_rows (gpointer data, gsize b0, gsize b1)
{
  const Pass *p = data;
  Lstm *l = p->l;
  const int T = l->rc.T, H = l->rc.H, G = l->rc.G;

  for (int t = 0; t < T; t++)
    {
      /* the recurrent products first */
      if (t > 0)
        real_rows_times_matrix (p, t, b0, b1, l->gates->data + (gsize) t * G, (gsize) T * G,
                                l->rc.hprev->data + (gsize) t * H, (gsize) T * H, l->w_hh_t, H, G);
      for (gsize b = b0; b < b1; b++)
        {
          const gsize r = b * T + t;
          const float *hp = l->rc.hprev->data + r * H;
          const float *cp = t > 0 ? l->cell->data + (r - 1) * H : l->zeros;
          float *c = l->cell->data + r * H;
          float *hn = t + 1 < T ? l->rc.hprev->data + (r + 1) * H : l->rc.hlast->data + b * H;

          if (!step_is_real (p, r))
            {
              memcpy (c, cp, sizeof (float) * H);
              memcpy (hn, hp, sizeof (float) * H);
            }
          else
            cell_forward (H, l->gates->data + r * G, l->bias, cp, c, l->tanh_c->data + r * H, hn);
          if (p->out)
            memcpy (p->out + r * H, hn, sizeof (float) * H);
        }
    }
}

static void
lstm_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  Lstm *l = layer->priv;
  const int B = in->shape[0], T = l->rc.T, H = l->rc.H, G = l->rc.G;
  const int rows = B * T;
  const float *w_hh = layer->params[1].value->data;
  const float *b_ih = layer->params[2].value->data;
  const float *b_hh = layer->params[3].value->data;
  Pass pass = { .l = l, .mask = tl_recurrent_mask (ctx, T), .out = NULL };

  /* the input projection of every step at once; the bias joins in the gate pass */
  if (!tl_recurrent_forward_begin (&l->rc, layer, in, out, l->gates, FALSE))
    return;
  tl_tensor_resize (l->cell, 2, (int[]) { rows, H });
  tl_tensor_resize (l->tanh_c, 2, (int[]) { rows, H });

  for (int j = 0; j < G; j++)
    l->bias[j] = b_ih[j] + b_hh[j];
  for (int j = 0; j < G; j++)
    for (int k = 0; k < H; k++)
      l->w_hh_t[(gsize) k * G + j] = w_hh[(gsize) j * H + k];
  if (layer->spec.return_sequences)
    pass.out = out->data;
  /* groups of four rows: small chunks keep both threads busy when the system pauses one */
  tl_parallel_for (B, 4, forward_rows, &pass);
  tl_recurrent_forward_end (&l->rc, layer, out);
}

static void
backward_rows (gpointer data, gsize b0, gsize b1)
{
  const Pass *p = data;
  Lstm *l = p->l;
  const int T = l->rc.T, H = l->rc.H, G = l->rc.G;

  for (int t = T - 1; t >= 0; t--)
    {
      for (gsize b = b0; b < b1; b++)
        {
          const gsize r = b * T + t;
          float *dhb = l->rc.dh->data + b * H;
          float *dg = l->dgates->data + r * G;

          if (p->grad_out)
            {
              const float *go = p->grad_out + r * H;
              for (int j = 0; j < H; j++)
                dhb[j] += go[j];
            }
          /* padded steps have zero gate gradients and carry dh unchanged */
          if (!step_is_real (p, r))
            {
              memset (dg, 0, sizeof (float) * G);
              continue;
            }
          cell_backward (H, l->gates->data + r * G, t > 0 ? l->cell->data + (r - 1) * H : l->zeros,
                         l->tanh_c->data + r * H, dhb, l->dc->data + b * H, dg);
        }
      if (t > 0)
        real_rows_times_matrix (p, t, b0, b1, l->rc.dh->data, H,
                                l->dgates->data + (gsize) t * G, (gsize) T * G, p->w_hh, G, H);
    }
}

static void
lstm_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
               const TlTensor *grad_out, TlTensor *grad_in)
{
  Lstm *l = layer->priv;
  const int B = in->shape[0], T = l->rc.T, H = l->rc.H, G = l->rc.G;
  const int rows = B * T;
  Pass pass = { .l = l, .mask = tl_recurrent_mask (ctx, T), .w_hh = layer->params[1].value->data };

  if (!tl_recurrent_backward_begin (&l->rc, layer, in, grad_out, grad_in))
    return;
  tl_tensor_resize (l->dgates, 2, (int[]) { rows, G });
  tl_tensor_resize (l->dc, 2, (int[]) { B, H });
  if (layer->spec.return_sequences)
    pass.grad_out = grad_out->data;
  tl_tensor_zero (l->dc);
  tl_parallel_for (B, 4, backward_rows, &pass);

  if (layer->trainable)
    {
      float *db_ih = layer->params[2].grad->data;
      float *db_hh = layer->params[3].grad->data;

      /* the bias sum is free scratch until the next forward recomputes it */
      tl_recurrent_column_sums (l->dgates->data, rows, G, l->bias);
      for (int j = 0; j < G; j++)
        {
          db_ih[j] += l->bias[j];
          db_hh[j] += l->bias[j];
        }
    }
  /* the gate gradients are those of both the input and the state projections */
  tl_recurrent_backward_end (&l->rc, layer, in, l->dgates->data, l->dgates->data, grad_in);
}

static void
lstm_finalize (TlLayer *layer)
{
  Lstm *l = layer->priv;

  tl_recurrent_clear (&l->rc);
  tl_tensor_free (l->gates);
  tl_tensor_free (l->cell);
  tl_tensor_free (l->tanh_c);
  tl_tensor_free (l->dgates);
  tl_tensor_free (l->dc);
  g_free (l->bias);
  g_free (l->zeros);
  tl_aligned_free (l->w_hh_t);
  g_free (l);
}

static const TlLayerOps lstm_ops = { lstm_forward, lstm_backward, lstm_finalize };

gboolean
tl_lstm_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const int H = layer->spec.units;
  Lstm *l = g_new0 (Lstm, 1);

  if (!tl_recurrent_init (&l->rc, layer, "lstm", 4, rng, error))
    {
      g_free (l);
      return FALSE;
    }
  l->gates = tl_tensor_new_empty ();
  l->cell = tl_tensor_new_empty ();
  l->tanh_c = tl_tensor_new_empty ();
  l->dgates = tl_tensor_new_empty ();
  l->dc = tl_tensor_new_empty ();
  l->bias = g_new0 (float, 4 * H);
  l->zeros = g_new0 (float, H);
  l->w_hh_t = tl_aligned_alloc (sizeof (float) * 4 * H * H);
  layer->priv = l;
  layer->ops = &lstm_ops;
  return TRUE;
}
