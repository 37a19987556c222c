#define G_LOG_DOMAIN "tl-domain-map"

#include "config.h"

#include <cblas.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tl-domain-map.h"
#include "tl-error.h"
#include "tl-rng.h"
#include "tl-transferability.h"

/* LAPACK from OpenBLAS, as in tl-transferability.c. */
extern void dsyevd_ (const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                     double *work, const int *lwork, int *iwork, const int *liwork, int *info);

#define BATCH 64

void
tl_domain_map_free (TlDomainMap *map)
{
  if (map == NULL)
    return;
  g_free (map->xy);
  g_free (map->label);
  g_strfreev (map->class_names);
  g_free (map->layer_name);
  g_free (map);
}

/* Eigenvalues (ascending) and eigenvectors (columns) of the symmetric a [m, m], in place. */
static gboolean
symmetric_eigen (double *a, int m, double *w, GError **error)
{
  int lwork = -1, liwork = -1, info = 0, iwork_size = 0;
  double work_size = 0;
  g_autofree double *work = NULL;
  g_autofree int *iwork = NULL;

  dsyevd_ ("V", "U", &m, a, &m, w, &work_size, &lwork, &iwork_size, &liwork, &info);
  lwork = (int) work_size;
  liwork = iwork_size;
  work = g_new (double, MAX (lwork, 1));
  iwork = g_new (int, MAX (liwork, 1));
  dsyevd_ ("V", "U", &m, a, &m, w, work, &lwork, iwork, &liwork, &info);
  if (info != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_FAILED, _("the principal components did not converge (LAPACK %d)"),
                   info);
      return FALSE;
    }
  return TRUE;
}

gboolean
tl_pca_2d (const float *x, int n, int dim, float *xy, double explained[2], GError **error)
{
  g_autofree double *c = NULL;      /* centred rows [n, dim] */
  g_autofree double *mean = g_new0 (double, MAX (dim, 1));
  g_autofree double *m = NULL, *w = NULL;
  g_autofree double *v = g_new0 (double, (gsize) 2 * MAX (dim, 1));   /* the two loadings [2, dim] */
  double total = 0, lambda[2] = { 0, 0 };
  gboolean dual = n < dim;          /* the Gram matrix is the smaller one */
  int k = dual ? n : dim;

  g_return_val_if_fail (x != NULL && xy != NULL, FALSE);
  if (n < 2 || dim < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("a map of principal components needs at least 2 samples, got %d"), n);
      return FALSE;
    }
  c = g_new (double, (gsize) n * dim);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      {
        if (!isfinite (x[(gsize) i * dim + j]))
          {
            g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                         _("sample %d has a feature that is not a finite number"), i);
            return FALSE;
          }
        mean[j] += x[(gsize) i * dim + j];
      }
  for (int j = 0; j < dim; j++)
    mean[j] /= n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      {
        double d = x[(gsize) i * dim + j] - mean[j];
        c[(gsize) i * dim + j] = d;
        total += d * d;
      }

  m = g_new0 (double, (gsize) k * k);
  w = g_new (double, k);
  /* upper triangle, column-major; row-major c is c^T [dim, n] to BLAS */
  if (dual)
    cblas_dsyrk (CblasColMajor, CblasUpper, CblasTrans, n, dim, 1.0, c, dim, 0.0, m, k);
  else
    cblas_dsyrk (CblasColMajor, CblasUpper, CblasNoTrans, dim, n, 1.0, c, dim, 0.0, m, k);
  if (!symmetric_eigen (m, k, w, error))
    return FALSE;

  for (int p = 0; p < 2 && p < k; p++)
    {
      const double *e = m + (gsize) (k - 1 - p) * k;   /* the p-th largest */
      double norm = 0, big = 0;

      lambda[p] = MAX (w[k - 1 - p], 0.0);
      if (lambda[p] <= 1e-12 * MAX (total, 1e-300))
        {
          lambda[p] = 0;
          continue;
        }
      if (dual)
        /* v = C^T u / |C^T u| */
        for (int i = 0; i < n; i++)
          for (int j = 0; j < dim; j++)
            v[(gsize) p * dim + j] += c[(gsize) i * dim + j] * e[i];
      else
        for (int j = 0; j < dim; j++)
          v[(gsize) p * dim + j] = e[j];
      for (int j = 0; j < dim; j++)
        norm += v[(gsize) p * dim + j] * v[(gsize) p * dim + j];
      norm = sqrt (norm);
      for (int j = 0; j < dim; j++)
        {
          v[(gsize) p * dim + j] /= norm;
          if (fabs (v[(gsize) p * dim + j]) > fabs (big) + 1e-12)
            big = v[(gsize) p * dim + j];
        }
      if (big < 0)
        for (int j = 0; j < dim; j++)
          v[(gsize) p * dim + j] = -v[(gsize) p * dim + j];
    }
  for (int i = 0; i < n; i++)
    for (int p = 0; p < 2; p++)
      {
        double s = 0;
        for (int j = 0; j < dim; j++)
          s += c[(gsize) i * dim + j] * v[(gsize) p * dim + j];
        xy[(gsize) i * 2 + p] = (float) s;
      }
  if (explained != NULL)
    for (int p = 0; p < 2; p++)
      explained[p] = total > 0 ? lambda[p] / total : 0;
  return TRUE;
}

