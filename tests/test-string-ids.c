#include "config.h"

#include <glib.h>
#include <string.h>

#include "tl-string-ids.h"

/* Ids from 1 in first-seen order, through many growths, against a GHashTable. */
static void
test_against_hash_table (void)
{
  g_autoptr (TlStringIds) ids = tl_string_ids_new ();
  g_autoptr (GHashTable) ref = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  const char *first = NULL;

  for (int i = 0; i < 200000; i++)
    {
      g_autofree char *word = g_strdup_printf ("#<w%d", g_rand_int_range (rand, 0, 50000));
      guint32 id = tl_string_ids_lookup (ids, word, strlen (word), TRUE);
      gpointer known = g_hash_table_lookup (ref, word);

      if (known == NULL)
        {
          g_assert_cmpuint (id, ==, g_hash_table_size (ref) + 1);
          g_hash_table_insert (ref, g_strdup (word), GUINT_TO_POINTER (id));
        }
      else
        g_assert_cmpuint (id, ==, GPOINTER_TO_UINT (known));
      if (first == NULL)
        first = tl_string_ids_text (ids, 1);
    }
  g_assert_cmpuint (tl_string_ids_count (ids), ==, g_hash_table_size (ref));
  /* texts do not move as the table grows */
  g_assert_true (first == tl_string_ids_text (ids, 1));
  {
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init (&it, ref);
    while (g_hash_table_iter_next (&it, &key, &value))
      {
        g_assert_cmpstr (tl_string_ids_text (ids, GPOINTER_TO_UINT (value)), ==, key);
        g_assert_cmpuint (tl_string_ids_find (ids, key, strlen (key)), ==, GPOINTER_TO_UINT (value));
      }
  }
}

/* Bytes, not C strings: a prefix is another string, the empty string is one too,
 * and a lookup without adding leaves the table alone. */
static void
test_lengths (void)
{
  g_autoptr (TlStringIds) ids = tl_string_ids_new ();
  const char *text = "kettle";

  g_assert_cmpuint (tl_string_ids_lookup (ids, text, 3, FALSE), ==, 0);
  g_assert_cmpuint (tl_string_ids_count (ids), ==, 0);
  g_assert_cmpuint (tl_string_ids_lookup (ids, text, 3, TRUE), ==, 1);
  g_assert_cmpuint (tl_string_ids_lookup (ids, text, 6, TRUE), ==, 2);
  g_assert_cmpuint (tl_string_ids_lookup (ids, "", 0, TRUE), ==, 3);
  g_assert_cmpstr (tl_string_ids_text (ids, 1), ==, "ket");
  g_assert_cmpstr (tl_string_ids_text (ids, 3), ==, "");
  g_assert_cmpuint (tl_string_ids_find (ids, "ket", 3), ==, 1);
  g_assert_cmpuint (tl_string_ids_find (ids, "kett", 4), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/string-ids/against-hash-table", test_against_hash_table);
  g_test_add_func ("/string-ids/lengths", test_lengths);
  return g_test_run ();
}
