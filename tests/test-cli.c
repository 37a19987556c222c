#include "config.h"

#include <cairo.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli-run.h"
#include "test-util.h"

/* Every sub-command run as a real process, on data the tests write. */

static const char *binary;
static char *tmp;


/* One line on stderr: "transfer-lab: ..." */
static void
expect_error_line (const Result *r, const char *contains)
{
  const char *nl = strchr (r->err, '\n');

  if (!g_str_has_prefix (r->err, "transfer-lab: ") || nl == NULL || nl[1] != '\0'
      || strstr (r->err, contains) == NULL)
    g_error ("expected one error line containing '%s', got:\n%s", contains, r->err);
}

static char *
path_in (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

/* Gaussian blobs in 4 dimensions, one centre per class, from a fixed seed. */
static void
write_blobs_csv (const char *path, const char *const *classes, int per_class, double shift, guint32 seed)
{
  g_autoptr (GString) s = g_string_new ("f0,f1,f2,f3,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  int n_classes = g_strv_length ((char **) classes);

  for (int i = 0; i < per_class * n_classes; i++)
    {
      int c = i % n_classes;
      for (int f = 0; f < 4; f++)
        {
          double centre = ((c + f) % n_classes == 0 ? 3.0 : 0.0) + (f == c % 4 ? 2.0 : 0.0) + shift;
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_string_append_printf (s, "%s,", g_ascii_formatd (buf, sizeof buf, "%.4f",
                                                             centre + g_rand_double_range (rand, -1.0, 1.0)));
        }
      g_string_append_printf (s, "%s\n", classes[c]);
    }
  tl_test_write_text (path, s->str);
}

static void
write_idx (const char *path, int ndim, const int *dims, const guint8 *data, gsize size)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 head[4] = { 0, 0, 0x08, (guint8) ndim };
  g_autoptr (GError) error = NULL;

  g_byte_array_append (bytes, head, 4);
  for (int d = 0; d < ndim; d++)
    {
      guint32 be = GUINT32_TO_BE ((guint32) dims[d]);
      g_byte_array_append (bytes, (guint8 *) &be, 4);
    }
  g_byte_array_append (bytes, data, size);
  g_file_set_contents (path, (char *) bytes->data, bytes->len, &error);
  g_assert_no_error (error);
}

/* 12x12 grey images of 3 classes: a bright horizontal band at a class-specific height. */
static void
write_idx_pair (const char *images, const char *labels, int n)
{
  int side = 12;
  g_autofree guint8 *pixels = g_new0 (guint8, n * side * side);
  g_autofree guint8 *y = g_new0 (guint8, n);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);

  for (int i = 0; i < n; i++)
    {
      y[i] = i % 3;
      for (int p = 0; p < side * side; p++)
        {
          int row = p / side;
          gboolean band = row >= 1 + 4 * y[i] && row < 3 + 4 * y[i];
          pixels[i * side * side + p] = (guint8) (band ? 200 + g_rand_int_range (rand, 0, 55)
                                                       : g_rand_int_range (rand, 0, 60));
        }
    }
  write_idx (images, 3, (int[]) { n, side, side }, pixels, n * side * side);
  write_idx (labels, 1, (int[]) { n }, y, n);
}

static JsonObject *
load_json (JsonParser *parser, const char *path)
{
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static const char *const commands[] = { "train", "evaluate", "predict", "inspect", "export", "run", "history",
                                        "compare", NULL };

static void
test_help_of_each_command (void)
{
  for (int i = 0; commands[i] != NULL; i++)
    {
      g_auto (Result) r = { 0 };

      RUN (&r, commands[i], "--help");
      expect_status (&r, 0);
      g_assert_nonnull (strstr (r.out, "Usage:"));
      g_assert_nonnull (strstr (r.out, commands[i]));
    }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "--help");
    expect_status (&r, 0);
    for (int i = 0; commands[i] != NULL; i++)
      g_assert_nonnull (strstr (r.out, commands[i]));
  }
}

static void
test_usage_errors_exit_2 (void)
{
  const char *const *cases[] = {
    (const char *const[]) { "train", NULL },
    (const char *const[]) { "train", "data.csv", NULL },                 /* no --out */
    (const char *const[]) { "train", "--bogus", NULL },
    (const char *const[]) { "train", "d.csv", "--out", "m", "--epochs", "0", NULL },
    (const char *const[]) { "evaluate", "model.safetensors", NULL },
    (const char *const[]) { "predict", "m", "d", NULL },                  /* no --out */
    (const char *const[]) { "inspect", NULL },
    (const char *const[]) { "export", "m.safetensors", NULL },            /* no output chosen */
    (const char *const[]) { "run", NULL },
    (const char *const[]) { "run", "a.json", "b.json", NULL },
    (const char *const[]) { "nosuchcommand", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (Result) r = { 0 };

      run_argv (&r, cases[i]);
      expect_status (&r, 2);
      expect_error_line (&r, "");
    }
}

static void
test_failures_exit_1_with_file_and_line (void)
{
  g_autofree char *bad_csv = path_in ("bad.csv");
  g_autofree char *bad_json = path_in ("bad.json");
  g_autofree char *model = path_in ("never.safetensors");
  g_autofree char *missing = path_in ("missing.safetensors");
  g_autofree char *where = NULL;

  tl_test_write_text (bad_csv, "a,b,label\n1,2,x\n3,4,y\n5,\xff,x\n");
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", bad_csv, "--out", model);
    expect_status (&r, 1);
    where = g_strdup_printf ("%s:4:", bad_csv);
    expect_error_line (&r, where);
    g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  }
  tl_test_write_text (bad_json, "{\n  \"name\": \"x\",\n  \"seed\": oops\n}\n");
  {
    g_auto (Result) r = { 0 };
    g_autofree char *line = g_strdup_printf ("%s:3:", bad_json);
    RUN (&r, "run", bad_json);
    expect_status (&r, 1);
    expect_error_line (&r, line);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "inspect", missing);
    expect_status (&r, 1);
    expect_error_line (&r, missing);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "evaluate", missing, bad_csv);
    expect_status (&r, 1);
    expect_error_line (&r, missing);
  }
}

