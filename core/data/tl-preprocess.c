#define G_LOG_DOMAIN "tl-preprocess"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tl-csv.h"
#include "tl-error.h"
#include "tl-preprocess.h"

static const char *const kind_names[] = { "tabular", "image", "text", "audio" };

const char *
tl_column_type_to_string (TlColumnType type)
{
  switch (type)
    {
    case TL_COLUMN_NUMERIC:
      return "numeric";
    case TL_COLUMN_CATEGORICAL:
      return "categorical";
    case TL_COLUMN_TEXT:
    default:
      return "text";
    }
}

gboolean
tl_column_type_from_string (const char *text, TlColumnType *type)
{
  g_return_val_if_fail (text != NULL, FALSE);

  if (g_ascii_strcasecmp (text, "numeric") == 0)
    *type = TL_COLUMN_NUMERIC;
  else if (g_ascii_strcasecmp (text, "categorical") == 0)
    *type = TL_COLUMN_CATEGORICAL;
  else if (g_ascii_strcasecmp (text, "text") == 0)
    *type = TL_COLUMN_TEXT;
  else
    return FALSE;
  return TRUE;
}

static void
feature_column_free (gpointer data)
{
  TlFeatureColumn *column = data;

  g_free (column->name);
  g_strfreev (column->categories);
  g_free (column);
}

TlPreprocess *
tl_preprocess_new (TlDataKind kind)
{
  TlPreprocess *pre = g_new0 (TlPreprocess, 1);

  pre->kind = kind;
  pre->columns = g_ptr_array_new_with_free_func (feature_column_free);
  pre->class_names = g_new0 (char *, 1);
  tl_audio_settings_init (&pre->audio);
  return pre;
}

void
tl_preprocess_free (TlPreprocess *pre)
{
  if (pre == NULL)
    return;
  g_free (pre->label_column);
  g_strfreev (pre->class_names);
  g_ptr_array_unref (pre->columns);
  g_free (pre->text_column);
  tl_vocab_free (pre->vocab);
  tl_ngram_features_free (pre->ngrams);
  g_free (pre->audio_mean);
  g_free (pre->audio_std);
  g_free (pre->image_mean);
  g_free (pre->image_std);
  g_free (pre);
}

