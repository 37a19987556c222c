#define G_LOG_DOMAIN "tl-import"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-idx.h"
#include "tl-image-folder.h"
#include "tl-csv-table.h"
#include "tl-import-progress.h"
#include "tl-parallel.h"

/* Selection and split, shared by every format: rows [0, n_main) are the main
 * file's, the others a test file's. On success `kept` lists the rows kept,
 * y and the class names are relabelled, and the split holds positions in kept. */
typedef struct {
  int   *y;
  int    n;
  int    n_main;
  int    n_classes;
  char **class_names;
  int   *kept;
  int    n_kept;
  TlSplit *split;
} Selection;

static void
selection_clear (Selection *sel)
{
  g_free (sel->y);
  g_strfreev (sel->class_names);
  g_free (sel->kept);
  tl_split_free (sel->split);
}

static gboolean
select_and_split (Selection *sel, const TlImportSettings *s, GError **error)
{
  g_autofree int *main_rows = NULL;
  g_autofree int *chosen = NULL;
  g_autofree int *positions = NULL;
  g_autofree int *ykept = NULL;
  int n_main_rows = 0, n_chosen, n_kept_main;

  if (s->classes != NULL)
    {
      g_autofree int *map = g_new (int, MAX (sel->n_classes, 1));

      if (!tl_class_map_for_names ((const char *const *) sel->class_names, sel->n_classes,
                                   (const char *const *) s->classes, map, error))
        return FALSE;
      for (int i = 0; i < sel->n; i++)
        if (sel->y[i] >= 0)
          sel->y[i] = map[sel->y[i]];
      g_strfreev (sel->class_names);
      sel->class_names = g_strdupv (s->classes);
      sel->n_classes = g_strv_length (s->classes);
    }

  main_rows = g_new (int, MAX (sel->n, 1));
  for (int i = 0; i < sel->n_main; i++)
    if (sel->y[i] >= 0)
      main_rows[n_main_rows++] = i;
  if (n_main_rows == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("no rows are left to import"));
      return FALSE;
    }
  if (s->per_class > 0)
    {
      chosen = tl_sample_per_class (sel->y, main_rows, n_main_rows, sel->n_classes,
                                    (const char *const *) sel->class_names, s->per_class, s->seed,
                                    &n_chosen, error);
      if (chosen == NULL)
        return FALSE;
    }
  else
    {
      chosen = g_steal_pointer (&main_rows);
      n_chosen = n_main_rows;
    }

  sel->kept = g_new (int, MAX (sel->n, 1));
  memcpy (sel->kept, chosen, sizeof (int) * n_chosen);
  sel->n_kept = n_kept_main = n_chosen;
  for (int i = sel->n_main; i < sel->n; i++)
    if (sel->y[i] >= 0)
      sel->kept[sel->n_kept++] = i;

  ykept = g_new (int, MAX (sel->n_kept, 1));
  positions = g_new (int, MAX (sel->n_kept, 1));
  for (int k = 0; k < sel->n_kept; k++)
    {
      ykept[k] = sel->y[sel->kept[k]];
      positions[k] = k;
    }
  sel->split = tl_split_stratified (ykept, positions, n_kept_main, sel->n_classes,
                                    (const char *const *) sel->class_names, s->val_fraction,
                                    s->test_path != NULL ? 0.0 : s->test_fraction, s->seed, error);
  if (sel->split == NULL)
    return FALSE;
  if (s->test_path != NULL)
    {
      g_free (sel->split->test);
      sel->split->n_test = sel->n_kept - n_kept_main;
      sel->split->test = g_new (int, MAX (sel->split->n_test, 1));
      for (int k = 0; k < sel->split->n_test; k++)
        sel->split->test[k] = n_kept_main + k;
    }
  return TRUE;
}

static void
fill_report_classes (TlImportReport *r, const TlDataset *ds, const TlSplit *split)
{
  r->n_classes = ds->n_classes;
  r->class_names = g_strdupv (ds->class_names);
  r->class_counts = g_new0 (int, MAX (ds->n_classes, 1));
  tl_dataset_class_counts (ds, r->class_counts);
  r->imbalance = tl_imbalance_ratio (r->class_counts, ds->n_classes);
  r->n_rows = ds->n;
  r->n_train = split->n_train;
  r->n_val = split->n_val;
  r->n_test = split->n_test;
  r->sample_ndim = ds->sample_ndim;
  memcpy (r->sample_shape, ds->sample_shape, sizeof (int) * MIN (ds->sample_ndim, 3));
}


