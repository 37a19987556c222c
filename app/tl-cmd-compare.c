#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-error.h"
#include "tl-json-pretty.h"
#include "tl-progress.h"
#include "tl-run-history.h"

/* `transfer-lab compare RUN_A RUN_B`: two runs' settings, metrics and confusion
 * matrices side by side. */

static char *
percent (double v)
{
  return isfinite (v) ? g_strdup_printf ("%.1f%%", 100.0 * v) : g_strdup ("-");
}

static char *
points (double a, double b)
{
  return isfinite (a) && isfinite (b) ? g_strdup_printf ("%+.1f", 100.0 * (b - a)) : g_strdup ("-");
}

static char *
number (double v, const char *format)
{
  return isfinite (v) ? g_strdup_printf (format, v) : g_strdup ("-");
}

static void
print_settings (const TlRunComparison *c)
{
  printf ("%s\n", _("Settings that differ (A → B):"));
  if (c->settings->len == 0)
    printf ("  %s\n", _("none: both ran the same experiment"));
  for (guint i = 0; i < c->settings->len; i++)
    {
      TlSettingChange *s = g_ptr_array_index (c->settings, i);
      printf ("  %s: %s → %s\n", s->key, s->a ? s->a : _("(absent)"), s->b ? s->b : _("(absent)"));
    }
}

static void
print_metrics (const TlRunComparison *c)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  g_ptr_array_add (rows, tl_table_row (_("run"), _("accuracy A"), _("accuracy B"), _("points"), _("macro F1 A"),
                                       _("macro F1 B"), _("epochs A"), _("epochs B"), _("seconds A"),
                                       _("seconds B"), NULL));
  for (guint i = 0; i < c->runs->len; i++)
    {
      TlRunMetricsPair *p = g_ptr_array_index (c->runs, i);
      g_autofree char *aa = p->in_a ? percent (p->accuracy_a) : g_strdup ("-");
      g_autofree char *ab = p->in_b ? percent (p->accuracy_b) : g_strdup ("-");
      g_autofree char *d = points (p->accuracy_a, p->accuracy_b);
      g_autofree char *fa = p->in_a ? number (p->macro_f1_a, "%.3f") : g_strdup ("-");
      g_autofree char *fb = p->in_b ? number (p->macro_f1_b, "%.3f") : g_strdup ("-");
      g_autofree char *ea = p->in_a ? g_strdup_printf ("%d", p->epochs_a) : g_strdup ("-");
      g_autofree char *eb = p->in_b ? g_strdup_printf ("%d", p->epochs_b) : g_strdup ("-");
      g_autofree char *sa = p->in_a ? number (p->seconds_a, "%.1f") : g_strdup ("-");
      g_autofree char *sb = p->in_b ? number (p->seconds_b, "%.1f") : g_strdup ("-");

      g_ptr_array_add (rows, tl_table_row (p->run, aa, ab, d, fa, fb, ea, eb, sa, sb, NULL));
    }
  printf ("\n");
  tl_print_table (stdout, rows);
}

static void
print_confusion (const TlConfusionDiff *d)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr (GStrvBuilder) header = g_strv_builder_new ();
  gint64 changed = 0;

  for (int i = 0; i < d->n_classes * d->n_classes; i++)
    changed += d->diff[i] != 0;
  printf ("\n");
  if (changed == 0)
    {
      printf (_("%s: the confusion matrices are the same\n"), d->run);
      return;
    }
  printf (_("%s: confusion matrix B − A (rows: true class, columns: predicted)\n"), d->run);
  g_strv_builder_add (header, _("true \\ predicted"));
  for (int p = 0; p < d->n_classes; p++)
    g_strv_builder_add (header, d->labels[p]);
  g_ptr_array_add (rows, g_strv_builder_end (header));
  for (int t = 0; t < d->n_classes; t++)
    {
      g_autoptr (GStrvBuilder) row = g_strv_builder_new ();

      g_strv_builder_add (row, d->labels[t]);
      for (int p = 0; p < d->n_classes; p++)
        {
          gint64 v = d->diff[t * d->n_classes + p];
          g_autofree char *cell = v == 0 ? g_strdup ("0") : g_strdup_printf ("%+" G_GINT64_FORMAT, v);
          g_strv_builder_add (row, cell);
        }
      g_ptr_array_add (rows, g_strv_builder_end (row));
    }
  tl_print_table (stdout, rows);
}

int
tl_cmd_compare (int argc, char **argv)
{
  g_auto (GStrv) files = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the comparison as JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlRunRecord) a = NULL;
  g_autoptr (TlRunRecord) b = NULL;
  g_autoptr (TlRunComparison) c = NULL;

  context = tl_cli_context_new (_("RUN_DIR_A RUN_DIR_B — compare two runs of an experiment"),
                                _("Prints the settings that differ between two run folders (as --set keys), "
                                   "each run's test accuracy, macro F1, epochs and training time side by side, "
                                   "and the difference of their confusion matrices, cell by cell (B − A). "
                                   "'transfer-lab history' lists the run folders."),
                                entries, NULL);
  if (!tl_cli_parse (context, &argc, &argv, &files, 2,
                     _("compare: give exactly two run folders (see 'transfer-lab compare --help')")))
    return TL_EXIT_USAGE;
  if ((a = tl_run_record_load (files[0], &error)) == NULL || (b = tl_run_record_load (files[1], &error)) == NULL
      || (c = tl_run_compare (a, b, &error)) == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (json)
    {
      g_autoptr (JsonNode) node = tl_run_comparison_to_json (c);
      g_autofree char *text = tl_json_to_pretty_string (node);
      fputs (text, stdout);
      if (text[0] != '\0' && text[strlen (text) - 1] != '\n')
        fputc ('\n', stdout);
      return TL_EXIT_OK;
    }
  printf (_("A: %s (%s)\nB: %s (%s)\n\n"), a->folder, _(tl_run_status_name (a->status)), b->folder,
          _(tl_run_status_name (b->status)));
  print_settings (c);
  print_metrics (c);
  for (guint i = 0; i < c->confusion->len; i++)
    print_confusion (g_ptr_array_index (c->confusion, i));
  for (guint i = 0; i < c->notes->len; i++)
    printf ("\n%s\n", (char *) g_ptr_array_index (c->notes, i));
  return TL_EXIT_OK;
}
