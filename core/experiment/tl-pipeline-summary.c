#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-pipeline-private.h"

static void
add_string_or_null (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* A path inside `out` relative to it, or NULL. */
static const char *
inside (const char *path, const char *out)
{
  const gsize n = strlen (out);

  return path != NULL && strncmp (path, out, n) == 0 && path[n] == '/' ? path + n + 1 : NULL;
}

void
tl_pipeline_add_run_json (JsonBuilder *b, const TlRunResult *run, const char *out)
{
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, run->name);
  json_builder_set_member_name (b, "test_accuracy");
  if (run->metrics)
    json_builder_add_double_value (b, run->metrics->accuracy);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "macro_f1");
  if (run->metrics)
    json_builder_add_double_value (b, run->metrics->macro_f1);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "test_samples");
  json_builder_add_int_value (b, run->metrics ? run->metrics->n_samples : 0);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, run->epochs);
  json_builder_set_member_name (b, "train_seconds");
  json_builder_add_double_value (b, round (run->train_seconds * 1000) / 1000);
  json_builder_set_member_name (b, "trainable_params");
  json_builder_add_int_value (b, (gint64) run->trainable_params);
  json_builder_set_member_name (b, "total_params");
  json_builder_add_int_value (b, (gint64) run->total_params);
  json_builder_set_member_name (b, "cached_layers");
  json_builder_add_int_value (b, run->cached_layers);
  if (inside (run->model_path, out) != NULL)
    {
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, inside (run->model_path, out));
    }
  if (inside (run->folder, out) != NULL)
    {
      json_builder_set_member_name (b, "folder");
      json_builder_add_string_value (b, inside (run->folder, out));
    }
  add_string_or_null (b, "inputs_hash", run->inputs_hash);
  add_string_or_null (b, "reused_from", run->reused_from);
  /* a private run: the privacy its last epoch had spent */
  if (run->history != NULL && run->history->epochs->len > 0)
    {
      double epsilon = g_array_index (run->history->epochs, TlEpochRecord, run->history->epochs->len - 1).epsilon;

      if (isfinite (epsilon))
        {
          json_builder_set_member_name (b, "epsilon");
          json_builder_add_double_value (b, epsilon);
        }
    }
}
