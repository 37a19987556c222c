#define G_LOG_DOMAIN "tl-document"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-document.h"
#include "tl-model-file.h"
#include "tl-run-history.h"
#include "tl-settings.h"

struct _TlDocument
{
  GObject        parent_instance;

  TlExperiment  *exp;
  char          *path;
  gboolean       modified;
  TlDataSlot     data[TL_N_ROLES];
  TlPreset       preset;
  gboolean       preset_chosen;  /* by the user or the experiment file, not by default */
  TlModel       *source_model;
  gboolean       source_trained;
  char          *source_model_path; /* a model file opened instead of pretraining */
  TlModel       *target_model;

  TlPipelineResult *result;
  TlMetrics     *metrics;        /* borrowed from the transfer run (or the last run with metrics) */
  int           *test_predictions;
  int            n_test_predictions;
};

G_DEFINE_FINAL_TYPE (TlDocument, tl_document, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
data_slot_clear (TlDataSlot *slot)
{
  g_clear_pointer (&slot->description, g_free);
  g_clear_pointer (&slot->path, g_free);
  g_clear_pointer (&slot->train, tl_dataset_free);
  g_clear_pointer (&slot->val, tl_dataset_free);
  g_clear_pointer (&slot->test, tl_dataset_free);
  g_clear_pointer (&slot->preprocess, tl_preprocess_free);
  slot->vocab_size = 0;
}

static void
clear_results (TlDocument *self)
{
  self->metrics = NULL;
  g_clear_pointer (&self->result, tl_pipeline_result_free);
  g_clear_pointer (&self->test_predictions, g_free);
  self->n_test_predictions = 0;
}

static void
tl_document_finalize (GObject *object)
{
  TlDocument *self = TL_DOCUMENT (object);

  for (int r = 0; r < TL_N_ROLES; r++)
    data_slot_clear (&self->data[r]);
  clear_results (self);
  g_clear_pointer (&self->source_model, tl_model_free);
  g_clear_pointer (&self->target_model, tl_model_free);
  g_clear_pointer (&self->source_model_path, g_free);
  g_clear_pointer (&self->exp, tl_experiment_free);
  g_clear_pointer (&self->path, g_free);
  G_OBJECT_CLASS (tl_document_parent_class)->finalize (object);
}

static void
tl_document_class_init (TlDocumentClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tl_document_finalize;

  /* The detail says what changed: "data", "model", "transfer", "params", "results", "file". */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
tl_document_init (TlDocument *self)
{
  self->exp = tl_experiment_new ();
  self->preset = TL_PRESET_MLP;
}

TlDocument *
tl_document_new (void)
{
  return g_object_new (TL_TYPE_DOCUMENT, NULL);
}

TlExperiment *
tl_document_get_experiment (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);
  return self->exp;
}

const char *
tl_document_get_path (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);
  return self->path;
}

gboolean
tl_document_get_modified (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);
  return self->modified;
}

const TlDataSlot *
tl_document_get_data (TlDocument *self, TlDataRole role)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);
  g_return_val_if_fail (role < TL_N_ROLES, NULL);
  return &self->data[role];
}

TlPreset
tl_document_get_preset (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), TL_PRESET_MLP);
  return self->preset;
}

TlModel *
tl_document_get_source_model (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);
  return self->source_model;
}

gboolean
tl_document_get_source_trained (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);
  return self->source_trained;
}

TlModel *
tl_document_get_target_model (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);
  return self->target_model;
}

TlPipelineResult *
tl_document_get_result (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);
  return self->result;
}

const TlMetrics *
tl_document_get_metrics (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);
  return self->metrics;
}

const int *
tl_document_get_predictions (TlDocument *self, int *n_out)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);

  if (n_out != NULL)
    *n_out = self->n_test_predictions;
  return self->test_predictions;
}

void
tl_document_changed (TlDocument *self, const char *what)
{
  g_return_if_fail (TL_IS_DOCUMENT (self));
  g_return_if_fail (what != NULL);

  if (g_strcmp0 (what, "file") != 0 && g_strcmp0 (what, "results") != 0)
    tl_document_set_modified (self, TRUE);
  g_signal_emit (self, signals[CHANGED], g_quark_from_string (what), what);
}

