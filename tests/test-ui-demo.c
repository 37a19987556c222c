#define G_LOG_DOMAIN "test-ui-demo"

#include "config.h"

#include <glib/gi18n.h>
#include <time.h>
#include <adwaita.h>

#include "tl-application.h"
#include "tl-confusion-view.h"
#include "tl-curve-view.h"
#include "tl-data-page.h"
#include "tl-evaluate-page.h"
#include "tl-settings.h"
#include "tl-train-page.h"
#include "tl-window.h"
#include "ui-check.h"

static TlApplication *app;

/* Every page in light and dark, large and small, for a look by eye (TL_UI_SCREENSHOTS=all). */
static void
gallery (TlWindow *win)
{
  static const char *const pages[] = { "data", "model", "transfer", "train", "evaluate", "export" };
  static const int sizes[][2] = { { 1400, 900 }, { 900, 640 } };

  for (guint z = 0; z < G_N_ELEMENTS (sizes); z++)
    for (int dark = 0; dark < 2; dark++)
      {
        gtk_window_set_default_size (GTK_WINDOW (win), sizes[z][0], sizes[z][1]);
        adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                            dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
        for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
          {
            g_autofree char *name = g_strdup_printf ("gallery-%d-%s-%s.png", sizes[z][0], dark ? "dark" : "light",
                                                     pages[p]);
            tl_window_show_step (win, pages[p]);
            ui_screenshot (GTK_WIDGET (win), name);
          }
      }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gtk_window_set_default_size (GTK_WINDOW (win), 1400, 900);
}


typedef struct {
  gint64 last;
  gint64 max;
} Latency;

