#pragma once

#include "tl-ngram.h"

/* N-gram features for tests: fitted on a few texts, and a term's weight in a bag. */

TlNgramFeatures *ngram_check_fit       (const TlNgramSettings *s, const char *const *docs, guint n);
/* The weight of `term` in a bag of f's, 0 when it is absent. */
float            ngram_check_weight_of (const TlNgramFeatures *f, const float *bag, const char *term);