void
tl_document_set_modified (TlDocument *self, gboolean modified)
{
  g_return_if_fail (TL_IS_DOCUMENT (self));

  if (self->modified == !!modified)
    return;
  self->modified = !!modified;
  g_signal_emit (self, signals[CHANGED], g_quark_from_static_string ("file"), "file");
}

void
tl_document_set_path (TlDocument *self, const char *path)
{
  g_return_if_fail (TL_IS_DOCUMENT (self));

  if (g_strcmp0 (self->path, path) == 0)
    return;
  g_free (self->path);
  self->path = g_strdup (path);
  g_signal_emit (self, signals[CHANGED], g_quark_from_static_string ("file"), "file");
}

char *
tl_document_get_title (TlDocument *self)
{
  g_autofree char *base = NULL;
  char *dot;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);

  if (self->path == NULL)
    return g_strdup (self->exp->name != NULL ? self->exp->name : _("Untitled Experiment"));
  base = g_path_get_basename (self->path);
  dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_steal_pointer (&base);
}

void
tl_document_clear_results (TlDocument *self)
{
  g_return_if_fail (TL_IS_DOCUMENT (self));

  clear_results (self);
  g_signal_emit (self, signals[CHANGED], g_quark_from_static_string ("results"), "results");
}

void
tl_document_set_result (TlDocument *self, TlPipelineResult *result)
{
  TlRunResult *main_run;

  g_return_if_fail (TL_IS_DOCUMENT (self));

  clear_results (self);
  self->result = result;
  main_run = tl_document_get_main_run (self);
  self->metrics = main_run != NULL ? main_run->metrics : NULL;
  g_signal_emit (self, signals[CHANGED], g_quark_from_static_string ("results"), "results");
}

TlRunResult *
tl_document_get_run (TlDocument *self, const char *name)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);

  if (self->result == NULL)
    return NULL;
  return tl_pipeline_result_find (self->result, name);
}

TlRunResult *
tl_document_get_main_run (TlDocument *self)
{
  TlRunResult *run;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);

  if (self->result == NULL)
    return NULL;
  run = tl_pipeline_result_find (self->result, "transfer");
  if (run != NULL && run->metrics != NULL)
    return run;
  for (int i = (int) self->result->runs->len - 1; i >= 0; i--)
    {
      run = g_ptr_array_index (self->result->runs, i);
      /* a strategy's run: not a reference beside it */
      if (run->metrics != NULL && g_strcmp0 (run->name, "baseline") != 0
          && g_strcmp0 (run->name, TL_RUN_NON_PRIVATE) != 0 && g_strcmp0 (run->name, "source-only") != 0)
        return run;
    }
  return NULL;
}

void
tl_document_set_predictions (TlDocument *self, int *predictions, int n)
{
  g_return_if_fail (TL_IS_DOCUMENT (self));

  g_free (self->test_predictions);
  self->test_predictions = predictions;
  self->n_test_predictions = n;
  g_signal_emit (self, signals[CHANGED], g_quark_from_static_string ("results"), "results");
}

const TlDataSlot *
tl_document_target_slot (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);

  if (self->data[TL_ROLE_TARGET].train != NULL)
    return &self->data[TL_ROLE_TARGET];
  return &self->data[TL_ROLE_SOURCE];
}

void
tl_document_set_preprocess (TlDocument *self, TlDataRole role, TlPreprocess *preprocess)
{
  g_return_if_fail (TL_IS_DOCUMENT (self));
  g_return_if_fail (role < TL_N_ROLES);

  g_clear_pointer (&self->data[role].preprocess, tl_preprocess_free);
  self->data[role].preprocess = preprocess;
}

gboolean
tl_document_has_data (TlDocument *self, TlDataRole role)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (role < TL_N_ROLES, FALSE);

  return self->data[role].train != NULL;
}

static const TlDataSlot *
architecture_slot (TlDocument *self)
{
  if (self->data[TL_ROLE_SOURCE].train != NULL)
    return &self->data[TL_ROLE_SOURCE];
  return &self->data[TL_ROLE_TARGET];
}

static void
clear_layers (TlArchitectureSpec *arch)
{
  g_clear_pointer (&arch->layers, g_free);
  if (arch->layer_names != NULL)
    for (int i = 0; i < arch->n_layers; i++)
      g_free (arch->layer_names[i]);
  g_clear_pointer (&arch->layer_names, g_free);
  arch->n_layers = 0;
}

