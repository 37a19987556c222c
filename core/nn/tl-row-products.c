#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include "tl-parallel.h"
#include "tl-row-products.h"

/* Rows times a matrix, a few rows at a time: each load of m feeds every row's
 * sum, so four rows read the matrix from L2 a quarter as often as one. The
 * columns go in blocks whose accumulators stay in registers for the whole
 * loop over k: 16 vectors of 16 floats with AVX-512, but only 8 of 8 floats
 * with AVX2, which has 16 registers in all (a block of 64 columns there sent
 * every accumulator through the stack). Each output is y plus its k terms in
 * order, whatever the block and the number of rows, so neither changes bits. */

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* Columns [j0, j0 + W) of rows y0..y3 (rows past `rows` unused). */
ALWAYS_INLINE void
block (int rows, const int W, float *const *y, const float *const *x, const float *restrict m, int k, int n,
       int j0)
{
  float *restrict y0 = y[0], *restrict y1 = y[rows > 1], *restrict y2 = y[rows > 2 ? 2 : 0];
  float *restrict y3 = y[rows > 3 ? 3 : 0];
  const float *restrict x0 = x[0], *restrict x1 = x[rows > 1], *restrict x2 = x[rows > 2 ? 2 : 0];
  const float *restrict x3 = x[rows > 3 ? 3 : 0];
  float a0[64], a1[64], a2[64], a3[64];

  for (int j = 0; j < W; j++)
    {
      a0[j] = y0[j0 + j];
      if (rows > 1)
        a1[j] = y1[j0 + j];
      if (rows > 2)
        a2[j] = y2[j0 + j];
      if (rows > 3)
        a3[j] = y3[j0 + j];
    }
  for (int i = 0; i < k; i++)
    {
      const float u0 = x0[i], u1 = x1[i], u2 = x2[i], u3 = x3[i];
      const float *restrict row = m + (gsize) i * n + j0;

      for (int j = 0; j < W; j++)
        {
          a0[j] += u0 * row[j];
          if (rows > 1)
            a1[j] += u1 * row[j];
          if (rows > 2)
            a2[j] += u2 * row[j];
          if (rows > 3)
            a3[j] += u3 * row[j];
        }
    }
  for (int j = 0; j < W; j++)
    {
      y0[j0 + j] = a0[j];
      if (rows > 1)
        y1[j0 + j] = a1[j];
      if (rows > 2)
        y2[j0 + j] = a2[j];
      if (rows > 3)
        y3[j0 + j] = a3[j];
    }
}

/* Whole blocks of W columns, then the columns left one row at a time. */
ALWAYS_INLINE void
product (int rows, const int W, float *const *y, const float *const *x, const float *restrict m, int k, int n)
{
  int j0 = 0;

  for (; j0 + W <= n; j0 += W)
    block (rows, W, y, x, m, k, n, j0);
  for (int r = 0; r < rows; r++)
    for (int i = 0; i < k && j0 < n; i++)
      {
        const float *restrict row = m + (gsize) i * n;
        float *restrict yr = y[r];

        for (int j = j0; j < n; j++)
          yr[j] += x[r][i] * row[j];
      }
}

TL_VECTORIZED static void
product_wide (int rows, float *const *y, const float *const *x, const float *m, int k, int n)
{
  if (rows == 4)
    product (4, 64, y, x, m, k, n);
  else if (rows == 2)
    product (2, 64, y, x, m, k, n);
  else
    product (1, 64, y, x, m, k, n);
}

TL_VECTORIZED static void
product_narrow (int rows, float *const *y, const float *const *x, const float *m, int k, int n)
{
  if (rows == 4)
    product (4, 16, y, x, m, k, n);
  else if (rows == 2)
    product (2, 32, y, x, m, k, n);
  else
    product (1, 64, y, x, m, k, n);
}

static TlRowBlocks forced = TL_ROW_BLOCKS_HOST;

void
tl_row_products_set_blocks (TlRowBlocks blocks)
{
  forced = blocks;
}

void
tl_rows_times_matrix (int rows, float *const *y, const float *const *x, const float *m, int k, int n)
{
  const gboolean narrow = forced == TL_ROW_BLOCKS_NARROW
                          || (forced == TL_ROW_BLOCKS_HOST && !__builtin_cpu_supports ("avx512f"));
  const float *const *xr = x;
  float *const *yr = y;

  g_return_if_fail (rows >= 1 && rows <= 4);
  if (rows == 3)
    {
      tl_rows_times_matrix (2, y, x, m, k, n);
      yr += 2;
      xr += 2;
      rows = 1;
    }
  if (narrow)
    product_narrow (rows, yr, xr, m, k, n);
  else
    product_wide (rows, yr, xr, m, k, n);
}
