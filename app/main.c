#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>

#include "tl-application.h"
#include "tl-commands.h"
#include "tl-gemm.h"

static const TlCommand commands[] = {
  { "data", N_("Import a dataset and print its report"), tl_cmd_data },
  { "train", N_("Train a model on a dataset from a preset and save it"), tl_cmd_train },
  { "evaluate", N_("Evaluate a model on labelled data: metrics and confusion matrix"), tl_cmd_evaluate },
  { "predict", N_("Write a model's predictions for new data as CSV"), tl_cmd_predict },
  { "inspect", N_("Show a model file: layers, shapes, parameters, labels, provenance"), tl_cmd_inspect },
  { "export", N_("Convert a model file to ONNX or other formats"), tl_cmd_export },
  { "import", N_("Import a pretrained network from ONNX as a model file"), tl_cmd_import },
  { "run", N_("Run a transfer experiment file end to end"), tl_cmd_run },
  { "history", N_("List the runs kept of an experiment, with their accuracy and changes"), tl_cmd_history },
  { "compare", N_("Compare two runs: settings, metrics and confusion matrices"), tl_cmd_compare },
  { "assess", N_("Score a model's layers for a target before training: LogME, LEEP, recommended cut"), tl_cmd_assess },
  { "explain", N_("Explain predictions for some rows: heat maps for images, term scores for text"), tl_cmd_explain },
  { NULL, NULL, NULL },
};

/* Run from the build folder, the catalogues are the ones just built. */
static const char *
locale_dir (void)
{
  g_autofree char *installed = g_build_filename (LOCALEDIR, "zh_CN", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  if (g_getenv ("TL_LOCALEDIR"))
    return g_getenv ("TL_LOCALEDIR");
  if (!g_file_test (installed, G_FILE_TEST_EXISTS) && g_file_test (BUILD_LOCALEDIR, G_FILE_TEST_IS_DIR))
    return BUILD_LOCALEDIR;
  return LOCALEDIR;
}

static void
print_help (FILE *out)
{
  fprintf (out, "%s\n\n", _("Usage: transfer-lab [COMMAND] [OPTIONS...]"));
  fprintf (out, "%s\n\n", _("Without a command, opens the Transfer Lab window."));
  fprintf (out, "%s\n", _("Commands:"));
  for (const TlCommand *c = commands; c->name != NULL; c++)
    fprintf (out, "  %-10s %s\n", c->name, _(c->summary));
  fprintf (out, "\n%s\n", _("Options:"));
  fprintf (out, "  %-10s %s\n", "--help", _("Show this help"));
  fprintf (out, "  %-10s %s\n", "--version", _("Show the version"));
  fprintf (out, "\n%s\n", _("Run 'transfer-lab COMMAND --help' for a command's options."));
}

int
main (int argc, char **argv)
{
  tl_gemm_restart_with_preferred_kernels (argv);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc >= 2 && argv[1][0] != '-')
    {
      for (const TlCommand *c = commands; c->name != NULL; c++)
        if (strcmp (argv[1], c->name) == 0)
          return c->run (argc - 1, argv + 1);
      tl_cli_error (_("unknown command '%s' (see 'transfer-lab --help')"), argv[1]);
      return TL_EXIT_USAGE;
    }

  if (argc >= 2 && (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-v") == 0))
    {
      printf ("transfer-lab %s\n", PACKAGE_VERSION);
      return TL_EXIT_OK;
    }
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      print_help (stdout);
      return TL_EXIT_OK;
    }

#ifdef __GLIBC__
  /* The window lives long and its imports and runs work in threads; with glibc's
   * sliding threshold, the large buffers they free stay in those threads' arenas.
   * A fixed one gives every buffer of 1 MiB or more back to the system when freed. */
  mallopt (M_MMAP_THRESHOLD, 1 << 20);
#endif
  return tl_application_run (argc, argv);
}
