#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-error.h"
#include "tl-idx.h"

void
tl_data_options_init (TlDataOptions *o)
{
  memset (o, 0, sizeof *o);
  o->val_fraction = 0.1;
  o->test_fraction = 0.1;
  o->max_len = 200;
  o->vocab_size = 10000;
  {
    TlNgramSettings d;
    tl_ngram_settings_init (&d);
    o->ngram_max = d.ngram_max;
    o->min_df = d.min_df;
    o->max_features = d.max_features;
    o->char_max_features = d.char_max_features;
  }
}

void
tl_data_options_clear (TlDataOptions *o)
{
  g_free (o->format);
  g_free (o->labels);
  g_free (o->label_column);
  g_free (o->text_column);
  g_free (o->features);
  g_free (o->classes);
  g_free (o->test_path);
  g_free (o->test_labels);
  g_free (o->char_ngrams);
  memset (o, 0, sizeof *o);
}

GOptionGroup *
tl_data_options_group (TlDataOptions *o, gboolean full)
{
  GOptionEntry common[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &o->format, N_("csv, idx, images or audio (default: from the path)"), N_("FORMAT") },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &o->labels, N_("The IDX labels file (default: found beside the images)"), N_("FILE") },
    { "label", 0, 0, G_OPTION_ARG_STRING, &o->label_column, N_("The CSV label column"), N_("COL") },
    { "text", 0, 0, G_OPTION_ARG_STRING, &o->text_column, N_("The CSV text column"), N_("COL") },
    { "features", 0, 0, G_OPTION_ARG_STRING, &o->features, N_("The CSV feature columns"), N_("COL,...") },
    { NULL },
  };
  GOptionEntry split[] = {
    { "classes", 0, 0, G_OPTION_ARG_STRING, &o->classes, N_("Keep only these classes"), N_("A,B,...") },
    { "per-class", 0, 0, G_OPTION_ARG_INT, &o->per_class, N_("Labelled samples per class (default: all)"), N_("N") },
    { "val", 0, 0, G_OPTION_ARG_DOUBLE, &o->val_fraction, N_("Validation fraction (default 0.1)"), N_("F") },
    { "test-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &o->test_fraction, N_("Test fraction (default 0.1)"), N_("F") },
    { "test", 0, 0, G_OPTION_ARG_FILENAME, &o->test_path, N_("A separate test file"), N_("FILE") },
    { "test-labels", 0, 0, G_OPTION_ARG_FILENAME, &o->test_labels, N_("The IDX labels of the test file"), N_("FILE") },
    { "max-len", 0, 0, G_OPTION_ARG_INT, &o->max_len, N_("Tokens per text (default 200)"), N_("N") },
    { "vocab-size", 0, 0, G_OPTION_ARG_INT, &o->vocab_size, N_("Vocabulary size (default 10000)"), N_("N") },
    { "ngrams", 0, 0, G_OPTION_ARG_INT, &o->ngram_max, N_("N-gram features: words up to N in a row (default 2)"), N_("N") },
    { "min-df", 0, 0, G_OPTION_ARG_INT, &o->min_df, N_("N-gram features: texts a term must occur in (default 2)"), N_("N") },
    { "max-features", 0, 0, G_OPTION_ARG_INT, &o->max_features, N_("N-gram features: most frequent terms kept, -1 for all (default 100000)"), N_("N") },
    { "hash-size", 0, 0, G_OPTION_ARG_INT, &o->hash_size, N_("N-gram features: hash the terms into N buckets instead of keeping a vocabulary"), N_("N") },
    { "char-ngrams", 0, 0, G_OPTION_ARG_STRING, &o->char_ngrams, N_("N-gram features: character n-grams within words, MIN-MAX characters long, or 0 for none (default 2-5)"), N_("MIN-MAX") },
    { "char-max-features", 0, 0, G_OPTION_ARG_INT, &o->char_max_features, N_("N-gram features: most frequent character n-grams kept, -1 for all (default 300000)"), N_("N") },
    { "image-size", 0, 0, G_OPTION_ARG_INT, &o->image_size, N_("Scale images to N x N"), N_("N") },
    { "grey", 0, 0, G_OPTION_ARG_NONE, &o->grey, N_("Convert images to grey"), NULL },
    { NULL },
  };
  GOptionGroup *group = g_option_group_new ("data", _("Data options:"), _("Show the data options"), NULL, NULL);

  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_group_add_entries (group, common);
  if (full)
    g_option_group_add_entries (group, split);
  return group;
}