static char *
read_column_tail (const char *csv_path)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GString *out = g_string_new (NULL);

  g_file_get_contents (csv_path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  /* row,true_label,predicted_label,probs...[,source]: keep row, prediction and probabilities */
  const gboolean sourced = lines[0] != NULL && g_str_has_suffix (lines[0], ",source");

  for (int i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      guint n = g_strv_length (f) - (sourced ? 1 : 0);
      if (g_strv_length (f) < 3)
        continue;
      g_string_append (out, f[0]);
      for (guint k = 2; k < n; k++)
        g_string_append_printf (out, ",%s", f[k]);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

static void
test_train_evaluate_predict_round_trip (void)
{
  const char *classes[] = { "red", "green", "blue", NULL };
  g_autofree char *data = path_in ("blobs.csv");
  g_autofree char *model = path_in ("blobs.safetensors");
  g_autofree char *evaldir = path_in ("eval");
  g_autofree char *preds = path_in ("predictions.csv");
  g_autofree char *eval_preds = NULL, *metrics = NULL, *onnx = path_in ("blobs.onnx");
  g_autofree char *a = NULL, *b = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *m;

  write_blobs_csv (data, classes, 80, 0.0, 1);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--preset", "mlp", "--epochs", "8", "--seed", "3");
    expect_status (&r, 0);
    g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS));
    g_assert_nonnull (strstr (r.out, "test acc"));
    /* not a terminal: plain per-epoch lines, no carriage returns */
    g_assert_nonnull (strstr (r.out, "epoch 8/8"));
    g_assert_null (strchr (r.out, '\r'));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "evaluate", model, data, "--out", evaldir, "--plots", "png");
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "Accuracy"));
    g_assert_nonnull (strstr (r.out, "Confusion matrix"));
    g_assert_nonnull (strstr (r.out, "green"));
  }
  metrics = g_build_filename (evaldir, "metrics.json", NULL);
  m = load_json (parser, metrics);
  g_assert_cmpfloat (json_object_get_double_member (m, "accuracy"), >, 0.8);
  g_assert_cmpint (json_object_get_int_member (m, "n_samples"), ==, 240);
  {
    g_autofree char *png = g_build_filename (evaldir, "confusion.png", NULL);
    g_autofree char *csv = g_build_filename (evaldir, "confusion.csv", NULL);
    g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (csv, G_FILE_TEST_EXISTS));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "predict", model, data, "--out", preds);
    expect_status (&r, 0);
  }
  eval_preds = g_build_filename (evaldir, "predictions.csv", NULL);
  a = read_column_tail (eval_preds);
  b = read_column_tail (preds);
  g_assert_cmpuint (strlen (a), >, 1000);
  g_assert_cmpstr (a, ==, b);

  {
    g_auto (Result) r = { 0 };
    RUN (&r, "inspect", model);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "Dense"));
    g_assert_nonnull (strstr (r.out, "red, green, blue") ? "" : strstr (r.out, "blue"));
    g_assert_nonnull (strstr (r.out, "trainable"));
    g_assert_nonnull (strstr (r.out, "Provenance"));
  }
  {
    g_auto (Result) r = { 0 };
    g_autoptr (JsonParser) p = json_parser_new ();
    g_autoptr (GError) error = NULL;
    JsonObject *o;

    RUN (&r, "inspect", "--json", model);
    expect_status (&r, 0);
    json_parser_load_from_data (p, r.out, -1, &error);
    g_assert_no_error (error);
    o = json_node_get_object (json_parser_get_root (p));
    g_assert_cmpint (json_object_get_int_member (o, "total_params"), >, 0);
    g_assert_cmpint (json_object_get_int_member (o, "total_params"), ==,
                     json_object_get_int_member (o, "trainable_params"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "labels")), ==, 3);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "export", model, "--onnx", onnx);
    expect_status (&r, 0);
    g_assert_true (g_file_test (onnx, G_FILE_TEST_EXISTS));
  }
}

/* A model file (or a history file) already there is refused unless --force says to replace it. */
static void
test_train_refuses_existing_model (void)
{
  const char *classes[] = { "red", "green", NULL };
  g_autofree char *data = path_in ("kept.csv");
  g_autofree char *model = path_in ("kept.safetensors");
  g_autofree char *other = path_in ("other.safetensors");
  g_autofree char *history = path_in ("kept-history.csv");
  g_autofree char *before = NULL, *after = NULL;
  gsize n_before = 0, n_after = 0;

  write_blobs_csv (data, classes, 40, 0.0, 1);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--history", history, "--epochs", "2", "--seed", "3", "--quiet");
    expect_status (&r, 0);
  }
  g_assert_true (g_file_get_contents (model, &before, &n_before, NULL));
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--epochs", "2", "--seed", "4", "--quiet");
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, model));
    expect_error_line (&r, "--force");
    g_assert_null (strstr (r.out, "Saved"));
  }
  {
    g_auto (Result) r = { 0 };
    /* a new model file, but the history would be overwritten */
    RUN (&r, "train", data, "--out", other, "--history", history, "--epochs", "2", "--quiet");
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, history));
    g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
  }
  g_assert_true (g_file_get_contents (model, &after, &n_after, NULL));
  g_assert_cmpmem (before, n_before, after, n_after);
  g_clear_pointer (&after, g_free);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--history", history, "--epochs", "2", "--seed", "4", "--quiet",
         "--force");
    expect_status (&r, 0);
  }
  g_assert_true (g_file_get_contents (model, &after, &n_after, NULL));
  g_assert_false (n_before == n_after && memcmp (before, after, n_after) == 0);
}

static void
test_train_on_idx (void)
{
  g_autofree char *images = path_in ("bands-images-idx3-ubyte");
  g_autofree char *labels = path_in ("bands-labels-idx1-ubyte");
  g_autofree char *model = path_in ("bands.safetensors");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Result) r = { 0 };
  JsonObject *o;

  write_idx_pair (images, labels, 300);
  RUN (&r, "train", images, "--format", "idx", "--labels", labels, "--out", model, "--preset", "cnn",
       "--epochs", "3");
  expect_status (&r, 0);
  {
    g_auto (Result) i = { 0 };
    RUN (&i, "inspect", "--json", model);
    expect_status (&i, 0);
    json_parser_load_from_data (parser, i.out, -1, &error);
    g_assert_no_error (error);
    o = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (o, "input_shape"), 1), ==, 12);
    g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (o, "provenance"),
                                                      "test_accuracy"), >, 0.6);
  }
}

static char *
write_small_experiment (const char *name)
{
  const char *src_classes[] = { "a", "b", "c", NULL };
  const char *tgt_classes[] = { "d", "e", "f", NULL };
  g_autofree char *src = path_in ("source.csv");
  g_autofree char *tgt = path_in ("target.csv");
  char *path = path_in (name);

  write_blobs_csv (src, src_classes, 100, 0.0, 11);
  write_blobs_csv (tgt, tgt_classes, 60, 0.3, 12);
  tl_test_write_text (path,
              "{\n"
              "  \"name\": \"small\",\n"
              "  \"seed\": 5,\n"
              "  \"source\": { \"format\": \"csv\", \"path\": \"source.csv\", \"label_column\": \"label\" },\n"
              "  \"target\": { \"format\": \"csv\", \"path\": \"target.csv\", \"per_class\": 10,\n"
              "              \"val_fraction\": 0, \"test_fraction\": 0.4 },\n"
              "  \"architecture\": { \"preset\": \"mlp\" },\n"
              "  \"pretrain\": { \"epochs\": 4, \"batch_size\": 16 },\n"
              "  \"transfer\": { \"freeze\": { \"below\": 3 }, \"epochs\": 6, \"batch_size\": 8 },\n"
              "  \"baseline\": true,\n"
              "  \"outputs\": { \"plots\": [\"svg\"] }\n"
              "}\n");
  return path;
}

static void
test_run_small_experiment_with_overrides (void)
{
  g_autofree char *exp = write_small_experiment ("small.json");
  g_autofree char *out = path_in ("small-out");
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (Result) r = { 0 };
  JsonObject *o;
  JsonArray *runs;
  const char *files[] = { "transfer/model.safetensors", "transfer/confusion.csv", "transfer/confusion.svg",
                          "transfer/history.csv", "transfer/curves.svg", "transfer/metrics.json",
                          "transfer/predictions.csv", "baseline/model.safetensors", "pretrain/model.safetensors",
                          "comparison.svg", "domain-map.svg", "experiment.json" };

  RUN (&r, "run", exp, "--out", out, "--set", "pretrain.epochs=2", "--set", "transfer.epochs=3");
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "baseline"));
  o = load_json (parser, summary);
  runs = json_object_get_array_member (o, "runs");
  g_assert_cmpuint (json_array_get_length (runs), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (runs, 0), "name"), ==, "pretrain");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (runs, 0), "epochs"), ==, 2);
  for (guint i = 1; i < 3; i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      double acc = json_object_get_double_member (run, "test_accuracy");
      g_assert_cmpint (json_object_get_int_member (run, "epochs"), ==, 3);
      g_assert_cmpfloat (acc, >=, 0.0);
      g_assert_cmpfloat (acc, <=, 1.0);
    }
  /* frozen layers: fewer trainable parameters in the transfer run */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (runs, 1), "trainable_params"), <,
                   json_object_get_int_member (json_array_get_object_element (runs, 1), "total_params"));
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *p = g_build_filename (out, files[i], NULL);
      if (!g_file_test (p, G_FILE_TEST_EXISTS))
        g_error ("missing %s", p);
    }
  {
    g_autofree char *png = g_build_filename (out, "transfer", "curves.png", NULL);
    g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));   /* plots: svg only */
  }
  {
    /* the domain map before and after fine-tuning, each panel with its A-distance */
    g_autofree char *map = g_build_filename (out, "domain-map.svg", NULL);
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (map, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "<svg"));
    g_assert_cmpuint (strlen (text), >, 20000);
  }
}

