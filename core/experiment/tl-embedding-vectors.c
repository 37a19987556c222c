#define G_LOG_DOMAIN "tl-experiment"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tl-architecture.h"
#include "tl-embedding-vectors.h"
#include "tl-error.h"
#include "tl-ngram-chars.h"
#include "tl-pipeline.h"

static const char *const unknown_names[] = { "random", "zero", "mean", NULL };

const char *
tl_unknown_vectors_name (TlUnknownVectors rule)
{
  g_return_val_if_fail (rule <= TL_UNKNOWN_VECTORS_MEAN, "random");
  return unknown_names[rule];
}

gboolean
tl_unknown_vectors_from_name (const char *name, TlUnknownVectors *rule)
{
  for (int i = 0; unknown_names[i] != NULL; i++)
    if (g_strcmp0 (name, unknown_names[i]) == 0)
      {
        *rule = (TlUnknownVectors) i;
        return TRUE;
      }
  return FALSE;
}

void
tl_vector_coverage_clear (TlVectorCoverage *coverage)
{
  g_free (coverage->path);
  g_free (coverage->layer);
  memset (coverage, 0, sizeof *coverage);
}

JsonNode *
tl_vector_coverage_to_json (const TlVectorCoverage *c)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, c->path);
  json_builder_set_member_name (b, "layer");
  json_builder_add_string_value (b, c->layer);
  json_builder_set_member_name (b, "dim");
  json_builder_add_int_value (b, c->dim);
  json_builder_set_member_name (b, "file_vectors");
  json_builder_add_int_value (b, c->file_vectors);
  json_builder_set_member_name (b, "words");
  json_builder_add_int_value (b, c->words);
  json_builder_set_member_name (b, "found");
  json_builder_add_int_value (b, c->exact + c->lower);
  json_builder_set_member_name (b, "found_lowercase");
  json_builder_add_int_value (b, c->lower);
  json_builder_set_member_name (b, "coverage");
  json_builder_add_double_value (b, c->words > 0 ? (double) (c->exact + c->lower) / c->words : 0.0);
  if (c->phrases > 0)
    {
      json_builder_set_member_name (b, "ngrams");
      json_builder_add_int_value (b, c->phrases);
    }
  json_builder_set_member_name (b, "scale");
  json_builder_add_double_value (b, c->scale);
  json_builder_set_member_name (b, "unknown");
  json_builder_add_string_value (b, tl_unknown_vectors_name (c->unknown));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
tl_vector_coverage_describe (const TlVectorCoverage *c)
{
  GString *s = g_string_new (NULL);
  int found = c->exact + c->lower;

  g_string_append_printf (s, "word vectors: %d of %d words (%.1f%%", found, c->words,
                          c->words > 0 ? 100.0 * found / c->words : 0.0);
  if (c->lower > 0)
    g_string_append_printf (s, ", %d of them by lower case", c->lower);
  g_string_append (s, ")");
  if (c->phrases > 0)
    g_string_append_printf (s, ", %d n-grams of several words left at their random start", c->phrases);
  g_string_append_printf (s, ", %d dimensions scaled by %.3g to the table's initial spread, unknown words %s, from %s",
                          c->dim, c->scale, tl_unknown_vectors_name (c->unknown), c->path);
  return g_string_free (s, FALSE);
}

gboolean
tl_embedding_vectors_check (const TlExperiment *exp, GError **error)
{
  g_autofree char *path = NULL;
  struct stat st;
  FILE *fp;

  if (exp->architecture.embedding_vectors == NULL)
    return TRUE;
  if (exp->pretrained_model != NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "architecture.embedding_vectors: the model comes from pretrain.model, whose embeddings are "
                   "trained already; leave one of them out");
      return FALSE;
    }
  if (exp->source.ngrams.hash_size > 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "architecture.embedding_vectors: hashed n-grams (source.ngrams.hash_size) keep no words "
                   "to match the vectors to");
      return FALSE;
    }
  path = tl_experiment_resolve_path (exp, exp->architecture.embedding_vectors);
  fp = fopen (path, "rb");
  if (fp == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "architecture.embedding_vectors: %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  if (fstat (fileno (fp), &st) != 0 || !S_ISREG (st.st_mode))
    {
      fclose (fp);
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "architecture.embedding_vectors: %s: not a file", path);
      return FALSE;
    }
  fclose (fp);
  return TRUE;
}

