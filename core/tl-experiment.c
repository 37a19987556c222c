#define G_LOG_DOMAIN "tl-experiment"

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-experiment-private.h"

void
tl_train_spec_init (TlTrainSpec *spec)
{
  g_return_if_fail (spec != NULL);

  memset (spec, 0, sizeof *spec);
  spec->epochs = 10;
  spec->batch_size = 32;
  tl_optimizer_config_init (&spec->optimizer, TL_OPTIMIZER_ADAM, 1e-3f);
  spec->schedule.kind = TL_SCHEDULE_CONSTANT;
  spec->schedule.step_size = 10;
  spec->schedule.gamma = 0.1f;
  spec->schedule.min_lr = 0.0f;
  spec->schedule.warmup_fraction = 0.3f;
}

static void
source_init (TlDataSourceSpec *s)
{
  memset (s, 0, sizeof *s);
  s->format = TL_DATA_FORMAT_CSV;
  s->val_fraction = 0.1;
  s->test_fraction = 0.2;
  s->max_len = 200;
  s->vocab_size = 10000;
}

static void
source_clear (TlDataSourceSpec *s)
{
  g_free (s->path);
  g_free (s->labels_path);
  g_free (s->test_path);
  g_free (s->test_labels_path);
  g_free (s->label_column);
  g_free (s->text_column);
  g_strfreev (s->feature_columns);
  g_strfreev (s->classes);
  memset (s, 0, sizeof *s);
}

static void
source_copy (TlDataSourceSpec *dst, const TlDataSourceSpec *src)
{
  *dst = *src;
  dst->path = g_strdup (src->path);
  dst->labels_path = g_strdup (src->labels_path);
  dst->test_path = g_strdup (src->test_path);
  dst->test_labels_path = g_strdup (src->test_labels_path);
  dst->label_column = g_strdup (src->label_column);
  dst->text_column = g_strdup (src->text_column);
  dst->feature_columns = g_strdupv (src->feature_columns);
  dst->classes = g_strdupv (src->classes);
}

void
tl_architecture_spec_clear (TlArchitectureSpec *a)
{
  g_free (a->preset);
  g_free (a->layers);
  if (a->layer_names != NULL)
    for (int i = 0; i < a->n_layers; i++)
      g_free (a->layer_names[i]);
  g_free (a->layer_names);
  memset (a, 0, sizeof *a);
}

TlExperiment *
tl_experiment_new (void)
{
  TlExperiment *exp = g_new0 (TlExperiment, 1);

  exp->name = g_strdup ("experiment");
  exp->seed = 42;
  source_init (&exp->source);
  source_init (&exp->target);
  exp->architecture.preset = g_strdup ("mlp");
  tl_train_spec_init (&exp->pretrain);
  exp->transfer.freeze_mode = TL_FREEZE_NONE;
  exp->transfer.rebuild_head = TRUE;
  exp->transfer.feature_cache = TRUE;
  tl_train_spec_init (&exp->transfer.finetune);
  exp->outputs.exports = TL_EXPORT_ALL_DEFAULT;
  exp->outputs.plot_formats = TL_PLOT_PNG | TL_PLOT_SVG | TL_PLOT_PDF;
  exp->outputs.pretrain_folder = g_strdup ("pretrain");
  exp->outputs.transfer_folder = g_strdup ("transfer");
  exp->outputs.baseline_folder = g_strdup ("baseline");
  exp->base_dir = g_get_current_dir ();
  return exp;
}

static void
experiment_clear (TlExperiment *exp)
{
  g_free (exp->name);
  g_free (exp->description);
  source_clear (&exp->source);
  source_clear (&exp->target);
  tl_architecture_spec_clear (&exp->architecture);
  g_free (exp->pretrained_model);
  g_strfreev (exp->transfer.freeze_layers);
  g_strfreev (exp->transfer.lr_mult_layers);
  g_free (exp->transfer.lr_mults);
  g_free (exp->outputs.folder);
  g_free (exp->outputs.pretrain_folder);
  g_free (exp->outputs.transfer_folder);
  g_free (exp->outputs.baseline_folder);
  g_free (exp->last_results);
  g_free (exp->base_dir);
  g_free (exp->file_name);
  memset (exp, 0, sizeof *exp);
}

