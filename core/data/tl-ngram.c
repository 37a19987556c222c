#define G_LOG_DOMAIN "tl-ngram"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tl-error.h"
#include "tl-parallel.h"
#include "tl-sort-ids.h"
#include "tl-ngram.h"
#include "tl-ngram-chars.h"
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
  s->char_min = 2;
  s->char_max = 5;
  s->char_max_features = 300000;
}

gboolean
tl_ngram_settings_check (const TlNgramSettings *s, GError **error)
{
  const char *field = NULL, *expected = NULL;

  if (s->ngram_max < 1 || s->ngram_max > 3)
    field = "ngram_max", expected = "1, 2 or 3";
  else if (s->max_features == 0 || s->max_features < -1)
    field = "max_features", expected = "a positive count of terms, or -1 for no limit";
  else if (s->min_df < 1)
    field = "min_df", expected = "a count of documents of at least 1";
  else if (s->hash_size != 0 && (s->hash_size < 16 || s->hash_size > (1 << 24)))
    field = "hash_size", expected = "0 (a vocabulary) or 16 to 16777216 buckets";
  else if (s->max_terms < 1 || s->max_terms > 65536)
    field = "max_terms", expected = "1 to 65536 terms per document";
  else if (s->char_max != 0 && (s->char_min < 1 || s->char_min > s->char_max || s->char_max > 8))
    field = "char_min and char_max", expected = "lengths with 1 <= char_min <= char_max <= 8 (char_max 0: no character n-grams)";
  else if (s->char_max_features == 0 || s->char_max_features < -1)
    field = "char_max_features", expected = "a positive count of terms, or -1 for no limit";
  else if (s->char_max != 0 && s->hash_size != 0)
    field = "hash_size", expected = "0 with character n-grams: hashed terms keep no vocabulary, which character "
                                    "n-grams need (ask for one or the other: hash_size 0, or char_max 0)";
  if (field == NULL)
    return TRUE;
  g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "n-gram features: %s must be %s", field, expected);
  return FALSE;
}