/* Tabular and text fitting, on the training rows only */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static TlPreprocess *
fit_tabular (const TlCsvTable *t, const int *train, int n_train, TlMissingPolicy missing)
{
  TlPreprocess *pre = tl_preprocess_new (TL_DATA_TABULAR);
  guint nf = t->feature_cols->len;

  for (guint j = 0; j < nf; j++)
    {
      int c = g_array_index (t->feature_cols, int, j);
      TlFeatureColumn *column = tl_preprocess_add_column (pre, t->names[c], t->types[c]);

      if (t->types[c] == TL_COLUMN_NUMERIC)
        {
          double sum = 0.0, sum2 = 0.0;
          int count = 0;

          for (int i = 0; i < n_train; i++)
            {
              double v = g_array_index (t->values, double, (gsize) train[i] * nf + j);

              if (isnan (v))
                continue;
              sum += v;
              count++;
            }
          column->mean = count > 0 ? sum / count : 0.0;
          for (int i = 0; i < n_train; i++)
            {
              double v = g_array_index (t->values, double, (gsize) train[i] * nf + j);

              if (!isnan (v))
                sum2 += (v - column->mean) * (v - column->mean);
            }
          column->std = count > 0 ? sqrt (sum2 / count) : 1.0;
          if (!(column->std > 1e-12))
            column->std = 1.0;
          column->missing_indicator = missing == TL_MISSING_IMPUTE && t->had_missing[j];
        }
      else
        {
          GPtrArray *names = g_ptr_array_index (t->categories, j);
          g_autofree gboolean *seen = g_new0 (gboolean, MAX (names->len, 1));
          GPtrArray *kept = g_ptr_array_new ();

          for (int i = 0; i < n_train; i++)
            {
              double v = g_array_index (t->values, double, (gsize) train[i] * nf + j);

              if (v >= 0)
                seen[(int) v] = TRUE;
            }
          for (guint k = 0; k < names->len; k++)
            if (seen[k])
              g_ptr_array_add (kept, g_strdup (g_ptr_array_index (names, k)));
          g_ptr_array_sort (kept, compare_strings);
          g_ptr_array_add (kept, NULL);
          g_strfreev (column->categories);
          column->categories = (char **) g_ptr_array_free (kept, FALSE);
        }
    }
  return pre;
}

/* For each feature column, table category index -> one-hot position (or -1). */
static int **
category_maps (const TlCsvTable *t, const TlPreprocess *pre)
{
  guint nf = t->feature_cols->len;
  int **maps = g_new0 (int *, nf + 1);

  for (guint j = 0; j < nf; j++)
    {
      GPtrArray *names = g_ptr_array_index (t->categories, j);
      const TlFeatureColumn *column = g_ptr_array_index (pre->columns, j);

      if (names == NULL || column->type != TL_COLUMN_CATEGORICAL)
        continue;
      maps[j] = g_new (int, MAX (names->len, 1));
      for (guint k = 0; k < names->len; k++)
        maps[j][k] = tl_preprocess_category_index (column, g_ptr_array_index (names, k));
    }
  return maps;
}

static void
free_maps (int **maps, guint n)
{
  for (guint j = 0; j < n; j++)
    g_free (maps[j]);
  g_free (maps);
}

static void
encode_tabular (const TlCsvTable *t, const TlPreprocess *pre, int *const *maps, int row, float *out)
{
  guint nf = t->feature_cols->len;
  int at = 0;

  for (guint j = 0; j < nf; j++)
    {
      const TlFeatureColumn *column = g_ptr_array_index (pre->columns, j);
      double v = g_array_index (t->values, double, (gsize) row * nf + j);
      int width = tl_feature_column_width (column);

      if (column->type == TL_COLUMN_NUMERIC)
        {
          if (t->types[g_array_index (t->feature_cols, int, j)] != TL_COLUMN_NUMERIC)
            v = NAN;
          tl_preprocess_encode_number (column, v, out + at);
        }
      else
        {
          memset (out + at, 0, sizeof (float) * width);
          if (v >= 0 && maps[j] != NULL && maps[j][(int) v] >= 0)
            out[at + maps[j][(int) v]] = 1.0f;
        }
      at += width;
    }
}

/* The words of row `row`, as pointers into the table's word list. */
static const char **
row_words (const TlCsvTable *t, int row, gsize *n)
{
  gsize start = g_array_index (t->token_start, gsize, row);
  gsize end = g_array_index (t->token_start, gsize, row + 1);
  const char **words = g_new (const char *, end - start + 1);

  for (gsize k = start; k < end; k++)
    words[k - start] = g_ptr_array_index (t->words, g_array_index (t->tokens, guint, k));
  words[end - start] = NULL;
  *n = end - start;
  return words;
}

