#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-dataset.h"
#include "tl-error.h"
#include "tl-half.h"
#include "tl-split.h"

/* n rows of 2 features (row index, class) with classes of sizes `sizes`. */
static TlDataset *
make_dataset (const int *sizes, int n_classes)
{
  const char *names[] = { "ant", "bee", "cat", "dog", NULL };
  int n = 0, at = 0;
  TlDataset *ds;

  for (int c = 0; c < n_classes; c++)
    n += sizes[c];
  ds = tl_dataset_new (TL_DATA_TABULAR, n, 1, (int[]) { 2 }, n_classes, names);
  ds->source_index = g_new (int, n);
  for (int c = 0; c < n_classes; c++)
    for (int k = 0; k < sizes[c]; k++, at++)
      {
        /* interleave the classes so that order alone cannot explain the results */
        ds->x[at * 2] = (float) at;
        ds->x[at * 2 + 1] = (float) c;
        ds->y[at] = c;
        ds->source_index[at] = at + 2;
      }
  return ds;
}

static void
test_counts_and_subset (void)
{
  g_autoptr (TlDataset) ds = make_dataset ((int[]) { 10, 20, 30, 40 }, 4);
  g_autoptr (TlDataset) sub = NULL;
  g_autoptr (GError) error = NULL;
  int counts[4];

  tl_dataset_class_counts (ds, counts);
  g_assert_cmpint (counts[0], ==, 10);
  g_assert_cmpint (counts[3], ==, 40);
  g_assert_cmpfloat (tl_imbalance_ratio (counts, 4), ==, 4.0);

  sub = tl_dataset_select_classes (ds, (const char *[]) { "dog", "bee", NULL }, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sub->n, ==, 60);
  g_assert_cmpint (sub->n_classes, ==, 2);
  g_assert_cmpstr (sub->class_names[0], ==, "dog");
  g_assert_cmpstr (sub->class_names[1], ==, "bee");
  for (int i = 0; i < sub->n; i++)
    {
      int original = (int) sub->x[i * 2 + 1];

      g_assert_cmpint (sub->y[i], ==, original == 3 ? 0 : 1);
      g_assert_cmpint (sub->source_index[i], ==, (int) sub->x[i * 2] + 2);
    }
  g_assert_null (tl_dataset_select_classes (ds, (const char *[]) { "eel", NULL }, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "'eel'"));
}

static void
test_per_class (void)
{
  g_autoptr (TlDataset) ds = make_dataset ((int[]) { 10, 20, 30 }, 3);
  g_autoptr (TlDataset) a = NULL;
  g_autoptr (TlDataset) b = NULL;
  g_autoptr (TlDataset) c = NULL;
  g_autoptr (GError) error = NULL;
  int counts[3];

  a = tl_dataset_sample_per_class (ds, 5, 7, &error);
  g_assert_no_error (error);
  b = tl_dataset_sample_per_class (ds, 5, 7, &error);
  c = tl_dataset_sample_per_class (ds, 5, 8, &error);
  g_assert_cmpint (a->n, ==, 15);
  tl_dataset_class_counts (a, counts);
  g_assert_cmpint (counts[0], ==, 5);
  g_assert_cmpint (counts[1], ==, 5);
  g_assert_cmpint (counts[2], ==, 5);
  g_assert_cmpmem (a->x, 30 * sizeof (float), b->x, 30 * sizeof (float));
  g_assert_true (memcmp (a->x, c->x, 30 * sizeof (float)) != 0);
  g_assert_null (tl_dataset_sample_per_class (ds, 11, 7, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "class 'ant' has 10 samples"));
}

