#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-domain-map-export.h"
#include "tl-domain-map.h"
#include "tl-experiment.h"
#include <glib/gstdio.h>
#include "tl-error.h"
#include "tl-rng.h"

/* The cross (+-3, 0), (0, +-1) turned by 30 degrees and moved to (5, -2), each
 * point's coordinates written into dims (da, db) of `dim`: its principal
 * components are the cross's own axes, the variances 9/2 and 1/2. */
static const float cross[4][2] = { { 3, 0 }, { -3, 0 }, { 0, 1 }, { 0, -1 } };

static float *
turned_cross (int dim, int da, int db)
{
  float *x = g_new0 (float, 4 * dim);
  double c = cos (G_PI / 6), s = sin (G_PI / 6);

  for (int i = 0; i < 4; i++)
    {
      x[i * dim + da] = (float) (5 + c * cross[i][0] - s * cross[i][1]);
      x[i * dim + db] = (float) (-2 + s * cross[i][0] + c * cross[i][1]);
    }
  return x;
}

static void
check_cross (const float *xy, const double *explained)
{
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpfloat_with_epsilon (xy[2 * i], cross[i][0], 1e-4);
      g_assert_cmpfloat_with_epsilon (xy[2 * i + 1], cross[i][1], 1e-4);
    }
  g_assert_cmpfloat_with_epsilon (explained[0], 0.9, 1e-6);
  g_assert_cmpfloat_with_epsilon (explained[1], 0.1, 1e-6);
}

/* Two dimensions, more rows than features: the covariance route. */
static void
test_pca_known_2d (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *x = turned_cross (2, 0, 1);
  float xy[8];
  double explained[2];

  g_assert_true (tl_pca_2d (x, 4, 2, xy, explained, &error));
  g_assert_no_error (error);
  check_cross (xy, explained);
}

/* The same cross in 10 dimensions from 4 rows: the Gram-matrix route gives the same answer. */
static void
test_pca_more_features_than_rows (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *x = turned_cross (10, 3, 7);
  float xy[8];
  double explained[2];

  g_assert_true (tl_pca_2d (x, 4, 10, xy, explained, &error));
  g_assert_no_error (error);
  check_cross (xy, explained);
}

/* Random rows: centred, uncorrelated coordinates, the first spread the wider,
 * and each one's energy its share of the total. */
static void
test_pca_properties (void)
{
  g_autoptr (GError) error = NULL;
  int n = 200, dim = 6;
  g_autofree float *x = g_new (float, n * dim);
  g_autofree float *xy = g_new (float, n * 2);
  double explained[2], mean[2] = { 0 }, ss[2] = { 0 }, cross_sum = 0, total = 0, col_mean[6] = { 0 };
  TlRng rng;

  tl_rng_init (&rng, 9);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      x[i * dim + j] = (float) (tl_rng_normal (&rng) * (j + 1));
  g_assert_true (tl_pca_2d (x, n, dim, xy, explained, &error));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      col_mean[j] += x[i * dim + j] / n;
  for (int i = 0; i < n; i++)
    {
      for (int j = 0; j < dim; j++)
        total += (x[i * dim + j] - col_mean[j]) * (x[i * dim + j] - col_mean[j]);
      for (int p = 0; p < 2; p++)
        {
          mean[p] += xy[2 * i + p] / n;
          ss[p] += (double) xy[2 * i + p] * xy[2 * i + p];
        }
      cross_sum += (double) xy[2 * i] * xy[2 * i + 1];
    }
  g_assert_cmpfloat (fabs (mean[0]), <, 1e-3);
  g_assert_cmpfloat (fabs (mean[1]), <, 1e-3);
  g_assert_cmpfloat (fabs (cross_sum) / sqrt (ss[0] * ss[1]), <, 1e-4);
  g_assert_cmpfloat (ss[0], >=, ss[1]);
  g_assert_cmpfloat_with_epsilon (ss[0] / total, explained[0], 1e-4);
  g_assert_cmpfloat_with_epsilon (ss[1] / total, explained[1], 1e-4);
  /* the widest axis here is the last feature (standard deviation 6) */
  g_assert_cmpfloat (explained[0], >, 0.3);
}

