#include "config.h"

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "tl-csv.h"
#include "tl-error.h"
#include "tl-import.h"

static char *tmpdir;

static char *
write_file (const char *name, const char *contents, gssize len)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
  return path;
}

static char *
write_gzip (const char *name, const char *contents, gsize len, gsize repeat_len, gsize repeat,
            const char *tail)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GFileOutputStream) raw = g_file_replace (file, NULL, FALSE, 0, NULL, &error);
  g_autoptr (GZlibCompressor) gz = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 1);
  g_autoptr (GOutputStream) out = NULL;
  g_autofree char *block = NULL;

  g_assert_no_error (error);
  out = g_converter_output_stream_new (G_OUTPUT_STREAM (raw), G_CONVERTER (gz));
  g_output_stream_write_all (out, contents, len, NULL, NULL, &error);
  g_assert_no_error (error);
  if (repeat > 0)
    {
      block = g_malloc (repeat_len);
      memset (block, 'a', repeat_len);
      for (gsize i = 0; i < repeat; i++)
        {
          g_output_stream_write_all (out, block, repeat_len, NULL, NULL, &error);
          g_assert_no_error (error);
        }
    }
  if (tail != NULL)
    g_output_stream_write_all (out, tail, strlen (tail), NULL, NULL, &error);
  g_output_stream_close (out, NULL, &error);
  g_assert_no_error (error);
  return path;
}

/* All records of a file as "line:field|field" strings. */
static char **
read_all (const char *path, char delimiter, char *detected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlCsvReader) reader = tl_csv_reader_open (path, delimiter, &error);
  GPtrArray *out = g_ptr_array_new ();
  const TlCsvRecord *rec;

  g_assert_no_error (error);
  if (detected != NULL)
    *detected = tl_csv_reader_get_delimiter (reader);
  while ((rec = tl_csv_reader_next (reader, &error)) != NULL)
    {
      g_autofree char *joined = g_strjoinv ("|", rec->fields);

      g_ptr_array_add (out, g_strdup_printf ("%d:%s", rec->line, joined));
    }
  g_assert_no_error (error);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static void
test_quoted_newlines_and_quotes (void)
{
  g_autofree char *path = write_file ("quoted.csv",
                                      "text,label\n"
                                      "\"hello\nworld \"\"quoted\"\"\",a\n"
                                      "\n"
                                      "\"x,y\",b\n"
                                      "last,c", -1);
  g_auto (GStrv) rows = read_all (path, 0, NULL);

  g_assert_cmpuint (g_strv_length (rows), ==, 4);
  g_assert_cmpstr (rows[0], ==, "1:text|label");
  g_assert_cmpstr (rows[1], ==, "2:hello\nworld \"quoted\"|a");
  g_assert_cmpstr (rows[2], ==, "5:x,y|b");
  g_assert_cmpstr (rows[3], ==, "6:last|c");
}

static void
test_crlf_and_bom (void)
{
  g_autofree char *path = write_file ("crlf.csv",
                                      "\xEF\xBB\xBFname;value\r\n"
                                      "\"a\r\nb\";1\r\n"
                                      "c;2\r\n", -1);
  g_auto (GStrv) rows = NULL;
  char delimiter = 0;

  rows = read_all (path, 0, &delimiter);
  g_assert_cmpint (delimiter, ==, ';');
  g_assert_cmpuint (g_strv_length (rows), ==, 3);
  g_assert_cmpstr (rows[0], ==, "1:name|value");
  g_assert_cmpstr (rows[1], ==, "2:a\r\nb|1");
  g_assert_cmpstr (rows[2], ==, "4:c|2");
}

static void
test_gzip (void)
{
  const char *text = "a,b\n1,2\n\"3\n\",4\n";
  g_autofree char *plain = write_file ("plain.csv", text, -1);
  g_autofree char *packed = write_gzip ("packed.csv.gz", text, strlen (text), 0, 0, NULL);
  g_auto (GStrv) a = read_all (plain, 0, NULL);
  g_auto (GStrv) b = read_all (packed, 0, NULL);

  g_assert_cmpuint (g_strv_length (a), ==, 3);
  g_assert_true (g_strv_equal ((const char *const *) a, (const char *const *) b));
}

