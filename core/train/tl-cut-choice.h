#pragma once

#include <glib.h>

#include "tl-tensor.h"

G_BEGIN_DECLS

/* Which cut to recommend among the scored ones. The highest LogME is a linear
 * probe's verdict at the cut; a transfer trains the layers above the cut too,
 * starting from the very weights that turn the lower features into the higher
 * ones. So where a lower cut's LogME cannot be told apart from the best, the
 * lower cut is the better bet: the one-standard-error rule, with the standard
 * error of the gap measured by a bootstrap over the labelled rows. */

#define TL_CUT_CHOICE_REPLICATES 20

/* For every cut c up to `best` whose logme[c] is a number: the standard
 * deviation, over `replicates` bootstrap resamples of the rows (drawn within
 * each class, so every class keeps its count), of LogME(best) - LogME(c), both
 * computed on the same resample. features[c] is [n, dim_c]; labels in
 * [0, n_classes). gap_se[best] = 0; every other entry is NaN. */
gboolean tl_cut_choice_gap_errors (TlTensor *const *features, const double *logme, int n_cuts, int best,
                                   const int *labels, int n_classes, int replicates, guint64 seed,
                                   double *gap_se, GError **error);

/* The index of the highest LogME among cuts [0, n_candidates), -1 if none is a number. */
int      tl_cut_choice_best       (const double *logme, int n_candidates);

/* The lowest cut c <= best with logme[best] - logme[c] <= gap_se[c]; best itself when no lower one qualifies
 * (or -1 when best is -1). */
int      tl_cut_choice_recommend  (const double *logme, const double *gap_se, int best);

G_END_DECLS
