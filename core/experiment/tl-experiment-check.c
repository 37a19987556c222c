#define G_LOG_DOMAIN "tl-experiment-check"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tl-dp-sgd.h"
#include "tl-embedding-vectors.h"
#include "tl-experiment-check.h"
#include "tl-model-file.h"
#include "tl-pipeline.h"

/* What a data source holds, as far as it is known before importing it. */
typedef enum {
  KIND_UNKNOWN = -1,
  KIND_TABULAR = TL_DATA_TABULAR,
  KIND_IMAGE = TL_DATA_IMAGE,
  KIND_TEXT = TL_DATA_TEXT,
  KIND_AUDIO = TL_DATA_AUDIO,
} Kind;

void
tl_experiment_problem_free (TlExperimentProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->field);
  g_free (problem->message);
  g_free (problem);
}

void
tl_data_summary_from_dataset (TlDataSummary *summary, const TlDataset *train, const TlDataset *test, int vocab_size)
{
  g_return_if_fail (summary != NULL && train != NULL);

  memset (summary, 0, sizeof *summary);
  summary->kind = train->kind;
  summary->sample_ndim = MIN (train->sample_ndim, 3);
  memcpy (summary->sample_shape, train->sample_shape, sizeof (int) * summary->sample_ndim);
  summary->n_classes = train->n_classes;
  summary->vocab_size = vocab_size;
  summary->n_train = train->n;
  summary->n_test = test != NULL ? test->n : 0;
}

G_GNUC_PRINTF (3, 4) static void
add (GPtrArray *problems, const char *field, const char *format, ...)
{
  TlExperimentProblem *p = g_new0 (TlExperimentProblem, 1);
  va_list args;

  va_start (args, format);
  p->field = g_strdup (field);
  p->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (problems, p);
}

static const char *
kind_text (Kind kind)
{
  switch (kind)
    {
    case KIND_TABULAR: return _("numeric features");
    case KIND_IMAGE: return _("images");
    case KIND_TEXT: return _("text");
    case KIND_AUDIO: return _("audio");
    default: return "";
    }
}

static Kind
spec_kind (const TlDataSourceSpec *spec, const TlDataSummary *summary)
{
  if (summary != NULL)
    return (Kind) summary->kind;
  if (spec->format == TL_DATA_FORMAT_IMAGES || spec->format == TL_DATA_FORMAT_IDX)
    return KIND_IMAGE;
  if (spec->format == TL_DATA_FORMAT_AUDIO)
    return KIND_AUDIO;
  if (spec->text_column != NULL)
    return KIND_TEXT;
  /* a CSV's columns are known only once it is read */
  return KIND_UNKNOWN;
}

static void
check_file (GPtrArray *problems, const TlExperiment *exp, const char *field, const char *path)
{
  g_autofree char *resolved = NULL;

  if (path == NULL)
    return;
  resolved = tl_experiment_resolve_path (exp, path);
  if (!g_file_test (resolved, G_FILE_TEST_EXISTS))
    add (problems, field, _("%s is missing: locate the file or pick other data."), resolved);
}

static void
check_source (GPtrArray *problems, const TlExperiment *exp, const TlDataSourceSpec *spec, const char *role,
              const TlDataSummary *summary, gboolean is_target)
{
  g_autofree char *path_field = g_strconcat (role, ".path", NULL);
  g_autofree char *labels_field = g_strconcat (role, ".labels", NULL);
  g_autofree char *test_field = g_strconcat (role, ".test_path", NULL);
  g_autofree char *classes_field = g_strconcat (role, ".classes", NULL);
  g_autofree char *fraction_field = g_strconcat (role, ".test_fraction", NULL);

  if (spec->path == NULL)
    return;
  /* a missing folder that a generator makes is made when the run starts */
  if (spec->generate != NULL)
    {
      g_autofree char *generate_field = g_strconcat (role, ".generate", NULL);

      check_file (problems, exp, generate_field, spec->generate);
    }
  else
    check_file (problems, exp, path_field, spec->path);
  check_file (problems, exp, labels_field, spec->labels_path);
  check_file (problems, exp, test_field, spec->test_path);
  check_file (problems, exp, test_field, spec->test_labels_path);
  if (spec->classes != NULL && g_strv_length (spec->classes) < 2)
    add (problems, classes_field, _("Only one class is picked: a classifier needs at least two."));
  else if (summary != NULL && summary->n_classes < 2)
    add (problems, classes_field, _("The data hold %d class: a classifier needs at least two."), summary->n_classes);
  /* the target is always read through the pretrained model's preprocessing, which makes no copies */
  if (is_target && spec->format == TL_DATA_FORMAT_AUDIO && spec->audio_augment.copies > 0)
    add (problems, "target.audio_augment",
         _("Augmented copies are made of the source's recordings only: the target is read through the pretrained "
           "model's preprocessing, which makes none. Set the target's copies to 0, or import the target again."));
  if (is_target && spec->test_path == NULL && spec->test_fraction <= 0)
    add (problems, fraction_field, _("The target has no test data: set a test fraction or a test file."));
  else if (is_target && summary != NULL && summary->n_test == 0)
    add (problems, fraction_field, _("The target's test split is empty: raise the test fraction."));
}