static void
test_delimiter_detection (void)
{
  static const char delimiters[] = { ',', ';', '\t', '|' };

  for (guint i = 0; i < G_N_ELEMENTS (delimiters); i++)
    {
      char d = delimiters[i];
      g_autofree char *text = g_strdup_printf ("x%cy%cz\n1%c\"2,;|\t\"%c3\n4%c5%c6\n", d, d, d, d, d, d);
      g_autofree char *name = g_strdup_printf ("delim-%u.csv", i);
      g_autofree char *path = write_file (name, text, -1);
      g_auto (GStrv) rows = NULL;
      char detected = 0;

      rows = read_all (path, 0, &detected);
      g_assert_cmpint (detected, ==, d);
      g_assert_cmpuint (g_strv_length (rows), ==, 3);
      g_assert_cmpstr (rows[1], ==, "2:1|2,;|\t|3");
    }
}

static void
test_header_detection (void)
{
  TlCsvRecord a = { 1, 2, (char *[]) { "age", "label", NULL }, (gsize[]) { 3, 5 } };
  TlCsvRecord b = { 2, 2, (char *[]) { "31", "yes", NULL }, (gsize[]) { 2, 3 } };
  TlCsvRecord c = { 3, 2, (char *[]) { "good film", "pos", NULL }, (gsize[]) { 9, 3 } };
  TlCsvRecord d = { 4, 2, (char *[]) { "bad film", "neg", NULL }, (gsize[]) { 8, 3 } };
  TlCsvRecord e = { 5, 2, (char *[]) { "fine film", "pos", NULL }, (gsize[]) { 9, 3 } };

  g_assert_true (tl_csv_looks_like_header ((TlCsvRecord *[]) { &a, &b }, 2));
  g_assert_false (tl_csv_looks_like_header ((TlCsvRecord *[]) { &b, &a }, 2));
  g_assert_false (tl_csv_looks_like_header ((TlCsvRecord *[]) { &c, &d, &e }, 3));
}

static void
assert_import_error (const char *path, const TlImportSettings *s, int code, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlImport) import = tl_import_run (path, s, &error);

  g_assert_null (import);
  g_assert_error (error, TL_ERROR, code);
  if (strstr (error->message, expected) == NULL)
    g_error ("'%s' does not contain '%s'", error->message, expected);
}

static void
test_errors (void)
{
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autofree char *missing = g_build_filename (tmpdir, "none.csv", NULL);
  g_autofree char *empty = write_file ("empty.csv", "", 0);
  g_autofree char *ragged = write_file ("ragged.csv", "a,b,c,d,label\n1,2,3,4,x\n1,2,3,y\n", -1);
  g_autofree char *number = NULL;
  g_autofree char *one = write_file ("one.csv", "text\nhello\nworld\n", -1);
  g_autofree char *utf8 = write_file ("utf8.csv", "text,label\nfine,x\n\"bad \xC3\x28\",y\n", -1);
  g_autofree char *msg = NULL;

  g_autoptr (GString) numbers = g_string_new ("age,label\n");

  for (int i = 0; i < 30; i++)
    g_string_append_printf (numbers, "%d,%c\n", i, 'x' + i % 2);
  g_string_append (numbers, "abc,y\n");
  number = write_file ("number.csv", numbers->str, numbers->len);
  s->val_fraction = 0.0;
  s->test_fraction = 0.0;
  assert_import_error (missing, s, TL_ERROR_IO, missing);
  assert_import_error (empty, s, TL_ERROR_PARSE, "empty");
  msg = g_strdup_printf ("%s:3: expected 5 fields, found 4", ragged);
  assert_import_error (ragged, s, TL_ERROR_PARSE, msg);
  g_free (msg);
  msg = g_strdup_printf ("%s:32: column 'age': expected a number, found 'abc'", number);
  assert_import_error (number, s, TL_ERROR_PARSE, msg);
  g_free (msg);
  msg = g_strdup_printf ("%s:3: invalid UTF-8", utf8);
  assert_import_error (utf8, s, TL_ERROR_PARSE, msg);
  assert_import_error (one, s, TL_ERROR_INVALID_ARGUMENT, "no label column");
  s->label_column = g_strdup ("colour");
  assert_import_error (number, s, TL_ERROR_INVALID_ARGUMENT, "no label column 'colour'");
}

