#define G_LOG_DOMAIN "tl-optimizer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-optimizer.h"
#include "tl-parallel.h"

const char *const tl_optimizer_kind_names[] = { "sgd", "adam", "adamw", NULL };

gboolean
tl_optimizer_kind_from_name (const char *name, TlOptimizerKind *kind)
{
  for (int i = 0; tl_optimizer_kind_names[i] != NULL; i++)
    if (g_ascii_strcasecmp (name, tl_optimizer_kind_names[i]) == 0)
      {
        *kind = (TlOptimizerKind) i;
        return TRUE;
      }
  return FALSE;
}

/* State of one layer: first moments (SGD momentum buffers) and second moments.
 * A parameter with a support (TlParamSupport) has state for its live entries
 * alone, in order, when the update leaves the others unchanged. */
typedef struct {
  const TlLayer *layer;      /* the layer it was made for: a replaced layer starts afresh */
  guint64 step;
  int     n_params;
  gsize   size[TL_LAYER_MAX_PARAMS];     /* of the parameter */
  gsize   held[TL_LAYER_MAX_PARAMS];     /* of m and v: size, or the live entries' count */
  float  *m[TL_LAYER_MAX_PARAMS];
  float  *v[TL_LAYER_MAX_PARAMS];
} LayerState;

struct _TlOptimizer {
  TlOptimizerConfig config;
  GPtrArray *states;         /* LayerState* or NULL, by layer index */
};

static void
layer_state_free (LayerState *s)
{
  if (s == NULL)
    return;
  for (int p = 0; p < s->n_params; p++)
    {
      tl_aligned_free (s->m[p]);
      tl_aligned_free (s->v[p]);
    }
  g_free (s);
}

void
tl_optimizer_config_init (TlOptimizerConfig *config, TlOptimizerKind kind, float lr)
{
  g_return_if_fail (config != NULL);
  memset (config, 0, sizeof *config);
  config->kind = kind;
  config->learning_rate = lr;
  config->beta1 = 0.9f;
  config->beta2 = 0.999f;
  config->eps = 1e-8f;
  if (kind == TL_OPTIMIZER_ADAMW)
    config->weight_decay = 0.01f;
}

TlOptimizer *
tl_optimizer_new (const TlOptimizerConfig *config)
{
  TlOptimizer *opt;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->kind <= TL_OPTIMIZER_ADAMW, NULL);

  opt = g_new0 (TlOptimizer, 1);
  opt->config = *config;
  opt->states = g_ptr_array_new_with_free_func ((GDestroyNotify) layer_state_free);
  return opt;
}

void
tl_optimizer_free (TlOptimizer *opt)
{
  if (opt == NULL)
    return;
  g_ptr_array_unref (opt->states);
  g_free (opt);
}

const TlOptimizerConfig *
tl_optimizer_get_config (const TlOptimizer *opt)
{
  g_return_val_if_fail (opt != NULL, NULL);
  return &opt->config;
}

static gboolean
needs_first_moment (const TlOptimizerConfig *c)
{
  return c->kind != TL_OPTIMIZER_SGD || c->momentum != 0.0f;
}

/* Weight decay moves every weight, a dead one too: only without it may the
 * state and the update skip the entries outside a parameter's support. */
static const TlParamSupport *
live_support (const TlOptimizerConfig *c, const TlParam *param)
{
  return c->weight_decay == 0.0f && param->touched == NULL ? param->support : NULL;
}

static gsize
held_size (const TlOptimizerConfig *c, const TlParam *param)
{
  const TlParamSupport *sup = live_support (c, param);
  const gsize n = param->value->size;

  return sup != NULL ? n / sup->period * sup->n_live : n;
}

static gboolean
state_matches (const TlOptimizerConfig *c, const LayerState *s, const TlLayer *layer)
{
  if (s->layer != layer || s->n_params != layer->n_params)
    return FALSE;
  for (int p = 0; p < layer->n_params; p++)
    if (s->size[p] != layer->params[p].value->size || s->held[p] != held_size (c, &layer->params[p]))
      return FALSE;
  return TRUE;
}

