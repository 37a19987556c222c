#define G_LOG_DOMAIN "tl-ngram-word-scores"

#include "config.h"

#include "tl-ngram-chars.h"
#include "tl-ngram-word-scores.h"

typedef struct {
  GHashTable *term_scores;  /* term -> its score (a float in the caller's array) */
  GHashTable *holders;      /* piece -> the places in the text that hold it, counted in a first pass */
  double     *score;        /* the word's, in the second pass */
} PiecePass;

static void
count_piece (const char *piece, gsize len, gpointer data)
{
  PiecePass *p = data;

  if (g_hash_table_contains (p->term_scores, piece))
    {
      gpointer n = g_hash_table_lookup (p->holders, piece);
      g_hash_table_replace (p->holders, g_strdup (piece), GINT_TO_POINTER (GPOINTER_TO_INT (n) + 1));
    }
}

static void
share_piece (const char *piece, gsize len, gpointer data)
{
  PiecePass *p = data;
  int holders = GPOINTER_TO_INT (g_hash_table_lookup (p->holders, piece));

  if (holders > 0)
    *p->score += *(const float *) g_hash_table_lookup (p->term_scores, piece) / holders;
}

static void
add_piece_scores (GHashTable *term_scores, const char *const *words, int n, int lo, int hi, double *s)
{
  g_autoptr (GHashTable) holders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString) buf = g_string_new (NULL);
  PiecePass pass = { term_scores, holders, NULL };

  for (int i = 0; i < n; i++)
    tl_ngram_chars_each (words[i], lo, hi, buf, count_piece, &pass);
  for (int i = 0; i < n; i++)
    {
      pass.score = &s[i];
      tl_ngram_chars_each (words[i], lo, hi, buf, share_piece, &pass);
    }
}

double *
tl_ngram_word_scores (const TlNgramSettings *settings, const char *const *terms, const float *scores,
                      int n_terms, const char *const *words, int n_words)
{
  g_autoptr (GHashTable) term_scores = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GString) window = g_string_new (NULL);
  double *s = g_new0 (double, MAX (n_words, 1));

  g_return_val_if_fail (settings != NULL, s);
  for (int k = 0; k < n_terms; k++)
    if (terms[k] != NULL && terms[k][0] != '\0')
      g_hash_table_insert (term_scores, (gpointer) terms[k], (gpointer) &scores[k]);

  if (settings->char_max > 0)
    add_piece_scores (term_scores, words, n_words, settings->char_min, settings->char_max, s);
  for (int i = 0; i < n_words; i++)
    for (int len = 1; len <= settings->ngram_max && i + len <= n_words; len++)
      {
        gpointer found;

        g_string_assign (window, words[i]);
        for (int k = 1; k < len; k++)
          g_string_append_printf (window, " %s", words[i + k]);
        if (!g_hash_table_lookup_extended (term_scores, window->str, NULL, &found))
          continue;
        for (int k = 0; k < len; k++)
          s[i + k] += *(const float *) found / len;
      }
  return s;
}
