#pragma once

#include <glib.h>

#include "tl-checkpoint.h"
#include "tl-model.h"
#include "tl-schedule.h"

G_BEGIN_DECLS

typedef enum {
  TL_OPTIMIZER_SGD,
  TL_OPTIMIZER_ADAM,
  TL_OPTIMIZER_ADAMW,
} TlOptimizerKind;

/* "sgd", "adam", "adamw": as in experiment files and on the command line; NULL-terminated */
extern const char *const tl_optimizer_kind_names[];
gboolean tl_optimizer_kind_from_name (const char *name, TlOptimizerKind *kind);

typedef struct {
  TlOptimizerKind kind;
  float    learning_rate;
  float    momentum;       /* SGD */
  gboolean nesterov;       /* SGD */
  float    beta1, beta2, eps;  /* Adam, AdamW */
  float    weight_decay;   /* L2 added to the gradient (SGD, Adam), decoupled (AdamW) */
  float    clip_norm;      /* global gradient-norm clipping; 0 = off */
} TlOptimizerConfig;

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

/* Allocates the state of every trainable layer now (and drops that of layers no
 * longer trainable), so that the first step allocates nothing. */
void         tl_optimizer_prepare    (TlOptimizer *opt, TlModel *model);
const TlOptimizerConfig *tl_optimizer_get_config (const TlOptimizer *opt);
/* L2 norm of the gradients of all trainable layers, as clipping sees it. */
double       tl_optimizer_grad_norm  (const TlModel *model);
/* Step counts and moments by layer name: "optimizer/dense1/weight/m". The
 * moments are borrowed (tl_checkpoint_set_f32_borrowed): save ck before the next step.
 * They are held at their parameters' full size, whatever entries the state keeps. */
void         tl_optimizer_save_state (const TlOptimizer *opt, const TlModel *model, TlCheckpoint *ck);
gboolean     tl_optimizer_load_state (TlOptimizer *opt, TlModel *model, const TlCheckpoint *ck,
                                      GError **error);

G_END_DECLS
