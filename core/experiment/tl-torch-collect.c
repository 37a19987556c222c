#define G_LOG_DOMAIN "tl-torch"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "tl-remove-tree.h"
#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-export.h"
#include "tl-json-pretty.h"
#include "tl-model-file.h"
#include "tl-onnx.h"
#include "tl-pipeline-private.h"
#include "tl-provenance.h"
#include "tl-run-history.h"
#include "tl-torch-collect.h"
#include "tl-torch-job.h"
#include "tl-torch-tensors.h"

typedef struct {
  const char   *job;
  const char   *out;
  TlExperiment *exp;
  JsonObject   *manifest;
  JsonObject   *engine;        /* results/engine.json, or NULL */
  double        tolerance;
  GHashTable   *differences;   /* run name -> largest probability difference (double *) */
} Collect;

/* A member that is an object (or array), or NULL: json-glib warns on absent members. */
static JsonObject *
object_member (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
array_member (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static JsonNode *
read_json (const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  if (!json_parser_load_from_mapped_file (parser, path, &local))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: %s", path, local->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: expected a JSON object", path);
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

static double
member_double (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : NAN;
}

/* results/<stage>/history.json as the application's history. */
static TlHistory *
read_history (const char *path, GError **error)
{
  g_autoptr (JsonNode) node = read_json (path, error);
  g_autoptr (TlHistory) history = NULL;
  JsonArray *epochs;

  if (node == NULL)
    return NULL;
  epochs = array_member (json_node_get_object (node), "epochs");
  if (epochs == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: epochs: expected a list", path);
      return NULL;
    }
  history = tl_history_new ();
  for (guint i = 0; i < json_array_get_length (epochs); i++)
    {
      JsonNode *en = json_array_get_element (epochs, i);
      JsonObject *e = JSON_NODE_HOLDS_OBJECT (en) ? json_node_get_object (en) : NULL;
      TlEpochRecord r = { 0 };

      if (e == NULL)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: epochs.%u: expected an object", path, i);
          return NULL;
        }
      r.epoch = (int) i + 1;
      r.train_loss = member_double (e, "train_loss");
      r.train_accuracy = member_double (e, "train_accuracy");
      r.val_loss = member_double (e, "val_loss");
      r.val_accuracy = member_double (e, "val_accuracy");
      r.learning_rate = member_double (e, "learning_rate");
      r.seconds = member_double (e, "seconds");
      if (!isfinite (r.train_loss) || !isfinite (r.seconds))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: epochs.%u: expected train_loss and seconds", path, i);
          return NULL;
        }
      g_array_append_val (history->epochs, r);
    }
  history->best_epoch = (int) json_object_get_int_member_with_default (json_node_get_object (node), "best_epoch", 0);
  history->averaged_epochs = (int) json_object_get_int_member_with_default (json_node_get_object (node), "averaged_epochs", 0);
  history->train_seconds = member_double (json_node_get_object (node), "train_seconds");
  if (!isfinite (history->train_seconds))
    history->train_seconds = 0;
  return g_steal_pointer (&history);
}

/* The application's probabilities against the engine's: the largest difference. */
static gboolean
compare_probabilities (Collect *c, const char *stage, const char *name, const TlTensor *probs, GError **error)
{
  g_autofree char *path = g_build_filename (c->job, "results", stage, "test-probabilities.safetensors", NULL);
  g_autofree float *theirs = NULL;
  gint64 shape[2];
  int ndim = 0;
  double worst = 0;
  gsize n = (gsize) probs->shape[0] * probs->shape[1];

  theirs = tl_torch_tensors_read (path, "probabilities", &ndim, shape, 2, error);
  if (theirs == NULL)
    return FALSE;
  if (ndim != 2 || shape[0] != probs->shape[0] || shape[1] != probs->shape[1])
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: probabilities: expected [%d, %d]", path, probs->shape[0],
                   probs->shape[1]);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) theirs[i] - probs->data[i]));
  if (!(worst <= c->tolerance))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_FAILED,
                   "%s: the model's probabilities in this application differ from the engine's by up to %g "
                   "(more than %g): the model file does not compute what was trained", stage, worst, c->tolerance);
      return FALSE;
    }
  g_hash_table_insert (c->differences, g_strdup (name), g_memdup2 (&worst, sizeof worst));
  return TRUE;
}

