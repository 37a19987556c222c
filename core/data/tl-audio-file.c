#define G_LOG_DOMAIN "tl-audio-file"

#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>

#include "tl-audio-file.h"
#include "tl-error.h"

/* sf_strerror (NULL) reports the last failed open of any thread. */
G_LOCK_DEFINE_STATIC (sf_open_lock);

gboolean
tl_is_audio_file_name (const char *name)
{
  static const char *const suffixes[] = { ".wav", ".wave", ".flac", ".ogg", ".oga", ".aif", ".aiff" };
  g_autofree char *lower = NULL;

  g_return_val_if_fail (name != NULL, FALSE);

  lower = g_ascii_strdown (name, -1);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (lower, suffixes[i]))
      return TRUE;
  return FALSE;
}

static const char *
format_name (int format)
{
  switch (format & SF_FORMAT_TYPEMASK)
    {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
    case SF_FORMAT_RF64:
      return "wav";
    case SF_FORMAT_FLAC:
      return "flac";
    case SF_FORMAT_OGG:
      return "ogg";
    case SF_FORMAT_AIFF:
      return "aiff";
    default:
      return "audio";
    }
}

/* libsndfile's log notes a data chunk whose size disagrees with the file:
 * "data : 4768 (should be 2956)". The claimed size, and the size present
 * (the claim when there is no note); FALSE when the log has no data line. */
static gboolean
data_chunk_claim (SNDFILE *f, guint64 *claimed, guint64 *present)
{
  char log[8192];
  const char *line;
  unsigned long long a = 0, b = 0;

  log[0] = 0;
  sf_command (f, SFC_GET_LOG_INFO, log, sizeof log);
  log[sizeof log - 1] = 0;
  for (line = log; line != NULL && *line != 0; line = strchr (line, '\n'), line = line ? line + 1 : NULL)
    {
      int n;

      if (strncmp (line, "data :", 6) != 0)
        continue;
      n = sscanf (line + 6, " %llu (should be %llu)", &a, &b);
      if (n < 1)
        return FALSE;
      *claimed = a;
      *present = n == 2 ? b : a;
      return TRUE;
    }
  return FALSE;
}

/* Opens `path` and checks what it claims; the handle to close, or NULL. */
static SNDFILE *
open_checked (const char *path, TlAudioInfo *info, GError **error)
{
  SF_INFO sfi = { 0 };
  GStatBuf st;
  SNDFILE *f;
  guint64 claimed, present;

  memset (info, 0, sizeof *info);
  if (g_stat (path, &st) != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", path, g_strerror (errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, _("%s: not a regular file"), path);
      return NULL;
    }
  if (st.st_size == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: the file is empty (zero length)"), path);
      return NULL;
    }
  if ((guint64) st.st_size > TL_AUDIO_MAX_BYTES)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE, _("%s: the file takes %llu MiB, over the limit of %llu MiB"),
                   path, (unsigned long long) (st.st_size >> 20), (unsigned long long) (TL_AUDIO_MAX_BYTES >> 20));
      return NULL;
    }

  G_LOCK (sf_open_lock);
  f = sf_open (path, SFM_READ, &sfi);
  if (f == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: not an audio file in a known format (%s)"), path,
                   sf_strerror (NULL));
      G_UNLOCK (sf_open_lock);
      return NULL;
    }
  G_UNLOCK (sf_open_lock);

  info->rate = sfi.samplerate;
  info->channels = sfi.channels;
  info->frames = sfi.frames;
  g_strlcpy (info->format, format_name (sfi.format), sizeof info->format);
  info->seconds = sfi.samplerate > 0 ? (double) sfi.frames / sfi.samplerate : 0.0;

  if (data_chunk_claim (f, &claimed, &present) && claimed > TL_AUDIO_MAX_BYTES)
    g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                 _("%s: the header claims %llu MiB of audio, over the limit of %llu MiB"), path,
                 (unsigned long long) (claimed >> 20), (unsigned long long) (TL_AUDIO_MAX_BYTES >> 20));
  else if (data_chunk_claim (f, &claimed, &present) && present < claimed)
    g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                 _("%s: truncated: the header claims %llu bytes of audio, the file holds %llu"), path,
                 (unsigned long long) claimed, (unsigned long long) present);
  else if (sfi.channels < 1 || sfi.channels > TL_AUDIO_MAX_CHANNELS)
    g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, _("%s: %d channels are not supported (1 to %d)"), path,
                 sfi.channels, TL_AUDIO_MAX_CHANNELS);
  else if (sfi.samplerate < TL_AUDIO_MIN_RATE || sfi.samplerate > TL_AUDIO_MAX_RATE)
    g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                 _("%s: a sample rate of %d Hz is not supported (%d to %d Hz)"), path, sfi.samplerate,
                 TL_AUDIO_MIN_RATE, TL_AUDIO_MAX_RATE);
  else if (sfi.frames <= 0)
    g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: the file holds no audio (zero length)"), path);
  else if (info->seconds > TL_AUDIO_MAX_SECONDS)
    g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                 _("%s: the header claims %.0f seconds of audio, over the limit of %.0f"), path, info->seconds,
                 TL_AUDIO_MAX_SECONDS);
  else if ((guint64) sfi.frames * sizeof (float) > TL_AUDIO_MAX_BYTES)
    g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                 _("%s: the header claims %lld samples, over the limit of %llu MiB of audio"), path,
                 (long long) sfi.frames, (unsigned long long) (TL_AUDIO_MAX_BYTES >> 20));
  else
    return f;
  sf_close (f);
  return NULL;
}

