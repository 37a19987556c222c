#define G_LOG_DOMAIN "tl-loss"

#include "config.h"

#include <math.h>

#include "tl-loss.h"

float
tl_cross_entropy (const TlTensor *logits, const int *labels, const float *class_weights,
                  float label_smoothing, TlTensor *grad, TlTensor *probs)
{
  int batch, classes;
  double total = 0.0, weight_sum = 0.0, smooth_weight_sum = 0.0;
  double eps = label_smoothing;

  g_return_val_if_fail (logits != NULL && labels != NULL, NAN);
  g_return_val_if_fail (logits->ndim == 2, NAN);
  g_return_val_if_fail (label_smoothing >= 0.0f && label_smoothing < 1.0f, NAN);

  batch = logits->shape[0];
  classes = logits->shape[1];
  if (grad)
    tl_tensor_resize (grad, 2, logits->shape);
  if (probs && probs != logits)
    tl_tensor_resize (probs, 2, logits->shape);

  for (int c = 0; c < classes; c++)
    smooth_weight_sum += class_weights ? class_weights[c] : 1.0;
  for (int i = 0; i < batch; i++)
    {
      g_return_val_if_fail (labels[i] >= 0 && labels[i] < classes, NAN);
      weight_sum += class_weights ? class_weights[labels[i]] : 1.0;
    }

  for (int i = 0; i < batch; i++)
    {
      const float *z = logits->data + (gsize) i * classes;
      int y = labels[i];
      double wy = class_weights ? class_weights[y] : 1.0;
      double m = z[0], s = 0.0, lse, row;
      double smooth = 0.0;

      for (int c = 1; c < classes; c++)
        m = MAX (m, z[c]);
      for (int c = 0; c < classes; c++)
        s += exp ((double) z[c] - m);
      lse = m + log (s);

      if (eps > 0.0)
        for (int c = 0; c < classes; c++)
          smooth += (class_weights ? class_weights[c] : 1.0) * (lse - z[c]);
      row = (1.0 - eps) * wy * (lse - z[y]) + eps / classes * smooth;
      total += row;

      if (grad || probs)
        for (int c = 0; c < classes; c++)
          {
            double p = exp ((double) z[c] - lse);
            if (grad)
              {
                double wc = class_weights ? class_weights[c] : 1.0;
                double g = (1.0 - eps) * wy * (p - (c == y ? 1.0 : 0.0))
                           + eps / classes * (smooth_weight_sum * p - wc);
                grad->data[(gsize) i * classes + c] = weight_sum > 0.0 ? (float) (g / weight_sum) : 0.0f;
              }
            if (probs)
              probs->data[(gsize) i * classes + c] = (float) p;
          }
    }
  return weight_sum > 0.0 ? (float) (total / weight_sum) : 0.0f;
}

float
tl_mse (const TlTensor *pred, const TlTensor *target, TlTensor *grad)
{
  double total = 0.0;
  gsize n;

  g_return_val_if_fail (pred != NULL && target != NULL, NAN);
  g_return_val_if_fail (pred->size == target->size, NAN);

  n = pred->size;
  if (grad)
    tl_tensor_resize (grad, pred->ndim, pred->shape);
  for (gsize i = 0; i < n; i++)
    {
      double d = (double) pred->data[i] - target->data[i];
      total += d * d;
      if (grad)
        grad->data[i] = (float) (2.0 * d / n);
    }
  return n > 0 ? (float) (total / n) : 0.0f;
}

void
tl_softmax_rows (const TlTensor *logits, TlTensor *probs)
{
  int batch, classes;

  g_return_if_fail (logits != NULL && probs != NULL);
  g_return_if_fail (logits->ndim == 2);

  batch = logits->shape[0];
  classes = logits->shape[1];
  if (probs != logits)
    tl_tensor_resize (probs, 2, logits->shape);
  for (int i = 0; i < batch; i++)
    {
      const float *z = logits->data + (gsize) i * classes;
      float *p = probs->data + (gsize) i * classes;
      double m = z[0], s = 0.0;

      for (int c = 1; c < classes; c++)
        m = MAX (m, z[c]);
      for (int c = 0; c < classes; c++)
        s += exp ((double) z[c] - m);
      for (int c = 0; c < classes; c++)
        p[c] = (float) (exp ((double) z[c] - m) / s);
    }
}

int
tl_count_correct (const TlTensor *scores, const int *labels)
{
  int batch, classes, correct = 0;

  g_return_val_if_fail (scores != NULL && labels != NULL, 0);
  g_return_val_if_fail (scores->ndim == 2, 0);

  batch = scores->shape[0];
  classes = scores->shape[1];
  for (int i = 0; i < batch; i++)
    {
      const float *z = scores->data + (gsize) i * classes;
      int best = 0;
      for (int c = 1; c < classes; c++)
        if (z[c] > z[best])
          best = c;
      correct += best == labels[i];
    }
  return correct;
}
