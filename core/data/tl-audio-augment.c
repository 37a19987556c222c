#define G_LOG_DOMAIN "tl-audio-augment"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tl-audio-augment.h"
#include "tl-error.h"
#include "tl-parallel.h"

void
tl_audio_augment_init (TlAudioAugment *a)
{
  g_return_if_fail (a != NULL);

  a->copies = 0;
  a->speed = 0.0;
  a->max_shift = 0.1;
  a->snr_db = 20.0;
  a->freq_masks = 2;
  a->freq_width = 4;
  a->time_masks = 2;
  a->time_width = 10;
}

gboolean
tl_audio_augment_check (const TlAudioAugment *a, GError **error)
{
  g_return_val_if_fail (a != NULL, FALSE);

  if (a->copies < 0 || a->copies > 100 || !(a->speed >= 0.0 && a->speed <= 0.5)
      || !(a->max_shift >= 0.0 && a->max_shift <= 10.0)
      || !(a->snr_db >= 0.0 && a->snr_db <= 120.0) || a->freq_masks < 0 || a->freq_masks > 16
      || a->freq_width < 0 || a->time_masks < 0 || a->time_masks > 64 || a->time_width < 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("audio augmentation: 0 to 100 copies, a speed change of 0 to 0.5, shifts of 0 to 10 s, an SNR of 0 to 120 dB, "
                     "at most 16 frequency and 64 time masks"));
      return FALSE;
    }
  return TRUE;
}

JsonNode *
tl_audio_augment_to_json (const TlAudioAugment *a)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (a != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "copies");
  json_builder_add_int_value (b, a->copies);
  if (a->speed > 0.0)
    {
      json_builder_set_member_name (b, "speed");
      json_builder_add_double_value (b, a->speed);
    }
  json_builder_set_member_name (b, "shift");
  json_builder_add_double_value (b, a->max_shift);
  json_builder_set_member_name (b, "snr_db");
  json_builder_add_double_value (b, a->snr_db);
  json_builder_set_member_name (b, "freq_masks");
  json_builder_add_int_value (b, a->freq_masks);
  json_builder_set_member_name (b, "freq_width");
  json_builder_add_int_value (b, a->freq_width);
  json_builder_set_member_name (b, "time_masks");
  json_builder_add_int_value (b, a->time_masks);
  json_builder_set_member_name (b, "time_width");
  json_builder_add_int_value (b, a->time_width);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
member_number (JsonObject *o, const char *name, double *value)
{
  JsonNode *node = json_object_get_member (o, name);
  GType t;

  if (node == NULL)
    return TRUE;
  t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return FALSE;
  *value = json_node_get_double (node);
  return TRUE;
}

gboolean
tl_audio_augment_from_json (TlAudioAugment *a, JsonNode *node, GError **error)
{
  double copies = a->copies, fm = a->freq_masks, fw = a->freq_width, tm = a->time_masks, tw = a->time_width;
  JsonObject *o;

  g_return_val_if_fail (a != NULL && node != NULL, FALSE);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("audio augmentation: not an object"));
      return FALSE;
    }
  o = json_node_get_object (node);
  if (!member_number (o, "copies", &copies) || !member_number (o, "speed", &a->speed)
      || !member_number (o, "shift", &a->max_shift)
      || !member_number (o, "snr_db", &a->snr_db) || !member_number (o, "freq_masks", &fm)
      || !member_number (o, "freq_width", &fw) || !member_number (o, "time_masks", &tm)
      || !member_number (o, "time_width", &tw) || copies != floor (copies) || fm != floor (fm)
      || fw != floor (fw) || tm != floor (tm) || tw != floor (tw) || fw > 4096 || tw > 65536 || copies > 100
      || fm > 16 || tm > 64)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("audio augmentation: a member is not a usable number"));
      return FALSE;
    }
  a->copies = (int) copies;
  a->freq_masks = (int) fm;
  a->freq_width = (int) fw;
  a->time_masks = (int) tm;
  a->time_width = (int) tw;
  return tl_audio_augment_check (a, error);
}

