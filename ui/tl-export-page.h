#pragma once

#include <gtk/gtk.h>

#include "tl-document.h"

G_BEGIN_DECLS

typedef enum {
  TL_EXPORT_KIND_MODEL,          /* .safetensors */
  TL_EXPORT_KIND_ONNX,           /* .onnx */
  TL_EXPORT_KIND_METRICS,        /* .json */
  TL_EXPORT_KIND_HISTORY,        /* .csv */
  TL_EXPORT_KIND_CONFUSION_CSV,  /* .csv */
  TL_EXPORT_KIND_CONFUSION_PLOT, /* .png, .svg, .pdf */
  TL_EXPORT_KIND_CURVES,         /* .png, .svg, .pdf */
  TL_N_EXPORT_KINDS
} TlExportKind;

#define TL_TYPE_EXPORT_PAGE (tl_export_page_get_type ())
G_DECLARE_FINAL_TYPE (TlExportPage, tl_export_page, TL, EXPORT_PAGE, GtkWidget)

void     tl_export_page_set_document (TlExportPage *self, TlDocument *document);
/* Writes one export of the last run to path (atomically, by the core). */
gboolean tl_export_page_export       (TlExportPage *self, TlExportKind kind, const char *path, GError **error);
/* The row's Export button, and the name of the icon its row shows. */
GtkWidget  *tl_export_page_get_button    (TlExportPage *self, TlExportKind kind);
const char *tl_export_page_get_icon_name (TlExportPage *self, TlExportKind kind);

G_END_DECLS
