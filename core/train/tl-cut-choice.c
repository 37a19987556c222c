#define G_LOG_DOMAIN "tl-cut-choice"

#include "config.h"

#include <math.h>
#include <stdlib.h>

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

typedef struct {
  const double *key;
  int index;
} Ranked;

static int
by_key_descending (const void *pa, const void *pb)
{
  const Ranked *a = pa, *b = pb;
  const double x = a->key[a->index], y = b->key[b->index];

  if (isnan (x) != isnan (y))
    return isnan (x) ? 1 : -1;
  if (!isnan (x) && x != y)
    return x < y ? 1 : -1;
  return a->index - b->index;
}

void
tl_cut_choice_rank_models (const double *best_logme, const double *leep, int n_models, int n, int n_classes,
                           int *order)
{
  g_autofree Ranked *r = g_new (Ranked, MAX (n_models, 1));
  int first = 0, tied = 0;

  if (n_models <= 0)
    return;
  for (int m = 0; m < n_models; m++)
    r[m] = (Ranked) { best_logme, m };
  qsort (r, n_models, sizeof *r, by_key_descending);
  if (!isnan (best_logme[r[0].index]))
    {
      /* the models the top one is not strongly better than, the top included */
      while (tied < n_models && !isnan (best_logme[r[tied].index])
             && tl_cut_choice_log_bayes_factor (best_logme[r[0].index], best_logme[r[tied].index], n, n_classes)
                  < TL_CUT_CHOICE_STRONG_EVIDENCE)
        tied++;
      for (int k = 1; k < tied; k++)
        if (!isnan (leep[r[k].index]) && (isnan (leep[r[first].index]) || leep[r[k].index] > leep[r[first].index]))
          first = k;
    }
  order[0] = r[first].index;
  for (int k = 0, o = 1; k < n_models; k++)
    if (k != first)
      order[o++] = r[k].index;
}
