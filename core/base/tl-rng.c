#define G_LOG_DOMAIN "tl-rng"

#include "config.h"

#include <math.h>

#include "tl-rng.h"

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
tl_rng_init (TlRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
  rng->has_spare = FALSE;
  rng->spare = 0.0;
}

guint64
tl_rng_next (TlRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
tl_rng_uniform (TlRng *rng)
{
  return (double) (tl_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

float
tl_rng_uniform_range (TlRng *rng, float lo, float hi)
{
  return lo + (float) tl_rng_uniform (rng) * (hi - lo);
}

guint32
tl_rng_below (TlRng *rng, guint32 n)
{
  guint64 m;
  guint32 low, threshold;

  g_return_val_if_fail (n > 0, 0);
  /* Lemire's multiply-shift with rejection */
  m = (guint64) (guint32) (tl_rng_next (rng) >> 32) * n;
  low = (guint32) m;
  if (low < n)
    {
      threshold = (guint32) (-n) % n;
      while (low < threshold)
        {
          m = (guint64) (guint32) (tl_rng_next (rng) >> 32) * n;
          low = (guint32) m;
        }
    }
  return (guint32) (m >> 32);
}

double
tl_rng_normal (TlRng *rng)
{
  double u, v, r;

  if (rng->has_spare)
    {
      rng->has_spare = FALSE;
      return rng->spare;
    }
  do
    u = tl_rng_uniform (rng);
  while (u <= 0.0);
  v = tl_rng_uniform (rng);
  r = sqrt (-2.0 * log (u));
  rng->spare = r * sin (2.0 * G_PI * v);
  rng->has_spare = TRUE;
  return r * cos (2.0 * G_PI * v);
}

void
tl_rng_shuffle (TlRng *rng, int *items, gsize n)
{
  for (gsize i = n; i > 1; i--)
    {
      gsize j = tl_rng_below (rng, (guint32) i);
      int tmp = items[i - 1];
      items[i - 1] = items[j];
      items[j] = tmp;
    }
}

void
tl_rng_split (TlRng *rng, TlRng *child)
{
  tl_rng_init (child, tl_rng_next (rng) ^ 0x5851f42d4c957f2dULL);
}
