#define G_LOG_DOMAIN "tl-audio-explanation"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-audio-explanation.h"
#include "tl-chart-spectrogram-heat.h"
#include "tl-explain-spectrogram.h"
#include "tl-explain.h"

struct _TlAudioExplanation
{
  GtkBox                    parent_instance;

  GCancellable             *cancellable;
  float                    *x;            /* the sample explained */
  double                   *band_hz;      /* centre of each mel band, or NULL */
  double                    seconds_per_frame;
  char                    **class_names;
  TlSpectrogramExplanation *result;
  char                     *error;
  guint                     n_draws;

  GtkWidget                *area;
  GtkLabel                 *status_label;
};

G_DEFINE_FINAL_TYPE (TlAudioExplanation, tl_audio_explanation, GTK_TYPE_BOX)

typedef struct {
  TlModel *model;
  float   *x;
  float   *fill;
} Job;

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
  if (self->result != NULL)
    {
      const TlSpectrogramExplanation *e = self->result;

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

static void
set_status (TlAudioExplanation *self, const char *text, gboolean error)
{
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
}

static void
explain_in_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  GError *error = NULL;
  g_autofree float *probs = g_new (float, tl_model_n_outputs (job->model));
  TlSpectrogramExplainOptions o;
  TlSpectrogramExplanation *e;
  int target = tl_explain_predict (job->model, job->x, probs);

  tl_spectrogram_explain_options_init (&o);
  o.steps = 0;
  o.fill = job->fill;
  e = tl_explain_spectrogram (job->model, job->x, target, &o, &error);
  if (e == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, e, (GDestroyNotify) tl_spectrogram_explanation_free);
}

static void
explained (GObject *source, GAsyncResult *res, gpointer data)
{
  TlAudioExplanation *self = TL_AUDIO_EXPLANATION (source);
  g_autoptr (GError) error = NULL;
  TlSpectrogramExplanation *e = g_task_propagate_pointer (G_TASK (res), &error);

  /* another sample was chosen meanwhile, or the widget is going away */
  if (g_task_get_cancellable (G_TASK (res)) != self->cancellable)
    {
      tl_spectrogram_explanation_free (e);
      return;
    }
  if (e == NULL)
    {
      self->error = g_strdup (error->message);
      set_status (self, error->message, TRUE);
    }
  else
    set_status (self, _("Red regions raise the predicted class's probability: hiding them lowers it."), FALSE);
  self->result = e;
  gtk_widget_queue_draw (self->area);
}

static void
clear (TlAudioExplanation *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->result, tl_spectrogram_explanation_free);
  g_clear_pointer (&self->x, g_free);
  g_clear_pointer (&self->band_hz, g_free);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->error, g_free);
  self->n_draws = 0;
}

void
tl_audio_explanation_set_sample (TlAudioExplanation *self, const TlModel *model, const TlPreprocess *pre,
                                 const float *x, const char *const *class_names)
{
  g_autoptr (GTask) task = NULL;
  Job *job;
  int bands, frames;

  g_return_if_fail (TL_IS_AUDIO_EXPLANATION (self));

  clear (self);
  gtk_widget_queue_draw (self->area);
  if (model == NULL || x == NULL || class_names == NULL)
    {
      set_status (self, NULL, FALSE);
      return;
    }
  if (!tl_explain_takes_spectrograms (model, pre))
    {
      self->error = g_strdup (_("This model does not read the recordings' spectrograms."));
      set_status (self, self->error, TRUE);
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
  set_status (self, _("Finding which sounds the prediction depends on…"), FALSE);

  job = g_new0 (Job, 1);
  job->model = tl_model_copy (model);
  job->x = g_memdup2 (x, sizeof (float) * (gsize) bands * frames);
  job->fill = tl_spectrogram_mask_fill (pre, x, bands, frames);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, explained, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, explain_in_thread);
}

gboolean
tl_audio_explanation_is_ready (TlAudioExplanation *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_EXPLANATION (self), FALSE);
  return self->result != NULL || self->error != NULL;
}

const char *
tl_audio_explanation_get_error (TlAudioExplanation *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_EXPLANATION (self), NULL);
  return self->error;
}

int
tl_audio_explanation_get_class (TlAudioExplanation *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_EXPLANATION (self), -1);
  return self->result != NULL ? self->result->target : -1;
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
  if ((e = self->result) == NULL)
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
  G_OBJECT_CLASS (klass)->dispose = tl_audio_explanation_dispose;
}

static void
tl_audio_explanation_init (TlAudioExplanation *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 4);
  self->area = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (self->area), 190);
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (self->area), 260);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->area), draw, self, NULL);
  gtk_widget_set_hexpand (self->area, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Spectrogram with the regions the prediction depends on"), -1);
  gtk_box_append (GTK_BOX (self), self->area);
  self->status_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->status_label, TRUE);
  gtk_label_set_xalign (self->status_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "caption");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->status_label));
  set_status (self, NULL, FALSE);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (gtk_widget_queue_draw),
                           self->area, G_CONNECT_SWAPPED);
}

GtkWidget *
tl_audio_explanation_new (void)
{
  return g_object_new (TL_TYPE_AUDIO_EXPLANATION, NULL);
}
