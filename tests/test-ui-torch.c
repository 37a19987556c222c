#define G_LOG_DOMAIN "test-ui-torch"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <adwaita.h>
#include <stdlib.h>

#include "tl-application.h"
#include "tl-curve-view.h"
#include "tl-data-page.h"
#include "tl-run-history.h"
#include "tl-run-on-group.h"
#include "tl-runs-view.h"
#include "tl-settings.h"
#include "tl-torch-run.h"
#include "tl-train-page.h"
#include "tl-window.h"
#include "ui-check.h"

/* The Train page's "Run on" choice: PyTorch on this computer, with its epochs
 * drawn as they come and its run collected into the history; Stop; and a
 * cluster job written to a folder, run there and collected back. On a small
 * slice of the split Fashion-MNIST experiment. */

#define FASHION "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
#define PYTHON "/usr/bin/python3"

static TlApplication *app;
static char *tmp_dir;
static char *scratch;   /* TMPDIR of the test: the engine's temporary job folders go there */

static gboolean
torch_checked (gpointer group)
{
  return tl_run_on_group_get_torch_checked (TL_RUN_ON_GROUP (group));
}

typedef struct {
  TlTrainPage *page;
  gboolean     seen_while_running;
} StreamWatch;

/* Until an epoch is drawn while the engine still runs, or the run's end. */
static gboolean
epoch_drawn (gpointer data)
{
  StreamWatch *w = data;
  TlCurveView *loss = TL_CURVE_VIEW (tl_train_page_get_curve_view (w->page, FALSE));

  if (!tl_train_page_is_running (w->page))
    return TRUE;
  if (tl_curve_view_get_n_points (loss) > 0)
    w->seen_while_running = TRUE;
  return w->seen_while_running;
}

typedef struct {
  TlRunsView *view;
  guint       n;
} RunsGoal;

static gboolean
runs_listed (gpointer data)
{
  RunsGoal *g = data;

  return tl_runs_view_get_n_runs (g->view) >= g->n;
}

static guint
n_entries (const char *folder, const char *prefix)
{
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    n += g_str_has_prefix (name, prefix);
  return n;
}

static TlWindow *
open_slice (void)
{
  static const char *const overrides[] = {
    "source.per_class=40", "source.test_per_class=10", "target.per_class=8", "target.test_per_class=20",
    "pretrain.epochs=1", "transfer.epochs=3",
  };
  g_autofree char *path = g_build_filename (g_getenv ("TL_SOURCE_DIR"), "data", "experiments",
                                            "fashion-split.json", NULL);
  g_autofree char *results = g_build_filename (tmp_dir, "results", NULL);
  g_autoptr (GError) error = NULL;
  TlExperiment *exp = tl_experiment_load (path, &error);
  TlWindow *win;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (overrides); i++)
    {
      tl_experiment_apply_override (exp, overrides[i], NULL, &error);
      g_assert_no_error (error);
    }
  g_settings_set_string (tl_settings_get (), "results-folder", results);
  win = tl_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (win), 1400, 900);
  gtk_window_present (GTK_WINDOW (win));
  tl_window_open_experiment (win, exp, path);
  g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (win, "data"), 120));
  g_assert_null (tl_window_get_error (win));
  return win;
}

