#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-commands.h"
#include "tl-import.h"

typedef struct {
  char     *label;
  char     *text;
  char     *features;
  char     *delimiter;
  gboolean  no_header;
  char     *labels;
  char     *image_size;
  gboolean  grey;
  gboolean  rgb;
  char     *classes;
  int       per_class;
  gint64    seed;
  char     *split;
  char     *test;
  int       max_len;
  int       vocab_size;
  char     *missing;
  char    **types;
  gboolean  json;
  char    **files;
} DataOptions;

static void
data_options_clear (DataOptions *o)
{
  g_free (o->label);
  g_free (o->text);
  g_free (o->features);
  g_free (o->delimiter);
  g_free (o->labels);
  g_free (o->image_size);
  g_free (o->classes);
  g_free (o->split);
  g_free (o->test);
  g_free (o->missing);
  g_strfreev (o->types);
  g_strfreev (o->files);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DataOptions, data_options_clear)

static gboolean
parse_delimiter (const char *text, char *delimiter)
{
  if (g_ascii_strcasecmp (text, "tab") == 0 || strcmp (text, "\\t") == 0 || strcmp (text, "\t") == 0)
    *delimiter = '\t';
  else if (strlen (text) == 1 && strchr (",;|: ", text[0]) != NULL)
    *delimiter = text[0];
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_split (const char *text, TlImportSettings *s, gboolean have_test_file)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  double f[3] = { 0, 0, 0 };
  guint n = g_strv_length (parts);

  if (n < 2 || n > 3)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      char *end = NULL;

      f[i] = g_ascii_strtod (parts[i], &end);
      if (end == parts[i] || *end != '\0' || f[i] < 0.0 || f[i] >= 1.0 + 1e-9)
        return FALSE;
    }
  if (f[0] <= 0.0 || fabs (f[0] + f[1] + f[2] - 1.0) > 1e-6)
    return FALSE;
  s->val_fraction = f[1];
  s->test_fraction = f[2];
  return TRUE;
}

static gboolean
parse_size (const char *text, int *width, int *height)
{
  char *end = NULL;
  gint64 w, h;

  w = g_ascii_strtoll (text, &end, 10);
  if (end == text || (*end != 'x' && *end != 'X'))
    return FALSE;
  text = end + 1;
  h = g_ascii_strtoll (text, &end, 10);
  if (end == text || *end != '\0' || w < 1 || h < 1 || w > G_MAXINT || h > G_MAXINT)
    return FALSE;
  *width = (int) w;
  *height = (int) h;
  return TRUE;
}

static int
usage_error (GOptionContext *context, const char *message)
{
  tl_cli_error ("%s", message);
  return TL_EXIT_USAGE;
}

