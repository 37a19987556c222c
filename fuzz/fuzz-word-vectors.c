#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include <math.h>
#include <string.h>

#include "fuzz-common.h"
#include "tl-error.h"
#include "tl-word-vectors.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* A vocabulary in lower case, as the tokenizer makes it, with a repeat and a gap. */
static const char *const words[] = { "the", "a", "good", "café", NULL, "the", "new york", "日本" };

static void
check (const TlWordVectors *v)
{
  int exact = 0, lower = 0;

  if (v->dim < 1 || v->dim > TL_WORD_VECTORS_MAX_DIM || v->n_words != (int) G_N_ELEMENTS (words))
    abort ();
  for (int i = 0; i < v->n_words; i++)
    {
      exact += v->match[i] == TL_VECTOR_MATCH_EXACT;
      lower += v->match[i] == TL_VECTOR_MATCH_LOWER;
      if (v->match[i] > TL_VECTOR_MATCH_EXACT || ((words[i] == NULL || i == 5) && v->match[i] != TL_VECTOR_MATCH_NONE))
        abort ();
      for (int d = 0; d < v->dim; d++)
        {
          float x = v->rows[(gsize) i * v->dim + d];
          if (!isfinite (x) || (v->match[i] == TL_VECTOR_MATCH_NONE && x != 0.0f))
            abort ();
        }
    }
  if (exact != v->n_exact || lower != v->n_lower || v->n_read < exact + lower)
    abort ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  /* the same bytes as text (or binary, when they say so) and as a file named .bin */
  static const char *const names[] = { "input.vec", "input.bin" };

  tl_fuzz_init ();
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autofree char *path = tl_fuzz_write (names[k], data, size);
      g_autoptr (GError) error = NULL;
      g_autoptr (TlWordVectors) v = tl_word_vectors_read (path, words, G_N_ELEMENTS (words), &error);

      tl_fuzz_check_error (v != NULL, error);
      if (v != NULL)
        check (v);
      else if (strstr (error->message, path) == NULL)
        abort ();
    }
  return 0;
}
