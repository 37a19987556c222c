#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-cmd-run-torch.h"
#include "tl-run-summary.h"
#include "tl-commands.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-experiment-check.h"
#include "tl-pipeline.h"
#include "tl-progress.h"
#include "tl-run-history.h"

typedef struct {
  TlProgress   *progress;
  GCancellable *cancellable;
  gboolean      quiet;
} RunView;

static void
check_interrupt (RunView *v)
{
  if (tl_interrupt_requested () && !g_cancellable_is_cancelled (v->cancellable))
    g_cancellable_cancel (v->cancellable);
}

/* The run a transfer stage trains, which its message names first ("joint: training ..."); the
 * fine-tuning is the run "transfer". */
static char *
transfer_run_of (const char *message)
{
  gsize len = message != NULL ? strcspn (message, ": ") : 0;

  if (len == 0 || message[len] != ':' || strncmp (message, "fine-tune", len) == 0)
    return g_strdup ("transfer");
  return g_strndup (message, len);
}

static void
on_stage (TlPipelineStage stage, const char *message, gpointer user_data)
{
  RunView *v = user_data;

  check_interrupt (v);
  if (stage == TL_STAGE_TRANSFER)
    {
      g_autofree char *run = transfer_run_of (message);
      tl_progress_set_stage (v->progress, run);
    }
  else if (stage == TL_STAGE_PRETRAIN || stage == TL_STAGE_BASELINE)
    tl_progress_set_stage (v->progress, tl_pipeline_stage_name (stage));
  if (!v->quiet && stage != TL_STAGE_DONE)
    tl_progress_message (v->progress, "[%s] %s", tl_pipeline_stage_name (stage), message);
}

static void
on_batch (TlPipelineStage stage, const TlBatchProgress *progress, gpointer user_data)
{
  RunView *v = user_data;

  check_interrupt (v);
  if (!v->quiet)
    tl_progress_batch (v->progress, progress);
}

static void
on_epoch (TlPipelineStage stage, const TlEpochRecord *record, const TlHistory *history, gpointer user_data)
{
  RunView *v = user_data;

  check_interrupt (v);
  if (!v->quiet)
    tl_progress_epoch (v->progress, record, 0);
}

static void
on_generate (const char *role, const char *folder, const char *generator, gpointer user_data)
{
  if (g_strcmp0 (role, "target") == 0)
    printf (_("The target folder %s is missing: generating it with %s (this takes a few seconds)...\n"), folder,
            generator);
  else
    printf (_("The source folder %s is missing: generating it with %s (this takes a few seconds)...\n"), folder,
            generator);
  fflush (stdout);
}

/* The command that continues this run where it stopped. */
static char *
resume_command (const char *experiment, const char *out, char **sets, const char *strategy)
{
  g_autoptr (GString) cmd = g_string_new ("transfer-lab run");
  g_autofree char *exp_q = g_shell_quote (experiment);
  g_autofree char *out_q = g_shell_quote (out);

  g_string_append_printf (cmd, " %s --out %s", exp_q, out_q);
  for (int i = 0; sets && sets[i]; i++)
    {
      g_autofree char *q = g_shell_quote (sets[i]);
      g_string_append_printf (cmd, " --set %s", q);
    }
  if (strategy != NULL)
    {
      g_autofree char *q = g_shell_quote (strategy);
      g_string_append_printf (cmd, " --strategy %s", q);
    }
  g_string_append (cmd, " --resume");
  return g_string_free (g_steal_pointer (&cmd), FALSE);
}

/* --strategy fine-tune,joint: the same as --set transfer.strategy='["fine-tune","joint"]'. */
static gboolean
apply_strategies (TlExperiment *exp, const char *list, GError **error)
{
  g_auto (GStrv) names = g_strsplit (list, ",", -1);
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *value = NULL;

  for (int i = 0; names[i] != NULL; i++)
    {
      g_strstrip (names[i]);
      if (names[i][0] != '\0')
        json_array_add_string_element (array, names[i]);
    }
  json_node_set_array (node, array);
  value = json_to_string (node, FALSE);
  return tl_experiment_set_override (exp, "transfer.strategy", value, NULL, error);
}

