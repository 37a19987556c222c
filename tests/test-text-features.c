/* N-gram text features and the embedding_bag layer that reads them. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "layer-check.h"
#include "ngram-check.h"
#include "tl-error.h"
#include "tl-ngram.h"
#include "tl-preprocess.h"
#include "tl-rng.h"

static const char *const corpus[] = {
  "the film was not good",
  "the film was good good good",
  "a good book",
  "not a good book at all",
  "the book",
};

static void
test_vocabulary (void)
{
  TlNgramSettings s;
  g_autoptr (TlNgramFeatures) f = NULL;

  tl_ngram_settings_init (&s);
  s.char_max = 0;
  s.min_df = 2;
  f = ngram_check_fit (&s, corpus, G_N_ELEMENTS (corpus));
  /* by document frequency, then by term: good (4), the (3), book (3), ... */
  g_assert_cmpstr (tl_ngram_term (f, 2), ==, "good");
  g_assert_cmpstr (tl_ngram_term (f, 3), ==, "book");
  g_assert_cmpstr (tl_ngram_term (f, 4), ==, "the");
  /* "good book" is in two documents and kept; "not good" in one and dropped */
  g_assert_cmpint (tl_vocab_lookup (f->vocab, "good book"), >=, 2);
  g_assert_cmpint (tl_vocab_lookup (f->vocab, "not good"), ==, TL_TOKEN_OOV);
  g_assert_cmpfloat (f->idf[0], ==, 0.0f);
  /* scikit-learn's smooth idf: ln((1 + 5) / (1 + 4)) + 1 */
  g_assert_cmpfloat_with_epsilon (f->idf[2], log (6.0 / 5.0) + 1.0, 1e-6);

  s.max_features = 2;
  {
    g_autoptr (TlNgramFeatures) small = ngram_check_fit (&s, corpus, G_N_ELEMENTS (corpus));
    g_assert_cmpint (small->n_ids, ==, 4);
    /* the limit falls inside the terms of frequency 3: the first by term is kept */
    g_assert_cmpstr (tl_ngram_term (small, 2), ==, "good");
    g_assert_cmpstr (tl_ngram_term (small, 3), ==, "book");
  }
  s.max_features = 3;
  {
    g_autoptr (TlNgramFeatures) three = ngram_check_fit (&s, corpus, G_N_ELEMENTS (corpus));
    g_assert_cmpint (three->n_ids, ==, 5);
    g_assert_cmpstr (tl_ngram_term (three, 4), ==, "the");
  }
}

static void
test_weights (void)
{
  TlNgramSettings s;
  g_autoptr (TlNgramFeatures) f = NULL;
  float bag[2 * 64];
  double norm = 0.0;
  int n;

  tl_ngram_settings_init (&s);
  s.char_max = 0;
  s.min_df = 1;
  s.max_terms = 64;
  f = ngram_check_fit (&s, corpus, G_N_ELEMENTS (corpus));
  n = tl_ngram_encode_text (f, "the film was good good good", bag);
  /* the, film, was, good + the film, film was, was good, good good */
  g_assert_cmpint (n, ==, 8);
  for (int k = 0; k < 64; k++)
    norm += (double) bag[64 + k] * bag[64 + k];
  g_assert_cmpfloat_with_epsilon (norm, 1.0, 1e-5);
  /* sublinear tf: "good" three times weighs (1 + ln 3) idf, "film" once 1 idf */
  {
    int id_good = tl_vocab_lookup (f->vocab, "good"), id_film = tl_vocab_lookup (f->vocab, "film");
    double ratio = ngram_check_weight_of (f, bag, "good") / ngram_check_weight_of (f, bag, "film");
    g_assert_cmpfloat_with_epsilon (ratio, (1.0 + log (3.0)) * f->idf[id_good] / f->idf[id_film], 1e-4);
  }
  /* ids ascending, then empty slots */
  for (int k = 1; k < n; k++)
    g_assert_cmpfloat (bag[k], >, bag[k - 1]);
  for (int k = n; k < 64; k++)
    g_assert_true (bag[k] == 0.0f && bag[64 + k] == 0.0f);
  /* no known term, no weight */
  g_assert_cmpint (tl_ngram_encode_text (f, "", bag), ==, 0);
  g_assert_cmpint (tl_ngram_encode_text (f, "zebra quux", bag), ==, 0);
  for (int k = 0; k < 128; k++)
    g_assert_cmpfloat (bag[k], ==, 0.0f);
}