static void
test_oversized_field (void)
{
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  /* 65 MiB of one field compress to little */
  g_autofree char *path = write_gzip ("huge.csv.gz", "text,label\n\"", 12, 1 << 20, 65, "\",x\n");

  assert_import_error (path, s, TL_ERROR_TOO_LARGE, "larger than 64 MiB");
}

static void
test_too_many_classes (void)
{
  g_autoptr (GString) text = g_string_new ("value,label\n");
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autofree char *path = NULL;

  for (int i = 0; i <= TL_IMPORT_MAX_CLASSES; i++)
    g_string_append_printf (text, "1,c%d\n", i);
  path = write_file ("classes.csv", text->str, text->len);
  assert_import_error (path, s, TL_ERROR_TOO_LARGE, "more than 100000 distinct values");
}

static void
test_class_too_small (void)
{
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autofree char *path = write_file ("small.csv", "v,label\n1,a\n2,a\n3,a\n4,a\n5,b\n6,b\n", -1);

  assert_import_error (path, s, TL_ERROR_INVALID_ARGUMENT, "class 'b' has 2 samples");
}

static void
test_tabular_round_trip (void)
{
  g_autoptr (GString) text = g_string_new ("age,colour,income,label\n");
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  const TlDataset *ds;
  const TlPreprocess *pre;
  const TlFeatureColumn *age;
  double sum = 0.0, sum2 = 0.0;
  int n_train;

  for (int i = 0; i < 40; i++)
    g_string_append_printf (text, "%d,%s,%s,%s\n", 20 + i, i % 3 == 0 ? "red" : (i % 3 == 1 ? "green" : "blue"),
                            i == 7 ? "" : (i == 9 ? "NaN" : "1000.5"), i % 2 ? "yes" : "no");
  path = write_file ("tabular.csv", text->str, text->len);
  s->val_fraction = 0.25;
  s->test_fraction = 0.0;
  import = tl_import_run (path, s, &error);
  g_assert_no_error (error);
  ds = import->dataset;
  pre = import->preprocess;

  /* the NaN row is rejected and reported with its line; the empty one imputed */
  g_assert_cmpint (import->report->rows_read, ==, 40);
  g_assert_cmpint (import->report->rows_rejected, ==, 1);
  g_assert_cmpint (g_array_index (import->report->rejected, TlRejectedRow, 0).line, ==, 11);
  g_assert_nonnull (strstr (g_array_index (import->report->rejected, TlRejectedRow, 0).reason, "income"));
  g_assert_cmpint (import->report->values_imputed, ==, 1);
  g_assert_cmpint (ds->n, ==, 39);
  g_assert_cmpint (ds->n_classes, ==, 2);
  g_assert_cmpstr (ds->class_names[0], ==, "no");
  /* age, colour=blue, colour=green, colour=red, income, income (missing) */
  g_assert_cmpint (ds->sample_shape[0], ==, 6);
  g_assert_cmpint (pre->columns->len, ==, 3);
  age = g_ptr_array_index (pre->columns, 0);
  g_assert_cmpstr (age->name, ==, "age");

  /* statistics from the training rows only: standardised there, mean 0 and std 1 */
  n_train = import->split->n_train;
  g_assert_cmpint (n_train + import->split->n_val, ==, 39);
  for (int i = 0; i < n_train; i++)
    {
      float v = ds->x[(gsize) import->split->train[i] * ds->sample_size];

      sum += v;
      sum2 += v * v;
    }
  g_assert_cmpfloat_with_epsilon (sum / n_train, 0.0, 1e-5);
  g_assert_cmpfloat_with_epsilon (sum2 / n_train, 1.0, 1e-4);
  for (int i = 0; i < ds->n; i++)
    {
      const float *x = ds->x + (gsize) i * ds->sample_size;
      int line = ds->source_index[i];
      int age_value = line - 2 + 20;
      const char *colour = (line - 2) % 3 == 0 ? "red" : ((line - 2) % 3 == 1 ? "green" : "blue");

      g_assert_cmpfloat_with_epsilon (x[0], (age_value - age->mean) / age->std, 1e-5);
      g_assert_cmpfloat (x[1] + x[2] + x[3], ==, 1.0f);
      g_assert_cmpfloat (x[1], ==, strcmp (colour, "blue") == 0 ? 1.0f : 0.0f);
      g_assert_cmpfloat (x[3], ==, strcmp (colour, "red") == 0 ? 1.0f : 0.0f);
      g_assert_cmpfloat (x[4], ==, 0.0f);
      g_assert_cmpfloat (x[5], ==, line == 9 ? 1.0f : 0.0f);
    }

  /* with rows rejected instead of imputed */
  s->missing = TL_MISSING_REJECT;
  tl_import_free (g_steal_pointer (&import));
  import = tl_import_run (path, s, &error);
  g_assert_no_error (error);
  g_assert_cmpint (import->report->rows_rejected, ==, 2);
  g_assert_cmpint (import->dataset->sample_shape[0], ==, 5);
}

