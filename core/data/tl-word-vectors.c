#define G_LOG_DOMAIN "tl-data"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-word-vectors.h"

/* Longest text line and binary word read before a file counts as broken. */
#define MAX_WORD_BYTES 4096
#define MAX_TABLE_FLOATS ((gsize) 1 << 30)

typedef struct {
  const char    *path;
  FILE          *fp;
  gint64         size;
  gint64         line;       /* text: the line last read, from 1 */
  GHashTable    *index;      /* word -> GINT_TO_POINTER (i + 1) */
  TlWordVectors *v;
  float         *values;     /* dim */
  GString       *buf;
  GPtrArray     *fields;
} Reader;

static gboolean
fail (Reader *r, GError **error, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (Reader *r, GError **error, const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  if (r->line > 0)
    g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s:%" G_GINT64_FORMAT ": %s", r->path, r->line, msg);
  else
    g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: %s", r->path, msg);
  return FALSE;
}

void
tl_word_vectors_free (TlWordVectors *vectors)
{
  if (vectors == NULL)
    return;
  g_free (vectors->path);
  g_free (vectors->rows);
  g_free (vectors->match);
  g_free (vectors);
}

int
tl_word_vectors_found (const TlWordVectors *vectors)
{
  return vectors->n_exact + vectors->n_lower;
}

static gboolean
allocate_rows (Reader *r, int dim, GError **error)
{
  TlWordVectors *v = r->v;

  if (dim < 1 || dim > TL_WORD_VECTORS_MAX_DIM)
    return fail (r, error, "a dimension of %d is not plausible (expected 1 to %d)", dim, TL_WORD_VECTORS_MAX_DIM);
  if ((gsize) v->n_words * (gsize) dim > MAX_TABLE_FLOATS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE, "%s: %d words of %d values are more than a table can hold",
                   r->path, v->n_words, dim);
      return FALSE;
    }
  v->dim = dim;
  v->rows = g_try_malloc0_n (MAX ((gsize) v->n_words * dim, 1), sizeof (float));
  r->values = g_new0 (float, dim);
  if (v->rows == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE, "%s: no memory for %d vectors of %d values",
                   r->path, v->n_words, dim);
      return FALSE;
    }
  return TRUE;
}

/* Gives the vector in r->values to the word it belongs to, if any. */
static void
offer (Reader *r, const char *word)
{
  TlWordVectors *v = r->v;
  int i = GPOINTER_TO_INT (g_hash_table_lookup (r->index, word)) - 1;
  g_autofree char *lower = NULL;

  r->v->n_read++;
  if (i >= 0 && v->match[i] != TL_VECTOR_MATCH_EXACT)
    {
      if (v->match[i] == TL_VECTOR_MATCH_LOWER)
        v->n_lower--;
      v->match[i] = TL_VECTOR_MATCH_EXACT;
      v->n_exact++;
      memcpy (v->rows + (gsize) i * v->dim, r->values, sizeof (float) * v->dim);
    }
  /* "Paris" may also be the vector of a word "paris" the file lacks */
  lower = g_utf8_strdown (word, -1);
  if (strcmp (lower, word) == 0)
    return;
  i = GPOINTER_TO_INT (g_hash_table_lookup (r->index, lower)) - 1;
  if (i >= 0 && v->match[i] == TL_VECTOR_MATCH_NONE)
    {
      v->match[i] = TL_VECTOR_MATCH_LOWER;
      v->n_lower++;
      memcpy (v->rows + (gsize) i * v->dim, r->values, sizeof (float) * v->dim);
    }
}

/* One line into r->buf, without its end; FALSE at the end of the file. */
static gboolean
read_line (Reader *r, gsize cap, gboolean *too_long)
{
  int c;

  g_string_truncate (r->buf, 0);
  *too_long = FALSE;
  while ((c = getc_unlocked (r->fp)) != EOF)
    {
      if (c == '\n')
        break;
      if (r->buf->len >= cap)
        {
          *too_long = TRUE;
          return TRUE;
        }
      g_string_append_c (r->buf, (char) c);
    }
  if (c == EOF && r->buf->len == 0)
    return FALSE;
  r->line++;
  if (r->buf->len > 0 && r->buf->str[r->buf->len - 1] == '\r')
    g_string_truncate (r->buf, r->buf->len - 1);
  return TRUE;
}

