#define G_LOG_DOMAIN "tl-ngram"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tl-error.h"
#include "tl-ngram.h"
#include "tl-ngram-index.h"

#define FIRST_TERM_ID 2     /* 0: empty slot, 1: the vocabulary's unknown entry */

void
tl_ngram_settings_init (TlNgramSettings *s)
{
  g_return_if_fail (s != NULL);
  memset (s, 0, sizeof *s);
  s->ngram_max = 2;
  s->max_features = 100000;
  s->min_df = 2;
  s->sublinear_tf = TRUE;
  s->use_idf = TRUE;
  s->max_terms = 1024;
}

gboolean
tl_ngram_settings_check (const TlNgramSettings *s, GError **error)
{
  const char *field = NULL, *expected = NULL;

  if (s->ngram_max < 1 || s->ngram_max > 3)
    field = "ngram_max", expected = "1, 2 or 3";
  else if (s->max_features < 0)
    field = "max_features", expected = "0 (no limit) or a positive count";
  else if (s->min_df < 1)
    field = "min_df", expected = "a count of documents of at least 1";
  else if (s->hash_size != 0 && (s->hash_size < 16 || s->hash_size > (1 << 24)))
    field = "hash_size", expected = "0 (a vocabulary) or 16 to 16777216 buckets";
  else if (s->max_terms < 1 || s->max_terms > 65536)
    field = "max_terms", expected = "1 to 65536 terms per document";
  if (field == NULL)
    return TRUE;
  g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "n-gram features: %s must be %s", field, expected);
  return FALSE;
}

/* FNV-1a: stable across machines, so hashed ids mean the same everywhere. */
static guint32
term_hash (const char *s, gsize len)
{
  guint32 h = 2166136261u;

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) s[i]) * 16777619u;
  return h;
}

/* Calls func with each n-gram of tokens[0..n), words joined by one space. */
typedef void (*TermFunc) (const char *term, gsize len, gpointer data);

static void
for_each_term (const char *const *tokens, gsize n, int ngram_max, GString *buf, TermFunc func, gpointer data)
{
  for (gsize i = 0; i < n; i++)
    {
      g_string_assign (buf, tokens[i]);
      func (buf->str, buf->len, data);
      for (int k = 1; k < ngram_max && i + k < n; k++)
        {
          g_string_append_c (buf, ' ');
          g_string_append (buf, tokens[i + k]);
          func (buf->str, buf->len, data);
        }
    }
}

/* Counting */

struct _TlNgramCounter {
  TlNgramSettings settings;
  TlNgramIndex   *index;     /* vocabulary mode: n-gram -> value df, stamp 1 + last document */
  guint          *bucket_df; /* hashing mode: hash_size + 1 */
  guint          *bucket_last;
  guint           n_docs;
  GString        *buf;
  GArray         *words;     /* guint32 word ids of the document being counted */
};

TlNgramCounter *
tl_ngram_counter_new (const TlNgramSettings *settings)
{
  TlNgramCounter *c = g_new0 (TlNgramCounter, 1);

  c->settings = *settings;
  c->buf = g_string_new (NULL);
  c->words = g_array_new (FALSE, FALSE, sizeof (guint32));
  if (settings->hash_size > 0)
    {
      c->bucket_df = g_new0 (guint, settings->hash_size + 1);
      c->bucket_last = g_new0 (guint, settings->hash_size + 1);
    }
  else
    c->index = tl_ngram_index_new ();
  return c;
}

void
tl_ngram_counter_free (TlNgramCounter *c)
{
  if (c == NULL)
    return;
  g_clear_pointer (&c->index, tl_ngram_index_free);
  g_free (c->bucket_df);
  g_free (c->bucket_last);
  g_string_free (c->buf, TRUE);
  g_array_unref (c->words);
  g_free (c);
}

static void
count_bucket (const char *term, gsize len, gpointer data)
{
  TlNgramCounter *c = data;
  const guint stamp = c->n_docs;    /* counting the document n_docs, from 1 */
  guint id = 1 + term_hash (term, len) % (guint) c->settings.hash_size;

  if (c->bucket_last[id] != stamp)
    {
      c->bucket_last[id] = stamp;
      c->bucket_df[id]++;
    }
}