TlFeatureColumn *
tl_preprocess_add_column (TlPreprocess *pre, const char *name, TlColumnType type)
{
  TlFeatureColumn *column;

  g_return_val_if_fail (pre != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  column = g_new0 (TlFeatureColumn, 1);
  column->name = g_strdup (name);
  column->type = type;
  column->std = 1.0;
  column->categories = g_new0 (char *, 1);
  g_ptr_array_add (pre->columns, column);
  return column;
}

int
tl_feature_column_width (const TlFeatureColumn *column)
{
  g_return_val_if_fail (column != NULL, 0);

  if (column->type == TL_COLUMN_NUMERIC)
    return column->missing_indicator ? 2 : 1;
  if (column->type == TL_COLUMN_CATEGORICAL)
    return g_strv_length (column->categories);
  return 0;
}

int
tl_preprocess_vocab_size (const TlPreprocess *pre)
{
  g_return_val_if_fail (pre != NULL, 0);
  if (pre->ngrams != NULL)
    return pre->ngrams->n_ids;
  return pre->vocab != NULL ? (int) tl_vocab_size (pre->vocab) : 0;
}

int
tl_preprocess_feature_count (const TlPreprocess *pre)
{
  int n = 0;

  g_return_val_if_fail (pre != NULL, 0);

  switch (pre->kind)
    {
    case TL_DATA_TEXT:
      return pre->ngrams != NULL ? 2 * pre->ngrams->settings.max_terms : pre->max_len;
    case TL_DATA_IMAGE:
      return pre->channels * pre->height * pre->width;
    case TL_DATA_AUDIO:
      return tl_audio_settings_bands (&pre->audio) * tl_audio_settings_frames (&pre->audio);
    case TL_DATA_TABULAR:
    default:
      for (guint i = 0; i < pre->columns->len; i++)
        n += tl_feature_column_width (g_ptr_array_index (pre->columns, i));
      return n;
    }
}

int
tl_preprocess_sample_shape (const TlPreprocess *pre, int *shape)
{
  g_return_val_if_fail (pre != NULL, 0);
  g_return_val_if_fail (shape != NULL, 0);

  if (pre->kind == TL_DATA_IMAGE)
    {
      shape[0] = pre->channels;
      shape[1] = pre->height;
      shape[2] = pre->width;
      return 3;
    }
  if (pre->kind == TL_DATA_AUDIO)
    {
      shape[0] = 1;
      shape[1] = tl_audio_settings_bands (&pre->audio);
      shape[2] = tl_audio_settings_frames (&pre->audio);
      return 3;
    }
  if (pre->kind == TL_DATA_TEXT && pre->ngrams != NULL)
    {
      shape[0] = 2;
      shape[1] = pre->ngrams->settings.max_terms;
      return 2;
    }
  shape[0] = tl_preprocess_feature_count (pre);
  return 1;
}

char **
tl_preprocess_feature_names (const TlPreprocess *pre)
{
  GPtrArray *names = g_ptr_array_new ();

  g_return_val_if_fail (pre != NULL, NULL);

  for (guint i = 0; i < pre->columns->len; i++)
    {
      const TlFeatureColumn *column = g_ptr_array_index (pre->columns, i);

      if (column->type == TL_COLUMN_NUMERIC)
        {
          g_ptr_array_add (names, g_strdup (column->name));
          if (column->missing_indicator)
            g_ptr_array_add (names, g_strdup_printf (_("%s (missing)"), column->name));
        }
      else if (column->type == TL_COLUMN_CATEGORICAL)
        for (guint c = 0; column->categories[c] != NULL; c++)
          g_ptr_array_add (names, g_strdup_printf ("%s=%s", column->name, column->categories[c]));
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

void
tl_preprocess_encode_number (const TlFeatureColumn *column, double value, float *out)
{
  gboolean missing = isnan (value);

  out[0] = missing ? 0.0f : (float) ((value - column->mean) / column->std);
  if (column->missing_indicator)
    out[1] = missing ? 1.0f : 0.0f;
}

static int
compare_category (const void *key, const void *member)
{
  return strcmp (key, *(char *const *) member);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
tl_preprocess_category_index (const TlFeatureColumn *column, const char *value)
{
  char **found;

  g_return_val_if_fail (column != NULL, -1);

  if (value == NULL)
    return -1;
  found = bsearch (value, column->categories, g_strv_length (column->categories), sizeof (char *),
                   compare_category);
  return found != NULL ? (int) (found - column->categories) : -1;
}

gboolean
tl_preprocess_encode_values (const TlPreprocess *pre, const char *const *values, float *out,
                             GError **error)
{
  int at = 0;

  g_return_val_if_fail (pre != NULL, FALSE);
  g_return_val_if_fail (values != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  for (guint i = 0; i < pre->columns->len; i++)
    {
      const TlFeatureColumn *column = g_ptr_array_index (pre->columns, i);
      const char *value = values[i];
      gboolean missing = value == NULL || tl_csv_is_missing (value);
      int width = tl_feature_column_width (column);

      if (column->type == TL_COLUMN_NUMERIC)
        {
          double v = NAN;

          if (!missing && !tl_csv_parse_number (value, &v))
            {
              g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                           _("column '%s': expected a number, found '%s'"), column->name, value);
              return FALSE;
            }
          if (!missing && !isfinite (v))
            {
              g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                           _("column '%s': %s is not a usable value"), column->name, value);
              return FALSE;
            }
          tl_preprocess_encode_number (column, v, out + at);
        }
      else if (column->type == TL_COLUMN_CATEGORICAL)
        {
          int index = missing ? -1 : tl_preprocess_category_index (column, value);

          memset (out + at, 0, sizeof (float) * width);
          if (index >= 0)
            out[at + index] = 1.0f;
        }
      at += width;
    }
  return TRUE;
}

gboolean
tl_preprocess_encode_audio (const TlPreprocess *pre, const char *path, float *out, GError **error)
{
  g_autoptr (TlAudioFeatures) features = NULL;
  g_autofree float *x = NULL;
  g_autofree float *clip = NULL;
  gsize n = 0;
  int bands, frames;

  g_return_val_if_fail (pre != NULL && pre->kind == TL_DATA_AUDIO, FALSE);
  g_return_val_if_fail (path != NULL && out != NULL, FALSE);

  features = tl_audio_features_new (&pre->audio, error);
  if (features == NULL)
    return FALSE;
  x = tl_audio_file_read (path, pre->audio.rate, &n, NULL, error);
  if (x == NULL)
    return FALSE;
  clip = g_new (float, pre->audio.n_samples);
  tl_audio_settings_fit (&pre->audio, x, n, clip);
  tl_audio_features_compute (features, clip, pre->audio.n_samples, out);
  bands = tl_audio_settings_bands (&pre->audio);
  frames = tl_audio_settings_frames (&pre->audio);
  if (pre->audio_mean != NULL && pre->audio_std != NULL)
    for (int b = 0; b < bands; b++)
      for (int t = 0; t < frames; t++)
        out[(gsize) b * frames + t] = (float) ((out[(gsize) b * frames + t] - pre->audio_mean[b]) / pre->audio_std[b]);
  return TRUE;
}

void
tl_preprocess_encode_text (const TlPreprocess *pre, const char *text, float *out)
{
  g_return_if_fail (pre != NULL && (pre->vocab != NULL || pre->ngrams != NULL));

  if (pre->ngrams != NULL)
    {
      tl_ngram_encode_text (pre->ngrams, text, out);
      return;
    }
  tl_vocab_encode (pre->vocab, text, pre->max_len, pre->padding, pre->truncating, out);
}

/* JSON */

static void
add_strv (JsonBuilder *b, const char *name, char **strv)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (b, strv[i]);
  json_builder_end_array (b);
}

JsonNode *
tl_preprocess_to_json (const TlPreprocess *pre)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (pre != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, kind_names[pre->kind]);
  if (pre->label_column != NULL)
    {
      json_builder_set_member_name (b, "label_column");
      json_builder_add_string_value (b, pre->label_column);
    }
  add_strv (b, "class_names", pre->class_names);

  if (pre->kind == TL_DATA_TABULAR)
    {
      json_builder_set_member_name (b, "columns");
      json_builder_begin_array (b);
      for (guint i = 0; i < pre->columns->len; i++)
        {
          const TlFeatureColumn *column = g_ptr_array_index (pre->columns, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, column->name);
          json_builder_set_member_name (b, "type");
          json_builder_add_string_value (b, tl_column_type_to_string (column->type));
          if (column->type == TL_COLUMN_NUMERIC)
            {
              json_builder_set_member_name (b, "mean");
              json_builder_add_double_value (b, column->mean);
              json_builder_set_member_name (b, "std");
              json_builder_add_double_value (b, column->std);
              json_builder_set_member_name (b, "missing_indicator");
              json_builder_add_boolean_value (b, column->missing_indicator);
            }
          else
            add_strv (b, "categories", column->categories);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  else if (pre->kind == TL_DATA_TEXT)
    {
      if (pre->text_column != NULL)
        {
          json_builder_set_member_name (b, "text_column");
          json_builder_add_string_value (b, pre->text_column);
        }
      json_builder_set_member_name (b, "lowercase");
      json_builder_add_boolean_value (b, TRUE);
      if (pre->ngrams != NULL)
        {
          json_builder_set_member_name (b, "features");
          json_builder_add_string_value (b, "ngrams");
          json_builder_set_member_name (b, "ngrams");
          json_builder_add_value (b, tl_ngram_features_to_json (pre->ngrams));
          json_builder_end_object (b);
          return json_builder_get_root (b);
        }
      json_builder_set_member_name (b, "max_len");
      json_builder_add_int_value (b, pre->max_len);
      json_builder_set_member_name (b, "padding");
      json_builder_add_string_value (b, tl_pad_side_to_string (pre->padding));
      json_builder_set_member_name (b, "truncating");
      json_builder_add_string_value (b, tl_pad_side_to_string (pre->truncating));
      json_builder_set_member_name (b, "vocabulary");
      json_builder_begin_array (b);
      for (guint i = 0; pre->vocab != NULL && i < tl_vocab_size (pre->vocab); i++)
        json_builder_add_string_value (b, tl_vocab_token (pre->vocab, i));
      json_builder_end_array (b);
    }
  else if (pre->kind == TL_DATA_AUDIO)
    {
      json_builder_set_member_name (b, "audio");
      json_builder_begin_object (b);
      tl_audio_settings_to_json_members (&pre->audio, b);
      if (pre->audio_mean != NULL && pre->audio_std != NULL)
        {
          int bands = tl_audio_settings_bands (&pre->audio);

          json_builder_set_member_name (b, "mean");
          json_builder_begin_array (b);
          for (int i = 0; i < bands; i++)
            json_builder_add_double_value (b, pre->audio_mean[i]);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "std");
          json_builder_begin_array (b);
          for (int i = 0; i < bands; i++)
            json_builder_add_double_value (b, pre->audio_std[i]);
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  else
    {
      json_builder_set_member_name (b, "width");
      json_builder_add_int_value (b, pre->width);
      json_builder_set_member_name (b, "height");
      json_builder_add_int_value (b, pre->height);
      json_builder_set_member_name (b, "channels");
      json_builder_add_int_value (b, pre->channels);
      for (int k = 0; k < 2 && pre->image_mean && pre->image_std; k++)
        {
          json_builder_set_member_name (b, k == 0 ? "mean" : "std");
          json_builder_begin_array (b);
          for (int c = 0; c < pre->channels; c++)
            json_builder_add_double_value (b, (k == 0 ? pre->image_mean : pre->image_std)[c]);
          json_builder_end_array (b);
        }
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
json_fail (GError **error, const char *what)
{
  g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("preprocessing: %s"), what);
  return FALSE;
}

static char **
get_strv (JsonObject *o, const char *name, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);
  JsonArray *array;
  GPtrArray *out;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_autofree char *what = g_strdup_printf (_("'%s' is missing or not a list"), name);

      json_fail (error, what);
      return NULL;
    }
  array = json_node_get_array (node);
  out = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (json_node_get_value_type (item) != G_TYPE_STRING)
        {
          g_autofree char *what = g_strdup_printf (_("'%s' must hold strings"), name);

          g_ptr_array_add (out, NULL);
          g_strfreev ((char **) g_ptr_array_free (out, FALSE));
          json_fail (error, what);
          return NULL;
        }
      g_ptr_array_add (out, g_strdup (json_node_get_string (item)));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static gboolean
get_int (JsonObject *o, const char *name, int lo, int hi, int *value, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);
  gint64 v;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_autofree char *what = g_strdup_printf (_("'%s' is missing or not an integer"), name);
      return json_fail (error, what);
    }
  v = json_node_get_int (node);
  if (v < lo || v > hi)
    {
      g_autofree char *what = g_strdup_printf (_("'%s' is %lld, outside %d..%d"), name, (long long) v, lo, hi);
      return json_fail (error, what);
    }
  *value = (int) v;
  return TRUE;
}

static gboolean
load_columns (TlPreprocess *pre, JsonObject *o, GError **error)
{
  JsonNode *node = json_object_get_member (o, "columns");
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return json_fail (error, _("'columns' is missing"));
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *c;
      TlFeatureColumn *column;
      TlColumnType type;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return json_fail (error, _("a column is not an object"));
      c = json_node_get_object (item);
      if (!json_object_has_member (c, "name")
          || !tl_column_type_from_string (json_object_get_string_member_with_default (c, "type", ""), &type)
          || type == TL_COLUMN_TEXT)
        return json_fail (error, _("a column has no name or no valid type"));
      column = tl_preprocess_add_column (pre, json_object_get_string_member_with_default (c, "name", ""), type);
      if (type == TL_COLUMN_NUMERIC)
        {
          column->mean = json_object_get_double_member_with_default (c, "mean", 0.0);
          column->std = json_object_get_double_member_with_default (c, "std", 1.0);
          column->missing_indicator = json_object_get_boolean_member_with_default (c, "missing_indicator", FALSE);
          if (!isfinite (column->mean) || !isfinite (column->std) || column->std <= 0.0)
            return json_fail (error, _("a numeric column has an invalid mean or standard deviation"));
        }
      else
        {
          g_strfreev (column->categories);
          column->categories = get_strv (c, "categories", error);
          if (column->categories == NULL)
            return FALSE;
          qsort (column->categories, g_strv_length (column->categories), sizeof (char *),
                 compare_strings);
        }
    }
  return TRUE;
}

/* One band statistic per band, finite (and positive for deviations). */
static double *
load_band_stats (JsonObject *o, const char *name, int bands, gboolean positive, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);
  JsonArray *array;
  g_autofree double *v = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (array = json_node_get_array (node)) != (guint) bands)
    {
      g_autofree char *what = g_strdup_printf (_("audio '%s' must list one number per band"), name);

      json_fail (error, what);
      return NULL;
    }
  v = g_new (double, bands);
  for (int i = 0; i < bands; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      GType t = JSON_NODE_HOLDS_VALUE (item) ? json_node_get_value_type (item) : G_TYPE_INVALID;

      v[i] = t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double (item) : NAN;
      if (!isfinite (v[i]) || (positive && !(v[i] > 0.0)))
        {
          g_autofree char *what = g_strdup_printf (_("audio '%s' holds an unusable value"), name);

          json_fail (error, what);
          return NULL;
        }
    }
  return g_steal_pointer (&v);
}

