#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "test-util.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-model-file.h"
#include "tl-pipeline.h"

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("tl-experiment-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static const char *minimal =
  "{\n"
  "  \"name\": \"mini\",\n"
  "  \"seed\": 7,\n"
  "  \"source\": { \"format\": \"csv\", \"path\": \"source.csv\", \"label_column\": \"y\" },\n"
  "  \"target\": { \"format\": \"csv\", \"path\": \"sub/target.csv\", \"per_class\": 5,\n"
  "              \"classes\": [\"b\", \"a\"] },\n"
  "  \"architecture\": { \"preset\": \"mlp\" },\n"
  "  \"pretrain\": { \"epochs\": 2, \"batch_size\": 8 },\n"
  "  \"transfer\": { \"freeze\": { \"below\": 2 }, \"lr_mult\": { \"dense3\": 0.5 }, \"epochs\": 4 },\n"
  "  \"baseline\": true\n"
  "}\n";

static TlExperiment *
load_text (const char *dir, const char *file, const char *text, GError **error)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);

  tl_test_write_text (path, text);
  return tl_experiment_load (path, error);
}

static void
test_experiment_defaults_and_fields (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = load_text (dir, "mini.json", minimal, &error);
  g_autofree char *target = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (exp);
  g_assert_cmpstr (exp->name, ==, "mini");
  g_assert_cmpuint (exp->seed, ==, 7);
  g_assert_cmpint (exp->source.format, ==, TL_DATA_FORMAT_CSV);
  g_assert_cmpstr (exp->source.label_column, ==, "y");
  g_assert_cmpint (exp->target.per_class, ==, 5);
  g_assert_cmpstr (exp->target.classes[0], ==, "b");
  g_assert_cmpstr (exp->target.classes[1], ==, "a");
  g_assert_null (exp->target.classes[2]);
  g_assert_cmpstr (exp->architecture.preset, ==, "mlp");
  g_assert_cmpint (exp->pretrain.epochs, ==, 2);
  g_assert_cmpint (exp->pretrain.batch_size, ==, 8);
  g_assert_cmpint (exp->pretrain.optimizer.kind, ==, TL_OPTIMIZER_ADAM);
  g_assert_cmpfloat_with_epsilon (exp->pretrain.optimizer.learning_rate, 1e-3, 1e-9);
  g_assert_cmpint (exp->transfer.freeze_mode, ==, TL_FREEZE_BELOW);
  g_assert_cmpint (exp->transfer.freeze_below, ==, 2);
  g_assert_cmpint (exp->transfer.n_lr_mults, ==, 1);
  g_assert_cmpstr (exp->transfer.lr_mult_layers[0], ==, "dense3");
  g_assert_cmpfloat (exp->transfer.lr_mults[0], ==, 0.5);
  g_assert_cmpint (exp->transfer.finetune.epochs, ==, 4);
  g_assert_cmpint (exp->transfer.finetune.batch_size, ==, 32);   /* default */
  /* the head is kept when the classes match, else rebuilt; one strategy, fine-tuning */
  g_assert_false (exp->transfer.rebuild_head);
  g_assert_cmpint (exp->transfer.n_strategies, ==, 1);
  g_assert_cmpint (exp->transfer.strategies[0], ==, TL_STRATEGY_FINE_TUNE);
  g_assert_true (exp->transfer.unlabeled_text);
  g_assert_true (exp->target.use_labels);
  g_assert_true (exp->baseline);
  g_assert_cmpuint (exp->outputs.exports, ==, TL_EXPORT_ALL_DEFAULT);

  /* relative paths resolve against the file's folder */
  target = tl_experiment_resolve_path (exp, exp->target.path);
  g_assert_true (g_str_has_prefix (target, dir));
  g_assert_true (g_str_has_suffix (target, "/sub/target.csv"));
  tl_test_remove_tree (dir);
}

