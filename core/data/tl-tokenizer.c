#define G_LOG_DOMAIN "tl-tokenizer"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tl-tokenizer.h"

typedef enum {
  CHAR_SEPARATOR,
  CHAR_LETTER,
  CHAR_DIGIT,
  CHAR_MARK,
  CHAR_SINGLE,    /* ideograph or kana: a token by itself */
} CharClass;

static CharClass
classify (gunichar c)
{
  if (c < 0x80)
    {
      if (g_ascii_isalpha (c))
        return CHAR_LETTER;
      if (g_ascii_isdigit (c))
        return CHAR_DIGIT;
      return CHAR_SEPARATOR;
    }
  switch (g_unichar_get_script (c))
    {
    case G_UNICODE_SCRIPT_HAN:
    case G_UNICODE_SCRIPT_HIRAGANA:
    case G_UNICODE_SCRIPT_KATAKANA:
      if (g_unichar_isalnum (c))
        return CHAR_SINGLE;
      break;
    default:
      break;
    }
  /* the prolonged sound mark and iteration marks are kana-like but Common */
  if (c == 0x30FC || c == 0x3005 || c == 0x309D || c == 0x309E || c == 0x30FD || c == 0x30FE)
    return CHAR_SINGLE;
  if (g_unichar_ismark (c))
    return CHAR_MARK;
  if (g_unichar_isdigit (c))
    return CHAR_DIGIT;
  if (g_unichar_isalpha (c))
    return CHAR_LETTER;
  switch (g_unichar_type (c))
    {
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return CHAR_DIGIT;
    default:
      return CHAR_SEPARATOR;
    }
}

static inline gunichar
decode (const guchar *p, const guchar *end, int *n)
{
  gunichar c;

  if (*p < 0x80)
    {
      *n = 1;
      return *p;
    }
  c = g_utf8_get_char_validated ((const char *) p, end - p);
  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      *n = 1;
      return ' ';
    }
  *n = g_utf8_skip[*p];
  return c;
}

/* Whether `joiner` between the last character of a word and `next` keeps them one word. */
static gboolean
joins (gunichar joiner, CharClass before, CharClass after)
{
  switch (joiner)
    {
    case '\'':
    case 0x2019:
      return before == CHAR_LETTER && after == CHAR_LETTER;
    case '.':
      return (before == CHAR_LETTER && after == CHAR_LETTER)
             || (before == CHAR_DIGIT && after == CHAR_DIGIT);
    case ',':
      return before == CHAR_DIGIT && after == CHAR_DIGIT;
    case '_':
      return (before == CHAR_LETTER || before == CHAR_DIGIT)
             && (after == CHAR_LETTER || after == CHAR_DIGIT);
    default:
      return FALSE;
    }
}

static inline void
append_lower (GString *token, gunichar c)
{
  if (c < 0x80)
    g_string_append_c (token, g_ascii_tolower ((char) c));
  else
    g_string_append_unichar (token, g_unichar_tolower (c));
}

static inline void
flush (GString *token, TlTokenFunc func, gpointer user_data)
{
  if (token->len > 0)
    {
      func (token->str, token->len, user_data);
      g_string_truncate (token, 0);
    }
}

void
tl_tokenize (const char *text, gssize len, TlTokenFunc func, gpointer user_data)
{
  const guchar *p, *end;
  GString *token;
  CharClass last = CHAR_SEPARATOR;

  g_return_if_fail (text != NULL || len == 0);
  g_return_if_fail (func != NULL);

  if (len < 0)
    len = strlen (text);
  p = (const guchar *) text;
  end = p + len;
  token = g_string_sized_new (64);

  while (p < end)
    {
      int n;
      gunichar c = decode (p, end, &n);
      CharClass cls = classify (c);

      switch (cls)
        {
        case CHAR_LETTER:
        case CHAR_DIGIT:
          append_lower (token, c);
          last = cls;
          break;
        case CHAR_MARK:
          if (token->len > 0)
            g_string_append_unichar (token, c);
          break;
        case CHAR_SINGLE:
          flush (token, func, user_data);
          append_lower (token, c);
          flush (token, func, user_data);
          last = CHAR_SEPARATOR;
          break;
        case CHAR_SEPARATOR:
        default:
          if (token->len > 0 && p + n < end)
            {
              int m;
              gunichar next = decode (p + n, end, &m);

              if (joins (c, last, classify (next)))
                {
                  g_string_append_unichar (token, c);
                  break;
                }
            }
          flush (token, func, user_data);
          last = CHAR_SEPARATOR;
          break;
        }
      p += n;
    }
  flush (token, func, user_data);
  g_string_free (token, TRUE);
}

static void
collect_token (const char *token, gsize len, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strndup (token, len));
}

