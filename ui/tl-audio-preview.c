#define G_LOG_DOMAIN "tl-audio-preview"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-audio-clip.h"
#include "tl-audio-preview.h"
#include "tl-chart-audio.h"

struct _TlAudioPreview
{
  GtkBox          parent_instance;

  char           *path;
  TlAudioClip    *clip;
  char           *error;
  GCancellable   *cancellable;
  gboolean        playable;
  GtkMediaStream *stream;
  guint           n_spectrogram_draws;
  guint           n_waveform_draws;

  GtkLabel       *name_label;
  GtkButton      *play_button;
  GtkWidget      *waveform;
  GtkWidget      *spectrogram;
  GtkLabel       *status_label;
};

G_DEFINE_FINAL_TYPE (TlAudioPreview, tl_audio_preview, GTK_TYPE_BOX)

static void
draw_waveform (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  TlAudioPreview *self = data;
  g_autofree char *caption = NULL;
  TlWaveformChart chart = { 0 };

  chart.title = _("Waveform");
  chart.style.dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  chart.style.transparent = TRUE;
  if (self->clip != NULL)
    {
      /* what the model hears: the clip length at the import's rate */
      caption = g_strdup_printf (_("%.2f s at %d Hz"), (double) self->clip->n_samples / self->clip->rate,
                                 self->clip->rate);
      chart.samples = self->clip->samples;
      chart.n_samples = self->clip->n_samples;
      chart.caption = caption;
      self->n_waveform_draws++;
    }
  tl_waveform_chart_draw (&chart, cr, width, height);
}

static void
draw_spectrogram (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  TlAudioPreview *self = data;
  g_autofree char *caption = NULL;
  TlSpectrogramChart chart = { 0 };

  chart.title = _("Log-mel spectrogram");
  chart.style.dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  chart.style.transparent = TRUE;
  /* natural-log power: 80 dB below the loudest cell is about 18.4 */
  chart.range = 18.4;
  if (self->clip != NULL)
    {
      caption = g_strdup_printf (_("%d mel bands × %d frames"), self->clip->bands, self->clip->frames);
      chart.values = self->clip->mel;
      chart.bands = self->clip->bands;
      chart.frames = self->clip->frames;
      chart.caption = caption;
      self->n_spectrogram_draws++;
    }
  tl_spectrogram_chart_draw (&chart, cr, width, height);
}

static void
set_status (TlAudioPreview *self, const char *text)
{
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
}

static void
update_play_button (TlAudioPreview *self)
{
  gboolean playing = self->stream != NULL && gtk_media_stream_get_playing (self->stream);

  gtk_widget_set_visible (GTK_WIDGET (self->play_button), self->playable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->play_button), self->path != NULL);
  gtk_button_set_icon_name (self->play_button, playing ? "media-playback-stop-symbolic"
                                                       : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->play_button), playing ? _("Stop") : _("Play the recording"));
}

static void
on_stream_changed (TlAudioPreview *self)
{
  const GError *error = self->stream != NULL ? gtk_media_stream_get_error (self->stream) : NULL;

  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cannot play %s: %s"), self->path, error->message);
      set_status (self, text);
    }
  update_play_button (self);
}

static void
drop_stream (TlAudioPreview *self)
{
  if (self->stream == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->stream, self);
  gtk_media_stream_pause (self->stream);
  g_clear_object (&self->stream);
}

void
tl_audio_preview_toggle_play (TlAudioPreview *self)
{
  g_return_if_fail (TL_IS_AUDIO_PREVIEW (self));

  if (self->path == NULL)
    return;
  if (self->stream != NULL && gtk_media_stream_get_playing (self->stream))
    {
      gtk_media_stream_pause (self->stream);
      if (gtk_media_stream_is_seekable (self->stream))
        gtk_media_stream_seek (self->stream, 0);
      update_play_button (self);
      return;
    }
  if (self->stream == NULL)
    {
      self->stream = gtk_media_file_new_for_filename (self->path);
      g_signal_connect_swapped (self->stream, "notify::playing", G_CALLBACK (on_stream_changed), self);
      g_signal_connect_swapped (self->stream, "notify::ended", G_CALLBACK (on_stream_changed), self);
      g_signal_connect_swapped (self->stream, "notify::error", G_CALLBACK (on_stream_changed), self);
    }
  else if (gtk_media_stream_get_ended (self->stream) && gtk_media_stream_is_seekable (self->stream))
    gtk_media_stream_seek (self->stream, 0);
  gtk_media_stream_play (self->stream);
  update_play_button (self);
}

GtkMediaStream *
tl_audio_preview_get_stream (TlAudioPreview *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_PREVIEW (self), NULL);
  return self->stream;
}

static void
read_clip (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const TlAudioSettings *settings = data;
  GError *error = NULL;
  TlAudioClip *clip = tl_audio_clip_read (g_object_get_data (G_OBJECT (task), "path"), settings, &error);

  if (clip == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, clip, (GDestroyNotify) tl_audio_clip_free);
}

static void
clip_read (GObject *source, GAsyncResult *res, gpointer data)
{
  TlAudioPreview *self = TL_AUDIO_PREVIEW (source);
  g_autoptr (GError) error = NULL;
  TlAudioClip *clip = g_task_propagate_pointer (G_TASK (res), &error);

  /* another file was chosen meanwhile, or the widget is going away */
  if (g_task_get_cancellable (G_TASK (res)) != self->cancellable)
    {
      tl_audio_clip_free (clip);
      return;
    }
  if (clip == NULL)
    {
      self->error = g_strdup (error->message);
      set_status (self, error->message);
    }
  self->clip = clip;
  gtk_widget_queue_draw (self->waveform);
  gtk_widget_queue_draw (self->spectrogram);
}