gboolean
tl_ngram_settings_resolve (TlNgramSettings *s, gboolean chars_asked, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  if (s->hash_size > 0 && !chars_asked)
    s->char_max = 0;
  return tl_ngram_settings_check (s, error);
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
  /* character n-grams: each word's grams, listed once (CSR by word id), and each gram's df */
  TlNgramIndex   *chars;     /* gram -> id, from 1 */
  GArray         *char_start; /* guint32, word id -> offset into char_ids; covers words 0..len-2 */
  GArray         *char_ids;  /* guint32 gram ids */
  GArray         *char_df;   /* guint, by gram id */
  GArray         *char_stamp; /* guint, by gram id: the last document that counted it */
  GArray         *word_stamp; /* guint, by word id: the last document whose grams it added */
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
  if (settings->char_max > 0 && c->index != NULL)
    {
      guint32 zero = 0;
      c->chars = tl_ngram_index_new ();
      c->char_start = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_array_append_val (c->char_start, zero);   /* word id 0 has no grams */
      g_array_append_val (c->char_start, zero);
      c->char_ids = g_array_new (FALSE, FALSE, sizeof (guint32));
      c->char_df = g_array_new (FALSE, TRUE, sizeof (guint));
      c->char_stamp = g_array_new (FALSE, TRUE, sizeof (guint));
      c->word_stamp = g_array_new (FALSE, TRUE, sizeof (guint));
    }
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
  g_clear_pointer (&c->chars, tl_ngram_index_free);
  g_clear_pointer (&c->char_start, g_array_unref);
  g_clear_pointer (&c->char_ids, g_array_unref);
  g_clear_pointer (&c->char_df, g_array_unref);
  g_clear_pointer (&c->char_stamp, g_array_unref);
  g_clear_pointer (&c->word_stamp, g_array_unref);
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

static void
list_gram (const char *gram, gsize len, gpointer data)
{
  TlNgramCounter *c = data;
  guint32 id = tl_ngram_index_word_len (c->chars, gram, len, TRUE);

  g_array_append_val (c->char_ids, id);
  if (c->char_df->len <= id)
    {
      g_array_set_size (c->char_df, id + 1);
      g_array_set_size (c->char_stamp, id + 1);
    }
}

/* The grams of word `w`, listing them for every word added before it first. */
static const guint32 *
word_grams (TlNgramCounter *c, guint32 w, guint *n)
{
  while (c->char_start->len <= w + 1)
    {
      const guint32 next = c->char_start->len - 1;
      guint32 end;
      tl_ngram_chars_each (tl_ngram_index_word_text (c->index, next), c->settings.char_min,
                           c->settings.char_max, c->buf, list_gram, c);
      end = c->char_ids->len;
      g_array_append_val (c->char_start, end);
    }
  {
    const guint32 *start = (const guint32 *) (void *) c->char_start->data;
    *n = start[w + 1] - start[w];
    return (const guint32 *) (void *) c->char_ids->data + start[w];
  }
}

static void
count_grams (TlNgramCounter *c, const guint32 *w, gsize n)
{
  const guint stamp = c->n_docs;

  for (gsize i = 0; i < n; i++)
    {
      const guint32 *grams;
      guint n_grams;

      if (w[i] == 0)
        continue;
      if (c->word_stamp->len <= w[i])
        g_array_set_size (c->word_stamp, w[i] + 1);
      if (g_array_index (c->word_stamp, guint, w[i]) == stamp)
        continue;
      g_array_index (c->word_stamp, guint, w[i]) = stamp;
      grams = word_grams (c, w[i], &n_grams);
      for (guint g = 0; g < n_grams; g++)
        if (g_array_index (c->char_stamp, guint, grams[g]) != stamp)
          {
            g_array_index (c->char_stamp, guint, grams[g]) = stamp;
            g_array_index (c->char_df, guint, grams[g])++;
          }
    }
}

#define COUNT_AHEAD 8

/* Counts each distinct n-gram of the document words[0..n) once; n_docs already counts it. */
static void
count_words (TlNgramCounter *c, const guint32 *w, gsize n)
{
  const guint stamp = c->n_docs;

  for (gsize i = 0; i < n; i++)
    for (int k = 1; k <= c->settings.ngram_max && i + k <= n; k++)
      {
        TlNgramEntry *e;

        /* the index is far larger than the caches: the n-gram a few words on is fetched meanwhile */
        if (i + COUNT_AHEAD + k <= n)
          tl_ngram_index_prefetch (c->index, w + i + COUNT_AHEAD, k);
        e = tl_ngram_index_lookup (c->index, w + i, k, TRUE);
        if (e->stamp != stamp)
          {
            e->stamp = stamp;
            e->value++;
          }
      }
  if (c->chars != NULL)
    count_grams (c, w, n);
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

/* The lowest document frequency the `keep` most frequent of these terms can
 * have: a term below it cannot be among them, whatever the ties, so only the
 * others are named and ranked. `df` counts the terms (from min_df) by frequency. */
static guint
df_floor (const guint *df, guint n_docs, guint min_df, int keep)
{
  guint64 above = 0;

  if (keep <= 0)
    return min_df;
  for (guint f = n_docs; f > min_df; f--)
    {
      above += df[f];
      if (above >= (guint64) keep)
        return f;
    }
  return min_df;
}

static guint
word_df_floor (TlNgramCounter *c)
{
  const guint min_df = (guint) MAX (c->settings.min_df, 1);
  g_autofree guint *df = g_new0 (guint, c->n_docs + 2);
  const TlNgramEntry *e;
  gsize cursor = 0;

  while ((e = tl_ngram_index_entry (c->index, &cursor)) != NULL)
    if (e->value >= min_df)
      df[MIN (e->value, c->n_docs + 1)]++;
  return df_floor (df, c->n_docs + 1, min_df, c->settings.max_features);
}

static guint
gram_df_floor (const TlNgramCounter *c)
{
  const guint min_df = (guint) MAX (c->settings.min_df, 1);
  g_autofree guint *df = NULL;

  if (c->chars == NULL)
    return min_df;
  df = g_new0 (guint, c->n_docs + 2);
  for (guint g = 1; g < c->char_df->len; g++)
    if (g_array_index (c->char_df, guint, g) >= min_df)
      df[MIN (g_array_index (c->char_df, guint, g), c->n_docs + 1)]++;
  return df_floor (df, c->n_docs + 1, min_df, c->settings.char_max_features);
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
      f->char_first = f->n_ids;
      f->idf = g_new0 (float, f->n_ids);
      for (int id = 1; id < f->n_ids; id++)
        f->idf[id] = s->use_idf ? smooth_idf (c->n_docs, c->bucket_df[id]) : 1.0f;
      return g_steal_pointer (&f);
    }

  {
    g_autoptr (GArray) words = g_array_new (FALSE, FALSE, sizeof (Ranked));
    g_autoptr (GArray) grams = g_array_new (FALSE, FALSE, sizeof (Ranked));
    g_autofree const char **names = NULL;
    const TlNgramEntry *e;
    gsize cursor = 0;
    guint kept_words, kept_grams;

    guint word_floor, gram_floor;

    g_array_set_clear_func (words, clear_ranked);
    g_array_set_clear_func (grams, clear_ranked);
    word_floor = word_df_floor (c);
    gram_floor = gram_df_floor (c);
    while ((e = tl_ngram_index_entry (c->index, &cursor)) != NULL)
      if (e->value >= word_floor)
        {
          Ranked r = { tl_ngram_index_entry_text (c->index, e), e->value };
          g_array_append_val (words, r);
        }
    for (guint g = 1; c->chars != NULL && g < c->char_df->len; g++)
      if (g_array_index (c->char_df, guint, g) >= gram_floor)
        {
          Ranked r = { g_strdup (tl_ngram_index_word_text (c->chars, g)), g_array_index (c->char_df, guint, g) };
          g_array_append_val (grams, r);
        }
    if (words->len + grams->len == 0)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     "n-gram features: no term occurs in %d or more of the %u documents; "
                     "lower min_df or give more text", s->min_df, c->n_docs);
        return NULL;
      }
    /* an empty GArray's data is NULL, which qsort may not be given */
    if (words->len > 0)
      qsort (words->data, words->len, sizeof (Ranked), compare_ranked);
    if (grams->len > 0)
      qsort (grams->data, grams->len, sizeof (Ranked), compare_ranked);
    kept_words = s->max_features > 0 ? MIN (words->len, (guint) s->max_features) : words->len;
    kept_grams = s->char_max_features > 0 ? MIN (grams->len, (guint) s->char_max_features) : grams->len;
    names = g_new0 (const char *, kept_words + kept_grams + FIRST_TERM_ID + 1);
    names[0] = TL_TOKEN_PAD_TEXT;
    names[1] = TL_TOKEN_OOV_TEXT;
    f->n_ids = (int) (kept_words + kept_grams) + FIRST_TERM_ID;
    f->char_first = (int) kept_words + FIRST_TERM_ID;
    f->idf = g_new0 (float, f->n_ids);
    for (guint i = 0; i < kept_words + kept_grams; i++)
      {
        const Ranked *r = i < kept_words ? &g_array_index (words, Ranked, i)
                                         : &g_array_index (grams, Ranked, i - kept_words);
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
        const TlNgramEntry *e;

        if (i + COUNT_AHEAD + k <= n)
          tl_ngram_index_prefetch (f->index, w + i + COUNT_AHEAD, k);
        e = tl_ngram_index_find (f->index, w + i, k);
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

static gboolean
has_grams (const TlNgramFeatures *f)
{
  return f->char_first < f->n_ids && f->index != NULL;
}

/* A known gram's term id appended to the ids */
static void
collect_gram (const char *gram, gsize len, gpointer data)
{
  Collect *g = data;
  guint32 w = tl_ngram_index_find_word_len (g->f->index, gram, len);
  const TlNgramEntry *e = w != 0 ? tl_ngram_index_find (g->f->index, &w, 1) : NULL;

  if (e != NULL)
    {
      int id = (int) e->value;
      g_array_append_val (g->ids, id);
    }
}

static void
collect_word_grams (const TlNgramFeatures *f, const char *word, GString *buf, GArray *ids)
{
  Collect g = { f, ids };

  tl_ngram_chars_each (word, f->settings.char_min, f->settings.char_max, buf, collect_gram, &g);
}

struct _TlNgramWordMap {
  guint32 *ids;         /* each listed word's id in the features' index, 0 when unknown */
  guint32 *gram_start;  /* n + 1 offsets into gram_ids; NULL without character n-grams */
  int     *gram_ids;    /* the term ids of each word's known grams, in order */
};

#define MAP_GRAIN 2048

typedef struct {
  const TlNgramFeatures *f;
  const char *const     *words;
  guint32               *counts;   /* known grams of each word */
  GArray               **chunks;   /* each chunk's grams, in word order */
} MapWords;

static void
map_words_chunk (gpointer data, gsize i0, gsize i1)
{
  const MapWords *m = data;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GString) buf = g_string_new (NULL);

  for (gsize i = i0; i < i1; i++)
    {
      const guint before = ids->len;
      collect_word_grams (m->f, m->words[i], buf, ids);
      m->counts[i] = ids->len - before;
    }
  m->chunks[i0 / MAP_GRAIN] = ids;
}

TlNgramWordMap *
tl_ngram_features_map_words (const TlNgramFeatures *f, const char *const *words, gsize n)
{
  TlNgramWordMap *map;

  g_return_val_if_fail (f->index != NULL, NULL);
  map = g_new0 (TlNgramWordMap, 1);
  map->ids = features_word_ids (f, words, n);
  if (has_grams (f))
    {
      const gsize n_chunks = (n + MAP_GRAIN - 1) / MAP_GRAIN;
      g_autofree GArray **chunks = g_new0 (GArray *, MAX (n_chunks, 1));
      MapWords m = { f, words, g_new (guint32, n + 1), chunks };
      gsize total = 0, at = 0;

      /* words are independent: the chunks only change the speed */
      tl_parallel_for (n, MAP_GRAIN, map_words_chunk, &m);
      map->gram_start = m.counts;
      for (gsize i = 0; i < n; i++)
        {
          const guint32 count = map->gram_start[i];
          map->gram_start[i] = (guint32) total;
          total += count;
        }
      map->gram_start[n] = (guint32) total;
      map->gram_ids = g_new (int, MAX (total, 1));
      for (gsize c = 0; c < n_chunks; c++)
        {
          memcpy (map->gram_ids + at, chunks[c]->data, sizeof (int) * chunks[c]->len);
          at += chunks[c]->len;
          g_array_free (chunks[c], TRUE);
        }
    }
  return map;
}

void
tl_ngram_word_map_free (TlNgramWordMap *map)
{
  if (map == NULL)
    return;
  g_free (map->ids);
  g_free (map->gram_start);
  g_free (map->gram_ids);
  g_free (map);
}

typedef struct {
  int    id;
  float  w;
  double scaled;   /* w over its block's norm: the weight written out */
} Term;

/* The k-th largest of v[0..n) (k from 1), reordering v: a quickselect. */
static double
kth_largest (double *v, int n, int k)
{
  int lo = 0, hi = n - 1;
  const int want = k - 1;

  while (lo < hi)
    {
      const double pivot = v[lo + (hi - lo) / 2];
      int i = lo, j = hi;

      while (i <= j)
        {
          while (v[i] > pivot)
            i++;
          while (v[j] < pivot)
            j--;
          if (i <= j)
            {
              double t = v[i];
              v[i++] = v[j];
              v[j--] = t;
            }
        }
      if (want <= j)
        hi = j;
      else if (want >= i)
        lo = i;
      else
        break;
    }
  return v[want];
}

/* Keeps the K heaviest of terms[0..n), in id order; of equal weights, the lower ids. */
static int
keep_heaviest (Term *terms, int n, int K)
{
  g_autofree double *v = g_new (double, n);
  double threshold;
  int above = 0, ties, kept = 0;

  for (int k = 0; k < n; k++)
    v[k] = terms[k].scaled;
  threshold = kth_largest (v, n, K);
  for (int k = 0; k < n; k++)
    above += terms[k].scaled > threshold;
  ties = K - above;
  for (int k = 0; k < n; k++)
    if (terms[k].scaled > threshold || (terms[k].scaled == threshold && ties-- > 0))
      terms[kept++] = terms[k];
  return kept;
}

static int bag_from_ids (const TlNgramFeatures *f, GArray *ids, float *out);

int
tl_ngram_encode_tokens (const TlNgramFeatures *f, const char *const *tokens, gsize n, float *out)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));

  if (f->index != NULL)
    {
      g_autofree guint32 *w = features_word_ids (f, tokens, n);
      collect_indexed (f, w, n, ids);
      if (has_grams (f))
        {
          g_autoptr (GString) buf = g_string_new (NULL);
          for (gsize i = 0; i < n; i++)
            collect_word_grams (f, tokens[i], buf, ids);
        }
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
tl_ngram_encode_words (const TlNgramFeatures *f, const TlNgramWordMap *map, const guint *words, gsize n,
                       float *out)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree guint32 *w = g_new (guint32, n + 1);

  g_return_val_if_fail (f->index != NULL && map != NULL, 0);
  for (gsize i = 0; i < n; i++)
    w[i] = map->ids[words[i]];
  collect_indexed (f, w, n, ids);
  for (gsize i = 0; map->gram_start != NULL && i < n; i++)
    {
      const guint32 from = map->gram_start[words[i]], to = map->gram_start[words[i] + 1];
      if (to > from)
        g_array_append_vals (ids, map->gram_ids + from, to - from);
    }
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
  double norm[2] = { 0.0, 0.0 };   /* word terms, character terms */

  memset (out, 0, sizeof (float) * 2 * K);
  if (ids->len == 0)
    return 0;
  tl_sort_ids ((int *) (void *) ids->data, ids->len);

  terms = g_new (Term, ids->len);
  for (guint i = 0; i < ids->len;)
    {
      const int id = g_array_index (ids, int, i);
      guint j = i;
      double tf;

      while (j < ids->len && g_array_index (ids, int, j) == id)
        j++;
      tf = f->settings.sublinear_tf ? 1.0 + log ((double) (j - i)) : (double) (j - i);
      terms[n_terms] = (Term) { id, (float) (tf * f->idf[id]), 0.0 };
      norm[id >= f->char_first] += (double) terms[n_terms].w * terms[n_terms].w;
      n_terms++;
      i = j;
    }

  for (int b = 0; b < 2; b++)
    norm[b] = norm[b] > 0.0 ? 1.0 / sqrt (norm[b]) : 0.0;
  for (int k = 0; k < n_terms; k++)
    terms[k].scaled = terms[k].w * norm[terms[k].id >= f->char_first];
  kept = n_terms > K ? keep_heaviest (terms, n_terms, K) : n_terms;
  for (int k = 0; k < kept; k++)
    {
      out[k] = (float) terms[k].id;
      out[K + k] = (float) terms[k].scaled;
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
  if (s->char_max > 0)
    {
      json_builder_set_member_name (b, "char_min");
      json_builder_add_int_value (b, s->char_min);
      json_builder_set_member_name (b, "char_max");
      json_builder_add_int_value (b, s->char_max);
      json_builder_set_member_name (b, "char_max_features");
      json_builder_add_int_value (b, s->char_max_features);
    }
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
  tl_ngram_settings_init (s);
  if (!read_int (o, "ngram_max", 1, 3, &s->ngram_max, error)
      || !read_int (o, "max_features", -1, G_MAXINT, &s->max_features, error)
      || !read_int (o, "min_df", 1, G_MAXINT, &s->min_df, error)
      || !read_int (o, "hash_size", 0, 1 << 24, &s->hash_size, error)
      || !read_int (o, "max_terms", 1, 65536, &s->max_terms, error))
    return NULL;
  if (!json_object_has_member (o, "char_max"))
    s->char_max = 0;      /* written without character n-grams */
  else if ((!read_int (o, "char_min", 1, 8, &s->char_min, error)
          || !read_int (o, "char_max", 0, 8, &s->char_max, error)
          || !read_int (o, "char_max_features", -1, G_MAXINT, &s->char_max_features, error)))
    return NULL;
  if (s->max_features == 0)   /* "no limit" in files written before -1 said it */
    s->max_features = -1;
  if (!tl_ngram_settings_check (s, error))
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
  f->char_first = f->n_ids;
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
          if (tl_ngram_is_char_term (names[id]) && f->char_first == f->n_ids)
            f->char_first = id;
          else if (!tl_ngram_is_char_term (names[id]) && f->char_first < f->n_ids)
            {
              g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                           "n-gram features: terms[%d]: a word term after the character terms", id - FIRST_TERM_ID);
              return NULL;
            }
        }
      if (f->char_first < f->n_ids && s->char_max == 0)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                       "n-gram features: character terms without char_min and char_max");
          return NULL;
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
