#define G_LOG_DOMAIN "test-ui-audio"

#include "config.h"

#include <adwaita.h>
#include <math.h>
#include <sndfile.h>

#include "tl-application.h"
#include "tl-audio-explanation.h"
#include "tl-audio-preview.h"
#include "tl-confusion-view.h"
#include "tl-data-page.h"
#include "tl-evaluate-page.h"
#include "tl-experiment-check.h"
#include "tl-import-wizard.h"
#include "tl-train-page.h"
#include "tl-window.h"
#include "ui-check.h"

/* Audio in the window: the import wizard previews recordings of a folder or a CSV;
 * after a run, a confusion cell's recordings are listed, one is previewed, explained over
 * its spectrogram and played. */

static TlApplication *app;
static TlWindow *window;
static char *tmp_dir;
static char *source_dir;
static char *target_dir;
static char *experiment_path;

static const char *const classes[] = { "high", "low", "mid" };
static const double pitch[] = { 1800.0, 300.0, 800.0 };

/* A tone of the class's pitch with a little noise and a fade, 0.5 to 0.8 s at 8 kHz. */
static void
write_recording (const char *path, int c, int i, double shift)
{
  SF_INFO info = { 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32) (c * 1000 + i + shift));
  gsize n = (gsize) (8000 * (0.5 + 0.03 * (i % 10)));
  g_autofree float *x = g_new (float, n);
  SNDFILE *f;

  for (gsize k = 0; k < n; k++)
    {
      double fade = MIN (1.0, MIN (k, n - k) / 400.0);
      x[k] = (float) (fade * (0.4 * sin (2 * G_PI * (pitch[c] + shift) * k / 8000.0)
                              + 0.05 * g_rand_double_range (rand, -1, 1)));
    }
  info.samplerate = 8000;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  f = sf_open (path, SFM_WRITE, &info);
  g_assert_nonnull (f);
  g_assert_cmpint (sf_writef_float (f, x, (sf_count_t) n), ==, (sf_count_t) n);
  sf_close (f);
}

static char *
make_folder (const char *name, int per_class, double shift)
{
  char *dir = g_build_filename (tmp_dir, name, NULL);

  for (int c = 0; c < 3; c++)
    {
      g_autofree char *sub = g_build_filename (dir, classes[c], NULL);

      g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
      for (int i = 0; i < per_class; i++)
        {
          g_autofree char *file = g_strdup_printf ("%s-%02d.wav", classes[c], i);
          g_autofree char *path = g_build_filename (sub, file, NULL);
          write_recording (path, c, i, shift);
        }
    }
  return dir;
}