/* A model of the architecture: for the data when their shape is known, else for a
 * stand-in of the kind each preset reads (the layer count does not depend on it). */
static TlModel *
build_model (const TlExperiment *exp, const TlDataSummary *data, Kind kind, GError **error)
{
  g_autoptr (TlDataset) ds = NULL;
  int shape[3] = { 8, 0, 0 };
  int ndim = 1, vocab = 100;
  TlDataKind ds_kind = kind == KIND_UNKNOWN ? TL_DATA_TABULAR : (TlDataKind) kind;
  TlArchitectureSpec arch = exp->architecture;
  g_autofree TlLayerSpec *layers = NULL;

  /* an embedding without a dimension takes the word vectors': any stands in for it here */
  if (arch.embedding_vectors != NULL && arch.n_layers > 0)
    {
      arch.layers = layers = g_memdup2 (arch.layers, sizeof (TlLayerSpec) * arch.n_layers);
      for (int i = 0; i < arch.n_layers; i++)
        if ((layers[i].kind == TL_LAYER_EMBEDDING || layers[i].kind == TL_LAYER_EMBEDDING_BAG)
            && layers[i].embed_dim == 0)
          layers[i].embed_dim = 8;
    }

  if (data != NULL)
    {
      ds = tl_dataset_new (data->kind, 1, data->sample_ndim, data->sample_shape, MAX (data->n_classes, 2), NULL);
      return tl_pipeline_build_model (&arch, ds, MAX (data->vocab_size, 2), exp->seed, error);
    }
  if (g_strcmp0 (exp->architecture.preset, "cnn") == 0)
    {
      ndim = 3, shape[0] = 1, shape[1] = 28, shape[2] = 28;
      ds_kind = TL_DATA_IMAGE;
    }
  else if (g_strcmp0 (exp->architecture.preset, "audio-cnn") == 0)
    {
      ndim = 3, shape[0] = 1, shape[1] = 40, shape[2] = 101;
      ds_kind = TL_DATA_AUDIO;
    }
  else if (g_strcmp0 (exp->architecture.preset, "text-ngram") == 0)
    ndim = 2, shape[0] = 2, shape[1] = 16;
  ds = tl_dataset_new (ds_kind, 1, ndim, shape, 2, NULL);
  return tl_pipeline_build_model (&arch, ds, vocab, exp->seed, error);
}

static void
check_architecture (GPtrArray *problems, const TlExperiment *exp, const TlDataSummary *data, Kind kind)
{
  const char *preset = exp->architecture.preset;
  const char *field = preset != NULL || exp->architecture.n_layers == 0 ? "architecture.preset"
                                                                        : "architecture.layers";
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  gboolean text_preset = preset != NULL && g_str_has_prefix (preset, "text-");

  if (preset != NULL && kind == KIND_TEXT && !text_preset)
    {
      add (problems, field, _("The %s preset cannot read text: choose a text model."), preset);
      return;
    }
  if (preset != NULL && kind != KIND_UNKNOWN && kind != KIND_TEXT && text_preset)
    {
      add (problems, field, _("The %s preset reads text, but the data are %s."), preset, kind_text (kind));
      return;
    }
  if (preset != NULL && kind == KIND_TABULAR && g_strcmp0 (preset, "cnn") == 0)
    {
      add (problems, field, _("The cnn preset reads images, but the data are numeric features."));
      return;
    }
  if (data == NULL && kind == KIND_UNKNOWN)
    return;
  model = build_model (exp, data, kind, &error);
  if (model == NULL && data != NULL)
    add (problems, field, _("The architecture does not fit the data: %s"), error->message);
}

static int
head_index (TlModel *model)
{
  for (int i = tl_model_n_layers (model) - 1; i >= 0; i--)
    if (tl_model_layer (model, i)->spec.kind == TL_LAYER_DENSE)
      return i;
  return -1;
}

