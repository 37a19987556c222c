#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <adwaita.h>

#include "tl-application.h"
#include "tl-data-page.h"
#include "tl-document.h"
#include "tl-domain-map-view.h"
#include "tl-layer-table.h"
#include "tl-train-page.h"
#include "tl-trainer.h"
#include "tl-transfer-page.h"
#include "tl-window.h"
#include "ui-check.h"

/* The Transfer page with a pretrained source model and a labelled target:
 * Assess scores the layers in the background, the recommended cut is marked,
 * and "Freeze up to here" freezes exactly the layers up to the row. */

static TlApplication *app;
static char *tmp_dir;

/* Three features, one cluster per class; the target's classes are its own. */
static void
write_csv (const char *path, const char *const *classes, int n_classes, int per_class, double shift, guint32 seed)
{
  g_autoptr (GString) text = g_string_new ("f1,f2,f3,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < per_class * n_classes; i++)
    {
      int c = i % n_classes;
      g_string_append_printf (text, "%.3f,%.3f,%.3f,%s\n", c * 2.0 + shift + g_rand_double_range (rand, -0.6, 0.6),
                              -c + g_rand_double_range (rand, -0.6, 0.6), shift + g_rand_double_range (rand, -1, 1),
                              classes[c]);
    }
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
}

static gboolean
assessed (gpointer page)
{
  return !tl_transfer_page_is_assessing (TL_TRANSFER_PAGE (page));
}

static gboolean
button_shown (gpointer page)
{
  return gtk_widget_get_mapped (tl_transfer_page_get_freeze_recommended_button (TL_TRANSFER_PAGE (page)));
}

static gboolean
map_ready (gpointer view)
{
  return !tl_domain_map_view_is_busy (TL_DOMAIN_MAP_VIEW (view));
}

static void
assert_frozen_up_to (TlModel *model, int last)
{
  for (int i = 0; i < tl_model_n_layers (model); i++)
    if (tl_model_layer (model, i)->n_params > 0)
      {
        g_test_message ("layer %d %s: %s", i, tl_model_layer (model, i)->name,
                        tl_model_layer (model, i)->trainable ? "trainable" : "frozen");
        g_assert_cmpint (tl_model_layer (model, i)->trainable, ==, i > last);
      }
}

static void
test_assess_and_freeze (void)
{
  const char *source_classes[] = { "red", "green", "blue" };
  const char *target_classes[] = { "cat", "dog" };
  g_autofree char *source = g_build_filename (tmp_dir, "source.csv", NULL);
  g_autofree char *target = g_build_filename (tmp_dir, "target.csv", NULL);
  g_autofree char *exp_path = g_build_filename (tmp_dir, "assess.json", NULL);
  g_autofree char *json = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlHistory) history = tl_history_new ();
  TlWindow *win = tl_window_new (app);
  TlDocument *doc = tl_window_get_document (win);
  TlTransferPage *page = TL_TRANSFER_PAGE (tl_window_get_page (win, "transfer"));
  TlLayerTable *table = TL_LAYER_TABLE (tl_transfer_page_get_layer_table (page));
  TlTrainConfig config;
  TlModel *pretrained, *target_model;
  GtkWidget *button;
  int rec, scored = 0;

  write_csv (source, source_classes, 3, 80, 0.0, 1);
  write_csv (target, target_classes, 2, 60, 1.0, 2);
  json = g_strdup_printf ("{ \"format_version\": 1, \"name\": \"assess\", \"seed\": 7,"
                          " \"source\": { \"format\": \"csv\", \"path\": \"%s\", \"label_column\": \"label\","
                          " \"test_fraction\": 0.2 },"
                          " \"target\": { \"format\": \"csv\", \"path\": \"%s\", \"label_column\": \"label\","
                          " \"test_fraction\": 0.3 },"
                          " \"architecture\": { \"preset\": \"mlp\" } }", source, target);
  g_assert_true (g_file_set_contents (exp_path, json, -1, NULL));
  file = g_file_new_for_path (exp_path);

  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  tl_window_open_file (win, file);
  g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (win, "data"), 60));
  tl_window_show_step (win, "transfer");
  ui_spin (200);

  /* before pretraining there is nothing worth scoring, and the page says why */
  g_assert_nonnull (tl_document_get_source_model (doc));
  g_assert_false (tl_transfer_page_assess (page));
  g_test_message ("%s", tl_transfer_page_get_assess_text (page));

  /* after a run, its pretraining is the model assessed */
  {
    TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));

    tl_document_get_experiment (doc)->pretrain.epochs = 3;
    tl_document_get_experiment (doc)->transfer.finetune.epochs = 2;
    tl_document_get_experiment (doc)->baseline = FALSE;
    tl_document_changed (doc, "params");
    tl_window_show_step (win, "train");
    tl_train_page_start (train);
    g_assert_true (ui_wait_for (ui_training_done, train, 300));
    g_assert_null (tl_window_get_error (win));
    g_assert_nonnull (tl_document_get_run (doc, "pretrain"));
    tl_window_show_step (win, "transfer");
    ui_spin (200);
    g_assert_true (tl_transfer_page_assess (page));
    g_assert_true (ui_wait_for (assessed, page, 120));
    g_test_message ("after a run: %s", tl_transfer_page_get_assess_text (page));
    g_assert_cmpint (tl_layer_table_get_recommended (table), >=, 0);
  }

  /* a pretrained source model, as opened from a file */
  pretrained = tl_model_copy (tl_document_get_source_model (doc));
  tl_train_config_init (&config);
  config.epochs = 8;
  config.seed = 3;
  g_assert_true (tl_train (pretrained, tl_document_get_data (doc, TL_ROLE_SOURCE)->train, NULL, &config, NULL,
                           history, &error));
  g_assert_no_error (error);
  tl_document_set_source_model (doc, pretrained, TRUE, NULL);
  ui_spin (200);

  /* Assess runs in a worker: the call returns at once with the page busy */
  g_assert_true (tl_transfer_page_assess (page));
  g_assert_true (tl_transfer_page_is_assessing (page));
  g_assert_true (ui_wait_for (assessed, page, 120));
  g_test_message ("%s", tl_transfer_page_get_assess_text (page));
  g_assert_nonnull (strstr (tl_transfer_page_get_assess_text (page), "LogME"));

  rec = tl_layer_table_get_recommended (table);
  g_assert_cmpint (rec, >=, 0);
  target_model = tl_document_get_target_model (doc);
  g_assert_cmpint (rec, <, tl_model_n_layers (target_model) - 1);
  for (guint i = 0; i < tl_layer_table_get_n_rows (table); i++)
    {
      g_autofree char *text = tl_layer_table_dup_score_text (table, i);
      g_test_message ("row %u %s: %s%s", i, tl_model_layer (target_model, i)->name, text,
                      (int) i == rec ? "  (recommended)" : "");
      /* a number, or "—" for a cut whose score did not settle */
      if (*text != '\0' && g_strcmp0 (text, "—") != 0)
        {
          char *end = NULL;
          double v = g_ascii_strtod (text, &end);
          g_assert_true (*end == '\0' && isfinite (v));
          scored++;
        }
    }
  g_assert_cmpint (scored, >=, 2);
  /* the recommended cut is the highest-scoring one or a lower one, never above it */
  {
    int highest = -1;
    double top = -INFINITY;
    for (int i = 0; i < tl_model_n_layers (target_model) - 1; i++)
      {
        g_autofree char *text = tl_layer_table_dup_score_text (table, i);
        double v = (*text != '\0' && g_strcmp0 (text, "—") != 0) ? g_ascii_strtod (text, NULL) : -INFINITY;
        if (v > top)
          {
            top = v;
            highest = i;
          }
      }
    g_assert_cmpint (highest, >=, 0);
    g_assert_cmpint (rec, <=, highest);
    g_assert_nonnull (strstr (tl_transfer_page_get_assess_text (page), "the evidence for the best is not strong"));
  }
  {
    g_autofree char *text = tl_layer_table_dup_score_text (table, rec);
    g_assert_cmpstr (text, !=, "");
    g_assert_cmpstr (text, !=, "—");
  }

  /* "Freeze up to relu2" beside the assessment; a click freezes the cut and every layer above */
  tl_model_freeze_below (target_model, 0);
  g_assert_true (ui_wait_for (button_shown, page, 20));
  button = tl_transfer_page_get_freeze_recommended_button (page);
  {
    g_autofree char *want = g_strdup_printf (_("Freeze up to %s"), tl_model_layer (target_model, rec)->name);
    g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, want);
  }
  g_signal_emit_by_name (button, "clicked");
  assert_frozen_up_to (target_model, rec);
  g_assert_cmpint (tl_document_get_experiment (doc)->transfer.freeze_mode, ==, TL_FREEZE_BELOW);
  ui_spin (300);
  ui_screenshot (GTK_WIDGET (win), "step-3-transfer-assessed.png");

  /* any row offers it too (as an icon): up to the first dense layer */
  g_assert_cmpint (tl_model_layer (target_model, 1)->n_params, >, 0);
  button = tl_layer_table_get_freeze_button (table, 1);
  g_assert_nonnull (button);
  g_assert_null (gtk_button_get_label (GTK_BUTTON (button)));
  g_assert_nonnull (tl_layer_table_get_freeze_button (table, rec));
  g_signal_emit_by_name (button, "clicked");
  assert_frozen_up_to (target_model, 1);

  /* the domains before and after fine-tuning, as the Evaluate step can show them */
  {
    g_autoptr (TlModel) tuned = tl_model_copy (target_model);
    g_autoptr (TlHistory) tuning = tl_history_new ();
    GtkWidget *map_window = gtk_window_new ();
    GtkWidget *view = tl_domain_map_view_new ();

    config.epochs = 5;
    g_assert_true (tl_train (tuned, tl_document_get_data (doc, TL_ROLE_TARGET)->train, NULL, &config, NULL, tuning,
                             &error));
    gtk_window_set_child (GTK_WINDOW (map_window), view);
    gtk_window_set_default_size (GTK_WINDOW (map_window), 1000, 500);
    gtk_window_present (GTK_WINDOW (map_window));
    tl_domain_map_view_set_models (TL_DOMAIN_MAP_VIEW (view), tl_document_get_source_model (doc), tuned,
                                   tl_document_get_data (doc, TL_ROLE_SOURCE)->train,
                                   tl_document_get_data (doc, TL_ROLE_TARGET)->train);
    g_assert_true (tl_domain_map_view_is_busy (TL_DOMAIN_MAP_VIEW (view)));
    g_assert_true (ui_wait_for (map_ready, view, 60));
    g_assert_cmpint (tl_domain_map_view_get_n_maps (TL_DOMAIN_MAP_VIEW (view)), ==, 2);
    g_test_message ("proxy A-distance before %.3f, after %.3f",
                    tl_domain_map_view_get_a_distance (TL_DOMAIN_MAP_VIEW (view), 0),
                    tl_domain_map_view_get_a_distance (TL_DOMAIN_MAP_VIEW (view), 1));
    g_assert_true (isfinite (tl_domain_map_view_get_a_distance (TL_DOMAIN_MAP_VIEW (view), 0)));
    g_assert_true (isfinite (tl_domain_map_view_get_a_distance (TL_DOMAIN_MAP_VIEW (view), 1)));
    ui_spin (200);
    ui_screenshot (map_window, "domain-map-view.png");
    gtk_window_destroy (GTK_WINDOW (map_window));
  }

  /* new data drops the scores */
  tl_document_changed (doc, "data");
  g_assert_cmpint (tl_layer_table_get_recommended (table), ==, -1);

  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char **argv)
{
  if (!ui_check_init (&argc, &argv, &tmp_dir))
    {
      printf ("1..0 # SKIP no display (run under xvfb-run)\n");
      return 0;
    }
  app = tl_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  g_test_add_func ("/ui/assess-and-freeze", test_assess_and_freeze);
  return g_test_run ();
}
