#pragma once

#include <gtk/gtk.h>

#include "tl-audio-features.h"

G_BEGIN_DECLS

#define TL_TYPE_AUDIO_PREVIEW (tl_audio_preview_get_type ())
G_DECLARE_FINAL_TYPE (TlAudioPreview, tl_audio_preview, TL, AUDIO_PREVIEW, GtkBox)

/* One recording: its name, waveform and log-mel spectrogram as the import reads
 * it, and (when playable) a play/stop button that plays the file. */
GtkWidget  *tl_audio_preview_new            (void);
/* Reads the file in a worker with these settings (NULL path: empty). */
void        tl_audio_preview_set_file       (TlAudioPreview *self, const char *path, const TlAudioSettings *settings);
const char *tl_audio_preview_get_path       (TlAudioPreview *self);
void        tl_audio_preview_set_playable   (TlAudioPreview *self, gboolean playable);
/* The file is read (its drawings have data), or reading failed (the message shown). */
gboolean    tl_audio_preview_is_loaded      (TlAudioPreview *self);
const char *tl_audio_preview_get_error      (TlAudioPreview *self);
/* Times the spectrogram was drawn with the file's data, and its bands and frames. */
guint       tl_audio_preview_get_n_spectrogram_draws (TlAudioPreview *self);
guint       tl_audio_preview_get_n_waveform_draws    (TlAudioPreview *self);
void        tl_audio_preview_get_spectrogram_size    (TlAudioPreview *self, int *bands, int *frames);
/* Play or stop, as the button does; the stream playing (NULL before the first play). */
void        tl_audio_preview_toggle_play    (TlAudioPreview *self);
GtkMediaStream *tl_audio_preview_get_stream (TlAudioPreview *self);

G_END_DECLS
