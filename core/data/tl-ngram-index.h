#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Word n-grams keyed by word ids rather than by their text: a document's
 * tokens are looked up once each, and its pairs and triples of words are
 * found by integers, without building or hashing the strings "a b". */

typedef struct _TlNgramIndex TlNgramIndex;

typedef struct {
  guint32 w[3];      /* word ids, 0 past the n-gram's end; w[0] is never 0 */
  guint32 value;     /* the caller's: a count, a term id */
  guint32 stamp;     /* the caller's: the last document that counted it */
} TlNgramEntry;

TlNgramIndex *tl_ngram_index_new        (void);
void          tl_ngram_index_free       (TlNgramIndex *index);

/* A word's id (from 1), added when `add`; 0 for a word not added. */
guint32       tl_ngram_index_word       (TlNgramIndex *index, const char *word, gboolean add);
/* The same for `len` bytes, no NUL needed. */
guint32       tl_ngram_index_word_len   (TlNgramIndex *index, const char *word, gsize len, gboolean add);
guint32       tl_ngram_index_find_word  (const TlNgramIndex *index, const char *word);
guint32       tl_ngram_index_find_word_len (const TlNgramIndex *index, const char *word, gsize len);
const char   *tl_ngram_index_word_text  (const TlNgramIndex *index, guint32 id);
guint         tl_ngram_index_n_words    (const TlNgramIndex *index);

/* The entry of the n-gram w[0..n), created zeroed when `add`; NULL when it is
 * absent and not added. Pointers stay valid until the next addition. */
TlNgramEntry *tl_ngram_index_lookup     (TlNgramIndex *index, const guint32 *w, int n, gboolean add);
/* Starts fetching the slot of w[0..n) into the cache, for a lookup soon after. */
void          tl_ngram_index_prefetch   (const TlNgramIndex *index, const guint32 *w, int n);
/* A lookup that never adds, safe from several threads at once. */
const TlNgramEntry *tl_ngram_index_find (const TlNgramIndex *index, const guint32 *w, int n);
/* The entries one by one, in no particular order: start with *cursor = 0; NULL after the last. */
TlNgramEntry *tl_ngram_index_entry      (TlNgramIndex *index, gsize *cursor);
/* "a b" for an entry. */
char         *tl_ngram_index_entry_text (const TlNgramIndex *index, const TlNgramEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlNgramIndex, tl_ngram_index_free)

G_END_DECLS
