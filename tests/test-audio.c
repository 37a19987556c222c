#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#include "tl-audio-augment.h"
#include "tl-audio-clip.h"
#include "tl-audio-examples.h"
#include "tl-audio-features.h"
#include "tl-audio-file.h"
#include "tl-audio-folder.h"
#include "tl-error.h"
#include "tl-half.h"
#include "tl-import.h"
#include "tl-experiment.h"
#include "tl-pipeline.h"

/* Audio files written here with libsndfile: the readers, resampling,
 * malformed files, the features and their place in the preprocessing.
 * The agreement with torchaudio is tests/interop/test_torchaudio_melspec.py. */

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* A tone of `freq` Hz at `amp` in channel 0, half that amplitude in the others. */
static void
write_tone (const char *path, int format, int rate, int channels, double seconds, double freq, double amp)
{
  SF_INFO info = { 0 };
  SNDFILE *f;
  gsize n = (gsize) (seconds * rate);
  g_autofree float *buf = g_new (float, MAX (n * channels, 1));

  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < channels; c++)
      buf[i * channels + c] = (float) ((c == 0 ? amp : amp / 2) * sin (2 * G_PI * freq * i / rate));
  f = sf_open (path, SFM_WRITE, &info);
  if (f == NULL)
    g_error ("%s: %s", path, sf_strerror (NULL));
  g_assert_cmpint (sf_writef_float (f, buf, n), ==, n);
  sf_close (f);
}

static double
tone_at (gsize i, int rate, double freq, double amp)
{
  return amp * sin (2 * G_PI * freq * i / rate);
}

static void
test_formats (void)
{
  const struct {
    const char *name;
    int format;
    double tolerance;
  } cases[] = {
    { "tone.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2.0 / 32768 },
    { "tone.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 2.0 / 32768 },
    { "tone.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, -1 },
    { "tone-float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1e-6 },
  };

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autofree char *path = tmp_path (cases[k].name);
      g_autoptr (GError) error = NULL;
      g_autofree float *x = NULL;
      TlAudioInfo info;
      gsize n = 0;
      double err = 0, sum2 = 0;

      write_tone (path, cases[k].format, 16000, 2, 0.5, 440, 0.6);
      x = tl_audio_file_read (path, 0, &n, &info, &error);
      g_assert_no_error (error);
      g_assert_cmpint (info.rate, ==, 16000);
      g_assert_cmpint (info.channels, ==, 2);
      g_assert_cmpuint (n, ==, 8000);
      g_assert_cmpfloat_with_epsilon (info.seconds, 0.5, 1e-9);
      g_assert_cmpstr (info.format, ==, strstr (cases[k].name, "ogg") ? "ogg"
                                        : strstr (cases[k].name, "flac") ? "flac" : "wav");
      /* mono: the mean of 0.6 and 0.3 times the tone */
      for (gsize i = 0; i < n; i++)
        {
          double want = tone_at (i, 16000, 440, 0.45);

          err = MAX (err, fabs (x[i] - want));
          sum2 += x[i] * x[i];
        }
      if (cases[k].tolerance > 0)
        g_assert_cmpfloat (err, <=, cases[k].tolerance);
      else /* lossy: the level is kept */
        g_assert_cmpfloat (fabs (sqrt (sum2 / n) - 0.45 / sqrt (2)), <, 0.02);
      g_assert_cmpfloat_with_epsilon (info.levels.peak, 0.45, 0.05);
      g_assert_false (tl_audio_levels_silent (&info.levels));
      g_assert_false (tl_audio_levels_clipped (&info.levels));
      g_assert_true (tl_is_audio_file_name (cases[k].name));
    }
  g_assert_false (tl_is_audio_file_name ("notes.txt"));
}

static void
test_resample (void)
{
  g_autofree char *path = tmp_path ("tone-16k.wav");
  const int rates[] = { 8000, 22050, 44100 };

  write_tone (path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, 1.0, 1000, 0.5);
  for (guint k = 0; k < G_N_ELEMENTS (rates); k++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree float *x = NULL;
      TlAudioInfo info;
      gsize n = 0;
      double err = 0;

      x = tl_audio_file_read (path, rates[k], &n, &info, &error);
      g_assert_no_error (error);
      g_assert_cmpint (info.rate, ==, 16000);
      g_assert_cmpint ((gint64) n, >=, rates[k] - 2);
      g_assert_cmpint ((gint64) n, <=, rates[k] + 2);
      /* away from the edges, the same tone at the new rate */
      for (gsize i = n / 10; i < n - n / 10; i++)
        err = MAX (err, fabs (x[i] - tone_at (i, rates[k], 1000, 0.5)));
      g_assert_cmpfloat (err, <, 2e-3);
    }
  {
    g_autoptr (GError) error = NULL;
    g_autofree float *x = tl_audio_file_read (path, 500, &(gsize) { 0 }, NULL, &error);

    g_assert_null (x);
    g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "500 Hz"));
  }
}

static void
test_fit_length (void)
{
  const float in[] = { 1, 2, 3, 4, 5 };
  float out[8];

  tl_audio_fit_length (in, 5, out, 3, TL_AUDIO_ALIGN_START);
  g_assert_cmpfloat (out[0], ==, 1);
  g_assert_cmpfloat (out[2], ==, 3);
  tl_audio_fit_length (in, 5, out, 3, TL_AUDIO_ALIGN_CENTER);
  g_assert_cmpfloat (out[0], ==, 2);
  g_assert_cmpfloat (out[2], ==, 4);
  tl_audio_fit_length (in, 5, out, 8, TL_AUDIO_ALIGN_START);
  g_assert_cmpfloat (out[4], ==, 5);
  g_assert_cmpfloat (out[5], ==, 0);
  g_assert_cmpfloat (out[7], ==, 0);
  tl_audio_fit_length (in, 5, out, 8, TL_AUDIO_ALIGN_CENTER);
  g_assert_cmpfloat (out[0], ==, 0);
  g_assert_cmpfloat (out[1], ==, 1);
  g_assert_cmpfloat (out[5], ==, 5);
  g_assert_cmpfloat (out[7], ==, 0);
}

static void
set_le32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = v >> 24;
}

