#define G_LOG_DOMAIN "tl-cut-choice"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-cut-choice.h"
#include "tl-logme.h"
#include "tl-rng.h"

int
tl_cut_choice_best (const double *logme, int n_candidates)
{
  int best = -1;

  for (int c = 0; c < n_candidates; c++)
    if (!isnan (logme[c]) && (best < 0 || logme[c] > logme[best]))
      best = c;
  return best;
}

int
tl_cut_choice_recommend (const double *logme, const double *gap_se, int best)
{
  for (int c = 0; c < best; c++)
    if (!isnan (logme[c]) && !isnan (gap_se[c]) && logme[best] - logme[c] <= gap_se[c])
      return c;
  return best;
}

/* Each row's group, 0..n_groups: the rows of each class dealt round in a seeded order, so that
 * every group holds about the same share of every class. */
static int *
deal_groups (const int *labels, int n, int n_classes, int n_groups, guint64 seed)
{
  g_autofree int *order = g_new (int, MAX (n, 1));
  g_autofree int *next = g_new0 (int, MAX (n_classes, 1));
  int *group = g_new (int, MAX (n, 1));
  int dealt = 0;
  TlRng rng;

  for (int i = 0; i < n; i++)
    order[i] = i;
  tl_rng_init (&rng, seed);
  tl_rng_shuffle (&rng, order, n);
  /* each class starts where the previous one stopped, so small classes do not all fill group 0 */
  for (int k = 0; k < n_classes; k++)
    next[k] = -1;
  for (int j = 0; j < n; j++)
    {
      int k = labels[order[j]];
      if (next[k] < 0)
        next[k] = dealt;
      group[order[j]] = next[k] % n_groups;
      next[k]++;
      dealt++;
    }
  return group;
}

static double
logme_of_rows (const TlTensor *features, const int *rows, const int *labels, int n, int n_classes, float *buffer,
               int *row_labels, GError **error)
{
  int dim = features->shape[1];

  for (int i = 0; i < n; i++)
    {
      memcpy (buffer + (gsize) i * dim, features->data + (gsize) rows[i] * dim, sizeof (float) * dim);
      row_labels[i] = labels[rows[i]];
    }
  return tl_logme (buffer, n, dim, row_labels, n_classes, error);
}

gboolean
tl_cut_choice_gap_errors (TlTensor *const *features, const double *logme, int n_cuts, int best,
                          const int *labels, int n_classes, int n_groups, guint64 seed, double *gap_se,
                          GError **error)
{
  g_autofree int *group = NULL;
  g_autofree int *rows = NULL;
  g_autofree int *row_labels = NULL;
  g_autofree float *buffer = NULL;
  g_autofree double *gaps = NULL;
  g_autofree int *count = NULL;
  int n, max_dim = 0;

  g_return_val_if_fail (features != NULL && logme != NULL && gap_se != NULL, FALSE);
  g_return_val_if_fail (best >= 0 && best < n_cuts && n_groups >= 2, FALSE);
  for (int c = 0; c < n_cuts; c++)
    gap_se[c] = NAN;
  gap_se[best] = 0.0;
  if (best == 0)
    return TRUE;
  n = features[best]->shape[0];
  n_groups = MIN (n_groups, n);
  if (n_groups < 2)
    return TRUE;

  for (int c = 0; c <= best; c++)
    if (!isnan (logme[c]))
      max_dim = MAX (max_dim, features[c]->shape[1]);
  group = deal_groups (labels, n, n_classes, n_groups, seed);
  rows = g_new (int, n);
  row_labels = g_new (int, n);
  buffer = g_new (float, (gsize) n * max_dim);
  gaps = g_new0 (double, (gsize) n_groups * best);
  count = g_new0 (int, best);
  for (int g = 0; g < n_groups; g++)
    {
      int m = 0;
      double top;

      for (int i = 0; i < n; i++)
        if (group[i] != g)
          rows[m++] = i;
      top = logme_of_rows (features[best], rows, labels, m, n_classes, buffer, row_labels, error);
      if (error != NULL && *error != NULL)
        return FALSE;
      for (int c = 0; c < best; c++)
        {
          double v;

          if (isnan (logme[c]))
            continue;
          v = logme_of_rows (features[c], rows, labels, m, n_classes, buffer, row_labels, error);
          if (error != NULL && *error != NULL)
            return FALSE;
          if (!isfinite (v) || !isfinite (top))
            continue;
          gaps[(gsize) count[c]++ * best + c] = top - v;
        }
    }
  /* the grouped jackknife's variance: (G - 1) / G times the sum of squared deviations */
  for (int c = 0; c < best; c++)
    if (count[c] >= 2)
      {
        double mean = 0, ss = 0;
        for (int g = 0; g < count[c]; g++)
          mean += gaps[(gsize) g * best + c] / count[c];
        for (int g = 0; g < count[c]; g++)
          ss += (gaps[(gsize) g * best + c] - mean) * (gaps[(gsize) g * best + c] - mean);
        gap_se[c] = sqrt ((double) (count[c] - 1) / count[c] * ss);
      }
  return TRUE;
}
