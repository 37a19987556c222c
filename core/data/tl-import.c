#define G_LOG_DOMAIN "tl-import"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-idx.h"
#include "tl-image-folder.h"
#include "tl-csv-table.h"

/* Settings */

TlImportSettings *
tl_import_settings_new (void)
{
  TlImportSettings *s = g_new0 (TlImportSettings, 1);

  s->header = TL_CSV_HEADER_AUTO;
  s->missing = TL_MISSING_IMPUTE;
  s->max_len = 200;
  s->vocab_size = 20000;
  s->min_freq = 1;
  s->padding = TL_PAD_PRE;
  s->truncating = TL_PAD_PRE;
  tl_ngram_settings_init (&s->ngrams);
  tl_audio_settings_init (&s->audio);
  tl_audio_augment_init (&s->audio_augment);
  s->seed = 42;
  s->val_fraction = 0.1;
  s->test_fraction = 0.1;
  return s;
}

void
tl_import_settings_free (TlImportSettings *s)
{
  if (s == NULL)
    return;
  g_free (s->label_column);
  g_free (s->text_column);
  g_strfreev (s->feature_columns);
  g_strfreev (s->column_types);
  g_free (s->labels_path);
  g_free (s->path_column);
  g_strfreev (s->classes);
  g_free (s->test_path);
  g_clear_pointer (&s->fit_documents, g_ptr_array_unref);
  g_free (s);
}

static const char *const format_names[] = { "auto", "csv", "idx", "images", "audio" };
static const char *const header_names[] = { "auto", "yes", "no" };
static const char *const missing_names[] = { "impute", "reject" };
static const char *const text_feature_names[] = { "sequence", "ngrams" };

static void
member_string (JsonBuilder *b, const char *name, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
member_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
member_strv (JsonBuilder *b, const char *name, char **strv)
{
  if (strv == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; strv[i] != NULL; i++)
    json_builder_add_string_value (b, strv[i]);
  json_builder_end_array (b);
}

JsonNode *
tl_import_settings_to_json (const TlImportSettings *s)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  char delimiter[2] = { s->delimiter, 0 };

  g_return_val_if_fail (s != NULL, NULL);

  json_builder_begin_object (b);
  member_string (b, "format", format_names[s->format]);
  if (s->delimiter != 0)
    member_string (b, "delimiter", delimiter);
  member_string (b, "header", header_names[s->header]);
  member_string (b, "label_column", s->label_column);
  member_string (b, "text_column", s->text_column);
  member_strv (b, "feature_columns", s->feature_columns);
  member_strv (b, "column_types", s->column_types);
  member_string (b, "missing", missing_names[s->missing]);
  member_int (b, "max_len", s->max_len);
  member_int (b, "vocab_size", s->vocab_size);
  member_int (b, "min_freq", s->min_freq);
  member_string (b, "padding", tl_pad_side_to_string (s->padding));
  member_string (b, "truncating", tl_pad_side_to_string (s->truncating));
  member_string (b, "text_features", text_feature_names[s->text_features]);
  if (s->text_features == TL_TEXT_NGRAMS)
    {
      member_int (b, "ngram_max", s->ngrams.ngram_max);
      member_int (b, "ngram_max_features", s->ngrams.max_features);
      member_int (b, "ngram_min_df", s->ngrams.min_df);
      member_int (b, "ngram_hash_size", s->ngrams.hash_size);
      member_int (b, "ngram_char_min", s->ngrams.char_min);
      member_int (b, "ngram_char_max", s->ngrams.char_max);
      member_int (b, "ngram_char_max_features", s->ngrams.char_max_features);
      json_builder_set_member_name (b, "ngram_sublinear_tf");
      json_builder_add_boolean_value (b, s->ngrams.sublinear_tf);
    }
  member_int (b, "image_width", s->image_width);
  member_int (b, "image_height", s->image_height);
  member_int (b, "channels", s->channels);
  if (s->format == TL_SOURCE_AUDIO)
    {
      member_string (b, "path_column", s->path_column);
      json_builder_set_member_name (b, "audio");
      json_builder_begin_object (b);
      tl_audio_settings_to_json_members (&s->audio, b);
      json_builder_end_object (b);
      if (s->audio_augment.copies > 0)
        {
          json_builder_set_member_name (b, "audio_augment");
          json_builder_add_value (b, tl_audio_augment_to_json (&s->audio_augment));
        }
    }
  member_string (b, "labels_path", s->labels_path);
  member_strv (b, "classes", s->classes);
  member_int (b, "per_class", s->per_class);
  member_int (b, "seed", (gint64) s->seed);
  json_builder_set_member_name (b, "val_fraction");
  json_builder_add_double_value (b, s->val_fraction);
  json_builder_set_member_name (b, "test_fraction");
  json_builder_add_double_value (b, s->test_fraction);
  member_string (b, "test_path", s->test_path);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static int
pick_name (const char *const *names, guint n, const char *value, int fallback)
{
  for (guint i = 0; value != NULL && i < n; i++)
    if (strcmp (names[i], value) == 0)
      return i;
  return value == NULL ? fallback : -1;
}

static char **
strv_member (JsonObject *o, const char *name)
{
  JsonArray *a;
  GPtrArray *out;

  if (!json_object_has_member (o, name) || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, name)))
    return NULL;
  a = json_object_get_array_member (o, name);
  out = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (a); i++)
    if (json_node_get_value_type (json_array_get_element (a, i)) == G_TYPE_STRING)
      g_ptr_array_add (out, g_strdup (json_array_get_string_element (a, i)));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static char *
