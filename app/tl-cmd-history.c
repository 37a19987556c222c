#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-json-pretty.h"
#include "tl-progress.h"
#include "tl-run-history.h"

/* `transfer-lab history EXPERIMENT.json`: the runs kept in the experiment's run
 * history, with their accuracy and what changed from the run before. */

/* TlRunStatus, as the window shows it too */
static const char *const status_labels[] = { N_("finished"), N_("stopped"), N_("incomplete") };

static void
add_name (GPtrArray *names, const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (strcmp (g_ptr_array_index (names, i), name) == 0)
      return;
  g_ptr_array_add (names, g_strdup (name));
}

static char *
changes_text (const TlRunRecord *r, gboolean first)
{
  if (first)
    return g_strdup (_("(first run)"));
  if (r->changes == NULL)
    return g_strdup ("?");
  if (r->changes[0] == NULL)
    return g_strdup (_("(same settings)"));
  return g_strjoinv (", ", r->changes);
}

static char *
reused_text (const TlRunRecord *r)
{
  g_auto (GStrv) names = tl_run_record_run_names (r);
  g_autoptr (GStrvBuilder) reused = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;

  for (int i = 0; names[i] != NULL; i++)
    if (tl_run_record_reused_from (r, names[i]) != NULL)
      g_strv_builder_add (reused, names[i]);
  list = g_strv_builder_end (reused);
  return list[0] ? g_strjoinv (", ", list) : g_strdup ("-");
}

static void
print_history (const TlRunHistory *history)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr (GStrvBuilder) header = g_strv_builder_new ();
  TlRunRecord *latest = tl_run_history_latest (history);

  for (guint i = 0; i < history->records->len; i++)
    {
      g_auto (GStrv) run_names = tl_run_record_run_names (g_ptr_array_index (history->records, i));
      for (int k = 0; run_names[k] != NULL; k++)
        add_name (names, run_names[k]);
    }
  g_strv_builder_add_many (header, _("run"), _("status"), NULL);
  for (guint k = 0; k < names->len; k++)
    g_strv_builder_add (header, g_ptr_array_index (names, k));
  g_strv_builder_add_many (header, _("reused"), _("changes from the run before"), NULL);
  g_ptr_array_add (rows, g_strv_builder_end (header));
  for (guint i = 0; i < history->records->len; i++)
    {
      TlRunRecord *r = g_ptr_array_index (history->records, i);
      g_autoptr (GStrvBuilder) row = g_strv_builder_new ();
      g_autofree char *changes = changes_text (r, i == 0);
      g_autofree char *reused = reused_text (r);

      g_strv_builder_add_many (row, r->id, _(status_labels[r->status]), NULL);
      for (guint k = 0; k < names->len; k++)
        {
          double acc = tl_run_record_accuracy (r, g_ptr_array_index (names, k));
          g_autofree char *cell = isfinite (acc) ? g_strdup_printf ("%.1f%%", 100.0 * acc) : g_strdup ("-");
          g_strv_builder_add (row, cell);
        }
      g_strv_builder_add_many (row, reused, changes, NULL);
      g_ptr_array_add (rows, g_strv_builder_end (row));
    }
  printf (_("Runs of %s in %s\n\n"),
          latest->experiment && latest->experiment->name ? latest->experiment->name : "?", history->root);
  tl_print_table (stdout, rows);
  printf ("\n");
  printf (_("Compare two with: transfer-lab compare %s/RUN_A %s/RUN_B\n"), history->root, history->root);
}

int
tl_cmd_history (int argc, char **argv)
{
  g_auto (GStrv) files = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the runs as JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlRunHistory) history = NULL;

  context = tl_cli_context_new (_("EXPERIMENT.json — list the runs kept of an experiment"),
                                _("Lists the run folders of the experiment's run history (results/<name>/ next "
                                   "to it, or its outputs.folder): when each ran, its status, the test accuracy "
                                   "of each of its runs, the stages it reused and the settings that changed "
                                   "from the run before. A history folder may be given instead of the file."),
                                entries, NULL);
  if (!tl_cli_parse (context, &argc, &argv, &files, 1,
                     _("history: give exactly one EXPERIMENT.json (see 'transfer-lab history --help')")))
    return TL_EXIT_USAGE;
  if (g_file_test (files[0], G_FILE_TEST_IS_DIR))
    history = tl_run_history_load (files[0], &error);
  else
    {
      g_autoptr (TlExperiment) exp = tl_experiment_load (files[0], &error);
      if (exp != NULL)
        history = tl_run_history_for_experiment (exp, NULL, &error);
    }
  if (history == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (history->index_warning != NULL)
    tl_cli_error (_("warning: %s"), history->index_warning);
  if (json)
    {
      g_autoptr (JsonNode) node = tl_run_history_to_json (history);
      g_autofree char *text = tl_json_to_pretty_string (node);
      fputs (text, stdout);
      if (text[0] != '\0' && text[strlen (text) - 1] != '\n')
        fputc ('\n', stdout);
      return TL_EXIT_OK;
    }
  if (history->records->len == 0)
    {
      printf (_("No runs yet in %s\n"), history->root);
      return TL_EXIT_OK;
    }
  print_history (history);
  return TL_EXIT_OK;
}
