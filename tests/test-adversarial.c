/* Domain-adversarial training: the gradient-reversal layer and the trainer's adversary;
 * and the rows the joint strategies train on. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "layer-check.h"
#include "tl-error.h"
#include "tl-pipeline-strategies.h"
#include "tl-trainer.h"

/* Forward is the identity; backward hands down -rate times the gradient: the
 * numeric derivative of the forward (the identity) times -rate. */
static void
test_reversal_gradient (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      TlRng rng;
      TlContext ctx = { 0 };
      TlLayerSpec spec = { .kind = TL_LAYER_GRADIENT_REVERSAL };
      g_autoptr (TlLayer) layer = NULL;
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      g_autoptr (TlTensor) grad_out = NULL;
      g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
      const float h = 1e-2f;
      int shape[2];

      tl_rng_init (&rng, seed);
      shape[0] = rand_between (&rng, 1, 4);
      shape[1] = rand_between (&rng, 1, 5);
      spec.rate = (float) tl_rng_uniform_range (&rng, 0.1f, 2.0f);
      layer = make_layer (&spec, 2, shape, seed);
      in = random_input (3, 2, shape, &rng);
      tl_layer_forward (layer, &ctx, in, out);
      g_assert_cmpmem (out->data, out->size * sizeof (float), in->data, in->size * sizeof (float));

      grad_out = tl_tensor_new (out->ndim, out->shape);
      fill_normal (grad_out, &rng, 1.0f);
      tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);
      for (gsize i = 0; i < in->size; i++)
        {
          double numeric = numeric_input_derivative (layer, in, i, grad_out, out, h);
          g_assert_cmpfloat_with_epsilon (grad_in->data[i], -spec.rate * numeric, 1e-3 * MAX (1.0, fabs (numeric)));
        }
    }
}

