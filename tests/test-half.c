#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-half.h"
#include "tl-rng.h"

/* The value of a half from its definition: sign, 5 exponent bits, 10 significand bits. */
static double
reference_value (guint16 h)
{
  const int sign = h >> 15 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;

  if (e == 31)
    return m ? NAN : sign * INFINITY;
  if (e == 0)
    return sign * ldexp (m, -24);
  return sign * ldexp (1024 + m, e - 25);
}

/* Every half widens to its exact value, and narrows back to itself. */
static void
test_every_half (void)
{
  for (guint32 h = 0; h <= 0xffff; h++)
    {
      const double want = reference_value ((guint16) h);
      const float f = tl_half_to_float ((guint16) h);

      if (isnan (want))
        {
          g_assert_true (isnan (f));
          g_assert_true (isnan (tl_half_to_float (tl_half_from_float (f))));
          continue;
        }
      g_assert_cmpfloat ((double) f, ==, want);
      g_assert_true ((signbit (f) != 0) == ((h & 0x8000) != 0));
      g_assert_cmphex (tl_half_from_float (f), ==, h);
    }
}

/* The nearest half of the two around a float, ties to the even one. */
static guint16
reference_nearest (float f)
{
  guint16 best = 0;
  double best_err = INFINITY;

  for (guint32 h = 0; h <= 0xffff; h++)
    {
      double v = reference_value ((guint16) h), err;

      if (isnan (v) || isinf (v) || (signbit (v) != 0) != (signbit (f) != 0))
        continue;
      err = fabs (v - (double) f);
      if (err < best_err || (err == best_err && (h & 1) == 0))
        best = (guint16) h, best_err = err;
    }
  return best;
}

/* Floats between halves, on both sides of every exponent, and the exact ties. */
static void
test_rounding (void)
{
  TlRng rng;

  tl_rng_init (&rng, 5);
  for (int i = 0; i < 210; i++)
    {
      const int e = -26 + i % 42;
      float f = (float) ldexp (1.0 + tl_rng_uniform (&rng), e) * (i % 3 == 0 ? -1.0f : 1.0f);

      g_assert_cmphex (tl_half_from_float (f), ==, reference_nearest (f));
    }
  /* halfway between 1 and the next half, and between the next two: ties to even */
  g_assert_cmphex (tl_half_from_float (1.0f + 0x1p-11f), ==, 0x3c00);
  g_assert_cmphex (tl_half_from_float (1.0f + 3 * 0x1p-11f), ==, 0x3c02);
  /* halfway between the two smallest subnormals, and below half the smallest */
  g_assert_cmphex (tl_half_from_float (1.5f * 0x1p-24f), ==, 0x0002);
  g_assert_cmphex (tl_half_from_float (0x1p-26f), ==, 0x0000);
  /* the largest half, the tie above it, and the floats beyond */
  g_assert_cmphex (tl_half_from_float (65504.0f), ==, 0x7bff);
  g_assert_cmphex (tl_half_from_float (65519.0f), ==, 0x7bff);
  g_assert_cmphex (tl_half_from_float (65520.0f), ==, 0x7c00);
  g_assert_cmphex (tl_half_from_float (-1e30f), ==, 0xfc00);
  g_assert_cmphex (tl_half_from_float (INFINITY), ==, 0x7c00);
  g_assert_true (isnan (tl_half_to_float (tl_half_from_float (NAN))));
}

/* The array forms give what the single values give. */
static void
test_arrays (void)
{
  float in[37], back[37];
  guint16 halves[37];
  TlRng rng;

  tl_rng_init (&rng, 9);
  for (int i = 0; i < 37; i++)
    in[i] = (float) (tl_rng_normal (&rng) * 3.0);
  tl_halves_from_floats (in, halves, 37);
  tl_halves_to_floats (halves, back, 37);
  for (int i = 0; i < 37; i++)
    {
      g_assert_cmphex (halves[i], ==, tl_half_from_float (in[i]));
      g_assert_cmpfloat (back[i], ==, tl_half_to_float (halves[i]));
      g_assert_cmpfloat (fabsf (back[i] - in[i]), <=, fabsf (in[i]) * 0x1p-11f);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/half/every-half", test_every_half);
  g_test_add_func ("/half/rounding", test_rounding);
  g_test_add_func ("/half/arrays", test_arrays);
  return g_test_run ();
}