/* Splits r->buf in place on spaces and tabs. */
static void
split_fields (Reader *r)
{
  char *p = r->buf->str;

  g_ptr_array_set_size (r->fields, 0);
  for (;;)
    {
      while (*p == ' ' || *p == '\t')
        *p++ = '\0';
      if (*p == '\0')
        break;
      g_ptr_array_add (r->fields, p);
      while (*p != '\0' && *p != ' ' && *p != '\t')
        p++;
    }
}

static gboolean
parse_number (const char *text, float *out)
{
  char *end;
  double d;

  errno = 0;
  d = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (d) || fabs (d) > G_MAXFLOAT)
    return FALSE;
  *out = (float) d;
  return TRUE;
}

static gboolean
parse_count (const char *text, gint64 max, gint64 *out)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &n, NULL))
    return FALSE;
  *out = (gint64) MIN (n, (guint64) max + 1);
  return TRUE;
}

static gboolean
all_numbers (Reader *r, guint from, guint to)
{
  float x;

  for (guint k = from; k < to; k++)
    if (!parse_number (r->fields->pdata[k], &x))
      return FALSE;
  return TRUE;
}

/* The fields of one text line: a word (which may hold spaces when the
 * dimension is known) and dim numbers. */
static gboolean
parse_text_line (Reader *r, GError **error)
{
  const int dim = r->v->dim;
  guint n = r->fields->len;
  guint first;
  g_autofree char *joined = NULL;
  const char *word;

  if (n < (guint) dim + 1 || (n > (guint) dim + 1 && all_numbers (r, 1, n - dim)))
    return fail (r, error, "%u values where the file has %d (the dimension may not change)", n - 1, dim);
  first = n - dim;
  for (int k = 0; k < dim; k++)
    if (!parse_number (r->fields->pdata[first + k], &r->values[k]))
      return fail (r, error, "value %d ('%.40s') is not a finite number", k + 1,
                   (const char *) r->fields->pdata[first + k]);
  if (first == 1)
    word = r->fields->pdata[0];
  else
    {
      r->fields->pdata[first] = NULL;
      joined = g_strjoinv (" ", (char **) r->fields->pdata);
      word = joined;
    }
  if (!g_utf8_validate (word, -1, NULL))
    return fail (r, error, "the word is not valid UTF-8");
  offer (r, word);
  return TRUE;
}

static gboolean
read_text (Reader *r, gint64 count, GError **error)
{
  gboolean too_long;

  for (;;)
    {
      gsize cap = r->v->dim > 0 ? (gsize) r->v->dim * 64 + MAX_WORD_BYTES : (gsize) TL_WORD_VECTORS_MAX_DIM * 64;

      if (!read_line (r, cap, &too_long))
        break;
      if (too_long)
        return fail (r, error, "a line longer than %" G_GSIZE_FORMAT " bytes: not a word and its vector", cap);
      if (memchr (r->buf->str, '\0', r->buf->len) != NULL)
        return fail (r, error, "a NUL byte in a text line (a binary file needs a 'COUNT DIM' first line)");
      split_fields (r);
      if (r->fields->len == 0)
        continue;
      if (r->v->dim == 0)
        {
          if (r->fields->len < 2)
            return fail (r, error, "expected a word and its values");
          if (!allocate_rows (r, (int) MIN (r->fields->len - 1, (guint) G_MAXINT), error))
            return FALSE;
        }
      if (count >= 0 && r->v->n_read >= count)
        return fail (r, error, "more vectors than the %" G_GINT64_FORMAT " the first line announces", count);
      if (!parse_text_line (r, error))
        return FALSE;
    }
  if (ferror (r->fp))
    return fail (r, error, "cannot read: %s", g_strerror (errno));
  r->line = 0;
  if (r->v->dim == 0)
    return fail (r, error, "no vectors in the file");
  if (count >= 0 && r->v->n_read < count)
    return fail (r, error, "the first line announces %" G_GINT64_FORMAT " vectors, the file ends after %" G_GINT64_FORMAT
                 " (truncated?)", count, r->v->n_read);
  return TRUE;
}