gboolean
tl_document_has_layers (TlDocument *self)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);
  return self->exp->architecture.preset == NULL && self->exp->architecture.n_layers > 0;
}

/* Builds the source model from exp->architecture for the data; without data only "model" is emitted. */
static gboolean
rebuild_source (TlDocument *self, GError **error)
{
  const TlDataSlot *slot = architecture_slot (self);
  TlModel *model;

  if (slot->train == NULL)
    {
      tl_document_changed (self, "model");
      return TRUE;
    }
  model = tl_pipeline_build_model (&self->exp->architecture, slot->train, MAX (slot->vocab_size, 2),
                                   self->exp->seed, error);
  if (model == NULL)
    return FALSE;
  g_clear_pointer (&self->source_model_path, g_free);
  tl_document_set_source_model (self, model, FALSE, NULL);
  return TRUE;
}

/* By name: presets the core adds later are offered once it has them. */
static const char *const preset_order[] = { "mlp", "cnn", "text-ngram", "text-pool", "text-lstm", "audio-cnn" };

static gboolean
preset_fits_slot (TlPreset preset, const TlDataSlot *slot)
{
  g_autoptr (TlModel) model = NULL;

  if (slot->train == NULL)
    return TRUE;
  /* An MLP over token ids builds, but learns nothing: ids are not quantities. */
  if (slot->train->kind == TL_DATA_TEXT && preset == TL_PRESET_MLP)
    return FALSE;
  /* spectrograms: the audio CNN, or the MLP as a baseline; the audio CNN reads nothing else */
  if (slot->train->kind == TL_DATA_AUDIO)
    {
      if (preset != TL_PRESET_AUDIO_CNN && preset != TL_PRESET_MLP)
        return FALSE;
    }
  else if (preset == TL_PRESET_AUDIO_CNN)
    return FALSE;
  else if (slot->train->kind != TL_DATA_TEXT && preset != TL_PRESET_MLP && preset != TL_PRESET_CNN)
    return FALSE;
  model = tl_model_new_preset (preset, slot->train->sample_ndim, slot->train->sample_shape, slot->train->n_classes,
                               MAX (slot->vocab_size, 2), 0, NULL);
  return model != NULL;
}

guint
tl_document_list_presets (TlDocument *self, TlPreset *presets, guint max)
{
  const TlDataSlot *slot;
  guint n = 0;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), 0);

  slot = architecture_slot (self);
  for (guint i = 0; i < G_N_ELEMENTS (preset_order) && n < max; i++)
    {
      TlPreset preset;

      if (tl_preset_from_name (preset_order[i], &preset) && preset_fits_slot (preset, slot))
        presets[n++] = preset;
    }
  return n;
}

gboolean
tl_document_preset_fits (TlDocument *self, TlPreset preset)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);
  return preset_fits_slot (preset, architecture_slot (self));
}

/* New data that the preset cannot take, or a preset nobody chose: the kind's default. */
static void
follow_data_kind (TlDocument *self)
{
  const TlDataSlot *slot = architecture_slot (self);
  TlPreset fitting[8];
  guint n;

  if (slot->train == NULL || tl_document_has_layers (self) || self->exp->pretrained_model != NULL)
    return;
  if (self->preset_chosen && preset_fits_slot (self->preset, slot))
    return;
  n = tl_document_list_presets (self, fitting, G_N_ELEMENTS (fitting));
  if (n == 0)
    return;
  /* images: the CNN; audio: the audio CNN; text: the first text model that reads it; numbers: the MLP */
  self->preset = fitting[(slot->train->kind == TL_DATA_IMAGE || slot->train->kind == TL_DATA_AUDIO) && n > 1 ? 1 : 0];
  g_free (self->exp->architecture.preset);
  self->exp->architecture.preset = g_strdup (tl_preset_name (self->preset));
}

gboolean
tl_document_set_preset (TlDocument *self, TlPreset preset, GError **error)
{
  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);

  self->preset = preset;
  self->preset_chosen = TRUE;
  g_free (self->exp->architecture.preset);
  self->exp->architecture.preset = g_strdup (tl_preset_name (preset));
  /* A preset chosen here replaces an explicit layer list. */
  clear_layers (&self->exp->architecture);
  return rebuild_source (self, error);
}

