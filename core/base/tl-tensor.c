#define G_LOG_DOMAIN "tl-tensor"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tl-tensor.h"

gpointer
tl_aligned_alloc (gsize bytes)
{
  void *p = NULL;
  gsize rounded = (bytes + TL_TENSOR_ALIGN - 1) / TL_TENSOR_ALIGN * TL_TENSOR_ALIGN;

  if (rounded == 0)
    rounded = TL_TENSOR_ALIGN;
  if (posix_memalign (&p, TL_TENSOR_ALIGN, rounded) != 0)
    g_error ("out of memory allocating %" G_GSIZE_FORMAT " bytes", bytes);
  return p;
}

void
tl_aligned_free (gpointer p)
{
  free (p);
}

gsize
tl_shape_size (int ndim, const int *shape)
{
  gsize n = 1;
  for (int i = 0; i < ndim; i++)
    n *= (gsize) shape[i];
  return n;
}

TlTensor *
tl_tensor_new_empty (void)
{
  return g_new0 (TlTensor, 1);
}

TlTensor *
tl_tensor_new (int ndim, const int *shape)
{
  TlTensor *t = tl_tensor_new_empty ();
  tl_tensor_resize (t, ndim, shape);
  tl_tensor_zero (t);
  return t;
}

TlTensor *
tl_tensor_new_1d (int a)
{
  int s[] = { a };
  return tl_tensor_new (1, s);
}

TlTensor *
tl_tensor_new_2d (int a, int b)
{
  int s[] = { a, b };
  return tl_tensor_new (2, s);
}

TlTensor *
tl_tensor_new_3d (int a, int b, int c)
{
  int s[] = { a, b, c };
  return tl_tensor_new (3, s);
}

TlTensor *
tl_tensor_new_4d (int a, int b, int c, int d)
{
  int s[] = { a, b, c, d };
  return tl_tensor_new (4, s);
}

TlTensor *
tl_tensor_copy (const TlTensor *src)
{
  TlTensor *t;

  g_return_val_if_fail (src != NULL, NULL);
  t = tl_tensor_new_empty ();
  tl_tensor_copy_into (t, src);
  return t;
}

void
tl_tensor_free (TlTensor *t)
{
  if (t == NULL)
    return;
  tl_aligned_free (t->data);
  g_free (t);
}

void
tl_tensor_resize (TlTensor *t, int ndim, const int *shape)
{
  gsize size;

  g_return_if_fail (t != NULL);
  g_return_if_fail (ndim >= 0 && ndim <= TL_MAX_DIMS);

  size = tl_shape_size (ndim, shape);
  if (size > t->capacity || t->data == NULL)
    {
      tl_aligned_free (t->data);
      t->data = tl_aligned_alloc (MAX (size, 1) * sizeof (float));
      t->capacity = MAX (size, 1);
    }
  t->ndim = ndim;
  for (int i = 0; i < TL_MAX_DIMS; i++)
    t->shape[i] = i < ndim ? shape[i] : 0;
  t->size = size;
}

void
tl_tensor_resize_batch (TlTensor *t, int batch, int sample_ndim, const int *sample_shape)
{
  int shape[TL_MAX_DIMS];

  g_return_if_fail (sample_ndim < TL_MAX_DIMS);
  shape[0] = batch;
  for (int i = 0; i < sample_ndim; i++)
    shape[i + 1] = sample_shape[i];
  tl_tensor_resize (t, sample_ndim + 1, shape);
}

void
tl_tensor_copy_into (TlTensor *dst, const TlTensor *src)
{
  g_return_if_fail (dst != NULL && src != NULL);
  tl_tensor_resize (dst, src->ndim, src->shape);
  if (src->size > 0)
    memcpy (dst->data, src->data, src->size * sizeof (float));
}

void
tl_tensor_zero (TlTensor *t)
{
  g_return_if_fail (t != NULL);
  if (t->size > 0)
    memset (t->data, 0, t->size * sizeof (float));
}

void
tl_tensor_fill (TlTensor *t, float value)
{
  g_return_if_fail (t != NULL);
  for (gsize i = 0; i < t->size; i++)
    t->data[i] = value;
}

gboolean
tl_tensor_same_shape (const TlTensor *a, const TlTensor *b)
{
  if (a->ndim != b->ndim)
    return FALSE;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i])
      return FALSE;
  return TRUE;
}

gsize
tl_tensor_sample_size (const TlTensor *t)
{
  if (t->ndim == 0 || t->shape[0] == 0)
    return 0;
  return t->size / (gsize) t->shape[0];
}

char *
tl_tensor_shape_string (int ndim, const int *shape)
{
  GString *s = g_string_new ("[");
  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, i ? ", %d" : "%d", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}
