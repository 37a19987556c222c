#define G_LOG_DOMAIN "tl-ngram"

#include "config.h"

#include <string.h>

#include "tl-ngram-index.h"
#include "tl-string-ids.h"

struct _TlNgramIndex {
  TlStringIds  *words;      /* word -> id, from 1 */
  TlNgramEntry *slots;      /* open addressing; w[0] == 0: free */
  gsize         capacity;   /* a power of two */
  gsize         used;
};

TlNgramIndex *
tl_ngram_index_new (void)
{
  TlNgramIndex *index = g_new0 (TlNgramIndex, 1);

  index->words = tl_string_ids_new ();
  index->capacity = 1024;
  index->slots = g_new0 (TlNgramEntry, index->capacity);
  return index;
}

void
tl_ngram_index_free (TlNgramIndex *index)
{
  if (index == NULL)
    return;
  tl_string_ids_free (index->words);
  g_free (index->slots);
  g_free (index);
}

guint32
tl_ngram_index_word (TlNgramIndex *index, const char *word, gboolean add)
{
  return tl_string_ids_lookup (index->words, word, strlen (word), add);
}

guint32
tl_ngram_index_word_len (TlNgramIndex *index, const char *word, gsize len, gboolean add)
{
  return tl_string_ids_lookup (index->words, word, len, add);
}

guint32
tl_ngram_index_find_word (const TlNgramIndex *index, const char *word)
{
  return tl_string_ids_find (index->words, word, strlen (word));
}

guint32
tl_ngram_index_find_word_len (const TlNgramIndex *index, const char *word, gsize len)
{
  return tl_string_ids_find (index->words, word, len);
}

const char *
tl_ngram_index_word_text (const TlNgramIndex *index, guint32 id)
{
  return tl_string_ids_text (index->words, id);
}

guint
tl_ngram_index_n_words (const TlNgramIndex *index)
{
  return tl_string_ids_count (index->words);
}

static inline gsize
slot_of (const guint32 *w, gsize mask)
{
  guint64 h = ((guint64) w[0] << 32 | w[1]) * 0x9E3779B97F4A7C15ull;

  h ^= (h >> 29) + (guint64) w[2] * 0xC2B2AE3D27D4EB4Full;
  h ^= h >> 32;
  return (gsize) h & mask;
}

static TlNgramEntry *
probe (TlNgramEntry *slots, gsize mask, const guint32 *w)
{
  gsize i = slot_of (w, mask);

  for (;; i = (i + 1) & mask)
    {
      TlNgramEntry *e = &slots[i];
      if (e->w[0] == 0 || (e->w[0] == w[0] && e->w[1] == w[1] && e->w[2] == w[2]))
        return e;
    }
}

static void
grow (TlNgramIndex *index)
{
  const gsize capacity = index->capacity * 2;
  TlNgramEntry *slots = g_new0 (TlNgramEntry, capacity);

  for (gsize i = 0; i < index->capacity; i++)
    if (index->slots[i].w[0] != 0)
      *probe (slots, capacity - 1, index->slots[i].w) = index->slots[i];
  g_free (index->slots);
  index->slots = slots;
  index->capacity = capacity;
}

TlNgramEntry *
tl_ngram_index_lookup (TlNgramIndex *index, const guint32 *w, int n, gboolean add)
{
  guint32 key[3] = { 0, 0, 0 };
  TlNgramEntry *e;

  g_return_val_if_fail (n >= 1 && n <= 3 && w[0] != 0, NULL);
  memcpy (key, w, sizeof (guint32) * n);
  e = probe (index->slots, index->capacity - 1, key);
  if (e->w[0] != 0 || !add)
    return e->w[0] != 0 ? e : NULL;
  if (2 * (index->used + 1) > index->capacity)
    {
      grow (index);
      e = probe (index->slots, index->capacity - 1, key);
    }
  memcpy (e->w, key, sizeof key);
  e->value = e->stamp = 0;
  index->used++;
  return e;
}

void
tl_ngram_index_prefetch (const TlNgramIndex *index, const guint32 *w, int n)
{
  guint32 key[3] = { 0, 0, 0 };

  memcpy (key, w, sizeof (guint32) * n);
  __builtin_prefetch (&index->slots[slot_of (key, index->capacity - 1)], 1, 1);
}

const TlNgramEntry *
tl_ngram_index_find (const TlNgramIndex *index, const guint32 *w, int n)
{
  guint32 key[3] = { 0, 0, 0 };
  const TlNgramEntry *e;

  memcpy (key, w, sizeof (guint32) * n);
  e = probe (index->slots, index->capacity - 1, key);
  return e->w[0] != 0 ? e : NULL;
}

TlNgramEntry *
tl_ngram_index_entry (TlNgramIndex *index, gsize *cursor)
{
  while (*cursor < index->capacity)
    {
      TlNgramEntry *e = &index->slots[(*cursor)++];
      if (e->w[0] != 0)
        return e;
    }
  return NULL;
}

char *
tl_ngram_index_entry_text (const TlNgramIndex *index, const TlNgramEntry *entry)
{
  GString *text = g_string_new (tl_ngram_index_word_text (index, entry->w[0]));

  for (int k = 1; k < 3 && entry->w[k] != 0; k++)
    {
      g_string_append_c (text, ' ');
      g_string_append (text, tl_ngram_index_word_text (index, entry->w[k]));
    }
  return g_string_free (text, FALSE);
}
