#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "cli-run.h"
#include "test-util.h"

/* Pretrained word vectors from the command line, as a real process: train and
 * run start their text models from them and report how much of the vocabulary
 * they cover; a missing or broken file stops them before any training. */

static char *tmp;

static char *
path_in (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

/* Reviews of two kinds: the words of each kind, in varied order. */
static void
write_reviews (const char *path)
{
  static const char *const good[] = { "great", "lovely", "excellent", "superb", "fine" };
  static const char *const bad[] = { "awful", "poor", "dreadful", "broken", "Weak" };
  g_autoptr (GString) s = g_string_new ("text,label\n");

  for (int i = 0; i < 60; i++)
    {
      const char *const *w = i % 2 ? bad : good;
      g_string_append_printf (s, "\"the %s and %s kettle, %s\",%s\n", w[i % 5], w[(i / 2 + 1) % 5], w[(i / 3 + 2) % 5],
                              i % 2 ? "neg" : "pos");
    }
  tl_test_write_text (path, s->str);
}

/* Vectors of some of the words: 4 dimensions, the kinds apart; "weak" only in capitals. */
static void
write_vectors (const char *path)
{
  tl_test_write_text (path,
                      "7 4\n"
                      "great 1 0.5 0 0\n"
                      "lovely 0.9 0.4 0.1 0\n"
                      "excellent 1.1 0.6 0 0.1\n"
                      "awful -1 -0.5 0 0\n"
                      "poor -0.9 -0.4 0 0.1\n"
                      "WEAK -1.1 -0.3 0.1 0\n"
                      "unrelated 0 0 5 5\n");
}

static void
test_train_reports_coverage (void)
{
  g_autofree char *data = path_in ("reviews.csv");
  g_autofree char *vectors = path_in ("words.vec");
  g_autofree char *model = path_in ("model.safetensors");
  g_auto (Result) r = { 0 };

  write_reviews (data);
  write_vectors (vectors);
  RUN (&r, "train", data, "--out", model, "--epochs", "3", "--preset", "text-pool", "--embedding-vectors", vectors,
       "--embedding-vectors-unknown", "zero");
  expect_status (&r, 0);
  /* the vocabulary: the, and, kettle and the ten review words; six have vectors, one by lower case */
  if (strstr (r.out, "word vectors: 6 of 13 words (46.2%, 1 of them by lower case), 4 dimensions scaled by ") == NULL
      || strstr (r.out, "to the table's initial spread, unknown words zero, from ") == NULL)
    g_error ("no coverage line in:\n%s", r.out);
  g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS));
  result_clear (&r);

  /* the model file keeps it in its provenance */
  RUN (&r, "inspect", model);
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "\"embedding_vectors\""));
  g_assert_nonnull (strstr (r.out, "\"found_lowercase\": 1"));
  g_assert_nonnull (strstr (r.out, "Embedding(15, 4)"));
  result_clear (&r);

  /* the n-gram preset too; its table takes the vectors' 4 dimensions */
  RUN (&r, "train", data, "--out", model, "--force", "--epochs", "2", "--embedding-vectors", vectors);
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "word vectors: 6 of 13 words"));
  g_assert_nonnull (strstr (r.out, "n-grams of several words left at their random start"));
  result_clear (&r);
  RUN (&r, "inspect", model);
  g_assert_nonnull (strstr (r.out, "EmbeddingBag("));
  g_assert_nonnull (strstr (r.out, ", 4)"));
}

static void
test_train_refuses_bad_files (void)
{
  g_autofree char *data = path_in ("reviews.csv");
  g_autofree char *missing = path_in ("missing.vec");
  g_autofree char *broken = path_in ("broken.txt");
  g_autofree char *model = path_in ("refused.safetensors");
  g_autofree char *where = NULL;
  g_auto (Result) r = { 0 };

  write_reviews (data);
  RUN (&r, "train", data, "--out", model, "--embedding-vectors", missing);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, missing));
  g_assert_null (strstr (r.out, "Training"));
  result_clear (&r);

  tl_test_write_text (broken, "great 1 2 3\nawful 1 2 oops\n");
  RUN (&r, "train", data, "--out", model, "--embedding-vectors", broken);
  g_assert_cmpint (r.status, ==, 1);
  where = g_strdup_printf ("%s:2: value 3 ('oops') is not a finite number", broken);
  g_assert_nonnull (strstr (r.err, where));
  g_assert_null (strstr (r.out, "Training"));
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  result_clear (&r);

  RUN (&r, "train", data, "--out", model, "--embedding-vectors-unknown", "mean");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--embedding-vectors"));
}

static void
test_run_records_coverage (void)
{
  g_autofree char *data = path_in ("reviews.csv");
  g_autofree char *vectors = path_in ("words.vec");
  g_autofree char *exp = path_in ("exp.json");
  g_autofree char *out = path_in ("results");
  g_autofree char *summary = NULL;
  g_autofree char *set = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *cov;
  g_auto (Result) r = { 0 };

  write_reviews (data);
  write_vectors (vectors);
  tl_test_write_text (exp,
                      "{\"format_version\": 1, \"name\": \"kettles\", \"seed\": 3,\n"
                      " \"source\": {\"format\": \"csv\", \"path\": \"reviews.csv\", \"text_column\": \"text\"},\n"
                      " \"target\": {\"format\": \"csv\", \"path\": \"reviews.csv\", \"text_column\": \"text\",\n"
                      "             \"per_class\": 10, \"test_fraction\": 0.3},\n"
                      " \"architecture\": {\"layers\": [{\"kind\": \"embedding\"}, {\"kind\": \"global_avg_pool1d\"},\n"
                      "                               {\"kind\": \"dense\", \"units\": 2}]},\n"
                      " \"pretrain\": {\"epochs\": 2}, \"transfer\": {\"strategy\": \"fine-tune\", \"epochs\": 2},\n"
                      " \"baseline\": true}\n");
  set = g_strdup_printf ("architecture.embedding_vectors=%s", vectors);
  RUN (&r, "run", exp, "--out", out, "--set", set, "--set", "architecture.embedding_vectors_unknown=mean");
  expect_status (&r, 0);
  summary = g_build_filename (out, "summary.json", NULL);
  json_parser_load_from_file (parser, summary, &error);
  g_assert_no_error (error);
  cov = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "embedding_vectors");
  g_assert_nonnull (cov);
  g_assert_cmpint (json_object_get_int_member (cov, "words"), ==, 13);
  g_assert_cmpint (json_object_get_int_member (cov, "found"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (cov, "dim"), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (cov, "unknown"), ==, "mean");
  result_clear (&r);

  /* a file that is not there stops the run before it imports anything */
  g_free (set);
  set = g_strdup_printf ("architecture.embedding_vectors=%s", "nowhere.vec");
  RUN (&r, "run", exp, "--out", out, "--force", "--set", set);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, "nowhere.vec"));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  cli_binary ();
  tmp = g_dir_make_tmp ("tl-cli-vectors-XXXXXX", NULL);
  g_test_add_func ("/cli/vectors/train", test_train_reports_coverage);
  g_test_add_func ("/cli/vectors/refused", test_train_refuses_bad_files);
  g_test_add_func ("/cli/vectors/run", test_run_records_coverage);
  status = g_test_run ();
  tl_test_remove_tree (tmp);
  g_free (tmp);
  return status;
}
