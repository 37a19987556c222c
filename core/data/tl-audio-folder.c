#define G_LOG_DOMAIN "tl-audio-folder"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tl-audio-folder.h"
#include "tl-csv.h"
#include "tl-error.h"
#include "tl-folder-list.h"
#include "tl-parallel.h"

/* Report */

TlAudioReport *
tl_audio_report_new (void)
{
  TlAudioReport *r = g_new0 (TlAudioReport, 1);

  r->silent = g_ptr_array_new_with_free_func (g_free);
  r->clipped = g_ptr_array_new_with_free_func (g_free);
  r->long_files = g_ptr_array_new_with_free_func (g_free);
  return r;
}

void
tl_audio_report_free (TlAudioReport *r)
{
  if (r == NULL)
    return;
  g_ptr_array_unref (r->silent);
  g_ptr_array_unref (r->clipped);
  g_ptr_array_unref (r->long_files);
  g_free (r);
}

static void
add_paths (JsonBuilder *b, const char *name, GPtrArray *paths)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < paths->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (paths, i));
  json_builder_end_array (b);
}

JsonNode *
tl_audio_report_to_json (const TlAudioReport *r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (r != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "files");
  json_builder_add_int_value (b, r->n_files);
  json_builder_set_member_name (b, "seconds");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "min");
  json_builder_add_double_value (b, r->min_seconds);
  json_builder_set_member_name (b, "median");
  json_builder_add_double_value (b, r->median_seconds);
  json_builder_set_member_name (b, "max");
  json_builder_add_double_value (b, r->max_seconds);
  json_builder_set_member_name (b, "histogram");
  json_builder_begin_array (b);
  for (int i = 0; i < TL_AUDIO_HISTOGRAM_BINS; i++)
    json_builder_add_int_value (b, r->histogram[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "resampled");
  json_builder_add_int_value (b, r->n_resampled);
  json_builder_set_member_name (b, "cropped");
  json_builder_add_int_value (b, r->n_cropped);
  json_builder_set_member_name (b, "padded");
  json_builder_add_int_value (b, r->n_padded);
  json_builder_set_member_name (b, "augmented");
  json_builder_add_int_value (b, r->n_augmented);
  add_paths (b, "silent", r->silent);
  add_paths (b, "clipped", r->clipped);
  add_paths (b, "long", r->long_files);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
append_paths (GString *out, const char *title, GPtrArray *paths)
{
  const guint listed = 10;

  if (paths->len == 0)
    return;
  g_string_append_printf (out, title, paths->len);
  g_string_append_c (out, '\n');
  for (guint i = 0; i < MIN (paths->len, listed); i++)
    g_string_append_printf (out, "  %s\n", (const char *) g_ptr_array_index (paths, i));
  if (paths->len > listed)
    g_string_append_printf (out, _("  ... and %u more\n"), paths->len - listed);
}

void
tl_audio_report_append_text (const TlAudioReport *r, GString *out)
{
  int most = 1;
  double width;

  g_return_if_fail (r != NULL && out != NULL);

  g_string_append_printf (out, _("Recordings: %d; seconds min %.2f, median %.2f, max %.2f\n"), r->n_files,
                          r->min_seconds, r->median_seconds, r->max_seconds);
  for (int i = 0; i < TL_AUDIO_HISTOGRAM_BINS; i++)
    most = MAX (most, r->histogram[i]);
  width = (r->max_seconds - r->min_seconds) / TL_AUDIO_HISTOGRAM_BINS;
  for (int i = 0; i < TL_AUDIO_HISTOGRAM_BINS && r->n_files > 0; i++)
    {
      int bar = (int) ceil (30.0 * r->histogram[i] / most);

      g_string_append_printf (out, "  %5.2f - %5.2f s %5d ", r->min_seconds + i * width,
                              r->min_seconds + (i + 1) * width, r->histogram[i]);
      for (int k = 0; k < bar && r->histogram[i] > 0; k++)
        g_string_append_c (out, '#');
      g_string_append_c (out, '\n');
    }
  g_string_append_printf (out, _("Resampled: %d, cropped: %d, padded: %d\n"), r->n_resampled, r->n_cropped,
                          r->n_padded);
  if (r->n_augmented > 0)
    g_string_append_printf (out, _("Augmented copies of training recordings: %d\n"), r->n_augmented);
  append_paths (out, _("Warning: %u silent recordings"), r->silent);
  append_paths (out, _("Warning: %u clipped recordings"), r->clipped);
  append_paths (out, _("Warning: %u recordings far longer than the rest"), r->long_files);
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
report_fill (TlAudioReport *r, const char *const *paths, const TlAudioInfo *infos, int n,
             const TlAudioSettings *s)
{
  g_autofree double *sorted = g_new (double, MAX (n, 1));
  double width;

  r->n_files = n;
  for (int i = 0; i < n; i++)
    sorted[i] = infos[i].seconds;
  qsort (sorted, n, sizeof (double), compare_double);
  r->min_seconds = n > 0 ? sorted[0] : 0.0;
  r->max_seconds = n > 0 ? sorted[n - 1] : 0.0;
  r->median_seconds = n == 0 ? 0.0 : n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  width = (r->max_seconds - r->min_seconds) / TL_AUDIO_HISTOGRAM_BINS;
  for (int i = 0; i < n; i++)
    {
      const TlAudioInfo *in = &infos[i];
      int bin = width > 0 ? (int) ((in->seconds - r->min_seconds) / width) : 0;
      double samples = in->seconds * s->rate;

      r->histogram[CLAMP (bin, 0, TL_AUDIO_HISTOGRAM_BINS - 1)]++;
      r->n_resampled += in->rate != s->rate;
      r->n_cropped += samples > s->n_samples + 0.5;
      r->n_padded += samples < s->n_samples - 0.5;
      if (tl_audio_levels_silent (&in->levels))
        g_ptr_array_add (r->silent, g_strdup (paths[i]));
      if (tl_audio_levels_clipped (&in->levels))
        g_ptr_array_add (r->clipped, g_strdup (paths[i]));
      if (n >= 3 && in->seconds > TL_AUDIO_LONG_FACTOR * r->median_seconds)
        g_ptr_array_add (r->long_files, g_strdup (paths[i]));
    }
}

/* Loading */

typedef struct {
  const char *const *paths;
  const TlAudioSettings *s;
  TlDataset *ds;
  TlAudioInfo *infos;
  GError **errors;     /* one slot per file */
  int offset;          /* of this block */
} LoadJob;

static void
load_chunk (gpointer data, gsize start, gsize end)
{
  LoadJob *job = data;
  g_autoptr (TlAudioFeatures) features = NULL;
  g_autofree float *clip = g_new (float, job->s->n_samples);
  GError *error = NULL;

  features = tl_audio_features_new (job->s, &error);
  for (gsize k = start; k < end; k++)
    {
      int i = job->offset + (int) k;
      g_autofree float *x = NULL;
      gsize n = 0;

      if (features == NULL)
        {
          job->errors[i] = g_error_copy (error);
          continue;
        }
      x = tl_audio_file_read (job->paths[i], job->s->rate, &n, &job->infos[i], &job->errors[i]);
      if (x == NULL)
        continue;
      tl_audio_settings_fit (job->s, x, n, clip);
      tl_audio_features_compute (features, clip, job->s->n_samples, job->ds->x + (gsize) i * job->ds->sample_size);
    }
  g_clear_error (&error);
}

TlDataset *
tl_audio_files_load (const char *const *paths, const int *labels, int n, const char *const *class_names,
                     const TlAudioSettings *s, void (*progress) (double fraction, gpointer user_data),
                     gpointer user_data, TlAudioReport **report, GError **error)
{
  g_autoptr (TlDataset) ds = NULL;
  g_autofree TlAudioInfo *infos = NULL;
  GError **errors;
  int bands, frames, n_classes = 0, failed = -1;
  const int block = 64;

  g_return_val_if_fail (paths != NULL || n == 0, NULL);
  g_return_val_if_fail (s != NULL, NULL);

  if (!tl_audio_settings_check (s, error))
    return NULL;
  bands = tl_audio_settings_bands (s);
  frames = tl_audio_settings_frames (s);
  if ((guint64) n * bands * frames > TL_AUDIO_MAX_FLOATS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                   _("%d recordings of %d x %d features would take %llu MiB; use shorter clips or a longer hop"),
                   n, bands, frames, (unsigned long long) (((guint64) n * bands * frames * sizeof (float)) >> 20));
      return NULL;
    }
  while (class_names != NULL && class_names[n_classes] != NULL)
    n_classes++;
  ds = tl_dataset_new (TL_DATA_AUDIO, n, 3, (int[]) { 1, bands, frames }, n_classes, class_names);
  ds->source_index = g_new (int, MAX (n, 1));
  ds->source_text = g_new0 (char *, n + 1);
  infos = g_new0 (TlAudioInfo, MAX (n, 1));
  errors = g_new0 (GError *, MAX (n, 1));
  for (int from = 0; from < n && failed < 0; from += block)
    {
      int count = MIN (block, n - from);
      LoadJob job = { paths, s, ds, infos, errors, from };

      tl_parallel_for (count, 1, load_chunk, &job);
      for (int i = from; i < from + count && failed < 0; i++)
        if (errors[i] != NULL)
          failed = i;
      if (progress != NULL)
        progress ((double) (from + count) / n, user_data);
    }
  if (failed >= 0)
    {
      g_propagate_error (error, errors[failed]);
      errors[failed] = NULL;
    }
  for (int i = 0; i < n; i++)
    g_clear_error (&errors[i]);
  g_free (errors);
  if (failed >= 0)
    return NULL;
  for (int i = 0; i < n; i++)
    {
      ds->y[i] = labels != NULL ? labels[i] : -1;
      ds->source_index[i] = i;
      ds->source_text[i] = g_strdup (paths[i]);
    }
  if (report != NULL)
    {
      *report = tl_audio_report_new ();
      report_fill (*report, paths, infos, n, s);
    }
  return g_steal_pointer (&ds);
}


static gboolean
has_class_folders (const char *folder)
{
  g_autoptr (GPtrArray) classes = tl_folder_list_sorted (folder, NULL, NULL);

  for (guint c = 0; classes != NULL && c < classes->len; c++)
    {
      g_autofree char *sub = g_build_filename (folder, g_ptr_array_index (classes, c), NULL);
      g_autoptr (GPtrArray) files = tl_folder_list_sorted (sub, tl_is_audio_file_name, NULL);

      if (files != NULL && files->len > 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
tl_audio_folder_detect (const char *folder)
{
  g_autoptr (GPtrArray) groups = NULL;

  g_return_val_if_fail (folder != NULL, FALSE);

  if (has_class_folders (folder))
    return TRUE;
  groups = tl_folder_list_sorted (folder, NULL, NULL);
  for (guint g = 0; groups != NULL && g < groups->len; g++)
    {
      g_autofree char *sub = g_build_filename (folder, g_ptr_array_index (groups, g), NULL);

      if (has_class_folders (sub))
        return TRUE;
    }
  return FALSE;
}

/* GROUP/CLASS/file (speakers, then digits): the classes are the union of the
 * second-level names; paths and labels in group, class, file order. */
static gboolean
collect_grouped (const char *folder, GPtrArray *class_names, GPtrArray *paths, GArray *labels)
{
  g_autoptr (GPtrArray) groups = tl_folder_list_sorted (folder, NULL, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint pass = 0; pass < 2; pass++)
    for (guint g = 0; groups != NULL && g < groups->len; g++)
      {
        g_autofree char *gdir = g_build_filename (folder, g_ptr_array_index (groups, g), NULL);
        g_autoptr (GPtrArray) classes = tl_folder_list_sorted (gdir, NULL, NULL);

        for (guint c = 0; classes != NULL && c < classes->len; c++)
          {
            const char *name = g_ptr_array_index (classes, c);
            g_autofree char *cdir = g_build_filename (gdir, name, NULL);
            g_autoptr (GPtrArray) files = tl_folder_list_sorted (cdir, tl_is_audio_file_name, NULL);

            if (files == NULL || files->len == 0)
              continue;
            if (pass == 0)
              {
                if (!g_hash_table_contains (index, name))
                  {
                    g_ptr_array_add (names, g_strdup (name));
                    g_hash_table_add (index, g_ptr_array_index (names, names->len - 1));
                  }
                continue;
              }
            for (guint f = 0; f < files->len; f++)
              {
                int label = -1;

                for (guint k = 0; k < class_names->len; k++)
                  if (strcmp (g_ptr_array_index (class_names, k), name) == 0)
                    label = k;
                g_ptr_array_add (paths, g_build_filename (cdir, g_ptr_array_index (files, f), NULL));
                g_array_append_val (labels, label);
              }
          }
        if (pass == 0 && g + 1 == groups->len)
          {
            g_ptr_array_sort (names, tl_folder_compare_names);
            for (guint k = 0; k < names->len; k++)
              g_ptr_array_add (class_names, g_strdup (g_ptr_array_index (names, k)));
          }
      }
  return class_names->len > 0;
}

TlDataset *
tl_audio_folder_load (const char *folder, const TlAudioSettings *s,
                      void (*progress) (double fraction, gpointer user_data), gpointer user_data,
                      TlAudioReport **report, GError **error)
{
  g_autoptr (GPtrArray) classes = NULL;
  g_autoptr (GPtrArray) class_names = g_ptr_array_new ();
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  GError *dir_error = NULL;

  g_return_val_if_fail (folder != NULL, NULL);

  classes = tl_folder_list_sorted (folder, NULL, &dir_error);
  if (classes == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", folder, dir_error->message);
      g_error_free (dir_error);
      return NULL;
    }
  for (guint c = 0; c < classes->len; c++)
    {
      g_autofree char *sub = g_build_filename (folder, g_ptr_array_index (classes, c), NULL);
      g_autoptr (GPtrArray) files = tl_folder_list_sorted (sub, tl_is_audio_file_name, NULL);
      int label = class_names->len;

      if (files == NULL || files->len == 0)
        continue;
      g_ptr_array_add (class_names, g_ptr_array_index (classes, c));
      for (guint f = 0; f < files->len; f++)
        {
          g_ptr_array_add (paths, g_build_filename (sub, g_ptr_array_index (files, f), NULL));
          g_array_append_val (labels, label);
        }
    }
  if (class_names->len == 0)
    {
      g_ptr_array_set_free_func (class_names, g_free);
      if (!collect_grouped (folder, class_names, paths, labels))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                       _("%s: no sub-folders with WAV, FLAC or OGG files (one sub-folder per class, "
                         "or one per speaker with one per class inside) found"), folder);
          return NULL;
        }
    }
  g_ptr_array_add (class_names, NULL);
  return tl_audio_files_load ((const char *const *) paths->pdata, (const int *) (gpointer) labels->data,
                              paths->len, (const char *const *) class_names->pdata, s, progress, user_data,
                              report, error);
}

static int
find_column (const TlCsvRecord *header, const char *wanted, const char *const *fallbacks)
{
  for (guint c = 0; c < header->n_fields; c++)
    if (wanted != NULL ? strcmp (header->fields[c], wanted) == 0 : FALSE)
      return c;
  if (wanted != NULL)
    {
      char *end = NULL;
      gint64 index = g_ascii_strtoll (wanted, &end, 10);

      if (end != wanted && *end == 0 && index >= 0 && index < header->n_fields)
        return (int) index;
      return -1;
    }
  for (guint k = 0; fallbacks[k] != NULL; k++)
    for (guint c = 0; c < header->n_fields; c++)
      if (g_ascii_strcasecmp (header->fields[c], fallbacks[k]) == 0)
        return c;
  return -1;
}

TlDataset *
tl_audio_csv_load (const char *csv, const char *path_column, const char *label_column, const TlAudioSettings *s,
                   void (*progress) (double fraction, gpointer user_data), gpointer user_data,
                   TlAudioReport **report, GError **error)
{
  static const char *const path_names[] = { "path", "file", "filename", "file_name", NULL };
  static const char *const label_names[] = { "label", "class", "target", NULL };
  g_autoptr (TlCsvReader) reader = NULL;
  g_autoptr (TlCsvRecord) header = NULL;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GArray) raw = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree char *base = NULL;
  g_autofree int *map = NULL;
  g_autofree int *labels = NULL;
  const TlCsvRecord *rec;
  GError *local = NULL;
  int pc, lc;

  g_return_val_if_fail (csv != NULL, NULL);

  reader = tl_csv_reader_open (csv, 0, error);
  if (reader == NULL)
    return NULL;
  rec = tl_csv_reader_next (reader, &local);
  if (rec == NULL)
    {
      if (local != NULL)
        g_propagate_error (error, local);
      else
        g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: the file is empty"), csv);
      return NULL;
    }
  header = tl_csv_record_copy (rec);
  pc = find_column (header, path_column, path_names);
  lc = find_column (header, label_column, label_names);
  if (pc < 0 || lc < 0 || pc == lc)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   pc < 0 ? _("%s:1: no path column (the first line names the columns: path, file or filename)")
                          : _("%s:1: no label column (the first line names the columns: label, class or target)"),
                   csv);
      return NULL;
    }
  base = g_path_get_dirname (csv);
  while ((rec = tl_csv_reader_next (reader, &local)) != NULL)
    {
      const char *file, *label;
      gpointer index;

      if (rec->n_fields == 1 && rec->fields[0][0] == 0)
        continue;
      if ((guint) MAX (pc, lc) >= rec->n_fields)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s:%d: expected %u fields, found %u"), csv, rec->line,
                       header->n_fields, rec->n_fields);
          return NULL;
        }
      file = rec->fields[pc];
      label = rec->fields[lc];
      if (file[0] == 0 || label[0] == 0)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s:%d: an empty path or label"), csv, rec->line);
          return NULL;
        }
      if (!g_hash_table_lookup_extended (seen, label, NULL, &index))
        {
          g_ptr_array_add (names, g_strdup (label));
          index = GINT_TO_POINTER (names->len - 1);
          g_hash_table_insert (seen, g_ptr_array_index (names, names->len - 1), index);
        }
      g_array_append_val (raw, (int) { GPOINTER_TO_INT (index) });
      g_ptr_array_add (paths, g_path_is_absolute (file) ? g_strdup (file) : g_build_filename (base, file, NULL));
    }
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  if (paths->len == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: no recordings listed"), csv);
      return NULL;
    }
  /* classes sorted by name, as for folders */
  {
    g_autoptr (GPtrArray) sorted = g_ptr_array_new ();

    for (guint i = 0; i < names->len; i++)
      g_ptr_array_add (sorted, g_ptr_array_index (names, i));
    g_ptr_array_sort (sorted, tl_folder_compare_names);
    map = g_new (int, names->len);
    for (guint i = 0; i < names->len; i++)
      for (guint k = 0; k < sorted->len; k++)
        if (g_ptr_array_index (sorted, k) == g_ptr_array_index (names, i))
          map[i] = k;
    labels = g_new (int, paths->len);
    for (guint i = 0; i < paths->len; i++)
      labels[i] = map[g_array_index (raw, int, i)];
    g_ptr_array_add (sorted, NULL);
    return tl_audio_files_load ((const char *const *) paths->pdata, labels, paths->len,
                                (const char *const *) sorted->pdata, s, progress, user_data, report, error);
  }
}

