#define G_LOG_DOMAIN "tl-experiment"

#include "config.h"

#include <string.h>

#include "tl-atomic-file.h"
#include "tl-embedding-vectors.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-experiment-private.h"

/* Writing: every field, so that a saved file is a complete record of the run
 * and --set finds every key in place. */

static double
tidy (float v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* 1e-3f printed as 0.001, not 0.0010000000474974513 */
  g_ascii_formatd (buf, sizeof buf, "%.7g", v);
  return g_ascii_strtod (buf, NULL);
}

static void
add_string (JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name (b, key);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_strv (JsonBuilder *b, const char *key, char **values)
{
  json_builder_set_member_name (b, key);
  if (values == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_array (b);
  for (int i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (b, values[i]);
  json_builder_end_array (b);
}

static void
add_int (JsonBuilder *b, const char *key, gint64 value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, value);
}

static void
add_double (JsonBuilder *b, const char *key, double value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_double_value (b, value);
}

static void
add_bool (JsonBuilder *b, const char *key, gboolean value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_boolean_value (b, value);
}

static void
add_flags (JsonBuilder *b, const char *key, const char *const *names, guint flags)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (int i = 0; names[i] != NULL; i++)
    if (flags & (1u << i))
      json_builder_add_string_value (b, names[i]);
  json_builder_end_array (b);
}

static void
write_source (JsonBuilder *b, const char *key, const TlDataSourceSpec *s)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_object (b);
  add_string (b, "format", tl_experiment_format_names[s->format]);
  add_string (b, "path", s->path);
  add_string (b, "labels", s->labels_path);
  add_string (b, "test_path", s->test_path);
  add_string (b, "test_labels", s->test_labels_path);
  add_string (b, "unlabeled_path", s->unlabeled_path);
  if (s->generate != NULL)
    add_string (b, "generate", s->generate);
  add_bool (b, "use_labels", s->use_labels);
  add_string (b, "label_column", s->label_column);
  add_string (b, "text_column", s->text_column);
  add_strv (b, "feature_columns", s->feature_columns);
  add_strv (b, "classes", s->classes);
  add_int (b, "per_class", s->per_class);
  add_int (b, "test_per_class", s->test_per_class);
  add_double (b, "val_fraction", s->val_fraction);
  add_double (b, "test_fraction", s->test_fraction);
  add_int (b, "max_len", s->max_len);
  add_int (b, "vocab_size", s->vocab_size);
  json_builder_set_member_name (b, "ngrams");
  json_builder_begin_object (b);
  add_int (b, "n", s->ngrams.ngram_max);
  add_int (b, "min_df", s->ngrams.min_df);
  add_int (b, "max_features", s->ngrams.max_features);
  add_int (b, "hash_size", s->ngrams.hash_size);
  add_bool (b, "sublinear_tf", s->ngrams.sublinear_tf);
  add_int (b, "max_terms", s->ngrams.max_terms);
  add_int (b, "char_min", s->ngrams.char_min);
  add_int (b, "char_max", s->ngrams.char_max);
  add_int (b, "char_max_features", s->ngrams.char_max_features);
  json_builder_end_object (b);
  if (s->format == TL_DATA_FORMAT_AUDIO)
    {
      json_builder_set_member_name (b, "audio");
      json_builder_begin_object (b);
      tl_audio_settings_to_json_members (&s->audio, b);
      json_builder_end_object (b);
      if (s->audio_augment.copies > 0)
        {
          json_builder_set_member_name (b, "audio_augment");
          json_builder_add_value (b, tl_audio_augment_to_json (&s->audio_augment));
        }
    }
  add_int (b, "image_size", s->image_size);
  add_bool (b, "grey", s->grey);
  json_builder_end_object (b);
}

static void
write_layer (JsonBuilder *b, const TlLayerSpec *s, const char *name)
{
  json_builder_begin_object (b);
  add_string (b, "kind", tl_layer_kind_name (s->kind));
  if (name)
    add_string (b, "name", name);
  if (s->units)
    add_int (b, "units", s->units);
  if (s->filters)
    add_int (b, "filters", s->filters);
  if (s->kernel)
    add_int (b, "kernel", s->kernel);
  if (s->stride)
    add_int (b, "stride", s->stride);
  if (s->padding)
    add_int (b, "padding", s->padding);
  if (s->vocab_size)
    add_int (b, "vocab_size", s->vocab_size);
  if (s->embed_dim)
    add_int (b, "embed_dim", s->embed_dim);
  if (s->return_sequences)
    add_bool (b, "return_sequences", TRUE);
  if (s->rate > 0)
    add_double (b, "rate", tidy (s->rate));
  if (s->groups > 1)
    add_int (b, "groups", s->groups);
  if (s->kind == TL_LAYER_CLIP)
    {
      add_double (b, "min", tidy (s->clip_min));
      add_double (b, "max", tidy (s->clip_max));
    }
  if (s->frozen_stats)
    add_bool (b, "frozen_updates_stats", TRUE);
  json_builder_end_object (b);
}

