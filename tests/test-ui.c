#define G_LOG_DOMAIN "test-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <adwaita.h>

#include "tl-application.h"
#include "tl-confusion-view.h"
#include "tl-curve-view.h"
#include "tl-data-page.h"
#include "tl-evaluate-page.h"
#include "tl-export-page.h"
#include "tl-import-wizard.h"
#include "tl-layer-table.h"
#include "tl-train-page.h"
#include "tl-transfer-page.h"
#include "tl-window.h"

static TlApplication *app;
static TlWindow *window;
static char *tmp_dir;
static char *shot_dir;

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

/* Iterates the main loop until done() or the timeout; FALSE on timeout. */
static gboolean
wait_for (gboolean (*done) (gpointer), gpointer data, guint seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static void
screenshot (GtkWidget *widget, const char *name)
{
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int w, h;

  spin (400);
  w = gtk_widget_get_width (widget);
  h = gtk_widget_get_height (widget);
  g_assert_cmpint (w, >, 0);
  g_assert_cmpint (h, >, 0);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  path = g_build_filename (shot_dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

static void
write_csv (const char *path, const char *const *classes, int n_classes, int per_class, guint32 seed)
{
  g_autoptr (GString) text = g_string_new ("f1,f2,f3,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < per_class * n_classes; i++)
    {
      int c = i % n_classes;
      g_string_append_printf (text, "%.3f,%.3f,%.3f,%s\n", c * 2.0 + g_rand_double_range (rand, -0.6, 0.6),
                              -c + g_rand_double_range (rand, -0.6, 0.6), g_rand_double_range (rand, -1, 1),
                              classes[c]);
    }
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
}

static gboolean
wizard_idle (gpointer data)
{
  return !tl_import_wizard_is_busy (TL_IMPORT_WIZARD (data));
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
on_finished (TlImportWizard *wizard, gboolean ok, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
import_csv (TlDataRole role, const char *path, const char *shot_prefix)
{
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (window, "data"));
  TlImportWizard *wizard = TL_IMPORT_WIZARD (tl_data_page_import (page, role));
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autofree char *name = NULL;
  gboolean finished = FALSE;

  g_object_ref (wizard);
  g_signal_connect (wizard, "finished", G_CALLBACK (on_finished), &finished);
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "file");
  tl_import_wizard_set_file (wizard, file);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "columns");
  name = g_strdup_printf ("%s-columns.png", shot_prefix);
  screenshot (GTK_WIDGET (wizard), name);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "classes");
  g_assert_true (wait_for (wizard_idle, wizard, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_free (name);
  name = g_strdup_printf ("%s-classes.png", shot_prefix);
  screenshot (GTK_WIDGET (wizard), name);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "split");
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (wait_for (flag_set, &finished, 60));
  g_object_unref (wizard);
}

static void
test_window_opens (void)
{
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_nonnull (tl_window_get_page (window, "data"));
  g_assert_nonnull (tl_window_get_page (window, "export"));
  g_assert_false (tl_window_is_training (window));
  g_assert_null (tl_window_get_error (window));
  screenshot (GTK_WIDGET (window), "step-0-empty.png");
}

static void
test_wizard_error_keeps_choices (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "broken.csv", NULL);
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (window, "data"));
  TlImportWizard *wizard;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  const char *error;

  g_autoptr (GString) text = g_string_new ("a,b,label\n");

  /* Invalid UTF-8 on line 30, past the rows the preview reads. */
  for (int i = 2; i < 40; i++)
    g_string_append_printf (text, i == 30 ? "%d,\xff\xfe,x\n" : "%d,%d,%s\n", i, i * 2, i % 2 ? "x" : "y");
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
  wizard = TL_IMPORT_WIZARD (g_object_ref (tl_data_page_import (page, TL_ROLE_SOURCE)));
  tl_import_wizard_set_file (wizard, file);
  g_assert_true (tl_import_wizard_next (wizard));
  tl_import_wizard_set_column_role (wizard, 1, "feature");
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (wait_for (wizard_idle, wizard, 30));
  error = tl_import_wizard_get_error (wizard);
  g_assert_nonnull (error);
  g_test_message ("inline error: %s", error);
  g_assert_nonnull (strstr (error, "broken.csv:30"));
  /* Still open, back on the page where the choices are, and they are kept. */
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "columns");
  screenshot (GTK_WIDGET (wizard), "wizard-error.png");
  gtk_window_destroy (GTK_WINDOW (wizard));
  g_object_unref (wizard);
}

