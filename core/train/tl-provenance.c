#define G_LOG_DOMAIN "tl-provenance"

#include "config.h"

#include <math.h>

#include "tl-provenance.h"

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

/* A float as its shortest decimal that reads back the same: 0.001, not 0.0010000000474974513. */
static void
add_float (JsonBuilder *b, const char *name, float value)
{
  static const char *const formats[] = { "%.1g", "%.2g", "%.3g", "%.4g", "%.5g", "%.6g", "%.7g", "%.8g", "%.9g" };
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  double shortest = value;

  for (guint d = 0; d < G_N_ELEMENTS (formats); d++)
    {
      double back = g_ascii_strtod (g_ascii_formatd (text, sizeof text, formats[d], value), NULL);
      if ((float) back == value)
        {
          shortest = back;
          break;
        }
    }
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, shortest);
}

static void
add_layer_settings (JsonBuilder *b, const TlModel *model)
{
  json_builder_set_member_name (b, "frozen_layers");
  json_builder_begin_array (b);
  for (int i = 0; i < tl_model_n_layers (model); i++)
    if (!tl_model_layer (model, i)->trainable)
      json_builder_add_string_value (b, tl_model_layer (model, i)->name);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "lr_mult");
  json_builder_begin_object (b);
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      const TlLayer *layer = tl_model_layer (model, i);
      if (layer->lr_mult != 1.0f)
        add_float (b, layer->name, layer->lr_mult);
    }
  json_builder_end_object (b);
}

static void
add_training (JsonBuilder *b, const TlTrainConfig *training)
{
  json_builder_set_member_name (b, "batch_size");
  json_builder_add_int_value (b, training->batch_size);
  add_string (b, "optimizer", tl_optimizer_kind_names[training->optimizer.kind]);
  add_float (b, "learning_rate", training->optimizer.learning_rate);
}

static void
add_double (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

/* What a reader needs to judge the guarantee: (epsilon, delta) spent, how it was
 * accounted, and the mechanism's settings. */
static void
add_privacy (JsonBuilder *b, const TlPrivacyConfig *privacy, const TlHistory *history)
{
  json_builder_set_member_name (b, "privacy");
  json_builder_begin_object (b);
  add_string (b, "mechanism", "dp-sgd");
  add_double (b, "epsilon", isfinite (history->epsilon) ? history->epsilon : 0.0);
  add_double (b, "delta", privacy->delta);
  if (privacy->epsilon > 0.0)
    add_double (b, "epsilon_budget", privacy->epsilon);
  add_double (b, "clip", privacy->clip);
  add_double (b, "noise_multiplier", history->privacy_sigma);
  add_double (b, "sample_rate", history->privacy_sample_rate);
  json_builder_set_member_name (b, "steps");
  json_builder_add_int_value (b, (gint64) history->privacy_steps);
  add_string (b, "accountant", "rdp-poisson-subsampled-gaussian");
  add_string (b, "conversion", "standard");
  json_builder_set_member_name (b, "stopped_by_budget");
  json_builder_add_boolean_value (b, history->budget_spent);
  json_builder_end_object (b);
}

JsonNode *
tl_provenance_to_json (const TlProvenance *provenance, const TlModel *model)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const TlProvenance *p = provenance;

  g_return_val_if_fail (provenance != NULL && model != NULL, NULL);

  json_builder_begin_object (b);
  add_string (b, "experiment", p->experiment);
  add_string (b, "run", p->run);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) p->seed);
  add_string (b, "data", p->data);
  add_string (b, "preset", p->preset);
  add_string (b, "pretrained_from", p->pretrained_from);
  if (p->unlabeled_texts > 0)
    {
      /* the features' vocabulary and weights also counted this many unlabelled target texts */
      json_builder_set_member_name (b, "unlabeled_target_texts");
      json_builder_add_int_value (b, p->unlabeled_texts);
    }
  add_layer_settings (b, model);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, p->epochs);
  if (p->training)
    add_training (b, p->training);
  if (p->history && p->history->averaged_epochs > 0)
    {
      /* the weights are the mean of those after each of the last this many epochs */
      json_builder_set_member_name (b, "averaged_epochs");
      json_builder_add_int_value (b, p->history->averaged_epochs);
    }
  if (p->training && p->training->privacy && p->history)
    add_privacy (b, p->training->privacy, p->history);
  if (p->metrics)
    {
      json_builder_set_member_name (b, "test_accuracy");
      json_builder_add_double_value (b, p->metrics->accuracy);
      json_builder_set_member_name (b, "macro_f1");
      json_builder_add_double_value (b, p->metrics->macro_f1);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
