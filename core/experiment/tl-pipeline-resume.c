#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "tl-checkpoint.h"
#include "tl-error.h"
#include "tl-pipeline-private.h"

#define CHECKPOINT_FOLDER "checkpoints"

char *
tl_pipeline_checkpoint_path (const char *out, const char *stage, int phase)
{
  g_autofree char *name = phase > 0 ? g_strdup_printf ("%s-%d.ckpt", stage, phase)
                                    : g_strdup_printf ("%s.ckpt", stage);

  return g_build_filename (out, CHECKPOINT_FOLDER, name, NULL);
}

/* A checkpoint file of `stage` (any stage when NULL): "<stage>.ckpt" or "<stage>-<n>.ckpt". */
static gboolean
is_stage_checkpoint (const char *file, const char *stage)
{
  gsize len = strlen (file);
  gsize n;

  if (len < 5 || strcmp (file + len - 5, ".ckpt") != 0)
    return FALSE;
  if (stage == NULL)
    return TRUE;
  n = strlen (stage);
  if (strncmp (file, stage, n) != 0)
    return FALSE;
  if (file[n] == '.')
    return len == n + 5;
  if (file[n] != '-' || len <= n + 6)
    return FALSE;
  for (gsize i = n + 1; i < len - 5; i++)
    if (!g_ascii_isdigit (file[i]))
      return FALSE;
  return TRUE;
}

gboolean
tl_pipeline_has_checkpoints (const char *out, const char *stage)
{
  g_autofree char *folder = g_build_filename (out, CHECKPOINT_FOLDER, NULL);
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  const char *file;

  if (dir == NULL)
    return FALSE;
  while ((file = g_dir_read_name (dir)) != NULL)
    if (is_stage_checkpoint (file, stage))
      return TRUE;
  return FALSE;
}

gboolean
tl_pipeline_remove_checkpoints (const char *out, const char *stage, GError **error)
{
  g_autofree char *folder = g_build_filename (out, CHECKPOINT_FOLDER, NULL);
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  const char *file;

  if (dir == NULL)
    return TRUE;
  while ((file = g_dir_read_name (dir)) != NULL)
    if (is_stage_checkpoint (file, stage))
      {
        g_autofree char *path = g_build_filename (folder, file, NULL);
        if (g_unlink (path) != 0 && errno != ENOENT)
          {
            g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot remove the checkpoint: %s", path,
                         g_strerror (errno));
            return FALSE;
          }
      }
  g_clear_pointer (&dir, g_dir_close);
  /* the folder goes once it is empty; a failure only means it is not */
  g_rmdir (folder);
  return TRUE;
}

gboolean
tl_pipeline_checkpoint_peek (const char *path, gboolean has_val, int patience, int *epochs_done,
                             gboolean *stopped_early, GError **error)
{
  g_autoptr (TlCheckpoint) ck = tl_checkpoint_load (path, error);
  const guint64 *state;
  const float *records;
  gsize n_state = 0, n_records = 0, fields;
  float best = INFINITY;
  int bad = 0;
  gboolean stop = FALSE;

  if (ck == NULL)
    return FALSE;
  state = tl_checkpoint_get_u64 (ck, "trainer/state", &n_state);
  records = tl_checkpoint_get_f32 (ck, "trainer/history", &n_records);
  if (state == NULL || n_state < 1 || records == NULL || (state[0] > 0 && n_records % state[0] != 0))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: not a training checkpoint (no trainer state)", path);
      return FALSE;
    }
  fields = state[0] > 0 ? n_records / state[0] : 0;
  /* replays the trainer's patience rule over the recorded validation losses */
  for (guint64 e = 0; e < state[0] && has_val && fields > 3; e++)
    {
      float val_loss = records[e * fields + 3];
      stop = FALSE;
      if (val_loss < best)
        {
          best = val_loss;
          bad = 0;
        }
      else if (patience > 0 && ++bad >= patience)
        stop = TRUE;
    }
  *epochs_done = (int) state[0];
  *stopped_early = stop;
  return TRUE;
}

static gboolean
parse_field (const char *text, float *value)
{
  char *end = NULL;
  double v;

  if (*text == '\0')
    {
      *value = NAN;
      return TRUE;
    }
  v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    return FALSE;
  *value = (float) v;
  return TRUE;
}

