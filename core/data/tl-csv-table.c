#define G_LOG_DOMAIN "tl-import"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tl-error.h"
#include "tl-csv-table.h"
#include "tl-tokenizer.h"

#define SAMPLE_RECORDS 1000
#define SNIPPET_CHARS  200

static void
rejected_row_clear (gpointer data)
{
  g_free (((TlRejectedRow *) data)->reason);
}

static void
hash_table_unref0 (gpointer data)
{
  if (data != NULL)
    g_hash_table_unref (data);
}

static void
ptr_array_unref0 (gpointer data)
{
  if (data != NULL)
    g_ptr_array_unref (data);
}

static TlCsvTable *
table_new (const char *path)
{
  TlCsvTable *t = g_new0 (TlCsvTable, 1);

  t->path = g_strdup (path);
  t->label_col = -1;
  t->text_col = -1;
  t->feature_cols = g_array_new (FALSE, FALSE, sizeof (int));
  t->lines = g_array_new (FALSE, FALSE, sizeof (int));
  t->labels = g_array_new (FALSE, FALSE, sizeof (int));
  t->label_names = g_ptr_array_new_with_free_func (g_free);
  t->label_ids = g_hash_table_new (g_str_hash, g_str_equal);
  t->snippets = g_ptr_array_new_with_free_func (g_free);
  t->values = g_array_new (FALSE, FALSE, sizeof (double));
  t->categories = g_ptr_array_new_with_free_func (ptr_array_unref0);
  t->category_ids = g_ptr_array_new_with_free_func (hash_table_unref0);
  t->token_start = g_array_new (FALSE, FALSE, sizeof (gsize));
  t->tokens = g_array_new (FALSE, FALSE, sizeof (guint));
  t->words = g_ptr_array_new ();
  t->word_ids = tl_string_ids_new ();
  t->rejected = g_array_new (FALSE, TRUE, sizeof (TlRejectedRow));
  g_array_set_clear_func (t->rejected, rejected_row_clear);
  g_array_append_val (t->token_start, (gsize) { 0 });
  return t;
}

void
tl_csv_table_free (TlCsvTable *t)
{
  if (t == NULL)
    return;
  g_free (t->path);
  g_strfreev (t->names);
  g_free (t->types);
  g_array_unref (t->feature_cols);
  g_array_unref (t->lines);
  g_array_unref (t->labels);
  g_hash_table_unref (t->label_ids);
  g_ptr_array_unref (t->label_names);
  g_ptr_array_unref (t->snippets);
  g_array_unref (t->values);
  g_ptr_array_unref (t->category_ids);
  g_ptr_array_unref (t->categories);
  g_free (t->had_missing);
  g_array_unref (t->token_start);
  g_array_unref (t->tokens);
  g_ptr_array_unref (t->words);
  tl_string_ids_free (t->word_ids);
  g_array_unref (t->rejected);
  g_free (t);
}

/* Layout */

static int
find_column (const TlCsvTable *t, const char *name)
{
  char *end = NULL;
  gint64 index;

  for (int c = 0; c < t->n_cols; c++)
    if (strcmp (t->names[c], name) == 0)
      return c;
  for (int c = 0; c < t->n_cols; c++)
    if (g_ascii_strcasecmp (t->names[c], name) == 0)
      return c;
  index = g_ascii_strtoll (name, &end, 10);
  if (end != name && *end == '\0' && index >= 0 && index < t->n_cols)
    return (int) index;
  return -1;
}

static gboolean
unknown_column (const TlCsvTable *t, const char *what, const char *name, GError **error)
{
  g_autofree char *all = g_strjoinv (", ", t->names);

  g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
               _("%s: no %s column '%s' (the columns are: %s)"), t->path, what, name, all);
  return FALSE;
}

