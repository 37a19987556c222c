#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-run-history.h"
#include "tl-pipeline-private.h"

#define INDEX_NAME "runs.json"

static const char *const status_names[] = { "finished", "stopped", "incomplete" };

const char *
tl_run_status_name (TlRunStatus status)
{
  g_return_val_if_fail (status <= TL_RUN_INCOMPLETE, "unknown");
  return status_names[status];
}

/* ---- one run ---- */

void
tl_run_record_free (TlRunRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->folder);
  g_free (record->id);
  g_clear_pointer (&record->started, g_date_time_unref);
  tl_experiment_free (record->experiment);
  g_clear_pointer (&record->summary, json_node_unref);
  g_strfreev (record->changes);
  g_free (record);
}

/* "2026-12-05T20-40-12" (and "-2"... after it), in local time. */
static GDateTime *
time_from_name (const char *name)
{
  int y, mo, d, h, mi, s;
  char tail;

  if (sscanf (name, "%4d-%2d-%2dT%2d-%2d-%2d%c", &y, &mo, &d, &h, &mi, &s, &tail) < 6)
    return NULL;
  return g_date_time_new_local (y, mo, d, h, mi, s);
}

static GDateTime *
time_of_file (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return NULL;
  return g_date_time_new_from_unix_local (st.st_mtime);
}

TlRunRecord *
tl_run_record_load (const char *folder, GError **error)
{
  g_autoptr (TlRunRecord) r = g_new0 (TlRunRecord, 1);
  g_autofree char *exp_path = NULL;
  g_autoptr (GError) local = NULL;
  const char *started = NULL;

  g_return_val_if_fail (folder != NULL, NULL);

  r->folder = g_canonicalize_filename (folder, NULL);
  r->id = g_path_get_basename (r->folder);
  exp_path = g_build_filename (r->folder, "experiment.json", NULL);
  if (!g_file_test (exp_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: not a run folder (it holds no experiment.json)",
                   r->folder);
      return NULL;
    }
  r->experiment = tl_experiment_load (exp_path, &local);
  if (r->experiment == NULL)
    g_debug ("%s", local->message);
  r->summary = tl_pipeline_load_summary (r->folder);
  if (r->summary != NULL)
    {
      JsonObject *o = json_node_get_object (r->summary);
      r->status = json_object_get_boolean_member_with_default (o, "cancelled", FALSE) ? TL_RUN_STOPPED
                                                                                       : TL_RUN_FINISHED;
      started = json_object_get_string_member_with_default (o, "started", NULL);
    }
  else
    r->status = tl_pipeline_has_checkpoints (r->folder, NULL) ? TL_RUN_STOPPED : TL_RUN_INCOMPLETE;
  if (started != NULL)
    r->started = g_date_time_new_from_iso8601 (started, NULL);
  if (r->started == NULL)
    r->started = time_from_name (r->id);
  if (r->started == NULL)
    r->started = time_of_file (exp_path);
  if (r->started == NULL)
    r->started = g_date_time_new_now_local ();
  return g_steal_pointer (&r);
}

GStrv
tl_run_record_run_names (const TlRunRecord *record)
{
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  JsonObject *root;

  g_return_val_if_fail (record != NULL, NULL);

  if (record->summary != NULL && (root = json_node_get_object (record->summary)) != NULL
      && json_object_has_member (root, "runs") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "runs")))
    {
      JsonArray *runs = json_object_get_array_member (root, "runs");
      for (guint i = 0; i < json_array_get_length (runs); i++)
        {
          JsonNode *node = json_array_get_element (runs, i);
          const char *name;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          name = json_object_get_string_member_with_default (json_node_get_object (node), "name", NULL);
          if (name != NULL)
            g_strv_builder_add (names, name);
        }
    }
  return g_strv_builder_end (names);
}

JsonObject *
tl_run_record_entry (const TlRunRecord *record, const char *run)
{
  g_return_val_if_fail (record != NULL && run != NULL, NULL);
  return tl_pipeline_summary_run (record->summary, run);
}

