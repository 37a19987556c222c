#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-optimizer.h"

/* Dense 2 -> 1 with weight [0.5, -0.3] and bias 0.1. */
static TlModel *
tiny_model (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (1, (int[]) { 2 }, 1);
  TlLayer *d;

  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 1 }, NULL, &error));
  d = tl_model_layer (model, 0);
  d->params[0].value->data[0] = 0.5f;
  d->params[0].value->data[1] = -0.3f;
  d->params[1].value->data[0] = 0.1f;
  return model;
}

static void
set_grads (TlModel *model, float gw0, float gw1, float gb)
{
  TlLayer *d = tl_model_layer (model, 0);
  d->params[0].grad->data[0] = gw0;
  d->params[0].grad->data[1] = gw1;
  d->params[1].grad->data[0] = gb;
}

/* Two steps with gradients (0.2, -0.4; 1.0) then (-0.1, 0.3; 0.5); `want` holds
 * w0, w1, b after each step, worked out by hand with PyTorch's update rules (and
 * checked against torch.optim). */
static void
check_two_steps (const TlOptimizerConfig *config, float lr, const double want[2][3])
{
  g_autoptr (TlModel) model = tiny_model ();
  g_autoptr (TlOptimizer) opt = tl_optimizer_new (config);
  TlLayer *d = tl_model_layer (model, 0);

  set_grads (model, 0.2f, -0.4f, 1.0f);
  tl_optimizer_step (opt, model, lr);
  g_assert_cmpfloat_with_epsilon (d->params[0].value->data[0], want[0][0], 1e-6);
  g_assert_cmpfloat_with_epsilon (d->params[0].value->data[1], want[0][1], 1e-6);
  g_assert_cmpfloat_with_epsilon (d->params[1].value->data[0], want[0][2], 1e-6);
  set_grads (model, -0.1f, 0.3f, 0.5f);
  tl_optimizer_step (opt, model, lr);
  g_assert_cmpfloat_with_epsilon (d->params[0].value->data[0], want[1][0], 1e-6);
  g_assert_cmpfloat_with_epsilon (d->params[0].value->data[1], want[1][1], 1e-6);
  g_assert_cmpfloat_with_epsilon (d->params[1].value->data[0], want[1][2], 1e-6);
}

static void
test_sgd (void)
{
  TlOptimizerConfig c;
  /* w -= lr g: 0.5 - 0.1*0.2 = 0.48, then 0.48 + 0.01 = 0.49 */
  const double want[2][3] = { { 0.48, -0.26, 0.0 }, { 0.49, -0.29, -0.05 } };

  tl_optimizer_config_init (&c, TL_OPTIMIZER_SGD, 0.1f);
  check_two_steps (&c, 0.1f, want);
}

static void
test_sgd_momentum (void)
{
  TlOptimizerConfig c;
  /* g' = g + 0.01 w; buf = g' first, then 0.9 buf + g'; w -= 0.1 buf.
   * step 1, w0: g' = 0.2 + 0.005 = 0.205, w = 0.5 - 0.0205 = 0.4795
   * step 2, w0: g' = -0.1 + 0.004795 = -0.095205, buf = 0.1845 - 0.095205 = 0.089295, w = 0.4795 - 0.0089295 */
  const double want[2][3] = { { 0.4795, -0.2597, -0.0001 }, { 0.4705705, -0.25317031, -0.1401899 } };

  tl_optimizer_config_init (&c, TL_OPTIMIZER_SGD, 0.1f);
  c.momentum = 0.9f;
  c.weight_decay = 0.01f;
  check_two_steps (&c, 0.1f, want);
}

static void
test_sgd_nesterov (void)
{
  TlOptimizerConfig c;
  /* buf as above; w -= lr (g + 0.9 buf).
   * step 1, w0: buf = 0.2, w = 0.5 - 0.1 * 0.38 = 0.462
   * step 2, w0: buf = 0.18 - 0.1 = 0.08, w = 0.462 - 0.1 * (-0.1 + 0.072) = 0.4648 */
  const double want[2][3] = { { 0.462, -0.224, -0.09 }, { 0.4648, -0.2486, -0.266 } };

  tl_optimizer_config_init (&c, TL_OPTIMIZER_SGD, 0.1f);
  c.momentum = 0.9f;
  c.nesterov = TRUE;
  check_two_steps (&c, 0.1f, want);
}

