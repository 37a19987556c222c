#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Limits checked against what a file's header claims, before any sample
 * memory is allocated. */
#define TL_AUDIO_MAX_SECONDS 3600.0
#define TL_AUDIO_MAX_BYTES ((guint64) 2 << 30)
#define TL_AUDIO_MAX_CHANNELS 64
#define TL_AUDIO_MIN_RATE 1000
#define TL_AUDIO_MAX_RATE 384000

/* Loudness figures used by the import report. */
typedef struct {
  float  peak;            /* largest |sample| */
  float  rms;
  double clipped_fraction; /* samples at or beyond 0.999 of full scale */
} TlAudioLevels;

/* What a file says about itself (levels: filled by tl_audio_file_read, from
 * the mono samples before resampling). */
typedef struct {
  int     rate;        /* samples per second, as stored */
  int     channels;
  gint64  frames;      /* samples per channel, as stored */
  double  seconds;
  char    format[16];  /* "wav", "flac", "ogg", ... */
  TlAudioLevels levels;
} TlAudioInfo;

/* Where a clip longer than the length asked for is cut, and a shorter one padded. */
typedef enum {
  TL_AUDIO_ALIGN_START,   /* keep the start; pad with silence at the end */
  TL_AUDIO_ALIGN_CENTER,  /* keep the middle; pad both ends alike */
} TlAudioAlign;

gboolean tl_is_audio_file_name (const char *name);

/* Opens the file and checks its header against the limits above. */
gboolean tl_audio_file_info    (const char *path, TlAudioInfo *info, GError **error);

/* Reads a WAV, FLAC or OGG file (anything libsndfile reads) as one channel
 * (the mean of the channels), resampled to `rate` (0: as stored) with
 * libsamplerate, in [-1, 1]. Errors name the file: not audio, truncated,
 * zero length, header claims over the limits, unsupported rate. The samples
 * (g_free) and their count; info (may be NULL) describes the file as stored. */
float   *tl_audio_file_read    (const char *path, int rate, gsize *n_samples, TlAudioInfo *info,
                                GError **error);

/* Resamples in[0..n_in) from rate `from` to rate `to` (libsamplerate, sinc
 * medium quality); returns the samples and their count. */
float   *tl_audio_resample     (const float *in, gsize n_in, int from, int to, gsize *n_out,
                                GError **error);

/* Copies in[0..n_in) into out[0..n_out), cropping or padding with zeros. */
void     tl_audio_fit_length   (const float *in, gsize n_in, float *out, gsize n_out, TlAudioAlign align);

/* The span of x[0..n) from the first to the last frame (consecutive frames of
 * `frame` samples, the last one possibly shorter) whose mean power is at most
 * top_db below the loudest frame's: its first sample is returned and its
 * length stored in *len. A silent clip is kept whole. */
gsize    tl_audio_trim_silence (const float *x, gsize n, gsize frame, double top_db, gsize *len);

void     tl_audio_levels       (const float *x, gsize n, TlAudioLevels *levels);
gboolean tl_audio_levels_silent  (const TlAudioLevels *levels);
gboolean tl_audio_levels_clipped (const TlAudioLevels *levels);

G_END_DECLS
