#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-audio-features.h"
#include "tl-dataset.h"

G_BEGIN_DECLS

/* The most floats a whole audio dataset's features may take. */
#define TL_AUDIO_MAX_FLOATS ((guint64) 1 << 30)
/* Bins of the duration histogram. */
#define TL_AUDIO_HISTOGRAM_BINS 8
/* A file this many times longer than the median is flagged. */
#define TL_AUDIO_LONG_FACTOR 3.0

/* What an audio import found in the files, beside the class counts. */
typedef struct {
  int        n_files;
  double     min_seconds;
  double     median_seconds;
  double     max_seconds;
  int        histogram[TL_AUDIO_HISTOGRAM_BINS];  /* equal bins from min to max */
  int        n_resampled;    /* files stored at another rate */
  int        n_cropped;      /* longer than the clip length */
  int        n_padded;       /* shorter */
  int        n_augmented;    /* augmented copies of training recordings added */
  GPtrArray *silent;         /* paths (char *) */
  GPtrArray *clipped;
  GPtrArray *long_files;     /* over TL_AUDIO_LONG_FACTOR times the median */
} TlAudioReport;

TlAudioReport *tl_audio_report_new     (void);
void           tl_audio_report_free    (TlAudioReport *report);
JsonNode      *tl_audio_report_to_json (const TlAudioReport *report);
/* Lines for a terminal, each ending in a newline. */
void           tl_audio_report_append_text (const TlAudioReport *report, GString *out);

/* TRUE when `folder` holds audio files in class sub-folders, directly or one level down. */
gboolean   tl_audio_folder_detect (const char *folder);

/* Features of the given files, [1, bands, frames] each (see TlAudioSettings),
 * labelled labels[i] among class_names; per-utterance normalisation applied,
 * dataset normalisation left to tl_audio_dataset_normalize. Files are read on
 * the thread pool; the first failing file (in order) is the error. progress
 * (may be NULL) is called on the calling thread with the fraction done. */
TlDataset *tl_audio_files_load   (const char *const *paths, const int *labels, int n,
                                  const char *const *class_names, const TlAudioSettings *s,
                                  void (*progress) (double fraction, gpointer user_data), gpointer user_data,
                                  TlAudioReport **report, GError **error);
/* A folder with one sub-folder of audio files per class (sorted by name), or
 * with one sub-folder per group (speaker, voice) holding one per class: the
 * classes are then the union of the inner names, the groups pooled. */
TlDataset *tl_audio_folder_load  (const char *folder, const TlAudioSettings *s,
                                  void (*progress) (double fraction, gpointer user_data), gpointer user_data,
                                  TlAudioReport **report, GError **error);
/* A CSV file with a column of paths (relative to the CSV's folder, or absolute)
 * and a label column; NULL columns: "path" (or "file", "filename") and
 * "label" (or "class"). Classes are sorted by name. */
TlDataset *tl_audio_csv_load     (const char *csv, const char *path_column, const char *label_column,
                                  const TlAudioSettings *s,
                                  void (*progress) (double fraction, gpointer user_data), gpointer user_data,
                                  TlAudioReport **report, GError **error);

/* Per-band mean and standard deviation over the rows rows[0..n) of an audio
 * dataset ([1, bands, frames]); mean and std hold `bands` values. */
void       tl_audio_dataset_fit_norm  (const TlDataset *ds, const int *rows, int n, double *mean, double *std);
void       tl_audio_dataset_normalize (TlDataset *ds, const double *mean, const double *std);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlAudioReport, tl_audio_report_free)

G_END_DECLS