gboolean
tl_audio_file_info (const char *path, TlAudioInfo *info, GError **error)
{
  TlAudioInfo local;
  SNDFILE *f;

  g_return_val_if_fail (path != NULL, FALSE);

  f = open_checked (path, info != NULL ? info : &local, error);
  if (f == NULL)
    return FALSE;
  sf_close (f);
  return TRUE;
}

void
tl_audio_levels (const float *x, gsize n, TlAudioLevels *levels)
{
  double sum2 = 0.0;
  gsize clipped = 0;
  float peak = 0.0f;

  g_return_if_fail (levels != NULL);

  for (gsize i = 0; i < n; i++)
    {
      float a = fabsf (x[i]);

      peak = MAX (peak, a);
      sum2 += (double) x[i] * x[i];
      clipped += a >= 0.999f;
    }
  levels->peak = peak;
  levels->rms = n > 0 ? (float) sqrt (sum2 / n) : 0.0f;
  levels->clipped_fraction = n > 0 ? (double) clipped / n : 0.0;
}

gboolean
tl_audio_levels_silent (const TlAudioLevels *levels)
{
  /* below -60 dBFS at the peak: nothing but noise floor or digital silence */
  return levels->peak < 1e-3f;
}

gboolean
tl_audio_levels_clipped (const TlAudioLevels *levels)
{
  return levels->clipped_fraction > 1e-3;
}

float *
tl_audio_resample (const float *in, gsize n_in, int from, int to, gsize *n_out, GError **error)
{
  SRC_DATA data = { 0 };
  double ratio;
  gsize cap;
  float *out;
  int rc;

  g_return_val_if_fail (in != NULL || n_in == 0, NULL);
  g_return_val_if_fail (n_out != NULL, NULL);

  ratio = (double) to / from;
  if (from < TL_AUDIO_MIN_RATE || from > TL_AUDIO_MAX_RATE || to < TL_AUDIO_MIN_RATE || to > TL_AUDIO_MAX_RATE
      || !src_is_valid_ratio (ratio))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, _("resampling from %d Hz to %d Hz is not supported"),
                   from, to);
      return NULL;
    }
  if (from == to || n_in == 0)
    {
      *n_out = n_in;
      return g_memdup2 (in, sizeof (float) * MAX (n_in, 1));
    }
  cap = (gsize) ceil (n_in * ratio) + 16;
  out = g_new0 (float, cap);
  data.data_in = in;
  data.input_frames = (long) n_in;
  data.data_out = out;
  data.output_frames = (long) cap;
  data.src_ratio = ratio;
  rc = src_simple (&data, SRC_SINC_MEDIUM_QUALITY, 1);
  if (rc != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_FAILED, _("resampling from %d Hz to %d Hz: %s"), from, to,
                   src_strerror (rc));
      g_free (out);
      return NULL;
    }
  *n_out = (gsize) data.output_frames_gen;
  return out;
}