static void
test_truncation_keeps_heaviest (void)
{
  TlNgramSettings s;
  g_autoptr (TlNgramFeatures) f = NULL;
  float full[2 * 64], cut[2 * 3];
  int n;

  tl_ngram_settings_init (&s);
  s.char_max = 0;
  s.min_df = 1;
  s.max_terms = 64;
  f = ngram_check_fit (&s, corpus, G_N_ELEMENTS (corpus));
  n = tl_ngram_encode_text (f, "not a good book at all", full);
  g_assert_cmpint (n, >, 3);
  f->settings.max_terms = 3;
  g_assert_cmpint (tl_ngram_encode_text (f, "not a good book at all", cut), ==, n);
  for (int k = 0; k < 3; k++)
    {
      const char *term = tl_ngram_term (f, (int) cut[k]);
      int heavier = 0;
      for (int j = 0; j < n; j++)
        heavier += full[64 + j] > cut[3 + k];
      g_assert_nonnull (term);
      g_assert_cmpint (heavier, <, 3);
      /* weights are those of the whole document, not renormalised */
      f->settings.max_terms = 64;
      g_assert_cmpfloat_with_epsilon (ngram_check_weight_of (f, full, term), cut[3 + k], 1e-7);
      f->settings.max_terms = 3;
    }
}

static void
test_hashing (void)
{
  TlNgramSettings s;
  g_autoptr (TlNgramFeatures) f = NULL;
  float bag[2 * 32];
  int n;

  tl_ngram_settings_init (&s);
  s.char_max = 0;
  s.hash_size = 64;
  s.char_max = 0;
  s.max_terms = 32;
  f = ngram_check_fit (&s, corpus, G_N_ELEMENTS (corpus));
  g_assert_null (f->vocab);
  g_assert_cmpint (f->n_ids, ==, 65);
  n = tl_ngram_encode_text (f, "the film was not good", bag);
  g_assert_cmpint (n, >, 0);
  for (int k = 0; k < MIN (n, 32); k++)
    g_assert_true (bag[k] >= 1.0f && bag[k] <= 64.0f);
}

static void
test_round_trip (void)
{
  for (int hashing = 0; hashing <= 1; hashing++)
    {
      TlNgramSettings s;
      g_autoptr (TlPreprocess) pre = tl_preprocess_new (TL_DATA_TEXT);
      g_autoptr (TlPreprocess) back = NULL;
      g_autoptr (JsonNode) node = NULL;
      g_autoptr (GError) error = NULL;
      float a[2 * 16], b[2 * 16];
      int shape[3];

      tl_ngram_settings_init (&s);
      s.char_max = 0;
  s.char_max = 0;
      s.min_df = 1;
      s.max_terms = 16;
      s.hash_size = hashing ? 128 : 0;
      s.char_max = hashing ? 0 : s.char_max;
      pre->ngrams = ngram_check_fit (&s, corpus, G_N_ELEMENTS (corpus));
      node = tl_preprocess_to_json (pre);
      back = tl_preprocess_from_json (node, &error);
      g_assert_no_error (error);
      g_assert_nonnull (back->ngrams);
      g_assert_cmpint (tl_preprocess_sample_shape (back, shape), ==, 2);
      g_assert_cmpint (shape[0], ==, 2);
      g_assert_cmpint (shape[1], ==, 16);
      g_assert_cmpint (tl_preprocess_vocab_size (back), ==, pre->ngrams->n_ids);
      for (guint i = 0; i < G_N_ELEMENTS (corpus); i++)
        {
          tl_preprocess_encode_text (pre, corpus[i], a);
          tl_preprocess_encode_text (back, corpus[i], b);
          g_assert_cmpmem (a, sizeof a, b, sizeof b);
        }
    }
}

