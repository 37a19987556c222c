#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-gemm.h"
#include "tl-fastmath.h"
#include "tl-layer.h"
#include "tl-parallel.h"

/* One-layer LSTM over batch-first input [B, T, E], as torch.nn.LSTM computes it
 * (gates i, f, g, o). The input projection of every step is one GEMM; the
 * recurrence then runs each batch row on its own (rows split over threads),
 * adding the recurrent product in place. Padded steps (mask 0) carry h and c
 * through unchanged. Backward is full back-propagation through time. */

typedef struct {
  int T, E, H;
  TlTensor *gates;    /* [B*T, 4H]: pre-activations, then the gate values i, f, g, o */
  TlTensor *hprev;    /* [B*T, H]: the state entering step t (zero at t = 0) */
  TlTensor *cell;     /* [B*T, H]: c after step t */
  TlTensor *tanh_c;   /* [B*T, H] */
  TlTensor *hlast;    /* [B, H]: h after the last step */
  TlTensor *dgates;   /* [B*T, 4H]: dL/d(gate pre-activations) */
  TlTensor *dh;       /* [B, H] */
  TlTensor *dc;       /* [B, H] */
  float    *bias;     /* [4H]: b_ih + b_hh */
  float    *zeros;    /* [H] */
  float    *w_hh_t;   /* [H, 4H]: weight_hh transposed for the row products */
} Lstm;

static const float *
step_mask (const TlContext *ctx, int steps)
{
  return ctx != NULL && ctx->mask != NULL && ctx->mask_steps == steps ? ctx->mask : NULL;
}

/* y[0..n) += x[0..k) times the row-major matrix m [k, n], for one or two rows
 * (y1 == NULL for one): two rows share the loads of m and double the
 * independent sums in flight. One batch row of the recurrent product; batch
 * rows are independent, so each thread runs its own rows through every step. */
TL_VECTORIZED static void
rows_times_matrix (float *restrict y0, const float *restrict x0, float *restrict y1, const float *restrict x1,
                   const float *restrict m, int k, int n)
{
  int j0 = 0;

  for (; y1 != NULL && j0 + 64 <= n; j0 += 64)
    {
      float a0[64], a1[64];

      for (int j = 0; j < 64; j++)
        {
          a0[j] = y0[j0 + j];
          a1[j] = y1[j0 + j];
        }
      for (int i = 0; i < k; i++)
        {
          const float u = x0[i], v = x1[i];
          const float *restrict row = m + (gsize) i * n + j0;
          for (int j = 0; j < 64; j++)
            {
              a0[j] += u * row[j];
              a1[j] += v * row[j];
            }
        }
      for (int j = 0; j < 64; j++)
        {
          y0[j0 + j] = a0[j];
          y1[j0 + j] = a1[j];
        }
    }
  for (; j0 + 64 <= n; j0 += 64)
    {
      float a0[64];

      for (int j = 0; j < 64; j++)
        a0[j] = y0[j0 + j];
      for (int i = 0; i < k; i++)
        {
          const float u = x0[i];
          const float *restrict row = m + (gsize) i * n + j0;
          for (int j = 0; j < 64; j++)
            a0[j] += u * row[j];
        }
      for (int j = 0; j < 64; j++)
        y0[j0 + j] = a0[j];
    }
  for (int i = 0; i < k && j0 < n; i++)
    {
      const float *restrict row = m + (gsize) i * n;
      for (int j = j0; j < n; j++)
        y0[j] += x0[i] * row[j];
      if (y1 != NULL)
        for (int j = j0; j < n; j++)
          y1[j] += x1[i] * row[j];
    }
}

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

