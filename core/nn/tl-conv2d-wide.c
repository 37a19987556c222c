#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <cblas.h>
#include <string.h>

#include "tl-conv2d-private.h"
#include "tl-gemm.h"
#include "tl-parallel.h"

/* Convolutions over groups of images side by side. With small output planes,
 * as in the late stages of a residual network (8x8 down to 1x1), one image's
 * product would be mostly the packing of the weights [F, C*k*k] by the BLAS:
 * with P outputs per plane it reuses each packed weight only P times. So the
 * images of a group are laid side by side, images innermost, and one product
 * serves them all; its output rows are then scattered back into each image's
 * planes.
 * - Forward passes compute that product with the direct kernel
 *   (tl-conv2d-direct.c) straight from the group's window.
 * - Backward passes of small planes build the group's patch matrix and use the
 *   BLAS; larger planes go image by image (tl-layer-conv2d.c).
 * Groups depend on the batch and the plane size alone, so the result does not
 * depend on the number of threads. */

/* Columns of one group's product that make the packing of the weights cheap. */
#define WIDE_COLUMNS 128

/* Whole windows of the direct kernel where the batch allows: a group of
 * images it would have to make up with zero ones would waste its work. */
static int
group_size (const Conv2D *cv, int batch)
{
  const int P = cv->out_h * cv->out_w;
  const int wanted = (WIDE_COLUMNS + P - 1) / P;

  return MIN (tl_conv2d_direct_images (cv, wanted), MAX (batch, 1));
}

int
tl_conv2d_wide_groups (const Conv2D *cv, int batch)
{
  const int group = group_size (cv, batch);

  return (batch + group - 1) / group;
}

/* the group's scratch: rows [F, n * P] for the n images of the direct
 * kernel's window, the images' planes [group, F, P], the window */
static gsize
scratch_size (const Conv2D *cv, int group)
{
  const gsize n = tl_conv2d_direct_images (cv, group), FP = (gsize) cv->filters * cv->out_h * cv->out_w;

  return FP * (n + group) + tl_conv2d_border_size (cv) * n;
}

typedef struct {
  Conv2D             *cv;
  const TlConv2dWide *pass;
  int                 group;
  /* the taps of the patches, and the weights [F, K] that match them */
  TlConv2dTaps        taps;
  const float        *w;
  int                 K;
  /* forward: the weights as the direct kernel reads them */
  const float        *packed;
  /* one group for the whole batch (a small batch): its products run on the thread pool */
  gboolean            whole;
} Wide;

static void
product (const Wide *wd, gboolean trans_a, gboolean trans_b, int M, int N, int K, const float *A, int lda,
         const float *B, int ldb, float beta, float *C, int ldc)
{
  if (wd->whole)
    tl_sgemm (trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
  else
    cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K,
                 1.0f, A, lda, B, ldb, beta, C, ldc);
}

/* One group's images [first, last), its N = (last - first) * P columns and its scratch. */
typedef struct {
  gsize  index;
  int    first, last;
  gsize  N;
  float *rows;     /* outputs or output gradients [F, N] */
  float *planes;   /* the images' planes [n, F, P] */
  float *window;   /* the images as tl_conv2d_window lays them out */
} Group;

static Group
group_at (const Wide *wd, gsize g)
{
  const Conv2D *cv = wd->cv;
  const gsize P = (gsize) cv->out_h * cv->out_w, most = wd->group * P;
  Group grp = { .index = g, .first = (int) g * wd->group };

  grp.last = MIN (wd->pass->batch, grp.first + wd->group);
  grp.N = (gsize) (grp.last - grp.first) * P;
  grp.rows = cv->gmask->data + g * scratch_size (cv, wd->group);
  grp.planes = grp.rows + cv->filters * tl_conv2d_direct_images (cv, wd->group) * P;
  grp.window = grp.planes + cv->filters * most;
  return grp;
}

/* The group's patches [C*k*k, N] in a backward pass. */
static float *
group_col (const Wide *wd, const Group *grp)
{
  const Conv2D *cv = wd->cv;

  return cv->col->data + grp->index * wd->K * wd->group * cv->out_h * cv->out_w;
}

/* The group's patches for the backward pass, image by image: image b's in
 * columns [(b - first) P, (b - first + 1) P). */