TlHistory *
tl_pipeline_load_history (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s", local->message);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  if (lines[0] == NULL || !g_str_has_prefix (lines[0], "epoch,train_loss,"))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s:1: expected the header epoch,train_loss,…", path);
      return NULL;
    }
  for (int i = 1; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = NULL;
      TlEpochRecord r = { .epsilon = NAN };
      float seconds = 0, epsilon = NAN;
      guint n_fields;
      guint64 epoch;

      if (lines[i][0] == '\0')
        continue;
      f = g_strsplit (lines[i], ",", -1);
      /* a private run's history has an eighth column: epsilon */
      n_fields = g_strv_length (f);
      if ((n_fields != 7 && n_fields != 8) || (n_fields == 8 && !parse_field (f[7], &epsilon)) || !g_ascii_string_to_unsigned (f[0], 10, 1, G_MAXINT, &epoch, NULL)
          || !parse_field (f[1], &r.train_loss) || !parse_field (f[2], &r.train_accuracy)
          || !parse_field (f[3], &r.val_loss) || !parse_field (f[4], &r.val_accuracy)
          || !parse_field (f[5], &r.learning_rate) || !parse_field (f[6], &seconds))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                       "%s:%d: expected an epoch number and six numbers separated by commas", path, i + 1);
          return NULL;
        }
      r.epoch = (int) epoch;
      r.seconds = isfinite (seconds) ? seconds : 0.0;
      r.epsilon = epsilon;
      g_array_append_val (history->epochs, r);
      history->train_seconds += r.seconds;
    }
  return g_steal_pointer (&history);
}

JsonNode *
tl_pipeline_load_summary (const char *out)
{
  g_autofree char *path = g_build_filename (out, "summary.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_file (parser, path, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_node_copy (root);
}

JsonObject *
tl_pipeline_summary_run (JsonNode *summary, const char *name)
{
  JsonObject *root;
  JsonArray *runs;

  if (summary == NULL || !JSON_NODE_HOLDS_OBJECT (summary))
    return NULL;
  root = json_node_get_object (summary);
  if (!json_object_has_member (root, "runs") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "runs")))
    return NULL;
  runs = json_object_get_array_member (root, "runs");
  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonNode *node = json_array_get_element (runs, i);
      JsonObject *run;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      run = json_node_get_object (node);
      if (g_strcmp0 (json_object_get_string_member_with_default (run, "name", ""), name) == 0)
        return run;
    }
  return NULL;
}

static void
make_absolute (const TlExperiment *exp, char **field)
{
  char *full;

  if (*field == NULL)
    return;
  full = tl_experiment_resolve_path (exp, *field);
  g_free (*field);
  *field = g_canonicalize_filename (full, NULL);
  g_free (full);
}

TlExperiment *
tl_pipeline_experiment_shared (const TlExperiment *exp)
{
  TlExperiment *copy;
  TlDataSourceSpec *sources[2];

  g_return_val_if_fail (exp != NULL, NULL);

  copy = tl_experiment_copy (exp);
  sources[0] = &copy->source;
  sources[1] = &copy->target;
  for (int i = 0; i < 2; i++)
    {
      make_absolute (exp, &sources[i]->path);
      make_absolute (exp, &sources[i]->labels_path);
      make_absolute (exp, &sources[i]->test_path);
      make_absolute (exp, &sources[i]->test_labels_path);
      make_absolute (exp, &sources[i]->unlabeled_path);
    }
  make_absolute (exp, &copy->pretrained_model);
  make_absolute (exp, &copy->architecture.embedding_vectors);
  g_clear_pointer (&copy->description, g_free);
  g_clear_pointer (&copy->outputs.folder, g_free);
  g_clear_pointer (&copy->last_results, g_free);
  return copy;
}

char *
tl_pipeline_experiment_key (const TlExperiment *exp)
{
  g_autoptr (TlExperiment) copy = tl_pipeline_experiment_shared (exp);

  return tl_experiment_to_string (copy);
}

gboolean
tl_pipeline_check_same_run (const TlExperiment *exp, const char *out, gboolean *found, GError **error)
{
  g_autofree char *path = g_build_filename (out, "experiment.json", NULL);
  g_autoptr (TlExperiment) saved = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *key = NULL, *saved_key = NULL;

  *found = FALSE;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  saved = tl_experiment_load (path, &local);
  if (saved == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "cannot continue the run in %s: its experiment.json is unreadable (%s)", out, local->message);
      return FALSE;
    }
  key = tl_pipeline_experiment_key (exp);
  saved_key = tl_pipeline_experiment_key (saved);
  if (strcmp (key, saved_key) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "cannot continue the run in %s: it is a run of %s experiment ('%s', see %s); "
                   "choose another results folder, or start over without resuming",
                   out, g_strcmp0 (saved->name, exp->name) == 0 ? "a different version of this" : "another",
                   saved->name ? saved->name : "", path);
      return FALSE;
    }
  *found = TRUE;
  return TRUE;
}

void
tl_pipeline_options_init (TlPipelineOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
}
