#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Character n-grams within words, as scikit-learn's "char_wb" analyser takes
 * them: a word is marked at both ends ("<word>") and cut into every run of
 * n_min..n_max characters (UTF-8 characters, not bytes); a marked word shorter
 * than n is itself one gram, counted once. Each gram is written with a leading
 * '#' ("#<wo", "#ord", "#rd>"), a character no token holds, so a gram never
 * passes for a word in the same vocabulary. */

#define TL_NGRAM_CHAR_MARK '#'

typedef void (*TlCharGramFunc) (const char *gram, gsize len, gpointer data);

/* Calls func with each gram of word, longer grams after shorter ones; buf is scratch. */
void     tl_ngram_chars_each   (const char *word, int n_min, int n_max, GString *buf,
                                TlCharGramFunc func, gpointer data);
gboolean tl_ngram_is_char_term (const char *term);

G_END_DECLS
