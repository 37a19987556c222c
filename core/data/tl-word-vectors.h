#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Pretrained word vectors read for a given list of words, the rest of the
 * file streamed past: the text format of GloVe ("word v1 v2 ...", one word a
 * line), the same with a first line "COUNT DIM" (fastText .vec, word2vec
 * text), and word2vec's binary format ("COUNT DIM" then each word, a space
 * and DIM little-endian 32-bit floats). A binary file is told apart by its
 * bytes (control characters after the header) or by a name ending in .bin. */

/* How a word found its vector, from worst to best. */
typedef enum {
  TL_VECTOR_MATCH_NONE,
  TL_VECTOR_MATCH_LOWER,       /* the file's word, lower-cased, is the word */
  TL_VECTOR_MATCH_EXACT,
} TlVectorMatch;

#define TL_WORD_VECTORS_MAX_DIM 10000

typedef struct {
  char    *path;
  int      dim;
  int      n_words;            /* the words asked for */
  float   *rows;               /* [n_words, dim]: each word's vector, zero when it has none */
  guint8  *match;              /* n_words TlVectorMatch */
  int      n_exact;
  int      n_lower;
  gint64   n_read;             /* vectors in the file */
  gboolean binary;
} TlWordVectors;

/* Reads the vectors of words[0..n_words) (NULL entries and repeats get none).
 * An exact match wins over a lower-cased one; among lower-cased matches the
 * first in the file wins, and so does the first of a word given twice.
 * Errors name the file and the line (or, in a binary file, the vector and
 * its byte offset): a dimension that changes, a value that is not a finite
 * number, a word that is not UTF-8, a truncated file, a header whose claims
 * the file's size cannot hold. */
TlWordVectors *tl_word_vectors_read (const char *path, const char *const *words, int n_words,
                                     GError **error);
void           tl_word_vectors_free (TlWordVectors *vectors);
/* Words with a vector. */
int            tl_word_vectors_found (const TlWordVectors *vectors);

/* Writers, for tests and tools: vectors [n, dim] under words[0..n). The text
 * format gets a "COUNT DIM" first line when `header` is TRUE. */
gboolean       tl_word_vectors_write_text   (const char *path, const char *const *words, const float *vectors,
                                             int n, int dim, gboolean header, GError **error);
gboolean       tl_word_vectors_write_binary (const char *path, const char *const *words, const float *vectors,
                                             int n, int dim, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlWordVectors, tl_word_vectors_free)

G_END_DECLS