static int
compare_ids (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* The encoder finds terms by their words' ids: it must find exactly the terms a
 * lookup of each n-gram's text finds, over enough distinct n-grams that its
 * tables grow several times. */
static void
test_index_matches_text_lookup (void)
{
  enum { DOCS = 300, WORDS = 40 };
  TlNgramSettings s;
  g_autoptr (GPtrArray) docs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (TlNgramFeatures) f = NULL;
  TlRng rng;

  tl_rng_init (&rng, 7);
  for (int d = 0; d < DOCS; d++)
    {
      GString *doc = g_string_new (NULL);
      for (int w = 0; w < WORDS; w++)
        g_string_append_printf (doc, "%sw%u", w ? " " : "", tl_rng_below (&rng, 500));
      g_ptr_array_add (docs, g_string_free (doc, FALSE));
    }
  tl_ngram_settings_init (&s);
  s.char_max = 0;
  s.ngram_max = 3;
  s.min_df = 1;
  s.max_features = -1;
  s.max_terms = 4096;
  f = ngram_check_fit (&s, (const char *const *) docs->pdata, docs->len);
  g_assert_cmpint (f->n_ids, >, 4 * 1024);

  for (guint d = 0; d < docs->len; d++)
    {
      g_auto (GStrv) tokens = tl_tokenize_strv (g_ptr_array_index (docs, d));
      g_autofree float *bag = g_new (float, 2 * s.max_terms);
      g_autoptr (GArray) expected = g_array_new (FALSE, FALSE, sizeof (int));
      const guint n = g_strv_length (tokens);
      int found = 0;

      for (guint i = 0; i < n; i++)
        for (guint k = 1; k <= 3 && i + k <= n; k++)
          {
            GString *text = g_string_new (tokens[i]);
            int id;

            for (guint j = 1; j < k; j++)
              g_string_append_printf (text, " %s", tokens[i + j]);
            id = tl_vocab_lookup (f->vocab, text->str);
            g_string_free (text, TRUE);
            g_assert_cmpint (id, >=, 2);
            g_array_append_val (expected, id);
          }
      g_array_sort (expected, compare_ids);
      for (guint i = 0; i < expected->len; i++)
        if (i == 0 || g_array_index (expected, int, i) != g_array_index (expected, int, i - 1))
          g_array_index (expected, int, found++) = g_array_index (expected, int, i);
      g_assert_cmpint (tl_ngram_encode_tokens (f, (const char *const *) tokens, n, bag), ==, found);
      for (int k = 0; k < found; k++)
        g_assert_cmpint ((int) bag[k], ==, g_array_index (expected, int, k));
    }

  /* a term no tokenizer makes, from a hand-edited file, is kept and never matched */
  {
    g_autoptr (JsonNode) node = tl_ngram_features_to_json (f);
    JsonArray *terms = json_object_get_array_member (json_node_get_object (node), "terms");
    g_autoptr (TlNgramFeatures) back = NULL;
    g_autoptr (GError) error = NULL;
    float bag[2 * 8];

    json_array_remove_element (terms, 0);
    json_array_add_string_element (terms, "w1  w2");
    back = tl_ngram_features_from_json (node, &error);
    g_assert_no_error (error);
    back->settings.max_terms = 8;
    tl_ngram_encode_text (back, "w1  w2", bag);
    g_assert_cmpint (tl_vocab_lookup (back->vocab, "w1  w2"), ==, back->n_ids - 1);
    for (int k = 0; k < 8; k++)
      g_assert_cmpint ((int) bag[k], !=, back->n_ids - 1);
  }
}

/* Of terms that weigh the same, the lower ids are kept, whatever their order in the text. */
static void
test_truncation_ties (void)
{
  const char *docs[] = { "k j i h g f e d c b a", "a b c d e f g h i j k" };
  TlNgramSettings s;
  g_autoptr (TlNgramCounter) counter = NULL;
  g_autoptr (TlNgramFeatures) f = NULL;
  g_autoptr (GError) error = NULL;
  float bag[2 * 4];

  tl_ngram_settings_init (&s);
  s.char_max = 0;
  s.ngram_max = 1;
  s.min_df = 1;
  counter = tl_ngram_counter_new (&s);
  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_auto (GStrv) tokens = tl_tokenize_strv (docs[i]);
      tl_ngram_counter_add (counter, (const char *const *) tokens, g_strv_length (tokens));
    }
  f = tl_ngram_counter_finish (counter, &error);
  g_assert_no_error (error);
  f->settings.max_terms = 4;
  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_assert_cmpint (tl_ngram_encode_text (f, docs[i], bag), ==, 11);
      for (int k = 0; k < 4; k++)
        {
          g_assert_cmpint ((int) bag[k], ==, 2 + k);
          g_assert_cmpfloat (bag[4 + k], ==, bag[4]);
        }
    }
}

