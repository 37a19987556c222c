#include "config.h"

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#include "cli-run.h"
#include "test-util.h"

/* The command line on recordings (TL_BINARY): data, train, predict on a WAV
 * file, evaluate, and a transfer run between two "speakers" of generated
 * tones with a reduced budget; a broken recording is named; explanations of a
 * model of a few spoken digits over their spectrograms. */

static char *tmp;


/* A "word": two tones gliding, different for each class, voiced by each speaker a little higher. */
static void
write_word (const char *path, int cls, int speaker, int take)
{
  SF_INFO info = { .samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
  int n = 3000 + 200 * (take % 4);
  g_autofree float *x = g_new (float, n);
  double f0 = (300 + 250 * cls) * (1.0 + 0.08 * speaker + 0.01 * take);
  SNDFILE *f;

  for (int i = 0; i < n; i++)
    {
      double t = (double) i / 8000, env = sin (G_PI * i / n);

      x[i] = (float) (0.4 * env * (sin (2 * G_PI * f0 * t * (1 + 0.3 * t)) + 0.5 * sin (2 * G_PI * 2.1 * f0 * t)));
    }
  f = sf_open (path, SFM_WRITE, &info);
  g_assert_nonnull (f);
  sf_writef_float (f, x, n);
  sf_close (f);
}

/* ROOT/sSPEAKER/CLASS/K.wav for the speakers first .. first + n_speakers - 1 */
static char *
make_speakers (const char *name, int first, int n_speakers, int takes)
{
  char *root = g_build_filename (tmp, name, NULL);

  for (int s = first; s < first + n_speakers; s++)
    for (int c = 0; c < 3; c++)
      {
        g_autofree char *speaker = g_strdup_printf ("s%d", s);
        g_autofree char *cls = g_strdup_printf ("%c", 'a' + c);
        g_autofree char *dir = g_build_filename (root, speaker, cls, NULL);

        g_mkdir_with_parents (dir, 0700);
        for (int k = 0; k < takes; k++)
          {
            g_autofree char *file = g_strdup_printf ("%d.wav", k);
            g_autofree char *path = g_build_filename (dir, file, NULL);

            write_word (path, c, s, k);
          }
      }
  return root;
}

static void
test_data_train_predict (void)
{
  g_autofree char *root = make_speakers ("voices", 0, 2, 12);
  g_autofree char *model = g_build_filename (tmp, "voices.safetensors", NULL);
  g_autofree char *one = g_build_filename (root, "s1", "b", "3.wav", NULL);
  g_autofree char *pred = g_build_filename (tmp, "pred.csv", NULL);
  g_autofree char *eval = g_build_filename (tmp, "eval", NULL);
  g_autofree char *csv = NULL;
  g_auto (Result) r = { 0 };
  g_auto (Result) t = { 0 };
  g_auto (Result) p = { 0 };
  g_auto (Result) e = { 0 };

  RUN (&r, "data", root);
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "(audio)"));
  g_assert_nonnull (strstr (r.out, "Recordings: 72"));
  g_assert_nonnull (strstr (r.out, "[1, 40, 101]"));

  RUN (&t, "train", root, "--epochs", "2", "--out", model);
  expect_status (&t, 0);
  g_assert_nonnull (strstr (t.out, "audio-cnn"));

  RUN (&p, "predict", model, one, "--out", pred);
  expect_status (&p, 0);
  g_assert_true (g_file_get_contents (pred, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "row,true_label,predicted_label,prob_a,prob_b,prob_c,source\n0,,"));
  /* each prediction names its recording */
  g_assert_true (g_str_has_suffix (csv, G_DIR_SEPARATOR_S "b" G_DIR_SEPARATOR_S "3.wav\n"));

  RUN (&e, "evaluate", model, root, "--out", eval);
  expect_status (&e, 0);
}

