#define G_LOG_DOMAIN "tl-experiment"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tl-remove-tree.h"
#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-experiment-private.h"

const char *const tl_experiment_format_names[] = { "csv", "idx", "images", "audio", NULL };
const char *const tl_experiment_export_names[] = { "models", "confusion", "history", "curves", "metrics",
                                            "predictions", "onnx", NULL };
const char *const tl_experiment_plot_names[] = { "png", "svg", "pdf", NULL };
const char *const tl_strategy_names[] = { "fine-tune", "joint", "domain-adversarial", "self-training", NULL };

const char *
tl_data_format_name (TlDataFormat format)
{
  g_return_val_if_fail (format <= TL_DATA_FORMAT_AUDIO, "csv");
  return tl_experiment_format_names[format];
}

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
  spec->private_reference = TRUE;
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
  tl_audio_settings_init (&s->audio);
  tl_audio_augment_init (&s->audio_augment);
  tl_ngram_settings_init (&s->ngrams);
  s->use_labels = TRUE;
}

static void
source_clear (TlDataSourceSpec *s)
{
  g_free (s->path);
  g_free (s->labels_path);
  g_free (s->test_path);
  g_free (s->test_labels_path);
  g_free (s->unlabeled_path);
  g_free (s->generate);
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
  dst->unlabeled_path = g_strdup (src->unlabeled_path);
  dst->generate = g_strdup (src->generate);
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
  g_free (a->embedding_vectors);
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
  exp->transfer.rebuild_head = FALSE;
  exp->transfer.feature_cache = TRUE;
  exp->transfer.n_strategies = 1;
  exp->transfer.strategies[0] = TL_STRATEGY_FINE_TUNE;
  exp->transfer.adversarial_weight = 0.3f;
  exp->transfer.pseudo_labels = 200;
  exp->transfer.unlabeled_text = TRUE;
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
tl_experiment_take (TlExperiment *exp, TlExperiment *other)
{
  experiment_clear (exp);
  *exp = *other;
  g_free (other);
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
  dst->architecture.embedding_vectors = g_strdup (a->embedding_vectors);
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

/* Generated data. */

static gboolean
spec_needs_generation (const TlExperiment *exp, const TlDataSourceSpec *spec)
{
  g_autofree char *path = NULL;

  if (spec->generate == NULL || spec->path == NULL)
    return FALSE;
  path = tl_experiment_resolve_path (exp, spec->path);
  return !g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
tl_experiment_needs_generation (const TlExperiment *exp)
{
  g_return_val_if_fail (exp != NULL, FALSE);

  return spec_needs_generation (exp, &exp->source) || spec_needs_generation (exp, &exp->target);
}

/* The last non-empty lines of a program's output, at most max_lines. */
static char *
last_lines (const char *text, int max_lines)
{
  g_auto (GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  g_autoptr (GString) out = g_string_new (NULL);
  int n = g_strv_length (lines), first = n;

  for (int kept = 0; first > 0 && kept < max_lines; first--)
    if (*g_strstrip (lines[first - 1]) != '\0')
      kept++;
  for (int i = first; i < n; i++)
    if (lines[i][0] != '\0')
      g_string_append_printf (out, "%s%s", out->len > 0 ? " / " : "", lines[i]);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
generate_one (const TlExperiment *exp, const TlDataSourceSpec *spec, const char *role, TlGenerateFunc before,
              gpointer user_data, GError **error)
{
  g_autofree char *folder = tl_experiment_resolve_path (exp, spec->path);
  g_autofree char *generator = tl_experiment_resolve_path (exp, spec->generate);
  g_autofree char *parent = g_path_get_dirname (folder);
  g_autofree char *base = g_path_get_basename (folder);
  g_autofree char *tmpl = NULL, *work = NULL, *python = NULL, *out = NULL, *err = NULL;
  const char *argv[4];
  int n = 0, status = 0;
  g_autoptr (GError) local = NULL;

  if (!g_file_test (generator, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s.generate: %s is missing, so %s cannot be made", role,
                   generator, folder);
      return FALSE;
    }
  if (g_str_has_suffix (generator, ".py"))
    {
      python = g_find_program_in_path ("python3");
      if (python == NULL)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                       "%s.generate: python3 is not installed; it runs %s, which makes %s", role, generator, folder);
          return FALSE;
        }
      argv[n++] = python;
    }
  else if (!g_file_test (generator, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s.generate: %s is not executable", role, generator);
      return FALSE;
    }
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", parent, g_strerror (saved));
      return FALSE;
    }
  /* next to the path, so that the rename stays on one file system */
  tmpl = g_strdup_printf ("%s/.%s.partial-XXXXXX", parent, base);
  work = g_mkdtemp (g_steal_pointer (&tmpl));
  if (work == NULL)
    {
      int saved = errno;
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", parent, g_strerror (saved));
      return FALSE;
    }
  g_chmod (work, 0755);
  argv[n++] = generator;
  argv[n++] = work;
  argv[n] = NULL;
  if (before != NULL)
    before (role, folder, generator, user_data);
  if (!g_spawn_sync (parent, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &local))
    {
      tl_remove_tree (work);
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s.generate: %s did not start: %s", role, generator,
                   local->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, &local))
    {
      g_autofree char *said = last_lines (err, 3);

      tl_remove_tree (work);
      g_set_error (error, TL_ERROR, TL_ERROR_FAILED, "%s.generate: %s failed to make %s (%s)%s%s", role, generator,
                   folder, local->message, said[0] != '\0' ? ": " : "", said);
      return FALSE;
    }
  if (g_rename (work, folder) != 0)
    {
      int saved = errno;

      tl_remove_tree (work);
      /* made meanwhile by another run: that one is as good */
      if (g_file_test (folder, G_FILE_TEST_IS_DIR))
        return TRUE;
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", folder, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
tl_experiment_generate_data (const TlExperiment *exp, TlGenerateFunc before, gpointer user_data, GError **error)
{
  g_return_val_if_fail (exp != NULL, FALSE);

  if (spec_needs_generation (exp, &exp->source)
      && !generate_one (exp, &exp->source, "source", before, user_data, error))
    return FALSE;
  if (spec_needs_generation (exp, &exp->target)
      && !generate_one (exp, &exp->target, "target", before, user_data, error))
    return FALSE;
  return TRUE;
}