char **
tl_tokenize_strv (const char *text)
{
  GPtrArray *out = g_ptr_array_new ();

  g_return_val_if_fail (text != NULL, NULL);

  tl_tokenize (text, -1, collect_token, out);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* Vocabulary */

static TlVocab *
vocab_new_empty (void)
{
  TlVocab *vocab = g_new0 (TlVocab, 1);

  vocab->tokens = g_ptr_array_new_with_free_func (g_free);
  vocab->ids = g_hash_table_new (g_str_hash, g_str_equal);
  return vocab;
}

static void
vocab_add (TlVocab *vocab, const char *token)
{
  char *copy = g_strdup (token);

  if (!g_hash_table_contains (vocab->ids, copy))
    g_hash_table_insert (vocab->ids, copy, GUINT_TO_POINTER (vocab->tokens->len));
  g_ptr_array_add (vocab->tokens, copy);
}

typedef struct {
  const char *const *tokens;
  const guint       *counts;
} RankData;

static int
compare_rank (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const RankData *d = user_data;
  guint ia = *(const guint *) a, ib = *(const guint *) b;

  if (d->counts[ia] != d->counts[ib])
    return d->counts[ia] > d->counts[ib] ? -1 : 1;
  return strcmp (d->tokens[ia], d->tokens[ib]);
}

TlVocab *
tl_vocab_build (const char *const *tokens, const guint *counts, guint n, int max_size, int min_freq)
{
  TlVocab *vocab;
  g_autofree guint *order = NULL;
  RankData data = { tokens, counts };
  guint kept = 0;

  g_return_val_if_fail (n == 0 || (tokens != NULL && counts != NULL), NULL);

  vocab = vocab_new_empty ();
  vocab_add (vocab, TL_TOKEN_PAD_TEXT);
  vocab_add (vocab, TL_TOKEN_OOV_TEXT);

  order = g_new (guint, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    if (counts[i] >= (guint) MAX (min_freq, 1))
      order[kept++] = i;
  g_qsort_with_data (order, kept, sizeof (guint), compare_rank, &data);
  for (guint i = 0; i < kept; i++)
    {
      if (max_size > 0 && vocab->tokens->len >= (guint) max_size)
        break;
      vocab_add (vocab, tokens[order[i]]);
    }
  return vocab;
}

TlVocab *
tl_vocab_new_from_strv (const char *const *tokens)
{
  TlVocab *vocab;

  g_return_val_if_fail (tokens != NULL, NULL);

  vocab = vocab_new_empty ();
  for (guint i = 0; tokens[i] != NULL; i++)
    vocab_add (vocab, tokens[i]);
  return vocab;
}

void
tl_vocab_free (TlVocab *vocab)
{
  if (vocab == NULL)
    return;
  g_hash_table_unref (vocab->ids);
  g_ptr_array_unref (vocab->tokens);
  g_free (vocab);
}

guint
tl_vocab_size (const TlVocab *vocab)
{
  g_return_val_if_fail (vocab != NULL, 0);
  return vocab->tokens->len;
}

int
tl_vocab_lookup (const TlVocab *vocab, const char *token)
{
  gpointer value;

  g_return_val_if_fail (vocab != NULL, TL_TOKEN_OOV);
  g_return_val_if_fail (token != NULL, TL_TOKEN_OOV);

  if (g_hash_table_lookup_extended (vocab->ids, token, NULL, &value))
    {
      int id = GPOINTER_TO_UINT (value);

      /* the reserved names are not words */
      return id >= 2 ? id : TL_TOKEN_OOV;
    }
  return TL_TOKEN_OOV;
}

const char *
tl_vocab_token (const TlVocab *vocab, int id)
{
  g_return_val_if_fail (vocab != NULL, NULL);
  if (id < 0 || (guint) id >= vocab->tokens->len)
    return NULL;
  return g_ptr_array_index (vocab->tokens, id);
}

/* Padding */

const char *
tl_pad_side_to_string (TlPadSide side)
{
  return side == TL_PAD_POST ? "post" : "pre";
}

gboolean
tl_pad_side_from_string (const char *text, TlPadSide *side)
{
  g_return_val_if_fail (text != NULL, FALSE);

  if (g_ascii_strcasecmp (text, "pre") == 0)
    *side = TL_PAD_PRE;
  else if (g_ascii_strcasecmp (text, "post") == 0)
    *side = TL_PAD_POST;
  else
    return FALSE;
  return TRUE;
}

void
tl_pad_sequence (const int *ids, gsize n, int max_len, TlPadSide padding, TlPadSide truncating,
                 float *out)
{
  gsize keep, skip, at;

  g_return_if_fail (max_len >= 0);
  g_return_if_fail (out != NULL);
  g_return_if_fail (n == 0 || ids != NULL);

  keep = MIN (n, (gsize) max_len);
  skip = truncating == TL_PAD_PRE ? n - keep : 0;
  at = padding == TL_PAD_PRE ? (gsize) max_len - keep : 0;
  for (int i = 0; i < max_len; i++)
    out[i] = (float) TL_TOKEN_PAD;
  for (gsize i = 0; i < keep; i++)
    out[at + i] = (float) ids[skip + i];
}

static void
lookup_token (const char *token, gsize len, gpointer user_data)
{
  gpointer *data = user_data;
  int id = tl_vocab_lookup (data[0], token);

  g_array_append_val ((GArray *) data[1], id);
}

void
tl_vocab_encode (const TlVocab *vocab, const char *text, int max_len, TlPadSide padding,
                 TlPadSide truncating, float *out)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));
  gpointer data[2] = { (gpointer) vocab, ids };

  g_return_if_fail (vocab != NULL);
  g_return_if_fail (text != NULL);

  tl_tokenize (text, -1, lookup_token, data);
  tl_pad_sequence ((const int *) (gpointer) ids->data, ids->len, max_len, padding, truncating, out);
}
