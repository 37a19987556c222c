#define G_LOG_DOMAIN "tl-trainer"

#include "config.h"

#include <string.h>

#include "tl-trainer-private.h"

/* Fills run->x and run->labels with the samples idx[0..n) of ds, from the cache when there is one. */
void
tl_train_load_batch (TlTrainRun *run, const TlDataset *ds, const float *feat, const int *idx, int n)
{
  if (feat == NULL)
    tl_dataset_gather (ds, idx, n, run->x, run->labels);
  else
    {
      tl_tensor_resize_batch (run->x, n, run->feat_ndim, run->feat_shape);
      for (int i = 0; i < n; i++)
        {
          memcpy (run->x->data + (gsize) i * run->feat_size, feat + (gsize) idx[i] * run->feat_size,
                  run->feat_size * sizeof (float));
          run->labels[i] = ds->y[idx[i]];
        }
      if (tl_model_takes_tokens (run->model))
        {
          tl_dataset_gather (ds, idx, n, run->tokens, NULL);
          tl_model_set_token_mask (run->model, run->tokens);
        }
    }
  if (run->flat_input)
    tl_tensor_resize (run->x, 2, (int[]) { n, (int) tl_tensor_sample_size (run->x) });
}

double
tl_train_batch_weight (const TlTrainRun *run, int n)
{
  double w = 0.0;
  if (run->config->class_weights == NULL)
    return n;
  for (int i = 0; i < n; i++)
    w += run->config->class_weights[run->labels[i]];
  return w;
}