/* Row `row`'s words through `ids`, a map over the table's distinct words. */
static guint32 *
row_word_ids (const TlCsvTable *t, int row, const guint32 *ids, gsize *n)
{
  gsize start = g_array_index (t->token_start, gsize, row);
  gsize end = g_array_index (t->token_start, gsize, row + 1);
  guint32 *words = g_new (guint32, end - start + 1);

  for (gsize k = start; k < end; k++)
    words[k - start] = ids[g_array_index (t->tokens, guint, k)];
  *n = end - start;
  return words;
}

/* The n-gram bag of a row; `map` takes the table's words to the features' (NULL when hashing). */
static int
encode_ngrams (const TlCsvTable *t, const TlNgramFeatures *f, const TlNgramWordMap *map, int row, float *out)
{
  gsize n;

  if (map != NULL)
    {
      gsize start = g_array_index (t->token_start, gsize, row);
      gsize end = g_array_index (t->token_start, gsize, row + 1);
      return tl_ngram_encode_words (f, map, &g_array_index (t->tokens, guint, start), end - start, out);
    }
  g_autofree const char **words = row_words (t, row, &n);
  return tl_ngram_encode_tokens (f, words, n, out);
}

static TlNgramWordMap *
ngram_word_map (const TlCsvTable *t, const TlNgramFeatures *f)
{
  if (f->settings.hash_size > 0)
    return NULL;
  return tl_ngram_features_map_words (f, (const char *const *) t->words->pdata, t->words->len);
}

/* N-gram features counted over the training rows and any unlabelled documents;
 * the slots per document shrink to the most distinct terms a training row has.
 * The table's words mapped to the features are handed back in *map, for the
 * encoding of every row that follows. */
static TlPreprocess *
fit_ngrams (const TlCsvTable *t, const int *train, int n_train, const TlImportSettings *s,
            TlNgramWordMap **map, GError **error)
{
  g_autoptr (TlPreprocess) pre = tl_preprocess_new (TL_DATA_TEXT);
  TlNgramSettings settings = s->ngrams;
  g_autoptr (TlNgramCounter) counter = NULL;
  g_autofree float *scratch = NULL;
  g_autoptr (TlNgramWordMap) ids = NULL;
  int most = 1;

  if (s->max_len > 0)
    settings.max_terms = MIN (settings.max_terms, s->max_len);
  if (!tl_ngram_settings_check (&settings, error))
    return NULL;
  counter = tl_ngram_counter_new (&settings);
  if (settings.hash_size == 0)
    {
      g_autofree guint32 *counted = tl_ngram_counter_map_words (counter, (const char *const *) t->words->pdata,
                                                                t->words->len);
      for (int i = 0; i < n_train; i++)
        {
          gsize n;
          g_autofree guint32 *words = row_word_ids (t, train[i], counted, &n);
          tl_ngram_counter_add_words (counter, words, n);
        }
    }
  else
    for (int i = 0; i < n_train; i++)
      {
        gsize n;
        g_autofree const char **words = row_words (t, train[i], &n);
        tl_ngram_counter_add (counter, words, n);
      }
  for (guint d = 0; s->fit_documents != NULL && d < s->fit_documents->len; d++)
    {
      const char *const *doc = g_ptr_array_index (s->fit_documents, d);
      tl_ngram_counter_add (counter, doc, g_strv_length ((char **) doc));
    }
  pre->ngrams = tl_ngram_counter_finish (counter, error);
  if (pre->ngrams == NULL)
    return NULL;
  scratch = g_new (float, 2 * (gsize) settings.max_terms);
  ids = ngram_word_map (t, pre->ngrams);
  for (int i = 0; i < n_train && most < settings.max_terms; i++)
    most = MAX (most, encode_ngrams (t, pre->ngrams, ids, train[i], scratch));
  pre->ngrams->settings.max_terms = MIN (most, settings.max_terms);
  pre->text_column = g_strdup (t->names[t->text_col]);
  *map = g_steal_pointer (&ids);
  return g_steal_pointer (&pre);
}

static TlPreprocess *
fit_text (const TlCsvTable *t, const int *train, int n_train, const TlImportSettings *s)
{
  TlPreprocess *pre = tl_preprocess_new (TL_DATA_TEXT);
  g_autofree guint *counts = g_new0 (guint, MAX (t->words->len, 1));
  gsize longest = 0;

  for (int i = 0; i < n_train; i++)
    {
      gsize start = g_array_index (t->token_start, gsize, train[i]);
      gsize end = g_array_index (t->token_start, gsize, train[i] + 1);

      for (gsize k = start; k < end; k++)
        counts[g_array_index (t->tokens, guint, k)]++;
      longest = MAX (longest, end - start);
    }
  pre->vocab = tl_vocab_build ((const char *const *) t->words->pdata, counts, t->words->len,
                               s->vocab_size, s->min_freq);
  pre->text_column = g_strdup (t->names[t->text_col]);
  pre->max_len = s->max_len > 0 ? s->max_len : (int) MAX (longest, 1);
  pre->padding = s->padding;
  pre->truncating = s->truncating;
  return pre;
}