string_member (JsonObject *o, const char *name)
{
  return g_strdup (json_object_get_string_member_with_default (o, name, NULL));
}

TlImportSettings *
tl_import_settings_from_json (JsonNode *node, GError **error)
{
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  JsonObject *o;
  int format, header, missing, text_features;
  const char *delimiter;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("import settings: not an object"));
      return NULL;
    }
  o = json_node_get_object (node);
  format = pick_name (format_names, G_N_ELEMENTS (format_names),
                      json_object_get_string_member_with_default (o, "format", NULL), 0);
  header = pick_name (header_names, G_N_ELEMENTS (header_names),
                      json_object_get_string_member_with_default (o, "header", NULL), 0);
  missing = pick_name (missing_names, G_N_ELEMENTS (missing_names),
                       json_object_get_string_member_with_default (o, "missing", NULL), 0);
  text_features = pick_name (text_feature_names, G_N_ELEMENTS (text_feature_names),
                             json_object_get_string_member_with_default (o, "text_features", NULL), 0);
  delimiter = json_object_get_string_member_with_default (o, "delimiter", "");
  if (format < 0 || header < 0 || missing < 0 || text_features < 0 || strlen (delimiter) > 1
      || !tl_pad_side_from_string (json_object_get_string_member_with_default (o, "padding", "pre"), &s->padding)
      || !tl_pad_side_from_string (json_object_get_string_member_with_default (o, "truncating", "pre"), &s->truncating))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("import settings: an unknown value"));
      return NULL;
    }
  s->format = format;
  s->header = header;
  s->missing = missing;
  s->text_features = text_features;
  s->ngrams.ngram_max = json_object_get_int_member_with_default (o, "ngram_max", s->ngrams.ngram_max);
  s->ngrams.max_features = json_object_get_int_member_with_default (o, "ngram_max_features", s->ngrams.max_features);
  s->ngrams.min_df = json_object_get_int_member_with_default (o, "ngram_min_df", s->ngrams.min_df);
  s->ngrams.hash_size = json_object_get_int_member_with_default (o, "ngram_hash_size", s->ngrams.hash_size);
  s->ngrams.char_min = json_object_get_int_member_with_default (o, "ngram_char_min", s->ngrams.char_min);
  s->ngrams.char_max = json_object_get_int_member_with_default (o, "ngram_char_max", s->ngrams.char_max);
  s->ngrams.char_max_features = json_object_get_int_member_with_default (o, "ngram_char_max_features",
                                                                         s->ngrams.char_max_features);
  s->ngrams.sublinear_tf = json_object_get_boolean_member_with_default (o, "ngram_sublinear_tf", TRUE);
  if (s->text_features == TL_TEXT_NGRAMS
      && !tl_ngram_settings_resolve (&s->ngrams, json_object_has_member (o, "ngram_char_max"), error))
    return NULL;
  s->delimiter = delimiter[0];
  s->label_column = string_member (o, "label_column");
  s->text_column = string_member (o, "text_column");
  s->feature_columns = strv_member (o, "feature_columns");
  s->column_types = strv_member (o, "column_types");
  s->max_len = json_object_get_int_member_with_default (o, "max_len", s->max_len);
  s->vocab_size = json_object_get_int_member_with_default (o, "vocab_size", s->vocab_size);
  s->min_freq = json_object_get_int_member_with_default (o, "min_freq", s->min_freq);
  s->image_width = json_object_get_int_member_with_default (o, "image_width", 0);
  s->image_height = json_object_get_int_member_with_default (o, "image_height", 0);
  s->channels = json_object_get_int_member_with_default (o, "channels", 0);
  s->labels_path = string_member (o, "labels_path");
  s->path_column = string_member (o, "path_column");
  if (json_object_has_member (o, "audio"))
    {
      JsonNode *audio = json_object_get_member (o, "audio");
      g_autoptr (GError) local = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (audio)
          || !tl_audio_settings_from_json_object (&s->audio, json_node_get_object (audio), &local))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("import settings: %s"),
                       local != NULL ? local->message : _("'audio' is not an object"));
          return NULL;
        }
    }
  if (json_object_has_member (o, "audio_augment")
      && !tl_audio_augment_from_json (&s->audio_augment, json_object_get_member (o, "audio_augment"), error))
    return NULL;
  s->classes = strv_member (o, "classes");
  s->per_class = json_object_get_int_member_with_default (o, "per_class", 0);
  s->seed = json_object_get_int_member_with_default (o, "seed", (gint64) s->seed);
  s->val_fraction = json_object_get_double_member_with_default (o, "val_fraction", s->val_fraction);
  s->test_fraction = json_object_get_double_member_with_default (o, "test_fraction", s->test_fraction);
  s->test_path = string_member (o, "test_path");
  if (s->max_len < 0 || s->max_len > 1 << 20 || s->vocab_size < 0 || s->per_class < 0
      || s->image_width < 0 || s->image_height < 0 || s->channels < 0 || s->channels > 3)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("import settings: a size out of range"));
      return NULL;
    }
  return g_steal_pointer (&s);
}