static JsonNode *
provenance (Collect *c, TlRunResult *run, JsonObject *stage, const char *data_path, const char *from)
{
  TlTrainConfig training;
  JsonObject *train = object_member (stage, "train");
  const TlTrainSpec *spec = g_strcmp0 (run->name, "pretrain") == 0 ? &c->exp->pretrain : &c->exp->transfer.finetune;
  TlProvenance p = {
    .experiment = c->exp->name, .run = run->name, .data = data_path,
    .preset = c->exp->pretrained_model != NULL ? NULL : c->exp->architecture.preset, .pretrained_from = from,
    .seed = c->exp->seed, .epochs = run->epochs, .training = &training, .metrics = run->metrics, .history = run->history,
    .unlabeled_texts = (int) json_object_get_int_member_with_default (c->manifest, "unlabeled_target_texts", 0),
  };
  JsonNode *node;

  tl_pipeline_train_config (spec, c->exp->seed, &training);
  if (train != NULL)
    training.epochs = (int) json_object_get_int_member_with_default (train, "epochs", training.epochs);
  node = tl_provenance_to_json (&p, run->model);
  if (JSON_NODE_HOLDS_OBJECT (node))
    json_object_set_string_member (json_node_get_object (node), "engine", "torch");
  return node;
}

/* Evaluates one trained model on its test rows and writes its exports; stage_name
 * NULL: the job's given pretrained model (models/pretrain.safetensors), untrained. */
static gboolean
collect_run (Collect *c, TlPipelineResult *result, const char *name, const char *stage_name, JsonObject *stage,
             const char *role, const char *folder_name, const char *from, GError **error)
{
  const TlOutputSpec *o = &c->exp->outputs;
  g_autofree char *model_path = stage_name != NULL
                                  ? g_build_filename (c->job, "results", stage_name, "model.safetensors", NULL)
                                  : g_build_filename (c->job, "models", "pretrain.safetensors", NULL);
  g_autofree char *history_path = g_build_filename (c->job, "results", stage_name, "history.json", NULL);
  g_autofree char *data_file = g_strdup_printf ("%s.safetensors", role);
  g_autofree char *data_path = g_build_filename (c->job, "data", data_file, NULL);
  g_autofree char *source_data = tl_experiment_resolve_path (c->exp, strcmp (role, "source") == 0
                                                                        ? c->exp->source.path
                                                                        : c->exp->target.path);
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlDataset) test = NULL;
  g_autoptr (TlTensor) probs = NULL;
  g_autoptr (GError) local = NULL;
  TlRunResult *run = g_new0 (TlRunResult, 1);

  g_ptr_array_add (result->runs, run);
  run->name = g_strdup (name);
  run->model = tl_model_file_load (model_path, &info, error);
  if (run->model == NULL)
    return FALSE;
  run->labels = g_strdupv (info->labels);
  run->history = stage != NULL ? read_history (history_path, error) : tl_history_new ();
  if (run->history == NULL)
    return FALSE;
  run->epochs = run->history->epochs->len;
  run->train_seconds = run->history->train_seconds;
  run->trainable_params = tl_model_param_count (run->model, TRUE);
  run->total_params = tl_model_param_count (run->model, FALSE);

  test = tl_torch_tensors_read_split (data_path, "test", error);
  if (test == NULL && error != NULL && *error != NULL)
    return FALSE;
  if (test != NULL && test->n > 0)
    {
      probs = tl_predict (run->model, test, 256);
      if (stage != NULL && !compare_probabilities (c, stage_name, name, probs, error))
        return FALSE;
      run->metrics = tl_metrics_compute (test->y, probs->data, test->n, test->n_classes,
                                         (const char *const *) test->class_names, error);
      if (run->metrics == NULL)
        return FALSE;
    }

  g_clear_pointer (&info->provenance, json_node_unref);
  info->provenance = provenance (c, run, stage, source_data, from);
  return tl_pipeline_write_run (c->out, folder_name, run, info, o, FALSE, test != NULL ? test->y : NULL, probs,
                                error);
}

static void
add_run (JsonBuilder *b, Collect *c, const TlRunResult *run)
{
  double *difference = g_hash_table_lookup (c->differences, run->name);

  json_builder_begin_object (b);
  tl_pipeline_add_run_json (b, run, c->out);
  if (difference != NULL)
    {
      json_builder_set_member_name (b, "engine_max_probability_difference");
      json_builder_add_double_value (b, *difference);
    }
  json_builder_end_object (b);
}

