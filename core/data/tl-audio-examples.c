#define G_LOG_DOMAIN "tl-audio-examples"

#include "config.h"

#include <string.h>

#include "tl-audio-examples.h"
#include "tl-audio-file.h"
#include "tl-csv.h"
#include "tl-folder-list.h"

typedef struct {
  GPtrArray  *paths;
  GPtrArray  *labels;
  GHashTable *covered;   /* class names already shown */
  int         max;
} Examples;

/* The first recording of dir, as an example of class, unless the class has one. */
static gboolean
take_first (Examples *ex, const char *dir, const char *class_name)
{
  g_autoptr (GPtrArray) files = tl_folder_list_sorted (dir, tl_is_audio_file_name, NULL);

  if (files == NULL || files->len == 0)
    return FALSE;
  if ((int) ex->paths->len < ex->max && !g_hash_table_contains (ex->covered, class_name))
    {
      g_hash_table_add (ex->covered, g_strdup (class_name));
      g_ptr_array_add (ex->paths, g_build_filename (dir, g_ptr_array_index (files, 0), NULL));
      g_ptr_array_add (ex->labels, g_strdup (class_name));
    }
  return TRUE;
}

static gboolean
from_folder (Examples *ex, const char *folder, GError **error)
{
  g_autoptr (GPtrArray) subs = tl_folder_list_sorted (folder, NULL, error);

  if (subs == NULL)
    return FALSE;
  for (guint i = 0; i < subs->len && (int) ex->paths->len < ex->max; i++)
    {
      g_autofree char *sub = g_build_filename (folder, g_ptr_array_index (subs, i), NULL);
      g_autoptr (GPtrArray) inner = NULL;

      if (take_first (ex, sub, g_ptr_array_index (subs, i)))
        continue;
      /* a group (speaker, voice) holding one folder per class */
      if ((inner = tl_folder_list_sorted (sub, NULL, NULL)) == NULL)
        continue;
      for (guint k = 0; k < inner->len && (int) ex->paths->len < ex->max; k++)
        {
          g_autofree char *dir = g_build_filename (sub, g_ptr_array_index (inner, k), NULL);
          take_first (ex, dir, g_ptr_array_index (inner, k));
        }
    }
  return TRUE;
}

static int
column_named (const TlCsvRecord *header, const char *const *names)
{
  for (guint c = 0; c < header->n_fields; c++)
    for (guint k = 0; names[k] != NULL; k++)
      if (g_ascii_strcasecmp (header->fields[c], names[k]) == 0)
        return (int) c;
  return -1;
}

static gboolean
from_csv (Examples *ex, const char *csv, GError **error)
{
  static const char *const path_names[] = { "path", "file", "filename", "file_name", NULL };
  static const char *const label_names[] = { "label", "class", "target", NULL };
  g_autoptr (TlCsvReader) reader = tl_csv_reader_open (csv, 0, error);
  g_autofree char *base = NULL;
  const TlCsvRecord *rec;
  int pc, lc;

  if (reader == NULL)
    return FALSE;
  if ((rec = tl_csv_reader_next (reader, NULL)) == NULL)
    return TRUE;
  pc = column_named (rec, path_names);
  lc = column_named (rec, label_names);
  if (pc < 0 || lc < 0 || pc == lc)
    return TRUE;
  base = g_path_get_dirname (csv);
  while ((int) ex->paths->len < ex->max && (rec = tl_csv_reader_next (reader, NULL)) != NULL)
    {
      const char *file, *label;

      if ((guint) MAX (pc, lc) >= rec->n_fields)
        continue;
      file = rec->fields[pc];
      label = rec->fields[lc];
      if (!tl_is_audio_file_name (file))
        {
          if (ex->paths->len == 0)
            return TRUE;   /* not a list of recordings */
          continue;
        }
      if (label[0] == '\0' || g_hash_table_contains (ex->covered, label))
        continue;
      g_hash_table_add (ex->covered, g_strdup (label));
      g_ptr_array_add (ex->paths, g_path_is_absolute (file) ? g_strdup (file) : g_build_filename (base, file, NULL));
      g_ptr_array_add (ex->labels, g_strdup (label));
    }
  return TRUE;
}

GPtrArray *
tl_audio_examples (const char *path, int max, GPtrArray **labels, GError **error)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) covered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Examples ex = { paths, names, covered, max };
  gboolean ok;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    ok = from_folder (&ex, path, error);
  else
    ok = from_csv (&ex, path, error);
  if (!ok)
    return NULL;
  if (labels != NULL)
    *labels = g_steal_pointer (&names);
  return g_steal_pointer (&paths);
}
