#define G_LOG_DOMAIN "tl-half"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-half.h"
#include "tl-parallel.h"

static inline guint32
float_bits (float f)
{
  guint32 b;

  memcpy (&b, &f, sizeof b);
  return b;
}

static inline float
bits_float (guint32 b)
{
  float f;

  memcpy (&f, &b, sizeof f);
  return f;
}

guint16
tl_half_from_float (float f)
{
  const guint32 x = float_bits (f), sign = (x >> 16) & 0x8000, ax = x & 0x7fffffff;

  if (ax > 0x7f800000)                  /* NaN: a quiet one */
    return (guint16) (sign | 0x7e00);
  if (ax >= 0x477ff000)                 /* 65520 and up round to infinity */
    return (guint16) (sign | 0x7c00);
  if (ax < 0x38800000)                  /* below 2^-14: a subnormal half, in units of 2^-24 */
    return (guint16) (sign | (guint32) lrintf (bits_float (ax) * 0x1p24f));
  /* rebias the exponent and round the significand from 23 bits to 10, ties to
   * even; a carry out of the significand moves into the exponent, as it should */
  return (guint16) (sign | ((ax + 0xfff + ((ax >> 13) & 1) - ((guint32) (127 - 15) << 23)) >> 13));
}

/* The bits shifted into a float's place are the half's value times 2^-112,
 * normal or not; the product puts the exponent right exactly. Infinities and
 * NaNs get the float's top exponent back. */
static inline float
half_to_float (guint16 h)
{
  const guint32 em = h & 0x7fffu;
  guint32 b = float_bits (bits_float (em << 13) * 0x1p112f);

  b |= em >= 0x7c00u ? 0x7f800000u : 0u;
  return bits_float (b | ((guint32) (h & 0x8000u) << 16));
}

float
tl_half_to_float (guint16 h)
{
  return half_to_float (h);
}

void
tl_halves_from_floats (const float *in, guint16 *out, gsize n)
{
  for (gsize i = 0; i < n; i++)
    out[i] = tl_half_from_float (in[i]);
}

TL_VECTORIZED void
tl_halves_to_floats (const guint16 *restrict in, float *restrict out, gsize n)
{
  for (gsize i = 0; i < n; i++)
    out[i] = half_to_float (in[i]);
}
