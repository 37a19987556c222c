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

typedef gint32 Lanes8 __attribute__ ((vector_size (32)));
typedef guint8 Bytes32 __attribute__ ((vector_size (32)));
typedef guint8 Bytes8 __attribute__ ((vector_size (8)));

/* One window: its output and its winner's code. Equal bits is equal value
 * here: m > 0 wherever the winner matters. */
static inline __attribute__ ((always_inline)) void
pool_one (float a, float b, float c, float d, float *y, guint8 *code)
{
  const float m = max_float (max_float (a, b), max_float (c, d));
  const guint32 none = !(m > 0.0f);
  guint32 ba, bb, bc, bm, na, nb, nc;

  memcpy (&ba, &a, sizeof ba);
  memcpy (&bb, &b, sizeof bb);
  memcpy (&bc, &c, sizeof bc);
  memcpy (&bm, &m, sizeof bm);
  na = ba != bm;
  nb = bb != bm;
  nc = bc != bm;
  *y = max_float (m, 0.0f);
  *code = (guint8) (na + (na & nb) + (na & nb & nc) + none * TL_CONV2D_POOL_NONE);
}

/* x > y ? x : y on each lane, as max_float (a macro: no vector crosses a call). */
#define MAX_LANES(x, y, out)                                        \
  do {                                                              \
    const Lanes8 pick_ = (Lanes8) ((TlBlock8) (x) > (TlBlock8) (y)); \
    (out) = (pick_ & (x)) | (~pick_ & (y));                         \
  } while (0)

/* Eight windows side by side, the same operations as pool_one on each lane:
 * r0 and r1 hold their 16 inputs of the two rows. */
static inline __attribute__ ((always_inline)) void
pool_eight (const float *r0, const float *r1, float *y, guint8 *code)
{
  const Lanes8 u0 = (Lanes8) *(const TlBlock8 *) r0, u1 = (Lanes8) *(const TlBlock8 *) (r0 + 8);
  const Lanes8 v0 = (Lanes8) *(const TlBlock8 *) r1, v1 = (Lanes8) *(const TlBlock8 *) (r1 + 8);
  const Lanes8 a = __builtin_shufflevector (u0, u1, 0, 2, 4, 6, 8, 10, 12, 14);
  const Lanes8 b = __builtin_shufflevector (u0, u1, 1, 3, 5, 7, 9, 11, 13, 15);
  const Lanes8 c = __builtin_shufflevector (v0, v1, 0, 2, 4, 6, 8, 10, 12, 14);
  const Lanes8 d = __builtin_shufflevector (v0, v1, 1, 3, 5, 7, 9, 11, 13, 15);
  Lanes8 ab, cd, m;

  MAX_LANES (a, b, ab);
  MAX_LANES (c, d, cd);
  MAX_LANES (ab, cd, m);
  const Lanes8 positive = (Lanes8) ((TlBlock8) m > (TlBlock8) { 0 });
  const Lanes8 na = (a != m) & 1, nb = (b != m) & 1, nc = (c != m) & 1;
  const Lanes8 codes = na + (na & nb) + (na & nb & nc) + (~positive & TL_CONV2D_POOL_NONE);
  /* each lane's low byte (x86 is little-endian), the eight of them first */
  const Bytes32 bytes = (Bytes32) codes;
  const Bytes8 narrow = __builtin_shufflevector (bytes, bytes, 0, 4, 8, 12, 16, 20, 24, 28);

  *(TlBlock8 *) y = (TlBlock8) (m & positive);
  memcpy (code, &narrow, sizeof narrow);
}

/* ReLU then 2x2, stride-2 max-pool of the planes [n, H, W]. Where a window's
 * maximum is positive, the max-pool layer's winner (the first of equal maxima)
 * is the first of its four inputs equal to it, on the raw values as on the
 * ReLU's; elsewhere the output is +0 and no gradient flows back. So this
 * equals the two layers run one after the other, bit for bit. Rows of eight
 * windows or more go eight at a time, the last eight overlapping the ones
 * before when the row is not a multiple of eight: they write the same values. */
TL_VECTORIZED void
tl_conv2d_relu_pool (const float *restrict x, float *restrict y, guint8 *restrict code,
                  int n, int H, int W, int OH, int OW)
{
  for (int pl = 0; pl < n; pl++)
    for (int oh = 0; oh < OH; oh++)
      {
        const float *r0 = x + ((gsize) pl * H + 2 * oh) * W;
        const float *r1 = r0 + W;
        float *yr = y + ((gsize) pl * OH + oh) * OW;
        guint8 *cr = code + ((gsize) pl * OH + oh) * OW;

        if (OW < 8)
          {
            for (int ow = 0; ow < OW; ow++)
              pool_one (r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1], yr + ow, cr + ow);
            continue;
          }
        for (int ow = 0; ow < OW; ow += 8)
          {
            const int at = MIN (ow, OW - 8);

            pool_eight (r0 + 2 * at, r1 + 2 * at, yr + at, cr + at);
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

