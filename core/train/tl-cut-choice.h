#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Which cut to recommend among the scored ones.
 *
 * LogME is a log evidence: averaged over the classes and divided by the rows,
 * the log marginal likelihood of a Bayesian linear model of each class on the
 * cut's features. Between two cuts, rows x classes x the difference of their
 * LogMEs is therefore the natural log of a Bayes factor.
 *
 * A lower cut is the default: a transfer trains the layers above it from the
 * source's own weights, so it starts from the higher cut's very features and
 * may adapt them to the target; a higher cut only trains the head. A higher
 * cut is recommended over a lower one only when the evidence for it is strong
 * on Kass and Raftery's scale: a Bayes factor of 20 or more (the bar they set
 * to match the customary 5 % level). */

#define TL_CUT_CHOICE_STRONG_EVIDENCE 2.995732273553991 /* ln 20 */

/* The index of the highest LogME among cuts [0, n_candidates), -1 if none is a number. */
int    tl_cut_choice_best             (const double *logme, int n_candidates);

/* ln of the Bayes factor for features scoring `higher` over features scoring `lower`, both LogMEs
 * on n rows of n_classes classes. */
double tl_cut_choice_log_bayes_factor (double higher, double lower, int n, int n_classes);

/* The lowest cut c <= best whose LogME is a number and against which the best's evidence is not strong
 * (ln Bayes factor below TL_CUT_CHOICE_STRONG_EVIDENCE); best itself when none (-1 when best is -1). */
int    tl_cut_choice_recommend        (const double *logme, int best, int n, int n_classes);

/* Which source model to put first among several scored on one target.
 * Their best LogMEs are log evidences on the same rows, so the same scale
 * says when one model is not strongly better than another. Among the models
 * whose best LogME the top one's does not beat with strong evidence, the one
 * of highest LEEP (a second, independent estimate, from the source's own
 * predictions) comes first; the others follow by best LogME. Fills order
 * with model indices; models without a LogME come last, in their order. */
void   tl_cut_choice_rank_models      (const double *best_logme, const double *leep, int n_models, int n,
                                       int n_classes, int *order);

G_END_DECLS