static void
test_run_refuses_path_escapes (void)
{
  g_autofree char *exp = write_small_experiment ("escape.json");
  g_autofree char *out = path_in ("escape-out");
  g_autofree char *outside = path_in ("outside");
  g_autofree char *link = g_build_filename (out, "transfer", NULL);

  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--out", out, "--set", "outputs.runs.transfer=../outside");
    expect_status (&r, 2);
    expect_error_line (&r, "..");
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--out", out, "--set", "outputs.runs.baseline=/tmp/abs");
    expect_status (&r, 2);
    expect_error_line (&r, "absolute");
  }
  g_assert_cmpint (g_mkdir_with_parents (out, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (outside, 0755), ==, 0);
  g_assert_cmpint (symlink (outside, link), ==, 0);
  {
    g_auto (Result) r = { 0 };
    g_autofree char *leaked = g_build_filename (outside, "model.safetensors", NULL);
    RUN (&r, "run", exp, "--out", out, "--quiet", "--set", "pretrain.epochs=1", "--set", "transfer.epochs=1");
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "symbolic link"));
    g_assert_false (g_file_test (leaked, G_FILE_TEST_EXISTS));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--set", "transfer.freeze.below=x");
    expect_status (&r, 2);
    expect_error_line (&r, "transfer.freeze.below: expected an integer");
  }
}

static void
test_interrupt_keeps_a_checkpoint (void)
{
  const char *classes[] = { "p", "q", NULL };
  g_autofree char *data = path_in ("long.csv");
  g_autofree char *model = path_in ("long.safetensors");
  g_autofree char *ckpt = path_in ("long.ckpt");
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  char *line;

  write_blobs_csv (data, classes, 1500, 0.0, 9);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, binary,
                           "train", data, "--out", model, "--epochs", "40", "--checkpoint", ckpt, NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  while ((line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error)) != NULL)
    {
      gboolean first_epoch = strstr (line, "epoch 2/40 ") != NULL;
      g_free (line);
      if (first_epoch)
        break;
    }
  g_assert_no_error (error);
  g_subprocess_send_signal (proc, SIGINT);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
  g_assert_nonnull (strstr (err, "--resume"));
  g_assert_nonnull (strstr (err, ckpt));
  g_assert_true (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--epochs", "40", "--checkpoint", ckpt, "--resume", ckpt, "--quiet");
    expect_status (&r, 0);
    g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS));
  }
}

/* summary.json without its wall-clock figures */
static char *
summary_without_times (const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  JsonObject *root = load_json (parser, path);
  JsonArray *runs = json_object_get_array_member (root, "runs");

  if (json_object_has_member (root, "transfer_speedup"))
    json_object_remove_member (root, "transfer_speedup");
  if (json_object_has_member (root, "started"))
    json_object_remove_member (root, "started");
  for (guint i = 0; i < json_array_get_length (runs); i++)
    json_object_remove_member (json_array_get_object_element (runs, i), "train_seconds");
  json_generator_set_root (gen, json_parser_get_root (parser));
  return json_generator_to_data (gen, NULL);
}

static void
assert_same_file (const char *a, const char *b)
{
  g_autofree char *ta = NULL, *tb = NULL;
  gsize na = 0, nb = 0;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (a, &ta, &na, &error);
  g_assert_no_error (error);
  g_file_get_contents (b, &tb, &nb, &error);
  g_assert_no_error (error);
  if (na != nb || memcmp (ta, tb, na) != 0)
    g_error ("%s and %s differ", a, b);
}

static void
test_run_interrupt_and_resume (void)
{
  const char *src_classes[] = { "a", "b", "c", NULL };
  const char *tgt_classes[] = { "d", "e", "f", NULL };
  g_autofree char *src = path_in ("resume-source.csv");
  g_autofree char *tgt = path_in ("resume-target.csv");
  g_autofree char *exp = path_in ("resume.json");
  g_autofree char *out = path_in ("resume-out");
  g_autofree char *ref = path_in ("resume-reference");
  g_autofree char *ckpt_dir = g_build_filename (out, "checkpoints", NULL);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  g_auto (GStrv) argv = NULL;
  const char *command;
  gboolean in_transfer = FALSE;
  char *line;
  const char *models[] = { "pretrain/model.safetensors", "transfer/model.safetensors",
                           "baseline/model.safetensors" };

  write_blobs_csv (src, src_classes, 600, 0.0, 21);
  write_blobs_csv (tgt, tgt_classes, 900, 0.3, 22);
  tl_test_write_text (exp,
              "{\n"
              "  \"name\": \"resumable\",\n"
              "  \"seed\": 7,\n"
              "  \"source\": { \"format\": \"csv\", \"path\": \"resume-source.csv\", \"label_column\": \"label\" },\n"
              "  \"target\": { \"format\": \"csv\", \"path\": \"resume-target.csv\", \"val_fraction\": 0.2,\n"
              "              \"test_fraction\": 0.3 },\n"
              "  \"architecture\": { \"preset\": \"mlp\" },\n"
              "  \"pretrain\": { \"epochs\": 3, \"batch_size\": 16 },\n"
              "  \"transfer\": { \"freeze\": { \"below\": 2 }, \"epochs\": 40, \"batch_size\": 4 },\n"
              "  \"baseline\": true,\n"
              "  \"outputs\": { \"exports\": [\"models\", \"history\", \"metrics\"] }\n"
              "}\n");

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, binary,
                           "run", exp, "--out", out, "--set", "baseline=true", NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  while ((line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error)) != NULL)
    {
      gboolean second_epoch;

      in_transfer |= strstr (line, "[transfer]") != NULL;
      second_epoch = in_transfer && strstr (line, "epoch 2/40 ") != NULL;
      g_free (line);
      if (second_epoch)
        break;
    }
  g_assert_no_error (error);
  g_assert_true (in_transfer);
  g_subprocess_send_signal (proc, SIGINT);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
  g_assert_true (g_file_test (ckpt_dir, G_FILE_TEST_IS_DIR));

  /* the command it printed, run as printed */
  command = strstr (err, "continue with: transfer-lab run ");
  if (command == NULL)
    g_error ("no resume command in:\n%s", err);
  command += strlen ("continue with: transfer-lab ");
  {
    g_autofree char *one_line = g_strndup (command, strcspn (command, "\n"));
    g_assert_true (g_shell_parse_argv (one_line, NULL, &argv, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpstr (argv[g_strv_length (argv) - 1], ==, "--resume");
  {
    g_auto (Result) r = { 0 };
    const char *transfer, *baseline;

    run_argv (&r, (const char *const *) argv);
    expect_status (&r, 0);
    g_assert_false (g_file_test (ckpt_dir, G_FILE_TEST_EXISTS));
    /* pretraining is loaded, and the transfer goes on from its checkpoint */
    g_assert_null (strstr (r.out, "[pretrain]"));
    g_assert_nonnull (strstr (r.out, "loaded"));
    transfer = strstr (r.out, "[transfer]");
    baseline = strstr (r.out, "[baseline]");
    g_assert_true (transfer != NULL && baseline != NULL && transfer < baseline);
    g_assert_null (g_strstr_len (transfer, baseline - transfer, "epoch 1/40 "));
    g_assert_nonnull (g_strstr_len (transfer, baseline - transfer, "epoch 40/40 "));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--out", ref, "--set", "baseline=true", "--quiet");
    expect_status (&r, 0);
  }
  {
    g_autofree char *a = g_build_filename (ref, "summary.json", NULL);
    g_autofree char *b = g_build_filename (out, "summary.json", NULL);
    g_autofree char *ta = summary_without_times (a);
    g_autofree char *tb = summary_without_times (b);
    g_assert_cmpstr (ta, ==, tb);
  }
  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autofree char *a = g_build_filename (ref, models[i], NULL);
      g_autofree char *b = g_build_filename (out, models[i], NULL);
      assert_same_file (a, b);
    }
  /* a results folder of another experiment is refused, and left alone */
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--out", out, "--set", "transfer.epochs=41", "--resume", "--quiet");
    expect_status (&r, 1);
    expect_error_line (&r, "experiment.json");
    g_assert_nonnull (strstr (r.err, out));
  }
  /* an experiment whose source is a model file, with no source data: its
   * results folder's record reads back, so the run continues */
  {
    g_autofree char *model = g_build_filename (ref, "pretrain", "model.safetensors", NULL);
    g_autofree char *exp2 = path_in ("resume-pretrained.json");
    g_autofree char *out2 = path_in ("resume-pretrained-out");
    g_autofree char *text = g_strdup_printf (
      "{ \"name\": \"from-a-model\", \"seed\": 7, \"pretrain\": { \"model\": \"%s\" },\n"
      "  \"target\": { \"format\": \"csv\", \"path\": \"resume-target.csv\", \"test_fraction\": 0.3 },\n"
      "  \"transfer\": { \"freeze\": { \"below\": 2 }, \"epochs\": 3, \"batch_size\": 8 } }\n", model);
    g_auto (Result) first = { 0 };
    g_auto (Result) again = { 0 };

    tl_test_write_text (exp2, text);
    RUN (&first, "run", exp2, "--out", out2, "--quiet");
    expect_status (&first, 0);
    RUN (&again, "run", exp2, "--out", out2, "--resume");
    expect_status (&again, 0);
    g_assert_nonnull (strstr (again.out, "loaded"));
  }
}

