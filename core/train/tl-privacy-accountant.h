#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Privacy spent by DP-SGD: the Rényi differential privacy (RDP) of the
 * Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019),
 * composed over steps and converted to (epsilon, delta). */

typedef enum {
  /* epsilon = RDP(a) + log(1/delta) / (a - 1), minimised over the orders (Mironov 2017) */
  TL_PRIVACY_CONVERSION_STANDARD,
  /* the tighter conversion of Balle et al. 2020 (Hypothesis testing interpretations, Thm. 21):
   * RDP(a) + log((a - 1) / a) - (log delta + log a) / (a - 1) */
  TL_PRIVACY_CONVERSION_BALLE,
} TlPrivacyConversion;

/* RDP at order alpha > 1 of one step: each example kept with probability
 * sample_rate, Gaussian noise of sigma times the sensitivity. Integer orders
 * use the exact binomial sum; fractional ones the series of Mironov et al. 2019,
 * Sec. 3.3. Both are summed in log space. */
double tl_privacy_rdp_step (double sample_rate, double sigma, double alpha);

/* The orders epsilon is minimised over: 1.1 to 10.9 by 0.1, 11 to 64, then 80, 96, 128, 256, 512. */
const double *tl_privacy_orders (int *n_orders);

/* The smallest epsilon over the orders after `steps` steps; its order into
 * *best_order when not NULL. 0 steps cost nothing. */
double tl_privacy_epsilon (double sample_rate, double sigma, guint64 steps, double delta,
                           TlPrivacyConversion conversion, double *best_order);

/* The smallest sigma (to 1e-4 relative) for which `steps` steps stay within
 * epsilon; FALSE with error when no sigma up to 1e4 does. */
gboolean tl_privacy_calibrate_sigma (double epsilon, double delta, double sample_rate, guint64 steps,
                                     TlPrivacyConversion conversion, double *sigma, GError **error);

/* The state of one private run: the mechanism repeats unchanged every step,
 * so the step count is all there is to keep. */
typedef struct {
  double  sample_rate, sigma, delta;
  TlPrivacyConversion conversion;
  guint64 steps;
} TlPrivacyAccountant;

void   tl_privacy_accountant_init  (TlPrivacyAccountant *acc, double sample_rate, double sigma, double delta);
double tl_privacy_accountant_epsilon (const TlPrivacyAccountant *acc);

G_END_DECLS
