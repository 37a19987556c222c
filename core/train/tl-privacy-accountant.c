#define G_LOG_DOMAIN "tl-privacy"

#include "config.h"

#include <math.h>

#include "tl-error.h"
#include "tl-privacy-accountant.h"

static double
log_add (double a, double b)
{
  double hi = MAX (a, b), lo = MIN (a, b);
  if (hi == -INFINITY)
    return -INFINITY;
  return hi + log1p (exp (lo - hi));
}

/* log(erfc(x)), also where erfc underflows (x beyond ~26): the asymptotic series there. */
static double
log_erfc (double x)
{
  double x2, s;

  if (x < 20.0)
    return log (erfc (x));
  x2 = x * x;
  s = 1.0 - 1.0 / (2.0 * x2) + 3.0 / (4.0 * x2 * x2) - 15.0 / (8.0 * x2 * x2 * x2);
  return -x2 - log (x) - 0.5 * log (G_PI) + log (s);
}

/* log A_alpha for an integer order: the expectation, under the noise alone, of the
 * alpha-th power of the likelihood ratio of the mixture, as a binomial sum. */
static double
log_a_integer (double q, double sigma, int alpha)
{
  double acc = -INFINITY;
  double log_q = log (q), log_1q = log1p (-q);

  for (int k = 0; k <= alpha; k++)
    {
      double log_binom = lgamma (alpha + 1.0) - lgamma (k + 1.0) - lgamma (alpha - k + 1.0);
      double term = log_binom + k * log_q + (alpha - k) * log_1q + ((double) k * k - k) / (2.0 * sigma * sigma);
      acc = log_add (acc, term);
    }
  return acc;
}

/* log A_alpha for a fractional order: the integral split at z0, where the two
 * densities' ratio crosses, each half a series in generalised binomials. */
static double
log_a_fractional (double q, double sigma, double alpha)
{
  double pos = -INFINITY, neg = -INFINITY;
  double z0 = sigma * sigma * log (1.0 / q - 1.0) + 0.5;
  double log_q = log (q), log_1q = log1p (-q);
  double log_binom = 0.0, binom_sign = 1.0;

  for (int i = 0; i < 100000; i++)
    {
      double j = alpha - i;
      double t0 = log_binom + i * log_q + j * log_1q;
      double t1 = log_binom + j * log_q + i * log_1q;
      double e0 = log (0.5) + log_erfc ((i - z0) / (G_SQRT2 * sigma));
      double e1 = log (0.5) + log_erfc ((z0 - j) / (G_SQRT2 * sigma));
      double s0 = t0 + ((double) i * i - i) / (2.0 * sigma * sigma) + e0;
      double s1 = t1 + (j * j - j) / (2.0 * sigma * sigma) + e1;
      double s = log_add (s0, s1);

      if (binom_sign > 0)
        pos = log_add (pos, s);
      else
        neg = log_add (neg, s);
      if (i > alpha && MAX (s0, s1) < -30.0)
        break;
      /* binom(alpha, i + 1) = binom(alpha, i) * (alpha - i) / (i + 1) */
      if (j == 0.0)
        break;
      log_binom += log (fabs (j)) - log (i + 1.0);
      if (j < 0)
        binom_sign = -binom_sign;
    }
  if (neg == -INFINITY)
    return pos;
  return pos + log1p (-exp (MIN (neg - pos, 0.0)));
}

double
tl_privacy_rdp_step (double sample_rate, double sigma, double alpha)
{
  g_return_val_if_fail (alpha > 1.0 && sigma > 0.0, NAN);
  g_return_val_if_fail (sample_rate >= 0.0 && sample_rate <= 1.0, NAN);

  if (sample_rate == 0.0)
    return 0.0;
  if (sample_rate == 1.0)
    return alpha / (2.0 * sigma * sigma);
  if (alpha == floor (alpha))
    return log_a_integer (sample_rate, sigma, (int) alpha) / (alpha - 1.0);
  return log_a_fractional (sample_rate, sigma, alpha) / (alpha - 1.0);
}

