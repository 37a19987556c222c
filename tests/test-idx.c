#include "config.h"

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tl-error.h"
#include "tl-file-cache.h"
#include "tl-idx.h"
#include "tl-import.h"
#include "tl-pipeline.h"

static char *
make_folder (const char *name)
{
  g_autofree char *root = g_dir_make_tmp ("tl-idx-XXXXXX", NULL);
  char *dir = g_build_filename (root, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return dir;
}

/* n images of 4x3 whose pixels encode their index, and labels i % 3. */
static void
write_pair (const char *dir, int n, gboolean gzip)
{
  g_autofree guint8 *pixels = g_new (guint8, n * 12);
  g_autofree guint8 *labels = g_new (guint8, n);
  g_autofree char *images_path = g_build_filename (dir, gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte", NULL);
  g_autofree char *labels_path = g_build_filename (dir, gzip ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte", NULL);
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < n * 12; i++)
    pixels[i] = (guint8) ((i / 12) * 10 + i % 12);
  for (int i = 0; i < n; i++)
    labels[i] = i % 3;
  tl_idx_write (images_path, 3, (int[]) { n, 4, 3 }, pixels, gzip, &error);
  g_assert_no_error (error);
  tl_idx_write (labels_path, 1, (int[]) { n }, labels, gzip, &error);
  g_assert_no_error (error);
}

static void
check_pair (const char *dir, gboolean gzip)
{
  g_autofree char *images_path = g_build_filename (dir, gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) ds = tl_idx_load (images_path, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (ds->n, ==, 12);
  g_assert_cmpint (ds->kind, ==, TL_DATA_IMAGE);
  g_assert_cmpint (ds->sample_ndim, ==, 3);
  g_assert_cmpint (ds->sample_shape[0], ==, 1);
  g_assert_cmpint (ds->sample_shape[1], ==, 4);
  g_assert_cmpint (ds->sample_shape[2], ==, 3);
  g_assert_cmpint (ds->n_classes, ==, 3);
  g_assert_cmpstr (ds->class_names[2], ==, "2");
  for (int i = 0; i < 12; i++)
    {
      g_assert_cmpint (ds->y[i], ==, i % 3);
      for (int p = 0; p < 12; p++)
        g_assert_cmpfloat_with_epsilon (ds->x[i * 12 + p], (i * 10 + p) / 255.0f, 1e-7);
    }
  g_assert_null (ds->x8);

  /* the same images kept as bytes, and as floats from them bit for bit */
  {
    g_autoptr (TlDataset) bytes = tl_idx_load_bytes (images_path, NULL, &error);
    g_autoptr (TlDataset) floats = NULL;
    int rows[12];

    g_assert_no_error (error);
    g_assert_null (bytes->x);
    g_assert_cmpint (bytes->n, ==, 12);
    g_assert_cmpint (bytes->n_classes, ==, 3);
    for (int i = 0; i < 12; i++)
      {
        rows[i] = i;
        g_assert_cmpint (bytes->y[i], ==, i % 3);
        g_assert_cmpint (bytes->source_index[i], ==, i);
        for (int p = 0; p < 12; p++)
          g_assert_cmpint (bytes->x8[i * 12 + p], ==, i * 10 + p);
      }
    floats = tl_dataset_subset_floats (bytes, rows, 12);
    g_assert_cmpmem (floats->x, 144 * sizeof (float), ds->x, 144 * sizeof (float));
    g_assert_cmpmem (floats->source_index, 12 * sizeof (int), ds->source_index, 12 * sizeof (int));
  }
}

static void
test_round_trip (void)
{
  g_autofree char *dir = make_folder ("digits");

  write_pair (dir, 12, FALSE);
  check_pair (dir, FALSE);
  write_pair (dir, 12, TRUE);
  check_pair (dir, TRUE);
}

static void
test_fashion_names (void)
{
  g_autofree char *dir = make_folder ("fashion-mnist");
  g_autofree char *images_path = g_build_filename (dir, "train-images-idx3-ubyte.gz", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataset) ds = NULL;

  write_pair (dir, 12, TRUE);
  ds = tl_idx_load (images_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->n_classes, ==, 10);
  g_assert_cmpstr (ds->class_names[0], ==, "T-shirt/top");
  g_assert_cmpstr (ds->class_names[9], ==, "Ankle boot");
}

static void
test_malformed (void)
{
  g_autofree char *dir = make_folder ("bad");
  g_autofree char *path = g_build_filename (dir, "x-images-idx3-ubyte", NULL);
  g_autofree char *gz = g_build_filename (dir, "y-images-idx3-ubyte.gz", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlIdxArray) array = NULL;
  guint8 data[12] = { 0 };
  /* announces 2^30 * 2^30 bytes in a 16-byte file */
  const guint8 huge[] = { 0, 0, 8, 3, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 1 };
  const guint8 short_file[] = { 0, 0, 8, 1, 0, 0, 0, 100, 1, 2, 3 };
  const guint8 bad_magic[] = { 1, 2, 8, 1, 0, 0, 0, 1, 1 };

  g_file_set_contents (path, (const char *) huge, sizeof huge, NULL);
  array = tl_idx_read (path, &error);
  g_assert_null (array);
  g_assert_error (error, TL_ERROR, TL_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_file_set_contents (path, (const char *) short_file, sizeof short_file, NULL);
  array = tl_idx_read (path, &error);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "announces 100 bytes"));
  g_clear_error (&error);

  g_file_set_contents (path, (const char *) bad_magic, sizeof bad_magic, NULL);
  array = tl_idx_read (path, &error);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "magic"));
  g_clear_error (&error);

  /* a gzip file whose header announces more than it holds */
  tl_idx_write (gz, 1, (int[]) { 12 }, data, TRUE, &error);
  g_assert_no_error (error);
  {
    g_autofree char *contents = NULL;
    gsize len;

    g_file_get_contents (gz, &contents, &len, NULL);
    contents[len - 4] = (char) 0x20;     /* the recorded size no longer matches */
    g_file_set_contents (gz, contents, len, NULL);
  }
  array = tl_idx_read (gz, &error);
  g_assert_null (array);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_clear_error (&error);

  /* images without labels */
  tl_idx_write (path, 3, (int[]) { 1, 2, 2 }, data, FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (tl_idx_load (path, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "labels"));
}

static void
test_fashion_mnist (void)
{
  const char *path = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  int counts[10];

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("Fashion-MNIST is not installed in /usr/share/datasets/fashion-mnist");
      return;
    }
  s->val_fraction = 0.0;
  s->test_fraction = 0.0;
  import = tl_import_run (path, s, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (import->report->format, ==, "idx");
  g_assert_cmpint (import->dataset->n, ==, 60000);
  g_assert_cmpint (import->dataset->n_classes, ==, 10);
  g_assert_cmpstr (import->dataset->class_names[7], ==, "Sneaker");
  g_assert_cmpint (import->dataset->sample_shape[1], ==, 28);
  tl_dataset_class_counts (import->dataset, counts);
  for (int c = 0; c < 10; c++)
    g_assert_cmpint (counts[c], ==, 6000);
}

/* The float rows of full (read as floats) behind ds's rows, by their index in the file. */
static void
check_rows_from (const TlDataset *ds, const TlDataset *full)
{
  g_autoptr (TlTensor) x = tl_tensor_new_empty ();
  g_autofree int *rows = g_new (int, MAX (ds->n, 1));

  g_assert_nonnull (ds->source_index);
  for (int i = 0; i < ds->n; i++)
    rows[i] = i;
  tl_dataset_gather (ds, rows, ds->n, x, NULL);
  for (int i = 0; i < ds->n; i++)
    g_assert_cmpmem (x->data + (gsize) i * 12, 12 * sizeof (float),
                     full->x + (gsize) ds->source_index[i] * 12, 12 * sizeof (float));
}

/* A run's data: every part keeps the file's rows as bytes, each row holds the
 * values the file gives. */
static void
test_pipeline_rows (void)
{
  g_autofree char *dir = make_folder ("digits");
  g_autofree char *images_path = g_build_filename (dir, "train-images-idx3-ubyte.gz", NULL);
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (TlPipelineData) source = NULL;
  g_autoptr (TlPipelineData) target = NULL;
  g_autoptr (TlDataset) full = NULL;
  g_autoptr (GError) error = NULL;
  int n_seen = 0;

  write_pair (dir, 60, TRUE);
  full = tl_idx_load (images_path, NULL, &error);
  g_assert_no_error (error);
  for (TlDataSourceSpec *spec = &exp->source; spec != NULL; spec = spec == &exp->source ? &exp->target : NULL)
    {
      spec->format = TL_DATA_FORMAT_IDX;
      g_free (spec->path);
      spec->path = g_strdup (images_path);
      spec->test_fraction = 0.25;
      spec->val_fraction = 0.0;
    }
  exp->source.classes = g_strdupv ((char *[]) { "0", "1", NULL });
  exp->target.classes = g_strdupv ((char *[]) { "2", "1", NULL });
  exp->target.per_class = 3;

  source = tl_pipeline_import (exp, &exp->source, NULL, 7, "source", &error);
  g_assert_no_error (error);
  target = tl_pipeline_import (exp, &exp->target, source->preprocess, 7, "target", &error);
  g_assert_no_error (error);

  g_assert_cmpint (source->train->n + source->test->n, ==, 40);
  for (int k = 0; k < 4; k++)
    {
      const TlDataset *part = (const TlDataset *[]) { source->train, source->test, target->train, target->test }[k];

      g_assert_nonnull (part->x8);
      g_assert_null (part->x);
    }
  g_assert_cmpint (target->train->n, ==, 6);
  g_assert_nonnull (target->unlabeled);
  g_assert_nonnull (target->unlabeled->x8);
  g_assert_null (target->unlabeled->x);
  g_assert_cmpint (target->train->n + target->test->n + target->unlabeled->n, ==, 40);

  for (int i = 0; i < target->train->n; i++)
    n_seen += target->train->y[i] == 0;
  g_assert_cmpint (n_seen, ==, 3);
  check_rows_from (source->train, full);
  check_rows_from (source->test, full);
  check_rows_from (target->train, full);
  check_rows_from (target->test, full);
  check_rows_from (target->unlabeled, full);
  for (int i = 0; i < target->unlabeled->n; i++)
    g_assert_true (full->y[target->unlabeled->source_index[i]] != 0);

  /* without the unlabelled rows: the same parts, rows and bytes */
  {
    g_autoptr (TlPipelineData) labelled = tl_pipeline_import_labelled (exp, &exp->target, source->preprocess, NULL, 7,
                                                                       "target", &error);

    g_assert_no_error (error);
    g_assert_null (labelled->unlabeled);
    g_assert_cmpint (labelled->train->n, ==, target->train->n);
    g_assert_cmpint (labelled->test->n, ==, target->test->n);
    g_assert_cmpmem (labelled->train->source_index, target->train->n * sizeof (int),
                     target->train->source_index, target->train->n * sizeof (int));
    g_assert_cmpmem (labelled->train->x8, target->train->n * 12, target->train->x8, target->train->n * 12);
    g_assert_cmpmem (labelled->test->x8, target->test->n * 12, target->test->x8, target->test->n * 12);
  }
}

/* A file read by two imports while the first one's rows live is read once, and
 * freed with the last of them; a changed file is read again. */
static void
test_shared_file (void)
{
  g_autofree char *dir = make_folder ("digits");
  g_autofree char *images_path = g_build_filename (dir, "train-images-idx3-ubyte.gz", NULL);
  g_autoptr (GError) error = NULL;
  TlDataset *a, *b, *c;
  guint held = tl_file_cache_n_held ();

  write_pair (dir, 12, TRUE);
  a = tl_idx_load_bytes (images_path, NULL, &error);
  g_assert_no_error (error);
  /* the labels were only read for a's y: let go at once */
  g_assert_cmpuint (tl_file_cache_n_held (), ==, held + 1);
  b = tl_idx_load_bytes (images_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (a->x8 == b->x8);
  g_assert_cmpmem (a->y, 12 * sizeof (int), b->y, 12 * sizeof (int));
  tl_dataset_free (a);
  g_assert_cmpuint (tl_file_cache_n_held (), ==, held + 1);
  for (int p = 0; p < 12 * 12; p++)
    g_assert_cmpint (b->x8[p], ==, (p / 12) * 10 + p % 12);

  /* rewritten with more images while b lives: another file, read anew */
  write_pair (dir, 15, TRUE);
  c = tl_idx_load_bytes (images_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->n, ==, 15);
  g_assert_true (c->x8 != b->x8);
  g_assert_cmpuint (tl_file_cache_n_held (), ==, held + 2);
  tl_dataset_free (b);
  tl_dataset_free (c);
  g_assert_cmpuint (tl_file_cache_n_held (), ==, held);
}

/* An experiment whose source and target read the same files holds them across both imports. */
static void
test_hold_shared (void)
{
  g_autofree char *dir = make_folder ("digits");
  g_autofree char *images_path = g_build_filename (dir, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *other = g_build_filename (dir, "other-images-idx3-ubyte.gz", NULL);
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (GError) error = NULL;
  GPtrArray *held;
  guint before = tl_file_cache_n_held ();

  write_pair (dir, 12, TRUE);
  for (TlDataSourceSpec *spec = &exp->source; spec != NULL; spec = spec == &exp->source ? &exp->target : NULL)
    {
      spec->format = TL_DATA_FORMAT_IDX;
      spec->path = g_strdup (images_path);
    }
  held = tl_pipeline_hold_shared_files (exp);
  g_assert_cmpuint (held->len, ==, 1);
  g_assert_cmpuint (tl_file_cache_n_held (), ==, before + 1);
  {
    g_autoptr (TlDataset) ds = tl_idx_load_bytes (images_path, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (ds->x8 == g_bytes_get_data (held->pdata[0], NULL));
  }
  g_ptr_array_unref (held);
  g_assert_cmpuint (tl_file_cache_n_held (), ==, before);

  /* different files, or a missing one, hold nothing */
  g_free (exp->target.path);
  exp->target.path = g_strdup (other);
  held = tl_pipeline_hold_shared_files (exp);
  g_assert_cmpuint (held->len, ==, 0);
  g_ptr_array_unref (held);
  g_free (exp->source.path);
  exp->source.path = g_strdup (other);
  held = tl_pipeline_hold_shared_files (exp);
  g_assert_cmpuint (held->len, ==, 0);
  g_ptr_array_unref (held);
  g_assert_cmpuint (tl_file_cache_n_held (), ==, before);
}

/* Files named without "idx" are told by their first bytes, compressed or not;
 * a CSV (even a gzipped one) and a file shorter than a header are not IDX. */
static void
test_sniff (void)
{
  g_autofree char *dir = make_folder ("sniff");
  const guint8 data[4] = { 1, 2, 3, 4 };
  g_autoptr (GError) error = NULL;

  for (int gzip = 0; gzip < 2; gzip++)
    {
      g_autofree char *images = g_build_filename (dir, gzip ? "target-images.gz" : "target-images", NULL);
      g_autofree char *labels = g_build_filename (dir, gzip ? "target-labels.gz" : "target-labels", NULL);
      g_autoptr (TlDataset) ds = NULL;

      tl_idx_write (images, 3, (int[]) { 4, 1, 1 }, data, gzip, &error);
      g_assert_no_error (error);
      tl_idx_write (labels, 1, (int[]) { 4 }, data, gzip, &error);
      g_assert_no_error (error);
      g_assert_true (tl_idx_sniff (images));
      g_assert_cmpint (tl_import_guess_format (images), ==, TL_SOURCE_IDX);
      /* and the labels beside it are found by name */
      ds = tl_idx_load (images, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (ds->n, ==, 4);
    }
  {
    g_autofree char *csv = g_build_filename (dir, "table.csv", NULL);
    g_autofree char *csv_gz = g_build_filename (dir, "table.gz", NULL);
    g_autofree char *tiny = g_build_filename (dir, "tiny", NULL);
    const char *text = "a,label\n1,x\n";
    g_autoptr (GZlibCompressor) gz = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
    guint8 packed[256];
    gsize read = 0, written = 0;

    g_assert_true (g_file_set_contents (csv, text, -1, NULL));
    g_assert_false (tl_idx_sniff (csv));
    g_assert_cmpint (tl_import_guess_format (csv), ==, TL_SOURCE_CSV);
    g_assert_cmpint (g_converter_convert (G_CONVERTER (gz), text, strlen (text), packed, sizeof packed,
                                          G_CONVERTER_INPUT_AT_END, &read, &written, &error),
                     ==, G_CONVERTER_FINISHED);
    g_assert_no_error (error);
    g_assert_true (g_file_set_contents (csv_gz, (const char *) packed, written, NULL));
    g_assert_false (tl_idx_sniff (csv_gz));
    g_assert_true (g_file_set_contents (tiny, "\0\0\x08", 3, NULL));
    g_assert_false (tl_idx_sniff (tiny));
    g_assert_false (tl_idx_sniff (dir));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/idx/round-trip", test_round_trip);
  g_test_add_func ("/idx/fashion-names", test_fashion_names);
  g_test_add_func ("/idx/malformed", test_malformed);
  g_test_add_func ("/idx/fashion-mnist", test_fashion_mnist);
  g_test_add_func ("/idx/pipeline-rows", test_pipeline_rows);
  g_test_add_func ("/idx/shared-file", test_shared_file);
  g_test_add_func ("/idx/hold-shared", test_hold_shared);
  g_test_add_func ("/idx/sniff", test_sniff);
  return g_test_run ();
}
