#define G_LOG_DOMAIN "tl-transferability"

#include "config.h"

#include <cblas.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tl-cut-choice.h"
#include "tl-error.h"
#include "tl-logme.h"
#include "tl-loss.h"
#include "tl-rng.h"
#include "tl-transferability.h"

/* LAPACK from OpenBLAS, called directly so no LAPACKE header is needed. */
extern void dposv_ (const char *uplo, const int *n, const int *nrhs, double *a, const int *lda, double *b,
                    const int *ldb, int *info);

/* Rows beyond this are sampled (seeded): the eigen-decomposition grows with the cube of min(rows, dim). */
#define MAX_ROWS 1000
#define SAMPLE_SEED 20211

void
tl_transferability_free (TlTransferability *t)
{
  if (t == NULL)
    return;
  for (int i = 0; i < t->n_cuts; i++)
    g_free (t->cuts[i].name);
  g_free (t->cuts);
  g_free (t);
}

static gboolean
adds_nothing (TlLayerKind kind)
{
  return kind == TL_LAYER_DROPOUT || kind == TL_LAYER_FLATTEN || kind == TL_LAYER_GRADIENT_REVERSAL
         || kind == TL_LAYER_SOFTMAX;
}

int *
tl_transferability_cuts (const TlModel *model, int *n_cuts)
{
  int n = tl_model_n_layers (model);
  int *cuts = g_new (int, MAX (n, 1));
  int k = 0;

  g_return_val_if_fail (n_cuts != NULL, NULL);
  for (int i = 0; i < n - 1; i++)
    {
      int next = i + 1;

      if (adds_nothing (tl_model_layer (model, i)->spec.kind))
        continue;
      while (next < n - 1 && adds_nothing (tl_model_layer (model, next)->spec.kind))
        next++;
      /* below a layer without weights (an activation, a pool) a cut freezes the same weights as above it */
      if (tl_model_layer (model, next)->n_params > 0)
        cuts[k++] = i;
    }
  if (n > 0)
    cuts[k++] = n - 1;
  *n_cuts = k;
  return cuts;
}

TlTensor **
tl_transferability_features (TlModel *model, const TlDataset *ds, const int *cuts, int n_cuts, int batch_size)
{
  g_autoptr (TlTensor) x = tl_tensor_new_empty ();
  g_autofree int *order = NULL;
  TlTensor **features;

  g_return_val_if_fail (model != NULL && ds != NULL && cuts != NULL && batch_size > 0, NULL);
  g_return_val_if_fail (ds->sample_size == tl_shape_size (model->in_ndim, model->in_shape), NULL);

  features = g_new0 (TlTensor *, n_cuts);
  for (int c = 0; c < n_cuts; c++)
    {
      const TlLayer *layer = tl_model_layer (model, cuts[c]);
      features[c] = tl_tensor_new_2d (ds->n, (int) tl_shape_size (layer->out_ndim, layer->out_shape));
    }
  order = g_new (int, batch_size);
  for (int start = 0; start < ds->n; start += batch_size)
    {
      int n = MIN (batch_size, ds->n - start);
      const TlTensor *in;
      int from = 0;

      for (int i = 0; i < n; i++)
        order[i] = start + i;
      tl_dataset_gather (ds, order, n, x, NULL);
      in = x;
      /* each segment starts from the last cut's output, so the pass is done once */
      for (int c = 0; c < n_cuts; c++)
        {
          const TlTensor *out = tl_model_forward_range (model, in, from, cuts[c] + 1, FALSE);
          gsize dim = features[c]->shape[1];

          g_assert (out->size == (gsize) n * dim);
          memcpy (features[c]->data + (gsize) start * dim, out->data, out->size * sizeof (float));
          in = out;
          from = cuts[c] + 1;
        }
    }
  return features;
}

