#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-audio-features.h"
#include "tl-dataset.h"
#include "tl-rng.h"

G_BEGIN_DECLS

/* Seeded data augmentation for training on recordings: a change of speed
 * (tempo and pitch together, as a tape played faster or slower), a time
 * shift and white noise at a signal-to-noise ratio on the waveform, then SpecAugment
 * frequency and time masks on the features. Every draw comes from a
 * generator seeded by (seed, row, copy), so the result does not depend on
 * the number of threads. */
typedef struct {
  int    copies;       /* augmented copies of each recording; 0: none */
  double speed;        /* each copy played at a uniform factor in [1 - speed, 1 + speed]; 0: none */
  double max_shift;    /* seconds: each copy shifted by a uniform amount in [-max_shift, max_shift] */
  double snr_db;       /* white noise at this SNR over the clip's own power, dB; 0: none */
  int    freq_masks;   /* masks of 0 .. freq_width consecutive bands */
  int    freq_width;
  int    time_masks;   /* masks of 0 .. time_width consecutive frames */
  int    time_width;
} TlAudioAugment;

/* No copies; when turned on: no change of speed, shifts of up to 0.1 s,
 * noise at 20 dB, two masks of up to 4 bands and two of up to 10 frames. */
void       tl_audio_augment_init  (TlAudioAugment *a);
gboolean   tl_audio_augment_check (const TlAudioAugment *a, GError **error);

/* As a JSON object {"copies", "speed" (written only when set), "shift", "snr_db", "freq_masks", "freq_width", "time_masks",
 * "time_width"}; reading keeps the defaults of missing members and checks the result. */
JsonNode  *tl_audio_augment_to_json   (const TlAudioAugment *a);
gboolean   tl_audio_augment_from_json (TlAudioAugment *a, JsonNode *node, GError **error);

/* The waveform x[0..n) played at `factor` times its speed (linear
 * interpolation): a new array of floor (n / factor) samples in *out_n. */
float     *tl_audio_augment_resample (const float *x, gsize n, double factor, gsize *out_n);
/* A factor drawn for a->speed (1 when it is 0, without a draw), then the
 * waveform x[0..n) played at it: a new array, its length in *out_n. */
float     *tl_audio_augment_speed (const TlAudioAugment *a, const float *x, gsize n, gsize *out_n, TlRng *rng);
/* The waveform x[0..n) at `rate`, shifted (zeros fill) and with noise, in place. */
void       tl_audio_augment_wave  (const TlAudioAugment *a, int rate, float *x, gsize n, TlRng *rng);
/* Masks over one [bands, frames] sample, set to `fill`. */
void       tl_audio_augment_masks (const TlAudioAugment *a, float *x, int bands, int frames, float fill, TlRng *rng);

/* a->copies augmented copies of the rows rows[0..n) of an audio dataset,
 * re-read from their files (source_text) through the settings s, normalised
 * with mean and std (per band; NULL: as computed), masks filled with 0 after
 * normalisation. Copy c of row rows[k] is row k * copies + c, labelled as
 * the original, with the same source text. */
TlDataset *tl_audio_augment_rows  (const TlDataset *ds, const int *rows, int n, const TlAudioSettings *s,
                                   const TlAudioAugment *a, const double *mean, const double *std,
                                   guint64 seed, GError **error);

G_END_DECLS
