#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-conv2d-private.h"
#include "tl-parallel.h"

/* Sparse output gradients of Conv2D. Behind a ReLU and a max-pool most of an image's
 * output gradient is zero (at least three in four behind a 2x2 pool), so the
 * weight and patch gradients skip the zeros instead of running dense products.
 * The choice is made per image from the gradient's values and shape alone, so
 * a fused and an unfused run, and any number of threads, take the same path. */

typedef float TlVec8 __attribute__ ((vector_size (32), aligned (4), may_alias));

/* acc[0, K) = (add ? acc : 0) + v[0] * rows[0] + v[1] * rows[1] + ..., added in that order. */
TL_VECTORIZED static void
sum_scaled_rows (float *restrict acc, gboolean add, const float *restrict v,
                 const float *const *restrict rows, int n, int K)
{
  int k = 0;

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
          const float *r = rows[j] + k;
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
        a += v[j] * rows[j][k];
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

/* One image's patches as rows [P, C*k*k], only for the outputs whose `used` is set. */
static void
patches_by_output (const Conv2D *cv, const float *in, const guint8 *used, float *colt)
{
  const int k = cv->k, s = cv->stride, K = cv->in_c * k * k;
  const float *in_end = in + (gsize) cv->in_c * cv->in_h * cv->in_w;

  for (int oh = 0; oh < cv->out_h; oh++)
    for (int ow = 0; ow < cv->out_w; ow++)
      {
        const int p = oh * cv->out_w + ow, iw0 = ow * s - cv->pad;
        const gboolean inside = iw0 >= 0 && iw0 + k <= cv->in_w;
        float *restrict dst = colt + (gsize) p * K;

        if (!used[p])
          continue;
        for (int c = 0; c < cv->in_c; c++)
          for (int ki = 0; ki < k; ki++, dst += k)
            {
              const int ih = oh * s - cv->pad + ki;
              const float *restrict src = in + ((gsize) c * cv->in_h + ih) * cv->in_w + iw0;

              if (ih < 0 || ih >= cv->in_h)
                memset (dst, 0, sizeof (float) * k);
              else if (inside && k == 3 && src + 4 <= in_end)
                /* the fourth float lands where the next run starts, or in the spare line */
                memcpy (dst, src, 4 * sizeof (float));
              else if (inside)
                for (int kj = 0; kj < k; kj++)
                  dst[kj] = src[kj];
              else
                for (int kj = 0; kj < k; kj++)
                  dst[kj] = iw0 + kj >= 0 && iw0 + kj < cv->in_w ? src[kj] : 0.0f;
            }
      }
}

/* Adds one output's patch gradient [C*k*k] into the image's input gradient. */
static void
unpatch_output (const Conv2D *cv, const float *restrict g, int oh, int ow, float *restrict grad_in)
{
  const int k = cv->k, s = cv->stride, iw0 = ow * s - cv->pad;

  for (int c = 0; c < cv->in_c; c++)
    for (int ki = 0; ki < k; ki++, g += k)
      {
        const int ih = oh * s - cv->pad + ki;
        float *restrict dst = grad_in + ((gsize) c * cv->in_h + ih) * cv->in_w + iw0;

        if (ih < 0 || ih >= cv->in_h)
          continue;
        if (k == 3 && iw0 >= 0 && iw0 + 3 <= cv->in_w)
          {
            dst[0] += g[0];
            dst[1] += g[1];
            dst[2] += g[2];
            continue;
          }
        for (int kj = 0; kj < k; kj++)
          if (iw0 + kj >= 0 && iw0 + kj < cv->in_w)
            dst[kj] += g[kj];
      }
}

void
tl_conv2d_sparse_weight_grad (const Conv2D *cv, const float *in, const float *d, gboolean add,
                              float *wp, float *colt, const guint8 *used, float *vals, const float **rows)
{
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;

  patches_by_output (cv, in, used, colt);
  for (int f = 0; f < F; f++)
    {
      const float *df = d + (gsize) f * P;
      int n = 0;

      /* every slot is written and kept only when non-zero: no unpredictable branch */
      for (int p = 0; p < P; p++)
        {
          vals[n] = df[p];
          rows[n] = colt + (gsize) p * K;
          n += df[p] != 0.0f;
        }
      sum_scaled_rows (wp + (gsize) f * K, add, vals, rows, n, K);
    }
}

/* For each output, its patch gradient (W^T d, skipping zeros) goes straight into grad_in. */
void
tl_conv2d_sparse_input_grad (const Conv2D *cv, const float *w, const float *d, const guint8 *used,
                             float *grad_in, float *patch, float *vals, const float **rows)
{
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;

  memset (grad_in, 0, sizeof (float) * cv->in_c * cv->in_h * cv->in_w);
  for (int p = 0; p < P; p++)
    {
      int n = 0;

      if (!used[p])
        continue;
      for (int f = 0; f < F; f++)
        {
          vals[n] = d[(gsize) f * P + p];
          rows[n] = w + (gsize) f * K;
          n += d[(gsize) f * P + p] != 0.0f;
        }
      sum_scaled_rows (patch, FALSE, vals, rows, n, K);
      unpatch_output (cv, patch, p / cv->out_w, p % cv->out_w, grad_in);
    }
}