static void
test_wizard_imports (void)
{
  static const char *const source_classes[] = { "alpha", "beta", "gamma", "delta" };
  static const char *const target_classes[] = { "north", "south", "east" };
  g_autofree char *source = g_build_filename (tmp_dir, "source.csv", NULL);
  g_autofree char *target = g_build_filename (tmp_dir, "target.csv", NULL);
  TlDocument *doc = tl_window_get_document (window);

  write_csv (source, source_classes, 4, 120, 1);
  write_csv (target, target_classes, 3, 40, 2);
  import_csv (TL_ROLE_SOURCE, source, "wizard-source");
  g_assert_nonnull (doc->data[TL_ROLE_SOURCE].train);
  g_assert_cmpint (doc->data[TL_ROLE_SOURCE].train->n_classes, ==, 4);
  import_csv (TL_ROLE_TARGET, target, "wizard-target");
  g_assert_nonnull (doc->data[TL_ROLE_TARGET].train);
  g_assert_cmpint (doc->data[TL_ROLE_TARGET].train->n_classes, ==, 3);
  g_assert_nonnull (doc->source_model);
  g_assert_nonnull (doc->target_model);
  g_assert_cmpint (tl_model_n_outputs (doc->target_model), ==, 3);
  g_assert_true (doc->modified);
  tl_window_show_step (window, "data");
  screenshot (GTK_WIDGET (window), "step-1-data.png");
  tl_window_show_step (window, "model");
  screenshot (GTK_WIDGET (window), "step-2-model.png");
}

static void
test_freeze_through_table (void)
{
  TlTransferPage *page = TL_TRANSFER_PAGE (tl_window_get_page (window, "transfer"));
  TlLayerTable *table = TL_LAYER_TABLE (tl_transfer_page_get_layer_table (page));
  TlDocument *doc = tl_window_get_document (window);
  g_autofree char *before_text = g_strdup (tl_transfer_page_get_trainable_text (page));
  gsize before = tl_model_param_count (doc->target_model, TRUE);
  gsize after;
  GtkWidget *sw;

  tl_window_show_step (window, "transfer");
  spin (200);
  g_assert_cmpuint (tl_layer_table_get_n_rows (table), ==, (guint) tl_model_n_layers (doc->target_model));
  g_assert_cmpuint (before, ==, tl_model_param_count (doc->target_model, FALSE));

  /* The row action on the first layer (a Dense after Flatten or the first Dense). */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (table), "layers.freeze-below", "i", 1));
  after = tl_model_param_count (doc->target_model, TRUE);
  g_assert_cmpuint (after, <, before);
  g_assert_cmpstr (tl_transfer_page_get_trainable_text (page), !=, before_text);
  g_assert_cmpint (doc->exp->transfer.freeze_mode, ==, TL_FREEZE_BELOW);

  /* The switch of a row edits the same flag. */
  g_assert_cmpint (tl_model_layer (doc->target_model, 1)->n_params, >, 0);
  sw = tl_layer_table_get_switch (table, 1);
  g_assert_nonnull (sw);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (sw)));
  if (!gtk_switch_get_active (GTK_SWITCH (sw)))
    {
      gtk_switch_set_active (GTK_SWITCH (sw), TRUE);
      g_assert_cmpuint (tl_model_param_count (doc->target_model, TRUE), >, after);
      gtk_switch_set_active (GTK_SWITCH (sw), FALSE);
    }
  g_assert_cmpuint (tl_model_param_count (doc->target_model, TRUE), ==, after);
  screenshot (GTK_WIDGET (window), "step-3-transfer.png");
}

