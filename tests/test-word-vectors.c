/* Pretrained word vectors: the three file formats, their malformed forms, and
 * the embedding tables they start (coverage, unknown words, n-grams). */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "tl-embedding-vectors.h"
#include "tl-error.h"
#include "tl-ngram.h"
#include "tl-word-vectors.h"
#include "test-util.h"

static char *tmpdir;

#define SCALED(x) ((float) (coverage.scale * (x)))

static char *
path_in (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static char *
write_bytes (const char *name, const void *data, gsize len)
{
  char *path = path_in (name);

  g_assert_true (g_file_set_contents (path, data, (gssize) len, NULL));
  return path;
}

static char *
write_text (const char *name, const char *text)
{
  return write_bytes (name, text, strlen (text));
}

static const char *const file_words[] = { "the", "Good", "movie", "bad", "café", "good" };
static const float file_vectors[] = {
  0.5f, -1.25f, 3.0f,
  1.0f, 2.0f, 3.0f,
  -0.125f, 0.0f, 7.5f,
  1e-3f, -2e5f, 0.3f,
  4.0f, 4.0f, -4.0f,
  9.0f, 8.0f, 7.0f,
};

/* Asked for: an exact word, one only the file's capitalised form gives before
 * its exact form does, one the file lacks, one given twice, and a NULL. */
static const char *const asked[] = { "movie", "good", "absent", "café", NULL, "movie", "the" };

static void
check_read (const TlWordVectors *v)
{
  g_assert_cmpint (v->dim, ==, 3);
  g_assert_cmpint (v->n_words, ==, 7);
  g_assert_cmpint (v->n_read, ==, 6);
  g_assert_cmpint (v->match[0], ==, TL_VECTOR_MATCH_EXACT);
  /* "Good" came first, lower-cased; the exact "good" later wins */
  g_assert_cmpint (v->match[1], ==, TL_VECTOR_MATCH_EXACT);
  g_assert_cmpfloat (v->rows[1 * 3 + 0], ==, 9.0f);
  g_assert_cmpint (v->match[2], ==, TL_VECTOR_MATCH_NONE);
  g_assert_cmpint (v->match[3], ==, TL_VECTOR_MATCH_EXACT);
  g_assert_cmpint (v->match[4], ==, TL_VECTOR_MATCH_NONE);
  g_assert_cmpint (v->match[5], ==, TL_VECTOR_MATCH_NONE);   /* a repeat gets nothing */
  g_assert_cmpint (v->n_exact, ==, 4);
  g_assert_cmpint (v->n_lower, ==, 0);
  g_assert_cmpint (tl_word_vectors_found (v), ==, 4);
  for (int d = 0; d < 3; d++)
    {
      g_assert_cmpfloat (v->rows[0 * 3 + d], ==, file_vectors[2 * 3 + d]);
      g_assert_cmpfloat (v->rows[3 * 3 + d], ==, file_vectors[4 * 3 + d]);
      g_assert_cmpfloat (v->rows[6 * 3 + d], ==, file_vectors[0 * 3 + d]);
      g_assert_cmpfloat (v->rows[2 * 3 + d], ==, 0.0f);
    }
}

static void
test_round_trip (void)
{
  struct { const char *name; int kind; } cases[] = {
    { "glove.txt", 0 }, { "fasttext.vec", 1 }, { "word2vec.bin", 2 }, { "word2vec-binary.data", 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = path_in (cases[i].name);
      g_autoptr (GError) error = NULL;
      g_autoptr (TlWordVectors) v = NULL;

      if (cases[i].kind == 2)
        g_assert_true (tl_word_vectors_write_binary (path, file_words, file_vectors, 6, 3, &error));
      else
        g_assert_true (tl_word_vectors_write_text (path, file_words, file_vectors, 6, 3, cases[i].kind == 1, &error));
      g_assert_no_error (error);
      v = tl_word_vectors_read (path, asked, G_N_ELEMENTS (asked), &error);
      g_assert_no_error (error);
      g_assert_nonnull (v);
      g_assert_cmpint (v->binary, ==, cases[i].kind == 2);
      check_read (v);
    }
}

static void
test_lower_case_match (void)
{
  g_autofree char *path = write_text ("case.txt", "Paris 1 2\nParis 5 5\nLondon 3 4\nlondon 7 8\n");
  const char *const words[] = { "paris", "london", "Paris" };
  g_autoptr (GError) error = NULL;
  g_autoptr (TlWordVectors) v = tl_word_vectors_read (path, words, 3, &error);

  g_assert_no_error (error);
  /* the first lower-cased match wins; an exact one replaces it */
  g_assert_cmpint (v->match[0], ==, TL_VECTOR_MATCH_LOWER);
  g_assert_cmpfloat (v->rows[0], ==, 1.0f);
  g_assert_cmpint (v->match[1], ==, TL_VECTOR_MATCH_EXACT);
  g_assert_cmpfloat (v->rows[2], ==, 7.0f);
  g_assert_cmpint (v->match[2], ==, TL_VECTOR_MATCH_EXACT);
  g_assert_cmpint (v->n_exact, ==, 2);
  g_assert_cmpint (v->n_lower, ==, 1);
}

static void
test_text_details (void)
{
  /* fastText writes a space before the line end; CRLF; blank lines; a word with
   * spaces once the header fixes the dimension */
  g_autofree char *path = write_text ("details.vec", "3 2\r\nnew york 1 2 \r\n\nx\t3 4 \r\ny -5e-1 +6\n");
  const char *const words[] = { "new york", "x", "y" };
  g_autoptr (GError) error = NULL;
  g_autoptr (TlWordVectors) v = tl_word_vectors_read (path, words, 3, &error);

  g_assert_no_error (error);
  g_assert_cmpint (tl_word_vectors_found (v), ==, 3);
  g_assert_cmpfloat (v->rows[0], ==, 1.0f);
  g_assert_cmpfloat (v->rows[3], ==, 4.0f);
  g_assert_cmpfloat (v->rows[4], ==, -0.5f);
  g_assert_cmpfloat (v->rows[5], ==, 6.0f);
}

static void
expect_error (const char *name, const void *data, gsize len, const char *const *fragments)
{
  g_autofree char *path = write_bytes (name, data, len);
  const char *const words[] = { "a", "b" };
  g_autoptr (GError) error = NULL;
  g_autoptr (TlWordVectors) v = tl_word_vectors_read (path, words, 2, &error);

  g_assert_null (v);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, path));
  for (int i = 0; fragments[i] != NULL; i++)
    if (strstr (error->message, fragments[i]) == NULL)
      g_error ("%s: '%s' lacks '%s'", name, error->message, fragments[i]);
}