static void
test_run_transfer (void)
{
  g_autofree char *source = make_speakers ("source", 0, 2, 10);
  g_autofree char *target_root = make_speakers ("target", 5, 1, 10);
  g_autofree char *target = g_build_filename (target_root, "s5", NULL);
  g_autofree char *exp = g_build_filename (tmp, "tones.json", NULL);
  g_autofree char *out = g_build_filename (tmp, "run", NULL);
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"format_version\": 1, \"name\": \"tones\", \"seed\": 4,"
    " \"source\": {\"format\": \"audio\", \"path\": \"%s\", \"val_fraction\": 0.1, \"test_fraction\": 0.1,"
    "   \"audio\": {\"samples\": 4000, \"n_mels\": 32}, \"audio_augment\": {\"copies\": 1}},"
    " \"target\": {\"format\": \"audio\", \"path\": \"%s\", \"per_class\": 3, \"val_fraction\": 0.0,"
    "   \"test_fraction\": 0.5},"
    " \"architecture\": {\"preset\": \"audio-cnn\"},"
    " \"pretrain\": {\"epochs\": 2, \"batch_size\": 16},"
    " \"transfer\": {\"freeze\": {\"below\": 9}, \"rebuild_head\": true, \"epochs\": 3, \"batch_size\": 8},"
    " \"baseline\": true}", source, target);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Result) r = { 0 };
  g_auto (Result) bad = { 0 };
  g_auto (Result) augmented = { 0 };
  JsonArray *runs;

  tl_test_write_text (exp, text);
  /* the target is read through the source model's preprocessing, which makes no augmented copies:
   * asking for them is refused before anything is read or trained */
  RUN (&augmented, "run", exp, "--out", out, "--set", "target.audio_augment.copies=2");
  g_assert_cmpint (augmented.status, ==, 2);
  g_assert_nonnull (strstr (augmented.err, "target.audio_augment"));
  g_assert_nonnull (strstr (augmented.err, "the source's recordings only"));
  g_assert_false (g_file_test (summary, G_FILE_TEST_EXISTS));
  RUN (&r, "run", exp, "--out", out);
  expect_status (&r, 0);
  g_assert_true (json_parser_load_from_file (parser, summary, &error));
  g_assert_no_error (error);
  runs = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "runs");
  g_assert_cmpint (json_array_get_length (runs), >=, 3);

  /* a broken recording in the target is named */
  {
    g_autofree char *broken = g_build_filename (target, "a", "broken.wav", NULL);

    tl_test_write_text (broken, "RIFF....WAVEfmt not really");
    RUN (&bad, "run", exp, "--out", out, "--force");
    g_assert_cmpint (bad.status, ==, 1);
    g_assert_nonnull (strstr (bad.err, "broken.wav"));
  }
}

/* The epochs a run's model file says its weights average (0: none). */
static gint64
averaged_epochs (const char *out, const char *run)
{
  g_autofree char *model = g_build_filename (out, run, "model.safetensors", NULL);
  g_auto (Result) r = { 0 };
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  RUN (&r, "inspect", "--json", model);
  expect_status (&r, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  return json_object_get_int_member_with_default (
    json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "provenance"),
    "averaged_epochs", 0);
}

/* The shipped real-speaker experiment, as it is but for a reduced budget and
 * the shared speakers in place of its generated source: its plan (self-training
 * on source and target, then again with pseudo-labels on the speaker's
 * unlabelled recordings; the baseline's own epochs; the source-only reference
 * beside a new head) runs. */