/* An image model's optional normalisation: "mean" and "std", one number per channel, both or neither. */
static gboolean
load_image_stats (TlPreprocess *pre, JsonObject *o, GError **error)
{
  for (int k = 0; k < 2; k++)
    {
      JsonNode *node = json_object_get_member (o, k == 0 ? "mean" : "std");
      JsonArray *array = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
      double **out = k == 0 ? &pre->image_mean : &pre->image_std;

      if (node == NULL && !json_object_has_member (o, k == 0 ? "std" : "mean"))
        return TRUE;
      if (array == NULL || json_array_get_length (array) != (guint) pre->channels)
        return json_fail (error, _("image 'mean' and 'std' must each list one number per channel"));
      *out = g_new (double, pre->channels);
      for (int c = 0; c < pre->channels; c++)
        {
          JsonNode *item = json_array_get_element (array, c);
          GType t = JSON_NODE_HOLDS_VALUE (item) ? json_node_get_value_type (item) : G_TYPE_INVALID;
          double v = t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double (item) : NAN;

          if (!isfinite (v) || (k == 1 && !(v > 0.0)))
            return json_fail (error, _("image 'mean' and 'std' must be numbers, the deviations above 0"));
          (*out)[c] = v;
        }
    }
  return TRUE;
}

void
tl_preprocess_normalize_images (const TlPreprocess *pre, TlDataset *ds)
{
  gsize plane;

  g_return_if_fail (pre != NULL && ds != NULL);
  if (pre->image_mean == NULL || pre->image_std == NULL || ds->n == 0)
    return;
  g_return_if_fail (ds->x != NULL && ds->sample_size % (gsize) pre->channels == 0);
  plane = ds->sample_size / (gsize) pre->channels;
  for (gsize r = 0; r < (gsize) ds->n; r++)
    for (int c = 0; c < pre->channels; c++)
      {
        float *x = ds->x + r * ds->sample_size + (gsize) c * plane;
        const float m = (float) pre->image_mean[c], s = (float) pre->image_std[c];

        for (gsize i = 0; i < plane; i++)
          x[i] = (x[i] - m) / s;
      }
}