/* Private training computes per-sample gradients of dense, convolution and embedding layers only. */
static void
check_private_layers (GPtrArray *problems, const TlExperiment *exp, TlModel *model, const gboolean *frozen)
{
  if (!exp->transfer.finetune.private)
    return;
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      const TlLayer *layer = tl_model_layer (model, i);

      if (layer->n_params == 0 || tl_dp_layer_supported (layer))
        continue;
      if (!frozen[i])
        add (problems, "transfer.freeze.below", _("Private training cannot train layer %s (%s): freeze it."),
             layer->name, tl_layer_kind_name (layer->spec.kind));
      if (exp->baseline)
        add (problems, "baseline",
             _("The baseline from scratch would train layer %s (%s), which private training cannot: turn the "
               "baseline off."), layer->name, tl_layer_kind_name (layer->spec.kind));
      return;
    }
}

/* With gradual unfreezing, the weights are averaged over the last phase only. */
static void
check_average_phase (GPtrArray *problems, const TlTransferSpec *t)
{
  int last_phase;

  if (t->unfreeze_every <= 0 || t->finetune.average_epochs <= 0 || t->finetune.epochs < 1)
    return;
  last_phase = (t->finetune.epochs - 1) % t->unfreeze_every + 1;
  if (t->finetune.average_epochs > last_phase)
    add (problems, "transfer.average_epochs",
         _("With gradual unfreezing, only the epochs of the last phase can be averaged: at most %d here."), last_phase);
}

/* What private training needs: one training per run, and delta below one over the training samples. */
static void
check_privacy (GPtrArray *problems, const TlExperiment *exp, const TlDataSummary *target)
{
  const TlTransferSpec *t = &exp->transfer;

  if (!t->finetune.private)
    return;
  if (t->unfreeze_every > 0)
    add (problems, "transfer.unfreeze_every",
         _("Private training accounts for one training at a time, and gradual unfreezing trains several: set it "
           "to 0."));
  for (int i = 0; i < t->n_strategies; i++)
    if (t->strategies[i] == TL_STRATEGY_DOMAIN_ADVERSARIAL || t->strategies[i] == TL_STRATEGY_SELF_TRAINING)
      {
        add (problems, "transfer.strategy",
             _("Private training supports the fine-tune and joint strategies, not %s."),
             tl_strategy_names[t->strategies[i]]);
        break;
      }
  /* the vocabulary and its document frequencies are counted outside DP-SGD: a word that only one
   * private text holds would enter the model */
  if (t->unlabeled_text && exp->source.format == TL_DATA_FORMAT_CSV && exp->source.text_column != NULL
      && exp->target.format == TL_DATA_FORMAT_CSV && exp->target.text_column != NULL)
    add (problems, "transfer.unlabeled_text",
         _("Private training cannot count the n-gram vocabulary over the target's text: the words of a single "
           "private text would enter the model outside the privacy guarantee. Turn off the unlabelled target "
           "text (transfer.unlabeled_text false)."));
  if (target != NULL && target->n_train > 0 && t->finetune.privacy.delta >= 1.0 / target->n_train)
    add (problems, "transfer.privacy.delta",
         _("Delta must be below 1/%d, one over the number of target training samples, got %g."), target->n_train,
         t->finetune.privacy.delta);
}

