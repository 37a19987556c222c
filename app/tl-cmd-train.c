#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-embedding-vectors.h"
#include "tl-error.h"
#include "tl-export.h"
#include "tl-model-file.h"
#include "tl-pipeline.h"
#include "tl-progress.h"
#include "tl-provenance.h"

/* epochs and batch size not given: the preset's, for the data (tl_preset_training) */
#define UNSET G_MININT

typedef struct {
  TlDataOptions data;
  char         *out, *preset, *optimizer, *checkpoint, *resume, *history, *vectors, *unknown;
  GStrv         files;
  int           epochs, batch_size, patience;
  double        lr;
  double        dp_epsilon, dp_delta, dp_clip, dp_sigma;
  gint64        seed;
  gboolean      quiet, force;
} TrainOptions;

static void
train_options_clear (TrainOptions *o)
{
  tl_data_options_clear (&o->data);
  g_free (o->out);
  g_free (o->preset);
  g_free (o->optimizer);
  g_free (o->checkpoint);
  g_free (o->resume);
  g_free (o->history);
  g_free (o->vectors);
  g_free (o->unknown);
  g_strfreev (o->files);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TrainOptions, train_options_clear)

static gboolean
private_options (const TrainOptions *o)
{
  return !isnan (o->dp_epsilon) || !isnan (o->dp_delta) || !isnan (o->dp_clip) || !isnan (o->dp_sigma);
}

/* The --dp-* flags with their defaults; the trainer checks them against the data. */
static const TlPrivacyConfig *
privacy_config (const TrainOptions *o, TlPrivacyConfig *privacy)
{
  privacy->epsilon = isnan (o->dp_epsilon) ? 0.0 : o->dp_epsilon;
  privacy->delta = isnan (o->dp_delta) ? 1e-5 : o->dp_delta;
  privacy->clip = isnan (o->dp_clip) ? 1.0 : o->dp_clip;
  privacy->sigma = isnan (o->dp_sigma) ? 0.0 : o->dp_sigma;
  return privacy;
}

static void
print_privacy (const TlTrainConfig *config, const TlHistory *history)
{
  g_autofree char *steps = g_strdup_printf ("%" G_GUINT64_FORMAT, history->privacy_steps);

  if (history->budget_spent)
    printf (_("Privacy budget spent: stopped after %u of %d epochs, one more would exceed epsilon %g\n"),
            history->epochs->len, config->epochs, config->privacy->epsilon);
  printf (_("Privacy: epsilon %.3f at delta %g (noise multiplier %.4g, clip %g, %s steps)\n"), history->epsilon,
          config->privacy->delta, history->privacy_sigma, config->privacy->clip, steps);
}

