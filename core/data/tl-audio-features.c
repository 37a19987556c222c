#define G_LOG_DOMAIN "tl-audio-features"

#include "config.h"

#include <fftw3.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tl-audio-features.h"
#include "tl-error.h"

/* FFTW's planner is not thread-safe; executing a plan on its own buffers is. */
G_LOCK_DEFINE_STATIC (fftw_planner);

/* The most values one sample's features may take. */
#define TL_AUDIO_MAX_FEATURES (1 << 24)

void
tl_audio_settings_init (TlAudioSettings *s)
{
  g_return_if_fail (s != NULL);

  memset (s, 0, sizeof *s);
  s->rate = 8000;
  s->n_samples = 8000;
  s->align = TL_AUDIO_ALIGN_START;
  s->trim_db = 0.0;
  s->n_fft = 400;
  s->win_length = 400;
  s->hop = 80;
  s->n_mels = 40;
  s->fmin = 0.0;
  s->fmax = 0.0;
  s->mel_scale = TL_MEL_HTK;
  s->slaney_norm = FALSE;
  s->power = 2.0;
  s->center = TRUE;
  s->log_offset = 1e-6;
  s->n_mfcc = 0;
  s->norm = TL_AUDIO_NORM_DATASET;
}

static int
frames_for (const TlAudioSettings *s, gsize n)
{
  gint64 padded = (gint64) n + (s->center ? 2 * (s->n_fft / 2) : 0);

  if (padded < s->n_fft)
    return 0;
  return (int) (1 + (padded - s->n_fft) / s->hop);
}

int
tl_audio_settings_frames (const TlAudioSettings *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return frames_for (s, (gsize) s->n_samples);
}

void
tl_audio_settings_fit (const TlAudioSettings *s, const float *x, gsize n, float *out)
{
  gsize start = 0, len = n;

  g_return_if_fail (s != NULL && (x != NULL || n == 0) && out != NULL);

  if (s->trim_db > 0.0)
    start = tl_audio_trim_silence (x, n, (gsize) MAX (1, s->rate / 100), s->trim_db, &len);
  tl_audio_fit_length (x + start, len, out, (gsize) s->n_samples, s->align);
}

int
tl_audio_settings_bands (const TlAudioSettings *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->n_mfcc > 0 ? s->n_mfcc : s->n_mels;
}

static gboolean
bad (GError **error, const char *what)
{
  g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("audio features: %s"), what);
  return FALSE;
}

gboolean
tl_audio_settings_check (const TlAudioSettings *s, GError **error)
{
  double nyquist;

  g_return_val_if_fail (s != NULL, FALSE);

  if (s->rate < TL_AUDIO_MIN_RATE || s->rate > TL_AUDIO_MAX_RATE)
    return bad (error, _("the sample rate is out of range (1000 to 384000 Hz)"));
  nyquist = s->rate / 2.0;
  if (s->n_fft < 8 || s->n_fft > 65536)
    return bad (error, _("the FFT size is out of range (8 to 65536)"));
  if (s->win_length < 1 || s->win_length > s->n_fft)
    return bad (error, _("the window must be 1 to n_fft samples long"));
  if (s->hop < 1 || s->hop > 65536)
    return bad (error, _("the hop is out of range (1 to 65536 samples)"));
  if (s->n_mels < 1 || s->n_mels > 1024)
    return bad (error, _("the number of mel bands is out of range (1 to 1024)"));
  if (s->n_mfcc < 0 || s->n_mfcc > s->n_mels)
    return bad (error, _("the number of MFCCs must be 0 to the number of mel bands"));
  if (!(s->fmin >= 0.0) || !(s->fmax >= 0.0) || s->fmax > nyquist
      || !(s->fmin < (s->fmax > 0.0 ? s->fmax : nyquist)))
    return bad (error, _("the mel range must satisfy 0 <= fmin < fmax <= rate / 2"));
  if (!(s->power > 0.0 && s->power <= 4.0))
    return bad (error, _("the power must be over 0 and at most 4"));
  if (!(s->log_offset >= 0.0 && s->log_offset < 1.0))
    return bad (error, _("the log offset must be 0 to 1"));
  if (!(s->trim_db >= 0.0 && s->trim_db <= 120.0))
    return bad (error, _("the silence trim must be 0 (none) to 120 dB"));
  if ((guint) s->align > TL_AUDIO_ALIGN_CENTER || (guint) s->mel_scale > TL_MEL_SLANEY
      || (guint) s->norm > TL_AUDIO_NORM_UTTERANCE)
    return bad (error, _("an unknown alignment, mel scale or normalisation"));
  if (s->n_samples < 1 || (double) s->n_samples > 600.0 * s->rate)
    return bad (error, _("the clip length is out of range (1 sample to 10 minutes)"));
  if (s->center && s->n_samples <= s->n_fft / 2)
    return bad (error, _("the clip must be longer than half the FFT size"));
  if (frames_for (s, (gsize) s->n_samples) < 1)
    return bad (error, _("the clip is shorter than one FFT window"));
  if ((gint64) frames_for (s, (gsize) s->n_samples) * tl_audio_settings_bands (s) > TL_AUDIO_MAX_FEATURES)
    return bad (error, _("the spectrogram would be too large; use a longer hop or fewer bands"));
  return TRUE;
}

