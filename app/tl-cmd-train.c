#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-error.h"
#include "tl-export.h"
#include "tl-model-file.h"
#include "tl-pipeline.h"
#include "tl-progress.h"

static JsonNode *
train_provenance (const char *data_path, const char *preset, guint64 seed, int epochs, const TlMetrics *m)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "data");
  json_builder_add_string_value (b, data_path);
  json_builder_set_member_name (b, "preset");
  json_builder_add_string_value (b, preset);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) seed);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, epochs);
  if (m != NULL)
    {
      json_builder_set_member_name (b, "test_accuracy");
      json_builder_add_double_value (b, m->accuracy);
      json_builder_set_member_name (b, "macro_f1");
      json_builder_add_double_value (b, m->macro_f1);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static char *
percent (double v)
{
  return isnan (v) ? g_strdup ("-") : g_strdup_printf ("%.1f%%", 100.0 * v);
}

int
tl_cmd_train (int argc, char **argv)
{
  g_auto (TlDataOptions) data_options;
  g_autofree char *out = NULL, *preset = NULL, *optimizer = NULL, *checkpoint = NULL;
  g_autofree char *resume = NULL, *history_path = NULL;
  g_auto (GStrv) files = NULL;
  int epochs = 10, batch_size = 32, patience = 0;
  double lr = 1e-3;
  gint64 seed = 42;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("The model file to write (.safetensors)"), N_("FILE") },
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &preset, N_("mlp, cnn, text-lstm or text-pool (default: mlp, or text-pool for text)"), N_("NAME") },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, N_("Epochs (default 10)"), N_("N") },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch_size, N_("Batch size (default 32)"), N_("N") },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &optimizer, N_("sgd, adam or adamw (default adam)"), N_("NAME") },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, N_("Learning rate (default 0.001)"), N_("X") },
    { "patience", 0, 0, G_OPTION_ARG_INT, &patience, N_("Stop after N epochs without a better validation loss"), N_("N") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the split, the weights and the shuffling (default 42)"), N_("S") },
    { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &checkpoint, N_("Checkpoint written after every epoch (default: FILE.checkpoint, removed at the end)"), N_("CKPT") },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume, N_("Continue an interrupted run from its checkpoint"), N_("CKPT") },
    { "history", 0, 0, G_OPTION_ARG_FILENAME, &history_path, N_("Write the per-epoch history as CSV"), N_("FILE") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("Print only the summary"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (TlPipelineData) data = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (TlProgress) progress = NULL;
  g_autoptr (TlMetrics) metrics = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autofree char *ckpt_path = NULL;
  TlTrainSpec spec;
  TlTrainConfig config;
  TlTrainCallbacks callbacks;
  TlArchitectureSpec arch = { 0 };
  int vocab = 0;

  tl_data_options_init (&data_options);
  context = tl_cli_context_new (_("DATA — train a model from a preset and save it"),
                                _("DATA is a CSV file, an IDX images file or a folder of images, "
                                   "split into training, validation and test rows."),
                                entries, tl_data_options_group (&data_options, TRUE));
  if (!tl_cli_parse (context, &argc, &argv, &files, 1,
                     _("train: give exactly one DATA file (see 'transfer-lab train --help')")))
    return TL_EXIT_USAGE;
  if (out == NULL)
    {
      tl_cli_error (_("train: --out FILE is required"));
      return TL_EXIT_USAGE;
    }
  tl_train_spec_init (&spec);
  spec.epochs = epochs;
  spec.batch_size = batch_size;
  spec.patience = patience;
  if (epochs < 1 || batch_size < 1 || patience < 0 || !(lr > 0))
    {
      tl_cli_error (_("train: --epochs, --batch-size and --lr take positive numbers"));
      return TL_EXIT_USAGE;
    }
  if (optimizer != NULL)
    {
      TlOptimizerKind kind;
      if (!tl_optimizer_kind_from_name (optimizer, &kind))
        {
          tl_cli_error (_("train: --optimizer takes sgd, adam or adamw, not '%s'"), optimizer);
          return TL_EXIT_USAGE;
        }
      tl_optimizer_config_init (&spec.optimizer, kind, (float) lr);
    }
  spec.optimizer.learning_rate = (float) lr;
  if (preset != NULL)
    {
      TlPreset p;
      if (!tl_preset_from_name (preset, &p))
        {
          tl_cli_error (_("train: unknown preset '%s' (expected mlp, cnn, text-lstm or text-pool)"), preset);
          return TL_EXIT_USAGE;
        }
    }
  if (!tl_data_options_to_spec (&data_options, files[0], &exp->source, &error))
    {
      tl_cli_error ("train: %s", error->message);
      return TL_EXIT_USAGE;
    }

  progress = tl_progress_new (stdout);
  if (!quiet)
    tl_progress_message (progress, _("Importing %s"), files[0]);
  data = tl_pipeline_import (exp, &exp->source, NULL, (guint64) seed, "data", &error);
  if (data == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (preset == NULL)
    preset = g_strdup (data->train->kind == TL_DATA_TEXT ? "text-pool" : "mlp");
  if (data->preprocess && data->preprocess->vocab)
    vocab = tl_vocab_size (data->preprocess->vocab);
  arch.preset = preset;
  model = tl_pipeline_build_model (&arch, data->train, vocab, (guint64) seed, &error);
  if (model == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }

  tl_pipeline_train_config (&spec, (guint64) seed, &config);
  ckpt_path = checkpoint ? g_strdup (checkpoint) : g_strconcat (out, ".checkpoint", NULL);
  config.checkpoint_path = ckpt_path;
  config.resume_path = resume;
  tl_progress_train_callbacks (progress, &callbacks);
  if (quiet)
    callbacks.on_batch = NULL, callbacks.on_epoch = NULL;
  tl_progress_set_stage (progress, "train");
  if (!quiet)
    tl_progress_message (progress, _("Training %s on %d samples (%d classes), validating on %d"), preset,
                         data->train->n, data->train->n_classes, data->val ? data->val->n : 0);
  tl_interrupt_install ();
  if (!tl_train (model, data->train, data->val, &config, &callbacks, history, &error))
    {
      tl_progress_end_line (progress);
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (history->cancelled)
    {
      tl_progress_end_line (progress);
      if (history->epochs->len > 0 && g_file_test (ckpt_path, G_FILE_TEST_EXISTS))
        tl_cli_error (_("interrupted after epoch %u; continue with: transfer-lab train %s --out %s --resume %s"),
                      history->epochs->len, files[0], out, ckpt_path);
      else
        tl_cli_error (_("interrupted before the first epoch ended; no checkpoint was written"));
      return TL_EXIT_FAILURE;
    }

  if (data->test != NULL)
    {
      g_autoptr (TlTensor) probs = tl_predict (model, data->test, 256);
      metrics = tl_metrics_compute (data->test->y, probs->data, data->test->n, data->test->n_classes,
                                    (const char *const *) data->test->class_names, &error);
      if (metrics == NULL)
        {
          tl_cli_report (error);
          return TL_EXIT_FAILURE;
        }
    }

  info = tl_model_info_new ();
  info->labels = g_strdupv (data->train->class_names);
  info->preprocessing = data->preprocess ? tl_preprocess_to_json (data->preprocess) : NULL;
  info->provenance = train_provenance (exp->source.path, preset, (guint64) seed, history->epochs->len, metrics);
  if (!tl_model_file_save (out, model, info, &error)
      || (history_path && !tl_export_history_csv (history_path, history, &error)))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (checkpoint == NULL)
    g_unlink (ckpt_path);

  {
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
    const TlEpochRecord *last = &g_array_index (history->epochs, TlEpochRecord, history->epochs->len - 1);
    g_autofree char *train_acc = percent (last->train_accuracy);
    g_autofree char *val_acc = percent (last->val_accuracy);
    g_autofree char *test_acc = percent (metrics ? metrics->accuracy : NAN);
    g_autofree char *f1 = metrics ? g_strdup_printf ("%.3f", metrics->macro_f1) : g_strdup ("-");

    g_ptr_array_add (rows, g_strsplit (_("model|epochs|train acc|val acc|test acc|macro F1|params|seconds"), "|", -1));
    g_autofree char *n_epochs = g_strdup_printf ("%u", history->epochs->len);
    g_autofree char *params = g_strdup_printf ("%" G_GSIZE_FORMAT, tl_model_param_count (model, FALSE));
    g_autofree char *seconds = g_strdup_printf ("%.1f", history->train_seconds);

    g_ptr_array_add (rows, tl_table_row (preset, n_epochs, train_acc, val_acc, test_acc, f1, params, seconds, NULL));
    tl_print_table (stdout, rows);
    printf (_("Saved %s\n"), out);
  }
  return TL_EXIT_OK;
}