static gboolean
training_done (gpointer data)
{
  return !tl_train_page_is_running (TL_TRAIN_PAGE (data));
}

static void
test_training_runs (void)
{
  TlTrainPage *page = TL_TRAIN_PAGE (tl_window_get_page (window, "train"));
  TlDocument *doc = tl_window_get_document (window);
  TlCurveView *loss, *accuracy;

  doc->exp->pretrain.epochs = 3;
  doc->exp->transfer.finetune.epochs = 4;
  doc->exp->transfer.finetune.batch_size = 8;
  doc->exp->baseline = TRUE;
  tl_document_changed (doc, "params");
  tl_window_show_step (window, "train");
  spin (100);
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (page)));
  g_signal_emit_by_name (tl_train_page_get_start_button (page), "clicked");
  g_assert_true (tl_train_page_is_running (page));
  g_assert_true (tl_window_is_training (window));
  g_assert_true (wait_for (training_done, page, 300));
  g_assert_null (tl_window_get_error (window));

  loss = TL_CURVE_VIEW (tl_train_page_get_curve_view (page, FALSE));
  accuracy = TL_CURVE_VIEW (tl_train_page_get_curve_view (page, TRUE));
  g_assert_cmpint (tl_curve_view_get_n_points (loss), >=, 4);
  g_assert_cmpint (tl_curve_view_get_n_points (accuracy), >=, 4);
  g_assert_nonnull (doc->result);
  g_assert_nonnull (tl_document_get_run (doc, "transfer"));
  g_assert_nonnull (tl_document_get_run (doc, "baseline"));
  g_assert_nonnull (doc->metrics);
  /* Coalescing: never more main-loop deliveries than batches trained. */
  g_assert_cmpuint (tl_train_page_get_n_batch_updates (page), >, 0);
  g_assert_cmpuint (tl_train_page_get_n_batch_updates (page), <=, tl_train_page_get_n_batches (page));
  g_test_message ("batches %" G_GUINT64_FORMAT ", deliveries %u, test accuracy %.3f",
                  tl_train_page_get_n_batches (page), tl_train_page_get_n_batch_updates (page),
                  doc->metrics->accuracy);
  screenshot (GTK_WIDGET (window), "step-4-train.png");
}

static gboolean
predictions_ready (gpointer data)
{
  return ((TlDocument *) data)->test_predictions != NULL;
}

static void
test_confusion_counts (void)
{
  TlEvaluatePage *page = TL_EVALUATE_PAGE (tl_window_get_page (window, "evaluate"));
  TlConfusionView *view = TL_CONFUSION_VIEW (tl_evaluate_page_get_confusion_view (page));
  TlDocument *doc = tl_window_get_document (window);
  const TlMetrics *m = doc->metrics;
  int total = 0, row = -1, col = -1;
  double x, y;

  g_assert_nonnull (m);
  tl_window_show_step (window, "evaluate");
  spin (300);
  g_assert_cmpint (tl_confusion_view_get_n_classes (view), ==, m->n_classes);
  for (int t = 0; t < m->n_classes; t++)
    for (int p = 0; p < m->n_classes; p++)
      {
        g_assert_cmpint (tl_confusion_view_get_count (view, t, p), ==, m->confusion[t * m->n_classes + p]);
        total += tl_confusion_view_get_count (view, t, p);
      }
  g_assert_cmpint (total, ==, m->n_samples);
  g_assert_cmpint (total, ==, doc->data[TL_ROLE_TARGET].test->n);
  g_assert_cmpuint (tl_evaluate_page_get_n_metric_rows (page), ==, (guint) m->n_classes + 2);

  /* A click on the centre of cell (1, 1) finds that cell and lists its samples. */
  g_assert_true (wait_for (predictions_ready, doc, 30));
  g_assert_true (tl_confusion_view_cell_center (view, 1, 1, &x, &y));
  g_assert_true (tl_confusion_view_cell_at (view, x, y, &row, &col));
  g_assert_cmpint (row, ==, 1);
  g_assert_cmpint (col, ==, 1);
  tl_confusion_view_select (view, row, col);
  g_assert_cmpuint (tl_evaluate_page_get_n_samples_shown (page), ==, (guint) tl_confusion_view_get_count (view, 1, 1));
  screenshot (GTK_WIDGET (window), "step-5-evaluate.png");
}