static void
on_finished (TlImportWizard *wizard, gboolean ok, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static gboolean
preview_loaded (gpointer preview)
{
  return tl_audio_preview_is_loaded (TL_AUDIO_PREVIEW (preview));
}

static gboolean
explanation_ready (gpointer explanation)
{
  return tl_explanation_panel_is_ready (TL_EXPLANATION_PANEL (explanation));
}

static gboolean
explanation_drawn (gpointer explanation)
{
  return tl_audio_explanation_get_n_draws (TL_AUDIO_EXPLANATION (explanation)) > 0;
}

/* The explanation of the selected recording arrives from its worker, names the class the
 * cell's samples were predicted as, and is drawn with a peak inside the spectrogram. */
static void
assert_explained (GtkWidget *explanation, int predicted)
{
  int band = -1, frame = -1;

  g_assert_true (gtk_widget_get_visible (explanation));
  g_assert_true (ui_wait_for (explanation_ready, explanation, 60));
  g_assert_null (tl_explanation_panel_get_error (TL_EXPLANATION_PANEL (explanation)));
  g_assert_cmpint (tl_audio_explanation_get_class (TL_AUDIO_EXPLANATION (explanation)), ==, predicted);
  g_assert_true (gtk_widget_get_mapped (explanation));
  g_assert_true (ui_wait_for (explanation_drawn, explanation, 30));
  tl_audio_explanation_get_peak (TL_AUDIO_EXPLANATION (explanation), &band, &frame);
  g_assert_cmpint (band, >=, 0);
  g_assert_cmpint (band, <, 40);
  g_assert_cmpint (frame, >=, 0);
  g_assert_cmpint (frame, <, 101);
  g_test_message ("explanation of class %d peaks at mel band %d, frame %d", predicted, band, frame);
}

static gboolean
preview_drawn (gpointer preview)
{
  return tl_audio_preview_get_n_spectrogram_draws (TL_AUDIO_PREVIEW (preview)) > 0
         && tl_audio_preview_get_n_waveform_draws (TL_AUDIO_PREVIEW (preview)) > 0;
}

/* The preview has read path and drawn both thumbnails of it. */
static void
assert_previewed (GtkWidget *preview, const char *path)
{
  int bands = 0, frames = 0;

  g_assert_true (ui_wait_for (preview_loaded, preview, 30));
  g_assert_null (tl_audio_preview_get_error (TL_AUDIO_PREVIEW (preview)));
  g_assert_cmpstr (tl_audio_preview_get_path (TL_AUDIO_PREVIEW (preview)), ==, path);
  g_assert_true (gtk_widget_get_mapped (preview));
  g_assert_true (ui_wait_for (preview_drawn, preview, 30));
  tl_audio_preview_get_spectrogram_size (TL_AUDIO_PREVIEW (preview), &bands, &frames);
  g_assert_cmpint (bands, ==, 40);
  g_assert_cmpint (frames, ==, 101);
}

static gboolean
has_problem (GPtrArray *problems, const char *field)
{
  for (guint i = 0; i < problems->len; i++)
    if (g_strcmp0 (((TlExperimentProblem *) g_ptr_array_index (problems, i))->field, field) == 0)
      return TRUE;
  return FALSE;
}

/* Imports a folder through the wizard, checking the recordings it previews first. */
static void
import_audio (TlDataRole role, const char *path, const char *shot, int per_class)
{
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (window, "data"));
  TlImportWizard *wizard = TL_IMPORT_WIZARD (tl_data_page_import (page, role));
  g_autoptr (GFile) file = g_file_new_for_path (path);
  GtkWidget *preview = tl_import_wizard_get_audio_preview (wizard);
  g_autofree char *high = g_build_filename (path, "high", "high-00.wav", NULL);
  g_autofree char *mid = g_build_filename (path, "mid", "mid-00.wav", NULL);
  gboolean finished = FALSE;

  g_object_ref (wizard);
  g_signal_connect (wizard, "finished", G_CALLBACK (on_finished), &finished);
  tl_import_wizard_set_file (wizard, file);
  g_assert_cmpuint (tl_import_wizard_get_n_recordings (wizard), ==, 3);
  g_assert_cmpuint (tl_import_wizard_get_n_thumbnails (wizard), ==, 0);
  assert_previewed (preview, high);
  tl_import_wizard_select_recording (wizard, 2);
  assert_previewed (preview, mid);
  if (shot != NULL)
    {
      GtkWidget *scroller = gtk_widget_get_ancestor (preview, GTK_TYPE_SCROLLED_WINDOW);
      GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));

      gtk_window_set_default_size (GTK_WINDOW (wizard), 760, 860);
      ui_spin (200);
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
      ui_screenshot (GTK_WIDGET (wizard), shot);
    }
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "classes");
  g_assert_true (ui_wait_for (ui_wizard_idle, wizard, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  if (per_class > 0)
    tl_import_wizard_set_per_class (wizard, per_class);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (ui_wait_for (ui_wizard_idle, wizard, 60));
  g_assert_cmpstr (tl_import_wizard_get_error (wizard), ==, NULL);
  g_assert_true (ui_wait_for (ui_flag_set, &finished, 60));
  g_object_unref (wizard);
  g_assert_true (ui_wait_for (ui_data_loaded, page, 60));
}

/* A CSV of paths and labels is taken for a list of recordings, and previewed alike. */
static void
test_wizard_audio_csv (void)
{
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (window, "data"));
  TlImportWizard *wizard = TL_IMPORT_WIZARD (tl_data_page_import (page, TL_ROLE_SOURCE));
  g_autofree char *csv = g_build_filename (source_dir, "list.csv", NULL);
  g_autofree char *low = g_build_filename (source_dir, "low", "low-03.wav", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (csv);

  g_assert_true (g_file_set_contents (csv, "file,label\nlow/low-03.wav,down\nhigh/high-01.wav,up\n", -1, NULL));
  tl_import_wizard_set_file (wizard, file);
  g_assert_cmpuint (tl_import_wizard_get_n_recordings (wizard), ==, 2);
  assert_previewed (tl_import_wizard_get_audio_preview (wizard), low);
  gtk_window_close (GTK_WINDOW (wizard));
  ui_spin (100);
}

static void
test_wizard_and_run (void)
{
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (window, "train"));
  TlEvaluatePage *evaluate = TL_EVALUATE_PAGE (tl_window_get_page (window, "evaluate"));
  TlConfusionView *view = TL_CONFUSION_VIEW (tl_evaluate_page_get_confusion_view (evaluate));
  GtkWidget *preview = tl_evaluate_page_get_audio_preview (evaluate);
  TlDocument *doc = tl_window_get_document (window);
  const TlDataset *test;
  const TlMetrics *m;
  int cell_t = -1, cell_p = -1;

  import_audio (TL_ROLE_SOURCE, source_dir, "audio-wizard-source.png", 0);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->train->kind, ==, TL_DATA_AUDIO);
  g_assert_cmpstr (tl_document_get_experiment (doc)->architecture.preset, ==, "audio-cnn");
  import_audio (TL_ROLE_TARGET, target_dir, NULL, 0);
  /* a file from before the check may ask for copies of the target's recordings, which no run makes:
   * importing the target again takes its settings but drops the copies */
  {
    TlExperiment *exp = tl_document_get_experiment (doc);
    g_autoptr (GPtrArray) refused = NULL, cleared = NULL;

    exp->target.audio_augment.copies = 2;
    exp->target.audio_augment.snr_db = 15;
    refused = tl_experiment_check (exp, NULL, NULL);
    g_assert_true (has_problem (refused, "target.audio_augment"));
    import_audio (TL_ROLE_TARGET, target_dir, NULL, 0);
    g_assert_cmpint (exp->target.audio_augment.copies, ==, 0);
    g_assert_cmpfloat (exp->target.audio_augment.snr_db, ==, 15);
    cleared = tl_experiment_check (exp, NULL, NULL);
    g_assert_false (has_problem (cleared, "target.audio_augment"));
  }
  tl_document_get_experiment (doc)->pretrain.epochs = 2;
  tl_document_get_experiment (doc)->transfer.finetune.epochs = 3;
  tl_document_get_experiment (doc)->transfer.finetune.batch_size = 8;
  tl_document_get_experiment (doc)->baseline = FALSE;
  tl_document_store_plan (doc);
  /* saved and opened again: read as audio, with the same settings */
  {
    g_autoptr (GFile) file = g_file_new_for_path (experiment_path);
    g_autoptr (GError) error = NULL;

    g_assert_true (tl_experiment_save (tl_document_get_experiment (doc), experiment_path, &error));
    g_assert_no_error (error);
    tl_document_set_modified (doc, FALSE);
    tl_window_open_file (window, file);
    g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (window, "data"), 60));
    g_assert_null (tl_window_get_error (window));
    g_assert_cmpint (tl_document_get_experiment (doc)->target.format, ==, TL_DATA_FORMAT_AUDIO);
    g_assert_cmpint (tl_document_get_experiment (doc)->target.audio.n_mels, ==, 40);
    g_assert_cmpstr (tl_document_get_experiment (doc)->architecture.preset, ==, "audio-cnn");
  }
  test = tl_document_get_data (doc, TL_ROLE_TARGET)->test;
  g_assert_nonnull (test);
  g_assert_cmpint (test->kind, ==, TL_DATA_AUDIO);
  g_assert_nonnull (test->source_text);

  tl_window_show_step (window, "train");
  ui_spin (100);
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (train)));
  g_signal_emit_by_name (tl_train_page_get_start_button (train), "clicked");
  g_assert_true (ui_wait_for (ui_training_done, train, 600));
  g_assert_null (tl_window_get_error (window));
  m = tl_document_get_metrics (doc);
  g_assert_nonnull (m);
  g_test_message ("audio run: test accuracy %.3f on %d recordings", m->accuracy, m->n_samples);

  tl_window_show_step (window, "evaluate");
  g_assert_true (ui_wait_for (ui_predictions_ready, doc, 30));
  for (int t = 0; t < m->n_classes && cell_t < 0; t++)
    for (int p = 0; p < m->n_classes && cell_t < 0; p++)
      if (tl_confusion_view_get_count (view, t, p) > 0)
        cell_t = t, cell_p = p;
  g_assert_cmpint (cell_t, >=, 0);
  g_assert_false (gtk_widget_get_visible (preview));
  tl_confusion_view_select (view, cell_t, cell_p);
  g_assert_cmpuint (tl_evaluate_page_get_n_samples_shown (evaluate), ==,
                    (guint) tl_confusion_view_get_count (view, cell_t, cell_p));
  g_assert_true (gtk_widget_get_visible (preview));
  g_assert_null (tl_audio_preview_get_path (TL_AUDIO_PREVIEW (preview)));
  g_assert_false (gtk_widget_get_visible (tl_evaluate_page_get_audio_explanation (evaluate)));
  g_assert_true (tl_evaluate_page_select_sample (evaluate, 0));
  {
    const char *path = tl_audio_preview_get_path (TL_AUDIO_PREVIEW (preview));
    g_autofree char *parent = NULL;
    g_autofree char *folder = NULL;

    /* the recording behind the first listed row: in the target folder, of the cell's true class */
    g_assert_nonnull (path);
    g_assert_true (g_str_has_prefix (path, target_dir));
    parent = g_path_get_dirname (path);
    folder = g_path_get_basename (parent);
    g_assert_cmpstr (folder, ==, m->class_names[cell_t]);
    assert_previewed (preview, path);
  }
  assert_explained (tl_evaluate_page_get_audio_explanation (evaluate), cell_p);
  ui_screenshot (GTK_WIDGET (window), "audio-evaluate.png");
  /* the matrix beside the cell's recordings, the selected one previewed and explained */
  ui_screenshot (gtk_widget_get_parent (gtk_widget_get_parent (tl_evaluate_page_get_audio_explanation (evaluate))),
                 "audio-explanation.png");
  g_assert_false (tl_evaluate_page_select_sample (evaluate, tl_evaluate_page_get_n_samples_shown (evaluate)));
}