static void
test_run_fashion_split_reduced (void)
{
  g_autofree char *exp = NULL;
  g_autofree char *out = path_in ("fashion");
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (Result) r = { 0 };
  JsonArray *runs;

  if ((exp = tl_test_fashion_split ()) == NULL)
    return;
  RUN (&r, "run", exp, "--out", out, "--quiet", "--set", "source.per_class=80", "--set", "pretrain.epochs=2",
       "--set", "transfer.epochs=10", "--set", "target.test_per_class=100", "--set", "outputs.plots=[\"png\"]");
  expect_status (&r, 0);
  runs = json_object_get_array_member (load_json (parser, summary), "runs");
  g_assert_cmpuint (json_array_get_length (runs), ==, 3);
  {
    JsonObject *transfer = json_array_get_object_element (runs, 1);
    g_assert_cmpstr (json_object_get_string_member (transfer, "name"), ==, "transfer");
    g_test_message ("transfer accuracy %.3f, baseline %.3f",
                    json_object_get_double_member (transfer, "test_accuracy"),
                    json_object_get_double_member (json_array_get_object_element (runs, 2), "test_accuracy"));
    g_assert_cmpfloat (json_object_get_double_member (transfer, "test_accuracy"), >, 0.2);
    g_assert_cmpint (json_object_get_int_member (transfer, "test_samples"), ==, 500);
  }
}

static void
test_run_sentiment (void)
{
  const char *shared = g_getenv ("TL_SHARED_DATA");
  const char *src = g_getenv ("TL_SOURCE_DIR");
  g_autofree char *books = NULL, *kitchen = NULL, *exp = NULL, *set_src = NULL, *set_tgt = NULL;
  g_autofree char *out = path_in ("sentiment");
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (Result) r = { 0 };

  books = shared ? g_build_filename (shared, "sentiment", "books.csv", NULL) : NULL;
  kitchen = shared ? g_build_filename (shared, "sentiment", "kitchen.csv", NULL) : NULL;
  if (books == NULL || !g_file_test (books, G_FILE_TEST_EXISTS) || !g_file_test (kitchen, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the sentiment data are not in TL_SHARED_DATA");
      return;
    }
  exp = g_build_filename (src, "data", "experiments", "sentiment.json", NULL);
  set_src = g_strdup_printf ("source.path=%s", books);
  set_tgt = g_strdup_printf ("target.path=%s", kitchen);
  RUN (&r, "run", exp, "--out", out, "--quiet", "--set", set_src, "--set", set_tgt, "--set", "pretrain.epochs=2",
       "--set", "transfer.epochs=2", "--set", "source.per_class=300", "--set", "outputs.exports=[\"metrics\"]");
  expect_status (&r, 0);
  {
    /* the book model as it is, each strategy, and the model from scratch, all on the same kitchen test rows */
    static const char *const names[] = { "pretrain", "source-only", "domain-adversarial", "transfer", "joint",
                                         "self-training", "baseline" };
    JsonObject *root = load_json (parser, summary);
    JsonArray *runs = json_object_get_array_member (root, "runs");

    g_assert_cmpuint (json_array_get_length (runs), ==, G_N_ELEMENTS (names));
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        JsonObject *run = json_array_get_object_element (runs, i);
        g_assert_cmpstr (json_object_get_string_member (run, "name"), ==, names[i]);
        if (i > 0)
          g_assert_cmpint (json_object_get_int_member (run, "test_samples"), ==, 1000);
      }
    /* the vocabulary also counted the kitchen reviews the runs do not test on */
    g_assert_cmpint (json_object_get_int_member (root, "unlabeled_target_texts"), ==, 1000);
  }
}

/* Two strategies side by side from the command line, one of them without target
 * labels at all; and a supervised strategy refused when the target has none. */
static void
test_run_strategies (void)
{
  const char *shared = g_getenv ("TL_SHARED_DATA");
  const char *src = g_getenv ("TL_SOURCE_DIR");
  g_autofree char *books = NULL, *dvd = NULL, *exp = NULL, *set_src = NULL, *set_tgt = NULL;
  g_autofree char *out = path_in ("strategies");
  g_autofree char *refused = path_in ("strategies-refused");
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  g_autofree char *bars = g_build_filename (out, "accuracy.svg", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (Result) r = { 0 };
  g_auto (Result) bad = { 0 };

  books = shared ? g_build_filename (shared, "sentiment", "books.csv", NULL) : NULL;
  dvd = shared ? g_build_filename (shared, "sentiment", "dvd.csv", NULL) : NULL;
  if (books == NULL || !g_file_test (books, G_FILE_TEST_EXISTS) || !g_file_test (dvd, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the sentiment data are not in TL_SHARED_DATA");
      return;
    }
  exp = g_build_filename (src, "data", "experiments", "sentiment.json", NULL);
  set_src = g_strdup_printf ("source.path=%s", books);
  set_tgt = g_strdup_printf ("target.path=%s", dvd);
  RUN (&r, "run", exp, "--out", out, "--quiet", "--set", set_src, "--set", set_tgt, "--set", "pretrain.epochs=2",
       "--set", "transfer.epochs=2", "--set", "source.per_class=200", "--set", "baseline=false",
       "--set", "transfer.strategy=[\"joint\", \"domain-adversarial\"]",
       "--set", "outputs.exports=[\"metrics\", \"curves\"]", "--set", "outputs.plots=[\"svg\"]");
  expect_status (&r, 0);
  {
    JsonArray *runs = json_object_get_array_member (load_json (parser, summary), "runs");
    g_assert_cmpuint (json_array_get_length (runs), ==, 4);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (runs, 2), "name"), ==, "joint");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (runs, 3), "name"), ==,
                     "domain-adversarial");
    g_assert_true (g_file_test (bars, G_FILE_TEST_EXISTS));
  }

  /* no target labels: fine-tuning cannot work, and says so before any training */
  RUN (&bad, "run", exp, "--out", refused, "--quiet", "--set", set_src, "--set", set_tgt,
       "--set", "target.use_labels=false", "--set", "baseline=false", "--set", "transfer.strategy=fine-tune");
  expect_status (&bad, 2);
  g_assert_nonnull (strstr (bad.err, "transfer.strategy: "));
  g_assert_nonnull (strstr (bad.err, "learn from labelled target samples"));
  {
    g_autofree char *pretrained = g_build_filename (refused, "pretrain", NULL);
    g_assert_false (g_file_test (pretrained, G_FILE_TEST_EXISTS));
  }
}

