#define G_LOG_DOMAIN "tl-dataset"

#include "config.h"

#include <string.h>

#include "tl-dataset.h"
#include "tl-half.h"
#include "tl-parallel.h"

static TlDataset *
dataset_new_empty (TlDataKind kind, int n, int sample_ndim, const int *sample_shape,
                   int n_classes, const char *const *class_names)
{
  TlDataset *ds;

  g_return_val_if_fail (n >= 0, NULL);
  g_return_val_if_fail (sample_ndim >= 1 && sample_ndim <= TL_MAX_DIMS - 1, NULL);
  g_return_val_if_fail (sample_shape != NULL, NULL);
  g_return_val_if_fail (n_classes >= 0, NULL);

  ds = g_new0 (TlDataset, 1);
  ds->kind = kind;
  ds->n = n;
  ds->sample_ndim = sample_ndim;
  memcpy (ds->sample_shape, sample_shape, sizeof (int) * sample_ndim);
  ds->sample_size = tl_shape_size (sample_ndim, sample_shape);
  ds->y = g_new0 (int, MAX (n, 1));
  ds->n_classes = n_classes;
  ds->class_names = g_new0 (char *, n_classes + 1);
  for (int c = 0; c < n_classes; c++)
    ds->class_names[c] = g_strdup (class_names != NULL && class_names[c] != NULL
                                   ? class_names[c] : NULL);
  for (int c = 0; c < n_classes; c++)
    if (ds->class_names[c] == NULL)
      ds->class_names[c] = g_strdup_printf ("%d", c);
  return ds;
}

TlDataset *
tl_dataset_new (TlDataKind kind, int n, int sample_ndim, const int *sample_shape,
                int n_classes, const char *const *class_names)
{
  TlDataset *ds = dataset_new_empty (kind, n, sample_ndim, sample_shape, n_classes, class_names);

  if (ds != NULL)
    ds->x = g_new0 (float, MAX ((gsize) n * ds->sample_size, 1));
  return ds;
}

TlDataset *
tl_dataset_new_bytes (TlDataKind kind, int n, int sample_ndim, const int *sample_shape,
                      int n_classes, const char *const *class_names, guint8 *bytes)
{
  TlDataset *ds;

  g_return_val_if_fail (bytes != NULL, NULL);

  ds = dataset_new_empty (kind, n, sample_ndim, sample_shape, n_classes, class_names);
  if (ds != NULL)
    ds->x8 = bytes;
  return ds;
}

TlDataset *
tl_dataset_new_shared_bytes (TlDataKind kind, int n, int sample_ndim, const int *sample_shape,
                             int n_classes, const char *const *class_names, GBytes *bytes, gsize offset)
{
  TlDataset *ds;
  gsize size;

  g_return_val_if_fail (bytes != NULL, NULL);

  ds = dataset_new_empty (kind, n, sample_ndim, sample_shape, n_classes, class_names);
  if (ds == NULL)
    return NULL;
  size = g_bytes_get_size (bytes);
  g_return_val_if_fail (offset <= size && (gsize) n * ds->sample_size <= size - offset, ds);
  ds->x8_owner = g_bytes_ref (bytes);
  ds->x8 = (guint8 *) g_bytes_get_data (bytes, NULL) + offset;
  return ds;
}

TL_VECTORIZED void
tl_bytes_to_floats (const guint8 *in, float *out, gsize n)
{
  for (gsize i = 0; i < n; i++)
    out[i] = in[i] * (1.0f / 255.0f);
}

/* Rows [row, row + count) of ds as floats into out, whichever way ds holds them. */
static void
rows_as_floats (const TlDataset *ds, gsize row, gsize count, float *out)
{
  const gsize first = row * ds->sample_size, n = count * ds->sample_size;

  if (ds->x8 != NULL)
    tl_bytes_to_floats (ds->x8 + first, out, n);
  else if (ds->x16 != NULL)
    tl_halves_to_floats (ds->x16 + first, out, n);
  else
    memcpy (out, ds->x + first, n * sizeof (float));
}