#define EXPECT_TEXT(name, text, ...) \
  expect_error (name, text, sizeof (text) - 1, (const char *const[]) { __VA_ARGS__, NULL })

static void
test_malformed_text (void)
{
  EXPECT_TEXT ("dim.txt", "a 1 2 3\nb 1 2 3\nc 1 2\n", ":3:", "2 values", "has 3");
  EXPECT_TEXT ("dim-more.txt", "a 1 2\nb 1 2 3\n", ":2:", "3 values", "has 2");
  EXPECT_TEXT ("header-dim.vec", "2 3\na 1 2 3\nbb 1.5 2.5\n", ":3:", "2 values");
  EXPECT_TEXT ("nan.txt", "a 1 2\nb 1 x2\n", ":2:", "value 2", "'x2'", "not a finite number");
  EXPECT_TEXT ("inf.txt", "a 1 inf\n", ":1:", "value 2", "finite");
  EXPECT_TEXT ("huge.txt", "a 1 1e300\n", ":1:", "value 2");
  EXPECT_TEXT ("utf8.txt", "a 1 2\n\xc3\x28 1 2\n", ":2:", "UTF-8");
  EXPECT_TEXT ("empty.txt", "", "empty");
  EXPECT_TEXT ("blank.txt", "\n\n", "no vectors");
  EXPECT_TEXT ("word-only.txt", "lonely\n", ":1:", "a word and its values");
  EXPECT_TEXT ("short.vec", "3 2\naaaa 1.5 2.5\nb 1 2\n", "announces 3", "after 2");
  EXPECT_TEXT ("long.vec", "1 2\na 1 2\nb 1 2\n", ":3:", "more vectors than the 1");
  EXPECT_TEXT ("dim0.vec", "1 0\na\n", "dimension of 0");
  EXPECT_TEXT ("dim-huge.vec", "1 99999999\na 1\n", "not plausible");
  /* a header that claims two thousand million 300-dimensional vectors in a few bytes */
  EXPECT_TEXT ("claim.vec", "2000000000 300\na 1 2\n", "claims 2000000000 vectors", "holds");
  /* a claim whose size in bytes does not fit in 64 bits */
  EXPECT_TEXT ("claim-max.vec", "9223372036854775806 4096\na 1 2\n", "claims 9223372036854775806 vectors", "holds");
  EXPECT_TEXT ("nul.txt", "a 1 2\nb\0 1 2\n", ":2:", "NUL");
  EXPECT_TEXT ("not-binary.bin", "a 1 2\n", "COUNT DIM");
}

