#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tl-pipeline-strategies.h"
#include "tl-trainer.h"

int
tl_strategy_target_copies (int source_rows, int target_rows, float weight)
{
  if (weight > 0.0f)
    return MAX (1, (int) lrintf (weight));
  return target_rows > 0 ? MAX (1, (source_rows + target_rows / 2) / target_rows) : 0;
}

TlDataset *
tl_strategy_repeat_rows (const TlDataset *data, int copies)
{
  g_autofree int *rows = g_new (int, MAX ((gsize) data->n * copies, 1));

  for (int k = 0; k < copies; k++)
    for (int i = 0; i < data->n; i++)
      rows[k * data->n + i] = i;
  return tl_dataset_subset (data, rows, data->n * copies);
}

TlDataset *
tl_strategy_with_pseudo_labels (const TlDataset *joint, const TlDataset *guessed, int copies)
{
  g_autoptr (TlDataset) repeated = tl_strategy_repeat_rows (guessed, copies);

  return tl_dataset_concat (joint, repeated);
}

TlDataset *
tl_strategy_joint_rows (const TlDataset *source, const TlDataset *target, float weight, guint8 **domain_out)
{
  g_autoptr (TlDataset) repeated = NULL;
  TlDataset *joint;

  g_return_val_if_fail (source != NULL && target != NULL, NULL);

  repeated = tl_strategy_repeat_rows (target, tl_strategy_target_copies (source->n, target->n, weight));
  joint = tl_dataset_concat (source, repeated);
  if (domain_out != NULL)
    {
      *domain_out = g_new0 (guint8, MAX (joint->n, 1));
      memset (*domain_out + source->n, 1, joint->n - source->n);
    }
  return joint;
}

/* the output of the first activation above the lowest layer, where the features have formed */
int
tl_strategy_feature_cut (const TlModel *model)
{
  int n = tl_model_n_layers (model);

  for (int i = 1; i < n - 1; i++)
    {
      TlLayerKind kind = tl_model_layer (model, i)->spec.kind;
      if (kind == TL_LAYER_RELU || kind == TL_LAYER_TANH || kind == TL_LAYER_SIGMOID)
        return i + 1;
    }
  return n - 1;
}

typedef struct {
  int   row;
  float p;
} Confident;

static int
more_confident (const void *a, const void *b)
{
  const Confident *x = a, *y = b;

  if (x->p != y->p)
    return x->p > y->p ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

TlDataset *
tl_strategy_pseudo_labels (TlModel *model, const TlDataset *unlabeled, int per_class)
{
  g_autoptr (TlTensor) probs = NULL;
  g_autofree Confident *found = NULL;
  g_autofree int *rows = NULL, *labels = NULL;
  const int C = tl_model_n_outputs (model);
  TlDataset *out;
  int n_rows = 0;

  g_return_val_if_fail (model != NULL && unlabeled != NULL, NULL);

  probs = tl_predict (model, unlabeled, 256);
  found = g_new (Confident, MAX (unlabeled->n, 1));
  rows = g_new (int, MAX ((gsize) C * per_class, 1));
  labels = g_new (int, MAX ((gsize) C * per_class, 1));
  for (int c = 0; c < C; c++)
    {
      int n = 0;

      for (int i = 0; i < unlabeled->n; i++)
        {
          const float *p = probs->data + (gsize) i * C;
          int best = 0;

          for (int k = 1; k < C; k++)
            if (p[k] > p[best])
              best = k;
          if (best == c)
            found[n++] = (Confident) { i, p[c] };
        }
      qsort (found, n, sizeof *found, more_confident);
      for (int i = 0; i < MIN (n, per_class); i++)
        {
          rows[n_rows] = found[i].row;
          labels[n_rows++] = c;
        }
    }
  out = tl_dataset_subset (unlabeled, rows, n_rows);
  memcpy (out->y, labels, sizeof (int) * n_rows);
  return out;
}