static void
test_exports (void)
{
  TlExportPage *page = TL_EXPORT_PAGE (tl_window_get_page (window, "export"));
  static const struct { TlExportKind kind; const char *name; const char *magic; } cases[] = {
    { TL_EXPORT_KIND_MODEL, "model.safetensors", NULL },
    { TL_EXPORT_KIND_ONNX, "model.onnx", NULL },
    { TL_EXPORT_KIND_METRICS, "metrics.json", "{" },
    { TL_EXPORT_KIND_HISTORY, "history.csv", "epoch" },
    { TL_EXPORT_KIND_CONFUSION_CSV, "confusion.csv", NULL },
    { TL_EXPORT_KIND_CONFUSION_PLOT, "confusion.png", "\x89PNG" },
    { TL_EXPORT_KIND_CONFUSION_PLOT, "confusion.svg", "<?xml" },
    { TL_EXPORT_KIND_CONFUSION_PLOT, "confusion.pdf", "%PDF" },
    { TL_EXPORT_KIND_CURVES, "curves.png", "\x89PNG" },
    { TL_EXPORT_KIND_CURVES, "curves.pdf", "%PDF" },
  };
  g_autofree char *folder = g_build_filename (tmp_dir, "exports", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *bad = g_build_filename (tmp_dir, "curves.bmp", NULL);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  tl_window_show_step (window, "export");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (folder, cases[i].name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      g_assert_true (tl_export_page_export (page, cases[i].kind, path, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      g_assert_cmpuint (len, >, 16);
      if (cases[i].magic != NULL)
        g_assert_true (g_str_has_prefix (contents, cases[i].magic));
    }
  /* An unknown extension is refused with a message, and nothing is written. */
  g_assert_false (tl_export_page_export (page, TL_EXPORT_KIND_CURVES, bad, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  screenshot (GTK_WIDGET (window), "step-6-export.png");
}

static void
test_dark_screenshot (void)
{
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  tl_window_show_step (window, "train");
  screenshot (GTK_WIDGET (window), "step-4-train-dark.png");
  tl_window_show_step (window, "evaluate");
  screenshot (GTK_WIDGET (window), "step-5-evaluate-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

int
main (int argc, char **argv)
{
  int status;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("TL_NO_DEMO", "1", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  tmp_dir = g_dir_make_tmp ("test-ui-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", tmp_dir, TRUE);
  shot_dir = g_build_filename (g_getenv ("TL_BUILD_DIR") ? g_getenv ("TL_BUILD_DIR") : ".", "screenshots", NULL);
  g_mkdir_with_parents (shot_dir, 0755);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, BUILD_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_skip ("no display (run under xvfb-run)");
      printf ("1..0 # SKIP no display\n");
      return 0;
    }
  /* Screenshots show pages at rest, not half-way through a transition. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  app = tl_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = tl_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 860);
  gtk_window_present (GTK_WINDOW (window));
  spin (300);

  g_test_add_func ("/ui/window-opens", test_window_opens);
  g_test_add_func ("/ui/wizard-error-keeps-choices", test_wizard_error_keeps_choices);
  g_test_add_func ("/ui/wizard-imports", test_wizard_imports);
  g_test_add_func ("/ui/freeze-through-table", test_freeze_through_table);
  g_test_add_func ("/ui/training-runs", test_training_runs);
  g_test_add_func ("/ui/confusion-counts", test_confusion_counts);
  g_test_add_func ("/ui/exports", test_exports);
  g_test_add_func ("/ui/dark-screenshots", test_dark_screenshot);
  status = g_test_run ();

  tl_document_set_modified (tl_window_get_document (window), FALSE);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  return status;
}