/* A word2vec binary file of `n` records of two floats, from raw pieces. */
static GByteArray *
binary_file (const char *header)
{
  GByteArray *b = g_byte_array_new ();

  g_byte_array_append (b, (const guint8 *) header, strlen (header));
  return b;
}

static void
add_record (GByteArray *b, const char *word, float x, float y)
{
  float v[2] = { x, y };

  g_byte_array_append (b, (const guint8 *) word, strlen (word));
  g_byte_array_append (b, (const guint8 *) " ", 1);
  for (int i = 0; i < 2; i++)
    {
      union { float f; guint32 u; } bits = { v[i] };
      guint32 le = GUINT32_TO_LE (bits.u);
      g_byte_array_append (b, (const guint8 *) &le, 4);
    }
}

static void
test_malformed_binary (void)
{
  {
    g_autoptr (GByteArray) b = binary_file ("2 2\n");
    add_record (b, "aaaaaa", 1.0f, 2.0f);
    add_record (b, "bbbbbb", 3.0f, 4.0f);
    g_byte_array_set_size (b, b->len - 3);
    expect_error ("cut.bin", b->data, b->len, (const char *const[]) { "vector 2", "'bbbbbb'", "truncated", NULL });
  }
  {
    g_autoptr (GByteArray) b = binary_file ("3 2\n");
    add_record (b, "a", 1.0f, 2.0f);
    add_record (b, "b", 3.0f, 4.0f);
    /* room for the claimed count, but the file stops inside the third word */
    g_byte_array_append (b, (const guint8 *) "cccccccccccc", 12);
    expect_error ("cut-word.bin", b->data, b->len, (const char *const[]) { "vector 3", "truncated", NULL });
  }
  {
    g_autoptr (GByteArray) b = binary_file ("2 2\n");
    add_record (b, "a", 1.0f, 2.0f);
    add_record (b, "\xff\xfe", 3.0f, 4.0f);
    expect_error ("utf8.bin", b->data, b->len, (const char *const[]) { "vector 2", "byte 14", "UTF-8", NULL });
  }
  {
    g_autoptr (GByteArray) b = binary_file ("1 2\n");
    add_record (b, "a", 1.0f, NAN);
    expect_error ("nan.bin", b->data, b->len, (const char *const[]) { "vector 1", "value 2", "finite", NULL });
  }
  {
    g_autoptr (GByteArray) b = binary_file ("500000000 300\n");
    add_record (b, "a", 1.0f, 2.0f);
    expect_error ("claim.bin", b->data, b->len, (const char *const[]) { "claims 500000000 vectors of 300", NULL });
  }
  {
    g_autoptr (GByteArray) b = binary_file ("1 2\n");
    add_record (b, "a", 1.0f, 2.0f);
    add_record (b, "b", 1.0f, 2.0f);
    expect_error ("extra.bin", b->data, b->len, (const char *const[]) { "more data after the 1 vectors", NULL });
  }
}

