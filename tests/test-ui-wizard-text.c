#define G_LOG_DOMAIN "test-ui-wizard-text"

#include "config.h"

#include <adwaita.h>

#include "tl-application.h"
#include "tl-data-page.h"
#include "tl-document.h"
#include "tl-import-wizard.h"
#include "tl-layer.h"
#include "tl-ngram.h"
#include "tl-pipeline.h"
#include "tl-train-page.h"
#include "tl-window.h"
#include "ui-check.h"

/* Texts imported through the wizard are read as the model that will train on
 * them reads them: n-gram bags for the default text model (text-ngram), as the
 * command line's `train` reads them, and token sequences for text-lstm. The
 * wizard shows the settings of the representation it is going to use. */

static TlApplication *app;
static char *tmp_dir;

/* Through the wizard with every choice left as it is; a screenshot of the split page's text settings. */
static void
import_with_defaults (TlWindow *win, TlDataRole role, const char *path, TlTextFeatures expected, const char *shot)
{
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (win, "data"));
  TlImportWizard *wizard = TL_IMPORT_WIZARD (tl_data_page_import (page, role));
  g_autoptr (GFile) file = g_file_new_for_path (path);
  gboolean finished = FALSE;

  g_object_ref (wizard);
  g_signal_connect (wizard, "finished", G_CALLBACK (ui_on_import_finished), &finished);
  tl_import_wizard_set_file (wizard, file);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "columns");
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (ui_wait_for (ui_wizard_idle, wizard, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "split");
  g_assert_cmpint (tl_import_wizard_get_text_features (wizard), ==, expected);
  g_assert_true (tl_import_wizard_shows_text_settings (wizard, expected));
  g_assert_false (tl_import_wizard_shows_text_settings (wizard, expected == TL_TEXT_NGRAMS ? TL_TEXT_SEQUENCE
                                                                                         : TL_TEXT_NGRAMS));
  gtk_widget_set_size_request (GTK_WIDGET (wizard), 760, 880);
  ui_spin (200);
  if (shot != NULL)
    ui_screenshot (GTK_WIDGET (wizard), shot);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (ui_wait_for (ui_flag_set, &finished, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_object_unref (wizard);
  g_assert_true (ui_wait_for (ui_data_loaded, page, 60));
}

static void
test_wizard_text_is_ngrams (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "reviews.csv", NULL);
  g_autofree char *target = g_build_filename (tmp_dir, "reviews-target.csv", NULL);
  TlWindow *win = tl_window_new (app);
  TlDocument *doc = tl_window_get_document (win);
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  TlNgramSettings defaults;
  const TlDataSlot *slot;
  const TlNgramFeatures *f;
  TlRunResult *run;
  const TlLayer *first;

  ui_write_reviews (path, 120, 3, 7);
  ui_write_reviews (target, 120, 3, 8);
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  ui_spin (100);
  import_with_defaults (win, TL_ROLE_SOURCE, path, TL_TEXT_NGRAMS, "wizard-text-ngrams.png");

  /* bags of word and character n-grams with the command line's default settings */
  slot = tl_document_get_data (doc, TL_ROLE_SOURCE);
  g_assert_nonnull (slot->train);
  g_assert_cmpint (slot->train->kind, ==, TL_DATA_TEXT);
  g_assert_nonnull (slot->preprocess);
  f = slot->preprocess->ngrams;
  g_assert_nonnull (f);
  g_assert_null (slot->preprocess->vocab);
  tl_ngram_settings_init (&defaults);
  g_assert_cmpint (f->settings.ngram_max, ==, defaults.ngram_max);
  g_assert_cmpint (f->settings.min_df, ==, defaults.min_df);
  g_assert_cmpint (f->settings.char_min, ==, defaults.char_min);
  g_assert_cmpint (f->settings.char_max, ==, defaults.char_max);
  g_assert_cmpint (f->char_first, <, f->n_ids);
  g_assert_cmpint (slot->train->sample_ndim, ==, 2);
  g_assert_cmpint (slot->train->sample_shape[0], ==, 2);
  /* the model is built for every term the bags hold */
  g_assert_cmpint (slot->vocab_size, ==, f->n_ids);
  g_assert_cmpstr (tl_document_get_experiment (doc)->architecture.preset, ==, "text-ngram");
  g_assert_cmpint (tl_pipeline_text_features (&tl_document_get_experiment (doc)->architecture), ==, TL_TEXT_NGRAMS);
  g_assert_cmpint (tl_document_get_experiment (doc)->source.ngrams.char_max, ==, defaults.char_max);

  /* the target, read through the source's n-grams */
  import_with_defaults (win, TL_ROLE_TARGET, target, TL_TEXT_NGRAMS, NULL);
  g_assert_nonnull (tl_document_get_data (doc, TL_ROLE_TARGET)->preprocess->ngrams);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_TARGET)->train->sample_shape[1], ==,
                   slot->train->sample_shape[1]);
  g_assert_cmpstr (tl_document_get_experiment (doc)->architecture.preset, ==, "text-ngram");
  /* read again with the target's text counted, as the run reads it */
  f = slot->preprocess->ngrams;
  g_assert_nonnull (f);
  g_assert_cmpint (slot->vocab_size, ==, f->n_ids);

  tl_document_get_experiment (doc)->pretrain.epochs = 3;
  tl_document_get_experiment (doc)->transfer.finetune.epochs = 2;
  tl_document_get_experiment (doc)->baseline = FALSE;
  tl_document_changed (doc, "params");
  tl_window_show_step (win, "train");
  ui_spin (100);
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (train)));
  g_signal_emit_by_name (tl_train_page_get_start_button (train), "clicked");
  g_assert_true (ui_wait_for (ui_training_done, train, 300));
  g_assert_null (tl_window_get_error (win));
  run = tl_document_get_main_run (doc);
  g_assert_nonnull (run);
  g_assert_nonnull (run->model);
  first = g_ptr_array_index (run->model->layers, 0);
  g_assert_cmpint (first->spec.kind, ==, TL_LAYER_EMBEDDING_BAG);
  g_assert_cmpint (run->model->in_ndim, ==, 2);
  g_assert_cmpint (run->model->in_shape[0], ==, 2);
  /* the window's data are the run's */
  g_assert_cmpint (run->model->in_shape[1], ==, slot->train->sample_shape[1]);
  g_test_message ("wizard text: %d terms (%d of them pieces of words), test accuracy %.3f", f->n_ids,
                  f->n_ids - f->char_first, tl_document_get_metrics (doc)->accuracy);
  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* A sequence model chosen first: the wizard reads the texts as token sequences for it. */
