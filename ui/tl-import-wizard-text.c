#define G_LOG_DOMAIN "tl-import-wizard"

#include "config.h"

#include "tl-import-wizard-private.h"
#include "tl-pipeline.h"

/* How the wizard reads a text column: as the model that will train on it reads
 * text (tl_pipeline_text_features), n-gram bags for the default text model and
 * token sequences for the sequence models, with the settings of that one shown. */

/* "No limit" (-1) for the word terms kept is the spin button's top. */
static int
max_features_of (TlImportWizard *self)
{
  GtkAdjustment *adj = gtk_spin_button_get_adjustment (self->max_features_spin);
  int value = gtk_spin_button_get_value_as_int (self->max_features_spin);

  return value >= (int) gtk_adjustment_get_upper (adj) ? -1 : value;
}

TlTextFeatures
tl_import_wizard_get_text_features (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), TL_TEXT_NGRAMS);
  return tl_pipeline_text_features (&tl_document_get_experiment (self->document)->architecture);
}

gboolean
tl_import_wizard_shows_text_settings (TlImportWizard *self, TlTextFeatures features)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), FALSE);
  return gtk_widget_get_visible (features == TL_TEXT_NGRAMS ? self->ngram_group : self->text_group);
}

void
tl_import_wizard_init_text (TlImportWizard *self)
{
  g_object_bind_property (self->chars_switch, "active", self->char_lengths_row, "sensitive", G_BINDING_SYNC_CREATE);
  gtk_widget_set_visible (self->text_group, FALSE);
  gtk_widget_set_visible (self->ngram_group, FALSE);
}

void
tl_import_wizard_load_text (TlImportWizard *self, const TlDataSourceSpec *spec)
{
  const TlNgramSettings *n = &spec->ngrams;
  GtkAdjustment *adj = gtk_spin_button_get_adjustment (self->max_features_spin);

  if (spec->max_len > 0)
    gtk_spin_button_set_value (self->max_len_spin, spec->max_len);
  if (spec->vocab_size > 0)
    gtk_spin_button_set_value (self->vocab_spin, spec->vocab_size);
  gtk_spin_button_set_value (self->ngram_max_spin, n->ngram_max);
  gtk_spin_button_set_value (self->min_df_spin, n->min_df);
  gtk_spin_button_set_value (self->max_features_spin,
                             n->max_features < 0 ? gtk_adjustment_get_upper (adj) : n->max_features);
  gtk_switch_set_active (self->chars_switch, n->char_max > 0);
  if (n->char_max > 0)
    {
      gtk_spin_button_set_value (self->char_min_spin, n->char_min);
      gtk_spin_button_set_value (self->char_max_spin, n->char_max);
    }
}

void
tl_import_wizard_text_settings (TlImportWizard *self, const TlDataSourceSpec *spec, TlImportSettings *s)
{
  s->text_features = tl_import_wizard_get_text_features (self);
  if (s->text_features == TL_TEXT_SEQUENCE)
    {
      s->max_len = gtk_spin_button_get_value_as_int (self->max_len_spin);
      s->vocab_size = gtk_spin_button_get_value_as_int (self->vocab_spin);
      return;
    }
  /* a bag keeps its own number of slots (ngrams.max_terms), as a run reads it */
  s->max_len = 0;
  s->ngrams = spec->ngrams;
  s->ngrams.ngram_max = gtk_spin_button_get_value_as_int (self->ngram_max_spin);
  s->ngrams.min_df = gtk_spin_button_get_value_as_int (self->min_df_spin);
  s->ngrams.max_features = max_features_of (self);
  if (gtk_switch_get_active (self->chars_switch))
    {
      s->ngrams.char_min = gtk_spin_button_get_value_as_int (self->char_min_spin);
      s->ngrams.char_max = gtk_spin_button_get_value_as_int (self->char_max_spin);
    }
  else
    s->ngrams.char_max = 0;
}

void
tl_import_wizard_show_text (TlImportWizard *self, gboolean has_text)
{
  TlTextFeatures features = tl_import_wizard_get_text_features (self);

  gtk_widget_set_visible (self->text_group, has_text && features == TL_TEXT_SEQUENCE);
  gtk_widget_set_visible (self->ngram_group, has_text && features == TL_TEXT_NGRAMS);
}