int
tl_cmd_data (int argc, char **argv)
{
  g_auto (DataOptions) o = { .seed = 42, .per_class = 0, .max_len = -1, .vocab_size = -1 };
  GOptionEntry entries[] = {
    { "label", 0, 0, G_OPTION_ARG_STRING, &o.label, N_("The label column (name or 0-based index)"), N_("COL") },
    { "text", 0, 0, G_OPTION_ARG_STRING, &o.text, N_("The text column"), N_("COL") },
    { "features", 0, 0, G_OPTION_ARG_STRING, &o.features, N_("The feature columns"), N_("COL,...") },
    { "type", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.types, N_("Set a column's type (numeric, categorical or text)"), N_("COL=TYPE") },
    { "delimiter", 0, 0, G_OPTION_ARG_STRING, &o.delimiter, N_("The field delimiter (default: detected)"), N_("C") },
    { "no-header", 0, 0, G_OPTION_ARG_NONE, &o.no_header, N_("The first line is data, not column names"), NULL },
    { "missing", 0, 0, G_OPTION_ARG_STRING, &o.missing, N_("Missing values: impute (default) or reject"), N_("POLICY") },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &o.labels, N_("The IDX labels file (default: found beside the images)"), N_("FILE") },
    { "image-size", 0, 0, G_OPTION_ARG_STRING, &o.image_size, N_("Scale images to this size"), N_("WxH") },
    { "grey", 0, 0, G_OPTION_ARG_NONE, &o.grey, N_("Convert images to grey"), NULL },
    { "rgb", 0, 0, G_OPTION_ARG_NONE, &o.rgb, N_("Convert images to RGB (default)"), NULL },
    { "classes", 0, 0, G_OPTION_ARG_STRING, &o.classes, N_("Keep only these classes"), N_("A,B,...") },
    { "per-class", 0, 0, G_OPTION_ARG_INT, &o.per_class, N_("Sample N rows of each class"), N_("N") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o.seed, N_("Seed of the sampling and the split (default 42)"), N_("S") },
    { "split", 0, 0, G_OPTION_ARG_STRING, &o.split, N_("Train, validation and test fractions (default 0.8,0.1,0.1)"), N_("T,V,E") },
    { "test", 0, 0, G_OPTION_ARG_FILENAME, &o.test, N_("A separate test file"), N_("FILE") },
    { "max-len", 0, 0, G_OPTION_ARG_INT, &o.max_len, N_("Tokens per text sequence (default 200; 0: the longest)"), N_("N") },
    { "vocab-size", 0, 0, G_OPTION_ARG_INT, &o.vocab_size, N_("Vocabulary size with padding and unknown ids (default 20000)"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, N_("Print the report as JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (TlImportSettings) s = tl_import_settings_new ();
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;

  context = tl_cli_context_new (_("FILE — import a dataset and print its report"),
                                _("FILE is a CSV file (optionally .csv.gz), an IDX images file, or a folder with one sub-folder of images per class."),
                                entries, NULL);
  if (!tl_cli_parse (context, &argc, &argv, &o.files, 1,
                     _("data: give exactly one FILE (see 'transfer-lab data --help')")))
    return TL_EXIT_USAGE;

  s->label_column = g_strdup (o.label);
  s->text_column = g_strdup (o.text);
  if (o.features != NULL)
    s->feature_columns = tl_cli_split_list (o.features);
  s->column_types = g_strdupv (o.types);
  if (o.delimiter != NULL && !parse_delimiter (o.delimiter, &s->delimiter))
    return usage_error (context, _("data: --delimiter takes one of , ; | or tab"));
  if (o.no_header)
    s->header = TL_CSV_HEADER_NO;
  if (o.missing != NULL)
    {
      if (strcmp (o.missing, "impute") == 0)
        s->missing = TL_MISSING_IMPUTE;
      else if (strcmp (o.missing, "reject") == 0)
        s->missing = TL_MISSING_REJECT;
      else
        return usage_error (context, _("data: --missing takes impute or reject"));
    }
  s->labels_path = g_strdup (o.labels);
  if (o.image_size != NULL && !parse_size (o.image_size, &s->image_width, &s->image_height))
    return usage_error (context, _("data: --image-size takes WIDTHxHEIGHT, such as 32x32"));
  if (o.grey && o.rgb)
    return usage_error (context, _("data: --grey and --rgb exclude each other"));
  s->channels = o.grey ? 1 : (o.rgb ? 3 : 0);
  if (o.classes != NULL)
    s->classes = tl_cli_split_list (o.classes);
  if (o.per_class < 0)
    return usage_error (context, _("data: --per-class must be positive"));
  s->per_class = o.per_class;
  s->seed = (guint64) o.seed;
  s->test_path = g_strdup (o.test);
  if (o.split != NULL && !parse_split (o.split, s, o.test != NULL))
    return usage_error (context, _("data: --split takes two or three fractions that add up to 1, such as 0.8,0.1,0.1"));
  if (o.max_len >= 0)
    s->max_len = o.max_len;
  if (o.vocab_size >= 0)
    {
      if (o.vocab_size > 0 && o.vocab_size < 3)
        return usage_error (context, _("data: --vocab-size must be at least 3"));
      s->vocab_size = o.vocab_size;
    }

  import = tl_import_run (o.files[0], s, &error);
  if (import == NULL)
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  if (o.json)
    {
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autoptr (JsonNode) root = tl_import_report_to_json (import->report);
      g_autofree char *text = NULL;

      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
    }
  else
    {
      g_autofree char *text = tl_import_report_to_text (import->report);

      fputs (text, stdout);
    }
  return TL_EXIT_OK;
}
