#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  TL_SCHEDULE_CONSTANT,
  TL_SCHEDULE_STEP,        /* multiply by gamma every step_size epochs */
  TL_SCHEDULE_COSINE,      /* cosine from lr to min_lr over the run */
  TL_SCHEDULE_ONE_CYCLE,   /* warm up to lr, then anneal (Smith's one-cycle) */
} TlScheduleKind;

/* "constant", "step", "cosine", "one-cycle"; NULL-terminated */
extern const char *const tl_schedule_kind_names[];

typedef struct {
  TlScheduleKind kind;
  int   step_size;         /* epochs */
  float gamma;
  float min_lr;
  float warmup_fraction;   /* one-cycle: share of the steps spent rising */
} TlScheduleConfig;

/* constant; step: step_size 1, gamma 0.1; one-cycle: warmup_fraction 0.3 */
void tl_schedule_config_init (TlScheduleConfig *schedule, TlScheduleKind kind);

/* The learning rate at 0-based optimiser step `step` of `total_steps`, in the
 * 0-based epoch `epoch`. Step decays per epoch (PyTorch's StepLR); cosine
 * (CosineAnnealingLR with T_max = total_steps) and one-cycle (OneCycleLR, cosine
 * annealing, div_factor 25, final_div_factor 1e4 unless min_lr is set) per step. */
float tl_schedule_lr (const TlScheduleConfig *schedule, float base_lr, int step, int total_steps,
                      int epoch);

G_END_DECLS
