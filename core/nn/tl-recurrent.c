#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-fastmath.h"
#include "tl-gemm.h"
#include "tl-parallel.h"
#include "tl-recurrent.h"

gboolean
tl_recurrent_init (TlRecurrent *rc, TlLayer *layer, const char *kind, int gates, TlRng *rng, GError **error)
{
  const int H = layer->spec.units;
  float bound;

  if (layer->in_ndim != 2 || layer->in_shape[0] < 1 || layer->in_shape[1] < 1)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "%s expects a sequence of vectors [steps, features], got %s: "
                   "put an embedding layer before it", kind, shape);
      return FALSE;
    }
  if (H < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "%s needs at least one hidden unit, got %d", kind, H);
      return FALSE;
    }

  rc->T = layer->in_shape[0];
  rc->E = layer->in_shape[1];
  rc->H = H;
  rc->G = gates * H;
  rc->hprev = tl_tensor_new_empty ();
  rc->hlast = tl_tensor_new_empty ();
  rc->dh = tl_tensor_new_empty ();

  if (layer->spec.return_sequences)
    {
      layer->out_ndim = 2;
      layer->out_shape[0] = rc->T;
      layer->out_shape[1] = H;
    }
  else
    {
      layer->out_ndim = 1;
      layer->out_shape[0] = H;
    }

  tl_layer_add_param (layer, "weight_ih_l0", 2, (int[]) { rc->G, rc->E });
  tl_layer_add_param (layer, "weight_hh_l0", 2, (int[]) { rc->G, H });
  tl_layer_add_param (layer, "bias_ih_l0", 1, (int[]) { rc->G });
  tl_layer_add_param (layer, "bias_hh_l0", 1, (int[]) { rc->G });
  bound = 1.0f / sqrtf ((float) H);
  for (int p = 0; p < layer->n_params; p++)
    {
      TlTensor *v = layer->params[p].value;
      for (gsize i = 0; i < v->size; i++)
        v->data[i] = tl_rng_uniform_range (rng, -bound, bound);
    }
  return TRUE;
}

void
tl_recurrent_clear (TlRecurrent *rc)
{
  g_clear_pointer (&rc->hprev, tl_tensor_free);
  g_clear_pointer (&rc->hlast, tl_tensor_free);
  g_clear_pointer (&rc->dh, tl_tensor_free);
}

const float *
tl_recurrent_mask (const TlContext *ctx, int steps)
{
  return ctx != NULL && ctx->mask != NULL && ctx->mask_steps == steps ? ctx->mask : NULL;
}

gboolean
tl_recurrent_forward_begin (TlRecurrent *rc, TlLayer *layer, const TlTensor *in, TlTensor *out,
                            TlTensor *gx, gboolean add_bias)
{
  const int B = in->shape[0], T = rc->T, E = rc->E, H = rc->H, G = rc->G;
  const int rows = B * T;
  const float *w_ih = layer->params[0].value->data;

  g_assert (in->size == (gsize) rows * E);
  if (layer->spec.return_sequences)
    tl_tensor_resize (out, 3, (int[]) { B, T, H });
  else
    tl_tensor_resize (out, 2, (int[]) { B, H });
  if (B == 0)
    return FALSE;
  tl_tensor_resize (gx, 2, (int[]) { rows, G });
  tl_tensor_resize (rc->hprev, 2, (int[]) { rows, H });
  tl_tensor_resize (rc->hlast, 2, (int[]) { B, H });

  if (add_bias)
    {
      const float *b_ih = layer->params[2].value->data;

      for (int r = 0; r < rows; r++)
        memcpy (gx->data + (gsize) r * G, b_ih, sizeof (float) * G);
    }
  tl_sgemm (FALSE, TRUE, rows, G, E,
            1.0f, in->data, E, w_ih, E, add_bias ? 1.0f : 0.0f, gx->data, G);

  for (int b = 0; b < B; b++)
    memset (rc->hprev->data + (gsize) b * T * H, 0, sizeof (float) * H);
  return TRUE;
}

