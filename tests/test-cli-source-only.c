#include "config.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "cli-run.h"
#include "test-util.h"

/* `transfer-lab run` on an experiment without target data: the source model
 * is trained alone; a pretrained model file with no target is refused. */

static char *tmp;

static char *
path_in (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

/* Three classes, each a bright feature of its own over a little noise. */
static void
write_source_csv (const char *path)
{
  g_autoptr (GString) s = g_string_new ("f0,f1,f2,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  const char *classes[] = { "a", "b", "c" };

  for (int i = 0; i < 90; i++)
    {
      int c = i % 3;

      for (int f = 0; f < 3; f++)
        g_string_append_printf (s, "%.3f,", (f == c ? 2.0 : 0.0) + g_rand_double_range (rand, -0.5, 0.5));
      g_string_append_printf (s, "%s\n", classes[c]);
    }
  tl_test_write_text (path, s->str);
}

static char *
write_experiment (const char *name, const char *extra)
{
  g_autofree char *csv = path_in ("source.csv");
  g_autofree char *text = NULL;
  char *path = path_in (name);

  write_source_csv (csv);
  text = g_strdup_printf ("{\n"
                          "  \"name\": \"source alone\",\n"
                          "  \"seed\": 4,\n"
                          "  \"source\": { \"format\": \"csv\", \"path\": \"source.csv\", \"label_column\": \"label\" },\n"
                          "%s"
                          "  \"architecture\": { \"preset\": \"mlp\" },\n"
                          "  \"pretrain\": { \"epochs\": 3, \"batch_size\": 16 },\n"
                          "  \"baseline\": true,\n"
                          "  \"outputs\": { \"plots\": [\"svg\"] }\n"
                          "}\n", extra);
  tl_test_write_text (path, text);
  return path;
}

static void
test_source_trained_alone (void)
{
  g_autofree char *exp = write_experiment ("alone.json", "");
  g_autofree char *out = path_in ("alone-out");
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  g_autofree char *model = g_build_filename (out, "pretrain", "model.safetensors", NULL);
  g_autofree char *transfer = g_build_filename (out, "transfer", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Result) r = { 0 };
  JsonArray *runs;
  JsonObject *run;

  RUN (&r, "run", exp, "--out", out);
  expect_status (&r, 0);
  g_assert_null (strstr (r.err, "CRITICAL"));
  g_assert_nonnull (strstr (r.out, "pretrain"));
  g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (transfer, G_FILE_TEST_EXISTS));
  json_parser_load_from_file (parser, summary, &error);
  g_assert_no_error (error);
  runs = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "runs");
  g_assert_cmpuint (json_array_get_length (runs), ==, 1);
  run = json_array_get_object_element (runs, 0);
  g_assert_cmpstr (json_object_get_string_member (run, "name"), ==, "pretrain");
  g_assert_cmpint (json_object_get_int_member (run, "epochs"), ==, 3);
  /* the three classes are far apart: the source model learns them */
  g_assert_cmpfloat (json_object_get_double_member (run, "test_accuracy"), >, 0.6);
}

static void
test_model_file_without_target_refused (void)
{
  g_autofree char *exp = write_experiment ("alone-model.json", "");
  g_autofree char *out = path_in ("alone-model-out");
  g_autofree char *model = g_build_filename (tmp, "alone-out", "pretrain", "model.safetensors", NULL);
  g_autofree char *set = g_strdup_printf ("pretrain.model=%s", model);
  g_auto (Result) r = { 0 };

  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    {
      g_auto (Result) first = { 0 };
      g_autofree char *first_out = path_in ("alone-out");

      RUN (&first, "run", exp, "--out", first_out);
      expect_status (&first, 0);
    }
  RUN (&r, "run", exp, "--out", out, "--set", set);
  expect_status (&r, 2);
  g_assert_nonnull (strstr (r.err, "target.path"));
  g_assert_null (strstr (r.err, "CRITICAL"));
  /* refused before anything was written */
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* A PyTorch job transfers to the target: with none it is refused before its folder is made. */
static void
test_torch_job_without_target_refused (void)
{
  g_autofree char *exp = write_experiment ("alone-torch.json", "");
  g_autofree char *out = path_in ("alone-torch-job");
  g_auto (Result) r = { 0 };

  RUN (&r, "run", exp, "--engine", "torch", "--prepare-only", "--out", out);
  expect_status (&r, 1);
  g_assert_nonnull (strstr (r.err, "target.path"));
  g_assert_null (strstr (r.err, "CRITICAL"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  cli_binary ();
  tmp = g_dir_make_tmp ("tl-cli-source-only-XXXXXX", NULL);
  g_test_add_func ("/cli-source-only/trained-alone", test_source_trained_alone);
  g_test_add_func ("/cli-source-only/model-file-refused", test_model_file_without_target_refused);
  g_test_add_func ("/cli-source-only/torch-job-refused", test_torch_job_without_target_refused);
  status = g_test_run ();
  tl_test_remove_tree (tmp);
  g_free (tmp);
  return status;
}
