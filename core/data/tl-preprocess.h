#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-audio-features.h"
#include "tl-dataset.h"
#include "tl-ngram.h"
#include "tl-tokenizer.h"

G_BEGIN_DECLS

typedef enum {
  TL_COLUMN_NUMERIC,
  TL_COLUMN_CATEGORICAL,
  TL_COLUMN_TEXT,
} TlColumnType;

const char *tl_column_type_to_string   (TlColumnType type);
gboolean    tl_column_type_from_string (const char *text, TlColumnType *type);

/* One input column of a tabular dataset and the features it becomes. */
typedef struct {
  char        *name;
  TlColumnType type;
  double       mean;               /* numeric: mean of the training rows */
  double       std;                /* numeric: their standard deviation (1 when constant) */
  gboolean     missing_indicator;  /* numeric: one more feature, 1 where the value was missing */
  char       **categories;         /* categorical: one feature each, sorted; others encode as zeros */
} TlFeatureColumn;

/* What a model must carry to turn new raw data into its inputs exactly as
 * its training data was: fitted on the training split only. */
typedef struct {
  TlDataKind   kind;
  char        *label_column;
  char       **class_names;
  /* tabular */
  GPtrArray   *columns;            /* TlFeatureColumn *, in feature order */
  /* text */
  char        *text_column;
  TlVocab     *vocab;            /* token-id sequences; NULL with n-gram features */
  TlNgramFeatures *ngrams;       /* bags of weighted n-grams [2, max_terms]; NULL for sequences */
  int          max_len;
  TlPadSide    padding;
  TlPadSide    truncating;
  /* image */
  int          width;
  int          height;
  int          channels;
  double      *image_mean;       /* per channel, subtracted from each pixel; NULL: none */
  double      *image_std;        /* per channel, dividing it */
  /* audio: [1, bands, frames] features of each recording */
  TlAudioSettings audio;
  double      *audio_mean;       /* per band, with dataset normalisation (else NULL) */
  double      *audio_std;
} TlPreprocess;

TlPreprocess *tl_preprocess_new            (TlDataKind kind);
void          tl_preprocess_free           (TlPreprocess *pre);
TlFeatureColumn *tl_preprocess_add_column  (TlPreprocess *pre, const char *name, TlColumnType type);

/* Rows an embedding table needs for this text (0 for other data). */
int           tl_preprocess_vocab_size     (const TlPreprocess *pre);
/* Floats per sample and their shape. */
int           tl_preprocess_feature_count  (const TlPreprocess *pre);
int           tl_preprocess_sample_shape   (const TlPreprocess *pre, int *shape);
/* "age", "age (missing)", "colour=red"... one per tabular feature. */
char        **tl_preprocess_feature_names  (const TlPreprocess *pre);

/* Tabular: `values` holds one raw string per entry of `columns` (NULL or a
 * missing marker for a missing value); writes the features into out. */
gboolean      tl_preprocess_encode_values  (const TlPreprocess *pre, const char *const *values,
                                            float *out, GError **error);
/* Numeric column `column`'s contribution for a parsed value (NaN: missing). */
void          tl_preprocess_encode_number  (const TlFeatureColumn *column, double value, float *out);
/* Categorical: index of the category or -1. */
int           tl_preprocess_category_index (const TlFeatureColumn *column, const char *value);
int           tl_feature_column_width      (const TlFeatureColumn *column);
/* Audio: one recording's features, normalised as the training data were. */
gboolean      tl_preprocess_encode_audio   (const TlPreprocess *pre, const char *path, float *out, GError **error);
/* Images: (x - image_mean[c]) / image_std[c] over each channel c of every row, when they are set. */
void          tl_preprocess_normalize_images (const TlPreprocess *pre, TlDataset *ds);
/* Text: token ids, padded and truncated. */
void          tl_preprocess_encode_text    (const TlPreprocess *pre, const char *text, float *out);

JsonNode     *tl_preprocess_to_json        (const TlPreprocess *pre);
TlPreprocess *tl_preprocess_from_json      (JsonNode *node, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlPreprocess, tl_preprocess_free)

G_END_DECLS
