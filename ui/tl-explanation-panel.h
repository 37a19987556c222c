#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TL_TYPE_EXPLANATION_PANEL (tl_explanation_panel_get_type ())
G_DECLARE_DERIVABLE_TYPE (TlExplanationPanel, tl_explanation_panel, TL, EXPLANATION_PANEL, GtkBox)

/* What one sample's prediction depends on, computed in a worker thread: the
 * part every kind of explanation shares. A vertical box whose last child is a
 * status line; the explanation's own widgets go above it (_add). Choosing
 * another sample cancels the running explanation and drops its result. */
struct _TlExplanationPanelClass
{
  GtkBoxClass parent_class;

  /* In the worker thread: the explanation of job, or NULL with error set. */
  gpointer (*explain)     (gpointer job, GError **error);
  void     (*free_result) (gpointer result);
  /* On the main thread, once the current sample's explanation is in. */
  void     (*explained)   (TlExplanationPanel *self, gpointer result);
};

/* Adds child below the others, above the status line. */
void        tl_explanation_panel_add        (TlExplanationPanel *self, GtkWidget *child);
/* The status line; NULL text hides it, error styles it as one. */
void        tl_explanation_panel_set_status (TlExplanationPanel *self, const char *text, gboolean error);
/* Cancels the running explanation, drops the result and the error. */
void        tl_explanation_panel_reset      (TlExplanationPanel *self);
/* No explanation can be made: message shown as an error, and kept (get_error). */
void        tl_explanation_panel_fail       (TlExplanationPanel *self, const char *message);
/* Runs the class's explain on job (freed with job_free) in a worker thread, status shown meanwhile.
 * A failure is shown as with _fail; a result is kept and handed to the class's explained. */
void        tl_explanation_panel_start      (TlExplanationPanel *self, gpointer job, GDestroyNotify job_free,
                                             const char *status);
/* The current sample's explanation, NULL before it is in. */
gpointer    tl_explanation_panel_get_result (TlExplanationPanel *self);
/* The explanation is computed, or failed (the message shown). */
gboolean    tl_explanation_panel_is_ready   (TlExplanationPanel *self);
const char *tl_explanation_panel_get_error  (TlExplanationPanel *self);

G_END_DECLS
