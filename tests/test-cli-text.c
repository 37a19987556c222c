#include "config.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "cli-run.h"
#include "test-util.h"

/* Character n-grams from the command line, as a real process: a model trained
 * with them reads words it never saw through the pieces they share with known
 * ones, and the model file carries them to predict. */

static char *tmp;

static char *
path_in (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

static void
write_reviews (const char *path)
{
  static const char *const good[] = { "great", "lovely", "delight", "superb" };
  static const char *const bad[] = { "awful", "broken", "horror", "flimsy" };
  static const char *const filler[] = { "the", "kettle", "came", "today", "and", "it", "is", "a" };
  g_autoptr (GString) s = g_string_new ("text,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);

  for (int i = 0; i < 80; i++)
    {
      for (int w = 0; w < 4; w++)
        g_string_append_printf (s, "%s ", filler[g_rand_int_range (rand, 0, 8)]);
      g_string_append_printf (s, "%s,%s\n", i % 2 ? bad[i / 2 % 4] : good[i / 2 % 4], i % 2 ? "neg" : "pos");
    }
  tl_test_write_text (path, s->str);
}

/* Words no training row holds, each built on a word of its class. */
static const char *const unseen =
  "text,label\n"
  "greatest,pos\n"
  "lovelier,pos\n"
  "delightful,pos\n"
  "awfully,neg\n"
  "brokenness,neg\n"
  "horrors,neg\n";

/* The predicted label and the probability of the first class of each row. */
static void
read_predictions (const char *path, GPtrArray *labels, GArray *first)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "row,true_label,predicted_label,prob_"));
  for (int i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      double p;
      /* row, true label, prediction, two probabilities, and the CSV line the row came from */
      g_assert_cmpuint (g_strv_length (f), ==, 6);
      g_assert_cmpint (atoi (f[5]), >=, 2);
      g_ptr_array_add (labels, g_strdup (f[2]));
      p = g_ascii_strtod (f[3], NULL);
      g_array_append_val (first, p);
    }
}

static void
train_and_predict (const char *char_ngrams, const char *name, GPtrArray *labels, GArray *first)
{
  g_autofree char *data = path_in ("reviews.csv");
  g_autofree char *test = path_in ("unseen.csv");
  g_autofree char *model = g_strdup_printf ("%s/%s.safetensors", tmp, name);
  g_autofree char *preds = g_strdup_printf ("%s/%s.csv", tmp, name);
  g_auto (Result) r = { 0 };

  write_reviews (data);
  tl_test_write_text (test, unseen);
  RUN (&r, "train", data, "--out", model, "--epochs", "12", "--min-df", "1", "--char-ngrams", char_ngrams,
       "--seed", "3");
  expect_status (&r, 0);
  result_clear (&r);
  RUN (&r, "predict", model, test, "--out", preds);
  expect_status (&r, 0);
  read_predictions (preds, labels, first);
  g_assert_cmpuint (labels->len, ==, 6);
}

static void
test_unseen_words (void)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) first = g_array_new (FALSE, FALSE, sizeof (double));
  const char *expected[] = { "pos", "pos", "pos", "neg", "neg", "neg" };

  train_and_predict ("2-5", "chars", labels, first);
  for (guint i = 0; i < labels->len; i++)
    g_assert_cmpstr (g_ptr_array_index (labels, i), ==, expected[i]);

  /* words alone know none of these: every row gets the same probabilities */
  g_ptr_array_set_size (labels, 0);
  g_array_set_size (first, 0);
  train_and_predict ("0", "words", labels, first);
  for (guint i = 1; i < first->len; i++)
    g_assert_cmpfloat (g_array_index (first, double, i), ==, g_array_index (first, double, 0));
}

static void
test_bad_lengths (void)
{
  g_autofree char *data = path_in ("reviews.csv");
  g_autofree char *model = path_in ("refused.safetensors");
  const char *bad[] = { "5-2", "0-3", "2-9", "x", "2-", "-2" };

  write_reviews (data);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto (Result) r = { 0 };
      RUN (&r, "train", data, "--out", model, "--char-ngrams", bad[i]);
      g_assert_cmpint (r.status, !=, 0);
      g_assert_nonnull (strstr (r.err, "--char-ngrams"));
      g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
    }
  {
    /* a vocabulary of no terms at all */
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--max-features", "0");
    g_assert_cmpint (r.status, !=, 0);
    g_assert_nonnull (strstr (r.err, "max_features"));
    g_assert_nonnull (strstr (r.err, "-1 for no limit"));
  }
  {
    /* hashing alone leaves the character n-grams out rather than failing */
    g_autofree char *hashed = path_in ("hashed.safetensors");
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", hashed, "--hash-size", "1024", "--epochs", "1");
    expect_status (&r, 0);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--char-ngrams", "2-4", "--hash-size", "1024");
    g_assert_cmpint (r.status, !=, 0);
    g_assert_nonnull (strstr (r.err, "hash_size"));
  }
}

