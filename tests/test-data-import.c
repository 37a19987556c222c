#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>

#include "test-util.h"
#include "tl-data-import.h"
#include "tl-idx.h"

/* The window's imports in their worker threads: what they hand back, and what
 * they hold while a wizard shows the classes or a page shows the rows. */

#define N_IMAGES 60
#define SIDE 4

typedef struct {
  char *root;
  char *images;
  char *labels;
} Files;

/* N_IMAGES images whose pixels encode their index, labelled i % 3. */
static void
files_init (Files *f)
{
  g_autofree guint8 *pixels = g_new (guint8, N_IMAGES * SIDE * SIDE);
  guint8 y[N_IMAGES];
  g_autoptr (GError) error = NULL;

  f->root = g_dir_make_tmp ("tl-data-import-XXXXXX", NULL);
  f->images = g_build_filename (f->root, "images-idx3-ubyte", NULL);
  f->labels = g_build_filename (f->root, "labels-idx1-ubyte", NULL);
  for (int i = 0; i < N_IMAGES * SIDE * SIDE; i++)
    pixels[i] = (guint8) (i / (SIDE * SIDE) * 4 + i % (SIDE * SIDE));
  for (int i = 0; i < N_IMAGES; i++)
    y[i] = (guint8) (i % 3);
  g_assert_true (tl_idx_write (f->images, 3, (int[]) { N_IMAGES, SIDE, SIDE }, pixels, FALSE, &error));
  g_assert_true (tl_idx_write (f->labels, 1, (int[]) { N_IMAGES }, y, FALSE, &error));
}

static void
files_clear (Files *f)
{
  tl_test_remove_tree (f->root);
  g_free (f->root);
  g_free (f->images);
  g_free (f->labels);
}

static void
on_done (GObject *source, GAsyncResult *res, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (res);
}

static TlDataImportResult *
wait_for (GAsyncResult **res)
{
  g_autoptr (GError) error = NULL;
  TlDataImportResult *result;

  while (*res == NULL)
    g_main_context_iteration (NULL, TRUE);
  result = tl_data_import_finish (*res, &error);
  g_assert_no_error (error);
  g_clear_object (res);
  return result;
}

static void
on_progress (double fraction, gpointer data)
{
  *(double *) data = fraction;
}

/* The wizard's look at the classes reads the report alone: no rows are kept. */
static void
test_report_only (void)
{
  Files f;
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlDataImportResult) result = NULL;
  GAsyncResult *res = NULL;

  files_init (&f);
  s->labels_path = g_strdup (f.labels);
  s->val_fraction = 0.2;
  s->test_fraction = 0.2;
  tl_data_import_async (f.images, s, NULL, on_done, &res);
  result = wait_for (&res);

  g_assert_cmpint (result->n_rows, ==, N_IMAGES);
  g_assert_cmpint (result->n_classes, ==, 3);
  g_assert_cmpint (result->import->report->n_train + result->import->report->n_val
                     + result->import->report->n_test, ==, N_IMAGES);
  for (int c = 0; c < 3; c++)
    g_assert_cmpint (result->import->report->class_counts[c], ==, N_IMAGES / 3);
  g_assert_null (result->import->dataset);
  g_assert_null (result->train);
  g_assert_null (result->val);
  g_assert_null (result->test);
  files_clear (&f);
}

/* The wizard's import as a run of the experiment reads it: read once, with its
 * progress, and the rows shown stay bytes, each the file's own. */