gboolean
tl_document_set_layers (TlDocument *self, const TlLayerSpec *layers, char *const *names, int n,
                        GError **error)
{
  TlArchitectureSpec next = { 0 };
  TlArchitectureSpec old;
  const TlDataSlot *slot;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (n > 0 && layers != NULL, FALSE);

  next.n_layers = n;
  next.layers = g_memdup2 (layers, sizeof (TlLayerSpec) * (gsize) n);
  next.layer_names = g_new0 (char *, n + 1);
  for (int i = 0; i < n; i++)
    next.layer_names[i] = g_strdup (names != NULL ? names[i] : NULL);
  slot = architecture_slot (self);
  /* Written with the head sized as built, so the file says what runs. */
  if (slot->train != NULL)
    for (int i = n - 1; i >= 0; i--)
      if (next.layers[i].kind == TL_LAYER_DENSE)
        {
          next.layers[i].units = slot->train->n_classes;
          break;
        }
  if (slot->train != NULL)
    {
      g_autoptr (TlModel) model = tl_pipeline_build_model (&next, slot->train, MAX (slot->vocab_size, 2),
                                                           self->exp->seed, error);
      if (model == NULL)
        {
          clear_layers (&next);
          return FALSE;
        }
    }
  old = self->exp->architecture;
  g_free (old.preset);
  clear_layers (&old);
  self->exp->architecture = next;
  g_clear_pointer (&self->exp->pretrained_model, g_free);
  return rebuild_source (self, error);
}

void
tl_document_set_source_model (TlDocument *self, TlModel *model, gboolean trained, const char *path)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (TL_IS_DOCUMENT (self));

  if (model != self->source_model)
    {
      g_clear_pointer (&self->source_model, tl_model_free);
      self->source_model = model;
    }
  self->source_trained = trained;
  if (path != NULL)
    {
      g_free (self->source_model_path);
      self->source_model_path = g_strdup (path);
      g_free (self->exp->pretrained_model);
      self->exp->pretrained_model = g_strdup (path);
    }
  clear_results (self);
  tl_document_changed (self, "model");
  if (!tl_document_rebuild_target (self, &error))
    g_debug ("target model not rebuilt: %s", error->message);
}

gboolean
tl_document_load_pretrained (TlDocument *self, GError **error)
{
  g_autofree char *path = NULL;
  TlModel *model;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);

  if (self->exp->pretrained_model == NULL)
    return TRUE;
  path = tl_experiment_resolve_path (self->exp, self->exp->pretrained_model);
  model = tl_model_file_load (path, NULL, error);
  if (model == NULL)
    return FALSE;
  g_clear_pointer (&self->source_model, tl_model_free);
  self->source_model = model;
  self->source_trained = TRUE;
  g_free (self->source_model_path);
  self->source_model_path = g_steal_pointer (&path);
  tl_document_changed (self, "model");
  return TRUE;
}

gboolean
tl_document_rebuilds_head (TlDocument *self)
{
  const TlDataSlot *target, *source;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);

  target = tl_document_target_slot (self);
  source = &self->data[TL_ROLE_SOURCE];
  if (self->source_model == NULL || target->train == NULL)
    return FALSE;
  if (self->exp->transfer.rebuild_head || tl_model_n_outputs (self->source_model) != target->train->n_classes)
    return TRUE;
  /* as a run decides: the head is kept when the classes are the source's, by name and in order */
  if (source->train != NULL && target != source)
    for (int c = 0; c < target->train->n_classes; c++)
      if (c >= source->train->n_classes
          || g_strcmp0 (source->train->class_names[c], target->train->class_names[c]) != 0)
        return TRUE;
  return FALSE;
}

gboolean
tl_document_rebuild_target (TlDocument *self, GError **error)
{
  const TlDataSlot *target = tl_document_target_slot (self);
  g_autoptr (TlModel) model = NULL;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);

  if (self->source_model == NULL)
    {
      g_clear_pointer (&self->target_model, tl_model_free);
      tl_document_changed (self, "transfer");
      return TRUE;
    }
  model = tl_model_copy (self->source_model);
  /* A fresh head when asked for, and always when the target's classes are not the model's outputs. */
  if (target->train != NULL && tl_document_rebuilds_head (self)
      && !tl_model_replace_head (model, target->train->n_classes, error))
    return FALSE;
  g_clear_pointer (&self->target_model, tl_model_free);
  self->target_model = g_steal_pointer (&model);
  tl_document_apply_plan (self);
  tl_document_changed (self, "transfer");
  return TRUE;
}