void
tl_recurrent_forward_end (TlRecurrent *rc, const TlLayer *layer, TlTensor *out)
{
  if (!layer->spec.return_sequences)
    memcpy (out->data, rc->hlast->data, sizeof (float) * rc->hlast->size);
}

gboolean
tl_recurrent_backward_begin (TlRecurrent *rc, const TlLayer *layer, const TlTensor *in,
                             const TlTensor *grad_out, TlTensor *grad_in)
{
  const int B = in->shape[0], H = rc->H;

  if (grad_in != NULL)
    tl_tensor_resize (grad_in, in->ndim, in->shape);
  if (B == 0 || (!layer->trainable && grad_in == NULL))
    return FALSE;
  g_assert (rc->hprev->size == (gsize) B * rc->T * H);

  tl_tensor_resize (rc->dh, 2, (int[]) { B, H });
  if (layer->spec.return_sequences)
    tl_tensor_zero (rc->dh);
  else
    memcpy (rc->dh->data, grad_out->data, sizeof (float) * B * H);
  return TRUE;
}

void
tl_recurrent_backward_end (TlRecurrent *rc, TlLayer *layer, const TlTensor *in,
                           const float *dgx, const float *dgh, TlTensor *grad_in)
{
  const int rows = in->shape[0] * rc->T, E = rc->E, H = rc->H, G = rc->G;

  if (layer->trainable)
    {
      tl_sgemm (TRUE, FALSE, G, E, rows,
                1.0f, dgx, G, in->data, E, 1.0f, layer->params[0].grad->data, E);
      /* hprev is zero at t = 0, so the whole batch of steps is one product */
      tl_sgemm (TRUE, FALSE, G, H, rows,
                1.0f, dgh, G, rc->hprev->data, H, 1.0f, layer->params[1].grad->data, H);
    }
  if (grad_in != NULL)
    tl_sgemm (FALSE, FALSE, rows, E, G,
              1.0f, dgx, G, layer->params[0].value->data, E, 0.0f, grad_in->data, E);
}

typedef struct {
  const float *m;
  float       *sum;
  int          rows, cols;
} ColumnSums;

/* Each column added in row order whoever computes it. Blocks of 32 columns
 * keep their sums in registers over all the rows. */
TL_VECTORIZED static void
column_sums_range (gpointer data, gsize j0, gsize j1)
{
  const ColumnSums *cs = data;
  gsize j = j0;

  for (; j + 32 <= j1; j += 32)
    {
      TlBlock8 a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };

      for (int r = 0; r < cs->rows; r++)
        {
          const float *row = cs->m + (gsize) r * cs->cols + j;

          a0 += *(const TlBlock8 *) row;
          a1 += *(const TlBlock8 *) (row + 8);
          a2 += *(const TlBlock8 *) (row + 16);
          a3 += *(const TlBlock8 *) (row + 24);
        }
      *(TlBlock8 *) (cs->sum + j) = a0;
      *(TlBlock8 *) (cs->sum + j + 8) = a1;
      *(TlBlock8 *) (cs->sum + j + 16) = a2;
      *(TlBlock8 *) (cs->sum + j + 24) = a3;
    }
  if (j == j1)
    return;
  memset (cs->sum + j, 0, sizeof (float) * (j1 - j));
  for (int r = 0; r < cs->rows; r++)
    {
      const float *restrict row = cs->m + (gsize) r * cs->cols;
      float *restrict sum = cs->sum;
      for (gsize k = j; k < j1; k++)
        sum[k] += row[k];
    }
}

void
tl_recurrent_column_sums (const float *m, int rows, int cols, float *sum)
{
  ColumnSums cs = { m, sum, rows, cols };

  tl_parallel_for (cols, 64, column_sums_range, &cs);
}