static void
group_patches (const Wide *wd, const Group *grp)
{
  const Conv2D *cv = wd->cv;
  const gsize P = (gsize) cv->out_h * cv->out_w, in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;
  const TlConv2dWindow win = tl_conv2d_window_of (cv, &wd->taps, 1, 1);
  float *col = group_col (wd, grp);

  for (int b = grp->first; b < grp->last; b++)
    {
      tl_conv2d_window (cv, &win, wd->pass->in + b * in_sample, grp->window);
      tl_conv2d_window_patches (cv, &wd->taps, &win, grp->window, col + (b - grp->first) * P, grp->N);
    }
}

typedef struct {
  const Wide           *wd;
  const TlConv2dWindow *win;
  const float          *window;
  float                *rows;
} DirectPass;

static void
direct_filters (gpointer data, gsize t0, gsize t1)
{
  const DirectPass *dp = data;

  tl_conv2d_direct (dp->wd->cv, &dp->wd->taps, dp->win, dp->window, dp->wd->packed, (int) t0, (int) t1, dp->rows);
}

static void
forward_groups (gpointer data, gsize g0, gsize g1)
{
  const Wide *wd = data;
  const TlConv2dWide *p = wd->pass;
  Conv2D *cv = wd->cv;
  const int F = cv->filters, P = cv->out_h * cv->out_w;
  const int OH = cv->out_h / 2, OW = cv->out_w / 2, Q = OH * OW;
  const gsize FP = (gsize) F * P, in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w;

  for (gsize g = g0; g < g1; g++)
    {
      const Group grp = group_at (wd, g);
      const int first = grp.first, images = grp.last - first, n = tl_conv2d_direct_images (cv, images);
      const TlConv2dWindow win = tl_conv2d_window_of (cv, &wd->taps, images, n);
      const gsize N = (gsize) n * P;
      /* before a fused pool the planes only pass through the group's plane buffer */
      float *planes = p->pool_out != NULL ? grp.planes : p->out + (gsize) first * FP;
      DirectPass dp = { wd, &win, grp.window, grp.rows };

      tl_conv2d_window (cv, &win, p->in + (gsize) first * in_sample, grp.window);
      /* a lone group shares its tiles of filters out */
      if (wd->whole)
        tl_parallel_for (tl_conv2d_direct_tiles (F), 1, direct_filters, &dp);
      else
        direct_filters (&dp, 0, tl_conv2d_direct_tiles (F));
      for (int b = first; b < grp.last; b++)
        {
          float *out = planes + (b - first) * FP;

          for (int f = 0; f < F; f++)
            {
              const float *restrict src = grp.rows + f * N + (b - first);
              float *restrict dst = out + (gsize) f * P;
              const float bias = p->bias[f];

              for (int q = 0; q < P; q++)
                dst[q] = src[(gsize) q * n] + bias;
            }
          if (p->pool_out != NULL)
            tl_conv2d_relu_pool (out, p->pool_out + (gsize) b * F * Q, cv->code + (gsize) b * F * Q, F, cv->out_h,
                                 cv->out_w, OH, OW);
          else if (p->relu_out != NULL)
            tl_conv2d_relu_pass (out, out, p->relu_out + (gsize) b * FP, FP);
        }
    }
}

/* A pass over the batch. Taps that read only the border neither change the
 * output nor receive a gradient: the products leave them out. Their weights
 * are copied out in the forward pass; the backward pass that follows it, with
 * the same weights, reads that copy. */
static Wide
wide_pass (Conv2D *cv, const TlConv2dWide *pass, gboolean forward)
{
  const int groups = tl_conv2d_wide_groups (cv, pass->batch);
  Wide wd = { .cv = cv, .pass = pass, .group = group_size (cv, pass->batch), .whole = groups == 1,
              .taps = tl_conv2d_live_taps (cv), .w = pass->w };

  wd.K = cv->in_c * (wd.taps.ki1 - wd.taps.ki0) * (wd.taps.kj1 - wd.taps.kj0);
  if (wd.K < cv->in_c * cv->k * cv->k)
    {
      if (forward)
        {
          tl_tensor_resize (cv->kept, 2, (int[]) { cv->filters, wd.K });
          tl_conv2d_live_weights (cv, &wd.taps, pass->w, cv->kept->data);
        }
      g_assert (cv->kept->size == (gsize) cv->filters * wd.K);
      wd.w = cv->kept->data;
    }
  return wd;
}

void
tl_conv2d_wide_forward (Conv2D *cv, const TlConv2dWide *pass)
{
  const int groups = tl_conv2d_wide_groups (cv, pass->batch);
  Wide wd = wide_pass (cv, pass, TRUE);

  tl_tensor_resize (cv->packed, 1, (int[]) { (int) tl_conv2d_direct_packed_size (cv->filters, wd.K) });
  tl_conv2d_direct_pack (wd.w, cv->filters, wd.K, cv->packed->data);
  wd.packed = cv->packed->data;
  tl_tensor_resize (cv->gmask, 2, (int[]) { groups, (int) scratch_size (cv, wd.group) });
  if (wd.whole)
    forward_groups (&wd, 0, 1);
  else
    tl_parallel_for (groups, 1, forward_groups, &wd);
}