static void
test_preprocess_json_and_apply (void)
{
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlPreprocess) back = NULL;
  g_autoptr (TlDataset) again = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *path = write_file ("apply.csv",
                                      "size,shape,label\n1,round,a\n2,square,b\n3,round,a\n"
                                      "4,square,b\n5,round,a\n6,square,b\n,round,a\n8,square,b\n", -1);
  g_autofree char *json = NULL;
  g_autofree char *json2 = NULL;

  s->val_fraction = 0.25;
  s->test_fraction = 0.25;
  import = tl_import_run (path, s, &error);
  g_assert_no_error (error);
  node = tl_preprocess_to_json (import->preprocess);
  json = json_to_string (node, FALSE);
  back = tl_preprocess_from_json (node, &error);
  g_assert_no_error (error);
  {
    g_autoptr (JsonNode) node2 = tl_preprocess_to_json (back);
    json2 = json_to_string (node2, FALSE);
  }
  g_assert_cmpstr (json, ==, json2);

  again = tl_import_apply (path, NULL, back, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->n, ==, import->dataset->n);
  g_assert_cmpmem (again->x, again->n * again->sample_size * sizeof (float),
                   import->dataset->x, import->dataset->n * import->dataset->sample_size * sizeof (float));
  g_assert_cmpmem (again->y, again->n * sizeof (int), import->dataset->y, import->dataset->n * sizeof (int));
}

static void
test_text_vocabulary_from_train_only (void)
{
  g_autoptr (GString) text = g_string_new ("text,label\n");
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *test_path = NULL;
  const TlDataset *ds;
  gboolean saw_oov = FALSE;

  for (int i = 0; i < 20; i++)
    g_string_append_printf (text, "\"common words, row %d\",%s\n", i, i % 2 ? "pos" : "neg");
  path = write_file ("text.csv", text->str, text->len);
  test_path = write_file ("text-test.csv", "text,label\n\"unseenword common\",pos\n", -1);
  s->max_len = 4;
  s->padding = TL_PAD_POST;
  s->truncating = TL_PAD_POST;
  s->val_fraction = 0.2;
  s->test_path = g_strdup (test_path);
  import = tl_import_run (path, s, &error);
  g_assert_no_error (error);
  ds = import->dataset;
  g_assert_cmpint (ds->kind, ==, TL_DATA_TEXT);
  g_assert_cmpint (ds->sample_shape[0], ==, 4);
  g_assert_cmpint (import->split->n_test, ==, 1);
  g_assert_cmpint (ds->n, ==, 21);
  g_assert_cmpstr (ds->source_text[20], ==, "unseenword common");
  g_assert_cmpint (ds->source_index[20], ==, 2);
  /* "unseenword" is only in the test file: out of vocabulary; "common" is id 2 or 3 */
  g_assert_cmpfloat (ds->x[20 * 4 + 0], ==, 1.0f);
  g_assert_cmpfloat (ds->x[20 * 4 + 2], ==, 0.0f);
  g_assert_null (g_hash_table_lookup (import->preprocess->vocab->ids, "unseenword"));
  /* numbers of validation rows never seen in training are OOV too */
  for (int i = 0; i < import->split->n_val; i++)
    saw_oov |= ds->x[(gsize) import->split->val[i] * 4 + 3] == 1.0f;
  g_assert_true (saw_oov);
  g_assert_cmpstr (tl_vocab_token (import->preprocess->vocab, 2), ==, "common");
}

