#define G_LOG_DOMAIN "tl-experiment"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-embedding-vectors.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-experiment-private.h"
#include "tl-model.h"

/* Reading: every getter leaves the default in place when the member is absent
 * or null, and names the field's dotted path when the value is wrong. */

typedef struct {
  const char *file;
} Reader;

static gboolean G_GNUC_PRINTF (5, 6)
fail (const Reader *r, GError **error, const char *prefix, const char *key, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (*prefix == '\0' && key == NULL)
    g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s%s%s", r->file ? r->file : "",
                 r->file ? ": " : "", message);
  else
    g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s%s%s%s%s: %s",
                 r->file ? r->file : "", r->file ? ": " : "",
                 prefix, (*prefix && key) ? "." : "", key ? key : "", message);
  return FALSE;
}

static JsonNode *
member (JsonObject *obj, const char *key)
{
  JsonNode *node = json_object_get_member (obj, key);

  return (node == NULL || JSON_NODE_HOLDS_NULL (node)) ? NULL : node;
}

static gboolean
check_keys (const Reader *r, JsonObject *obj, const char *prefix, const char *const *allowed,
            GError **error)
{
  g_autoptr (GList) keys = json_object_get_members (obj);

  for (GList *l = keys; l != NULL; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_autofree char *expected = g_strjoinv (", ", (char **) allowed);
        return fail (r, error, prefix, l->data, "unknown field (expected one of: %s)", expected);
      }
  return TRUE;
}

static gboolean
get_int (const Reader *r, JsonObject *obj, const char *prefix, const char *key, int min, int max,
         int *out, GError **error)
{
  JsonNode *node = member (obj, key);
  gint64 v;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fail (r, error, prefix, key, "expected an integer");
  v = json_node_get_int (node);
  if (v < min || v > max)
    return fail (r, error, prefix, key, "expected an integer from %d to %d, got %" G_GINT64_FORMAT,
                 min, max, v);
  *out = (int) v;
  return TRUE;
}