static int *
word_map (const TlCsvTable *t, const TlPreprocess *pre)
{
  int *map = g_new (int, MAX (t->words->len, 1));

  for (guint w = 0; w < t->words->len; w++)
    map[w] = tl_vocab_lookup (pre->vocab, g_ptr_array_index (t->words, w));
  return map;
}

static void
encode_text (const TlCsvTable *t, const TlPreprocess *pre, const int *map, const TlNgramWordMap *ngram_ids,
             GArray *scratch, int row, float *out)
{
  if (pre->ngrams != NULL)
    {
      encode_ngrams (t, pre->ngrams, ngram_ids, row, out);
      return;
    }
  gsize start = g_array_index (t->token_start, gsize, row);
  gsize end = g_array_index (t->token_start, gsize, row + 1);

  g_array_set_size (scratch, end - start);
  for (gsize k = start; k < end; k++)
    g_array_index (scratch, int, k - start) = map[g_array_index (t->tokens, guint, k)];
  tl_pad_sequence ((const int *) (gpointer) scratch->data, scratch->len, pre->max_len, pre->padding,
                   pre->truncating, out);
}

typedef struct {
  const TlCsvTable     *t;
  const TlPreprocess   *pre;
  const int            *kept, *labels, *map;
  const TlNgramWordMap *ngram_ids;
  int                 **maps;
  TlDataset            *ds;
} Encoding;

/* Rows [k0, k1) of the dataset; each row is written by one chunk alone. */
static void
encode_rows (gpointer data, gsize k0, gsize k1)
{
  const Encoding *e = data;
  g_autoptr (GArray) scratch = g_array_new (FALSE, FALSE, sizeof (int));

  for (gsize k = k0; k < k1; k++)
    {
      const int r = e->kept[k];
      float *out = e->ds->x + k * e->ds->sample_size;

      if (e->pre->kind == TL_DATA_TEXT)
        encode_text (e->t, e->pre, e->map, e->ngram_ids, scratch, r, out);
      else
        encode_tabular (e->t, e->pre, e->maps, r, out);
      e->ds->y[k] = e->labels[r];
      e->ds->source_index[k] = g_array_index (e->t->lines, int, r);
      e->ds->source_text[k] = g_strdup (g_ptr_array_index (e->t->snippets, r));
    }
}

/* Rows `kept[0..n)` of the table through a fitted preprocessing. `ngram_ids`,
 * when given, maps the table's words to the n-gram features (else it is made). */
static TlDataset *
build_csv_dataset (const TlCsvTable *t, const TlPreprocess *pre, const TlNgramWordMap *ngram_ids,
                   const int *kept, int n, const int *labels, int n_classes, char **class_names,
                   const char *path, GError **error)
{
  int shape[3];
  int ndim;
  TlDataset *ds;
  g_autofree int *map = NULL;
  g_autoptr (TlNgramWordMap) own_ids = NULL;
  int **maps = NULL;
  guint64 width = 0;

  /* one-hot columns with many categories (or very long texts) multiply with the rows */
  if (pre->kind == TL_DATA_TEXT)
    width = (guint64) MAX (tl_preprocess_feature_count (pre), 0);
  else
    for (guint i = 0; i < pre->columns->len; i++)
      width += (guint64) tl_feature_column_width (g_ptr_array_index (pre->columns, i));
  if (width > G_MAXINT || width * (guint64) MAX (n, 1) > TL_IMPORT_MAX_FLOATS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                   _("%s: %d rows of %llu values each would take more than %llu GiB; "
                     "use fewer categorical columns or a shorter text length"),
                   path, n, (unsigned long long) width,
                   (unsigned long long) ((TL_IMPORT_MAX_FLOATS * sizeof (float)) >> 30));
      return NULL;
    }
  ndim = tl_preprocess_sample_shape (pre, shape);
  ds = tl_dataset_new (pre->kind, n, ndim, shape, n_classes, (const char *const *) class_names);

  if (pre->kind == TL_DATA_TEXT && pre->ngrams == NULL)
    map = word_map (t, pre);
  else if (pre->kind == TL_DATA_TEXT && ngram_ids == NULL)
    ngram_ids = own_ids = ngram_word_map (t, pre->ngrams);
  else if (pre->kind != TL_DATA_TEXT)
    maps = category_maps (t, pre);
  ds->source_index = g_new (int, MAX (n, 1));
  ds->source_text = g_new0 (char *, n + 1);
  {
    Encoding e = { t, pre, kept, labels, map, ngram_ids, maps, ds };
    /* rows are independent: the chunks only change the speed */
    tl_parallel_for (n, 64, encode_rows, &e);
  }
  if (maps != NULL)
    free_maps (maps, t->feature_cols->len);
  return ds;
}

