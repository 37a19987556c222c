#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "tl-remove-tree.h"
#include "tl-cmd-run-torch.h"
#include "tl-commands.h"
#include "tl-error.h"
#include "tl-run-history.h"
#include "tl-run-summary.h"
#include "tl-torch-collect.h"
#include "tl-torch-job.h"
#include "tl-torch-probe.h"

/* Probabilities the application and the engine compute for the same model and rows agree within this. */
#define TORCH_TOLERANCE 1e-4

/* The interpreter and its torch, or FALSE after saying why there is none. */
static gboolean
probe_torch (TlTorchProbe *p)
{
  g_autoptr (GError) error = NULL;

  if (tl_torch_probe_run (p, &error))
    return TRUE;
  tl_cli_error (_("--engine torch: %s"), error->message);
  return FALSE;
}

/* "cpu" or "cuda" for what was asked, or NULL after saying why not. */
static const char *
choose_device (const char *asked, int nproc, const TlTorchProbe *p)
{
  if (g_strcmp0 (asked, "cpu") == 0)
    return "cpu";
  if (g_strcmp0 (asked, "auto") == 0)
    return p->cuda && p->gpus >= nproc ? "cuda" : "cpu";
  if (!p->cuda || p->gpus == 0)
    {
      tl_cli_error (_("--devices cuda: PyTorch %s (%s) sees no CUDA device on this machine; use --devices cpu "
                      "or auto, or --prepare-only to run the job on a machine with GPUs"), p->torch_version,
                    p->python);
      return NULL;
    }
  if (p->gpus < nproc)
    {
      tl_cli_error (_("--devices cuda --nproc %d: this machine has %d CUDA device(s); ask for at most %d processes"),
                    nproc, p->gpus, p->gpus);
      return NULL;
    }
  return "cuda";
}

static char *
quoted (char **argv)
{
  g_autoptr (GString) s = g_string_new (NULL);

  for (int i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *q = g_shell_quote (argv[i]);
      g_string_append_printf (s, "%s%s", i ? " " : "", strchr (argv[i], ' ') || strchr (argv[i], '\'') ? q
                                                                                                           : argv[i]);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Where a run's job is kept until it is collected: beside --out, or in the run history. */
static char *
stable_job_folder (const TlExperiment *exp, const char *out)
{
  g_autofree char *root = NULL;

  if (out != NULL)
    return g_strdup_printf ("%s.torch-job", out);
  root = tl_run_history_root (exp, NULL);
  return g_build_filename (root, ".torch-job", NULL);
}

static int
collect_and_report (const char *job, const char *out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlPipelineResult) result = NULL;

  if (!tl_torch_job_collect (job, out, TORCH_TOLERANCE, &result, &error))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  tl_cmd_run_print_summary (result);
  return TL_EXIT_OK;
}

int
tl_cmd_run_torch_collect (const char *job_dir, const char *out)
{
  return collect_and_report (job_dir, out);
}

int
tl_cmd_run_torch (const TlExperiment *exp, const TlTorchRunOptions *o)
{
  g_autoptr (GError) error = NULL;
  g_auto (TlTorchProbe) probe = { 0 };
  g_auto (GStrv) argv = NULL;
  g_autofree char *job = NULL, *line = NULL, *parent = NULL, *manifest = NULL;
  TlTorchJobOptions job_options = { tl_torch_engine_dir (), o->nproc, o->devices };
  const char *device;
  int status = 0, code;

  if (o->nproc < 1)
    {
      tl_cli_error (_("--nproc %d: give at least 1 process"), o->nproc);
      return TL_EXIT_USAGE;
    }
  if (!tl_torch_job_check (exp, &error))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }

  if (o->prepare_only)
    {
      g_autofree char *name = g_strdup_printf ("%s-torch-job", exp->name);
      const char *folder = o->out ? o->out : name;

      if (o->dry_run)
        {
          argv = tl_torch_job_argv ("python3", NULL, folder, o->nproc, o->devices);
          line = quoted (argv);
          printf ("job folder: %s\ndevice: %s\ncommand: %s\n", folder, o->devices, line);
          return TL_EXIT_OK;
        }
      if (!tl_torch_job_prepare (exp, &job_options, folder, &error))
        {
          tl_cli_report (error);
          return TL_EXIT_FAILURE;
        }
      printf (_("The job is in %s: run its run.sh there (or `sbatch job.slurm` on a SLURM cluster), then\n"
                "  transfer-lab run --engine torch --collect %s\n"), folder, folder);
      return TL_EXIT_OK;
    }

  if (!probe_torch (&probe))
    return TL_EXIT_FAILURE;
  device = choose_device (o->devices, o->nproc, &probe);
  if (device == NULL)
    return TL_EXIT_FAILURE;
  job_options.device = device;
  if (o->dry_run)
    {
      argv = tl_torch_job_argv (probe.python, NULL, "JOBDIR", o->nproc, device);
      line = quoted (argv);
      printf ("python: %s (torch %s)\ndevice: %s, %d process(es), backend %s\ncommand: %s\n", probe.python,
              probe.torch_version, device, o->nproc, strcmp (device, "cuda") == 0 ? "nccl" : "gloo", line);
      return TL_EXIT_OK;
    }

  job = stable_job_folder (exp, o->out);
  manifest = g_build_filename (job, "job.json", NULL);
  if (o->resume)
    {
      if (!g_file_test (manifest, G_FILE_TEST_IS_REGULAR))
        {
          tl_cli_error (_("--resume: there is no stopped PyTorch job to continue (%s); run without --resume"),
                        manifest);
          return TL_EXIT_FAILURE;
        }
      printf (_("Continuing the stopped PyTorch job in %s\n"), job);
    }
  else
    {
      if (g_file_test (job, G_FILE_TEST_EXISTS))
        {
          printf (_("Starting over: the stopped PyTorch job in %s is discarded (--resume continues it)\n"), job);
          tl_remove_tree (job);
        }
      parent = g_path_get_dirname (job);
      if (g_mkdir_with_parents (parent, 0755) != 0)
        {
          tl_cli_error (_("%s: cannot create the folder: %s"), parent, g_strerror (errno));
          return TL_EXIT_FAILURE;
        }
      printf (_("Preparing the data for PyTorch in %s...\n"), job);
      fflush (stdout);
      if (!tl_torch_job_prepare (exp, &job_options, job, &error))
        {
          tl_cli_report (error);
          return TL_EXIT_FAILURE;
        }
    }
  argv = tl_torch_job_argv (probe.python, NULL, job, o->nproc, device);
  line = quoted (argv);
  printf (_("Training with torch %s: %s\n"), probe.torch_version, line);
  fflush (stdout);
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL,
                     &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    {
      tl_cli_error (_("the torch engine failed (%s); its job folder is kept: %s (--resume continues it from its "
                      "last finished epoch)"), error->message, job);
      return TL_EXIT_FAILURE;
    }
  /* --force: the finished run in --out makes way, as for a local run */
  if (o->force && o->out != NULL)
    {
      g_autofree char *summary = g_build_filename (o->out, "summary.json", NULL);
      if (g_file_test (summary, G_FILE_TEST_EXISTS) && g_unlink (summary) != 0)
        {
          tl_cli_error (_("%s: cannot remove it; the job folder is kept: %s"), summary, job);
          return TL_EXIT_FAILURE;
        }
    }
  code = collect_and_report (job, o->out);
  if (code == TL_EXIT_OK)
    tl_remove_tree (job);
  else
    tl_cli_error (_("the job folder is kept: %s"), job);
  return code;
}
