#pragma once

#include <glib.h>

#include "tl-model.h"

G_BEGIN_DECLS

typedef enum {
  TL_OPTIMIZER_SGD,
  TL_OPTIMIZER_ADAM,
  TL_OPTIMIZER_ADAMW,
} TlOptimizerKind;

typedef struct {
  TlOptimizerKind kind;
  float    learning_rate;
  float    momentum;       /* SGD */
  gboolean nesterov;       /* SGD */
  float    beta1, beta2, eps;  /* Adam, AdamW */
  float    weight_decay;   /* L2 added to the gradient (SGD, Adam), decoupled (AdamW) */
  float    clip_norm;      /* global gradient-norm clipping; 0 = off */
} TlOptimizerConfig;

typedef enum {
  TL_SCHEDULE_CONSTANT,
  TL_SCHEDULE_STEP,        /* multiply by gamma every step_size epochs */
  TL_SCHEDULE_COSINE,      /* cosine from lr to min_lr over the run */
  TL_SCHEDULE_ONE_CYCLE,   /* warm up to lr, then anneal (Smith's one-cycle) */
} TlScheduleKind;

typedef struct {
  TlScheduleKind kind;
  int   step_size;         /* epochs */
  float gamma;
  float min_lr;
  float warmup_fraction;   /* one-cycle: share of the steps spent rising */
} TlScheduleConfig;

typedef struct _TlOptimizer TlOptimizer;

void         tl_optimizer_config_init (TlOptimizerConfig *config, TlOptimizerKind kind, float lr);
TlOptimizer *tl_optimizer_new   (const TlOptimizerConfig *config);
void         tl_optimizer_free  (TlOptimizer *opt);
/* Applies the gradients of the model's trainable layers, each at lr * its
 * lr_mult. State (momentum, moments) is allocated on first use, and only for
 * trainable layers. */
void         tl_optimizer_step  (TlOptimizer *opt, TlModel *model, float lr);
/* Elements of state held, for tests and reports. */
gsize        tl_optimizer_state_size (const TlOptimizer *opt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlOptimizer, tl_optimizer_free)

float tl_schedule_lr (const TlScheduleConfig *schedule, float base_lr, int step, int total_steps,
                      int epoch);

G_END_DECLS