static void
test_adam (void)
{
  TlOptimizerConfig c;
  /* step 1 moves every weight by lr against the gradient's sign (m^ / sqrt(v^) = sign g);
   * step 2, w0: m = 0.9*0.02 - 0.01 = 0.008, v = 0.999*4e-5 + 1e-5 = 4.996e-5,
   * w = 0.49 - 0.01 * (0.008/0.19) / (sqrt(4.996e-5/0.001999) + 1e-8) = 0.4873366 */
  const double want[2][3] = { { 0.49, -0.29, 0.09 }, { 0.48733664, -0.28910679, 0.08067821 } };
  const double want_l2[2][3] = { { 0.49, -0.29, 0.09 }, { 0.48492289, -0.28830111, 0.08066668 } };

  tl_optimizer_config_init (&c, TL_OPTIMIZER_ADAM, 0.01f);
  check_two_steps (&c, 0.01f, want);
  c.weight_decay = 0.1f;
  check_two_steps (&c, 0.01f, want_l2);
}

static void
test_adamw (void)
{
  TlOptimizerConfig c;
  /* decoupled: w *= 1 - lr*wd before the Adam step: 0.5 * 0.999 - 0.01 = 0.4895 */
  const double want[2][3] = { { 0.4895, -0.2897, 0.0899 }, { 0.48634714, -0.28851706, 0.08048831 } };

  tl_optimizer_config_init (&c, TL_OPTIMIZER_ADAMW, 0.01f);
  g_assert_cmpfloat (c.weight_decay, ==, 0.01f);
  c.weight_decay = 0.1f;
  check_two_steps (&c, 0.01f, want);
}

static TlModel *
two_layer_model (guint64 seed)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (1, (int[]) { 4 }, seed);

  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, NULL, &error));
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, &error));
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, NULL, &error));
  return model;
}

static void
random_grads (TlModel *model, TlRng *rng, float scale)
{
  for (int l = 0; l < tl_model_n_layers (model); l++)
    {
      TlLayer *layer = tl_model_layer (model, l);
      for (int p = 0; p < layer->n_params; p++)
        for (gsize k = 0; k < layer->params[p].grad->size; k++)
          layer->params[p].grad->data[k] = scale * tl_rng_uniform_range (rng, -1.0f, 1.0f);
    }
}

static void
test_clipping (void)
{
  g_autoptr (TlModel) model = two_layer_model (3);
  g_autoptr (TlModel) before = NULL;
  g_autoptr (TlOptimizer) opt = NULL;
  TlOptimizerConfig c;
  TlRng rng;
  double norm, moved = 0.0;

  tl_optimizer_config_init (&c, TL_OPTIMIZER_SGD, 1.0f);
  c.clip_norm = 0.5f;
  opt = tl_optimizer_new (&c);
  tl_rng_init (&rng, 1);
  random_grads (model, &rng, 1.0f);
  norm = tl_optimizer_grad_norm (model);
  g_assert_cmpfloat (norm, >, 1.0);

  /* a frozen layer's gradient is not part of the norm */
  tl_model_set_trainable (model, 0, FALSE);
  tl_model_layer (model, 0)->params[0].grad->data[0] = 1000.0f;
  norm = tl_optimizer_grad_norm (model);
  g_assert_cmpfloat (norm, <, 100.0);

  before = tl_model_copy (model);
  tl_optimizer_step (opt, model, 1.0f);
  for (int l = 0; l < 3; l++)
    {
      TlLayer *a = tl_model_layer (model, l), *b = tl_model_layer (before, l);
      for (int p = 0; p < a->n_params; p++)
        for (gsize k = 0; k < a->params[p].value->size; k++)
          {
            double d = a->params[p].value->data[k] - b->params[p].value->data[k];
            moved += d * d;
            /* the step is the gradient scaled by clip / norm */
            if (l == 2)
              g_assert_cmpfloat_with_epsilon (d, -a->params[p].grad->data[k] * 0.5 / norm, 1e-6);
          }
    }
  g_assert_cmpfloat_with_epsilon (sqrt (moved), 0.5, 1e-5);

  /* below the threshold nothing is scaled */
  tl_optimizer_free (g_steal_pointer (&opt));
  c.clip_norm = 1e6f;
  opt = tl_optimizer_new (&c);
  tl_model_free (g_steal_pointer (&before));
  before = tl_model_copy (model);
  tl_optimizer_step (opt, model, 1.0f);
  g_assert_cmpfloat_with_epsilon (tl_model_layer (model, 2)->params[1].value->data[0],
                                  tl_model_layer (before, 2)->params[1].value->data[0]
                                    - tl_model_layer (model, 2)->params[1].grad->data[0], 1e-6);
}