static double
member_double (JsonObject *o, const char *name)
{
  JsonNode *node;

  if (o == NULL || !json_object_has_member (o, name))
    return NAN;
  node = json_object_get_member (o, name);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NAN;
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE || json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_double (node);
  return NAN;
}

static const char *
member_string (JsonObject *o, const char *name)
{
  JsonNode *node;

  if (o == NULL || !json_object_has_member (o, name))
    return NULL;
  node = json_object_get_member (o, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

double
tl_run_record_accuracy (const TlRunRecord *record, const char *run)
{
  return member_double (tl_run_record_entry (record, run), "test_accuracy");
}

const char *
tl_run_record_reused_from (const TlRunRecord *record, const char *run)
{
  return member_string (tl_run_record_entry (record, run), "reused_from");
}

char *
tl_run_record_run_folder (const TlRunRecord *record, const char *run)
{
  JsonObject *entry = tl_run_record_entry (record, run);
  const char *folder = member_string (entry, "folder");
  const char *model = member_string (entry, "model");

  if (entry == NULL)
    return NULL;
  if (folder != NULL)
    return tl_output_path (record->folder, folder, NULL);
  if (model != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (model);
      return tl_output_path (record->folder, dir, NULL);
    }
  return tl_output_path (record->folder, run, NULL);
}

TlHistory *
tl_run_record_load_history (const TlRunRecord *record, const char *run, GError **error)
{
  g_autofree char *folder = tl_run_record_run_folder (record, run);
  g_autofree char *path = NULL;

  if (folder == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: no run named '%s'", record->folder, run);
      return NULL;
    }
  path = g_build_filename (folder, "history.csv", NULL);
  return tl_pipeline_load_history (path, error);
}

/* ---- settings as dotted keys ---- */

static void
flatten (GHashTable *into, const char *prefix, JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr (GList) members = json_object_get_members (o);

      if (members == NULL && prefix != NULL)
        g_hash_table_insert (into, g_strdup (prefix), g_strdup ("{}"));
      for (GList *l = members; l != NULL; l = l->next)
        {
          g_autofree char *key = prefix ? g_strdup_printf ("%s.%s", prefix, (char *) l->data) : g_strdup (l->data);
          flatten (into, key, json_object_get_member (o, l->data));
        }
      return;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      gboolean objects = json_array_get_length (a) > 0;

      for (guint i = 0; i < json_array_get_length (a); i++)
        objects &= JSON_NODE_HOLDS_OBJECT (json_array_get_element (a, i));
      /* layer lists by item, as --set numbers them; lists of values whole */
      if (objects)
        {
          for (guint i = 0; i < json_array_get_length (a); i++)
            {
              g_autofree char *key = g_strdup_printf ("%s.%u", prefix, i);
              flatten (into, key, json_array_get_element (a, i));
            }
          return;
        }
    }
  g_hash_table_insert (into, g_strdup (prefix), json_to_string (node, FALSE));
}

GHashTable *
tl_run_experiment_settings (const TlExperiment *exp)
{
  g_autoptr (TlExperiment) shared = NULL;
  g_autoptr (JsonNode) node = NULL;
  GHashTable *settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_return_val_if_fail (exp != NULL, settings);

  shared = tl_pipeline_experiment_shared (exp);
  node = tl_experiment_to_json (shared);
  flatten (settings, NULL, node);
  /* a file's own bookkeeping, not a setting */
  g_hash_table_remove (settings, "format_version");
  g_hash_table_remove (settings, "description");
  g_hash_table_remove (settings, "outputs.folder");
  g_hash_table_remove (settings, "results");
  return settings;
}

static void
setting_change_free (TlSettingChange *c)
{
  g_free (c->key);
  g_free (c->a);
  g_free (c->b);
  g_free (c);
}

static int
compare_changes (gconstpointer a, gconstpointer b)
{
  const TlSettingChange *x = *(TlSettingChange *const *) a, *y = *(TlSettingChange *const *) b;

  return strcmp (x->key, y->key);
}

/* TlSettingChange * of every key whose value differs, sorted. */
static GPtrArray *
settings_diff (const TlExperiment *a, const TlExperiment *b)
{
  g_autoptr (GHashTable) sa = tl_run_experiment_settings (a);
  g_autoptr (GHashTable) sb = tl_run_experiment_settings (b);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) setting_change_free);
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, sa);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const char *other = g_hash_table_lookup (sb, key);
      if (other == NULL || strcmp (other, value) != 0)
        {
          TlSettingChange *c = g_new0 (TlSettingChange, 1);
          c->key = g_strdup (key);
          c->a = g_strdup (value);
          c->b = g_strdup (other);
          g_ptr_array_add (out, c);
        }
    }
  g_hash_table_iter_init (&it, sb);
  while (g_hash_table_iter_next (&it, &key, &value))
    if (!g_hash_table_contains (sa, key))
      {
        TlSettingChange *c = g_new0 (TlSettingChange, 1);
        c->key = g_strdup (key);
        c->b = g_strdup (value);
        g_ptr_array_add (out, c);
      }
  g_ptr_array_sort (out, compare_changes);
  return out;
}