void
tl_experiment_free (TlExperiment *exp)
{
  if (exp == NULL)
    return;
  experiment_clear (exp);
  g_free (exp);
}

TlExperiment *
tl_experiment_copy (const TlExperiment *src)
{
  TlExperiment *dst;
  const TlArchitectureSpec *a;

  g_return_val_if_fail (src != NULL, NULL);

  dst = g_new0 (TlExperiment, 1);
  *dst = *src;
  dst->name = g_strdup (src->name);
  dst->description = g_strdup (src->description);
  source_copy (&dst->source, &src->source);
  source_copy (&dst->target, &src->target);
  a = &src->architecture;
  dst->architecture.preset = g_strdup (a->preset);
  dst->architecture.layers = a->n_layers ? g_memdup2 (a->layers, a->n_layers * sizeof (TlLayerSpec)) : NULL;
  dst->architecture.layer_names = a->n_layers ? g_new0 (char *, a->n_layers + 1) : NULL;
  for (int i = 0; i < a->n_layers; i++)
    dst->architecture.layer_names[i] = g_strdup (a->layer_names ? a->layer_names[i] : NULL);
  dst->pretrained_model = g_strdup (src->pretrained_model);
  dst->transfer.freeze_layers = g_strdupv (src->transfer.freeze_layers);
  dst->transfer.lr_mult_layers = g_strdupv (src->transfer.lr_mult_layers);
  dst->transfer.lr_mults = src->transfer.n_lr_mults
                           ? g_memdup2 (src->transfer.lr_mults, src->transfer.n_lr_mults * sizeof (double))
                           : NULL;
  dst->outputs.folder = g_strdup (src->outputs.folder);
  dst->outputs.pretrain_folder = g_strdup (src->outputs.pretrain_folder);
  dst->outputs.transfer_folder = g_strdup (src->outputs.transfer_folder);
  dst->outputs.baseline_folder = g_strdup (src->outputs.baseline_folder);
  dst->last_results = g_strdup (src->last_results);
  dst->base_dir = g_strdup (src->base_dir);
  dst->file_name = g_strdup (src->file_name);
  return dst;
}

TlExperiment *
tl_experiment_load (const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *dir = NULL;
  g_autofree char *abs = NULL;
  JsonNode *root;

  g_return_val_if_fail (path != NULL, NULL);

  /* json-glib's messages already read "PATH:LINE:COLUMN: Parse error: ..." */
  if (!json_parser_load_from_file (parser, path, error))
    {
      if (error && *error && (*error)->domain != JSON_PARSER_ERROR)
        {
          g_autofree char *message = g_strdup_printf ("%s: %s", path, (*error)->message);
          g_clear_error (error);
          g_set_error_literal (error, TL_ERROR, TL_ERROR_IO, message);
        }
      else if (error && *error)
        {
          g_autofree char *message = g_strdup ((*error)->message);
          g_clear_error (error);
          g_set_error_literal (error, TL_ERROR, TL_ERROR_PARSE, message);
        }
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s:1: empty file, expected a JSON object", path);
      return NULL;
    }
  abs = g_canonicalize_filename (path, NULL);
  dir = g_path_get_dirname (abs);
  return tl_experiment_from_json (root, path, dir, error);
}

/* json-glib 1.6 writes 1e-08 as "1e-08.0", which no parser reads back, so
 * files are written here: shortest round-trip numbers, two-space indent. */
static void
write_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    switch (*p)
      {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      default:
        if (*p < 0x20)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, (char) *p);
      }
  g_string_append_c (out, '"');
}