/* ---- run history: a user's day ---- */

/* The run folders of a history root. */
static GPtrArray *
run_folders (const char *root)
{
  g_autoptr (GDir) dir = g_dir_open (root, 0, NULL);
  GPtrArray *folders = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *folder = g_build_filename (root, name, NULL);
      if (g_file_test (folder, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (folders, g_steal_pointer (&folder));
    }
  return folders;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a, *y = *(const char *const *) b;

  const size_t lx = strlen (x), ly = strlen (y);
  int c = strncmp (x, y, MIN (lx, ly));

  /* by time, then "T20-40-12" < "T20-40-12-2" < "T20-40-13" */
  if (c != 0)
    return c;
  return lx < ly ? -1 : lx > ly;
}

static JsonObject *
summary_run (JsonParser *parser, const char *folder, const char *name)
{
  g_autofree char *path = g_build_filename (folder, "summary.json", NULL);
  JsonArray *runs = json_object_get_array_member (load_json (parser, path), "runs");

  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      if (g_strcmp0 (json_object_get_string_member (run, "name"), name) == 0)
        return run;
    }
  g_error ("%s: no run '%s' in its summary", folder, name);
}

static char *
write_day_experiment (const char *dir)
{
  const char *classes[] = { "a", "b", "c", NULL };
  g_autofree char *src = g_build_filename (dir, "source.csv", NULL);
  g_autofree char *tgt = g_build_filename (dir, "target.csv", NULL);
  char *path = g_build_filename (dir, "day.json", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  write_blobs_csv (src, classes, 80, 0.0, 21);
  write_blobs_csv (tgt, classes, 40, 0.4, 22);
  tl_test_write_text (path,
              "{\n"
              "  \"name\": \"history-day\",\n"
              "  \"seed\": 3,\n"
              "  \"source\": { \"format\": \"csv\", \"path\": \"source.csv\", \"label_column\": \"label\" },\n"
              "  \"target\": { \"format\": \"csv\", \"path\": \"target.csv\", \"per_class\": 10,\n"
              "              \"val_fraction\": 0, \"test_fraction\": 0.4 },\n"
              "  \"architecture\": { \"preset\": \"mlp\" },\n"
              "  \"pretrain\": { \"epochs\": 3, \"batch_size\": 16 },\n"
              "  \"transfer\": { \"freeze\": { \"below\": 2 }, \"epochs\": 3, \"batch_size\": 8 },\n"
              "  \"baseline\": true,\n"
              "  \"outputs\": { \"plots\": [\"svg\"] }\n"
              "}\n");
  return path;
}

/* Run, change a fine-tuning setting, run again: both kept in dated folders,
 * pretraining reused and said so, history and compare show the change;
 * --retrain trains again. */
static void
test_run_history_day (void)
{
  g_autofree char *dir = path_in ("day");
  g_autofree char *exp = write_day_experiment (dir);
  g_autofree char *root = g_build_filename (dir, "results", "history-day", NULL);
  g_autofree char *index = g_build_filename (root, "runs.json", NULL);
  g_autoptr (GPtrArray) folders = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *first, *second;

  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--quiet");
    expect_status (&r, 0);
    g_assert_null (strstr (r.out, "reused"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--set", "transfer.epochs=5");
    expect_status (&r, 0);
    /* pretraining is not trained again, and the run says so */
    g_assert_nonnull (strstr (r.out, "pretrain: inputs unchanged since"));
    g_assert_null (strstr (r.out, "pretrain  epoch 1/3"));
    g_assert_nonnull (strstr (r.out, "transfer  epoch 5/5"));
    g_assert_nonnull (strstr (r.out, "pretrain: reused from"));
  }
  folders = run_folders (root);
  g_ptr_array_sort (folders, compare_paths);
  g_assert_cmpuint (folders->len, ==, 2);
  first = g_ptr_array_index (folders, 0);
  second = g_ptr_array_index (folders, 1);
  {
    g_autofree char *name = g_path_get_basename (first);
    g_assert_true (g_regex_match_simple ("^\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d$", name, 0, 0));
  }
  /* both runs' results are kept, each with its model and the experiment as run */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *model = g_build_filename (g_ptr_array_index (folders, i), "transfer", "model.safetensors", NULL);
      g_autofree char *record = g_build_filename (g_ptr_array_index (folders, i), "experiment.json", NULL);
      g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS));
      g_assert_true (g_file_test (record, G_FILE_TEST_EXISTS));
    }
  {
    JsonObject *pre1 = summary_run (parser, first, "pretrain");
    g_autofree char *hash1 = g_strdup (json_object_get_string_member (pre1, "inputs_hash"));
    g_autoptr (JsonParser) p2 = json_parser_new ();
    JsonObject *pre2 = summary_run (p2, second, "pretrain");
    JsonObject *tr2 = NULL;

    g_assert_true (json_object_get_null_member (pre1, "reused_from"));
    g_assert_cmpuint (strlen (hash1), ==, 64);
    g_assert_cmpstr (json_object_get_string_member (pre2, "inputs_hash"), ==, hash1);
    g_assert_cmpstr (json_object_get_string_member (pre2, "reused_from"), ==, first);
    g_assert_cmpint (json_object_get_int_member (pre2, "epochs"), ==, 3);
    tr2 = summary_run (p2, second, "transfer");
    g_assert_true (json_object_get_null_member (tr2, "reused_from"));
    g_assert_cmpint (json_object_get_int_member (tr2, "epochs"), ==, 5);
  }
  /* the index lists both, with the key that changed */
  {
    JsonObject *o = load_json (parser, index);
    JsonArray *runs = json_object_get_array_member (o, "runs");
    JsonObject *r2;

    g_assert_cmpuint (json_array_get_length (runs), ==, 2);
    r2 = json_array_get_object_element (runs, 1);
    g_assert_cmpstr (json_object_get_string_member (r2, "folder"), ==, second);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r2, "changes")), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (r2, "changes"), 0), ==,
                     "transfer.epochs");
    g_assert_true (json_object_has_member (json_object_get_object_member (r2, "reused"), "pretrain"));
  }
  {
    g_auto (Result) r = { 0 };
    g_autofree char *id = g_path_get_basename (second);
    RUN (&r, "history", exp);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, id));
    g_assert_nonnull (strstr (r.out, "transfer.epochs"));
    g_assert_nonnull (strstr (r.out, "(first run)"));
    g_assert_cmpstr (r.err, ==, "");
  }
  {
    g_auto (Result) r = { 0 };
    g_autoptr (JsonParser) p = json_parser_new ();
    g_autoptr (GError) error = NULL;
    JsonArray *runs;

    RUN (&r, "history", exp, "--json");
    expect_status (&r, 0);
    json_parser_load_from_data (p, r.out, -1, &error);
    g_assert_no_error (error);
    runs = json_object_get_array_member (json_node_get_object (json_parser_get_root (p)), "runs");
    g_assert_cmpuint (json_array_get_length (runs), ==, 2);
    g_assert_true (json_object_has_member (json_object_get_object_member (json_array_get_object_element (runs, 0),
                                                                          "accuracy"), "transfer"));
  }
  /* compare: the differing setting, metrics side by side, the confusion matrices' difference */
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "compare", first, second);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "transfer.epochs: 3 → 5"));
    g_assert_nonnull (strstr (r.out, "accuracy A"));
    g_assert_nonnull (strstr (r.out, "transfer"));
    /* pretraining reused: its confusion matrix cannot have changed */
    g_assert_nonnull (strstr (r.out, "pretrain: the confusion matrices are the same"));
  }
  {
    g_auto (Result) r = { 0 };
    g_autoptr (JsonParser) p = json_parser_new ();
    g_autoptr (GError) error = NULL;
    JsonObject *o;
    JsonArray *settings, *confusion;
    gint64 total = 0;

    RUN (&r, "compare", first, second, "--json");
    expect_status (&r, 0);
    json_parser_load_from_data (p, r.out, -1, &error);
    g_assert_no_error (error);
    o = json_node_get_object (json_parser_get_root (p));
    settings = json_object_get_array_member (o, "settings");
    g_assert_cmpuint (json_array_get_length (settings), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (settings, 0), "key"), ==,
                     "transfer.epochs");
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (settings, 0), "b"), ==, 5);
    confusion = json_object_get_array_member (o, "confusion");
    g_assert_cmpuint (json_array_get_length (confusion), >=, 3);
    /* each difference is B - A, so a row's differences add up to 0 (the same test rows) */
    for (guint i = 0; i < json_array_get_length (confusion); i++)
      {
        JsonObject *d = json_array_get_object_element (confusion, i);
        JsonArray *rows = json_object_get_array_member (d, "difference");
        for (guint t = 0; t < json_array_get_length (rows); t++)
          {
            JsonArray *row = json_array_get_array_element (rows, t);
            gint64 sum = 0;
            for (guint k = 0; k < json_array_get_length (row); k++)
              sum += json_array_get_int_element (row, k);
            g_assert_cmpint (sum, ==, 0);
            total += sum;
          }
      }
    g_assert_cmpint (total, ==, 0);
  }
  /* --retrain: every stage trained again, nothing reused */
  {
    g_auto (Result) r = { 0 };
    g_autoptr (GPtrArray) now = NULL;
    g_autoptr (JsonParser) p3 = json_parser_new ();
    const char *third;

    RUN (&r, "run", exp, "--set", "transfer.epochs=5", "--retrain");
    expect_status (&r, 0);
    g_assert_null (strstr (r.out, "reused"));
    g_assert_nonnull (strstr (r.out, "pretrain  epoch 3/3"));
    now = run_folders (root);
    g_ptr_array_sort (now, compare_paths);
    g_assert_cmpuint (now->len, ==, 3);
    third = g_ptr_array_index (now, 2);
    g_assert_true (json_object_get_null_member (summary_run (p3, third, "pretrain"), "reused_from"));
  }
  /* a run with the same settings reuses every stage that trains */
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--set", "transfer.epochs=5", "--quiet");
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "transfer: reused from"));
    g_assert_nonnull (strstr (r.out, "baseline: reused from"));
  }
}

