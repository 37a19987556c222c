#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-tokenizer.h"

G_BEGIN_DECLS

/* Bag-of-n-grams text features: word n-grams ("good", "not good") and, as an
 * option, character n-grams within words ("#<goo"), chosen by document
 * frequency, weighted by TF-IDF, each document L2-normalised (words and
 * characters each to length 1, as two vectorisers side by side would be). A
 * document becomes `max_terms` slots: the ids of its terms, then their weights
 * (id 0 with weight 0 fills unused slots), the input of an embedding_bag layer. */

typedef struct {
  int      ngram_max;       /* 1: words; 2: words and word pairs; at most 3 */
  int      max_features;    /* terms kept, the most frequent by documents; -1: no limit */
  int      min_df;          /* documents a term must occur in */
  int      hash_size;       /* 0: a vocabulary; else terms hashed into ids 1..hash_size, no vocabulary kept */
  gboolean sublinear_tf;    /* 1 + ln(count) instead of the count */
  gboolean use_idf;         /* ln((1 + N) / (1 + df)) + 1, as scikit-learn's smooth idf */
  int      max_terms;       /* slots per document; a longer document keeps its heaviest terms */
  int      char_min;        /* character n-grams within words (tl-ngram-chars.h) from this length */
  int      char_max;        /* ... to this one; 0: no character n-grams */
  int      char_max_features; /* character terms kept, apart from the word terms; -1: no limit */
} TlNgramSettings;

/* ngram_max 2, max_features 100000, min_df 2, no hashing, sublinear tf, idf, 1024 slots,
 * character n-grams of 2 to 5 characters, 300000 of them */
void tl_ngram_settings_init (TlNgramSettings *settings);
/* Refuses settings that cannot work, naming the field. */
gboolean tl_ngram_settings_check (const TlNgramSettings *settings, GError **error);
/* Settings as the user gave them: hashed terms keep no vocabulary, which
 * character n-grams need, so with hash_size set the character n-grams are off
 * unless chars_asked (the user named char_max); asked for both, they are refused
 * with tl_ngram_settings_check's text. Then checks the rest. */
gboolean tl_ngram_settings_resolve (TlNgramSettings *settings, gboolean chars_asked, GError **error);

typedef struct {
  TlNgramSettings settings;
  TlVocab        *vocab;    /* id -> term ("not good"); ids 0 and 1 unused; NULL when hashing */
  struct _TlNgramIndex *index; /* the terms by their words, for encoding; NULL when hashing */
  float          *idf;      /* n_ids: each id's weight; 0 for id 0 */
  int             n_ids;    /* table rows, id 0 included */
  int             char_first; /* the first character term's id; n_ids when there are none */
} TlNgramFeatures;

typedef struct _TlNgramCounter TlNgramCounter;

TlNgramCounter  *tl_ngram_counter_new    (const TlNgramSettings *settings);
void             tl_ngram_counter_free   (TlNgramCounter *counter);
/* Counts each distinct n-gram of one document's tokens once. */
void             tl_ngram_counter_add    (TlNgramCounter *counter, const char *const *tokens, gsize n);
/* The same for documents given as word ids: map a list of distinct words (a
 * table's) once, then add each document as indices into the result. Not with hashing. */
guint32         *tl_ngram_counter_map_words (TlNgramCounter *counter, const char *const *words, gsize n);
void             tl_ngram_counter_add_words (TlNgramCounter *counter, const guint32 *words, gsize n);
int              tl_ngram_counter_n_docs (const TlNgramCounter *counter);
/* The vocabulary and weights from the documents counted; fails when no term
 * reaches min_df. */
TlNgramFeatures *tl_ngram_counter_finish (TlNgramCounter *counter, GError **error);

void             tl_ngram_features_free  (TlNgramFeatures *features);
/* Writes a document's 2 * max_terms floats: ids, then weights. Returns the
 * number of its distinct known terms (before any were dropped for room). */
int              tl_ngram_encode_tokens  (const TlNgramFeatures *features, const char *const *tokens,
                                          gsize n, float *out);
/* The same for documents given as indices into a list of distinct words (a
 * table's): the list is looked up once, into a map, then each document. Not with hashing. */
typedef struct _TlNgramWordMap TlNgramWordMap;
TlNgramWordMap  *tl_ngram_features_map_words (const TlNgramFeatures *features, const char *const *words, gsize n);
void             tl_ngram_word_map_free  (TlNgramWordMap *map);
int              tl_ngram_encode_words   (const TlNgramFeatures *features, const TlNgramWordMap *map,
                                          const guint *words, gsize n, float *out);
int              tl_ngram_encode_text    (const TlNgramFeatures *features, const char *text, float *out);
/* The term behind an id, for explanations; NULL when hashing or out of range. */
const char      *tl_ngram_term           (const TlNgramFeatures *features, int id);

JsonNode        *tl_ngram_features_to_json   (const TlNgramFeatures *features);
TlNgramFeatures *tl_ngram_features_from_json (JsonNode *node, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlNgramCounter, tl_ngram_counter_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlNgramFeatures, tl_ngram_features_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlNgramWordMap, tl_ngram_word_map_free)

G_END_DECLS
