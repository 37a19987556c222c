#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-conv2d-private.h"
#include "tl-parallel.h"

/* Sparse output gradients of Conv2D. Behind a ReLU and a max-pool most of an image's
 * output gradient is zero (at least three in four behind a 2x2 pool), so the
 * weight and patch gradients skip the zeros instead of running dense products.
 * The choice is made per image from the gradient's values and shape alone, so
 * a fused and an unfused run, and any number of threads, take the same path.
 *
 * Both gradients work on the image held channels last with its padding written
 * out, [H + 2 pad, W + 2 pad, C]: there a patch row (ki, all kj, all c) is one
 * contiguous run of k*C floats, so no patch matrix is built and a patch is
 * read, or its gradient added, in k runs. The weights and their gradient are
 * then ordered [F, k, k, C] ("taps first"); each value still gets the same
 * products added in the same order as with [F, C, k, k]. */

typedef float TlVec8 __attribute__ ((vector_size (32), aligned (4), may_alias));

/* acc[0, K) = (add ? acc : 0) + v[0] * rows[0][at] + v[1] * rows[1][at] + ..., added in that order.
 * Each sum is one chain of dependent additions, so eight are kept running at once (64 floats)
 * to keep the multiply-add units busy, then four. */
TL_VECTORIZED static void
sum_scaled_rows (float *restrict acc, gboolean add, const float *restrict v,
                 const float *const *restrict rows, gsize at, int n, int K)
{
  int k = 0;

  for (; k + 64 <= K; k += 64)
    {
      TlVec8 a[8] = { { 0 } };

      if (add)
        for (int i = 0; i < 8; i++)
          a[i] = *(const TlVec8 *) (acc + k + 8 * i);
      for (int j = 0; j < n; j++)
        {
          const float *r = rows[j] + at + k;
          const TlVec8 s = { v[j], v[j], v[j], v[j], v[j], v[j], v[j], v[j] };

          for (int i = 0; i < 8; i++)
            a[i] += s * *(const TlVec8 *) (r + 8 * i);
        }
      for (int i = 0; i < 8; i++)
        *(TlVec8 *) (acc + k + 8 * i) = a[i];
    }
  for (; k + 32 <= K; k += 32)
    {
      TlVec8 a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };

      if (add)
        {
          a0 = *(const TlVec8 *) (acc + k);
          a1 = *(const TlVec8 *) (acc + k + 8);
          a2 = *(const TlVec8 *) (acc + k + 16);
          a3 = *(const TlVec8 *) (acc + k + 24);
        }
      for (int j = 0; j < n; j++)
        {
          const float *r = rows[j] + at + k;
          const TlVec8 s = { v[j], v[j], v[j], v[j], v[j], v[j], v[j], v[j] };

          a0 += s * *(const TlVec8 *) r;
          a1 += s * *(const TlVec8 *) (r + 8);
          a2 += s * *(const TlVec8 *) (r + 16);
          a3 += s * *(const TlVec8 *) (r + 24);
        }
      *(TlVec8 *) (acc + k) = a0;
      *(TlVec8 *) (acc + k + 8) = a1;
      *(TlVec8 *) (acc + k + 16) = a2;
      *(TlVec8 *) (acc + k + 24) = a3;
    }
  for (; k < K; k++)
    {
      float a = add ? acc[k] : 0.0f;

      for (int j = 0; j < n; j++)
        a += v[j] * rows[j][at + k];
      acc[k] = a;
    }
}

TL_VECTORIZED gsize
tl_conv2d_count_nonzero (const float *restrict d, int F, int P, guint8 *restrict used)
{
  gsize nonzero = 0;

  memset (used, 0, P);
  for (int f = 0; f < F; f++)
    {
      const float *restrict row = d + (gsize) f * P;

      for (int p = 0; p < P; p++)
        {
          const guint8 nz = row[p] != 0.0f;

          used[p] |= nz;
          nonzero += nz;
        }
    }
  return nonzero;
}

gsize
tl_conv2d_padded_size (const Conv2D *cv)
{
  return (gsize) (cv->in_h + 2 * cv->pad) * (cv->in_w + 2 * cv->pad) * cv->in_c;
}

void
tl_conv2d_taps_first (const Conv2D *cv, const float *restrict w, float *restrict wt)
{
  const int C = cv->in_c, T = cv->k * cv->k, K = C * T;

  for (int f = 0; f < cv->filters; f++, w += K, wt += K)
    for (int c = 0; c < C; c++)
      for (int t = 0; t < T; t++)
        wt[t * C + c] = w[c * T + t];
}

void
tl_conv2d_channels_first (const Conv2D *cv, const float *restrict wt, float *restrict w)
{
  const int C = cv->in_c, T = cv->k * cv->k, K = C * T;

  for (int f = 0; f < cv->filters; f++, w += K, wt += K)
    for (int c = 0; c < C; c++)
      for (int t = 0; t < T; t++)
        w[c * T + t] = wt[t * C + c];
}