void
tl_audio_preview_set_file (TlAudioPreview *self, const char *path, const TlAudioSettings *settings)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *base = NULL;

  g_return_if_fail (TL_IS_AUDIO_PREVIEW (self));
  g_return_if_fail (path == NULL || settings != NULL);

  drop_stream (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->clip, tl_audio_clip_free);
  g_clear_pointer (&self->error, g_free);
  g_free (self->path);
  self->path = g_strdup (path);
  self->n_spectrogram_draws = self->n_waveform_draws = 0;
  set_status (self, NULL);
  base = path != NULL ? g_path_get_basename (path) : NULL;
  gtk_label_set_text (self->name_label, base != NULL ? base : _("Select a recording to see and hear it"));
  if (base != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_label), "dim-label");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->name_label), "dim-label");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), path);
  gtk_widget_queue_draw (self->waveform);
  gtk_widget_queue_draw (self->spectrogram);
  update_play_button (self);
  if (path == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, clip_read, NULL);
  g_object_set_data_full (G_OBJECT (task), "path", g_strdup (path), g_free);
  g_task_set_task_data (task, g_memdup2 (settings, sizeof *settings), g_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, read_clip);
}

const char *
tl_audio_preview_get_path (TlAudioPreview *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_PREVIEW (self), NULL);
  return self->path;
}

void
tl_audio_preview_set_playable (TlAudioPreview *self, gboolean playable)
{
  g_return_if_fail (TL_IS_AUDIO_PREVIEW (self));
  self->playable = playable;
  update_play_button (self);
}

gboolean
tl_audio_preview_is_loaded (TlAudioPreview *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_PREVIEW (self), FALSE);
  return self->clip != NULL || self->error != NULL;
}

const char *
tl_audio_preview_get_error (TlAudioPreview *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_PREVIEW (self), NULL);
  return self->error;
}

guint
tl_audio_preview_get_n_spectrogram_draws (TlAudioPreview *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_PREVIEW (self), 0);
  return self->n_spectrogram_draws;
}

guint
tl_audio_preview_get_n_waveform_draws (TlAudioPreview *self)
{
  g_return_val_if_fail (TL_IS_AUDIO_PREVIEW (self), 0);
  return self->n_waveform_draws;
}

void
tl_audio_preview_get_spectrogram_size (TlAudioPreview *self, int *bands, int *frames)
{
  g_return_if_fail (TL_IS_AUDIO_PREVIEW (self));
  *bands = self->clip != NULL ? self->clip->bands : 0;
  *frames = self->clip != NULL ? self->clip->frames : 0;
}

static void
tl_audio_preview_dispose (GObject *object)
{
  TlAudioPreview *self = TL_AUDIO_PREVIEW (object);

  drop_stream (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (tl_audio_preview_parent_class)->dispose (object);
}

static void
tl_audio_preview_finalize (GObject *object)
{
  TlAudioPreview *self = TL_AUDIO_PREVIEW (object);

  g_clear_pointer (&self->clip, tl_audio_clip_free);
  g_free (self->error);
  g_free (self->path);
  G_OBJECT_CLASS (tl_audio_preview_parent_class)->finalize (object);
}

static void
tl_audio_preview_class_init (TlAudioPreviewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = tl_audio_preview_dispose;
  G_OBJECT_CLASS (klass)->finalize = tl_audio_preview_finalize;
}

static GtkWidget *
drawing (TlAudioPreview *self, int height, GtkDrawingAreaDrawFunc draw, const char *description)
{
  GtkWidget *area = gtk_drawing_area_new ();

  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (area), height);
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (area), 240);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), draw, self, NULL);
  gtk_widget_set_hexpand (area, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
  return area;
}

static void
tl_audio_preview_init (TlAudioPreview *self)
{
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 4);
  self->name_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->name_label, 0);
  gtk_label_set_ellipsize (self->name_label, PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->name_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->name_label), "heading");
  self->play_button = GTK_BUTTON (gtk_button_new_from_icon_name ("media-playback-start-symbolic"));
  gtk_widget_add_css_class (GTK_WIDGET (self->play_button), "circular");
  g_signal_connect_swapped (self->play_button, "clicked", G_CALLBACK (tl_audio_preview_toggle_play), self);
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (self->name_label));
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (self->play_button));
  gtk_box_append (GTK_BOX (self), header);
  self->waveform = drawing (self, 64, draw_waveform, _("Waveform of the recording"));
  self->spectrogram = drawing (self, 110, draw_spectrogram, _("Log-mel spectrogram of the recording"));
  gtk_box_append (GTK_BOX (self), self->waveform);
  gtk_box_append (GTK_BOX (self), self->spectrogram);
  self->status_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->status_label, TRUE);
  gtk_label_set_xalign (self->status_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->status_label));
  tl_audio_preview_set_file (self, NULL, NULL);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (gtk_widget_queue_draw),
                           self->waveform, G_CONNECT_SWAPPED);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (gtk_widget_queue_draw),
                           self->spectrogram, G_CONNECT_SWAPPED);
}

GtkWidget *
tl_audio_preview_new (void)
{
  return g_object_new (TL_TYPE_AUDIO_PREVIEW, NULL);
}
