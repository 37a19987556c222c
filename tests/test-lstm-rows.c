#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "layer-check.h"
#include "tl-recurrent.h"
#include "tl-row-products.h"

/* The LSTM runs its recurrent products four batch rows at a time, then the
 * two or one left (tl-row-products.c), in column blocks that depend on the
 * CPU; these tests use sizes that take every grouping and block. */

static float *
lead_and_trail_mask (int batch, int T)
{
  float *mask = g_new (float, (gsize) batch * T);

  for (int b = 0; b < batch; b++)
    {
      int valid = 1 + (b * 3) % T;
      for (int t = 0; t < T; t++)
        mask[b * T + t] = (b % 2 ? t >= T - valid : t < valid) ? 1.0f : 0.0f;
    }
  return mask;
}

/* H 16: the forward products run four rows at a time; finite differences. */
static void
test_grouped_gradients (void)
{
  for (int masked = 0; masked <= 1; masked++)
    for (int seq = 0; seq <= 1; seq++)
      {
        const int T = 4, E = 3, B = 11;
        TlRng rng;
        TlContext ctx = { 0 };
        TlLayerSpec spec = { .kind = TL_LAYER_LSTM, .units = 16, .return_sequences = seq };
        g_autoptr (TlLayer) layer = make_layer (&spec, 2, (int[]) { T, E }, 5);
        g_autoptr (TlTensor) in = NULL;
        g_autofree float *mask = masked ? lead_and_trail_mask (B, T) : NULL;

        tl_rng_init (&rng, 17 + masked * 2 + seq);
        for (int p = 0; p < layer->n_params; p++)
          fill_normal (layer->params[p].value, &rng, 0.6f);
        in = random_input (B, 2, (int[]) { T, E }, &rng);
        ctx.mask = mask;
        ctx.mask_steps = mask ? T : 0;
        check_gradients (layer, &ctx, in, TRUE, 3, 1e-2f);
      }
}

/* H 64: both directions run four rows at a time. A batch must give each
 * sequence's output and input gradient, and the sum of the weight gradients,
 * of that sequence run alone (one row, no grouping). */
static void
test_grouped_matches_single_rows (void)
{
  const int T = 6, E = 5, H = 64, B = 11;
  TlRng rng;
  TlContext ctx = { .training = TRUE, .mask_steps = T };
  TlLayerSpec spec = { .kind = TL_LAYER_LSTM, .units = H, .return_sequences = TRUE };
  g_autoptr (TlLayer) layer = make_layer (&spec, 2, (int[]) { T, E }, 7);
  g_autoptr (TlLayer) alone = make_layer (&spec, 2, (int[]) { T, E }, 7);
  g_autoptr (TlTensor) in = NULL;
  g_autoptr (TlTensor) out = tl_tensor_new_empty ();
  g_autoptr (TlTensor) grad_out = NULL;
  g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
  g_autoptr (TlTensor) in1 = tl_tensor_new (3, (int[]) { 1, T, E });
  g_autoptr (TlTensor) out1 = tl_tensor_new_empty ();
  g_autoptr (TlTensor) grad_out1 = tl_tensor_new (3, (int[]) { 1, T, H });
  g_autoptr (TlTensor) grad_in1 = tl_tensor_new_empty ();
  g_autofree float *mask = lead_and_trail_mask (B, T);
  double max_err = 0.0;

  tl_rng_init (&rng, 29);
  for (int p = 0; p < layer->n_params; p++)
    {
      fill_normal (layer->params[p].value, &rng, 0.3f);
      memcpy (alone->params[p].value->data, layer->params[p].value->data,
              sizeof (float) * layer->params[p].value->size);
      tl_tensor_zero (layer->params[p].grad);
      tl_tensor_zero (alone->params[p].grad);
    }
  in = random_input (B, 2, (int[]) { T, E }, &rng);
  ctx.mask = mask;
  tl_layer_forward (layer, &ctx, in, out);
  grad_out = tl_tensor_new (out->ndim, out->shape);
  fill_normal (grad_out, &rng, 1.0f);
  tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);

  for (int b = 0; b < B; b++)
    {
      TlContext ctx1 = { .training = TRUE, .mask = mask + b * T, .mask_steps = T };

      memcpy (in1->data, in->data + (gsize) b * T * E, sizeof (float) * T * E);
      memcpy (grad_out1->data, grad_out->data + (gsize) b * T * H, sizeof (float) * T * H);
      tl_layer_forward (alone, &ctx1, in1, out1);
      tl_layer_backward (alone, &ctx1, in1, out1, grad_out1, grad_in1);
      for (int i = 0; i < T * H; i++)
        max_err = MAX (max_err, fabs (out1->data[i] - out->data[(gsize) b * T * H + i]));
      for (int i = 0; i < T * E; i++)
        max_err = MAX (max_err, fabs (grad_in1->data[i] - grad_in->data[(gsize) b * T * E + i]));
    }
  g_assert_cmpfloat (max_err, <, 1e-5);
  for (int p = 0; p < layer->n_params; p++)
    {
      const TlTensor *g = layer->params[p].grad, *g1 = alone->params[p].grad;
      double norm = 0.0;

      for (gsize i = 0; i < g->size; i++)
        norm = MAX (norm, fabs (g->data[i]));
      g_assert_cmpfloat (norm, >, 0.0);
      for (gsize i = 0; i < g->size; i++)
        g_assert_cmpfloat (fabs (g->data[i] - g1->data[i]), <, 1e-5 * (1.0 + norm));
    }
}