static void
report_csv (TlImportReport *r, const TlCsvTable *t)
{
  r->delimiter = t->delimiter;
  r->has_header = t->has_header;
  r->rows_read = t->rows_read;
  r->rows_rejected = t->rows_rejected;
  r->values_imputed = t->values_imputed;
  for (guint i = 0; i < t->rejected->len; i++)
    {
      TlRejectedRow row = g_array_index (t->rejected, TlRejectedRow, i);

      row.reason = g_strdup (row.reason);
      g_array_append_val (r->rejected, row);
    }
  for (int c = 0; c < t->n_cols; c++)
    {
      TlColumnReport *col = g_new0 (TlColumnReport, 1);

      col->name = g_strdup (t->names[c]);
      col->type = t->types[c];
      col->role = "ignored";
      if (c == t->label_col)
        col->role = "label";
      else if (c == t->text_col)
        col->role = "text";
      for (guint j = 0; j < t->feature_cols->len; j++)
        if (g_array_index (t->feature_cols, int, j) == c)
          col->role = "feature";
      g_ptr_array_add (r->columns, col);
    }
}

static gboolean
check_test_classes (TlCsvTable *t, guint n_main_classes, const char *test_path, GError **error)
{
  for (int r = t->n_main; r < t->n_rows; r++)
    {
      int label = g_array_index (t->labels, int, r);

      if (label >= (int) n_main_classes)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s:%d: class '%s' does not occur in the training file"),
                       test_path, g_array_index (t->lines, int, r),
                       (const char *) g_ptr_array_index (t->label_names, label));
          return FALSE;
        }
    }
  return TRUE;
}

static void
step_progress (double fraction, gpointer user_data)
{
  tl_import_progress_report (user_data, fraction);
}

static TlImport *
run_csv (const char *path, const TlImportSettings *s, TlImportProgress *progress, GError **error)
{
  g_autoptr (TlCsvTable) t = NULL;
  g_autoptr (TlImport) import = g_new0 (TlImport, 1);
  g_autofree int *train = NULL;
  g_autoptr (TlNgramWordMap) ngram_ids = NULL;
  Selection sel = { 0 };
  gboolean ok;

  /* Reading is most of the work; the test file, when there is one, gets a third. */
  progress->from = 0;
  progress->span = s->test_path != NULL ? 0.6 : 0.9;
  t = tl_csv_table_read_with_progress (path, s, NULL, progress, error);
  if (t == NULL)
    return NULL;
  if (s->test_path != NULL)
    {
      guint n_main_classes = t->label_names->len;

      progress->from = 0.6;
      progress->span = 0.3;
      if (!tl_csv_table_append_with_progress (t, s->test_path, s, progress, error)
          || !check_test_classes (t, n_main_classes, s->test_path, error))
        return NULL;
    }
  if (t->label_names->len < 2)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("%s: the label column '%s' holds fewer than two classes"), path, t->names[t->label_col]);
      return NULL;
    }
  tl_csv_table_sort_labels (t);

  sel.n = t->n_rows;
  sel.n_main = t->n_main;
  sel.y = g_memdup2 (t->labels->data, sizeof (int) * MAX (t->n_rows, 1));
  sel.n_classes = t->label_names->len;
  g_ptr_array_add (t->label_names, NULL);
  sel.class_names = g_strdupv ((char **) t->label_names->pdata);
  g_ptr_array_set_size (t->label_names, sel.n_classes);
  ok = select_and_split (&sel, s, error);
  if (ok)
    {
      train = g_new (int, MAX (sel.split->n_train, 1));
      for (int i = 0; i < sel.split->n_train; i++)
        train[i] = sel.kept[sel.split->train[i]];
      if (t->text_col >= 0 && s->text_features == TL_TEXT_NGRAMS)
        {
          import->preprocess = fit_ngrams (t, train, sel.split->n_train, s, &ngram_ids, error);
          ok = import->preprocess != NULL;
        }
      else if (t->text_col >= 0)
        import->preprocess = fit_text (t, train, sel.split->n_train, s);
      else
        import->preprocess = fit_tabular (t, train, sel.split->n_train, s->missing);
    }
  if (ok)
    {
      import->preprocess->label_column = g_strdup (t->names[t->label_col]);
      g_strfreev (import->preprocess->class_names);
      import->preprocess->class_names = g_strdupv (sel.class_names);
      import->dataset = build_csv_dataset (t, import->preprocess, ngram_ids, sel.kept, sel.n_kept, sel.y,
                                           sel.n_classes, sel.class_names, path, error);
    }
  if (ok && import->dataset == NULL)
    ok = FALSE;
  if (ok)
    {
      import->split = g_steal_pointer (&sel.split);
      import->report = tl_import_report_new (path, "csv");
      report_csv (import->report, t);
      fill_report_classes (import->report, import->dataset, import->split);
      if (import->preprocess->ngrams != NULL)
        {
          import->report->vocab_size = tl_preprocess_vocab_size (import->preprocess);
          import->report->max_len = import->preprocess->ngrams->settings.max_terms;
        }
      else if (import->preprocess->kind == TL_DATA_TEXT)
        {
          import->report->vocab_size = tl_vocab_size (import->preprocess->vocab);
          import->report->max_len = import->preprocess->max_len;
        }
    }
  selection_clear (&sel);
  return ok ? g_steal_pointer (&import) : NULL;
}