static const char *const scale_names[] = { "htk", "slaney" };
static const char *const norm_names[] = { "none", "dataset", "utterance" };
static const char *const align_names[] = { "start", "center" };

const char *
tl_mel_scale_to_string (TlMelScale scale)
{
  return scale_names[scale == TL_MEL_SLANEY];
}

gboolean
tl_mel_scale_from_string (const char *text, TlMelScale *scale)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (scale_names); i++)
    if (g_ascii_strcasecmp (text, scale_names[i]) == 0)
      {
        *scale = (TlMelScale) i;
        return TRUE;
      }
  return FALSE;
}

const char *
tl_audio_norm_to_string (TlAudioNorm norm)
{
  return (guint) norm < G_N_ELEMENTS (norm_names) ? norm_names[norm] : "none";
}

gboolean
tl_audio_norm_from_string (const char *text, TlAudioNorm *norm)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (norm_names); i++)
    if (g_ascii_strcasecmp (text, norm_names[i]) == 0)
      {
        *norm = (TlAudioNorm) i;
        return TRUE;
      }
  return FALSE;
}

static void
add_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
add_double (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, v);
}

static void
add_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, v);
}

void
tl_audio_settings_to_json_members (const TlAudioSettings *s, JsonBuilder *b)
{
  g_return_if_fail (s != NULL && b != NULL);

  add_int (b, "rate", s->rate);
  add_int (b, "samples", s->n_samples);
  add_string (b, "align", align_names[s->align == TL_AUDIO_ALIGN_CENTER]);
  /* only when set, so that settings without it keep their text (and reuse hashes) */
  if (s->trim_db > 0.0)
    add_double (b, "trim_db", s->trim_db);
  add_int (b, "n_fft", s->n_fft);
  add_int (b, "win_length", s->win_length);
  add_int (b, "hop", s->hop);
  add_int (b, "n_mels", s->n_mels);
  add_double (b, "fmin", s->fmin);
  add_double (b, "fmax", s->fmax);
  add_string (b, "mel_scale", tl_mel_scale_to_string (s->mel_scale));
  add_string (b, "mel_norm", s->slaney_norm ? "slaney" : "none");
  add_double (b, "power", s->power);
  json_builder_set_member_name (b, "center");
  json_builder_add_boolean_value (b, s->center);
  add_double (b, "log_offset", s->log_offset);
  add_int (b, "n_mfcc", s->n_mfcc);
  add_string (b, "norm", tl_audio_norm_to_string (s->norm));
}

static gboolean
get_int (JsonObject *o, const char *name, int *value, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);
  gint64 v;

  if (node == NULL)
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_autofree char *what = g_strdup_printf (_("'%s' is not an integer"), name);
      return bad (error, what);
    }
  v = json_node_get_int (node);
  if (v < G_MININT32 || v > G_MAXINT32)
    {
      g_autofree char *what = g_strdup_printf (_("'%s' is out of range"), name);
      return bad (error, what);
    }
  *value = (int) v;
  return TRUE;
}

static gboolean
get_double (JsonObject *o, const char *name, double *value, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);
  GType t;

  if (node == NULL)
    return TRUE;
  t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    {
      g_autofree char *what = g_strdup_printf (_("'%s' is not a number"), name);
      return bad (error, what);
    }
  *value = json_node_get_double (node);
  return TRUE;
}

