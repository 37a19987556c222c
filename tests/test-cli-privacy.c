#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "cli-run.h"
#include "test-util.h"

/* transfer-lab train with --dp-*: private training seen from the command line. */

static char *tmp;

static char *
path_in (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

/* Three Gaussian blobs in 4 dimensions. */
static void
write_blobs (const char *path, int n)
{
  g_autoptr (GString) s = g_string_new ("f0,f1,f2,f3,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);

  for (int i = 0; i < n; i++)
    {
      int c = i % 3;
      for (int f = 0; f < 4; f++)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          double centre = (f == c ? 3.0 : 0.0);
          g_string_append_printf (s, "%s,", g_ascii_formatd (buf, sizeof buf, "%.4f",
                                                             centre + g_rand_double_range (rand, -1.0, 1.0)));
        }
      g_string_append_printf (s, "c%d\n", c);
    }
  tl_test_write_text (path, s->str);
}

/* The epsilon column of a private history, one value per epoch. */
static GArray *
read_epsilons (const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *eps = g_array_new (FALSE, FALSE, sizeof (double));

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,epsilon");
  for (int i = 1; lines[i] && lines[i][0]; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      double v;
      g_assert_cmpuint (g_strv_length (f), ==, 8);
      v = g_ascii_strtod (f[7], NULL);
      g_array_append_val (eps, v);
    }
  return eps;
}

static void
test_private_train (void)
{
  g_autofree char *data = path_in ("blobs.csv");
  g_autofree char *model = path_in ("private.safetensors");
  g_autofree char *history = path_in ("history.csv");
  g_autoptr (GArray) eps = NULL;

  write_blobs (data, 600);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--epochs", "4", "--lr", "0.01", "--dp-epsilon", "2",
         "--dp-delta", "1e-4", "--dp-clip", "0.8", "--history", history);
    expect_status (&r, 0);
    /* every epoch line says what has been spent */
    for (int e = 1; e <= 4; e++)
      {
        g_autofree char *tag = g_strdup_printf ("epoch %d/4", e);
        const char *line = strstr (r.out, tag);
        const char *end;
        g_assert_nonnull (line);
        end = strchr (line, '\n');
        g_assert_nonnull (g_strstr_len (line, end - line, "epsilon "));
      }
    g_assert_nonnull (strstr (r.out, "Privacy: epsilon 2.000 at delta 0.0001"));
  }
  eps = read_epsilons (history);
  g_assert_cmpuint (eps->len, ==, 4);
  for (guint i = 1; i < eps->len; i++)
    g_assert_cmpfloat (g_array_index (eps, double, i), >, g_array_index (eps, double, i - 1));
  g_assert_cmpfloat (g_array_index (eps, double, 3), <=, 2.0);
  g_assert_cmpfloat (g_array_index (eps, double, 3), >, 1.95);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "inspect", model);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "\"privacy\""));
    g_assert_nonnull (strstr (r.out, "\"noise_multiplier\""));
  }
}

static void
test_budget_spent (void)
{
  g_autofree char *data = path_in ("blobs.csv");
  g_autofree char *model = path_in ("budget.safetensors");
  g_auto (Result) r = { 0 };

  write_blobs (data, 600);
  /* sigma 1.5 spends epsilon 3 within a few epochs: the run stops early and says so */
  RUN (&r, "train", data, "--out", model, "--epochs", "20", "--dp-sigma", "1.5", "--dp-epsilon", "3",
       "--dp-delta", "1e-4", "--quiet");
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "Privacy budget spent: stopped after"));
  g_assert_nonnull (strstr (r.out, "of 20 epochs"));
  {
    g_auto (Result) r2 = { 0 };
    /* a budget smaller than one epoch's cost is refused before training */
    RUN (&r2, "train", data, "--out", model, "--force", "--epochs", "20", "--dp-sigma", "1.0", "--dp-epsilon", "1",
         "--dp-delta", "1e-4", "--quiet");
    expect_status (&r2, 1);
    g_assert_nonnull (strstr (r2.err, "does not cover one epoch"));
  }
}