/* Parses the command line into o; FALSE after reporting a usage error. */
static gboolean
parse_options (TrainOptions *o, int *argc, char ***argv)
{
  GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &o->out, N_("The model file to write (.safetensors)"), N_("FILE") },
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &o->preset, N_("mlp, cnn, text-ngram, text-lstm or text-pool (default: mlp, or text-ngram for text)"), N_("NAME") },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &o->epochs, N_("Epochs (default 10; 6 for n-gram bags of 4,096 texts or more)"), N_("N") },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &o->batch_size, N_("Batch size (default 32; 128 for n-gram bags of 4,096 texts or more)"), N_("N") },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &o->optimizer, N_("sgd, adam or adamw (default adam)"), N_("NAME") },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr, N_("Learning rate (default 0.001; 0.003 for n-gram bags of 4,096 texts or more)"), N_("X") },
    { "patience", 0, 0, G_OPTION_ARG_INT, &o->patience, N_("Stop after N epochs without a better validation loss"), N_("N") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, N_("Seed of the split, the weights and the shuffling (default 42)"), N_("S") },
    { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &o->checkpoint, N_("Checkpoint written after every epoch (default: FILE.checkpoint, removed at the end)"), N_("CKPT") },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &o->resume, N_("Continue an interrupted run from its checkpoint"), N_("CKPT") },
    { "history", 0, 0, G_OPTION_ARG_FILENAME, &o->history, N_("Write the per-epoch history as CSV"), N_("FILE") },
    { "dp-epsilon", 0, 0, G_OPTION_ARG_DOUBLE, &o->dp_epsilon, N_("Train with differential privacy (DP-SGD) within this epsilon"), N_("X") },
    { "dp-delta", 0, 0, G_OPTION_ARG_DOUBLE, &o->dp_delta, N_("Delta of the privacy guarantee, below 1/samples (default 1e-5)"), N_("X") },
    { "dp-clip", 0, 0, G_OPTION_ARG_DOUBLE, &o->dp_clip, N_("Bound on each sample's gradient norm (default 1)"), N_("X") },
    { "dp-sigma", 0, 0, G_OPTION_ARG_DOUBLE, &o->dp_sigma, N_("Noise multiplier instead of one calibrated from --dp-epsilon"), N_("X") },
    { "embedding-vectors", 0, 0, G_OPTION_ARG_FILENAME, &o->vectors, N_("Start the embedding table from pretrained word vectors (GloVe or fastText .vec text, word2vec binary)"), N_("FILE") },
    { "embedding-vectors-unknown", 0, 0, G_OPTION_ARG_STRING, &o->unknown, N_("What words without a vector start from: random, zero or mean (default random)"), N_("RULE") },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &o->force, N_("Replace the model file (and the --history file) if they exist"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, N_("Print only the summary"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;

  context = tl_cli_context_new (_("DATA — train a model from a preset and save it"),
                                _("DATA is a CSV file, an IDX images file or a folder of images, "
                                   "split into training, validation and test rows."),
                                entries, tl_data_options_group (&o->data, TRUE));
  if (!tl_cli_parse (context, argc, argv, &o->files, 1,
                     _("train: give exactly one DATA file (see 'transfer-lab train --help')")))
    return FALSE;
  if (o->out == NULL)
    {
      tl_cli_error (_("train: --out FILE is required"));
      return FALSE;
    }
  /* a finished model is not replaced by mistake; a resumed run writes the file it was started for */
  if (!o->force && o->resume == NULL)
    {
      const char *taken = g_file_test (o->out, G_FILE_TEST_EXISTS) ? o->out
                          : o->history != NULL && g_file_test (o->history, G_FILE_TEST_EXISTS) ? o->history : NULL;
      if (taken != NULL)
        {
          tl_cli_error (_("train: %s exists; choose another file, or add --force to replace it"), taken);
          return FALSE;
        }
    }
  if (private_options (o)
      && (o->dp_epsilon <= 0 || o->dp_delta <= 0 || o->dp_delta >= 1 || o->dp_clip <= 0 || o->dp_sigma <= 0
          || (isnan (o->dp_epsilon) && isnan (o->dp_sigma))))
    {
      tl_cli_error (_("train: --dp-epsilon, --dp-clip and --dp-sigma take positive numbers, --dp-delta one "
                      "between 0 and 1; private training needs --dp-epsilon or --dp-sigma"));
      return FALSE;
    }
  return TRUE;
}

/* The training settings and the data source of o; FALSE after reporting a usage error. */
static gboolean
options_to_specs (const TrainOptions *o, TlTrainSpec *spec, TlDataSourceSpec *source)
{
  g_autoptr (GError) error = NULL;

  tl_train_spec_init (spec);
  if (o->epochs != UNSET)
    spec->epochs = o->epochs;
  if (o->batch_size != UNSET)
    spec->batch_size = o->batch_size;
  spec->patience = o->patience;
  if ((o->epochs != UNSET && o->epochs < 1) || (o->batch_size != UNSET && o->batch_size < 1) || o->patience < 0
      || (!isnan (o->lr) && !(o->lr > 0)))
    {
      tl_cli_error (_("train: --epochs, --batch-size and --lr take positive numbers"));
      return FALSE;
    }
  if (o->optimizer != NULL)
    {
      TlOptimizerKind kind;
      if (!tl_optimizer_kind_from_name (o->optimizer, &kind))
        {
          tl_cli_error (_("train: --optimizer takes sgd, adam or adamw, not '%s'"), o->optimizer);
          return FALSE;
        }
      tl_optimizer_config_init (&spec->optimizer, kind, spec->optimizer.learning_rate);
    }
  if (!isnan (o->lr))
    spec->optimizer.learning_rate = (float) o->lr;
  if (o->preset != NULL)
    {
      TlPreset p;
      if (!tl_preset_from_name (o->preset, &p))
        {
          tl_cli_error (_("train: unknown preset '%s' (expected mlp, cnn, text-ngram, text-lstm or text-pool)"), o->preset);
          return FALSE;
        }
    }
  if (!tl_data_options_to_spec (&o->data, o->files[0], source, &error))
    {
      tl_cli_error ("train: %s", error->message);
      return FALSE;
    }
  if (o->unknown != NULL && o->vectors == NULL)
    {
      tl_cli_error (_("train: --embedding-vectors-unknown goes with --embedding-vectors"));
      return FALSE;
    }
  return TRUE;
}

/* The vectors given on the command line into the architecture, checked before any reading. */
static gboolean
options_to_vectors (const TrainOptions *o, TlExperiment *exp)
{
  g_autoptr (GError) error = NULL;

  if (o->vectors == NULL)
    return TRUE;
  exp->architecture.embedding_vectors = g_canonicalize_filename (o->vectors, NULL);
  if (o->unknown != NULL && !tl_unknown_vectors_from_name (o->unknown, &exp->architecture.embedding_vectors_unknown))
    {
      tl_cli_error (_("train: --embedding-vectors-unknown takes random, zero or mean, not '%s'"), o->unknown);
      return FALSE;
    }
  if (!tl_embedding_vectors_check (exp, &error))
    {
      const char *field = "architecture.embedding_vectors: ";
      const char *message = error->message;

      /* the field is the option here */
      if (g_str_has_prefix (message, field))
        message += strlen (field);
      tl_cli_error ("train: --embedding-vectors: %s", message);
      return FALSE;
    }
  return TRUE;
}

/* What the command line left open, from the preset and the size of the data. */
static void
preset_training (const TrainOptions *o, int n_train, TlTrainSpec *spec)
{
  TlPresetTraining t;
  TlPreset preset;

  if (!tl_preset_from_name (o->preset, &preset))
    return;
  tl_preset_training (preset, n_train, &t);
  if (o->epochs == UNSET)
    spec->epochs = t.epochs;
  if (o->batch_size == UNSET)
    spec->batch_size = t.batch_size;
  if (isnan (o->lr))
    spec->optimizer.learning_rate = t.learning_rate;
}

/* The model of the preset, its embedding table from the word vectors when given. */
static TlModel *
build_model (const TlExperiment *exp, const TlArchitectureSpec *arch, const TlPipelineData *data, guint64 seed,
             TlVectorCoverage *coverage, GError **error)
{
  g_autoptr (TlWordVectors) vectors = NULL;
  int vocab = data->preprocess ? tl_preprocess_vocab_size (data->preprocess) : 0;

  if (exp->architecture.embedding_vectors == NULL)
    return tl_pipeline_build_model (arch, data->train, vocab, seed, error);
  vectors = tl_embedding_vectors_read (exp->architecture.embedding_vectors, data->preprocess, error);
  if (vectors == NULL)
    return NULL;
  return tl_embedding_vectors_build (arch, data->train, data->preprocess, vectors,
                                     exp->architecture.embedding_vectors_unknown, seed, coverage, error);
}

/* Trains with progress on stdout; FALSE after reporting a failure or an interruption. */
static gboolean
train_reporting (const TrainOptions *o, TlProgress *progress, TlModel *model, const TlPipelineData *data,
                 const TlTrainConfig *config, TlHistory *history)
{
  g_autoptr (GError) error = NULL;
  TlTrainCallbacks callbacks;

  tl_progress_train_callbacks (progress, &callbacks);
  if (o->quiet)
    callbacks.on_batch = NULL, callbacks.on_epoch = NULL;
  tl_progress_set_stage (progress, "train");
  if (!o->quiet)
    tl_progress_message (progress, _("Training %s on %d samples (%d classes), validating on %d"), o->preset,
                         data->train->n, data->train->n_classes, data->val ? data->val->n : 0);
  tl_interrupt_install ();
  if (!tl_train (model, data->train, data->val, config, &callbacks, history, &error))
    {
      tl_progress_end_line (progress);
      tl_cli_report (error);
      return FALSE;
    }
  if (history->cancelled)
    {
      tl_progress_end_line (progress);
      if (history->epochs->len > 0 && g_file_test (config->checkpoint_path, G_FILE_TEST_EXISTS))
        tl_cli_error (_("interrupted after epoch %u; continue with: transfer-lab train %s --out %s --resume %s"),
                      history->epochs->len, o->files[0], o->out, config->checkpoint_path);
      else
        tl_cli_error (_("interrupted before the first epoch ended; no checkpoint was written"));
      return FALSE;
    }
  return TRUE;
}

/* Writes the model with its labels, preprocessing and provenance, and the history when asked. */
static gboolean
save_results (const TrainOptions *o, const TlExperiment *exp, TlModel *model, const TlPipelineData *data,
              const TlTrainConfig *config, const TlHistory *history, const TlMetrics *metrics,
              const TlVectorCoverage *coverage, GError **error)
{
  g_autoptr (TlModelInfo) info = tl_model_info_new ();
  TlProvenance provenance = {
    .data = exp->source.path, .preset = o->preset, .seed = (guint64) o->seed,
    .epochs = history->epochs->len, .training = config, .metrics = metrics, .history = history,
  };

  info->labels = g_strdupv (data->train->class_names);
  info->preprocessing = data->preprocess ? tl_preprocess_to_json (data->preprocess) : NULL;
  info->provenance = tl_provenance_to_json (&provenance, model);
  if (coverage->path != NULL)
    json_object_set_member (json_node_get_object (info->provenance), "embedding_vectors",
                            tl_vector_coverage_to_json (coverage));
  if (!tl_model_file_save (o->out, model, info, error))
    return FALSE;
  if (o->history == NULL)
    return TRUE;
  return tl_export_history_csv_full (o->history, history, config->privacy != NULL, error);
}

static char *
percent (double v)
{
  return isnan (v) ? g_strdup ("-") : g_strdup_printf ("%.1f%%", 100.0 * v);
}

static void
print_summary (const TrainOptions *o, const TlModel *model, const TlHistory *history, const TlMetrics *metrics)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  const TlEpochRecord *last = &g_array_index (history->epochs, TlEpochRecord, history->epochs->len - 1);
  g_autofree char *train_acc = percent (last->train_accuracy);
  g_autofree char *val_acc = percent (last->val_accuracy);
  g_autofree char *test_acc = percent (metrics ? metrics->accuracy : NAN);
  g_autofree char *f1 = metrics ? g_strdup_printf ("%.3f", metrics->macro_f1) : g_strdup ("-");
  g_autofree char *n_epochs = g_strdup_printf ("%u", history->epochs->len);
  g_autofree char *params = g_strdup_printf ("%" G_GSIZE_FORMAT, tl_model_param_count (model, FALSE));
  g_autofree char *seconds = g_strdup_printf ("%.1f", history->train_seconds);

  g_ptr_array_add (rows, g_strsplit (_("model|epochs|train acc|val acc|test acc|macro F1|params|seconds"), "|", -1));
  g_ptr_array_add (rows, tl_table_row (o->preset, n_epochs, train_acc, val_acc, test_acc, f1, params, seconds, NULL));
  tl_print_table (stdout, rows);
  printf (_("Saved %s\n"), o->out);
}

