#pragma once

#include <glib.h>

#include "tl-dataset.h"

G_BEGIN_DECLS

/* Refused before allocating: arrays of more bytes than this. */
#define TL_IDX_MAX_BYTES ((guint64) 1 << 31)
/* Refused before converting: images of more pixels than this (4 GiB of floats). */
#define TL_IDX_MAX_FLOATS ((guint64) 1 << 30)

/* An IDX array of unsigned bytes (the MNIST format: two zero bytes, the type
 * 0x08, the number of dimensions, then each dimension as a big-endian
 * 32-bit integer, then the data). */
typedef struct {
  int     ndim;
  int     dims[4];
  gsize   size;
  guint8 *data;
} TlIdxArray;

/* Whether the file starts as an IDX file does (after gzip, if compressed):
 * what names alone cannot tell, "target-images.gz" from a CSV. */
gboolean           tl_idx_sniff             (const char *path);
/* Reads an IDX file, gzip-compressed or not, checking the sizes the header
 * announces against the file before allocating. */
TlIdxArray        *tl_idx_read              (const char *path, GError **error);
void               tl_idx_array_free        (TlIdxArray *array);
/* Writes atomically, compressed when `gzip` is set. */
gboolean           tl_idx_write             (const char *path, int ndim, const int *dims,
                                             const guint8 *data, gboolean gzip, GError **error);

/* The labels file beside an images file (train-images-idx3-ubyte.gz ->
 * train-labels-idx1-ubyte.gz, with or without .gz), or NULL. */
char              *tl_idx_find_labels_path  (const char *images_path);
/* Images [n, rows, cols] to a TL_DATA_IMAGE dataset [1, rows, cols] in [0, 1]
 * with its labels; labels_path NULL finds it. Fashion-MNIST's class names
 * are used when the folder's name says fashion-mnist, else "0", "1"... */
TlDataset         *tl_idx_load              (const char *images_path, const char *labels_path,
                                             GError **error);
/* The same with the pixels kept as bytes (x8, x NULL): a quarter of the memory.
 * The bytes are the file's as read, shared (tl-file-cache.h) with every other
 * dataset read from the same file while one of them lives. */
TlDataset         *tl_idx_load_bytes        (const char *images_path, const char *labels_path,
                                             GError **error);
/* Reads an IDX file (through tl-file-cache.h) and holds its data until the
 * bytes are unreferenced: tl_idx_load_bytes of the same file meanwhile shares
 * them instead of reading it again. */
GBytes            *tl_idx_hold              (const char *path, GError **error);
const char *const *tl_fashion_mnist_class_names (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlIdxArray, tl_idx_array_free)

G_END_DECLS
