#define G_LOG_DOMAIN "tl-file-cache"

#include "config.h"

#include <glib/gstdio.h>

#include "tl-file-cache.h"

typedef struct {
  char           *key;
  gpointer        contents;
  GDestroyNotify  free_func;
  int             holders;
} Entry;

static GMutex lock;
static GHashTable *by_key;        /* key -> Entry */
static GHashTable *by_contents;   /* contents -> Entry */
static guint64 n_unshared;

/* A changed file (another size or time) is another key: the old contents stay
 * with their holders and the new ones are read. */
static char *
file_key (const char *path, TlFileCacheLoad load)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return NULL;
  return g_strdup_printf ("%p\n%s\n%lld\n%lld", (gpointer) load, path, (long long) st.st_size,
                          (long long) st.st_mtime);
}

gpointer
tl_file_cache_acquire (const char *path, TlFileCacheLoad load, GDestroyNotify free_func, GError **error)
{
  g_autofree char *key = NULL;
  Entry *entry;
  gpointer contents;

  g_return_val_if_fail (path != NULL && load != NULL && free_func != NULL, NULL);

  key = file_key (path, load);
  g_mutex_lock (&lock);
  if (key == NULL)   /* not there: the loader says why; should it read it after all, it is not shared */
    key = g_strdup_printf ("unshared %" G_GUINT64_FORMAT, n_unshared++);
  if (by_key == NULL)
    {
      by_key = g_hash_table_new (g_str_hash, g_str_equal);
      by_contents = g_hash_table_new (g_direct_hash, g_direct_equal);
    }
  entry = g_hash_table_lookup (by_key, key);
  if (entry != NULL)
    {
      entry->holders++;
      g_mutex_unlock (&lock);
      return entry->contents;
    }
  g_mutex_unlock (&lock);

  /* read without the lock: other files are read meanwhile */
  contents = load (path, error);
  if (contents == NULL)
    return NULL;

  g_mutex_lock (&lock);
  entry = g_hash_table_lookup (by_key, key);
  if (entry != NULL)
    {
      /* another thread read it meanwhile: theirs is shared, ours goes */
      entry->holders++;
      g_mutex_unlock (&lock);
      free_func (contents);
      return entry->contents;
    }
  entry = g_new0 (Entry, 1);
  entry->key = g_steal_pointer (&key);
  entry->contents = contents;
  entry->free_func = free_func;
  entry->holders = 1;
  g_hash_table_insert (by_key, entry->key, entry);
  g_hash_table_insert (by_contents, contents, entry);
  g_mutex_unlock (&lock);
  return contents;
}

void
tl_file_cache_release (gpointer contents)
{
  Entry *entry;

  if (contents == NULL)
    return;
  g_mutex_lock (&lock);
  entry = by_contents != NULL ? g_hash_table_lookup (by_contents, contents) : NULL;
  if (entry != NULL && --entry->holders > 0)
    entry = NULL;
  else if (entry != NULL)
    {
      g_hash_table_remove (by_key, entry->key);
      g_hash_table_remove (by_contents, contents);
    }
  g_mutex_unlock (&lock);
  if (entry != NULL)
    {
      entry->free_func (entry->contents);
      g_free (entry->key);
      g_free (entry);
    }
}

guint
tl_file_cache_n_held (void)
{
  guint n;

  g_mutex_lock (&lock);
  n = by_key != NULL ? g_hash_table_size (by_key) : 0;
  g_mutex_unlock (&lock);
  return n;
}