static TlColumnType
infer_type (TlCsvRecord **records, guint n, int column)
{
  g_autoptr (GHashTable) distinct = g_hash_table_new (g_str_hash, g_str_equal);
  guint present = 0, wordy = 0, numbers = 0;
  gsize total_len = 0;

  for (guint r = 0; r < n; r++)
    {
      const char *value;

      if ((guint) column >= records[r]->n_fields || tl_csv_is_missing (records[r]->fields[column]))
        continue;
      value = records[r]->fields[column];
      present++;
      total_len += strlen (value);
      numbers += tl_csv_parse_number (value, NULL);
      if (strchr (value, ' ') != NULL && strchr (strchr (value, ' ') + 1, ' ') != NULL)
        wordy++;
      g_hash_table_add (distinct, (gpointer) value);
    }
  /* a stray word among numbers is an error in the data, reported when read */
  if (present == 0 || numbers >= present - present / 20)
    return TL_COLUMN_NUMERIC;
  if (total_len / present > 40 || wordy * 2 > present
      || g_hash_table_size (distinct) > MAX (50, present / 2))
    return TL_COLUMN_TEXT;
  return TL_COLUMN_CATEGORICAL;
}

static gboolean
resolve_label (TlCsvTable *t, const TlImportSettings *s, GError **error)
{
  static const char *const usual[] = { "label", "class", "target", "y", "category" };

  if (s->label_column != NULL)
    {
      t->label_col = find_column (t, s->label_column);
      if (t->label_col < 0)
        return unknown_column (t, _("label"), s->label_column, error);
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (usual) && t->label_col < 0 && t->has_header; i++)
    for (int c = 0; c < t->n_cols && t->label_col < 0; c++)
      if (g_ascii_strcasecmp (t->names[c], usual[i]) == 0)
        t->label_col = c;
  if (t->label_col < 0 && t->n_cols >= 2)
    t->label_col = t->n_cols - 1;
  if (t->label_col < 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("%s: no label column: the file has a single column"), t->path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
apply_type_overrides (TlCsvTable *t, const TlImportSettings *s, GError **error)
{
  for (guint i = 0; s->column_types != NULL && s->column_types[i] != NULL; i++)
    {
      g_auto (GStrv) parts = g_strsplit (s->column_types[i], "=", 2);
      int c;

      if (g_strv_length (parts) != 2)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       _("column type '%s' is not of the form NAME=numeric|categorical|text"),
                       s->column_types[i]);
          return FALSE;
        }
      if ((c = find_column (t, parts[0])) < 0)
        return unknown_column (t, "", parts[0], error);
      if (!tl_column_type_from_string (parts[1], &t->types[c]))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       _("column type '%s' is not numeric, categorical or text"), parts[1]);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
resolve_roles (TlCsvTable *t, const TlImportSettings *s, GError **error)
{
  if (s->text_column != NULL)
    {
      t->text_col = find_column (t, s->text_column);
      if (t->text_col < 0)
        return unknown_column (t, _("text"), s->text_column, error);
      t->types[t->text_col] = TL_COLUMN_TEXT;
    }
  else if (s->feature_columns != NULL)
    {
      for (guint i = 0; s->feature_columns[i] != NULL; i++)
        {
          int c = find_column (t, s->feature_columns[i]);

          if (c < 0)
            return unknown_column (t, _("feature"), s->feature_columns[i], error);
          if (t->types[c] == TL_COLUMN_TEXT)
            {
              if (s->feature_columns[1] == NULL)
                {
                  t->text_col = c;
                  return TRUE;
                }
              g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           _("%s: column '%s' holds free text; import it as the text column or set its type"),
                           t->path, t->names[c]);
              return FALSE;
            }
          g_array_append_val (t->feature_cols, c);
        }
    }
  else
    {
      for (int c = 0; c < t->n_cols && t->text_col < 0; c++)
        if (c != t->label_col && t->types[c] == TL_COLUMN_TEXT)
          t->text_col = c;
      for (int c = 0; c < t->n_cols && t->text_col < 0; c++)
        if (c != t->label_col)
          g_array_append_val (t->feature_cols, c);
    }
  if (t->text_col == t->label_col || (t->text_col < 0 && t->feature_cols->len == 0))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("%s: no feature or text column besides the label column '%s'"),
                   t->path, t->names[t->label_col]);
      return FALSE;
    }
  return TRUE;
}