static void
test_torch_engine (void)
{
  TlWindow *win;
  TlDocument *doc;
  TlTrainPage *page;
  TlRunOnGroup *group;
  TlCurveView *loss, *accuracy;
  TlRunsView *runs;
  StreamWatch watch = { 0 };
  RunsGoal goal;
  const TlRunResult *transfer;
  g_autofree char *job_folder = NULL, *job = NULL, *run_sh = NULL;

  if (!g_file_test (FASHION, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed (/usr/share/datasets/fashion-mnist)");
      return;
    }
  win = open_slice ();
  doc = tl_window_get_document (win);
  page = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  group = TL_RUN_ON_GROUP (tl_train_page_get_run_on_group (page));
  runs = TL_RUNS_VIEW (tl_window_get_page (win, "runs"));
  tl_window_show_step (win, "train");
  g_assert_cmpint (tl_run_on_group_get_choice (group), ==, TL_RUN_ON_LOCAL);
  g_assert_true (ui_wait_for (torch_checked, group, 120));
  if (tl_run_on_group_get_python (group) == NULL)
    {
      /* off, saying why */
      g_assert_false (gtk_widget_get_sensitive (tl_run_on_group_get_row (group, TL_RUN_ON_TORCH)));
      g_assert_nonnull (gtk_widget_get_tooltip_text (tl_run_on_group_get_row (group, TL_RUN_ON_TORCH)));
      g_assert_false (tl_run_on_group_set_choice (group, TL_RUN_ON_TORCH));
      g_test_message ("PyTorch: %s", tl_run_on_group_get_torch_problem (group));
      tl_document_set_modified (doc, FALSE);
      gtk_window_destroy (GTK_WINDOW (win));
      g_test_skip ("python3-torch is not installed: the PyTorch engine cannot run");
      return;
    }
  g_assert_true (gtk_widget_get_sensitive (tl_run_on_group_get_row (group, TL_RUN_ON_TORCH)));
  g_assert_true (tl_run_on_group_set_choice (group, TL_RUN_ON_TORCH));
  g_assert_cmpint (tl_run_on_group_get_choice (group), ==, TL_RUN_ON_TORCH);
  g_assert_false (gtk_widget_get_visible (tl_train_page_get_retrain_check (page)));

  /* Start: the epochs are drawn while the engine runs, then the run is collected */
  loss = TL_CURVE_VIEW (tl_train_page_get_curve_view (page, FALSE));
  accuracy = TL_CURVE_VIEW (tl_train_page_get_curve_view (page, TRUE));
  g_signal_emit_by_name (tl_train_page_get_start_button (page), "clicked");
  g_assert_true (tl_train_page_is_running (page));
  g_assert_false (gtk_widget_get_sensitive (tl_run_on_group_get_row (group, TL_RUN_ON_LOCAL)));
  watch.page = page;
  g_assert_true (ui_wait_for (epoch_drawn, &watch, 600));
  g_assert_true (watch.seen_while_running);
  g_assert_true (gtk_widget_get_visible (tl_train_page_get_curve_view (page, FALSE)));
  g_assert_true (ui_wait_for (ui_training_done, page, 600));
  g_assert_null (tl_window_get_error (win));
  g_assert_cmpstr (tl_train_page_get_status (page), ==, _("Finished"));
  g_assert_nonnull (tl_document_get_run (doc, "pretrain"));
  transfer = tl_document_get_run (doc, "transfer");
  g_assert_nonnull (transfer);
  g_assert_nonnull (tl_document_get_run (doc, "baseline"));
  g_assert_cmpuint (transfer->history->epochs->len, ==, 3);
  g_assert_nonnull (transfer->metrics);
  g_assert_cmpint (transfer->metrics->n_samples, ==, 100);
  /* 1 + 3 + 3 epochs */
  g_assert_cmpint (tl_curve_view_get_n_points (loss), >=, 7);
  g_assert_cmpint (tl_curve_view_get_n_points (accuracy), >=, 7);
  goal = (RunsGoal) { runs, 1 };
  g_assert_true (ui_wait_for (runs_listed, &goal, 30));
  g_assert_cmpuint (tl_runs_view_get_n_runs (runs), ==, 1);
  g_assert_cmpuint (n_entries (scratch, "tl-torch-"), ==, 0);
  g_test_message ("PyTorch run: transfer accuracy %.3f", transfer->metrics->accuracy);
  tl_window_dismiss_toast (win);
  ui_screenshot (GTK_WIDGET (win), "torch-1-train.png");

  /* Stop after the first epoch: no run is added, no job folder is left */
  watch.seen_while_running = FALSE;
  g_signal_emit_by_name (tl_train_page_get_start_button (page), "clicked");
  g_assert_true (tl_train_page_is_running (page));
  g_assert_true (ui_wait_for (epoch_drawn, &watch, 600));
  g_assert_true (watch.seen_while_running);
  tl_train_page_stop (page);
  g_assert_true (ui_wait_for (ui_training_done, page, 120));
  g_assert_null (tl_window_get_error (win));
  g_assert_cmpstr (tl_train_page_get_status (page), ==, _("Stopped"));
  ui_spin (300);
  g_assert_cmpuint (tl_runs_view_get_n_runs (runs), ==, 1);
  g_assert_cmpuint (n_entries (scratch, "tl-torch-"), ==, 0);

  /* A cluster job: written to a folder, run there, collected back */
  g_assert_true (tl_run_on_group_set_choice (group, TL_RUN_ON_CLUSTER));
  job_folder = g_build_filename (tmp_dir, "jobs", NULL);
  g_assert_cmpint (g_mkdir_with_parents (job_folder, 0755), ==, 0);
  tl_train_page_write_cluster_job (page, job_folder);
  g_assert_true (tl_train_page_is_running (page));
  g_assert_true (ui_wait_for (ui_training_done, page, 300));
  g_assert_null (tl_window_get_error (win));
  job = g_build_filename (job_folder, "fashion-split-torch-job", NULL);
  run_sh = g_build_filename (job, "run.sh", NULL);
  g_assert_true (g_file_test (run_sh, G_FILE_TEST_IS_EXECUTABLE));
  g_assert_nonnull (strstr (tl_train_page_get_stage_text (page), "run.sh"));
  ui_screenshot (GTK_WIDGET (win), "torch-2-job-written.png");
  {
    const char *argv[] = { "sh", "run.sh", NULL };
    const char *envp_set[] = { "PYTHON=" PYTHON, "NPROC=1", "DEVICE=cpu" };
    g_auto (GStrv) envp = g_get_environ ();
    g_autoptr (GError) error = NULL;
    int status = 1;

    for (guint i = 0; i < G_N_ELEMENTS (envp_set); i++)
      {
        g_auto (GStrv) kv = g_strsplit (envp_set[i], "=", 2);
        envp = g_environ_setenv (envp, kv[0], kv[1], TRUE);
      }
    g_assert_true (g_spawn_sync (job, (char **) argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                 NULL, NULL, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  tl_train_page_collect_job (page, job);
  g_assert_true (tl_train_page_is_running (page));
  g_assert_true (ui_wait_for (ui_training_done, page, 300));
  g_assert_null (tl_window_get_error (win));
  g_assert_cmpstr (tl_train_page_get_status (page), ==, _("Finished"));
  goal.n = 2;
  g_assert_true (ui_wait_for (runs_listed, &goal, 30));
  g_assert_cmpuint (tl_runs_view_get_n_runs (runs), ==, 2);
  g_assert_cmpuint (tl_document_get_run (doc, "transfer")->history->epochs->len, ==, 3);
  g_assert_cmpint (tl_curve_view_get_n_points (loss), >=, 7);
  tl_window_dismiss_toast (win);
  ui_screenshot (GTK_WIDGET (win), "torch-3-collected.png");

  /* an engine that fails: the run ends with its error and its last words, no run is added */
  {
    g_autofree char *engine = g_build_filename (tmp_dir, "broken-engine", NULL);
    g_autofree char *package = g_build_filename (engine, "tl_torch_engine", NULL);
    g_autofree char *main_py = g_build_filename (package, "__main__.py", NULL);
    g_autofree char *torchrun = g_build_filename (package, "torchrun.py", NULL);
    g_autofree char *bridge = g_build_filename (engine, "transfer_lab_torch.py", NULL);
    g_autofree char *graph = g_build_filename (engine, "transfer_lab_graph.py", NULL);
    g_autoptr (GError) error = NULL;

    g_assert_cmpint (g_mkdir_with_parents (package, 0755), ==, 0);
    g_assert_true (g_file_set_contents (main_py, "", -1, &error));
    g_assert_true (g_file_set_contents (bridge, "", -1, &error));
    g_assert_true (g_file_set_contents (graph, "", -1, &error));
    g_assert_true (g_file_set_contents (torchrun, "import sys\nprint('the engine broke down')\nsys.exit(3)\n", -1,
                                        &error));
    g_setenv ("TL_TORCH_ENGINE_DIR", engine, TRUE);
    g_assert_true (tl_run_on_group_set_choice (group, TL_RUN_ON_TORCH));
    tl_train_page_start (page);
    g_assert_true (ui_wait_for (ui_training_done, page, 300));
    g_unsetenv ("TL_TORCH_ENGINE_DIR");
    g_assert_cmpstr (tl_train_page_get_status (page), ==, _("Failed"));
    g_assert_nonnull (tl_window_get_error (win));
    g_assert_nonnull (strstr (tl_window_get_error (win), "the engine broke down"));
    ui_spin (300);
    g_assert_cmpuint (tl_runs_view_get_n_runs (runs), ==, 2);
    /* its job is kept for a look, and named in the message */
    g_assert_cmpuint (n_entries (scratch, "tl-torch-"), ==, 1);
  }

  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* Without torch the PyTorch choice is off, and says why. */
static void
test_torch_missing (void)
{
  TlWindow *win;
  TlRunOnGroup *group;
  GtkWidget *row;

  g_setenv ("TL_PYTHON", "/nonexistent/python3", TRUE);
  win = tl_window_new (app);
  gtk_window_present (GTK_WINDOW (win));
  group = TL_RUN_ON_GROUP (tl_train_page_get_run_on_group (TL_TRAIN_PAGE (tl_window_get_page (win, "train"))));
  row = tl_run_on_group_get_row (group, TL_RUN_ON_TORCH);
  g_assert_false (gtk_widget_get_sensitive (row));
  /* torch is looked for once the Train page is first shown, not while the window starts */
  ui_spin (300);
  g_assert_false (tl_run_on_group_get_torch_checked (group));
  tl_window_show_step (win, "train");
  g_assert_true (ui_wait_for (torch_checked, group, 60));
  g_unsetenv ("TL_PYTHON");
  g_assert_null (tl_run_on_group_get_python (group));
  g_assert_false (gtk_widget_get_sensitive (row));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (row), "/nonexistent/python3"));
  g_assert_nonnull (strstr (tl_run_on_group_get_torch_problem (group), "TL_PYTHON"));
  g_assert_false (tl_run_on_group_set_choice (group, TL_RUN_ON_TORCH));
  g_assert_cmpint (tl_run_on_group_get_choice (group), ==, TL_RUN_ON_LOCAL);
  /* a cluster job needs no torch here */
  g_assert_true (tl_run_on_group_set_choice (group, TL_RUN_ON_CLUSTER));
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char **argv)
{
  int status;

  /* made without GLib, which keeps the temporary folder it is first asked for */
  scratch = g_strdup_printf ("%s/tl-ui-torch-XXXXXX", g_getenv ("TMPDIR") ? g_getenv ("TMPDIR") : "/tmp");
  g_assert_nonnull (mkdtemp (scratch));
  g_setenv ("TMPDIR", scratch, TRUE);
  g_assert_cmpstr (g_get_tmp_dir (), ==, scratch);
  if (!ui_check_init (&argc, &argv, &tmp_dir))
    {
      printf ("1..0 # SKIP no display (run under xvfb-run)\n");
      return 0;
    }
  app = tl_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  g_test_add_func ("/ui/torch-missing", test_torch_missing);
  g_test_add_func ("/ui/torch-engine", test_torch_engine);
  status = g_test_run ();
  g_object_unref (app);
  tl_remove_folder_tree (scratch);
  return status;
}