static void
test_refusals (void)
{
  g_autofree char *data = path_in ("blobs.csv");
  g_autofree char *model = path_in ("refused.safetensors");

  write_blobs (data, 300);
  {
    g_auto (Result) r = { 0 };
    /* delta must be below 1/n: about 240 training rows here */
    RUN (&r, "train", data, "--out", model, "--dp-epsilon", "1", "--dp-delta", "0.01");
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "delta"));
    g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--dp-epsilon", "0");
    expect_status (&r, 2);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--dp-epsilon", "1", "--dp-clip", "-1");
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, "--dp-clip"));
  }
}

/* A whole experiment with transfer.privacy: the fine-tuning on the target and the
 * baseline are private, pretraining on the source is not. */
static void
test_private_experiment (void)
{
  g_autofree char *source = path_in ("source.csv");
  g_autofree char *target = path_in ("target.csv");
  g_autofree char *exp = path_in ("private.json");
  g_autofree char *out = path_in ("private-run");
  g_autofree char *transfer_history = g_build_filename (out, "transfer", "history.csv", NULL);
  g_autofree char *baseline_history = g_build_filename (out, "baseline", "history.csv", NULL);
  g_autofree char *pretrain_history = g_build_filename (out, "pretrain", "history.csv", NULL);
  g_autofree char *model = g_build_filename (out, "transfer", "model.safetensors", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GArray) eps = NULL;

  write_blobs (source, 600);
  write_blobs (target, 400);
  text = g_strdup_printf (
    "{ \"name\": \"private\", \"seed\": 3,\n"
    "  \"source\": { \"format\": \"csv\", \"path\": \"%s\", \"label_column\": \"label\" },\n"
    "  \"target\": { \"format\": \"csv\", \"path\": \"%s\", \"label_column\": \"label\" },\n"
    "  \"architecture\": { \"preset\": \"mlp\" },\n"
    "  \"pretrain\": { \"epochs\": 2, \"batch_size\": 32 },\n"
    "  \"transfer\": { \"freeze\": { \"below\": 3 }, \"epochs\": 3, \"batch_size\": 32,\n"
    "                \"privacy\": { \"epsilon\": 2, \"delta\": 1e-4, \"clip\": 1.0 } },\n"
    "  \"baseline\": true,\n"
    "  \"outputs\": { \"exports\": [\"models\", \"history\", \"metrics\"] } }\n", source, target);
  tl_test_write_text (exp, text);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--out", out);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "epsilon "));
  }
  eps = read_epsilons (transfer_history);
  g_assert_cmpuint (eps->len, ==, 3);
  g_assert_cmpfloat (g_array_index (eps, double, 2), <=, 2.0);
  g_assert_cmpfloat (g_array_index (eps, double, 2), >, 1.9);
  g_array_unref (g_steal_pointer (&eps));
  eps = read_epsilons (baseline_history);
  g_assert_cmpuint (eps->len, ==, 3);
  {
    g_autofree char *head = NULL;
    g_assert_true (g_file_get_contents (pretrain_history, &head, NULL, NULL));
    g_assert_null (strstr (head, "epsilon"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "inspect", model);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "\"privacy\""));
  }
  {
    /* summary.json gives the private runs their epsilon, and the others none */
    g_autofree char *summary_path = g_build_filename (out, "summary.json", NULL);
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonArray *runs;

    g_assert_true (json_parser_load_from_file (parser, summary_path, NULL));
    runs = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "runs");
    for (guint i = 0; i < json_array_get_length (runs); i++)
      {
        JsonObject *run = json_array_get_object_element (runs, i);
        const char *name = json_object_get_string_member (run, "name");
        gboolean private_run = g_strcmp0 (name, "transfer") == 0 || g_strcmp0 (name, "baseline") == 0;

        g_assert_cmpint (json_object_has_member (run, "epsilon"), ==, private_run);
        if (private_run)
          {
            g_assert_cmpfloat (json_object_get_double_member (run, "epsilon"), <=, 2.0);
            g_assert_cmpfloat (json_object_get_double_member (run, "epsilon"), >, 1.9);
          }
      }
  }
}

/* The shipped Fashion-MNIST experiment made private: the baseline trains the whole
 * CNN from scratch privately (its convolutions' per-example gradients), and the
 * transfer trains once more without privacy beside it, so that the three runs the
 * comparison needs come from one experiment. */
