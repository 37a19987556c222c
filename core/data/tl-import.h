#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-audio-augment.h"
#include "tl-audio-folder.h"
#include "tl-csv.h"
#include "tl-dataset.h"
#include "tl-preprocess.h"
#include "tl-split.h"
#include "tl-import-progress.h"

G_BEGIN_DECLS

/* A label column with more distinct values than this is refused. */
#define TL_IMPORT_MAX_CLASSES 100000
/* The most floats an imported table or text dataset may take (4 GiB). */
#define TL_IMPORT_MAX_FLOATS ((guint64) 1 << 30)
/* Rejected rows listed in a report; all are counted. */
#define TL_IMPORT_MAX_LISTED 10

typedef enum {
  TL_SOURCE_AUTO,
  TL_SOURCE_CSV,
  TL_SOURCE_IDX,
  TL_SOURCE_IMAGE_FOLDER,
  TL_SOURCE_AUDIO,         /* a folder of audio files per class, or a CSV of paths and labels */
} TlSourceFormat;

typedef enum {
  TL_TEXT_SEQUENCE,    /* token ids, padded: for Embedding, LSTM, GRU */
  TL_TEXT_NGRAMS,      /* weighted bags of n-grams: for embedding_bag */
} TlTextFeatures;

typedef enum {
  TL_MISSING_IMPUTE,   /* the training mean, and an indicator feature */
  TL_MISSING_REJECT,   /* the row is left out and counted */
} TlMissingPolicy;

typedef struct {
  TlSourceFormat  format;
  /* CSV */
  char            delimiter;        /* 0: detected */
  TlCsvHeader     header;
  char           *label_column;     /* a name or a 0-based index; NULL: "label", "class", "target", else the last */
  char           *text_column;      /* NULL: the first column that holds text, if any */
  char          **feature_columns;  /* NULL: every other column */
  char          **column_types;     /* "NAME=numeric", "NAME=categorical", "NAME=text" */
  TlMissingPolicy missing;
  /* text */
  int             max_len;          /* 0: the longest training sequence */
  int             vocab_size;       /* ids in all, with padding and OOV; 0: no limit */
  int             min_freq;
  TlPadSide       padding;
  TlPadSide       truncating;
  TlTextFeatures  text_features;
  TlNgramSettings ngrams;           /* with TL_TEXT_NGRAMS; max_len > 0 caps ngrams.max_terms */
  /* Unlabelled documents (GStrv of tokens each) that count towards the text
   * features' vocabulary and weights besides the training rows; not stored. */
  GPtrArray      *fit_documents;
  /* images */
  int             image_width;      /* 0: the first image's */
  int             image_height;
  int             channels;         /* 1 grey, 3 RGB */
  /* audio: clip length, rate and spectrogram; label_column and path_column for a CSV of recordings */
  TlAudioSettings audio;
  TlAudioAugment  audio_augment;    /* copies of the training recordings, seeded by `seed` */
  char           *path_column;      /* NULL: "path", "file" or "filename" */
  /* IDX */
  char           *labels_path;      /* NULL: found beside the images */
  /* selection and split */
  char          **classes;          /* NULL: all */
  int             per_class;        /* 0: all */
  guint64         seed;
  double          val_fraction;
  double          test_fraction;    /* ignored with test_path */
  char           *test_path;        /* a separate test file, imported the same way */
  /* The returned dataset keeps its rows compact (tl-dataset.h), for a caller
   * that reads them through tl_dataset_gather and tl_dataset_row: IDX images
   * and image folders stay bytes (x8), and audio features become halves (x16); not stored. */
  gboolean        keep_bytes;
} TlImportSettings;

TlImportSettings *tl_import_settings_new  (void);
void              tl_import_settings_free (TlImportSettings *settings);
JsonNode         *tl_import_settings_to_json   (const TlImportSettings *settings);
TlImportSettings *tl_import_settings_from_json (JsonNode *node, GError **error);

typedef struct {
  int   line;        /* 1-based line, or the index of the sample */
  char *reason;
} TlRejectedRow;

typedef struct {
  char        *name;
  TlColumnType type;
  const char  *role;     /* "label", "feature", "text", "ignored" */
} TlColumnReport;

typedef struct {
  char        *path;
  const char  *format;          /* "csv", "idx", "images", "audio" */
  char         delimiter;
  gboolean     has_header;
  int          rows_read;
  int          rows_rejected;
  GArray      *rejected;        /* TlRejectedRow, the first TL_IMPORT_MAX_LISTED */
  int          values_imputed;
  GPtrArray   *columns;         /* TlColumnReport * (CSV only) */
  int          n_classes;
  char       **class_names;
  int         *class_counts;    /* after the class subset and N per class */
  double       imbalance;       /* largest over smallest class count */
  int          n_rows;          /* rows in the dataset */
  int          n_train;
  int          n_val;
  int          n_test;
  int          vocab_size;
  int          max_len;
  int          sample_ndim;
  int          sample_shape[3];
  double       seconds;
  TlAudioReport *audio;         /* audio only: durations and flagged recordings */
} TlImportReport;

TlImportReport *tl_import_report_new (const char *path, const char *format);
void      tl_import_report_free     (TlImportReport *report);
JsonNode *tl_import_report_to_json  (const TlImportReport *report);
/* Several lines for a terminal. */
char     *tl_import_report_to_text  (const TlImportReport *report);

typedef struct {
  TlDataset      *dataset;      /* every row kept, preprocessed */
  TlSplit        *split;        /* indices into dataset */
  TlPreprocess   *preprocess;   /* fitted on the training rows */
  TlImportReport *report;
} TlImport;

void      tl_import_free            (TlImport *import);
TlSourceFormat tl_import_guess_format (const char *path);
/* FALSE with an error when no file or folder is named (path NULL or empty):
 * a user's set-up can lack one, which is a message, never a programming error. */
gboolean tl_import_check_path       (const char *path, GError **error);

/* Reads a CSV file, an IDX file or a folder of images into a dataset with a
 * seeded stratified split; nothing is returned unless all of it worked. */
TlImport *tl_import_run             (const char *path, const TlImportSettings *settings,
                                     GError **error);
/* Called from the importing thread with the fraction done (0 to 1): by bytes
 * read for CSV, by files for image folders; at most about 20 times a second,
 * and once with 1 when the data is read. */
/* tl_import_run with progress reports (progress may be NULL). */
TlImport *tl_import_run_with_progress (const char *path, const TlImportSettings *settings,
                                       TlImportProgressFunc progress, gpointer user_data,
                                       GError **error);
/* The tokens (a GStrv each) of the rows at the given 1-based lines of a text CSV
 * file, read through pre's columns; every row when lines is NULL. */
GPtrArray *tl_import_documents      (const char *path, const TlImportSettings *settings,
                                     const TlPreprocess *pre, const int *lines, int n_lines, GError **error);
/* New data (for predictions) through an existing preprocessing; rows of
 * classes the preprocessing does not know get label -1. */
TlDataset *tl_import_apply          (const char *path, const TlImportSettings *settings,
                                     const TlPreprocess *preprocess, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlImportSettings, tl_import_settings_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlImportReport, tl_import_report_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlImport, tl_import_free)

G_END_DECLS
