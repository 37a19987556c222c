#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A few recordings to show before an import: the first recording (sorted by
 * name) of each class, up to max, from a folder as tl_audio_folder_load takes
 * it, or from a CSV of paths and labels as tl_audio_csv_load takes it (the
 * paths made absolute or relative to the CSV's folder as it resolves them).
 * labels (may be NULL) receives each recording's class. An empty array when
 * the folder or CSV lists no recordings (a CSV without a path column whose
 * first row names an audio file is not a list of recordings). */
GPtrArray *tl_audio_examples (const char *path, int max, GPtrArray **labels, GError **error);

G_END_DECLS