static void
test_private_cnn_experiment (void)
{
  g_autofree char *exp = NULL;
  g_autofree char *out = path_in ("private-cnn");
  g_autofree char *summary_path = g_build_filename (out, "summary.json", NULL);
  g_autofree char *reference_model = g_build_filename (out, "non-private", "model.safetensors", NULL);
  g_autofree char *baseline_model = g_build_filename (out, "baseline", "model.safetensors", NULL);
  g_autofree char *reference_history = g_build_filename (out, "non-private", "history.csv", NULL);
  g_autofree char *baseline_history = g_build_filename (out, "baseline", "history.csv", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GArray) eps = NULL;
  static const char *const names[] = { "pretrain", "transfer", "non-private", "baseline" };
  JsonArray *runs;

  if ((exp = tl_test_fashion_split ()) == NULL)
    return;
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--out", out, "--set", "source.per_class=80", "--set", "pretrain.epochs=1", "--set",
         "target.per_class=60", "--set", "target.test_per_class=40", "--set", "transfer.epochs=2", "--set",
         "transfer.batch_size=32", "--set", "transfer.privacy={\"epsilon\": 3, \"delta\": 1e-3}", "--set",
         "outputs.exports=[\"models\", \"history\", \"metrics\"]");
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "non-private: training"));
    /* each epoch line names its run, and only the private ones spend */
    g_assert_nonnull (strstr (r.out, "transfer  epoch 2/2"));
    {
      const char *line = strstr (r.out, "non-private  epoch 2/2");
      const char *end;

      g_assert_nonnull (line);
      end = strchr (line, '\n');
      g_assert_null (g_strstr_len (line, end != NULL ? end - line : -1, "epsilon"));
    }
    g_assert_nonnull (strstr (r.out, "without privacy, for comparison"));
  }
  g_assert_true (json_parser_load_from_file (parser, summary_path, NULL));
  runs = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "runs");
  g_assert_cmpuint (json_array_get_length (runs), ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      const char *name = json_object_get_string_member (run, "name");
      gboolean private_run = g_strcmp0 (name, "transfer") == 0 || g_strcmp0 (name, "baseline") == 0;

      g_test_message ("%s: %.3f", name, json_object_get_double_member (run, "test_accuracy"));
      g_assert_cmpstr (name, ==, names[i]);
      g_assert_cmpint (json_object_has_member (run, "epsilon"), ==, private_run);
    }
  /* every layer of the baseline trained privately, the convolutions too */
  eps = read_epsilons (baseline_history);
  g_assert_cmpuint (eps->len, ==, 2);
  g_assert_cmpfloat (g_array_index (eps, double, 1), <=, 3.0);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "inspect", baseline_model);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "\"privacy\""));
    g_assert_nonnull (strstr (r.out, "conv2d"));
  }
  /* the reference says it is not private, in its history and its model file */
  {
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (reference_history, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, "epoch,"));
    g_assert_null (strstr (text, "epsilon"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "inspect", reference_model);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "\"non-private\""));
    g_assert_null (strstr (r.out, "\"privacy\""));
  }
  /* turned off, the experiment trains no model without privacy */
  {
    g_autofree char *out2 = path_in ("private-cnn-no-reference");
    g_autofree char *folder = g_build_filename (out2, "non-private", NULL);
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--out", out2, "--quiet", "--set", "source.per_class=80", "--set", "pretrain.epochs=1",
         "--set", "target.per_class=60", "--set", "target.test_per_class=40", "--set", "transfer.epochs=1",
         "--set", "transfer.privacy={\"epsilon\": 3, \"delta\": 1e-3, \"non_private_reference\": false}",
         "--set", "baseline=false", "--set", "outputs.exports=[\"metrics\"]");
    expect_status (&r, 0);
    g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  cli_binary ();
  tmp = g_dir_make_tmp ("tl-cli-privacy-XXXXXX", NULL);
  g_test_add_func ("/cli-privacy/train", test_private_train);
  g_test_add_func ("/cli-privacy/budget-spent", test_budget_spent);
  g_test_add_func ("/cli-privacy/refusals", test_refusals);
  g_test_add_func ("/cli-privacy/experiment", test_private_experiment);
  g_test_add_func ("/cli-privacy/cnn-experiment", test_private_cnn_experiment);
  status = g_test_run ();
  tl_test_remove_tree (tmp);
  g_free (tmp);
  return status;
}
