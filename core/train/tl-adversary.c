#define G_LOG_DOMAIN "tl-adversary"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-adversary.h"
#include "tl-error.h"
#include "tl-loss.h"
#include "tl-optimizer.h"

struct _TlAdversaryRun {
  TlAdversary  spec;
  TlModel     *domain;        /* gradient reversal - Dense - ReLU - Dense 2 */
  TlOptimizer *opt;
  TlRng        rng;           /* which unlabelled rows join each batch */
  TlTensor    *both;          /* the labelled batch, then the unlabelled one */
  TlTensor    *unlabeled;
  TlTensor    *features;      /* the labelled rows' features */
  TlTensor    *dgrad, *fgrad;
  int         *rows, *tags;
};

float
tl_adversary_schedule (double progress)
{
  return (float) (2.0 / (1.0 + exp (-10.0 * CLAMP (progress, 0.0, 1.0))) - 1.0);
}

void
tl_adversary_run_free (TlAdversaryRun *a)
{
  if (a == NULL)
    return;
  tl_model_free (a->domain);
  tl_optimizer_free (a->opt);
  tl_tensor_free (a->both);
  tl_tensor_free (a->unlabeled);
  tl_tensor_free (a->features);
  tl_tensor_free (a->dgrad);
  tl_tensor_free (a->fgrad);
  g_free (a->rows);
  g_free (a->tags);
  g_free (a);
}

TlAdversaryRun *
tl_adversary_run_new (const TlAdversary *spec, const TlModel *model, const TlOptimizerConfig *optimizer,
                      guint64 seed, GError **error)
{
  g_autoptr (TlAdversaryRun) a = g_new0 (TlAdversaryRun, 1);
  const TlLayer *below;
  const TlLayerSpec layers[] = {
    { .kind = TL_LAYER_GRADIENT_REVERSAL, .rate = 0.0f },
    { .kind = TL_LAYER_DENSE, .units = MAX (spec->hidden, 1) },
    { .kind = TL_LAYER_RELU },
    { .kind = TL_LAYER_DENSE, .units = 2 },
  };

  if (spec->cut < 1 || spec->cut >= tl_model_n_layers (model))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "domain-adversarial training needs features between layers 1 and %d, got layer %d",
                   tl_model_n_layers (model) - 1, spec->cut);
      return NULL;
    }
  if (!tl_model_is_cut (model, spec->cut))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "domain-adversarial training needs features where the model is not branched, "
                   "but a layer above layer %d reads an output below it", spec->cut);
      return NULL;
    }
  if (spec->unlabeled == NULL || spec->unlabeled->n == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "domain-adversarial training needs unlabelled target rows");
      return NULL;
    }
  if (spec->unlabeled->sample_size != tl_shape_size (model->in_ndim, model->in_shape))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "domain-adversarial training: the unlabelled rows are not of the model's input shape");
      return NULL;
    }
  a->spec = *spec;
  below = tl_model_layer (model, spec->cut - 1);
  a->domain = tl_model_new (below->out_ndim, below->out_shape, seed ^ 0x5eedd0u);
  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    if (!tl_model_add (a->domain, &layers[i], NULL, error))
      return NULL;
  a->domain->input_gradient = TRUE;
  a->opt = tl_optimizer_new (optimizer);
  tl_rng_init (&a->rng, seed ^ 0xd0a1u);
  a->both = tl_tensor_new_empty ();
  a->unlabeled = tl_tensor_new_empty ();
  a->features = tl_tensor_new_empty ();
  a->dgrad = tl_tensor_new_empty ();
  a->fgrad = tl_tensor_new_empty ();
  return g_steal_pointer (&a);
}

/* rows [0, n) of src into dst starting at row `at` */
static void
copy_rows (TlTensor *dst, int at, const TlTensor *src, int n)
{
  const gsize row = tl_tensor_sample_size (src);
  memcpy (dst->data + (gsize) at * row, src->data, (gsize) n * row * sizeof (float));
}

float
tl_adversary_step (TlAdversaryRun *a, TlModel *model, int end, const TlTensor *x, const int *idx,
                   const int *labels, int n, float lr, double progress, const TlTensor **logits_out,
                   TlTensor *grad)
{
  const int cut = a->spec.cut;
  const TlDataset *unl = a->spec.unlabeled;
  const TlTensor *features, *logits, *dlogits;
  const TlTensor *dfeat;
  TlLayer *reversal = tl_model_layer (a->domain, 0);
  gsize row;
  float loss;

  a->rows = g_renew (int, a->rows, n);
  a->tags = g_renew (int, a->tags, 2 * n);
  for (int i = 0; i < n; i++)
    {
      a->rows[i] = (int) tl_rng_below (&a->rng, unl->n);
      a->tags[i] = a->spec.domain ? a->spec.domain[idx[i]] : 0;
      a->tags[n + i] = 1;
    }
  tl_dataset_gather (unl, a->rows, n, a->unlabeled, NULL);
  tl_tensor_resize_batch (a->both, 2 * n, x->ndim - 1, x->shape + 1);
  copy_rows (a->both, 0, x, n);
  copy_rows (a->both, n, a->unlabeled, n);

  /* features of both halves; the label head sees the labelled half */
  features = tl_model_forward_range (model, a->both, 0, cut, TRUE);
  row = tl_tensor_sample_size (features);
  tl_tensor_resize_batch (a->features, n, features->ndim - 1, features->shape + 1);
  memcpy (a->features->data, features->data, (gsize) n * row * sizeof (float));
  logits = tl_model_forward_range (model, a->features, cut, end, TRUE);
  loss = tl_cross_entropy (logits, labels, NULL, 0.0f, grad, NULL);
  *logits_out = logits;
  model->input_gradient = TRUE;
  tl_model_backward_range (model, a->features, grad, cut, end);
  model->input_gradient = FALSE;

  /* the domain loss, weighted, reversed into the features */
  reversal->spec.rate = tl_adversary_schedule (progress);
  dlogits = tl_model_forward (a->domain, features, TRUE);
  tl_cross_entropy (dlogits, a->tags, NULL, 0.0f, a->dgrad, NULL);
  for (gsize i = 0; i < a->dgrad->size; i++)
    a->dgrad->data[i] *= a->spec.weight;
  tl_model_backward (a->domain, features, a->dgrad);
  tl_optimizer_step_and_zero (a->opt, a->domain, lr);

  dfeat = g_ptr_array_index (a->domain->grads, 0);
  tl_tensor_resize (a->fgrad, dfeat->ndim, dfeat->shape);
  memcpy (a->fgrad->data, dfeat->data, dfeat->size * sizeof (float));
  if (tl_model_lowest_trainable (model) < cut)
    {
      const TlTensor *dlabel = g_ptr_array_index (model->grads, cut);
      for (gsize i = 0; i < (gsize) n * row; i++)
        a->fgrad->data[i] += dlabel->data[i];
      tl_model_backward_range (model, a->both, a->fgrad, 0, cut);
    }
  return loss;
}
