#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

#define TL_TYPE_EVALUATE_PAGE (tl_evaluate_page_get_type ())
G_DECLARE_FINAL_TYPE (TlEvaluatePage, tl_evaluate_page, TL, EVALUATE_PAGE, GtkWidget)

void       tl_evaluate_page_set_document        (TlEvaluatePage *self, TlDocument *document);
GtkWidget *tl_evaluate_page_get_confusion_view  (TlEvaluatePage *self);
/* Rows in the list of samples behind the selected cell. */
guint      tl_evaluate_page_get_n_samples_shown (TlEvaluatePage *self);
/* Selects the index-th listed sample, as a click does (audio data only: its recording is
 * previewed and can be played); FALSE when there is no such row or nothing can be selected. */
gboolean   tl_evaluate_page_select_sample       (TlEvaluatePage *self, guint index);
GtkWidget *tl_evaluate_page_get_audio_preview   (TlEvaluatePage *self);
/* What the shown run's prediction of the selected recording depends on (TlAudioExplanation). */
GtkWidget *tl_evaluate_page_get_audio_explanation (TlEvaluatePage *self);
/* The same for a selected image or text (TlSampleExplanation). */
GtkWidget *tl_evaluate_page_get_sample_explanation (TlEvaluatePage *self);
/* Rows of the metrics table: one per class and the two averages. */
guint      tl_evaluate_page_get_n_metric_rows   (TlEvaluatePage *self);
/* The runs evaluated on the target's test data, each a bar of the accuracy chart and an entry
 * of the run picker; the picked one's confusion matrix and table are shown. */
guint      tl_evaluate_page_get_n_runs          (TlEvaluatePage *self);
gboolean   tl_evaluate_page_select_run          (TlEvaluatePage *self, const char *name);
const char *tl_evaluate_page_get_run            (TlEvaluatePage *self);
const char *tl_evaluate_page_get_accuracy_text  (TlEvaluatePage *self);
/* The domain map before and after fine-tuning (a TlDomainMapCard). */
GtkWidget *tl_evaluate_page_get_domain_map_card (TlEvaluatePage *self);

G_END_DECLS
