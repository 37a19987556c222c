/* Reads features, labels and source probabilities from a text file and prints
 * the core's LogME and LEEP, for test_transferability_reference.py.
 *   first line: n dim n_classes n_source
 *   then n lines: label, dim features, n_source probabilities */
#include "config.h"

#include <glib.h>
#include <stdio.h>

#include "tl-transferability.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *f = NULL, *p = NULL;
  g_autofree int *y = NULL;
  int n, dim, n_classes, n_source;
  FILE *in;

  if (argc != 2 || (in = fopen (argv[1], "r")) == NULL)
    return 2;
  if (fscanf (in, "%d %d %d %d", &n, &dim, &n_classes, &n_source) != 4 || n < 1 || dim < 1)
    return 2;
  f = g_new (float, (gsize) n * dim);
  p = g_new (float, (gsize) n * n_source);
  y = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      if (fscanf (in, "%d", &y[i]) != 1)
        return 2;
      for (int d = 0; d < dim; d++)
        if (fscanf (in, "%f", &f[(gsize) i * dim + d]) != 1)
          return 2;
      for (int z = 0; z < n_source; z++)
        if (fscanf (in, "%f", &p[(gsize) i * n_source + z]) != 1)
          return 2;
    }
  fclose (in);
  printf ("logme %.17g\n", tl_logme (f, n, dim, y, n_classes, &error));
  if (error != NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  printf ("leep %.17g\n", tl_leep (p, n, n_source, y, n_classes));
  return 0;
}
