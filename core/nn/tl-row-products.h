#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* y[r][0..n) += x[r][0..k) times the row-major matrix m [k, n], for rows r <
 * `rows` (1 to 4): the recurrent products of the LSTM, one batch row each. */
void tl_rows_times_matrix (int rows, float *const *y, const float *const *x, const float *m, int k, int n);

/* The column blocks: 64 columns where the CPU has AVX-512, narrower ones
 * otherwise. Both give the same bits; tests compare them. */
typedef enum {
  TL_ROW_BLOCKS_HOST,
  TL_ROW_BLOCKS_WIDE,
  TL_ROW_BLOCKS_NARROW,
} TlRowBlocks;
void tl_row_products_set_blocks (TlRowBlocks blocks);

G_END_DECLS
