#define G_LOG_DOMAIN "tl-pipeline"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "tl-pipeline-private.h"

/* What a stage's model depends on, as one canonical JSON text, and its SHA-256:
 * two runs whose stage has the same key train the same model. */

/* Bump when the training code changes what a given set of inputs gives. */
#define REUSE_VERSION 1

/* Size and modification time (microseconds) of a file, or of every file below a folder (image folders). */
static void
add_identity (const char *path, gint64 *size, gint64 *mtime, gint64 *count)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        return;
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_strdup (name));
      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *child = g_build_filename (path, g_ptr_array_index (names, i), NULL);
          add_identity (child, size, mtime, count);
        }
      return;
    }
  *size += st.st_size;
  *mtime = MAX (*mtime, (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000);
  *count += 1;
}

static void
add_file (JsonBuilder *b, const char *member, const char *path)
{
  gint64 size = 0, mtime = 0, count = 0;

  if (path == NULL)
    return;
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  add_identity (path, &size, &mtime, &count);
  json_builder_set_member_name (b, "files");
  json_builder_add_int_value (b, count);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, size);
  json_builder_set_member_name (b, "mtime_us");
  json_builder_add_int_value (b, mtime);
  json_builder_end_object (b);
}

/* A data source: its settings and the identity of its files (paths already absolute). */
static void
add_source (JsonBuilder *b, const char *member, JsonObject *settings, const TlDataSourceSpec *spec)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "settings");
  json_builder_add_value (b, json_node_init_object (json_node_alloc (), settings));
  json_builder_set_member_name (b, "files");
  json_builder_begin_object (b);
  add_file (b, "path", spec->path);
  add_file (b, "labels", spec->labels_path);
  add_file (b, "test_path", spec->test_path);
  add_file (b, "test_labels", spec->test_labels_path);
  add_file (b, "unlabeled_path", spec->unlabeled_path);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_member (JsonBuilder *b, JsonObject *from, const char *name)
{
  json_builder_set_member_name (b, name);
  if (json_object_has_member (from, name))
    json_builder_add_value (b, json_node_copy (json_object_get_member (from, name)));
  else
    json_builder_add_null_value (b);
}

static const char *const training_fields[] = {
  "epochs", "batch_size", "optimizer", "schedule", "patience", "label_smoothing", NULL
};

/* Objects with their members sorted by name, so the text does not depend on the order they were written in. */
static JsonNode *
canonical (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr (GList) members = g_list_sort (json_object_get_members (o), (GCompareFunc) strcmp);
      JsonObject *out = json_object_new ();

      JsonNode *sorted = json_node_new (JSON_NODE_OBJECT);

      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (out, l->data, canonical (json_object_get_member (o, l->data)));
      json_node_take_object (sorted, out);
      return sorted;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      JsonArray *out = json_array_new ();

      JsonNode *sorted = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < json_array_get_length (a); i++)
        json_array_add_element (out, canonical (json_array_get_element (a, i)));
      json_node_take_array (sorted, out);
      return sorted;
    }
  return json_node_copy (node);
}

char *
tl_pipeline_stage_key (const TlExperiment *exp, const char *stage, const char *pretrained_hash)
{
  g_autoptr (TlExperiment) shared = NULL;
  g_autoptr (JsonNode) node = NULL, inputs = NULL, sorted = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  JsonObject *o, *transfer;
  gboolean pretrain = strcmp (stage, "pretrain") == 0;
  gboolean baseline = strcmp (stage, "baseline") == 0;
  /* the target's texts are counted into the source's features */
  gboolean target_in_source = exp->transfer.unlabeled_text && exp->source.format == TL_DATA_FORMAT_CSV;

  g_return_val_if_fail (exp != NULL && stage != NULL, NULL);

  shared = tl_pipeline_experiment_shared (exp);
  node = tl_experiment_to_json (shared);
  o = json_node_get_object (node);
  transfer = json_object_get_object_member (o, "transfer");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "reuse_version");
  json_builder_add_int_value (b, REUSE_VERSION);
  json_builder_set_member_name (b, "program");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "stage");
  json_builder_add_string_value (b, stage);
  add_member (b, o, "seed");
  if (shared->pretrained_model != NULL)
    add_file (b, "model_file", shared->pretrained_model);
  else
    {
      /* the source gives the preprocessing every stage reads its data through */
      add_source (b, "source", json_object_get_object_member (o, "source"), &shared->source);
      if (target_in_source)
        {
          json_builder_set_member_name (b, "unlabeled_text");
          json_builder_add_boolean_value (b, TRUE);
        }
    }
  if (!pretrain || target_in_source)
    add_source (b, "target", json_object_get_object_member (o, "target"), &shared->target);
  if (pretrain || baseline)
    {
      add_member (b, o, "architecture");
      add_file (b, "embedding_vectors_file", shared->architecture.embedding_vectors);
    }
  if (pretrain)
    {
      /* every pretraining setting; the model file is not one (pretraining does not run then) */
      JsonNode *p = json_node_copy (json_object_get_member (o, "pretrain"));
      json_object_remove_member (json_node_get_object (p), "model");
      json_builder_set_member_name (b, "training");
      json_builder_add_value (b, p);
    }
  else if (baseline)
    {
      g_autoptr (GList) members = json_object_get_members (o);

      /* the fine-tuning budget, and whatever the file sets for the baseline alone */
      json_builder_set_member_name (b, "training");
      json_builder_begin_object (b);
      for (int i = 0; training_fields[i] != NULL; i++)
        add_member (b, transfer, training_fields[i]);
      if (json_object_has_member (transfer, "average_epochs"))
        add_member (b, transfer, "average_epochs");
      /* a private baseline is another model than a plain one */
      if (json_object_has_member (transfer, "privacy"))
        {
          json_object_remove_member (json_object_get_object_member (transfer, "privacy"), "non_private_reference");
          add_member (b, transfer, "privacy");
        }
      json_builder_end_object (b);
      for (GList *l = members; l != NULL; l = l->next)
        if (g_str_has_prefix (l->data, "baseline_"))
          add_member (b, o, l->data);
    }
  else
    {
      /* a strategy: the pretrained model it starts from and every transfer setting but the list of strategies */
      json_builder_set_member_name (b, "pretrained");
      if (pretrained_hash != NULL)
        json_builder_add_string_value (b, pretrained_hash);
      else
        json_builder_add_null_value (b);
      json_object_remove_member (transfer, "strategy");
      if (strcmp (stage, TL_RUN_NON_PRIVATE) == 0)
        json_object_remove_member (transfer, "privacy");
      else if (json_object_has_member (transfer, "privacy"))
        json_object_remove_member (json_object_get_object_member (transfer, "privacy"), "non_private_reference");
      json_builder_set_member_name (b, "transfer");
      json_builder_add_value (b, json_node_copy (json_object_get_member (o, "transfer")));
    }
  json_builder_end_object (b);
  inputs = json_builder_get_root (b);
  sorted = canonical (inputs);
  return json_to_string (sorted, FALSE);
}

char *
tl_pipeline_stage_hash (const TlExperiment *exp, const char *stage, const char *pretrained_hash)
{
  g_autofree char *key = tl_pipeline_stage_key (exp, stage, pretrained_hash);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
}