static void
test_wizard_text_follows_sequence_model (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "reviews-lstm.csv", NULL);
  TlWindow *win = tl_window_new (app);
  TlDocument *doc = tl_window_get_document (win);
  g_autoptr (GError) error = NULL;
  const TlDataSlot *slot;

  ui_write_reviews (path, 120, 3, 9);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (tl_document_set_preset (doc, TL_PRESET_TEXT_LSTM, &error));
  g_assert_no_error (error);
  import_with_defaults (win, TL_ROLE_SOURCE, path, TL_TEXT_SEQUENCE, "wizard-text-sequences.png");
  slot = tl_document_get_data (doc, TL_ROLE_SOURCE);
  g_assert_nonnull (slot->preprocess);
  g_assert_null (slot->preprocess->ngrams);
  g_assert_nonnull (slot->preprocess->vocab);
  g_assert_cmpint (slot->train->sample_ndim, ==, 1);
  g_assert_cmpstr (tl_document_get_experiment (doc)->architecture.preset, ==, "text-lstm");
  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char **argv)
{
  int status;

  if (!ui_check_init (&argc, &argv, &tmp_dir))
    {
      printf ("1..0 # SKIP no display (run under xvfb-run)\n");
      return 0;
    }
  app = tl_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  g_test_add_func ("/ui-wizard-text/ngrams-by-default", test_wizard_text_is_ngrams);
  g_test_add_func ("/ui-wizard-text/sequences-for-lstm", test_wizard_text_follows_sequence_model);
  status = g_test_run ();
  g_object_unref (app);
  return status;
}
