/* A bag's term scores spread onto the words of its text. */
#include "config.h"

#include <math.h>

#include "tl-ngram-word-scores.h"

static void
settings_of (TlNgramSettings *s, int ngram_max, int char_min, int char_max)
{
  tl_ngram_settings_init (s);
  s->ngram_max = ngram_max;
  s->char_min = char_min;
  s->char_max = char_max;
}

static void
test_word_ngrams (void)
{
  TlNgramSettings s;
  const char *terms[] = { "good", "not good", "", "film" };
  const float scores[] = { 1.0f, 0.5f, 9.0f, -0.2f };
  const char *words[] = { "not", "good", "film", "good" };
  g_autofree double *w = NULL;

  settings_of (&s, 2, 2, 0);
  w = tl_ngram_word_scores (&s, terms, scores, 4, words, 4);
  /* a pair split between its words; a word's own score at each place; "" is no term */
  g_assert_cmpfloat_with_epsilon (w[0], 0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], 1.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[2], -0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[3], 1.0, 1e-6);

  /* pairs not counted when the bag has words alone */
  g_free (w);
  settings_of (&s, 1, 2, 0);
  w = tl_ngram_word_scores (&s, terms, scores, 4, words, 4);
  g_assert_cmpfloat_with_epsilon (w[0], 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], 1.0, 1e-6);
}

static void
test_pieces_shared (void)
{
  TlNgramSettings s;
  /* 3-grams of "<good>": #<go #goo #ood #od>; of "<goood>": #<go #goo #ooo #ood #od> */
  const char *terms[] = { "#<go", "#ood", "#ooo", "good", "#xyz" };
  const float scores[] = { 0.6f, -0.4f, 0.9f, 2.0f, 5.0f };
  const char *words[] = { "good", "goood", "bad" };
  g_autofree double *w = NULL;

  settings_of (&s, 1, 3, 3);
  w = tl_ngram_word_scores (&s, terms, scores, 5, words, 3);
  /* "#<go" and "#ood" are held by both words: half each; "#ooo" by the misspelling alone */
  g_assert_cmpfloat_with_epsilon (w[0], 2.0 + 0.3 - 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], 0.3 - 0.2 + 0.9, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[2], 0.0, 1e-6);
  /* every piece found in the text is given out in full, no more: "#xyz" is in no word */
  g_assert_cmpfloat_with_epsilon (w[0] + w[1] + w[2] - 2.0, 0.6 - 0.4 + 0.9, 1e-6);

  /* without character n-grams in the bag, the pieces give nothing */
  g_free (w);
  settings_of (&s, 1, 3, 0);
  w = tl_ngram_word_scores (&s, terms, scores, 5, words, 3);
  g_assert_cmpfloat_with_epsilon (w[0], 2.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], 0.0, 1e-6);
}

static void
test_repeated_and_wide (void)
{
  TlNgramSettings s;
  const char *terms[] = { "#<ét", "#aa" };
  const float scores[] = { -1.0f, 0.6f };
  const char *wide[] = { "été", "étés", "et" };
  const char *repeated[] = { "aaaa", "aa", "b" };
  g_autofree double *w = NULL, *r = NULL, *none = NULL;

  /* characters, not bytes: "#<ét" starts both French words */
  settings_of (&s, 1, 3, 3);
  w = tl_ngram_word_scores (&s, terms, scores, 2, wide, 3);
  g_assert_cmpfloat_with_epsilon (w[0], -0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], -0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[2], 0.0, 1e-6);

  /* a piece three times in "<aaaa>" and once in "<aa>": shared by its four places */
  settings_of (&s, 1, 2, 2);
  r = tl_ngram_word_scores (&s, terms, scores, 2, repeated, 3);
  g_assert_cmpfloat_with_epsilon (r[0], 0.45, 1e-6);
  g_assert_cmpfloat_with_epsilon (r[1], 0.15, 1e-6);
  g_assert_cmpfloat_with_epsilon (r[2], 0.0, 1e-6);

  /* no words: one score, zero */
  none = tl_ngram_word_scores (&s, terms, scores, 2, NULL, 0);
  g_assert_nonnull (none);
  g_assert_cmpfloat (none[0], ==, 0.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ngram-word-scores/word-ngrams", test_word_ngrams);
  g_test_add_func ("/ngram-word-scores/pieces-shared", test_pieces_shared);
  g_test_add_func ("/ngram-word-scores/repeated-and-wide", test_repeated_and_wide);
  return g_test_run ();
}
