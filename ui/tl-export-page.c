#define G_LOG_DOMAIN "tl-export-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-error.h"
#include "tl-export.h"
#include "tl-export-page.h"
#include "tl-model-file.h"
#include "tl-onnx.h"
#include "tl-ui-util.h"

typedef struct {
  const char *title;
  const char *subtitle;
  const char *file_name;
} ExportInfo;

struct _TlExportPage
{
  GtkWidget            parent_instance;

  TlDocument          *document;
  GtkWidget           *rows[TL_N_EXPORT_KINDS];
  GtkWidget           *buttons[TL_N_EXPORT_KINDS];

  GtkLabel            *folder_label;
  AdwPreferencesGroup *model_group;
  AdwPreferencesGroup *results_group;
  AdwPreferencesGroup *charts_group;
};

G_DEFINE_FINAL_TYPE (TlExportPage, tl_export_page, GTK_TYPE_WIDGET)

static const ExportInfo *
export_info (TlExportKind kind)
{
  static ExportInfo infos[TL_N_EXPORT_KINDS];

  if (infos[0].title == NULL)
    {
      infos[TL_EXPORT_KIND_MODEL] = (ExportInfo) { _("Fine-Tuned Model"), _("safetensors, with labels and provenance"), "model.safetensors" };
      infos[TL_EXPORT_KIND_ONNX] = (ExportInfo) { _("ONNX Model"), _("For inference in other tools"), "model.onnx" };
      infos[TL_EXPORT_KIND_METRICS] = (ExportInfo) { _("Metrics"), _("Accuracy, per-class precision, recall and F1 as JSON"), "metrics.json" };
      infos[TL_EXPORT_KIND_HISTORY] = (ExportInfo) { _("Training History"), _("Loss and accuracy per epoch as CSV"), "history.csv" };
      infos[TL_EXPORT_KIND_CONFUSION_CSV] = (ExportInfo) { _("Confusion Matrix Table"), _("Counts as CSV"), "confusion.csv" };
      infos[TL_EXPORT_KIND_CONFUSION_PLOT] = (ExportInfo) { _("Confusion Matrix Chart"), _("PNG, SVG or PDF"), "confusion.png" };
      infos[TL_EXPORT_KIND_CURVES] = (ExportInfo) { _("Training Curves"), _("Loss and accuracy of every run, PNG, SVG or PDF"), "curves.png" };
    }
  return &infos[kind];
}

static void
draw_curves (cairo_t *cr, double width, double height, gpointer data)
{
  TlDocument *doc = data;
  TlPipelineResult *result = tl_document_get_result (doc);
  TlChartStyle style = { FALSE, FALSE };

  for (int q = 0; q < 2; q++)
    {
      g_autoptr (TlLineChart) chart = tl_line_chart_new ();

      tl_line_chart_set_style (chart, &style);
      /* every run that trained, in the colours the window gives them */
      for (guint i = 0; i < result->runs->len; i++)
        {
          TlRunResult *run = g_ptr_array_index (result->runs, i);

          if (run->history != NULL && run->history->epochs->len > 0)
            tl_line_chart_add_history (chart, run->history, q == 0 ? TL_CHART_LOSS : TL_CHART_ACCURACY,
                                       tl_run_title (run->name), tl_run_color (run->name));
        }
      cairo_save (cr);
      cairo_translate (cr, q * width / 2, 0);
      tl_line_chart_draw (chart, cr, width / 2, height);
      cairo_restore (cr);
    }
}

/* The metadata the run wrote beside its model (preprocessing, labels, provenance):
 * without them no other command can read data for the exported model. */
static TlModelInfo *
run_model_info (TlRunResult *run, GError **error)
{
  TlModelInfo *info;

  if (run->model_path == NULL)
    {
      g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                           _("The run kept no model file to take the preprocessing from: run the experiment again."));
      return NULL;
    }
  info = tl_model_file_read_header (run->model_path, error);
  if (info == NULL)
    return NULL;
  g_strfreev (info->labels);
  info->labels = g_strdupv (run->labels);
  return info;
}

gboolean
tl_export_page_export (TlExportPage *self, TlExportKind kind, const char *path, GError **error)
{
  TlRunResult *run;

  g_return_val_if_fail (TL_IS_EXPORT_PAGE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  run = tl_document_get_main_run (self->document);
  if (run == NULL)
    {
      g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("There is nothing to export yet: run the experiment first."));
      return FALSE;
    }
  switch (kind)
    {
    case TL_EXPORT_KIND_MODEL:
      {
        g_autoptr (TlModelInfo) info = run_model_info (run, error);
        return info != NULL && tl_model_file_save (path, run->model, info, error);
      }
    case TL_EXPORT_KIND_ONNX:
      {
        g_autoptr (TlModelInfo) info = run_model_info (run, error);
        return info != NULL
               && tl_onnx_export (run->model, (const char *const *) run->labels, info->preprocessing, path, error);
      }
    case TL_EXPORT_KIND_METRICS:
      return tl_export_metrics_json (path, run->metrics, error);
    case TL_EXPORT_KIND_HISTORY:
      return tl_export_history_csv (path, run->history, error);
    case TL_EXPORT_KIND_CONFUSION_CSV:
      return tl_export_confusion_csv (path, run->metrics, error);
    case TL_EXPORT_KIND_CONFUSION_PLOT:
      {
        TlConfusionChart chart = { 0 };
        chart.n_classes = run->metrics->n_classes;
        chart.class_names = (const char *const *) run->metrics->class_names;
        chart.counts = run->metrics->confusion;
        chart.title = _("Confusion matrix");
        return tl_export_confusion_chart (path, &chart, 720, 640, error);
      }
    case TL_EXPORT_KIND_CURVES:
      {
        TlChartFormat format;
        if (!tl_chart_format_from_path (path, &format, error))
          return FALSE;
        return tl_export_chart (path, format, 1400, 560, draw_curves, self->document, error);
      }
    default:
      g_return_val_if_reached (FALSE);
    }
}