static gboolean
stream_settled (gpointer data)
{
  GtkMediaStream *stream = data;
  return gtk_media_stream_get_error (stream) != NULL
         || (gtk_media_stream_is_prepared (stream) && gtk_media_stream_get_timestamp (stream) > 0)
         || gtk_media_stream_get_ended (stream);
}

/* The listed recording plays and stops, where GStreamer finds an audio output. */
static void
test_playback (void)
{
  TlEvaluatePage *evaluate = TL_EVALUATE_PAGE (tl_window_get_page (window, "evaluate"));
  TlAudioPreview *preview = TL_AUDIO_PREVIEW (tl_evaluate_page_get_audio_preview (evaluate));
  GtkMediaStream *stream;
  const GError *error;

  if (tl_audio_preview_get_path (preview) == NULL)
    {
      g_test_skip ("no recording listed (the run above failed)");
      return;
    }
  tl_audio_preview_toggle_play (preview);
  stream = tl_audio_preview_get_stream (preview);
  g_assert_nonnull (stream);
  g_assert_true (ui_wait_for (stream_settled, stream, 20));
  if ((error = gtk_media_stream_get_error (stream)) != NULL)
    {
      g_autofree char *why = g_strdup_printf ("no audio playback here: %s", error->message);
      g_test_skip (why);
      return;
    }
  g_test_message ("playing %s: %.2f s long, at %.2f s", tl_audio_preview_get_path (preview),
                  gtk_media_stream_get_duration (stream) / 1e6, gtk_media_stream_get_timestamp (stream) / 1e6);
  g_assert_true (gtk_media_stream_is_prepared (stream));
  g_assert_cmpint (gtk_media_stream_get_duration (stream), >, 400000);
  if (gtk_media_stream_get_playing (stream))
    {
      tl_audio_preview_toggle_play (preview);   /* stop */
      g_assert_false (gtk_media_stream_get_playing (stream));
    }
  tl_audio_preview_toggle_play (preview);      /* again, from the start */
  g_assert_true (gtk_media_stream_get_playing (stream));
  tl_audio_preview_toggle_play (preview);
  g_assert_false (gtk_media_stream_get_playing (stream));
}