static void
test_frozen_untouched (void)
{
  const TlOptimizerKind kinds[] = { TL_OPTIMIZER_SGD, TL_OPTIMIZER_ADAM, TL_OPTIMIZER_ADAMW };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr (TlModel) model = two_layer_model (4);
      g_autoptr (TlModel) start = NULL;
      g_autoptr (TlOptimizer) opt = NULL;
      TlOptimizerConfig c;
      TlRng rng;
      TlLayer *frozen, *frozen0, *head, *head0;

      tl_optimizer_config_init (&c, kinds[i], 0.05f);
      c.momentum = 0.9f;
      c.weight_decay = 0.01f;
      opt = tl_optimizer_new (&c);
      tl_model_freeze_below (model, 2);
      start = tl_model_copy (model);
      tl_rng_init (&rng, 9);
      for (int s = 0; s < 200; s++)
        {
          random_grads (model, &rng, 1.0f);
          tl_optimizer_step (opt, model, 0.05f);
        }
      frozen = tl_model_layer (model, 0);
      frozen0 = tl_model_layer (start, 0);
      for (int p = 0; p < frozen->n_params; p++)
        g_assert_cmpmem (frozen->params[p].value->data, frozen->params[p].value->size * sizeof (float),
                         frozen0->params[p].value->data, frozen0->params[p].value->size * sizeof (float));
      head = tl_model_layer (model, 2);
      head0 = tl_model_layer (start, 2);
      g_assert_cmpfloat (head->params[0].value->data[0], !=, head0->params[0].value->data[0]);
      /* only the head holds state: momentum for SGD, two moments for Adam */
      g_assert_cmpuint (tl_optimizer_state_size (opt), ==, (kinds[i] == TL_OPTIMIZER_SGD ? 1 : 2) * (3 * 2 + 2));

      /* unfreezing allocates for the layer on the next step; freezing it again drops it */
      tl_model_freeze_below (model, 0);
      tl_optimizer_prepare (opt, model);
      g_assert_cmpuint (tl_optimizer_state_size (opt), ==,
                        (kinds[i] == TL_OPTIMIZER_SGD ? 1 : 2) * (4 * 3 + 3 + 3 * 2 + 2));
      tl_model_freeze_below (model, 2);
      tl_optimizer_prepare (opt, model);
      g_assert_cmpuint (tl_optimizer_state_size (opt), ==, (kinds[i] == TL_OPTIMIZER_SGD ? 1 : 2) * (3 * 2 + 2));
    }

  /* plain SGD keeps no state at all */
  {
    g_autoptr (TlModel) model = two_layer_model (4);
    g_autoptr (TlOptimizer) opt = NULL;
    TlOptimizerConfig c;

    tl_optimizer_config_init (&c, TL_OPTIMIZER_SGD, 0.05f);
    opt = tl_optimizer_new (&c);
    tl_optimizer_step (opt, model, 0.05f);
    g_assert_cmpuint (tl_optimizer_state_size (opt), ==, 0);
  }
}

