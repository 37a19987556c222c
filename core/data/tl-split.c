#define G_LOG_DOMAIN "tl-split"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tl-error.h"
#include "tl-rng.h"
#include "tl-split.h"

void
tl_split_free (TlSplit *split)
{
  if (split == NULL)
    return;
  g_free (split->train);
  g_free (split->val);
  g_free (split->test);
  g_free (split);
}

void
tl_count_classes (const int *y, const int *rows, int n, int n_classes, int *counts)
{
  g_return_if_fail (counts != NULL);
  g_return_if_fail (n == 0 || y != NULL);

  memset (counts, 0, sizeof (int) * MAX (n_classes, 0));
  for (int i = 0; i < n; i++)
    {
      int c = y[rows != NULL ? rows[i] : i];

      if (c >= 0 && c < n_classes)
        counts[c]++;
    }
}

double
tl_imbalance_ratio (const int *counts, int n_classes)
{
  int lo = G_MAXINT, hi = 0;

  g_return_val_if_fail (counts != NULL || n_classes == 0, 1.0);

  for (int c = 0; c < n_classes; c++)
    if (counts[c] > 0)
      {
        lo = MIN (lo, counts[c]);
        hi = MAX (hi, counts[c]);
      }
  if (hi == 0)
    return 1.0;
  return (double) hi / lo;
}

static const char *
class_name (const char *const *class_names, int c, char buffer[16])
{
  if (class_names != NULL && class_names[c] != NULL)
    return class_names[c];
  g_snprintf (buffer, 16, "%d", c);
  return buffer;
}

gboolean
tl_class_map_for_names (const char *const *class_names, int n_classes, const char *const *wanted,
                        int *map, GError **error)
{
  g_return_val_if_fail (class_names != NULL, FALSE);
  g_return_val_if_fail (wanted != NULL, FALSE);
  g_return_val_if_fail (map != NULL, FALSE);

  for (int c = 0; c < n_classes; c++)
    map[c] = -1;
  for (int w = 0; wanted[w] != NULL; w++)
    {
      int found = -1;

      for (int c = 0; c < n_classes && found < 0; c++)
        if (strcmp (class_names[c], wanted[w]) == 0)
          found = c;
      if (found < 0)
        {
          g_autofree char *all = g_strjoinv (", ", (char **) class_names);

          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       _("there is no class '%s' (the classes are: %s)"), wanted[w], all);
          return FALSE;
        }
      if (map[found] >= 0)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       _("class '%s' is asked for twice"), wanted[w]);
          return FALSE;
        }
      map[found] = w;
    }
  return TRUE;
}

static int
compare_int (gconstpointer a, gconstpointer b)
{
  int x = *(const int *) a, y = *(const int *) b;

  return (x > y) - (x < y);
}

/* rows[0..n) grouped by class: the members of class c are members[start[c] .. start[c + 1]). */
static int *
group_by_class (const int *y, const int *rows, int n, int n_classes, int **start_out)
{
  int *start = g_new0 (int, n_classes + 1);
  int *fill = g_new0 (int, n_classes + 1);
  int *members = g_new (int, MAX (n, 1));

  for (int i = 0; i < n; i++)
    start[y[rows[i]] + 1]++;
  for (int c = 0; c < n_classes; c++)
    start[c + 1] += start[c];
  memcpy (fill, start, sizeof (int) * (n_classes + 1));
  for (int i = 0; i < n; i++)
    members[fill[y[rows[i]]]++] = rows[i];
  g_free (fill);
  *start_out = start;
  return members;
}

static gboolean
check_labels (const int *y, const int *rows, int n, int n_classes, GError **error)
{
  for (int i = 0; i < n; i++)
    if (y[rows[i]] < 0 || y[rows[i]] >= n_classes)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     _("row %d has class %d, outside 0..%d"), rows[i], y[rows[i]], n_classes - 1);
        return FALSE;
      }
  return TRUE;
}

int *
tl_sample_per_class (const int *y, const int *rows, int n, int n_classes,
                     const char *const *class_names, int per_class, guint64 seed,
                     int *n_out, GError **error)
{
  g_autofree int *start = NULL;
  g_autofree int *members = NULL;
  int *out;
  int n_kept = 0;
  TlRng rng;

  g_return_val_if_fail (y != NULL && rows != NULL, NULL);
  g_return_val_if_fail (per_class > 0, NULL);
  g_return_val_if_fail (n_out != NULL, NULL);

  if (!check_labels (y, rows, n, n_classes, error))
    return NULL;
  members = group_by_class (y, rows, n, n_classes, &start);
  for (int c = 0; c < n_classes; c++)
    {
      char buffer[16];
      int count = start[c + 1] - start[c];

      if (count < per_class)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       _("class '%s' has %d samples, fewer than the %d per class asked for"),
                       class_name (class_names, c, buffer), count, per_class);
          return NULL;
        }
    }

  tl_rng_init (&rng, seed);
  out = g_new (int, MAX ((gsize) per_class * n_classes, 1));
  for (int c = 0; c < n_classes; c++)
    {
      int *group = members + start[c];

      tl_rng_shuffle (&rng, group, start[c + 1] - start[c]);
      memcpy (out + n_kept, group, sizeof (int) * per_class);
      n_kept += per_class;
    }
  qsort (out, n_kept, sizeof (int), compare_int);
  *n_out = n_kept;
  return out;
}

static int
part_size (int count, double fraction)
{
  int k;

  if (fraction <= 0.0)
    return 0;
  k = (int) floor (count * fraction + 0.5);
  return MAX (k, 1);
}

