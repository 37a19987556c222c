#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tl-cli-options.h"
#include "tl-cut-choice.h"
#include "tl-commands.h"
#include "tl-domain-map-export.h"
#include "tl-error.h"
#include "tl-json-pretty.h"
#include "tl-model-file.h"
#include "tl-preprocess.h"
#include "tl-progress.h"
#include "tl-transferability.h"

typedef struct {
  char              *path;
  TlTransferability *scores;
} Assessed;

static void
assessed_free (Assessed *a)
{
  g_free (a->path);
  tl_transferability_free (a->scores);
  g_free (a);
}

/* Reads path through the model's preprocessing, keeping the labels of the data
 * even where the model does not know them: those classes are added after the
 * model's own, since transferability is about a target with classes of its own. */
static TlDataset *
read_with_own_labels (const char *path, const TlModelInfo *info, const TlDataOptions *o, GError **error)
{
  g_autoptr (TlPreprocess) pre = NULL;
  g_autoptr (TlImportSettings) settings = tl_data_options_apply_settings (o);
  g_autoptr (TlImport) own = NULL;
  g_autoptr (GPtrArray) names = NULL;
  TlDataset *ds;
  gboolean unknown = FALSE;

  pre = tl_preprocess_from_json (info->preprocessing, error);
  if (pre == NULL)
    return NULL;
  ds = tl_import_apply (path, settings, pre, error);
  if (ds == NULL)
    return NULL;
  for (int i = 0; i < ds->n && !unknown; i++)
    unknown = ds->y[i] < 0;
  if (!unknown)
    return ds;

  /* the data's own class names, from an import of its own */
  tl_dataset_free (ds);
  own = tl_import_run (path, settings, error);
  if (own == NULL)
    return NULL;
  names = g_ptr_array_new ();
  for (int k = 0; pre->class_names[k] != NULL; k++)
    g_ptr_array_add (names, g_strdup (pre->class_names[k]));
  for (int c = 0; c < own->dataset->n_classes; c++)
    if (!g_strv_contains ((const char *const *) pre->class_names, own->dataset->class_names[c]))
      g_ptr_array_add (names, g_strdup (own->dataset->class_names[c]));
  g_ptr_array_add (names, NULL);
  g_strfreev (pre->class_names);
  pre->class_names = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  return tl_import_apply (path, settings, pre, error);
}

static Assessed *
assess_one (const char *model_path, const char *data_path, const char *source_path, const TlDataOptions *o,
            GError **error)
{
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlDataset) target = NULL;
  g_autoptr (TlDataset) source = NULL;
  Assessed *a;
  TlTransferability *scores;

  model = tl_model_file_load (model_path, &info, error);
  if (model == NULL)
    return NULL;
  if (info->preprocessing == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   _("%s: the model file has no preprocessing to read new data with"), model_path);
      return NULL;
    }
  target = read_with_own_labels (data_path, info, o, error);
  if (target == NULL)
    return NULL;
  if (source_path != NULL)
    {
      source = read_with_own_labels (source_path, info, o, error);
      if (source == NULL)
        return NULL;
    }
  if (target->sample_size != tl_shape_size (model->in_ndim, model->in_shape))
    {
      g_autofree char *want = tl_tensor_shape_string (model->in_ndim, model->in_shape);
      g_autofree char *got = tl_tensor_shape_string (target->sample_ndim, target->sample_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("%s: samples of shape %s, but the model %s takes %s"), data_path, got, model_path, want);
      return NULL;
    }
  scores = tl_transferability_assess (model, target, source, error);
  if (scores == NULL)
    {
      g_prefix_error (error, "%s: ", model_path);
      return NULL;
    }
  a = g_new0 (Assessed, 1);
  a->path = g_strdup (model_path);
  a->scores = scores;
  return a;
}

/* The map of DATA and --source through one model at one layer. */
static TlDomainMap *
map_one (const char *model_path, const char *data_path, const char *source_path, int layer, const TlDataOptions *o,
         GError **error)
{
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlDataset) target = NULL;
  g_autoptr (TlDataset) source = NULL;
  TlDomainMap *map;

  model = tl_model_file_load (model_path, &info, error);
  if (model == NULL)
    return NULL;
  if (info->preprocessing == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   _("%s: the model file has no preprocessing to read new data with"), model_path);
      return NULL;
    }
  if ((target = read_with_own_labels (data_path, info, o, error)) == NULL
      || (source = read_with_own_labels (source_path, info, o, error)) == NULL)
    return NULL;
  if (layer < 0)
    layer = tl_domain_map_default_layer (model);
  if (layer >= tl_model_n_layers (model))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("%s: --map-layer %d, but the model has layers 0 to %d"),
                   model_path, layer, tl_model_n_layers (model) - 1);
      return NULL;
    }
  map = tl_domain_map_compute (model, layer, source, target, TL_DOMAIN_MAP_ROWS, 42, error);
  if (map == NULL)
    g_prefix_error (error, "%s: ", model_path);
  return map;
}