static gboolean
layout_from_preprocess (TlCsvTable *t, const TlPreprocess *pre, GError **error)
{
  if (pre->label_column != NULL)
    t->label_col = find_column (t, pre->label_column);
  if (pre->kind == TL_DATA_TEXT)
    {
      t->text_col = find_column (t, pre->text_column != NULL ? pre->text_column : "text");
      if (t->text_col < 0)
        return unknown_column (t, _("text"), pre->text_column != NULL ? pre->text_column : "text", error);
      return TRUE;
    }
  for (guint i = 0; i < pre->columns->len; i++)
    {
      const TlFeatureColumn *column = g_ptr_array_index (pre->columns, i);
      int c = find_column (t, column->name);

      if (c < 0)
        return unknown_column (t, _("feature"), column->name, error);
      t->types[c] = column->type;
      g_array_append_val (t->feature_cols, c);
    }
  return TRUE;
}

static void
setup_feature_storage (TlCsvTable *t)
{
  t->had_missing = g_new0 (gboolean, MAX (t->feature_cols->len, 1));
  for (guint j = 0; j < t->feature_cols->len; j++)
    {
      gboolean categorical = t->types[g_array_index (t->feature_cols, int, j)] == TL_COLUMN_CATEGORICAL;

      g_ptr_array_add (t->categories, categorical ? g_ptr_array_new_with_free_func (g_free) : NULL);
      g_ptr_array_add (t->category_ids, categorical ? g_hash_table_new (g_str_hash, g_str_equal) : NULL);
    }
}

/* Rows */

static void
reject (TlCsvTable *t, int line, char *reason)
{
  t->rows_rejected++;
  if (t->rejected->len < TL_IMPORT_MAX_LISTED)
    {
      TlRejectedRow row = { line, reason };

      g_array_append_val (t->rejected, row);
    }
  else
    g_free (reason);
}

static int
intern (GPtrArray *names, GHashTable *ids, const char *value)
{
  gpointer found = g_hash_table_lookup (ids, value);
  char *copy;

  if (found != NULL)
    return GPOINTER_TO_INT (found) - 1;
  copy = g_strdup (value);
  g_ptr_array_add (names, copy);
  g_hash_table_insert (ids, copy, GINT_TO_POINTER (names->len));
  return names->len - 1;
}

static void
add_token (const char *token, gsize len, gpointer user_data)
{
  TlCsvTable *t = user_data;
  guint id = tl_string_ids_lookup (t->word_ids, token, len, TRUE) - 1;

  if (id == t->words->len)
    g_ptr_array_add (t->words, (gpointer) tl_string_ids_text (t->word_ids, id + 1));
  g_array_append_val (t->tokens, id);
}

static char *
snippet (const char *text)
{
  const char *end = text;

  for (int i = 0; i < SNIPPET_CHARS && *end != '\0'; i++)
    end = g_utf8_next_char (end);
  return g_strndup (text, end - text);
}

static char *
row_snippet (const TlCsvRecord *rec, char delimiter)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autofree char *text = NULL;

  for (guint i = 0; i < rec->n_fields && s->len < SNIPPET_CHARS * 4; i++)
    {
      if (i > 0)
        g_string_append_c (s, delimiter);
      g_string_append (s, rec->fields[i]);
    }
  text = g_string_free (g_steal_pointer (&s), FALSE);
  return snippet (text);
}