static gboolean
get_uint64 (const Reader *r, JsonObject *obj, const char *prefix, const char *key, guint64 *out,
            GError **error)
{
  JsonNode *node = member (obj, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 0)
    return fail (r, error, prefix, key, "expected a non-negative integer");
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

static gboolean
get_double (const Reader *r, JsonObject *obj, const char *prefix, const char *key, double min,
            double max, double *out, GError **error)
{
  JsonNode *node = member (obj, key);
  GType type;
  double v;

  if (node == NULL)
    return TRUE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return fail (r, error, prefix, key, "expected a number");
  v = json_node_get_double (node);
  if (!(v >= min && v <= max))
    return fail (r, error, prefix, key, "expected a number from %g to %g, got %g", min, max, v);
  *out = v;
  return TRUE;
}

static gboolean
get_float (const Reader *r, JsonObject *obj, const char *prefix, const char *key, double min,
           double max, float *out, GError **error)
{
  double v = *out;

  if (!get_double (r, obj, prefix, key, min, max, &v, error))
    return FALSE;
  *out = (float) v;
  return TRUE;
}

static gboolean
get_bool (const Reader *r, JsonObject *obj, const char *prefix, const char *key, gboolean *out,
          GError **error)
{
  JsonNode *node = member (obj, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail (r, error, prefix, key, "expected true or false");
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_string (const Reader *r, JsonObject *obj, const char *prefix, const char *key, char **out,
            GError **error)
{
  JsonNode *node = member (obj, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (r, error, prefix, key, "expected a string");
  if (*json_node_get_string (node) == '\0')
    return fail (r, error, prefix, key, "expected a non-empty string");
  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

/* Strings; integers too where allow_int (class labels, layer indices). */
static gboolean
get_strv (const Reader *r, JsonObject *obj, const char *prefix, const char *key, gboolean allow_int,
          char ***out, GError **error)
{
  JsonNode *node = member (obj, key);
  g_autoptr (GStrvBuilder) builder = NULL;
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (r, error, prefix, key, allow_int ? "expected a list of names or numbers"
                                                  : "expected a list of strings");
  array = json_node_get_array (node);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      GType type = JSON_NODE_HOLDS_VALUE (item) ? json_node_get_value_type (item) : G_TYPE_INVALID;

      if (type == G_TYPE_STRING && *json_node_get_string (item) != '\0')
        g_strv_builder_add (builder, json_node_get_string (item));
      else if (allow_int && type == G_TYPE_INT64 && json_node_get_int (item) >= 0)
        {
          g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (item));
          g_strv_builder_add (builder, number);
        }
      else
        {
          g_autofree char *item_key = g_strdup_printf ("%s.%u", key, i);
          return fail (r, error, prefix, item_key, allow_int ? "expected a name or a non-negative integer"
                                                             : "expected a non-empty string");
        }
    }
  g_strfreev (*out);
  *out = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
get_object (const Reader *r, JsonObject *obj, const char *prefix, const char *key, JsonObject **out,
            GError **error)
{
  JsonNode *node = member (obj, key);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (r, error, prefix, key, "expected an object");
  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
get_choice (const Reader *r, JsonObject *obj, const char *prefix, const char *key,
            const char *const *names, int *out, GError **error)
{
  JsonNode *node = member (obj, key);
  g_autofree char *expected = NULL;
  const char *s;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      s = json_node_get_string (node);
      for (int i = 0; names[i] != NULL; i++)
        if (g_ascii_strcasecmp (s, names[i]) == 0)
          {
            *out = i;
            return TRUE;
          }
    }
  expected = g_strjoinv (", ", (char **) names);
  return fail (r, error, prefix, key, "expected one of: %s", expected);
}

static char *
join (const char *prefix, const char *key)
{
  return *prefix ? g_strdup_printf ("%s.%s", prefix, key) : g_strdup (key);
}


static gboolean
read_ngrams (const Reader *r, JsonObject *obj, const char *prefix, TlNgramSettings *n, GError **error)
{
  static const char *const keys[] = { "n", "min_df", "max_features", "hash_size", "sublinear_tf", "max_terms",
                                      "char_min", "char_max", "char_max_features", NULL };
  g_autoptr (GError) local = NULL;
  g_autofree char *where = g_strdup_printf ("%s%sngrams", prefix, *prefix ? "." : "");
  JsonObject *sub = NULL;

  if (!get_object (r, obj, prefix, "ngrams", &sub, error))
    return FALSE;
  if (sub == NULL)
    return TRUE;
  if (!(check_keys (r, sub, where, keys, error)
         && get_int (r, sub, where, "n", 1, 3, &n->ngram_max, error)
         && get_int (r, sub, where, "min_df", 1, G_MAXINT, &n->min_df, error)
         && get_int (r, sub, where, "max_features", -1, G_MAXINT, &n->max_features, error)
         && get_int (r, sub, where, "hash_size", 0, 1 << 24, &n->hash_size, error)
         && get_bool (r, sub, where, "sublinear_tf", &n->sublinear_tf, error)
         && get_int (r, sub, where, "max_terms", 1, 65536, &n->max_terms, error)
         && get_int (r, sub, where, "char_min", 1, 8, &n->char_min, error)
         && get_int (r, sub, where, "char_max", 0, 8, &n->char_max, error)
         && get_int (r, sub, where, "char_max_features", -1, G_MAXINT, &n->char_max_features, error)
         && (n->hash_size == 0 || n->hash_size >= 16
             || fail (r, error, where, "hash_size", "0 (a vocabulary) or at least 16 buckets, not %d", n->hash_size))))
    return FALSE;
  return tl_ngram_settings_resolve (n, json_object_has_member (sub, "char_max"), &local)
         || fail (r, error, prefix, "ngrams", "%s", local->message);
}

/* "audio": settings over the defaults, checked together */
static gboolean
read_audio (const Reader *r, JsonObject *obj, const char *prefix, TlAudioSettings *a, GError **error)
{
  JsonNode *node = json_object_get_member (obj, "audio");
  g_autoptr (GError) local = NULL;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (r, error, prefix, "audio", "not an object");
  if (!tl_audio_settings_from_json_object (a, json_node_get_object (node), &local))
    return fail (r, error, prefix, "audio", "%s", local->message);
  return TRUE;
}

static gboolean
read_source (const Reader *r, JsonObject *obj, const char *prefix, TlDataSourceSpec *s, GError **error)
{
  static const char *const keys[] = { "format", "path", "labels", "test_path", "test_labels",
                                      "label_column", "text_column", "feature_columns", "classes",
                                      "per_class", "test_per_class", "val_fraction", "test_fraction",
                                      "max_len", "vocab_size", "image_size", "grey", "unlabeled_path", "use_labels", "audio", "audio_augment", "ngrams", "generate", NULL };
  int format = s->format;

  if (!check_keys (r, obj, prefix, keys, error)
      || !get_choice (r, obj, prefix, "format", tl_experiment_format_names, &format, error)
      || !get_string (r, obj, prefix, "path", &s->path, error)
      || !get_string (r, obj, prefix, "labels", &s->labels_path, error)
      || !get_string (r, obj, prefix, "test_path", &s->test_path, error)
      || !get_string (r, obj, prefix, "test_labels", &s->test_labels_path, error)
      || !get_string (r, obj, prefix, "unlabeled_path", &s->unlabeled_path, error)
      || !get_string (r, obj, prefix, "generate", &s->generate, error)
      || !get_bool (r, obj, prefix, "use_labels", &s->use_labels, error)
      || !get_string (r, obj, prefix, "label_column", &s->label_column, error)
      || !get_string (r, obj, prefix, "text_column", &s->text_column, error)
      || !get_strv (r, obj, prefix, "feature_columns", FALSE, &s->feature_columns, error)
      || !get_strv (r, obj, prefix, "classes", TRUE, &s->classes, error)
      || !get_int (r, obj, prefix, "per_class", 0, G_MAXINT, &s->per_class, error)
      || !get_int (r, obj, prefix, "test_per_class", 0, G_MAXINT, &s->test_per_class, error)
      || !get_double (r, obj, prefix, "val_fraction", 0.0, 0.9, &s->val_fraction, error)
      || !get_double (r, obj, prefix, "test_fraction", 0.0, 0.9, &s->test_fraction, error)
      || !get_int (r, obj, prefix, "max_len", 1, 100000, &s->max_len, error)
      || !get_int (r, obj, prefix, "vocab_size", 2, 10000000, &s->vocab_size, error)
      || !get_int (r, obj, prefix, "image_size", 0, 4096, &s->image_size, error)
      || !get_bool (r, obj, prefix, "grey", &s->grey, error))
    return FALSE;
  s->format = format;
  if (!read_audio (r, obj, prefix, &s->audio, error))
    return FALSE;
  if (json_object_has_member (obj, "audio_augment"))
    {
      g_autoptr (GError) local = NULL;

      if (!tl_audio_augment_from_json (&s->audio_augment, json_object_get_member (obj, "audio_augment"), &local))
        return fail (r, error, prefix, "audio_augment", "%s", local->message);
    }
  if (!read_ngrams (r, obj, prefix, &s->ngrams, error))
    return FALSE;
  /* Without target data the source model is trained alone; without source
   * data a pretrained model stands for it (checked once pretrain is read). */
  if (s->path == NULL && (s->test_path != NULL || s->unlabeled_path != NULL || s->labels_path != NULL
                       || s->generate != NULL))
    return fail (r, error, prefix, "path", "missing (the data its other files go with)");
  if (s->format == TL_DATA_FORMAT_IDX && s->path != NULL && s->labels_path == NULL)
    return fail (r, error, prefix, "labels", "missing (the IDX labels file)");
  if (s->format == TL_DATA_FORMAT_IDX && s->test_path != NULL && s->test_labels_path == NULL)
    return fail (r, error, prefix, "test_labels", "missing (the IDX labels of test_path)");
  if (s->val_fraction + s->test_fraction > 0.9)
    return fail (r, error, prefix, "test_fraction", "val_fraction + test_fraction must be at most 0.9");
  return TRUE;
}

static gboolean
read_layer (const Reader *r, JsonObject *obj, const char *prefix, TlLayerSpec *spec, char **name,
            GError **error)
{
  static const char *const keys[] = { "kind", "name", "units", "filters", "kernel", "stride",
                                      "padding", "vocab_size", "embed_dim", "return_sequences",
                                      "rate", "groups", "min", "max", "frozen_updates_stats", NULL };
  g_autofree char *kind = NULL;
  TlLayerKind k;

  memset (spec, 0, sizeof *spec);
  if (!check_keys (r, obj, prefix, keys, error)
      || !get_string (r, obj, prefix, "kind", &kind, error)
      || !get_string (r, obj, prefix, "name", name, error)
      || !get_int (r, obj, prefix, "units", 0, 1 << 20, &spec->units, error)
      || !get_int (r, obj, prefix, "filters", 0, 1 << 16, &spec->filters, error)
      || !get_int (r, obj, prefix, "kernel", 0, 1024, &spec->kernel, error)
      || !get_int (r, obj, prefix, "stride", 0, 1024, &spec->stride, error)
      || !get_int (r, obj, prefix, "padding", 0, 1024, &spec->padding, error)
      || !get_int (r, obj, prefix, "vocab_size", 0, 10000000, &spec->vocab_size, error)
      || !get_int (r, obj, prefix, "embed_dim", 0, 1 << 16, &spec->embed_dim, error)
      || !get_bool (r, obj, prefix, "return_sequences", &spec->return_sequences, error)
      || !get_float (r, obj, prefix, "rate", 0.0, 0.99, &spec->rate, error)
      || !get_int (r, obj, prefix, "groups", 0, 1 << 16, &spec->groups, error)
      || !get_float (r, obj, prefix, "min", -1e30, 1e30, &spec->clip_min, error)
      || !get_float (r, obj, prefix, "max", -1e30, 1e30, &spec->clip_max, error)
      || !get_bool (r, obj, prefix, "frozen_updates_stats", &spec->frozen_stats, error))
    return FALSE;
  if (kind == NULL)
    return fail (r, error, prefix, "kind", "missing (dense, conv2d, lstm, ...)");
  if (!tl_layer_kind_from_name (kind, &k))
    return fail (r, error, prefix, "kind", "unknown layer kind '%s'", kind);
  spec->kind = k;
  return TRUE;
}

static gboolean
read_architecture (const Reader *r, JsonObject *obj, TlArchitectureSpec *a, GError **error)
{
  static const char *const keys[] = { "preset", "layers", "embedding_vectors", "embedding_vectors_unknown", NULL };
  JsonNode *layers = member (obj, "layers");
  g_autofree char *preset = NULL;
  g_autofree char *unknown = NULL;
  TlPreset p;

  if (!check_keys (r, obj, "architecture", keys, error)
      || !get_string (r, obj, "architecture", "preset", &preset, error)
      || !get_string (r, obj, "architecture", "embedding_vectors", &a->embedding_vectors, error)
      || !get_string (r, obj, "architecture", "embedding_vectors_unknown", &unknown, error))
    return FALSE;
  if (unknown != NULL && !tl_unknown_vectors_from_name (unknown, &a->embedding_vectors_unknown))
    return fail (r, error, "architecture", "embedding_vectors_unknown",
                 "unknown rule '%s' (expected random, zero or mean)", unknown);
  if (preset != NULL && layers != NULL)
    return fail (r, error, "architecture", NULL, "give either preset or layers, not both");
  if (preset != NULL)
    {
      if (!tl_preset_from_name (preset, &p))
        return fail (r, error, "architecture", "preset",
                     "unknown preset '%s' (expected mlp, cnn, text-lstm or text-pool)", preset);
      char *vectors = g_steal_pointer (&a->embedding_vectors);
      TlUnknownVectors rule = a->embedding_vectors_unknown;

      tl_architecture_spec_clear (a);
      a->preset = g_steal_pointer (&preset);
      a->embedding_vectors = vectors;
      a->embedding_vectors_unknown = rule;
      return TRUE;
    }
  if (layers == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (layers) || json_array_get_length (json_node_get_array (layers)) == 0)
    return fail (r, error, "architecture", "layers", "expected a non-empty list of layers");

  {
    JsonArray *array = json_node_get_array (layers);
    guint n = json_array_get_length (array);
    TlArchitectureSpec next = { 0 };
    gboolean has_dense = FALSE;

    next.n_layers = n;
    next.layers = g_new0 (TlLayerSpec, n);
    next.layer_names = g_new0 (char *, n + 1);
    for (guint i = 0; i < n; i++)
      {
        JsonNode *item = json_array_get_element (array, i);
        g_autofree char *prefix = g_strdup_printf ("architecture.layers.%u", i);

        if (!JSON_NODE_HOLDS_OBJECT (item))
          {
            tl_architecture_spec_clear (&next);
            return fail (r, error, prefix, NULL, "expected a layer object");
          }
        if (!read_layer (r, json_node_get_object (item), prefix, &next.layers[i],
                         &next.layer_names[i], error))
          {
            tl_architecture_spec_clear (&next);
            return FALSE;
          }
        has_dense |= next.layers[i].kind == TL_LAYER_DENSE;
      }
    if (!has_dense)
      {
        tl_architecture_spec_clear (&next);
        return fail (r, error, "architecture", "layers", "needs a dense layer as the head");
      }
    next.embedding_vectors = g_steal_pointer (&a->embedding_vectors);
    next.embedding_vectors_unknown = a->embedding_vectors_unknown;
    tl_architecture_spec_clear (a);
    *a = next;
  }
  return TRUE;
}

static gboolean
read_optimizer (const Reader *r, JsonObject *obj, const char *prefix, TlOptimizerConfig *o,
                GError **error)
{
  static const char *const keys[] = { "kind", "lr", "momentum", "nesterov", "beta1", "beta2", "eps",
                                      "weight_decay", "clip_norm", NULL };
  int kind = o->kind;
  float lr = o->learning_rate;

  if (!check_keys (r, obj, prefix, keys, error)
      || !get_choice (r, obj, prefix, "kind", tl_optimizer_kind_names, &kind, error)
      || !get_float (r, obj, prefix, "lr", 1e-9, 100.0, &lr, error))
    return FALSE;
  if (kind != (int) o->kind)
    tl_optimizer_config_init (o, kind, lr);
  o->learning_rate = lr;
  return get_float (r, obj, prefix, "momentum", 0.0, 0.9999, &o->momentum, error)
         && get_bool (r, obj, prefix, "nesterov", &o->nesterov, error)
         && get_float (r, obj, prefix, "beta1", 0.0, 0.9999, &o->beta1, error)
         && get_float (r, obj, prefix, "beta2", 0.0, 0.999999, &o->beta2, error)
         && get_float (r, obj, prefix, "eps", 0.0, 1.0, &o->eps, error)
         && get_float (r, obj, prefix, "weight_decay", 0.0, 10.0, &o->weight_decay, error)
         && get_float (r, obj, prefix, "clip_norm", 0.0, 1e6, &o->clip_norm, error);
}

static gboolean
read_schedule (const Reader *r, JsonObject *obj, const char *prefix, TlScheduleConfig *s, GError **error)
{
  static const char *const keys[] = { "kind", "step_size", "gamma", "min_lr", "warmup_fraction", NULL };
  int kind = s->kind;

  if (!check_keys (r, obj, prefix, keys, error)
      || !get_choice (r, obj, prefix, "kind", tl_schedule_kind_names, &kind, error)
      || !get_int (r, obj, prefix, "step_size", 1, 100000, &s->step_size, error)
      || !get_float (r, obj, prefix, "gamma", 0.0, 10.0, &s->gamma, error)
      || !get_float (r, obj, prefix, "min_lr", 0.0, 100.0, &s->min_lr, error)
      || !get_float (r, obj, prefix, "warmup_fraction", 0.0, 1.0, &s->warmup_fraction, error))
    return FALSE;
  s->kind = kind;
  return TRUE;
}

/* The training keys shared by "pretrain" and "transfer". */
static gboolean
read_train (const Reader *r, JsonObject *obj, const char *prefix, TlTrainSpec *t, GError **error)
{
  JsonObject *sub = NULL;
  JsonNode *schedule = member (obj, "schedule");

  if (!get_int (r, obj, prefix, "epochs", 0, 100000, &t->epochs, error)
      || !get_int (r, obj, prefix, "batch_size", 1, 1 << 20, &t->batch_size, error)
      || !get_int (r, obj, prefix, "patience", 0, 100000, &t->patience, error)
      || !get_int (r, obj, prefix, "average_epochs", 0, 100000, &t->average_epochs, error)
      || !get_float (r, obj, prefix, "label_smoothing", 0.0, 0.99, &t->label_smoothing, error))
    return FALSE;
  if (!get_object (r, obj, prefix, "optimizer", &sub, error))
    return FALSE;
  if (sub != NULL)
    {
      g_autofree char *p = join (prefix, "optimizer");
      if (!read_optimizer (r, sub, p, &t->optimizer, error))
        return FALSE;
    }
  /* "schedule": "cosine" is short for {"kind": "cosine"}. */
  if (schedule != NULL && JSON_NODE_HOLDS_VALUE (schedule))
    {
      int kind = t->schedule.kind;
      if (!get_choice (r, obj, prefix, "schedule", tl_schedule_kind_names, &kind, error))
        return FALSE;
      t->schedule.kind = kind;
    }
  else
    {
      if (!get_object (r, obj, prefix, "schedule", &sub, error))
        return FALSE;
      if (sub != NULL)
        {
          g_autofree char *p = join (prefix, "schedule");
          if (!read_schedule (r, sub, p, &t->schedule, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
read_pretrain (const Reader *r, JsonObject *obj, TlExperiment *exp, GError **error)
{
  static const char *const keys[] = { "model", "epochs", "batch_size", "optimizer", "schedule",
                                      "patience", "average_epochs", "label_smoothing", NULL };

  return check_keys (r, obj, "pretrain", keys, error)
         && get_string (r, obj, "pretrain", "model", &exp->pretrained_model, error)
         && read_train (r, obj, "pretrain", &exp->pretrain, error);
}

static gboolean
read_freeze (const Reader *r, JsonNode *node, TlTransferSpec *t, GError **error)
{
  static const char *const keys[] = { "below", "layers", NULL };
  JsonObject *obj;

  /* "none" and "all-but-head" are accepted as words */
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
      && strcmp (json_node_get_string (node), "none") == 0)
    {
      t->freeze_mode = TL_FREEZE_NONE;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (r, error, "transfer", "freeze", "expected {\"below\": K}, {\"layers\": [...]} or \"none\"");
  obj = json_node_get_object (node);
  if (!check_keys (r, obj, "transfer.freeze", keys, error))
    return FALSE;
  if (member (obj, "below") != NULL && member (obj, "layers") != NULL)
    return fail (r, error, "transfer", "freeze", "give either below or layers, not both");
  if (member (obj, "below") != NULL)
    {
      if (!get_int (r, obj, "transfer.freeze", "below", 0, 100000, &t->freeze_below, error))
        return FALSE;
      t->freeze_mode = t->freeze_below > 0 ? TL_FREEZE_BELOW : TL_FREEZE_NONE;
    }
  else if (member (obj, "layers") != NULL)
    {
      if (!get_strv (r, obj, "transfer.freeze", "layers", TRUE, &t->freeze_layers, error))
        return FALSE;
      t->freeze_mode = TL_FREEZE_LAYERS;
    }
  else
    t->freeze_mode = TL_FREEZE_NONE;
  return TRUE;
}

static gboolean
read_lr_mult (const Reader *r, JsonObject *obj, TlTransferSpec *t, GError **error)
{
  g_autoptr (GList) keys = json_object_get_members (obj);
  int n = g_list_length (keys), i = 0;
  char **names = g_new0 (char *, n + 1);
  double *mults = g_new0 (double, MAX (n, 1));

  for (GList *l = keys; l != NULL; l = l->next, i++)
    {
      names[i] = g_strdup (l->data);
      mults[i] = 1.0;
      if (!get_double (r, obj, "transfer.lr_mult", l->data, 0.0, 1000.0, &mults[i], error))
        {
          g_strfreev (names);
          g_free (mults);
          return FALSE;
        }
    }
  g_strfreev (t->lr_mult_layers);
  g_free (t->lr_mults);
  t->n_lr_mults = n;
  t->lr_mult_layers = names;
  t->lr_mults = mults;
  return TRUE;
}

/* "strategy": one name or a list of distinct names */
static gboolean
read_strategies (const Reader *r, JsonObject *obj, TlTransferSpec *t, GError **error)
{
  g_auto (GStrv) names = NULL;
  JsonNode *node = member (obj, "strategy");

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      names = g_new0 (char *, 2);
      names[0] = g_strdup (json_node_get_string (node));
    }
  else if (!get_strv (r, obj, "transfer", "strategy", FALSE, &names, error))
    return FALSE;
  if (names == NULL || names[0] == NULL)
    return fail (r, error, "transfer", "strategy", "expected a strategy or a list of them (%s)",
                 "fine-tune, joint, domain-adversarial, self-training");
  t->n_strategies = 0;
  for (int i = 0; names[i] != NULL; i++)
    {
      int k = 0;

      while (tl_strategy_names[k] != NULL && g_ascii_strcasecmp (names[i], tl_strategy_names[k]) != 0)
        k++;
      if (tl_strategy_names[k] == NULL)
        return fail (r, error, "transfer", "strategy", "'%s' is not a strategy (expected fine-tune, joint, "
                     "domain-adversarial or self-training)", names[i]);
      for (int j = 0; j < t->n_strategies; j++)
        if (t->strategies[j] == (TlStrategy) k)
          return fail (r, error, "transfer", "strategy", "'%s' is listed twice", names[i]);
      t->strategies[t->n_strategies++] = (TlStrategy) k;
    }
  return TRUE;
}

/* {"epsilon": 3, "delta": 1e-5, "clip": 1.0}, or "sigma" (the noise multiplier) instead of epsilon, or both:
 * the run then stops when its budget is spent. delta defaults to 1e-5, clip to 1; "non_private_reference"
 * (default true) also trains the transfer without privacy. */
static gboolean
read_privacy (const Reader *r, JsonObject *obj, TlTrainSpec *t, GError **error)
{
  static const char *const keys[] = { "epsilon", "delta", "clip", "sigma", "non_private_reference", NULL };
  const char *prefix = "transfer.privacy";
  TlPrivacyConfig *p = &t->privacy;

  p->epsilon = 0.0;
  p->sigma = 0.0;
  p->delta = 1e-5;
  p->clip = 1.0;
  t->private_reference = TRUE;
  if (!check_keys (r, obj, prefix, keys, error)
      || !get_double (r, obj, prefix, "epsilon", 0.0, 1e6, &p->epsilon, error)
      || !get_double (r, obj, prefix, "delta", 0.0, 1.0, &p->delta, error)
      || !get_double (r, obj, prefix, "clip", 0.0, 1e6, &p->clip, error)
      || !get_double (r, obj, prefix, "sigma", 0.0, 1e6, &p->sigma, error)
      || !get_bool (r, obj, prefix, "non_private_reference", &t->private_reference, error))
    return FALSE;
  if (json_object_has_member (obj, "epsilon") && !(p->epsilon > 0.0))
    return fail (r, error, prefix, "epsilon", "expected a privacy budget above 0, got %g", p->epsilon);
  if (!(p->delta > 0.0 && p->delta < 1.0))
    return fail (r, error, prefix, "delta", "expected a probability above 0 and below 1, got %g", p->delta);
  if (!(p->clip > 0.0))
    return fail (r, error, prefix, "clip", "expected a gradient norm bound above 0, got %g", p->clip);
  if (json_object_has_member (obj, "sigma") && !(p->sigma > 0.0))
    return fail (r, error, prefix, "sigma", "expected a noise multiplier above 0, got %g", p->sigma);
  if (p->epsilon == 0.0 && p->sigma == 0.0)
    return fail (r, error, prefix, "epsilon", "expected an epsilon (the budget) or a sigma (the noise multiplier)");
  t->private = TRUE;
  return TRUE;
}

static gboolean
read_transfer (const Reader *r, JsonObject *obj, TlTransferSpec *t, GError **error)
{
  static const char *const keys[] = { "freeze", "lr_mult", "rebuild_head", "feature_cache",
                                      "unfreeze_every", "epochs", "batch_size", "optimizer",
                                      "schedule", "patience", "average_epochs", "label_smoothing", "strategy",
                                      "target_weight", "adversarial_weight", "pseudo_labels",
                                      "unlabeled_text", "privacy", NULL };
  JsonNode *freeze = member (obj, "freeze");
  JsonObject *mult = NULL, *privacy = NULL;

  if (!check_keys (r, obj, "transfer", keys, error))
    return FALSE;
  if (freeze != NULL && !read_freeze (r, freeze, t, error))
    return FALSE;
  if (!get_object (r, obj, "transfer", "lr_mult", &mult, error))
    return FALSE;
  if (mult != NULL && !read_lr_mult (r, mult, t, error))
    return FALSE;
  if (!read_strategies (r, obj, t, error))
    return FALSE;
  if (!get_object (r, obj, "transfer", "privacy", &privacy, error))
    return FALSE;
  if (privacy != NULL && !read_privacy (r, privacy, &t->finetune, error))
    return FALSE;
  return get_bool (r, obj, "transfer", "rebuild_head", &t->rebuild_head, error)
         && get_float (r, obj, "transfer", "target_weight", 0.0, 1000.0, &t->target_weight, error)
         && get_float (r, obj, "transfer", "adversarial_weight", 0.0, 100.0, &t->adversarial_weight, error)
         && get_int (r, obj, "transfer", "pseudo_labels", 0, 10000000, &t->pseudo_labels, error)
         && get_bool (r, obj, "transfer", "unlabeled_text", &t->unlabeled_text, error)
         && get_bool (r, obj, "transfer", "feature_cache", &t->feature_cache, error)
         && get_int (r, obj, "transfer", "unfreeze_every", 0, 100000, &t->unfreeze_every, error)
         && read_train (r, obj, "transfer", &t->finetune, error);
}

static gboolean
read_flags (const Reader *r, JsonObject *obj, const char *prefix, const char *key,
            const char *const *names, guint *out, GError **error)
{
  g_auto (GStrv) items = NULL;
  guint flags = 0;

  if (!get_strv (r, obj, prefix, key, FALSE, &items, error))
    return FALSE;
  if (items == NULL)
    return TRUE;
  for (int i = 0; items[i] != NULL; i++)
    {
      int k = 0;
      while (names[k] != NULL && g_ascii_strcasecmp (names[k], items[i]) != 0)
        k++;
      if (names[k] == NULL)
        {
          g_autofree char *item_key = g_strdup_printf ("%s.%d", key, i);
          g_autofree char *expected = g_strjoinv (", ", (char **) names);
          return fail (r, error, prefix, item_key, "unknown '%s' (expected one of: %s)", items[i],
                       expected);
        }
      flags |= 1u << k;
    }
  *out = flags;
  return TRUE;
}

static gboolean
read_run_folder (const Reader *r, JsonObject *obj, const char *key, char **out, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!get_string (r, obj, "outputs.runs", key, out, error))
    return FALSE;
  if (!tl_output_name_is_safe (*out, &local))
    return fail (r, error, "outputs.runs", key, "%s", local->message);
  return TRUE;
}

static gboolean
read_outputs (const Reader *r, JsonObject *obj, TlOutputSpec *o, GError **error)
{
  static const char *const keys[] = { "folder", "exports", "plots", "runs", NULL };
  static const char *const run_keys[] = { "pretrain", "transfer", "baseline", NULL };
  JsonObject *runs = NULL;

  if (!check_keys (r, obj, "outputs", keys, error)
      || !get_string (r, obj, "outputs", "folder", &o->folder, error)
      || !read_flags (r, obj, "outputs", "exports", tl_experiment_export_names, &o->exports, error)
      || !read_flags (r, obj, "outputs", "plots", tl_experiment_plot_names, &o->plot_formats, error)
      || !get_object (r, obj, "outputs", "runs", &runs, error))
    return FALSE;
  if (runs == NULL)
    return TRUE;
  return check_keys (r, runs, "outputs.runs", run_keys, error)
         && read_run_folder (r, runs, "pretrain", &o->pretrain_folder, error)
         && read_run_folder (r, runs, "transfer", &o->transfer_folder, error)
         && read_run_folder (r, runs, "baseline", &o->baseline_folder, error);
}

TlExperiment *
tl_experiment_from_json (JsonNode *node, const char *name, const char *base_dir, GError **error)
{
  static const char *const keys[] = { "format_version", "name", "description", "seed", "source",
                                      "target", "architecture", "pretrain", "transfer", "baseline",
                                      "baseline_epochs", "outputs", "results", NULL };
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  Reader reader = { name }, *r = &reader;
  JsonObject *root, *sub, *source;
  JsonNode *baseline;
  int version = 1;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fail (r, error, "", NULL, "expected a JSON object");
      return NULL;
    }
  root = json_node_get_object (node);
  g_free (exp->base_dir);
  exp->base_dir = base_dir ? g_strdup (base_dir) : g_get_current_dir ();
  exp->file_name = g_strdup (name);

  if (!check_keys (r, root, "", keys, error)
      || !get_int (r, root, "", "format_version", 1, 1, &version, error)
      || !get_string (r, root, "", "name", &exp->name, error)
      || !get_string (r, root, "", "description", &exp->description, error)
      || !get_uint64 (r, root, "", "seed", &exp->seed, error)
      || !get_string (r, root, "", "results", &exp->last_results, error))
    return NULL;

  if (!get_object (r, root, "", "source", &source, error))
    return NULL;
  if (source != NULL && !read_source (r, source, "source", &exp->source, error))
    return NULL;
  if (!get_object (r, root, "", "target", &sub, error))
    return NULL;
  /* no target: the source model is trained alone */
  if (sub != NULL && !read_source (r, sub, "target", &exp->target, error))
    return NULL;

  if (!get_object (r, root, "", "architecture", &sub, error)
      || (sub != NULL && !read_architecture (r, sub, &exp->architecture, error))
      || !get_object (r, root, "", "pretrain", &sub, error)
      || (sub != NULL && !read_pretrain (r, sub, exp, error))
      || !get_object (r, root, "", "transfer", &sub, error)
      || (sub != NULL && !read_transfer (r, sub, &exp->transfer, error))
      || !get_object (r, root, "", "outputs", &sub, error)
      || (sub != NULL && !read_outputs (r, sub, &exp->outputs, error)))
    return NULL;
  /* a pretrained model (pretrain.model) stands for the source */
  if (source == NULL && exp->pretrained_model == NULL)
    {
      fail (r, error, "", "source", "missing (the pretraining data, or a pretrained model in pretrain.model)");
      return NULL;
    }
  if (source != NULL && exp->source.path == NULL && exp->pretrained_model == NULL)
    {
      fail (r, error, "source", "path", "missing (a data file or folder)");
      return NULL;
    }

  /* "baseline": true, or {"enabled": true} */
  baseline = member (root, "baseline");
  if (baseline != NULL && JSON_NODE_HOLDS_OBJECT (baseline))
    {
      static const char *const bkeys[] = { "enabled", NULL };
      if (!check_keys (r, json_node_get_object (baseline), "baseline", bkeys, error)
          || !get_bool (r, json_node_get_object (baseline), "baseline", "enabled", &exp->baseline, error))
        return NULL;
    }
  else if (!get_bool (r, root, "", "baseline", &exp->baseline, error))
    return NULL;
  if (!get_int (r, root, "", "baseline_epochs", 0, 100000, &exp->baseline_epochs, error))
    return NULL;

  return g_steal_pointer (&exp);
}

/* The first member whose name or string is not UTF-8, NULL when all are: json-glib
 * reads a GScanner-style octal escape ("\\615") into a raw byte, which no
 * writer could put back. */
static const char *
non_utf8_member (JsonNode *node, const char *name)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *key;
      JsonNode *value;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &key, &value))
        {
          const char *bad = g_utf8_validate (key, -1, NULL) ? non_utf8_member (value, key) : "(a member name)";
          if (bad != NULL)
            return bad;
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *bad = non_utf8_member (json_array_get_element (array, i), name);
          if (bad != NULL)
            return bad;
        }
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
           && !g_utf8_validate (json_node_get_string (node), -1, NULL))
    return name;
  return NULL;
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
  {
    const char *bad = non_utf8_member (root, "(the top level)");
    if (bad != NULL)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                     "%s: %s: a string whose escapes make bytes that are not UTF-8 text; "
                     "JSON escapes characters as \\uXXXX", path, bad);
        return NULL;
      }
  }
  abs = g_canonicalize_filename (path, NULL);
  dir = g_path_get_dirname (abs);
  return tl_experiment_from_json (root, path, dir, error);
}