double
tl_leep (const float *probs, int n, int n_source, const int *labels, int n_classes)
{
  g_autofree double *joint = g_new0 (double, (gsize) n_classes * n_source);
  g_autofree double *pz = g_new0 (double, n_source);
  double total = 0;

  g_return_val_if_fail (probs != NULL && labels != NULL && n > 0, NAN);
  for (int i = 0; i < n; i++)
    for (int z = 0; z < n_source; z++)
      {
        joint[(gsize) labels[i] * n_source + z] += probs[(gsize) i * n_source + z] / n;
        pz[z] += probs[(gsize) i * n_source + z] / n;
      }
  for (int i = 0; i < n; i++)
    {
      double p = 0;
      for (int z = 0; z < n_source; z++)
        if (pz[z] > 0)
          p += joint[(gsize) labels[i] * n_source + z] / pz[z] * probs[(gsize) i * n_source + z];
      total += log (MAX (p, 1e-300));
    }
  return total / n;
}

double
tl_proxy_a_distance (const float *a, int na, const float *b, int nb, int dim, guint64 seed, GError **error)
{
  g_autofree int *order_a = g_new (int, MAX (na, 1));
  g_autofree int *order_b = g_new (int, MAX (nb, 1));
  g_autofree double *mean = g_new0 (double, dim);
  g_autofree double *scale = g_new0 (double, dim);
  g_autofree double *Xtr = NULL, *Xte = NULL, *K = NULL, *t = NULL;
  TlRng rng;
  int ha, hb, ntr, nte, errors = 0, info = 0, one = 1;
  double trace = 0, e;

  g_return_val_if_fail (a != NULL && b != NULL && dim > 0, NAN);
  if (na < 4 || nb < 4)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("the proxy A-distance needs at least 4 samples of each domain"));
      return NAN;
    }
  /* a seeded half of each domain (at most MAX_ROWS / 2 each) trains, the rest tests */
  tl_rng_init (&rng, seed);
  for (int i = 0; i < na; i++)
    order_a[i] = i;
  for (int i = 0; i < nb; i++)
    order_b[i] = i;
  tl_rng_shuffle (&rng, order_a, na);
  tl_rng_shuffle (&rng, order_b, nb);
  na = MIN (na, MAX_ROWS);
  nb = MIN (nb, MAX_ROWS);
  ha = na / 2;
  hb = nb / 2;
  ntr = ha + hb;
  nte = (na - ha) + (nb - hb);

  /* standardised by the training rows, plus a constant feature for the intercept */
  for (int i = 0; i < ntr; i++)
    {
      const float *row = i < ha ? a + (gsize) order_a[i] * dim : b + (gsize) order_b[i - ha] * dim;
      for (int d = 0; d < dim; d++)
        mean[d] += row[d];
    }
  for (int d = 0; d < dim; d++)
    mean[d] /= ntr;
  for (int i = 0; i < ntr; i++)
    {
      const float *row = i < ha ? a + (gsize) order_a[i] * dim : b + (gsize) order_b[i - ha] * dim;
      for (int d = 0; d < dim; d++)
        scale[d] += (row[d] - mean[d]) * (row[d] - mean[d]);
    }
  for (int d = 0; d < dim; d++)
    scale[d] = scale[d] > 1e-12 * ntr ? 1.0 / sqrt (scale[d] / ntr) : 0.0;

  Xtr = g_new (double, (gsize) ntr * (dim + 1));
  Xte = g_new (double, (gsize) nte * (dim + 1));
  t = g_new (double, ntr);
  for (int i = 0; i < ntr; i++)
    {
      const float *row = i < ha ? a + (gsize) order_a[i] * dim : b + (gsize) order_b[i - ha] * dim;
      for (int d = 0; d < dim; d++)
        Xtr[(gsize) i * (dim + 1) + d] = (row[d] - mean[d]) * scale[d];
      Xtr[(gsize) i * (dim + 1) + dim] = 1.0;
      t[i] = i < ha ? 1.0 : -1.0;
    }
  for (int i = 0; i < nte; i++)
    {
      int ra = na - ha;
      const float *row = i < ra ? a + (gsize) order_a[ha + i] * dim : b + (gsize) order_b[hb + i - ra] * dim;
      for (int d = 0; d < dim; d++)
        Xte[(gsize) i * (dim + 1) + d] = (row[d] - mean[d]) * scale[d];
      Xte[(gsize) i * (dim + 1) + dim] = 1.0;
    }

  /* ridge regression to +-1 in its dual form: alpha = (X X^T + lambda I)^-1 t, score = X_test X^T alpha */
  K = g_new (double, (gsize) ntr * ntr);
  cblas_dsyrk (CblasRowMajor, CblasUpper, CblasNoTrans, ntr, dim + 1, 1.0, Xtr, dim + 1, 0.0, K, ntr);
  for (int i = 0; i < ntr; i++)
    trace += K[(gsize) i * ntr + i];
  for (int i = 0; i < ntr; i++)
    K[(gsize) i * ntr + i] += 0.1 * trace / ntr + 1e-9;
  dposv_ ("L", &ntr, &one, K, &ntr, t, &ntr, &info);
  if (info != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_FAILED, _("the domain classifier could not be fitted (%d)"), info);
      return NAN;
    }
  {
    g_autofree double *w = g_new0 (double, dim + 1);
    /* w = X^T alpha, then one product per test row */
    cblas_dgemv (CblasRowMajor, CblasTrans, ntr, dim + 1, 1.0, Xtr, dim + 1, t, 1, 0.0, w, 1);
    for (int i = 0; i < nte; i++)
      {
        double score = cblas_ddot (dim + 1, Xte + (gsize) i * (dim + 1), 1, w, 1);
        gboolean is_a = i < na - ha;
        if ((score > 0) != is_a)
          errors++;
      }
  }
  e = MIN ((double) errors / nte, 0.5);
  return 2.0 * (1.0 - 2.0 * e);
}