float *
tl_audio_augment_resample (const float *x, gsize n, double factor, gsize *out_n)
{
  gsize m;
  float *y;

  g_return_val_if_fail ((x != NULL || n == 0) && out_n != NULL && factor > 0.0, NULL);

  m = (gsize) floor ((double) n / factor);
  y = g_new (float, MAX (m, 1));
  for (gsize i = 0; i < m; i++)
    {
      double t = (double) i * factor;
      gsize j = (gsize) t;
      double w = t - (double) j;

      y[i] = j + 1 < n ? (float) ((1.0 - w) * x[j] + w * x[j + 1]) : x[MIN (j, n - 1)];
    }
  *out_n = m;
  return y;
}

float *
tl_audio_augment_speed (const TlAudioAugment *a, const float *x, gsize n, gsize *out_n, TlRng *rng)
{
  double factor = 1.0;

  g_return_val_if_fail (a != NULL && rng != NULL && out_n != NULL, NULL);

  if (a->speed > 0.0)
    factor = 1.0 - a->speed + 2.0 * a->speed * tl_rng_uniform (rng);
  return tl_audio_augment_resample (x, n, factor, out_n);
}

void
tl_audio_augment_wave (const TlAudioAugment *a, int rate, float *x, gsize n, TlRng *rng)
{
  g_return_if_fail (a != NULL && rng != NULL && (x != NULL || n == 0));

  if (a->max_shift > 0.0 && n > 0)
    {
      gint64 max = (gint64) (a->max_shift * rate);
      gint64 shift = max > 0 ? (gint64) tl_rng_below (rng, (guint32) MIN (2 * max + 1, G_MAXUINT32)) - max : 0;

      if (shift > 0)
        {
          gsize k = MIN ((gsize) shift, n);

          memmove (x + k, x, sizeof (float) * (n - k));
          memset (x, 0, sizeof (float) * k);
        }
      else if (shift < 0)
        {
          gsize k = MIN ((gsize) -shift, n);

          memmove (x, x + k, sizeof (float) * (n - k));
          memset (x + n - k, 0, sizeof (float) * k);
        }
    }
  if (a->snr_db > 0.0 && n > 0)
    {
      double power = 0.0, sigma;

      for (gsize i = 0; i < n; i++)
        power += (double) x[i] * x[i];
      power /= n;
      sigma = sqrt (power / pow (10.0, a->snr_db / 10.0));
      for (gsize i = 0; i < n && sigma > 0.0; i++)
        x[i] = (float) CLAMP (x[i] + sigma * tl_rng_normal (rng), -1.0, 1.0);
    }
}

void
tl_audio_augment_masks (const TlAudioAugment *a, float *x, int bands, int frames, float fill, TlRng *rng)
{
  g_return_if_fail (a != NULL && rng != NULL && x != NULL);

  for (int m = 0; m < a->freq_masks && bands > 0; m++)
    {
      int width = (int) tl_rng_below (rng, (guint32) MIN (a->freq_width, bands) + 1);
      int start = (int) tl_rng_below (rng, (guint32) (bands - width + 1));

      for (int b = start; b < start + width; b++)
        for (int t = 0; t < frames; t++)
          x[(gsize) b * frames + t] = fill;
    }
  for (int m = 0; m < a->time_masks && frames > 0; m++)
    {
      int width = (int) tl_rng_below (rng, (guint32) MIN (a->time_width, frames) + 1);
      int start = (int) tl_rng_below (rng, (guint32) (frames - width + 1));

      for (int b = 0; b < bands; b++)
        for (int t = start; t < start + width; t++)
          x[(gsize) b * frames + t] = fill;
    }
}

typedef struct {
  const TlDataset *ds;
  const int *rows;
  const TlAudioSettings *s;
  const TlAudioAugment *a;
  const double *mean;
  const double *std;
  guint64 seed;
  TlDataset *out;
  GError **errors;
} AugmentJob;