/* Each vocabulary id's word: NULL for the reserved ids and n-grams of several words. */
static GPtrArray *
word_list (const TlPreprocess *pre)
{
  const TlVocab *vocab = pre->vocab ? pre->vocab : pre->ngrams ? pre->ngrams->vocab : NULL;
  GPtrArray *words = g_ptr_array_new ();

  if (vocab == NULL)
    return words;
  for (guint id = 0; id < tl_vocab_size (vocab); id++)
    {
      const char *term = id >= 2 ? tl_vocab_token (vocab, (int) id) : NULL;
      /* neither phrases ("good movie") nor pieces of words ("#<goo") have a vector */
      g_ptr_array_add (words, term != NULL && strchr (term, ' ') == NULL && !tl_ngram_is_char_term (term)
                                ? (gpointer) term : NULL);
    }
  return words;
}

TlWordVectors *
tl_embedding_vectors_read (const char *path, const TlPreprocess *pre, GError **error)
{
  g_autoptr (GPtrArray) words = NULL;

  if (pre == NULL || pre->kind != TL_DATA_TEXT || (pre->vocab == NULL && (pre->ngrams == NULL || pre->ngrams->vocab == NULL)))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "%s: word vectors need text data read through a vocabulary (not hashed n-grams)", path);
      return NULL;
    }
  words = word_list (pre);
  return tl_word_vectors_read (path, (const char *const *) words->pdata, (int) words->len, error);
}

static int
first_embedding (const TlModel *model)
{
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      TlLayerKind kind = tl_model_layer (model, i)->spec.kind;
      if (kind == TL_LAYER_EMBEDDING || kind == TL_LAYER_EMBEDDING_BAG)
        return i;
    }
  return -1;
}

TlModel *
tl_embedding_vectors_build (const TlArchitectureSpec *arch, const TlDataset *ds, const TlPreprocess *pre,
                            const TlWordVectors *vectors, TlUnknownVectors unknown, guint64 seed,
                            TlVectorCoverage *coverage, GError **error)
{
  g_autoptr (TlModel) model = NULL;
  int vocab = tl_preprocess_vocab_size (pre);
  int k;

  if (arch->preset == NULL && arch->n_layers > 0)
    {
      TlArchitectureSpec fitted = *arch;
      g_autofree TlLayerSpec *layers = g_memdup2 (arch->layers, sizeof (TlLayerSpec) * arch->n_layers);

      fitted.layers = layers;
      for (int i = 0; i < arch->n_layers; i++)
        if (layers[i].kind == TL_LAYER_EMBEDDING || layers[i].kind == TL_LAYER_EMBEDDING_BAG)
          {
            if (layers[i].embed_dim == 0)
              layers[i].embed_dim = vectors->dim;
            else if (layers[i].embed_dim != vectors->dim)
              {
                g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                             "architecture.layers.%d.embed_dim: %d, but the word vectors have %d dimensions "
                             "(leave embed_dim out to take theirs)", i, layers[i].embed_dim, vectors->dim);
                return NULL;
              }
            break;
          }
      model = tl_pipeline_build_model (&fitted, ds, vocab, seed, error);
    }
  else
    model = tl_pipeline_build_model (arch, ds, vocab, seed, error);
  if (model == NULL)
    return NULL;
  k = first_embedding (model);
  if (k >= 0 && tl_model_layer (model, k)->spec.embed_dim != vectors->dim)
    {
      /* a preset's table takes the vectors' dimension */
      g_autoptr (TlArchitecture) a = tl_architecture_from_model (model);

      g_array_index (a->layers, TlArchLayer, k).spec.embed_dim = vectors->dim;
      g_clear_pointer (&model, tl_model_free);
      model = tl_architecture_build (a, seed, 0, error);
      if (model == NULL)
        return NULL;
    }
  if (!tl_embedding_vectors_apply (model, pre, vectors, unknown, seed, coverage, error))
    return NULL;
  return g_steal_pointer (&model);
}

/* Mean and spread of the values of the vectors found. */
static void
found_statistics (const TlWordVectors *v, float *mean, double *std)
{
  const int D = v->dim;
  double sum = 0, sum2 = 0;
  gsize n = 0;

  memset (mean, 0, sizeof (float) * D);
  for (int i = 0; i < v->n_words; i++)
    if (v->match[i] != TL_VECTOR_MATCH_NONE)
      {
        const float *row = v->rows + (gsize) i * D;
        for (int d = 0; d < D; d++)
          {
            mean[d] += row[d];
            sum += row[d];
            sum2 += (double) row[d] * row[d];
          }
        n++;
      }
  for (int d = 0; d < D && n > 0; d++)
    mean[d] /= (float) n;
  n *= D;
  *std = n > 1 ? sqrt (MAX (0.0, (sum2 - sum * sum / n) / (n - 1))) : 0.0;
}

