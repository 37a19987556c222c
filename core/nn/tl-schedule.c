#define G_LOG_DOMAIN "tl-schedule"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-schedule.h"

const char *const tl_schedule_kind_names[] = { "constant", "step", "cosine", "one-cycle", NULL };

void
tl_schedule_config_init (TlScheduleConfig *schedule, TlScheduleKind kind)
{
  g_return_if_fail (schedule != NULL);
  memset (schedule, 0, sizeof *schedule);
  schedule->kind = kind;
  schedule->step_size = 1;
  schedule->gamma = 0.1f;
  schedule->min_lr = 0.0f;
  schedule->warmup_fraction = 0.3f;
}

static double
cos_anneal (double start, double end, double pct)
{
  return end + (start - end) / 2.0 * (cos (G_PI * pct) + 1.0);
}

float
tl_schedule_lr (const TlScheduleConfig *schedule, float base_lr, int step, int total_steps, int epoch)
{
  g_return_val_if_fail (schedule != NULL, base_lr);

  step = MAX (step, 0);
  total_steps = MAX (total_steps, 1);
  switch (schedule->kind)
    {
    case TL_SCHEDULE_STEP:
      {
        int size = schedule->step_size > 0 ? schedule->step_size : 1;
        return (float) (base_lr * pow (schedule->gamma, MAX (epoch, 0) / size));
      }
    case TL_SCHEDULE_COSINE:
      {
        double pct = MIN ((double) step / total_steps, 1.0);
        return (float) cos_anneal (base_lr, schedule->min_lr, pct);
      }
    case TL_SCHEDULE_ONE_CYCLE:
      {
        double warm = schedule->warmup_fraction > 0.0f ? schedule->warmup_fraction : 0.3;
        double initial = base_lr / 25.0;
        double final = schedule->min_lr > 0.0f ? schedule->min_lr : initial / 1e4;
        double rise_end = warm * total_steps - 1.0;
        double end = total_steps - 1.0;

        if (step <= rise_end)
          return (float) cos_anneal (initial, base_lr, rise_end > 0.0 ? step / rise_end : 1.0);
        if (end <= rise_end)
          return (float) final;
        return (float) cos_anneal (base_lr, final, MIN ((step - rise_end) / (end - rise_end), 1.0));
      }
    case TL_SCHEDULE_CONSTANT:
    default:
      return base_lr;
    }
}