static void
test_lr_mult (void)
{
  g_autoptr (TlModel) a = two_layer_model (5);
  g_autoptr (TlModel) b = tl_model_copy (a);
  g_autoptr (TlModel) start = tl_model_copy (a);
  g_autoptr (TlOptimizer) oa = NULL;
  g_autoptr (TlOptimizer) ob = NULL;
  TlOptimizerConfig c;
  TlRng ra, rb;

  tl_optimizer_config_init (&c, TL_OPTIMIZER_SGD, 0.5f);
  oa = tl_optimizer_new (&c);
  ob = tl_optimizer_new (&c);
  tl_model_set_lr_mult (b, 0, 0.1f);
  tl_rng_init (&ra, 2);
  tl_rng_init (&rb, 2);
  random_grads (a, &ra, 1.0f);
  random_grads (b, &rb, 1.0f);
  tl_optimizer_step (oa, a, 0.5f);
  tl_optimizer_step (ob, b, 0.5f);

  for (int l = 0; l < 3; l++)
    {
      TlLayer *la = tl_model_layer (a, l), *lb = tl_model_layer (b, l), *l0 = tl_model_layer (start, l);
      for (int p = 0; p < la->n_params; p++)
        for (gsize k = 0; k < la->params[p].value->size; k++)
          {
            double da = la->params[p].value->data[k] - l0->params[p].value->data[k];
            double db = lb->params[p].value->data[k] - l0->params[p].value->data[k];
            double factor = l == 0 ? 0.1 : 1.0;
            g_assert_cmpfloat (fabs (da), >, 1e-4);
            g_assert_cmpfloat (fabs (db - factor * da), <=, 1e-5 * fabs (da) + 1e-7);
          }
    }
}

static void
test_schedules (void)
{
  TlScheduleConfig s;
  /* torch.optim.lr_scheduler values for lr 0.1 over 10 steps */
  const double cosine[] = { 0.1, 0.0975772976, 0.0905463412, 0.07959537, 0.0657963412, 0.0505,
                            0.0352036588, 0.02140463, 0.0104536588, 0.00342270244, 0.001 };
  const double one_cycle[] = { 0.004, 0.052, 0.1, 0.0950484632, 0.0811745654, 0.0611262022,
                               0.0388741978, 0.0188258346, 0.0049519368, 4e-07 };

  tl_schedule_config_init (&s, TL_SCHEDULE_CONSTANT);
  g_assert_cmpfloat (tl_schedule_lr (&s, 0.1f, 57, 100, 3), ==, 0.1f);

  tl_schedule_config_init (&s, TL_SCHEDULE_STEP);
  s.step_size = 2;
  s.gamma = 0.5f;
  g_assert_cmpfloat_with_epsilon (tl_schedule_lr (&s, 0.1f, 0, 60, 0), 0.1, 1e-8);
  g_assert_cmpfloat_with_epsilon (tl_schedule_lr (&s, 0.1f, 15, 60, 1), 0.1, 1e-8);
  g_assert_cmpfloat_with_epsilon (tl_schedule_lr (&s, 0.1f, 25, 60, 2), 0.05, 1e-8);
  g_assert_cmpfloat_with_epsilon (tl_schedule_lr (&s, 0.1f, 45, 60, 4), 0.025, 1e-8);
  g_assert_cmpfloat_with_epsilon (tl_schedule_lr (&s, 0.1f, 55, 60, 5), 0.025, 1e-8);

  tl_schedule_config_init (&s, TL_SCHEDULE_COSINE);
  s.min_lr = 0.001f;
  for (int i = 0; i <= 10; i++)
    g_assert_cmpfloat_with_epsilon (tl_schedule_lr (&s, 0.1f, i, 10, 0), cosine[i], 1e-7);

  tl_schedule_config_init (&s, TL_SCHEDULE_ONE_CYCLE);
  for (int i = 0; i < 10; i++)
    g_assert_cmpfloat_with_epsilon (tl_schedule_lr (&s, 0.1f, i, 10, 0), one_cycle[i], 1e-7);
}