/* The spread of a freshly initialised table's rows (the reserved rows 0 and 1 aside). */
static double
table_spread (const float *table, int V, int D)
{
  double sum = 0, sum2 = 0;
  gsize n = 0;

  for (gsize i = (gsize) 2 * D; i < (gsize) V * D; i++, n++)
    {
      sum += table[i];
      sum2 += (double) table[i] * table[i];
    }
  return n > 1 ? sqrt (MAX (0.0, (sum2 - sum * sum / n) / (n - 1))) : 0.0;
}

static void
unknown_row (float *row, int D, TlUnknownVectors rule, const float *mean, double std, TlRng *rng)
{
  for (int d = 0; d < D; d++)
    row[d] = rule == TL_UNKNOWN_VECTORS_ZERO   ? 0.0f
           : rule == TL_UNKNOWN_VECTORS_MEAN ? mean[d]
                                              : (float) (std * tl_rng_normal (rng));
}

gboolean
tl_embedding_vectors_apply (TlModel *model, const TlPreprocess *pre, const TlWordVectors *vectors,
                            TlUnknownVectors unknown, guint64 seed, TlVectorCoverage *coverage, GError **error)
{
  const TlVocab *vocab = pre && pre->vocab ? pre->vocab : pre && pre->ngrams ? pre->ngrams->vocab : NULL;
  g_autoptr (GPtrArray) words = NULL;
  g_autofree float *mean = NULL;
  TlVectorCoverage c = { 0 };
  int k = first_embedding (model);
  TlLayer *layer;
  TlTensor *table;
  double std;
  TlRng rng;
  int V, D;

  if (k < 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "word vectors need a model with an embedding or embedding_bag layer");
      return FALSE;
    }
  layer = tl_model_layer (model, k);
  V = layer->spec.vocab_size;
  D = layer->spec.embed_dim;
  if (vocab == NULL || V != (int) tl_vocab_size (vocab))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "word vectors: layer %s has %d rows, the vocabulary %d", layer->name, V,
                   vocab ? (int) tl_vocab_size (vocab) : 0);
      return FALSE;
    }
  if (D != vectors->dim)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "word vectors: layer %s has %d dimensions, the vectors %d", layer->name, D, vectors->dim);
      return FALSE;
    }
  words = word_list (pre);
  if ((int) words->len != vectors->n_words)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "word vectors: read for another vocabulary (%d words, this one has %u)", vectors->n_words,
                   words->len);
      return FALSE;
    }
  for (int id = 2; id < V; id++)
    {
      if (words->pdata[id] != NULL)
        {
          c.words++;
          c.exact += vectors->match[id] == TL_VECTOR_MATCH_EXACT;
          c.lower += vectors->match[id] == TL_VECTOR_MATCH_LOWER;
        }
      else if (!tl_ngram_is_char_term (tl_vocab_token (vocab, id)))
        c.phrases++;
    }
  if (c.exact + c.lower == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "word vectors: none of the %d vocabulary words has a vector (of %" G_GINT64_FORMAT " in the file)",
                   c.words, vectors->n_read);
      return FALSE;
    }

  mean = g_new (float, D);
  found_statistics (vectors, mean, &std);
  table = layer->params[0].value;
  /* The vectors keep their directions and relative lengths but take the spread
   * of the table's own initialisation, which the layer's training is tuned to
   * (an embedding_bag starts some fifty times smaller than word2vec's vectors). */
  {
    double init = table_spread (table->data, V, D);
    c.scale = std > 0 && init > 0 ? init / std : 1.0;
  }
  for (int d = 0; d < D; d++)
    mean[d] *= (float) c.scale;
  tl_rng_init (&rng, seed ^ G_GUINT64_CONSTANT (0x766563746f7273));
  for (int id = 1; id < V; id++)
    {
      float *row = table->data + (gsize) id * D;
      const char *term = id >= 2 ? tl_vocab_token (vocab, id) : NULL;

      if (id >= 2 && vectors->match[id] != TL_VECTOR_MATCH_NONE)
        {
          for (int d = 0; d < D; d++)
            row[d] = (float) (c.scale * vectors->rows[(gsize) id * D + d]);
        }
      else if (term != NULL && words->pdata[id] == NULL)
        continue;   /* n-grams of several words (and pieces of words) keep the layer's start: better than their words' mean (README) */
      else if (id >= 2 || layer->spec.kind == TL_LAYER_EMBEDDING)
        unknown_row (row, D, unknown, mean, std * c.scale, &rng);
    }

  if (coverage != NULL)
    {
      tl_vector_coverage_clear (coverage);
      *coverage = c;
      coverage->layer = g_strdup (layer->name);
      coverage->path = g_strdup (vectors->path);
      coverage->dim = D;
      coverage->file_vectors = vectors->n_read;
      coverage->unknown = unknown;
    }
  return TRUE;
}
