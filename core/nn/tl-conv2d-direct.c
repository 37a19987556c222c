#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-conv2d-private.h"
#include "tl-parallel.h"

/* A convolution over a group's window (images innermost), computed without
 * its patch matrix. With the images innermost, the 16 outputs of a block read,
 * for every tap, 16 consecutive floats of the window: the block of patches the
 * product would read is already there. The patch matrix and the BLAS's own
 * packed copy of it (three passes over K * N floats) give way to one tile of
 * accumulators per 6 filters and 4 blocks, fed straight from the window. */

/* A tile: 6 filters x 4 blocks of 16 outputs. Its 24 accumulators leave
 * registers for the 4 blocks of the window; the weights are broadcast from
 * memory. Planes of 8 blocks per row of filters then have no partial tile. */
#define FILTERS 6
#define BLOCKS 4

/* Each block of 16 outputs must read 16 consecutive floats of the window for
 * every tap: 16 images at one output position (n a multiple of 16, any
 * stride), or, at a stride of 1, a stretch of one output row (rows of whole
 * blocks). The images are made up to the next count that fits with zero ones,
 * whose outputs no one reads. Each output is the same sum in the same order
 * whatever the window, so an image's outputs do not depend on its batch. */
int
tl_conv2d_direct_images (const Conv2D *cv, int images)
{
  int step = 16;

  if (cv->stride == 1)
    for (int w = cv->out_w; w % 2 == 0 && step > 1; w /= 2)
      step /= 2;
  return (images + step - 1) / step * step;
}

gsize
tl_conv2d_direct_packed_size (int F, int K)
{
  return (gsize) (F + FILTERS - 1) / FILTERS * K * FILTERS;
}

/* [F, K] to [F / 6][K][6], the last group of filters padded with zeros. */
void
tl_conv2d_direct_pack (const float *w, int F, int K, float *packed)
{
  for (int f0 = 0; f0 < F; f0 += FILTERS)
    {
      float *dst = packed + (gsize) f0 * K;

      for (int k = 0; k < K; k++)
        for (int f = 0; f < FILTERS; f++)
          dst[(gsize) k * FILTERS + f] = f0 + f < F ? w[(gsize) (f0 + f) * K + k] : 0.0f;
    }
}

/* One tile: the tile's filters of rows, at the nb blocks that start at base[]. */
static inline __attribute__ ((always_inline)) void
tile (const Conv2D *cv, const TlConv2dTaps *t, const TlConv2dWindow *win, const float *window,
      const float *wp, const gsize *base, const gsize *out, int nb, int filters, gsize N, float *rows)
{
  const int kh = t->ki1 - t->ki0, kw = t->kj1 - t->kj0, n = win->n;
  const gsize row_step = (gsize) win->cols * n, channel_step = (gsize) win->rows * row_step;
  TlBlock16 acc[FILTERS][BLOCKS];

  for (int f = 0; f < FILTERS; f++)
    for (int b = 0; b < nb; b++)
      acc[f][b] = (TlBlock16) { 0 };
  for (int c = 0; c < cv->in_c; c++)
    for (int ki = 0; ki < kh; ki++)
      for (int kj = 0; kj < kw; kj++, wp += FILTERS)
        {
          const float *tap = window + c * channel_step + ki * row_step + (gsize) kj * n;
          TlBlock16 x[BLOCKS];

          for (int b = 0; b < nb; b++)
            x[b] = *(const TlBlock16 *) (tap + base[b]);
          for (int f = 0; f < FILTERS; f++)
            for (int b = 0; b < nb; b++)
              acc[f][b] += wp[f] * x[b];
        }
  for (int f = 0; f < filters; f++)
    for (int b = 0; b < nb; b++)
      *(TlBlock16 *) (rows + f * N + out[b]) = acc[f][b];
}

/* The same tile one block wide, each block as two halves of 8 floats: without
 * AVX-512 a block of 16 is no register, and the compiler would take the tile
 * apart in memory. Its 12 accumulators and the block of the window fit in 16
 * registers of 8 floats. Each output is the same sum in the same order. */
