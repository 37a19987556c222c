#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

/* Unaligned blocks of 8 and 16 floats, moved and computed as one value each. */
typedef float TlBlock8 __attribute__ ((vector_size (32), aligned (4), may_alias));
typedef float TlBlock16 __attribute__ ((vector_size (64), aligned (4), may_alias));

/* Branch-free exp, sigmoid and tanh for the activations of the layers: no
 * library call, so the compiler can inline and vectorise them. exp is within
 * a few float ulps of expf over the clamped range; tanh has an absolute error
 * near 1e-7, far below what training notices. */

/* a where pick is 1, else b: a selection on float bits, which vectorises where a branch would not. */
static inline float
tl_pick_float (guint32 pick, float a, float b)
{
  guint32 ba, bb, m = -pick;

  memcpy (&ba, &a, sizeof ba);
  memcpy (&bb, &b, sizeof bb);
  ba = (ba & m) | (bb & ~m);
  memcpy (&a, &ba, sizeof a);
  return a;
}

static inline float
tl_fast_expf (float x)
{
  const float shifter = 12582912.0f;           /* 1.5 * 2^23: adding it rounds to an integer */
  float n, r, p, scale;
  gint32 bits;

  x = tl_pick_float (x < -87.0f, -87.0f, x);
  x = tl_pick_float (x > 88.0f, 88.0f, x);
  n = (x * 1.44269504f + shifter) - shifter;
  r = x - n * 0.693145752f;                    /* ln 2 in two parts keeps r exact */
  r = r - n * 1.42860677e-06f;
  p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  bits = ((gint32) n + 127) << 23;
  memcpy (&scale, &bits, sizeof scale);
  return p * scale;
}

static inline float
tl_fast_sigmoidf (float x)
{
  return 1.0f / (1.0f + tl_fast_expf (-x));
}

static inline float
tl_fast_tanhf (float x)
{
  return 1.0f - 2.0f / (tl_fast_expf (2.0f * x) + 1.0f);
}

/* The same on four floats at once (SSE2 is the x86-64 baseline), for the
 * gate loops of the recurrent layers. */
typedef float  TlV4  __attribute__ ((vector_size (16)));
typedef gint32 TlV4i __attribute__ ((vector_size (16)));

static inline TlV4
tl_v4_load (const float *p)
{
  TlV4 v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
tl_v4_store (float *p, TlV4 v)
{
  memcpy (p, &v, sizeof v);
}

static inline TlV4
tl_v4_splat (float x)
{
  return (TlV4) { x, x, x, x };
}

static inline TlV4
tl_v4_exp (TlV4 x)
{
  const TlV4 shifter = tl_v4_splat (12582912.0f);
  const TlV4 lo = tl_v4_splat (-87.0f), hi = tl_v4_splat (88.0f);
  TlV4i below, above, bits;
  TlV4 n, r, p;

  below = x < lo;
  x = (TlV4) (((TlV4i) x & ~below) | ((TlV4i) lo & below));
  above = x > hi;
  x = (TlV4) (((TlV4i) x & ~above) | ((TlV4i) hi & above));
  n = (x * 1.44269504f + shifter) - shifter;
  r = x - n * 0.693145752f;
  r = r - n * 1.42860677e-06f;
  p = r * (1.0f / 5040.0f) + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  bits = (__builtin_convertvector (n, TlV4i) + 127) << 23;
  return p * (TlV4) bits;
}

static inline TlV4
tl_v4_sigmoid (TlV4 x)
{
  return 1.0f / (1.0f + tl_v4_exp (-x));
}

static inline TlV4
tl_v4_tanh (TlV4 x)
{
  return 1.0f - 2.0f / (tl_v4_exp (2.0f * x) + 1.0f);
}

/* Branch-free selections on float bits, for loops where the branch would be
 * unpredictable (the sign of real data, which input wins a pooling window). */

/* v where x > 0, else +0: as the ReLU layer computes it. */
static inline float
tl_keep_if_positive (float x, float v)
{
  guint32 bits, mask = -(guint32) (x > 0.0f);

  memcpy (&bits, &v, sizeof bits);
  bits &= mask;
  memcpy (&v, &bits, sizeof v);
  return v;
}

/* x where keep is 1, else +0. */
static inline float
tl_mask_float (float x, guint32 keep)
{
  guint32 bits;

  memcpy (&bits, &x, sizeof bits);
  bits &= -keep;
  memcpy (&x, &bits, sizeof x);
  return x;
}

G_END_DECLS