static void
test_missing_file (void)
{
  g_autofree char *path = path_in ("nowhere.vec");
  g_autoptr (GError) error = NULL;
  g_autoptr (TlWordVectors) v = tl_word_vectors_read (path, NULL, 0, &error);

  g_assert_null (v);
  g_assert_error (error, TL_ERROR, TL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
}

/* Vectors of dimension 2 for a sequence vocabulary; unknown words by `rule`. */
static TlModel *
sequence_model (const TlPreprocess *pre, const char *vectors_path, TlUnknownVectors rule, TlVectorCoverage *coverage)
{
  g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 4 }, 7);
  g_autoptr (TlWordVectors) v = NULL;
  g_autoptr (GError) error = NULL;
  TlLayerSpec spec = { .kind = TL_LAYER_EMBEDDING, .vocab_size = (int) tl_vocab_size (pre->vocab), .embed_dim = 2 };

  g_assert_true (tl_model_add (model, &spec, "words", &error));
  v = tl_embedding_vectors_read (vectors_path, pre, &error);
  g_assert_no_error (error);
  g_assert_true (tl_embedding_vectors_apply (model, pre, v, rule, 11, coverage, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&model);
}

static void
test_coverage_and_unknown (void)
{
  static const char *const tokens[] = { TL_TOKEN_PAD_TEXT, TL_TOKEN_OOV_TEXT, "good", "paris", "zzz", "bad", NULL };
  g_autofree char *path = write_text ("cov.txt", "good 1 3\nParis 2 4\nbad 3 5\nother 100 100\n");
  g_autoptr (TlPreprocess) pre = tl_preprocess_new (TL_DATA_TEXT);
  g_auto (TlVectorCoverage) coverage = { 0 };

  pre->vocab = tl_vocab_new_from_strv (tokens);
  for (int rule = TL_UNKNOWN_VECTORS_RANDOM; rule <= TL_UNKNOWN_VECTORS_MEAN; rule++)
    {
      g_autoptr (TlModel) model = sequence_model (pre, path, rule, &coverage);
      const float *w = tl_model_layer (model, 0)->params[0].value->data;

      g_assert_cmpint (coverage.words, ==, 4);
      g_assert_cmpint (coverage.exact, ==, 2);
      g_assert_cmpint (coverage.lower, ==, 1);
      g_assert_cmpint (coverage.phrases, ==, 0);
      g_assert_cmpint (coverage.dim, ==, 2);
      g_assert_cmpint (coverage.file_vectors, ==, 4);
      g_assert_cmpstr (coverage.layer, ==, "words");
      g_assert_cmpstr (coverage.path, ==, path);
      /* padding stays zero; the found rows are the vectors, scaled to the spread the table had */
      g_assert_cmpfloat (coverage.scale, >, 0.0);
      g_assert_cmpfloat (w[0], ==, 0.0f);
      g_assert_cmpfloat (w[1], ==, 0.0f);
      g_assert_cmpfloat_with_epsilon (w[2 * 2], SCALED (1.0), 1e-6);
      g_assert_cmpfloat_with_epsilon (w[3 * 2 + 1], SCALED (4.0), 1e-6);
      g_assert_cmpfloat_with_epsilon (w[5 * 2], SCALED (3.0), 1e-6);
      /* the unknown word ("zzz") and the out-of-vocabulary row follow the rule */
      for (int row = 1; row <= 4; row += 3)
        if (rule == TL_UNKNOWN_VECTORS_ZERO)
          g_assert_true (w[row * 2] == 0.0f && w[row * 2 + 1] == 0.0f);
        else if (rule == TL_UNKNOWN_VECTORS_MEAN)
          g_assert_true (fabsf (w[row * 2] - SCALED (2.0)) < 1e-6 && fabsf (w[row * 2 + 1] - SCALED (4.0)) < 1e-6);
        else
          /* drawn with the seed, as spread as the (scaled) vectors found rather than as "other" */
          g_assert_true (w[row * 2] != 0.0f && fabsf (w[row * 2]) < SCALED (10.0));
    }
  /* the scale is the fresh table's spread over the found vectors' (sqrt 2) */
  {
    g_autoptr (TlModel) fresh = tl_model_new (1, (int[]) { 4 }, 7);
    TlLayerSpec spec = { .kind = TL_LAYER_EMBEDDING, .vocab_size = 6, .embed_dim = 2 };
    double sum = 0, sum2 = 0;
    const float *w;

    g_assert_true (tl_model_add (fresh, &spec, "words", NULL));
    w = tl_model_layer (fresh, 0)->params[0].value->data;
    for (int i = 4; i < 12; i++)
      sum += w[i], sum2 += (double) w[i] * w[i];
    g_assert_cmpfloat_with_epsilon (coverage.scale * sqrt (2.0), sqrt ((sum2 - sum * sum / 8) / 7), 1e-5);
  }
  {
    g_autoptr (TlModel) a = sequence_model (pre, path, TL_UNKNOWN_VECTORS_RANDOM, NULL);
    g_autoptr (TlModel) b = sequence_model (pre, path, TL_UNKNOWN_VECTORS_RANDOM, NULL);
    g_assert_cmpmem (tl_model_layer (a, 0)->params[0].value->data, 12 * sizeof (float),
                     tl_model_layer (b, 0)->params[0].value->data, 12 * sizeof (float));
  }
  {
    g_autofree char *none = write_text ("none.txt", "other 1 2\n");
    g_autoptr (TlWordVectors) v = tl_embedding_vectors_read (none, pre, NULL);
    g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 4 }, 7);
    g_autoptr (GError) error = NULL;
    TlLayerSpec spec = { .kind = TL_LAYER_EMBEDDING, .vocab_size = 6, .embed_dim = 2 };

    g_assert_true (tl_model_add (model, &spec, NULL, NULL));
    g_assert_false (tl_embedding_vectors_apply (model, pre, v, TL_UNKNOWN_VECTORS_RANDOM, 1, NULL, &error));
    g_assert_nonnull (strstr (error->message, "none of the 4 vocabulary words"));
  }
}

