#include "config.h"

#include "tl-import-progress.h"

void
tl_import_progress_report (TlImportProgress *p, double fraction)
{
  gint64 now;

  if (p == NULL || p->func == NULL)
    return;
  fraction = p->from + p->span * CLAMP (fraction, 0.0, 1.0);
  now = g_get_monotonic_time ();
  if (fraction < 1.0 && now - p->last < G_USEC_PER_SEC / 20)
    return;
  p->last = now;
  p->func (fraction, p->user_data);
}