static LayerState *
layer_state_new (const TlOptimizerConfig *c, const TlLayer *layer)
{
  LayerState *s = g_new0 (LayerState, 1);

  s->layer = layer;
  s->n_params = layer->n_params;
  for (int p = 0; p < layer->n_params; p++)
    {
      gsize n = held_size (c, &layer->params[p]);
      s->size[p] = layer->params[p].value->size;
      s->held[p] = n;
      if (needs_first_moment (c))
        {
          s->m[p] = tl_aligned_alloc (n * sizeof (float));
          memset (s->m[p], 0, n * sizeof (float));
        }
      if (c->kind != TL_OPTIMIZER_SGD)
        {
          s->v[p] = tl_aligned_alloc (n * sizeof (float));
          memset (s->v[p], 0, n * sizeof (float));
        }
    }
  return s;
}

void
tl_optimizer_prepare (TlOptimizer *opt, TlModel *model)
{
  guint n;

  g_return_if_fail (opt != NULL && model != NULL);

  n = model->layers->len;
  if (opt->states->len < n)
    g_ptr_array_set_size (opt->states, n);
  for (guint i = 0; i < opt->states->len; i++)
    {
      LayerState *s = g_ptr_array_index (opt->states, i);
      TlLayer *layer = i < n ? g_ptr_array_index (model->layers, i) : NULL;
      gboolean wanted = layer != NULL && layer->trainable && layer->n_params > 0;

      if (s != NULL && (!wanted || !state_matches (&opt->config, s, layer)))
        {
          layer_state_free (s);
          opt->states->pdata[i] = s = NULL;
        }
      if (s == NULL && wanted)
        opt->states->pdata[i] = layer_state_new (&opt->config, layer);
    }
}

static double
trainable_grad_norm (const TlModel *model)
{
  double sum = 0.0;
  TlParamIter it;
  TlLayer *layer;
  TlParam *param;

  tl_model_param_iter_init (&it, model);
  while (tl_model_param_iter_next (&it, &layer, &param))
    {
      const TlTensor *g = param->grad;

      if (!layer->trainable)
        continue;
      for (gsize k = 0; k < g->size; k++)
        sum += (double) g->data[k] * g->data[k];
    }
  return sqrt (sum);
}

double
tl_optimizer_grad_norm (const TlModel *model)
{
  g_return_val_if_fail (model != NULL, 0.0);
  return trainable_grad_norm (model);
}

/* buf: the n momentum entries of w[0..n), or NULL without momentum */
static void
step_sgd (const TlOptimizerConfig *c, guint64 step, float *restrict buf, float *restrict w,
          float *restrict grad, gsize n, float lr, float scale, gboolean zero)
{
  const float wd = c->weight_decay, mu = c->momentum;
  const gboolean first = step == 0, nesterov = c->nesterov;

  /* without momentum, a loop of its own: a test on buf inside the loop kept it from vectorising */
  if (buf == NULL)
    for (gsize k = 0; k < n; k++)
      w[k] -= lr * (grad[k] * scale + wd * w[k]);
  else
    for (gsize k = 0; k < n; k++)
      {
        const float g = grad[k] * scale + wd * w[k];

        buf[k] = first ? g : mu * buf[k] + g;
        w[k] -= lr * (nesterov ? g + mu * buf[k] : buf[k]);
      }
  if (zero)
    memset (grad, 0, n * sizeof (float));
}

static float *
state_at (float *m, gsize off)
{
  return m != NULL ? m + off : NULL;
}

typedef struct {
  float *w, *m, *v;
  float *grad;
  gboolean zero;              /* clear each gradient once used */
  float b1, b2, inv_bc2_sqrt, step_size, decay, l2, eps, scale;
} AdamPass;