static void
check_plan (GPtrArray *problems, const TlExperiment *exp, TlModel *model, gboolean new_head)
{
  const TlTransferSpec *t = &exp->transfer;
  int n = tl_model_n_layers (model), head = head_index (model);
  int trainable = 0;
  guint before = problems->len;
  g_autofree gboolean *frozen = g_new0 (gboolean, MAX (n, 1));

  if (t->freeze_mode == TL_FREEZE_BELOW)
    {
      for (int i = 0; i < MIN (t->freeze_below, n); i++)
        frozen[i] = TRUE;
      if (t->freeze_below > n)
        add (problems, "transfer.freeze.below", _("The model has %d layers: it cannot freeze the %d below layer %d."),
             n, t->freeze_below, t->freeze_below);
      else if (new_head && head >= 0 && t->freeze_below > head)
        add (problems, "transfer.freeze.below",
             _("Freezing layers 0 to %d freezes the new head (layer %d) too, so nothing would learn: "
               "freeze the layers below %d at most."),
             t->freeze_below - 1, head, head);
    }
  else if (t->freeze_mode == TL_FREEZE_LAYERS && t->freeze_layers != NULL)
    for (int i = 0; t->freeze_layers[i] != NULL; i++)
      {
        g_autoptr (GError) error = NULL;
        int k = tl_pipeline_find_layer (model, t->freeze_layers[i], &error);

        if (k < 0)
          add (problems, "transfer.freeze.layers", _("There is no layer %s to freeze."), t->freeze_layers[i]);
        else
          {
            frozen[k] = TRUE;
            if (new_head && k == head)
              add (problems, "transfer.freeze.layers",
                   _("Layer %s is the new head, sized for the target's classes: it must train."),
                   t->freeze_layers[i]);
          }
      }
  for (int i = 0; i < t->n_lr_mults; i++)
    {
      g_autoptr (GError) error = NULL;

      if (tl_pipeline_find_layer (model, t->lr_mult_layers[i], &error) < 0)
        add (problems, "transfer.lr_mult", _("There is no layer %s to give a learning-rate multiplier."),
             t->lr_mult_layers[i]);
    }
  for (int i = 0; i < n; i++)
    if (!frozen[i] && tl_model_layer (model, i)->n_params > 0)
      trainable++;
  check_private_layers (problems, exp, model, frozen);
  if (trainable == 0 && problems->len == before)
    add (problems, t->freeze_mode == TL_FREEZE_LAYERS ? "transfer.freeze.layers" : "transfer.freeze.below",
         _("Every layer is frozen: nothing would learn. Leave at least the head trainable."));
}

static void
check_training (GPtrArray *problems, const TlTrainSpec *spec, const char *prefix)
{
  g_autofree char *epochs = g_strconcat (prefix, ".epochs", NULL);
  g_autofree char *batch = g_strconcat (prefix, ".batch_size", NULL);
  g_autofree char *rate = g_strconcat (prefix, ".optimizer.learning_rate", NULL);

  if (spec->epochs < 1)
    add (problems, epochs, _("Train for at least one epoch."));
  if (spec->batch_size < 1)
    add (problems, batch, _("A batch holds at least one sample."));
  if (!(spec->optimizer.learning_rate > 0))
    add (problems, rate, _("The learning rate must be above zero."));
  if (spec->average_epochs > 0 && spec->patience > 0)
    {
      g_autofree char *average = g_strconcat (prefix, ".average_epochs", NULL);
      add (problems, average, _("Averaging the last epochs' weights and early stopping exclude each other: "
                                "set average_epochs or patience, not both."));
    }
}

/* What the transfer strategies need of the data, as far as it is known. */
static void
check_strategies (GPtrArray *problems, const TlExperiment *exp, const TlDataSummary *source,
                  const TlDataSummary *target)
{
  const TlTransferSpec *t = &exp->transfer;
  gboolean labelled = exp->target.use_labels;
  /* unlabelled rows: the training rows past N per class, a file of them, or all without labels */
  gboolean unlabelled = !exp->target.use_labels || exp->target.unlabeled_path != NULL
                        || (exp->target.per_class > 0 && (target == NULL || target->n_train > 0));
  gboolean needs_labels = FALSE, needs_source = FALSE, needs_unlabelled = FALSE;

  if (t->n_strategies < 1)
    {
      add (problems, "transfer.strategy", _("Pick at least one transfer strategy."));
      return;
    }
  for (int i = 0; i < t->n_strategies; i++)
    {
      TlStrategy s = t->strategies[i];

      needs_labels |= s == TL_STRATEGY_FINE_TUNE || s == TL_STRATEGY_JOINT || s == TL_STRATEGY_SELF_TRAINING;
      needs_source |= s != TL_STRATEGY_FINE_TUNE;
      needs_unlabelled |= s == TL_STRATEGY_DOMAIN_ADVERSARIAL || s == TL_STRATEGY_SELF_TRAINING;
    }
  if (needs_labels && !labelled)
    add (problems, "transfer.strategy",
         _("Fine-tune, joint and self-training learn from labelled target samples, and the target's labels are not "
           "used: pick domain-adversarial alone, or use the labels."));
  if (needs_source && exp->pretrained_model != NULL)
    add (problems, "transfer.strategy",
         _("Joint, domain-adversarial and self-training train on the source data too: they cannot start from a "
           "model file."));
  else if (needs_source && exp->source.path == NULL)
    add (problems, "transfer.strategy",
         _("Joint, domain-adversarial and self-training train on the source data too: import source data."));
  else if (needs_source && source != NULL && target != NULL && source->n_classes != target->n_classes)
    add (problems, "transfer.strategy",
         _("Joint, domain-adversarial and self-training train source and target samples together: they need the "
           "same classes, and the source has %d where the target has %d."), source->n_classes, target->n_classes);
  if (needs_unlabelled && !unlabelled)
    add (problems, "transfer.strategy",
         _("Domain-adversarial and self-training need unlabelled target samples: keep fewer labelled samples per "
           "class, or give a file of unlabelled ones."));
}