static gboolean
read_binary (Reader *r, gint64 count, GError **error)
{
  const int dim = r->v->dim;
  g_autofree guint32 *raw = g_new (guint32, dim);
  char word[MAX_WORD_BYTES + 1];

  for (gint64 k = 0; k < count; k++)
    {
      gint64 at = ftello (r->fp);
      gsize len = 0;
      int c;

      while ((c = getc_unlocked (r->fp)) == '\n' || c == '\r')
        ;
      for (; c != EOF && c != ' '; c = getc_unlocked (r->fp))
        {
          if (len == MAX_WORD_BYTES)
            return fail (r, error, "vector %" G_GINT64_FORMAT " (byte %" G_GINT64_FORMAT "): a word longer than %d bytes",
                         k + 1, at, MAX_WORD_BYTES);
          word[len++] = (char) c;
        }
      word[len] = '\0';
      if (c == EOF)
        return fail (r, error, "the first line announces %" G_GINT64_FORMAT " vectors, the file ends in vector %"
                     G_GINT64_FORMAT " (byte %" G_GINT64_FORMAT "): truncated", count, k + 1, at);
      if (len == 0 || memchr (word, '\0', len) != NULL || !g_utf8_validate (word, (gssize) len, NULL))
        return fail (r, error, "vector %" G_GINT64_FORMAT " (byte %" G_GINT64_FORMAT "): the word is %s", k + 1, at,
                     len == 0 ? "empty" : "not valid UTF-8");
      if (fread (raw, sizeof (guint32), dim, r->fp) != (size_t) dim)
        return fail (r, error, "vector %" G_GINT64_FORMAT " ('%.40s', byte %" G_GINT64_FORMAT
                     ") ends before its %d values: truncated", k + 1, word, at, dim);
      for (int d = 0; d < dim; d++)
        {
          union { guint32 u; float f; } bits = { GUINT32_FROM_LE (raw[d]) };

          if (!isfinite (bits.f))
            return fail (r, error, "vector %" G_GINT64_FORMAT " ('%.40s', byte %" G_GINT64_FORMAT
                         "): value %d is not a finite number", k + 1, word, at, d + 1);
          r->values[d] = bits.f;
        }
      offer (r, word);
    }
  {
    int c;
    while ((c = getc_unlocked (r->fp)) == '\n' || c == '\r' || c == ' ')
      ;
    if (c != EOF)
      return fail (r, error, "more data after the %" G_GINT64_FORMAT " vectors the first line announces (byte %"
                   G_GINT64_FORMAT ")", count, (gint64) ftello (r->fp) - 1);
  }
  if (ferror (r->fp))
    return fail (r, error, "cannot read: %s", g_strerror (errno));
  return TRUE;
}

/* Control characters other than line ends and tabs occur in binary vectors, not in text. */
static gboolean
looks_binary (Reader *r)
{
  guint8 sample[4096];
  off_t at = ftello (r->fp);
  size_t n = fread (sample, 1, sizeof sample, r->fp);

  fseeko (r->fp, at, SEEK_SET);
  for (size_t i = 0; i < n; i++)
    if (sample[i] < 0x20 && sample[i] != '\n' && sample[i] != '\r' && sample[i] != '\t')
      return TRUE;
  return FALSE;
}

/* A first line "COUNT DIM": sets the dimension, the count and the format. */
static gboolean
read_header (Reader *r, gint64 *count, GError **error)
{
  gboolean too_long, named_binary = g_str_has_suffix (r->path, ".bin");
  gint64 dim, rest, least;

  *count = -1;
  if (!read_line (r, (gsize) TL_WORD_VECTORS_MAX_DIM * 64, &too_long))
    return fail (r, error, "the file is empty");
  if (too_long)
    return fail (r, error, "a line longer than %d bytes: not a word and its vector", TL_WORD_VECTORS_MAX_DIM * 64);
  split_fields (r);
  if (r->fields->len != 2 || !parse_count (r->fields->pdata[0], G_MAXINT64 - 1, count)
      || !parse_count (r->fields->pdata[1], TL_WORD_VECTORS_MAX_DIM, &dim))
    {
      *count = -1;
      if (named_binary)
        return fail (r, error, "a word2vec binary file starts with a line 'COUNT DIM'");
      rewind (r->fp);
      r->line = 0;
      return TRUE;
    }
  if (!allocate_rows (r, (int) dim, error))
    return FALSE;
  r->v->binary = named_binary || looks_binary (r);
  if (r->v->binary)
    r->line = 0;    /* binary errors name the vector and its byte instead */
  rest = r->size - ftello (r->fp);
  /* the least a vector takes: a word, a space and four bytes a value; or one digit and a space a value */
  least = r->v->binary ? 2 + 4 * dim : 2 + 2 * dim;
  if (*count > rest / least)
    {
      g_autofree char *claim = g_format_size ((guint64) MIN ((double) *count * (double) least, 0x1p63));
      g_autofree char *holds = g_format_size ((guint64) MAX (rest, 0));

      return fail (r, error, "the first line claims %" G_GINT64_FORMAT " vectors of %" G_GINT64_FORMAT " values "
                   "(at least %s) but the rest of the file holds %s", *count, dim, claim, holds);
    }
  return TRUE;
}

