#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <adwaita.h>

#include "tl-application.h"
#include "tl-document.h"
#include "tl-domain-map-card.h"
#include "tl-domain-map-view.h"
#include "tl-evaluate-page.h"
#include "tl-privacy-settings.h"
#include "tl-runs-view.h"
#include "tl-train-page.h"
#include "tl-transfer-page.h"
#include "tl-window.h"
#include "ui-check.h"

/* A small MLP experiment run from the window with private fine-tuning turned
 * on in the Transfer page: the settings land in the experiment, what the check
 * refuses is shown with the page's problems, the privacy spent is shown live
 * and per run in the Runs list; and the Evaluate page maps the domains before
 * and after fine-tuning once the run is done, and exports the map. */

static TlApplication *app;
static char *tmp_dir;

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
map_ready (gpointer view)
{
  return tl_domain_map_view_get_n_maps (TL_DOMAIN_MAP_VIEW (view)) > 0;
}

static gboolean
runs_listed (gpointer view)
{
  return tl_runs_view_get_n_runs (TL_RUNS_VIEW (view)) > 0;
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* After the Runs page has seen an epoch: what it shows then. */
static void
on_epoch_added (GtkWidget *curve_view, const char *run, const TlEpochRecord *record, gpointer data)
{
  GPtrArray *seen = data;
  const char *text = tl_runs_view_get_privacy_text (TL_RUNS_VIEW (g_object_get_data (G_OBJECT (curve_view), "runs")));

  g_ptr_array_add (seen, g_strdup_printf ("%s %d: %s", run, record->epoch, text != NULL ? text : "(none)"));
}

static void
scroll_to (GtkWidget *widget)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  graphene_point_t at;

  if (scroller != NULL
      && gtk_widget_compute_point (widget, gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scroller)),
                                   &GRAPHENE_POINT_INIT (0, 0), &at))
    gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller)), at.y - 24);
  ui_spin (300);
}

static void
type_delta (TlPrivacySettings *privacy, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (tl_privacy_settings_get_delta_entry (privacy)), text);
  ui_spin (50);
}

