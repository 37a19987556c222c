#pragma once

#include <glib.h>

#include "tl-checkpoint.h"
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
/* The same step, leaving every trainable gradient at zero as tl_model_zero_grad
 * would: the update reads each gradient once, so clearing it there saves a pass. */
void         tl_optimizer_step_and_zero (TlOptimizer *opt, TlModel *model, float lr);
/* Elements of state held, for tests and reports. */
gsize        tl_optimizer_state_size (const TlOptimizer *opt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlOptimizer, tl_optimizer_free)

/* The learning rate at 0-based optimiser step `step` of `total_steps`, in the
 * 0-based epoch `epoch`. Step decays per epoch (PyTorch's StepLR); cosine
 * (CosineAnnealingLR with T_max = total_steps) and one-cycle (OneCycleLR, cosine
 * annealing, div_factor 25, final_div_factor 1e4 unless min_lr is set) per step. */
float tl_schedule_lr (const TlScheduleConfig *schedule, float base_lr, int step, int total_steps,
                      int epoch);

/* Allocates the state of every trainable layer now (and drops that of layers no
 * longer trainable), so that the first step allocates nothing. */
void         tl_optimizer_prepare    (TlOptimizer *opt, TlModel *model);
const TlOptimizerConfig *tl_optimizer_get_config (const TlOptimizer *opt);
/* L2 norm of the gradients of all trainable layers, as clipping sees it. */
double       tl_optimizer_grad_norm  (const TlModel *model);
/* Step counts and moments by layer name: "optimizer/dense1/weight/m". */
void         tl_optimizer_save_state (const TlOptimizer *opt, const TlModel *model, TlCheckpoint *ck);
gboolean     tl_optimizer_load_state (TlOptimizer *opt, TlModel *model, const TlCheckpoint *ck,
                                      GError **error);

/* constant; step: step_size 1, gamma 0.1; one-cycle: warmup_fraction 0.3 */
void         tl_schedule_config_init (TlScheduleConfig *schedule, TlScheduleKind kind);

G_END_DECLS
