#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "layer-check.h"

/* The LSTM groups batch rows by four for its recurrent products when the
 * product's width is a multiple of 64 (4H for forward, H for backward), and by
 * two or one otherwise; these tests use sizes that take every grouping. */

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lstm/rows/grouped-gradients", test_grouped_gradients);
  g_test_add_func ("/lstm/rows/grouped-matches-single-rows", test_grouped_matches_single_rows);
  return g_test_run ();
}