/* A PCM16 mono WAV header claiming data_bytes, followed by `present` bytes. */
static void
write_wav_claim (const char *path, int rate, guint32 data_bytes, gsize present)
{
  g_autofree guint8 *b = g_malloc0 (44 + present);

  memcpy (b, "RIFF", 4);
  set_le32 (b + 4, 36 + data_bytes);
  memcpy (b + 8, "WAVEfmt ", 8);
  set_le32 (b + 16, 16);
  b[20] = 1;   /* PCM */
  b[22] = 1;   /* mono */
  set_le32 (b + 24, rate);
  set_le32 (b + 28, rate * 2);
  b[32] = 2;
  b[34] = 16;
  memcpy (b + 36, "data", 4);
  set_le32 (b + 40, data_bytes);
  for (gsize i = 0; i < present; i++)
    b[44 + i] = (guint8) (i * 7);
  g_assert_true (g_file_set_contents (path, (char *) b, 44 + present, NULL));
}

static void
expect_refusal (const char *path, const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *x = NULL;
  gsize n = 0;

  x = tl_audio_file_read (path, 8000, &n, NULL, &error);
  g_assert_null (x);
  g_assert_nonnull (error);
  if (g_test_verbose ())
    g_printerr ("%s\n", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  if (strstr (error->message, words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, words);
}

static void
test_malformed (void)
{
  g_autofree char *empty = tmp_path ("empty.wav");
  g_autofree char *text = tmp_path ("text.wav");
  g_autofree char *truncated = tmp_path ("truncated.wav");
  g_autofree char *cut_flac = tmp_path ("cut.flac");
  g_autofree char *huge = tmp_path ("huge.wav");
  g_autofree char *hour = tmp_path ("hours.flac");
  g_autofree char *slow = tmp_path ("slow.wav");
  g_autofree char *no_frames = tmp_path ("no-frames.wav");
  g_autofree char *missing = tmp_path ("missing.wav");
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  expect_refusal (empty, "empty (zero length)");
  g_assert_true (g_file_set_contents (text, "label,text\n1,this is not audio\n", -1, NULL));
  expect_refusal (text, "not an audio file");
  write_wav_claim (truncated, 8000, 16000, 3000);
  expect_refusal (truncated, "truncated");
  write_wav_claim (huge, 8000, 0xfffffff0u, 1000);
  expect_refusal (huge, "over the limit");
  write_wav_claim (no_frames, 8000, 0, 0);
  expect_refusal (no_frames, "zero length");
  write_tone (slow, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 500, 1, 1.0, 50, 0.5);
  expect_refusal (slow, "sample rate of 500 Hz");
  expect_refusal (missing, "No such file");

  /* a FLAC cut short, and a FLAC whose stream header claims 2^36 samples */
  write_tone (cut_flac, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8000, 1, 2.0, 300, 0.5);
  g_assert_true (g_file_get_contents (cut_flac, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (hour, contents, len, NULL));
  g_assert_true (g_file_set_contents (cut_flac, contents, len / 2, NULL));
  expect_refusal (cut_flac, "truncated");
  g_assert_cmpmem (contents, 4, "fLaC", 4);
  /* STREAMINFO: 20 bits of rate, 3 of channels, 5 of bits per sample, 36 of total samples from byte 18 */
  contents[21] |= 0x0f;
  memset (contents + 22, 0xff, 4);
  g_assert_true (g_file_set_contents (hour, contents, len, NULL));
  expect_refusal (hour, "seconds of audio, over the limit");
}

static void
test_features (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlAudioFeatures) f = NULL;
  g_autofree double *fb = NULL;
  g_autofree float *x = g_new (float, 8000);
  g_autofree float *out = NULL;
  TlAudioSettings s;
  int bands, frames, best = -1, expected = -1;
  double best_value = -1e300;

  tl_audio_settings_init (&s);
  g_assert_true (tl_audio_settings_check (&s, &error));
  g_assert_cmpint (tl_audio_settings_frames (&s), ==, 101);
  g_assert_cmpint (tl_audio_settings_bands (&s), ==, 40);
  s.norm = TL_AUDIO_NORM_NONE;
  f = tl_audio_features_new (&s, &error);
  g_assert_no_error (error);
  bands = tl_audio_settings_bands (&s);
  frames = tl_audio_settings_frames (&s);
  out = g_new (float, bands * frames);
  for (int i = 0; i < 8000; i++)
    x[i] = (float) tone_at (i, 8000, 1000, 0.5);
  g_assert_cmpint (tl_audio_features_compute (f, x, 8000, out), ==, frames);
  /* the loudest band in a middle frame is the filter that peaks nearest 1 kHz */
  fb = tl_mel_filterbank (201, 0, 4000, 40, 8000, TL_MEL_HTK, FALSE);
  for (int m = 0, bin = 1000 * 400 / 8000; m < 40; m++)
    if (expected < 0 || fb[m * 201 + bin] > fb[expected * 201 + bin])
      expected = m;
  for (int m = 0; m < bands; m++)
    if (out[m * frames + 50] > best_value)
      {
        best_value = out[m * frames + 50];
        best = m;
      }
  g_assert_cmpint (best, ==, expected);
  /* 0.5 sin: 0.125 of power per sample, times the window's energy... in log, a large value */
  g_assert_cmpfloat (best_value, >, 5.0);
  /* silence: log (1e-6) */
  memset (x, 0, sizeof (float) * 8000);
  tl_audio_features_compute (f, x, 8000, out);
  g_assert_cmpfloat_with_epsilon (out[17 * frames + 3], log (1e-6), 1e-4);

  /* settings out of range are refused with a reason */
  s.n_mels = 0;
  g_assert_false (tl_audio_settings_check (&s, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  tl_audio_settings_init (&s);
  s.fmax = 5000;
  g_assert_false (tl_audio_settings_check (&s, &error));
  g_clear_error (&error);
  tl_audio_settings_init (&s);
  s.n_samples = 100;
  g_assert_false (tl_audio_settings_check (&s, &error));
  g_clear_error (&error);
}

/* two classes of tones, one silent, one clipped and one long recording */
static char *
make_folder (void)
{
  char *dir = g_build_filename (tmp_dir, "tones", NULL);

  for (int c = 0; c < 2; c++)
    {
      g_autofree char *sub = g_build_filename (dir, c == 0 ? "high" : "low", NULL);

      g_mkdir_with_parents (sub, 0700);
      for (int i = 0; i < 10; i++)
        {
          g_autofree char *name = g_strdup_printf ("%d.%s", i, i % 3 == 0 ? "flac" : "wav");
          g_autofree char *path = g_build_filename (sub, name, NULL);

          write_tone (path, (i % 3 == 0 ? SF_FORMAT_FLAC : SF_FORMAT_WAV) | SF_FORMAT_PCM_16, i % 2 ? 8000 : 16000,
                      1, 0.4 + 0.02 * i, (c == 0 ? 1500 : 300) + 10 * i, 0.3);
        }
    }
  {
    g_autofree char *silent = g_build_filename (dir, "low", "silent.wav", NULL);
    g_autofree char *loud = g_build_filename (dir, "high", "loud.wav", NULL);
    g_autofree char *longer = g_build_filename (dir, "low", "long.wav", NULL);
    g_autofree char *notes = g_build_filename (dir, "low", "notes.txt", NULL);

    write_tone (silent, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 0.5, 300, 0.0);
    write_tone (loud, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 0.5, 1500, 3.0);
    write_tone (longer, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 3.0, 300, 0.3);
    g_assert_true (g_file_set_contents (notes, "not audio", -1, NULL));
  }
  return dir;
}

static gboolean
report_lists (GPtrArray *paths, const char *name)
{
  for (guint i = 0; i < paths->len; i++)
    if (g_str_has_suffix (g_ptr_array_index (paths, i), name))
      return TRUE;
  return FALSE;
}

static void
test_import (void)
{
  g_autofree char *dir = make_folder ();
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree double *mean = NULL;
  g_autofree double *std = NULL;
  TlAudioReport *r;
  int bands;

  g_assert_cmpint (tl_import_guess_format (dir), ==, TL_SOURCE_AUDIO);
  s->val_fraction = 0.2;
  s->test_fraction = 0.2;
  import = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  g_assert_cmpint (import->dataset->kind, ==, TL_DATA_AUDIO);
  g_assert_cmpint (import->dataset->n, ==, 23);
  g_assert_cmpint (import->dataset->sample_ndim, ==, 3);
  g_assert_cmpint (import->dataset->sample_shape[0], ==, 1);
  g_assert_cmpint (import->dataset->sample_shape[1], ==, 40);
  g_assert_cmpint (import->dataset->sample_shape[2], ==, 101);
  g_assert_cmpstr (import->dataset->class_names[0], ==, "high");
  g_assert_cmpint (import->preprocess->kind, ==, TL_DATA_AUDIO);
  g_assert_cmpstr (import->report->format, ==, "audio");

  r = import->report->audio;
  g_assert_nonnull (r);
  g_assert_cmpint (r->n_files, ==, 23);
  g_assert_cmpfloat_with_epsilon (r->min_seconds, 0.4, 1e-6);
  g_assert_cmpfloat_with_epsilon (r->max_seconds, 3.0, 1e-6);
  g_assert_cmpint (r->n_resampled, ==, 10);
  g_assert_cmpint (r->n_cropped, ==, 1);
  g_assert_true (report_lists (r->silent, "silent.wav") && r->silent->len == 1);
  g_assert_true (report_lists (r->clipped, "loud.wav") && r->clipped->len == 1);
  g_assert_true (report_lists (r->long_files, "long.wav") && r->long_files->len == 1);
  text = tl_import_report_to_text (import->report);
  g_assert_nonnull (strstr (text, "median"));
  g_assert_nonnull (strstr (text, "silent.wav"));
  {
    g_autoptr (JsonNode) json = tl_import_report_to_json (import->report);
    JsonObject *audio = json_object_get_object_member (json_node_get_object (json), "audio");

    g_assert_cmpint (json_array_get_length (json_object_get_array_member (audio, "clipped")), ==, 1);
  }

  /* dataset normalisation: the training rows have zero mean and unit deviation per band */
  bands = import->dataset->sample_shape[1];
  mean = g_new (double, bands);
  std = g_new (double, bands);
  tl_audio_dataset_fit_norm (import->dataset, import->split->train, import->split->n_train, mean, std);
  for (int b = 0; b < bands; b++)
    {
      g_assert_cmpfloat (fabs (mean[b]), <, 1e-4);
      g_assert_true (fabs (std[b] - 1.0) < 1e-3 || std[b] == 1.0);
    }
}

/* A run's import (compact rows asked for) holds the features as halves: the
 * same rows as the float import, each rounded to the nearest half, augmented
 * copies included. */
static void
test_import_halves (void)
{
  g_autofree char *dir = make_folder ();
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) floats = NULL;
  g_autoptr (TlImport) halves = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *row = NULL;
  gsize size;

  s->val_fraction = 0.2;
  s->test_fraction = 0.2;
  s->audio_augment.copies = 1;
  floats = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  s->keep_bytes = TRUE;
  halves = tl_import_run (dir, s, &error);
  g_assert_no_error (error);

  g_assert_nonnull (floats->dataset->x);
  g_assert_null (halves->dataset->x);
  g_assert_nonnull (halves->dataset->x16);
  g_assert_cmpint (halves->dataset->n, ==, floats->dataset->n);
  g_assert_cmpint (halves->split->n_train, ==, floats->split->n_train);
  size = floats->dataset->sample_size;
  row = g_new (float, size);
  for (int r = 0; r < floats->dataset->n; r++)
    {
      const float *got = tl_dataset_row (halves->dataset, r, row);

      g_assert_cmpint (halves->dataset->y[r], ==, floats->dataset->y[r]);
      for (gsize i = 0; i < size; i++)
        {
          const float want = tl_half_to_float (tl_half_from_float (floats->dataset->x[r * size + i]));

          g_assert_cmpmem (&got[i], sizeof (float), &want, sizeof (float));
        }
    }
}

static void
test_csv (void)
{
  g_autofree char *dir = make_folder ();
  g_autofree char *csv = g_build_filename (dir, "list.csv", NULL);
  g_autofree char *abs_path = g_build_filename (dir, "low", "3.flac", NULL);
  g_autofree char *content = g_strdup_printf ("file,speaker,class\nhigh/0.flac,a,up\nhigh/1.wav,a,up\n"
                                              "low/2.wav,b,down\n%s,b,down\n", abs_path);
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlDataset) ds = NULL;
  g_autoptr (TlAudioReport) report = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (csv, content, -1, NULL));
  ds = tl_audio_csv_load (csv, NULL, "class", &s->audio, NULL, NULL, &report, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->n, ==, 4);
  g_assert_cmpint (ds->n_classes, ==, 2);
  g_assert_cmpstr (ds->class_names[0], ==, "down");
  g_assert_cmpint (ds->y[0], ==, 1);
  g_assert_cmpint (ds->y[3], ==, 0);
  g_assert_cmpint (report->n_files, ==, 4);
  g_clear_pointer (&ds, tl_dataset_free);

  /* a missing recording is named with its path */
  g_assert_true (g_file_set_contents (csv, "path,label\nhigh/0.flac,a\nnowhere.wav,b\n", -1, NULL));
  ds = tl_audio_csv_load (csv, NULL, NULL, &s->audio, NULL, NULL, NULL, &error);
  g_assert_null (ds);
  g_assert_nonnull (strstr (error->message, "nowhere.wav"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (csv, "name,label\nhigh/0.flac,a\n", -1, NULL));
  ds = tl_audio_csv_load (csv, NULL, NULL, &s->audio, NULL, NULL, NULL, &error);
  g_assert_null (ds);
  g_assert_nonnull (strstr (error->message, "no path column"));
}

static void
test_preprocess_json (void)
{
  g_autofree char *dir = make_folder ();
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (TlPreprocess) back = NULL;
  g_autoptr (TlDataset) applied = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json2 = NULL;
  g_autofree float *row = NULL;
  int shape[3], row_index = -1;

  s->format = TL_SOURCE_AUDIO;
  s->audio.n_mels = 32;
  s->audio.hop = 100;
  s->audio.n_samples = 6000;
  s->audio.align = TL_AUDIO_ALIGN_CENTER;
  s->audio.mel_scale = TL_MEL_SLANEY;
  s->audio.slaney_norm = TRUE;
  import = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  node = tl_preprocess_to_json (import->preprocess);
  json = json_to_string (node, FALSE);
  back = tl_preprocess_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->kind, ==, TL_DATA_AUDIO);
  g_assert_cmpint (back->audio.n_mels, ==, 32);
  g_assert_cmpint (back->audio.hop, ==, 100);
  g_assert_cmpint (back->audio.align, ==, TL_AUDIO_ALIGN_CENTER);
  g_assert_cmpint (back->audio.mel_scale, ==, TL_MEL_SLANEY);
  g_assert_true (back->audio.slaney_norm);
  g_assert_nonnull (back->audio_mean);
  for (int b = 0; b < 32; b++)
    {
      g_assert_cmpfloat (back->audio_mean[b], ==, import->preprocess->audio_mean[b]);
      g_assert_cmpfloat (back->audio_std[b], ==, import->preprocess->audio_std[b]);
    }
  {
    g_autoptr (JsonNode) again = tl_preprocess_to_json (back);

    json2 = json_to_string (again, FALSE);
  }
  g_assert_cmpstr (json, ==, json2);
  g_assert_cmpint (tl_preprocess_sample_shape (back, shape), ==, 3);
  g_assert_cmpint (shape[1], ==, 32);
  g_assert_cmpint (shape[2], ==, 61);
  g_assert_cmpint (tl_preprocess_feature_count (back), ==, 32 * 61);

  /* one recording through the stored preprocessing gives its imported row */
  for (int i = 0; i < import->dataset->n; i++)
    if (g_str_has_suffix (import->dataset->source_text[i], "high/4.wav"))
      row_index = i;
  g_assert_cmpint (row_index, >=, 0);
  row = g_new (float, 32 * 61);
  g_assert_true (tl_preprocess_encode_audio (back, import->dataset->source_text[row_index], row, &error));
  g_assert_no_error (error);
  for (int k = 0; k < 32 * 61; k++)
    g_assert_cmpfloat_with_epsilon (row[k], import->dataset->x[(gsize) row_index * 32 * 61 + k], 1e-4);
  /* and so does tl_import_apply on the single file, unlabelled */
  applied = tl_import_apply (import->dataset->source_text[row_index], NULL, back, &error);
  g_assert_no_error (error);
  g_assert_cmpint (applied->n, ==, 1);
  g_assert_cmpint (applied->y[0], ==, -1);
  for (int k = 0; k < 32 * 61; k++)
    g_assert_cmpfloat_with_epsilon (applied->x[k], row[k], 1e-6);

  /* damaged preprocessing is refused */
  {
    g_autoptr (JsonParser) parser = json_parser_new ();
    const char *bad[] = {
      "{\"kind\":\"audio\",\"class_names\":[\"a\"],\"audio\":{\"n_mels\":0}}",
      "{\"kind\":\"audio\",\"class_names\":[\"a\"],\"audio\":{\"norm\":\"dataset\",\"mean\":[1],\"std\":[1]}}",
      "{\"kind\":\"audio\",\"class_names\":[\"a\"],\"audio\":{\"mel_scale\":\"bark\",\"norm\":\"none\"}}",
      "{\"kind\":\"audio\",\"class_names\":[\"a\"]}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (TlPreprocess) pre = NULL;

        g_assert_true (json_parser_load_from_data (parser, bad[i], -1, NULL));
        pre = tl_preprocess_from_json (json_parser_get_root (parser), &error);
        g_assert_null (pre);
        g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
        g_clear_error (&error);
      }
  }
  /* import settings keep the audio section */
  {
    g_autoptr (JsonNode) sn = tl_import_settings_to_json (s);
    g_autoptr (TlImportSettings) s2 = tl_import_settings_from_json (sn, &error);

    g_assert_no_error (error);
    g_assert_cmpint (s2->format, ==, TL_SOURCE_AUDIO);
    g_assert_cmpint (s2->audio.n_samples, ==, 6000);
    g_assert_cmpint (s2->audio.n_mels, ==, 32);
  }
}

/* seeded augmentation: shift, noise at an SNR, masks, and copies of rows */
static void
test_augment (void)
{
  g_autofree char *dir = make_folder ();
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (TlDataset) a1 = NULL;
  g_autoptr (TlDataset) a2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *x = g_new (float, 8000);
  g_autofree float *y = g_new (float, 8000);
  g_autofree float *spec = g_new (float, 40 * 101);
  TlAudioAugment aug;
  TlRng rng;
  double signal = 0, noise = 0;
  int masked = 0, rows[3];

  tl_audio_augment_init (&aug);
  g_assert_true (tl_audio_augment_check (&aug, &error));
  /* noise only: the SNR asked for */
  aug.max_shift = 0;
  for (int i = 0; i < 8000; i++)
    x[i] = y[i] = (float) tone_at (i, 8000, 440, 0.3);
  tl_rng_init (&rng, 5);
  tl_audio_augment_wave (&aug, 8000, y, 8000, &rng);
  for (int i = 0; i < 8000; i++)
    {
      signal += (double) x[i] * x[i];
      noise += (double) (y[i] - x[i]) * (y[i] - x[i]);
    }
  g_assert_cmpfloat (fabs (10 * log10 (signal / noise) - 20.0), <, 0.5);
  /* shift only: the same samples, moved */
  aug.max_shift = 0.05;
  aug.snr_db = 0;
  memcpy (y, x, sizeof (float) * 8000);
  tl_rng_init (&rng, 6);
  tl_audio_augment_wave (&aug, 8000, y, 8000, &rng);
  {
    int best = 0;
    double best_err = 1e9;

    for (int k = -400; k <= 400; k++)
      {
        double err = 0;

        for (int i = 1000; i < 7000; i++)
          err += fabs (y[i] - x[i - k]);
        if (err < best_err)
          best_err = err, best = k;
      }
    g_assert_cmpfloat (best_err, <, 1e-3);
    g_assert_cmpint (best, !=, 0);
  }
  /* masks: at most freq_masks x freq_width bands and time_masks x time_width frames */
  for (int i = 0; i < 40 * 101; i++)
    spec[i] = 1.0f;
  tl_audio_augment_init (&aug);
  tl_rng_init (&rng, 7);
  tl_audio_augment_masks (&aug, spec, 40, 101, 0.0f, &rng);
  for (int i = 0; i < 40 * 101; i++)
    masked += spec[i] == 0.0f;
  g_assert_cmpint (masked, <=, 2 * 4 * 101 + 2 * 10 * 40);

  /* copies of training rows: labelled as the originals, the same for the same seed, not the originals */
  import = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  tl_audio_augment_init (&aug);
  aug.copies = 2;
  for (int k = 0; k < 3; k++)
    rows[k] = import->split->train[k];
  a1 = tl_audio_augment_rows (import->dataset, rows, 3, &s->audio, &aug, import->preprocess->audio_mean,
                              import->preprocess->audio_std, 11, &error);
  g_assert_no_error (error);
  a2 = tl_audio_augment_rows (import->dataset, rows, 3, &s->audio, &aug, import->preprocess->audio_mean,
                              import->preprocess->audio_std, 11, &error);
  g_assert_no_error (error);
  g_assert_cmpint (a1->n, ==, 6);
  g_assert_cmpmem (a1->x, sizeof (float) * a1->n * a1->sample_size, a2->x, sizeof (float) * a2->n * a2->sample_size);
  for (int k = 0; k < 6; k++)
    {
      const float *orig = import->dataset->x + (gsize) rows[k / 2] * import->dataset->sample_size;
      double diff = 0;

      g_assert_cmpint (a1->y[k], ==, import->dataset->y[rows[k / 2]]);
      g_assert_cmpstr (a1->source_text[k], ==, import->dataset->source_text[rows[k / 2]]);
      for (gsize i = 0; i < a1->sample_size; i++)
        diff += fabs (a1->x[k * a1->sample_size + i] - orig[i]);
      g_assert_cmpfloat (diff, >, 1.0);
    }
  g_assert_true (memcmp (a1->x, a1->x + a1->sample_size, sizeof (float) * a1->sample_size) != 0);

  /* through the import: copies join the training split only, and the settings keep them */
  {
    g_autoptr (TlImport) more = NULL;
    g_autoptr (JsonNode) node = NULL;
    g_autoptr (TlImportSettings) back = NULL;

    s->audio_augment.copies = 2;
    s->format = TL_SOURCE_AUDIO;
    more = tl_import_run (dir, s, &error);
    g_assert_no_error (error);
    g_assert_cmpint (more->report->audio->n_augmented, ==, 2 * import->split->n_train);
    g_assert_cmpint (more->dataset->n, ==, import->dataset->n + 2 * import->split->n_train);
    g_assert_cmpint (more->split->n_train, ==, 3 * import->split->n_train);
    g_assert_cmpint (more->split->n_test, ==, import->split->n_test);
    for (int i = 0; i < more->split->n_test; i++)
      g_assert_cmpint (more->split->test[i], <, import->dataset->n);
    node = tl_import_settings_to_json (s);
    back = tl_import_settings_from_json (node, &error);
    g_assert_no_error (error);
    g_assert_cmpint (back->audio_augment.copies, ==, 2);
    g_assert_cmpfloat (back->audio_augment.snr_db, ==, 20.0);
  }
}

/* zero crossings per second of x[0..n) at 8 kHz, halved: the frequency of a pure tone */
static double
tone_frequency (const float *x, gsize n)
{
  int crossings = 0;

  for (gsize i = 1; i < n; i++)
    crossings += (x[i - 1] < 0.0f) != (x[i] < 0.0f);
  return crossings / 2.0 / ((double) n / 8000.0);
}

/* a change of speed: the pitch and the length move together; drawn only when asked for */
static void
test_augment_speed (void)
{
  g_autofree char *dir = make_folder ();
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *x = g_new (float, 8000);
  TlAudioAugment aug;
  TlRng r1, r2;
  gsize m = 0, lo = G_MAXSIZE, hi = 0;
  int rows[2];

  for (int i = 0; i < 8000; i++)
    x[i] = (float) tone_at (i, 8000, 440, 0.3);
  {
    g_autofree float *same = tl_audio_augment_resample (x, 8000, 1.0, &m);
    g_autofree float *fast = NULL;
    g_autofree float *slow = NULL;

    g_assert_cmpuint (m, ==, 8000);
    g_assert_cmpmem (same, sizeof (float) * 8000, x, sizeof (float) * 8000);
    fast = tl_audio_augment_resample (x, 8000, 1.1, &m);
    g_assert_cmpuint (m, ==, 7272);
    g_assert_cmpfloat (fabs (tone_frequency (fast, m) - 484.0), <, 3.0);
    /* between samples: the straight line through its neighbours */
    g_assert_cmpfloat (fabs (fast[3] - (0.7 * x[3] + 0.3 * x[4])), <, 1e-6);
    slow = tl_audio_augment_resample (x, 8000, 0.9, &m);
    g_assert_cmpuint (m, ==, 8888);
    g_assert_cmpfloat (fabs (tone_frequency (slow, m) - 396.0), <, 3.0);
  }

  /* speed 0: a copy, and the generator untouched */
  tl_audio_augment_init (&aug);
  tl_rng_init (&r1, 3);
  tl_rng_init (&r2, 3);
  {
    g_autofree float *y = tl_audio_augment_speed (&aug, x, 8000, &m, &r1);

    g_assert_cmpuint (m, ==, 8000);
    g_assert_cmpmem (y, sizeof (float) * 8000, x, sizeof (float) * 8000);
    g_assert_true (tl_rng_next (&r1) == tl_rng_next (&r2));
  }
  /* speed 0.1: lengths of 8000 / 1.1 to 8000 / 0.9, spread over the range */
  aug.speed = 0.1;
  for (int k = 0; k < 200; k++)
    {
      g_autofree float *y = tl_audio_augment_speed (&aug, x, 8000, &m, &r1);

      lo = MIN (lo, m);
      hi = MAX (hi, m);
    }
  g_assert_cmpuint (lo, >=, 7272);
  g_assert_cmpuint (hi, <=, 8889);
  g_assert_cmpuint (lo, <, 7400);
  g_assert_cmpuint (hi, >, 8700);

  /* the limits, and JSON: written only when set, read back, refused when not a number */
  aug.speed = 0.6;
  g_assert_false (tl_audio_augment_check (&aug, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  aug.speed = -0.1;
  g_assert_false (tl_audio_augment_check (&aug, NULL));
  {
    TlAudioAugment back;
    g_autoptr (JsonNode) plain = NULL;
    g_autoptr (JsonNode) node = NULL;
    g_autoptr (JsonNode) bad = json_from_string ("{\"copies\": 1, \"speed\": \"fast\"}", NULL);
    g_autoptr (JsonNode) high = json_from_string ("{\"copies\": 1, \"speed\": 0.7}", NULL);

    tl_audio_augment_init (&aug);
    aug.copies = 1;
    plain = tl_audio_augment_to_json (&aug);
    g_assert_false (json_object_has_member (json_node_get_object (plain), "speed"));
    aug.speed = 0.15;
    node = tl_audio_augment_to_json (&aug);
    tl_audio_augment_init (&back);
    g_assert_true (tl_audio_augment_from_json (&back, node, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat (back.speed, ==, 0.15);
    g_assert_false (tl_audio_augment_from_json (&back, bad, &error));
    g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
    g_clear_error (&error);
    g_assert_false (tl_audio_augment_from_json (&back, high, &error));
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "speed"));
    g_clear_error (&error);
  }

  /* copies of rows: the same for the same seed, and not the copies without a change of speed */
  import = tl_import_run (dir, s, &error);
  g_assert_no_error (error);
  for (int k = 0; k < 2; k++)
    rows[k] = import->split->train[k];
  tl_audio_augment_init (&aug);
  aug.copies = 2;
  {
    g_autoptr (TlDataset) plain = NULL;
    g_autoptr (TlDataset) a1 = NULL;
    g_autoptr (TlDataset) a2 = NULL;
    gsize bytes;

    plain = tl_audio_augment_rows (import->dataset, rows, 2, &s->audio, &aug, import->preprocess->audio_mean,
                                   import->preprocess->audio_std, 11, &error);
    g_assert_no_error (error);
    aug.speed = 0.2;
    a1 = tl_audio_augment_rows (import->dataset, rows, 2, &s->audio, &aug, import->preprocess->audio_mean,
                                import->preprocess->audio_std, 11, &error);
    g_assert_no_error (error);
    a2 = tl_audio_augment_rows (import->dataset, rows, 2, &s->audio, &aug, import->preprocess->audio_mean,
                                import->preprocess->audio_std, 11, &error);
    g_assert_no_error (error);
    bytes = sizeof (float) * a1->n * a1->sample_size;
    g_assert_cmpint (a1->n, ==, 4);
    g_assert_cmpmem (a1->x, bytes, a2->x, bytes);
    g_assert_true (memcmp (a1->x, plain->x, bytes) != 0);
    for (int k = 0; k < 4; k++)
      g_assert_cmpint (a1->y[k], ==, import->dataset->y[rows[k / 2]]);
  }
}

/* speakers a and b, each with classes x and y (b also z): classes pooled by name */
static void
test_grouped_folder (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "speakers", NULL);
  const char *layout[][2] = { { "a", "x" }, { "a", "y" }, { "b", "x" }, { "b", "y" }, { "b", "z" } };
  g_autoptr (TlDataset) ds = NULL;
  g_autoptr (GError) error = NULL;
  TlAudioSettings s;

  for (guint i = 0; i < G_N_ELEMENTS (layout); i++)
    for (int k = 0; k < 2; k++)
      {
        g_autofree char *sub = g_build_filename (dir, layout[i][0], layout[i][1], NULL);
        g_autofree char *name = g_strdup_printf ("%s%d.wav", layout[i][0], k);
        g_autofree char *path = g_build_filename (sub, name, NULL);

        g_mkdir_with_parents (sub, 0700);
        write_tone (path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 0.3, 200 + 100 * i, 0.3);
      }
  g_assert_true (tl_audio_folder_detect (dir));
  g_assert_cmpint (tl_import_guess_format (dir), ==, TL_SOURCE_AUDIO);
  tl_audio_settings_init (&s);
  ds = tl_audio_folder_load (dir, &s, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->n, ==, 10);
  g_assert_cmpint (ds->n_classes, ==, 3);
  g_assert_cmpstr (ds->class_names[2], ==, "z");
  g_assert_cmpint (ds->y[0], ==, 0);  /* a/x */
  g_assert_cmpint (ds->y[4], ==, 0);  /* b/x */
  g_assert_cmpint (ds->y[9], ==, 2);  /* b/z */
  g_assert_true (g_str_has_suffix (ds->source_text[9], "b/z/b1.wav"));
}

/* "audio" as an experiment's data format, with its settings */
static void
test_experiment (void)
{
  const char *text =
    "{\"format_version\": 1, \"name\": \"a\", \"seed\": 3,"
    " \"source\": {\"format\": \"audio\", \"path\": \"voices\","
    "   \"audio\": {\"n_mels\": 24, \"hop\": 100, \"samples\": 4000, \"norm\": \"utterance\"}},"
    " \"target\": {\"format\": \"audio\", \"path\": \"speaker\", \"per_class\": 5,"
    "   \"audio_augment\": {\"copies\": 3, \"snr_db\": 15}},"
    " \"architecture\": {\"preset\": \"audio-cnn\"}}";
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (TlExperiment) exp = NULL;
  g_autoptr (TlExperiment) back = NULL;
  g_autoptr (TlImportSettings) s = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  exp = tl_experiment_from_json (json_parser_get_root (parser), "a", "/data", &error);
  g_assert_no_error (error);
  g_assert_cmpint (exp->source.format, ==, TL_DATA_FORMAT_AUDIO);
  g_assert_cmpstr (tl_data_format_name (exp->source.format), ==, "audio");
  g_assert_cmpint (exp->source.audio.n_mels, ==, 24);
  g_assert_cmpint (exp->source.audio.n_samples, ==, 4000);
  g_assert_cmpint (exp->source.audio.norm, ==, TL_AUDIO_NORM_UTTERANCE);
  g_assert_cmpint (exp->target.audio.n_mels, ==, 40);
  node = tl_experiment_to_json (exp);
  back = tl_experiment_from_json (node, "a", "/data", &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->source.audio.n_mels, ==, 24);
  g_assert_cmpint (back->source.audio.hop, ==, 100);
  g_assert_cmpint (back->target.audio_augment.copies, ==, 3);
  g_assert_cmpfloat (back->target.audio_augment.snr_db, ==, 15.0);
  g_assert_cmpint (back->source.audio_augment.copies, ==, 0);
  s = tl_pipeline_import_settings (back, &back->source, 1);
  g_assert_cmpint (s->format, ==, TL_SOURCE_AUDIO);
  g_assert_cmpint (s->audio.n_mels, ==, 24);
  g_clear_pointer (&exp, tl_experiment_free);

  /* settings out of range are refused */
  {
    g_autofree char *bad = g_strdup (text);
    char *at = strstr (bad, "24");

    at[0] = '0', at[1] = ' ';
    g_assert_true (json_parser_load_from_data (parser, bad, -1, NULL));
    exp = tl_experiment_from_json (json_parser_get_root (parser), "a", "/data", &error);
    g_assert_null (exp);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "audio"));
  }
}

