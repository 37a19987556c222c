#define G_LOG_DOMAIN "test-ui-screens"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <adwaita.h>

#include "tl-application.h"
#include "tl-confusion-view.h"
#include "tl-curve-view.h"
#include "tl-data-page.h"
#include "tl-evaluate-page.h"
#include "tl-export-page.h"
#include "tl-layer-table.h"
#include "tl-train-page.h"
#include "tl-transfer-page.h"
#include "tl-window.h"
#include "ui-check.h"

/* The transfer strategies picked on the Transfer page and compared on the Train and
 * Evaluate pages, then every page at three window sizes, in the language of the
 * environment (meson runs this program once in English and once with LANGUAGE=zh_CN). */

static TlApplication *app;
static TlWindow *window;
static char *tmp_dir;

static const char *
lang (void)
{
  const char *language = g_getenv ("LANGUAGE");
  return language != NULL && g_str_has_prefix (language, "zh") ? "zh" : "en";
}

/* Three numeric features, the classes apart along the first two; the target's shifted. */
static void
write_csv (const char *path, int per_class, double shift, guint32 seed)
{
  static const char *const classes[] = { "ash", "birch", "cedar" };
  g_autoptr (GString) text = g_string_new ("f1,f2,f3,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < per_class * 3; i++)
    {
      int c = i % 3;
      g_string_append_printf (text, "%.3f,%.3f,%.3f,%s\n", c * 2.0 + shift + g_rand_double_range (rand, -0.7, 0.7),
                              -c + g_rand_double_range (rand, -0.7, 0.7), shift + g_rand_double_range (rand, -1, 1),
                              classes[c]);
    }
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
}

/* An experiment file over two small CSVs with the same classes, opened in the window. */
static void
open_small_experiment (TlWindow *win, const char *name, int transfer_epochs)
{
  g_autofree char *source = g_build_filename (tmp_dir, "trees-north.csv", NULL);
  g_autofree char *target = g_build_filename (tmp_dir, "trees-south.csv", NULL);
  g_autofree char *file_name = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_build_filename (tmp_dir, file_name, NULL);
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (path);

  write_csv (source, 120, 0.0, 1);
  write_csv (target, 60, 0.8, 2);
  exp->name = g_strdup (name);
  exp->description = g_strdup ("Trees of the north, carried to the south: a small experiment for the tests.");
  exp->source.path = g_strdup (source);
  exp->target.path = g_strdup (target);
  exp->target.per_class = 8;
  exp->target.test_fraction = 0.3;
  exp->pretrain.epochs = 3;
  exp->pretrain.batch_size = 16;
  exp->transfer.finetune.epochs = transfer_epochs;
  exp->transfer.finetune.batch_size = 8;
  exp->baseline = TRUE;
  g_assert_true (tl_experiment_save (exp, path, &error));
  g_assert_no_error (error);
  tl_window_open_file (win, file);
  g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (win, "data"), 60));
  g_assert_null (tl_window_get_error (win));
}

static void
click_start (TlWindow *win)
{
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));

  tl_window_show_step (win, "train");
  ui_spin (100);
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (train)));
  g_signal_emit_by_name (tl_train_page_get_start_button (train), "clicked");
  g_assert_true (tl_train_page_is_running (train));
}

/* Issue 13: fine-tune and joint picked on the Transfer page run side by side; each run,
 * the source-only reference and the baseline are drawn on the Train page and compared on
 * the Evaluate page, with a confusion matrix for each (the baseline's too: defect 11). */
