#include "config.h"

#include <glib.h>
#include <math.h>

#include "layer-check.h"

#define MAX_CHECKED 300

/* ---- finite-difference machinery ---------------------------------------- */

typedef struct {
  TlLayer        *layer;
  TlModel        *model;        /* instead of layer: the whole model's forward pass */
  const char     *name;
  double          floor;        /* gradients whose norms both stay below it are noise (a bias under a batch norm) */
  TlContext       ctx;
  TlRng           rng;          /* the context's generator, reset before each forward */
  guint64         rng_seed;
  TlTensor       *in;
  TlTensor       *out;
  TlTensor       *proj;         /* R in L = sum(out * R) */
} Check;

static double
check_loss (Check *c)
{
  double loss = 0.0;

  if (c->model)
    {
      tl_rng_init (&c->model->rng, c->rng_seed);
      tl_tensor_copy_into (c->out, tl_model_forward (c->model, c->in, TRUE));
    }
  else
    {
      tl_rng_init (&c->rng, c->rng_seed);
      tl_layer_forward (c->layer, &c->ctx, c->in, c->out);
    }
  g_assert_cmpuint (c->out->size, ==, c->proj->size);
  for (gsize i = 0; i < c->out->size; i++)
    loss += (double) c->out->data[i] * (double) c->proj->data[i];
  return loss;
}

/* Fourth-order central difference, so a step large enough to drown float32
 * rounding still leaves a truncation error far below the tolerance. */
static double
numeric_derivative (Check *c, float *x, float h)
{
  const float saved = *x;
  double lp1, lm1, lp2, lm2;

  *x = saved + h;
  lp1 = check_loss (c);
  *x = saved - h;
  lm1 = check_loss (c);
  *x = saved + 2 * h;
  lp2 = check_loss (c);
  *x = saved - 2 * h;
  lm2 = check_loss (c);
  *x = saved;
  return (8.0 * (lp1 - lm1) - (lp2 - lm2)) / (12.0 * (double) h);
}

/* Compares analytic[] with numeric derivatives of the loss with respect to
 * values[] (all of them, or a random subset when there are many). */
static void
compare_with_numeric (Check *c, const char *what, float *values, const float *analytic, gsize n,
                      float h, TlRng *pick)
{
  double diff2 = 0.0, a2 = 0.0, n2 = 0.0, rel;
  gsize count = MIN (n, MAX_CHECKED);

  for (gsize k = 0; k < count; k++)
    {
      gsize i = n <= MAX_CHECKED ? k : tl_rng_below (pick, (guint32) n);
      double num = numeric_derivative (c, &values[i], h);
      double ana = analytic[i];
      double scale = MAX (fabs (num), fabs (ana));

      diff2 += (num - ana) * (num - ana);
      a2 += ana * ana;
      n2 += num * num;
      if (fabs (num - ana) > 2e-2 * scale + 2e-3)
        g_error ("%s %s[%" G_GSIZE_FORMAT "]: analytic %.6g, numeric %.6g",
                 c->name, what, i, ana, num);
    }
  rel = sqrt (diff2) / MAX (MAX (sqrt (a2), sqrt (n2)), 1e-12);
  g_test_message ("%s %s: %" G_GSIZE_FORMAT " values, relative error %.2e (norm %.3g)",
                  c->name, what, count, rel, sqrt (n2));
  if (sqrt (n2) > c->floor || sqrt (a2) > c->floor)
    g_assert_cmpfloat (rel, <, 1e-2);
}

void
fill_normal (TlTensor *t, TlRng *rng, float scale)
{
  for (gsize i = 0; i < t->size; i++)
    t->data[i] = (float) tl_rng_normal (rng) * scale;
}

/* Runs forward and backward in training mode, then checks dL/d(in) (unless
 * check_input is FALSE) and dL/d(param) for every parameter. */
void
check_gradients (TlLayer *layer, const TlContext *ctx_template, TlTensor *in, gboolean check_input,
                 guint64 seed, float h)
{
  Check c = { 0 };
  TlRng rng;
  g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
  g_autoptr (TlTensor) analytic_in = NULL;
  TlTensor *analytic[TL_LAYER_MAX_PARAMS] = { NULL };

  tl_rng_init (&rng, seed ^ 0x5eed);
  c.layer = layer;
  c.name = layer->name;
  c.ctx = *ctx_template;
  c.ctx.training = TRUE;
  c.ctx.rng = &c.rng;
  c.rng_seed = seed * 7 + 1;
  c.in = in;
  c.out = tl_tensor_new_empty ();

  tl_rng_init (&c.rng, c.rng_seed);
  tl_layer_forward (layer, &c.ctx, in, c.out);
  c.proj = tl_tensor_new (c.out->ndim, c.out->shape);
  fill_normal (c.proj, &rng, 1.0f);

  for (int p = 0; p < layer->n_params; p++)
    tl_tensor_fill (layer->params[p].grad, 0.0f);
  tl_layer_backward (layer, &c.ctx, in, c.out, c.proj, grad_in);
  g_assert_true (tl_tensor_same_shape (grad_in, in));
  analytic_in = tl_tensor_copy (grad_in);
  for (int p = 0; p < layer->n_params; p++)
    analytic[p] = tl_tensor_copy (layer->params[p].grad);

  if (check_input)
    compare_with_numeric (&c, "input", in->data, analytic_in->data, in->size, h, &rng);
  for (int p = 0; p < layer->n_params; p++)
    {
      compare_with_numeric (&c, layer->params[p].name, layer->params[p].value->data,
                            analytic[p]->data, analytic[p]->size, h, &rng);
      tl_tensor_free (analytic[p]);
    }
  tl_tensor_free (c.out);
  tl_tensor_free (c.proj);
}