static void
test_stratified_split (void)
{
  g_autoptr (TlDataset) ds = make_dataset ((int[]) { 100, 200, 300, 400 }, 4);
  g_autoptr (TlSplit) a = NULL;
  g_autoptr (TlSplit) b = NULL;
  g_autoptr (TlSplit) c = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gboolean *seen = g_new0 (gboolean, ds->n);
  int counts[4];

  a = tl_dataset_split (ds, 0.1, 0.2, 3, &error);
  g_assert_no_error (error);
  b = tl_dataset_split (ds, 0.1, 0.2, 3, &error);
  c = tl_dataset_split (ds, 0.1, 0.2, 4, &error);
  g_assert_cmpint (a->n_train, ==, 700);
  g_assert_cmpint (a->n_val, ==, 100);
  g_assert_cmpint (a->n_test, ==, 200);
  /* class proportions kept in every part */
  tl_count_classes (ds->y, a->test, a->n_test, 4, counts);
  for (int k = 0; k < 4; k++)
    g_assert_cmpint (counts[k], ==, 20 * (k + 1));
  tl_count_classes (ds->y, a->val, a->n_val, 4, counts);
  for (int k = 0; k < 4; k++)
    g_assert_cmpint (counts[k], ==, 10 * (k + 1));
  /* a partition of the rows */
  for (int i = 0; i < a->n_train; i++)
    seen[a->train[i]] = TRUE;
  for (int i = 0; i < a->n_val; i++)
    {
      g_assert_false (seen[a->val[i]]);
      seen[a->val[i]] = TRUE;
    }
  for (int i = 0; i < a->n_test; i++)
    {
      g_assert_false (seen[a->test[i]]);
      seen[a->test[i]] = TRUE;
    }
  for (int i = 0; i < ds->n; i++)
    g_assert_true (seen[i]);
  /* seeded */
  g_assert_cmpmem (a->test, a->n_test * sizeof (int), b->test, b->n_test * sizeof (int));
  g_assert_true (memcmp (a->test, c->test, a->n_test * sizeof (int)) != 0);
}

static void
test_split_too_small (void)
{
  g_autoptr (TlDataset) ds = make_dataset ((int[]) { 50, 2 }, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlSplit) split = tl_dataset_split (ds, 0.1, 0.1, 1, &error);

  g_assert_null (split);
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "class 'bee' has 2 samples"));
  g_assert_nonnull (strstr (error->message, "at least 3"));
}

static void
test_gather_and_apply (void)
{
  g_autoptr (TlDataset) ds = make_dataset ((int[]) { 10, 10 }, 2);
  g_autoptr (TlTensor) x = tl_tensor_new_empty ();
  g_autoptr (TlSplit) split = NULL;
  g_autoptr (TlDataset) train = NULL;
  g_autoptr (TlDataset) test = NULL;
  g_autoptr (GError) error = NULL;
  int y[3];

  tl_dataset_gather (ds, (int[]) { 15, 2, 9 }, 3, x, y);
  g_assert_cmpint (x->ndim, ==, 2);
  g_assert_cmpint (x->shape[0], ==, 3);
  g_assert_cmpint (x->shape[1], ==, 2);
  g_assert_cmpfloat (x->data[0], ==, 15.0f);
  g_assert_cmpfloat (x->data[2], ==, 2.0f);
  g_assert_cmpfloat (x->data[4], ==, 9.0f);
  g_assert_cmpint (y[0], ==, 1);
  g_assert_cmpint (y[1], ==, 0);

  split = tl_dataset_split (ds, 0.0, 0.2, 9, &error);
  g_assert_no_error (error);
  tl_split_apply (split, ds, &train, NULL, &test);
  g_assert_cmpint (train->n, ==, 16);
  g_assert_cmpint (test->n, ==, 4);
  for (int i = 0; i < test->n; i++)
    g_assert_cmpfloat (test->x[i * 2], ==, (float) split->test[i]);
}

