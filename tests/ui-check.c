#define G_LOG_DOMAIN "ui-check"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "tl-data-page.h"
#include "tl-document.h"
#include "tl-evaluate-page.h"
#include "tl-import-wizard.h"
#include "tl-sample-explanation.h"
#include "tl-train-page.h"
#include "ui-check.h"

gboolean
ui_check_init (int *argc, char ***argv, char **tmp_dir)
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("TL_NO_DEMO", "1", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  *tmp_dir = g_dir_make_tmp ("test-ui-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", *tmp_dir, TRUE);
  /* the runs of an experiment never saved go to the user's data folder */
  {
    g_autofree char *data_home = g_build_filename (*tmp_dir, "data", NULL);
    g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  }

  /* gettext ignores LANGUAGE under the C locale; a test run in Chinese sets only LANGUAGE */
  if (setlocale (LC_ALL, "") == NULL || (g_strcmp0 (setlocale (LC_MESSAGES, NULL), "C") == 0
                                         && g_getenv ("LANGUAGE") != NULL))
    setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, BUILD_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_test_init (argc, argv, NULL);
  if (!gtk_init_check ())
    return FALSE;
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, "gtk-cursor-blink", FALSE, NULL);
  return TRUE;
}

void
ui_spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

gboolean
ui_wait_for (gboolean (*done) (gpointer), gpointer data, guint seconds)
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

void
ui_screenshot (GtkWidget *widget, const char *name)
{
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  g_autofree char *shot_dir = NULL;
  GskRenderer *renderer;
  int w, h;

  ui_spin (400);
  for (int i = 0; i < 40 && (!gtk_widget_get_mapped (widget) || gtk_widget_get_width (widget) == 0); i++)
    ui_spin (50);
  w = gtk_widget_get_width (widget);
  h = gtk_widget_get_height (widget);
  g_assert_cmpint (w, >, 0);
  g_assert_cmpint (h, >, 0);
  /* A widget redrawn since the last frame has no picture until the next one. */
  for (int i = 0; i < 50 && node == NULL; i++)
    {
      g_clear_object (&paintable);
      if (i > 0)
        ui_spin (20);
      paintable = gtk_widget_paintable_new (widget);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
    }
  g_assert_nonnull (node);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  shot_dir = g_build_filename (g_getenv ("TL_BUILD_DIR") ? g_getenv ("TL_BUILD_DIR") : ".", "screenshots", NULL);
  g_mkdir_with_parents (shot_dir, 0755);
  path = g_build_filename (shot_dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

gboolean
ui_training_done (gpointer train_page)
{
  return !tl_train_page_is_running (TL_TRAIN_PAGE (train_page));
}

gboolean
ui_data_loaded (gpointer data_page)
{
  return !tl_data_page_is_loading (TL_DATA_PAGE (data_page));
}

gboolean
ui_wizard_idle (gpointer wizard)
{
  return !tl_import_wizard_is_busy (TL_IMPORT_WIZARD (wizard));
}

gboolean
ui_flag_set (gpointer flag)
{
  return *(gboolean *) flag;
}

gboolean
ui_predictions_ready (gpointer document)
{
  return tl_document_get_predictions (document, NULL) != NULL;
}

gboolean
ui_widget_shown (gpointer widget)
{
  return gtk_widget_get_visible (GTK_WIDGET (widget));
}

gboolean
ui_batches_reached (gpointer data)
{
  UiBatchGoal *goal = data;
  return tl_train_page_get_n_batches (goal->page) >= goal->batches || !tl_train_page_is_running (goal->page);
}

static gboolean
sample_explained (gpointer data)
{
  return tl_explanation_panel_is_ready (TL_EXPLANATION_PANEL (data));
}

/* The cell's first sample selected: its explanation is computed for the class the cell predicts. */
void
ui_assert_sample_explained (gpointer evaluate_page, int predicted, gboolean text, const char *screenshot)
{
  TlEvaluatePage *page = TL_EVALUATE_PAGE (evaluate_page);
  GtkWidget *e = tl_evaluate_page_get_sample_explanation (page);
  TlSampleExplanation *se = TL_SAMPLE_EXPLANATION (e);

  g_assert_false (gtk_widget_get_visible (e));
  g_assert_true (tl_evaluate_page_select_sample (page, 0));
  g_assert_true (gtk_widget_get_visible (e));
  g_assert_true (ui_wait_for (sample_explained, e, 60));
  g_assert_null (tl_explanation_panel_get_error (TL_EXPLANATION_PANEL (se)));
  g_assert_cmpint (tl_sample_explanation_get_class (se), ==, predicted);
  if (text)
    {
      const char *markup = tl_sample_explanation_get_markup (se);
      g_assert_nonnull (markup);
      g_test_message ("explained text: %s", markup);
      /* the words the prediction leans on are highlighted */
      g_assert_nonnull (strstr (markup, "<span background="));
    }
  else
    {
      int row = -1, column = -1;
      g_assert_null (tl_sample_explanation_get_markup (se));
      tl_sample_explanation_get_peak (se, &row, &column);
      g_assert_cmpint (row, >=, 0);
      g_assert_cmpint (column, >=, 0);
    }
  ui_spin (200);
  ui_screenshot (gtk_widget_get_parent (e), screenshot);
}

void
ui_model_add (TlModel *model, TlLayerSpec spec, const char *name, int n, const int *inputs)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (tl_model_add_joined (model, &spec, name, n, inputs, &error));
  g_assert_no_error (error);
}

void
ui_write_reviews (const char *path, int rows, int one_in, guint32 seed)
{
  static const char *const words[2][4] = { { "dull", "boring", "tedious", "awful" },
                                            { "gripping", "moving", "brilliant", "splendid" } };
  static const char *const neutral[] = { "the", "a", "it", "was", "and", "this", "of", "with", "for", "my" };
  g_autoptr (GString) text = g_string_new ("review,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < rows; i++)
    {
      int c = i % 2;

      g_string_append_c (text, '"');
      for (int w = 0; w < 8; w++)
        g_string_append_printf (text, "%s%s", w > 0 ? " " : "",
                                g_rand_int_range (rand, 0, one_in) == 0 ? words[c][g_rand_int_range (rand, 0, 4)]
                                                                        : neutral[g_rand_int_range (rand, 0, 10)]);
      g_string_append_printf (text, "\",%s\n", c == 0 ? "negative" : "positive");
    }
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
}

void
ui_on_import_finished (GObject *wizard, gboolean ok, gpointer data)
{
  *(gboolean *) data = ok;
}