TL_VECTORIZED static void
adam_range (const AdamPass *a, gsize start, gsize end)
{
  float *restrict w = a->w, *restrict m = a->m, *restrict v = a->v;
  const float *restrict grad = a->grad;
  const float b1 = a->b1, b2 = a->b2, inv_bc2_sqrt = a->inv_bc2_sqrt, step_size = a->step_size;
  const float decay = a->decay, l2 = a->l2, eps = a->eps, scale = a->scale;

  for (gsize k = start; k < end; k++)
    {
      float g, denom, wk = w[k] * decay;

      g = grad[k] * scale + l2 * wk;
      m[k] = b1 * m[k] + (1.0f - b1) * g;
      v[k] = b2 * v[k] + (1.0f - b2) * g * g;
      /* a product, not PyTorch's quotient: one division per weight is what bounds this loop */
      denom = sqrtf (v[k]) * inv_bc2_sqrt + eps;
      w[k] = wk - step_size * m[k] / denom;
    }
}

/* Whether grad[start..end) has a bit set: a block that is already zero is not
 * stored again, so the untouched rows of an embedding gradient stay clean in the cache. */
TL_VECTORIZED static gboolean
any_bits (const float *restrict grad, gsize start, gsize end)
{
  const guint32 *restrict bits = (const guint32 *) grad;
  guint32 acc = 0;

  for (gsize k = start; k < end; k++)
    acc |= bits[k];
  return acc != 0;
}

/* Blocks small enough that the gradient is still in L1 for the check and the clearing. */
#define ADAM_BLOCK 1024

static void
adam_chunk (gpointer data, gsize start, gsize end)
{
  const AdamPass *a = data;

  for (gsize k0 = start; k0 < end; k0 += ADAM_BLOCK)
    {
      const gsize k1 = MIN (end, k0 + ADAM_BLOCK);

      adam_range (a, k0, k1);
      if (a->zero && any_bits (a->grad, k0, k1))
        memset (a->grad + k0, 0, sizeof (float) * (k1 - k0));
    }
}

static void
adam_pass_init (AdamPass *a, const TlOptimizerConfig *c, LayerState *s, int p, float *w, float *grad,
                float lr, float scale, gboolean zero)
{
  double t = (double) (s->step + 1);
  gboolean decoupled = c->kind == TL_OPTIMIZER_ADAMW;

  *a = (AdamPass) {
    .w = w, .m = s->m[p], .v = s->v[p], .grad = grad, .zero = zero,
    .b1 = c->beta1, .b2 = c->beta2,
    .inv_bc2_sqrt = (float) (1.0 / sqrt (1.0 - pow (c->beta2, t))),
    .step_size = lr / (float) (1.0 - pow (c->beta1, t)),
    .decay = decoupled ? 1.0f - lr * c->weight_decay : 1.0f,
    .l2 = decoupled ? 0.0f : c->weight_decay,
    .eps = c->eps, .scale = scale,
  };
}

static void
step_adam (const TlOptimizerConfig *c, LayerState *s, int p, float *w, float *grad, gsize n,
           float lr, float scale, gboolean zero)
{
  AdamPass a;

  adam_pass_init (&a, c, s, p, w, grad, lr, scale, zero);

  /* element-wise: the chunks only change speed, never the result */
  tl_parallel_for (n, 32768, adam_chunk, &a);
}

/* An update of one parameter in parts: its touched rows, or its live entries. */
typedef struct {
  const TlOptimizerConfig *c;
  LayerState *s;
  int         p;
  TlParam    *param;
  float       lr, scale;
  gboolean    zero;
  AdamPass    adam;           /* over the whole parameter; a part points it at its own arrays */
} PartsPass;

/* A batch's rows lie far apart in a large table: the row a few places ahead
 * is fetched while this one is updated. */
#define ROWS_AHEAD 4

static inline void
prefetch_floats (const float *p, gsize n)
{
  if (p == NULL)
    return;
  for (gsize k = 0; k < n; k += 16)
    __builtin_prefetch (p + k, 1, 3);
}

