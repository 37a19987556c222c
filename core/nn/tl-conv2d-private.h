#pragma once

#include <glib.h>

#include "tl-tensor.h"

G_BEGIN_DECLS

/* Shared by the Conv2D layer (tl-layer-conv2d.c) and its sparse gradients
 * (tl-conv2d-sparse.c). */

typedef struct {
  int in_c, in_h, in_w;
  int k, stride, pad;
  int out_h, out_w;
  int filters;
  TlTensor *col;      /* per group: [C*k*k, P] patches of one image */
  TlTensor *dcol;     /* per group: [C*k*k, P] patch gradients of one image */
  TlTensor *wpart;    /* per group: [F, C*k*k] weight gradient of the group */
  TlTensor *bpart;    /* per group: [F] bias gradient of the group */
  TlTensor *gmask;    /* per group: [F, P] output gradient of one image through a following ReLU,
                       * or its output planes before a fused pool */
  guint8   *code;     /* per pooled output of the batch: winner of its window, POOL_NONE if not positive */
  gsize     code_capacity;
  /* for sparse output gradients: the weights taps first [F, k, k, C], and per group the weight
   * gradient taps first [F, k, k, C], one padded channels-last image, MAX (F, P) values and row
   * pointers, P flags */
  TlTensor *wt;
  TlTensor *wpart_t;
  TlTensor *padded;
  float    *vals;
  const float **rows;
  guint8   *used;
  int       scratch_groups;
} Conv2D;

/* Output gradients with at most one non-zero in four take the sparse path
 * when an image patch has at least this many values. */
#define TL_CONV2D_SPARSE_MIN_K 32

/* Counts the image's non-zero output gradients d [F, P] and flags the outputs p that have one. */
gsize tl_conv2d_count_nonzero      (const float *d, int F, int P, guint8 *used);
/* Floats of one image zero-bordered and channels last: [H + 2 pad, W + 2 pad, C]. */
gsize tl_conv2d_padded_size        (const Conv2D *cv);
/* Weights (or their gradient) [F, C, k, k] to [F, k, k, C] and back. */
void  tl_conv2d_taps_first         (const Conv2D *cv, const float *w, float *wt);
void  tl_conv2d_channels_first     (const Conv2D *cv, const float *wt, float *w);
/* Sizes the scratch of a backward pass over `groups` groups of images for the
 * sparse path, and orders the weights w taps first when the input gradient is needed. */
void  tl_conv2d_sparse_prepare     (Conv2D *cv, int groups, const float *w, gboolean weights,
                                    gboolean input);
/* Weight gradient of one image from a sparse output gradient d [F, P], taps first:
 * wpt = (add ? wpt : 0) + d x patches^T, skipping zeros. padded
 * (tl_conv2d_padded_size floats), vals and rows are scratch. */
void  tl_conv2d_sparse_weight_grad (const Conv2D *cv, const float *in, const float *d, gboolean add,
                                    float *wpt, float *padded, float *vals, const float **rows);
/* Input gradient of one image from a sparse output gradient d [F, P] and the
 * weights taps first; `used` comes from tl_conv2d_count_nonzero; padded, patch
 * (C*k*k floats), vals and rows are scratch. */
void  tl_conv2d_sparse_input_grad  (const Conv2D *cv, const float *wt, const float *d, const guint8 *used,
                                    float *grad_in, float *padded, float *patch, float *vals,
                                    const float **rows);

G_END_DECLS