/* ---- a history ---- */

void
tl_run_history_free (TlRunHistory *history)
{
  if (history == NULL)
    return;
  g_free (history->root);
  g_ptr_array_unref (history->records);
  g_free (history->index_warning);
  g_free (history);
}

char *
tl_run_history_root (const TlExperiment *exp, const char *results_root)
{
  g_return_val_if_fail (exp != NULL, NULL);
  return tl_experiment_output_folder (exp, results_root);
}

static int
older_first (gconstpointer a, gconstpointer b)
{
  const TlRunRecord *x = *(TlRunRecord *const *) a, *y = *(TlRunRecord *const *) b;
  int c = g_date_time_compare (x->started, y->started);

  if (c != 0)
    return c;
  /* "…-2" after "…", "…-10" after "…-9" */
  if (strlen (x->id) != strlen (y->id))
    return strlen (x->id) < strlen (y->id) ? -1 : 1;
  return strcmp (x->id, y->id);
}

/* Checks runs.json; a message when it is there but not an index. */
static char *
check_index (const char *root)
{
  g_autofree char *path = g_build_filename (root, INDEX_NAME, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  if (!json_parser_load_from_file (parser, path, &error))
    return g_strdup_printf ("%s (the index of runs is unreadable); the runs are listed from their folders, "
                            "and the next run rewrites it", error->message);
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)
      || !json_object_has_member (json_node_get_object (node), "runs")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (node), "runs")))
    return g_strdup_printf ("%s: not a run index (expected an object with a \"runs\" list); the runs are "
                            "listed from their folders, and the next run rewrites it", path);
  return NULL;
}

