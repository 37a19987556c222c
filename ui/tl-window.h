#pragma once

#include <adwaita.h>

#include "tl-application.h"
#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_WINDOW (tl_window_get_type ())
G_DECLARE_FINAL_TYPE (TlWindow, tl_window, TL, WINDOW, AdwApplicationWindow)

TlWindow   *tl_window_new            (TlApplication *app);
TlDocument *tl_window_get_document   (TlWindow *self);
/* Loads an experiment file and its data; errors are shown in the window. */
void        tl_window_open_file      (TlWindow *self, GFile *file);
/* Shows an experiment already read (takes it) and imports its data; path may be NULL. */
void        tl_window_open_experiment (TlWindow *self, TlExperiment *exp, const char *path);
/* Whether the window shows a new experiment nobody has touched (an open can reuse it). */
gboolean    tl_window_is_pristine    (TlWindow *self);
void        tl_window_show_step      (TlWindow *self, const char *name);
void        tl_window_show_error     (TlWindow *self, const char *message);
void        tl_window_show_toast     (TlWindow *self, const char *message);
/* Dismisses the last toast shown, if it is still there. */
void        tl_window_dismiss_toast  (TlWindow *self);
gboolean    tl_window_is_training    (TlWindow *self);

/* For tests: the widgets behind each step. */
GtkWidget  *tl_window_get_page       (TlWindow *self, const char *name);
const char *tl_window_get_error      (TlWindow *self);
/* The problems that keep the experiment from running, on one page ("data", ...; NULL: all),
 * with the first one's message and field. */
guint       tl_window_get_problems   (TlWindow *self, const char *page, const char **first_message,
                                      const char **first_field);
/* The problems shown above the visible page, or NULL. */
const char *tl_window_get_problems_text (TlWindow *self);

G_END_DECLS