/* Dataset normalisation */

void
tl_audio_dataset_fit_norm (const TlDataset *ds, const int *rows, int n, double *mean, double *std)
{
  int bands, frames;

  g_return_if_fail (ds != NULL && ds->sample_ndim == 3);
  g_return_if_fail (mean != NULL && std != NULL);

  bands = ds->sample_shape[1];
  frames = ds->sample_shape[2];
  for (int b = 0; b < bands; b++)
    {
      double sum = 0.0, sum2 = 0.0, count = (double) n * frames;

      for (int r = 0; r < n; r++)
        {
          const float *row = ds->x + (gsize) rows[r] * ds->sample_size + (gsize) b * frames;

          for (int t = 0; t < frames; t++)
            sum += row[t];
        }
      mean[b] = count > 0 ? sum / count : 0.0;
      for (int r = 0; r < n; r++)
        {
          const float *row = ds->x + (gsize) rows[r] * ds->sample_size + (gsize) b * frames;

          for (int t = 0; t < frames; t++)
            sum2 += (row[t] - mean[b]) * (row[t] - mean[b]);
        }
      std[b] = count > 0 ? sqrt (sum2 / count) : 1.0;
      if (!(std[b] > 1e-6))
        std[b] = 1.0;
    }
}

void
tl_audio_dataset_normalize (TlDataset *ds, const double *mean, const double *std)
{
  int bands, frames;

  g_return_if_fail (ds != NULL && ds->sample_ndim == 3);

  bands = ds->sample_shape[1];
  frames = ds->sample_shape[2];
  for (int i = 0; i < ds->n; i++)
    for (int b = 0; b < bands; b++)
      {
        float *row = ds->x + (gsize) i * ds->sample_size + (gsize) b * frames;
        float m = (float) mean[b], inv = (float) (1.0 / std[b]);

        for (int t = 0; t < frames; t++)
          row[t] = (row[t] - m) * inv;
      }
}