void
tl_conv2d_sparse_prepare (Conv2D *cv, int groups, const float *w, gboolean weights, gboolean input)
{
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;

  if (groups > cv->scratch_groups)
    {
      g_free (cv->vals);
      g_free (cv->rows);
      g_free (cv->used);
      cv->vals = g_new (float, (gsize) groups * MAX (F, P));
      cv->rows = g_new (const float *, (gsize) groups * MAX (F, P));
      cv->used = g_new (guint8, (gsize) groups * P);
      cv->scratch_groups = groups;
    }
  tl_tensor_resize (cv->padded, 2, (int[]) { groups, (int) tl_conv2d_padded_size (cv) });
  if (weights)
    tl_tensor_resize (cv->wpart_t, 2, (int[]) { groups * F, K });
  if (input)
    {
      tl_tensor_resize (cv->wt, 2, (int[]) { F, K });
      tl_conv2d_taps_first (cv, w, cv->wt->data);
    }
}

/* One image [C, H, W] into its zero-bordered channels-last copy. */
TL_VECTORIZED static void
pad_channels_last (const Conv2D *cv, const float *restrict in, float *restrict padded)
{
  const int C = cv->in_c, H = cv->in_h, W = cv->in_w, pad = cv->pad, Wp = W + 2 * pad;
  const gsize line = (gsize) Wp * C;

  memset (padded, 0, sizeof (float) * pad * line);
  memset (padded + (gsize) (pad + H) * line, 0, sizeof (float) * pad * line);
  for (int ih = 0; ih < H; ih++)
    {
      float *restrict row = padded + (gsize) (ih + pad) * line;

      memset (row, 0, sizeof (float) * pad * C);
      memset (row + (gsize) (pad + W) * C, 0, sizeof (float) * pad * C);
      row += (gsize) pad * C;
      for (int c = 0; c < C; c++)
        {
          const float *restrict src = in + ((gsize) c * H + ih) * W;

          for (int iw = 0; iw < W; iw++)
            row[(gsize) iw * C + c] = src[iw];
        }
    }
}

/* The inner part of a zero-bordered channels-last image back to [C, H, W]. */
TL_VECTORIZED static void
unpad_channels_first (const Conv2D *cv, const float *restrict padded, float *restrict out)
{
  const int C = cv->in_c, H = cv->in_h, W = cv->in_w, pad = cv->pad, Wp = W + 2 * pad;

  for (int ih = 0; ih < H; ih++)
    {
      const float *restrict row = padded + ((gsize) (ih + pad) * Wp + pad) * C;

      for (int c = 0; c < C; c++)
        {
          float *restrict dst = out + ((gsize) c * H + ih) * W;

          for (int iw = 0; iw < W; iw++)
            dst[iw] = row[(gsize) iw * C + c];
        }
    }
}

TL_VECTORIZED void
tl_conv2d_sparse_weight_grad (const Conv2D *cv, const float *in, const float *d, gboolean add,
                              float *wpt, float *padded, float *vals, const float **rows)
{
  const int F = cv->filters, C = cv->in_c, k = cv->k, s = cv->stride;
  const int K = C * k * k, run = k * C, Wp = cv->in_w + 2 * cv->pad;

  pad_channels_last (cv, in, padded);
  for (int f = 0; f < F; f++)
    {
      const float *df = d + (gsize) f * cv->out_h * cv->out_w;
      int n = 0;

      /* every slot is written and kept only when non-zero: no unpredictable branch */
      for (int oh = 0; oh < cv->out_h; oh++)
        {
          const float *corner = padded + (gsize) oh * s * Wp * C;

          for (int ow = 0; ow < cv->out_w; ow++, df++)
            {
              vals[n] = *df;
              rows[n] = corner + (gsize) ow * s * C;
              n += *df != 0.0f;
            }
        }
      for (int ki = 0; ki < k; ki++)
        sum_scaled_rows (wpt + (gsize) f * K + ki * run, add, vals, rows, (gsize) ki * Wp * C, n, run);
    }
}

/* For each output, its patch gradient (W^T d, skipping zeros) is added into the
 * padded image's gradient in k runs, in the order of the outputs. */
TL_VECTORIZED void
tl_conv2d_sparse_input_grad (const Conv2D *cv, const float *wt, const float *d, const guint8 *used,
                             float *grad_in, float *padded, float *patch, float *vals,
                             const float **rows)
{
  const int F = cv->filters, C = cv->in_c, k = cv->k, s = cv->stride;
  const int K = C * k * k, run = k * C, Wp = cv->in_w + 2 * cv->pad, P = cv->out_h * cv->out_w;

  memset (padded, 0, sizeof (float) * tl_conv2d_padded_size (cv));
  for (int oh = 0, p = 0; oh < cv->out_h; oh++)
    for (int ow = 0; ow < cv->out_w; ow++, p++)
      {
        int n = 0;

        if (!used[p])
          continue;
        for (int f = 0; f < F; f++)
          {
            vals[n] = d[(gsize) f * P + p];
            rows[n] = wt + (gsize) f * K;
            n += d[(gsize) f * P + p] != 0.0f;
          }
        sum_scaled_rows (patch, FALSE, vals, rows, 0, n, K);
        for (int ki = 0; ki < k; ki++)
          {
            float *restrict dst = padded + ((gsize) (oh * s + ki) * Wp + (gsize) ow * s) * C;
            const float *restrict src = patch + ki * run;

            for (int i = 0; i < run; i++)
              dst[i] += src[i];
          }
      }
  unpad_channels_first (cv, padded, grad_in);
}
