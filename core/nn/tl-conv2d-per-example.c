#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <cblas.h>

#include "tl-conv2d-per-example.h"
#include "tl-conv2d-private.h"
#include "tl-parallel.h"

/* An image's weight gradient is its output gradient times its patch matrix,
 * dW [F, C*k*k] = dY [F, P] x patches [C*k*k, P]^T: as many products as the
 * layer's own weight gradient, kept apart per image instead of summed. The
 * bias gradient is the sum of each output plane. Each image's norm depends on
 * that image alone, whatever the number of threads. */

typedef struct {
  const Conv2D *cv;
  const float  *in, *grad_out;
  double       *sq;
} NormPass;

static void
norm_images (gpointer data, gsize b0, gsize b1)
{
  const NormPass *np = data;
  const Conv2D *cv = np->cv;
  const int F = cv->filters, K = cv->in_c * cv->k * cv->k, P = cv->out_h * cv->out_w;
  const gsize in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;
  g_autofree float *col = g_new (float, (gsize) K * P);
  g_autofree float *dw = g_new (float, (gsize) F * K);

  for (gsize b = b0; b < b1; b++)
    {
      const float *dy = np->grad_out + b * (gsize) F * P;
      double total = 0.0;

      tl_conv2d_patches (cv, np->in + b * in_sample, col, P);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, F, K, P, 1.0f, dy, P, col, P, 0.0f, dw, K);
      for (gsize k = 0; k < (gsize) F * K; k++)
        total += (double) dw[k] * dw[k];
      for (int f = 0; f < F; f++)
        {
          double plane = 0.0;
          for (int p = 0; p < P; p++)
            plane += dy[(gsize) f * P + p];
          total += plane * plane;
        }
      np->sq[b] += total;
    }
}

void
tl_conv2d_per_example_sq_norms (const TlLayer *layer, const TlTensor *in, const TlTensor *grad_out, double *sq)
{
  const Conv2D *cv = layer->priv;
  const int batch = in->shape[0];

  g_return_if_fail (layer->spec.kind == TL_LAYER_CONV2D && layer->spec.groups <= 1);
  g_return_if_fail (grad_out->size == (gsize) batch * cv->filters * cv->out_h * cv->out_w);
  if (batch == 0)
    return;
  tl_parallel_for (batch, 1, norm_images, &(NormPass) { .cv = cv, .in = in->data, .grad_out = grad_out->data, .sq = sq });
}
