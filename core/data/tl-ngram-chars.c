#define G_LOG_DOMAIN "tl-ngram"

#include "config.h"

#include <string.h>

#include "tl-ngram-chars.h"

#define MAX_MARKED_CHARS 256    /* a longer "word" (a URL, a base64 line) keeps its first 254 characters */

void
tl_ngram_chars_each (const char *word, int n_min, int n_max, GString *buf, TlCharGramFunc func, gpointer data)
{
  const char *start[MAX_MARKED_CHARS + 1];   /* byte offset of each character of "<word>", and the end */
  int n_chars = 0;

  g_string_assign (buf, "<");
  for (const char *p = word; *p != '\0' && n_chars < MAX_MARKED_CHARS - 2; p = g_utf8_next_char (p))
    {
      const char *next = g_utf8_next_char (p);
      g_string_append_len (buf, p, next - p);
      n_chars++;
    }
  g_string_append_c (buf, '>');
  n_chars += 2;

  /* offsets into buf, shifted by one for the mark written before each gram */
  g_string_prepend_c (buf, TL_NGRAM_CHAR_MARK);
  {
    const char *p = buf->str + 1;
    for (int i = 0; i < n_chars; i++, p = g_utf8_next_char (p))
      start[i] = p;
    start[n_chars] = buf->str + buf->len;
  }

  for (int n = n_min; n <= n_max; n++)
    {
      if (n >= n_chars)
        {
          func (buf->str, buf->len, data);
          break;
        }
      for (int i = 0; i + n <= n_chars; i++)
        {
          /* the gram is "#" followed by characters i..i+n; built in a small local copy */
          char gram[1 + 4 * MAX_MARKED_CHARS + 1];
          gsize len = (gsize) (start[i + n] - start[i]);
          gram[0] = TL_NGRAM_CHAR_MARK;
          memcpy (gram + 1, start[i], len);
          gram[1 + len] = '\0';
          func (gram, len + 1, data);
        }
    }
}

gboolean
tl_ngram_is_char_term (const char *term)
{
  return term != NULL && term[0] == TL_NGRAM_CHAR_MARK;
}