static gboolean
write_summary (Collect *c, TlPipelineResult *result, GError **error)
{
  const TlOutputSpec *o = &c->exp->outputs;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL, *path = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *started = g_date_time_format_iso8601 (now);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "experiment");
  json_builder_add_string_value (b, c->exp->name);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) c->exp->seed);
  json_builder_set_member_name (b, "cancelled");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "started");
  json_builder_add_string_value (b, started);
  json_builder_set_member_name (b, "unlabeled_target_texts");
  json_builder_add_int_value (b, json_object_get_int_member_with_default (c->manifest, "unlabeled_target_texts", 0));
  json_builder_set_member_name (b, "engine");
  if (c->engine != NULL)
    {
      JsonNode *engine = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (engine, c->engine);
      json_builder_add_value (b, engine);
    }
  else
    json_builder_add_string_value (b, "torch");
  json_builder_set_member_name (b, "runs");
  json_builder_begin_array (b);
  for (guint i = 0; i < result->runs->len; i++)
    add_run (b, c, g_ptr_array_index (result->runs, i));
  json_builder_end_array (b);
  if (result->speedup > 0)
    {
      json_builder_set_member_name (b, "transfer_speedup");
      json_builder_add_double_value (b, round (result->speedup * 100) / 100);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  text = tl_json_to_pretty_string (node);

  if (!tl_pipeline_write_comparison (c->out, result, o, error))
    return FALSE;
  /* the summary last: it is what makes the folder a finished run */
  path = tl_output_path (c->out, "summary.json", error);
  if (path == NULL || !tl_atomic_write_bytes (path, text, strlen (text), error))
    return FALSE;
  result->summary_path = g_steal_pointer (&path);
  return TRUE;
}

static JsonObject *
find_stage (JsonArray *stages, const char *name)
{
  for (guint i = 0; i < json_array_get_length (stages); i++)
    {
      JsonNode *sn = json_array_get_element (stages, i);
      JsonObject *s = JSON_NODE_HOLDS_OBJECT (sn) ? json_node_get_object (sn) : NULL;
      if (s != NULL && g_strcmp0 (json_object_get_string_member_with_default (s, "name", ""), name) == 0)
        return s;
    }
  return NULL;
}