static void
test_strategies_compared (void)
{
  TlDocument *doc = tl_window_get_document (window);
  TlTransferPage *transfer = TL_TRANSFER_PAGE (tl_window_get_page (window, "transfer"));
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (window, "train"));
  TlEvaluatePage *evaluate = TL_EVALUATE_PAGE (tl_window_get_page (window, "evaluate"));
  TlConfusionView *view = TL_CONFUSION_VIEW (tl_evaluate_page_get_confusion_view (evaluate));
  TlCurveView *loss = TL_CURVE_VIEW (tl_train_page_get_curve_view (train, FALSE));
  TlCurveView *accuracy = TL_CURVE_VIEW (tl_train_page_get_curve_view (train, TRUE));
  static const char *const compared[] = { "source-only", "transfer", "joint", "baseline" };
  g_autofree char *saved = g_build_filename (tmp_dir, "strategies-saved.json", NULL);
  g_autoptr (TlExperiment) reread = NULL;
  g_autoptr (GError) error = NULL;
  const TlExperiment *exp;

  open_small_experiment (window, "strategies", 4);
  exp = tl_document_get_experiment (doc);
  tl_window_show_step (window, "transfer");
  ui_spin (100);

  /* the head: the target's classes are the source's, so it is kept with the switch off */
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (tl_transfer_page_get_head_switch (transfer))));
  g_assert_false (tl_document_rebuilds_head (doc));
  g_assert_cmpstr (tl_transfer_page_get_head_text (transfer), ==,
                   _("The pretrained head is kept: the target's classes are the source's. Freeze what should keep "
                     "its pretrained weights; give the rest a learning-rate multiplier."));

  /* fine-tune is there by default; joint is added with its check button */
  g_assert_true (tl_transfer_page_get_strategy (transfer, TL_STRATEGY_FINE_TUNE));
  g_assert_false (tl_transfer_page_get_strategy (transfer, TL_STRATEGY_JOINT));
  g_assert_true (tl_transfer_page_set_strategy (transfer, TL_STRATEGY_JOINT, TRUE));
  g_assert_cmpint (exp->transfer.n_strategies, ==, 2);
  g_assert_cmpint (exp->transfer.strategies[0], ==, TL_STRATEGY_FINE_TUNE);
  g_assert_cmpint (exp->transfer.strategies[1], ==, TL_STRATEGY_JOINT);
  g_assert_true (tl_document_get_modified (doc));
  /* none at all cannot run, and the Transfer page says why */
  g_assert_true (tl_transfer_page_set_strategy (transfer, TL_STRATEGY_FINE_TUNE, FALSE));
  g_assert_true (tl_transfer_page_set_strategy (transfer, TL_STRATEGY_JOINT, FALSE));
  g_assert_cmpuint (tl_window_get_problems (window, "transfer", NULL, NULL), ==, 1);
  g_assert_nonnull (tl_window_get_problems_text (window));
  g_assert_true (tl_transfer_page_set_strategy (transfer, TL_STRATEGY_FINE_TUNE, TRUE));
  g_assert_true (tl_transfer_page_set_strategy (transfer, TL_STRATEGY_JOINT, TRUE));
  g_assert_cmpuint (tl_window_get_problems (window, NULL, NULL, NULL), ==, 0);

  /* saved into the experiment */
  tl_document_store_plan (doc);
  g_assert_true (tl_experiment_save (tl_document_get_experiment (doc), saved, &error));
  g_assert_no_error (error);
  reread = tl_experiment_load (saved, &error);
  g_assert_no_error (error);
  g_assert_cmpint (reread->transfer.n_strategies, ==, 2);
  g_assert_cmpint (reread->transfer.strategies[1], ==, TL_STRATEGY_JOINT);
  g_assert_false (reread->transfer.rebuild_head);

  click_start (window);
  g_assert_true (ui_wait_for (ui_training_done, train, 300));
  g_assert_null (tl_window_get_error (window));
  /* the pages a run locks are open again, in every language */
  g_assert_true (gtk_widget_is_sensitive (tl_window_get_page (window, "transfer")));
  for (guint i = 0; i < G_N_ELEMENTS (compared); i++)
    {
      TlRunResult *run = tl_document_get_run (doc, compared[i]);

      g_assert_nonnull (run);
      g_assert_nonnull (run->metrics);
      g_test_message ("%s: test accuracy %.3f", compared[i], run->metrics->accuracy);
    }
  /* the Train page: every run that trained, pretraining included, overlaid */
  g_assert_true (tl_curve_view_has_run (loss, "pretrain"));
  g_assert_true (tl_curve_view_has_run (loss, "transfer"));
  g_assert_true (tl_curve_view_has_run (loss, "joint"));
  g_assert_true (tl_curve_view_has_run (accuracy, "joint"));
  g_assert_true (tl_curve_view_has_run (accuracy, "baseline"));
  g_assert_cmpint (tl_curve_view_get_n_runs (loss), ==, 4);
  g_assert_nonnull (strstr (tl_train_page_get_progress_text (train), _("joint")));

  /* the Evaluate page: a bar per run, and any run's confusion matrix */
  tl_window_show_step (window, "evaluate");
  ui_spin (200);
  g_assert_cmpuint (tl_evaluate_page_get_n_runs (evaluate), ==, G_N_ELEMENTS (compared));
  for (guint i = 0; i < G_N_ELEMENTS (compared); i++)
    {
      const TlMetrics *m = tl_document_get_run (doc, compared[i])->metrics;
      g_autofree char *shown = g_strdup_printf ("%.1f%%", m->accuracy * 100.0);

      g_assert_true (tl_evaluate_page_select_run (evaluate, compared[i]));
      g_assert_cmpstr (tl_evaluate_page_get_run (evaluate), ==, compared[i]);
      g_assert_cmpstr (tl_evaluate_page_get_accuracy_text (evaluate), ==, shown);
      g_assert_cmpint (tl_confusion_view_get_n_classes (view), ==, m->n_classes);
      for (int t = 0; t < m->n_classes; t++)
        for (int p = 0; p < m->n_classes; p++)
          g_assert_cmpint (tl_confusion_view_get_count (view, t, p), ==, m->confusion[t * m->n_classes + p]);
      /* a cell of a run other than the main one lists its samples from the run's own predictions */
      for (int c = 0; c < m->n_classes; c++)
        if (m->confusion[c * m->n_classes + c] > 0)
          {
            tl_confusion_view_select (view, c, c);
            g_assert_cmpuint (tl_evaluate_page_get_n_samples_shown (evaluate), ==,
                              (guint) m->confusion[c * m->n_classes + c]);
            break;
          }
    }
  g_assert_true (tl_evaluate_page_select_run (evaluate, "joint"));
  ui_screenshot (GTK_WIDGET (window), "strategies-evaluate-joint.png");
}