static void
test_experiment_round_trip (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *saved = g_build_filename (dir, "saved.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = load_text (dir, "mini.json", minimal, &error);
  g_autoptr (TlExperiment) again = NULL;
  g_autoptr (TlExperiment) copy = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL;
  TlLayerSpec layers[3] = {
    { .kind = TL_LAYER_FLATTEN },
    { .kind = TL_LAYER_DENSE, .units = 16 },
    { .kind = TL_LAYER_DENSE, .units = 2 },
  };

  g_assert_no_error (error);
  /* edit the struct as the window does, then save and load */
  g_clear_pointer (&exp->architecture.preset, g_free);
  exp->architecture.n_layers = 3;
  exp->architecture.layers = g_memdup2 (layers, sizeof layers);
  exp->architecture.layer_names = g_new0 (char *, 4);
  exp->architecture.layer_names[1] = g_strdup ("hidden");
  exp->transfer.freeze_mode = TL_FREEZE_LAYERS;
  exp->transfer.freeze_layers = g_strsplit ("hidden,0", ",", -1);
  exp->transfer.unfreeze_every = 3;
  exp->transfer.finetune.optimizer.kind = TL_OPTIMIZER_SGD;
  exp->transfer.finetune.optimizer.momentum = 0.9f;
  exp->transfer.finetune.schedule.kind = TL_SCHEDULE_COSINE;
  exp->transfer.finetune.average_epochs = 3;
  exp->outputs.exports = TL_EXPORT_MODELS | TL_EXPORT_METRICS;
  exp->outputs.plot_formats = TL_PLOT_SVG;
  exp->transfer.n_strategies = 2;
  exp->transfer.strategies[0] = TL_STRATEGY_DOMAIN_ADVERSARIAL;
  exp->transfer.strategies[1] = TL_STRATEGY_SELF_TRAINING;
  exp->transfer.target_weight = 3.0f;
  exp->transfer.adversarial_weight = 0.5f;
  exp->target.use_labels = FALSE;
  exp->target.unlabeled_path = g_strdup ("more.csv");

  g_assert_true (tl_experiment_save (exp, saved, &error));
  g_assert_no_error (error);
  again = tl_experiment_load (saved, &error);
  g_assert_no_error (error);
  a = tl_experiment_to_string (exp);
  b = tl_experiment_to_string (again);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpint (again->architecture.n_layers, ==, 3);
  g_assert_cmpint (again->architecture.layers[1].units, ==, 16);
  g_assert_cmpstr (again->architecture.layer_names[1], ==, "hidden");
  g_assert_null (again->architecture.layer_names[0]);
  g_assert_cmpfloat_with_epsilon (again->transfer.finetune.optimizer.momentum, 0.9, 1e-6);
  g_assert_cmpint (again->transfer.finetune.schedule.kind, ==, TL_SCHEDULE_COSINE);
  g_assert_cmpint (again->transfer.finetune.average_epochs, ==, 3);
  g_assert_cmpint (again->pretrain.average_epochs, ==, 0);
  g_assert_nonnull (strstr (b, "\"average_epochs\": 3"));
  g_assert_cmpint (again->transfer.n_strategies, ==, 2);
  g_assert_cmpint (again->transfer.strategies[1], ==, TL_STRATEGY_SELF_TRAINING);
  g_assert_cmpfloat (again->transfer.target_weight, ==, 3.0f);
  g_assert_false (again->target.use_labels);
  g_assert_true (g_str_has_suffix (again->target.unlabeled_path, "more.csv"));
  g_assert_true (strstr (b, "\"lr\": 0.001,") != NULL);   /* written tidily */

  copy = tl_experiment_copy (again);
  c = tl_experiment_to_string (copy);
  g_assert_cmpstr (b, ==, c);
  tl_test_remove_tree (dir);
}

static void
test_experiment_save_rebases_paths (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *other = g_build_filename (dir, "elsewhere", NULL);
  g_autofree char *saved = g_build_filename (other, "moved.json", NULL);
  g_autofree char *before = NULL, *after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = load_text (dir, "mini.json", minimal, &error);
  g_autoptr (TlExperiment) moved = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (other, 0755), ==, 0);
  before = tl_experiment_resolve_path (exp, exp->target.path);
  g_assert_true (tl_experiment_save (exp, saved, &error));
  g_assert_no_error (error);
  moved = tl_experiment_load (saved, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moved->target.path, ==, "../sub/target.csv");
  after = tl_experiment_resolve_path (moved, moved->target.path);
  g_assert_cmpstr (before, ==, after);
  tl_test_remove_tree (dir);
}

static void
expect_error (const char *dir, const char *text, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = load_text (dir, "bad.json", text, &error);

  g_assert_null (exp);
  g_assert_nonnull (error);
  if (strstr (error->message, message) == NULL)
    g_error ("expected '%s' in '%s'", message, error->message);
}