static void
write_double (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    {
      g_string_append (out, "null");
      return;
    }
  for (int digits = 15; digits <= 17; digits++)
    {
      g_ascii_formatd (buf, sizeof buf, digits == 15 ? "%.15g" : digits == 16 ? "%.16g" : "%.17g", v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
  /* keep it a floating-point number for readers that tell them apart */
  if (strpbrk (buf, ".eEn") == NULL)
    g_string_append (out, ".0");
}

static void
write_node (GString *out, JsonNode *node, int depth)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;
    case JSON_NODE_VALUE:
      {
        GType type = json_node_get_value_type (node);
        if (type == G_TYPE_STRING)
          write_string (out, json_node_get_string (node));
        else if (type == G_TYPE_BOOLEAN)
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
        else if (type == G_TYPE_DOUBLE)
          write_double (out, json_node_get_double (node));
        else
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);
        gboolean flat = TRUE;

        for (guint i = 0; i < n; i++)
          flat &= JSON_NODE_HOLDS_VALUE (json_array_get_element (array, i));
        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append (out, flat ? ", " : ",");
            if (!flat)
              g_string_append_printf (out, "\n%*s", 2 * (depth + 1), "");
            write_node (out, json_array_get_element (array, i), depth + 1);
          }
        if (!flat && n > 0)
          g_string_append_printf (out, "\n%*s", 2 * depth, "");
        g_string_append_c (out, ']');
      }
      break;
    case JSON_NODE_OBJECT:
      {
        JsonObject *obj = json_node_get_object (node);
        g_autoptr (GList) keys = json_object_get_members (obj);

        g_string_append_c (out, '{');
        for (GList *l = keys; l != NULL; l = l->next)
          {
            g_string_append_printf (out, "%s\n%*s", l == keys ? "" : ",", 2 * (depth + 1), "");
            write_string (out, l->data);
            g_string_append (out, ": ");
            write_node (out, json_object_get_member (obj, l->data), depth + 1);
          }
        if (keys != NULL)
          g_string_append_printf (out, "\n%*s", 2 * depth, "");
        g_string_append_c (out, '}');
      }
      break;
    }
}

char *
tl_json_to_pretty_string (JsonNode *node)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (node != NULL, NULL);

  write_node (out, node, 0);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

char *
tl_experiment_to_string (const TlExperiment *exp)
{
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (exp != NULL, NULL);

  root = tl_experiment_to_json (exp);
  return tl_json_to_pretty_string (root);
}

/* The pointers to every path-valued field, for rebasing on save. */
static int
path_fields (TlExperiment *exp, char ***out)
{
  int n = 0;
  TlDataSourceSpec *sources[] = { &exp->source, &exp->target };

  for (int i = 0; i < 2; i++)
    {
      out[n++] = &sources[i]->path;
      out[n++] = &sources[i]->labels_path;
      out[n++] = &sources[i]->test_path;
      out[n++] = &sources[i]->test_labels_path;
    }
  out[n++] = &exp->pretrained_model;
  out[n++] = &exp->outputs.folder;
  out[n++] = &exp->last_results;
  return n;
}

static const char *const path_keys[] = {
  "source.path", "source.labels", "source.test_path", "source.test_labels",
  "target.path", "target.labels", "target.test_path", "target.test_labels",
  "pretrain.model", "outputs.folder", "results", NULL,
};

/* `target` relative to `dir` (both absolute and canonical), with ".." where needed;
 * absolute when they share nothing but the root. */