int
tl_domain_map_default_layer (const TlModel *model)
{
  int n = tl_model_n_layers (model);

  for (int i = n - 1; i > 0; i--)
    if (tl_model_layer (model, i)->n_params > 0)
      {
        int below = i - 1;
        /* past layers that pass their input on: name the layer that made the features */
        while (below > 0)
          {
            TlLayerKind kind = tl_model_layer (model, below)->spec.kind;
            if (kind != TL_LAYER_DROPOUT && kind != TL_LAYER_FLATTEN && kind != TL_LAYER_GRADIENT_REVERSAL)
              break;
            below--;
          }
        return below;
      }
  return n - 1;
}

/* At most max_rows seeded rows of ds. */
static TlDataset *
sample_rows (const TlDataset *ds, int max_rows, guint64 seed)
{
  g_autofree int *rows = g_new (int, MAX (ds->n, 1));
  TlRng rng;

  for (int i = 0; i < ds->n; i++)
    rows[i] = i;
  if (ds->n > max_rows)
    {
      tl_rng_init (&rng, seed);
      tl_rng_shuffle (&rng, rows, ds->n);
    }
  return tl_dataset_subset (ds, rows, MIN (ds->n, max_rows));
}

static int
class_of (GPtrArray *names, const TlDataset *ds, int y)
{
  const char *name;

  if (y < 0 || y >= ds->n_classes)
    return -1;
  name = ds->class_names != NULL && ds->class_names[y] != NULL ? ds->class_names[y] : NULL;
  if (name == NULL)
    return y;
  for (guint k = 0; k < names->len; k++)
    if (g_strcmp0 (g_ptr_array_index (names, k), name) == 0)
      return (int) k;
  g_ptr_array_add (names, g_strdup (name));
  return (int) names->len - 1;
}

TlDomainMap *
tl_domain_map_compute (TlModel *model, int layer, const TlDataset *source, const TlDataset *target, int max_rows,
                       guint64 seed, GError **error)
{
  g_autoptr (TlDomainMap) map = g_new0 (TlDomainMap, 1);
  g_autoptr (TlDataset) s = NULL;
  g_autoptr (TlDataset) t = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree float *all = NULL;
  TlTensor **fs, **ft;
  gsize in_size;
  int dim;

  g_return_val_if_fail (model != NULL && source != NULL && target != NULL && max_rows > 0, NULL);
  if (layer < 0 || layer >= tl_model_n_layers (model))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("layer %d: the model has layers 0 to %d"), layer,
                   tl_model_n_layers (model) - 1);
      return NULL;
    }
  in_size = tl_shape_size (model->in_ndim, model->in_shape);
  if (source->sample_size != in_size || target->sample_size != in_size)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("the samples do not have the model's input size %zu (source %zu, target %zu)"), in_size,
                   source->sample_size, target->sample_size);
      return NULL;
    }
  s = sample_rows (source, max_rows, seed);
  t = sample_rows (target, max_rows, seed + 1);
  if (s->n < 4 || t->n < 4)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("a domain map needs at least 4 samples of each domain (source %d, target %d)"), s->n, t->n);
      return NULL;
    }
  fs = tl_transferability_features (model, s, &layer, 1, BATCH);
  ft = tl_transferability_features (model, t, &layer, 1, BATCH);
  dim = (int) fs[0]->shape[1];
  map->n_source = s->n;
  map->n = s->n + t->n;
  all = g_new (float, (gsize) map->n * dim);
  memcpy (all, fs[0]->data, (gsize) s->n * dim * sizeof (float));
  memcpy (all + (gsize) s->n * dim, ft[0]->data, (gsize) t->n * dim * sizeof (float));
  map->a_distance = tl_proxy_a_distance (fs[0]->data, s->n, ft[0]->data, t->n, dim, seed, error);
  tl_tensor_free (fs[0]);
  tl_tensor_free (ft[0]);
  g_free (fs);
  g_free (ft);
  if (isnan (map->a_distance))
    return NULL;

  map->xy = g_new (float, (gsize) map->n * 2);
  if (!tl_pca_2d (all, map->n, dim, map->xy, map->explained, error))
    return NULL;
  /* the source's classes first, then the target's own, in their order */
  for (int k = 0; k < source->n_classes; k++)
    class_of (names, source, k);
  for (int k = 0; k < target->n_classes; k++)
    class_of (names, target, k);
  map->label = g_new (int, map->n);
  for (int i = 0; i < s->n; i++)
    map->label[i] = class_of (names, s, s->y[i]);
  for (int i = 0; i < t->n; i++)
    map->label[s->n + i] = class_of (names, t, t->y[i]);
  map->n_classes = MAX ((int) names->len, MAX (source->n_classes, target->n_classes));
  while ((int) names->len < map->n_classes)
    g_ptr_array_add (names, g_strdup_printf ("%u", names->len));
  g_ptr_array_add (names, NULL);
  map->class_names = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  map->layer = layer;
  map->layer_name = g_strdup (tl_model_layer (model, layer)->name);
  return g_steal_pointer (&map);
}
