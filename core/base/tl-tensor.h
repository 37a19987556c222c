#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TL_MAX_DIMS 4
#define TL_TENSOR_ALIGN 64

/* A float32 tensor of up to four dimensions in row-major order. The first
 * dimension is the batch wherever a tensor flows between layers. */
typedef struct {
  float *data;              /* TL_TENSOR_ALIGN-byte aligned */
  int    ndim;
  int    shape[TL_MAX_DIMS];
  gsize  size;              /* elements: the product of shape */
  gsize  capacity;          /* elements allocated */
} TlTensor;

TlTensor *tl_tensor_new        (int ndim, const int *shape);
TlTensor *tl_tensor_new_1d     (int a);
TlTensor *tl_tensor_new_2d     (int a, int b);
TlTensor *tl_tensor_new_3d     (int a, int b, int c);
TlTensor *tl_tensor_new_4d     (int a, int b, int c, int d);
TlTensor *tl_tensor_new_empty  (void);
TlTensor *tl_tensor_copy       (const TlTensor *src);
void      tl_tensor_free       (TlTensor *t);

/* Changes the shape. Storage is reallocated only when it must grow, so a
 * buffer sized for the largest batch is reused; contents are then undefined. */
void      tl_tensor_resize     (TlTensor *t, int ndim, const int *shape);
/* Resizes to a batch of `batch` samples of `sample_shape`. */
void      tl_tensor_resize_batch (TlTensor *t, int batch, int sample_ndim, const int *sample_shape);
void      tl_tensor_copy_into  (TlTensor *dst, const TlTensor *src);
void      tl_tensor_zero       (TlTensor *t);
void      tl_tensor_fill       (TlTensor *t, float value);
gboolean  tl_tensor_same_shape (const TlTensor *a, const TlTensor *b);
/* Elements per sample: the size divided by the first dimension. */
gsize     tl_tensor_sample_size (const TlTensor *t);
/* "[64, 1, 28, 28]" */
char     *tl_tensor_shape_string (int ndim, const int *shape);
gsize     tl_shape_size        (int ndim, const int *shape);

/* Aligned allocation shared by tensors and workspaces. */
gpointer  tl_aligned_alloc     (gsize bytes);
void      tl_aligned_free      (gpointer p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlTensor, tl_tensor_free)

G_END_DECLS