char **
tl_cli_split_list (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (parts[i][0] != '\0')
        g_ptr_array_add (out, g_strdup (parts[i]));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static gboolean
parse_format (const char *text, const char *path, TlDataFormat *format, GError **error)
{
  if (text == NULL)
    {
      switch (tl_import_guess_format (path))
        {
        case TL_SOURCE_IDX:
          *format = TL_DATA_FORMAT_IDX;
          break;
        case TL_SOURCE_IMAGE_FOLDER:
          *format = TL_DATA_FORMAT_IMAGES;
          break;
        case TL_SOURCE_AUDIO:
          *format = TL_DATA_FORMAT_AUDIO;
          break;
        default:
          *format = TL_DATA_FORMAT_CSV;
          break;
        }
      return TRUE;
    }
  for (int f = TL_DATA_FORMAT_CSV; f <= TL_DATA_FORMAT_AUDIO; f++)
    if (g_ascii_strcasecmp (text, tl_data_format_name (f)) == 0)
      {
        *format = f;
        return TRUE;
      }
  g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("--format takes csv, idx, images or audio, not '%s'"), text);
  return FALSE;
}

/* "2-5", "3" (3-3) or "0" (none) */
static gboolean
parse_char_ngrams (const char *text, TlNgramSettings *n, GError **error)
{
  char *end;
  gint64 lo = g_ascii_strtoll (text, &end, 10), hi = lo;

  if (end != text && *end == '-')
    {
      const char *from = end + 1;
      hi = g_ascii_strtoll (from, &end, 10);
      if (end == from)
        end = (char *) text;
    }
  if (end == text || *end != '\0' || lo < 0 || hi < lo || hi > 8 || (lo == 0 && hi != 0))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("--char-ngrams: expected MIN-MAX lengths from 1 to 8 (such as 2-5), or 0 for none, not \"%s\""),
                   text);
      return FALSE;
    }
  n->char_min = lo == 0 ? n->char_min : (int) lo;
  n->char_max = (int) hi;
  return TRUE;
}

gboolean
tl_data_options_to_spec (const TlDataOptions *o, const char *path, TlDataSourceSpec *spec, GError **error)
{
  if (!parse_format (o->format, path, &spec->format, error))
    return FALSE;
  if (o->per_class < 0 || o->max_len < 1 || o->vocab_size < 3 || o->image_size < 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("--per-class, --max-len, --vocab-size and --image-size take positive numbers"));
      return FALSE;
    }
  spec->ngrams.ngram_max = o->ngram_max;
  spec->ngrams.min_df = o->min_df;
  spec->ngrams.max_features = o->max_features;
  spec->ngrams.hash_size = o->hash_size;
  spec->ngrams.char_max_features = o->char_max_features;
  if (o->char_ngrams != NULL && !parse_char_ngrams (o->char_ngrams, &spec->ngrams, error))
    return FALSE;
  if (!tl_ngram_settings_resolve (&spec->ngrams, o->char_ngrams != NULL, error))
    {
      g_prefix_error (error, "--ngrams, --min-df, --max-features, --hash-size, --char-ngrams: ");
      return FALSE;
    }
  if (o->val_fraction < 0 || o->test_fraction < 0 || o->val_fraction + o->test_fraction > 0.9)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("--val and --test-fraction take fractions that add up to at most 0.9"));
      return FALSE;
    }
  g_free (spec->path);
  spec->path = g_canonicalize_filename (path, NULL);
  spec->labels_path = o->labels ? g_canonicalize_filename (o->labels, NULL) : NULL;
  if (spec->format == TL_DATA_FORMAT_IDX && spec->labels_path == NULL)
    spec->labels_path = tl_idx_find_labels_path (spec->path);
  spec->test_path = o->test_path ? g_canonicalize_filename (o->test_path, NULL) : NULL;
  spec->test_labels_path = o->test_labels ? g_canonicalize_filename (o->test_labels, NULL) : NULL;
  if (spec->format == TL_DATA_FORMAT_IDX && spec->test_path && spec->test_labels_path == NULL)
    spec->test_labels_path = tl_idx_find_labels_path (spec->test_path);
  spec->label_column = g_strdup (o->label_column);
  spec->text_column = g_strdup (o->text_column);
  spec->feature_columns = o->features ? tl_cli_split_list (o->features) : NULL;
  spec->classes = o->classes ? tl_cli_split_list (o->classes) : NULL;
  spec->per_class = o->per_class;
  spec->val_fraction = o->val_fraction;
  spec->test_fraction = o->test_path ? 0.0 : o->test_fraction;
  spec->max_len = o->max_len;
  spec->vocab_size = o->vocab_size;
  spec->image_size = o->image_size;
  spec->grey = o->grey;
  return TRUE;
}

