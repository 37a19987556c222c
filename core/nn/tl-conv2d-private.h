#pragma once

#include <glib.h>

#include "tl-fastmath.h"
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
  TlTensor *kept;     /* the weights of the live taps (tl_conv2d_live_taps) when some tap never is */
  TlTensor *packed;   /* the weights as the direct kernel reads them */
  TlTensor *wlive;    /* per group: [F, K] weight gradient of the live taps, when some tap is not */
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

/* The patch matrix of one image, [C*k*k, P] with rows ld floats apart: row
 * (c, ki, kj) holds that kernel tap for every output (tl-conv2d-im2col.c). */
void  tl_conv2d_patches            (const Conv2D *cv, const float *in, float *col, gsize ld);
/* The kernel taps that read the image for at least one output, rows [ki0, ki1)
 * and columns [kj0, kj1): on planes smaller than the kernel's reach (1x1 under a
 * padded 3x3) the others read only the zero border. */
typedef struct {
  int ki0, ki1, kj0, kj1;
} TlConv2dTaps;

TlConv2dTaps tl_conv2d_live_taps   (const Conv2D *cv);
/* The weights [F, C, k, k] of the live taps alone, [F, C, kh, kw]. */
void  tl_conv2d_live_weights       (const Conv2D *cv, const TlConv2dTaps *t, const float *w, float *kept);
/* Every tap of the kernel. */
#define tl_conv2d_all_taps(cv) ((TlConv2dTaps) { 0, (cv)->k, 0, (cv)->k })
/* w [F, C, k, k] = (add ? w : 0) + the weights (or their gradient) of the taps t, kept [F, C, kh, kw],
 * at their places. */
void  tl_conv2d_live_scatter       (const Conv2D *cv, const TlConv2dTaps *t, const float *kept, gboolean add,
                                    float *w);
/* Adds patch gradients, rows (c, ki - ki0, kj - kj0) for the taps t and ld
 * floats apart, into an image's input gradient. */
void  tl_conv2d_unpatches          (const Conv2D *cv, const TlConv2dTaps *t, const float *dcol, float *grad_in,
                                    gsize ld);

/* Floats of one zero-bordered image. */
#define tl_conv2d_border_size(cv) \
  ((gsize) (cv)->in_c * ((cv)->in_h + 2 * (cv)->pad) * ((cv)->in_w + 2 * (cv)->pad))

/* The zero-bordered images of a group as the taps t read them, images
 * innermost: [C, rows, cols, n], rows [r0, r0 + rows) and columns [c0, c0 +
 * cols) of each bordered channel; images [images, n) are zero. At most n *
 * tl_conv2d_border_size floats. */
typedef struct {
  int r0, rows, c0, cols;
  int images, n;
} TlConv2dWindow;

TlConv2dWindow tl_conv2d_window_of (const Conv2D *cv, const TlConv2dTaps *t, int images, int n);
/* Copies the window's images (one after the other in `in`) into its layout. */
void  tl_conv2d_window          (const Conv2D *cv, const TlConv2dWindow *win, const float *in, float *window);
/* The patch matrix of the window's images side by side, images innermost:
 * row (c, ki - ki0, kj - kj0), ld floats apart; column (oh * OW + ow) * n + b. */
void  tl_conv2d_window_patches  (const Conv2D *cv, const TlConv2dTaps *t, const TlConv2dWindow *win,
                                 const float *window, float *col, gsize ld);

/* The direct kernel (tl-conv2d-direct.c) computes the product of the weights
 * and the patch matrix from the window itself, without writing the patches.
 * It takes windows of tl_conv2d_direct_images (cv, images) images: the
 * images, and zero ones to fill its blocks. */