/* An audio folder, a CSV listing recordings, or one recording (labelled -1). */
static TlDataset *
load_audio (const char *path, const TlImportSettings *s, const TlAudioSettings *audio,
            void (*progress) (double fraction, gpointer user_data), gpointer user_data,
            TlAudioReport **report, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return tl_audio_folder_load (path, audio, progress, user_data, report, error);
  if (tl_is_audio_file_name (path))
    return tl_audio_files_load ((const char *const[]) { path }, NULL, 1, (const char *const[]) { NULL }, audio,
                                progress, user_data, report, error);
  return tl_audio_csv_load (path, s->path_column, s->label_column, audio, progress, user_data, report, error);
}

static TlDataset *
load_dataset (const char *path, TlSourceFormat format, const TlImportSettings *s, TlImportProgress *progress,
              TlAudioReport **audio_report, GError **error)
{
  TlDataset *ds;

  if (format == TL_SOURCE_AUDIO)
    ds = load_audio (path, s, &s->audio, step_progress, progress, audio_report, error);
  else if (format == TL_SOURCE_IDX)
    ds = tl_idx_load_bytes (path, path == s->test_path ? NULL : s->labels_path, error);
  else
    /* bytes either way: the rows kept become floats (keep_bytes unset) when copied out */
    ds = tl_image_folder_load_bytes (path, s->image_width, s->image_height, s->channels == 1 ? 1 : 3,
                                     (const char *const *) s->classes, step_progress, progress, error);
  if (ds != NULL)
    tl_import_progress_report (progress, 1.0);
  return ds;
}

static TlDataset *
concatenate (const TlDataset *a, const TlDataset *b, const char *b_path, GError **error)
{
  TlDataset *out;

  if (a->sample_ndim != b->sample_ndim || memcmp (a->sample_shape, b->sample_shape, sizeof (int) * a->sample_ndim) != 0
      || a->n_classes != b->n_classes)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   _("%s: the test data differ in sample shape or classes from the training data"), b_path);
      return NULL;
    }
  for (int c = 0; c < a->n_classes; c++)
    if (strcmp (a->class_names[c], b->class_names[c]) != 0)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     _("%s: class '%s' does not occur in the training data"), b_path, b->class_names[c]);
        return NULL;
      }
  out = tl_dataset_concat (a, b);
  out->source_index = g_new (int, MAX (out->n, 1));
  for (int i = 0; i < out->n; i++)
    out->source_index[i] = i < a->n ? (a->source_index ? a->source_index[i] : i)
                                    : (b->source_index ? b->source_index[i - a->n] : i - a->n);
  return out;
}

/* Audio: the settings, and per band the training rows' mean and deviation
 * applied to every row (dataset normalisation). */
static void
fit_audio (TlPreprocess *pre, TlDataset *ds, const TlSplit *split, const TlImportSettings *s)
{
  int bands = ds->sample_shape[1];

  pre->audio = s->audio;
  pre->width = pre->height = pre->channels = 0;
  if (s->audio.norm != TL_AUDIO_NORM_DATASET)
    return;
  pre->audio_mean = g_new (double, bands);
  pre->audio_std = g_new (double, bands);
  tl_audio_dataset_fit_norm (ds, split->train, split->n_train, pre->audio_mean, pre->audio_std);
  tl_audio_dataset_normalize (ds, pre->audio_mean, pre->audio_std);
}

/* Augmented copies of the training rows, appended to the dataset and to the
 * training split (never to validation or test). */