/* Rows held as bytes give, through every way out, the floats b * (1 / 255) bit for bit. */
static void
test_bytes_rows (void)
{
  const char *names[] = { "ant", "bee", NULL };
  guint8 *bytes = g_new (guint8, 5 * 3);
  g_autoptr (TlDataset) ds = NULL;
  g_autoptr (TlDataset) small = NULL;
  g_autoptr (TlDataset) floats = NULL;
  g_autoptr (TlDataset) both = NULL;
  g_autoptr (TlDataset) all_floats = NULL;
  g_autoptr (TlTensor) x = tl_tensor_new_empty ();
  int y[2];

  for (int i = 0; i < 15; i++)
    bytes[i] = (guint8) (i * 17 + 3);
  ds = tl_dataset_new_bytes (TL_DATA_IMAGE, 5, 3, (int[]) { 1, 1, 3 }, 2, names, bytes);
  g_assert_null (ds->x);
  g_assert_true (ds->x8 == bytes);
  g_assert_cmpuint (ds->sample_size, ==, 3);
  for (int i = 0; i < 5; i++)
    ds->y[i] = i % 2;

  small = tl_dataset_subset (ds, (int[]) { 4, 1 }, 2);
  g_assert_null (small->x);
  g_assert_nonnull (small->x8);
  g_assert_cmpint (small->x8[0], ==, bytes[12]);
  g_assert_cmpint (small->x8[5], ==, bytes[5]);
  g_assert_cmpint (small->y[0], ==, 0);
  g_assert_cmpint (small->y[1], ==, 1);

  floats = tl_dataset_subset_floats (ds, (int[]) { 4, 1 }, 2);
  g_assert_null (floats->x8);
  g_assert_cmpstr (floats->class_names[1], ==, "bee");
  for (int k = 0; k < 3; k++)
    {
      float want0 = bytes[12 + k] * (1.0f / 255.0f), want1 = bytes[3 + k] * (1.0f / 255.0f);

      g_assert_cmpmem (&floats->x[k], sizeof (float), &want0, sizeof (float));
      g_assert_cmpmem (&floats->x[3 + k], sizeof (float), &want1, sizeof (float));
    }

  tl_dataset_gather (ds, (int[]) { 4, 1 }, 2, x, y);
  g_assert_cmpint (x->ndim, ==, 4);
  g_assert_cmpint (x->shape[0], ==, 2);
  g_assert_cmpmem (x->data, 6 * sizeof (float), floats->x, 6 * sizeof (float));
  g_assert_cmpint (y[0], ==, 0);
  g_assert_cmpint (y[1], ==, 1);

  both = tl_dataset_concat (ds, small);
  g_assert_cmpint (both->n, ==, 7);
  g_assert_null (both->x);
  g_assert_cmpmem (both->x8, 15, bytes, 15);
  g_assert_cmpmem (both->x8 + 15, 6, small->x8, 6);
  g_assert_cmpint (both->y[5], ==, 0);

  /* one row at a time: the same floats, or a pointer into the floats */
  {
    float buf[3];
    const float *row = tl_dataset_row (ds, 4, buf);

    g_assert_true (row == buf);
    g_assert_cmpmem (row, 3 * sizeof (float), floats->x, 3 * sizeof (float));
    g_assert_true (tl_dataset_row (floats, 1, buf) == floats->x + 3);
  }

  /* bytes and floats together become floats */
  {
    g_autoptr (TlDataset) mixed = tl_dataset_concat (small, floats);
    g_autoptr (TlDataset) mixed2 = tl_dataset_concat (floats, small);

    g_assert_null (mixed->x8);
    g_assert_cmpint (mixed->n, ==, 4);
    g_assert_cmpmem (mixed->x, 6 * sizeof (float), floats->x, 6 * sizeof (float));
    g_assert_cmpmem (mixed->x + 6, 6 * sizeof (float), floats->x, 6 * sizeof (float));
    g_assert_cmpmem (mixed2->x, 12 * sizeof (float), mixed->x, 12 * sizeof (float));
    g_assert_cmpint (mixed2->y[2], ==, 0);
  }

  /* a floats dataset stays floats either way */
  all_floats = tl_dataset_subset (floats, (int[]) { 1 }, 1);
  g_assert_null (all_floats->x8);
  g_assert_cmpmem (all_floats->x, 3 * sizeof (float), floats->x + 3, 3 * sizeof (float));
}