/* Counts each distinct n-gram of the document words[0..n) once; n_docs already counts it. */
static void
count_words (TlNgramCounter *c, const guint32 *w, gsize n)
{
  const guint stamp = c->n_docs;

  for (gsize i = 0; i < n; i++)
    for (int k = 1; k <= c->settings.ngram_max && i + k <= n; k++)
      {
        TlNgramEntry *e = tl_ngram_index_lookup (c->index, w + i, k, TRUE);
        if (e->stamp != stamp)
          {
            e->stamp = stamp;
            e->value++;
          }
      }
}

void
tl_ngram_counter_add (TlNgramCounter *c, const char *const *tokens, gsize n)
{
  guint32 *w;

  g_return_if_fail (c != NULL);
  c->n_docs++;
  if (c->bucket_df != NULL)
    {
      for_each_term (tokens, n, c->settings.ngram_max, c->buf, count_bucket, c);
      return;
    }
  g_array_set_size (c->words, n);
  w = (guint32 *) (void *) c->words->data;
  for (gsize i = 0; i < n; i++)
    w[i] = tl_ngram_index_word (c->index, tokens[i], TRUE);
  count_words (c, w, n);
}

guint32 *
tl_ngram_counter_map_words (TlNgramCounter *c, const char *const *words, gsize n)
{
  guint32 *w;

  g_return_val_if_fail (c->index != NULL, NULL);
  w = g_new (guint32, n + 1);
  for (gsize i = 0; i < n; i++)
    w[i] = tl_ngram_index_word (c->index, words[i], TRUE);
  return w;
}

void
tl_ngram_counter_add_words (TlNgramCounter *c, const guint32 *words, gsize n)
{
  g_return_if_fail (c->index != NULL);
  c->n_docs++;
  count_words (c, words, n);
}

int
tl_ngram_counter_n_docs (const TlNgramCounter *c)
{
  return (int) c->n_docs;
}

static float
smooth_idf (guint n_docs, guint df)
{
  return (float) (log ((1.0 + n_docs) / (1.0 + df)) + 1.0);
}

typedef struct {
  char *term;
  guint df;
} Ranked;

static void
clear_ranked (gpointer data)
{
  g_free (((Ranked *) data)->term);
}

/* The index the encoder looks terms up in: each term's words, then the term's id. */
static TlNgramIndex *
index_terms (const TlNgramFeatures *f)
{
  TlNgramIndex *index = tl_ngram_index_new ();

  for (int id = FIRST_TERM_ID; id < f->n_ids; id++)
    {
      g_auto (GStrv) words = g_strsplit (tl_vocab_token (f->vocab, id), " ", 4);
      guint32 w[3];
      int n = 0;

      while (n < 3 && words[n] != NULL && *words[n] != '\0')
        {
          w[n] = tl_ngram_index_word (index, words[n], TRUE);
          n++;
        }
      /* a term no tokenizer can produce ("a  b", four words) is kept but never found */
      if (n > 0 && words[n] == NULL)
        tl_ngram_index_lookup (index, w, n, TRUE)->value = (guint32) id;
    }
  return index;
}

static int
compare_ranked (const void *a, const void *b)
{
  const Ranked *x = a, *y = b;

  if (x->df != y->df)
    return x->df > y->df ? -1 : 1;
  return strcmp (x->term, y->term);
}

TlNgramFeatures *
tl_ngram_counter_finish (TlNgramCounter *c, GError **error)
{
  g_autoptr (TlNgramFeatures) f = g_new0 (TlNgramFeatures, 1);
  const TlNgramSettings *s = &c->settings;

  f->settings = *s;
  if (c->bucket_df != NULL)
    {
      f->n_ids = s->hash_size + 1;
      f->idf = g_new0 (float, f->n_ids);
      for (int id = 1; id < f->n_ids; id++)
        f->idf[id] = s->use_idf ? smooth_idf (c->n_docs, c->bucket_df[id]) : 1.0f;
      return g_steal_pointer (&f);
    }

  {
    g_autoptr (GArray) ranked = g_array_new (FALSE, FALSE, sizeof (Ranked));
    g_autofree const char **names = NULL;
    const TlNgramEntry *e;
    gsize cursor = 0;
    guint n, kept;

    while ((e = tl_ngram_index_entry (c->index, &cursor)) != NULL)
      if (e->value >= (guint) s->min_df)
        {
          Ranked r = { tl_ngram_index_entry_text (c->index, e), e->value };
          g_array_append_val (ranked, r);
        }
    g_array_set_clear_func (ranked, clear_ranked);
    n = ranked->len;
    if (n == 0)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     "n-gram features: no term occurs in %d or more of the %u documents; "
                     "lower min_df or give more text", s->min_df, c->n_docs);
        return NULL;
      }
    qsort (ranked->data, n, sizeof (Ranked), compare_ranked);
    kept = s->max_features > 0 ? MIN (n, (guint) s->max_features) : n;
    names = g_new0 (const char *, kept + FIRST_TERM_ID + 1);
    names[0] = TL_TOKEN_PAD_TEXT;
    names[1] = TL_TOKEN_OOV_TEXT;
    f->n_ids = (int) kept + FIRST_TERM_ID;
    f->idf = g_new0 (float, f->n_ids);
    for (guint i = 0; i < kept; i++)
      {
        const Ranked *r = &g_array_index (ranked, Ranked, i);
        names[FIRST_TERM_ID + i] = r->term;
        f->idf[FIRST_TERM_ID + i] = s->use_idf ? smooth_idf (c->n_docs, r->df) : 1.0f;
      }
    f->vocab = tl_vocab_new_from_strv (names);
    f->index = index_terms (f);
  }
  return g_steal_pointer (&f);
}