static inline __attribute__ ((always_inline)) void
tile_halves (const Conv2D *cv, const TlConv2dTaps *t, const TlConv2dWindow *win, const float *window,
             const float *wp, gsize base, gsize out, int filters, gsize N, float *rows)
{
  const int kh = t->ki1 - t->ki0, kw = t->kj1 - t->kj0, n = win->n;
  const gsize row_step = (gsize) win->cols * n, channel_step = (gsize) win->rows * row_step;
  TlBlock8 acc[FILTERS][2];

  for (int f = 0; f < FILTERS; f++)
    acc[f][0] = acc[f][1] = (TlBlock8) { 0 };
  for (int c = 0; c < cv->in_c; c++)
    for (int ki = 0; ki < kh; ki++)
      for (int kj = 0; kj < kw; kj++, wp += FILTERS)
        {
          const float *tap = window + c * channel_step + ki * row_step + (gsize) kj * n + base;
          const TlBlock8 x0 = *(const TlBlock8 *) tap, x1 = *(const TlBlock8 *) (tap + 8);

          for (int f = 0; f < FILTERS; f++)
            {
              acc[f][0] += wp[f] * x0;
              acc[f][1] += wp[f] * x1;
            }
        }
  for (int f = 0; f < filters; f++)
    {
      *(TlBlock8 *) (rows + f * N + out) = acc[f][0];
      *(TlBlock8 *) (rows + f * N + out + 8) = acc[f][1];
    }
}

static TlConv2dTiles tiles = TL_CONV2D_TILES_HOST;

void
tl_conv2d_direct_set_tiles (TlConv2dTiles which)
{
  tiles = which;
}

int
tl_conv2d_direct_tiles (int F)
{
  return (F + FILTERS - 1) / FILTERS;
}

TL_VECTORIZED void
tl_conv2d_direct (const Conv2D *cv, const TlConv2dTaps *t, const TlConv2dWindow *win, const float *window,
                  const float *packed, int tile0, int tile1, float *rows)
{
  const int F = cv->filters, K = cv->in_c * (t->ki1 - t->ki0) * (t->kj1 - t->kj0), n = win->n;
  const int s = cv->stride, blocks = cv->out_h * cv->out_w * n / 16;
  const gsize N = (gsize) blocks * 16;
  const gboolean halves = tiles == TL_CONV2D_TILES_HALVES
                          || (tiles == TL_CONV2D_TILES_HOST && !__builtin_cpu_supports ("avx512f"));

  for (int f0 = tile0 * FILTERS; f0 < MIN (F, tile1 * FILTERS); f0 += FILTERS)
    {
      const float *wp = packed + (gsize) f0 * K;
      const int filters = MIN (FILTERS, F - f0);

      for (int b0 = 0; b0 < blocks; b0 += halves ? 1 : BLOCKS)
        {
          const int nb = MIN (halves ? 1 : BLOCKS, blocks - b0);
          /* where the window holds each block's first tap, and where the rows take the block */
          gsize base[BLOCKS] = { 0 }, out[BLOCKS] = { 0 };

          for (int b = 0; b < nb; b++)
            {
              /* the block's first output: image i at output position q */
              const gsize column = (gsize) (b0 + b) * 16, q = column / n, i = column % n;
              const gsize oh = q / cv->out_w, ow = q % cv->out_w;

              base[b] = (oh * s * win->cols + ow * s) * n + i;
              out[b] = column;
            }
          if (halves)
            {
              tile_halves (cv, t, win, window, wp, base[0], out[0], filters, N, rows + (gsize) f0 * N);
              continue;
            }
          /* a constant number of blocks, for the compiler to keep the tile in registers */
          if (nb == 4)
            tile (cv, t, win, window, wp, base, out, 4, filters, N, rows + (gsize) f0 * N);
          else if (nb == 3)
            tile (cv, t, win, window, wp, base, out, 3, filters, N, rows + (gsize) f0 * N);
          else if (nb == 2)
            tile (cv, t, win, window, wp, base, out, 2, filters, N, rows + (gsize) f0 * N);
          else
            tile (cv, t, win, window, wp, base, out, 1, filters, N, rows + (gsize) f0 * N);
        }
    }
}
