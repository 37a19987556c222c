#pragma once

#include <cairo.h>
#include <glib.h>

#include "tl-chart.h"
#include "tl-metrics.h"
#include "tl-trainer.h"

G_BEGIN_DECLS

/* Every export is written atomically: the previous file stays whole until the new one is complete. */

typedef enum {
  TL_CHART_FORMAT_PNG,
  TL_CHART_FORMAT_SVG,
  TL_CHART_FORMAT_PDF,
} TlChartFormat;

/* From the extension: .png, .svg or .pdf (any case). */
gboolean tl_chart_format_from_path (const char *path, TlChartFormat *format, GError **error);

typedef void (*TlChartDrawFunc) (cairo_t *cr, double width, double height, gpointer user_data);

/* PNG sizes are pixels, SVG and PDF sizes points. */
gboolean tl_export_chart           (const char *path, TlChartFormat format, double width, double height,
                                    TlChartDrawFunc draw, gpointer user_data, GError **error);
/* The format follows the extension of path. */
gboolean tl_export_line_chart      (const char *path, TlLineChart *chart, double width, double height,
                                    GError **error);
gboolean tl_export_confusion_chart (const char *path, const TlConfusionChart *chart, double width,
                                    double height, GError **error);
gboolean tl_export_bar_chart       (const char *path, const TlBarChart *chart, double width,
                                    double height, GError **error);

/* epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds
 * (an empty field where there was no validation). */
gboolean tl_export_history_csv     (const char *path, const TlHistory *history, GError **error);
/* With an `epsilon` column (the privacy spent after each epoch) for private runs. */
gboolean tl_export_history_csv_full (const char *path, const TlHistory *history, gboolean epsilon,
                                     GError **error);
/* tl_metrics_to_json, pretty-printed. */
gboolean tl_export_metrics_json    (const char *path, const TlMetrics *metrics, GError **error);
/* First row: "true \ predicted" then the class names; then one row per true
 * class: its name and the counts per predicted class. */
gboolean tl_export_confusion_csv   (const char *path, const TlMetrics *metrics, GError **error);
/* row,true_label,predicted_label,prob_<class>...: one line per sample; y_true
 * may be NULL (empty true_label). */
gboolean tl_export_predictions_csv (const char *path, const int *y_true, const float *probs, int n,
                                    int n_classes, const char *const *class_names, GError **error);
/* The same with a last column, source: where each sample came from (a file's
 * path, a CSV line), sources[i] for row i. */
gboolean tl_export_predictions_csv_sourced (const char *path, const int *y_true, const float *probs, int n,
                                            int n_classes, const char *const *class_names,
                                            const char *const *sources, GError **error);

G_END_DECLS