void
tl_dataset_free (TlDataset *ds)
{
  if (ds == NULL)
    return;
  g_free (ds->x);
  g_free (ds->x16);
  if (ds->x8_owner != NULL)
    g_bytes_unref (ds->x8_owner);
  else
    g_free (ds->x8);
  g_free (ds->y);
  g_strfreev (ds->class_names);
  g_free (ds->source_index);
  g_strfreev (ds->source_text);
  g_free (ds);
}

void
tl_dataset_hold_as_halves (TlDataset *ds)
{
  gsize n;

  g_return_if_fail (ds != NULL);
  if (ds->x == NULL)
    return;
  n = (gsize) ds->n * ds->sample_size;
  ds->x16 = g_new (guint16, MAX (n, 1));
  tl_halves_from_floats (ds->x, ds->x16, n);
  g_clear_pointer (&ds->x, g_free);
}

TlDataset *
tl_dataset_copy (const TlDataset *ds)
{
  g_autofree int *all = NULL;

  g_return_val_if_fail (ds != NULL, NULL);

  all = g_new (int, MAX (ds->n, 1));
  for (int i = 0; i < ds->n; i++)
    all[i] = i;
  return tl_dataset_subset (ds, all, ds->n);
}

static TlDataset *
subset (const TlDataset *ds, const int *indices, int n, gboolean floats)
{
  const gsize size = ds->sample_size;
  TlDataset *out;

  g_return_val_if_fail (ds != NULL, NULL);
  g_return_val_if_fail (n == 0 || indices != NULL, NULL);

  if (ds->x8 != NULL && !floats)
    out = tl_dataset_new_bytes (ds->kind, n, ds->sample_ndim, ds->sample_shape, ds->n_classes,
                                (const char *const *) ds->class_names, g_new0 (guint8, MAX ((gsize) n * size, 1)));
  else if (ds->x16 != NULL && !floats)
    {
      out = dataset_new_empty (ds->kind, n, ds->sample_ndim, ds->sample_shape, ds->n_classes,
                               (const char *const *) ds->class_names);
      out->x16 = g_new0 (guint16, MAX ((gsize) n * size, 1));
    }
  else
    out = tl_dataset_new (ds->kind, n, ds->sample_ndim, ds->sample_shape,
                          ds->n_classes, (const char *const *) ds->class_names);
  if (ds->source_index != NULL)
    out->source_index = g_new0 (int, MAX (n, 1));
  if (ds->source_text != NULL)
    out->source_text = g_new0 (char *, n + 1);

  for (int i = 0; i < n; i++)
    {
      int r = indices[i];

      g_return_val_if_fail (r >= 0 && r < ds->n, out);
      if (out->x8 != NULL)
        memcpy (out->x8 + (gsize) i * size, ds->x8 + (gsize) r * size, size);
      else if (out->x16 != NULL)
        memcpy (out->x16 + (gsize) i * size, ds->x16 + (gsize) r * size, size * sizeof (guint16));
      else
        rows_as_floats (ds, r, 1, out->x + (gsize) i * size);
      out->y[i] = ds->y[r];
      if (out->source_index != NULL)
        out->source_index[i] = ds->source_index[r];
      if (out->source_text != NULL)
        out->source_text[i] = g_strdup (ds->source_text[r] != NULL ? ds->source_text[r] : "");
    }
  return out;
}

TlDataset *
tl_dataset_subset (const TlDataset *ds, const int *indices, int n)
{
  return subset (ds, indices, n, FALSE);
}

TlDataset *
tl_dataset_subset_floats (const TlDataset *ds, const int *indices, int n)
{
  return subset (ds, indices, n, TRUE);
}

