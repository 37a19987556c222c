#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-audio-file.h"

G_BEGIN_DECLS

typedef enum {
  TL_MEL_HTK,      /* 2595 log10 (1 + f / 700): torchaudio's default */
  TL_MEL_SLANEY,   /* linear below 1 kHz, logarithmic above (librosa's default) */
} TlMelScale;

typedef enum {
  TL_AUDIO_NORM_NONE,
  TL_AUDIO_NORM_DATASET,    /* per mel band: the training clips' mean and deviation */
  TL_AUDIO_NORM_UTTERANCE,  /* per mel band, over each clip's own frames */
} TlAudioNorm;

/* How a recording becomes a [1, n_mels (or n_mfcc), frames] tensor. The
 * spectrogram follows torchaudio.transforms.MelSpectrogram: a periodic Hann
 * window of win_length samples centred in n_fft, frames every `hop`
 * samples, centred (the signal reflected by n_fft / 2 at both ends), the
 * power spectrum (|X|^power), triangular mel filters between fmin and fmax.
 * Then log (mel + log_offset), an optional DCT-II to MFCCs (orthonormal, as
 * torchaudio's MFCC with log_mels), and the normalisation. */
typedef struct {
  int          rate;          /* Hz, after resampling */
  int          n_samples;     /* clip length after cropping or padding */
  TlAudioAlign align;
  double       trim_db;       /* over 0: leading and trailing frames this far below the loudest dropped first */
  int          n_fft;
  int          win_length;    /* <= n_fft */
  int          hop;
  int          n_mels;
  double       fmin;
  double       fmax;          /* 0: rate / 2 */
  TlMelScale   mel_scale;
  gboolean     slaney_norm;   /* filters scaled to equal area (torchaudio norm="slaney") */
  double       power;         /* 2: power, 1: magnitude */
  gboolean     center;
  double       log_offset;    /* 0: no logarithm (the mel spectrogram itself) */
  int          n_mfcc;        /* 0: log-mel */
  TlAudioNorm  norm;
} TlAudioSettings;

/* 8 kHz, 1 s, n_fft 400, hop 80, 40 HTK mels over 0..4 kHz, power 2, centred,
 * log (mel + 1e-6), dataset normalisation. */
void     tl_audio_settings_init     (TlAudioSettings *s);
gboolean tl_audio_settings_check    (const TlAudioSettings *s, GError **error);
int      tl_audio_settings_frames   (const TlAudioSettings *s);
/* The clip the spectrogram is computed from: x[0..n) with its silent ends
 * trimmed when trim_db is set (10 ms frames), then cropped or padded to
 * n_samples at the alignment, into out[0..n_samples). */
void     tl_audio_settings_fit      (const TlAudioSettings *s, const float *x, gsize n, float *out);
/* n_mfcc when set, else n_mels */
int      tl_audio_settings_bands    (const TlAudioSettings *s);
/* Members of an object being built, and read back (missing members keep their defaults). */
void     tl_audio_settings_to_json_members   (const TlAudioSettings *s, JsonBuilder *b);
gboolean tl_audio_settings_from_json_object  (TlAudioSettings *s, JsonObject *o, GError **error);

const char *tl_mel_scale_to_string  (TlMelScale scale);
gboolean    tl_mel_scale_from_string (const char *text, TlMelScale *scale);
const char *tl_audio_norm_to_string (TlAudioNorm norm);
gboolean    tl_audio_norm_from_string (const char *text, TlAudioNorm *norm);

/* The triangular filters, [n_mels, n_fft / 2 + 1] row-major, as torchaudio's
 * melscale_fbanks (transposed). */
double  *tl_mel_filterbank          (int n_freqs, double fmin, double fmax, int n_mels, int rate,
                                     TlMelScale scale, gboolean slaney_norm);

/* The centre frequency of each mel band, hz[n_mels], where its filter peaks. */
void     tl_mel_band_centres        (const TlAudioSettings *s, double *hz);

/* An FFTW plan, window, filters and scratch for one settings; one per thread. */
typedef struct _TlAudioFeatures TlAudioFeatures;

TlAudioFeatures *tl_audio_features_new  (const TlAudioSettings *s, GError **error);
void             tl_audio_features_free (TlAudioFeatures *f);
/* x[0..n) (any length) to out[bands * frames] for frames = 1 + (n / hop) when
 * centred; the frame count is returned. Before normalisation other than per
 * utterance. */
int              tl_audio_features_frames_for (const TlAudioFeatures *f, gsize n);
int              tl_audio_features_compute    (TlAudioFeatures *f, const float *x, gsize n, float *out);

/* Per-utterance normalisation of one [bands, frames] sample in place. */
void     tl_audio_normalize_utterance (float *x, int bands, int frames);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlAudioFeatures, tl_audio_features_free)

G_END_DECLS