static char *
relative_path (const char *target, const char *dir)
{
  g_auto (GStrv) t = g_strsplit (target + 1, "/", -1);
  g_auto (GStrv) d = g_strsplit (dir + 1, "/", -1);
  g_autoptr (GString) out = g_string_new (NULL);
  int common = 0;

  if (strcmp (dir, "/") == 0)
    return g_strdup (target + 1);
  while (t[common] && d[common] && strcmp (t[common], d[common]) == 0)
    common++;
  if (common == 0)
    return g_strdup (target);
  for (int i = common; d[i] != NULL; i++)
    g_string_append (out, "../");
  for (int i = common; t[i] != NULL; i++)
    {
      g_string_append (out, t[i]);
      if (t[i + 1] != NULL)
        g_string_append_c (out, '/');
    }
  if (out->len == 0)
    g_string_append_c (out, '.');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
tl_experiment_save (TlExperiment *exp, const char *path, GError **error)
{
  g_autofree char *abs = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;
  char **fields[16];
  int n;

  g_return_val_if_fail (exp != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  abs = g_canonicalize_filename (path, NULL);
  dir = g_path_get_dirname (abs);
  if (exp->base_dir == NULL || strcmp (exp->base_dir, dir) != 0)
    {
      n = path_fields (exp, fields);
      for (int i = 0; i < n; i++)
        if (*fields[i] != NULL && !g_path_is_absolute (*fields[i]))
          {
            g_autofree char *full = tl_experiment_resolve_path (exp, *fields[i]);
            g_free (*fields[i]);
            *fields[i] = relative_path (full, dir);
          }
    }

  text = tl_experiment_to_string (exp);
  if (!tl_atomic_write_bytes (path, text, strlen (text), error))
    return FALSE;
  g_free (exp->base_dir);
  exp->base_dir = g_steal_pointer (&dir);
  g_free (exp->file_name);
  exp->file_name = g_strdup (path);
  return TRUE;
}

char *
tl_experiment_resolve_path (const TlExperiment *exp, const char *path)
{
  g_return_val_if_fail (exp != NULL, NULL);

  if (path == NULL)
    return NULL;
  return g_canonicalize_filename (path, exp->base_dir);
}

char *
tl_experiment_output_folder (const TlExperiment *exp, const char *override)
{
  g_return_val_if_fail (exp != NULL, NULL);

  if (override != NULL)
    return g_canonicalize_filename (override, NULL);
  if (exp->outputs.folder != NULL)
    return tl_experiment_resolve_path (exp, exp->outputs.folder);
  return g_build_filename (exp->base_dir, "results", exp->name, NULL);
}

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
                     "--set %s: expected a dotted field path such as target.per_class", key);
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
                       "--set %s: '%s' is not a field of %s", key, parts[i],
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
                       "--set %s: '%s' is not an index of %s", key, last, parent_key);
          return FALSE;
        }
      slot = json_array_get_element (json_node_get_array (cur), index);
    }
  else
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "--set %s: %s is not an object",
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

  here = g_strdup_printf ("--set %s=%s", key, value);
  next = tl_experiment_from_json (root, here, exp->base_dir, error);
  if (next == NULL)
    return FALSE;
  g_free (next->file_name);
  next->file_name = g_strdup (exp->file_name);
  experiment_clear (exp);
  *exp = *next;
  g_free (next);
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
                   "--set %s: expected KEY=VALUE, such as target.per_class=5", assignment);
      return FALSE;
    }
  key = g_strndup (assignment, eq - assignment);
  return tl_experiment_set_override (exp, key, eq + 1, cwd, error);
}

/* Output paths. */

gboolean
tl_output_name_is_safe (const char *name, GError **error)
{
  g_auto (GStrv) parts = NULL;

  if (name == NULL || *name == '\0')
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "an empty name");
      return FALSE;
    }
  if (g_path_is_absolute (name) || name[0] == '~')
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "'%s' must be relative to the output folder, not an absolute path", name);
      return FALSE;
    }
  parts = g_strsplit_set (name, "/\\", -1);
  for (int i = 0; parts[i] != NULL; i++)
    if (strcmp (parts[i], "..") == 0)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     "'%s' climbs out of the output folder with '..'", name);
        return FALSE;
      }
  return TRUE;
}

static gboolean
inside (const char *real_root, const char *real)
{
  gsize n = strlen (real_root);

  if (strcmp (real_root, "/") == 0)
    return TRUE;
  return strncmp (real, real_root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

char *
tl_output_path (const char *root, const char *relative, GError **error)
{
  g_auto (GStrv) parts = NULL;
  g_autofree char *cur = NULL;
  char real_root[PATH_MAX];

  g_return_val_if_fail (root != NULL, NULL);

  if (!tl_output_name_is_safe (relative, error))
    return NULL;
  if (realpath (root, real_root) == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", root, g_strerror (errno));
      return NULL;
    }
  parts = g_strsplit (relative, "/", -1);
  cur = g_strdup (root);
  for (int i = 0; parts[i] != NULL; i++)
    {
      struct stat st;
      char *next;

      if (*parts[i] == '\0' || strcmp (parts[i], ".") == 0)
        continue;
      next = g_build_filename (cur, parts[i], NULL);
      g_free (cur);
      cur = next;
      if (lstat (cur, &st) != 0)
        continue;
      if (S_ISLNK (st.st_mode))
        {
          char real[PATH_MAX];

          /* a dangling link could be created through: refuse it as well */
          if (realpath (cur, real) == NULL || !inside (real_root, real))
            {
              g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           "%s: a symbolic link that leads outside the output folder %s", cur, root);
              return NULL;
            }
        }
    }
  return g_steal_pointer (&cur);
}
