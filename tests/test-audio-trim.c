#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#include "tl-audio-features.h"
#include "tl-audio-file.h"
#include "tl-error.h"
#include "tl-import.h"
#include "tl-preprocess.h"

/* Trimming the silent ends of a recording before it is fitted to the clip
 * length (`trim_db`): the span kept, the clip it gives at either alignment,
 * the same features for a recording and its late copy through import and
 * through the model's preprocessing, and bad values. */

static char *tmp_dir;

static void
test_span (void)
{
  float x[450] = { 0 };
  gsize len = 0, start;

  for (int i = 100; i < 300; i++)
    x[i] = (float) sin (i * 0.7);
  for (int i = 300; i < 400; i++)
    x[i] = 0.01f * (float) sin (i * 0.7);

  /* the quiet part is 40 dB down: dropped at 20 dB, kept at 60 */
  start = tl_audio_trim_silence (x, 450, 10, 20.0, &len);
  g_assert_cmpuint (start, ==, 100);
  g_assert_cmpuint (len, ==, 200);
  start = tl_audio_trim_silence (x, 450, 10, 60.0, &len);
  g_assert_cmpuint (start, ==, 100);
  g_assert_cmpuint (len, ==, 300);

  /* whole frames: a sound starting inside a frame keeps that frame */
  memset (x, 0, sizeof x);
  for (int i = 105; i < 212; i++)
    x[i] = 0.5f;
  start = tl_audio_trim_silence (x, 450, 10, 30.0, &len);
  g_assert_cmpuint (start, ==, 100);
  g_assert_cmpuint (len, ==, 120);

  /* a short last frame counts by its own mean power */
  memset (x, 0, sizeof x);
  x[449] = 1.0f;
  start = tl_audio_trim_silence (x, 450, 100, 30.0, &len);
  g_assert_cmpuint (start, ==, 400);
  g_assert_cmpuint (len, ==, 50);

  /* silence is kept whole */
  memset (x, 0, sizeof x);
  start = tl_audio_trim_silence (x, 450, 10, 30.0, &len);
  g_assert_cmpuint (start, ==, 0);
  g_assert_cmpuint (len, ==, 450);
  start = tl_audio_trim_silence (NULL, 0, 10, 30.0, &len);
  g_assert_cmpuint (start, ==, 0);
  g_assert_cmpuint (len, ==, 0);
}

static void
test_fit (void)
{
  TlAudioSettings s;
  float x[1000] = { 0 };
  float out[800];

  tl_audio_settings_init (&s);
  s.n_samples = 800;
  for (int i = 300; i < 500; i++)
    x[i] = 1.0f + (float) i;

  /* off: the first 800 samples as they are */
  tl_audio_settings_fit (&s, x, 1000, out);
  g_assert_cmpfloat (out[0], ==, 0.0f);
  g_assert_cmpfloat (out[300], ==, 301.0f);

  /* start: the sound moved to the front (80-sample frames at 8 kHz), zeros after */
  s.trim_db = 40.0;
  tl_audio_settings_fit (&s, x, 1000, out);
  g_assert_cmpfloat (out[0], ==, 0.0f);
  g_assert_cmpfloat (out[60], ==, 301.0f);
  g_assert_cmpfloat (out[259], ==, 500.0f);
  g_assert_cmpfloat (out[260], ==, 0.0f);
  g_assert_cmpfloat (out[799], ==, 0.0f);

  /* center: the 320 samples kept, padded alike on both sides */
  s.align = TL_AUDIO_ALIGN_CENTER;
  tl_audio_settings_fit (&s, x, 1000, out);
  g_assert_cmpfloat (out[240 + 60], ==, 301.0f);
  g_assert_cmpfloat (out[240 + 259], ==, 500.0f);
  g_assert_cmpfloat (out[239], ==, 0.0f);
  g_assert_cmpfloat (out[240 + 320], ==, 0.0f);
}