/* TRUE when the job has a stage for every strategy of the experiment */
static gboolean
has_strategy_stage (const TlExperiment *exp, JsonArray *stages)
{
  if (exp->transfer.n_strategies == 0)
    return find_stage (stages, "transfer") != NULL;
  for (int i = 0; i < exp->transfer.n_strategies; i++)
    if (find_stage (stages, tl_torch_job_stage_name (exp->transfer.strategies[i])) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
collect_body (Collect *c, TlPipelineResult *result, GError **error)
{
  JsonArray *stages = array_member (c->manifest, "stages");
  g_autofree char *record = g_build_filename (c->out, "experiment.json", NULL);
  g_autoptr (TlExperiment) copy = tl_experiment_copy (c->exp);
  const TlOutputSpec *o = &c->exp->outputs;
  const char *given = json_object_get_string_member_with_default (c->manifest, "pretrained_from", NULL);
  const char *from = given != NULL ? given : "pretrain";
  TlRunResult *transfer, *baseline;

  if (stages == NULL || (given == NULL && find_stage (stages, "pretrain") == NULL)
      || !has_strategy_stage (c->exp, stages))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s/job.json: stages: expected pretrain (unless pretrained_from "
                   "names the model file) and a stage for each of the experiment's strategies (transfer for "
                   "fine-tune)", c->job);
      return FALSE;
    }
  if (!tl_experiment_save (copy, record, error))
    return FALSE;
  /* with a given model, no pretrain run: the source-only run is that model as it is */
  if (given == NULL
      && !collect_run (c, result, "pretrain", "pretrain", find_stage (stages, "pretrain"), "source",
                       o->pretrain_folder, NULL, error))
    return FALSE;
  if (json_object_get_boolean_member_with_default (c->manifest, "source_only", FALSE)
      && !collect_run (c, result, "source-only", given == NULL ? "pretrain" : NULL, NULL, "target", "source-only",
                       from, error))
    return FALSE;
  /* each strategy in the experiment's order, in the folder the built-in pipeline gives it */
  for (int i = 0; i < MAX (c->exp->transfer.n_strategies, 1); i++)
    {
      TlStrategy s = c->exp->transfer.n_strategies > 0 ? c->exp->transfer.strategies[i] : TL_STRATEGY_FINE_TUNE;
      const char *name = tl_torch_job_stage_name (s);

      if (!collect_run (c, result, name, name, find_stage (stages, name), "target",
                        s == TL_STRATEGY_FINE_TUNE ? o->transfer_folder : name, from, error))
        return FALSE;
    }
  if (find_stage (stages, "baseline") != NULL
      && !collect_run (c, result, "baseline", "baseline", find_stage (stages, "baseline"), "target",
                       o->baseline_folder, NULL, error))
    return FALSE;
  transfer = tl_pipeline_result_find (result, "transfer");
  baseline = tl_pipeline_result_find (result, "baseline");
  if (transfer && baseline && transfer->epochs > 0 && baseline->epochs > 0 && transfer->train_seconds > 0)
    result->speedup = (baseline->train_seconds / baseline->epochs) / (transfer->train_seconds / transfer->epochs);
  return write_summary (c, result, error);
}

gboolean
tl_torch_job_collect (const char *job_dir, const char *out, double tolerance, TlPipelineResult **result_out,
                      GError **error)
{
  g_autofree char *manifest_path = g_build_filename (job_dir, "job.json", NULL);
  g_autofree char *exp_path = g_build_filename (job_dir, "experiment.json", NULL);
  g_autofree char *engine_path = g_build_filename (job_dir, "results", "engine.json", NULL);
  g_autoptr (JsonNode) manifest = NULL;
  g_autoptr (JsonNode) engine = NULL;
  g_autoptr (TlExperiment) exp = NULL;
  g_autoptr (TlPipelineResult) result = g_new0 (TlPipelineResult, 1);
  g_autoptr (GHashTable) differences = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  Collect c = { job_dir, NULL, NULL, NULL, NULL, tolerance, differences };
  const char *root;
  gboolean created = FALSE;

  result->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_pipeline_run_result_free);
  manifest = read_json (manifest_path, error);
  if (manifest == NULL)
    return FALSE;
  c.manifest = json_node_get_object (manifest);
  if (g_strcmp0 (json_object_get_string_member_with_default (c.manifest, "format", ""), TL_TORCH_JOB_FORMAT) != 0
      || json_object_get_int_member_with_default (c.manifest, "format_version", 0) != TL_TORCH_JOB_VERSION)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: not a torch job of this version (format %s %d expected)",
                   manifest_path, TL_TORCH_JOB_FORMAT, TL_TORCH_JOB_VERSION);
      return FALSE;
    }
  if (!g_file_test (engine_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "%s: the job has not run to its end (no results/engine.json); run its run.sh first", job_dir);
      return FALSE;
    }
  engine = read_json (engine_path, error);
  if (engine == NULL)
    return FALSE;
  c.engine = json_node_get_object (engine);
  exp = tl_experiment_load (exp_path, error);
  if (exp == NULL)
    return FALSE;
  c.exp = exp;

  root = json_object_get_string_member_with_default (c.manifest, "results_root", NULL);
  if (out != NULL)
    result->output_folder = tl_experiment_output_folder (exp, out);
  else if (root != NULL)
    {
      result->history_root = g_strdup (root);
      result->output_folder = tl_run_history_new_folder (root, now, error);
      if (result->output_folder == NULL)
        return FALSE;
      created = TRUE;
    }
  else
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: results_root: expected the run history's folder",
                   manifest_path);
      return FALSE;
    }
  if (!created && g_file_test (result->output_folder, G_FILE_TEST_EXISTS))
    {
      g_autofree char *summary = g_build_filename (result->output_folder, "summary.json", NULL);
      if (g_file_test (summary, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "%s holds a run already (its summary.json); collect into a new folder", result->output_folder);
          return FALSE;
        }
    }
  else if (!created)
    created = TRUE;
  if (g_mkdir_with_parents (result->output_folder, 0755) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot create the folder: %s", result->output_folder,
                   g_strerror (errno));
      return FALSE;
    }
  c.out = result->output_folder;
  if (!collect_body (&c, result, error))
    {
      if (created)
        tl_remove_tree (result->output_folder);
      return FALSE;
    }
  if (result->history_root != NULL)
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (TlRunHistory) history = tl_run_history_load (result->history_root, &local);
      if (history == NULL || !tl_run_history_write_index (history, &local))
        g_warning ("%s: the index of runs is not updated: %s", result->history_root, local->message);
    }
  if (result_out)
    *result_out = g_steal_pointer (&result);
  return TRUE;
}
