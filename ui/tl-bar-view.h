#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TL_TYPE_BAR_VIEW (tl_bar_view_get_type ())
G_DECLARE_FINAL_TYPE (TlBarView, tl_bar_view, TL, BAR_VIEW, GtkWidget)

/* Samples per class as horizontal bars, drawn by the core's bar chart;
 * unselected classes are grey. */
GtkWidget *tl_bar_view_new          (void);
/* Copies names and counts; selected may be NULL (all selected). */
void       tl_bar_view_set_counts   (TlBarView *self, int n, const char *const *names, const int *counts,
                                     const gboolean *selected);
/* Shares in [0, 1] (accuracies) drawn as percentages, under value_label. */
void       tl_bar_view_set_shares   (TlBarView *self, int n, const char *const *names, const double *shares,
                                     const char *value_label);
void       tl_bar_view_set_selected (TlBarView *self, int index, gboolean selected);
int        tl_bar_view_get_n_bars   (TlBarView *self);

G_END_DECLS