/* Rows times a matrix: the wide and the narrow column blocks give the same
 * bits, for every number of rows and widths with and without a partial block,
 * and both give the sums. */
static void
test_blocks_agree (void)
{
  const int widths[] = { 256, 64, 100, 40, 17, 3 }, depths[] = { 1, 7, 64 };
  TlRng rng;

  tl_rng_init (&rng, 41);
  for (guint wi = 0; wi < G_N_ELEMENTS (widths); wi++)
    for (guint di = 0; di < G_N_ELEMENTS (depths); di++)
      for (int rows = 1; rows <= 4; rows++)
        {
          const int n = widths[wi], k = depths[di];
          g_autofree float *m = g_new (float, (gsize) k * n);
          g_autofree float *x = g_new (float, (gsize) 4 * k);
          g_autofree float *start = g_new (float, (gsize) 4 * n);
          g_autofree float *wide = g_new (float, (gsize) 4 * n);
          g_autofree float *narrow = g_new (float, (gsize) 4 * n);
          float *yw[4], *yn[4];
          const float *xr[4];

          for (int i = 0; i < k * n; i++)
            m[i] = tl_rng_normal (&rng);
          for (int i = 0; i < 4 * k; i++)
            x[i] = tl_rng_normal (&rng);
          for (int i = 0; i < 4 * n; i++)
            start[i] = tl_rng_normal (&rng);
          memcpy (wide, start, sizeof (float) * 4 * n);
          memcpy (narrow, start, sizeof (float) * 4 * n);
          for (int r = 0; r < 4; r++)
            {
              yw[r] = wide + r * n;
              yn[r] = narrow + r * n;
              xr[r] = x + r * k;
            }
          tl_row_products_set_blocks (TL_ROW_BLOCKS_WIDE);
          tl_rows_times_matrix (rows, yw, xr, m, k, n);
          tl_row_products_set_blocks (TL_ROW_BLOCKS_NARROW);
          tl_rows_times_matrix (rows, yn, xr, m, k, n);
          tl_row_products_set_blocks (TL_ROW_BLOCKS_HOST);
          g_assert_cmpmem (wide, sizeof (float) * 4 * n, narrow, sizeof (float) * 4 * n);
          for (int r = 0; r < 4; r++)
            for (int j = 0; j < n; j++)
              {
                double sum = start[r * n + j], size = fabs (sum);

                for (int i = 0; r < rows && i < k; i++)
                  {
                    sum += (double) x[r * k + i] * m[(gsize) i * n + j];
                    size += fabs ((double) x[r * k + i] * m[(gsize) i * n + j]);
                  }
                g_assert_cmpfloat (fabs (wide[r * n + j] - sum), <=, 1e-6 * size);
              }
        }
}

/* The bias gradient's column sums: blocks of 32 columns and the columns after
 * them, each the same float sum in row order as one column at a time. */
static void
test_column_sums (void)
{
  const int widths[] = { 1, 7, 31, 32, 33, 64, 70, 256 };
  const int heights[] = { 1, 2, 37 };

  for (gsize w = 0; w < G_N_ELEMENTS (widths); w++)
    for (gsize h = 0; h < G_N_ELEMENTS (heights); h++)
      {
        const int cols = widths[w], rows = heights[h];
        g_autofree float *m = g_new (float, (gsize) rows * cols);
        g_autofree float *sum = g_new (float, cols);

        for (int i = 0; i < rows * cols; i++)
          m[i] = sinf (0.37f * (float) i) * (1.0f + (float) (i % 5));
        tl_recurrent_column_sums (m, rows, cols, sum);
        for (int j = 0; j < cols; j++)
          {
            float expect = 0.0f;

            for (int r = 0; r < rows; r++)
              expect += m[(gsize) r * cols + j];
            g_assert_cmpmem (&sum[j], sizeof (float), &expect, sizeof (float));
          }
      }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lstm/rows/grouped-gradients", test_grouped_gradients);
  g_test_add_func ("/lstm/rows/grouped-matches-single-rows", test_grouped_matches_single_rows);
  g_test_add_func ("/lstm/rows/blocks-agree", test_blocks_agree);
  g_test_add_func ("/lstm/rows/column-sums", test_column_sums);
  return g_test_run ();
}