static int
layer_index (TlModel *model, const char *ref)
{
  char *end = NULL;
  gint64 index;

  index = g_ascii_strtoll (ref, &end, 10);
  if (end != ref && *end == '\0' && index >= 0 && index < tl_model_n_layers (model))
    return (int) index;
  return tl_model_find_layer (model, ref);
}

void
tl_document_apply_plan (TlDocument *self)
{
  const TlTransferSpec *plan = &self->exp->transfer;
  TlModel *model = self->target_model;
  int n;

  g_return_if_fail (TL_IS_DOCUMENT (self));

  if (model == NULL)
    return;
  n = tl_model_n_layers (model);
  for (int i = 0; i < n; i++)
    {
      tl_model_set_trainable (model, i, TRUE);
      tl_model_set_lr_mult (model, i, 1.0f);
    }
  if (plan->freeze_mode == TL_FREEZE_BELOW)
    tl_model_freeze_below (model, MIN (plan->freeze_below, n));
  else if (plan->freeze_mode == TL_FREEZE_LAYERS && plan->freeze_layers != NULL)
    for (int i = 0; plan->freeze_layers[i] != NULL; i++)
      {
        int k = layer_index (model, plan->freeze_layers[i]);
        if (k >= 0)
          tl_model_set_trainable (model, k, FALSE);
      }
  for (int i = 0; i < plan->n_lr_mults; i++)
    {
      int k = layer_index (model, plan->lr_mult_layers[i]);
      if (k >= 0)
        tl_model_set_lr_mult (model, k, (float) plan->lr_mults[i]);
    }
}

/* Writes the freeze plan and learning-rate multipliers of model into plan. */
static void
store_plan (TlModel *model, TlTransferSpec *plan)
{
  g_autoptr (GStrvBuilder) frozen = g_strv_builder_new ();
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GArray) mults = g_array_new (FALSE, FALSE, sizeof (double));
  int n, lowest_unfrozen = -1, n_frozen = 0;
  gboolean contiguous = TRUE;

  n = tl_model_n_layers (model);
  for (int i = 0; i < n; i++)
    {
      TlLayer *layer = tl_model_layer (model, i);

      if (layer->n_params == 0)
        continue;
      if (!layer->trainable)
        {
          g_strv_builder_add (frozen, layer->name);
          n_frozen++;
          if (lowest_unfrozen >= 0)
            contiguous = FALSE;
        }
      else if (lowest_unfrozen < 0)
        lowest_unfrozen = i;
      if (layer->lr_mult != 1.0f)
        {
          double m = layer->lr_mult;
          g_ptr_array_add (names, g_strdup (layer->name));
          g_array_append_val (mults, m);
        }
    }

  g_clear_pointer (&plan->freeze_layers, g_strfreev);
  if (n_frozen == 0)
    {
      plan->freeze_mode = TL_FREEZE_NONE;
      plan->freeze_below = 0;
    }
  else if (contiguous)
    {
      plan->freeze_mode = TL_FREEZE_BELOW;
      plan->freeze_below = lowest_unfrozen < 0 ? n : lowest_unfrozen;
    }
  else
    {
      plan->freeze_mode = TL_FREEZE_LAYERS;
      plan->freeze_layers = g_strv_builder_end (frozen);
    }

  if (plan->lr_mult_layers != NULL)
    for (int i = 0; i < plan->n_lr_mults; i++)
      g_free (plan->lr_mult_layers[i]);
  g_free (plan->lr_mult_layers);
  g_free (plan->lr_mults);
  plan->n_lr_mults = (int) names->len;
  g_ptr_array_add (names, NULL);
  plan->lr_mult_layers = (char **) g_ptr_array_steal (names, NULL);
  plan->lr_mults = (double *) g_array_steal (mults, NULL);
}

void
tl_document_store_plan (TlDocument *self)
{
  g_return_if_fail (TL_IS_DOCUMENT (self));

  if (self->target_model != NULL)
    {
      store_plan (self->target_model, &self->exp->transfer);
    }
}