TlRunHistory *
tl_run_history_load (const char *root, GError **error)
{
  g_autoptr (TlRunHistory) h = g_new0 (TlRunHistory, 1);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *legacy = NULL;
  const char *name;

  g_return_val_if_fail (root != NULL, NULL);

  h->root = g_canonicalize_filename (root, NULL);
  h->records = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_run_record_free);
  if (!g_file_test (h->root, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&h);
  dir = g_dir_open (h->root, 0, &local);
  if (dir == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", h->root, local->message);
      return NULL;
    }
  h->index_warning = check_index (h->root);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *folder = g_build_filename (h->root, name, NULL);
      g_autofree char *exp_path = g_build_filename (folder, "experiment.json", NULL);
      TlRunRecord *r;

      if (!g_file_test (folder, G_FILE_TEST_IS_DIR) || g_file_test (folder, G_FILE_TEST_IS_SYMLINK)
          || !g_file_test (exp_path, G_FILE_TEST_IS_REGULAR))
        continue;
      r = tl_run_record_load (folder, NULL);
      if (r != NULL)
        g_ptr_array_add (h->records, r);
    }
  /* results written before run folders existed: the root itself is one run */
  legacy = g_build_filename (h->root, "summary.json", NULL);
  if (g_file_test (legacy, G_FILE_TEST_IS_REGULAR))
    {
      TlRunRecord *r = tl_run_record_load (h->root, NULL);
      if (r != NULL)
        {
          g_free (r->id);
          r->id = g_strdup (".");
          g_ptr_array_add (h->records, r);
        }
    }
  g_ptr_array_sort (h->records, older_first);
  for (guint i = 1; i < h->records->len; i++)
    {
      TlRunRecord *prev = g_ptr_array_index (h->records, i - 1);
      TlRunRecord *r = g_ptr_array_index (h->records, i);
      g_autoptr (GPtrArray) diff = NULL;
      g_autoptr (GStrvBuilder) keys = g_strv_builder_new ();

      if (prev->experiment == NULL || r->experiment == NULL)
        continue;
      diff = settings_diff (prev->experiment, r->experiment);
      for (guint k = 0; k < diff->len; k++)
        g_strv_builder_add (keys, ((TlSettingChange *) g_ptr_array_index (diff, k))->key);
      r->changes = g_strv_builder_end (keys);
    }
  return g_steal_pointer (&h);
}

TlRunHistory *
tl_run_history_for_experiment (const TlExperiment *exp, const char *results_root, GError **error)
{
  g_autofree char *root = tl_run_history_root (exp, results_root);

  return tl_run_history_load (root, error);
}

TlRunRecord *
tl_run_history_latest (const TlRunHistory *history)
{
  g_return_val_if_fail (history != NULL, NULL);
  if (history->records->len == 0)
    return NULL;
  return g_ptr_array_index (history->records, history->records->len - 1);
}

JsonNode *
tl_run_history_to_json (const TlRunHistory *history)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  TlRunRecord *latest = tl_run_history_latest (history);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format_version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "experiment");
  if (latest != NULL && latest->experiment != NULL && latest->experiment->name != NULL)
    json_builder_add_string_value (b, latest->experiment->name);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "root");
  json_builder_add_string_value (b, history->root);
  json_builder_set_member_name (b, "runs");
  json_builder_begin_array (b);
  for (guint i = 0; i < history->records->len; i++)
    {
      TlRunRecord *r = g_ptr_array_index (history->records, i);
      g_autofree char *started = g_date_time_format_iso8601 (r->started);
      g_auto (GStrv) names = tl_run_record_run_names (r);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, r->id);
      json_builder_set_member_name (b, "folder");
      json_builder_add_string_value (b, r->folder);
      json_builder_set_member_name (b, "started");
      json_builder_add_string_value (b, started);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, tl_run_status_name (r->status));
      json_builder_set_member_name (b, "accuracy");
      json_builder_begin_object (b);
      for (int k = 0; names[k] != NULL; k++)
        {
          double acc = tl_run_record_accuracy (r, names[k]);
          json_builder_set_member_name (b, names[k]);
          if (isfinite (acc))
            json_builder_add_double_value (b, acc);
          else
            json_builder_add_null_value (b);
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "reused");
      json_builder_begin_object (b);
      for (int k = 0; names[k] != NULL; k++)
        {
          const char *from = tl_run_record_reused_from (r, names[k]);
          if (from != NULL)
            {
              json_builder_set_member_name (b, names[k]);
              json_builder_add_string_value (b, from);
            }
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "changes");
      if (r->changes != NULL)
        {
          json_builder_begin_array (b);
          for (int k = 0; r->changes[k] != NULL; k++)
            json_builder_add_string_value (b, r->changes[k]);
          json_builder_end_array (b);
        }
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
tl_run_history_write_index (TlRunHistory *history, GError **error)
{
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL, *path = NULL;

  g_return_val_if_fail (history != NULL, FALSE);

  if (g_mkdir_with_parents (history->root, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", history->root,
                   g_strerror (errno));
      return FALSE;
    }
  node = tl_run_history_to_json (history);
  text = tl_json_to_pretty_string (node);
  path = g_build_filename (history->root, INDEX_NAME, NULL);
  if (!tl_atomic_write_bytes (path, text, strlen (text), error))
    return FALSE;
  g_clear_pointer (&history->index_warning, g_free);
  return TRUE;
}

