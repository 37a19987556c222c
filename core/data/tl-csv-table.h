#pragma once

#include "tl-import.h"
#include "tl-import-progress.h"
#include "tl-string-ids.h"

G_BEGIN_DECLS

/* A CSV file read into columns of raw values, before any fitting. */
typedef struct {
  char         *path;
  char        **names;
  int           n_cols;
  TlColumnType *types;
  int           label_col;        /* -1 when the file has no label column (new data) */
  int           text_col;         /* -1 for tabular data */
  GArray       *feature_cols;     /* int: tabular input columns, in feature order */
  char          delimiter;
  gboolean      has_header;

  int           n_rows;           /* accepted rows */
  int           n_main;           /* rows from the first file; later ones come from the test file */
  GArray       *lines;            /* int per row */
  GArray       *labels;           /* int per row: index into label_names, -1 if none */
  GPtrArray    *label_names;
  GHashTable   *label_ids;        /* name -> index + 1 */
  GPtrArray    *snippets;         /* char * per row */

  /* tabular: n_rows x feature_cols->len; a number (NaN: missing) or a category index (-1: missing) */
  GArray       *values;
  GPtrArray    *categories;       /* per feature column: GPtrArray of names */
  GPtrArray    *category_ids;     /* per feature column: GHashTable name -> index + 1 */
  gboolean     *had_missing;      /* per feature column */

  /* text */
  GArray       *token_start;      /* gsize per row, and one past the last */
  GArray       *tokens;           /* guint word id */
  GPtrArray    *words;
  TlStringIds  *word_ids;         /* word -> id + 1; owns the texts `words` points to */

  int           rows_read;
  int           rows_rejected;
  int           values_imputed;
  GArray       *rejected;         /* TlRejectedRow */
} TlCsvTable;


/* Reads `path` (layout inferred), or with `preprocess` set, lays the columns
 * out by the names the preprocessing knows. */
TlCsvTable *tl_csv_table_read   (const char *path, const TlImportSettings *settings,
                                 const TlPreprocess *preprocess, GError **error);
TlCsvTable *tl_csv_table_read_with_progress (const char *path, const TlImportSettings *settings,
                                             const TlPreprocess *preprocess, TlImportProgress *progress,
                                             GError **error);
/* Appends the rows of a second file with the same columns (a test file). */
gboolean    tl_csv_table_append (TlCsvTable *table, const char *path,
                                 const TlImportSettings *settings, GError **error);
gboolean    tl_csv_table_append_with_progress (TlCsvTable *table, const char *path,
                                               const TlImportSettings *settings, TlImportProgress *progress,
                                               GError **error);
void        tl_csv_table_free   (TlCsvTable *table);
/* Sorts the label names (numerically when they all are numbers) and relabels. */
void        tl_csv_table_sort_labels (TlCsvTable *table);


G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlCsvTable, tl_csv_table_free)

G_END_DECLS