void
check_model_gradients (TlModel *model, TlTensor *in, guint64 seed, float h)
{
  Check c = { 0 };
  TlRng rng;
  TlParamIter it;
  TlLayer *layer;
  TlParam *param;
  g_autoptr (TlTensor) analytic_in = NULL;
  g_autoptr (GPtrArray) analytic = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_tensor_free);
  gboolean saved = model->input_gradient;

  tl_rng_init (&rng, seed ^ 0x5eed);
  c.model = model;
  c.name = "model";
  c.floor = 1e-3;
  c.rng_seed = seed * 7 + 1;
  c.in = in;
  c.out = tl_tensor_new_empty ();
  tl_rng_init (&model->rng, c.rng_seed);
  tl_tensor_copy_into (c.out, tl_model_forward (model, in, TRUE));
  c.proj = tl_tensor_new (c.out->ndim, c.out->shape);
  fill_normal (c.proj, &rng, 1.0f);

  tl_model_zero_grad (model);
  model->input_gradient = TRUE;
  tl_model_backward (model, in, c.proj);
  model->input_gradient = saved;
  analytic_in = tl_tensor_copy (g_ptr_array_index (model->grads, 0));
  g_assert_true (tl_tensor_same_shape (analytic_in, in));
  tl_model_param_iter_init (&it, model);
  while (tl_model_param_iter_next (&it, &layer, &param))
    g_ptr_array_add (analytic, layer->trainable ? tl_tensor_copy (param->grad) : NULL);

  compare_with_numeric (&c, "input", in->data, analytic_in->data, in->size, h, &rng);
  tl_model_param_iter_init (&it, model);
  for (guint k = 0; tl_model_param_iter_next (&it, &layer, &param); k++)
    {
      g_autofree char *what = g_strdup_printf ("%s.%s", layer->name, param->name);
      const TlTensor *a = g_ptr_array_index (analytic, k);

      if (a != NULL)
        compare_with_numeric (&c, what, param->value->data, a->data, a->size, h, &rng);
    }
  tl_tensor_free (c.out);
  tl_tensor_free (c.proj);
}

TlLayer *
make_layer (const TlLayerSpec *spec, int ndim, const int *shape, guint64 seed)
{
  TlRng rng;
  g_autoptr (GError) error = NULL;
  TlLayer *layer;

  tl_rng_init (&rng, seed);
  layer = tl_layer_new (spec, NULL, ndim, shape, &rng, &error);
  g_assert_no_error (error);
  g_assert_nonnull (layer);
  return layer;
}

TlTensor *
random_input (int batch, int ndim, const int *shape, TlRng *rng)
{
  TlTensor *t = tl_tensor_new_empty ();

  tl_tensor_resize_batch (t, batch, ndim, shape);
  fill_normal (t, rng, 1.0f);
  return t;
}

int
rand_between (TlRng *rng, int lo, int hi)
{
  return lo + (int) tl_rng_below (rng, (guint32) (hi - lo + 1));
}

/* Values that are pairwise at least `gap` apart, so a max never flips under a small step. */
void
fill_distinct (TlTensor *t, TlRng *rng, float gap)
{
  g_autofree int *order = g_new (int, t->size);

  for (gsize i = 0; i < t->size; i++)
    order[i] = (int) i;
  tl_rng_shuffle (rng, order, t->size);
  for (gsize i = 0; i < t->size; i++)
    t->data[i] = ((float) order[i] - (float) t->size / 2) * gap;
}

static double
weighted_output (TlLayer *layer, const TlTensor *in, const TlTensor *weights, TlTensor *out)
{
  TlContext ctx = { 0 };
  double sum = 0.0;

  tl_layer_forward (layer, &ctx, in, out);
  for (gsize j = 0; j < out->size; j++)
    sum += (double) out->data[j] * weights->data[j];
  return sum;
}

double
numeric_input_derivative (TlLayer *layer, TlTensor *in, gsize i, const TlTensor *weights, TlTensor *out, float h)
{
  const float keep = in->data[i];
  double up, down;

  in->data[i] = keep + h;
  up = weighted_output (layer, in, weights, out);
  in->data[i] = keep - h;
  down = weighted_output (layer, in, weights, out);
  in->data[i] = keep;
  return (up - down) / (2.0 * h);
}