/* The shared spoken digits, when present: one speaker's 500 recordings. */
static void
test_spoken_digits (void)
{
  const char *shared = g_getenv ("TL_SHARED_DATA");
  g_autofree char *folder = NULL;
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;

  if (shared == NULL)
    shared = "../shared/data";
  folder = g_build_filename (shared, "spoken-digits", "george", NULL);
  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("no spoken digits in TL_SHARED_DATA");
      return;
    }
  import = tl_import_run (folder, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (import->dataset->n, ==, 500);
  g_assert_cmpint (import->dataset->n_classes, ==, 10);
  g_assert_cmpint (import->report->audio->silent->len, ==, 0);
  g_assert_cmpfloat (import->report->audio->median_seconds, >, 0.2);
  g_assert_cmpfloat (import->report->audio->median_seconds, <, 1.0);
}

/* A clip as the previews show it: a 2 s tone at 16 kHz read at the default 8 kHz, cut to
 * 1 s, its energy in the mel band of the tone; a missing file is named in the error. */
static void
test_clip (void)
{
  g_autofree char *path = tmp_path ("clip-tone.wav");
  g_autofree char *missing = tmp_path ("no-such-clip.wav");
  g_autoptr (TlAudioClip) clip = NULL;
  g_autoptr (GError) error = NULL;
  TlAudioSettings s;
  int loudest = -1;
  double best = -G_MAXDOUBLE, peak = 0;

  write_tone (path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 2.0, 1000.0, 0.5);
  tl_audio_settings_init (&s);
  s.n_mfcc = 13;   /* still shown as the mel bands */
  clip = tl_audio_clip_read (path, &s, &error);
  g_assert_no_error (error);
  g_assert_cmpint (clip->info.rate, ==, 16000);
  g_assert_cmpfloat_with_epsilon (clip->info.seconds, 2.0, 1e-6);
  g_assert_cmpint (clip->rate, ==, 8000);
  g_assert_cmpuint (clip->n_samples, ==, 8000);
  g_assert_cmpint (clip->bands, ==, 40);
  g_assert_cmpint (clip->frames, ==, tl_audio_settings_frames (&s));
  for (gsize i = 0; i < clip->n_samples; i++)
    peak = MAX (peak, fabs (clip->samples[i]));
  g_assert_cmpfloat (peak, >, 0.45);
  g_assert_cmpfloat (peak, <, 0.55);
  for (int b = 0; b < clip->bands; b++)
    {
      double sum = 0;

      for (int t = 0; t < clip->frames; t++)
        sum += clip->mel[(gsize) b * clip->frames + t];
      if (sum > best)
        best = sum, loudest = b;
    }
  /* 1 kHz is 1000 mel on the HTK scale; 0..4 kHz (2146 mel) holds 40 bands: centre of band 18 */
  g_assert_cmpint (loudest, >=, 17);
  g_assert_cmpint (loudest, <=, 19);

  g_assert_null (tl_audio_clip_read (missing, &s, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "no-such-clip.wav"));
}