/* A closed experiment opened again lists the same recordings behind a cell and previews them. */
static void
test_reopened (void)
{
  g_autoptr (GFile) file = g_file_new_for_path (experiment_path);
  TlWindow *win;
  TlDocument *doc;
  TlEvaluatePage *evaluate;
  TlConfusionView *view;
  GtkWidget *preview;
  const TlMetrics *m;
  int cell_t = -1, cell_p = -1;

  if (tl_document_get_metrics (tl_window_get_document (window)) == NULL)
    {
      g_test_skip ("no run to reopen (the run above failed)");
      return;
    }
  win = tl_window_new (app);
  doc = tl_window_get_document (win);
  evaluate = TL_EVALUATE_PAGE (tl_window_get_page (win, "evaluate"));
  view = TL_CONFUSION_VIEW (tl_evaluate_page_get_confusion_view (evaluate));
  preview = tl_evaluate_page_get_audio_preview (evaluate);
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  tl_window_open_file (win, file);
  g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (win, "data"), 60));
  g_assert_null (tl_window_get_error (win));
  m = tl_document_get_metrics (doc);
  g_assert_nonnull (m);
  tl_window_show_step (win, "evaluate");
  g_assert_true (ui_wait_for (ui_predictions_ready, doc, 30));
  for (int t = m->n_classes - 1; t >= 0 && cell_t < 0; t--)
    for (int p = 0; p < m->n_classes && cell_t < 0; p++)
      if (tl_confusion_view_get_count (view, t, p) > 0)
        cell_t = t, cell_p = p;
  g_assert_cmpint (cell_t, >=, 0);
  tl_confusion_view_select (view, cell_t, cell_p);
  g_assert_cmpuint (tl_evaluate_page_get_n_samples_shown (evaluate), >, 0);
  g_assert_true (tl_evaluate_page_select_sample (evaluate, tl_evaluate_page_get_n_samples_shown (evaluate) - 1));
  g_assert_true (g_str_has_prefix (tl_audio_preview_get_path (TL_AUDIO_PREVIEW (preview)), target_dir));
  assert_previewed (preview, tl_audio_preview_get_path (TL_AUDIO_PREVIEW (preview)));
  assert_explained (tl_evaluate_page_get_audio_explanation (evaluate), cell_p);
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
  source_dir = make_folder ("voices-a", 16, 0.0);
  target_dir = make_folder ("voices-b", 12, 60.0);
  experiment_path = g_build_filename (tmp_dir, "voices.json", NULL);
  app = tl_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = tl_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 860);
  gtk_window_present (GTK_WINDOW (window));
  ui_spin (300);

  g_test_add_func ("/ui-audio/wizard-audio-csv", test_wizard_audio_csv);
  g_test_add_func ("/ui-audio/wizard-and-run", test_wizard_and_run);
  g_test_add_func ("/ui-audio/playback", test_playback);
  g_test_add_func ("/ui-audio/reopened", test_reopened);
  status = g_test_run ();

  tl_document_set_modified (tl_window_get_document (window), FALSE);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  g_free (source_dir);
  g_free (target_dir);
  g_free (experiment_path);
  return status;
}