static void
test_bad_settings (void)
{
  TlNgramSettings s;
  g_autoptr (TlNgramCounter) counter = NULL;
  g_autoptr (GError) error = NULL;
  const char *empty[] = { NULL };

  tl_ngram_settings_init (&s);
  s.char_max = 0;
  s.hash_size = 1;
  g_assert_false (tl_ngram_settings_check (&s, &error));
  g_assert_nonnull (strstr (error->message, "hash_size"));
  g_clear_error (&error);

  tl_ngram_settings_init (&s);
  s.char_max = 0;
  s.ngram_max = 0;
  g_assert_false (tl_ngram_settings_check (&s, &error));
  g_assert_nonnull (strstr (error->message, "ngram_max"));
  g_clear_error (&error);

  tl_ngram_settings_init (&s);
  s.char_max = 0;
  s.max_terms = 0;
  g_assert_false (tl_ngram_settings_check (&s, &error));
  g_clear_error (&error);

  /* only empty documents: no term to keep */
  tl_ngram_settings_init (&s);
  s.char_max = 0;
  counter = tl_ngram_counter_new (&s);
  for (int i = 0; i < 4; i++)
    tl_ngram_counter_add (counter, empty, 0);
  g_assert_null (tl_ngram_counter_finish (counter, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "min_df"));
}

static void
test_bad_json (void)
{
  const char *cases[] = {
    "{\"kind\":\"text\",\"features\":\"ngrams\"}",
    "{\"kind\":\"text\",\"features\":\"ngrams\",\"ngrams\":{\"ngram_max\":9,\"max_features\":0,\"min_df\":1,"
    "\"hash_size\":0,\"max_terms\":4,\"terms\":[],\"idf\":[0,0]}}",
    "{\"kind\":\"text\",\"features\":\"ngrams\",\"ngrams\":{\"ngram_max\":2,\"max_features\":0,\"min_df\":1,"
    "\"hash_size\":0,\"max_terms\":4,\"terms\":[\"a\"],\"idf\":[0,0]}}",
    "{\"kind\":\"text\",\"features\":\"ngrams\",\"ngrams\":{\"ngram_max\":2,\"max_features\":0,\"min_df\":1,"
    "\"hash_size\":0,\"max_terms\":4,\"terms\":[\"a\",\"a\"],\"idf\":[0,0,1,1]}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) node = json_from_string (cases[i], NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (TlPreprocess) pre = tl_preprocess_from_json (node, &error);
      g_assert_null (pre);
      g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
    }
}

/* embedding_bag */

static TlTensor *
random_bags (int batch, int K, int vocab, TlRng *rng)
{
  TlTensor *in = tl_tensor_new_3d (batch, 2, K);

  for (int b = 0; b < batch; b++)
    for (int k = 0; k < K; k++)
      {
        float *ids = in->data + (gsize) b * 2 * K;
        /* some empty slots, an id repeated now and then */
        ids[k] = (float) tl_rng_below (rng, vocab);
        ids[K + k] = ids[k] == 0.0f ? 0.0f : (float) tl_rng_uniform_range (rng, -1.0f, 1.0f);
      }
  return in;
}