static void
test_as_a_run (void)
{
  Files f;
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (TlImportSettings) s = NULL;
  g_autoptr (TlDataImportResult) result = NULL;
  GAsyncResult *res = NULL;
  double fraction = 0;
  int seen[N_IMAGES] = { 0 };
  const TlDataset *parts[3];

  files_init (&f);
  exp->source.format = TL_DATA_FORMAT_IDX;
  exp->source.path = g_strdup (f.images);
  exp->source.labels_path = g_strdup (f.labels);
  exp->source.val_fraction = 0.25;
  exp->source.test_fraction = 0.2;
  s = tl_data_spec_to_settings (exp, &exp->source);
  tl_data_import_async_with_progress (f.images, s, exp, FALSE, NULL, NULL, on_progress, &fraction, NULL, on_done,
                                      &res);
  result = wait_for (&res);

  g_assert_null (result->import);
  g_assert_cmpint (result->n_rows, ==, N_IMAGES);
  g_assert_cmpint (result->n_classes, ==, 3);
  g_assert_cmpstr (result->format, ==, "idx");
  g_assert_nonnull (result->val);
  g_assert_nonnull (result->test);
  parts[0] = result->train;
  parts[1] = result->val;
  parts[2] = result->test;
  g_assert_cmpint (parts[0]->n + parts[1]->n + parts[2]->n, ==, N_IMAGES);
  for (int p = 0; p < 3; p++)
    {
      const TlDataset *ds = parts[p];

      g_assert_null (ds->x);
      g_assert_nonnull (ds->x8);
      for (int r = 0; r < ds->n; r++)
        {
          /* the first pixel names the image; the others follow from it */
          const guint8 *row = ds->x8 + (gsize) r * SIDE * SIDE;
          const int i = row[0] / 4;

          g_assert_cmpint (row[0] % 4, ==, 0);
          g_assert_cmpint (i, <, N_IMAGES);
          g_assert_cmpint (seen[i]++, ==, 0);
          g_assert_cmpint (ds->y[r], ==, i % 3);
          for (int k = 0; k < SIDE * SIDE; k++)
            g_assert_cmpint (row[k], ==, i * 4 + k);
        }
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpfloat (fraction, ==, 1.0);
  files_clear (&f);
}

/* A target read through the source's preprocessing: the import's own reading
 * gives the progress and the report, and keeps no rows; the rows shown are the
 * target's classes, as bytes. */
static void
test_target_through_source (void)
{
  Files f;
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (TlImportSettings) s = NULL, t = NULL;
  g_autoptr (TlDataImportResult) source = NULL, target = NULL;
  GAsyncResult *res = NULL;
  double fraction = 0;

  files_init (&f);
  exp->source.format = exp->target.format = TL_DATA_FORMAT_IDX;
  exp->source.path = g_strdup (f.images);
  exp->source.labels_path = g_strdup (f.labels);
  exp->source.classes = g_strsplit ("0,1", ",", -1);
  exp->target.path = g_strdup (f.images);
  exp->target.labels_path = g_strdup (f.labels);
  exp->target.classes = g_strsplit ("2", ",", -1);
  exp->target.test_fraction = 0.5;
  s = tl_data_spec_to_settings (exp, &exp->source);
  tl_data_import_async_with_progress (f.images, s, exp, FALSE, NULL, NULL, on_progress, &fraction, NULL, on_done,
                                      &res);
  source = wait_for (&res);
  g_assert_cmpint (source->n_rows, ==, 2 * N_IMAGES / 3);

  fraction = 0;
  t = tl_data_spec_to_settings (exp, &exp->target);
  tl_data_import_async_with_progress (f.images, t, exp, TRUE, source->data->preprocess, NULL, on_progress,
                                      &fraction, NULL, on_done, &res);
  target = wait_for (&res);
  g_assert_nonnull (target->import);
  g_assert_null (target->import->dataset);
  g_assert_cmpint (target->import->report->n_rows, ==, N_IMAGES / 3);
  g_assert_cmpint (target->n_classes, ==, 1);
  g_assert_cmpint (target->n_rows, ==, N_IMAGES / 3);
  g_assert_null (target->train->x);
  for (int r = 0; r < target->train->n; r++)
    g_assert_cmpint (target->train->x8[(gsize) r * SIDE * SIDE] / 4 % 3, ==, 2);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpfloat (fraction, ==, 1.0);
  files_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/data-import/report-only", test_report_only);
  g_test_add_func ("/data-import/as-a-run", test_as_a_run);
  g_test_add_func ("/data-import/target-through-source", test_target_through_source);
  return g_test_run ();
}
