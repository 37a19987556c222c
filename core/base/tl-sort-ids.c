#include "config.h"

#include <string.h>

#include "tl-sort-ids.h"

void
tl_sort_ids (int *ids, gsize n)
{
  g_autofree int *spare = NULL;
  int *from = ids, *to, most = 0;

  if (n < 64)
    {
      for (gsize i = 1; i < n; i++)
        {
          const int v = ids[i];
          gsize j = i;
          for (; j > 0 && ids[j - 1] > v; j--)
            ids[j] = ids[j - 1];
          ids[j] = v;
        }
      return;
    }
  for (gsize i = 0; i < n; i++)
    most = MAX (most, ids[i]);
  to = spare = g_new (int, n);
  for (int shift = 0; shift == 0 || (shift < 31 && (most >> shift) != 0); shift += 9)
    {
      gsize start[513] = { 0 };
      int *swap;

      for (gsize i = 0; i < n; i++)
        start[((from[i] >> shift) & 511) + 1]++;
      for (int b = 0; b < 512; b++)
        start[b + 1] += start[b];
      for (gsize i = 0; i < n; i++)
        to[start[(from[i] >> shift) & 511]++] = from[i];
      swap = from, from = to, to = swap;
    }
  if (from != ids)
    memcpy (ids, from, sizeof (int) * n);
}
