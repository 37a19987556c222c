#define G_LOG_DOMAIN "test-ui-source-only"

#include "config.h"

#include <adwaita.h>

#include "tl-application.h"
#include "tl-data-page.h"
#include "tl-document.h"
#include "tl-evaluate-page.h"
#include "tl-import-wizard.h"
#include "tl-pipeline.h"
#include "tl-train-page.h"
#include "tl-window.h"
#include "ui-check.h"

/* Only source data imported through the wizard, then Start: the window trains
 * the source model alone, as `transfer-lab train` would, shows its curves and
 * its evaluation on the source's test data, and says that transfer runs need
 * target data. */

static TlApplication *app;
static char *tmp_dir;

static void
import_source (TlWindow *win, const char *path)
{
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (win, "data"));
  TlImportWizard *wizard = TL_IMPORT_WIZARD (tl_data_page_import (page, TL_ROLE_SOURCE));
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
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (ui_wait_for (ui_flag_set, &finished, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_object_unref (wizard);
  g_assert_true (ui_wait_for (ui_data_loaded, page, 60));
}

static void
test_source_alone_is_trained (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "reviews.csv", NULL);
  TlWindow *win = tl_window_new (app);
  TlDocument *doc = tl_window_get_document (win);
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  TlEvaluatePage *evaluate = TL_EVALUATE_PAGE (tl_window_get_page (win, "evaluate"));
  GtkWidget *start = tl_train_page_get_start_button (train);
  TlPipelineResult *result;
  TlRunResult *run;
  const TlDataSlot *slot;

  ui_write_reviews (path, 160, 2, 21);
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  ui_spin (100);
  import_source (win, path);
  slot = tl_document_get_data (doc, TL_ROLE_SOURCE);
  g_assert_nonnull (slot->train);
  g_assert_null (tl_document_get_data (doc, TL_ROLE_TARGET)->train);
  g_assert_null (tl_document_get_experiment (doc)->target.path);

  tl_document_get_experiment (doc)->pretrain.epochs = 4;
  tl_document_changed (doc, "params");
  tl_window_show_step (win, "train");
  ui_spin (100);
  /* Start runs, and says beforehand what it will do */
  g_assert_null (tl_train_page_get_blocked (train));
  g_assert_true (gtk_widget_get_sensitive (start));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (start), "target data"));
  g_signal_emit_by_name (start, "clicked");
  g_assert_true (ui_wait_for (ui_training_done, train, 300));
  g_assert_null (tl_window_get_error (win));

  /* one run, pretraining, tested on the source's test rows */
  result = tl_document_get_result (doc);
  g_assert_nonnull (result);
  g_assert_false (result->cancelled);
  g_assert_cmpuint (result->runs->len, ==, 1);
  run = tl_document_get_main_run (doc);
  g_assert_nonnull (run);
  g_assert_cmpstr (run->name, ==, "pretrain");
  g_assert_nonnull (run->metrics);
  g_assert_nonnull (run->history);
  g_assert_cmpuint (run->history->epochs->len, ==, 4);
  g_assert_cmpint (run->metrics->n_samples, ==, slot->test->n);
  /* the words tell the classes apart */
  g_assert_cmpfloat (run->metrics->accuracy, >, 0.7);
  g_assert_nonnull (strstr (tl_train_page_get_stage_text (train), "Transfer runs need target data"));
  g_test_message ("source alone: %d test samples, accuracy %.3f", run->metrics->n_samples, run->metrics->accuracy);
  ui_spin (300);
  ui_screenshot (GTK_WIDGET (win), "source-only-train.png");

  /* its evaluation */
  tl_window_show_step (win, "evaluate");
  g_assert_true (ui_wait_for (ui_predictions_ready, doc, 60));
  ui_spin (300);
  g_assert_cmpuint (tl_evaluate_page_get_n_runs (evaluate), ==, 1);
  g_assert_cmpstr (tl_evaluate_page_get_run (evaluate), ==, "pretrain");
  g_assert_nonnull (tl_evaluate_page_get_accuracy_text (evaluate));
  ui_screenshot (GTK_WIDGET (win), "source-only-evaluate.png");

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
  g_test_add_func ("/ui-source-only/source-trained-alone", test_source_alone_is_trained);
  status = g_test_run ();
  g_object_unref (app);
  return status;
}
