#define G_LOG_DOMAIN "tl-audio-explanation"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-audio-explanation.h"
#include "tl-chart-spectrogram-heat.h"
#include "tl-explain-spectrogram.h"
#include "tl-explain.h"
#include "tl-explanation-panel.h"

struct _TlAudioExplanation
{
  TlExplanationPanel        parent_instance;

  float                    *x;            /* the sample explained */
  double                   *band_hz;      /* centre of each mel band, or NULL */
  double                    seconds_per_frame;
  char                    **class_names;
  guint                     n_draws;

  GtkWidget                *area;
};

G_DEFINE_FINAL_TYPE (TlAudioExplanation, tl_audio_explanation, TL_TYPE_EXPLANATION_PANEL)

typedef struct {
  TlModel *model;
  float   *x;
  float   *fill;
} Job;

static const TlSpectrogramExplanation *
result_of (TlAudioExplanation *self)
{
  return tl_explanation_panel_get_result (TL_EXPLANATION_PANEL (self));
}

static void
job_free (Job *job)
{
  tl_model_free (job->model);
  g_free (job->x);
  g_free (job->fill);
  g_free (job);
}

static void
draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  TlAudioExplanation *self = data;
  TlSpectrogramHeatChart chart = { 0 };
  g_autofree char *caption = NULL;

  chart.title = _("What the prediction hears");
  chart.style.dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  chart.style.transparent = TRUE;
  chart.heat_label = _("Drop in probability");
  if (result_of (self) != NULL)
    {
      const TlSpectrogramExplanation *e = result_of (self);

      caption = g_strdup_printf (_("%s: %.0f%%"), self->class_names[e->target], 100.0 * e->probability);
      chart.caption = caption;
      chart.values = self->x;
      chart.heat = e->occlusion;
      chart.bands = e->bands;
      chart.frames = e->frames;
      chart.seconds_per_frame = self->seconds_per_frame;
      chart.band_hz = self->band_hz;
      self->n_draws++;
    }
  tl_spectrogram_heat_chart_draw (&chart, cr, width, height);
}

static gpointer
explain (gpointer data, GError **error)
{
  Job *job = data;
  g_autofree float *probs = g_new (float, tl_model_n_outputs (job->model));
  TlSpectrogramExplainOptions o;
  int target = tl_explain_predict (job->model, job->x, probs);

  tl_spectrogram_explain_options_init (&o);
  o.steps = 0;
  o.fill = job->fill;
  return tl_explain_spectrogram (job->model, job->x, target, &o, error);
}

static void
explained (TlExplanationPanel *panel, gpointer result)
{
  TlAudioExplanation *self = TL_AUDIO_EXPLANATION (panel);

  tl_explanation_panel_set_status (panel, _("Red regions raise the predicted class's probability: hiding them lowers it."),
                                   FALSE);
  gtk_widget_queue_draw (self->area);
}

static void
clear (TlAudioExplanation *self)
{
  tl_explanation_panel_reset (TL_EXPLANATION_PANEL (self));
  g_clear_pointer (&self->x, g_free);
  g_clear_pointer (&self->band_hz, g_free);
  g_clear_pointer (&self->class_names, g_strfreev);
  self->n_draws = 0;
}

void
tl_audio_explanation_set_sample (TlAudioExplanation *self, const TlModel *model, const TlPreprocess *pre,
                                 const float *x, const char *const *class_names)
{
  TlExplanationPanel *panel = TL_EXPLANATION_PANEL (self);
  Job *job;
  int bands, frames;

  g_return_if_fail (TL_IS_AUDIO_EXPLANATION (self));

  clear (self);
  gtk_widget_queue_draw (self->area);
  if (model == NULL || x == NULL || class_names == NULL)
    {
      tl_explanation_panel_set_status (panel, NULL, FALSE);
      return;
    }
  if (!tl_explain_takes_spectrograms (model, pre))
    {
      tl_explanation_panel_fail (panel, _("This model does not read the recordings' spectrograms."));
      return;
    }
  bands = model->in_shape[1];
  frames = model->in_shape[2];
  self->x = g_memdup2 (x, sizeof (float) * (gsize) bands * frames);
  self->class_names = g_strdupv ((char **) class_names);
  self->seconds_per_frame = (double) pre->audio.hop / pre->audio.rate;
  if (pre->audio.n_mfcc == 0)
    {
      self->band_hz = g_new (double, bands);
      tl_mel_band_centres (&pre->audio, self->band_hz);
    }
  job = g_new0 (Job, 1);
  job->model = tl_model_copy (model);
  job->x = g_memdup2 (x, sizeof (float) * (gsize) bands * frames);
  job->fill = tl_spectrogram_mask_fill (pre, x, bands, frames);
  tl_explanation_panel_start (panel, job, (GDestroyNotify) job_free,
                              _("Finding which sounds the prediction depends on…"));
}

int
tl_audio_explanation_get_class (TlAudioExplanation *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_EXPLANATION (self), -1);
  return result_of (self) != NULL ? result_of (self)->target : -1;
}

guint
tl_audio_explanation_get_n_draws (TlAudioExplanation *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_EXPLANATION (self), 0);
  return self->n_draws;
}

void
tl_audio_explanation_get_peak (TlAudioExplanation *self, int *band, int *frame)
{
  const TlSpectrogramExplanation *e;
  gsize best = 0;

  g_return_if_fail (TL_IS_AUDIO_EXPLANATION (self));
  *band = *frame = -1;
  if ((e = result_of (self)) == NULL)
    return;
  for (gsize i = 1; i < (gsize) e->bands * e->frames; i++)
    if (e->occlusion[i] > e->occlusion[best])
      best = i;
  *band = (int) (best / e->frames);
  *frame = (int) (best % e->frames);
}

static void
tl_audio_explanation_dispose (GObject *object)
{
  clear (TL_AUDIO_EXPLANATION (object));
  G_OBJECT_CLASS (tl_audio_explanation_parent_class)->dispose (object);
}

static void
tl_audio_explanation_class_init (TlAudioExplanationClass *klass)
{
  TlExplanationPanelClass *panel_class = TL_EXPLANATION_PANEL_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_audio_explanation_dispose;
  panel_class->explain = explain;
  panel_class->free_result = (GDestroyNotify) tl_spectrogram_explanation_free;
  panel_class->explained = explained;
}

static void
tl_audio_explanation_init (TlAudioExplanation *self)
{
  self->area = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (self->area), 190);
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (self->area), 260);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->area), draw, self, NULL);
  gtk_widget_set_hexpand (self->area, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Spectrogram with the regions the prediction depends on"), -1);
  tl_explanation_panel_add (TL_EXPLANATION_PANEL (self), self->area);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (gtk_widget_queue_draw),
                           self->area, G_CONNECT_SWAPPED);
}

GtkWidget *
tl_audio_explanation_new (void)
{
  return g_object_new (TL_TYPE_AUDIO_EXPLANATION, NULL);
}