char *
tl_run_history_new_folder (const char *root, GDateTime *now, GError **error)
{
  g_autoptr (GDateTime) local = now ? g_date_time_to_local (now) : g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (local, "%Y-%m-%dT%H-%M-%S");

  g_return_val_if_fail (root != NULL, NULL);

  if (g_mkdir_with_parents (root, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", root, g_strerror (errno));
      return NULL;
    }
  for (int n = 1; n < 10000; n++)
    {
      g_autofree char *name = n == 1 ? g_strdup (stamp) : g_strdup_printf ("%s-%d", stamp, n);
      g_autofree char *folder = g_build_filename (root, name, NULL);

      /* mkdir claims the name: two runs started in the same second get two folders */
      if (g_mkdir (folder, 0755) == 0)
        return g_canonicalize_filename (folder, NULL);
      if (errno != EEXIST)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", folder,
                       g_strerror (errno));
          return NULL;
        }
    }
  g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: no free name for a run folder", root);
  return NULL;
}

gboolean
tl_run_folder_is_finished (const char *folder)
{
  g_autoptr (JsonNode) summary = NULL;

  g_return_val_if_fail (folder != NULL, FALSE);
  summary = tl_pipeline_load_summary (folder);
  return summary != NULL
         && !json_object_get_boolean_member_with_default (json_node_get_object (summary), "cancelled", FALSE);
}

/* ---- two runs side by side ---- */

static void
metrics_pair_free (TlRunMetricsPair *p)
{
  g_free (p->run);
  g_free (p);
}

static void
confusion_diff_free (TlConfusionDiff *d)
{
  g_free (d->run);
  g_strfreev (d->labels);
  g_free (d->a);
  g_free (d->b);
  g_free (d->diff);
  g_free (d);
}

void
tl_run_comparison_free (TlRunComparison *comparison)
{
  if (comparison == NULL)
    return;
  g_ptr_array_unref (comparison->settings);
  g_ptr_array_unref (comparison->runs);
  g_ptr_array_unref (comparison->confusion);
  g_ptr_array_unref (comparison->notes);
  g_free (comparison);
}

static void
fill_side (TlRunMetricsPair *p, JsonObject *entry, gboolean first)
{
  double acc = member_double (entry, "test_accuracy");
  double f1 = member_double (entry, "macro_f1");
  double epochs = member_double (entry, "epochs");
  double secs = member_double (entry, "train_seconds");
  double samples = member_double (entry, "test_samples");

  if (first)
    {
      p->in_a = entry != NULL;
      p->accuracy_a = acc;
      p->macro_f1_a = f1;
      p->epochs_a = isfinite (epochs) ? (int) epochs : 0;
      p->seconds_a = secs;
      p->test_samples_a = isfinite (samples) ? (int) samples : 0;
    }
  else
    {
      p->in_b = entry != NULL;
      p->accuracy_b = acc;
      p->macro_f1_b = f1;
      p->epochs_b = isfinite (epochs) ? (int) epochs : 0;
      p->seconds_b = secs;
      p->test_samples_b = isfinite (samples) ? (int) samples : 0;
    }
}