static void
save_response (GtkNativeDialog *dialog, int response, TlExportPage *self)
{
  TlExportKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "kind"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;

      if (path != NULL && tl_export_page_export (self, kind, path, &error))
        {
          g_autofree char *base = g_path_get_basename (path);
          g_autofree char *toast = g_strdup_printf (_("Saved %s"), base);
          gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", toast);
        }
      else if (error != NULL)
        gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", error->message);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_export_clicked (GtkButton *button, TlExportPage *self)
{
  TlExportKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "kind"));
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (export_info (kind)->title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), export_info (kind)->file_name);
  g_object_set_data (G_OBJECT (dialog), "kind", GINT_TO_POINTER (kind));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
add_row (TlExportPage *self, AdwPreferencesGroup *group, TlExportKind kind, const char *icon)
{
  const ExportInfo *info = export_info (kind);
  GtkWidget *row = adw_action_row_new ();
  /* Seven buttons cannot share one mnemonic: each names what it exports instead. */
  GtkWidget *button = gtk_button_new_with_label (_("Export…"));
  g_autofree char *what = g_strdup_printf (_("Export the %s…"), info->title);

  gtk_widget_set_tooltip_text (button, what);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, what, -1);
  g_object_set_data_full (G_OBJECT (button), "icon-name", g_strdup (icon), g_free);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), info->title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), info->subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name (icon));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_object_set_data (G_OBJECT (button), "kind", GINT_TO_POINTER (kind));
  g_signal_connect (button, "clicked", G_CALLBACK (on_export_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), button);
  adw_preferences_group_add (group, row);
  self->rows[kind] = row;
  self->buttons[kind] = button;
}

GtkWidget *
tl_export_page_get_button (TlExportPage *self, TlExportKind kind)
{
  g_return_val_if_fail (TL_IS_EXPORT_PAGE (self), NULL);
  g_return_val_if_fail (kind < TL_N_EXPORT_KINDS, NULL);
  return self->buttons[kind];
}

const char *
tl_export_page_get_icon_name (TlExportPage *self, TlExportKind kind)
{
  g_return_val_if_fail (TL_IS_EXPORT_PAGE (self), NULL);
  g_return_val_if_fail (kind < TL_N_EXPORT_KINDS, NULL);
  return g_object_get_data (G_OBJECT (self->buttons[kind]), "icon-name");
}

static void
update (TlExportPage *self)
{
  TlRunResult *run = tl_document_get_main_run (self->document);
  TlPipelineResult *result = tl_document_get_result (self->document);
  gboolean has = run != NULL;

  for (int k = 0; k < TL_N_EXPORT_KINDS; k++)
    gtk_widget_set_sensitive (self->rows[k], has);
  if (has && result->output_folder != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Every export of the last run was also written to %s"),
                                               result->output_folder);
      gtk_label_set_text (self->folder_label, text);
    }
  else
    gtk_label_set_text (self->folder_label, _("Run the experiment to export its model and results."));
}

static void
on_document_changed (TlExportPage *self, const char *what)
{
  if (g_strcmp0 (what, "results") == 0)
    update (self);
}

void
tl_export_page_set_document (TlExportPage *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_EXPORT_PAGE (self));

  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  update (self);
}

static void
tl_export_page_dispose (GObject *object)
{
  TlExportPage *self = TL_EXPORT_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_EXPORT_PAGE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->document);
  G_OBJECT_CLASS (tl_export_page_parent_class)->dispose (object);
}

static void
tl_export_page_class_init (TlExportPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_export_page_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-export-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TlExportPage, folder_label);
  gtk_widget_class_bind_template_child (widget_class, TlExportPage, model_group);
  gtk_widget_class_bind_template_child (widget_class, TlExportPage, results_group);
  gtk_widget_class_bind_template_child (widget_class, TlExportPage, charts_group);
}

static void
tl_export_page_init (TlExportPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  add_row (self, self->model_group, TL_EXPORT_KIND_MODEL, "document-save-symbolic");
  add_row (self, self->model_group, TL_EXPORT_KIND_ONNX, "document-send-symbolic");
  add_row (self, self->results_group, TL_EXPORT_KIND_METRICS, "text-x-generic-symbolic");
  add_row (self, self->results_group, TL_EXPORT_KIND_HISTORY, "x-office-spreadsheet-symbolic");
  add_row (self, self->results_group, TL_EXPORT_KIND_CONFUSION_CSV, "x-office-spreadsheet-symbolic");
  add_row (self, self->charts_group, TL_EXPORT_KIND_CONFUSION_PLOT, "view-grid-symbolic");
  add_row (self, self->charts_group, TL_EXPORT_KIND_CURVES, "x-office-presentation-symbolic");
}
