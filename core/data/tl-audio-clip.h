#pragma once

#include <glib.h>

#include "tl-audio-features.h"

G_BEGIN_DECLS

/* One recording as a person looks at it: the samples a model hears (resampled,
 * cropped or padded to the clip length) and their log-mel spectrogram. */
typedef struct {
  char        *path;
  TlAudioInfo  info;       /* the file as stored */
  int          rate;       /* of samples */
  float       *samples;    /* n_samples, in [-1, 1] */
  gsize        n_samples;
  float       *mel;        /* [bands, frames], band 0 the lowest, natural-log power */
  int          bands;
  int          frames;
} TlAudioClip;

/* Reads path with the settings' rate, clip length and spectrogram (before any
 * dataset normalisation; per-utterance normalisation applied when chosen).
 * MFCC settings are shown as the log-mel bands they are computed from. */
TlAudioClip *tl_audio_clip_read (const char *path, const TlAudioSettings *settings, GError **error);
void         tl_audio_clip_free (TlAudioClip *clip);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlAudioClip, tl_audio_clip_free)

G_END_DECLS