/* Defect 9: a pause says Paused and stops the clock; Stop names Continue only when it is
 * there; Continue keeps the curves drawn so far, and each stage's curves stay. */
static void
test_pause_stop_continue (void)
{
  TlWindow *win = tl_window_new (app);
  TlDocument *doc = tl_window_get_document (win);
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  TlCurveView *loss = TL_CURVE_VIEW (tl_train_page_get_curve_view (train, FALSE));
  GtkWidget *resume = tl_train_page_get_resume_button (train);
  UiBatchGoal goal = { train, 200 };   /* two epochs of 90 batches and more */
  double before, after;

  gtk_window_set_default_size (GTK_WINDOW (win), 1024, 700);
  gtk_window_present (GTK_WINDOW (win));
  open_small_experiment (win, "pausing", 3);
  tl_document_get_experiment (doc)->pretrain.epochs = 400;
  tl_document_get_experiment (doc)->pretrain.batch_size = 4;
  tl_document_changed (doc, "params");
  click_start (win);
  g_assert_true (ui_wait_for (ui_batches_reached, &goal, 120));
  g_assert_true (tl_train_page_is_running (train));

  g_signal_emit_by_name (tl_train_page_get_pause_button (train), "clicked");
  ui_spin (300);
  before = tl_train_page_get_elapsed (train);
  g_assert_cmpstr (tl_train_page_get_stage_text (train), ==, _("Paused"));
  g_assert_cmpstr (tl_train_page_get_status (train), ==, _("Paused"));
  ui_spin (1500);
  /* (a batch finished as Pause was clicked may still arrive, but the clock does not run on) */
  g_assert_cmpfloat (tl_train_page_get_elapsed (train), <, before + 0.3);
  g_assert_cmpstr (tl_train_page_get_stage_text (train), ==, _("Paused"));
  ui_screenshot (GTK_WIDGET (win), "pause-paused.png");
  g_signal_emit_by_name (tl_train_page_get_pause_button (train), "clicked");
  goal.batches = tl_train_page_get_n_batches (train) + 20;
  g_assert_true (ui_wait_for (ui_batches_reached, &goal, 60));
  after = tl_train_page_get_elapsed (train);
  g_test_message ("elapsed %.2f s before the 1.5 s pause, %.2f s after it", before, after);
  /* the pause is not counted */
  g_assert_cmpfloat (after - before, <, 1.2);
  g_assert_cmpstr (tl_train_page_get_stage_text (train), !=, _("Paused"));

  /* stopped while held, the pretraining curve is there; Continue is named once it shows */
  g_signal_emit_by_name (tl_train_page_get_pause_button (train), "clicked");
  tl_train_page_stop (train);
  g_assert_true (ui_wait_for (ui_training_done, train, 120));
  g_assert_true (tl_curve_view_has_run (loss, "pretrain"));
  if (!gtk_widget_get_visible (resume))
    g_assert_cmpstr (tl_train_page_get_stage_text (train), ==, _("Stopped. The runs finished so far are kept and shown."));
  g_assert_true (ui_wait_for (ui_widget_shown, resume, 30));
  g_assert_cmpstr (tl_train_page_get_stage_text (train), ==,
                   _("Stopped. The runs and epochs finished so far are kept: Continue goes on from there, Start "
                     "begins again."));
  ui_screenshot (GTK_WIDGET (win), "pause-stopped.png");

  /* a shorter pretraining would not match the checkpoint: continue as it was, then the rest */
  g_signal_emit_by_name (resume, "clicked");
  g_assert_true (tl_train_page_is_running (train));
  g_assert_true (tl_curve_view_has_run (loss, "pretrain"));
  goal.batches = tl_train_page_get_n_batches (train) + 10;
  g_assert_true (ui_wait_for (ui_batches_reached, &goal, 60));
  g_assert_true (tl_curve_view_has_run (loss, "pretrain"));
  tl_train_page_stop (train);
  g_assert_true (ui_wait_for (ui_training_done, train, 120));
  g_assert_true (tl_curve_view_has_run (loss, "pretrain"));
  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* Defect 10: the window takes widths down to 800 pixels on every page. */
static void
test_narrow_window (void)
{
  static const char *const pages[] = { "data", "model", "transfer", "train", "evaluate", "export" };
  int widest = 0;

  for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
    {
      int minimum, natural, page_minimum;

      tl_window_show_step (window, pages[p]);
      ui_spin (50);
      gtk_widget_measure (tl_window_get_page (window, pages[p]), GTK_ORIENTATION_HORIZONTAL, -1, &page_minimum,
                          &natural, NULL, NULL);
      gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
      g_test_message ("%s page: at least %d pixels wide, the window at least %d", pages[p], page_minimum, minimum);
      widest = MAX (widest, minimum);
    }
  g_assert_cmpint (widest, <=, 800);
}

/* Defect 10: at 800x600 the layer table keeps every column, scrolls sideways and says so
 * with a button over its right edge, which brings the Freeze column into view. */
static void
test_layer_table_scrolls (void)
{
  TlLayerTable *table = TL_LAYER_TABLE (tl_transfer_page_get_layer_table (
    TL_TRANSFER_PAGE (tl_window_get_page (window, "transfer"))));
  g_autofree char *name = g_strdup_printf ("layers-%s-800x600-scrolled.png", lang ());

  tl_window_dismiss_toast (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  tl_window_show_step (window, "transfer");
  ui_spin (400);
  g_assert_true (tl_layer_table_has_more_columns (table));
  g_assert_false (tl_layer_table_cuts_numbers (table));
  gtk_widget_activate_action (GTK_WIDGET (table), "layers.show-more", NULL);
  ui_spin (200);
  g_assert_false (tl_layer_table_has_more_columns (table));
  ui_screenshot (GTK_WIDGET (window), name);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  ui_spin (400);
  g_assert_false (tl_layer_table_has_more_columns (table));
}

/* Every page at three sizes, for a look by eye; the window takes each size. */
static void
test_screenshots (void)
{
  static const char *const pages[] = { "data", "model", "transfer", "train", "evaluate", "export", "runs" };
  static const int sizes[][2] = { { 1400, 900 }, { 1024, 700 }, { 800, 600 } };

  tl_window_dismiss_toast (window);
  for (guint z = 0; z < G_N_ELEMENTS (sizes); z++)
    {
      gtk_window_set_default_size (GTK_WINDOW (window), sizes[z][0], sizes[z][1]);
      for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
        {
          g_autofree char *name = g_strdup_printf ("screen-%s-%dx%d-%u-%s.png", lang (), sizes[z][0], sizes[z][1],
                                                   p + 1, pages[p]);

          tl_window_show_step (window, pages[p]);
          ui_screenshot (GTK_WIDGET (window), name);
          /* the size asked for, less at most the frame of client-side decorations */
          g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, sizes[z][0]);
          g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), >=, sizes[z][0] - 16);
        }
    }
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
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
  window = tl_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  ui_spin (300);

  g_test_add_func ("/ui/strategies-compared", test_strategies_compared);
  g_test_add_func ("/ui/narrow-window", test_narrow_window);
  g_test_add_func ("/ui/pause-stop-continue", test_pause_stop_continue);
  g_test_add_func ("/ui/layer-table-scrolls", test_layer_table_scrolls);
  g_test_add_func ("/ui/screenshots", test_screenshots);
  status = g_test_run ();

  tl_document_set_modified (tl_window_get_document (window), FALSE);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  return status;
}