static gboolean
get_choice (JsonObject *o, const char *name, const char *const *names, guint n, int *value, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);
  const char *text;

  if (node == NULL)
    return TRUE;
  text = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
           ? json_node_get_string (node) : NULL;
  for (guint i = 0; text != NULL && i < n; i++)
    if (g_ascii_strcasecmp (text, names[i]) == 0)
      {
        *value = (int) i;
        return TRUE;
      }
  {
    g_autofree char *what = g_strdup_printf (_("'%s' has an unknown value"), name);
    return bad (error, what);
  }
}

gboolean
tl_audio_settings_from_json_object (TlAudioSettings *s, JsonObject *o, GError **error)
{
  static const char *const mel_norm_names[] = { "none", "slaney" };
  int align = s->align, scale = s->mel_scale, mel_norm = s->slaney_norm ? 1 : 0, norm = s->norm;
  JsonNode *center;

  g_return_val_if_fail (s != NULL && o != NULL, FALSE);

  if (!get_int (o, "rate", &s->rate, error) || !get_int (o, "samples", &s->n_samples, error)
      || !get_int (o, "n_fft", &s->n_fft, error) || !get_int (o, "win_length", &s->win_length, error)
      || !get_int (o, "hop", &s->hop, error) || !get_int (o, "n_mels", &s->n_mels, error)
      || !get_int (o, "n_mfcc", &s->n_mfcc, error)
      || !get_double (o, "fmin", &s->fmin, error) || !get_double (o, "fmax", &s->fmax, error)
      || !get_double (o, "power", &s->power, error) || !get_double (o, "log_offset", &s->log_offset, error)
      || !get_double (o, "trim_db", &s->trim_db, error)
      || !get_choice (o, "align", align_names, G_N_ELEMENTS (align_names), &align, error)
      || !get_choice (o, "mel_scale", scale_names, G_N_ELEMENTS (scale_names), &scale, error)
      || !get_choice (o, "mel_norm", mel_norm_names, G_N_ELEMENTS (mel_norm_names), &mel_norm, error)
      || !get_choice (o, "norm", norm_names, G_N_ELEMENTS (norm_names), &norm, error))
    return FALSE;
  /* as torchaudio: the window spans the FFT unless told otherwise */
  if (!json_object_has_member (o, "win_length"))
    s->win_length = s->n_fft;
  center = json_object_get_member (o, "center");
  if (center != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (center) || json_node_get_value_type (center) != G_TYPE_BOOLEAN)
        return bad (error, _("'center' is not true or false"));
      s->center = json_node_get_boolean (center);
    }
  s->align = align;
  s->mel_scale = scale;
  s->slaney_norm = mel_norm == 1;
  s->norm = norm;
  return tl_audio_settings_check (s, error);
}

/* Mel scales, as torchaudio.functional's _hz_to_mel and _mel_to_hz */

static double
hz_to_mel (double f, TlMelScale scale)
{
  const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = log (6.4) / 27.0;

  if (scale == TL_MEL_HTK)
    return 2595.0 * log10 (1.0 + f / 700.0);
  if (f >= min_log_hz)
    return min_log_mel + log (f / min_log_hz) / logstep;
  return f / f_sp;
}

static double
mel_to_hz (double m, TlMelScale scale)
{
  const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = log (6.4) / 27.0;

  if (scale == TL_MEL_HTK)
    return 700.0 * (pow (10.0, m / 2595.0) - 1.0);
  if (m >= min_log_mel)
    return min_log_hz * exp (logstep * (m - min_log_mel));
  return f_sp * m;
}

void
tl_mel_band_centres (const TlAudioSettings *s, double *hz)
{
  double fmax, m_min, m_max;

  g_return_if_fail (s != NULL && hz != NULL);
  fmax = s->fmax > 0 ? s->fmax : s->rate / 2.0;
  m_min = hz_to_mel (s->fmin, s->mel_scale);
  m_max = hz_to_mel (fmax, s->mel_scale);
  for (int m = 0; m < s->n_mels; m++)
    hz[m] = mel_to_hz (m_min + (m_max - m_min) * (m + 1) / (s->n_mels + 1), s->mel_scale);
}