/* --out names one folder: a finished run there is kept unless --force. */
static void
test_run_out_refuses_finished_run (void)
{
  g_autofree char *dir = path_in ("out-force");
  g_autofree char *exp = write_day_experiment (dir);
  g_autofree char *out = g_build_filename (dir, "mine", NULL);
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  g_autofree char *root = g_build_filename (dir, "results", NULL);
  g_autofree char *before = NULL, *after = NULL;

  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--out", out, "--quiet", "--set", "baseline=false");
    expect_status (&r, 0);
  }
  g_assert_true (g_file_get_contents (summary, &before, NULL, NULL));
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--out", out, "--quiet", "--set", "transfer.epochs=2");
    expect_status (&r, 1);
    expect_error_line (&r, "--force");
    g_assert_nonnull (strstr (r.err, "finished run"));
    g_assert_true (g_file_get_contents (summary, &after, NULL, NULL));
    g_assert_cmpstr (before, ==, after);
  }
  {
    g_auto (Result) r = { 0 };
    g_autoptr (JsonParser) parser = json_parser_new ();
    RUN (&r, "run", exp, "--out", out, "--quiet", "--set", "transfer.epochs=2", "--force");
    expect_status (&r, 0);
    g_assert_cmpint (json_object_get_int_member (summary_run (parser, out, "transfer"), "epochs"), ==, 2);
  }
  /* --out runs stay out of the history folder */
  g_assert_false (g_file_test (root, G_FILE_TEST_EXISTS));
}

/* A broken runs.json is reported, the runs are still listed, and the next run rewrites it. */
static void
test_history_tolerates_broken_index (void)
{
  g_autofree char *dir = path_in ("broken-index");
  g_autofree char *exp = write_day_experiment (dir);
  g_autofree char *root = g_build_filename (dir, "results", "history-day", NULL);
  g_autofree char *index = g_build_filename (root, "runs.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();

  {
    g_auto (Result) r = { 0 };
    RUN (&r, "history", exp);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "No runs yet"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--quiet", "--set", "baseline=false", "--strategy", "fine-tune,joint");
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "joint"));
  }
  tl_test_write_text (index, "{ \"runs\": [ oops");
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "history", exp);
    expect_status (&r, 0);
    expect_error_line (&r, "runs.json");
    g_assert_nonnull (strstr (r.err, "listed from their folders"));
    g_assert_nonnull (strstr (r.out, "finished"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--quiet", "--set", "baseline=false", "--strategy", "fine-tune");
    expect_status (&r, 0);
  }
  {
    JsonObject *o = load_json (parser, index);
    JsonArray *runs = json_object_get_array_member (o, "runs");
    g_assert_cmpuint (json_array_get_length (runs), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (
                       json_object_get_array_member (json_array_get_object_element (runs, 1), "changes"), 0),
                     ==, "transfer.strategy");
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", exp, "--strategy", "fine-tune,nonsense");
    expect_status (&r, 2);
    expect_error_line (&r, "--strategy");
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "compare", root, exp);
    expect_status (&r, 1);
    expect_error_line (&r, "experiment.json");
  }
}

