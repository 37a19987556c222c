#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-conv2d-private.h"
#include "tl-fastmath.h"
#include "tl-parallel.h"

/* A ReLU and a 2x2 max-pool that follow a Conv2D, run on an image's output
 * planes while they are in cache: only the pooled output leaves the layer,
 * with one byte per pooled value saying which input won its window, and
 * backward rebuilds the planes' gradient from those. */

static inline float
max_float (float x, float y)
{
  return x > y ? x : y;
}

/* ReLU then 2x2, stride-2 max-pool of the planes [n, H, W]. Where a window's
 * maximum is positive, the max-pool layer's winner (the first of equal maxima)
 * is the first of its four inputs equal to it, on the raw values as on the
 * ReLU's; elsewhere the output is +0 and no gradient flows back. So this
 * equals the two layers run one after the other, bit for bit. */
TL_VECTORIZED void
tl_conv2d_relu_pool (const float *restrict x, float *restrict y, guint8 *restrict code,
                  int n, int H, int W, int OH, int OW)
{
  for (int pl = 0; pl < n; pl++)
    for (int oh = 0; oh < OH; oh++)
      {
        const float *restrict r0 = x + ((gsize) pl * H + 2 * oh) * W;
        const float *restrict r1 = r0 + W;
        float *restrict yr = y + ((gsize) pl * OH + oh) * OW;
        guint8 *restrict cr = code + ((gsize) pl * OH + oh) * OW;

        for (int ow = 0; ow < OW; ow++)
          {
            const float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
            const float m = max_float (max_float (a, b), max_float (c, d));
            const guint32 none = !(m > 0.0f);
            guint32 ba, bb, bc, bm, na, nb, nc;

            /* equal bits is equal value here: m > 0 wherever the winner matters */
            memcpy (&ba, &a, sizeof ba);
            memcpy (&bb, &b, sizeof bb);
            memcpy (&bc, &c, sizeof bc);
            memcpy (&bm, &m, sizeof bm);
            na = ba != bm;
            nb = bb != bm;
            nc = bc != bm;

            yr[ow] = max_float (m, 0.0f);
            cr[ow] = (guint8) (na + (na & nb) + (na & nb & nc) + none * TL_CONV2D_POOL_NONE);
          }
      }
}

/* The gradient at the planes [n, H, W] before a fused ReLU and pool, from the
 * pool's output gradient: each window's winner gets the window's gradient,
 * every other input +0, as the two layers' backward passes give. */
TL_VECTORIZED void
tl_conv2d_unpool_relu (const float *restrict g, const guint8 *restrict code, float *restrict d,
                    int n, int H, int W, int OH, int OW)
{
  memset (d, 0, sizeof (float) * n * H * W);
  for (int pl = 0; pl < n; pl++)
    for (int oh = 0; oh < OH; oh++)
      {
        float *restrict d0 = d + ((gsize) pl * H + 2 * oh) * W;
        const float *restrict gr = g + ((gsize) pl * OH + oh) * OW;
        const guint8 *restrict cr = code + ((gsize) pl * OH + oh) * OW;

        for (int ow = 0; ow < OW; ow++)
          {
            /* a window without a winner rewrites its first input with +0: no branch */
            const guint32 c = cr[ow], at = c & 3;

            d0[2 * ow + (at >> 1) * W + (at & 1)] = tl_mask_float (gr[ow], c < TL_CONV2D_POOL_NONE);
          }
      }
}