static gboolean
load_audio (TlPreprocess *pre, JsonObject *o, GError **error)
{
  JsonNode *node = json_object_get_member (o, "audio");
  JsonObject *a;
  g_autoptr (GError) local = NULL;
  int bands;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return json_fail (error, _("'audio' is missing or not an object"));
  a = json_node_get_object (node);
  if (!tl_audio_settings_from_json_object (&pre->audio, a, &local))
    return json_fail (error, local->message);
  bands = tl_audio_settings_bands (&pre->audio);
  if (pre->audio.norm == TL_AUDIO_NORM_DATASET)
    {
      pre->audio_mean = load_band_stats (a, "mean", bands, FALSE, error);
      if (pre->audio_mean == NULL)
        return FALSE;
      pre->audio_std = load_band_stats (a, "std", bands, TRUE, error);
      if (pre->audio_std == NULL)
        return FALSE;
    }
  return TRUE;
}

TlPreprocess *
tl_preprocess_from_json (JsonNode *node, GError **error)
{
  g_autoptr (TlPreprocess) pre = NULL;
  JsonObject *o;
  const char *kind;
  int k = -1;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      json_fail (error, _("not an object"));
      return NULL;
    }
  o = json_node_get_object (node);
  kind = json_object_get_string_member_with_default (o, "kind", "");
  for (int i = 0; i < (int) G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (kind, kind_names[i]) == 0)
      k = i;
  if (k < 0)
    {
      json_fail (error, _("unknown kind of data"));
      return NULL;
    }
  pre = tl_preprocess_new ((TlDataKind) k);
  if (json_object_has_member (o, "label_column"))
    pre->label_column = g_strdup (json_object_get_string_member_with_default (o, "label_column", ""));
  g_strfreev (pre->class_names);
  if ((pre->class_names = get_strv (o, "class_names", error)) == NULL)
    return NULL;

  if (pre->kind == TL_DATA_TABULAR)
    {
      if (!load_columns (pre, o, error))
        return NULL;
    }
  else if (pre->kind == TL_DATA_TEXT)
    {
      g_auto (GStrv) tokens = NULL;

      if (json_object_has_member (o, "text_column"))
        pre->text_column = g_strdup (json_object_get_string_member_with_default (o, "text_column", ""));
      if (g_strcmp0 (json_object_get_string_member_with_default (o, "features", "sequence"), "ngrams") == 0)
        {
          g_autoptr (GError) local = NULL;
          pre->ngrams = tl_ngram_features_from_json (json_object_get_member (o, "ngrams"), &local);
          if (pre->ngrams == NULL)
            {
              json_fail (error, local->message);
              return NULL;
            }
          return g_steal_pointer (&pre);
        }
      if (!get_int (o, "max_len", 1, 1 << 20, &pre->max_len, error))
        return NULL;
      if (!tl_pad_side_from_string (json_object_get_string_member_with_default (o, "padding", "pre"), &pre->padding)
          || !tl_pad_side_from_string (json_object_get_string_member_with_default (o, "truncating", "pre"), &pre->truncating))
        {
          json_fail (error, _("padding and truncating must be 'pre' or 'post'"));
          return NULL;
        }
      if ((tokens = get_strv (o, "vocabulary", error)) == NULL)
        return NULL;
      if (g_strv_length (tokens) < 2)
        {
          json_fail (error, _("the vocabulary lacks its padding and unknown-word entries"));
          return NULL;
        }
      pre->vocab = tl_vocab_new_from_strv ((const char *const *) tokens);
    }
  else if (pre->kind == TL_DATA_AUDIO)
    {
      if (!load_audio (pre, o, error))
        return NULL;
    }
  else
    {
      if (!get_int (o, "width", 1, 16384, &pre->width, error)
          || !get_int (o, "height", 1, 16384, &pre->height, error)
          || !get_int (o, "channels", 1, 4, &pre->channels, error)
          || !load_image_stats (pre, o, error))
        return NULL;
    }
  return g_steal_pointer (&pre);
}