static double
cpu_seconds (clockid_t clock)
{
  struct timespec ts;

  g_assert_cmpint (clock_gettime (clock, &ts), ==, 0);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static gboolean
tick (gpointer data)
{
  Latency *l = data;
  gint64 now = g_get_monotonic_time ();

  if (l->last != 0)
    l->max = MAX (l->max, now - l->last);
  l->last = now;
  return G_SOURCE_CONTINUE;
}

/* The shipped demo, cut down through overrides so that it runs in seconds;
 * TL_UI_DEMO_FULL=1 runs it as shipped (for the README's screenshot). */
static void
test_demo_experiment (void)
{
  static const char *const overrides[] = {
    "source.per_class=120", "source.test_per_class=40", "pretrain.epochs=1",
    "target.per_class=5", "target.test_per_class=60", "transfer.epochs=3",
  };
  const char *fashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  g_autofree char *path = g_build_filename (g_getenv ("TL_SOURCE_DIR"), "data", "experiments",
                                            "fashion-split.json", NULL);
  g_autoptr (GError) error = NULL;
  TlExperiment *exp;
  TlWindow *demo;
  TlDocument *doc;
  TlDataPage *data_page;
  TlTrainPage *train_page;
  TlEvaluatePage *evaluate;
  TlConfusionView *view;
  TlCurveView *loss, *accuracy;
  const TlMetrics *m;
  gint64 start;
  int total = 0;
  Latency latency = { 0, 0 };
  guint tick_id;
  double main_cpu, all_cpu;
  gboolean full = g_strcmp0 (g_getenv ("TL_UI_DEMO_FULL"), "1") == 0;

  if (!g_file_test (fashion, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed in /usr/share/datasets/fashion-mnist (package dataset-fashion-mnist)");
      return;
    }
  exp = tl_experiment_load (path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (overrides) && !full; i++)
    {
      tl_experiment_apply_override (exp, overrides[i], NULL, &error);
      g_assert_no_error (error);
    }
  /* the runs go to a results folder of the test's, not beside the shipped experiment */
  {
    g_autofree char *results = g_build_filename (g_get_user_data_dir (), "results", NULL);
    g_settings_set_string (tl_settings_get (), "results-folder", results);
  }
  demo = tl_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (demo), 1400, 900);
  gtk_window_present (GTK_WINDOW (demo));
  tl_window_open_experiment (demo, exp, path);
  doc = tl_window_get_document (demo);
  data_page = TL_DATA_PAGE (tl_window_get_page (demo, "data"));
  /* the imports start from the main loop, once the window has had its turn to draw:
   * until then the page is loading and the document has no data */
  g_assert_true (tl_data_page_is_loading (data_page));
  g_assert_false (tl_document_has_data (doc, TL_ROLE_SOURCE));
  g_assert_true (ui_wait_for (ui_data_loaded, data_page, 60));
  g_assert_true (tl_document_has_data (doc, TL_ROLE_SOURCE));
  g_assert_true (tl_document_has_data (doc, TL_ROLE_TARGET));
  g_assert_null (tl_window_get_error (demo));
  g_assert_cmpstr (tl_data_page_get_name_text (data_page), ==, "fashion-split");
  g_assert_cmpuint (tl_data_page_get_seed (data_page), ==, 42);
  /* What the file says, and what the overrides changed, reached the pages. */
  g_assert_cmpstr (tl_document_get_experiment (doc)->name, ==, "fashion-split");
  g_assert_nonnull (tl_document_get_experiment (doc)->description);
  /* defect 11: the demo says what it is about */
  g_assert_nonnull (tl_data_page_get_description_text (data_page));
  g_assert_true (g_str_has_prefix (tl_data_page_get_description_text (data_page), "Split Fashion-MNIST"));
  g_assert_cmpstr (tl_document_get_experiment (doc)->architecture.preset, ==, "cnn");
  g_assert_cmpint (tl_document_get_preset (doc), ==, TL_PRESET_CNN);
  if (!full)
    {
      g_assert_cmpint (tl_document_get_experiment (doc)->pretrain.epochs, ==, 1);
      g_assert_cmpint (tl_document_get_experiment (doc)->pretrain.batch_size, ==, 64);
      g_assert_cmpint (tl_document_get_experiment (doc)->transfer.finetune.epochs, ==, 3);
      g_assert_cmpint (tl_document_get_experiment (doc)->transfer.finetune.batch_size, ==, 16);
      g_assert_cmpint (tl_document_get_experiment (doc)->transfer.freeze_mode, ==, TL_FREEZE_BELOW);
      g_assert_cmpint (tl_document_get_experiment (doc)->transfer.freeze_below, ==, 6);
      g_assert_true (tl_document_get_experiment (doc)->transfer.feature_cache);
      g_assert_true (tl_document_get_experiment (doc)->baseline);
      g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->train->n, ==, 600);
      g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_TARGET)->train->n, ==, 25);
    }
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_TARGET)->train->n_classes, ==, 5);
  g_assert_cmpstr (tl_document_get_data (doc, TL_ROLE_TARGET)->train->class_names[0], ==, "Sandal");
  g_assert_nonnull (tl_document_get_source_model (doc));
  g_assert_cmpint (tl_model_n_layers (tl_document_get_source_model (doc)), ==, 10);
  g_assert_false (tl_model_layer (tl_document_get_target_model (doc), 0)->trainable);
  g_assert_true (tl_model_layer (tl_document_get_target_model (doc), 6)->trainable);
  ui_screenshot (GTK_WIDGET (demo), "demo-1-data.png");
  tl_window_show_step (demo, "model");
  ui_screenshot (GTK_WIDGET (demo), "demo-2-model.png");
  tl_window_show_step (demo, "transfer");
  ui_screenshot (GTK_WIDGET (demo), "demo-3-transfer.png");

  /* The whole experiment from the Start button. */
  train_page = TL_TRAIN_PAGE (tl_window_get_page (demo, "train"));
  tl_window_show_step (demo, "train");
  ui_spin (100);
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (train_page)));
  start = g_get_monotonic_time ();
  main_cpu = cpu_seconds (CLOCK_THREAD_CPUTIME_ID);
  all_cpu = cpu_seconds (CLOCK_PROCESS_CPUTIME_ID);
  tick_id = g_timeout_add (10, tick, &latency);
  g_signal_emit_by_name (tl_train_page_get_start_button (train_page), "clicked");
  g_assert_true (tl_train_page_is_running (train_page));
  g_assert_true (ui_wait_for (ui_training_done, train_page, full ? 3600 : 300));
  g_source_remove (tick_id);
  main_cpu = cpu_seconds (CLOCK_THREAD_CPUTIME_ID) - main_cpu;
  all_cpu = cpu_seconds (CLOCK_PROCESS_CPUTIME_ID) - all_cpu;
  /* The window stays responsive: the work is done by the worker, the main thread only draws
   * (wall-clock gaps also count time the machine gave to other programs, so they are reported only). */
  g_test_message ("while training: main thread %.2f s of %.2f s CPU, longest main-loop gap %.0f ms",
                  main_cpu, all_cpu, latency.max / 1000.0);
  g_assert_cmpfloat (main_cpu, <, 0.5 * all_cpu);
  g_assert_null (tl_window_get_error (demo));
  g_assert_nonnull (tl_document_get_run (doc, "pretrain"));
  g_assert_nonnull (tl_document_get_run (doc, "transfer"));
  g_assert_nonnull (tl_document_get_run (doc, "baseline"));
  loss = TL_CURVE_VIEW (tl_train_page_get_curve_view (train_page, FALSE));
  accuracy = TL_CURVE_VIEW (tl_train_page_get_curve_view (train_page, TRUE));
  g_assert_cmpint (tl_curve_view_get_n_points (loss), >=, 3);
  g_assert_cmpint (tl_curve_view_get_n_points (accuracy), >=, 3);
  g_assert_cmpuint (tl_document_get_run (doc, "transfer")->history->epochs->len, ==, full ? 30 : 3);
  g_assert_cmpuint (tl_document_get_run (doc, "baseline")->history->epochs->len, ==, full ? 30 : 3);
  m = tl_document_get_metrics (doc);
  g_assert_nonnull (m);
  g_assert_cmpint (m->n_classes, ==, 5);
  g_assert_cmpint (m->n_samples, ==, tl_document_get_data (doc, TL_ROLE_TARGET)->test->n);
  g_assert_cmpint (m->n_samples, ==, full ? 5000 : 300);
  /* Better than chance after pretraining on 600 images and fine-tuning on 25. */
  g_assert_cmpfloat (m->accuracy, >, 0.3);
  g_test_message ("demo: %.1f s, transfer accuracy %.3f, baseline %.3f", (g_get_monotonic_time () - start) / 1e6,
                  m->accuracy, tl_document_get_run (doc, "baseline")->metrics->accuracy);
  tl_window_dismiss_toast (demo);
  ui_screenshot (GTK_WIDGET (demo), "demo-4-train.png");

  tl_window_show_step (demo, "evaluate");
  evaluate = TL_EVALUATE_PAGE (tl_window_get_page (demo, "evaluate"));
  view = TL_CONFUSION_VIEW (tl_evaluate_page_get_confusion_view (evaluate));
  ui_spin (200);
  g_assert_cmpint (tl_confusion_view_get_n_classes (view), ==, 5);
  for (int t = 0; t < 5; t++)
    for (int p = 0; p < 5; p++)
      {
        g_assert_cmpint (tl_confusion_view_get_count (view, t, p), ==, m->confusion[t * 5 + p]);
        total += tl_confusion_view_get_count (view, t, p);
      }
  g_assert_cmpint (total, ==, tl_document_get_data (doc, TL_ROLE_TARGET)->test->n);
  g_assert_cmpuint (tl_evaluate_page_get_n_metric_rows (evaluate), ==, 7);
  g_assert_true (ui_wait_for (ui_predictions_ready, doc, 30));
  ui_screenshot (GTK_WIDGET (demo), "demo-5-evaluate.png");
  {
    /* a mistake of the run: its first image explained for the class it was taken for */
    int cell_t = -1, cell_p = -1;

    for (int t = 0; t < 5; t++)
      for (int p = 0; p < 5; p++)
        if (t != p && tl_confusion_view_get_count (view, t, p) > 0
            && (cell_t < 0 || tl_confusion_view_get_count (view, t, p) > tl_confusion_view_get_count (view, cell_t, cell_p)))
          cell_t = t, cell_p = p;
    if (cell_t < 0)
      cell_t = cell_p = 0;
    tl_confusion_view_select (view, cell_t, cell_p);
    ui_assert_sample_explained (evaluate, cell_p, FALSE, "demo-explanation.png");
  }
  if (g_strcmp0 (g_getenv ("TL_UI_SCREENSHOTS"), "all") == 0)
    gallery (demo);

  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (demo));
}

int
main (int argc, char **argv)
{
  g_autofree char *tmp_dir = NULL;
  int status;

  if (!ui_check_init (&argc, &argv, &tmp_dir))
    {
      printf ("1..0 # SKIP no display (run under xvfb-run)\n");
      return 0;
    }
  app = tl_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  g_test_add_func ("/ui/demo-experiment", test_demo_experiment);
  status = g_test_run ();
  g_object_unref (app);
  return status;
}