void
tl_ngram_features_free (TlNgramFeatures *f)
{
  if (f == NULL)
    return;
  g_clear_pointer (&f->vocab, tl_vocab_free);
  g_clear_pointer (&f->index, tl_ngram_index_free);
  g_free (f->idf);
  g_free (f);
}

/* Encoding */

typedef struct {
  const TlNgramFeatures *f;
  GArray                *ids;
} Collect;

static void
collect_term (const char *term, gsize len, gpointer data)
{
  Collect *c = data;
  int id;

  if (c->f->vocab == NULL)
    id = 1 + (int) (term_hash (term, len) % (guint) c->f->settings.hash_size);
  else
    {
      id = tl_vocab_lookup (c->f->vocab, term);
      if (id < FIRST_TERM_ID)
        return;
    }
  g_array_append_val (c->ids, id);
}

/* The ids of the known n-grams of a document given as word ids (0: unknown word). */
static void
collect_indexed (const TlNgramFeatures *f, const guint32 *w, gsize n, GArray *ids)
{
  for (gsize i = 0; i < n; i++)
    for (int k = 1; k <= f->settings.ngram_max && i + k <= n && w[i + k - 1] != 0; k++)
      {
        const TlNgramEntry *e = tl_ngram_index_find (f->index, w + i, k);
        if (e != NULL)
          {
            int id = (int) e->value;
            g_array_append_val (ids, id);
          }
      }
}

static guint32 *
features_word_ids (const TlNgramFeatures *f, const char *const *words, gsize n)
{
  guint32 *w = g_new (guint32, n + 1);

  for (gsize i = 0; i < n; i++)
    w[i] = tl_ngram_index_find_word (f->index, words[i]);
  return w;
}

guint32 *
tl_ngram_features_map_words (const TlNgramFeatures *f, const char *const *words, gsize n)
{
  g_return_val_if_fail (f->index != NULL, NULL);
  return features_word_ids (f, words, n);
}

static int
compare_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

typedef struct {
  int   id;
  float w;
} Term;

static int
compare_heavier (const void *a, const void *b)
{
  const Term *x = a, *y = b;

  if (x->w != y->w)
    return x->w > y->w ? -1 : 1;
  return compare_int (&x->id, &y->id);
}

static int
compare_term_id (const void *a, const void *b)
{
  return compare_int (&((const Term *) a)->id, &((const Term *) b)->id);
}

static int bag_from_ids (const TlNgramFeatures *f, GArray *ids, float *out);

/* Ascending non-negative ids: by insertion when few, else by radix, 9 bits a pass
 * (every document's terms are sorted, so this is on the import's hot path). */
static void
sort_ids (int *ids, gsize n)
{
  g_autofree int *spare = NULL;
  int *from = ids, *to, most = 0;

  if (n < 64)
    {
      for (gsize i = 1; i < n; i++)
        {
          const int v = ids[i];
          gsize j = i;
          for (; j > 0 && ids[j - 1] > v; j--)
            ids[j] = ids[j - 1];
          ids[j] = v;
        }
      return;
    }
  for (gsize i = 0; i < n; i++)
    most = MAX (most, ids[i]);
  to = spare = g_new (int, n);
  for (int shift = 0; shift == 0 || (shift < 31 && (most >> shift) != 0); shift += 9)
    {
      gsize start[513] = { 0 };
      int *swap;

      for (gsize i = 0; i < n; i++)
        start[((from[i] >> shift) & 511) + 1]++;
      for (int b = 0; b < 512; b++)
        start[b + 1] += start[b];
      for (gsize i = 0; i < n; i++)
        to[start[(from[i] >> shift) & 511]++] = from[i];
      swap = from, from = to, to = swap;
    }
  if (from != ids)
    memcpy (ids, from, sizeof (int) * n);
}