/* --map: the first model's map, beside --after's at the same layer. */
static gboolean
write_map (const char *path, const char *model_path, const char *after_path, const char *data_path,
           const char *source_path, int layer, const TlDataOptions *o, GError **error)
{
  g_autoptr (TlDomainMap) before = map_one (model_path, data_path, source_path, layer, o, error);
  g_autoptr (TlDomainMap) after = NULL;
  g_autofree char *before_title = NULL, *after_title = NULL;
  const TlDomainMap *maps[2];
  const char *titles[2];

  if (before == NULL)
    return FALSE;
  if (after_path != NULL && (after = map_one (after_path, data_path, source_path, before->layer, o, error)) == NULL)
    return FALSE;
  before_title = g_path_get_basename (model_path);
  maps[0] = before;
  titles[0] = before_title;
  if (after != NULL)
    {
      after_title = g_path_get_basename (after_path);
      maps[1] = after;
      titles[1] = after_title;
    }
  if (!tl_domain_map_write (path, maps, titles, after != NULL ? 2 : 1, error))
    return FALSE;
  if (after != NULL)
    fprintf (stderr, _("Domain map at layer %d (%s), proxy A-distance %.3f before and %.3f after: %s\n"),
             before->layer, before->layer_name, before->a_distance, after->a_distance, path);
  else
    fprintf (stderr, _("Domain map at layer %d (%s), proxy A-distance %.3f: %s\n"), before->layer,
             before->layer_name, before->a_distance, path);
  return TRUE;
}

/* After the scores are printed: --map, when given. */
static int
write_map_option (const char *map, const char *model_path, const char *after_path, const char *data_path,
                  const char *source_path, int layer, const TlDataOptions *o)
{
  g_autoptr (GError) error = NULL;

  if (map == NULL)
    return TL_EXIT_OK;
  fflush (stdout);
  if (!write_map (map, model_path, after_path, data_path, source_path, layer, o, &error))
    {
      tl_cli_report (error);
      return TL_EXIT_FAILURE;
    }
  return TL_EXIT_OK;
}

static double
best_logme (const Assessed *a)
{
  return a->scores->cuts[a->scores->best].logme;
}

/* LEEP, at the model's output */
static double
model_leep (const Assessed *a)
{
  for (int c = a->scores->n_cuts - 1; c >= 0; c--)
    if (!isnan (a->scores->cuts[c].leep))
      return a->scores->cuts[c].leep;
  return NAN;
}

/* Puts the models in the order of tl_cut_choice_rank_models. */
static void
rank_models (GPtrArray *assessed)
{
  const int n = (int) assessed->len;
  g_autofree double *logme = g_new (double, n);
  g_autofree double *leep = g_new (double, n);
  g_autofree int *order = g_new (int, n);
  g_autofree gpointer *was = g_memdup2 (assessed->pdata, sizeof (gpointer) * n);
  const Assessed *first = g_ptr_array_index (assessed, 0);

  for (int m = 0; m < n; m++)
    {
      logme[m] = best_logme (g_ptr_array_index (assessed, m));
      leep[m] = model_leep (g_ptr_array_index (assessed, m));
    }
  tl_cut_choice_rank_models (logme, leep, n, first->scores->n_samples, first->scores->n_classes, order);
  for (int m = 0; m < n; m++)
    assessed->pdata[m] = was[order[m]];
}

static char *
format_score (double v)
{
  return isnan (v) ? g_strdup ("—") : g_strdup_printf ("%.4f", v);
}

/* ln of the Bayes factor for the best cut over this one; "—" above the best */
static char *
format_evidence (const TlCutScore *cut)
{
  return isnan (cut->evidence_for_best) ? g_strdup ("—") : g_strdup_printf ("%.1f", cut->evidence_for_best);
}

