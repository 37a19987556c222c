#define G_LOG_DOMAIN "tl-trainer"

#include "config.h"

#include <math.h>

#include "tl-loss.h"
#include "tl-trainer-private.h"

/* The trainer's private steps: DP-SGD on Poisson batches, and the budget. */

/* One DP-SGD step on a Poisson batch: clipped per-example gradients, noise, the
 * optimiser's step. An empty batch is a step of noise alone. */
float
tl_dp_train_step (TlTrainRun *run, float lr, int *n_out, int *correct)
{
  const TlTrainConfig *config = run->config;
  TlPrivacyAccountant *acc = &run->accountant;
  int n = tl_dp_poisson_batch (&run->shuffle_rng, run->train->n, acc->sample_rate, run->perm, run->train->n);
  float loss = 0.0f;

  *n_out = n;
  *correct = 0;
  if (n > 0)
    {
      const TlTensor *logits;
      gboolean was_unfused = run->model->unfused;
      float w;

      /* a convolution's per-example norms read the gradient at its own output */
      run->model->unfused = TRUE;
      tl_train_load_batch (run, run->train, run->train_feat, run->perm, n);
      logits = tl_model_forward_range (run->model, run->x, run->first, run->end, TRUE);
      loss = tl_cross_entropy (logits, run->labels, config->class_weights, config->label_smoothing, run->grad, NULL);
      *correct = tl_count_correct (logits, run->labels);
      if (!isfinite (loss))
        {
          run->model->unfused = was_unfused;
          return loss;
        }
      /* the loss is a mean: each row times the batch's weight is that example's own gradient */
      w = (float) tl_train_batch_weight (run, n);
      for (gsize k = 0; k < run->grad->size; k++)
        run->grad->data[k] *= w;
      tl_dp_clipped_gradient (run->model, run->x, run->grad, run->first, run->end, config->privacy->clip, NULL);
      run->model->unfused = was_unfused;
    }
  tl_dp_noise_gradient (run->model, &run->shuffle_rng, acc->sigma * config->privacy->clip,
                        acc->sample_rate * run->train->n);
  tl_optimizer_step_and_zero (run->opt, run->model, lr);
  acc->steps++;
  return loss;
}

/* TRUE when one more epoch would spend more than the privacy budget. */
gboolean
tl_dp_train_budget_spent (const TlTrainRun *run)
{
  TlPrivacyAccountant next = run->accountant;

  if (run->budget <= 0.0)
    return FALSE;
  next.steps += (guint64) run->n_batches;
  return tl_privacy_accountant_epsilon (&next) > run->budget * (1.0 + 1e-9);
}