static void
backward_groups (gpointer data, gsize g0, gsize g1)
{
  const Wide *wd = data;
  const TlConv2dWide *p = wd->pass;
  Conv2D *cv = wd->cv;
  const int F = cv->filters, K = wd->K, P = cv->out_h * cv->out_w;
  const int OH = cv->out_h / 2, OW = cv->out_w / 2, Q = OH * OW;
  const gsize in_sample = (gsize) cv->in_c * cv->in_h * cv->in_w, full_K = (gsize) cv->in_c * cv->k * cv->k;
  const gboolean live = K < (int) full_K;

  for (gsize g = g0; g < g1; g++)
    {
      const Group grp = group_at (wd, g);
      const int first = grp.first, last = grp.last;
      const gsize N = grp.N;
      float *rows = grp.rows;

      /* the group's output gradient as rows [F, N], through the fused ReLU (and pool) if there is one */
      for (int b = first; b < last; b++)
        {
          const float *grad = p->grad_out + (gsize) b * F * P;

          if (p->pooled)
            {
              float *planes = grp.planes;

              tl_conv2d_unpool_relu (p->grad_out + (gsize) b * F * Q, cv->code + (gsize) b * F * Q, planes, F,
                                     cv->out_h, cv->out_w, OH, OW);
              grad = planes;
            }
          for (int f = 0; f < F; f++)
            {
              float *dst = rows + f * N + (gsize) (b - first) * P;

              if (p->out_values != NULL)
                tl_conv2d_relu_pass (p->out_values + ((gsize) b * F + f) * P, grad + (gsize) f * P, dst, P);
              else
                memcpy (dst, grad + (gsize) f * P, sizeof (float) * P);
            }
        }
      if (p->weights)
        {
          /* one group adds into the layer's gradients; several leave theirs to be added in order */
          const gboolean into = p->dw != NULL;
          float *wp = into ? p->dw : cv->wpart->data + g * F * full_K;
          float *bp = into ? p->db : cv->bpart->data + g * F;
          /* with taps left out, the product fills their gradient alone, which then takes its places */
          float *wk = live ? cv->wlive->data + g * F * K : wp;

          group_patches (wd, &grp);
          product (wd, FALSE, TRUE, F, K, (int) N, rows, (int) N, group_col (wd, &grp), (int) N,
                   into && !live ? 1.0f : 0.0f, wk, K);
          if (live)
            tl_conv2d_live_scatter (cv, &wd->taps, wk, into, wp);
          for (int f = 0; f < F; f++)
            bp[f] = (into ? bp[f] : 0.0f) + tl_conv2d_sum (rows + f * N, N);
        }
      if (p->grad_in != NULL)
        {
          float *dcol = cv->dcol->data + g * K * wd->group * P;

          product (wd, TRUE, FALSE, K, (int) N, F, wd->w, K, rows, (int) N, 0.0f, dcol, (int) N);
          for (int b = first; b < last; b++)
            {
              float *gin = p->grad_in + b * in_sample;

              memset (gin, 0, sizeof (float) * in_sample);
              tl_conv2d_unpatches (cv, &wd->taps, dcol + (gsize) (b - first) * P, gin, N);
            }
        }
    }
}

void
tl_conv2d_wide_backward (Conv2D *cv, const TlConv2dWide *pass)
{
  const int P = cv->out_h * cv->out_w;
  const int groups = tl_conv2d_wide_groups (cv, pass->batch);
  Wide wd = wide_pass (cv, pass, FALSE);

  tl_tensor_resize (cv->gmask, 2, (int[]) { groups, (int) scratch_size (cv, wd.group) });
  if (pass->weights)
    tl_tensor_resize (cv->col, 2, (int[]) { groups, wd.K * wd.group * P });
  if (pass->weights && wd.K < cv->in_c * cv->k * cv->k)
    tl_tensor_resize (cv->wlive, 2, (int[]) { groups, cv->filters * wd.K });
  if (pass->grad_in != NULL)
    tl_tensor_resize (cv->dcol, 2, (int[]) { groups, wd.K * wd.group * P });
  if (wd.whole)
    backward_groups (&wd, 0, 1);
  else
    tl_parallel_for (groups, 1, backward_groups, &wd);
}
