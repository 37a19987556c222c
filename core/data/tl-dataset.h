#pragma once

#include <glib.h>

#include "tl-rng.h"
#include "tl-tensor.h"

G_BEGIN_DECLS

typedef enum {
  TL_DATA_TABULAR,   /* numeric feature vectors */
  TL_DATA_IMAGE,     /* [channels, height, width] in [0, 1] */
  TL_DATA_TEXT,      /* token ids as floats, 0 = padding */
  TL_DATA_AUDIO,     /* spectrogram features [1, bands, frames] (tl-audio-features.h) */
} TlDataKind;

/* Samples in memory, ready for training: x holds n rows of sample_size floats,
 * y the class of each row. Rows may instead be held compact, with x NULL, from
 * the import to the batches: images read as bytes (IDX) in x8, a quarter of the
 * size, and audio features as half-precision floats in x16, half the size.
 * Read such rows through tl_dataset_gather (a batch) or tl_dataset_row (one
 * row), which turn each byte b into b * (1.0f / 255.0f) and each half into its
 * exact value, never through x directly. */
typedef struct {
  TlDataKind kind;
  int        n;
  int        sample_ndim;
  int        sample_shape[TL_MAX_DIMS - 1];
  gsize      sample_size;
  float     *x;                /* n * sample_size, owned */
  int       *y;                /* n, owned; 0 .. n_classes-1 */
  int        n_classes;
  char     **class_names;      /* n_classes, owned (NULL-terminated strv) */
  /* Where each row came from, for error messages and "the samples behind
   * this cell": the 1-based line in a CSV, the index in an IDX file, the
   * image path. May be NULL. */
  int       *source_index;     /* n */
  char     **source_text;      /* n: a text snippet or an image path; NULL-terminated strv or NULL */
  guint8    *x8;               /* n * sample_size, instead of x; NULL when x holds the rows */
  GBytes    *x8_owner;         /* holds x8 when x8 is shared (a file read once, tl-idx-cache.h);
                                * NULL: x8 is owned */
  guint16   *x16;              /* n * sample_size halves (tl-half.h), instead of x; owned */
} TlDataset;

TlDataset *tl_dataset_new          (TlDataKind kind, int n, int sample_ndim, const int *sample_shape,
                                    int n_classes, const char *const *class_names);
/* The floats that bytes stand for, b / 255, as every reader of x8 widens them. */
void       tl_bytes_to_floats      (const guint8 *in, float *out, gsize n);
/* The same with the rows as bytes: `bytes` (n * sample_size) is taken, x stays NULL. */
TlDataset *tl_dataset_new_bytes    (TlDataKind kind, int n, int sample_ndim, const int *sample_shape,
                                    int n_classes, const char *const *class_names, guint8 *bytes);
/* The same with rows shared: x8 points at `bytes` (n * sample_size from `offset`), which is kept. */
TlDataset *tl_dataset_new_shared_bytes (TlDataKind kind, int n, int sample_ndim, const int *sample_shape,
                                        int n_classes, const char *const *class_names, GBytes *bytes,
                                        gsize offset);
void       tl_dataset_free         (TlDataset *ds);
/* Holds ds's float rows as halves from now on, each rounded to the nearest
 * half (a relative error of at most 2^-11). For standardised audio features,
 * whose own noise is far larger; a dataset already compact is left as it is. */
void       tl_dataset_hold_as_halves (TlDataset *ds);
TlDataset *tl_dataset_copy         (const TlDataset *ds);
/* A new dataset with the rows `indices[0..n)` (in that order), held as ds holds them. */
TlDataset *tl_dataset_subset       (const TlDataset *ds, const int *indices, int n);
/* The same, with the rows as floats whichever way ds holds them. */
TlDataset *tl_dataset_subset_floats (const TlDataset *ds, const int *indices, int n);
/* The rows of a, then those of b (same sample shape); bytes when both are
 * bytes, halves when both are halves, else floats; classes and names are a's. */
TlDataset *tl_dataset_concat       (const TlDataset *a, const TlDataset *b);
/* Counts per class into counts[0..n_classes). */
void       tl_dataset_class_counts (const TlDataset *ds, int *counts);
/* Copies rows indices[0..n) into a batch tensor [n, sample_shape...] and their labels. */
/* Row `row` as floats: a pointer into x, or `buf` (sample_size floats) filled
 * from the compact row. */
const float *tl_dataset_row        (const TlDataset *ds, int row, float *buf);
void       tl_dataset_gather       (const TlDataset *ds, const int *indices, int n, TlTensor *x, int *y);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlDataset, tl_dataset_free)

G_END_DECLS
