#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Classification metrics of one evaluation. Per-class arrays have n_classes
 * entries; a precision, recall or F1 with a zero denominator is 0. */
typedef struct {
  int     n_classes;
  int     n_samples;
  char  **class_names;     /* NULL-terminated, n_classes entries */
  double  accuracy;
  double  log_loss;        /* mean negative log probability of the true class; NaN without probabilities */
  double *precision;
  double *recall;
  double *f1;
  int    *support;         /* true samples per class */
  double  macro_precision, macro_recall, macro_f1;             /* unweighted mean over classes */
  double  weighted_precision, weighted_recall, weighted_f1;    /* mean weighted by support */
  int    *confusion;       /* [n_classes * n_classes], row = true class, column = predicted */
} TlMetrics;

/* probs holds n rows of n_classes probabilities; the prediction is the arg-max
 * (the lowest index on ties). class_names may be NULL: "0", "1", ... */
TlMetrics *tl_metrics_compute       (const int *y_true, const float *probs, int n, int n_classes,
                                     const char *const *class_names, GError **error);
/* The same from hard predictions: log_loss is NaN. */
TlMetrics *tl_metrics_from_labels   (const int *y_true, const int *y_pred, int n, int n_classes,
                                     const char *const *class_names, GError **error);
void       tl_metrics_free          (TlMetrics *metrics);

int        tl_metrics_argmax        (const float *row, int n);
int        tl_metrics_confusion_at  (const TlMetrics *metrics, int true_class, int predicted_class);
/* Fraction of row true_class in column predicted_class (0 for an empty row). */
double     tl_metrics_confusion_normalised (const TlMetrics *metrics, int true_class, int predicted_class);

/* {"n_samples", "accuracy", "log_loss" (null when NaN), "classes": [{"name", "precision",
 * "recall", "f1", "support"}...], "macro_avg": {...}, "weighted_avg": {...},
 * "confusion_matrix": {"labels": [...], "rows": "true", "columns": "predicted", "counts": [[...]]}} */
JsonNode  *tl_metrics_to_json       (const TlMetrics *metrics);
TlMetrics *tl_metrics_from_json     (JsonNode *node, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlMetrics, tl_metrics_free)

G_END_DECLS