static void
test_ngram_rows (void)
{
  static const char *const docs[] = { "good movie", "good movie", "bad movie", "bad plot", "bad plot" };
  g_autofree char *path = write_text ("ngram.txt", "good 1 0\nmovie 0 1\nbad -1 0\n");
  g_autoptr (TlNgramCounter) counter = NULL;
  g_autoptr (TlPreprocess) pre = tl_preprocess_new (TL_DATA_TEXT);
  g_autoptr (TlWordVectors) v = NULL;
  g_autoptr (TlModel) model = tl_model_new (2, (int[]) { 2, 8 }, 3);
  g_autoptr (GError) error = NULL;
  g_auto (TlVectorCoverage) coverage = { 0 };
  TlNgramSettings s;
  TlLayerSpec spec = { .kind = TL_LAYER_EMBEDDING_BAG, .embed_dim = 2 };
  const TlVocab *vocab;
  const float *w;

  tl_ngram_settings_init (&s);
  s.min_df = 1;
  s.max_terms = 8;
  counter = tl_ngram_counter_new (&s);
  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_auto (GStrv) t = tl_tokenize_strv (docs[i]);
      tl_ngram_counter_add (counter, (const char *const *) t, g_strv_length (t));
    }
  pre->ngrams = tl_ngram_counter_finish (counter, &error);
  g_assert_no_error (error);
  vocab = pre->ngrams->vocab;
  spec.vocab_size = pre->ngrams->n_ids;
  g_assert_true (tl_model_add (model, &spec, "bag", &error));
  v = tl_embedding_vectors_read (path, pre, &error);
  g_assert_no_error (error);
  g_assert_true (tl_embedding_vectors_apply (model, pre, v, TL_UNKNOWN_VECTORS_ZERO, 1, &coverage, &error));
  g_assert_no_error (error);

  /* words: good, movie, bad, plot; n-grams: good movie, bad movie, bad plot */
  g_assert_cmpint (coverage.words, ==, 4);
  g_assert_cmpint (coverage.exact, ==, 3);
  g_assert_cmpint (coverage.phrases, ==, 3);
  w = tl_model_layer (model, 0)->params[0].value->data;
  g_assert_cmpfloat_with_epsilon (w[tl_vocab_lookup (vocab, "movie") * 2 + 1], SCALED (1.0), 1e-6);
  g_assert_cmpfloat_with_epsilon (w[tl_vocab_lookup (vocab, "bad") * 2], SCALED (-1.0), 1e-6);
  g_assert_cmpfloat (w[tl_vocab_lookup (vocab, "plot") * 2 + 1], ==, 0.0f);   /* no vector: the rule, zero */
  /* the n-grams of several words keep the layer's own start */
  {
    g_autoptr (TlModel) fresh = tl_model_new (2, (int[]) { 2, 8 }, 3);
    const float *f;

    g_assert_true (tl_model_add (fresh, &spec, "bag", &error));
    f = tl_model_layer (fresh, 0)->params[0].value->data;
    for (int k = 0; k < 3; k++)
      {
        const char *const ngrams[] = { "good movie", "bad movie", "bad plot" };
        int id = tl_vocab_lookup (vocab, ngrams[k]);

        g_assert_cmpint (id, >=, 2);
        g_assert_cmpmem (w + id * 2, 2 * sizeof (float), f + id * 2, 2 * sizeof (float));
        g_assert_cmpfloat (w[id * 2], !=, 0.0f);
      }
  }
}