static void
forward_rows (gpointer data, gsize b0, gsize b1)
{
  const Pass *p = data;
  Lstm *l = p->l;
  const int T = l->T, H = l->H, G = 4 * H;

  for (int t = 0; t < T; t++)
    {
      /* the recurrent products first, two real rows at a time */
      for (gsize b = b0; t > 0 && b < b1; b++)
        {
          const gsize r = b * T + t;
          gsize b2 = b + 1;

          if (!step_is_real (p, r))
            continue;
          while (b2 < b1 && !step_is_real (p, b2 * T + t))
            b2++;
          if (b2 < b1)
            {
              const gsize r2 = b2 * T + t;
              rows_times_matrix (l->gates->data + r * G, l->hprev->data + r * H,
                                 l->gates->data + r2 * G, l->hprev->data + r2 * H, l->w_hh_t, H, G);
              b = b2;
            }
          else
            rows_times_matrix (l->gates->data + r * G, l->hprev->data + r * H, NULL, NULL, l->w_hh_t, H, G);
        }
      for (gsize b = b0; b < b1; b++)
        {
          const gsize r = b * T + t;
          const float *hp = l->hprev->data + r * H;
          const float *cp = t > 0 ? l->cell->data + (r - 1) * H : l->zeros;
          float *c = l->cell->data + r * H;
          float *hn = t + 1 < T ? l->hprev->data + (r + 1) * H : l->hlast->data + b * H;

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
  const int B = in->shape[0], T = l->T, E = l->E, H = l->H, G = 4 * H;
  const int rows = B * T;
  const float *w_ih = layer->params[0].value->data;
  const float *w_hh = layer->params[1].value->data;
  const float *b_ih = layer->params[2].value->data;
  const float *b_hh = layer->params[3].value->data;
  const gboolean seq = layer->spec.return_sequences;
  Pass pass = { .l = l, .mask = step_mask (ctx, T), .out = NULL };

  g_assert (in->size == (gsize) rows * E);
  if (seq)
    tl_tensor_resize (out, 3, (int[]) { B, T, H });
  else
    tl_tensor_resize (out, 2, (int[]) { B, H });
  if (B == 0)
    return;
  tl_tensor_resize (l->gates, 2, (int[]) { rows, G });
  tl_tensor_resize (l->hprev, 2, (int[]) { rows, H });
  tl_tensor_resize (l->cell, 2, (int[]) { rows, H });
  tl_tensor_resize (l->tanh_c, 2, (int[]) { rows, H });
  tl_tensor_resize (l->hlast, 2, (int[]) { B, H });

  for (int j = 0; j < G; j++)
    l->bias[j] = b_ih[j] + b_hh[j];
  for (int j = 0; j < G; j++)
    for (int k = 0; k < H; k++)
      l->w_hh_t[(gsize) k * G + j] = w_hh[(gsize) j * H + k];
  /* the input projection of every step at once; the bias joins in the gate pass */
  tl_sgemm (FALSE, TRUE, rows, G, E,
               1.0f, in->data, E, w_ih, E, 0.0f, l->gates->data, G);

  for (int b = 0; b < B; b++)
    memset (l->hprev->data + (gsize) b * T * H, 0, sizeof (float) * H);
  if (seq)
    pass.out = out->data;
  /* pairs of rows: small chunks keep both threads busy when the system pauses one */
  tl_parallel_for (B, 2, forward_rows, &pass);

  if (!seq)
    memcpy (out->data, l->hlast->data, sizeof (float) * B * H);
}

static void
backward_rows (gpointer data, gsize b0, gsize b1)
{
  const Pass *p = data;
  Lstm *l = p->l;
  const int T = l->T, H = l->H, G = 4 * H;

  for (int t = T - 1; t >= 0; t--)
    {
      for (gsize b = b0; b < b1; b++)
        {
          const gsize r = b * T + t;
          float *dhb = l->dh->data + b * H;
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
      for (gsize b = b0; t > 0 && b < b1; b++)
        {
          const gsize r = b * T + t;
          gsize b2 = b + 1;

          if (!step_is_real (p, r))
            continue;
          while (b2 < b1 && !step_is_real (p, b2 * T + t))
            b2++;
          if (b2 < b1)
            {
              rows_times_matrix (l->dh->data + b * H, l->dgates->data + r * G,
                                 l->dh->data + b2 * H, l->dgates->data + (b2 * T + t) * G, p->w_hh, G, H);
              b = b2;
            }
          else
            rows_times_matrix (l->dh->data + b * H, l->dgates->data + r * G, NULL, NULL, p->w_hh, G, H);
        }
    }
}

typedef struct {
  const float *dgates;
  float       *sum;
  int          rows, G;
} ColumnSums;

/* Column sums of dgates, each column added in row order whoever computes it. */
static void
column_sums (gpointer data, gsize j0, gsize j1)
{
  const ColumnSums *cs = data;

  memset (cs->sum + j0, 0, sizeof (float) * (j1 - j0));
  for (int r = 0; r < cs->rows; r++)
    {
      const float *restrict dg = cs->dgates + (gsize) r * cs->G;
      float *restrict sum = cs->sum;
      for (gsize j = j0; j < j1; j++)
        sum[j] += dg[j];
    }
}

static void
lstm_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
               const TlTensor *grad_out, TlTensor *grad_in)
{
  Lstm *l = layer->priv;
  const int B = in->shape[0], T = l->T, E = l->E, H = l->H, G = 4 * H;
  const int rows = B * T;
  const gboolean seq = layer->spec.return_sequences;
  Pass pass = { .l = l, .mask = step_mask (ctx, T), .w_hh = layer->params[1].value->data };

  if (grad_in != NULL)
    tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (B == 0 || (!layer->trainable && grad_in == NULL))
    return;
  g_assert (l->gates->size == (gsize) rows * G);

  tl_tensor_resize (l->dgates, 2, (int[]) { rows, G });
  tl_tensor_resize (l->dh, 2, (int[]) { B, H });
  tl_tensor_resize (l->dc, 2, (int[]) { B, H });
  if (seq)
    {
      tl_tensor_zero (l->dh);
      pass.grad_out = grad_out->data;
    }
  else
    memcpy (l->dh->data, grad_out->data, sizeof (float) * B * H);
  tl_tensor_zero (l->dc);
  tl_parallel_for (B, 2, backward_rows, &pass);

  if (layer->trainable)
    {
      float *db_ih = layer->params[2].grad->data;
      float *db_hh = layer->params[3].grad->data;
      ColumnSums cs = { l->dgates->data, l->bias, rows, G };

      tl_sgemm (TRUE, FALSE, G, E, rows,
                   1.0f, l->dgates->data, G, in->data, E, 1.0f, layer->params[0].grad->data, E);
      /* hprev is zero at t = 0, so the whole batch of steps is one product */
      tl_sgemm (TRUE, FALSE, G, H, rows,
                   1.0f, l->dgates->data, G, l->hprev->data, H, 1.0f, layer->params[1].grad->data, H);
      tl_parallel_for (G, 64, column_sums, &cs);
      for (int j = 0; j < G; j++)
        {
          db_ih[j] += l->bias[j];
          db_hh[j] += l->bias[j];
        }
    }

  if (grad_in != NULL)
    tl_sgemm (FALSE, FALSE, rows, E, G,
                 1.0f, l->dgates->data, G, layer->params[0].value->data, E, 0.0f, grad_in->data, E);
}

static void
lstm_finalize (TlLayer *layer)
{
  Lstm *l = layer->priv;

  tl_tensor_free (l->gates);
  tl_tensor_free (l->hprev);
  tl_tensor_free (l->cell);
  tl_tensor_free (l->tanh_c);
  tl_tensor_free (l->hlast);
  tl_tensor_free (l->dgates);
  tl_tensor_free (l->dh);
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
  Lstm *l;
  float bound;

  if (layer->in_ndim != 2 || layer->in_shape[0] < 1 || layer->in_shape[1] < 1)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "lstm expects a sequence of vectors [steps, features], got %s: "
                   "put an embedding layer before it", shape);
      return FALSE;
    }
  if (H < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "lstm needs at least one hidden unit, got %d", H);
      return FALSE;
    }

  l = g_new0 (Lstm, 1);
  l->T = layer->in_shape[0];
  l->E = layer->in_shape[1];
  l->H = H;
  l->gates = tl_tensor_new_empty ();
  l->hprev = tl_tensor_new_empty ();
  l->cell = tl_tensor_new_empty ();
  l->tanh_c = tl_tensor_new_empty ();
  l->hlast = tl_tensor_new_empty ();
  l->dgates = tl_tensor_new_empty ();
  l->dh = tl_tensor_new_empty ();
  l->dc = tl_tensor_new_empty ();
  l->bias = g_new0 (float, 4 * H);
  l->zeros = g_new0 (float, H);
  l->w_hh_t = tl_aligned_alloc (sizeof (float) * 4 * H * H);
  layer->priv = l;
  layer->ops = &lstm_ops;

  if (layer->spec.return_sequences)
    {
      layer->out_ndim = 2;
      layer->out_shape[0] = l->T;
      layer->out_shape[1] = H;
    }
  else
    {
      layer->out_ndim = 1;
      layer->out_shape[0] = H;
    }

  tl_layer_add_param (layer, "weight_ih_l0", 2, (int[]) { 4 * H, l->E });
  tl_layer_add_param (layer, "weight_hh_l0", 2, (int[]) { 4 * H, H });
  tl_layer_add_param (layer, "bias_ih_l0", 1, (int[]) { 4 * H });
  tl_layer_add_param (layer, "bias_hh_l0", 1, (int[]) { 4 * H });
  bound = 1.0f / sqrtf ((float) H);
  for (int p = 0; p < layer->n_params; p++)
    {
      TlTensor *v = layer->params[p].value;
      for (gsize i = 0; i < v->size; i++)
        v->data[i] = tl_rng_uniform_range (rng, -bound, bound);
    }
  return TRUE;
}
