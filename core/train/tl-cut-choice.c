#define G_LOG_DOMAIN "tl-cut-choice"

#include "config.h"

#include <math.h>

#include "tl-cut-choice.h"

int
tl_cut_choice_best (const double *logme, int n_candidates)
{
  int best = -1;

  for (int c = 0; c < n_candidates; c++)
    if (!isnan (logme[c]) && (best < 0 || logme[c] > logme[best]))
      best = c;
  return best;
}

double
tl_cut_choice_log_bayes_factor (double higher, double lower, int n, int n_classes)
{
  return (double) n * n_classes * (higher - lower);
}

int
tl_cut_choice_recommend (const double *logme, int best, int n, int n_classes)
{
  for (int c = 0; c < best; c++)
    if (!isnan (logme[c])
        && tl_cut_choice_log_bayes_factor (logme[best], logme[c], n, n_classes) < TL_CUT_CHOICE_STRONG_EVIDENCE)
      return c;
  return best;
}