TlSplit *
tl_split_stratified (const int *y, const int *rows, int n, int n_classes,
                     const char *const *class_names, double val_fraction, double test_fraction,
                     guint64 seed, GError **error)
{
  g_autoptr (TlSplit) split = NULL;
  g_autofree int *start = NULL;
  g_autofree int *members = NULL;
  int needed;
  TlRng rng;

  g_return_val_if_fail (n == 0 || (y != NULL && rows != NULL), NULL);

  if (val_fraction < 0.0 || test_fraction < 0.0 || val_fraction + test_fraction >= 1.0
      || isnan (val_fraction) || isnan (test_fraction))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("the validation and test fractions (%g, %g) must be at least 0 and leave some rows for training"),
                   val_fraction, test_fraction);
      return NULL;
    }
  if (!check_labels (y, rows, n, n_classes, error))
    return NULL;

  needed = 1 + (val_fraction > 0.0) + (test_fraction > 0.0);
  members = group_by_class (y, rows, n, n_classes, &start);
  split = g_new0 (TlSplit, 1);
  split->train = g_new (int, MAX (n, 1));
  split->val = g_new (int, MAX (n, 1));
  split->test = g_new (int, MAX (n, 1));

  tl_rng_init (&rng, seed);
  for (int c = 0; c < n_classes; c++)
    {
      int *group = members + start[c];
      int count = start[c + 1] - start[c];
      int n_val, n_test, n_train;
      char buffer[16];

      if (count == 0)
        continue;
      n_val = part_size (count, val_fraction);
      n_test = part_size (count, test_fraction);
      n_train = count - n_val - n_test;
      if (count < needed || n_train < 1)
        {
          int least = needed;

          while (least < 1000000 && least - part_size (least, val_fraction) - part_size (least, test_fraction) < 1)
            least++;
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       g_dngettext (GETTEXT_PACKAGE,
                                    "class '%s' has %d sample, too few for the split asked for (at least %d needed)",
                                    "class '%s' has %d samples, too few for the split asked for (at least %d needed)",
                                    count),
                       class_name (class_names, c, buffer), count, least);
          return NULL;
        }
      tl_rng_shuffle (&rng, group, count);
      memcpy (split->test + split->n_test, group, sizeof (int) * n_test);
      split->n_test += n_test;
      memcpy (split->val + split->n_val, group + n_test, sizeof (int) * n_val);
      split->n_val += n_val;
      memcpy (split->train + split->n_train, group + n_test + n_val, sizeof (int) * n_train);
      split->n_train += n_train;
    }
  qsort (split->train, split->n_train, sizeof (int), compare_int);
  qsort (split->val, split->n_val, sizeof (int), compare_int);
  qsort (split->test, split->n_test, sizeof (int), compare_int);
  return g_steal_pointer (&split);
}

static int *
all_rows (int n)
{
  int *rows = g_new (int, MAX (n, 1));

  for (int i = 0; i < n; i++)
    rows[i] = i;
  return rows;
}

TlDataset *
tl_dataset_select_classes (const TlDataset *ds, const char *const *wanted, GError **error)
{
  g_autofree int *map = NULL;
  g_autofree int *rows = NULL;
  TlDataset *out;
  int n = 0, k;

  g_return_val_if_fail (ds != NULL, NULL);
  g_return_val_if_fail (wanted != NULL, NULL);

  map = g_new (int, MAX (ds->n_classes, 1));
  if (!tl_class_map_for_names ((const char *const *) ds->class_names, ds->n_classes, wanted, map, error))
    return NULL;
  rows = g_new (int, MAX (ds->n, 1));
  for (int i = 0; i < ds->n; i++)
    if (map[ds->y[i]] >= 0)
      rows[n++] = i;
  out = tl_dataset_subset (ds, rows, n);
  k = g_strv_length ((char **) wanted);
  for (int i = 0; i < n; i++)
    out->y[i] = map[out->y[i]];
  g_strfreev (out->class_names);
  out->class_names = g_strdupv ((char **) wanted);
  out->n_classes = k;
  return out;
}

TlDataset *
tl_dataset_sample_per_class (const TlDataset *ds, int per_class, guint64 seed, GError **error)
{
  g_autofree int *rows = NULL;
  g_autofree int *chosen = NULL;
  int n_chosen = 0;

  g_return_val_if_fail (ds != NULL, NULL);

  rows = all_rows (ds->n);
  chosen = tl_sample_per_class (ds->y, rows, ds->n, ds->n_classes,
                                (const char *const *) ds->class_names, per_class, seed,
                                &n_chosen, error);
  if (chosen == NULL)
    return NULL;
  return tl_dataset_subset (ds, chosen, n_chosen);
}

TlSplit *
tl_dataset_split (const TlDataset *ds, double val_fraction, double test_fraction, guint64 seed,
                  GError **error)
{
  g_autofree int *rows = NULL;

  g_return_val_if_fail (ds != NULL, NULL);

  rows = all_rows (ds->n);
  return tl_split_stratified (ds->y, rows, ds->n, ds->n_classes,
                              (const char *const *) ds->class_names, val_fraction, test_fraction,
                              seed, error);
}

void
tl_split_apply (const TlSplit *split, const TlDataset *ds, TlDataset **train, TlDataset **val,
                TlDataset **test)
{
  g_return_if_fail (split != NULL);
  g_return_if_fail (ds != NULL);

  if (train != NULL)
    *train = tl_dataset_subset (ds, split->train, split->n_train);
  if (val != NULL)
    *val = tl_dataset_subset (ds, split->val, split->n_val);
  if (test != NULL)
    *test = tl_dataset_subset (ds, split->test, split->n_test);
}
