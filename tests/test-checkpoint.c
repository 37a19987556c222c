#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tl-checkpoint.h"
#include "tl-error.h"

static TlCheckpoint *
sample (void)
{
  TlCheckpoint *ck = tl_checkpoint_new ();
  const float f[] = { 1.5f, -2.25f, 3.0e-8f };
  const guint64 u[] = { 0, G_MAXUINT64, 42 };

  tl_checkpoint_set_f32 (ck, "model/dense1/weight", f, 3);
  tl_checkpoint_set_u64 (ck, "trainer/state", u, 3);
  tl_checkpoint_set_f32 (ck, "empty", NULL, 0);
  return ck;
}

static GBytes *
saved_bytes (const char *dir)
{
  g_autoptr (TlCheckpoint) ck = sample ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "a.ckpt", NULL);
  char *contents;
  gsize len;

  g_assert_true (tl_checkpoint_save (ck, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_bytes_new_take (contents, len);
}

static void
test_round_trip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tl-ckpt-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "a.ckpt", NULL);
  g_autoptr (TlCheckpoint) ck = sample ();
  g_autoptr (TlCheckpoint) back = NULL;
  g_autoptr (GError) error = NULL;
  const float *f;
  const guint64 *u;
  gsize n;
  GDir *d;
  int files = 0;

  g_assert_true (tl_checkpoint_save (ck, path, &error));
  /* saving again replaces the file; no temporary file is left behind */
  g_assert_true (tl_checkpoint_save (ck, path, &error));
  d = g_dir_open (dir, 0, NULL);
  while (g_dir_read_name (d))
    files++;
  g_dir_close (d);
  g_assert_cmpint (files, ==, 1);

  back = tl_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tl_checkpoint_n_entries (back), ==, 3);
  f = tl_checkpoint_get_f32 (back, "model/dense1/weight", &n);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpmem (f, 3 * sizeof (float), tl_checkpoint_get_f32 (ck, "model/dense1/weight", NULL), 3 * sizeof (float));
  u = tl_checkpoint_get_u64 (back, "trainer/state", &n);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (u[1], ==, G_MAXUINT64);
  g_assert_cmpuint (u[2], ==, 42);
  g_assert_nonnull (tl_checkpoint_get_f32 (back, "empty", &n));
  g_assert_cmpuint (n, ==, 0);
  /* wrong type or name */
  g_assert_null (tl_checkpoint_get_u64 (back, "model/dense1/weight", NULL));
  g_assert_null (tl_checkpoint_get_f32 (back, "nothing", NULL));
  g_assert_null (tl_checkpoint_require_f32 (back, "model/dense1/weight", 4, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "model/dense1/weight"));

  g_unlink (path);
  g_rmdir (dir);
}

static void
expect_refused (const guint8 *data, gsize len, const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlCheckpoint) ck = tl_checkpoint_parse (data, len, "bad.ckpt", &error);

  g_assert_null (ck);
  g_assert_nonnull (error);
  g_assert_true (error->domain == TL_ERROR);
  g_assert_nonnull (strstr (error->message, "bad.ckpt"));
  if (fragment && !strstr (error->message, fragment))
    g_error ("message “%s” lacks “%s”", error->message, fragment);
}

static void
test_malformed (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tl-ckpt-XXXXXX", NULL);
  g_autoptr (GBytes) bytes = saved_bytes (dir);
  gsize len;
  const guint8 *good = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *bad = g_malloc0 (len + 4);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlCheckpoint) ok = tl_checkpoint_parse (good, len, "good.ckpt", &error);
  g_autofree char *path = g_build_filename (dir, "a.ckpt", NULL);
  guint32 v;
  guint64 big;

  g_assert_no_error (error);
  g_assert_nonnull (ok);

  /* every truncation is refused */
  for (gsize cut = 0; cut < len; cut++)
    expect_refused (good, cut, NULL);

  memcpy (bad, good, len);
  bad[0] = 'X';
  expect_refused (bad, len, "not a Transfer Lab checkpoint");

  memcpy (bad, good, len);
  v = GUINT32_TO_LE (7);
  memcpy (bad + 8, &v, 4);
  expect_refused (bad, len, "version 7");

  memcpy (bad, good, len);
  v = GUINT32_TO_LE (1000000);
  memcpy (bad + 12, &v, 4);
  expect_refused (bad, len, "1000000 entries");

  /* the first entry's element count (after magic, version, count, name length, 19-byte name, type) */
  memcpy (bad, good, len);
  big = GUINT64_TO_LE (G_GUINT64_CONSTANT (1) << 61);
  memcpy (bad + 16 + 4 + 19 + 4, &big, 8);
  expect_refused (bad, len, "bytes remain");

  memcpy (bad, good, len);
  v = GUINT32_TO_LE (9);
  memcpy (bad + 16 + 4 + 19, &v, 4);
  expect_refused (bad, len, "type 9");

  memcpy (bad, good, len);
  v = GUINT32_TO_LE (0);
  memcpy (bad + 16, &v, 4);
  expect_refused (bad, len, "name of 0 bytes");

  memcpy (bad, good, len);
  memset (bad + len, 0, 4);
  expect_refused (bad, len + 4, "unexpected bytes");

  g_assert_null (tl_checkpoint_load ("/nonexistent/dir/x.ckpt", &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_IO);
  g_unlink (path);
  g_rmdir (dir);
}

/* A borrowed array is written as a copied one is, and replacing it leaves the caller's data alone. */
static void
test_borrowed (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tl-ckpt-XXXXXX", NULL);
  g_autofree char *copied = g_build_filename (dir, "copied.ckpt", NULL);
  g_autofree char *borrowed = g_build_filename (dir, "borrowed.ckpt", NULL);
  g_autoptr (TlCheckpoint) a = tl_checkpoint_new ();
  g_autoptr (TlCheckpoint) b = tl_checkpoint_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *ca = NULL, *cb = NULL;
  float values[1000];
  gsize na, nb;

  for (int i = 0; i < 1000; i++)
    values[i] = (float) i * 0.5f - 7.0f;
  tl_checkpoint_set_f32 (a, "weights", values, 1000);
  tl_checkpoint_set_f32_borrowed (b, "weights", values, 1000);
  g_assert_true (tl_checkpoint_save (a, copied, &error));
  g_assert_true (tl_checkpoint_save (b, borrowed, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (copied, &ca, &na, NULL));
  g_assert_true (g_file_get_contents (borrowed, &cb, &nb, NULL));
  g_assert_cmpmem (ca, na, cb, nb);
  g_assert_true (tl_checkpoint_get_f32 (b, "weights", NULL) == values);

  tl_checkpoint_set_f32 (b, "weights", values, 10);
  g_assert_true (tl_checkpoint_get_f32 (b, "weights", NULL) != values);
  g_assert_cmpfloat (values[999], ==, 999 * 0.5f - 7.0f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/checkpoint/round-trip", test_round_trip);
  g_test_add_func ("/checkpoint/malformed", test_malformed);
  g_test_add_func ("/checkpoint/borrowed", test_borrowed);
  return g_test_run ();
}
