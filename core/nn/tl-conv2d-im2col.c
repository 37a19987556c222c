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
  if (n < 8)
    for (int i = 0; i < n; i++)
      dst[i] = src[i];
  else if (n < 16)
    {
      *(TlBlock8 *) dst = *(const TlBlock8 *) src;
      *(TlBlock8 *) (dst + n - 8) = *(const TlBlock8 *) (src + n - 8);
    }
  else
    {
      for (int i = 0; i + 16 < n; i += 16)
        *(TlBlock16 *) (dst + i) = *(const TlBlock16 *) (src + i);
      *(TlBlock16 *) (dst + n - 16) = *(const TlBlock16 *) (src + n - 16);
    }
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

TlConv2dTaps
tl_conv2d_live_taps (const Conv2D *cv)
{
  TlConv2dTaps t = { .ki0 = cv->k, .kj0 = cv->k };

  for (int i = 0; i < cv->k; i++)
    {
      int lo, hi;

      valid_range (i - cv->pad, cv->stride, cv->in_h, cv->out_h, &lo, &hi);
      if (lo < hi)
        t.ki0 = MIN (t.ki0, i), t.ki1 = i + 1;
      valid_range (i - cv->pad, cv->stride, cv->in_w, cv->out_w, &lo, &hi);
      if (lo < hi)
        t.kj0 = MIN (t.kj0, i), t.kj1 = i + 1;
    }
  if (t.ki1 == 0 || t.kj1 == 0)   /* no tap reads the image: keep the centre one so that K stays positive */
    t = (TlConv2dTaps) { cv->k / 2, cv->k / 2 + 1, cv->k / 2, cv->k / 2 + 1 };
  return t;
}

/* A copy between the full kernels [F * C, k, k] and the live taps' [F * C, kh, kw]. */
typedef struct {
  const Conv2D *cv;
  const TlConv2dTaps *t;
  float *full, *kept;
  gboolean to_kept, add;
} LiveCopy;

static void
live_copy_chunk (gpointer data, gsize fc0, gsize fc1)
{
  const LiveCopy *lc = data;
  const TlConv2dTaps *t = lc->t;
  const int k = lc->cv->k, kh = t->ki1 - t->ki0, kw = t->kj1 - t->kj0, kk = k * k;
  float *restrict full = lc->full + t->ki0 * k + t->kj0, *restrict kept = lc->kept;

  if (!lc->to_kept && !lc->add)
    memset (lc->full + fc0 * kk, 0, sizeof (float) * (fc1 - fc0) * kk);
  if (kh == 1 && kw == 1)   /* the centre of a 1x1 plane: one tap a kernel */
    {
      if (lc->to_kept)
        for (gsize fc = fc0; fc < fc1; fc++)
          kept[fc] = full[fc * kk];
      else
        for (gsize fc = fc0; fc < fc1; fc++)
          full[fc * kk] += kept[fc];
      return;
    }
  for (gsize fc = fc0; fc < fc1; fc++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++)
        {
          float *f = full + (fc * k + i) * k + j, *c = kept + (fc * kh + i) * kw + j;

          if (lc->to_kept)
            *c = *f;
          else
            *f += *c;
        }
}

static void
live_copy (const Conv2D *cv, const TlConv2dTaps *t, float *full, float *kept, gboolean to_kept, gboolean add)
{
  LiveCopy lc = { cv, t, full, kept, to_kept, add };
  const gsize rows = (gsize) cv->filters * cv->in_c;

  /* memory-bound on the full kernels, whose every line holds a live tap: both threads' bandwidth */
  tl_parallel_for (rows, MAX (1, 65536 / (cv->k * cv->k)), live_copy_chunk, &lc);
}

void
tl_conv2d_live_weights (const Conv2D *cv, const TlConv2dTaps *t, const float *w, float *kept)
{
  live_copy (cv, t, (float *) w, kept, TRUE, FALSE);
}

/* Columns [w0, w1) of one image row, of each image (in_sample floats apart),
 * into dst [w1 - w0, n]; images [images, n) are zero. */
static inline void
interleave_cells (const float *restrict row, gsize in_sample, int images, int n, int w0, int w1,
                  float *restrict dst)
{
  if (n == 2 && images == 2)   /* two images: a loop the compiler turns into shuffles */
    for (int w = w0; w < w1; w++)
      {
        dst[2 * (w - w0)] = row[w];
        dst[2 * (w - w0) + 1] = row[in_sample + w];
      }
  else
    /* the images innermost: the stores are contiguous, the loads n lines that the next channel reuses */
    for (int w = w0; w < w1; w++)
      {
        for (int b = 0; b < images; b++)
          dst[(gsize) (w - w0) * n + b] = row[b * in_sample + w];
        for (int b = images; b < n; b++)
          dst[(gsize) (w - w0) * n + b] = 0.0f;
      }
}