static void
test_newsgroups (void)
{
  const char *shared = g_getenv ("TL_SHARED_DATA");
  g_autofree char *path = g_build_filename (shared ? shared : "/nonexistent", "20news-bydate", "train.csv", NULL);
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("the 20 Newsgroups CSV is not there (TL_SHARED_DATA/20news-bydate/train.csv)");
      return;
    }
  import = tl_import_run (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (import->dataset->n_classes, ==, 20);
  g_assert_cmpint (import->dataset->kind, ==, TL_DATA_TEXT);
  g_assert_cmpint (import->report->rows_read, >, 11000);
  g_assert_cmpint (import->split->n_train + import->split->n_val + import->split->n_test, ==,
                   import->dataset->n);
  g_assert_cmpint (tl_vocab_size (import->preprocess->vocab), ==, 20000);
}

/* No file or folder named (a set-up without target data, say): an error, never a critical. */
static void
test_no_path_is_an_error (void)
{
  const char *paths[] = { NULL, "" };
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      TlImport *none = tl_import_run (paths[i], s, &error);

      g_assert_null (none);
      g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "no data file or folder"));
      g_clear_error (&error);
      none = tl_import_run_with_progress (paths[i], NULL, NULL, NULL, &error);
      g_assert_null (none);
      g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  /* through a preprocessing made from real data */
  {
    g_autofree char *path = write_file ("no-path.csv", "x,label\n1,a\n2,b\n3,a\n4,b\n5,a\n6,b\n", -1);

    import = tl_import_run (path, s, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        g_assert_null (tl_import_apply (paths[i], s, import->preprocess, &error));
        g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
        g_clear_error (&error);
        g_assert_null (tl_import_documents (paths[i], s, import->preprocess, NULL, 0, &error));
        g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
        g_clear_error (&error);
      }
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tl-csv-XXXXXX", NULL);
  g_test_add_func ("/csv/quoted-newlines", test_quoted_newlines_and_quotes);
  g_test_add_func ("/csv/crlf-bom", test_crlf_and_bom);
  g_test_add_func ("/csv/gzip", test_gzip);
  g_test_add_func ("/csv/delimiter", test_delimiter_detection);
  g_test_add_func ("/csv/header", test_header_detection);
  g_test_add_func ("/csv/errors", test_errors);
  g_test_add_func ("/csv/oversized-field", test_oversized_field);
  g_test_add_func ("/csv/too-many-classes", test_too_many_classes);
  g_test_add_func ("/csv/class-too-small", test_class_too_small);
  g_test_add_func ("/csv/tabular", test_tabular_round_trip);
  g_test_add_func ("/csv/preprocess-apply", test_preprocess_json_and_apply);
  g_test_add_func ("/csv/text-vocabulary", test_text_vocabulary_from_train_only);
  g_test_add_func ("/csv/20newsgroups", test_newsgroups);
  g_test_add_func ("/csv/no-path", test_no_path_is_an_error);
  status = g_test_run ();
  {
    g_autoptr (GFile) dir = g_file_new_for_path (tmpdir);
    g_autoptr (GFileEnumerator) e = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, NULL);
    GFileInfo *info;

    while (e != NULL && (info = g_file_enumerator_next_file (e, NULL, NULL)) != NULL)
      {
        g_autofree char *child = g_build_filename (tmpdir, g_file_info_get_name (info), NULL);

        g_remove (child);
        g_object_unref (info);
      }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return status;
}
