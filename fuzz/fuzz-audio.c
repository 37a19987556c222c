#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include <math.h>

#include "fuzz-common.h"
#include "tl-audio-features.h"
#include "tl-audio-file.h"
#include "tl-error.h"

/* The audio reader on arbitrary bytes: libsndfile's header parsing behind
 * Transfer Lab's checks (truncation, size claims, rates), the mono mixdown,
 * resampling, and the features of whatever was read. */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Decoding is bounded by the reader's own limits (an hour, 2 GiB); a fuzzer
 * run is bounded tighter so that highly compressed inputs stay quick. */
#define FUZZ_MAX_FRAMES (4 << 20)

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *x = NULL;
  TlAudioInfo info;
  gsize n = 0;
  gboolean ok;

  tl_fuzz_init ();
  path = tl_fuzz_write ("input.wav", data, size);

  ok = tl_audio_file_info (path, &info, &error);
  tl_fuzz_check_error (ok, error);
  if (!ok || info.frames > FUZZ_MAX_FRAMES || info.frames * (gint64) info.channels > FUZZ_MAX_FRAMES)
    return 0;

  /* resampled to 8 kHz: the first byte picks the other way round (kept as stored) */
  x = tl_audio_file_read (path, size > 0 && (data[0] & 1) ? 0 : 8000, &n, &info, &error);
  tl_fuzz_check_error (x != NULL, error);
  if (x == NULL)
    return 0;
  for (gsize i = 0; i < n; i++)
    if (!isfinite (x[i]) || x[i] < -1.01f || x[i] > 1.01f)
      abort ();
  if (n > 64)
    {
      g_autoptr (TlAudioFeatures) features = NULL;
      g_autofree float *out = NULL;
      TlAudioSettings s;
      int frames;

      tl_audio_settings_init (&s);
      s.rate = 8000;
      s.n_fft = 64;
      s.win_length = 48;
      s.hop = 32;
      s.n_mels = 8;
      s.n_mfcc = 4;
      s.n_samples = (int) MIN (n, 1 << 16);
      s.norm = TL_AUDIO_NORM_UTTERANCE;
      features = tl_audio_features_new (&s, &error);
      if (features == NULL)
        abort ();
      frames = tl_audio_features_frames_for (features, s.n_samples);
      out = g_new (float, (gsize) frames * 4);
      if (tl_audio_features_compute (features, x, s.n_samples, out) != frames)
        abort ();
      for (int i = 0; i < frames * 4; i++)
        if (!isfinite (out[i]))
          abort ();
    }
  return 0;
}