static void
write_wav (const char *path, int lead, int tone, double freq)
{
  SF_INFO info = { .samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
  g_autofree float *buf = g_new0 (float, lead + tone);
  SNDFILE *f;

  for (int i = 0; i < tone; i++)
    buf[lead + i] = 0.5f * (float) sin (2.0 * G_PI * freq * i / 8000.0);
  f = sf_open (path, SFM_WRITE, &info);
  g_assert_nonnull (f);
  g_assert_cmpint (sf_writef_float (f, buf, lead + tone), ==, lead + tone);
  sf_close (f);
}

static int
row_of (const TlDataset *ds, const char *name)
{
  for (int i = 0; i < ds->n; i++)
    if (g_str_has_suffix (ds->source_text[i], name))
      return i;
  g_assert_not_reached ();
  return -1;
}

static gboolean
rows_equal (const TlDataset *ds, int a, int b)
{
  return memcmp (ds->x + (gsize) a * ds->sample_size, ds->x + (gsize) b * ds->sample_size,
                 sizeof (float) * ds->sample_size) == 0;
}

/* A recording and the same recording 0.2 s later: one spectrogram with the trim, two without;
 * the model's preprocessing keeps the trim, so predicting reads the late one as imported. */
static void
test_import_and_predict (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "voices", NULL);
  g_autofree char *up = g_build_filename (dir, "up", NULL);
  g_autofree char *down = g_build_filename (dir, "down", NULL);
  g_autofree char *early = g_build_filename (up, "early.wav", NULL);
  g_autofree char *late = g_build_filename (up, "late.wav", NULL);
  g_autofree char *other = g_build_filename (down, "other.wav", NULL);
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) plain = NULL;
  g_autoptr (TlImport) trimmed = NULL;
  g_autoptr (TlPreprocess) back = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *row = NULL;
  int a, b;

  g_assert_cmpint (g_mkdir_with_parents (up, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (down, 0755), ==, 0);
  write_wav (early, 0, 2400, 440.0);
  write_wav (late, 1600, 2400, 440.0);
  write_wav (other, 800, 3200, 1200.0);

  s->format = TL_SOURCE_AUDIO;
  s->audio.norm = TL_AUDIO_NORM_NONE;
  s->val_fraction = 0.0;
  s->test_fraction = 0.0;
  plain = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  a = row_of (plain->dataset, "early.wav");
  b = row_of (plain->dataset, "late.wav");
  g_assert_false (rows_equal (plain->dataset, a, b));

  s->audio.trim_db = 40.0;
  trimmed = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  a = row_of (trimmed->dataset, "early.wav");
  b = row_of (trimmed->dataset, "late.wav");
  g_assert_true (rows_equal (trimmed->dataset, a, b));

  node = tl_preprocess_to_json (trimmed->preprocess);
  back = tl_preprocess_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (back->audio.trim_db, ==, 40.0);
  row = g_new (float, trimmed->dataset->sample_size);
  g_assert_true (tl_preprocess_encode_audio (back, late, row, &error));
  g_assert_no_error (error);
  g_assert_cmpint (memcmp (row, trimmed->dataset->x + (gsize) a * trimmed->dataset->sample_size,
                           sizeof (float) * trimmed->dataset->sample_size), ==, 0);
}

static void
test_json (void)
{
  TlAudioSettings s;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  /* off: not written, so settings without it read and hash as before */
  tl_audio_settings_init (&s);
  json_builder_begin_object (b);
  tl_audio_settings_to_json_members (&s, b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  g_assert_false (json_object_has_member (json_node_get_object (node), "trim_db"));

  g_assert_true (json_parser_load_from_data (parser, "{\"trim_db\": 35}", -1, NULL));
  g_assert_true (tl_audio_settings_from_json_object (&s, json_node_get_object (json_parser_get_root (parser)),
                                                     &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (s.trim_db, ==, 35.0);

  for (guint i = 0; i < 3; i++)
    {
      static const char *const bad[] = { "{\"trim_db\": -1}", "{\"trim_db\": 200}", "{\"trim_db\": \"loud\"}" };

      tl_audio_settings_init (&s);
      g_assert_true (json_parser_load_from_data (parser, bad[i], -1, NULL));
      g_assert_false (tl_audio_settings_from_json_object (&s, json_node_get_object (json_parser_get_root (parser)),
                                                          &error));
      g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "trim"));
      g_clear_error (&error);
    }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("tl-audio-trim-XXXXXX", NULL);
  g_test_add_func ("/audio-trim/span", test_span);
  g_test_add_func ("/audio-trim/fit", test_fit);
  g_test_add_func ("/audio-trim/import-and-predict", test_import_and_predict);
  g_test_add_func ("/audio-trim/json", test_json);
  status = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);
    g_assert_cmpint (system (cmd), ==, 0);
  }
  g_free (tmp_dir);
  return status;
}
