#pragma once

#include <glib.h>

#include "tl-dataset.h"

G_BEGIN_DECLS

/* Rows of a dataset (indices into it) for training, validation and test,
 * each list in ascending order. */
typedef struct {
  int *train;
  int  n_train;
  int *val;
  int  n_val;
  int *test;
  int  n_test;
} TlSplit;

void     tl_split_free              (TlSplit *split);

/* counts[0..n_classes) of the labels y[rows[i]] (all of y when rows is NULL). */
void     tl_count_classes           (const int *y, const int *rows, int n, int n_classes, int *counts);
/* The largest class count over the smallest non-empty one (1 with fewer than two classes). */
double   tl_imbalance_ratio         (const int *counts, int n_classes);

/* map[old class] = new class (0..k-1 in the order of `wanted`) or -1.
 * Fails naming the class when one of `wanted` is not among class_names. */
gboolean tl_class_map_for_names     (const char *const *class_names, int n_classes,
                                     const char *const *wanted, int *map, GError **error);
/* Picks `per_class` rows of each class among rows[0..n) at random (seeded),
 * returned in their original order; fails when a class has fewer. */
int     *tl_sample_per_class        (const int *y, const int *rows, int n, int n_classes,
                                     const char *const *class_names, int per_class, guint64 seed,
                                     int *n_out, GError **error);
/* Splits rows[0..n) class by class (seeded) so that each part keeps the class
 * proportions; each class gives at least one row to every part with a
 * non-zero fraction, or the split fails naming the class. The returned lists
 * hold values taken from rows. */
TlSplit *tl_split_stratified        (const int *y, const int *rows, int n, int n_classes,
                                     const char *const *class_names, double val_fraction,
                                     double test_fraction, guint64 seed, GError **error);

/* The same on a whole dataset. */
TlDataset *tl_dataset_select_classes    (const TlDataset *ds, const char *const *wanted, GError **error);
TlDataset *tl_dataset_sample_per_class  (const TlDataset *ds, int per_class, guint64 seed, GError **error);
TlSplit   *tl_dataset_split             (const TlDataset *ds, double val_fraction, double test_fraction,
                                         guint64 seed, GError **error);
/* New datasets for the three parts (any of the out pointers may be NULL). */
void       tl_split_apply               (const TlSplit *split, const TlDataset *ds, TlDataset **train,
                                         TlDataset **val, TlDataset **test);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlSplit, tl_split_free)

G_END_DECLS
