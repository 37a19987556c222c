#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-conv2d-private.h"
#include "tl-fastmath.h"
#include "tl-parallel.h"

/* The patch matrix of an image (im2col) and back, and the small loops over
 * output planes that the per-image and the wide passes of Conv2D share. */

/* Valid output columns [lo, hi) for a kernel column offset kj: 0 <= ow*s - pad + kj < W. */
static void
valid_range (int offset, int stride, int size, int n_out, int *lo, int *hi)
{
  int a = offset < 0 ? (-offset + stride - 1) / stride : 0;
  int b = size - offset <= 0 ? 0 : (size - offset - 1) / stride + 1;

  *lo = MIN (a, n_out);
  *hi = CLAMP (b, *lo, n_out);
}

/* Runs of an image row are short (the output width): a library memcpy call
 * per run would cost more than the copy. Runs of 8 or more end with one
 * overlapping block instead of a scalar tail. */
static inline void
copy_run (float *restrict dst, const float *restrict src, int n)
{
  int i = 0;

  if (n < 8)
    {
      for (; i < n; i++)
        dst[i] = src[i];
      return;
    }
  for (; i + 8 < n; i += 8)
    memcpy (dst + i, src + i, 8 * sizeof (float));
  memcpy (dst + n - 8, src + n - 8, 8 * sizeof (float));
}

TL_VECTORIZED void
tl_conv2d_patches (const Conv2D *cv, const float *in, float *col, gsize ld)
{
  const int k = cv->k, s = cv->stride, OH = cv->out_h, OW = cv->out_w;
  int oh_lo[k], oh_hi[k], ow_lo[k], ow_hi[k];

  /* the outputs whose kernel tap lands inside the image, per tap row and column */
  for (int t = 0; t < k; t++)
    {
      valid_range (t - cv->pad, s, cv->in_h, OH, &oh_lo[t], &oh_hi[t]);
      valid_range (t - cv->pad, s, cv->in_w, OW, &ow_lo[t], &ow_hi[t]);
    }
  for (int c = 0; c < cv->in_c; c++)
    {
      const float *plane = in + (gsize) c * cv->in_h * cv->in_w;

      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++)
          {
            float *row = col + (gsize) ((c * k + ki) * k + kj) * ld;
            const int off = kj - cv->pad, lo = ow_lo[kj], hi = ow_hi[kj];

            memset (row, 0, sizeof (float) * oh_lo[ki] * OW);
            for (int oh = oh_lo[ki]; oh < oh_hi[ki]; oh++)
              {
                float *dst = row + (gsize) oh * OW;
                const float *src = plane + (gsize) (oh * s - cv->pad + ki) * cv->in_w;

                for (int ow = 0; ow < lo; ow++)
                  dst[ow] = 0.0f;
                if (s == 1)
                  copy_run (dst + lo, src + lo + off, hi - lo);
                else
                  for (int ow = lo; ow < hi; ow++)
                    dst[ow] = src[ow * s + off];
                for (int ow = hi; ow < OW; ow++)
                  dst[ow] = 0.0f;
              }
            memset (row + (gsize) oh_hi[ki] * OW, 0, sizeof (float) * (OH - oh_hi[ki]) * OW);
          }
    }
}

/* On planes of a few outputs the runs of an image row are too short for the
 * range checks of tl_conv2d_patches to pay: each channel is written once with
 * its zero border (pad, k*k*... floats of scratch), and every tap then reads
 * whole runs without a check. */
TL_VECTORIZED void
tl_conv2d_patches_small (const Conv2D *cv, const float *in, float *col, gsize ld, float *padded)
{
  const int k = cv->k, s = cv->stride, pad = cv->pad, OH = cv->out_h, OW = cv->out_w;
  const int PW = cv->in_w + 2 * pad, PH = cv->in_h + 2 * pad;

  memset (padded, 0, sizeof (float) * PW * PH);
  for (int c = 0; c < cv->in_c; c++)
    {
      const float *plane = in + (gsize) c * cv->in_h * cv->in_w;

      for (int h = 0; h < cv->in_h; h++)
        memcpy (padded + (gsize) (h + pad) * PW + pad, plane + (gsize) h * cv->in_w, sizeof (float) * cv->in_w);
      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++)
          {
            float *restrict row = col + (gsize) ((c * k + ki) * k + kj) * ld;

            for (int oh = 0; oh < OH; oh++)
              {
                const float *restrict src = padded + (gsize) (oh * s + ki) * PW + kj;
                float *restrict dst = row + (gsize) oh * OW;

                if (s == 1 && OW == 8)
                  memcpy (dst, src, 8 * sizeof (float));
                else if (s == 1 && OW == 4)
                  memcpy (dst, src, 4 * sizeof (float));
                else
                  for (int ow = 0; ow < OW; ow++)
                    dst[ow] = src[ow * s];
              }
          }
    }
}

TL_VECTORIZED void
tl_conv2d_unpatches (const Conv2D *cv, const float *dcol, float *grad_in, gsize ld)
{
  const int k = cv->k, s = cv->stride;

  for (int c = 0; c < cv->in_c; c++)
    for (int ki = 0; ki < k; ki++)
      for (int kj = 0; kj < k; kj++)
        {
          const float *row = dcol + (gsize) ((c * k + ki) * k + kj) * ld;
          float *plane = grad_in + (gsize) c * cv->in_h * cv->in_w;
          const int off = kj - cv->pad;
          int ow_lo, ow_hi;

          valid_range (off, s, cv->in_w, cv->out_w, &ow_lo, &ow_hi);
          for (int oh = 0; oh < cv->out_h; oh++)
            {
              const float *src = row + (gsize) oh * cv->out_w;
              int ih = oh * s - cv->pad + ki;
              float *dst;

              if (ih < 0 || ih >= cv->in_h)
                continue;
              dst = plane + (gsize) ih * cv->in_w + (ow_lo * s + off);
              if (s == 1)
                for (int i = 0; i < ow_hi - ow_lo; i++)
                  dst[i] += src[ow_lo + i];
              else
                for (int i = 0; i < ow_hi - ow_lo; i++)
                  dst[i * s] += src[ow_lo + i];
            }
        }
}

/* Eight running sums break the dependency chain of one long sum. */
float
tl_conv2d_sum (const float *x, gsize n)
{
  float acc[8] = { 0 };
  gsize i = 0;

  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++)
      acc[k] += x[i + k];
  for (; i < n; i++)
    acc[0] += x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

TL_VECTORIZED void
tl_conv2d_relu_pass (const float *restrict x, const float *restrict v, float *restrict y, gsize n)
{
  for (gsize i = 0; i < n; i++)
    y[i] = tl_keep_if_positive (x[i], v[i]);
}

TL_VECTORIZED void
tl_conv2d_bias_rows (float *restrict out, const float *restrict bias, int F, gsize n)
{
  for (int f = 0; f < F; f++)
    {
      const float b = bias[f];
      float *restrict row = out + (gsize) f * n;

      for (gsize p = 0; p < n; p++)
        row[p] = b;
    }
}