/* The recordings the import wizard shows first: one per class, from a folder, a grouped
 * folder (after /audio/grouped-folder) or a CSV; a table of numbers lists none. */
static void
test_examples (void)
{
  g_autofree char *dir = make_folder ();
  g_autofree char *speakers = g_build_filename (tmp_dir, "speakers", NULL);
  g_autofree char *csv = g_build_filename (dir, "examples.csv", NULL);
  g_autofree char *numbers = g_build_filename (dir, "numbers.csv", NULL);
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (GError) error = NULL;

  paths = tl_audio_examples (dir, 8, &labels, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 2);
  g_assert_true (g_str_has_suffix (paths->pdata[0], "tones/high/0.flac"));
  g_assert_true (g_str_has_suffix (paths->pdata[1], "tones/low/0.flac"));
  g_assert_cmpstr (labels->pdata[1], ==, "low");
  g_clear_pointer (&paths, g_ptr_array_unref);
  g_clear_pointer (&labels, g_ptr_array_unref);

  paths = tl_audio_examples (speakers, 8, &labels, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 3);
  g_assert_true (g_str_has_suffix (paths->pdata[0], "speakers/a/x/a0.wav"));
  g_assert_true (g_str_has_suffix (paths->pdata[2], "speakers/b/z/b0.wav"));
  g_assert_cmpstr (labels->pdata[2], ==, "z");
  g_clear_pointer (&paths, g_ptr_array_unref);
  g_clear_pointer (&labels, g_ptr_array_unref);
  paths = tl_audio_examples (speakers, 2, NULL, &error);
  g_assert_cmpuint (paths->len, ==, 2);
  g_clear_pointer (&paths, g_ptr_array_unref);

  g_assert_true (g_file_set_contents (csv, "Path,speaker,label\nhigh/1.wav,a,up\nhigh/2.wav,a,up\nlow/4.wav,b,down\n",
                                      -1, NULL));
  paths = tl_audio_examples (csv, 8, &labels, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 2);
  g_assert_true (g_str_has_suffix (paths->pdata[0], "tones/high/1.wav"));
  g_assert_true (g_file_test (paths->pdata[1], G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (labels->pdata[1], ==, "down");
  g_clear_pointer (&paths, g_ptr_array_unref);

  g_assert_true (g_file_set_contents (numbers, "path,label\n1.5,a\n2.5,b\n", -1, NULL));
  paths = tl_audio_examples (numbers, 8, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 0);
  g_clear_pointer (&paths, g_ptr_array_unref);

  g_assert_null (tl_audio_examples (csv + 1, 8, NULL, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("tl-audio-XXXXXX", NULL);
  g_test_add_func ("/audio/formats", test_formats);
  g_test_add_func ("/audio/resample", test_resample);
  g_test_add_func ("/audio/fit-length", test_fit_length);
  g_test_add_func ("/audio/malformed", test_malformed);
  g_test_add_func ("/audio/features", test_features);
  g_test_add_func ("/audio/import", test_import);
  g_test_add_func ("/audio/import-halves", test_import_halves);
  g_test_add_func ("/audio/csv", test_csv);
  g_test_add_func ("/audio/preprocess-json", test_preprocess_json);
  g_test_add_func ("/audio/augment", test_augment);
  g_test_add_func ("/audio/augment-speed", test_augment_speed);
  g_test_add_func ("/audio/grouped-folder", test_grouped_folder);
  g_test_add_func ("/audio/experiment", test_experiment);
  g_test_add_func ("/audio/spoken-digits", test_spoken_digits);
  g_test_add_func ("/audio/clip", test_clip);
  g_test_add_func ("/audio/examples", test_examples);
  rc = g_test_run ();
  if (g_getenv ("TL_KEEP_TMP") == NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);
      (void) !system (cmd);
    }
  return rc;
}
