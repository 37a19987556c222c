#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "tl-architecture.h"
#include "tl-atomic-file.h"
#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-experiment.h"
#include "tl-model-file.h"
#include "tl-onnx.h"

int
tl_cmd_export (int argc, char **argv)
{
  g_auto (GStrv) files = NULL;
  g_autofree char *onnx = NULL, *architecture = NULL, *safetensors = NULL;
  GOptionEntry entries[] = {
    { "onnx", 0, 0, G_OPTION_ARG_FILENAME, &onnx, N_("Write an ONNX model (opset 17) for inference elsewhere"), N_("FILE") },
    { "architecture", 0, 0, G_OPTION_ARG_FILENAME, &architecture, N_("Write the layer structure as JSON"), N_("FILE") },
    { "safetensors", 0, 0, G_OPTION_ARG_FILENAME, &safetensors, N_("Write a copy of the model file, rewritten"), N_("FILE") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlModelInfo) info = NULL;

  context = tl_cli_context_new (_("MODEL — convert a model file to other formats"),
                                NULL,
                                entries, NULL);
  if (!tl_cli_parse (context, &argc, &argv, &files, 1,
                     _("export: give exactly one MODEL file (see 'transfer-lab export --help')")))
    return TL_EXIT_USAGE;
  if (onnx == NULL && architecture == NULL && safetensors == NULL)
    {
      tl_cli_error (_("export: choose an output: --onnx, --architecture or --safetensors"));
      return TL_EXIT_USAGE;
    }
  model = tl_model_file_load (files[0], &info, &error);
  if (model == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (onnx != NULL)
    {
      if (!tl_onnx_export (model, (const char *const *) info->labels, info->preprocessing, onnx, &error))
        {
          tl_cli_report (error);
          return TL_EXIT_FAILURE;
        }
      printf (_("Wrote %s\n"), onnx);
    }
  if (architecture != NULL)
    {
      g_autoptr (JsonNode) node = tl_model_architecture_to_json (model);
      g_autofree char *text = tl_json_to_pretty_string (node);
      if (!tl_atomic_write_bytes (architecture, text, strlen (text), &error))
        {
          tl_cli_report (error);
          return TL_EXIT_FAILURE;
        }
      printf (_("Wrote %s\n"), architecture);
    }
  if (safetensors != NULL)
    {
      if (!tl_model_file_save (safetensors, model, info, &error))
        {
          tl_cli_report (error);
          return TL_EXIT_FAILURE;
        }
      printf (_("Wrote %s\n"), safetensors);
    }
  return TL_EXIT_OK;
}