static void
note_freed (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* Rows shared with a buffer held elsewhere: read in place, kept while the dataset lives. */
static void
test_shared_bytes (void)
{
  static const guint8 file[] = { 9, 9, 10, 20, 30, 40, 50, 60 };
  gboolean freed = FALSE;
  GBytes *bytes = g_bytes_new_with_free_func (file, sizeof file, note_freed, &freed);
  TlDataset *ds = tl_dataset_new_shared_bytes (TL_DATA_IMAGE, 3, 3, (int[]) { 1, 1, 2 }, 2, NULL, bytes, 2);
  g_autoptr (TlDataset) copy = NULL;
  float buf[2];

  g_bytes_unref (bytes);
  g_assert_false (freed);
  g_assert_true (ds->x8 == file + 2);
  g_assert_null (ds->x);
  g_assert_cmpfloat (tl_dataset_row (ds, 2, buf)[1], ==, 60 * (1.0f / 255.0f));
  copy = tl_dataset_subset (ds, (int[]) { 2, 0 }, 2);
  g_assert_null (copy->x8_owner);
  g_assert_cmpint (copy->x8[0], ==, 50);
  g_assert_cmpint (copy->x8[3], ==, 20);
  tl_dataset_free (ds);
  g_assert_true (freed);
  g_assert_cmpint (copy->x8[1], ==, 60);
}

/* Audio features held as halves: the rows keep that form through subsets and
 * concatenations of halves, and every reader gets each half's exact value. */
static void
test_half_rows (void)
{
  const char *names[] = { "yes", "no", NULL };
  g_autoptr (TlDataset) ds = tl_dataset_new (TL_DATA_AUDIO, 4, 3, (int[]) { 1, 2, 3 }, 2, names);
  g_autoptr (TlDataset) small = NULL;
  g_autoptr (TlDataset) floats = NULL;
  g_autoptr (TlDataset) both = NULL;
  g_autoptr (TlDataset) mixed = NULL;
  g_autoptr (TlTensor) x = tl_tensor_new_empty ();
  float original[24], rounded[24], buf[6];
  int y[2];

  for (int i = 0; i < 24; i++)
    {
      original[i] = ds->x[i] = 0.1f * (float) (i - 11) + 0.0123f;
      rounded[i] = tl_half_to_float (tl_half_from_float (original[i]));
    }
  for (int i = 0; i < 4; i++)
    ds->y[i] = i % 2;
  tl_dataset_hold_as_halves (ds);
  g_assert_null (ds->x);
  g_assert_nonnull (ds->x16);
  for (int i = 0; i < 24; i++)
    {
      g_assert_cmpfloat (rounded[i], !=, 0.0f);
      g_assert_cmpfloat (fabsf (rounded[i] - original[i]), <=, fabsf (original[i]) * 0x1p-11f);
    }
  /* one row: the rounded floats in the caller's buffer */
  g_assert_true (tl_dataset_row (ds, 2, buf) == buf);
  g_assert_cmpmem (buf, sizeof buf, rounded + 12, sizeof buf);

  small = tl_dataset_subset (ds, (int[]) { 3, 0 }, 2);
  g_assert_null (small->x);
  g_assert_cmpmem (small->x16, 6 * sizeof (guint16), ds->x16 + 18, 6 * sizeof (guint16));
  g_assert_cmpmem (small->x16 + 6, 6 * sizeof (guint16), ds->x16, 6 * sizeof (guint16));
  g_assert_cmpint (small->y[0], ==, 1);

  floats = tl_dataset_subset_floats (ds, (int[]) { 3, 0 }, 2);
  g_assert_null (floats->x16);
  g_assert_cmpmem (floats->x, 6 * sizeof (float), rounded + 18, 6 * sizeof (float));
  g_assert_cmpmem (floats->x + 6, 6 * sizeof (float), rounded, 6 * sizeof (float));

  tl_dataset_gather (ds, (int[]) { 3, 0 }, 2, x, y);
  g_assert_cmpint (x->ndim, ==, 4);
  g_assert_cmpint (x->shape[3], ==, 3);
  g_assert_cmpmem (x->data, 12 * sizeof (float), floats->x, 12 * sizeof (float));
  g_assert_cmpint (y[0], ==, 1);
  g_assert_cmpint (y[1], ==, 0);

  both = tl_dataset_concat (ds, small);
  g_assert_cmpint (both->n, ==, 6);
  g_assert_null (both->x);
  g_assert_cmpmem (both->x16, 24 * sizeof (guint16), ds->x16, 24 * sizeof (guint16));
  g_assert_cmpmem (both->x16 + 24, 12 * sizeof (guint16), small->x16, 12 * sizeof (guint16));

  /* halves and floats together become floats */
  mixed = tl_dataset_concat (small, floats);
  g_assert_null (mixed->x16);
  g_assert_cmpmem (mixed->x, 12 * sizeof (float), floats->x, 12 * sizeof (float));
  g_assert_cmpmem (mixed->x + 12, 12 * sizeof (float), floats->x, 12 * sizeof (float));

  /* a dataset already compact stays as it is */
  tl_dataset_hold_as_halves (small);
  g_assert_cmpmem (small->x16, 6 * sizeof (guint16), ds->x16 + 18, 6 * sizeof (guint16));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dataset/counts-subset", test_counts_and_subset);
  g_test_add_func ("/dataset/per-class", test_per_class);
  g_test_add_func ("/dataset/stratified-split", test_stratified_split);
  g_test_add_func ("/dataset/split-too-small", test_split_too_small);
  g_test_add_func ("/dataset/gather-apply", test_gather_and_apply);
  g_test_add_func ("/dataset/bytes-rows", test_bytes_rows);
  g_test_add_func ("/dataset/shared-bytes", test_shared_bytes);
  g_test_add_func ("/dataset/half-rows", test_half_rows);
  return g_test_run ();
}