static gboolean
add_record (TlCsvTable *t, const TlCsvRecord *rec, const TlImportSettings *s, gboolean fixed_labels,
            GError **error)
{
  guint n_features = t->feature_cols->len;
  g_autofree double *row = NULL;
  int label = -1, imputed = 0;

  t->rows_read++;
  if ((int) rec->n_fields != t->n_cols)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   g_dngettext (GETTEXT_PACKAGE, "%s:%d: expected %d field, found %u",
                                "%s:%d: expected %d fields, found %u", t->n_cols),
                   t->path, rec->line, t->n_cols, rec->n_fields);
      return FALSE;
    }
  if (t->label_col >= 0)
    {
      char *value = rec->fields[t->label_col];

      if (*g_strstrip (value) == '\0')
        {
          reject (t, rec->line, g_strdup (_("no label")));
          return TRUE;
        }
      if (fixed_labels)
        {
          gpointer found = g_hash_table_lookup (t->label_ids, value);

          label = found != NULL ? GPOINTER_TO_INT (found) - 1 : -1;
        }
      else if (!g_hash_table_contains (t->label_ids, value)
               && t->label_names->len >= TL_IMPORT_MAX_CLASSES)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                       _("%s:%d: column '%s' has more than %d distinct values: is it really the label column?"),
                       t->path, rec->line, t->names[t->label_col], TL_IMPORT_MAX_CLASSES);
          return FALSE;
        }
    }

  row = g_new (double, MAX (n_features, 1));
  for (guint j = 0; j < n_features; j++)
    {
      int c = g_array_index (t->feature_cols, int, j);
      const char *value = rec->fields[c];
      gboolean missing = tl_csv_is_missing (value);

      if (missing && s->missing == TL_MISSING_REJECT)
        {
          reject (t, rec->line, g_strdup_printf (_("column '%s' is missing"), t->names[c]));
          return TRUE;
        }
      if (t->types[c] == TL_COLUMN_NUMERIC)
        {
          row[j] = NAN;
          if (!missing && !tl_csv_parse_number (value, &row[j]))
            {
              g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                           _("%s:%d: column '%s': expected a number, found '%s'"),
                           t->path, rec->line, t->names[c], value);
              return FALSE;
            }
          if (!missing && !isfinite (row[j]))
            {
              reject (t, rec->line, g_strdup_printf (_("column '%s' holds %s"), t->names[c],
                                                     isnan (row[j]) ? "NaN" : "Inf"));
              return TRUE;
            }
        }
      else
        row[j] = missing ? -1 : intern (g_ptr_array_index (t->categories, j),
                                        g_ptr_array_index (t->category_ids, j), value);
      imputed += missing;
    }

  if (t->label_col >= 0 && !fixed_labels)
    label = intern (t->label_names, t->label_ids, rec->fields[t->label_col]);
  for (guint j = 0; j < n_features; j++)
    if (isnan (row[j]) || (t->types[g_array_index (t->feature_cols, int, j)] == TL_COLUMN_CATEGORICAL && row[j] < 0))
      t->had_missing[j] = TRUE;
  t->values_imputed += imputed;
  g_array_append_vals (t->values, row, n_features);
  g_array_append_val (t->lines, rec->line);
  g_array_append_val (t->labels, label);
  if (t->text_col >= 0)
    {
      tl_tokenize (rec->fields[t->text_col], rec->lengths[t->text_col], add_token, t);
      g_ptr_array_add (t->snippets, snippet (rec->fields[t->text_col]));
    }
  else
    g_ptr_array_add (t->snippets, row_snippet (rec, t->delimiter));
  g_array_append_val (t->token_start, (gsize) { t->tokens->len });
  t->n_rows++;
  return TRUE;
}

/* Bytes the reader will consume: the file's size, or a gzip file's recorded
 * uncompressed size (modulo 4 GiB, so only an estimate). */