static void
test_bag_layer (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      TlRng rng;
      TlContext ctx = { 0 };
      TlLayerSpec spec = { .kind = TL_LAYER_EMBEDDING_BAG };
      g_autoptr (TlLayer) layer = NULL;
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      g_autoptr (TlTensor) grad_out = NULL;
      g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
      const float h = 1e-2f;
      int K, batch;

      tl_rng_init (&rng, seed);
      spec.vocab_size = rand_between (&rng, 3, 12);
      spec.embed_dim = rand_between (&rng, 1, 6);
      K = rand_between (&rng, 1, 7);
      batch = rand_between (&rng, 1, 4);
      layer = make_layer (&spec, 2, (int[]) { 2, K }, seed);
      g_assert_cmpint (layer->out_ndim, ==, 1);
      g_assert_cmpint (layer->out_shape[0], ==, spec.embed_dim);
      for (int d = 0; d < spec.embed_dim; d++)
        g_assert_cmpfloat (layer->params[0].value->data[d], ==, 0.0f);

      in = random_bags (batch, K, spec.vocab_size, &rng);
      tl_layer_forward (layer, &ctx, in, out);
      for (int b = 0; b < batch; b++)
        for (int d = 0; d < spec.embed_dim; d++)
          {
            const float *ids = in->data + (gsize) b * 2 * K;
            double want = 0.0;
            for (int k = 0; k < K; k++)
              want += ids[K + k] * layer->params[0].value->data[(int) ids[k] * spec.embed_dim + d];
            g_assert_cmpfloat_with_epsilon (out->data[b * spec.embed_dim + d], want, 1e-5);
          }

      /* the table's gradient, numerically */
      check_gradients (layer, &ctx, in, FALSE, seed, h);

      /* the weights' gradient, numerically; the ids have none */
      grad_out = tl_tensor_new (out->ndim, out->shape);
      fill_normal (grad_out, &rng, 1.0f);
      tl_layer_zero_grad (layer);
      tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);
      for (int b = 0; b < batch; b++)
        for (int k = 0; k < 2 * K; k++)
          {
            gsize at = (gsize) b * 2 * K + k;
            double numeric;

            if (k < K)
              {
                g_assert_cmpfloat (grad_in->data[at], ==, 0.0f);
                continue;
              }
            numeric = numeric_input_derivative (layer, in, at, grad_out, out, h);
            g_assert_cmpfloat_with_epsilon (grad_in->data[at], numeric, 1e-3 * MAX (1.0, fabs (numeric)));
          }
    }
}

static void
test_bag_bad_shapes (void)
{
  TlRng rng;
  g_autoptr (GError) error = NULL;
  TlLayerSpec spec = { .kind = TL_LAYER_EMBEDDING_BAG, .vocab_size = 10, .embed_dim = 4 };
  TlLayer *layer;

  tl_rng_init (&rng, 1);
  layer = tl_layer_new (&spec, NULL, 1, (int[]) { 20 }, &rng, &error);
  g_assert_null (layer);
  g_assert_nonnull (strstr (error->message, "n-gram"));
  g_clear_error (&error);
  spec.vocab_size = 1;
  g_assert_null (tl_layer_new (&spec, NULL, 2, (int[]) { 2, 5 }, &rng, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ngram/vocabulary", test_vocabulary);
  g_test_add_func ("/ngram/weights", test_weights);
  g_test_add_func ("/ngram/truncation", test_truncation_keeps_heaviest);
  g_test_add_func ("/ngram/hashing", test_hashing);
  g_test_add_func ("/ngram/truncation-ties", test_truncation_ties);
  g_test_add_func ("/ngram/round-trip", test_round_trip);
  g_test_add_func ("/ngram/index", test_index_matches_text_lookup);
  g_test_add_func ("/ngram/bad-settings", test_bad_settings);
  g_test_add_func ("/ngram/bad-json", test_bad_json);
  g_test_add_func ("/layers/embedding-bag/gradients", test_bag_layer);
  g_test_add_func ("/layers/embedding-bag/bad-shapes", test_bag_bad_shapes);
  return g_test_run ();
}