int
tl_cmd_run (int argc, char **argv)
{
  g_auto (GStrv) files = NULL;
  g_auto (GStrv) sets = NULL;
  g_autofree char *out = NULL, *strategy = NULL, *engine = NULL, *devices = NULL, *collect = NULL;
  gboolean quiet = FALSE, resume = FALSE, retrain = FALSE, force = FALSE, prepare_only = FALSE, dry_run = FALSE;
  int nproc = 1;
  guint n_files;
  GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Exactly this results folder (default: a new dated folder in the experiment's run history)"), N_("DIR") },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, N_("Override a field by its dotted path, e.g. target.per_class=5 (repeatable)"), N_("KEY=VALUE") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("Print only the summary"), NULL },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, N_("Continue an interrupted run in the results folder"), NULL },
    { "strategy", 0, 0, G_OPTION_ARG_STRING, &strategy, N_("Transfer strategies to run, e.g. fine-tune,joint (sets transfer.strategy)"), N_("NAME[,NAME...]") },
    { "retrain", 0, 0, G_OPTION_ARG_NONE, &retrain, N_("Train every stage, even one whose inputs match an earlier run"), NULL },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, N_("Replace a finished run in the --out folder"), NULL },
    { "engine", 0, 0, G_OPTION_ARG_STRING, &engine, N_("Who trains: builtin (default) or torch (PyTorch under torchrun)"), N_("NAME") },
    { "devices", 0, 0, G_OPTION_ARG_STRING, &devices, N_("With --engine torch: cpu, cuda or auto (default)"), N_("KIND") },
    { "nproc", 0, 0, G_OPTION_ARG_INT, &nproc, N_("With --engine torch: processes, one per device (default 1)"), N_("N") },
    { "prepare-only", 0, 0, G_OPTION_ARG_NONE, &prepare_only, N_("With --engine torch: write a job folder (--out) to run elsewhere, and stop"), NULL },
    { "collect", 0, 0, G_OPTION_ARG_FILENAME, &collect, N_("With --engine torch: read a job folder that has run into a run folder"), N_("JOBDIR") },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, N_("With --engine torch: print the device and the command line, run nothing"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = NULL;
  g_autoptr (TlPipelineResult) result = NULL;
  g_autoptr (TlProgress) progress = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  TlPipelineCallbacks callbacks = { on_stage, on_batch, on_epoch, NULL };
  TlPipelineOptions options;
  RunView view = { 0 };
  gboolean ok;

  context = tl_cli_context_new (_("EXPERIMENT.json — run a transfer experiment end to end"),
                                _("Imports the source and target data, pretrains, transfers and fine-tunes, "
                                   "trains the baseline, evaluates every run on the target's test data and "
                                   "writes models, plots, metrics and summary.json into the results folder."),
                                entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      tl_cli_error ("%s", error->message);
      return TL_EXIT_USAGE;
    }
  n_files = files ? g_strv_length (files) : 0;
  if (engine != NULL && strcmp (engine, "builtin") != 0 && strcmp (engine, "torch") != 0)
    {
      tl_cli_error (_("--engine %s: expected builtin or torch"), engine);
      return TL_EXIT_USAGE;
    }
  if (devices != NULL && strcmp (devices, "cpu") != 0 && strcmp (devices, "cuda") != 0
      && strcmp (devices, "auto") != 0)
    {
      tl_cli_error (_("--devices %s: expected cpu, cuda or auto"), devices);
      return TL_EXIT_USAGE;
    }
  if (g_strcmp0 (engine, "torch") != 0 && (devices || collect || prepare_only || dry_run || nproc != 1))
    {
      tl_cli_error (_("--devices, --nproc, --prepare-only, --collect and --dry-run go with --engine torch"));
      return TL_EXIT_USAGE;
    }
  if (collect != NULL)
    {
      if (n_files != 0)
        {
          tl_cli_error (_("run --collect: give the job folder only, not an experiment"));
          return TL_EXIT_USAGE;
        }
      return tl_cmd_run_torch_collect (collect, out);
    }
  if (n_files != 1)
    {
      tl_cli_error (_("run: give exactly one EXPERIMENT.json (see 'transfer-lab run --help')"));
      return TL_EXIT_USAGE;
    }
  exp = tl_experiment_load (files[0], &error);
  if (exp == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  for (int i = 0; sets && sets[i]; i++)
    if (!tl_experiment_apply_override (exp, sets[i], NULL, &error))
      {
        g_prefix_error (&error, "--set ");
        tl_cli_report (error);
        return TL_EXIT_USAGE;
      }
  if (strategy != NULL && !apply_strategies (exp, strategy, &error))
    {
      g_prefix_error (&error, "--strategy: ");
      tl_cli_report (error);
      return TL_EXIT_USAGE;
    }

  /* Data a generator makes (the demo's synthetic voices) are made first, once. */
  if (tl_experiment_needs_generation (exp) && !tl_experiment_generate_data (exp, on_generate, NULL, &error))
    {
      tl_cli_error (_("the missing data could not be generated: %s"), error->message);
      return TL_EXIT_FAILURE;
    }

  /* Every problem of the set-up at once, before any data is read or any model trained. */
  {
    g_autoptr (GPtrArray) problems = tl_experiment_check (exp, NULL, NULL);

    for (guint i = 0; i < problems->len; i++)
      {
        TlExperimentProblem *p = g_ptr_array_index (problems, i);
        tl_cli_error ("%s: %s: %s", files[0], p->field, p->message);
      }
    if (problems->len > 0)
      return TL_EXIT_USAGE;
  }

  /* --out names one folder: a finished run there is not replaced by mistake */
  if (out != NULL && !force && !resume && tl_run_folder_is_finished (out))
    {
      tl_cli_error (_("%s holds a finished run (its summary.json); choose another --out, leave --out off "
                      "for a new dated run folder, or add --force to replace it"), out);
      return TL_EXIT_FAILURE;
    }

  if (g_strcmp0 (engine, "torch") == 0)
    {
      TlTorchRunOptions torch = { devices ? devices : "auto", nproc, prepare_only, dry_run, out, force, resume };

      if (retrain)
        {
          tl_cli_error (_("--retrain is not available with --engine torch"));
          return TL_EXIT_USAGE;
        }
      if (resume && prepare_only)
        {
          tl_cli_error (_("--resume goes with a run, not with --prepare-only (run the job's run.sh again: it "
                          "continues from its checkpoints)"));
          return TL_EXIT_USAGE;
        }
      return tl_cmd_run_torch (exp, &torch);
    }

  progress = tl_progress_new (stdout);
  view.progress = progress;
  view.cancellable = cancellable;
  view.quiet = quiet;
  callbacks.user_data = &view;
  tl_pipeline_options_init (&options);
  options.output_folder = out;
  options.resume = resume;
  options.retrain = retrain;
  tl_interrupt_install ();
  ok = tl_pipeline_run_with_options (exp, &options, &callbacks, cancellable, &result, &error);
  tl_progress_end_line (progress);
  if (result != NULL && result->runs->len > 0)
    tl_cmd_run_print_summary (result);
  if (!ok)
    {
      if (g_error_matches (error, TL_ERROR, TL_ERROR_CANCELLED))
        {
          g_autofree char *folder = result != NULL ? g_strdup (result->output_folder)
                                                   : tl_experiment_output_folder (exp, out);
          g_autofree char *command = resume_command (files[0], folder, sets, strategy);
          tl_cli_error (_("interrupted: %s; continue with: %s"), error->message, command);
        }
      else
        tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  return TL_EXIT_OK;
}
