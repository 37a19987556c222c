#define G_LOG_DOMAIN "tl-explain"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-explain-spectrogram.h"
#include "tl-explain.h"

void
tl_spectrogram_explain_options_init (TlSpectrogramExplainOptions *options)
{
  g_return_if_fail (options != NULL);
  *options = (TlSpectrogramExplainOptions) { .band_patch = 8, .frame_patch = 10, .steps = 32 };
}

gboolean
tl_explain_takes_spectrograms (const TlModel *model, const TlPreprocess *pre)
{
  return model != NULL && pre != NULL && pre->kind == TL_DATA_AUDIO && model->in_ndim == 3
         && model->in_shape[0] == 1 && model->in_shape[1] == tl_audio_settings_bands (&pre->audio);
}

float *
tl_spectrogram_mask_fill (const TlPreprocess *pre, const float *x, int bands, int frames)
{
  gsize n = (gsize) bands * frames;
  float *fill = g_new0 (float, MAX (n, 1));
  float lo = INFINITY;

  if (pre != NULL && pre->kind == TL_DATA_AUDIO && pre->audio.norm != TL_AUDIO_NORM_NONE)
    return fill;
  for (gsize i = 0; i < n; i++)
    if (isfinite (x[i]))
      lo = MIN (lo, x[i]);
  for (gsize i = 0; i < n; i++)
    fill[i] = isfinite (lo) ? lo : 0.0f;
  return fill;
}

TlSpectrogramExplanation *
tl_explain_spectrogram (TlModel *model, const float *x, int target, const TlSpectrogramExplainOptions *options,
                        GError **error)
{
  g_autoptr (TlSpectrogramExplanation) e = NULL;
  g_autoptr (TlTensor) occlusion = NULL;
  g_autofree float *probs = NULL;
  TlSpectrogramExplainOptions o;
  gsize n;

  g_return_val_if_fail (model != NULL && x != NULL, NULL);
  if (options != NULL)
    o = *options;
  else
    tl_spectrogram_explain_options_init (&o);
  if (model->in_ndim != 3 || model->in_shape[0] != 1)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   _("spectrogram explanations need an audio model reading [1, bands, frames]"));
      return NULL;
    }
  if (o.band_patch < 1 || o.frame_patch < 1 || o.band_stride < 0 || o.frame_stride < 0 || o.steps < 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("a spectrogram mask needs at least 1 band and 1 frame"));
      return NULL;
    }
  e = g_new0 (TlSpectrogramExplanation, 1);
  e->bands = model->in_shape[1];
  e->frames = model->in_shape[2];
  e->target = target;
  e->band_patch = MIN (o.band_patch, e->bands);
  e->frame_patch = MIN (o.frame_patch, e->frames);
  if (o.band_stride == 0)
    o.band_stride = MAX (e->band_patch / 2, 1);
  if (o.frame_stride == 0)
    o.frame_stride = MAX (e->frame_patch / 2, 1);
  n = (gsize) e->bands * e->frames;

  occlusion = tl_explain_occlusion_patches (model, x, o.fill, target, e->band_patch, e->frame_patch, o.band_stride,
                                            o.frame_stride, error);
  if (occlusion == NULL)
    return NULL;
  e->occlusion = g_memdup2 (occlusion->data, n * sizeof (float));
  probs = g_new (float, tl_model_n_outputs (model));
  tl_explain_predict (model, x, probs);
  e->probability = probs[target];
  if (o.steps > 0)
    {
      e->gradients = tl_explain_integrated_gradients (model, x, o.fill, target, o.steps, &e->difference, error);
      if (e->gradients == NULL)
        return NULL;
      for (gsize i = 0; i < n; i++)
        e->gradient_sum += e->gradients[i];
    }
  return g_steal_pointer (&e);
}

void
tl_spectrogram_explanation_free (TlSpectrogramExplanation *e)
{
  if (e == NULL)
    return;
  g_free (e->occlusion);
  g_free (e->gradients);
  g_free (e);
}

static int
by_occlusion (gconstpointer a, gconstpointer b)
{
  const TlSpectrogramTile *x = a, *y = b;

  if (x->occlusion != y->occlusion)
    return x->occlusion > y->occlusion ? -1 : 1;
  if (x->frame0 != y->frame0)
    return x->frame0 - y->frame0;
  return x->band0 - y->band0;
}

GArray *
tl_spectrogram_explanation_tiles (const TlSpectrogramExplanation *e)
{
  GArray *tiles = g_array_new (FALSE, FALSE, sizeof (TlSpectrogramTile));

  g_return_val_if_fail (e != NULL, tiles);
  for (int b = 0; b < e->bands; b += e->band_patch)
    for (int f = 0; f < e->frames; f += e->frame_patch)
      {
        TlSpectrogramTile t = { b, MIN (b + e->band_patch, e->bands), f, MIN (f + e->frame_patch, e->frames) };
        int cells = (t.band1 - t.band0) * (t.frame1 - t.frame0);

        for (int i = t.band0; i < t.band1; i++)
          for (int j = t.frame0; j < t.frame1; j++)
            {
              gsize at = (gsize) i * e->frames + j;
              t.occlusion += e->occlusion[at];
              if (e->gradients != NULL)
                t.gradients += e->gradients[at];
            }
        t.occlusion /= cells;
        g_array_append_val (tiles, t);
      }
  g_array_sort (tiles, by_occlusion);
  return tiles;
}