TlImportSettings *
tl_data_options_apply_settings (const TlDataOptions *o)
{
  TlImportSettings *s = tl_import_settings_new ();

  if (o->format != NULL)
    {
      if (g_ascii_strcasecmp (o->format, "idx") == 0)
        s->format = TL_SOURCE_IDX;
      else if (g_ascii_strcasecmp (o->format, "images") == 0)
        s->format = TL_SOURCE_IMAGE_FOLDER;
      else if (g_ascii_strcasecmp (o->format, "audio") == 0)
        s->format = TL_SOURCE_AUDIO;
      else
        s->format = TL_SOURCE_CSV;
    }
  s->labels_path = g_strdup (o->labels);
  s->label_column = g_strdup (o->label_column);
  s->text_column = g_strdup (o->text_column);
  s->feature_columns = o->features ? tl_cli_split_list (o->features) : NULL;
  return s;
}

GOptionContext *
tl_cli_context_new (const char *parameter_string, const char *summary, const GOptionEntry *entries,
                    GOptionGroup *data_group)
{
  GOptionContext *context = g_option_context_new (parameter_string);

  if (summary != NULL)
    g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (data_group != NULL)
    g_option_context_add_group (context, data_group);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  return context;
}

gboolean
tl_cli_parse (GOptionContext *context, int *argc, char ***argv, GStrv *files, guint n_files,
              const char *wrong_count)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      tl_cli_error ("%s", error->message);
      return FALSE;
    }
  if (*files == NULL || g_strv_length (*files) != n_files)
    {
      tl_cli_error ("%s", wrong_count);
      return FALSE;
    }
  return TRUE;
}

gboolean
tl_cli_load_model_and_data (const char *model_path, const char *data_path, const TlDataOptions *o,
                            TlModel **model_out, TlModelInfo **info_out, TlDataset **data_out, GError **error)
{
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlPreprocess) pre = NULL;
  g_autoptr (TlImportSettings) settings = NULL;
  TlDataset *ds;

  model = tl_model_file_load (model_path, &info, error);
  if (model == NULL)
    return FALSE;
  if (info->preprocessing == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   _("%s: the model file has no preprocessing to read new data with"), model_path);
      return FALSE;
    }
  pre = tl_preprocess_from_json (info->preprocessing, error);
  if (pre == NULL)
    {
      g_prefix_error (error, "%s: ", model_path);
      return FALSE;
    }
  settings = tl_data_options_apply_settings (o);
  ds = tl_import_apply (data_path, settings, pre, error);
  if (ds == NULL)
    return FALSE;
  if (ds->sample_size != tl_shape_size (model->in_ndim, model->in_shape))
    {
      g_autofree char *want = tl_tensor_shape_string (model->in_ndim, model->in_shape);
      g_autofree char *got = tl_tensor_shape_string (ds->sample_ndim, ds->sample_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("%s: samples of shape %s, but the model %s takes %s"), data_path, got, model_path, want);
      tl_dataset_free (ds);
      return FALSE;
    }
  *model_out = g_steal_pointer (&model);
  *info_out = g_steal_pointer (&info);
  *data_out = ds;
  return TRUE;
}