double *
tl_mel_filterbank (int n_freqs, double fmin, double fmax, int n_mels, int rate, TlMelScale scale,
                   gboolean slaney_norm)
{
  g_autofree double *f_pts = g_new (double, n_mels + 2);
  double *fb = g_new0 (double, (gsize) n_mels * n_freqs);
  double m_min = hz_to_mel (fmin, scale), m_max = hz_to_mel (fmax, scale);

  for (int i = 0; i < n_mels + 2; i++)
    f_pts[i] = mel_to_hz (m_min + (m_max - m_min) * i / (n_mels + 1), scale);
  for (int k = 0; k < n_freqs; k++)
    {
      /* torch.linspace (0, rate // 2, n_freqs) */
      double f = n_freqs > 1 ? (double) (rate / 2) * k / (n_freqs - 1) : 0.0;

      for (int m = 0; m < n_mels; m++)
        {
          double down = (f_pts[m + 1] - f_pts[m]) > 0 ? (f - f_pts[m]) / (f_pts[m + 1] - f_pts[m]) : 0.0;
          double up = (f_pts[m + 2] - f_pts[m + 1]) > 0 ? (f_pts[m + 2] - f) / (f_pts[m + 2] - f_pts[m + 1]) : 0.0;
          double w = MAX (0.0, MIN (down, up));

          if (slaney_norm)
            w *= 2.0 / (f_pts[m + 2] - f_pts[m]);
          fb[(gsize) m * n_freqs + k] = w;
        }
    }
  return fb;
}

/* Extraction */

struct _TlAudioFeatures {
  TlAudioSettings s;
  int       n_freqs;
  double   *window;    /* n_fft, zero outside the centred win_length */
  double   *fb;        /* [n_mels, n_freqs] */
  int      *fb_lo;     /* each filter's non-zero range [lo, hi) */
  int      *fb_hi;
  double   *dct;       /* [n_mfcc, n_mels], orthonormal DCT-II; NULL without MFCC */
  double   *frame;     /* fftw_malloc'd, n_fft */
  fftw_complex *spectrum;
  double   *power;     /* n_freqs */
  double   *mel;       /* n_mels */
  fftw_plan plan;
};

TlAudioFeatures *
tl_audio_features_new (const TlAudioSettings *s, GError **error)
{
  TlAudioFeatures *f;
  int left;

  g_return_val_if_fail (s != NULL, NULL);

  if (!tl_audio_settings_check (s, error))
    return NULL;
  f = g_new0 (TlAudioFeatures, 1);
  f->s = *s;
  if (f->s.fmax <= 0.0)
    f->s.fmax = s->rate / 2.0;
  f->n_freqs = s->n_fft / 2 + 1;
  f->window = g_new0 (double, s->n_fft);
  left = (s->n_fft - s->win_length) / 2;
  for (int i = 0; i < s->win_length; i++)
    f->window[left + i] = 0.5 - 0.5 * cos (2.0 * G_PI * i / s->win_length); /* periodic Hann */
  f->fb = tl_mel_filterbank (f->n_freqs, f->s.fmin, f->s.fmax, s->n_mels, s->rate, s->mel_scale, s->slaney_norm);
  f->fb_lo = g_new (int, s->n_mels);
  f->fb_hi = g_new (int, s->n_mels);
  for (int m = 0; m < s->n_mels; m++)
    {
      const double *row = f->fb + (gsize) m * f->n_freqs;
      int lo = 0, hi = f->n_freqs;

      while (lo < hi && row[lo] == 0.0)
        lo++;
      while (hi > lo && row[hi - 1] == 0.0)
        hi--;
      f->fb_lo[m] = lo;
      f->fb_hi[m] = hi;
    }
  if (s->n_mfcc > 0)
    {
      f->dct = g_new (double, (gsize) s->n_mfcc * s->n_mels);
      for (int k = 0; k < s->n_mfcc; k++)
        for (int n = 0; n < s->n_mels; n++)
          f->dct[(gsize) k * s->n_mels + n] = cos (G_PI / s->n_mels * (n + 0.5) * k)
                                              * (k == 0 ? sqrt (1.0 / s->n_mels) : sqrt (2.0 / s->n_mels));
    }
  f->frame = fftw_malloc (sizeof (double) * s->n_fft);
  f->spectrum = fftw_malloc (sizeof (fftw_complex) * f->n_freqs);
  f->power = g_new (double, f->n_freqs);
  f->mel = g_new (double, s->n_mels);
  G_LOCK (fftw_planner);
  f->plan = fftw_plan_dft_r2c_1d (s->n_fft, f->frame, f->spectrum, FFTW_ESTIMATE);
  G_UNLOCK (fftw_planner);
  return f;
}

