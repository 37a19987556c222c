#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* LogME (You et al., ICML 2021): the log marginal evidence of Bayesian linear
 * regression from the features f [n, dim] to each class's one-hot target,
 * maximised over the prior and noise precisions by the paper's fixed-point
 * iteration, divided by n and averaged over classes. labels in [0, n_classes). */
double    tl_logme                (const float *f, int n, int dim, const int *labels, int n_classes,
                                   GError **error);

G_END_DECLS