static void
test_shipped_real_speakers (void)
{
  const char *src = g_getenv ("TL_SOURCE_DIR");
  const char *shared = g_getenv ("TL_SHARED_DATA");
  g_autofree char *shipped = NULL, *george = NULL, *lucas = NULL;
  g_autofree char *exp = g_build_filename (tmp, "real.json", NULL);
  g_autofree char *out = g_build_filename (tmp, "real-run", NULL);
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonParser) result = json_parser_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Result) r = { 0 };
  JsonObject *root, *source;
  JsonArray *runs;
  int self_epochs = -1, baseline_epochs = -1;
  gboolean source_only = FALSE;

  g_assert_nonnull (src);
  if (shared == NULL)
    shared = "../shared/data";
  george = g_build_filename (shared, "spoken-digits", "george", NULL);
  lucas = g_build_filename (shared, "spoken-digits", "lucas", NULL);
  if (!g_file_test (george, G_FILE_TEST_IS_DIR) || !g_file_test (lucas, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("no spoken digits in TL_SHARED_DATA");
      return;
    }
  shipped = g_build_filename (src, "data", "experiments", "spoken-digits-real.json", NULL);
  g_assert_true (json_parser_load_from_file (parser, shipped, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  source = json_object_get_object_member (root, "source");
  json_object_remove_member (source, "generate");
  json_object_set_string_member (source, "path", george);
  json_object_set_string_member (json_object_get_object_member (root, "target"), "path", lucas);
  json_generator_set_root (gen, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (gen, exp, &error));

  RUN (&r, "run", exp, "--out", out, "--set", "pretrain.epochs=1", "--set", "transfer.epochs=2",
       "--set", "baseline_epochs=2", "--set", "source.per_class=8", "--set", "outputs.plots=[]");
  expect_status (&r, 0);
  /* the speaker's 20 recordings per digit that are neither labelled nor tested give the pseudo-labels */
  g_assert_nonnull (strstr (r.out, "and 200 unlabelled ones"));
  g_assert_nonnull (strstr (r.out, "pseudo-labelled target rows"));
  g_assert_true (json_parser_load_from_file (result, summary, &error));
  g_assert_no_error (error);
  runs = json_object_get_array_member (json_node_get_object (json_parser_get_root (result)), "runs");
  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      const char *name = json_object_get_string_member (run, "name");

      if (strcmp (name, "self-training") == 0)
        self_epochs = json_object_get_int_member (run, "epochs");
      else if (strcmp (name, "baseline") == 0)
        baseline_epochs = json_object_get_int_member (run, "epochs");
      else if (strcmp (name, "source-only") == 0)
        source_only = json_object_get_double_member (run, "test_accuracy") >= 0.0;
    }
  /* the head is rebuilt, but the model knows the digits: the zero-shot reference is there */
  g_assert_true (source_only);
  /* two rounds of the transfer's 2 epochs */
  g_assert_cmpint (self_epochs, ==, 4);
  g_assert_cmpint (baseline_epochs, ==, 2);
  /* the shipped tail averaging (its last 10 epochs) spans both epochs of the second round and of
   * the baseline, and the model files say so; pretraining does not average */
  g_assert_cmpint (averaged_epochs (out, "self-training"), ==, 2);
  g_assert_cmpint (averaged_epochs (out, "baseline"), ==, 2);
  g_assert_cmpint (averaged_epochs (out, "pretrain"), ==, 0);
}

/* The lines of a CSV file, header first. */
static char **
read_lines (const char *path)
{
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_strchomp (text);
  return g_strsplit (text, "\n", -1);
}

static void
assert_file_starts (const char *dir, const char *name, const char *magic)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  g_assert_nonnull (g_strstr_len (data, MIN (len, 200), magic));
}

/* explain on a model of three spoken digits: per row, heat maps over the spectrogram in
 * every format asked for and a CSV of its regions, most important first; bad rows named. */
