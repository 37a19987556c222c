#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "tl-tokenizer.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

typedef struct {
  GHashTable *counts;
  gsize       total;
} Counter;

static void
count_token (const char *token, gsize len, gpointer user_data)
{
  Counter *c = user_data;

  if (len == 0 || strlen (token) != len || !g_utf8_validate_len (token, len, NULL))
    abort ();
  g_hash_table_replace (c->counts, g_strdup (token),
                        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (c->counts, token)) + 1));
  c->total++;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree const char **tokens = NULL;
  g_autofree guint *freq = NULL;
  g_autoptr (TlVocab) vocab = NULL;
  g_auto (GStrv) strv = NULL;
  Counter c = { counts, 0 };
  GHashTableIter iter;
  gpointer key, value;
  guint n = 0;
  float out[24];

  tl_fuzz_init ();
  /* Raw bytes with a length, then the NUL-terminated prefix. */
  tl_tokenize ((const char *) data, (gssize) size, count_token, &c);
  strv = tl_tokenize_strv (text);

  tokens = g_new0 (const char *, g_hash_table_size (counts) + 1);
  freq = g_new0 (guint, g_hash_table_size (counts) + 1);
  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      tokens[n] = key;
      freq[n++] = GPOINTER_TO_UINT (value);
    }
  vocab = tl_vocab_build (tokens, freq, n, size > 0 ? 2 + data[0] % 16 : 0, 1);
  if (tl_vocab_size (vocab) < 2)
    abort ();
  for (int side = 0; side < 4; side++)
    {
      tl_vocab_encode (vocab, text, G_N_ELEMENTS (out), side & 1 ? TL_PAD_POST : TL_PAD_PRE,
                       side & 2 ? TL_PAD_POST : TL_PAD_PRE, out);
      for (guint i = 0; i < G_N_ELEMENTS (out); i++)
        if (out[i] < 0 || out[i] >= tl_vocab_size (vocab))
          abort ();
    }

  /* The vocabulary written as a list reads back to the same ids. */
  {
    g_autoptr (GPtrArray) list = g_ptr_array_new ();
    g_autoptr (TlVocab) copy = NULL;

    for (guint i = 0; i < tl_vocab_size (vocab); i++)
      g_ptr_array_add (list, (gpointer) tl_vocab_token (vocab, (int) i));
    g_ptr_array_add (list, NULL);
    copy = tl_vocab_new_from_strv ((const char *const *) list->pdata);
    if (copy == NULL || tl_vocab_size (copy) != tl_vocab_size (vocab))
      abort ();
    for (guint i = 2; i < tl_vocab_size (vocab); i++)
      if (tl_vocab_lookup (copy, tl_vocab_token (vocab, (int) i)) != (int) i)
        abort ();
  }
  return 0;
}