/* The batch size and learning rate a trained model's provenance records. */
static void
read_training (const char *model, gint64 *batch, double *lr)
{
  g_auto (Result) r = { 0 };
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *provenance;

  RUN (&r, "inspect", "--json", model);
  expect_status (&r, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  provenance = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "provenance");
  *batch = json_object_get_int_member (provenance, "batch_size");
  *lr = json_object_get_double_member (provenance, "learning_rate");
}

/* Bags of 4,096 training texts or more train in batches of 128 at 0.003 unless told otherwise;
 * fewer keep batches of 32 at 0.001. */
static void
test_large_bag_defaults (void)
{
  g_autofree char *data = path_in ("many.csv");
  g_autofree char *model = path_in ("many.safetensors");
  g_autoptr (GString) csv = g_string_new ("text,label\n");
  gint64 batch;
  double lr;

  /* 5,200 rows: 80 % of them, the training split, is over 4,096 */
  for (int i = 0; i < 5200; i++)
    g_string_append_printf (csv, "item %d is %s,%s\n", i % 97, i % 2 ? "bad" : "good", i % 2 ? "neg" : "pos");
  tl_test_write_text (data, csv->str);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--epochs", "1");
    expect_status (&r, 0);
  }
  read_training (model, &batch, &lr);
  g_assert_cmpint (batch, ==, 128);
  g_assert_cmpfloat_with_epsilon (lr, 0.003, 1e-9);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--force", "--epochs", "1", "--batch-size", "16");
    expect_status (&r, 0);
  }
  read_training (model, &batch, &lr);
  g_assert_cmpint (batch, ==, 16);
  g_assert_cmpfloat_with_epsilon (lr, 0.003, 1e-9);

  write_reviews (data);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "train", data, "--out", model, "--force", "--epochs", "1");
    expect_status (&r, 0);
  }
  read_training (model, &batch, &lr);
  g_assert_cmpint (batch, ==, 32);
  g_assert_cmpfloat_with_epsilon (lr, 0.001, 1e-9);
}

/* Rows are encoded, words mapped to their pieces and the bag trained on every
 * core: one thread or two write the same model file, byte for byte. */
static void
test_threads_do_not_change_the_model (void)
{
  g_autofree char *data = path_in ("threads.csv");
  g_autofree char *one = path_in ("one.safetensors");
  g_autofree char *two = path_in ("two.safetensors");
  g_autoptr (GString) csv = g_string_new ("text,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autofree char *a = NULL, *b = NULL;
  gsize na, nb;

  /* more distinct words than one chunk of the word map, more rows than one chunk of encoding */
  for (int i = 0; i < 700; i++)
    {
      const int label = i % 3;
      for (int w = 0; w < 30; w++)
        g_string_append_printf (csv, "w%d%s ", g_rand_int_range (rand, 0, 5000), w % 7 == 0 ? "ing" : "");
      g_string_append_printf (csv, "topic%d,c%d\n", label, label);
    }
  tl_test_write_text (data, csv->str);
  for (int t = 1; t <= 2; t++)
    {
      g_auto (Result) r = { 0 };
      g_setenv ("TL_NUM_THREADS", t == 1 ? "1" : "2", TRUE);
      RUN (&r, "train", data, "--out", t == 1 ? one : two, "--epochs", "2", "--quiet");
      expect_status (&r, 0);
    }
  g_unsetenv ("TL_NUM_THREADS");
  g_assert_true (g_file_get_contents (one, &a, &na, NULL));
  g_assert_true (g_file_get_contents (two, &b, &nb, NULL));
  g_assert_cmpuint (na, ==, nb);
  g_assert_true (memcmp (a, b, na) == 0);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  cli_binary ();
  tmp = g_dir_make_tmp ("tl-cli-text-XXXXXX", NULL);
  g_test_add_func ("/cli/text/char-ngrams-read-unseen-words", test_unseen_words);
  g_test_add_func ("/cli/text/char-ngrams-refused", test_bad_lengths);
  g_test_add_func ("/cli/text/large-bag-defaults", test_large_bag_defaults);
  g_test_add_func ("/cli/text/threads-do-not-change-the-model", test_threads_do_not_change_the_model);
  status = g_test_run ();
  tl_test_remove_tree (tmp);
  g_free (tmp);
  return status;
}