static void
print_model (const Assessed *a, gboolean with_source)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  const TlTransferability *t = a->scores;

  printf (_("%s: %d labelled rows, %d classes\n"), a->path, t->n_samples, t->n_classes);
  if (with_source)
    g_ptr_array_add (rows, tl_table_row (_("layer"), _("name"), _("output"), "LogME", _("evidence for the best"), "LEEP",
                                         _("A-distance"), "", NULL));
  else
    g_ptr_array_add (rows, tl_table_row (_("layer"), _("name"), _("output"), "LogME", _("evidence for the best"), "LEEP",
                                         "", NULL));
  for (int c = 0; c < t->n_cuts; c++)
    {
      const TlCutScore *cut = &t->cuts[c];
      g_autofree char *index = g_strdup_printf ("%d", cut->layer);
      g_autofree char *shape = tl_tensor_shape_string (cut->out_ndim, cut->out_shape);
      g_autofree char *logme = format_score (cut->logme);
      g_autofree char *gap = format_evidence (cut);
      g_autofree char *leep = format_score (cut->leep);
      g_autofree char *dist = format_score (cut->a_distance);
      const char *mark = c == t->recommended ? _("← recommended cut") : "";

      if (with_source)
        g_ptr_array_add (rows, tl_table_row (index, cut->name, shape, logme, gap, leep, dist, mark, NULL));
      else
        g_ptr_array_add (rows, tl_table_row (index, cut->name, shape, logme, gap, leep, mark, NULL));
    }
  tl_print_table (stdout, rows);
}

static JsonNode *
to_json (const char *data_path, GPtrArray *assessed)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "data");
  json_builder_add_string_value (b, data_path);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint m = 0; m < assessed->len; m++)
    {
      const Assessed *a = g_ptr_array_index (assessed, m);
      const TlTransferability *t = a->scores;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, a->path);
      json_builder_set_member_name (b, "rank");
      json_builder_add_int_value (b, m + 1);
      json_builder_set_member_name (b, "n_samples");
      json_builder_add_int_value (b, t->n_samples);
      json_builder_set_member_name (b, "n_classes");
      json_builder_add_int_value (b, t->n_classes);
      json_builder_set_member_name (b, "recommended_layer");
      json_builder_add_int_value (b, t->cuts[t->recommended].layer);
      json_builder_set_member_name (b, "recommended_name");
      json_builder_add_string_value (b, t->cuts[t->recommended].name);
      json_builder_set_member_name (b, "best_layer");
      json_builder_add_int_value (b, t->cuts[t->best].layer);
      json_builder_set_member_name (b, "cuts");
      json_builder_begin_array (b);
      for (int c = 0; c < t->n_cuts; c++)
        {
          const TlCutScore *cut = &t->cuts[c];
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "layer");
          json_builder_add_int_value (b, cut->layer);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, cut->name);
          json_builder_set_member_name (b, "shape");
          json_builder_begin_array (b);
          for (int d = 0; d < cut->out_ndim; d++)
            json_builder_add_int_value (b, cut->out_shape[d]);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "logme");
          json_builder_add_double_value (b, cut->logme);
          json_builder_set_member_name (b, "evidence_for_best");
          if (isnan (cut->evidence_for_best))
            json_builder_add_null_value (b);
          else
            json_builder_add_double_value (b, cut->evidence_for_best);
          json_builder_set_member_name (b, "leep");
          if (isnan (cut->leep))
            json_builder_add_null_value (b);
          else
            json_builder_add_double_value (b, cut->leep);
          json_builder_set_member_name (b, "a_distance");
          if (isnan (cut->a_distance))
            json_builder_add_null_value (b);
          else
            json_builder_add_double_value (b, cut->a_distance);
          json_builder_set_member_name (b, "recommended");
          json_builder_add_boolean_value (b, c == t->recommended);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