int   tl_conv2d_direct_images   (const Conv2D *cv, int images);
/* Floats of the weights [F, K] as the direct kernel reads them. */
gsize tl_conv2d_direct_packed_size (int F, int K);
void  tl_conv2d_direct_pack     (const float *w, int F, int K, float *packed);
/* The kernel's tiles: 6 filters x 4 blocks of 16 outputs where the CPU has
 * AVX-512, else 6 x 1 in halves of 8. Both give the same bits; tests compare them. */
typedef enum {
  TL_CONV2D_TILES_HOST,
  TL_CONV2D_TILES_WIDE,
  TL_CONV2D_TILES_HALVES,
} TlConv2dTiles;
void  tl_conv2d_direct_set_tiles (TlConv2dTiles tiles);
/* The kernel's tiles of filters: it computes a range of them at a time. */
int   tl_conv2d_direct_tiles    (int F);
/* rows [F, OH * OW * n] = the weights of the taps t (packed) x the window's patches, for the
 * filters of tiles [tile0, tile1). */
void  tl_conv2d_direct          (const Conv2D *cv, const TlConv2dTaps *t, const TlConv2dWindow *win,
                                 const float *window, const float *packed, int tile0, int tile1, float *rows);


/* The sum of n floats, in eight running sums. */
float tl_conv2d_sum                (const float *x, gsize n);
/* y[i] = x[i] > 0 ? v[i] : +0. */
void  tl_conv2d_relu_pass          (const float *x, const float *v, float *y, gsize n);
/* Rows [F, n]: row f filled with bias[f]. */
void  tl_conv2d_bias_rows          (float *out, const float *bias, int F, gsize n);

/* Winner codes of a fused 2x2 pool: 0-3 is the window position (row-major);
 * this one says the window's maximum was not positive, so the ReLU passes no gradient. */
#define TL_CONV2D_POOL_NONE 4

/* ReLU then 2x2, stride-2 max-pool of the planes x [n, H, W] into y [n, OH, OW]
 * with each window's winner code (tl-conv2d-relu-pool.c). */
void  tl_conv2d_relu_pool          (const float *x, float *y, guint8 *code, int n, int H, int W, int OH, int OW);
/* The gradient d [n, H, W] at the planes before a fused ReLU and pool, from the pool's output gradient g. */
void  tl_conv2d_unpool_relu        (const float *g, const guint8 *code, float *d, int n, int H, int W, int OH,
                                    int OW);

/* Output planes at most this large take the wide passes (tl-conv2d-wide.c).
 * Larger ones go image by image: the direct kernel would make up their small
 * groups (an explanation's one or few images) with up to 15 zero images. */
#define TL_CONV2D_WIDE_MAX_P 64

/* A pass over a batch laid out as tl-conv2d-wide.c does it. */
typedef struct {
  const float *in, *w, *bias;
  float       *out;
  float       *relu_out;    /* forward: the ReLU's output when one is fused, or NULL */
  float       *pool_out;    /* forward: the output of a fused ReLU and pool, or NULL */
  gboolean     pooled;      /* backward: grad_out is the gradient at a fused pool's output */
  const float *grad_out;
  const float *out_values;  /* backward through a fused ReLU: the layer's output, or NULL */
  float       *grad_in;     /* backward: NULL when the input gradient is not needed */
  gboolean     weights;     /* backward: the weight and bias gradients go to wpart and bpart */
  float       *dw, *db;     /* backward in one group (tl_conv2d_wide_groups 1): the layer's gradients,
                             * added into directly instead */
  int          batch;
} TlConv2dWide;
/* The number of groups of images the wide passes split a batch into. */
int   tl_conv2d_wide_groups        (const Conv2D *cv, int batch);
void  tl_conv2d_wide_forward       (Conv2D *cv, const TlConv2dWide *pass);
/* Leaves each group's weight and bias gradients in wpart and bpart, as the
 * per-image pass does, or adds them into dw and db when there is one group. */
void  tl_conv2d_wide_backward      (Conv2D *cv, const TlConv2dWide *pass);

G_END_DECLS