static void
test_state_round_trip (void)
{
  g_autoptr (TlModel) a = two_layer_model (6);
  g_autoptr (TlModel) b = NULL;
  g_autoptr (TlOptimizer) oa = NULL;
  g_autoptr (TlOptimizer) ob = NULL;
  g_autoptr (TlCheckpoint) ck = tl_checkpoint_new ();
  g_autoptr (GError) error = NULL;
  TlOptimizerConfig c;
  TlRng ra, rb;

  tl_optimizer_config_init (&c, TL_OPTIMIZER_ADAM, 0.01f);
  oa = tl_optimizer_new (&c);
  ob = tl_optimizer_new (&c);
  tl_rng_init (&ra, 3);
  for (int s = 0; s < 5; s++)
    {
      random_grads (a, &ra, 1.0f);
      tl_optimizer_step (oa, a, 0.01f);
    }
  b = tl_model_copy (a);
  tl_optimizer_save_state (oa, a, ck);
  g_assert_true (tl_optimizer_load_state (ob, b, ck, &error));
  g_assert_no_error (error);
  rb = ra;
  for (int s = 0; s < 3; s++)
    {
      random_grads (a, &ra, 1.0f);
      random_grads (b, &rb, 1.0f);
      tl_optimizer_step (oa, a, 0.01f);
      tl_optimizer_step (ob, b, 0.01f);
    }
  for (int l = 0; l < 3; l++)
    for (int p = 0; p < tl_model_layer (a, l)->n_params; p++)
      g_assert_cmpmem (tl_model_layer (a, l)->params[p].value->data,
                       tl_model_layer (a, l)->params[p].value->size * sizeof (float),
                       tl_model_layer (b, l)->params[p].value->data,
                       tl_model_layer (b, l)->params[p].value->size * sizeof (float));

  /* a checkpoint of another optimiser is refused */
  {
    g_autoptr (TlOptimizer) sgd = NULL;
    tl_optimizer_config_init (&c, TL_OPTIMIZER_SGD, 0.01f);
    sgd = tl_optimizer_new (&c);
    g_assert_false (tl_optimizer_load_state (sgd, b, ck, &error));
    g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  }
}

/* A 3x3 convolution with padding 1 and stride 2 over a 2x2 plane: its output
 * cell reads the image through the taps of rows and columns 1-2 alone. */
static TlModel *
small_plane_model (guint64 seed)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (3, (int[]) { 3, 2, 2 }, seed);

  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 5, .kernel = 3,
                                                       .stride = 2, .padding = 1 }, NULL, &error));
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, NULL, &error));
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, NULL, &error));
  return model;
}

static void
drop_support (TlParam *param)
{
  g_free (param->support->live);
  g_clear_pointer (&param->support, g_free);
}

/* Real gradients of random batches: the dead taps' are exactly zero. */
static void
train_steps (TlModel *model, TlOptimizer *opt, guint64 seed, int steps)
{
  g_autoptr (TlTensor) x = tl_tensor_new (4, (int[]) { 6, 3, 2, 2 });
  g_autoptr (TlTensor) dy = tl_tensor_new (2, (int[]) { 6, 2 });
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (int s = 0; s < steps; s++)
    {
      for (gsize k = 0; k < x->size; k++)
        x->data[k] = tl_rng_uniform_range (&rng, -1.0f, 1.0f);
      for (gsize k = 0; k < dy->size; k++)
        dy->data[k] = tl_rng_uniform_range (&rng, -1.0f, 1.0f);
      tl_model_forward (model, x, TRUE);
      tl_model_backward (model, x, dy);
      tl_optimizer_step_and_zero (opt, model, 0.05f);
    }
}

static void
assert_same_weights (TlModel *a, TlModel *b)
{
  for (int l = 0; l < tl_model_n_layers (a); l++)
    for (int p = 0; p < tl_model_layer (a, l)->n_params; p++)
      g_assert_cmpmem (tl_model_layer (a, l)->params[p].value->data,
                       tl_model_layer (a, l)->params[p].value->size * sizeof (float),
                       tl_model_layer (b, l)->params[p].value->data,
                       tl_model_layer (b, l)->params[p].value->size * sizeof (float));
}

