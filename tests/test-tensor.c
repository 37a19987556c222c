#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-rng.h"
#include "tl-tensor.h"

static void
test_tensor_alignment_and_resize (void)
{
  g_autoptr (TlTensor) t = tl_tensor_new_4d (2, 3, 4, 5);
  float *first;

  g_assert_cmpuint (t->size, ==, 120);
  g_assert_cmpuint ((guintptr) t->data % TL_TENSOR_ALIGN, ==, 0);
  for (gsize i = 0; i < t->size; i++)
    g_assert_cmpfloat (t->data[i], ==, 0.0f);

  first = t->data;
  tl_tensor_resize (t, 2, (int[]) { 10, 12 });
  g_assert_true (t->data == first);          /* shrinking keeps the storage */
  g_assert_cmpint (t->ndim, ==, 2);
  g_assert_cmpuint (t->size, ==, 120);
  tl_tensor_resize (t, 2, (int[]) { 10, 13 });
  g_assert_cmpuint (t->capacity, >=, 130);
  g_assert_cmpuint (tl_tensor_sample_size (t), ==, 13);
}

static void
test_tensor_copy (void)
{
  g_autoptr (TlTensor) a = tl_tensor_new_2d (3, 2);
  g_autoptr (TlTensor) b = NULL;
  g_autofree char *shape = NULL;

  for (gsize i = 0; i < a->size; i++)
    a->data[i] = (float) i * 0.5f;
  b = tl_tensor_copy (a);
  g_assert_true (tl_tensor_same_shape (a, b));
  g_assert_cmpmem (a->data, a->size * sizeof (float), b->data, b->size * sizeof (float));
  shape = tl_tensor_shape_string (b->ndim, b->shape);
  g_assert_cmpstr (shape, ==, "[3, 2]");
}

static void
test_rng_reproducible (void)
{
  TlRng a, b, c;

  tl_rng_init (&a, 42);
  tl_rng_init (&b, 42);
  tl_rng_init (&c, 43);
  for (int i = 0; i < 100; i++)
    {
      guint64 x = tl_rng_next (&a);
      g_assert_cmpuint (x, ==, tl_rng_next (&b));
      g_assert_cmpuint (x, !=, tl_rng_next (&c));
    }
}

static void
test_rng_distributions (void)
{
  TlRng rng;
  double sum = 0, sum2 = 0;
  int counts[7] = { 0 };
  const int n = 200000;

  tl_rng_init (&rng, 7);
  for (int i = 0; i < n; i++)
    {
      double z = tl_rng_normal (&rng);
      double u = tl_rng_uniform (&rng);
      sum += z;
      sum2 += z * z;
      g_assert_cmpfloat (u, >=, 0.0);
      g_assert_cmpfloat (u, <, 1.0);
      counts[tl_rng_below (&rng, 7)]++;
    }
  g_assert_cmpfloat (fabs (sum / n), <, 0.01);
  g_assert_cmpfloat (fabs (sum2 / n - 1.0), <, 0.02);
  for (int k = 0; k < 7; k++)
    g_assert_cmpfloat (fabs (counts[k] / (double) n - 1.0 / 7), <, 0.005);
}

static void
test_rng_shuffle_is_permutation (void)
{
  TlRng rng;
  int items[50];
  gboolean seen[50] = { FALSE };
  int moved = 0;

  tl_rng_init (&rng, 1);
  for (int i = 0; i < 50; i++)
    items[i] = i;
  tl_rng_shuffle (&rng, items, 50);
  for (int i = 0; i < 50; i++)
    {
      g_assert_false (seen[items[i]]);
      seen[items[i]] = TRUE;
      moved += items[i] != i;
    }
  g_assert_cmpint (moved, >, 25);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tensor/alignment-and-resize", test_tensor_alignment_and_resize);
  g_test_add_func ("/tensor/copy", test_tensor_copy);
  g_test_add_func ("/rng/reproducible", test_rng_reproducible);
  g_test_add_func ("/rng/distributions", test_rng_distributions);
  g_test_add_func ("/rng/shuffle-is-permutation", test_rng_shuffle_is_permutation);
  return g_test_run ();
}