/* The confusion matrix in a run's metrics.json: labels and counts. */
static gboolean
load_confusion (const TlRunRecord *record, const char *run, GStrv *labels_out, gint64 **counts_out,
                GError **error)
{
  g_autofree char *folder = tl_run_record_run_folder (record, run);
  g_autofree char *path = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GStrvBuilder) labels = g_strv_builder_new ();
  JsonNode *root;
  JsonObject *cm;
  JsonArray *names, *rows;
  guint n;

  if (folder == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "no folder for %s", run);
      return FALSE;
    }
  path = g_build_filename (folder, "metrics.json", NULL);
  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || !json_object_has_member (json_node_get_object (root), "confusion_matrix")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (root), "confusion_matrix")))
    goto bad;
  cm = json_object_get_object_member (json_node_get_object (root), "confusion_matrix");
  if (!json_object_has_member (cm, "labels") || !json_object_has_member (cm, "counts")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (cm, "labels"))
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (cm, "counts")))
    goto bad;
  names = json_object_get_array_member (cm, "labels");
  rows = json_object_get_array_member (cm, "counts");
  n = json_array_get_length (names);
  if (n == 0 || json_array_get_length (rows) != n)
    goto bad;
  *counts_out = g_new0 (gint64, (gsize) n * n);
  for (guint t = 0; t < n; t++)
    {
      JsonNode *row = json_array_get_element (rows, t);
      JsonNode *label = json_array_get_element (names, t);

      if (!JSON_NODE_HOLDS_ARRAY (row) || json_array_get_length (json_node_get_array (row)) != n
          || !JSON_NODE_HOLDS_VALUE (label))
        {
          g_clear_pointer (counts_out, g_free);
          goto bad;
        }
      g_strv_builder_add (labels, json_node_get_string (label) ? json_node_get_string (label) : "");
      for (guint p = 0; p < n; p++)
        (*counts_out)[t * n + p] = json_array_get_int_element (json_node_get_array (row), p);
    }
  *labels_out = g_strv_builder_end (labels);
  return TRUE;

bad:
  g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: no confusion matrix in it", path);
  return FALSE;
}

static void
add_pair (TlRunComparison *c, const char *run)
{
  TlRunMetricsPair *p = g_new0 (TlRunMetricsPair, 1);

  p->run = g_strdup (run);
  fill_side (p, tl_run_record_entry (c->a, run), TRUE);
  fill_side (p, tl_run_record_entry (c->b, run), FALSE);
  g_ptr_array_add (c->runs, p);
}

static void
add_confusion (TlRunComparison *c, const char *run)
{
  g_auto (GStrv) la = NULL, lb = NULL;
  g_autofree gint64 *ca = NULL, *cb = NULL;
  g_autoptr (GError) error = NULL;
  TlConfusionDiff *d;
  guint n;

  if (!load_confusion (c->a, run, &la, &ca, &error) || !load_confusion (c->b, run, &lb, &cb, &error))
    {
      g_ptr_array_add (c->notes, g_strdup_printf ("%s: %s", run, error->message));
      return;
    }
  if (!g_strv_equal ((const char *const *) la, (const char *const *) lb))
    {
      g_ptr_array_add (c->notes, g_strdup_printf ("%s: the two runs test different classes", run));
      return;
    }
  n = g_strv_length (la);
  d = g_new0 (TlConfusionDiff, 1);
  d->run = g_strdup (run);
  d->n_classes = (int) n;
  d->labels = g_steal_pointer (&la);
  d->a = g_steal_pointer (&ca);
  d->b = g_steal_pointer (&cb);
  d->diff = g_new0 (gint64, (gsize) n * n);
  for (guint i = 0; i < n * n; i++)
    d->diff[i] = d->b[i] - d->a[i];
  g_ptr_array_add (c->confusion, d);
}