static void
test_experiment_errors_name_the_field (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *bad_below = g_strdup (minimal);
  g_autofree char *bad_key = NULL;
  char *p = strstr (bad_below, "\"below\": 2");

  memcpy (p, "\"below\":\"x\"", 11);
  expect_error (dir, bad_below, "bad.json: transfer.freeze.below: expected an integer");

  bad_key = g_strdup (minimal);
  p = strstr (bad_key, "\"epochs\": 2");
  memcpy (p, "\"epoch\":  2", 11);
  expect_error (dir, bad_key, "bad.json: pretrain.epoch: unknown field");

  expect_error (dir, "{\n  \"name\": \"x\",\n  \"seed\": oops\n}\n", "bad.json:3:");
  expect_error (dir, "[1, 2]", "bad.json: expected a JSON object");
  /* an octal escape reads as a raw byte, which could not be written back */
  expect_error (dir, "{ \"description\": \"2,\\615 reviews\" }", "bad.json: description: a string whose escapes");
  expect_error (dir, "{ \"source\": { \"classes\": [\"a\", \"\\377\"] } }", "bad.json: classes: a string whose escapes");
  expect_error (dir, "{ \"source\": { \"per_class\": 3 }, \"target\": { \"path\": \"b.csv\" } }",
                "bad.json: source.path: missing");
  /* a target's other files without its data */
  expect_error (dir, "{ \"source\": { \"path\": \"a.csv\" }, \"target\": { \"test_path\": \"t.csv\" } }",
                "bad.json: target.path: missing");
  /* no target at all, or one without a path: the source is trained alone */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (TlExperiment) alone = load_text (dir, "alone.json", "{ \"source\": { \"path\": \"a.csv\" } }", &error);
    g_autoptr (TlExperiment) unnamed = NULL;

    g_assert_no_error (error);
    g_assert_nonnull (alone->source.path);
    g_assert_null (alone->target.path);
    unnamed = load_text (dir, "unnamed.json", "{ \"source\": { \"path\": \"a.csv\" }, \"target\": { \"per_class\": 5 } }",
                         &error);
    g_assert_no_error (error);
    g_assert_null (unnamed->target.path);
    g_assert_cmpint (unnamed->target.per_class, ==, 5);
  }
  /* an imported network stands for the source; without one the source is needed */
  expect_error (dir, "{ \"target\": { \"path\": \"b.csv\" } }", "bad.json: source: missing");
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (TlExperiment) imported = load_text (dir, "imported.json",
                                                   "{ \"pretrain\": { \"model\": \"net.safetensors\" },"
                                                   " \"target\": { \"path\": \"b.csv\" } }", &error);

    g_autofree char *saved = g_build_filename (dir, "imported-saved.json", NULL);
    g_autofree char *text = NULL;
    g_autoptr (TlExperiment) again = NULL;

    g_assert_no_error (error);
    g_assert_null (imported->source.path);
    g_assert_true (g_str_has_suffix (imported->pretrained_model, "net.safetensors"));
    /* saved (as a run folder's record is) and read back: no empty source is written */
    g_assert_true (tl_experiment_save (imported, saved, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (saved, &text, NULL, NULL));
    g_assert_null (strstr (text, "\"source\""));
    again = tl_experiment_load (saved, &error);
    g_assert_no_error (error);
    g_assert_null (again->source.path);
    g_assert_cmpstr (again->pretrained_model, ==, imported->pretrained_model);
  }
  {
    /* a record that does hold an empty source beside the network reads as well */
    g_autoptr (GError) error = NULL;
    g_autoptr (TlExperiment) imported = load_text (dir, "imported-empty-source.json",
                                                   "{ \"source\": { \"path\": null, \"format\": \"csv\" },"
                                                   " \"pretrain\": { \"model\": \"net.safetensors\" },"
                                                   " \"target\": { \"path\": \"b.csv\" } }", &error);

    g_assert_no_error (error);
    g_assert_null (imported->source.path);
  }
  expect_error (dir, "{ \"source\": { \"format\": \"csv\" }, \"target\": { \"path\": \"b.csv\" } }",
                "bad.json: source.path: missing (a data file or folder)");
  expect_error (dir,
                "{ \"source\": { \"path\": \"a.csv\", \"format\": \"xls\" }, \"target\": { \"path\": \"b.csv\" } }",
                "bad.json: source.format: expected one of: csv, idx, images");
  expect_error (dir,
                "{ \"source\": { \"path\": \"a\", \"format\": \"idx\" }, \"target\": { \"path\": \"b.csv\" } }",
                "bad.json: source.labels: missing");
  expect_error (dir,
                "{ \"source\": { \"path\": \"a.csv\", \"per_class\": -3 }, \"target\": { \"path\": \"b.csv\" } }",
                "bad.json: source.per_class: expected an integer from 0");
  expect_error (dir,
                "{ \"source\": { \"path\": \"a.csv\" }, \"target\": { \"path\": \"b.csv\" },"
                " \"architecture\": { \"layers\": [ { \"kind\": \"dense\", \"units\": 4 }, { \"kind\": \"blob\" } ] } }",
                "bad.json: architecture.layers.1.kind: unknown layer kind 'blob'");
  expect_error (dir,
                "{ \"source\": { \"path\": \"a.csv\" }, \"target\": { \"path\": \"b.csv\" },"
                " \"outputs\": { \"runs\": { \"transfer\": \"../up\" } } }",
                "bad.json: outputs.runs.transfer:");
  expect_error (dir,
                "{ \"source\": { \"path\": \"a.csv\" }, \"target\": { \"path\": \"b.csv\" },"
                " \"outputs\": { \"exports\": [\"models\", \"gif\"] } }",
                "bad.json: outputs.exports.1: unknown 'gif'");
  expect_error (dir,
                "{ \"source\": { \"path\": \"a.csv\" }, \"target\": { \"path\": \"b.csv\" },"
                " \"transfer\": { \"strategy\": \"pray\" } }",
                "bad.json: transfer.strategy: 'pray' is not a strategy");
  expect_error (dir,
                "{ \"source\": { \"path\": \"a.csv\" }, \"target\": { \"path\": \"b.csv\" },"
                " \"transfer\": { \"strategy\": [\"joint\", \"joint\"] } }",
                "bad.json: transfer.strategy: 'joint' is listed twice");
  expect_error (dir,
                "{ \"source\": { \"path\": \"a.csv\" }, \"target\": { \"path\": \"b.csv\" },"
                " \"transfer\": { \"strategy\": [] } }",
                "bad.json: transfer.strategy: expected a strategy or a list");
  tl_test_remove_tree (dir);
}

