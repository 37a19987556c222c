#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl-cli-errors.h"
#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-error.h"
#include "tl-model-file.h"
#include "tl-onnx-import.h"
#include "tl-torch-state-dict.h"

/* "0.485,0.456,0.406": one number per input channel. */
static gboolean
parse_channels (const char *option, const char *text, int channels, gboolean positive, JsonBuilder *b)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  if ((int) g_strv_length (parts) != channels)
    {
      tl_cli_error (_("import: --%s needs %d numbers separated by commas, one per input channel"), option,
                    channels);
      return FALSE;
    }
  json_builder_set_member_name (b, option);
  json_builder_begin_array (b);
  for (int c = 0; c < channels; c++)
    {
      char *end = NULL;
      double v = g_ascii_strtod (parts[c], &end);

      if (end == parts[c] || *end != '\0' || !(v > -1e6 && v < 1e6) || (positive && v <= 0))
        {
          tl_cli_error (_("import: --%s: “%s” is not a number (standard deviations must be above 0)"), option,
                        parts[c]);
          return FALSE;
        }
      json_builder_add_double_value (b, v);
    }
  json_builder_end_array (b);
  return TRUE;
}

/* "3x224x224" */
static gboolean
parse_input (const char *text, int shape[3])
{
  g_auto (GStrv) parts = g_strsplit (text, "x", -1);

  if (g_strv_length (parts) != 3)
    return FALSE;
  for (int d = 0; d < 3; d++)
    {
      char *end = NULL;
      gint64 v = g_ascii_strtoll (parts[d], &end, 10);

      if (end == parts[d] || *end != '\0' || v < 1 || v > 4096)
        return FALSE;
      shape[d] = (int) v;
    }
  return TRUE;
}

/* The network of a torchvision state dict (--arch), or of an ONNX file. */
static TlModel *
read_network (const char *path, const char *arch, const char *input, gint64 *opset, GHashTable **metadata,
              int *status)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlOnnxFile) file = NULL;
  TlModel *model = NULL;
  int shape[3];

  *status = TL_EXIT_FAILURE;
  if (arch == NULL && (g_str_has_suffix (path, ".pth") || g_str_has_suffix (path, ".pt")))
    {
      g_autofree char *list = g_strjoinv (", ", (char **) tl_torch_state_dict_archs);
      tl_cli_error (_("import: %s looks like a PyTorch state dict: give its architecture with --arch (%s) and "
                      "--input CHANNELSxHEIGHTxWIDTH"), path, list);
      *status = TL_EXIT_USAGE;
      return NULL;
    }
  if (arch != NULL)
    {
      if (input == NULL || !parse_input (input, shape))
        {
          tl_cli_error (_("import: a state dict needs --input CHANNELSxHEIGHTxWIDTH, e.g. 3x224x224"));
          *status = TL_EXIT_USAGE;
          return NULL;
        }
      model = tl_torch_state_dict_import (path, arch, shape, &error);
      *opset = 0;
    }
  else
    {
      if (input != NULL)
        {
          tl_cli_error (_("import: --input goes with --arch: an ONNX file gives its own input shape"));
          *status = TL_EXIT_USAGE;
          return NULL;
        }
      file = tl_onnx_file_read (path, &error);
      if (file != NULL)
        {
          model = tl_onnx_import (file, path, &error);
          *opset = file->opset;
          *metadata = g_hash_table_ref (file->metadata);
        }
    }
  if (model == NULL)
    tl_cli_report (error);
  return model;
}

/* A JSON array of n strings, or NULL. */
static char **
names_of (const char *text, int n)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  JsonArray *a;

  if (!json_parser_load_from_data (parser, text, -1, NULL) || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser))
      || (int) json_array_get_length (a = json_node_get_array (json_parser_get_root (parser))) != n)
    return NULL;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *v = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        return NULL;
      g_ptr_array_add (names, g_strdup (json_node_get_string (v)));
    }
  g_ptr_array_add (names, NULL);
  g_ptr_array_set_free_func (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

/* The class names an ONNX file written by `export --onnx` carries in its
 * metadata ("labels"), when there is one per output. */
static char **
metadata_labels (GHashTable *metadata, const char *path, int n_outputs)
{
  const char *text = metadata ? g_hash_table_lookup (metadata, "labels") : NULL;
  char **names;

  if (text == NULL)
    return NULL;
  names = names_of (text, n_outputs);
  if (names == NULL)
    tl_cli_error (_("import: %s: the labels in its metadata are not one name per output; the classes are numbered"),
                  path);
  return names;
}

/* The normalisation ("mean", "std": one number per channel) of the image
 * preprocessing in an ONNX file's metadata, when it fits the network's input. */
static void
metadata_normalisation (GHashTable *metadata, const TlModel *model, JsonBuilder *pre)
{
  const char *text = metadata ? g_hash_table_lookup (metadata, "preprocessing") : NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *keys[] = { "mean", "std" };
  JsonObject *o;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  o = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "kind", ""), "image") != 0
      || json_object_get_int_member_with_default (o, "channels", 0) != model->in_shape[0]
      || json_object_get_int_member_with_default (o, "height", 0) != model->in_shape[1]
      || json_object_get_int_member_with_default (o, "width", 0) != model->in_shape[2])
    return;
  for (int k = 0; k < 2; k++)
    {
      JsonNode *n = json_object_get_member (o, keys[k]);
      JsonArray *a;

      if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n)
          || (int) json_array_get_length (a = json_node_get_array (n)) != model->in_shape[0])
        return;
      for (guint c = 0; c < json_array_get_length (a); c++)
        {
          JsonNode *v = json_array_get_element (a, c);
          double x;

          if (!JSON_NODE_HOLDS_VALUE (v) || (json_node_get_value_type (v) != G_TYPE_DOUBLE
                                             && json_node_get_value_type (v) != G_TYPE_INT64))
            return;
          x = json_node_get_double (v);
          if (!(x > -1e6 && x < 1e6) || (k == 1 && x <= 0))
            return;
        }
    }
  for (int k = 0; k < 2; k++)
    {
      json_builder_set_member_name (pre, keys[k]);
      json_builder_add_value (pre, json_node_copy (json_object_get_member (o, keys[k])));
    }
}