int
tl_cmd_assess (int argc, char **argv)
{
  g_auto (TlDataOptions) data_options;
  g_auto (GStrv) files = NULL;
  g_auto (GStrv) more_models = NULL;
  g_autofree char *source = NULL;
  g_autofree char *map = NULL;
  g_autofree char *after = NULL;
  gboolean json = FALSE;
  int map_layer = -1;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME_ARRAY, &more_models, N_("Another candidate source model, ranked with the first (repeatable)"), N_("MODEL") },
    { "source", 0, 0, G_OPTION_ARG_FILENAME, &source, N_("Source data: adds the proxy A-distance between its features and DATA's at each layer"), N_("DATA") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the scores as JSON"), NULL },
    { "map", 0, 0, G_OPTION_ARG_FILENAME, &map, N_("Draw the domain map (PNG, SVG or PDF): source and DATA samples on the first two principal components of their features, with --source"), N_("FILE") },
    { "map-layer", 0, 0, G_OPTION_ARG_INT, &map_layer, N_("The layer the map shows (default: the input of the head)"), N_("N") },
    { "after", 0, 0, G_OPTION_ARG_FILENAME, &after, N_("A fine-tuned model drawn beside MODEL in the map, at the same layer"), N_("MODEL") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GPtrArray) models = g_ptr_array_new ();
  g_autoptr (GPtrArray) assessed = g_ptr_array_new_with_free_func ((GDestroyNotify) assessed_free);

  tl_data_options_init (&data_options);
  context = tl_cli_context_new (_("MODEL DATA — how well a model's layers suit labelled target data"),
                                _("Reads DATA through the model's own preprocessing and scores the features "
                                   "at each cut layer: LogME (the evidence of a linear model on them), LEEP "
                                   "(from the model's own predictions, at the output) and, with --source, the "
                                   "proxy A-distance between the domains. LogME is a log evidence, so rows x "
                                   "classes x the difference of two cuts' LogMEs is the log of a Bayes factor "
                                   "(the column 'evidence for the best'). The recommended cut is the lowest "
                                   "layer below the head against which the evidence for the best is not "
                                   "strong (a factor under 20, a log under 3.0): a transfer trains the layers "
                                   "above the cut from the source's weights, so a lower cut keeps what the "
                                   "higher one offers. With several models, they are ranked by their best "
                                   "LogME, except that the first is the one of highest LEEP among those whose "
                                   "best LogME the evidence cannot tell from the top one's."),
                                entries, tl_data_options_group (&data_options, FALSE));
  if (!tl_cli_parse (context, &argc, &argv, &files, 2,
                     _("assess: give a MODEL file and a DATA file (see 'transfer-lab assess --help')")))
    return TL_EXIT_USAGE;

  if (map != NULL && source == NULL)
    {
      tl_cli_error ("%s", _("assess: --map needs --source DATA to map against"));
      return TL_EXIT_USAGE;
    }
  if ((after != NULL || map_layer >= 0) && map == NULL)
    {
      tl_cli_error ("%s", _("assess: --after and --map-layer go with --map FILE"));
      return TL_EXIT_USAGE;
    }

  g_ptr_array_add (models, files[0]);
  for (int i = 0; more_models != NULL && more_models[i] != NULL; i++)
    g_ptr_array_add (models, more_models[i]);
  for (guint m = 0; m < models->len; m++)
    {
      g_autoptr (GError) error = NULL;
      Assessed *a = assess_one (g_ptr_array_index (models, m), files[1], source, &data_options, &error);
      if (a == NULL)
        {
          tl_cli_report (error);
          return TL_EXIT_FAILURE;
        }
      g_ptr_array_add (assessed, a);
    }
  if (assessed->len > 1)
    rank_models (assessed);

  if (json)
    {
      g_autoptr (JsonNode) node = to_json (files[1], assessed);
      g_autofree char *text = tl_json_to_pretty_string (node);
      fputs (text, stdout);
      return write_map_option (map, files[0], after, files[1], source, map_layer, &data_options);
    }
  for (guint m = 0; m < assessed->len; m++)
    {
      if (m > 0)
        printf ("\n");
      print_model (g_ptr_array_index (assessed, m), source != NULL);
    }
  if (assessed->len > 1)
    {
      g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
      printf ("\n%s\n", _("Models ranked for this target by their best LogME; the first is the one of highest LEEP "
                             "among those the evidence cannot tell from the best:"));
      g_ptr_array_add (rows, tl_table_row (_("rank"), _("model"), _("recommended cut"), _("best LogME"), _("LEEP"),
                                           NULL));
      for (guint m = 0; m < assessed->len; m++)
        {
          const Assessed *a = g_ptr_array_index (assessed, m);
          g_autofree char *rank = g_strdup_printf ("%u", m + 1);
          g_autofree char *logme = format_score (best_logme (a));
          g_autofree char *leep = format_score (model_leep (a));
          g_ptr_array_add (rows, tl_table_row (rank, a->path, a->scores->cuts[a->scores->recommended].name,
                                               logme, leep, NULL));
        }
      tl_print_table (stdout, rows);
    }
  return write_map_option (map, files[0], after, files[1], source, map_layer, &data_options);
}