TlDataset *
tl_dataset_concat (const TlDataset *a, const TlDataset *b)
{
  TlDataset *out;

  g_return_val_if_fail (a != NULL && b != NULL, NULL);
  g_return_val_if_fail (a->sample_size == b->sample_size, NULL);

  if (a->x8 != NULL && b->x8 != NULL)
    {
      gsize na = (gsize) a->n * a->sample_size, nb = (gsize) b->n * b->sample_size;
      guint8 *bytes = g_new (guint8, MAX (na + nb, 1));

      memcpy (bytes, a->x8, na);
      memcpy (bytes + na, b->x8, nb);
      out = tl_dataset_new_bytes (a->kind, a->n + b->n, a->sample_ndim, a->sample_shape,
                                  a->n_classes, (const char *const *) a->class_names, bytes);
    }
  else if (a->x16 != NULL && b->x16 != NULL)
    {
      gsize na = (gsize) a->n * a->sample_size, nb = (gsize) b->n * b->sample_size;

      out = dataset_new_empty (a->kind, a->n + b->n, a->sample_ndim, a->sample_shape, a->n_classes,
                               (const char *const *) a->class_names);
      out->x16 = g_new (guint16, MAX (na + nb, 1));
      memcpy (out->x16, a->x16, na * sizeof (guint16));
      memcpy (out->x16 + na, b->x16, nb * sizeof (guint16));
    }
  else
    {
      out = tl_dataset_new (a->kind, a->n + b->n, a->sample_ndim, a->sample_shape,
                            a->n_classes, (const char *const *) a->class_names);
      rows_as_floats (a, 0, a->n, out->x);
      rows_as_floats (b, 0, b->n, out->x + (gsize) a->n * a->sample_size);
    }
  memcpy (out->y, a->y, sizeof (int) * a->n);
  memcpy (out->y + a->n, b->y, sizeof (int) * b->n);
  if (a->source_text != NULL && b->source_text != NULL)
    {
      out->source_text = g_new0 (char *, out->n + 1);
      for (int i = 0; i < out->n; i++)
        out->source_text[i] = g_strdup (i < a->n ? a->source_text[i] : b->source_text[i - a->n]);
    }
  return out;
}

void
tl_dataset_class_counts (const TlDataset *ds, int *counts)
{
  g_return_if_fail (ds != NULL);
  g_return_if_fail (counts != NULL);

  memset (counts, 0, sizeof (int) * ds->n_classes);
  for (int i = 0; i < ds->n; i++)
    if (ds->y[i] >= 0 && ds->y[i] < ds->n_classes)
      counts[ds->y[i]]++;
}

const float *
tl_dataset_row (const TlDataset *ds, int row, float *buf)
{
  g_return_val_if_fail (ds != NULL, NULL);
  g_return_val_if_fail (row >= 0 && row < ds->n, NULL);

  if (ds->x != NULL)
    return ds->x + (gsize) row * ds->sample_size;
  g_return_val_if_fail (buf != NULL, NULL);
  rows_as_floats (ds, row, 1, buf);
  return buf;
}

typedef struct {
  const TlDataset *ds;
  const int *indices;
  float *x;
} Gather;

static void
gather_rows (gpointer data, gsize start, gsize end)
{
  const Gather *g = data;
  const gsize size = g->ds->sample_size;

  for (gsize i = start; i < end; i++)
    rows_as_floats (g->ds, g->indices[i], 1, g->x + i * size);
}

/* Rows of this many bytes or more are copied by all threads: the rows come
 * from all over the data set and most of the time goes in cache misses. */
#define PARALLEL_GATHER_BYTES (64 * 1024)

void
tl_dataset_gather (const TlDataset *ds, const int *indices, int n, TlTensor *x, int *y)
{
  Gather g = { ds, indices, NULL };
  gsize min_rows;

  g_return_if_fail (ds != NULL);
  g_return_if_fail (x != NULL);
  g_return_if_fail (n == 0 || indices != NULL);
  for (int i = 0; i < n; i++)
    g_return_if_fail (indices[i] >= 0 && indices[i] < ds->n);

  tl_tensor_resize_batch (x, n, ds->sample_ndim, ds->sample_shape);
  g.x = x->data;
  min_rows = PARALLEL_GATHER_BYTES / MAX (ds->sample_size * sizeof (float), 1) + 1;
  tl_parallel_for ((gsize) n, tl_parallel_grain ((gsize) n, min_rows), gather_rows, &g);
  if (y != NULL)
    for (int i = 0; i < n; i++)
      y[i] = ds->y[indices[i]];
}