static void
rows_chunk (gpointer data, gsize i0, gsize i1)
{
  const PartsPass *r = data;
  const TlRowSet *set = r->param->touched;
  const gsize n = set->row_size;
  float *w = r->param->value->data, *grad = r->param->grad->data;
  const float *m = r->s->m[r->p], *v = r->s->v[r->p];

  for (gsize i = i0; i < i1; i++)
    {
      const gsize off = (gsize) set->rows[i] * n;

      if (i + ROWS_AHEAD < i1)
        {
          const gsize ahead = (gsize) set->rows[i + ROWS_AHEAD] * n;
          prefetch_floats (w + ahead, n);
          prefetch_floats (grad + ahead, n);
          prefetch_floats (m ? m + ahead : NULL, n);
          prefetch_floats (v ? v + ahead : NULL, n);
        }
      if (r->c->kind == TL_OPTIMIZER_SGD)
        step_sgd (r->c, r->s->step, state_at (r->s->m[r->p], off), w + off, grad + off, n, r->lr, r->scale,
                  r->zero);
      else
        {
          adam_range (&r->adam, off, off + n);
          if (r->zero)
            memset (grad + off, 0, sizeof (float) * n);
        }
    }
}

/* Only the touched rows of a table learn (lazily, as torch.optim.SparseAdam):
 * their moments move, the others' wait for the next batch that uses them.
 * Each row's gradient is cleared while it is still in the cache. */
static void
step_rows (const TlOptimizerConfig *c, LayerState *s, int p, TlParam *param, float lr, float scale,
           gboolean zero)
{
  PartsPass r = { c, s, p, param, lr, scale, zero, { 0 } };

  if (c->kind != TL_OPTIMIZER_SGD)
    adam_pass_init (&r.adam, c, s, p, param->value->data, param->grad->data, lr, scale, FALSE);
  /* in table order, the rows' memory is read in one direction */
  tl_row_set_sort (param->touched);
  tl_parallel_for (param->touched->n_rows, MAX (1, 8192 / param->touched->row_size), rows_chunk, &r);
  if (zero)
    tl_row_set_forget (param->touched);
}

/* Live entries gathered at a time: small enough to stay in L1 with their state */
#define LIVE_BLOCK 1024

static void
live_chunk (gpointer data, gsize r0, gsize r1)
{
  const PartsPass *lp = data;
  const TlParamSupport *sup = lp->param->support;
  const int period = sup->period, nl = sup->n_live;
  const gsize rows = MAX (1, LIVE_BLOCK / nl);
  float *w = lp->param->value->data, *grad = lp->param->grad->data;
  g_autofree float *wb = g_new (float, rows * nl);
  g_autofree float *gb = g_new (float, rows * nl);

  for (gsize rb = r0; rb < r1; rb += rows)
    {
      const gsize re = MIN (r1, rb + rows), n = (re - rb) * nl, off = rb * nl;
      gsize j = 0;

      for (gsize r = rb; r < re; r++)
        for (int i = 0; i < nl; i++, j++)
          {
            wb[j] = w[r * period + sup->live[i]];
            gb[j] = grad[r * period + sup->live[i]];
          }
      if (lp->c->kind == TL_OPTIMIZER_SGD)
        step_sgd (lp->c, lp->s->step, state_at (lp->s->m[lp->p], off), wb, gb, n, lp->lr, lp->scale, FALSE);
      else
        {
          AdamPass a = lp->adam;

          a.w = wb;
          a.grad = gb;
          a.m += off;
          a.v += off;
          adam_range (&a, 0, n);
        }
      j = 0;
      for (gsize r = rb; r < re; r++)
        for (int i = 0; i < nl; i++, j++)
          w[r * period + sup->live[i]] = wb[j];
      /* the dead entries are zero already; one pass over the whole rows costs what the live ones would */
      if (lp->zero)
        memset (grad + rb * period, 0, sizeof (float) * (re - rb) * period);
    }
}

/* A parameter with a support: its live entries are gathered, updated and put
 * back; the others, whose gradient is always zero, would not move. */