static void
augment_chunk (gpointer data, gsize start, gsize end)
{
  AugmentJob *job = data;
  const TlAudioSettings *s = job->s;
  int bands = tl_audio_settings_bands (s), frames = tl_audio_settings_frames (s);
  g_autoptr (TlAudioFeatures) features = tl_audio_features_new (s, NULL);
  g_autofree float *clip = g_new (float, s->n_samples);

  for (gsize item = start; item < end; item++)
    {
      int k = (int) (item / job->a->copies), c = (int) (item % job->a->copies);
      int row = job->rows[k];
      float *out = job->out->x + item * job->out->sample_size;
      g_autofree float *x = NULL;
      gsize n = 0;
      TlRng rng;

      x = tl_audio_file_read (job->ds->source_text[row], s->rate, &n, NULL, &job->errors[item]);
      if (x == NULL || features == NULL)
        continue;
      tl_rng_init (&rng, job->seed ^ ((guint64) row * 0x9e3779b97f4a7c15ull) ^ ((guint64) (c + 1) << 40));
      if (job->a->speed > 0.0)
        {
          float *played = tl_audio_augment_speed (job->a, x, n, &n, &rng);

          g_free (x);
          x = played;
        }
      tl_audio_settings_fit (s, x, n, clip);
      tl_audio_augment_wave (job->a, s->rate, clip, s->n_samples, &rng);
      tl_audio_features_compute (features, clip, s->n_samples, out);
      if (job->mean != NULL && job->std != NULL)
        for (int b = 0; b < bands; b++)
          for (int t = 0; t < frames; t++)
            out[(gsize) b * frames + t] = (float) ((out[(gsize) b * frames + t] - job->mean[b]) / job->std[b]);
      tl_audio_augment_masks (job->a, out, bands, frames, 0.0f, &rng);
    }
}

TlDataset *
tl_audio_augment_rows (const TlDataset *ds, const int *rows, int n, const TlAudioSettings *s,
                       const TlAudioAugment *a, const double *mean, const double *std, guint64 seed,
                       GError **error)
{
  g_autoptr (TlDataset) out = NULL;
  GError **errors;
  gsize total;
  int failed = -1;

  g_return_val_if_fail (ds != NULL && ds->kind == TL_DATA_AUDIO && ds->source_text != NULL, NULL);
  g_return_val_if_fail (rows != NULL || n == 0, NULL);
  g_return_val_if_fail (s != NULL && a != NULL, NULL);

  if (!tl_audio_settings_check (s, error) || !tl_audio_augment_check (a, error))
    return NULL;
  if (ds->sample_ndim != 3 || ds->sample_shape[1] != tl_audio_settings_bands (s)
      || ds->sample_shape[2] != tl_audio_settings_frames (s))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("audio augmentation: the settings do not give the dataset's sample shape"));
      return NULL;
    }
  total = (gsize) n * a->copies;
  out = tl_dataset_new (TL_DATA_AUDIO, (int) total, 3, ds->sample_shape, ds->n_classes,
                        (const char *const *) ds->class_names);
  out->source_index = g_new (int, MAX (total, 1));
  out->source_text = g_new0 (char *, total + 1);
  for (gsize item = 0; item < total; item++)
    {
      int row = rows[item / a->copies];

      out->y[item] = ds->y[row];
      out->source_index[item] = ds->source_index != NULL ? ds->source_index[row] : row;
      out->source_text[item] = g_strdup (ds->source_text[row]);
    }
  errors = g_new0 (GError *, MAX (total, 1));
  {
    AugmentJob job = { ds, rows, s, a, mean, std, seed, out, errors };

    tl_parallel_for (total, 4, augment_chunk, &job);
  }
  for (gsize i = 0; i < total; i++)
    if (errors[i] != NULL && failed < 0)
      failed = (int) i;
  if (failed >= 0)
    {
      g_propagate_error (error, errors[failed]);
      errors[failed] = NULL;
    }
  for (gsize i = 0; i < total; i++)
    g_clear_error (&errors[i]);
  g_free (errors);
  return failed >= 0 ? NULL : g_steal_pointer (&out);
}