GPtrArray *
tl_experiment_check (const TlExperiment *exp, const TlDataSummary *source, const TlDataSummary *target)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_experiment_problem_free);
  gboolean has_source = exp != NULL && exp->source.path != NULL;
  gboolean has_target = exp != NULL && exp->target.path != NULL;
  Kind source_kind, target_kind, model_kind = KIND_UNKNOWN;
  g_autoptr (TlModel) pretrained = NULL;
  g_autoptr (TlModel) model = NULL;

  g_return_val_if_fail (exp != NULL, problems);

  if (!has_source && !has_target)
    {
      add (problems, "source.path", _("There are no data: import source or target data."));
      return problems;
    }
  check_source (problems, exp, &exp->source, "source", source, FALSE);
  check_source (problems, exp, &exp->target, "target", target, TRUE);
  source_kind = has_source ? spec_kind (&exp->source, source) : KIND_UNKNOWN;
  target_kind = has_target ? spec_kind (&exp->target, target) : KIND_UNKNOWN;

  if (exp->pretrained_model != NULL)
    {
      g_autofree char *path = tl_experiment_resolve_path (exp, exp->pretrained_model);
      g_autoptr (TlModelInfo) info = NULL;
      g_autoptr (GError) error = NULL;

      pretrained = tl_model_file_load (path, &info, &error);
      if (pretrained == NULL)
        add (problems, "pretrain.model", "%s", error->message);
      else if (info->preprocessing != NULL && JSON_NODE_HOLDS_OBJECT (info->preprocessing))
        {
          const char *kind = json_object_get_string_member_with_default (
            json_node_get_object (info->preprocessing), "kind", "");
          model_kind = g_str_equal (kind, "text") ? KIND_TEXT : g_str_equal (kind, "image") ? KIND_IMAGE
                     : g_str_equal (kind, "audio") ? KIND_AUDIO
                     : g_str_equal (kind, "tabular") ? KIND_TABULAR : KIND_UNKNOWN;
        }
      if (!has_target)
        add (problems, "target.path", _("A pretrained model is fine-tuned on target data: import the target's data."));
      if (model_kind != KIND_UNKNOWN && target_kind != KIND_UNKNOWN && model_kind != target_kind)
        add (problems, "target.path", _("The target holds %s, but the pretrained model reads %s."),
             kind_text (target_kind), kind_text (model_kind));
    }
  else
    {
      if (!has_source)
        add (problems, "source.path",
             _("A model is pretrained on source data: import the source's data, or choose a pretrained model."));
      if (has_source && has_target && source_kind != KIND_UNKNOWN && target_kind != KIND_UNKNOWN
          && source_kind != target_kind)
        add (problems, "target.path",
             _("The target holds %s, but the source holds %s: a model pretrained on one cannot read the other."),
             kind_text (target_kind), kind_text (source_kind));
      check_architecture (problems, exp, has_source ? source : target,
                          has_source ? source_kind : target_kind);
      if (has_source)
        check_training (problems, &exp->pretrain, "pretrain");
    }
  check_training (problems, &exp->transfer.finetune, "transfer");
  check_average_phase (problems, &exp->transfer);
  check_privacy (problems, exp, has_target ? target : NULL);
  {
    g_autoptr (GError) error = NULL;
    if (!tl_embedding_vectors_check (exp, &error))
      add (problems, "architecture.embedding_vectors", "%s", error->message);
  }
  if (has_target)
    check_strategies (problems, exp, has_source ? source : NULL, target);

  /* The freeze plan, on the model as it will be (its layer names and head). */
  if (pretrained != NULL)
    model = g_steal_pointer (&pretrained);
  else if (exp->pretrained_model == NULL)
    {
      const TlDataSummary *data = has_source ? source : target;
      Kind kind = has_source ? source_kind : target_kind;

      model = build_model (exp, data, kind, NULL);
    }
  if (model != NULL)
    check_plan (problems, exp, model,
                exp->transfer.rebuild_head
                || (target != NULL && tl_model_n_outputs (model) != target->n_classes));
  return problems;
}