static void
test_build_dimension (void)
{
  static const char *const tokens[] = { TL_TOKEN_PAD_TEXT, TL_TOKEN_OOV_TEXT, "good", "bad", NULL };
  g_autofree char *path = write_text ("dim3.txt", "good 1 2 3\nbad 4 5 6\n");
  g_autoptr (TlPreprocess) pre = tl_preprocess_new (TL_DATA_TEXT);
  g_autoptr (TlDataset) ds = tl_dataset_new (TL_DATA_TEXT, 4, 1, (int[]) { 5 }, 2, NULL);
  g_autoptr (TlWordVectors) v = NULL;
  g_autoptr (GError) error = NULL;
  TlLayerSpec layers[] = {
    { .kind = TL_LAYER_EMBEDDING, .embed_dim = 0 },
    { .kind = TL_LAYER_GLOBAL_AVG_POOL1D },
    { .kind = TL_LAYER_DENSE, .units = 2 },
  };
  TlArchitectureSpec arch = { .n_layers = 3, .layers = layers };
  g_auto (TlVectorCoverage) coverage = { 0 };

  pre->vocab = tl_vocab_new_from_strv (tokens);
  v = tl_embedding_vectors_read (path, pre, &error);
  g_assert_no_error (error);

  /* a dimension left out is the vectors' */
  {
    g_autoptr (TlModel) model = tl_embedding_vectors_build (&arch, ds, pre, v, TL_UNKNOWN_VECTORS_ZERO, 1, &coverage,
                                                            &error);
    g_assert_no_error (error);
    g_assert_cmpint (tl_model_layer (model, 0)->spec.embed_dim, ==, 3);
    g_assert_cmpfloat_with_epsilon (tl_model_layer (model, 0)->params[0].value->data[3 * 3 + 2], SCALED (6.0), 1e-6);
  }
  /* another one given is refused */
  {
    g_autoptr (TlModel) model = NULL;
    layers[0].embed_dim = 4;
    model = tl_embedding_vectors_build (&arch, ds, pre, v, TL_UNKNOWN_VECTORS_ZERO, 1, NULL, &error);
    g_assert_null (model);
    g_assert_nonnull (strstr (error->message, "architecture.layers.0.embed_dim: 4"));
    g_assert_nonnull (strstr (error->message, "3 dimensions"));
    g_clear_error (&error);
  }
  /* a preset's table takes it */
  {
    g_autoptr (TlModel) model = NULL;
    TlArchitectureSpec preset = { .preset = (char *) "text-pool" };
    model = tl_embedding_vectors_build (&preset, ds, pre, v, TL_UNKNOWN_VECTORS_ZERO, 1, &coverage, &error);
    g_assert_no_error (error);
    g_assert_cmpint (tl_model_layer (model, 0)->spec.embed_dim, ==, 3);
    g_assert_cmpfloat_with_epsilon (tl_model_layer (model, 0)->params[0].value->data[2 * 3], SCALED (1.0), 1e-6);
  }
}

