#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TL_TYPE_CONFUSION_VIEW (tl_confusion_view_get_type ())
G_DECLARE_FINAL_TYPE (TlConfusionView, tl_confusion_view, TL, CONFUSION_VIEW, GtkWidget)

/* A confusion-matrix heat map drawn by the core's chart code. A click (or
 * Enter on the focused cell) selects a cell and emits "cell-activated" with
 * the true and predicted class. */
GtkWidget *tl_confusion_view_new            (void);
/* Copies the counts [n * n] (row = true class) and names (may be NULL). */
void       tl_confusion_view_set_matrix     (TlConfusionView *self, int n, const int *counts,
                                             const char *const *names);
void       tl_confusion_view_set_normalised (TlConfusionView *self, gboolean normalised);
gboolean   tl_confusion_view_get_normalised (TlConfusionView *self);
int        tl_confusion_view_get_n_classes  (TlConfusionView *self);
int        tl_confusion_view_get_count      (TlConfusionView *self, int true_class, int predicted);
/* The cell under a point in widget coordinates, as a click would find it. */
gboolean   tl_confusion_view_cell_at        (TlConfusionView *self, double x, double y, int *row, int *col);
gboolean   tl_confusion_view_cell_center    (TlConfusionView *self, int row, int col, double *x, double *y);
/* Selects a cell and emits "cell-activated"; -1, -1 clears the selection. */
void       tl_confusion_view_select         (TlConfusionView *self, int row, int col);

G_END_DECLS
