#include "config.h"

#include <glib.h>
#include <stdlib.h>

#include "tl-sort-ids.h"

static int
compare_ints (const void *a, const void *b)
{
  const int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* Short lists (insertion) and long ones (radix), with repeats and ids past 2^27. */
static void
test_matches_qsort (void)
{
  const gsize sizes[] = { 0, 1, 2, 63, 64, 65, 1000, 20000 };
  const int ranges[] = { 3, 511, 512, 70000, G_MAXINT };
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint r = 0; r < G_N_ELEMENTS (ranges); r++)
      {
        const gsize n = sizes[s];
        g_autofree int *a = g_new (int, MAX (n, 1));
        g_autofree int *b = g_new (int, MAX (n, 1));

        for (gsize i = 0; i < n; i++)
          a[i] = b[i] = g_rand_int_range (rand, 0, ranges[r]);
        tl_sort_ids (a, n);
        if (n > 0)
          qsort (b, n, sizeof (int), compare_ints);
        g_assert_cmpmem (a, n * sizeof (int), b, n * sizeof (int));
      }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sort-ids/matches-qsort", test_matches_qsort);
  return g_test_run ();
}
