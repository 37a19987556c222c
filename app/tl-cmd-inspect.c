#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "tl-architecture.h"
#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-experiment.h"
#include "tl-model-file.h"
#include "tl-progress.h"

static JsonNode *
inspect_json (const char *path, TlModel *model, TlModelInfo *info)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "format_version");
  json_builder_add_string_value (b, info->format_version ? info->format_version : "");
  json_builder_set_member_name (b, "input_shape");
  json_builder_begin_array (b);
  for (int d = 0; d < model->in_ndim; d++)
    json_builder_add_int_value (b, model->in_shape[d]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      TlLayer *layer = tl_model_layer (model, i);
      g_autofree char *desc = tl_layer_spec_describe (&layer->spec);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, layer->name);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, tl_layer_kind_name (layer->spec.kind));
      json_builder_set_member_name (b, "description");
      json_builder_add_string_value (b, desc);
      if (layer->n_inputs > 0)
        {
          /* a graph model's layer: the indices of the layers it reads, -1 for the input */
          json_builder_set_member_name (b, "inputs");
          json_builder_begin_array (b);
          for (int k = 0; k < layer->n_inputs; k++)
            json_builder_add_int_value (b, layer->inputs[k]);
          json_builder_end_array (b);
        }
      json_builder_set_member_name (b, "output_shape");
      json_builder_begin_array (b);
      for (int d = 0; d < layer->out_ndim; d++)
        json_builder_add_int_value (b, layer->out_shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "params");
      json_builder_add_int_value (b, (gint64) tl_layer_param_count (layer));
      json_builder_set_member_name (b, "trainable");
      json_builder_add_boolean_value (b, layer->trainable);
      json_builder_set_member_name (b, "lr_mult");
      json_builder_add_double_value (b, layer->lr_mult);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "total_params");
  json_builder_add_int_value (b, (gint64) tl_model_param_count (model, FALSE));
  json_builder_set_member_name (b, "trainable_params");
  json_builder_add_int_value (b, (gint64) tl_model_param_count (model, TRUE));
  json_builder_set_member_name (b, "labels");
  json_builder_begin_array (b);
  for (int i = 0; info->labels && info->labels[i]; i++)
    json_builder_add_string_value (b, info->labels[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "preprocessing");
  json_builder_add_value (b, info->preprocessing ? json_node_copy (info->preprocessing) : json_node_new (JSON_NODE_NULL));
  json_builder_set_member_name (b, "provenance");
  json_builder_add_value (b, info->provenance ? json_node_copy (info->provenance) : json_node_new (JSON_NODE_NULL));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
print_preprocessing (JsonNode *node)
{
  JsonObject *o;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      printf ("%s\n", _("Preprocessing: none recorded"));
      return;
    }
  o = json_node_get_object (node);
  printf ("%s", _("Preprocessing:"));
  /* the scalar members only: vocabularies and column lists are long */
  {
    g_autoptr (GList) keys = json_object_get_members (o);
    for (GList *l = keys; l != NULL; l = l->next)
      {
        JsonNode *v = json_object_get_member (o, l->data);
        if (JSON_NODE_HOLDS_VALUE (v))
          {
            if (json_node_get_value_type (v) == G_TYPE_STRING)
              printf (" %s=%s", (char *) l->data, json_node_get_string (v));
            else if (json_node_get_value_type (v) == G_TYPE_INT64)
              printf (" %s=%" G_GINT64_FORMAT, (char *) l->data, json_node_get_int (v));
          }
        else if (JSON_NODE_HOLDS_ARRAY (v))
          printf (" %s=[%u]", (char *) l->data, json_array_get_length (json_node_get_array (v)));
      }
  }
  printf ("\n");
}

/* "Add ← 5, 2": a graph model's layer with the layers it reads, by index. */
static char *
describe_with_inputs (const TlLayer *layer)
{
  GString *s = g_string_new (NULL);
  g_autofree char *desc = tl_layer_spec_describe (&layer->spec);

  g_string_append (s, desc);
  for (int k = 0; k < layer->n_inputs; k++)
    {
      g_string_append (s, k == 0 ? " ← " : ", ");
      if (layer->inputs[k] < 0)
        g_string_append (s, _("input"));
      else
        g_string_append_printf (s, "%d", layer->inputs[k]);
    }
  return g_string_free (s, FALSE);
}

int
tl_cmd_inspect (int argc, char **argv)
{
  g_auto (GStrv) files = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print everything as JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *input = NULL;
  guint64 total, trainable;

  context = tl_cli_context_new (_("MODEL — show a model file's layers, shapes, parameters, labels and provenance"),
                                NULL,
                                entries, NULL);
  if (!tl_cli_parse (context, &argc, &argv, &files, 1,
                     _("inspect: give exactly one MODEL file (see 'transfer-lab inspect --help')")))
    return TL_EXIT_USAGE;
  model = tl_model_file_load (files[0], &info, &error);
  if (model == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (json)
    {
      g_autoptr (JsonNode) node = inspect_json (files[0], model, info);
      g_autofree char *text = tl_json_to_pretty_string (node);
      fputs (text, stdout);
      return TL_EXIT_OK;
    }

  total = tl_model_param_count (model, FALSE);
  trainable = tl_model_param_count (model, TRUE);
  input = tl_tensor_shape_string (model->in_ndim, model->in_shape);
  printf (_("Model %s (format %s, %u tensors, %llu bytes of weights)\n"), files[0],
          info->format_version ? info->format_version : "?", info->tensors ? info->tensors->len : 0,
          (unsigned long long) info->data_size);
  printf (_("Input %s\n\n"), input);
  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (rows, tl_table_row ("#", _("name"), _("layer"), _("output"), _("params"), _("state"), _("lr ×"), NULL));
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      TlLayer *layer = tl_model_layer (model, i);
      g_autofree char *index = g_strdup_printf ("%d", i);
      g_autofree char *desc = describe_with_inputs (layer);
      g_autofree char *shape = tl_tensor_shape_string (layer->out_ndim, layer->out_shape);
      g_autofree char *params = g_strdup_printf ("%" G_GSIZE_FORMAT, tl_layer_param_count (layer));
      g_autofree char *mult = g_strdup_printf ("%g", layer->lr_mult);
      const char *state = layer->n_params == 0 ? "-" : layer->trainable ? _("trainable") : _("frozen");

      g_ptr_array_add (rows, tl_table_row (index, layer->name, desc, shape, params, state, mult, NULL));
    }
  tl_print_table (stdout, rows);
  printf (_("\nParameters: %llu in all, %llu trainable, %llu frozen\n"),
          (unsigned long long) total, (unsigned long long) trainable, (unsigned long long) (total - trainable));
  if (info->labels)
    {
      g_autofree char *labels = g_strjoinv (", ", info->labels);
      printf (_("Labels (%u): %s\n"), g_strv_length (info->labels), labels);
    }
  print_preprocessing (info->preprocessing);
  if (info->provenance)
    {
      g_autofree char *text = tl_json_to_pretty_string (info->provenance);
      printf (_("Provenance: %s"), text);
    }
  else
    printf ("%s\n", _("Provenance: none recorded"));
  return TL_EXIT_OK;
}