static gboolean
augment_audio (TlImport *import, const TlImportSettings *s, GError **error)
{
  g_autoptr (TlDataset) copies = NULL;
  TlDataset *joined;
  TlSplit *split = import->split;
  int *train;
  int n = import->dataset->n;

  copies = tl_audio_augment_rows (import->dataset, split->train, split->n_train, &s->audio, &s->audio_augment,
                                  import->preprocess->audio_mean, import->preprocess->audio_std, s->seed, error);
  if (copies == NULL)
    return FALSE;
  joined = tl_dataset_concat (import->dataset, copies);
  train = g_new (int, MAX (split->n_train + copies->n, 1));
  memcpy (train, split->train, sizeof (int) * split->n_train);
  for (int i = 0; i < copies->n; i++)
    train[split->n_train + i] = n + i;
  g_free (split->train);
  split->train = train;
  split->n_train += copies->n;
  tl_dataset_free (import->dataset);
  import->dataset = joined;
  return TRUE;
}

static TlImport *
run_dataset (const char *path, TlSourceFormat format, const TlImportSettings *s, TlImportProgress *progress,
             GError **error)
{
  g_autoptr (TlDataset) all = NULL;
  g_autoptr (TlImport) import = g_new0 (TlImport, 1);
  g_autoptr (TlAudioReport) audio_report = NULL;
  Selection sel = { 0 };
  int n_main;
  gboolean ok;

  progress->from = 0;
  progress->span = s->test_path != NULL ? 0.6 : 0.9;
  all = load_dataset (path, format, s, progress, &audio_report, error);
  if (all == NULL)
    return NULL;
  n_main = all->n;
  if (s->test_path != NULL)
    {
      g_autoptr (TlDataset) test = NULL;

      progress->from = 0.6;
      progress->span = 0.3;
      test = load_dataset (s->test_path, format, s, progress, NULL, error);
      TlDataset *joined;

      if (test == NULL || (joined = concatenate (all, test, s->test_path, error)) == NULL)
        return NULL;
      tl_dataset_free (all);
      all = joined;
    }
  sel.n = all->n;
  sel.n_main = n_main;
  sel.y = g_memdup2 (all->y, sizeof (int) * MAX (all->n, 1));
  sel.n_classes = all->n_classes;
  sel.class_names = g_strdupv (all->class_names);
  ok = select_and_split (&sel, s, error);
  if (ok)
    {
      const int channels = all->sample_shape[0], height = all->sample_shape[1], width = all->sample_shape[2];

      import->dataset = s->keep_bytes ? tl_dataset_subset (all, sel.kept, sel.n_kept)
                                      : tl_dataset_subset_floats (all, sel.kept, sel.n_kept);
      /* the rows not kept are not needed any more, nor the ones copied */
      g_clear_pointer (&all, tl_dataset_free);
      for (int k = 0; k < sel.n_kept; k++)
        import->dataset->y[k] = sel.y[sel.kept[k]];
      g_strfreev (import->dataset->class_names);
      import->dataset->class_names = g_strdupv (sel.class_names);
      import->dataset->n_classes = sel.n_classes;
      import->split = g_steal_pointer (&sel.split);
      import->preprocess = tl_preprocess_new (format == TL_SOURCE_AUDIO ? TL_DATA_AUDIO : TL_DATA_IMAGE);
      import->preprocess->channels = channels;
      import->preprocess->height = height;
      import->preprocess->width = width;
      if (format == TL_SOURCE_AUDIO)
        fit_audio (import->preprocess, import->dataset, import->split, s);
      if (format == TL_SOURCE_AUDIO && s->audio_augment.copies > 0)
        ok = augment_audio (import, s, error);
      if (ok && format == TL_SOURCE_AUDIO && s->keep_bytes)
        tl_dataset_hold_as_halves (import->dataset);
    }
  if (ok)
    {
      g_strfreev (import->preprocess->class_names);
      import->preprocess->class_names = g_strdupv (sel.class_names);
      import->report = tl_import_report_new (path, format == TL_SOURCE_IDX ? "idx"
                                                   : format == TL_SOURCE_AUDIO ? "audio" : "images");
      import->report->rows_read = sel.n;
      import->report->audio = g_steal_pointer (&audio_report);
      if (import->report->audio != NULL && format == TL_SOURCE_AUDIO)
        import->report->audio->n_augmented = import->dataset->n - sel.n_kept;
      fill_report_classes (import->report, import->dataset, import->split);
    }
  selection_clear (&sel);
  return ok ? g_steal_pointer (&import) : NULL;
}

TlImport *
tl_import_run (const char *path, const TlImportSettings *settings, GError **error)
{
  return tl_import_run_with_progress (path, settings, NULL, NULL, error);
}

