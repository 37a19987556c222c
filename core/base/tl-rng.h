#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* xoshiro256** seeded through splitmix64: the same seed gives the same
 * stream on every machine, which is what makes a run reproducible. */
typedef struct {
  guint64 s[4];
  /* a second normal deviate kept from the Box-Muller pair */
  gboolean has_spare;
  double   spare;
} TlRng;

void    tl_rng_init        (TlRng *rng, guint64 seed);
guint64 tl_rng_next        (TlRng *rng);
/* uniform in [0, 1) */
double  tl_rng_uniform     (TlRng *rng);
/* uniform in [lo, hi) */
float   tl_rng_uniform_range (TlRng *rng, float lo, float hi);
/* uniform integer in [0, n) without modulo bias */
guint32 tl_rng_below       (TlRng *rng, guint32 n);
double  tl_rng_normal      (TlRng *rng);
/* Fisher-Yates */
void    tl_rng_shuffle     (TlRng *rng, int *items, gsize n);
/* A child generator whose stream does not overlap in practice with the parent's. */
void    tl_rng_split       (TlRng *rng, TlRng *child);

G_END_DECLS