TlExperiment *
tl_document_dup_planned_experiment (TlDocument *self)
{
  TlExperiment *planned;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);

  planned = tl_experiment_copy (self->exp);
  if (self->target_model != NULL)
    {
      store_plan (self->target_model, &planned->transfer);
    }
  return planned;
}

void
tl_document_set_data (TlDocument *self, TlDataRole role, const char *path, const char *description,
                      TlDataset *train, TlDataset *val, TlDataset *test, int vocab_size)
{
  TlDataSlot *slot;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (TL_IS_DOCUMENT (self));
  g_return_if_fail (role < TL_N_ROLES);

  slot = &self->data[role];
  data_slot_clear (slot);
  slot->path = g_strdup (path);
  slot->description = g_strdup (description);
  slot->train = train;
  slot->val = val;
  slot->test = test;
  slot->vocab_size = vocab_size;
  clear_results (self);
  tl_document_changed (self, "data");

  /* A new source changes the architecture's input; a new target only the head. */
  if (role == TL_ROLE_SOURCE || self->source_model == NULL || !self->source_trained)
    {
      follow_data_kind (self);
      if (!rebuild_source (self, &error))
        g_debug ("no model for the data: %s", error->message);
    }
  else if (!tl_document_rebuild_target (self, &error))
    g_debug ("target model not rebuilt: %s", error->message);
}

void
tl_document_set_experiment (TlDocument *self, TlExperiment *exp, const char *path)
{
  g_return_if_fail (TL_IS_DOCUMENT (self));
  g_return_if_fail (exp != NULL);

  for (int r = 0; r < TL_N_ROLES; r++)
    data_slot_clear (&self->data[r]);
  clear_results (self);
  g_clear_pointer (&self->source_model, tl_model_free);
  g_clear_pointer (&self->target_model, tl_model_free);
  g_clear_pointer (&self->source_model_path, g_free);
  self->source_trained = FALSE;
  g_clear_pointer (&self->exp, tl_experiment_free);
  self->exp = exp;
  if (exp->architecture.preset == NULL || !tl_preset_from_name (exp->architecture.preset, &self->preset))
    self->preset = TL_PRESET_MLP;
  self->preset_chosen = exp->file_name != NULL;
  g_free (self->path);
  self->path = g_strdup (path);
  self->modified = FALSE;
  tl_document_changed (self, "data");
  tl_document_changed (self, "model");
  tl_document_changed (self, "transfer");
  tl_document_changed (self, "params");
  self->modified = FALSE;
  g_signal_emit (self, signals[CHANGED], g_quark_from_static_string ("file"), "file");
}

/* The run's own predictions of its test rows, from the predictions.csv it wrote, so that
 * a confusion cell lists exactly the samples it counts; NULL when there is no such file. */
int *
tl_run_read_predictions (const TlRunResult *run, int n)
{
  g_autofree char *path = NULL, *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree int *predictions = NULL;
  int rows = 0;

  if (run->folder == NULL || run->labels == NULL)
    return NULL;
  path = g_build_filename (run->folder, "predictions.csv", NULL);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  predictions = g_new (int, MAX (n, 1));
  for (int i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i], ",", 4);
      int c = -1;

      if (rows >= n || g_strv_length (fields) < 3)
        return NULL;
      for (int k = 0; run->labels[k] != NULL && c < 0; k++)
        if (g_strcmp0 (run->labels[k], fields[2]) == 0)
          c = k;
      if (c < 0)
        return NULL;
      predictions[rows++] = c;
    }
  return rows == n ? g_steal_pointer (&predictions) : NULL;
}


char *
tl_document_dup_results_root (TlDocument *self)
{
  GSettings *settings = tl_settings_get ();
  g_autofree char *chosen = settings != NULL ? g_settings_get_string (settings, "results-folder") : NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), NULL);

  if (chosen != NULL && *chosen != '\0')
    {
      name = tl_document_get_title (self);
      g_strdelimit (name, "/\\:", '-');
      return g_build_filename (chosen, name, NULL);
    }
  if (self->path != NULL || self->exp->outputs.folder != NULL)
    return tl_run_history_root (self->exp, NULL);
  /* never saved: its folder is only the current one */
  name = tl_document_get_title (self);
  g_strdelimit (name, "/\\:", '-');
  return g_build_filename (g_get_user_data_dir (), "transfer-lab", "results", name, NULL);
}