const double *
tl_privacy_orders (int *n_orders)
{
  static double orders[99 + 54 + 5];
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      int n = 0;
      static const double large[] = { 80, 96, 128, 256, 512 };
      for (int x = 11; x <= 109; x++)
        orders[n++] = x / 10.0;
      for (int a = 11; a <= 64; a++)
        orders[n++] = a;
      for (guint i = 0; i < G_N_ELEMENTS (large); i++)
        orders[n++] = large[i];
      g_assert (n == G_N_ELEMENTS (orders));
      g_once_init_leave (&done, 1);
    }
  *n_orders = G_N_ELEMENTS (orders);
  return orders;
}

static double
convert (double rdp, double alpha, double delta, TlPrivacyConversion conversion)
{
  double eps;

  if (conversion == TL_PRIVACY_CONVERSION_BALLE)
    eps = rdp + log ((alpha - 1.0) / alpha) - (log (delta) + log (alpha)) / (alpha - 1.0);
  else
    eps = rdp + log (1.0 / delta) / (alpha - 1.0);
  return MAX (eps, 0.0);
}

double
tl_privacy_epsilon (double sample_rate, double sigma, guint64 steps, double delta,
                    TlPrivacyConversion conversion, double *best_order)
{
  int n_orders;
  const double *orders = tl_privacy_orders (&n_orders);
  double best = INFINITY, order = orders[0];

  g_return_val_if_fail (delta > 0.0 && delta < 1.0, NAN);
  if (steps == 0 || sample_rate == 0.0)
    {
      if (best_order)
        *best_order = NAN;
      return 0.0;
    }
  for (int k = 0; k < n_orders; k++)
    {
      double eps = convert ((double) steps * tl_privacy_rdp_step (sample_rate, sigma, orders[k]),
                            orders[k], delta, conversion);
      if (eps < best)
        {
          best = eps;
          order = orders[k];
        }
    }
  if (best_order)
    *best_order = order;
  return best;
}

gboolean
tl_privacy_calibrate_sigma (double epsilon, double delta, double sample_rate, guint64 steps,
                            TlPrivacyConversion conversion, double *sigma, GError **error)
{
  double lo = 0.05, hi = 1.0;

  g_return_val_if_fail (sigma != NULL, FALSE);
  if (!(epsilon > 0.0) || !(delta > 0.0 && delta < 1.0) || !(sample_rate > 0.0 && sample_rate <= 1.0))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "privacy needs epsilon > 0, delta in (0, 1) and a sample rate in (0, 1], got epsilon %g, "
                   "delta %g, sample rate %g", epsilon, delta, sample_rate);
      return FALSE;
    }
  while (tl_privacy_epsilon (sample_rate, hi, steps, delta, conversion, NULL) > epsilon)
    {
      lo = hi;
      hi *= 2.0;
      if (hi > 1e4)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "no noise level reaches epsilon %g with delta %g over %" G_GUINT64_FORMAT
                       " steps: allow a larger epsilon or delta, or train fewer steps", epsilon, delta, steps);
          return FALSE;
        }
    }
  if (lo >= hi)
    lo = hi / 2.0;
  while (tl_privacy_epsilon (sample_rate, lo, steps, delta, conversion, NULL) <= epsilon && lo > 1e-3)
    lo /= 2.0;
  while ((hi - lo) > 1e-4 * hi)
    {
      double mid = 0.5 * (lo + hi);
      if (tl_privacy_epsilon (sample_rate, mid, steps, delta, conversion, NULL) > epsilon)
        lo = mid;
      else
        hi = mid;
    }
  *sigma = hi;
  return TRUE;
}

void
tl_privacy_accountant_init (TlPrivacyAccountant *acc, double sample_rate, double sigma, double delta)
{
  g_return_if_fail (acc != NULL);
  acc->sample_rate = sample_rate;
  acc->sigma = sigma;
  acc->delta = delta;
  acc->conversion = TL_PRIVACY_CONVERSION_STANDARD;
  acc->steps = 0;
}

double
tl_privacy_accountant_epsilon (const TlPrivacyAccountant *acc)
{
  g_return_val_if_fail (acc != NULL, NAN);
  return tl_privacy_epsilon (acc->sample_rate, acc->sigma, acc->steps, acc->delta, acc->conversion, NULL);
}