static void
test_schedule (void)
{
  g_assert_cmpfloat_with_epsilon (tl_adversary_schedule (0.0), 0.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (tl_adversary_schedule (0.5), 2.0 / (1.0 + exp (-5.0)) - 1.0, 1e-6);
  g_assert_cmpfloat (tl_adversary_schedule (1.0), >, 0.9999);
  g_assert_cmpfloat (tl_adversary_schedule (0.2), <, tl_adversary_schedule (0.3));
}

/* Two Gaussian classes; the target is the source moved along a third axis the
 * labels do not depend on. */
static TlDataset *
blobs (int n, float shift, guint64 seed)
{
  const char *names[] = { "a", "b", NULL };
  TlDataset *ds = tl_dataset_new (TL_DATA_TABULAR, n, 1, (int[]) { 3 }, 2, names);
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (int i = 0; i < n; i++)
    {
      float *x = ds->x + (gsize) i * 3;
      ds->y[i] = i % 2;
      x[0] = (ds->y[i] ? 1.5f : -1.5f) + (float) tl_rng_normal (&rng);
      x[1] = (float) tl_rng_normal (&rng);
      x[2] = shift + (float) tl_rng_normal (&rng);
    }
  return ds;
}

static TlModel *
small_model (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *m = tl_model_new (1, (int[]) { 3 }, 7);
  const TlLayerSpec layers[] = {
    { .kind = TL_LAYER_DENSE, .units = 8 }, { .kind = TL_LAYER_RELU }, { .kind = TL_LAYER_DENSE, .units = 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    g_assert_true (tl_model_add (m, &layers[i], NULL, &error));
  return m;
}

/* The adversary trains on labelled and unlabelled rows; a bad cut or no
 * unlabelled rows are refused before any step. */
static void
test_adversarial_training (void)
{
  g_autoptr (TlDataset) source = blobs (200, 0.0f, 1);
  g_autoptr (TlDataset) target = blobs (200, 4.0f, 2);
  g_autoptr (TlDataset) empty = tl_dataset_subset (target, NULL, 0);
  g_autoptr (TlModel) model = small_model ();
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TlTensor) probs = NULL;
  TlAdversary adversary = { .cut = 2, .unlabeled = target, .weight = 1.0f, .hidden = 8 };
  TlTrainConfig config;
  int correct = 0;

  tl_train_config_init (&config);
  config.epochs = 15;
  config.batch_size = 20;
  config.adversary = &adversary;
  g_assert_true (tl_train (model, source, NULL, &config, NULL, history, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (history->epochs->len, ==, 15);
  g_assert_cmpfloat (g_array_index (history->epochs, TlEpochRecord, 14).train_loss, <,
                     g_array_index (history->epochs, TlEpochRecord, 0).train_loss);
  probs = tl_predict (model, target, 64);
  for (int i = 0; i < target->n; i++)
    correct += (probs->data[2 * i + 1] > probs->data[2 * i]) == target->y[i];
  g_assert_cmpint (correct, >, target->n * 7 / 10);

  adversary.cut = 0;
  g_assert_false (tl_train (model, source, NULL, &config, NULL, history, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  adversary.cut = 2;
  adversary.unlabeled = empty;
  g_assert_false (tl_train (model, source, NULL, &config, NULL, history, &error));
  g_assert_nonnull (strstr (error->message, "unlabelled target rows"));
}

/* The joint rows hold each labelled target row as many times as balances the
 * source, or target_weight times; self-training's pseudo-labelled rows are held
 * that many times too, in their own order. */
static void
test_joint_row_weights (void)
{
  const int shape[1] = { 1 };
  g_autoptr (TlDataset) source = tl_dataset_new (TL_DATA_TABULAR, 30, 1, shape, 2, NULL);
  g_autoptr (TlDataset) target = tl_dataset_new (TL_DATA_TABULAR, 6, 1, shape, 2, NULL);
  g_autoptr (TlDataset) joint = NULL, repeated = NULL;
  g_autofree guint8 *domain = NULL;

  for (int i = 0; i < target->n; i++)
    {
      target->x[i] = (float) i;
      target->y[i] = i % 2;
    }
  g_assert_cmpint (tl_strategy_target_copies (30, 6, 0.0f), ==, 5);
  g_assert_cmpint (tl_strategy_target_copies (32, 6, 0.0f), ==, 5);
  g_assert_cmpint (tl_strategy_target_copies (33, 6, 0.0f), ==, 6);
  g_assert_cmpint (tl_strategy_target_copies (3, 6, 0.0f), ==, 1);
  g_assert_cmpint (tl_strategy_target_copies (30, 6, 2.4f), ==, 2);
  g_assert_cmpint (tl_strategy_target_copies (30, 0, 0.0f), ==, 0);

  joint = tl_strategy_joint_rows (source, target, 0.0f, &domain);
  g_assert_cmpint (joint->n, ==, 30 + 5 * 6);
  g_assert_cmpint (domain[29], ==, 0);
  g_assert_cmpint (domain[30], ==, 1);
  repeated = tl_strategy_repeat_rows (target, 3);
  g_assert_cmpint (repeated->n, ==, 18);
  for (int i = 0; i < repeated->n; i++)
    {
      g_assert_cmpfloat (repeated->x[i], ==, (float) (i % 6));
      g_assert_cmpint (repeated->y[i], ==, i % 2);
    }

  /* the second round: the joint rows unchanged, then each guessed row as often as a labelled one */
  {
    g_autoptr (TlDataset) guessed = tl_dataset_new (TL_DATA_TABULAR, 2, 1, shape, 2, NULL);
    g_autoptr (TlDataset) second = NULL;

    guessed->x[0] = 100.0f, guessed->y[0] = 1;
    guessed->x[1] = 101.0f, guessed->y[1] = 0;
    second = tl_strategy_with_pseudo_labels (joint, guessed, 5);
    g_assert_cmpint (second->n, ==, joint->n + 2 * 5);
    g_assert_cmpfloat (second->x[joint->n - 1], ==, joint->x[joint->n - 1]);
    for (int k = 0; k < 5; k++)
      {
        g_assert_cmpfloat (second->x[joint->n + 2 * k], ==, 100.0f);
        g_assert_cmpint (second->y[joint->n + 2 * k], ==, 1);
        g_assert_cmpfloat (second->x[joint->n + 2 * k + 1], ==, 101.0f);
        g_assert_cmpint (second->y[joint->n + 2 * k + 1], ==, 0);
      }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/layers/gradient-reversal/gradients", test_reversal_gradient);
  g_test_add_func ("/adversary/schedule", test_schedule);
  g_test_add_func ("/adversary/training", test_adversarial_training);
  g_test_add_func ("/strategies/joint-row-weights", test_joint_row_weights);
  return g_test_run ();
}