int
tl_cmd_train (int argc, char **argv)
{
  g_auto (TrainOptions) o = { .epochs = UNSET, .batch_size = UNSET, .lr = NAN, .seed = 42, .dp_epsilon = NAN,
                              .dp_delta = NAN, .dp_clip = NAN, .dp_sigma = NAN };
  TlPrivacyConfig privacy;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (TlPipelineData) data = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (TlProgress) progress = NULL;
  g_autoptr (TlMetrics) metrics = NULL;
  g_autofree char *ckpt_path = NULL;
  TlTrainSpec spec;
  TlTrainConfig config;
  TlArchitectureSpec arch = { 0 };
  g_auto (TlVectorCoverage) coverage = { 0 };

  tl_data_options_init (&o.data);
  if (!parse_options (&o, &argc, &argv) || !options_to_specs (&o, &spec, &exp->source))
    return TL_EXIT_USAGE;
  if (!options_to_vectors (&o, exp))
    return TL_EXIT_FAILURE;

  /* the preset decides how text is read: token sequences for text-lstm and text-pool, n-gram bags otherwise */
  g_free (exp->architecture.preset);
  exp->architecture.preset = g_strdup (o.preset);
  progress = tl_progress_new (stdout);
  if (!o.quiet)
    tl_progress_message (progress, _("Importing %s"), o.files[0]);
  data = tl_pipeline_import (exp, &exp->source, NULL, (guint64) o.seed, "data", &error);
  if (data == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (o.preset == NULL)
    o.preset = g_strdup (data->train->kind == TL_DATA_TEXT    ? "text-ngram"
                         : data->train->kind == TL_DATA_AUDIO ? "audio-cnn"
                                                              : "mlp");
  arch.preset = o.preset;
  preset_training (&o, data->train->n, &spec);
  model = build_model (exp, &arch, data, (guint64) o.seed, &coverage, &error);
  if (model == NULL)
    {
      tl_progress_end_line (progress);
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (coverage.path != NULL)
    {
      g_autofree char *line = tl_vector_coverage_describe (&coverage);
      printf ("%s\n", line);
    }

  tl_pipeline_train_config (&spec, (guint64) o.seed, &config);
  ckpt_path = o.checkpoint ? g_strdup (o.checkpoint) : g_strconcat (o.out, ".checkpoint", NULL);
  config.checkpoint_path = ckpt_path;
  config.checkpoint_removed_at_end = o.checkpoint == NULL;
  config.resume_path = o.resume;
  if (private_options (&o))
    config.privacy = privacy_config (&o, &privacy);
  if (!train_reporting (&o, progress, model, data, &config, history))
    return TL_EXIT_FAILURE;

  if (data->test != NULL)
    {
      g_autoptr (TlTensor) probs = tl_predict (model, data->test, 256);
      metrics = tl_metrics_compute (data->test->y, probs->data, data->test->n, data->test->n_classes,
                                    (const char *const *) data->test->class_names, &error);
    }
  if ((data->test != NULL && metrics == NULL)
      || !save_results (&o, exp, model, data, &config, history, metrics, &coverage, &error))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (o.checkpoint == NULL)
    g_unlink (ckpt_path);
  print_summary (&o, model, history, metrics);
  if (config.privacy)
    print_privacy (&config, history);
  return TL_EXIT_OK;
}
