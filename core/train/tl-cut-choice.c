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

/* One bootstrap resample: counts[k] rows drawn with replacement from class k's own rows. */
static void
resample (TlRng *rng, const int *by_class, const int *class_start, int n_classes, int *rows)
{
  int i = 0;

  for (int k = 0; k < n_classes; k++)
    {
      int size = class_start[k + 1] - class_start[k];
      for (int j = 0; j < size; j++)
        rows[i++] = by_class[class_start[k] + (int) tl_rng_below (rng, (guint32) size)];
    }
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
                          const int *labels, int n_classes, int replicates, guint64 seed, double *gap_se,
                          GError **error)
{
  g_autofree int *by_class = NULL;
  g_autofree int *class_start = NULL;
  g_autofree int *rows = NULL;
  g_autofree int *row_labels = NULL;
  g_autofree float *buffer = NULL;
  g_autofree double *sum = NULL;
  g_autofree double *sum2 = NULL;
  g_autofree int *count = NULL;
  int n, max_dim = 0;
  TlRng rng;

  g_return_val_if_fail (features != NULL && logme != NULL && gap_se != NULL, FALSE);
  g_return_val_if_fail (best >= 0 && best < n_cuts && replicates >= 2, FALSE);
  for (int c = 0; c < n_cuts; c++)
    gap_se[c] = NAN;
  gap_se[best] = 0.0;
  n = features[best]->shape[0];

  /* the rows of each class, side by side */
  class_start = g_new0 (int, n_classes + 1);
  for (int i = 0; i < n; i++)
    class_start[labels[i] + 1]++;
  for (int k = 0; k < n_classes; k++)
    class_start[k + 1] += class_start[k];
  by_class = g_new (int, MAX (n, 1));
  {
    g_autofree int *fill = g_memdup2 (class_start, sizeof (int) * n_classes);
    for (int i = 0; i < n; i++)
      by_class[fill[labels[i]]++] = i;
  }

  for (int c = 0; c <= best; c++)
    if (!isnan (logme[c]))
      max_dim = MAX (max_dim, features[c]->shape[1]);
  if (best == 0)
    return TRUE;
  rows = g_new (int, MAX (n, 1));
  row_labels = g_new (int, MAX (n, 1));
  buffer = g_new (float, (gsize) n * max_dim);
  sum = g_new0 (double, best);
  sum2 = g_new0 (double, best);
  count = g_new0 (int, best);
  tl_rng_init (&rng, seed);
  for (int r = 0; r < replicates; r++)
    {
      double top;

      resample (&rng, by_class, class_start, n_classes, rows);
      top = logme_of_rows (features[best], rows, labels, n, n_classes, buffer, row_labels, error);
      if (error != NULL && *error != NULL)
        return FALSE;
      if (isnan (top))
        continue;
      for (int c = 0; c < best; c++)
        {
          double v, gap;

          if (isnan (logme[c]))
            continue;
          v = logme_of_rows (features[c], rows, labels, n, n_classes, buffer, row_labels, error);
          if (error != NULL && *error != NULL)
            return FALSE;
          if (!isfinite (v))
            continue;
          gap = top - v;
          sum[c] += gap;
          sum2[c] += gap * gap;
          count[c]++;
        }
    }
  for (int c = 0; c < best; c++)
    if (count[c] >= 2)
      {
        double mean = sum[c] / count[c];
        gap_se[c] = sqrt (MAX (sum2[c] - count[c] * mean * mean, 0.0) / (count[c] - 1));
      }
  return TRUE;
}