static void
write_train (JsonBuilder *b, const TlTrainSpec *t)
{
  add_int (b, "epochs", t->epochs);
  add_int (b, "batch_size", t->batch_size);
  json_builder_set_member_name (b, "optimizer");
  json_builder_begin_object (b);
  add_string (b, "kind", tl_optimizer_kind_names[t->optimizer.kind]);
  add_double (b, "lr", tidy (t->optimizer.learning_rate));
  add_double (b, "momentum", tidy (t->optimizer.momentum));
  add_bool (b, "nesterov", t->optimizer.nesterov);
  add_double (b, "beta1", tidy (t->optimizer.beta1));
  add_double (b, "beta2", tidy (t->optimizer.beta2));
  add_double (b, "eps", tidy (t->optimizer.eps));
  add_double (b, "weight_decay", tidy (t->optimizer.weight_decay));
  add_double (b, "clip_norm", tidy (t->optimizer.clip_norm));
  json_builder_end_object (b);
  json_builder_set_member_name (b, "schedule");
  json_builder_begin_object (b);
  add_string (b, "kind", tl_schedule_kind_names[t->schedule.kind]);
  add_int (b, "step_size", t->schedule.step_size);
  add_double (b, "gamma", tidy (t->schedule.gamma));
  add_double (b, "min_lr", tidy (t->schedule.min_lr));
  add_double (b, "warmup_fraction", tidy (t->schedule.warmup_fraction));
  json_builder_end_object (b);
  add_int (b, "patience", t->patience);
  /* written only when set, so that the stage keys of earlier runs still match */
  if (t->average_epochs > 0)
    add_int (b, "average_epochs", t->average_epochs);
  add_double (b, "label_smoothing", tidy (t->label_smoothing));
}

JsonNode *
tl_experiment_to_json (const TlExperiment *exp)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const TlTransferSpec *t;

  g_return_val_if_fail (exp != NULL, NULL);
  t = &exp->transfer;

  json_builder_begin_object (b);
  add_int (b, "format_version", 1);
  add_string (b, "name", exp->name);
  add_string (b, "description", exp->description);
  add_int (b, "seed", (gint64) exp->seed);
  /* a pretrained model stands for source data that has none */
  if (exp->source.path != NULL || exp->pretrained_model == NULL)
    write_source (b, "source", &exp->source);
  write_source (b, "target", &exp->target);

  json_builder_set_member_name (b, "architecture");
  json_builder_begin_object (b);
  if (exp->architecture.preset != NULL || exp->architecture.n_layers == 0)
    add_string (b, "preset", exp->architecture.preset ? exp->architecture.preset : "mlp");
  else
    {
      json_builder_set_member_name (b, "layers");
      json_builder_begin_array (b);
      for (int i = 0; i < exp->architecture.n_layers; i++)
        write_layer (b, &exp->architecture.layers[i], exp->architecture.layer_names[i]);
      json_builder_end_array (b);
    }
  if (exp->architecture.embedding_vectors != NULL)
    {
      add_string (b, "embedding_vectors", exp->architecture.embedding_vectors);
      add_string (b, "embedding_vectors_unknown", tl_unknown_vectors_name (exp->architecture.embedding_vectors_unknown));
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "pretrain");
  json_builder_begin_object (b);
  add_string (b, "model", exp->pretrained_model);
  write_train (b, &exp->pretrain);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "transfer");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "freeze");
  json_builder_begin_object (b);
  if (t->freeze_mode == TL_FREEZE_LAYERS)
    add_strv (b, "layers", t->freeze_layers);
  else
    add_int (b, "below", t->freeze_mode == TL_FREEZE_BELOW ? t->freeze_below : 0);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "lr_mult");
  json_builder_begin_object (b);
  for (int i = 0; i < t->n_lr_mults; i++)
    add_double (b, t->lr_mult_layers[i], t->lr_mults[i]);
  json_builder_end_object (b);
  add_bool (b, "rebuild_head", t->rebuild_head);
  add_bool (b, "feature_cache", t->feature_cache);
  add_int (b, "unfreeze_every", t->unfreeze_every);
  json_builder_set_member_name (b, "strategy");
  json_builder_begin_array (b);
  for (int i = 0; i < t->n_strategies; i++)
    json_builder_add_string_value (b, tl_strategy_names[t->strategies[i]]);
  json_builder_end_array (b);
  add_double (b, "target_weight", tidy (t->target_weight));
  add_double (b, "adversarial_weight", tidy (t->adversarial_weight));
  add_int (b, "pseudo_labels", t->pseudo_labels);
  add_bool (b, "unlabeled_text", t->unlabeled_text);
  if (t->finetune.private)
    {
      const TlPrivacyConfig *p = &t->finetune.privacy;
      json_builder_set_member_name (b, "privacy");
      json_builder_begin_object (b);
      if (p->epsilon > 0.0)
        add_double (b, "epsilon", p->epsilon);
      add_double (b, "delta", p->delta);
      add_double (b, "clip", p->clip);
      if (p->sigma > 0.0)
        add_double (b, "sigma", p->sigma);
      add_bool (b, "non_private_reference", t->finetune.private_reference);
      json_builder_end_object (b);
    }
  write_train (b, &t->finetune);
  json_builder_end_object (b);

  add_bool (b, "baseline", exp->baseline);
  add_int (b, "baseline_epochs", exp->baseline_epochs);

  json_builder_set_member_name (b, "outputs");
  json_builder_begin_object (b);
  add_string (b, "folder", exp->outputs.folder);
  add_flags (b, "exports", tl_experiment_export_names, exp->outputs.exports);
  add_flags (b, "plots", tl_experiment_plot_names, exp->outputs.plot_formats);
  json_builder_set_member_name (b, "runs");
  json_builder_begin_object (b);
  add_string (b, "pretrain", exp->outputs.pretrain_folder);
  add_string (b, "transfer", exp->outputs.transfer_folder);
  add_string (b, "baseline", exp->outputs.baseline_folder);
  json_builder_end_object (b);
  json_builder_end_object (b);

  add_string (b, "results", exp->last_results);
  json_builder_end_object (b);
  return json_builder_get_root (b);
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
      out[n++] = &sources[i]->unlabeled_path;
      out[n++] = &sources[i]->generate;
    }
  out[n++] = &exp->pretrained_model;
  out[n++] = &exp->architecture.embedding_vectors;
  out[n++] = &exp->outputs.folder;
  out[n++] = &exp->last_results;
  return n;
}


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
  char **fields[20];
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
