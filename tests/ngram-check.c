#include "config.h"

#include "ngram-check.h"

TlNgramFeatures *
ngram_check_fit (const TlNgramSettings *s, const char *const *docs, guint n)
{
  g_autoptr (TlNgramCounter) counter = tl_ngram_counter_new (s);
  g_autoptr (GError) error = NULL;
  TlNgramFeatures *f;

  for (guint i = 0; i < n; i++)
    {
      g_auto (GStrv) tokens = tl_tokenize_strv (docs[i]);
      tl_ngram_counter_add (counter, (const char *const *) tokens, g_strv_length (tokens));
    }
  f = tl_ngram_counter_finish (counter, &error);
  g_assert_no_error (error);
  return f;
}

float
ngram_check_weight_of (const TlNgramFeatures *f, const float *bag, const char *term)
{
  const int K = f->settings.max_terms;

  for (int k = 0; k < K; k++)
    if (bag[K + k] != 0.0f && g_strcmp0 (tl_ngram_term (f, (int) bag[k]), term) == 0)
      return bag[K + k];
  return 0.0f;
}
