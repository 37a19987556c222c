/* Character n-grams within words, beside the word n-grams of a bag. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ngram-check.h"
#include "tl-error.h"
#include "tl-ngram-chars.h"
#include "tl-ngram.h"

static const char *const corpus[] = {
  "the film was not good",
  "the film was good good good",
  "a good book",
  "not a good book at all",
  "the book",
};

static void
add_gram (const char *gram, gsize len, gpointer data)
{
  g_assert_cmpuint (strlen (gram), ==, len);
  g_ptr_array_add (data, g_strdup (gram));
}

static GPtrArray *
grams_of (const char *word, int lo, int hi)
{
  GPtrArray *grams = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) buf = g_string_new (NULL);

  tl_ngram_chars_each (word, lo, hi, buf, add_gram, grams);
  return grams;
}

static void
assert_grams (const char *word, int lo, int hi, const char *const *expected)
{
  g_autoptr (GPtrArray) grams = grams_of (word, lo, hi);

  g_assert_cmpuint (grams->len, ==, g_strv_length ((char **) expected));
  for (guint i = 0; i < grams->len; i++)
    g_assert_cmpstr (g_ptr_array_index (grams, i), ==, expected[i]);
}

static void
test_grams (void)
{
  /* a marked word no longer than n is one gram, once */
  assert_grams ("go", 2, 5, (const char *const[]) { "#<g", "#go", "#o>", "#<go", "#go>", "#<go>", NULL });
  assert_grams ("film", 3, 3, (const char *const[]) { "#<fi", "#fil", "#ilm", "#lm>", NULL });
  /* characters, not bytes */
  assert_grams ("été", 3, 3, (const char *const[]) { "#<ét", "#été", "#té>", NULL });
  assert_grams ("a", 2, 2, (const char *const[]) { "#<a", "#a>", NULL });

  /* a very long token keeps a bounded number of grams */
  {
    g_autofree char *word = g_strnfill (5000, 'x');
    g_autoptr (GPtrArray) grams = grams_of (word, 5, 5);
    g_assert_cmpuint (grams->len, ==, 256 - 5 + 1);
    g_assert_true (tl_ngram_is_char_term (g_ptr_array_index (grams, 0)));
    g_assert_false (tl_ngram_is_char_term ("xx"));
  }
}

static TlNgramFeatures *
fit (const TlNgramSettings *s)
{
  return ngram_check_fit (s, corpus, G_N_ELEMENTS (corpus));
}

static void
settings_with_chars (TlNgramSettings *s)
{
  tl_ngram_settings_init (s);
  s->min_df = 1;
  s->char_min = 2;
  s->char_max = 4;
  s->max_terms = 256;
}

static double
block_norm (const TlNgramFeatures *f, const float *bag, gboolean chars)
{
  const int K = f->settings.max_terms;
  double sum = 0.0;

  for (int k = 0; k < K; k++)
    if (bag[K + k] != 0.0f && ((int) bag[k] >= f->char_first) == chars)
      sum += (double) bag[K + k] * bag[K + k];
  return sqrt (sum);
}

static void
test_features (void)
{
  TlNgramSettings s;
  g_autoptr (TlNgramFeatures) f = NULL;
  float bag[2 * 256];
  int n;

  settings_with_chars (&s);
  f = fit (&s);
  g_assert_cmpint (f->char_first, >, 2);
  g_assert_cmpint (f->char_first, <, f->n_ids);
  for (int id = 2; id < f->n_ids; id++)
    g_assert_true (tl_ngram_is_char_term (tl_ngram_term (f, id)) == (id >= f->char_first));
  g_assert_cmpint (tl_vocab_lookup (f->vocab, "#<go"), >=, f->char_first);
  g_assert_cmpint (tl_vocab_lookup (f->vocab, "good"), <, f->char_first);

  /* words and characters are each of length 1 */
  n = tl_ngram_encode_text (f, "the film was good", bag);
  g_assert_cmpint (n, >, 7);
  g_assert_cmpfloat (fabs (block_norm (f, bag, FALSE) - 1.0), <, 1e-5);
  g_assert_cmpfloat (fabs (block_norm (f, bag, TRUE) - 1.0), <, 1e-5);
  g_assert_cmpfloat (ngram_check_weight_of (f, bag, "#<fi"), >, 0.0f);

  /* a word never seen still brings the grams it shares */
  n = tl_ngram_encode_text (f, "goodness", bag);
  g_assert_cmpint (n, >, 0);
  g_assert_cmpfloat (block_norm (f, bag, FALSE), ==, 0.0);
  g_assert_cmpfloat (ngram_check_weight_of (f, bag, "#<go"), >, 0.0f);
  g_assert_cmpfloat (ngram_check_weight_of (f, bag, "#good"), >, 0.0f);
  g_assert_cmpfloat (ngram_check_weight_of (f, bag, "#od>"), ==, 0.0f);
}

/* A table's rows encoded through a word map give the bags of their tokens. */
static void
test_word_map_matches_tokens (void)
{
  const char *words[] = { "the", "goodness", "film", "zzz", "good", "at" };
  const guint rows[][4] = { { 0, 1, 2, 2 }, { 3, 3, 4, 5 }, { 1, 0, 4, 2 } };
  TlNgramSettings s;
  g_autoptr (TlNgramFeatures) f = NULL;
  g_autoptr (TlNgramWordMap) map = NULL;

  settings_with_chars (&s);
  s.max_terms = 12;   /* fewer than a row's terms: the truncation agrees too */
  f = fit (&s);
  map = tl_ngram_features_map_words (f, words, G_N_ELEMENTS (words));
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      const char *tokens[4];
      float a[2 * 12], b[2 * 12];

      for (int i = 0; i < 4; i++)
        tokens[i] = words[rows[r][i]];
      g_assert_cmpint (tl_ngram_encode_words (f, map, rows[r], 4, a), ==,
                       tl_ngram_encode_tokens (f, tokens, 4, b));
      g_assert_cmpmem (a, sizeof a, b, sizeof b);
    }
}

