#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-fastmath.h"
#include "tl-layer.h"

/* One-layer LSTM over batch-first input [B, T, E], as torch.nn.LSTM computes it
 * (gates i, f, g, o). The input projection of every step is one GEMM; each step
 * then adds its recurrent GEMM in place. Padded steps (mask 0) carry h and c
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
} Lstm;

static const float *
step_mask (const TlContext *ctx, int steps)
{
  return ctx != NULL && ctx->mask != NULL && ctx->mask_steps == steps ? ctx->mask : NULL;
}

static void
lstm_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  Lstm *l = layer->priv;
  const int B = in->shape[0], T = l->T, E = l->E, H = l->H, G = 4 * H;
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
  tl_tensor_resize (l->gates, 2, (int[]) { rows, G });
  tl_tensor_resize (l->hprev, 2, (int[]) { rows, H });
  tl_tensor_resize (l->cell, 2, (int[]) { rows, H });
  tl_tensor_resize (l->tanh_c, 2, (int[]) { rows, H });
  tl_tensor_resize (l->hlast, 2, (int[]) { B, H });

  for (int j = 0; j < G; j++)
    l->bias[j] = b_ih[j] + b_hh[j];
  for (int r = 0; r < rows; r++)
    memcpy (l->gates->data + (gsize) r * G, l->bias, sizeof (float) * G);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, rows, G, E,
               1.0f, in->data, E, w_ih, E, 1.0f, l->gates->data, G);

  for (int b = 0; b < B; b++)
    memset (l->hprev->data + (gsize) b * T * H, 0, sizeof (float) * H);

  for (int t = 0; t < T; t++)
    {
      if (t > 0)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, B, G, H,
                     1.0f, l->hprev->data + (gsize) t * H, T * H, w_hh, H,
                     1.0f, l->gates->data + (gsize) t * G, T * G);

      for (int b = 0; b < B; b++)
        {
          const gsize r = (gsize) b * T + t;
          float *restrict g = l->gates->data + r * G;
          const float *restrict hp = l->hprev->data + r * H;
          const float *restrict cp = t > 0 ? l->cell->data + (r - 1) * H : l->zeros;
          float *restrict c = l->cell->data + r * H;
          float *restrict tc = l->tanh_c->data + r * H;
          float *restrict hn = t + 1 < T ? l->hprev->data + (r + 1) * H : l->hlast->data + (gsize) b * H;

          if (mask && mask[r] == 0.0f)
            {
              memcpy (c, cp, sizeof (float) * H);
              memcpy (hn, hp, sizeof (float) * H);
            }
          else
            {
              int j = 0;

              for (; j + 4 <= H; j += 4)
                {
                  const TlV4 i = tl_v4_sigmoid (tl_v4_load (g + j));
                  const TlV4 f = tl_v4_sigmoid (tl_v4_load (g + H + j));
                  const TlV4 gg = tl_v4_tanh (tl_v4_load (g + 2 * H + j));
                  const TlV4 o = tl_v4_sigmoid (tl_v4_load (g + 3 * H + j));
                  const TlV4 cj = f * tl_v4_load (cp + j) + i * gg;
                  const TlV4 tcj = tl_v4_tanh (cj);

                  tl_v4_store (g + j, i);
                  tl_v4_store (g + H + j, f);
                  tl_v4_store (g + 2 * H + j, gg);
                  tl_v4_store (g + 3 * H + j, o);
                  tl_v4_store (c + j, cj);
                  tl_v4_store (tc + j, tcj);
                  tl_v4_store (hn + j, o * tcj);
                }
              for (; j < H; j++)
                {
                  const float i = tl_fast_sigmoidf (g[j]);
                  const float f = tl_fast_sigmoidf (g[H + j]);
                  const float gg = tl_fast_tanhf (g[2 * H + j]);
                  const float o = tl_fast_sigmoidf (g[3 * H + j]);
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
          if (seq)
            memcpy (out->data + r * H, hn, sizeof (float) * H);
        }
    }

  if (!seq)
    memcpy (out->data, l->hlast->data, sizeof (float) * B * H);
}

static void
lstm_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
               const TlTensor *grad_out, TlTensor *grad_in)
{
  Lstm *l = layer->priv;
  const int B = in->shape[0], T = l->T, E = l->E, H = l->H, G = 4 * H;
  const int rows = B * T;
  const float *mask = step_mask (ctx, T);
  const gboolean seq = layer->spec.return_sequences;
  float *dh, *dc;

  if (grad_in != NULL)
    tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (B == 0 || (!layer->trainable && grad_in == NULL))
    return;
  g_assert (l->gates->size == (gsize) rows * G);

  tl_tensor_resize (l->dgates, 2, (int[]) { rows, G });
  tl_tensor_resize (l->dh, 2, (int[]) { B, H });
  tl_tensor_resize (l->dc, 2, (int[]) { B, H });
  dh = l->dh->data;
  dc = l->dc->data;
  if (seq)
    tl_tensor_zero (l->dh);
  else
    memcpy (dh, grad_out->data, sizeof (float) * B * H);
  tl_tensor_zero (l->dc);

  for (int t = T - 1; t >= 0; t--)
    {
      for (int b = 0; b < B; b++)
        {
          const gsize r = (gsize) b * T + t;
          float *restrict dhb = dh + (gsize) b * H;
          float *restrict dcb = dc + (gsize) b * H;
          float *restrict dg = l->dgates->data + r * G;

          if (seq)
            {
              const float *restrict go = grad_out->data + r * H;
              for (int j = 0; j < H; j++)
                dhb[j] += go[j];
            }
          if (mask && mask[r] == 0.0f)
            {
              memset (dg, 0, sizeof (float) * G);
              continue;
            }
          {
            const float *restrict g = l->gates->data + r * G;
            const float *restrict cp = t > 0 ? l->cell->data + (r - 1) * H : l->zeros;
            const float *restrict tc = l->tanh_c->data + r * H;

            for (int j = 0; j < H; j++)
              {
                const float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
                const float dhj = dhb[j];
                const float dcj = dcb[j] + dhj * o * (1.0f - tc[j] * tc[j]);

                dg[j] = dcj * gg * i * (1.0f - i);
                dg[H + j] = dcj * cp[j] * f * (1.0f - f);
                dg[2 * H + j] = dcj * i * (1.0f - gg * gg);
                dg[3 * H + j] = dhj * tc[j] * o * (1.0f - o);
                dcb[j] = dcj * f;
                dhb[j] = 0.0f;
              }
          }
        }
      /* rows of padded steps are zero in dgates and keep their carried dh */
      if (t > 0)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, G,
                     1.0f, l->dgates->data + (gsize) t * G, T * G,
                     layer->params[1].value->data, H, 1.0f, dh, H);
    }

  if (layer->trainable)
    {
      float *db_ih = layer->params[2].grad->data;
      float *db_hh = layer->params[3].grad->data;

      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, G, E, rows,
                   1.0f, l->dgates->data, G, in->data, E, 1.0f, layer->params[0].grad->data, E);
      /* hprev is zero at t = 0, so the whole batch of steps is one product */
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, G, H, rows,
                   1.0f, l->dgates->data, G, l->hprev->data, H, 1.0f, layer->params[1].grad->data, H);
      memset (l->bias, 0, sizeof (float) * G);
      for (int r = 0; r < rows; r++)
        {
          const float *restrict dg = l->dgates->data + (gsize) r * G;
          for (int j = 0; j < G; j++)
            l->bias[j] += dg[j];
        }
      for (int j = 0; j < G; j++)
        {
          db_ih[j] += l->bias[j];
          db_hh[j] += l->bias[j];
        }
    }

  if (grad_in != NULL)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, E, G,
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