/* Reviews of two kinds, each with a word only its class uses, for a tiny n-gram model. */
static void
write_reviews_csv (const char *path, int per_class)
{
  const char *good[] = { "great", "lovely", "superb", "fine" };
  const char *bad[] = { "awful", "broken", "poor", "dreadful" };
  const char *filler[] = { "the", "kettle", "arrived", "today", "and", "it", "is", "a", "pan" };
  g_autoptr (GString) s = g_string_new ("text,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);

  for (int i = 0; i < 2 * per_class; i++)
    {
      gboolean positive = i % 2 == 0;
      for (int w = 0; w < 6; w++)
        g_string_append_printf (s, "%s ", filler[g_rand_int_range (rand, 0, 9)]);
      g_string_append_printf (s, "%s,%s\n", positive ? good[i / 2 % 4] : bad[i / 2 % 4],
                              positive ? "positive" : "negative");
    }
  tl_test_write_text (path, s->str);
}

/* assess: one row per cut with the recommended one marked, LEEP only at the output, JSON,
 * a target with classes of its own, two models ranked, and the A-distance with --source. */
static void
test_assess (void)
{
  const char *classes[] = { "red", "green", "blue", NULL };
  const char *other[] = { "cat", "dog", NULL };
  g_autofree char *data = path_in ("assess-blobs.csv");
  g_autofree char *target = path_in ("assess-target.csv");
  g_autofree char *model = path_in ("assess-mlp.safetensors");
  g_autofree char *model2 = path_in ("assess-mlp2.safetensors");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  write_blobs_csv (data, classes, 60, 0.0, 1);
  write_blobs_csv (target, other, 60, 1.0, 2);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--preset", "mlp", "--epochs", "4", "--seed", "3");
    expect_status (&r, 0);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model2, "--preset", "mlp", "--epochs", "1", "--seed", "4");
    expect_status (&r, 0);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "assess", model, data);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "LogME"));
    g_assert_nonnull (strstr (r.out, "relu1"));
    g_assert_nonnull (strstr (r.out, "relu2"));
    g_assert_nonnull (strstr (r.out, "dense3"));
    g_assert_nonnull (strstr (r.out, "← "));
    g_assert_nonnull (strstr (r.out, "evidence for the best"));
  }
  {
    /* the target's labels are not the model's: LogME and LEEP use the target's own */
    g_auto (Result) r = { 0 };
    JsonObject *m;
    JsonArray *cuts;
    int recommended = 0, best_index = -1, rec_index = -1;
    gint64 best_layer;

    RUN (&r, "assess", model, target, "--json", "--source", data);
    expect_status (&r, 0);
    json_parser_load_from_data (parser, r.out, -1, &error);
    g_assert_no_error (error);
    m = json_array_get_object_element (json_object_get_array_member (
                                         json_node_get_object (json_parser_get_root (parser)), "models"), 0);
    g_assert_cmpint (json_object_get_int_member (m, "n_classes"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (m, "n_samples"), ==, 120);
    cuts = json_object_get_array_member (m, "cuts");
    g_assert_cmpuint (json_array_get_length (cuts), ==, 3);
    for (guint c = 0; c < 3; c++)
      {
        JsonObject *cut = json_array_get_object_element (cuts, c);
        gboolean last = c == 2;
        g_assert_true (isfinite (json_object_get_double_member (cut, "logme")));
        g_assert_true (json_object_get_null_member (cut, "leep") != last);
        g_assert_cmpfloat (json_object_get_double_member (cut, "a_distance"), >=, 0.0);
        recommended += json_object_get_boolean_member (cut, "recommended");
        if (json_object_get_boolean_member (cut, "recommended"))
          rec_index = c;
      }
    g_assert_cmpint (recommended, ==, 1);
    /* the recommended cut is the lowest against which the evidence for the best (below the output)
     * is not strong: a log Bayes factor, 120 rows x 2 classes x the LogME gap, under ln 20 */
    best_layer = json_object_get_int_member (m, "best_layer");
    for (guint c = 0; c < 3; c++)
      if (json_object_get_int_member (json_array_get_object_element (cuts, c), "layer") == best_layer)
        best_index = c;
    g_assert_cmpint (best_index, >=, 0);
    g_assert_cmpint (best_index, <, 2);
    g_assert_cmpint (rec_index, <=, best_index);
    for (int c = 0; c < 3; c++)
      {
        JsonObject *cut = json_array_get_object_element (cuts, c);
        double gap = json_object_get_double_member (json_array_get_object_element (cuts, best_index), "logme")
                     - json_object_get_double_member (cut, "logme");
        if (c > best_index)
          {
            g_assert_true (json_object_get_null_member (cut, "evidence_for_best"));
            continue;
          }
        g_assert_cmpfloat_with_epsilon (json_object_get_double_member (cut, "evidence_for_best"), 240 * gap, 1e-6);
        if (c < rec_index)
          g_assert_cmpfloat (240 * gap, >=, log (20));
        if (c == rec_index)
          g_assert_cmpfloat (240 * gap, <, log (20));
      }
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "assess", model, data, "--model", model2);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "assess-mlp.safetensors"));
    g_assert_nonnull (strstr (r.out, "assess-mlp2.safetensors"));
    g_assert_nonnull (strstr (r.out, "Models ranked for this target"));
    g_assert_nonnull (strstr (r.out, "highest LEEP"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "assess", model);
    expect_status (&r, 2);
  }
}

/* Distinct colours in the columns [x0, x1) of a PNG: a drawn map has many, an empty panel a few. */
static int
png_colours (cairo_surface_t *png, int x0, int x1)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  const guint8 *data = cairo_image_surface_get_data (png);
  int stride = cairo_image_surface_get_stride (png);

  for (int y = 0; y < cairo_image_surface_get_height (png); y++)
    for (int x = x0; x < x1; x++)
      g_hash_table_add (seen, GUINT_TO_POINTER (((const guint32 *) (data + (gsize) y * stride))[x] & 0xffffff));
  return g_hash_table_size (seen);
}

/* assess --map: the domain map before and after, as PNG and SVG, with the A-distances said. */
static void
test_assess_map (void)
{
  const char *classes[] = { "red", "green", "blue", NULL };
  const char *other[] = { "cat", "dog", NULL };
  g_autofree char *data = path_in ("map-blobs.csv");
  g_autofree char *target = path_in ("map-target.csv");
  g_autofree char *model = path_in ("map-mlp.safetensors");
  g_autofree char *tuned = path_in ("map-mlp2.safetensors");
  g_autofree char *png = path_in ("map.png");
  g_autofree char *svg = path_in ("map.svg");

  write_blobs_csv (data, classes, 60, 0.0, 1);
  write_blobs_csv (target, other, 60, 3.0, 2);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--preset", "mlp", "--epochs", "4", "--seed", "3");
    expect_status (&r, 0);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", target, "--out", tuned, "--preset", "mlp", "--epochs", "2", "--seed", "5");
    expect_status (&r, 0);
  }
  {
    g_auto (Result) r = { 0 };
    cairo_surface_t *image;

    RUN (&r, "assess", model, target, "--source", data, "--map", png, "--after", tuned);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "LogME"));
    g_assert_nonnull (strstr (r.err, "A-distance"));
    g_assert_nonnull (strstr (r.err, "after"));
    image = cairo_image_surface_create_from_png (png);
    g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);
    /* two panels side by side, each with points of two colours in several shapes */
    g_assert_cmpint (cairo_image_surface_get_width (image), ==, 2 * cairo_image_surface_get_height (image));
    g_test_message ("map colours: left %d, right %d", png_colours (image, 0, cairo_image_surface_get_width (image) / 2),
                    png_colours (image, cairo_image_surface_get_width (image) / 2, cairo_image_surface_get_width (image)));
    g_assert_cmpint (png_colours (image, 0, cairo_image_surface_get_width (image) / 2), >, 100);
    g_assert_cmpint (png_colours (image, cairo_image_surface_get_width (image) / 2,
                                  cairo_image_surface_get_width (image)), >, 100);
    cairo_surface_destroy (image);
  }
  {
    g_auto (Result) r = { 0 };
    g_autofree char *text = NULL;

    RUN (&r, "assess", model, target, "--source", data, "--map", svg, "--map-layer", "0");
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.err, "layer 0"));
    g_assert_true (g_file_get_contents (svg, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "<svg"));
  }
  {
    /* a map needs the source; the layer must exist; the format must be known */
    g_auto (Result) r = { 0 }, r2 = { 0 }, r3 = { 0 };
    g_autofree char *bad = path_in ("map.bmp");

    RUN (&r, "assess", model, target, "--map", png);
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, "--source"));
    RUN (&r2, "assess", model, target, "--source", data, "--map", png, "--map-layer", "99");
    expect_status (&r2, 1);
    g_assert_nonnull (strstr (r2.err, "99"));
    RUN (&r3, "assess", model, target, "--source", data, "--map", bad);
    expect_status (&r3, 1);
    g_assert_nonnull (strstr (r3.err, "map.bmp"));
  }
}