TlConv2dWindow
tl_conv2d_window_of (const Conv2D *cv, const TlConv2dTaps *t, int images, int n)
{
  const int s = cv->stride;
  TlConv2dWindow win = { .r0 = t->ki0, .c0 = t->kj0, .images = images, .n = n };

  win.rows = (cv->out_h - 1) * s + t->ki1 - win.r0;
  win.cols = (cv->out_w - 1) * s + t->kj1 - win.c0;
  return win;
}

/* With the images innermost, a tap's run over an output row covers all n
 * images at once: OW * n floats in one copy where an image-by-image layout
 * makes n copies of OW. On planes of 8x8 down to 1x1 that is what makes the
 * patches cheap. The copy covers only the part of the zero-bordered image
 * that the taps read: on a 1x1 plane under a padded 3x3 kernel, where only
 * the centre tap is live, that is the image alone. */
TL_VECTORIZED void
tl_conv2d_window (const Conv2D *cv, const TlConv2dWindow *win, const float *in, float *window)
{
  const int pad = cv->pad, H = cv->in_h, W = cv->in_w, n = win->n;
  const int BW = win->cols, c0 = win->c0, c1 = win->c0 + win->cols;
  /* the columns that hold image cells */
  const int x0 = CLAMP (pad, c0, c1), x1 = CLAMP (pad + W, x0, c1);
  const gsize in_sample = (gsize) cv->in_c * H * W;

  for (int c = 0; c < cv->in_c; c++)
    for (int y = win->r0; y < win->r0 + win->rows; y++)
      {
        const int h = y - pad;
        float *dst = window + ((gsize) c * win->rows + y - win->r0) * BW * n;

        if (h < 0 || h >= H)
          {
            memset (dst, 0, sizeof (float) * BW * n);
            continue;
          }
        memset (dst, 0, sizeof (float) * (x0 - c0) * n);
        interleave_cells (in + ((gsize) c * H + h) * W, in_sample, win->images, n, x0 - pad, x1 - pad,
                          dst + (gsize) (x0 - c0) * n);
        memset (dst + (gsize) (x1 - c0) * n, 0, sizeof (float) * (c1 - x1) * n);
      }
}

TL_VECTORIZED void
tl_conv2d_window_patches (const Conv2D *cv, const TlConv2dTaps *t, const TlConv2dWindow *win,
                          const float *window, float *col, gsize ld)
{
  const int s = cv->stride, OH = cv->out_h, OW = cv->out_w, n = win->n;
  const int kh = t->ki1 - t->ki0, kw = t->kj1 - t->kj0;

  for (int c = 0; c < cv->in_c; c++)
    for (int ki = 0; ki < kh; ki++)
      for (int kj = 0; kj < kw; kj++)
        {
          float *row = col + (gsize) ((c * kh + ki) * kw + kj) * ld;
          const float *src = window + (((gsize) c * win->rows + ki) * win->cols + kj) * n;
          const gsize step = (gsize) s * win->cols * n;

          if (s == 1)
            for (int oh = 0; oh < OH; oh++)
              copy_run (row + (gsize) oh * OW * n, src + oh * step, OW * n);
          else
            for (int oh = 0; oh < OH; oh++)
              for (int ow = 0; ow < OW; ow++)
                copy_run (row + ((gsize) oh * OW + ow) * n, src + oh * step + (gsize) ow * s * n, n);
        }
}

void
tl_conv2d_live_scatter (const Conv2D *cv, const TlConv2dTaps *t, const float *kept, gboolean add, float *w)
{
  live_copy (cv, t, w, (float *) kept, FALSE, add);
}

TL_VECTORIZED void
tl_conv2d_unpatches (const Conv2D *cv, const TlConv2dTaps *t, const float *dcol, float *grad_in, gsize ld)
{
  const int s = cv->stride, kh = t->ki1 - t->ki0, kw = t->kj1 - t->kj0;

  for (int c = 0; c < cv->in_c; c++)
    for (int ki = t->ki0; ki < t->ki1; ki++)
      for (int kj = t->kj0; kj < t->kj1; kj++)
        {
          const float *row = dcol + (gsize) ((c * kh + ki - t->ki0) * kw + kj - t->kj0) * ld;
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
