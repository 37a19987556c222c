#include "config.h"

#include <string.h>

#include "tl-string-ids.h"

typedef struct {
  guint64     hash;
  const char *text;     /* in the arena: compared without another lookup */
  guint32     id;       /* 0: free */
  guint32     len;
} Slot;

struct _TlStringIds {
  GStringChunk *arena;
  GPtrArray    *texts;      /* id - 1 -> text in the arena */
  Slot         *slots;
  gsize         mask;       /* capacity - 1, capacity a power of two */
};

TlStringIds *
tl_string_ids_new (void)
{
  TlStringIds *ids = g_new0 (TlStringIds, 1);

  ids->arena = g_string_chunk_new (1 << 16);
  ids->texts = g_ptr_array_new ();
  ids->mask = 1023;
  ids->slots = g_new0 (Slot, ids->mask + 1);
  return ids;
}

void
tl_string_ids_free (TlStringIds *ids)
{
  if (ids == NULL)
    return;
  g_string_chunk_free (ids->arena);
  g_ptr_array_unref (ids->texts);
  g_free (ids->slots);
  g_free (ids);
}

/* FNV-1a over the bytes, then mixed so that the low bits, which pick the slot, depend on all of them */
static inline guint64
hash_bytes (const char *s, gsize len)
{
  guint64 h = 0xcbf29ce484222325ull;

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guint8) s[i]) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

static inline Slot *
probe (const TlStringIds *ids, guint64 h, const char *str, gsize len)
{
  for (gsize i = (gsize) h & ids->mask;; i = (i + 1) & ids->mask)
    {
      Slot *slot = &ids->slots[i];
      if (slot->id == 0
          || (slot->hash == h && slot->len == len && memcmp (slot->text, str, len) == 0))
        return slot;
    }
}

static void
grow (TlStringIds *ids)
{
  const gsize capacity = 2 * (ids->mask + 1);
  Slot *slots = g_new0 (Slot, capacity);

  for (gsize i = 0; i <= ids->mask; i++)
    if (ids->slots[i].id != 0)
      {
        gsize k = (gsize) ids->slots[i].hash & (capacity - 1);
        while (slots[k].id != 0)
          k = (k + 1) & (capacity - 1);
        slots[k] = ids->slots[i];
      }
  g_free (ids->slots);
  ids->slots = slots;
  ids->mask = capacity - 1;
}

guint32
tl_string_ids_find (const TlStringIds *ids, const char *str, gsize len)
{
  g_return_val_if_fail (ids != NULL && (str != NULL || len == 0), 0);
  return probe (ids, hash_bytes (str, len), str, len)->id;
}

guint32
tl_string_ids_lookup (TlStringIds *ids, const char *str, gsize len, gboolean add)
{
  const guint64 h = hash_bytes (str, len);
  Slot *slot;

  g_return_val_if_fail (ids != NULL && (str != NULL || len == 0), 0);
  g_return_val_if_fail (len < G_MAXUINT32, 0);
  slot = probe (ids, h, str, len);
  if (slot->id != 0 || !add)
    return slot->id;
  if (2 * (ids->texts->len + 1) > ids->mask + 1)
    {
      grow (ids);
      slot = probe (ids, h, str, len);
    }
  g_ptr_array_add (ids->texts, g_string_chunk_insert_len (ids->arena, str, (gssize) len));
  *slot = (Slot) { h, g_ptr_array_index (ids->texts, ids->texts->len - 1), ids->texts->len, (guint32) len };
  return slot->id;
}

const char *
tl_string_ids_text (const TlStringIds *ids, guint32 id)
{
  g_return_val_if_fail (ids != NULL && id >= 1 && id <= ids->texts->len, NULL);
  return g_ptr_array_index (ids->texts, id - 1);
}

guint32
tl_string_ids_count (const TlStringIds *ids)
{
  g_return_val_if_fail (ids != NULL, 0);
  return ids->texts->len;
}