/* explain: heat maps for images, term scores for text, feature scores for tabular rows. */
static void
test_explain (void)
{
  const char *classes[] = { "red", "green", "blue", NULL };
  g_autofree char *images = path_in ("explain-images-idx3-ubyte");
  g_autofree char *labels = path_in ("explain-labels-idx1-ubyte");
  g_autofree char *image_model = path_in ("explain-cnn.safetensors");
  g_autofree char *reviews = path_in ("explain-reviews.csv");
  g_autofree char *text_model = path_in ("explain-text.safetensors");
  g_autofree char *blobs = path_in ("explain-blobs.csv");
  g_autofree char *blob_model = path_in ("explain-mlp.safetensors");
  g_autofree char *out = path_in ("explained");

  write_idx_pair (images, labels, 150);
  write_reviews_csv (reviews, 60);
  write_blobs_csv (blobs, classes, 40, 0.0, 5);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", images, "--format", "idx", "--labels", labels, "--out", image_model, "--preset", "cnn",
         "--epochs", "2");
    expect_status (&r, 0);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", reviews, "--out", text_model, "--epochs", "8", "--min-df", "1");
    expect_status (&r, 0);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", blobs, "--out", blob_model, "--preset", "mlp", "--epochs", "3");
    expect_status (&r, 0);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "explain", image_model, images, "--format", "idx", "--labels", labels, "--rows", "0,4", "--out", out);
    expect_status (&r, 0);
    for (int row = 0; row <= 4; row += 4)
      for (int k = 0; k < 4; k++)
        {
          const char *names[] = { "occlusion.png", "occlusion.svg", "gradients.png", "gradients.svg" };
          g_autofree char *name = g_strdup_printf ("row-%d-%s", row, names[k]);
          g_autofree char *path = g_build_filename (out, name, NULL);
          g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
        }
  }
  {
    /* the class word of row 0 ("great") scores highest by occlusion */
    g_auto (Result) r = { 0 };
    g_autofree char *csv = NULL;
    g_autofree char *path = g_build_filename (out, "row-0-terms.csv", NULL);
    g_auto (GStrv) lines = NULL;
    double best = -1;
    char *best_term = NULL;

    RUN (&r, "explain", text_model, reviews, "--rows", "0", "--out", out);
    expect_status (&r, 0);
    g_assert_true (g_file_get_contents (path, &csv, NULL, NULL));
    g_assert_true (g_str_has_prefix (csv, "position,term,weight,occlusion,integrated_gradients\n"));
    lines = g_strsplit (csv, "\n", -1);
    for (int i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
      {
        g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
        g_assert_cmpuint (g_strv_length (f), ==, 5);
        if (g_ascii_strtod (f[3], NULL) > best)
          {
            best = g_ascii_strtod (f[3], NULL);
            g_free (best_term);
            best_term = g_strdup (f[1]);
          }
      }
    g_assert_nonnull (best_term);
    g_assert_nonnull (strstr (best_term, "great"));
    g_assert_cmpfloat (best, >, 0.0);
    g_free (best_term);
  }
  {
    g_auto (Result) r = { 0 };
    g_autofree char *path = g_build_filename (out, "row-2-features.csv", NULL);
    RUN (&r, "explain", blob_model, blobs, "--rows", "2", "--out", out);
    expect_status (&r, 0);
    g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "explain", blob_model, blobs, "--rows", "100000", "--out", out);
    expect_status (&r, 2);
  }
}

/* The demo's synthetic source is made on first use: a missing source folder whose
 * experiment names a generator is generated before the run, once; a failing
 * generator's own words reach the error. */
static void
test_run_generates_missing_source (void)
{
  const char *src = g_getenv ("TL_SOURCE_DIR");
  g_autofree char *dir = path_in ("generated");
  g_autofree char *shipped = NULL, *generator = NULL, *exp_path = NULL, *broken_path = NULL, *fail_sh = NULL;
  g_autofree char *folder = NULL, *out = NULL, *summary = NULL, *text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root, *source;

  g_assert_nonnull (src);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  shipped = g_build_filename (src, "data", "experiments", "spoken-digits.json", NULL);
  generator = g_build_filename (src, "tools", "make-synthetic-digits.py", NULL);
  folder = g_build_filename (dir, "voices", NULL);
  out = g_build_filename (dir, "out", NULL);
  summary = g_build_filename (out, "summary.json", NULL);
  exp_path = g_build_filename (dir, "spoken-digits.json", NULL);
  broken_path = g_build_filename (dir, "broken.json", NULL);
  fail_sh = g_build_filename (dir, "fail.sh", NULL);

  /* the shipped experiment, with its source moved to a folder that is not there yet */
  g_assert_true (json_parser_load_from_file (parser, shipped, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  source = json_object_get_object_member (root, "source");
  json_object_set_string_member (source, "path", "voices");
  json_object_set_string_member (source, "generate", generator);
  json_object_set_string_member (json_object_get_object_member (root, "target"), "path", "voices");
  json_generator_set_root (gen, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (gen, exp_path, &error));

  /* a generator that fails: its message is in the error, and nothing half made is left */
  tl_test_write_text (fail_sh, "#!/bin/sh\necho 'make-synthetic-digits: espeak-ng is not installed' >&2\nexit 1\n");
  g_assert_cmpint (g_chmod (fail_sh, 0755), ==, 0);
  json_object_set_string_member (source, "generate", "fail.sh");
  g_assert_true (json_generator_to_file (gen, broken_path, &error));
  {
    g_auto (Result) r = { 0 };
    g_autoptr (GDir) listing = NULL;
    const char *name;

    RUN (&r, "run", broken_path, "--out", out, "--quiet");
    expect_status (&r, 1);
    expect_error_line (&r, "espeak-ng is not installed");
    g_assert_nonnull (strstr (r.err, "could not be generated"));
    g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
    listing = g_dir_open (dir, 0, &error);
    g_assert_no_error (error);
    while ((name = g_dir_read_name (listing)) != NULL)
      g_assert_null (strstr (name, "partial"));
  }

  {
    g_autofree char *espeak = g_find_program_in_path ("espeak-ng");
    g_autofree char *sox = g_find_program_in_path ("sox");
    g_autofree char *python = g_find_program_in_path ("python3");

    if (espeak == NULL || sox == NULL || python == NULL)
      {
        g_test_skip ("espeak-ng, sox or python3 is not installed: the synthetic voices cannot be generated");
        return;
      }
  }
  {
    g_auto (Result) r = { 0 };

    RUN (&r, "run", exp_path, "--out", out, "--quiet", "--set", "pretrain.epochs=1", "--set", "transfer.epochs=1",
         "--set", "source.per_class=30", "--set", "target.per_class=3", "--set", "outputs.plots=[\"png\"]");
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "generating it"));
  }
  {
    g_autofree char *seven = g_build_filename (folder, "en-us_m1", "7", NULL);
    g_assert_true (g_file_test (seven, G_FILE_TEST_IS_DIR));
  }
  g_assert_true (g_file_get_contents (summary, &text, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "\"transfer\""));
  /* made once: the next run finds the folder and does not generate it again */
  {
    g_auto (Result) r = { 0 };

    RUN (&r, "run", exp_path, "--out", out, "--force", "--quiet", "--set", "pretrain.epochs=1",
         "--set", "transfer.epochs=1", "--set", "source.per_class=30", "--set", "target.per_class=3",
         "--set", "outputs.plots=[\"png\"]");
    expect_status (&r, 0);
    g_assert_null (strstr (r.out, "generating it"));
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  binary = cli_binary ();
  tmp = g_dir_make_tmp ("tl-cli-XXXXXX", NULL);
  g_assert_nonnull (tmp);

  g_test_add_func ("/cli/help", test_help_of_each_command);
  g_test_add_func ("/cli/assess", test_assess);
  g_test_add_func ("/cli/assess-map", test_assess_map);
  g_test_add_func ("/cli/explain", test_explain);
  g_test_add_func ("/cli/usage-errors", test_usage_errors_exit_2);
  g_test_add_func ("/cli/failures", test_failures_exit_1_with_file_and_line);
  g_test_add_func ("/cli/train-evaluate-predict", test_train_evaluate_predict_round_trip);
  g_test_add_func ("/cli/train-refuses-existing-model", test_train_refuses_existing_model);
  g_test_add_func ("/cli/train-idx", test_train_on_idx);
  g_test_add_func ("/cli/run-small", test_run_small_experiment_with_overrides);
  g_test_add_func ("/cli/run-path-escapes", test_run_refuses_path_escapes);
  g_test_add_func ("/cli/interrupt-and-resume", test_interrupt_keeps_a_checkpoint);
  g_test_add_func ("/cli/run-interrupt-and-resume", test_run_interrupt_and_resume);
  g_test_add_func ("/cli/run-fashion-split", test_run_fashion_split_reduced);
  g_test_add_func ("/cli/run-sentiment", test_run_sentiment);
  g_test_add_func ("/cli/run-strategies", test_run_strategies);
  g_test_add_func ("/cli/run-history-day", test_run_history_day);
  g_test_add_func ("/cli/run-out-refuses-finished-run", test_run_out_refuses_finished_run);
  g_test_add_func ("/cli/history-broken-index", test_history_tolerates_broken_index);
  g_test_add_func ("/cli/run-generates-missing-source", test_run_generates_missing_source);
  status = g_test_run ();
  tl_test_remove_tree (tmp);
  g_free (tmp);
  return status;
}