float *
tl_audio_file_read (const char *path, int rate, gsize *n_samples, TlAudioInfo *info, GError **error)
{
  TlAudioInfo local;
  g_autoptr (GArray) mono = NULL;
  g_autofree float *buf = NULL;
  const sf_count_t chunk = 4096;
  sf_count_t got;
  SNDFILE *f;
  float *out;
  int err;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (n_samples != NULL, NULL);

  if (info == NULL)
    info = &local;
  if (rate != 0 && (rate < TL_AUDIO_MIN_RATE || rate > TL_AUDIO_MAX_RATE))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("a sample rate of %d Hz is not supported (%d to %d Hz)"),
                   rate, TL_AUDIO_MIN_RATE, TL_AUDIO_MAX_RATE);
      return NULL;
    }
  f = open_checked (path, info, error);
  if (f == NULL)
    return NULL;

  mono = g_array_sized_new (FALSE, FALSE, sizeof (float), (guint) MIN (info->frames, 1 << 20));
  buf = g_new (float, (gsize) chunk * info->channels);
  while ((got = sf_readf_float (f, buf, chunk)) > 0)
    {
      for (sf_count_t i = 0; i < got; i++)
        {
          float sum = 0.0f;

          for (int c = 0; c < info->channels; c++)
            {
              float v = buf[i * info->channels + c];

              /* float files may hold anything: no NaN or infinity gets through */
              sum += isfinite (v) ? CLAMP (v, -1.0f, 1.0f) : 0.0f;
            }
          sum /= info->channels;
          g_array_append_val (mono, sum);
        }
      if ((gint64) mono->len > info->frames)
        break;
    }
  err = sf_error (f);
  sf_close (f);
  if ((gint64) mono->len < info->frames)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   _("%s: truncated: the header claims %lld samples, %u could be read"), path,
                   (long long) info->frames, mono->len);
      return NULL;
    }
  if (err != SF_ERR_NO_ERROR)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: %s", path, sf_error_number (err));
      return NULL;
    }
  g_array_set_size (mono, (guint) info->frames);
  tl_audio_levels ((const float *) (gpointer) mono->data, mono->len, &info->levels);
  if (rate == 0 || rate == info->rate)
    {
      *n_samples = mono->len;
      return (float *) g_array_free (g_steal_pointer (&mono), FALSE);
    }
  out = tl_audio_resample ((const float *) (gpointer) mono->data, mono->len, info->rate, rate, n_samples, error);
  if (out == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  /* the sinc filter rings past full scale next to clipped edges */
  for (gsize i = 0; i < *n_samples; i++)
    out[i] = CLAMP (out[i], -1.0f, 1.0f);
  return out;
}

void
tl_audio_fit_length (const float *in, gsize n_in, float *out, gsize n_out, TlAudioAlign align)
{
  gsize skip = 0, lead = 0, n;

  g_return_if_fail (in != NULL || n_in == 0);
  g_return_if_fail (out != NULL || n_out == 0);

  if (align == TL_AUDIO_ALIGN_CENTER)
    {
      if (n_in > n_out)
        skip = (n_in - n_out) / 2;
      else
        lead = (n_out - n_in) / 2;
    }
  n = MIN (n_in - skip, n_out - lead);
  memset (out, 0, sizeof (float) * n_out);
  if (n > 0)
    memcpy (out + lead, in + skip, sizeof (float) * n);
}

static double
frame_power (const float *x, gsize n, gsize start, gsize frame)
{
  gsize end = MIN (n, start + frame);
  double sum = 0.0;

  for (gsize i = start; i < end; i++)
    sum += (double) x[i] * x[i];
  return sum / (double) (end - start);
}

gsize
tl_audio_trim_silence (const float *x, gsize n, gsize frame, double top_db, gsize *len)
{
  double loudest = 0.0, floor;
  gsize first = n, last = 0;

  g_return_val_if_fail (x != NULL || n == 0, 0);
  g_return_val_if_fail (frame > 0 && len != NULL, 0);

  *len = n;
  for (gsize start = 0; start < n; start += frame)
    loudest = MAX (loudest, frame_power (x, n, start, frame));
  if (!(loudest > 0.0))
    return 0;
  floor = loudest * pow (10.0, -top_db / 10.0);
  for (gsize start = 0; start < n; start += frame)
    if (frame_power (x, n, start, frame) >= floor)
      {
        first = MIN (first, start);
        last = MIN (n, start + frame);
      }
  *len = last - first;
  return first;
}
