#pragma once

#include <gtk/gtk.h>

#include "tl-model.h"

G_BEGIN_DECLS

/* Shared by the UI test programs. */

/* Sets up the environment, gettext and GTK (animations and cursor blinking off,
 * so screenshots show pages at rest). FALSE when there is no display: the
 * caller then skips. tmp_dir receives a fresh temporary folder (XDG_CACHE_HOME). */
gboolean ui_check_init     (int *argc, char ***argv, char **tmp_dir);
/* Runs the main loop for ms milliseconds. */
void     ui_spin           (guint ms);
/* Iterates the main loop until done() or the timeout; FALSE on timeout. */
gboolean ui_wait_for       (gboolean (*done) (gpointer), gpointer data, guint seconds);
/* Renders a widget into TL_BUILD_DIR/screenshots/name. */
void     ui_screenshot     (GtkWidget *widget, const char *name);

gboolean ui_training_done  (gpointer train_page);
gboolean ui_data_loaded    (gpointer data_page);
gboolean ui_predictions_ready (gpointer document);
gboolean ui_wizard_idle    (gpointer wizard);
/* Whether the gboolean at flag is set. */
gboolean ui_flag_set       (gpointer flag);
gboolean ui_widget_shown   (gpointer widget);
/* Selects the first sample listed for the evaluate page's cell, waits for its explanation and
 * checks it explains the class `predicted`: highlighted words for text, a heat map otherwise;
 * then screenshots it into `screenshot`. */
void     ui_assert_sample_explained (gpointer evaluate_page, int predicted, gboolean text, const char *screenshot);

/* For ui_batches_reached: a train page and the batches to wait for (or the run's end). */
typedef struct {
  gpointer page;
  guint64  batches;
} UiBatchGoal;
gboolean ui_batches_reached (gpointer goal);

/* Writes a CSV of short reviews, "review,label", rows alternating negative and positive; one
 * word in `one_in` is a sentiment word of the row's class, the others are neutral. */
void     ui_write_reviews  (const char *path, int rows, int one_in, guint32 seed);
/* A TlImportWizard "finished" handler: sets the gboolean at data to ok. */
void     ui_on_import_finished (GObject *wizard, gboolean ok, gpointer data);
/* Appends a layer of a graph model that reads the layers `inputs` (n of them; none: the one
 * before), failing the test if it does not fit. */
void     ui_model_add      (TlModel *model, TlLayerSpec spec, const char *name, int n, const int *inputs);

G_END_DECLS