static void
test_live_support (void)
{
  const TlOptimizerKind kinds[] = { TL_OPTIMIZER_SGD, TL_OPTIMIZER_ADAM, TL_OPTIMIZER_ADAMW };
  g_autoptr (TlModel) probe = small_plane_model (1);
  const TlParamSupport *sup = tl_model_layer (probe, 0)->params[0].support;
  const gsize conv_w = 5 * 3 * 9, head = 5 * 2 + 2;

  g_assert_nonnull (sup);
  g_assert_cmpint (sup->period, ==, 9);
  g_assert_cmpint (sup->n_live, ==, 4);
  g_assert_cmpmem (sup->live, 4 * sizeof (int), ((int[]) { 4, 5, 7, 8 }), 4 * sizeof (int));
  g_assert_null (tl_model_layer (probe, 0)->params[1].support);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    for (int decay = 0; decay < 2; decay++)
      {
        g_autoptr (TlModel) a = small_plane_model (7);
        g_autoptr (TlModel) b = tl_model_copy (a);
        g_autoptr (TlModel) start = tl_model_copy (a);
        g_autoptr (TlOptimizer) oa = NULL;
        g_autoptr (TlOptimizer) ob = NULL;
        TlOptimizerConfig c;
        const float *w, *w0;
        gsize held;

        tl_optimizer_config_init (&c, kinds[i], 0.05f);
        c.momentum = 0.9f;
        c.weight_decay = decay ? 0.01f : 0.0f;
        oa = tl_optimizer_new (&c);
        ob = tl_optimizer_new (&c);
        /* b updates every entry, as without a support */
        drop_support (&tl_model_layer (b, 0)->params[0]);
        train_steps (a, oa, 11, 12);
        train_steps (b, ob, 11, 12);

        w = tl_model_layer (a, 0)->params[0].value->data;
        w0 = tl_model_layer (start, 0)->params[0].value->data;
        held = (kinds[i] == TL_OPTIMIZER_SGD ? 1 : 2) * (decay ? conv_w + 5 + head : conv_w / 9 * 4 + 5 + head);
        g_assert_cmpuint (tl_optimizer_state_size (oa), ==, held);
        if (decay)
          {
            /* weight decay moves the dead taps too: the support is not used */
            g_assert_cmpfloat (w[0], !=, w0[0]);
            assert_same_weights (a, b);
            continue;
          }
        /* the same weights, bit for bit, and the dead taps where they started */
        assert_same_weights (a, b);
        for (gsize k = 0; k < conv_w; k++)
          if (k % 9 == 4)
            g_assert_cmpfloat (w[k], !=, w0[k]);
          else if (k % 9 != 5 && k % 9 != 7 && k % 9 != 8)
            g_assert_cmpfloat (w[k], ==, w0[k]);
        for (gsize k = 0; k < conv_w; k++)
          g_assert_cmpfloat (tl_model_layer (a, 0)->params[0].grad->data[k], ==, 0.0f);

        /* checkpoints hold full-size moments, and a resumed run goes on identically */
        if (kinds[i] == TL_OPTIMIZER_ADAM)
          {
            g_autoptr (TlCheckpoint) ck = tl_checkpoint_new ();
            g_autoptr (TlModel) resumed = tl_model_copy (a);
            g_autoptr (TlOptimizer) or = tl_optimizer_new (&c);
            g_autoptr (GError) error = NULL;
            g_autofree char *name = g_strdup_printf ("optimizer/%s/weight/m", tl_model_layer (a, 0)->name);
            const float *m;

            tl_optimizer_save_state (oa, a, ck);
            m = tl_checkpoint_require_f32 (ck, name, conv_w, &error);
            g_assert_no_error (error);
            for (gsize k = 0; k < conv_w; k++)
              g_assert_true ((k % 9 == 4 || k % 9 == 5 || k % 9 == 7 || k % 9 == 8) ? m[k] != 0.0f : m[k] == 0.0f);
            g_assert_true (tl_optimizer_load_state (or, resumed, ck, &error));
            g_assert_no_error (error);
            train_steps (a, oa, 12, 3);
            train_steps (b, ob, 12, 3);
            train_steps (resumed, or, 12, 3);
            assert_same_weights (a, resumed);
            assert_same_weights (a, b);
          }
      }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/optimizer/sgd", test_sgd);
  g_test_add_func ("/optimizer/sgd-momentum", test_sgd_momentum);
  g_test_add_func ("/optimizer/sgd-nesterov", test_sgd_nesterov);
  g_test_add_func ("/optimizer/adam", test_adam);
  g_test_add_func ("/optimizer/adamw", test_adamw);
  g_test_add_func ("/optimizer/clipping", test_clipping);
  g_test_add_func ("/optimizer/frozen-untouched", test_frozen_untouched);
  g_test_add_func ("/optimizer/lr-mult", test_lr_mult);
  g_test_add_func ("/optimizer/schedules", test_schedules);
  g_test_add_func ("/optimizer/state-round-trip", test_state_round_trip);
  g_test_add_func ("/optimizer/live-support", test_live_support);
  return g_test_run ();
}
