#pragma once

#include <glib.h>

#include "tl-dataset.h"

G_BEGIN_DECLS

/* The splits of a prepared data source as one safetensors file, for the torch
 * engine: "<split>.x" float32 [n, sample shape...] and "<split>.y" float32 [n]
 * (class indices) for each split with rows, and in "__metadata__" the class
 * names ("classes", JSON) and the data kind ("kind"). Written atomically. */
gboolean   tl_torch_tensors_write_splits (const char *path, const char *const *split_names,
                                          const TlDataset *const *splits, int n_splits, GError **error);

/* One split back as a dataset (the classes from the metadata). NULL with an
 * error naming the file when it is unreadable, NULL without one when the file
 * does not hold that split. */
TlDataset *tl_torch_tensors_read_split   (const char *path, const char *split, GError **error);

/* A float32 tensor of any safetensors file: its values (g_free) and shape. */
float     *tl_torch_tensors_read         (const char *path, const char *name, int *ndim, gint64 *shape,
                                          int max_ndim, GError **error);

G_END_DECLS