TlImport *
tl_import_run_with_progress (const char *path, const TlImportSettings *settings, TlImportProgressFunc func,
                             gpointer user_data, GError **error)
{
  g_autoptr (TlImportSettings) defaults = NULL;
  TlImportProgress progress = { func, user_data, 0, 0, 1 };
  TlSourceFormat format;
  TlImport *import;
  gint64 start = g_get_monotonic_time ();

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (!tl_import_check_path (path, error))
    return NULL;

  if (settings == NULL)
    settings = defaults = tl_import_settings_new ();
  format = settings->format != TL_SOURCE_AUTO ? settings->format : tl_import_guess_format (path);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, _("%s: no such file or folder"), path);
      return NULL;
    }
  if (format == TL_SOURCE_CSV)
    import = run_csv (path, settings, &progress, error);
  else
    import = run_dataset (path, format, settings, &progress, error);
  if (import != NULL)
    {
      import->report->seconds = (g_get_monotonic_time () - start) / 1e6;
      progress.from = 0;
      progress.span = 1;
      tl_import_progress_report (&progress, 1.0);
    }
  return import;
}

static void
relabel_by_name (TlDataset *ds, const TlPreprocess *pre)
{
  g_autofree int *map = g_new (int, MAX (ds->n_classes, 1));
  guint n = g_strv_length (pre->class_names);

  for (int c = 0; c < ds->n_classes; c++)
    {
      map[c] = -1;
      for (guint k = 0; k < n; k++)
        if (strcmp (ds->class_names[c], pre->class_names[k]) == 0)
          map[c] = k;
    }
  for (int i = 0; i < ds->n; i++)
    ds->y[i] = ds->y[i] >= 0 ? map[ds->y[i]] : -1;
  g_strfreev (ds->class_names);
  ds->class_names = g_strdupv (pre->class_names);
  ds->n_classes = n;
}

TlDataset *
tl_import_apply (const char *path, const TlImportSettings *settings, const TlPreprocess *pre,
                 GError **error)
{
  g_autoptr (TlImportSettings) defaults = NULL;
  g_autoptr (TlCsvTable) t = NULL;
  g_autofree int *rows = NULL;
  TlSourceFormat format;
  TlDataset *ds;

  g_return_val_if_fail (pre != NULL, NULL);
  if (!tl_import_check_path (path, error))
    return NULL;

  if (settings == NULL)
    settings = defaults = tl_import_settings_new ();
  format = settings->format != TL_SOURCE_AUTO ? settings->format : tl_import_guess_format (path);
  if (pre->kind == TL_DATA_AUDIO || format == TL_SOURCE_AUDIO)
    {
      if (pre->kind != TL_DATA_AUDIO)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("%s: the model does not take audio"), path);
          return NULL;
        }
      ds = load_audio (path, settings, &pre->audio, NULL, NULL, NULL, error);
      if (ds != NULL && pre->audio_mean != NULL && pre->audio_std != NULL)
        tl_audio_dataset_normalize (ds, pre->audio_mean, pre->audio_std);
      if (ds != NULL)
        relabel_by_name (ds, pre);
      if (ds != NULL && settings->keep_bytes)
        tl_dataset_hold_as_halves (ds);
      return ds;
    }
  if (format != TL_SOURCE_CSV)
    {
      if (pre->kind != TL_DATA_IMAGE)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("%s: the model does not take images"), path);
          return NULL;
        }
      if (format == TL_SOURCE_IDX && settings->keep_bytes && pre->image_mean == NULL)
        ds = tl_idx_load_bytes (path, settings->labels_path, error);
      else if (format == TL_SOURCE_IDX)
        ds = tl_idx_load (path, settings->labels_path, error);
      else if (settings->keep_bytes && pre->image_mean == NULL)
        ds = tl_image_folder_load_bytes (path, pre->width, pre->height, pre->channels, NULL, NULL, NULL, error);
      else
        ds = tl_image_folder_load (path, pre->width, pre->height, pre->channels, error);
      if (ds != NULL && (ds->sample_shape[0] != pre->channels || ds->sample_shape[1] != pre->height
                         || ds->sample_shape[2] != pre->width))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       _("%s: the images are not of the size the model takes (%dx%d, %d channels)"),
                       path, pre->width, pre->height, pre->channels);
          tl_dataset_free (ds);
          return NULL;
        }
      if (ds != NULL)
        {
          tl_preprocess_normalize_images (pre, ds);
          relabel_by_name (ds, pre);
        }
      return ds;
    }
  if (pre->kind == TL_DATA_IMAGE)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("%s: the model takes images, not a CSV file"), path);
      return NULL;
    }
  t = tl_csv_table_read (path, settings, pre, error);
  if (t == NULL)
    return NULL;
  rows = g_new (int, MAX (t->n_rows, 1));
  for (int i = 0; i < t->n_rows; i++)
    rows[i] = i;
  g_ptr_array_add (t->label_names, NULL);
  ds = build_csv_dataset (t, pre, NULL, rows, t->n_rows, (const int *) (gpointer) t->labels->data,
                          g_strv_length (pre->class_names), pre->class_names, path, error);
  g_ptr_array_set_size (t->label_names, t->label_names->len - 1);
  return ds;
}