static void
step_live (const TlOptimizerConfig *c, LayerState *s, int p, TlParam *param, float lr, float scale,
           gboolean zero)
{
  PartsPass lp = { c, s, p, param, lr, scale, zero, { 0 } };
  const int period = param->support->period;

  g_assert (s->held[p] == held_size (c, param));
  if (c->kind != TL_OPTIMIZER_SGD)
    adam_pass_init (&lp.adam, c, s, p, param->value->data, param->grad->data, lr, scale, FALSE);
  tl_parallel_for (param->value->size / period, MAX (1, 32768 / period), live_chunk, &lp);
}

static void
optimizer_step (TlOptimizer *opt, TlModel *model, float lr, gboolean zero)
{
  const TlOptimizerConfig *c = &opt->config;
  float scale = 1.0f;

  tl_optimizer_prepare (opt, model);
  if (c->clip_norm > 0.0f)
    {
      double norm = trainable_grad_norm (model);
      double coef = c->clip_norm / (norm + 1e-6);
      if (coef < 1.0)
        scale = (float) coef;
    }

  for (guint i = 0; i < model->layers->len; i++)
    {
      TlLayer *layer = g_ptr_array_index (model->layers, i);
      LayerState *s = g_ptr_array_index (opt->states, i);
      float layer_lr = lr * layer->lr_mult;

      if (s == NULL)
        continue;
      for (int p = 0; p < layer->n_params; p++)
        {
          TlParam *param = &layer->params[p];
          if (param->touched != NULL)
            step_rows (c, s, p, param, layer_lr, scale, zero);
          else if (live_support (c, param) != NULL)
            step_live (c, s, p, param, layer_lr, scale, zero);
          else if (c->kind == TL_OPTIMIZER_SGD)
            step_sgd (c, s->step, s->m[p], param->value->data, param->grad->data, param->value->size, layer_lr,
                      scale, zero);
          else
            step_adam (c, s, p, param->value->data, param->grad->data, param->value->size, layer_lr, scale,
                       zero);
        }
      s->step++;
    }
}

void
tl_optimizer_step (TlOptimizer *opt, TlModel *model, float lr)
{
  g_return_if_fail (opt != NULL && model != NULL);
  optimizer_step (opt, model, lr, FALSE);
}

void
tl_optimizer_step_and_zero (TlOptimizer *opt, TlModel *model, float lr)
{
  g_return_if_fail (opt != NULL && model != NULL);
  optimizer_step (opt, model, lr, TRUE);
}

gsize
tl_optimizer_state_size (const TlOptimizer *opt)
{
  gsize n = 0;

  g_return_val_if_fail (opt != NULL, 0);
  for (guint i = 0; i < opt->states->len; i++)
    {
      const LayerState *s = g_ptr_array_index (opt->states, i);
      if (s == NULL)
        continue;
      for (int p = 0; p < s->n_params; p++)
        n += (s->m[p] ? s->held[p] : 0) + (s->v[p] ? s->held[p] : 0);
    }
  return n;
}

/* Checkpoints hold every moment at its parameter's full size, the dead
 * entries of a support at zero, whatever the state keeps. */
static void
save_moment (TlCheckpoint *ck, const char *name, const float *held, const LayerState *s, int p,
             const TlParam *param)
{
  const TlParamSupport *sup = param->support;
  g_autofree float *full = NULL;

  if (held == NULL)
    return;
  if (s->held[p] == s->size[p])
    {
      tl_checkpoint_set_f32_borrowed (ck, name, held, s->size[p]);
      return;
    }
  full = g_new0 (float, s->size[p]);
  for (gsize r = 0, j = 0; r < s->size[p] / sup->period; r++)
    for (int i = 0; i < sup->n_live; i++, j++)
      full[r * sup->period + sup->live[i]] = held[j];
  tl_checkpoint_set_f32 (ck, name, full, s->size[p]);
}

