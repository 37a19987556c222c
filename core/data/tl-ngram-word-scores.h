#pragma once

#include <glib.h>

#include "tl-ngram.h"

G_BEGIN_DECLS

/* A bag's term scores (one per term, as an explanation gives them) spread onto
 * the words of its text, for highlighting them: a word n-gram's score goes to
 * each of its words in equal parts, wherever it occurs ("not good": half to
 * "not", half to "good"); with character n-grams (settings->char_max > 0), a
 * piece's score ("#<goo") is shared equally among the places in the text that
 * hold it, so a word no vocabulary knows still gets its pieces' evidence.
 * Terms are as tl_ngram_term gives them; "" stands for an empty slot. Returns
 * MAX (n_words, 1) scores. */
double *tl_ngram_word_scores (const TlNgramSettings *settings, const char *const *terms, const float *scores,
                              int n_terms, const char *const *words, int n_words);

G_END_DECLS