static void
test_experiment_fields (void)
{
  g_autofree char *vectors = write_text ("exp.vec", "1 2\ngood 1 2\n");
  g_autofree char *data = write_text ("exp.csv", "text,label\ngood,a\nbad,b\n");
  g_autofree char *file = path_in ("exp.json");
  g_autofree char *copy = path_in ("sub/copy.json");
  g_autofree char *sub = path_in ("sub");
  g_autoptr (TlExperiment) exp = NULL;
  g_autoptr (TlExperiment) again = NULL;
  g_autoptr (GError) error = NULL;

  g_free (write_text ("exp.json",
                      "{\"format_version\": 1, \"name\": \"v\",\n"
                      " \"source\": {\"format\": \"csv\", \"path\": \"exp.csv\", \"text_column\": \"text\"},\n"
                      " \"target\": {\"format\": \"csv\", \"path\": \"exp.csv\", \"text_column\": \"text\"},\n"
                      " \"architecture\": {\"preset\": \"text-ngram\", \"embedding_vectors\": \"exp.vec\",\n"
                      "                  \"embedding_vectors_unknown\": \"mean\"}}\n"));
  exp = tl_experiment_load (file, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (exp->architecture.embedding_vectors, ==, "exp.vec");
  g_assert_cmpint (exp->architecture.embedding_vectors_unknown, ==, TL_UNKNOWN_VECTORS_MEAN);
  g_assert_true (tl_embedding_vectors_check (exp, &error));
  /* saved elsewhere, the path still leads to the file */
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_assert_true (tl_experiment_save (exp, copy, &error));
  again = tl_experiment_load (copy, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->architecture.embedding_vectors, ==, "../exp.vec");
  g_assert_cmpint (again->architecture.embedding_vectors_unknown, ==, TL_UNKNOWN_VECTORS_MEAN);
  g_assert_true (tl_embedding_vectors_check (again, &error));

  g_assert_true (tl_experiment_apply_override (exp, "architecture.embedding_vectors_unknown=zero", tmpdir, &error));
  g_assert_cmpint (exp->architecture.embedding_vectors_unknown, ==, TL_UNKNOWN_VECTORS_ZERO);
  g_assert_false (tl_experiment_apply_override (exp, "architecture.embedding_vectors_unknown=guess", tmpdir, &error));
  g_assert_nonnull (strstr (error->message, "architecture.embedding_vectors_unknown"));
  g_clear_error (&error);
  g_assert_true (tl_experiment_apply_override (exp, "architecture.embedding_vectors=missing.vec", tmpdir, &error));
  g_assert_false (tl_embedding_vectors_check (exp, &error));
  g_assert_nonnull (strstr (error->message, "missing.vec"));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tl-word-vectors-XXXXXX", NULL);
  g_test_add_func ("/word-vectors/round-trip", test_round_trip);
  g_test_add_func ("/word-vectors/lower-case", test_lower_case_match);
  g_test_add_func ("/word-vectors/text-details", test_text_details);
  g_test_add_func ("/word-vectors/malformed-text", test_malformed_text);
  g_test_add_func ("/word-vectors/malformed-binary", test_malformed_binary);
  g_test_add_func ("/word-vectors/missing-file", test_missing_file);
  g_test_add_func ("/word-vectors/coverage-and-unknown", test_coverage_and_unknown);
  g_test_add_func ("/word-vectors/ngram-rows", test_ngram_rows);
  g_test_add_func ("/word-vectors/build-dimension", test_build_dimension);
  g_test_add_func ("/word-vectors/experiment-fields", test_experiment_fields);
  status = g_test_run ();
  tl_test_remove_tree (tmpdir);
  g_free (tmpdir);
  return status;
}