int
tl_ngram_encode_tokens (const TlNgramFeatures *f, const char *const *tokens, gsize n, float *out)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));

  if (f->index != NULL)
    {
      g_autofree guint32 *w = features_word_ids (f, tokens, n);
      collect_indexed (f, w, n, ids);
    }
  else
    {
      g_autoptr (GString) buf = g_string_new (NULL);
      Collect collect = { f, ids };
      for_each_term (tokens, n, f->settings.ngram_max, buf, collect_term, &collect);
    }
  return bag_from_ids (f, ids, out);
}

int
tl_ngram_encode_words (const TlNgramFeatures *f, const guint32 *words, gsize n, float *out)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));

  g_return_val_if_fail (f->index != NULL, 0);
  collect_indexed (f, words, n, ids);
  return bag_from_ids (f, ids, out);
}

/* The L2-normalised TF-IDF bag of a document's term ids (repeats counted), its
 * heaviest max_terms when there are more. */
static int
bag_from_ids (const TlNgramFeatures *f, GArray *ids, float *out)
{
  const int K = f->settings.max_terms;
  g_autofree Term *terms = NULL;
  int n_terms = 0, kept;
  double norm = 0.0;

  memset (out, 0, sizeof (float) * 2 * K);
  if (ids->len == 0)
    return 0;
  sort_ids ((int *) (void *) ids->data, ids->len);

  terms = g_new (Term, ids->len);
  for (guint i = 0; i < ids->len;)
    {
      const int id = g_array_index (ids, int, i);
      guint j = i;
      double tf;

      while (j < ids->len && g_array_index (ids, int, j) == id)
        j++;
      tf = f->settings.sublinear_tf ? 1.0 + log ((double) (j - i)) : (double) (j - i);
      terms[n_terms] = (Term) { id, (float) (tf * f->idf[id]) };
      norm += (double) terms[n_terms].w * terms[n_terms].w;
      n_terms++;
      i = j;
    }

  kept = n_terms;
  if (n_terms > K)
    {
      qsort (terms, n_terms, sizeof (Term), compare_heavier);
      kept = K;
      qsort (terms, kept, sizeof (Term), compare_term_id);
    }
  norm = norm > 0.0 ? 1.0 / sqrt (norm) : 0.0;
  for (int k = 0; k < kept; k++)
    {
      out[k] = (float) terms[k].id;
      out[K + k] = (float) (terms[k].w * norm);
    }
  return n_terms;
}

int
tl_ngram_encode_text (const TlNgramFeatures *f, const char *text, float *out)
{
  g_auto (GStrv) tokens = tl_tokenize_strv (text);

  return tl_ngram_encode_tokens (f, (const char *const *) tokens, g_strv_length (tokens), out);
}

const char *
tl_ngram_term (const TlNgramFeatures *f, int id)
{
  if (f->vocab == NULL || id < FIRST_TERM_ID || id >= f->n_ids)
    return NULL;
  return tl_vocab_token (f->vocab, id);
}

/* Files */

