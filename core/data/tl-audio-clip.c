#define G_LOG_DOMAIN "tl-audio-clip"

#include "config.h"

#include "tl-audio-clip.h"

TlAudioClip *
tl_audio_clip_read (const char *path, const TlAudioSettings *settings, GError **error)
{
  g_autoptr (TlAudioClip) clip = g_new0 (TlAudioClip, 1);
  g_autoptr (TlAudioFeatures) features = NULL;
  g_autofree float *raw = NULL;
  TlAudioSettings s;
  gsize n_raw = 0;

  g_return_val_if_fail (path != NULL && settings != NULL, NULL);

  s = *settings;
  s.n_mfcc = 0;
  if (s.log_offset <= 0.0)
    s.log_offset = 1e-6;
  if ((features = tl_audio_features_new (&s, error)) == NULL)
    return NULL;
  if ((raw = tl_audio_file_read (path, s.rate, &n_raw, &clip->info, error)) == NULL)
    return NULL;
  clip->path = g_strdup (path);
  clip->rate = s.rate;
  clip->n_samples = (gsize) s.n_samples;
  clip->samples = g_new0 (float, clip->n_samples);
  tl_audio_settings_fit (&s, raw, n_raw, clip->samples);
  clip->bands = s.n_mels;
  clip->frames = tl_audio_features_frames_for (features, clip->n_samples);
  clip->mel = g_new0 (float, (gsize) clip->bands * MAX (clip->frames, 1));
  tl_audio_features_compute (features, clip->samples, clip->n_samples, clip->mel);
  if (s.norm == TL_AUDIO_NORM_UTTERANCE)
    tl_audio_normalize_utterance (clip->mel, clip->bands, clip->frames);
  return g_steal_pointer (&clip);
}

void
tl_audio_clip_free (TlAudioClip *clip)
{
  if (clip == NULL)
    return;
  g_free (clip->path);
  g_free (clip->samples);
  g_free (clip->mel);
  g_free (clip);
}
