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
  {
    /* as few passes as digits of at most 11 bits allow (a 2,048-bucket count stays in L1) */
    const int bits = most > 0 ? g_bit_storage ((gulong) most) : 1;
    const int passes = (bits + 10) / 11;
    const int digit = (bits + passes - 1) / passes;
    const int mask = (1 << digit) - 1;
    gsize start[(1 << 11) + 1];

    to = spare = g_new (int, n);
    for (int shift = 0; shift < bits; shift += digit)
      {
        int *swap;

        memset (start, 0, sizeof (gsize) * ((1 << digit) + 1));
        for (gsize i = 0; i < n; i++)
          start[((from[i] >> shift) & mask) + 1]++;
        for (int b = 0; b < mask + 1; b++)
          start[b + 1] += start[b];
        for (gsize i = 0; i < n; i++)
          to[start[(from[i] >> shift) & mask]++] = from[i];
        swap = from, from = to, to = swap;
      }
  }
  if (from != ids)
    memcpy (ids, from, sizeof (int) * n);
}
