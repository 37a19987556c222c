#define G_LOG_DOMAIN "tl-melspec"

#include "config.h"

#include <stdio.h>

#include "tl-audio-features.h"

/* Writes the features of one recording for tests/interop/test_torchaudio_melspec.py:
 *   tl-melspec FILE OUT SETTINGS_JSON
 * reads FILE at its own rate (or the settings' rate when "resample" is true),
 * computes the whole recording's features (no cropping, no normalisation
 * across files) and writes them to OUT as raw float32 [bands, frames]; prints
 * "bands frames samples" on stdout. */
int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (TlAudioFeatures) features = NULL;
  g_autofree float *x = NULL;
  g_autofree float *out = NULL;
  TlAudioSettings s;
  TlAudioInfo info;
  JsonObject *o;
  gsize n = 0;
  int frames, bands;

  if (argc != 4)
    {
      fprintf (stderr, "usage: tl-melspec FILE OUT SETTINGS_JSON\n");
      return 2;
    }
  if (!json_parser_load_from_data (parser, argv[3], -1, &error) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_error ("settings: %s", error ? error->message : "not an object");
  o = json_node_get_object (json_parser_get_root (parser));
  if (!tl_audio_file_info (argv[1], &info, &error))
    g_error ("%s", error->message);
  tl_audio_settings_init (&s);
  s.rate = info.rate;
  s.norm = TL_AUDIO_NORM_NONE;
  if (!tl_audio_settings_from_json_object (&s, o, &error))
    g_error ("%s", error->message);
  x = tl_audio_file_read (argv[1], json_object_get_boolean_member_with_default (o, "resample", FALSE) ? s.rate : 0,
                          &n, NULL, &error);
  if (x == NULL)
    g_error ("%s", error->message);
  features = tl_audio_features_new (&s, &error);
  if (features == NULL)
    g_error ("%s", error->message);
  bands = tl_audio_settings_bands (&s);
  frames = tl_audio_features_frames_for (features, n);
  out = g_new (float, (gsize) MAX (bands * frames, 1));
  tl_audio_features_compute (features, x, n, out);
  if (!g_file_set_contents (argv[2], (const char *) out, sizeof (float) * bands * frames, &error))
    g_error ("%s", error->message);
  printf ("%d %d %zu\n", bands, frames, (size_t) n);
  return 0;
}