JsonNode *
tl_ngram_features_to_json (const TlNgramFeatures *f)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const TlNgramSettings *s = &f->settings;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ngram_max");
  json_builder_add_int_value (b, s->ngram_max);
  json_builder_set_member_name (b, "max_features");
  json_builder_add_int_value (b, s->max_features);
  json_builder_set_member_name (b, "min_df");
  json_builder_add_int_value (b, s->min_df);
  json_builder_set_member_name (b, "hash_size");
  json_builder_add_int_value (b, s->hash_size);
  json_builder_set_member_name (b, "sublinear_tf");
  json_builder_add_boolean_value (b, s->sublinear_tf);
  json_builder_set_member_name (b, "use_idf");
  json_builder_add_boolean_value (b, s->use_idf);
  json_builder_set_member_name (b, "max_terms");
  json_builder_add_int_value (b, s->max_terms);
  if (f->vocab != NULL)
    {
      json_builder_set_member_name (b, "terms");
      json_builder_begin_array (b);
      for (int id = FIRST_TERM_ID; id < f->n_ids; id++)
        json_builder_add_string_value (b, tl_vocab_token (f->vocab, id));
      json_builder_end_array (b);
    }
  json_builder_set_member_name (b, "idf");
  json_builder_begin_array (b);
  for (int id = 0; id < f->n_ids; id++)
    json_builder_add_double_value (b, f->idf[id]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
read_int (JsonObject *o, const char *name, int lo, int hi, int *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, name);
  gint64 v;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "n-gram features: %s: expected a whole number", name);
      return FALSE;
    }
  v = json_node_get_int (n);
  if (v < lo || v > hi)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "n-gram features: %s: %" G_GINT64_FORMAT
                   " is outside %d..%d", name, v, lo, hi);
      return FALSE;
    }
  *out = (int) v;
  return TRUE;
}

TlNgramFeatures *
tl_ngram_features_from_json (JsonNode *node, GError **error)
{
  g_autoptr (TlNgramFeatures) f = g_new0 (TlNgramFeatures, 1);
  TlNgramSettings *s = &f->settings;
  JsonObject *o;
  JsonArray *idf, *terms = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "n-gram features: expected an object");
      return NULL;
    }
  o = json_node_get_object (node);
  if (!read_int (o, "ngram_max", 1, 3, &s->ngram_max, error)
      || !read_int (o, "max_features", 0, G_MAXINT, &s->max_features, error)
      || !read_int (o, "min_df", 1, G_MAXINT, &s->min_df, error)
      || !read_int (o, "hash_size", 0, 1 << 24, &s->hash_size, error)
      || !read_int (o, "max_terms", 1, 65536, &s->max_terms, error)
      || !tl_ngram_settings_check (s, error))
    return NULL;
  s->sublinear_tf = json_object_get_boolean_member_with_default (o, "sublinear_tf", TRUE);
  s->use_idf = json_object_get_boolean_member_with_default (o, "use_idf", TRUE);

  if (!json_object_has_member (o, "idf") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "idf")))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "n-gram features: idf: expected a list of numbers");
      return NULL;
    }
  idf = json_object_get_array_member (o, "idf");
  if (s->hash_size == 0)
    {
      if (!json_object_has_member (o, "terms") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "terms")))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "n-gram features: terms: expected a list of strings");
          return NULL;
        }
      terms = json_object_get_array_member (o, "terms");
      f->n_ids = (int) json_array_get_length (terms) + FIRST_TERM_ID;
    }
  else
    f->n_ids = s->hash_size + 1;
  if (json_array_get_length (idf) != (guint) f->n_ids)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "n-gram features: idf has %u weights for %d ids",
                   json_array_get_length (idf), f->n_ids);
      return NULL;
    }
  f->idf = g_new0 (float, f->n_ids);
  for (int id = 0; id < f->n_ids; id++)
    {
      JsonNode *v = json_array_get_element (idf, id);
      if (!JSON_NODE_HOLDS_VALUE (v) || (json_node_get_value_type (v) != G_TYPE_DOUBLE
                                         && json_node_get_value_type (v) != G_TYPE_INT64))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "n-gram features: idf[%d]: expected a number", id);
          return NULL;
        }
      f->idf[id] = (float) json_node_get_double (v);
    }
  if (terms != NULL)
    {
      g_autofree const char **names = g_new0 (const char *, f->n_ids + 1);
      names[0] = TL_TOKEN_PAD_TEXT;
      names[1] = TL_TOKEN_OOV_TEXT;
      for (int id = FIRST_TERM_ID; id < f->n_ids; id++)
        {
          JsonNode *t = json_array_get_element (terms, id - FIRST_TERM_ID);
          if (!JSON_NODE_HOLDS_VALUE (t) || json_node_get_value_type (t) != G_TYPE_STRING)
            {
              g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "n-gram features: terms[%d]: expected a string",
                           id - FIRST_TERM_ID);
              return NULL;
            }
          names[id] = json_node_get_string (t);
        }
      f->vocab = tl_vocab_new_from_strv (names);
      if (tl_vocab_size (f->vocab) != (guint) f->n_ids)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "n-gram features: terms repeat");
          return NULL;
        }
      f->index = index_terms (f);
    }
  return g_steal_pointer (&f);
}