/* Report */

static void
column_report_free (gpointer data)
{
  TlColumnReport *c = data;

  g_free (c->name);
  g_free (c);
}

TlImportReport *
tl_import_report_new (const char *path, const char *format)
{
  TlImportReport *r = g_new0 (TlImportReport, 1);

  r->path = g_strdup (path);
  r->format = format;
  r->rejected = g_array_new (FALSE, TRUE, sizeof (TlRejectedRow));
  r->columns = g_ptr_array_new_with_free_func (column_report_free);
  return r;
}

void
tl_import_report_free (TlImportReport *r)
{
  if (r == NULL)
    return;
  g_free (r->path);
  for (guint i = 0; i < r->rejected->len; i++)
    g_free (g_array_index (r->rejected, TlRejectedRow, i).reason);
  g_array_unref (r->rejected);
  g_ptr_array_unref (r->columns);
  g_strfreev (r->class_names);
  g_free (r->class_counts);
  tl_audio_report_free (r->audio);
  g_free (r);
}

JsonNode *
tl_import_report_to_json (const TlImportReport *r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (r != NULL, NULL);

  json_builder_begin_object (b);
  member_string (b, "path", r->path);
  member_string (b, "format", r->format);
  if (r->delimiter != 0)
    {
      char d[2] = { r->delimiter, 0 };

      member_string (b, "delimiter", d);
      json_builder_set_member_name (b, "header");
      json_builder_add_boolean_value (b, r->has_header);
    }
  member_int (b, "rows_read", r->rows_read);
  member_int (b, "rows_rejected", r->rows_rejected);
  member_int (b, "values_imputed", r->values_imputed);
  json_builder_set_member_name (b, "rejected");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->rejected->len; i++)
    {
      const TlRejectedRow *row = &g_array_index (r->rejected, TlRejectedRow, i);

      json_builder_begin_object (b);
      member_int (b, "line", row->line);
      member_string (b, "reason", row->reason);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "columns");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->columns->len; i++)
    {
      const TlColumnReport *c = g_ptr_array_index (r->columns, i);

      json_builder_begin_object (b);
      member_string (b, "name", c->name);
      member_string (b, "type", tl_column_type_to_string (c->type));
      member_string (b, "role", c->role);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "classes");
  json_builder_begin_array (b);
  for (int c = 0; c < r->n_classes; c++)
    {
      json_builder_begin_object (b);
      member_string (b, "name", r->class_names[c]);
      member_int (b, "count", r->class_counts[c]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "imbalance_ratio");
  json_builder_add_double_value (b, r->imbalance);
  member_int (b, "rows", r->n_rows);
  json_builder_set_member_name (b, "split");
  json_builder_begin_object (b);
  member_int (b, "train", r->n_train);
  member_int (b, "val", r->n_val);
  member_int (b, "test", r->n_test);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "sample_shape");
  json_builder_begin_array (b);
  for (int d = 0; d < r->sample_ndim; d++)
    json_builder_add_int_value (b, r->sample_shape[d]);
  json_builder_end_array (b);
  if (r->vocab_size > 0)
    {
      member_int (b, "vocab_size", r->vocab_size);
      member_int (b, "max_len", r->max_len);
    }
  if (r->audio != NULL)
    {
      json_builder_set_member_name (b, "audio");
      json_builder_add_value (b, tl_audio_report_to_json (r->audio));
    }
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, r->seconds);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
tl_import_report_to_text (const TlImportReport *r)
{
  GString *s = g_string_new (NULL);
  g_autofree char *shape = NULL;

  g_return_val_if_fail (r != NULL, NULL);

  g_string_append_printf (s, _("File: %s (%s)\n"), r->path, r->format);
  g_string_append_printf (s, _("Rows read: %d, rejected: %d, values imputed: %d\n"),
                          r->rows_read, r->rows_rejected, r->values_imputed);
  for (guint i = 0; i < r->rejected->len; i++)
    {
      const TlRejectedRow *row = &g_array_index (r->rejected, TlRejectedRow, i);

      g_string_append_printf (s, _("  rejected: line %d: %s\n"), row->line, row->reason);
    }
  if (r->columns->len > 0)
    {
      g_string_append_printf (s, _("Columns (delimiter '%s', %s):\n"),
                              r->delimiter == '\t' ? "\\t" : (char[2]) { r->delimiter, 0 },
                              r->has_header ? _("with a header") : _("no header"));
      for (guint i = 0; i < r->columns->len; i++)
        {
          const TlColumnReport *c = g_ptr_array_index (r->columns, i);

          g_string_append_printf (s, "  %-24s %-12s %s\n", c->name, tl_column_type_to_string (c->type), c->role);
        }
    }
  g_string_append_printf (s, _("Classes: %d (imbalance ratio %.2f)\n"), r->n_classes, r->imbalance);
  for (int c = 0; c < r->n_classes; c++)
    g_string_append_printf (s, "  %-24s %d\n", r->class_names[c], r->class_counts[c]);
  if (r->imbalance > 3.0)
    g_string_append_printf (s, _("Warning: the classes are imbalanced (largest over smallest: %.1f)\n"), r->imbalance);
  shape = tl_tensor_shape_string (r->sample_ndim, r->sample_shape);
  g_string_append_printf (s, _("Samples: %d of shape %s; train %d, validation %d, test %d\n"),
                          r->n_rows, shape, r->n_train, r->n_val, r->n_test);
  if (r->vocab_size > 0)
    g_string_append_printf (s, _("Vocabulary: %d ids; sequences of %d tokens\n"), r->vocab_size, r->max_len);
  if (r->audio != NULL)
    tl_audio_report_append_text (r->audio, s);
  return g_string_free (s, FALSE);
}

void
tl_import_free (TlImport *import)
{
  if (import == NULL)
    return;
  tl_dataset_free (import->dataset);
  tl_split_free (import->split);
  tl_preprocess_free (import->preprocess);
  tl_import_report_free (import->report);
  g_free (import);
}

gboolean
tl_import_check_path (const char *path, GError **error)
{
  if (path != NULL && *path != '\0')
    return TRUE;
  g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("no data file or folder was given"));
  return FALSE;
}

TlSourceFormat
tl_import_guess_format (const char *path)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (path != NULL, TL_SOURCE_CSV);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return tl_audio_folder_detect (path) ? TL_SOURCE_AUDIO : TL_SOURCE_IMAGE_FOLDER;
  if (tl_is_audio_file_name (path))
    return TL_SOURCE_AUDIO;
  lower = g_ascii_strdown (path, -1);
  if (strstr (lower, "idx1") != NULL || strstr (lower, "idx3") != NULL || g_str_has_suffix (lower, ".idx")
      || g_str_has_suffix (lower, ".idx.gz") || tl_idx_sniff (path))
    return TL_SOURCE_IDX;
  return TL_SOURCE_CSV;
}