static guint64
input_size (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, NULL);
  g_autoptr (GFileInfo) info = NULL;
  guint8 magic[2] = { 0 }, tail[4];
  guint64 size, isize;

  if (in == NULL || (info = g_file_input_stream_query_info (in, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL)) == NULL)
    return 0;
  size = (guint64) g_file_info_get_size (info);
  if (size < 18 || !g_input_stream_read_all (G_INPUT_STREAM (in), magic, 2, NULL, NULL, NULL)
      || magic[0] != 0x1f || magic[1] != 0x8b
      || !g_seekable_seek (G_SEEKABLE (in), -4, G_SEEK_END, NULL, NULL)
      || !g_input_stream_read_all (G_INPUT_STREAM (in), tail, 4, NULL, NULL, NULL))
    return size;
  isize = (guint64) tail[0] | (guint64) tail[1] << 8 | (guint64) tail[2] << 16 | (guint64) tail[3] << 24;
  return MAX (isize, size);
}

static gboolean
read_rows (TlCsvTable *t, TlCsvReader *reader, TlCsvRecord **sample, guint n_sample, guint first,
           const TlImportSettings *s, gboolean fixed_labels, TlImportProgress *progress, GError **error)
{
  const TlCsvRecord *rec;
  GError *read_error = NULL;
  guint64 size = progress != NULL ? input_size (tl_csv_reader_get_path (reader)) : 0;
  guint n = 0;

  for (guint i = first; i < n_sample; i++)
    if (!add_record (t, sample[i], s, fixed_labels, error))
      return FALSE;
  while ((rec = tl_csv_reader_next (reader, &read_error)) != NULL)
    {
      if (!add_record (t, rec, s, fixed_labels, error))
        return FALSE;
      if (size > 0 && ++n % 256 == 0)
        tl_import_progress_report (progress, (double) tl_csv_reader_get_position (reader) / size);
    }
  if (read_error != NULL)
    {
      g_propagate_error (error, read_error);
      return FALSE;
    }
  return TRUE;
}

/* Opens `path` and reads its first records into `sample`. */
static TlCsvReader *
open_with_sample (const char *path, const TlImportSettings *s, GPtrArray *sample, GError **error)
{
  g_autoptr (TlCsvReader) reader = NULL;
  const TlCsvRecord *rec;
  GError *read_error = NULL;

  reader = tl_csv_reader_open (path, s->delimiter, error);
  if (reader == NULL)
    return NULL;
  while (sample->len < SAMPLE_RECORDS && (rec = tl_csv_reader_next (reader, &read_error)) != NULL)
    g_ptr_array_add (sample, tl_csv_record_copy (rec));
  if (read_error != NULL)
    {
      g_propagate_error (error, read_error);
      return NULL;
    }
  if (sample->len == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: the file holds no records"), path);
      return NULL;
    }
  return g_steal_pointer (&reader);
}

static gboolean
decide_header (const TlImportSettings *s, GPtrArray *sample)
{
  if (s->header == TL_CSV_HEADER_YES)
    return TRUE;
  if (s->header == TL_CSV_HEADER_NO)
    return FALSE;
  return tl_csv_looks_like_header ((TlCsvRecord *const *) sample->pdata, MIN (sample->len, 50));
}

TlCsvTable *
tl_csv_table_read (const char *path, const TlImportSettings *s, const TlPreprocess *pre,
                   GError **error)
{
  return tl_csv_table_read_with_progress (path, s, pre, NULL, error);
}