TlRunComparison *
tl_run_compare (TlRunRecord *a, TlRunRecord *b, GError **error)
{
  g_autoptr (TlRunComparison) c = g_new0 (TlRunComparison, 1);
  g_auto (GStrv) na = NULL, nb = NULL;

  g_return_val_if_fail (a != NULL && b != NULL, NULL);

  c->a = a;
  c->b = b;
  c->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) metrics_pair_free);
  c->confusion = g_ptr_array_new_with_free_func ((GDestroyNotify) confusion_diff_free);
  c->notes = g_ptr_array_new_with_free_func (g_free);
  if (a->experiment == NULL || b->experiment == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: its experiment.json is unreadable",
                   (a->experiment == NULL ? a : b)->folder);
      return NULL;
    }
  c->settings = settings_diff (a->experiment, b->experiment);
  na = tl_run_record_run_names (a);
  nb = tl_run_record_run_names (b);
  for (int i = 0; na[i] != NULL; i++)
    add_pair (c, na[i]);
  for (int i = 0; nb[i] != NULL; i++)
    if (!g_strv_contains ((const char *const *) na, nb[i]))
      add_pair (c, nb[i]);
  for (int i = 0; na[i] != NULL; i++)
    if (g_strv_contains ((const char *const *) nb, na[i]))
      add_confusion (c, na[i]);
  return g_steal_pointer (&c);
}

static void
add_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_json_text (JsonBuilder *b, const char *name, const char *text)
{
  g_autoptr (JsonNode) node = text ? json_from_string (text, NULL) : NULL;

  json_builder_set_member_name (b, name);
  if (node != NULL)
    json_builder_add_value (b, g_steal_pointer (&node));
  else
    json_builder_add_null_value (b);
}

static void
add_matrix (JsonBuilder *b, const char *name, const gint64 *m, int n)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int t = 0; t < n; t++)
    {
      json_builder_begin_array (b);
      for (int p = 0; p < n; p++)
        json_builder_add_int_value (b, m[t * n + p]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
}

JsonNode *
tl_run_comparison_to_json (const TlRunComparison *c)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (c != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "a");
  json_builder_add_string_value (b, c->a->folder);
  json_builder_set_member_name (b, "b");
  json_builder_add_string_value (b, c->b->folder);
  json_builder_set_member_name (b, "settings");
  json_builder_begin_array (b);
  for (guint i = 0; i < c->settings->len; i++)
    {
      TlSettingChange *s = g_ptr_array_index (c->settings, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "key");
      json_builder_add_string_value (b, s->key);
      add_json_text (b, "a", s->a);
      add_json_text (b, "b", s->b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "runs");
  json_builder_begin_array (b);
  for (guint i = 0; i < c->runs->len; i++)
    {
      TlRunMetricsPair *p = g_ptr_array_index (c->runs, i);
      const char *sides[2] = { "a", "b" };

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, p->run);
      for (int s = 0; s < 2; s++)
        {
          gboolean in = s == 0 ? p->in_a : p->in_b;

          json_builder_set_member_name (b, sides[s]);
          if (!in)
            {
              json_builder_add_null_value (b);
              continue;
            }
          json_builder_begin_object (b);
          add_number (b, "test_accuracy", s == 0 ? p->accuracy_a : p->accuracy_b);
          add_number (b, "macro_f1", s == 0 ? p->macro_f1_a : p->macro_f1_b);
          json_builder_set_member_name (b, "epochs");
          json_builder_add_int_value (b, s == 0 ? p->epochs_a : p->epochs_b);
          add_number (b, "train_seconds", s == 0 ? p->seconds_a : p->seconds_b);
          json_builder_set_member_name (b, "test_samples");
          json_builder_add_int_value (b, s == 0 ? p->test_samples_a : p->test_samples_b);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "confusion");
  json_builder_begin_array (b);
  for (guint i = 0; i < c->confusion->len; i++)
    {
      TlConfusionDiff *d = g_ptr_array_index (c->confusion, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, d->run);
      json_builder_set_member_name (b, "labels");
      json_builder_begin_array (b);
      for (int k = 0; k < d->n_classes; k++)
        json_builder_add_string_value (b, d->labels[k]);
      json_builder_end_array (b);
      add_matrix (b, "a", d->a, d->n_classes);
      add_matrix (b, "b", d->b, d->n_classes);
      add_matrix (b, "difference", d->diff, d->n_classes);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint i = 0; i < c->notes->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (c->notes, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