static void
test_private_run_and_domain_map (void)
{
  const char *source_classes[] = { "red", "green", "blue" };
  const char *target_classes[] = { "cat", "dog" };
  g_autofree char *source = g_build_filename (tmp_dir, "source.csv", NULL);
  g_autofree char *target = g_build_filename (tmp_dir, "target.csv", NULL);
  g_autofree char *exp_path = g_build_filename (tmp_dir, "private.json", NULL);
  g_autofree char *png = g_build_filename (tmp_dir, "domain-map.png", NULL);
  g_autofree char *svg = g_build_filename (tmp_dir, "domain-map.svg", NULL);
  g_autofree char *json = NULL;
  g_autoptr (GFile) file = NULL;
  TlWindow *win = tl_window_new (app);
  TlDocument *doc = tl_window_get_document (win);
  TlTransferPage *transfer = TL_TRANSFER_PAGE (tl_window_get_page (win, "transfer"));
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  TlEvaluatePage *evaluate = TL_EVALUATE_PAGE (tl_window_get_page (win, "evaluate"));
  TlRunsView *runs = TL_RUNS_VIEW (tl_window_get_page (win, "runs"));
  TlPrivacySettings *privacy = TL_PRIVACY_SETTINGS (tl_transfer_page_get_privacy_settings (transfer));
  GtkWidget *card = tl_evaluate_page_get_domain_map_card (evaluate);
  GtkWidget *view = tl_domain_map_card_get_view (TL_DOMAIN_MAP_CARD (card));
  TlExperiment *exp;
  const char *message = NULL, *field = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  write_csv (source, source_classes, 3, 80, 0.0, 1);
  write_csv (target, target_classes, 2, 60, 1.0, 2);
  json = g_strdup_printf ("{ \"format_version\": 1, \"name\": \"private\", \"seed\": 7,"
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
  exp = tl_document_get_experiment (doc);
  exp->pretrain.epochs = 4;
  exp->transfer.finetune.epochs = 3;
  exp->baseline = FALSE;
  tl_document_changed (doc, "params");
  tl_window_show_step (win, "transfer");
  ui_spin (200);

  /* off by default, with the usual figures ready */
  g_assert_false (exp->transfer.finetune.private);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (tl_privacy_settings_get_switch (privacy))));
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (tl_privacy_settings_get_epsilon_spin (privacy))),
                     ==, 3.0);
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (tl_privacy_settings_get_clip_spin (privacy))),
                     ==, 1.0);
  g_assert_false (gtk_widget_get_sensitive (gtk_widget_get_ancestor (tl_privacy_settings_get_epsilon_spin (privacy),
                                                                     ADW_TYPE_ACTION_ROW)));

  /* on: written into the experiment */
  gtk_switch_set_active (GTK_SWITCH (tl_privacy_settings_get_switch (privacy)), TRUE);
  ui_spin (50);
  g_assert_true (exp->transfer.finetune.private);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.epsilon, ==, 3.0);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.delta, ==, 1e-5);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.clip, ==, 1.0);
  g_assert_cmpuint (tl_window_get_problems (win, "transfer", NULL, NULL), ==, 0);
  /* the comparison without privacy is on by default, and can be turned off and on */
  g_assert_true (exp->transfer.finetune.private_reference);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (tl_privacy_settings_get_reference_switch (privacy))));
  g_assert_true (gtk_widget_get_sensitive (gtk_widget_get_ancestor (tl_privacy_settings_get_reference_switch (privacy),
                                                                    ADW_TYPE_ACTION_ROW)));
  gtk_switch_set_active (GTK_SWITCH (tl_privacy_settings_get_reference_switch (privacy)), FALSE);
  ui_spin (50);
  g_assert_false (exp->transfer.finetune.private_reference);
  gtk_switch_set_active (GTK_SWITCH (tl_privacy_settings_get_reference_switch (privacy)), TRUE);
  ui_spin (50);
  g_assert_true (exp->transfer.finetune.private_reference);

  /* a delta that is no number is refused here, the experiment keeps the last good one */
  type_delta (privacy, "abc");
  g_assert_nonnull (tl_privacy_settings_get_delta_error (privacy));
  g_test_message ("%s", tl_privacy_settings_get_delta_error (privacy));
  g_assert_cmpfloat (exp->transfer.finetune.privacy.delta, ==, 1e-5);
  g_assert_true (gtk_widget_has_css_class (tl_privacy_settings_get_delta_entry (privacy), "error"));
  type_delta (privacy, "1.5");
  g_assert_nonnull (tl_privacy_settings_get_delta_error (privacy));
  /* a number the core refuses (above one over the target's training rows) shows with the page's problems */
  type_delta (privacy, "0.2");
  g_assert_null (tl_privacy_settings_get_delta_error (privacy));
  g_assert_cmpfloat (exp->transfer.finetune.privacy.delta, ==, 0.2);
  g_assert_cmpuint (tl_window_get_problems (win, "transfer", &message, &field), >=, 1);
  g_test_message ("%s: %s", field, message);
  g_assert_cmpstr (field, ==, "transfer.privacy.delta");
  g_assert_nonnull (tl_window_get_problems_text (win));
  scroll_to (GTK_WIDGET (privacy));
  ui_screenshot (GTK_WIDGET (win), "transfer-privacy-problem.png");
  type_delta (privacy, "1e-5");
  g_assert_cmpuint (tl_window_get_problems (win, "transfer", NULL, NULL), ==, 0);

  /* a strategy private training does not support is refused the same way */
  g_assert_true (tl_transfer_page_set_strategy (transfer, TL_STRATEGY_DOMAIN_ADVERSARIAL, TRUE));
  ui_spin (50);
  g_assert_cmpuint (tl_window_get_problems (win, "transfer", &message, &field), >=, 1);
  g_test_message ("%s: %s", field, message);
  g_assert_cmpstr (field, ==, "transfer.strategy");
  g_assert_true (tl_transfer_page_set_strategy (transfer, TL_STRATEGY_DOMAIN_ADVERSARIAL, FALSE));
  ui_spin (50);
  g_assert_cmpuint (tl_window_get_problems (win, "transfer", NULL, NULL), ==, 0);

  /* saved with the experiment, and read back the same */
  {
    g_autofree char *saved_path = g_build_filename (tmp_dir, "saved.json", NULL);
    g_autoptr (TlExperiment) planned = tl_document_dup_planned_experiment (doc);
    g_autoptr (TlExperiment) back = NULL;

    g_assert_true (tl_experiment_save (planned, saved_path, &error));
    g_assert_no_error (error);
    back = tl_experiment_load (saved_path, &error);
    g_assert_no_error (error);
    g_assert_true (back->transfer.finetune.private);
    g_assert_cmpfloat (back->transfer.finetune.privacy.epsilon, ==, 3.0);
    g_assert_cmpfloat (back->transfer.finetune.privacy.delta, ==, 1e-5);
    g_assert_cmpfloat (back->transfer.finetune.privacy.clip, ==, 1.0);
  }
  scroll_to (GTK_WIDGET (privacy));
  ui_screenshot (GTK_WIDGET (win), "transfer-privacy.png");

  /* before a run there is nothing to map */
  g_assert_false (gtk_widget_get_visible (card));

  tl_window_show_step (win, "train");
  g_object_set_data (G_OBJECT (tl_train_page_get_curve_view (train, FALSE)), "runs", runs);
  g_signal_connect (tl_train_page_get_curve_view (train, FALSE), "epoch-added", G_CALLBACK (on_epoch_added), seen);
  tl_train_page_start (train);
  g_assert_true (ui_wait_for (ui_training_done, train, 300));
  g_assert_null (tl_window_get_error (win));

  /* live: nothing while the source pretrains (not private), then every epoch of the fine-tuning */
  for (guint i = 0; i < seen->len; i++)
    g_test_message ("%s", (char *) seen->pdata[i]);
  /* (the Train page draws a stage's earlier epochs again with each new one) */
  {
    int last_epoch = 0, reference_epochs = 0;

    for (guint i = 0; i < seen->len; i++)
      if (g_str_has_prefix (seen->pdata[i], "pretrain "))
        g_assert_nonnull (strstr (seen->pdata[i], "(none)"));
      else if (g_str_has_prefix (seen->pdata[i], "non-private "))
        {
          /* trained after the private run, which keeps the gauge */
          g_assert_nonnull (strstr (seen->pdata[i], "transfer, epoch 3: privacy spent ε"));
          reference_epochs = MAX (reference_epochs, atoi ((char *) seen->pdata[i] + strlen ("non-private ")));
        }
      else
        {
          int epoch = atoi ((char *) seen->pdata[i] + strlen ("transfer "));
          g_autofree char *shown = g_strdup_printf ("epoch %d: privacy spent ε", epoch);

          g_assert_true (g_str_has_prefix (seen->pdata[i], "transfer "));
          g_assert_nonnull (strstr (seen->pdata[i], shown));
          last_epoch = MAX (last_epoch, epoch);
        }
    g_assert_cmpint (last_epoch, ==, 3);
    g_assert_cmpint (reference_epochs, ==, 3);
  }

  /* the privacy spent, as the last epoch of the private run left it */
  g_assert_nonnull (tl_runs_view_get_privacy_text (runs));
  g_test_message ("live: %s", tl_runs_view_get_privacy_text (runs));
  g_assert_nonnull (strstr (tl_runs_view_get_privacy_text (runs), "ε"));
  g_assert_nonnull (strstr (tl_runs_view_get_privacy_text (runs), "3"));
  {
    TlRunResult *main_run = tl_document_get_main_run (doc);
    const TlHistory *h = main_run->history;
    double spent = g_array_index (h->epochs, TlEpochRecord, h->epochs->len - 1).epsilon;
    g_autofree char *figure = g_strdup_printf ("%.2f", spent);

    g_assert_true (isfinite (spent) && spent > 0 && spent <= 3.0 + 1e-9);
    g_assert_nonnull (strstr (tl_runs_view_get_privacy_text (runs), figure));
  }

  /* per run in the list: the private fine-tuning has its epsilon, pretraining none */
  tl_window_show_step (win, "runs");
  g_assert_true (ui_wait_for (runs_listed, runs, 30));
  {
    g_autofree char *text = tl_runs_view_get_run_text (runs, 0);

    g_test_message ("run: %s", text);
    g_assert_cmpuint (count (text, "(ε "), ==, 1);
    g_assert_nonnull (strstr (text, "non-private "));
    g_assert_null (strstr (text, "non-private 0.0%"));
  }
  ui_spin (200);
  ui_screenshot (GTK_WIDGET (win), "runs-privacy.png");

  /* fine-tuning moved the weights below the head, so the two maps differ */
  {
    TlModel *before = tl_document_get_run (doc, "pretrain")->model;
    TlModel *after = tl_document_get_main_run (doc)->model;
    double moved = 0;

    g_assert_true (before != after);
    for (int i = 0; i < tl_model_n_layers (before) - 1; i++)
      for (int k = 0; k < tl_model_layer (before, i)->n_params; k++)
        {
          const TlTensor *a = tl_model_layer (before, i)->params[k].value, *b = tl_model_layer (after, i)->params[k].value;
          for (gsize e = 0; e < a->size; e++)
            moved += fabs (a->data[e] - b->data[e]);
        }
    g_test_message ("weights below the head moved by %g in all", moved);
  }

  /* the Evaluate page opens on the private transfer, with the reference beside it */
  tl_window_show_step (win, "evaluate");
  g_assert_cmpstr (tl_evaluate_page_get_run (evaluate), ==, "transfer");
  g_assert_cmpuint (tl_evaluate_page_get_n_runs (evaluate), ==, 2);
  g_assert_true (tl_evaluate_page_select_run (evaluate, "non-private"));
  ui_spin (200);
  g_assert_cmpstr (tl_evaluate_page_get_run (evaluate), ==, "non-private");
  ui_screenshot (GTK_WIDGET (win), "evaluate-private-and-reference.png");
  g_assert_true (tl_evaluate_page_select_run (evaluate, "transfer"));
  ui_spin (100);

  /* the domain map appears on the Evaluate page and is computed in the background */
  g_assert_true (gtk_widget_get_visible (card));
  g_assert_true (ui_wait_for (map_ready, view, 60));
  g_assert_cmpint (tl_domain_map_view_get_n_maps (TL_DOMAIN_MAP_VIEW (view)), ==, 2);
  g_test_message ("proxy A-distance before %.3f, after %.3f",
                  tl_domain_map_view_get_a_distance (TL_DOMAIN_MAP_VIEW (view), 0),
                  tl_domain_map_view_get_a_distance (TL_DOMAIN_MAP_VIEW (view), 1));
  g_assert_true (isfinite (tl_domain_map_view_get_a_distance (TL_DOMAIN_MAP_VIEW (view), 1)));
  ui_spin (300);
  g_assert_true (gtk_widget_get_sensitive (tl_domain_map_card_get_export_button (TL_DOMAIN_MAP_CARD (card))));
  scroll_to (card);
  ui_screenshot (GTK_WIDGET (win), "evaluate-domain-map.png");

  /* exported as PNG and SVG; an unknown extension is refused */
  g_assert_true (tl_domain_map_view_export (TL_DOMAIN_MAP_VIEW (view), png, &error));
  g_assert_no_error (error);
  g_assert_true (tl_domain_map_view_export (TL_DOMAIN_MAP_VIEW (view), svg, &error));
  g_assert_no_error (error);
  {
    g_autofree char *bytes = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (png, &bytes, &len, NULL));
    g_assert_cmpuint (len, >, 1000);
    g_assert_cmpmem (bytes, 4, "\x89PNG", 4);
    g_clear_pointer (&bytes, g_free);
    g_assert_true (g_file_get_contents (svg, &bytes, &len, NULL));
    g_assert_nonnull (strstr (bytes, "<svg"));
  }
  {
    g_autofree char *bad = g_build_filename (tmp_dir, "domain-map.bmp", NULL);
    g_assert_false (tl_domain_map_view_export (TL_DOMAIN_MAP_VIEW (view), bad, &error));
    g_assert_nonnull (error);
    g_test_message ("%s", error->message);
    g_clear_error (&error);
    g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  }

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
  g_test_add_func ("/ui/private-run-and-domain-map", test_private_run_and_domain_map);
  return g_test_run ();
}