/* A seeded sample of at most MAX_ROWS labelled rows, labels renumbered 0.. over the classes present. */
static TlDataset *
labelled_sample (const TlDataset *ds, int *n_classes, int **labels)
{
  g_autofree int *rows = g_new (int, MAX (ds->n, 1));
  g_autofree int *map = g_new (int, MAX (ds->n_classes, 1));
  TlDataset *sub;
  int n = 0, k = 0;

  for (int i = 0; i < ds->n; i++)
    if (ds->y[i] >= 0 && ds->y[i] < ds->n_classes)
      rows[n++] = i;
  if (n > MAX_ROWS)
    {
      TlRng rng;
      tl_rng_init (&rng, SAMPLE_SEED);
      tl_rng_shuffle (&rng, rows, n);
      n = MAX_ROWS;
    }
  for (int c = 0; c < ds->n_classes; c++)
    map[c] = -1;
  for (int i = 0; i < n; i++)
    if (map[ds->y[rows[i]]] < 0)
      map[ds->y[rows[i]]] = 0;
  for (int c = 0; c < ds->n_classes; c++)
    if (map[c] == 0)
      map[c] = k++;
  sub = tl_dataset_subset (ds, rows, n);
  *labels = g_new (int, MAX (n, 1));
  for (int i = 0; i < n; i++)
    (*labels)[i] = map[sub->y[i]];
  *n_classes = k;
  return sub;
}

static void
free_features (TlTensor **features, int n)
{
  for (int i = 0; features != NULL && i < n; i++)
    tl_tensor_free (features[i]);
  g_free (features);
}

/* The best and the recommended cut below the output layer (the source's head, which a transfer
 * replaces); a model whose only cut is its output gets that one. */
static void
choose_cut (TlTransferability *t)
{
  int candidates = MAX (t->n_cuts - 1, 1);
  g_autofree double *logme = g_new (double, t->n_cuts);

  for (int c = 0; c < t->n_cuts; c++)
    logme[c] = t->cuts[c].logme;
  t->best = tl_cut_choice_best (logme, candidates);
  if (t->best < 0)
    {
      t->best = t->recommended = 0;
      return;
    }
  for (int c = 0; c < t->n_cuts; c++)
    t->cuts[c].evidence_for_best = c <= t->best && !isnan (logme[c])
                                     ? tl_cut_choice_log_bayes_factor (logme[t->best], logme[c], t->n_samples,
                                                                       t->n_classes)
                                     : NAN;
  t->recommended = tl_cut_choice_recommend (logme, t->best, t->n_samples, t->n_classes);
}

