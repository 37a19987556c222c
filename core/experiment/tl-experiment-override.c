#define G_LOG_DOMAIN "tl-experiment"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-experiment-private.h"
#include "tl-json-pretty.h"

/* The fields that hold a path, resolved against the current folder when set. */
static const char *const path_keys[] = {
  "source.path", "source.labels", "source.test_path", "source.test_labels",
  "target.path", "target.labels", "target.test_path", "target.test_labels", "target.unlabeled_path",
  "source.unlabeled_path", "source.generate", "target.generate",
  "pretrain.model", "architecture.embedding_vectors", "outputs.folder", "results", NULL,
};

/* Overrides. */

static gboolean
is_index (const char *s, guint *index)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (s, 10, 0, G_MAXINT, &v, NULL))
    return FALSE;
  *index = (guint) v;
  return TRUE;
}

/* A copy of array with element index replaced by a copy of value. */
static JsonArray *
array_with (JsonArray *array, guint index, JsonNode *value)
{
  JsonArray *copy = json_array_new ();

  for (guint i = 0; i < json_array_get_length (array); i++)
    json_array_add_element (copy, json_node_copy (i == index ? value : json_array_get_element (array, i)));
  return copy;
}

static JsonNode *
parse_value (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *node;

  if (*text != '\0' && json_parser_load_from_data (parser, text, -1, NULL)
      && json_parser_get_root (parser) != NULL)
    return json_node_copy (json_parser_get_root (parser));
  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (node, text);
  return node;
}

/* Alternatives within one object: setting one removes the other. */
static const char *const exclusive[][3] = {
  { "transfer.freeze", "below", "layers" },
  { "architecture", "preset", "layers" },
};

gboolean
tl_experiment_set_override (TlExperiment *exp, const char *key, const char *value, const char *cwd,
                            GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) v = NULL;
  g_auto (GStrv) parts = NULL;
  g_autofree char *parent_key = NULL;
  g_autofree char *here = NULL;
  TlExperiment *next;
  JsonNode *cur, *slot;
  const char *last;
  int n;

  g_return_val_if_fail (exp != NULL, FALSE);
  g_return_val_if_fail (key != NULL && value != NULL, FALSE);

  parts = g_strsplit (key, ".", -1);
  n = g_strv_length (parts);
  for (int i = 0; i < n; i++)
    if (*parts[i] == '\0')
      {
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     "%s: expected a dotted field path such as target.per_class", key);
        return FALSE;
      }

  root = tl_experiment_to_json (exp);
  cur = root;
  for (int i = 0; i < n - 1; i++)
    {
      guint index;
      JsonNode *child;

      if (JSON_NODE_HOLDS_OBJECT (cur))
        {
          JsonObject *obj = json_node_get_object (cur);
          child = json_object_get_member (obj, parts[i]);
          if (child == NULL || JSON_NODE_HOLDS_NULL (child))
            {
              json_object_set_object_member (obj, parts[i], json_object_new ());
              child = json_object_get_member (obj, parts[i]);
            }
        }
      else if (JSON_NODE_HOLDS_ARRAY (cur) && is_index (parts[i], &index)
               && index < json_array_get_length (json_node_get_array (cur)))
        child = json_array_get_element (json_node_get_array (cur), index);
      else
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "%s: '%s' is not a field of %s", key, parts[i],
                       i == 0 ? "the experiment" : parts[i - 1]);
          return FALSE;
        }
      cur = child;
    }

  last = parts[n - 1];
  parts[n - 1] = NULL;
  parent_key = g_strjoinv (".", parts);
  parts[n - 1] = (char *) last;

  v = parse_value (value);
  if (JSON_NODE_HOLDS_OBJECT (cur))
    slot = json_object_get_member (json_node_get_object (cur), last);
  else if (JSON_NODE_HOLDS_ARRAY (cur))
    {
      guint index = 0;
      if (!is_index (last, &index) || index >= json_array_get_length (json_node_get_array (cur)))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "%s: '%s' is not an index of %s", key, last, parent_key);
          return FALSE;
        }
      slot = json_array_get_element (json_node_get_array (cur), index);
    }
  else
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "%s: %s is not an object",
                   key, parent_key);
      return FALSE;
    }

  /* A string field keeps a value that happens to parse as a number ("name=2024"). */
  if (slot != NULL && JSON_NODE_HOLDS_VALUE (slot) && json_node_get_value_type (slot) == G_TYPE_STRING
      && JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) != G_TYPE_STRING)
    json_node_set_string (v, value);

  if (g_strv_contains (path_keys, key) && JSON_NODE_HOLDS_VALUE (v)
      && json_node_get_value_type (v) == G_TYPE_STRING && !g_path_is_absolute (json_node_get_string (v)))
    {
      g_autofree char *cur_dir = cwd ? NULL : g_get_current_dir ();
      g_autofree char *full = g_canonicalize_filename (json_node_get_string (v), cwd ? cwd : cur_dir);
      json_node_set_string (v, full);
    }

  if (JSON_NODE_HOLDS_OBJECT (cur))
    {
      JsonObject *obj = json_node_get_object (cur);
      for (guint i = 0; i < G_N_ELEMENTS (exclusive); i++)
        if (strcmp (parent_key, exclusive[i][0]) == 0)
          {
            if (strcmp (last, exclusive[i][1]) == 0 && json_object_has_member (obj, exclusive[i][2]))
              json_object_remove_member (obj, exclusive[i][2]);
            if (strcmp (last, exclusive[i][2]) == 0 && json_object_has_member (obj, exclusive[i][1]))
              json_object_remove_member (obj, exclusive[i][1]);
          }
      json_object_set_member (obj, last, json_node_copy (v));
    }
  else
    {
      guint index = 0;
      JsonArray *replaced;

      is_index (last, &index);
      replaced = array_with (json_node_get_array (cur), index, v);
      json_node_set_array (cur, replaced);
      json_array_unref (replaced);
    }

  here = g_strdup_printf ("%s=%s", key, value);
  next = tl_experiment_from_json (root, here, exp->base_dir, error);
  if (next == NULL)
    return FALSE;
  g_free (next->file_name);
  next->file_name = g_strdup (exp->file_name);
  tl_experiment_take (exp, next);
  return TRUE;
}

gboolean
tl_experiment_apply_override (TlExperiment *exp, const char *assignment, const char *cwd, GError **error)
{
  const char *eq;
  g_autofree char *key = NULL;

  g_return_val_if_fail (exp != NULL && assignment != NULL, FALSE);

  eq = strchr (assignment, '=');
  if (eq == NULL || eq == assignment)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "%s: expected KEY=VALUE, such as target.per_class=5", assignment);
      return FALSE;
    }
  key = g_strndup (assignment, eq - assignment);
  return tl_experiment_set_override (exp, key, eq + 1, cwd, error);
}

/* Output paths. */
