#pragma once

#include <glib.h>

#include "tl-dataset.h"

G_BEGIN_DECLS

/* Images larger than this on a side, and sizes asked for beyond it, are
 * refused before any pixel memory is allocated. */
#define TL_IMAGE_MAX_SIDE 16384
/* The most floats a whole image dataset may take. */
#define TL_IMAGE_MAX_FLOATS ((guint64) 1 << 30)

/* Loads a PNG or JPEG file scaled to width x height as `channels` (1: grey,
 * 3: RGB) planes of floats in [0, 1]: out[channels * height * width]. Each
 * value is a byte over 255; a grey one is the nearest byte to the weighted
 * sum 0.299 R + 0.587 G + 0.114 B. */
gboolean   tl_image_load         (const char *path, int width, int height, int channels,
                                  float *out, GError **error);
/* A folder with one sub-folder of images per class (sorted by name). A width
 * or height of 0 takes the size of the first image. */
TlDataset *tl_image_folder_load  (const char *folder, int width, int height, int channels,
                                  GError **error);
/* The same with the pixels kept as bytes (x8, tl-dataset.h): the rows read
 * as floats are those of tl_image_folder_load, bit for bit. With `classes`
 * (NULL: all), only those classes' images are read: every class keeps its name
 * and label, the others with no rows. progress (when not NULL) is called after
 * each image with the fraction read. */
TlDataset *tl_image_folder_load_bytes (const char *folder, int width, int height, int channels,
                                       const char *const *classes,
                                       void (*progress) (double fraction, gpointer user_data),
                                       gpointer user_data, GError **error);
gboolean   tl_is_image_file_name (const char *name);

G_END_DECLS
