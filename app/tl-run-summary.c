#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "tl-progress.h"
#include "tl-run-summary.h"

static char *
fmt_percent (const TlMetrics *m, gboolean f1)
{
  if (m == NULL)
    return g_strdup ("-");
  return f1 ? g_strdup_printf ("%.3f", m->macro_f1) : g_strdup_printf ("%.1f%%", 100.0 * m->accuracy);
}

void
tl_cmd_run_print_summary (const TlPipelineResult *result)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  g_ptr_array_add (rows, tl_table_row (_("run"), _("test accuracy"), _("macro F1"), _("epochs"), _("seconds"),
                                       _("trainable"), _("parameters"), NULL));
  for (guint i = 0; i < result->runs->len; i++)
    {
      TlRunResult *run = g_ptr_array_index (result->runs, i);
      g_autofree char *acc = fmt_percent (run->metrics, FALSE);
      g_autofree char *f1 = fmt_percent (run->metrics, TRUE);
      g_autofree char *epochs = g_strdup_printf ("%d", run->epochs);
      g_autofree char *secs = g_strdup_printf ("%.1f", run->train_seconds);
      g_autofree char *trainable = g_strdup_printf ("%" G_GUINT64_FORMAT, run->trainable_params);
      g_autofree char *total = g_strdup_printf ("%" G_GUINT64_FORMAT, run->total_params);

      g_ptr_array_add (rows, tl_table_row (run->name, acc, f1, epochs, secs, trainable, total, NULL));
    }
  printf ("\n");
  tl_print_table (stdout, rows);
  for (guint i = 0; i < result->runs->len; i++)
    {
      TlRunResult *run = g_ptr_array_index (result->runs, i);
      if (run->reused_from != NULL)
        printf (_("%s: reused from %s (its inputs did not change; --retrain trains it again)\n"), run->name,
                run->reused_from);
    }
  if (result->speedup > 0)
    printf (_("Fine-tuning took %.2fx less time per epoch than the baseline.\n"), result->speedup);
  if (result->summary_path)
    printf (_("Results in %s\n"), result->output_folder);
}