/* A map of more words than one chunk of its parallel build keeps every word's pieces in place. */
static void
test_large_word_map (void)
{
  const char *stems[] = { "good", "film", "the", "goodness", "at", "qqq" };
  const int n = 5000;
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  TlNgramSettings s;
  g_autoptr (TlNgramFeatures) f = NULL;
  g_autoptr (TlNgramWordMap) map = NULL;

  settings_with_chars (&s);
  f = fit (&s);
  for (int i = 0; i < n; i++)
    g_ptr_array_add (words, i % 7 == 3 ? g_strdup (stems[i % 6]) : g_strdup_printf ("%s%d", stems[i % 6], i));
  map = tl_ngram_features_map_words (f, (const char *const *) words->pdata, n);
  for (guint w = 0; w < (guint) n; w++)
    {
      const char *token = g_ptr_array_index (words, w);
      float a[2 * 256], b[2 * 256];

      g_assert_cmpint (tl_ngram_encode_words (f, map, &w, 1, a), ==, tl_ngram_encode_tokens (f, &token, 1, b));
      g_assert_cmpmem (a, sizeof (float) * 2 * f->settings.max_terms, b, sizeof (float) * 2 * f->settings.max_terms);
    }
}

static void
test_round_trip (void)
{
  TlNgramSettings s;
  g_autoptr (TlNgramFeatures) f = NULL;
  g_autoptr (TlNgramFeatures) back = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;
  float a[2 * 256], b[2 * 256];

  settings_with_chars (&s);
  s.char_max_features = 20;
  f = fit (&s);
  g_assert_cmpint (f->n_ids - f->char_first, ==, 20);
  node = tl_ngram_features_to_json (f);
  back = tl_ngram_features_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->char_first, ==, f->char_first);
  g_assert_cmpint (back->settings.char_max, ==, 4);
  g_assert_cmpint (back->settings.char_max_features, ==, 20);
  tl_ngram_encode_text (f, "not a good filmgoer", a);
  tl_ngram_encode_text (back, "not a good filmgoer", b);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
}

static void
test_bad_input (void)
{
  TlNgramSettings s;
  g_autoptr (GError) error = NULL;

  settings_with_chars (&s);
  s.hash_size = 1024;
  g_assert_false (tl_ngram_settings_check (&s, &error));
  g_assert_nonnull (strstr (error->message, "hash_size"));
  g_clear_error (&error);

  settings_with_chars (&s);
  s.char_min = 5;
  g_assert_false (tl_ngram_settings_check (&s, &error));
  g_assert_nonnull (strstr (error->message, "char_min"));
  g_clear_error (&error);

  settings_with_chars (&s);
  s.char_max = 9;
  g_assert_false (tl_ngram_settings_check (&s, &error));
  g_clear_error (&error);

  /* a limit of no terms at all */
  settings_with_chars (&s);
  s.char_max_features = 0;
  g_assert_false (tl_ngram_settings_check (&s, &error));
  g_assert_nonnull (strstr (error->message, "-1 for no limit"));
  g_clear_error (&error);
  settings_with_chars (&s);
  s.max_features = 0;
  g_assert_false (tl_ngram_settings_check (&s, &error));
  g_assert_nonnull (strstr (error->message, "max_features"));
  g_clear_error (&error);

  /* files: a word term among the character terms, character terms without their lengths */
  {
    const char *cases[] = {
      "{\"ngram_max\":1,\"max_features\":0,\"min_df\":1,\"hash_size\":0,\"max_terms\":4,"
      "\"char_min\":2,\"char_max\":3,\"char_max_features\":-1,\"terms\":[\"#<a\",\"b\"],\"idf\":[0,0,1,1]}",
      "{\"ngram_max\":1,\"max_features\":0,\"min_df\":1,\"hash_size\":0,\"max_terms\":4,"
      "\"terms\":[\"b\",\"#<a\"],\"idf\":[0,0,1,1]}",
      "{\"ngram_max\":1,\"max_features\":0,\"min_df\":1,\"hash_size\":0,\"max_terms\":4,"
      "\"char_min\":4,\"char_max\":3,\"char_max_features\":-1,\"terms\":[\"b\"],\"idf\":[0,0,1]}",
    };
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr (JsonNode) node = json_from_string (cases[i], NULL);
        g_autoptr (TlNgramFeatures) f = tl_ngram_features_from_json (node, &error);
        g_assert_null (f);
        g_assert_error (error, TL_ERROR, (i < 2 ? TL_ERROR_PARSE : TL_ERROR_INVALID_ARGUMENT));
        g_clear_error (&error);
      }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text-chars/large-word-map", test_large_word_map);
  g_test_add_func ("/ngram-chars/grams", test_grams);
  g_test_add_func ("/ngram-chars/features", test_features);
  g_test_add_func ("/ngram-chars/word-map", test_word_map_matches_tokens);
  g_test_add_func ("/ngram-chars/round-trip", test_round_trip);
  g_test_add_func ("/ngram-chars/bad-input", test_bad_input);
  return g_test_run ();
}