TlWordVectors *
tl_word_vectors_read (const char *path, const char *const *words, int n_words, GError **error)
{
  g_autoptr (TlWordVectors) v = g_new0 (TlWordVectors, 1);
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GString) buf = g_string_new (NULL);
  g_autoptr (GPtrArray) fields = g_ptr_array_new ();
  Reader r = { path, NULL, 0, 0, index, v, NULL, buf, fields };
  struct stat st;
  gint64 count;
  gboolean ok;

  g_return_val_if_fail (path != NULL && n_words >= 0 && (words != NULL || n_words == 0), NULL);

  v->n_words = n_words;
  v->path = g_strdup (path);
  v->match = g_new0 (guint8, MAX (n_words, 1));
  for (int i = 0; i < n_words; i++)
    if (words[i] != NULL && !g_hash_table_contains (index, words[i]))
      g_hash_table_insert (index, (gpointer) words[i], GINT_TO_POINTER (i + 1));

  r.fp = fopen (path, "rb");
  if (r.fp == NULL)
    {
      int saved = errno;
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: cannot open the word vectors: %s",
                   path, g_strerror (saved));
      return NULL;
    }
  if (fstat (fileno (r.fp), &st) != 0 || !S_ISREG (st.st_mode))
    {
      fclose (r.fp);
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: not a regular file", path);
      return NULL;
    }
  r.size = st.st_size;
  ok = read_header (&r, &count, error)
       && (v->binary ? read_binary (&r, count, error) : read_text (&r, count, error));
  fclose (r.fp);
  g_free (r.values);
  if (!ok)
    return NULL;
  return g_steal_pointer (&v);
}

typedef struct {
  const char *const *words;
  const float       *vectors;
  int                n, dim;
  gboolean           header, binary;
} Writing;

static gboolean
write_vectors (FILE *fp, gpointer user_data, GError **error)
{
  const Writing *w = user_data;

  if (w->header || w->binary)
    fprintf (fp, "%d %d\n", w->n, w->dim);
  for (int i = 0; i < w->n; i++)
    {
      const float *row = w->vectors + (gsize) i * w->dim;

      fputs (w->words[i], fp);
      if (w->binary)
        {
          fputc (' ', fp);
          for (int d = 0; d < w->dim; d++)
            {
              union { float f; guint32 u; } bits = { row[d] };
              guint32 le = GUINT32_TO_LE (bits.u);
              fwrite (&le, sizeof le, 1, fp);
            }
        }
      else
        for (int d = 0; d < w->dim; d++)
          fprintf (fp, " %.9g", (double) row[d]);
      fputc ('\n', fp);
    }
  if (ferror (fp))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "cannot write the vectors");
      return FALSE;
    }
  return TRUE;
}

gboolean
tl_word_vectors_write_text (const char *path, const char *const *words, const float *vectors, int n, int dim,
                            gboolean header, GError **error)
{
  Writing w = { words, vectors, n, dim, header, FALSE };

  return tl_atomic_write_file (path, write_vectors, &w, error);
}

gboolean
tl_word_vectors_write_binary (const char *path, const char *const *words, const float *vectors, int n, int dim,
                              GError **error)
{
  Writing w = { words, vectors, n, dim, TRUE, TRUE };

  return tl_atomic_write_file (path, write_vectors, &w, error);
}
