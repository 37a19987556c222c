#define G_LOG_DOMAIN "test-ui-text-chars"

#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

#include "tl-application.h"
#include "tl-confusion-view.h"
#include "tl-evaluate-page.h"
#include "tl-experiment.h"
#include "tl-explanation-panel.h"
#include "tl-ngram.h"
#include "tl-sample-explanation.h"
#include "tl-train-page.h"
#include "tl-window.h"
#include "ui-check.h"

/* A text model with character n-grams, run in the window: on the Evaluate page a
 * word it never read, a misspelling of a word that decides the class, is
 * highlighted for that class through the pieces it shares with it. */

static TlApplication *app;
static char *tmp_dir;

static const char *const classes[] = { "negative", "positive" };
static const char *const keywords[] = { "dreadful", "splendid" };
/* in the test rows alone: never read in training, so no word term holds them */
static const char *const misspelt[] = { "dreadfully", "splendidly" };
static const char *const neutral[] = { "table", "chair", "river", "cloud", "paper",
                                       "coffee", "letter", "bottle", "market", "forest" };

/* Rows of three neutral words and, in one place, the class's word. */
static void
write_csv (const char *path, const char *const words[2], int per_class, guint32 seed)
{
  g_autoptr (GString) text = g_string_new ("text,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < 2 * per_class; i++)
    {
      int c = i % 2, at = g_rand_int_range (rand, 0, 4);

      g_string_append_c (text, '"');
      for (int w = 0, k = 0; w < 4; w++)
        g_string_append_printf (text, "%s%s", w > 0 ? " " : "",
                                w == at ? words[c] : neutral[(g_rand_int_range (rand, 0, 10) + k++) % 10]);
      g_string_append_printf (text, "\",%s\n", classes[c]);
    }
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
}

static gboolean
explained (gpointer data)
{
  return tl_explanation_panel_is_ready (TL_EXPLANATION_PANEL (data));
}

/* The bgalpha of the span around word in markup, or -1 when the word is not highlighted. */
static int
highlight_of (const char *markup, const char *word, const char *colour)
{
  g_autofree char *head = g_strdup_printf ("<span background=\"%s\" bgalpha=\"", colour);
  g_autofree char *tail = g_strdup_printf ("%%\">%s</span>", word);

  for (const char *p = strstr (markup, head); p != NULL; p = strstr (p + 1, head))
    {
      char *end;
      long alpha = strtol (p + strlen (head), &end, 10);

      if (g_str_has_prefix (end, tail))
        return (int) alpha;
    }
  return -1;
}

static void
test_misspelling_highlighted (void)
{
  g_autofree char *source = g_build_filename (tmp_dir, "reviews-a.csv", NULL);
  g_autofree char *target = g_build_filename (tmp_dir, "reviews-b.csv", NULL);
  g_autofree char *test = g_build_filename (tmp_dir, "reviews-b-test.csv", NULL);
  g_autofree char *path = g_build_filename (tmp_dir, "misspelt.json", NULL);
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  TlWindow *win = tl_window_new (app);
  TlDocument *doc = tl_window_get_document (win);
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  TlEvaluatePage *evaluate = TL_EVALUATE_PAGE (tl_window_get_page (win, "evaluate"));
  TlConfusionView *view = TL_CONFUSION_VIEW (tl_evaluate_page_get_confusion_view (evaluate));
  GtkWidget *panel = tl_evaluate_page_get_sample_explanation (evaluate);
  const TlDataSlot *slot;
  const TlNgramFeatures *f;
  const TlMetrics *m;

  write_csv (source, keywords, 120, 1);
  write_csv (target, keywords, 30, 2);
  write_csv (test, misspelt, 10, 3);
  g_free (exp->name);
  exp->name = g_strdup ("misspelt");
  exp->source.path = g_strdup (source);
  exp->source.text_column = g_strdup ("text");
  exp->target.path = g_strdup (target);
  exp->target.text_column = g_strdup ("text");
  exp->target.test_path = g_strdup (test);
  exp->target.per_class = 10;
  g_free (exp->architecture.preset);
  exp->architecture.preset = g_strdup ("text-ngram");
  exp->pretrain.epochs = 6;
  exp->pretrain.batch_size = 16;
  exp->transfer.finetune.epochs = 4;
  exp->transfer.finetune.batch_size = 8;
  exp->baseline = FALSE;
  /* as by default: the source's n-grams also count the target's training text, in the window as in the run */
  g_assert_true (exp->transfer.unlabeled_text);
  g_assert_true (tl_experiment_save (exp, path, &error));
  g_assert_no_error (error);

  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  tl_window_open_file (win, file);
  g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (win, "data"), 60));
  g_assert_null (tl_window_get_error (win));

  /* a bag of word and character n-grams, in which the misspellings are no term */
  slot = tl_document_get_data (doc, TL_ROLE_TARGET);
  g_assert_nonnull (slot->preprocess);
  f = slot->preprocess->ngrams;
  g_assert_nonnull (f);
  g_assert_cmpint (f->settings.char_max, >, 0);
  g_assert_cmpint (f->char_first, <, f->n_ids);
  for (int c = 0; c < 2; c++)
    {
      g_assert_cmpint (tl_vocab_lookup (f->vocab, keywords[c]), >, 1);
      g_assert_cmpint (tl_vocab_lookup (f->vocab, misspelt[c]), ==, 1);
    }

  tl_window_show_step (win, "train");
  ui_spin (100);
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (train)));
  g_signal_emit_by_name (tl_train_page_get_start_button (train), "clicked");
  g_assert_true (ui_wait_for (ui_training_done, train, 300));
  g_assert_null (tl_window_get_error (win));
  m = tl_document_get_metrics (doc);
  g_assert_nonnull (m);
  g_test_message ("misspelt test rows: accuracy %.3f on %d", m->accuracy, m->n_samples);
  g_assert_cmpint (m->n_samples, ==, 20);

  tl_window_show_step (win, "evaluate");
  g_assert_true (ui_wait_for (ui_predictions_ready, doc, 30));
  for (int c = 0; c < 2; c++)
    {
      const char *markup, *summary;
      g_autofree char *first = g_strdup_printf ("“%s”", misspelt[c]);
      g_autofree char *name = g_strdup_printf ("text-chars-explanation-%s.png", classes[c]);
      int alpha;

      /* the misspellings alone tell the classes apart: read through their pieces, they are told right */
      g_assert_cmpint (tl_confusion_view_get_count (view, c, c), ==, 10);
      tl_confusion_view_select (view, c, c);
      g_assert_cmpuint (tl_evaluate_page_get_n_samples_shown (evaluate), ==, 10);
      g_assert_true (tl_evaluate_page_select_sample (evaluate, 0));
      g_assert_true (ui_wait_for (explained, panel, 60));
      g_assert_null (tl_explanation_panel_get_error (TL_EXPLANATION_PANEL (panel)));
      markup = tl_sample_explanation_get_markup (TL_SAMPLE_EXPLANATION (panel));
      g_assert_nonnull (markup);
      g_test_message ("%s explained: %s", classes[c], markup);
      g_assert_cmpint (tl_sample_explanation_get_class (TL_SAMPLE_EXPLANATION (panel)), ==, c);
      /* red, for the class, and the most of the row's words: all its evidence comes from its pieces */
      alpha = highlight_of (markup, misspelt[c], "#e01b24");
      g_assert_cmpint (alpha, ==, 75);
      g_assert_cmpint (highlight_of (markup, misspelt[c], "#1c71d8"), ==, -1);
      g_assert_cmpint (highlight_of (markup, misspelt[1 - c], "#e01b24"), ==, -1);
      for (guint w = 0; w < G_N_ELEMENTS (neutral); w++)
        g_assert_cmpint (highlight_of (markup, neutral[w], "#e01b24"), <, 75);
      /* the sentence under it names the same word first, for the class: its pieces' evidence counted for it */
      summary = tl_sample_explanation_get_summary (TL_SAMPLE_EXPLANATION (panel));
      g_assert_nonnull (summary);
      g_test_message ("%s summary: %s", classes[c], summary);
      g_assert_nonnull (strstr (summary, "“"));
      g_assert_true (g_str_has_prefix (strstr (summary, "“"), first));
      g_assert_null (strstr (summary, misspelt[1 - c]));
      ui_spin (200);
      ui_screenshot (gtk_widget_get_parent (panel), name);
    }
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
  g_test_add_func ("/ui-text-chars/misspelling-highlighted", test_misspelling_highlighted);
  status = g_test_run ();
  g_object_unref (app);
  return status;
}
