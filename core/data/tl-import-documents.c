#define G_LOG_DOMAIN "tl-import"

#include "config.h"

#include "tl-csv-table.h"
#include "tl-error.h"
#include "tl-import.h"

/* The words of the text column of some rows of a CSV file: unlabelled text that
 * counts towards text features. */
GPtrArray *
tl_import_documents (const char *path, const TlImportSettings *settings, const TlPreprocess *pre,
                     const int *lines, int n_lines, GError **error)
{
  g_autoptr (TlCsvTable) t = NULL;
  g_autoptr (GHashTable) wanted = NULL;
  GPtrArray *docs;

  g_return_val_if_fail (settings != NULL && pre != NULL, NULL);
  if (!tl_import_check_path (path, error))
    return NULL;

  if (pre->kind != TL_DATA_TEXT)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "%s: not text data", path);
      return NULL;
    }
  t = tl_csv_table_read (path, settings, pre, error);
  if (t == NULL)
    return NULL;
  if (lines != NULL)
    {
      wanted = g_hash_table_new (NULL, NULL);
      for (int i = 0; i < n_lines; i++)
        g_hash_table_add (wanted, GINT_TO_POINTER (lines[i]));
    }
  docs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  for (int r = 0; r < t->n_rows; r++)
    {
      gsize start = g_array_index (t->token_start, gsize, r);
      gsize end = g_array_index (t->token_start, gsize, r + 1);
      char **words;

      if (wanted != NULL && !g_hash_table_contains (wanted, GINT_TO_POINTER (g_array_index (t->lines, int, r))))
        continue;
      words = g_new (char *, end - start + 1);
      for (gsize k = start; k < end; k++)
        words[k - start] = g_strdup (g_ptr_array_index (t->words, g_array_index (t->tokens, guint, k)));
      words[end - start] = NULL;
      g_ptr_array_add (docs, words);
    }
  return docs;
}