static void
load_moment (const LayerState *s, int p, const TlParam *param, const float *full, float *held)
{
  const TlParamSupport *sup = param->support;

  if (s->held[p] == s->size[p])
    {
      memcpy (held, full, s->size[p] * sizeof (float));
      return;
    }
  for (gsize r = 0, j = 0; r < s->size[p] / sup->period; r++)
    for (int i = 0; i < sup->n_live; i++, j++)
      held[j] = full[r * sup->period + sup->live[i]];
}

void
tl_optimizer_save_state (const TlOptimizer *opt, const TlModel *model, TlCheckpoint *ck)
{
  guint64 kind;

  g_return_if_fail (opt != NULL && model != NULL && ck != NULL);
  kind = opt->config.kind;
  tl_checkpoint_set_u64 (ck, "optimizer/kind", &kind, 1);
  for (guint i = 0; i < opt->states->len && i < model->layers->len; i++)
    {
      const LayerState *s = g_ptr_array_index (opt->states, i);
      const TlLayer *layer = g_ptr_array_index (model->layers, i);
      g_autofree char *step_name = NULL;

      if (s == NULL || !state_matches (&opt->config, s, layer))
        continue;
      step_name = g_strdup_printf ("optimizer/%s/step", layer->name);
      tl_checkpoint_set_u64 (ck, step_name, &s->step, 1);
      for (int p = 0; p < s->n_params; p++)
        {
          g_autofree char *m_name = g_strdup_printf ("optimizer/%s/%s/m", layer->name, layer->params[p].name);
          g_autofree char *v_name = g_strdup_printf ("optimizer/%s/%s/v", layer->name, layer->params[p].name);
          save_moment (ck, m_name, s->m[p], s, p, &layer->params[p]);
          save_moment (ck, v_name, s->v[p], s, p, &layer->params[p]);
        }
    }
}

gboolean
tl_optimizer_load_state (TlOptimizer *opt, TlModel *model, const TlCheckpoint *ck, GError **error)
{
  const guint64 *kind;

  g_return_val_if_fail (opt != NULL && model != NULL && ck != NULL, FALSE);

  kind = tl_checkpoint_require_u64 (ck, "optimizer/kind", 1, error);
  if (kind == NULL)
    return FALSE;
  if (*kind != (guint64) opt->config.kind)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "checkpoint %s was written by a different optimiser (kind %" G_GUINT64_FORMAT
                   ", this run uses %d)", tl_checkpoint_path (ck) ? tl_checkpoint_path (ck) : "(memory)",
                   *kind, opt->config.kind);
      return FALSE;
    }

  tl_optimizer_prepare (opt, model);
  for (guint i = 0; i < opt->states->len; i++)
    {
      LayerState *s = g_ptr_array_index (opt->states, i);
      const TlLayer *layer = g_ptr_array_index (model->layers, i);
      g_autofree char *step_name = NULL;
      const guint64 *step;

      if (s == NULL)
        continue;
      step_name = g_strdup_printf ("optimizer/%s/step", layer->name);
      step = tl_checkpoint_get_u64 (ck, step_name, NULL);
      if (step == NULL)
        {
          /* a layer that had no state when the checkpoint was written starts afresh */
          s->step = 0;
          continue;
        }
      if (tl_checkpoint_require_u64 (ck, step_name, 1, error) == NULL)
        return FALSE;
      s->step = *step;
      for (int p = 0; p < s->n_params; p++)
        {
          g_autofree char *m_name = g_strdup_printf ("optimizer/%s/%s/m", layer->name, layer->params[p].name);
          g_autofree char *v_name = g_strdup_printf ("optimizer/%s/%s/v", layer->name, layer->params[p].name);
          const float *data;

          if (s->m[p])
            {
              if ((data = tl_checkpoint_require_f32 (ck, m_name, s->size[p], error)) == NULL)
                return FALSE;
              load_moment (s, p, &layer->params[p], data, s->m[p]);
            }
          if (s->v[p])
            {
              if ((data = tl_checkpoint_require_f32 (ck, v_name, s->size[p], error)) == NULL)
                return FALSE;
              load_moment (s, p, &layer->params[p], data, s->v[p]);
            }
        }
    }
  return TRUE;
}