void
tl_audio_features_free (TlAudioFeatures *f)
{
  if (f == NULL)
    return;
  G_LOCK (fftw_planner);
  fftw_destroy_plan (f->plan);
  G_UNLOCK (fftw_planner);
  fftw_free (f->frame);
  fftw_free (f->spectrum);
  g_free (f->window);
  g_free (f->fb);
  g_free (f->fb_lo);
  g_free (f->fb_hi);
  g_free (f->dct);
  g_free (f->power);
  g_free (f->mel);
  g_free (f);
}

int
tl_audio_features_frames_for (const TlAudioFeatures *f, gsize n)
{
  g_return_val_if_fail (f != NULL, 0);
  return frames_for (&f->s, n);
}

/* Sample i of the signal padded by reflection (torch's "reflect": the edge
 * sample is not repeated), folded again for signals shorter than the pad. */
static inline double
reflected (const float *x, gint64 n, gint64 i)
{
  if (n == 1)
    return x[0];
  while (i < 0 || i >= n)
    {
      if (i < 0)
        i = -i;
      if (i >= n)
        i = 2 * (n - 1) - i;
    }
  return x[i];
}

int
tl_audio_features_compute (TlAudioFeatures *f, const float *x, gsize n, float *out)
{
  const TlAudioSettings *s;
  int frames, bands, pad;

  g_return_val_if_fail (f != NULL, 0);
  g_return_val_if_fail (x != NULL || n == 0, 0);

  s = &f->s;
  frames = frames_for (s, n);
  bands = tl_audio_settings_bands (s);
  pad = s->center ? s->n_fft / 2 : 0;
  if (n == 0)
    return 0;
  for (int t = 0; t < frames; t++)
    {
      gint64 start = (gint64) t * s->hop - pad;

      if (start >= 0 && start + s->n_fft <= (gint64) n)
        for (int i = 0; i < s->n_fft; i++)
          f->frame[i] = x[start + i] * f->window[i];
      else
        for (int i = 0; i < s->n_fft; i++)
          f->frame[i] = reflected (x, (gint64) n, start + i) * f->window[i];
      fftw_execute (f->plan);
      for (int k = 0; k < f->n_freqs; k++)
        {
          double p = f->spectrum[k][0] * f->spectrum[k][0] + f->spectrum[k][1] * f->spectrum[k][1];

          f->power[k] = s->power == 2.0 ? p : pow (p, s->power / 2.0);
        }
      for (int m = 0; m < s->n_mels; m++)
        {
          const double *row = f->fb + (gsize) m * f->n_freqs;
          double sum = 0.0;

          for (int k = f->fb_lo[m]; k < f->fb_hi[m]; k++)
            sum += row[k] * f->power[k];
          f->mel[m] = s->log_offset > 0.0 ? log (sum + s->log_offset) : sum;
        }
      if (f->dct != NULL)
        for (int k = 0; k < bands; k++)
          {
            const double *row = f->dct + (gsize) k * s->n_mels;
            double sum = 0.0;

            for (int m = 0; m < s->n_mels; m++)
              sum += row[m] * f->mel[m];
            out[(gsize) k * frames + t] = (float) sum;
          }
      else
        for (int m = 0; m < bands; m++)
          out[(gsize) m * frames + t] = (float) f->mel[m];
    }
  if (s->norm == TL_AUDIO_NORM_UTTERANCE)
    tl_audio_normalize_utterance (out, bands, frames);
  return frames;
}

void
tl_audio_normalize_utterance (float *x, int bands, int frames)
{
  g_return_if_fail (x != NULL || bands * frames == 0);

  for (int b = 0; b < bands; b++)
    {
      float *row = x + (gsize) b * frames;
      double sum = 0.0, sum2 = 0.0, mean, std;

      for (int t = 0; t < frames; t++)
        sum += row[t];
      mean = frames > 0 ? sum / frames : 0.0;
      for (int t = 0; t < frames; t++)
        sum2 += (row[t] - mean) * (row[t] - mean);
      std = frames > 0 ? sqrt (sum2 / frames) : 1.0;
      if (!(std > 1e-5))
        std = 1.0;
      for (int t = 0; t < frames; t++)
        row[t] = (float) ((row[t] - mean) / std);
    }
}