TlTransferability *
tl_transferability_assess (TlModel *model, const TlDataset *target, const TlDataset *source, GError **error)
{
  g_autoptr (TlTransferability) t = g_new0 (TlTransferability, 1);
  g_autoptr (TlDataset) sample = NULL;
  g_autoptr (TlDataset) source_sample = NULL;
  g_autofree int *labels = NULL;
  g_autofree int *source_labels = NULL;
  g_autofree int *cuts = NULL;
  TlTensor **features = NULL, **source_features = NULL;
  int n_classes = 0, source_classes = 0, n_layers;
  gboolean ok = TRUE;

  g_return_val_if_fail (model != NULL && target != NULL, NULL);
  if (target->sample_size != tl_shape_size (model->in_ndim, model->in_shape)
      || (source != NULL && source->sample_size != target->sample_size))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("the samples are not of the shape the model takes"));
      return NULL;
    }
  sample = labelled_sample (target, &n_classes, &labels);
  if (sample->n < 2 || n_classes < 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("at least two labelled rows are needed"));
      return NULL;
    }
  n_layers = tl_model_n_layers (model);
  cuts = tl_transferability_cuts (model, &t->n_cuts);
  features = tl_transferability_features (model, sample, cuts, t->n_cuts, 128);
  if (source != NULL)
    {
      /* every row of the source counts, labelled or not */
      g_autoptr (TlDataset) all = tl_dataset_copy (source);
      for (int i = 0; i < all->n; i++)
        all->y[i] = 0;
      source_sample = labelled_sample (all, &source_classes, &source_labels);
      source_features = tl_transferability_features (model, source_sample, cuts, t->n_cuts, 128);
    }

  t->n_samples = sample->n;
  t->n_classes = n_classes;
  t->cuts = g_new0 (TlCutScore, t->n_cuts);
  for (int c = 0; c < t->n_cuts && ok; c++)
    {
      const TlLayer *layer = tl_model_layer (model, cuts[c]);
      TlCutScore *cut = &t->cuts[c];

      cut->layer = cuts[c];
      cut->name = g_strdup (layer->name);
      cut->out_ndim = layer->out_ndim;
      memcpy (cut->out_shape, layer->out_shape, sizeof cut->out_shape);
      cut->dim = features[c]->shape[1];
      cut->logme = tl_logme (features[c]->data, sample->n, cut->dim, labels, n_classes, error);
      cut->leep = NAN;
      cut->a_distance = NAN;
      /* a score that does not settle (far more features than rows) stays NaN, shown as such */
      ok = error == NULL || *error == NULL;
      if (ok && cuts[c] == n_layers - 1)
        {
          g_autoptr (TlTensor) probs = tl_tensor_new_2d (sample->n, cut->dim);
          if (layer->spec.kind == TL_LAYER_SOFTMAX)
            tl_tensor_copy_into (probs, features[c]);
          else
            tl_softmax_rows (features[c], probs);
          cut->leep = tl_leep (probs->data, sample->n, cut->dim, labels, n_classes);
        }
      if (ok && source_features != NULL)
        {
          cut->a_distance = tl_proxy_a_distance (source_features[c]->data, source_sample->n, features[c]->data,
                                                 sample->n, cut->dim, SAMPLE_SEED, error);
          ok = error == NULL || *error == NULL;
        }
      if (!ok)
        break;
    }
  if (ok)
    choose_cut (t);
  free_features (features, t->n_cuts);
  free_features (source_features, t->n_cuts);
  if (!ok)
    return NULL;
  return g_steal_pointer (&t);
}
