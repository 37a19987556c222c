#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-dataset.h"
#include "tl-experiment.h"
#include "tl-model.h"
#include "tl-preprocess.h"
#include "tl-word-vectors.h"

G_BEGIN_DECLS

/* A text model's first embedding (or embedding_bag) table started from
 * pretrained word vectors: each vocabulary word takes its vector (an exact
 * match, else the first whose lower-cased form is the word), scaled to the
 * spread of the table's random start; the other words follow the
 * unknown-word rule; n-grams of several words keep the random start (on
 * books -> kitchen sentiment their words' mean did slightly worse). */

/* "random", "zero", "mean" */
const char *tl_unknown_vectors_name      (TlUnknownVectors rule);
gboolean    tl_unknown_vectors_from_name (const char *name, TlUnknownVectors *rule);

typedef struct {
  char   *path;
  int     dim;
  char   *layer;           /* the layer initialised */
  int     words;           /* vocabulary words (padding, unknown and n-grams of several words aside) */
  int     exact;           /* of which had a vector under the same spelling */
  int     lower;           /* of which had one only under another case */
  int     phrases;         /* n-grams of several words in the vocabulary, left at the layer's random start */
  gint64  file_vectors;    /* vectors in the file */
  double  scale;           /* the vectors were multiplied by it */
  TlUnknownVectors unknown;
} TlVectorCoverage;

void      tl_vector_coverage_clear   (TlVectorCoverage *coverage);
JsonNode *tl_vector_coverage_to_json (const TlVectorCoverage *coverage);
/* "word vectors: 8,120 of 10,000 words (81.2%), 300 dimensions, from FILE" */
char     *tl_vector_coverage_describe (const TlVectorCoverage *coverage);

/* Fails when the vectors cannot apply: no file, a file that is not readable,
 * no vocabulary (hashed n-grams, data that is not text), or a model loaded
 * from a file. Cheap: opens the file without reading it. */
gboolean  tl_embedding_vectors_check (const TlExperiment *exp, GError **error);

/* The vectors of `pre`'s vocabulary words, read from the resolved `path`. */
TlWordVectors *tl_embedding_vectors_read (const char *path, const TlPreprocess *pre, GError **error);

/* Builds the model of `arch` for ds with its embedding table of the vectors'
 * dimension (an embedding layer listed with another embed_dim is refused;
 * a preset's is changed) and initialises the table. */
TlModel  *tl_embedding_vectors_build (const TlArchitectureSpec *arch, const TlDataset *ds, const TlPreprocess *pre,
                                      const TlWordVectors *vectors, TlUnknownVectors unknown, guint64 seed,
                                      TlVectorCoverage *coverage, GError **error);

/* Initialises the first embedding or embedding_bag layer of a built model,
 * whose table must have one row per vocabulary id and the vectors' dimension. */
gboolean  tl_embedding_vectors_apply (TlModel *model, const TlPreprocess *pre, const TlWordVectors *vectors,
                                      TlUnknownVectors unknown, guint64 seed, TlVectorCoverage *coverage,
                                      GError **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TlVectorCoverage, tl_vector_coverage_clear)

G_END_DECLS
