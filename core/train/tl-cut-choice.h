#pragma once

#include <glib.h>

#include "tl-tensor.h"

G_BEGIN_DECLS

/* Which cut to recommend among the scored ones. The highest LogME is a linear
 * probe's verdict at the cut; a transfer trains the layers above the cut too,
 * starting from the very weights that turn the lower features into the higher
 * ones. So where a lower cut's LogME cannot be told apart from the best, the
 * lower cut is the better bet: the one-standard-error rule, with the standard
 * error of the gap measured by a grouped jackknife over the labelled rows. (Not
 * a bootstrap: its repeated rows let a wide layer fit them exactly, and the
 * evidence of such a fit soars.) */

#define TL_CUT_CHOICE_GROUPS 10

/* For every cut c up to `best` whose logme[c] is a number: the grouped
 * jackknife's standard error of LogME(best) - LogME(c). The rows are dealt
 * into n_groups groups (each class spread evenly over them, in a seeded order);
 * each group left out in turn, both scores are computed on the rest, and the
 * variance is (G - 1) / G times the sum of the gaps' squared deviations from
 * their mean. features[c] is [n, dim_c]; labels in [0, n_classes).
 * gap_se[best] = 0; every other entry is NaN. */
gboolean tl_cut_choice_gap_errors (TlTensor *const *features, const double *logme, int n_cuts, int best,
                                   const int *labels, int n_classes, int n_groups, guint64 seed,
                                   double *gap_se, GError **error);

/* The index of the highest LogME among cuts [0, n_candidates), -1 if none is a number. */
int      tl_cut_choice_best       (const double *logme, int n_candidates);

/* The lowest cut c <= best with logme[best] - logme[c] <= gap_se[c]; best itself when no lower one qualifies
 * (or -1 when best is -1). */
int      tl_cut_choice_recommend  (const double *logme, const double *gap_se, int best);

G_END_DECLS
