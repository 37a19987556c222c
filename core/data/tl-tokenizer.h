#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TL_TOKEN_PAD 0
#define TL_TOKEN_OOV 1
#define TL_TOKEN_PAD_TEXT "<pad>"
#define TL_TOKEN_OOV_TEXT "<oov>"

/* Called with each lower-cased token (NUL-terminated, valid during the call). */
typedef void (*TlTokenFunc) (const char *token, gsize len, gpointer user_data);

/* Splits UTF-8 text on word boundaries: runs of letters, digits and marks
 * (joined across an apostrophe between letters and a point or comma between
 * digits) are words; each CJK ideograph or kana is a token of its own;
 * punctuation, symbols and spaces are dropped. */
void    tl_tokenize      (const char *text, gssize len, TlTokenFunc func, gpointer user_data);
char  **tl_tokenize_strv (const char *text);

/* Token ids: 0 is padding, 1 an out-of-vocabulary token, then the words by
 * falling frequency (ties in byte order of the token). */
typedef struct {
  GPtrArray  *tokens;    /* id -> char *, owned */
  GHashTable *ids;       /* char * -> GUINT_TO_POINTER (id) */
} TlVocab;

/* From distinct tokens and their counts: at most max_size ids in all
 * (0 = no limit), keeping tokens seen at least min_freq times. */
TlVocab *tl_vocab_build       (const char *const *tokens, const guint *counts, guint n,
                               int max_size, int min_freq);
/* From the id-ordered token list (starting with the padding and OOV entries). */
TlVocab *tl_vocab_new_from_strv (const char *const *tokens);
void     tl_vocab_free        (TlVocab *vocab);
guint    tl_vocab_size        (const TlVocab *vocab);
int      tl_vocab_lookup      (const TlVocab *vocab, const char *token);
const char *tl_vocab_token    (const TlVocab *vocab, int id);

typedef enum {
  TL_PAD_PRE,
  TL_PAD_POST,
} TlPadSide;

const char *tl_pad_side_to_string   (TlPadSide side);
gboolean    tl_pad_side_from_string (const char *text, TlPadSide *side);

/* Keras pad_sequences for one sequence: `truncating` says which end loses ids
 * when there are more than max_len, `padding` which end gets the zeros. */
void     tl_pad_sequence      (const int *ids, gsize n, int max_len, TlPadSide padding,
                               TlPadSide truncating, float *out);
/* Tokenizes, looks up and pads `text` into out[0..max_len). */
void     tl_vocab_encode      (const TlVocab *vocab, const char *text, int max_len,
                               TlPadSide padding, TlPadSide truncating, float *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlVocab, tl_vocab_free)

G_END_DECLS
