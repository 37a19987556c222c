#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* IEEE 754 half-precision floats (binary16) held as their bits: 11
 * significant bits, a relative rounding error of at most 2^-11. */

/* The nearest half to f, ties to even; beyond the largest half, infinity. */
guint16 tl_half_from_float  (float f);
/* The half's value as a float: exact, as every half is a float. */
float   tl_half_to_float    (guint16 h);
void    tl_halves_from_floats (const float *in, guint16 *out, gsize n);
void    tl_halves_to_floats (const guint16 *in, float *out, gsize n);

G_END_DECLS
