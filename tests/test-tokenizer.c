#include "config.h"

#include <glib.h>
#include <string.h>

#include "tl-tokenizer.h"

static void
assert_tokens (const char *text, const char *const *expected)
{
  g_auto (GStrv) tokens = tl_tokenize_strv (text);

  if (!g_strv_equal ((const char *const *) tokens, expected))
    {
      g_autofree char *got = g_strjoinv ("|", tokens);
      g_autofree char *want = g_strjoinv ("|", (char **) expected);

      g_error ("tokens of '%s': got %s, expected %s", text, got, want);
    }
}

static void
test_english (void)
{
  assert_tokens ("Hello, World! It's 3.14 -- e-mail me_now at U.S.A.",
                 (const char *[]) { "hello", "world", "it's", "3.14", "e", "mail", "me_now", "at", "u.s.a", NULL });
  assert_tokens ("  ÉCOLE naïve Straße 1,000,000 'quoted' ",
                 (const char *[]) { "école", "naïve", "straße", "1,000,000", "quoted", NULL });
  assert_tokens ("...!?", (const char *[]) { NULL });
  assert_tokens ("", (const char *[]) { NULL });
}

static void
test_chinese (void)
{
  assert_tokens ("我爱北京天安门。", (const char *[]) { "我", "爱", "北", "京", "天", "安", "门", NULL });
  assert_tokens ("深度学习(Deep Learning)很有趣!",
                 (const char *[]) { "深", "度", "学", "习", "deep", "learning", "很", "有", "趣", NULL });
}

static void
test_japanese (void)
{
  assert_tokens ("私はカタカナが好きです。",
                 (const char *[]) { "私", "は", "カ", "タ", "カ", "ナ", "が", "好", "き", "で", "す", NULL });
  assert_tokens ("東京タワー2020年", (const char *[]) { "東", "京", "タ", "ワ", "ー", "2020", "年", NULL });
}

static void
test_vocabulary (void)
{
  const char *tokens[] = { "b", "a", "c", "d", "rare" };
  const guint counts[] = { 5, 5, 7, 2, 1 };
  g_autoptr (TlVocab) all = tl_vocab_build (tokens, counts, 5, 0, 1);
  g_autoptr (TlVocab) frequent = tl_vocab_build (tokens, counts, 5, 0, 2);
  g_autoptr (TlVocab) small = tl_vocab_build (tokens, counts, 5, 4, 1);

  g_assert_cmpuint (tl_vocab_size (all), ==, 7);
  g_assert_cmpstr (tl_vocab_token (all, 0), ==, TL_TOKEN_PAD_TEXT);
  g_assert_cmpstr (tl_vocab_token (all, 1), ==, TL_TOKEN_OOV_TEXT);
  /* by count, ties in byte order */
  g_assert_cmpstr (tl_vocab_token (all, 2), ==, "c");
  g_assert_cmpstr (tl_vocab_token (all, 3), ==, "a");
  g_assert_cmpstr (tl_vocab_token (all, 4), ==, "b");
  g_assert_cmpstr (tl_vocab_token (all, 5), ==, "d");
  g_assert_cmpstr (tl_vocab_token (all, 6), ==, "rare");
  g_assert_cmpint (tl_vocab_lookup (all, "a"), ==, 3);
  g_assert_cmpint (tl_vocab_lookup (all, "unknown"), ==, TL_TOKEN_OOV);
  g_assert_cmpint (tl_vocab_lookup (all, TL_TOKEN_PAD_TEXT), ==, TL_TOKEN_OOV);
  g_assert_cmpuint (tl_vocab_size (frequent), ==, 6);
  g_assert_cmpint (tl_vocab_lookup (frequent, "rare"), ==, TL_TOKEN_OOV);
  g_assert_cmpuint (tl_vocab_size (small), ==, 4);
  g_assert_cmpint (tl_vocab_lookup (small, "b"), ==, TL_TOKEN_OOV);
}

static void
assert_padded (const int *ids, gsize n, int max_len, TlPadSide padding, TlPadSide truncating,
               const float *expected)
{
  float out[8];

  tl_pad_sequence (ids, n, max_len, padding, truncating, out);
  g_assert_cmpmem (out, sizeof (float) * max_len, expected, sizeof (float) * max_len);
}

static void
test_padding (void)
{
  const int seq[] = { 5, 6, 7, 8, 9 };

  /* the same results as keras.preprocessing.sequence.pad_sequences */
  assert_padded (seq, 3, 5, TL_PAD_PRE, TL_PAD_PRE, (float[]) { 0, 0, 5, 6, 7 });
  assert_padded (seq, 3, 5, TL_PAD_POST, TL_PAD_PRE, (float[]) { 5, 6, 7, 0, 0 });
  assert_padded (seq, 5, 3, TL_PAD_PRE, TL_PAD_PRE, (float[]) { 7, 8, 9 });
  assert_padded (seq, 5, 3, TL_PAD_PRE, TL_PAD_POST, (float[]) { 5, 6, 7 });
  assert_padded (seq, 5, 3, TL_PAD_POST, TL_PAD_POST, (float[]) { 5, 6, 7 });
  assert_padded (seq, 5, 3, TL_PAD_POST, TL_PAD_PRE, (float[]) { 7, 8, 9 });
  assert_padded (seq, 0, 3, TL_PAD_POST, TL_PAD_PRE, (float[]) { 0, 0, 0 });
  assert_padded (seq, 5, 5, TL_PAD_PRE, TL_PAD_PRE, (float[]) { 5, 6, 7, 8, 9 });
}

static void
test_encode (void)
{
  const char *tokens[] = { "the", "cat", "sat" };
  const guint counts[] = { 3, 2, 1 };
  g_autoptr (TlVocab) vocab = tl_vocab_build (tokens, counts, 3, 0, 1);
  float out[6];

  tl_vocab_encode (vocab, "The dog SAT on the cat.", 6, TL_PAD_PRE, TL_PAD_PRE, out);
  g_assert_cmpmem (out, sizeof out, ((float[]) { 2, 1, 4, 1, 2, 3 }), sizeof out);
  tl_vocab_encode (vocab, "cat", 6, TL_PAD_PRE, TL_PAD_PRE, out);
  g_assert_cmpmem (out, sizeof out, ((float[]) { 0, 0, 0, 0, 0, 3 }), sizeof out);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tokenizer/english", test_english);
  g_test_add_func ("/tokenizer/chinese", test_chinese);
  g_test_add_func ("/tokenizer/japanese", test_japanese);
  g_test_add_func ("/tokenizer/vocabulary", test_vocabulary);
  g_test_add_func ("/tokenizer/padding", test_padding);
  g_test_add_func ("/tokenizer/encode", test_encode);
  return g_test_run ();
}
