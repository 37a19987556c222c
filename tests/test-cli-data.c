#include "config.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

static char *tmpdir;

/* Runs `transfer-lab data ARGS...`; returns the exit status. */
static int
run (const char *const *args, char **out, char **err)
{
  const char *binary = g_getenv ("TL_BINARY");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int status = -1;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  g_ptr_array_add (argv, "data");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, (char *[]) { "LANG=C", "LC_ALL=C", NULL }, 0, NULL, NULL,
                out, err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static char *
write_csv (const char *name, const char *contents)
{
  char *path = g_build_filename (tmpdir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static const char *good_csv =
  "height;colour;label\n"
  "1.5;red;x\n2.5;blue;y\n3.5;red;x\n4.5;blue;y\n5.5;red;x\n"
  "6.5;blue;y\n7.5;red;x\n8.5;blue;y\n9.5;red;x\n10.5;blue;y\n11.5;red;z\n";

static void
test_help (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run ((const char *[]) { "--help", NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "--per-class"));
  g_assert_nonnull (strstr (out, "--split"));
}

static void
test_report (void)
{
  g_autofree char *path = write_csv ("good.csv", good_csv);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run ((const char *[]) { path, "--classes", "x,y", "--split", "0.6,0.2,0.2", NULL }, &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_nonnull (strstr (out, "Rows read: 11"));
  g_assert_nonnull (strstr (out, "height"));
  g_assert_nonnull (strstr (out, "numeric"));
  g_assert_nonnull (strstr (out, "categorical"));
  g_assert_nonnull (strstr (out, "Classes: 2"));
}

static void
test_json (void)
{
  g_autofree char *path = write_csv ("json.csv", good_csv);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root, *split;
  JsonArray *columns, *classes;

  g_assert_cmpint (run ((const char *[]) { path, "--json", "--classes", "x,y", "--per-class", "4",
                                           "--seed", "5", "--split", "0.5,0.25,0.25", NULL }, &out, &err), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (root, "rows_read"), ==, 11);
  g_assert_cmpstr (json_object_get_string_member (root, "delimiter"), ==, ";");
  columns = json_object_get_array_member (root, "columns");
  g_assert_cmpuint (json_array_get_length (columns), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (columns, 0), "type"), ==, "numeric");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (columns, 2), "role"), ==, "label");
  classes = json_object_get_array_member (root, "classes");
  g_assert_cmpuint (json_array_get_length (classes), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (classes, 0), "count"), ==, 4);
  split = json_object_get_object_member (root, "split");
  g_assert_cmpint (json_object_get_int_member (split, "train"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (split, "test"), ==, 2);
}

static void
test_failure (void)
{
  g_autofree char *path = write_csv ("ragged.csv", "a,b,label\n1,2,x\n1,y\n");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpint (run ((const char *[]) { path, NULL }, &out, &err), ==, 1);
  expected = g_strdup_printf ("transfer-lab: %s:3: expected 3 fields, found 2\n", path);
  g_assert_cmpstr (err, ==, expected);
  g_assert_cmpstr (out, ==, "");
}

static void
test_usage (void)
{
  g_autofree char *path = write_csv ("usage.csv", good_csv);
  char *out = NULL, *err = NULL;

  g_assert_cmpint (run ((const char *[]) { NULL }, &out, &err), ==, 2);
  g_assert_true (g_str_has_prefix (err, "transfer-lab: "));
  g_free (out);
  g_free (err);
  g_assert_cmpint (run ((const char *[]) { path, "--split", "0.9,0.9", NULL }, &out, &err), ==, 2);
  g_free (out);
  g_free (err);
  g_assert_cmpint (run ((const char *[]) { path, "--no-such-option", NULL }, &out, &err), ==, 2);
  g_free (out);
  g_free (err);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tl-cli-data-XXXXXX", NULL);
  g_test_add_func ("/cli/data/help", test_help);
  g_test_add_func ("/cli/data/report", test_report);
  g_test_add_func ("/cli/data/json", test_json);
  g_test_add_func ("/cli/data/failure", test_failure);
  g_test_add_func ("/cli/data/usage", test_usage);
  status = g_test_run ();
  g_free (tmpdir);
  return status;
}