static void
loaded_run_free (TlRunResult *run)
{
  if (run == NULL)
    return;
  g_free (run->name);
  tl_model_free (run->model);
  g_strfreev (run->labels);
  tl_history_free (run->history);
  tl_metrics_free (run->metrics);
  g_free (run->folder);
  g_free (run->model_path);
  g_free (run->inputs_hash);
  g_free (run->reused_from);
  g_free (run);
}

/* One run of a run folder from its files, or NULL when they are unreadable. */
static TlRunResult *
load_run (const TlRunRecord *record, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *folder = tl_run_record_run_folder (record, name);
  g_autofree char *model_path = NULL, *metrics_path = NULL, *metrics_text = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;
  JsonObject *entry = tl_run_record_entry (record, name);
  TlRunResult *run;

  if (folder == NULL || entry == NULL)
    return NULL;
  model_path = g_build_filename (folder, "model.safetensors", NULL);
  if ((model = tl_model_file_load (model_path, &info, &error)) == NULL)
    {
      g_debug ("%s: %s", name, error->message);
      return NULL;
    }
  run = g_new0 (TlRunResult, 1);
  run->name = g_strdup (name);
  run->labels = g_strdupv (info->labels);
  run->trainable_params = (guint64) json_object_get_int_member_with_default (entry, "trainable_params", 0);
  run->total_params = (guint64) json_object_get_int_member_with_default (entry, "total_params", 0);
  run->model = g_steal_pointer (&model);
  run->history = tl_run_record_load_history (record, name, NULL);
  if (run->history == NULL)
    run->history = tl_history_new ();
  run->epochs = (int) json_object_get_int_member_with_default (entry, "epochs", run->history->epochs->len);
  run->train_seconds = json_object_get_double_member_with_default (entry, "train_seconds", 0.0);
  run->cached_layers = (int) json_object_get_int_member_with_default (entry, "cached_layers", 0);
  metrics_path = g_build_filename (folder, "metrics.json", NULL);
  if (g_file_get_contents (metrics_path, &metrics_text, NULL, NULL))
    {
      g_autoptr (JsonNode) node = json_from_string (metrics_text, NULL);

      run->metrics = node != NULL ? tl_metrics_from_json (node, NULL) : NULL;
    }
  run->inputs_hash = g_strdup (json_object_get_string_member_with_default (entry, "inputs_hash", NULL));
  run->reused_from = g_strdup (tl_run_record_reused_from (record, name));
  run->folder = g_steal_pointer (&folder);
  run->model_path = g_steal_pointer (&model_path);
  return run;
}

gboolean
tl_document_load_last_result (TlDocument *self)
{
  g_autofree char *root = NULL;
  g_autoptr (TlRunHistory) history = NULL;
  g_autoptr (GError) error = NULL;
  TlRunRecord *record = NULL;
  TlPipelineResult *result;
  g_auto (GStrv) names = NULL;

  g_return_val_if_fail (TL_IS_DOCUMENT (self), FALSE);

  root = tl_document_dup_results_root (self);
  if ((history = tl_run_history_load (root, &error)) == NULL)
    {
      g_debug ("%s: %s", root, error->message);
      return FALSE;
    }
  for (guint i = history->records->len; i > 0 && record == NULL; i--)
    {
      TlRunRecord *r = g_ptr_array_index (history->records, i - 1);

      if (r->summary != NULL)
        record = r;
    }
  if (record == NULL)
    return FALSE;
  result = g_new0 (TlPipelineResult, 1);
  result->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) loaded_run_free);
  result->output_folder = g_strdup (record->folder);
  result->summary_path = g_build_filename (record->folder, "summary.json", NULL);
  result->history_root = g_strdup (root);
  result->cancelled = record->status == TL_RUN_STOPPED;
  names = tl_run_record_run_names (record);
  for (guint i = 0; names[i] != NULL; i++)
    {
      TlRunResult *run = load_run (record, names[i]);

      if (run != NULL)
        g_ptr_array_add (result->runs, run);
    }
  if (result->runs->len == 0)
    {
      tl_pipeline_result_free (result);
      return FALSE;
    }
  tl_document_set_result (self, result);
  return TRUE;
}