static void
test_explain_spoken_digits (void)
{
  const char *shared = g_getenv ("TL_SHARED_DATA");
  g_autofree char *digits = g_build_filename (tmp, "digits", NULL);
  g_autofree char *model = g_build_filename (tmp, "digits.safetensors", NULL);
  g_autofree char *out = g_build_filename (tmp, "explained", NULL);
  g_autofree char *csv_path = g_build_filename (out, "row-13-regions.csv", NULL);
  g_auto (GStrv) lines = NULL;
  g_auto (Result) t = { 0 };
  g_auto (Result) r = { 0 };
  g_auto (Result) bad = { 0 };
  g_auto (Result) word = { 0 };
  g_auto (Result) mask = { 0 };
  double last = G_MAXDOUBLE;

  if (shared == NULL)
    shared = "../shared/data";
  for (int d = 0; d < 3; d++)
    for (int k = 0; k < 8; k++)
      {
        g_autofree char *name = g_strdup_printf ("%d_george_%d.wav", d, k);
        g_autofree char *digit = g_strdup_printf ("%d", d);
        g_autofree char *from = g_build_filename (shared, "spoken-digits", "george", digit, name, NULL);
        g_autofree char *dir = g_build_filename (digits, digit, NULL);
        g_autofree char *to = g_build_filename (dir, name, NULL);
        g_autoptr (GFile) src = g_file_new_for_path (from);
        g_autoptr (GFile) dst = g_file_new_for_path (to);

        if (!g_file_test (from, G_FILE_TEST_EXISTS))
          {
            g_test_skip ("no spoken digits in TL_SHARED_DATA");
            return;
          }
        g_mkdir_with_parents (dir, 0700);
        g_assert_true (g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, NULL));
      }
  RUN (&t, "train", digits, "--epochs", "3", "--out", model);
  expect_status (&t, 0);

  RUN (&r, "explain", model, digits, "--rows", "2,13", "--out", out, "--plots", "png,svg,pdf");
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "row 13: "));
  g_assert_nonnull (strstr (r.out, "row-13-regions.csv"));
  assert_file_starts (out, "row-2-spectrogram-occlusion.png", "PNG");
  assert_file_starts (out, "row-2-spectrogram-gradients.svg", "<svg");
  assert_file_starts (out, "row-13-spectrogram-occlusion.pdf", "%PDF");
  assert_file_starts (out, "row-13-spectrogram-gradients.png", "PNG");

  /* 40 mel bands in masks of 8, 101 frames of 10 ms in masks of 100 ms: 5 x 11 regions */
  lines = read_lines (csv_path);
  g_assert_cmpstr (lines[0], ==, "rank,start_s,end_s,low_hz,high_hz,occlusion,integrated_gradients");
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 5 * 11);
  for (int i = 1; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      double start, end, low, high, occlusion;

      g_assert_cmpuint (g_strv_length (f), ==, 7);
      g_assert_cmpint (atoi (f[0]), ==, i);
      start = g_ascii_strtod (f[1], NULL);
      end = g_ascii_strtod (f[2], NULL);
      low = g_ascii_strtod (f[3], NULL);
      high = g_ascii_strtod (f[4], NULL);
      occlusion = g_ascii_strtod (f[5], NULL);
      g_assert_cmpfloat (start, >=, 0);
      g_assert_cmpfloat (end, >, start);
      g_assert_cmpfloat (end, <=, 1.0);
      g_assert_cmpfloat (low, >, 0);
      g_assert_cmpfloat (high, >, low);
      g_assert_cmpfloat (high, <, 4000);
      g_assert_cmpfloat (occlusion, <=, last);
      last = occlusion;
    }

  /* rows beyond the data, and what is not a row number, are refused with the range */
  RUN (&bad, "explain", model, digits, "--rows", "24", "--out", out);
  expect_status (&bad, 2);
  g_assert_nonnull (strstr (bad.err, "0 to 23"));
  RUN (&word, "explain", model, digits, "--rows", "two", "--out", out);
  expect_status (&word, 2);
  g_assert_nonnull (strstr (word.err, "--rows"));
  RUN (&mask, "explain", model, digits, "--rows", "1", "--out", out, "--mask-bands", "0");
  expect_status (&mask, 2);
  g_assert_nonnull (strstr (mask.err, "--mask-bands"));
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  cli_binary ();
  tmp = g_dir_make_tmp ("tl-cli-audio-XXXXXX", NULL);
  g_test_add_func ("/cli-audio/data-train-predict", test_data_train_predict);
  g_test_add_func ("/cli-audio/run-transfer", test_run_transfer);
  g_test_add_func ("/cli-audio/explain-spoken-digits", test_explain_spoken_digits);
  g_test_add_func ("/cli-audio/shipped-real-speakers", test_shipped_real_speakers);
  rc = g_test_run ();
  tl_test_remove_tree (tmp);
  return rc;
}