int
tl_cmd_import (int argc, char **argv)
{
  g_auto (GStrv) files = NULL;
  g_autofree char *out = NULL, *mean = NULL, *std = NULL, *arch = NULL, *input = NULL;
  gboolean force = FALSE;
  gint64 opset = 0;
  int status;
  GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("The model file to write (.safetensors)"), N_("FILE") },
    { "mean", 0, 0, G_OPTION_ARG_STRING, &mean, N_("Per-channel mean the inputs are normalised by"), N_("M1,M2,…") },
    { "std", 0, 0, G_OPTION_ARG_STRING, &std, N_("Per-channel standard deviation the inputs are divided by"), N_("S1,S2,…") },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch,
      N_("The torchvision architecture of a state dict: resnet18, mobilenet_v2, mobilenet_v3_small"), N_("NAME") },
    { "input", 0, 0, G_OPTION_ARG_STRING, &input, N_("The input shape of a state dict's network"), N_("CxHxW") },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, N_("Replace the output file if it exists"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlModelInfo) info = tl_model_info_new ();
  g_autoptr (JsonBuilder) pre = json_builder_new ();
  g_autoptr (JsonBuilder) prov = json_builder_new ();
  g_autofree char *base = NULL;
  g_autoptr (GHashTable) metadata = NULL;

  context = tl_cli_context_new (_("MODEL.onnx | STATE.pth --arch NAME --input CxHxW — import a pretrained network "
                                  "from ONNX or a torchvision state dict as a model file"),
                                NULL, entries, NULL);
  if (!tl_cli_parse (context, &argc, &argv, &files, 1,
                     _("import: give exactly one ONNX file or state dict (see 'transfer-lab import --help')")))
    return TL_EXIT_USAGE;
  if (out == NULL)
    {
      tl_cli_error (_("import: give the model file to write with --out"));
      return TL_EXIT_USAGE;
    }
  if (!force && g_file_test (out, G_FILE_TEST_EXISTS))
    {
      tl_cli_error (_("import: %s exists; give --force to replace it"), out);
      return TL_EXIT_USAGE;
    }
  model = read_network (files[0], arch, input, &opset, &metadata, &status);
  if (model == NULL)
    return status;
  info->labels = metadata_labels (metadata, files[0], tl_model_n_outputs (model));

  /* preprocessing: an image input [channels, height, width] says so; normalisation when given */
  json_builder_begin_object (pre);
  if (model->in_ndim == 3 && model->in_shape[0] <= 4)
    {
      json_builder_set_member_name (pre, "kind");
      json_builder_add_string_value (pre, "image");
      json_builder_set_member_name (pre, "width");
      json_builder_add_int_value (pre, model->in_shape[2]);
      json_builder_set_member_name (pre, "height");
      json_builder_add_int_value (pre, model->in_shape[1]);
      json_builder_set_member_name (pre, "channels");
      json_builder_add_int_value (pre, model->in_shape[0]);
      /* the classes are the file's labels, or the outputs' numbers, as the labels the file gets */
      json_builder_set_member_name (pre, "class_names");
      json_builder_begin_array (pre);
      for (int c = 0; c < tl_model_n_outputs (model); c++)
        {
          g_autofree char *name = g_strdup_printf ("%d", c);
          json_builder_add_string_value (pre, info->labels ? info->labels[c] : name);
        }
      json_builder_end_array (pre);
      /* a file written by `export --onnx` says how its inputs are normalised; --mean and --std override it */
      if (mean == NULL && std == NULL)
        metadata_normalisation (metadata, model, pre);
    }
  if ((mean != NULL) != (std != NULL))
    {
      tl_cli_error (_("import: give --mean and --std together"));
      return TL_EXIT_USAGE;
    }
  if (mean != NULL)
    {
      if (model->in_ndim != 3)
        {
          tl_cli_error (_("import: --mean and --std apply to image inputs [channels, height, width]"));
          return TL_EXIT_USAGE;
        }
      if (!parse_channels ("mean", mean, model->in_shape[0], FALSE, pre)
          || !parse_channels ("std", std, model->in_shape[0], TRUE, pre))
        return TL_EXIT_USAGE;
    }
  json_builder_end_object (pre);
  info->preprocessing = json_builder_get_root (pre);

  base = g_path_get_basename (files[0]);
  json_builder_begin_object (prov);
  json_builder_set_member_name (prov, "imported_from");
  json_builder_add_string_value (prov, base);
  if (arch != NULL)
    {
      json_builder_set_member_name (prov, "torchvision_arch");
      json_builder_add_string_value (prov, arch);
    }
  else
    {
      json_builder_set_member_name (prov, "onnx_opset");
      json_builder_add_int_value (prov, opset);
    }
  json_builder_end_object (prov);
  info->provenance = json_builder_get_root (prov);

  if (!tl_model_file_save (out, model, info, &error))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  {
    g_autofree char *params = g_strdup_printf ("%" G_GSIZE_FORMAT, tl_model_param_count (model, FALSE));
    printf (_("Imported %d layers, %s parameters; wrote %s\n"), tl_model_n_layers (model), params, out);
  }
  return TL_EXIT_OK;
}