TlCsvTable *
tl_csv_table_read_with_progress (const char *path, const TlImportSettings *s, const TlPreprocess *pre,
                                 TlImportProgress *progress, GError **error)
{
  g_autoptr (TlCsvTable) t = NULL;
  g_autoptr (TlCsvReader) reader = NULL;
  g_autoptr (GPtrArray) sample = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_csv_record_free);
  TlCsvRecord *first;
  guint skip;

  g_return_val_if_fail (path != NULL && s != NULL, NULL);

  t = table_new (path);
  reader = open_with_sample (path, s, sample, error);
  if (reader == NULL)
    return NULL;
  t->delimiter = tl_csv_reader_get_delimiter (reader);
  t->has_header = pre != NULL ? TRUE : decide_header (s, sample);
  first = g_ptr_array_index (sample, 0);
  t->n_cols = first->n_fields;
  t->names = g_new0 (char *, t->n_cols + 1);
  t->types = g_new0 (TlColumnType, t->n_cols);
  for (int c = 0; c < t->n_cols; c++)
    t->names[c] = t->has_header ? g_strdup (first->fields[c]) : g_strdup_printf ("column%d", c + 1);
  skip = t->has_header ? 1 : 0;
  for (int c = 0; c < t->n_cols; c++)
    t->types[c] = infer_type ((TlCsvRecord **) sample->pdata + skip, sample->len - skip, c);

  if (pre != NULL)
    {
      if (!layout_from_preprocess (t, pre, error))
        return NULL;
      for (guint i = 0; pre->class_names[i] != NULL; i++)
        intern (t->label_names, t->label_ids, pre->class_names[i]);
    }
  else if (!resolve_label (t, s, error) || !apply_type_overrides (t, s, error)
           || !resolve_roles (t, s, error))
    return NULL;
  setup_feature_storage (t);

  if (!read_rows (t, reader, (TlCsvRecord **) sample->pdata, sample->len, skip, s, pre != NULL, progress, error))
    return NULL;
  if (t->rows_read == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: the file holds a header but no rows"), path);
      return NULL;
    }
  t->n_main = t->n_rows;
  return g_steal_pointer (&t);
}

gboolean
tl_csv_table_append (TlCsvTable *t, const char *path, const TlImportSettings *s, GError **error)
{
  return tl_csv_table_append_with_progress (t, path, s, NULL, error);
}

gboolean
tl_csv_table_append_with_progress (TlCsvTable *t, const char *path, const TlImportSettings *s,
                                   TlImportProgress *progress, GError **error)
{
  g_autoptr (TlCsvReader) reader = NULL;
  g_autoptr (GPtrArray) sample = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_csv_record_free);
  g_autofree char *main_path = NULL;
  gboolean ok;

  g_return_val_if_fail (t != NULL && path != NULL, FALSE);

  reader = open_with_sample (path, s, sample, error);
  if (reader == NULL)
    return FALSE;
  main_path = t->path;
  t->path = g_strdup (path);
  ok = read_rows (t, reader, (TlCsvRecord **) sample->pdata, sample->len, t->has_header ? 1 : 0,
                  s, FALSE, progress, error);
  g_free (t->path);
  t->path = g_steal_pointer (&main_path);
  return ok;
}

static int
compare_labels (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const char *x = *(char *const *) a, *y = *(char *const *) b;
  gboolean numeric = GPOINTER_TO_INT (user_data);

  if (numeric)
    {
      double u = g_ascii_strtod (x, NULL), v = g_ascii_strtod (y, NULL);

      if (u != v)
        return u < v ? -1 : 1;
    }
  return strcmp (x, y);
}

void
tl_csv_table_sort_labels (TlCsvTable *t)
{
  g_autofree int *remap = NULL;
  gboolean numeric = TRUE;
  guint n = t->label_names->len;

  for (guint i = 0; i < n; i++)
    if (!tl_csv_parse_number (g_ptr_array_index (t->label_names, i), NULL))
      numeric = FALSE;
  g_ptr_array_sort_with_data (t->label_names, compare_labels, GINT_TO_POINTER (numeric));
  remap = g_new (int, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      const char *name = g_ptr_array_index (t->label_names, i);

      remap[GPOINTER_TO_INT (g_hash_table_lookup (t->label_ids, name)) - 1] = i;
    }
  for (guint i = 0; i < n; i++)
    g_hash_table_insert (t->label_ids, g_ptr_array_index (t->label_names, i), GINT_TO_POINTER (i + 1));
  for (int r = 0; r < t->n_rows; r++)
    {
      int *label = &g_array_index (t->labels, int, r);

      if (*label >= 0)
        *label = remap[*label];
    }
}