/* Points on a line: the second coordinate is 0. Too few rows or a NaN: an error. */
static void
test_pca_degenerate (void)
{
  g_autoptr (GError) error = NULL;
  float line[] = { 1, 2, 2, 4, 3, 6, 4, 8 };
  float bad[] = { 1, 2, NAN, 4, 3, 6 };
  float xy[8];
  double explained[2];

  g_assert_true (tl_pca_2d (line, 4, 2, xy, explained, &error));
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (fabs (xy[2 * i + 1]), <, 1e-5);
  g_assert_cmpfloat_with_epsilon (explained[0], 1.0, 1e-9);
  g_assert_cmpfloat (explained[1], ==, 0.0);
  g_assert_cmpfloat_with_epsilon (xy[0], -1.5 * sqrt (5.0), 1e-4);

  g_assert_false (tl_pca_2d (line, 1, 2, xy, explained, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (tl_pca_2d (bad, 3, 2, xy, explained, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "sample 1"));
}

static TlDataset *
blobs (int n, int dim, float shift, int n_classes, const char *const *names, guint64 seed)
{
  TlDataset *ds = tl_dataset_new (TL_DATA_TABULAR, n, 1, (int[]) { dim }, n_classes, names);
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (int i = 0; i < n; i++)
    {
      ds->y[i] = i % n_classes;
      for (int j = 0; j < dim; j++)
        ds->x[i * dim + j] = (float) tl_rng_normal (&rng) + shift + (j == ds->y[i] ? 3.0f : 0.0f);
    }
  return ds;
}

/* Through a model: rows capped, source first, classes by name over both
 * domains, and the A-distance of domains far apart near 2, of one domain's halves near 0. */
static void
test_domain_map_compute (void)
{
  const char *src_names[] = { "a", "b", "c", NULL };
  const char *tgt_names[] = { "c", "d", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) mlp = tl_model_new_preset (TL_PRESET_MLP, 1, (int[]) { 8 }, 3, 0, 1, &error);
  g_autoptr (TlDataset) source = blobs (150, 8, 0.0f, 3, src_names, 1);
  g_autoptr (TlDataset) target = blobs (60, 8, 5.0f, 2, tgt_names, 2);
  g_autoptr (TlDataset) same = blobs (300, 8, 0.0f, 3, src_names, 3);
  g_autoptr (TlDomainMap) map = NULL;
  g_autoptr (TlDomainMap) halves = NULL;
  int layer;

  g_assert_no_error (error);
  layer = tl_domain_map_default_layer (mlp);
  g_assert_cmpint (layer, ==, 4);     /* relu2, what dense3 reads */
  map = tl_domain_map_compute (mlp, layer, source, target, 100, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpint (map->n_source, ==, 100);
  g_assert_cmpint (map->n, ==, 160);
  g_assert_cmpint (map->n_classes, ==, 4);
  g_assert_cmpstr (map->class_names[2], ==, "c");
  g_assert_cmpstr (map->class_names[3], ==, "d");
  for (int i = 0; i < map->n; i++)
    {
      const char *name = map->class_names[map->label[i]];
      if (i >= map->n_source)
        g_assert_true (g_strcmp0 (name, "c") == 0 || g_strcmp0 (name, "d") == 0);
      else
        g_assert_true (g_strcmp0 (name, "d") != 0);
      g_assert_true (isfinite (map->xy[2 * i]) && isfinite (map->xy[2 * i + 1]));
    }
  g_test_message ("A-distance apart %.3f, explained %.2f %.2f", map->a_distance, map->explained[0], map->explained[1]);
  g_assert_cmpfloat (map->a_distance, >, 1.5);
  g_assert_cmpstr (map->layer_name, ==, "relu2");

  /* two halves of one data set */
  {
    g_autofree int *first = g_new (int, 150);
    g_autofree int *second = g_new (int, 150);
    g_autoptr (TlDataset) a = NULL;
    g_autoptr (TlDataset) b = NULL;

    for (int i = 0; i < 150; i++)
      {
        first[i] = i;
        second[i] = 150 + i;
      }
    a = tl_dataset_subset (same, first, 150);
    b = tl_dataset_subset (same, second, 150);
    halves = tl_domain_map_compute (mlp, layer, a, b, 150, 7, &error);
    g_assert_no_error (error);
    g_test_message ("A-distance of two halves %.3f", halves->a_distance);
    g_assert_cmpfloat (fabs (halves->a_distance), <, 0.35);
  }

  /* a layer that does not exist, too few rows */
  g_assert_null (tl_domain_map_compute (mlp, 6, source, target, 100, 7, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  {
    g_autoptr (TlDataset) tiny = blobs (3, 8, 0.0f, 3, src_names, 4);
    g_assert_null (tl_domain_map_compute (mlp, layer, source, tiny, 100, 7, &error));
    g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  }
}

/* A run's maps: one file per plot format, before and after side by side; none from too few rows. */
static void
test_domain_map_write_run (void)
{
  const char *names[] = { "a", "b", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tl-map-XXXXXX", NULL);
  g_autoptr (TlModel) before = tl_model_new_preset (TL_PRESET_MLP, 1, (int[]) { 6 }, 2, 0, 1, &error);
  g_autoptr (TlModel) after = tl_model_new_preset (TL_PRESET_MLP, 1, (int[]) { 6 }, 2, 0, 2, &error);
  g_autoptr (TlDataset) source = blobs (40, 6, 0.0f, 2, names, 1);
  g_autoptr (TlDataset) target = blobs (30, 6, 2.0f, 2, names, 2);
  g_autoptr (TlDataset) few = blobs (3, 6, 2.0f, 2, names, 3);
  const char *files[] = { "domain-map.png", "domain-map.svg", "domain-map.pdf" };

  g_assert_no_error (error);
  g_assert_true (tl_domain_map_write_run (dir, before, after, "transfer", source, target, TL_PLOT_PNG | TL_PLOT_PDF,
                                          5, &error));
  g_assert_no_error (error);
  for (int f = 0; f < 3; f++)
    {
      g_autofree char *path = g_build_filename (dir, files[f], NULL);
      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS) == (f != 1));
      g_remove (path);
    }
  g_assert_true (tl_domain_map_write_run (dir, before, NULL, NULL, source, few, TL_PLOT_PNG, 5, &error));
  g_assert_no_error (error);
  {
    g_autofree char *path = g_build_filename (dir, files[0], NULL);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/domain-map/pca-known-2d", test_pca_known_2d);
  g_test_add_func ("/domain-map/pca-more-features-than-rows", test_pca_more_features_than_rows);
  g_test_add_func ("/domain-map/pca-properties", test_pca_properties);
  g_test_add_func ("/domain-map/pca-degenerate", test_pca_degenerate);
  g_test_add_func ("/domain-map/compute", test_domain_map_compute);
  g_test_add_func ("/domain-map/write-run", test_domain_map_write_run);
  return g_test_run ();
}