static void
test_experiment_overrides (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = load_text (dir, "mini.json", minimal, &error);
  g_autofree char *before = NULL, *after = NULL;

  g_assert_no_error (error);
  g_assert_true (tl_experiment_apply_override (exp, "target.per_class=3", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (exp->target.per_class, ==, 3);
  g_assert_true (tl_experiment_apply_override (exp, "pretrain.epochs=1", NULL, &error));
  g_assert_cmpint (exp->pretrain.epochs, ==, 1);
  g_assert_true (tl_experiment_apply_override (exp, "source.path=/x.csv", NULL, &error));
  g_assert_cmpstr (exp->source.path, ==, "/x.csv");
  /* a relative path given on the command line is relative to where it was typed */
  g_assert_true (tl_experiment_apply_override (exp, "target.path=data/t.csv", "/somewhere", &error));
  g_assert_cmpstr (exp->target.path, ==, "/somewhere/data/t.csv");
  /* JSON values where they parse, strings otherwise */
  g_assert_true (tl_experiment_apply_override (exp, "transfer.finetune_unused=1", NULL, &error) == FALSE);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "transfer.finetune_unused: unknown field"));
  g_clear_error (&error);
  g_assert_true (tl_experiment_apply_override (exp, "target.classes=[\"x\", 3]", NULL, &error));
  g_assert_cmpstr (exp->target.classes[0], ==, "x");
  g_assert_cmpstr (exp->target.classes[1], ==, "3");
  g_assert_true (tl_experiment_apply_override (exp, "name=2024", NULL, &error));
  g_assert_cmpstr (exp->name, ==, "2024");
  g_assert_true (tl_experiment_apply_override (exp, "transfer.optimizer.lr=0.01", NULL, &error));
  g_assert_cmpfloat_with_epsilon (exp->transfer.finetune.optimizer.learning_rate, 0.01, 1e-7);
  g_assert_true (tl_experiment_apply_override (exp, "transfer.schedule.kind=cosine", NULL, &error));
  g_assert_cmpint (exp->transfer.finetune.schedule.kind, ==, TL_SCHEDULE_COSINE);
  /* alternatives replace each other */
  g_assert_true (tl_experiment_apply_override (exp, "transfer.freeze.layers=[0, \"dense1\"]", NULL, &error));
  g_assert_cmpint (exp->transfer.freeze_mode, ==, TL_FREEZE_LAYERS);
  g_assert_true (tl_experiment_apply_override (exp, "transfer.freeze.below=4", NULL, &error));
  g_assert_cmpint (exp->transfer.freeze_mode, ==, TL_FREEZE_BELOW);
  g_assert_cmpint (exp->transfer.freeze_below, ==, 4);
  g_assert_true (tl_experiment_apply_override (exp,
      "architecture.layers=[{\"kind\": \"flatten\"}, {\"kind\": \"dense\", \"units\": 3}]", NULL, &error));
  g_assert_no_error (error);
  g_assert_null (exp->architecture.preset);
  g_assert_cmpint (exp->architecture.n_layers, ==, 2);
  g_assert_true (tl_experiment_apply_override (exp, "architecture.layers.1.units=9", NULL, &error));
  g_assert_cmpint (exp->architecture.layers[1].units, ==, 9);
  g_assert_true (tl_experiment_apply_override (exp, "transfer.lr_mult.dense1=0.1", NULL, &error));
  g_assert_cmpint (exp->transfer.n_lr_mults, ==, 2);

  /* failures leave the experiment as it was */
  before = tl_experiment_to_string (exp);
  g_assert_false (tl_experiment_apply_override (exp, "transfer.freeze.below=x", NULL, &error));
  g_assert_nonnull (strstr (error->message, "transfer.freeze.below: expected an integer"));
  g_clear_error (&error);
  g_assert_false (tl_experiment_apply_override (exp, "architecture.layers.7.units=1", NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (tl_experiment_apply_override (exp, "seed.x=1", NULL, &error));
  g_clear_error (&error);
  g_assert_false (tl_experiment_apply_override (exp, "noequals", NULL, &error));
  g_assert_nonnull (strstr (error->message, "expected KEY=VALUE"));
  g_clear_error (&error);
  g_assert_false (tl_experiment_apply_override (exp, "outputs.runs.baseline=/etc", NULL, &error));
  g_clear_error (&error);
  after = tl_experiment_to_string (exp);
  g_assert_cmpstr (before, ==, after);
  tl_test_remove_tree (dir);
}

static void
test_output_paths_stay_inside (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *outside = make_temp_dir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *link_out = g_build_filename (out, "escape", NULL);
  g_autofree char *link_in = g_build_filename (out, "alias", NULL);
  g_autofree char *inner = g_build_filename (out, "inner", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *ok = NULL, *ok2 = NULL;
  char *bad;

  g_assert_cmpint (g_mkdir_with_parents (inner, 0755), ==, 0);
  g_assert_cmpint (symlink (outside, link_out), ==, 0);
  g_assert_cmpint (symlink (inner, link_in), ==, 0);

  ok = tl_output_path (out, "transfer/model.safetensors", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (ok, "/out/transfer/model.safetensors"));
  ok2 = tl_output_path (out, "alias/x.csv", &error);
  g_assert_no_error (error);

  bad = tl_output_path (out, "/etc/passwd", &error);
  g_assert_null (bad);
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  bad = tl_output_path (out, "a/../../x", &error);
  g_assert_null (bad);
  g_assert_nonnull (strstr (error->message, ".."));
  g_clear_error (&error);
  bad = tl_output_path (out, "escape/x.csv", &error);
  g_assert_null (bad);
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_clear_error (&error);
  tl_test_remove_tree (dir);
  tl_test_remove_tree (outside);
}

/* The real-speaker audio demo: its source is augmented, and the last
 * convolution block is fine-tuned at a lower rate above the frozen ones. */
static void
test_spoken_digits_real_loads (void)
{
  const char *src = g_getenv ("TL_SOURCE_DIR");
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = NULL;

  if (src == NULL)
    {
      g_test_skip ("TL_SOURCE_DIR is not set");
      return;
    }
  path = g_build_filename (src, "data", "experiments", "spoken-digits-real.json", NULL);
  exp = tl_experiment_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (exp->source.format, ==, TL_DATA_FORMAT_AUDIO);
  g_assert_cmpint (exp->target.format, ==, TL_DATA_FORMAT_AUDIO);
  g_assert_true (g_str_has_suffix (exp->source.path, "spoken-digits-real-source"));
  g_assert_true (g_str_has_suffix (exp->source.generate, "make-real-digits-source.py"));
  {
    g_autofree char *tool = tl_experiment_resolve_path (exp, exp->source.generate);

    g_assert_true (g_file_test (tool, G_FILE_TEST_IS_REGULAR));
  }
  g_assert_cmpint (exp->target.per_class, ==, 5);
  g_assert_cmpint (exp->source.audio_augment.copies, ==, 1);
  g_assert_cmpint (exp->target.audio_augment.copies, ==, 0);
  g_assert_cmpint (exp->pretrain.epochs, ==, 12);
  g_assert_cmpint (exp->transfer.freeze_mode, ==, TL_FREEZE_BELOW);
  g_assert_cmpint (exp->transfer.freeze_below, ==, 6);
  g_assert_cmpint (exp->transfer.n_lr_mults, ==, 1);
  g_assert_cmpstr (exp->transfer.lr_mult_layers[0], ==, "6");
  g_assert_cmpfloat (exp->transfer.lr_mults[0], ==, 0.1);
  g_assert_cmpint (exp->transfer.n_strategies, ==, 1);
  g_assert_cmpint (exp->transfer.strategies[0], ==, TL_STRATEGY_SELF_TRAINING);
  g_assert_cmpint (exp->transfer.pseudo_labels, ==, 15);
  g_assert_cmpint (exp->transfer.finetune.epochs, ==, 20);
  g_assert_cmpint (exp->transfer.finetune.average_epochs, ==, 10);
  g_assert_true (exp->baseline);
  g_assert_cmpint (exp->baseline_epochs, ==, 80);
}

static void
test_demo_experiments_load (void)
{
  const char *src = g_getenv ("TL_SOURCE_DIR");
  const char *names[] = { "fashion-split.json", "sentiment.json" };

  if (src == NULL)
    {
      g_test_skip ("TL_SOURCE_DIR is not set");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (src, "data", "experiments", names[i], NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (TlExperiment) exp = tl_experiment_load (path, &error);

      g_assert_no_error (error);
      g_assert_nonnull (exp);
      g_assert_true (exp->baseline);
      g_assert_nonnull (exp->target.classes == NULL ? exp->target.path : exp->target.classes[0]);
      if (i == 0)
        {
          g_assert_cmpint (exp->source.format, ==, TL_DATA_FORMAT_IDX);
          g_assert_cmpint (exp->target.per_class, ==, 20);
          g_assert_cmpint (exp->pretrain.epochs, ==, 3);
          g_assert_cmpint (exp->pretrain.batch_size, ==, 64);
          g_assert_cmpint (exp->transfer.finetune.epochs, ==, 30);
          g_assert_cmpint (exp->transfer.finetune.batch_size, ==, 16);
          g_assert_cmpstr (exp->architecture.preset, ==, "cnn");
        }
      else
        {
          g_assert_cmpint (exp->target.per_class, ==, 50);
          g_assert_cmpstr (exp->source.text_column, ==, "text");
        }
    }
}

static void
write_blobs (const char *path, const char *const *classes, int per_class, guint32 seed)
{
  g_autoptr (GString) s = g_string_new ("x0,x1,x2,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  int k = g_strv_length ((char **) classes);

  for (int i = 0; i < per_class * k; i++)
    {
      int c = i % k;
      for (int f = 0; f < 3; f++)
        g_string_append_printf (s, "%d.%03d,", (f == c % 3) * 3 + g_rand_int_range (rand, 0, 2),
                                g_rand_int_range (rand, 0, 1000));
      g_string_append_printf (s, "%s\n", classes[c]);
    }
  tl_test_write_text (path, s->str);
}

typedef struct {
  int stages[TL_STAGE_DONE + 1];
  int epochs;
  int batches;
  GCancellable *cancel_at_first_epoch;
  GMainLoop *loop;
  TlPipelineResult *result;
  GError *error;
} Seen;

static void
seen_stage (TlPipelineStage stage, const char *message, gpointer user_data)
{
  Seen *seen = user_data;
  g_assert_nonnull (message);
  seen->stages[stage]++;
}

static void
seen_batch (TlPipelineStage stage, const TlBatchProgress *p, gpointer user_data)
{
  Seen *seen = user_data;
  g_assert_cmpint (p->batch, <=, p->n_batches);
  seen->batches++;
}

static void
seen_epoch (TlPipelineStage stage, const TlEpochRecord *record, const TlHistory *history, gpointer user_data)
{
  Seen *seen = user_data;
  seen->epochs++;
  if (seen->cancel_at_first_epoch && stage == TL_STAGE_TRANSFER)
    g_cancellable_cancel (seen->cancel_at_first_epoch);
}

static TlExperiment *
small_experiment (const char *dir)
{
  const char *src[] = { "a", "b", "c", NULL };
  const char *tgt[] = { "d", "e", NULL };
  g_autofree char *s = g_build_filename (dir, "s.csv", NULL);
  g_autofree char *t = g_build_filename (dir, "t.csv", NULL);
  TlExperiment *exp = tl_experiment_new ();

  write_blobs (s, src, 60, 1);
  write_blobs (t, tgt, 40, 2);
  g_free (exp->base_dir);
  exp->base_dir = g_strdup (dir);
  exp->source.path = g_strdup ("s.csv");
  exp->target.path = g_strdup ("t.csv");
  exp->target.per_class = 8;
  exp->target.val_fraction = 0.25;
  exp->target.test_fraction = 0.3;
  exp->pretrain.epochs = 3;
  exp->transfer.finetune.epochs = 4;
  exp->transfer.freeze_mode = TL_FREEZE_BELOW;
  exp->transfer.freeze_below = 2;
  exp->transfer.unfreeze_every = 2;
  exp->baseline = TRUE;
  exp->outputs.exports = TL_EXPORT_MODELS | TL_EXPORT_METRICS | TL_EXPORT_HISTORY;
  return exp;
}

/* Tail averaging with gradual unfreezing: two phases of two epochs, and the
 * transfer ends on the mean of the last phase's two epochs, as its model file says;
 * the baseline averages its own last two. */
static void
test_pipeline_average_last_phase (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *out = g_build_filename (dir, "run", NULL);
  g_autofree char *model = g_build_filename (out, "transfer", "model.safetensors", NULL);
  g_autoptr (TlExperiment) exp = small_experiment (dir);
  g_autoptr (TlPipelineResult) result = NULL;
  TlModelInfo *info;
  g_autoptr (GError) error = NULL;
  const TlRunResult *transfer, *baseline;

  exp->transfer.finetune.average_epochs = 2;
  g_assert_true (tl_pipeline_run (exp, out, NULL, NULL, &result, &error));
  g_assert_no_error (error);
  transfer = tl_pipeline_result_find (result, "transfer");
  baseline = tl_pipeline_result_find (result, "baseline");
  g_assert_cmpint (transfer->epochs, ==, 4);
  g_assert_cmpint (transfer->history->averaged_epochs, ==, 2);
  g_assert_cmpint (baseline->history->averaged_epochs, ==, 2);
  g_assert_cmpint (tl_pipeline_result_find (result, "pretrain")->history->averaged_epochs, ==, 0);
  info = tl_model_file_read_header (model, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (info->provenance), "averaged_epochs"), ==, 2);
  tl_model_info_free (info);
}

static void
test_pipeline_runs_and_reports (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autoptr (TlExperiment) exp = small_experiment (dir);
  g_autoptr (TlPipelineResult) result = NULL;
  g_autoptr (GError) error = NULL;
  Seen seen = { 0 };
  TlPipelineCallbacks cb = { seen_stage, seen_batch, seen_epoch, &seen };
  TlRunResult *transfer;

  g_assert_true (tl_pipeline_run (exp, out, &cb, NULL, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result->runs->len, ==, 3);
  g_assert_cmpint (seen.epochs, ==, 3 + 4 + 4);
  g_assert_cmpint (seen.batches, >, 0);
  g_assert_cmpint (seen.stages[TL_STAGE_PRETRAIN], ==, 1);
  g_assert_cmpint (seen.stages[TL_STAGE_TRANSFER], ==, 1);
  g_assert_cmpint (seen.stages[TL_STAGE_BASELINE], ==, 1);
  g_assert_cmpint (seen.stages[TL_STAGE_DONE], ==, 1);
  transfer = tl_pipeline_result_find (result, "transfer");
  g_assert_nonnull (transfer);
  g_assert_nonnull (transfer->metrics);
  g_assert_cmpint (transfer->metrics->n_classes, ==, 2);
  g_assert_cmpint (transfer->epochs, ==, 4);
  /* gradual unfreezing released one more layer after two epochs */
  g_assert_cmpint (tl_model_lowest_trainable (transfer->model), <, 2);
  g_assert_true (g_file_test (result->summary_path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (transfer->model_path, G_FILE_TEST_EXISTS));
  tl_test_remove_tree (dir);
}

static void
on_pipeline_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Seen *seen = user_data;

  seen->result = tl_pipeline_run_finish (res, &seen->error);
  g_main_loop_quit (seen->loop);
}

static void
test_pipeline_async_cancel (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  g_autoptr (TlExperiment) exp = small_experiment (dir);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Seen seen = { 0 };
  TlPipelineCallbacks cb = { seen_stage, seen_batch, seen_epoch, &seen };

  seen.cancel_at_first_epoch = cancellable;
  seen.loop = loop;
  tl_pipeline_run_async (exp, out, &cb, cancellable, on_pipeline_done, &seen);
  g_main_loop_run (loop);
  g_assert_null (seen.result);
  g_assert_error (seen.error, TL_ERROR, TL_ERROR_CANCELLED);
  g_clear_error (&seen.error);
  /* stopped after the transfer's first epoch: pretrain and transfer are kept, no baseline */
  g_assert_cmpint (seen.stages[TL_STAGE_BASELINE], ==, 0);
  g_assert_true (g_file_test (summary, G_FILE_TEST_EXISTS));
  tl_test_remove_tree (dir);
}

typedef struct {
  TlPipelineStage stop_stage;
  int             stop_after;    /* batches of stop_stage */
  int             batches;
  int             stages[TL_STAGE_DONE + 1];
  GCancellable   *cancellable;
} Interrupt;

static void
interrupt_stage (TlPipelineStage stage, const char *message, gpointer user_data)
{
  Interrupt *in = user_data;
  in->stages[stage]++;
}

static void
interrupt_batch (TlPipelineStage stage, const TlBatchProgress *p, gpointer user_data)
{
  Interrupt *in = user_data;

  if (stage == in->stop_stage && ++in->batches == in->stop_after)
    g_cancellable_cancel (in->cancellable);
}

static void
assert_same_weights (const TlModel *a, const TlModel *b)
{
  g_assert_cmpint (tl_model_n_layers (a), ==, tl_model_n_layers (b));
  for (int i = 0; i < tl_model_n_layers (a); i++)
    {
      const TlLayer *la = tl_model_layer (a, i), *lb = tl_model_layer (b, i);
      g_assert_cmpint (la->n_params, ==, lb->n_params);
      for (int p = 0; p < la->n_params; p++)
        {
          g_assert_cmpuint (la->params[p].value->size, ==, lb->params[p].value->size);
          g_assert_cmpmem (la->params[p].value->data, la->params[p].value->size * sizeof (float),
                           lb->params[p].value->data, lb->params[p].value->size * sizeof (float));
        }
    }
}

/* summary.json without its wall-clock figures */
static char *
summary_without_times (const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;
  JsonArray *runs;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (root, "transfer_speedup"))
    json_object_remove_member (root, "transfer_speedup");
  if (json_object_has_member (root, "started"))
    json_object_remove_member (root, "started");
  runs = json_object_get_array_member (root, "runs");
  for (guint i = 0; i < json_array_get_length (runs); i++)
    json_object_remove_member (json_array_get_object_element (runs, i), "train_seconds");
  return tl_json_to_pretty_string (json_parser_get_root (parser));
}

static void
test_pipeline_resume_is_bitwise (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *ref_out = g_build_filename (dir, "reference", NULL);
  g_autofree char *ref_summary = g_build_filename (ref_out, "summary.json", NULL);
  g_autofree char *ref_text = NULL;
  g_autoptr (TlExperiment) exp = small_experiment (dir);
  g_autoptr (TlPipelineResult) reference = NULL;
  g_autoptr (GError) error = NULL;
  /* into pretraining's second epoch, the transfer's first epoch (before any checkpoint)
   * and its second unfreezing phase, the baseline */
  const struct { TlPipelineStage stage; int after; const char *checkpoint; } points[] = {
    { TL_STAGE_PRETRAIN, 7, "pretrain.ckpt" },
    { TL_STAGE_TRANSFER, 1, NULL },
    { TL_STAGE_TRANSFER, 4, "transfer-2.ckpt" },
    { TL_STAGE_BASELINE, 3, "baseline.ckpt" },
  };

  /* a fast rate and patience 1: early stopping ends the transfer in its second phase */
  exp->transfer.finetune.patience = 1;
  exp->transfer.finetune.epochs = 12;
  exp->transfer.finetune.optimizer.learning_rate = 0.05f;
  g_assert_true (tl_pipeline_run (exp, ref_out, NULL, NULL, &reference, &error));
  g_assert_no_error (error);
  ref_text = summary_without_times (ref_summary);
  g_test_message ("epochs: transfer %d, baseline %d", tl_pipeline_result_find (reference, "transfer")->epochs,
                  tl_pipeline_result_find (reference, "baseline")->epochs);

  for (guint k = 0; k < G_N_ELEMENTS (points); k++)
    {
      g_autofree char *name = g_strdup_printf ("interrupted-%u", k);
      g_autofree char *out = g_build_filename (dir, name, NULL);
      g_autofree char *ckpt = g_build_filename (out, "checkpoints", points[k].checkpoint ? points[k].checkpoint
                                                : "transfer-1.ckpt", NULL);
      g_autofree char *ckpt_dir = g_build_filename (out, "checkpoints", NULL);
      g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
      g_autofree char *text = NULL;
      g_autoptr (GCancellable) cancellable = g_cancellable_new ();
      g_autoptr (TlPipelineResult) partial = NULL;
      g_autoptr (TlPipelineResult) resumed = NULL;
      Interrupt in = { points[k].stage, points[k].after, 0, { 0 }, cancellable };
      Interrupt again = { TL_STAGE_DONE, 0, 0, { 0 }, NULL };
      TlPipelineCallbacks cb = { interrupt_stage, interrupt_batch, NULL, &in };
      TlPipelineCallbacks cb_again = { interrupt_stage, NULL, NULL, &again };
      TlPipelineOptions options;
      const char *names[] = { "pretrain", "transfer", "baseline" };

      g_assert_false (tl_pipeline_run (exp, out, &cb, cancellable, &partial, &error));
      g_assert_error (error, TL_ERROR, TL_ERROR_CANCELLED);
      g_clear_error (&error);
      g_assert_true (g_file_test (ckpt, G_FILE_TEST_IS_REGULAR) == (points[k].checkpoint != NULL));
      g_assert_true (tl_pipeline_can_resume (exp, out, &error));
      g_assert_no_error (error);

      tl_pipeline_options_init (&options);
      options.output_folder = out;
      options.resume = TRUE;
      g_assert_true (tl_pipeline_run_with_options (exp, &options, &cb_again, NULL, &resumed, &error));
      g_assert_no_error (error);
      /* finished stages are loaded, not trained again */
      g_assert_cmpint (again.stages[TL_STAGE_PRETRAIN], ==, points[k].stage == TL_STAGE_PRETRAIN);
      g_assert_cmpint (again.stages[TL_STAGE_TRANSFER], ==, points[k].stage <= TL_STAGE_TRANSFER);
      g_assert_false (g_file_test (ckpt_dir, G_FILE_TEST_EXISTS));
      g_assert_false (tl_pipeline_can_resume (exp, out, &error));
      g_assert_no_error (error);

      g_assert_cmpuint (resumed->runs->len, ==, 3);
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          TlRunResult *a = tl_pipeline_result_find (reference, names[i]);
          TlRunResult *b = tl_pipeline_result_find (resumed, names[i]);

          g_assert_nonnull (b);
          assert_same_weights (a->model, b->model);
          g_assert_cmpint (a->epochs, ==, b->epochs);
          g_assert_cmpuint (a->history->epochs->len, ==, b->history->epochs->len);
          for (guint e = 0; e < a->history->epochs->len; e++)
            {
              const TlEpochRecord *ra = &g_array_index (a->history->epochs, TlEpochRecord, e);
              const TlEpochRecord *rb = &g_array_index (b->history->epochs, TlEpochRecord, e);
              g_assert_cmpint (ra->epoch, ==, rb->epoch);
              g_assert_cmpfloat (ra->train_loss, ==, rb->train_loss);
            }
          if (a->metrics)
            g_assert_cmpfloat (a->metrics->accuracy, ==, b->metrics->accuracy);
        }
      text = summary_without_times (summary);
      g_assert_cmpstr (text, ==, ref_text);
    }
  tl_test_remove_tree (dir);
}

static void
test_pipeline_resume_refuses_another_experiment (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autoptr (TlExperiment) exp = small_experiment (dir);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  Interrupt in = { TL_STAGE_TRANSFER, 2, 0, { 0 }, cancellable };
  TlPipelineCallbacks cb = { interrupt_stage, interrupt_batch, NULL, &in };
  TlPipelineOptions options;

  g_assert_false (tl_pipeline_run (exp, out, &cb, cancellable, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_CANCELLED);
  g_clear_error (&error);

  exp->transfer.finetune.epochs = 5;
  g_assert_false (tl_pipeline_can_resume (exp, out, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  tl_pipeline_options_init (&options);
  options.output_folder = out;
  options.resume = TRUE;
  g_assert_false (tl_pipeline_run_with_options (exp, &options, NULL, NULL, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "experiment.json"));
  g_clear_error (&error);
  /* a description is not part of what was run */
  exp->transfer.finetune.epochs = 4;
  exp->description = g_strdup ("notes");
  g_assert_true (tl_pipeline_can_resume (exp, out, &error));
  g_assert_no_error (error);
  tl_test_remove_tree (dir);
}

/* The texts a source's n-grams count besides its own: the target's training rows, as a run
 * and the window both read them, or none when the experiment says so. */
static void
test_source_documents (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *source = g_build_filename (dir, "books.csv", NULL);
  g_autofree char *target = g_build_filename (dir, "kitchen.csv", NULL);
  g_autoptr (GString) books = g_string_new ("text,label\n"), kitchen = g_string_new ("text,label\n");
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 40; i++)
    {
      g_string_append_printf (books, "\"a %s book\",%s\n", i % 2 ? "splendid" : "dreadful", i % 2 ? "pos" : "neg");
      g_string_append_printf (kitchen, "\"a %s kettle\",%s\n", i % 2 ? "splendid" : "dreadful", i % 2 ? "pos" : "neg");
    }
  tl_test_write_text (source, books->str);
  tl_test_write_text (target, kitchen->str);
  exp->source.path = g_strdup (source);
  exp->source.text_column = g_strdup ("text");
  exp->target.path = g_strdup (target);
  exp->target.text_column = g_strdup ("text");
  exp->target.test_fraction = 0.25;
  g_free (exp->architecture.preset);
  exp->architecture.preset = g_strdup ("text-ngram");

  for (int counted = 1; counted >= 0; counted--)
    {
      g_autoptr (GPtrArray) docs = NULL;
      g_autoptr (TlPipelineData) data = NULL;
      const TlNgramFeatures *f;

      exp->transfer.unlabeled_text = counted;
      docs = tl_pipeline_source_documents (exp, &error);
      g_assert_no_error (error);
      g_assert_nonnull (docs);
      /* the target's rows but its test split */
      g_assert_cmpuint (docs->len, ==, counted ? 30 : 0);
      data = tl_pipeline_import_labelled (exp, &exp->source, NULL, docs, exp->seed, "source", &error);
      g_assert_no_error (error);
      f = data->preprocess->ngrams;
      g_assert_nonnull (f);
      g_assert_cmpint (tl_vocab_lookup (f->vocab, "book"), >, 1);
      g_assert_true ((tl_vocab_lookup (f->vocab, "kettle") > 1) == counted);
    }
  tl_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/experiment/defaults-and-fields", test_experiment_defaults_and_fields);
  g_test_add_func ("/experiment/round-trip", test_experiment_round_trip);
  g_test_add_func ("/experiment/save-rebases-paths", test_experiment_save_rebases_paths);
  g_test_add_func ("/experiment/errors-name-the-field", test_experiment_errors_name_the_field);
  g_test_add_func ("/experiment/overrides", test_experiment_overrides);
  g_test_add_func ("/experiment/output-paths-stay-inside", test_output_paths_stay_inside);
  g_test_add_func ("/experiment/demo-files-load", test_demo_experiments_load);
  g_test_add_func ("/experiment/spoken-digits-real-loads", test_spoken_digits_real_loads);
  g_test_add_func ("/pipeline/runs-and-reports", test_pipeline_runs_and_reports);
  g_test_add_func ("/pipeline/average-last-phase", test_pipeline_average_last_phase);
  g_test_add_func ("/pipeline/async-cancel", test_pipeline_async_cancel);
  g_test_add_func ("/pipeline/source-documents", test_source_documents);
  g_test_add_func ("/pipeline/resume-is-bitwise", test_pipeline_resume_is_bitwise);
  g_test_add_func ("/pipeline/resume-refuses-another-experiment", test_pipeline_resume_refuses_another_experiment);
  return g_test_run ();
}
