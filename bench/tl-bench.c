#define G_LOG_DOMAIN "tl-bench"

#include "config.h"

#include <cblas.h>
#include <gio/gio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tl-csv.h"
#include "tl-dataset.h"
#include "tl-gemm.h"
#include "tl-idx.h"
#include "tl-model.h"
#include "tl-model-file.h"
#include "tl-parallel.h"
#include "tl-tokenizer.h"
#include "tl-trainer.h"

/* Transfer Lab's side of the speed benchmark: one case per process, so that
 * /usr/bin/time reports the peak memory of that case alone. Prints one JSON
 * object on stdout; bench/torch_bench.py prints the same keys for PyTorch. */

#define TEXT_STEPS 100
#define TEXT_VOCAB 20000
#define TEXT_CLASSES 20

static int opt_runs = 3;
static char *opt_fmnist = NULL;
static char *opt_shared = NULL;
static char *opt_text = NULL;
static char *opt_out = NULL;
static int opt_finetune_epochs = 3;
static int opt_infer_batch = 256;
static int opt_sgemm_size = 2048;
static int opt_n_sequences = 10000;
static int opt_limit = 0;
static int opt_seed = 1;
static char *opt_model = NULL;
static int opt_samples = 1024;

static const GOptionEntry entries[] = {
  { "runs", 0, 0, G_OPTION_ARG_INT, &opt_runs, "Repetitions of the timed part (3)", "N" },
  { "fmnist", 0, 0, G_OPTION_ARG_FILENAME, &opt_fmnist, "Fashion-MNIST folder", "DIR" },
  { "shared", 0, 0, G_OPTION_ARG_FILENAME, &opt_shared, "Shared data folder (20news-bydate/)", "DIR" },
  { "text", 0, 0, G_OPTION_ARG_FILENAME, &opt_text, "Token file (prepare-text writes it)", "FILE" },
  { "out", 0, 0, G_OPTION_ARG_FILENAME, &opt_out, "Output of prepare-text", "FILE" },
  { "finetune-epochs", 0, 0, G_OPTION_ARG_INT, &opt_finetune_epochs, "Fine-tuning epochs (3)", "N" },
  { "infer-batch", 0, 0, G_OPTION_ARG_INT, &opt_infer_batch, "Inference batch size (256)", "N" },
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_sgemm_size, "sgemm matrix side (2048)", "N" },
  { "sequences", 0, 0, G_OPTION_ARG_INT, &opt_n_sequences, "Training sequences (10000)", "N" },
  { "seed", 0, 0, G_OPTION_ARG_INT, &opt_seed, "Seed of the first run; run r uses seed + r (1)", "N" },
  { "limit", 0, 0, G_OPTION_ARG_INT, &opt_limit, "Train on the first N samples only (for profiling)", "N" },
  { "model", 0, 0, G_OPTION_ARG_FILENAME, &opt_model, "Model file of infer-model (an imported network)", "FILE" },
  { "samples", 0, 0, G_OPTION_ARG_INT, &opt_samples, "Random inputs of infer-model (1024)", "N" },
  { NULL }
};

/* ---- output ---- */

static GString *json_out;

static void
json_key (const char *key)
{
  g_string_append_printf (json_out, "%s\"%s\": ", json_out->len > 1 ? ", " : "", key);
}

static void
json_num (const char *key, double v)
{
  json_key (key);
  if (isfinite (v))
    g_string_append_printf (json_out, "%.6g", v);
  else
    g_string_append (json_out, "null");
}

static void
json_str (const char *key, const char *v)
{
  g_autofree char *esc = g_strescape (v, NULL);

  json_key (key);
  g_string_append_printf (json_out, "\"%s\"", esc);
}

static void
json_nums (const char *key, const double *v, int n)
{
  json_key (key);
  g_string_append_c (json_out, '[');
  for (int i = 0; i < n; i++)
    g_string_append_printf (json_out, "%s%.6g", i ? ", " : "", v[i]);
  g_string_append_c (json_out, ']');
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (const double *v, int n)
{
  double s[64];

  n = MIN (n, 64);
  memcpy (s, v, n * sizeof *v);
  qsort (s, n, sizeof *s, cmp_double);
  return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* ---- data ---- */

/* Fashion-MNIST split ("train" or "t10k") as images [1, 28, 28] in [0, 1]. */
static TlDataset *
load_fmnist (const char *split, GError **error)
{
  g_autofree char *ipath = g_strdup_printf ("%s/%s-images-idx3-ubyte.gz", opt_fmnist, split);
  g_autofree char *lpath = g_strdup_printf ("%s/%s-labels-idx1-ubyte.gz", opt_fmnist, split);

  return tl_idx_load (ipath, lpath, error);
}

/* Rows of classes [first, first + count), relabelled from 0. */
static TlDataset *
class_range (const TlDataset *src, int first, int count)
{
  const char *names[64] = { NULL };
  TlDataset *ds;
  int n = 0, k = 0;

  for (int i = 0; i < src->n; i++)
    n += src->y[i] >= first && src->y[i] < first + count;
  for (int c = 0; c < count && c < (int) G_N_ELEMENTS (names) - 1; c++)
    names[c] = src->class_names ? src->class_names[first + c] : NULL;
  ds = tl_dataset_new (src->kind, n, src->sample_ndim, src->sample_shape, count, names);
  for (int i = 0; i < src->n; i++)
    if (src->y[i] >= first && src->y[i] < first + count)
      {
        memcpy (ds->x + k * src->sample_size, src->x + i * src->sample_size,
                src->sample_size * sizeof (float));
        ds->y[k++] = src->y[i] - first;
      }
  return ds;
}

/* Token file shared with torch_bench.py: "TLBT", then little-endian int32
 * n_train, n_test, steps, vocab, n_classes, train tokens, train labels,
 * test tokens, test labels. */
static gboolean
write_text_file (const char *path, const gint32 *header, GArray *parts[4], GError **error)
{
  g_autoptr (GByteArray) buf = g_byte_array_new ();

  g_byte_array_append (buf, (const guint8 *) "TLBT", 4);
  for (int i = 0; i < 5; i++)
    {
      gint32 v = GINT32_TO_LE (header[i]);
      g_byte_array_append (buf, (const guint8 *) &v, 4);
    }
  for (int p = 0; p < 4; p++)
    for (guint i = 0; i < parts[p]->len; i++)
      {
        gint32 v = GINT32_TO_LE (g_array_index (parts[p], gint32, i));
        g_byte_array_append (buf, (const guint8 *) &v, 4);
      }
  return g_file_set_contents (path, (const char *) buf->data, buf->len, error);
}

/* Token data of the benchmark's shape: each class prefers a few hundred
 * words, the rest follows a Zipf-like spread over the whole vocabulary. */
static void
generate_sequences (TlRng *rng, int n, GArray *tokens, GArray *labels)
{
  for (int i = 0; i < n; i++)
    {
      int c = tl_rng_below (rng, TEXT_CLASSES);
      int len = TEXT_STEPS / 2 + tl_rng_below (rng, TEXT_STEPS / 2 + 1);

      g_array_append_val (labels, c);
      for (int t = 0; t < TEXT_STEPS; t++)
        {
          gint32 tok = 0;

          if (t >= TEXT_STEPS - len)
            {
              if (tl_rng_uniform (rng) < 0.15)
                tok = 1 + c * 300 + tl_rng_below (rng, 300);
              else
                tok = MIN (TEXT_VOCAB - 1, (int) exp (tl_rng_uniform (rng) * log (TEXT_VOCAB - 1.0)));
            }
          g_array_append_val (tokens, tok);
        }
    }
}

/* A 20 Newsgroups CSV (columns text, label) read whole. */
typedef struct {
  GPtrArray *texts;    /* char * */
  GPtrArray *labels;   /* char * */
} TextRows;

static void
text_rows_clear (TextRows *rows)
{
  g_clear_pointer (&rows->texts, g_ptr_array_unref);
  g_clear_pointer (&rows->labels, g_ptr_array_unref);
}

static gboolean
read_text_csv (const char *path, TextRows *rows, GError **error)
{
  g_autoptr (TlCsvReader) reader = tl_csv_reader_open (path, ',', error);
  const TlCsvRecord *rec;
  int text_col = -1, label_col = -1;

  if (reader == NULL)
    return FALSE;
  rows->texts = g_ptr_array_new_with_free_func (g_free);
  rows->labels = g_ptr_array_new_with_free_func (g_free);
  while ((rec = tl_csv_reader_next (reader, error)) != NULL)
    {
      if (text_col < 0)
        {
          for (guint i = 0; i < rec->n_fields; i++)
            {
              if (g_str_equal (rec->fields[i], "text"))
                text_col = i;
              else if (g_str_equal (rec->fields[i], "label"))
                label_col = i;
            }
          if (text_col < 0 || label_col < 0)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "%s:%d: expected columns \"text\" and \"label\"", path, rec->line);
              return FALSE;
            }
          continue;
        }
      if ((int) rec->n_fields <= MAX (text_col, label_col))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%d: %u fields, expected %d",
                       path, rec->line, rec->n_fields, MAX (text_col, label_col) + 1);
          return FALSE;
        }
      g_ptr_array_add (rows->texts, g_strdup (rec->fields[text_col]));
      g_ptr_array_add (rows->labels, g_strdup (rec->fields[label_col]));
    }
  return error == NULL || *error == NULL;
}

static void
count_token (const char *token, gsize len, gpointer user_data)
{
  GHashTable *counts = user_data;
  guint *c = g_hash_table_lookup (counts, token);

  if (c == NULL)
    {
      c = g_new0 (guint, 1);
      g_hash_table_insert (counts, g_strndup (token, len), c);
    }
  (*c)++;
}

/* Counts the tokens of texts[0..n) and keeps the vocab_size most frequent. */
static TlVocab *
build_vocab (GPtrArray *texts, guint n, int vocab_size, guint *distinct)
{
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree const char **tokens = NULL;
  g_autofree guint *freq = NULL;
  GHashTableIter it;
  gpointer key, value;
  guint k = 0;

  for (guint i = 0; i < n; i++)
    tl_tokenize (texts->pdata[i], -1, count_token, counts);
  tokens = g_new (const char *, g_hash_table_size (counts));
  freq = g_new (guint, g_hash_table_size (counts));
  g_hash_table_iter_init (&it, counts);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      tokens[k] = key;
      freq[k++] = *(guint *) value;
    }
  if (distinct)
    *distinct = k;
  return tl_vocab_build (tokens, freq, k, vocab_size, 1);
}

static int
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Encodes rows order[0..n) with the label ids of `classes`. */
static void
encode_rows (const TextRows *rows, const int *order, int n, const TlVocab *vocab, GPtrArray *classes,
             GArray *tokens, GArray *labels)
{
  float buf[TEXT_STEPS];

  for (int i = 0; i < n; i++)
    {
      int r = order ? order[i] : i;
      guint c = 0;

      /* keep the start of a post (its headers and subject), padding in front as Keras does */
      tl_vocab_encode (vocab, rows->texts->pdata[r], TEXT_STEPS, TL_PAD_PRE, TL_PAD_POST, buf);
      for (int t = 0; t < TEXT_STEPS; t++)
        {
          gint32 v = (gint32) buf[t];
          g_array_append_val (tokens, v);
        }
      g_ptr_array_find_with_equal_func (classes, rows->labels->pdata[r], g_str_equal, &c);
      g_array_append_val (labels, c);
    }
}

static gboolean
prepare_newsgroups (const char *train_path, const char *test_path, GArray *parts[4], gint32 *n_classes,
                    GError **error)
{
  TextRows train = { 0 }, test = { 0 };
  g_autoptr (GPtrArray) classes = g_ptr_array_new ();
  g_autoptr (TlVocab) vocab = NULL;
  g_autofree int *order = NULL;
  int n;
  TlRng rng;

  if (!read_text_csv (train_path, &train, error) || !read_text_csv (test_path, &test, error))
    {
      text_rows_clear (&train);
      text_rows_clear (&test);
      return FALSE;
    }
  for (guint i = 0; i < train.labels->len; i++)
    if (!g_ptr_array_find_with_equal_func (classes, train.labels->pdata[i], g_str_equal, NULL))
      g_ptr_array_add (classes, train.labels->pdata[i]);
  g_ptr_array_sort (classes, cmp_str);

  /* the file is grouped by class: a seeded shuffle picks the benchmark's sequences */
  n = MIN ((int) train.texts->len, opt_n_sequences);
  order = g_new (int, train.texts->len);
  for (guint i = 0; i < train.texts->len; i++)
    order[i] = i;
  tl_rng_init (&rng, 20);
  tl_rng_shuffle (&rng, order, train.texts->len);
  {
    g_autoptr (GPtrArray) picked = g_ptr_array_new ();
    for (int i = 0; i < n; i++)
      g_ptr_array_add (picked, train.texts->pdata[order[i]]);
    vocab = build_vocab (picked, n, TEXT_VOCAB, NULL);
  }
  encode_rows (&train, order, n, vocab, classes, parts[0], parts[1]);
  encode_rows (&test, NULL, test.texts->len, vocab, classes, parts[2], parts[3]);
  *n_classes = classes->len;
  text_rows_clear (&train);
  text_rows_clear (&test);
  return TRUE;
}

static gboolean
cmd_prepare_text (GError **error)
{
  g_autofree char *train_path = g_build_filename (opt_shared, "20news-bydate", "train.csv", NULL);
  g_autofree char *test_path = g_build_filename (opt_shared, "20news-bydate", "test.csv", NULL);
  GArray *parts[4];
  gint32 header[5];
  gboolean real, ok = TRUE;
  double t0 = now ();

  if (opt_out == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "prepare-text needs --out FILE");
      return FALSE;
    }
  for (int p = 0; p < 4; p++)
    parts[p] = g_array_new (FALSE, FALSE, sizeof (gint32));
  header[4] = TEXT_CLASSES;
  real = g_file_test (train_path, G_FILE_TEST_EXISTS) && g_file_test (test_path, G_FILE_TEST_EXISTS);
  if (real)
    ok = prepare_newsgroups (train_path, test_path, parts, &header[4], error);
  else
    {
      TlRng rng;

      tl_rng_init (&rng, 20);
      generate_sequences (&rng, opt_n_sequences, parts[0], parts[1]);
      generate_sequences (&rng, 2000, parts[2], parts[3]);
    }
  header[0] = parts[1]->len;
  header[1] = parts[3]->len;
  header[2] = TEXT_STEPS;
  header[3] = TEXT_VOCAB;
  if (ok)
    ok = write_text_file (opt_out, header, parts, error);
  if (ok)
    {
      gsize pad = 0;

      for (guint i = 0; i < parts[0]->len; i++)
        pad += g_array_index (parts[0], gint32, i) == 0;
      json_str ("source", real ? train_path : "generated");
      json_num ("train", header[0]);
      json_num ("test", header[1]);
      json_num ("classes", header[4]);
      json_num ("padding_share", parts[0]->len ? (double) pad / parts[0]->len : 0);
      json_num ("seconds", now () - t0);
    }
  for (int p = 0; p < 4; p++)
    g_array_unref (parts[p]);
  return ok;
}

static gboolean
load_text (TlDataset **train, TlDataset **test, int *vocab, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  const gint32 *v;
  gint32 h[5];
  gsize need;

  if (opt_text == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "text cases need --text FILE");
      return FALSE;
    }
  if (!g_file_get_contents (opt_text, &data, &len, error))
    return FALSE;
  if (len < 24 || memcmp (data, "TLBT", 4) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a token file", opt_text);
      return FALSE;
    }
  for (int i = 0; i < 5; i++)
    {
      gint32 x;
      memcpy (&x, data + 4 + 4 * i, 4);
      h[i] = GINT32_FROM_LE (x);
    }
  need = 24 + 4 * ((gsize) h[0] * (h[2] + 1) + (gsize) h[1] * (h[2] + 1));
  if (len != need)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %zu bytes, expected %zu",
                   opt_text, len, need);
      return FALSE;
    }
  v = (const gint32 *) (data + 24);
  for (int s = 0; s < 2; s++)
    {
      int n = h[s];
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      TlDataset *ds;

      for (int c = 0; c < h[4]; c++)
        g_ptr_array_add (names, g_strdup_printf ("class %d", c));
      g_ptr_array_add (names, NULL);
      ds = tl_dataset_new (TL_DATA_TEXT, n, 1, (int[]) { h[2] }, h[4], (const char *const *) names->pdata);

      for (gsize i = 0; i < (gsize) n * h[2]; i++)
        ds->x[i] = GINT32_FROM_LE (*v++);
      for (int i = 0; i < n; i++)
        ds->y[i] = GINT32_FROM_LE (*v++);
      *(s == 0 ? train : test) = ds;
    }
  *vocab = h[3];
  return TRUE;
}

/* ---- floating-point operations of a run ---- */

static double
layer_flops (const TlLayer *l)
{
  switch (l->spec.kind)
    {
    case TL_LAYER_DENSE:
      return 2.0 * l->in_shape[0] * l->spec.units;
    case TL_LAYER_CONV2D:
      return 2.0 * l->in_shape[0] * l->spec.kernel * l->spec.kernel * l->spec.filters
             * l->out_shape[1] * l->out_shape[2] / MAX (1, l->spec.groups);
    case TL_LAYER_LSTM:
      return 2.0 * l->in_shape[0] * 4 * l->spec.units * (l->in_shape[1] + l->spec.units);
    case TL_LAYER_GRU:
      return 2.0 * l->in_shape[0] * 3 * l->spec.units * (l->in_shape[1] + l->spec.units);
    default:
      return 0;   /* element-wise work is not counted */
    }
}

/* Matrix-product operations of training n samples for `epochs`: forward,
 * weight gradients of trainable layers, input gradients above the lowest
 * trainable layer; frozen lower layers run once when cached. */
static double
train_flops (const TlModel *model, double n, int epochs, gboolean cached)
{
  int lowest = tl_model_lowest_trainable (model);
  double total = 0;

  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      const TlLayer *l = tl_model_layer (model, i);
      double f = layer_flops (l);

      if (i < lowest)
        total += cached ? n * f : n * epochs * f;
      else
        total += n * epochs * (f + (l->trainable ? f : 0) + (i > lowest ? f : 0));
    }
  return total;
}

static double
infer_flops (const TlModel *model, double n)
{
  double total = 0;

  for (int i = 0; i < tl_model_n_layers (model); i++)
    total += n * layer_flops (tl_model_layer (model, i));
  return total;
}

static int
conv_padding (const TlModel *model)
{
  for (int i = 0; i < tl_model_n_layers (model); i++)
    if (tl_model_layer (model, i)->spec.kind == TL_LAYER_CONV2D)
      return tl_model_layer (model, i)->spec.padding;
  return -1;
}

/* ---- cases ---- */

static double
accuracy (TlModel *model, const TlDataset *ds)
{
  g_autoptr (TlTensor) p = tl_predict (model, ds, 256);
  int k = ds->n_classes, correct = 0;

  for (int i = 0; i < ds->n; i++)
    {
      const float *row = p->data + (gsize) i * k;
      int best = 0;
      for (int c = 1; c < k; c++)
        if (row[c] > row[best])
          best = c;
      correct += best == ds->y[i];
    }
  return ds->n ? (double) correct / ds->n : NAN;
}

static TlModel *
new_model (TlPreset preset, const TlDataset *ds, int vocab, guint64 seed, GError **error)
{
  return tl_model_new_preset (preset, ds->sample_ndim, ds->sample_shape, ds->n_classes, vocab, seed, error);
}

static gboolean
train_once (TlModel *model, const TlDataset *train, int epochs, int batch, gboolean cache,
            guint64 seed, double *seconds, TlHistory **history_out, GError **error)
{
  g_autoptr (TlHistory) history = tl_history_new ();
  TlTrainCallbacks callbacks = { 0 };
  TlTrainConfig config;
  double t0;

  tl_train_config_init (&config);
  config.epochs = epochs;
  config.batch_size = batch;
  tl_optimizer_config_init (&config.optimizer, TL_OPTIMIZER_ADAM, 1e-3f);
  config.schedule.kind = TL_SCHEDULE_CONSTANT;
  config.patience = 0;
  config.seed = seed;
  config.feature_cache = cache;
  t0 = now ();
  if (!tl_train (model, train, NULL, &config, &callbacks, history, error))
    return FALSE;
  *seconds = now () - t0;
  if (history_out)
    *history_out = g_steal_pointer (&history);
  return TRUE;
}

static gboolean
cmd_train (const char *name, GError **error)
{
  g_autoptr (TlDataset) train = NULL;
  g_autoptr (TlDataset) test = NULL;
  TlPreset preset;
  double times[64], accs[64], flops = 0;
  int vocab = 0, batch;
  gsize params = 0;
  int runs = CLAMP (opt_runs, 1, 64);

  if (g_str_equal (name, "lstm"))
    {
      if (!load_text (&train, &test, &vocab, error))
        return FALSE;
      preset = TL_PRESET_TEXT_LSTM;
      batch = 32;
    }
  else
    {
      if (!(train = load_fmnist ("train", error)) || !(test = load_fmnist ("t10k", error)))
        return FALSE;
      preset = g_str_equal (name, "mlp") ? TL_PRESET_MLP : TL_PRESET_CNN;
      batch = 64;
    }
  if (opt_limit > 0 && opt_limit < train->n)
    {
      g_autofree int *first = g_new (int, opt_limit);
      TlDataset *part;

      for (int i = 0; i < opt_limit; i++)
        first[i] = i;
      part = tl_dataset_subset (train, first, opt_limit);
      tl_dataset_free (train);
      train = part;
    }

  for (int r = 0; r < runs; r++)
    {
      guint64 seed = (guint64) opt_seed + r;
      g_autoptr (TlModel) model = new_model (preset, train, vocab, seed, error);

      if (model == NULL || !train_once (model, train, 1, batch, FALSE, seed, &times[r], NULL, error))
        return FALSE;
      accs[r] = accuracy (model, test);
      params = tl_model_param_count (model, FALSE);
      flops = train_flops (model, train->n, 1, FALSE);
      if (preset == TL_PRESET_CNN && r == 0)
        json_num ("conv_padding", conv_padding (model));
    }
  json_nums ("times", times, runs);
  json_num ("median", median (times, runs));
  json_nums ("accuracies", accs, runs);
  json_num ("accuracy", median (accs, runs));
  json_num ("params", params);
  json_num ("flops", flops);
  json_num ("train_samples", train->n);
  json_num ("batch", batch);
  json_num ("epochs", 1);
  json_num ("seed", opt_seed);
  return TRUE;
}

static gboolean
cmd_finetune (GError **error)
{
  g_autoptr (TlDataset) all_train = NULL;
  g_autoptr (TlDataset) all_test = NULL;
  g_autoptr (TlDataset) source = NULL;
  g_autoptr (TlDataset) target = NULL;
  g_autoptr (TlDataset) test = NULL;
  g_autoptr (TlModel) pretrained = NULL;
  double times[64], accs[64], cache_s[64], flops = 0, pre_s = 0;
  gsize params = 0, trainable = 0;
  int runs = CLAMP (opt_runs, 1, 64);

  if (!(all_train = load_fmnist ("train", error)) || !(all_test = load_fmnist ("t10k", error)))
    return FALSE;
  source = class_range (all_train, 0, 5);
  target = class_range (all_train, 5, 5);
  test = class_range (all_test, 5, 5);

  pretrained = new_model (TL_PRESET_CNN, source, 0, opt_seed, error);
  if (pretrained == NULL || !train_once (pretrained, source, 1, 64, FALSE, opt_seed, &pre_s, NULL, error))
    return FALSE;

  for (int r = 0; r < runs; r++)
    {
      g_autoptr (TlModel) model = tl_model_copy (pretrained);
      g_autoptr (TlHistory) history = NULL;
      int first_dense = -1;

      if (!tl_model_replace_head (model, target->n_classes, error))
        return FALSE;
      for (int i = 0; i < tl_model_n_layers (model) && first_dense < 0; i++)
        if (tl_model_layer (model, i)->spec.kind == TL_LAYER_DENSE)
          first_dense = i;
      tl_model_freeze_below (model, first_dense);
      if (!train_once (model, target, opt_finetune_epochs, 64, TRUE, 100 + opt_seed + r, &times[r], &history,
                       error))
        return FALSE;
      cache_s[r] = history->cache_seconds;
      accs[r] = accuracy (model, test);
      params = tl_model_param_count (model, FALSE);
      trainable = tl_model_param_count (model, TRUE);
      flops = train_flops (model, target->n, opt_finetune_epochs, history->cached_layers > 0);
      if (r == 0)
        json_num ("cached_layers", history->cached_layers);
    }
  json_nums ("times", times, runs);
  json_num ("median", median (times, runs));
  json_nums ("cache_seconds", cache_s, runs);
  json_nums ("accuracies", accs, runs);
  json_num ("accuracy", median (accs, runs));
  json_num ("params", params);
  json_num ("trainable_params", trainable);
  json_num ("flops", flops);
  json_num ("train_samples", target->n);
  json_num ("batch", 64);
  json_num ("epochs", opt_finetune_epochs);
  json_num ("pretrain_seconds", pre_s);
  return TRUE;
}

static gboolean
cmd_infer (const char *kind, GError **error)
{
  g_autoptr (TlDataset) data = NULL;
  g_autoptr (TlDataset) other = NULL;
  g_autoptr (TlModel) model = NULL;
  double times[64];
  int vocab = 0;
  int runs = CLAMP (MAX (opt_runs, 3), 1, 64);
  TlPreset preset;

  if (g_str_equal (kind, "lstm"))
    {
      if (!load_text (&other, &data, &vocab, error))
        return FALSE;
      preset = TL_PRESET_TEXT_LSTM;
    }
  else
    {
      if (!(data = load_fmnist ("t10k", error)))
        return FALSE;
      preset = g_str_equal (kind, "mlp") ? TL_PRESET_MLP : TL_PRESET_CNN;
    }
  if (!(model = new_model (preset, data, vocab, 1, error)))
    return FALSE;

  tl_tensor_free (tl_predict (model, data, opt_infer_batch));   /* warm-up: workspace allocation */
  for (int r = 0; r < runs; r++)
    {
      double t0 = now ();
      tl_tensor_free (tl_predict (model, data, opt_infer_batch));
      times[r] = now () - t0;
    }
  json_nums ("times", times, runs);
  json_num ("median", median (times, runs));
  json_num ("samples", data->n);
  json_num ("batch", opt_infer_batch);
  json_num ("params", tl_model_param_count (model, FALSE));
  json_num ("throughput", data->n / median (times, runs));
  json_num ("flops", infer_flops (model, data->n));
  return TRUE;
}

/* Forward passes of a model file (an imported network) over random inputs of
 * its own shape, in batches, as PyTorch's side runs the same network. */
static gboolean
cmd_infer_model (GError **error)
{
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlTensor) inputs = NULL;
  g_autoptr (TlTensor) batch = tl_tensor_new_empty ();
  double times[64];
  const int runs = CLAMP (MAX (opt_runs, 3), 1, 64), n = MAX (opt_samples, 1);
  gsize sample = 1;
  TlRng rng;

  if (opt_model == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "infer-model needs --model FILE");
      return FALSE;
    }
  if (!(model = tl_model_file_load (opt_model, NULL, error)))
    return FALSE;
  for (int d = 0; d < model->in_ndim; d++)
    sample *= model->in_shape[d];
  inputs = tl_tensor_new (2, (int[]) { n, (int) sample });
  tl_rng_init (&rng, opt_seed);
  for (gsize i = 0; i < inputs->size; i++)
    inputs->data[i] = tl_rng_normal (&rng);

  for (int r = -1; r < runs; r++)   /* run -1 warms up: workspace allocation */
    {
      double t0 = now ();

      for (int first = 0; first < n; first += opt_infer_batch)
        {
          const int count = MIN (opt_infer_batch, n - first);

          tl_tensor_resize_batch (batch, count, model->in_ndim, model->in_shape);
          memcpy (batch->data, inputs->data + (gsize) first * sample, (gsize) count * sample * sizeof (float));
          tl_model_forward (model, batch, FALSE);
        }
      if (r >= 0)
        times[r] = now () - t0;
    }
  json_nums ("times", times, runs);
  json_num ("median", median (times, runs));
  json_num ("samples", n);
  json_num ("batch", opt_infer_batch);
  json_num ("params", tl_model_param_count (model, FALSE));
  json_num ("throughput", n / median (times, runs));
  json_num ("flops", infer_flops (model, n));
  return TRUE;
}

/* Facts the PyTorch side copies so that its models match the presets. */
static gboolean
cmd_describe (GError **error)
{
  g_autoptr (TlModel) cnn = tl_model_new_preset (TL_PRESET_CNN, 3, (int[]) { 1, 28, 28 }, 10, 0, 1, error);

  if (cnn == NULL)
    return FALSE;
  json_num ("conv_padding", conv_padding (cnn));
  json_num ("cnn_params", tl_model_param_count (cnn, FALSE));
  return TRUE;
}

/* Import and tokenize the whole 20 Newsgroups training file, up to the vocabulary. */
static gboolean
cmd_tokenize (GError **error)
{
  g_autofree char *path = g_build_filename (opt_shared, "20news-bydate", "train.csv", NULL);
  double times[64];
  int runs = CLAMP (opt_runs, 1, 64);
  guint rows = 0, distinct = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *why = g_strdup_printf ("%s not found", path);
      json_str ("skipped", why);
      return TRUE;
    }
  for (int r = 0; r < runs; r++)
    {
      TextRows data = { 0 };
      double t0 = now ();

      if (!read_text_csv (path, &data, error))
        {
          text_rows_clear (&data);
          return FALSE;
        }
      tl_vocab_free (build_vocab (data.texts, data.texts->len, TEXT_VOCAB, &distinct));
      times[r] = now () - t0;
      rows = data.texts->len;
      text_rows_clear (&data);
    }
  json_nums ("times", times, runs);
  json_num ("median", median (times, runs));
  json_num ("rows", rows);
  json_num ("distinct_tokens", distinct);
  return TRUE;
}

/* The machine limit: sgemm on large square matrices, best of a few. */
static gboolean
cmd_sgemm (GError **error)
{
  const int n = MAX (opt_sgemm_size, 64);
  const gsize nn = (gsize) n * n;
  float *a = tl_aligned_alloc (nn * sizeof (float));
  float *b = tl_aligned_alloc (nn * sizeof (float));
  float *c = tl_aligned_alloc (nn * sizeof (float));
  double times[64], best;
  int reps = CLAMP (opt_runs, 3, 64);
  TlRng rng;

  tl_rng_init (&rng, 7);
  for (gsize i = 0; i < nn; i++)
    {
      a[i] = tl_rng_uniform_range (&rng, -1, 1);
      b[i] = tl_rng_uniform_range (&rng, -1, 1);
    }
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
  for (int r = 0; r < reps; r++)
    {
      double t0 = now ();
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
      times[r] = now () - t0;
    }
  best = times[0];
  for (int r = 1; r < reps; r++)
    best = MIN (best, times[r]);
  json_num ("size", n);
  json_nums ("times", times, reps);
  json_num ("gflops", 2.0 * n * nn / best / 1e9);
  json_num ("gflops_median", 2.0 * n * nn / median (times, reps) / 1e9);
#ifdef TL_BENCH_OPENBLAS
  json_num ("threads", openblas_get_num_threads ());
  json_str ("core", openblas_get_corename ());
  {
    /* one thread timed by its own CPU clock: what a core gives when it is not shared */
    int threads = openblas_get_num_threads ();
    struct timespec t0, t1;
    double cpu_best = G_MAXDOUBLE;

    openblas_set_num_threads (1);
    for (int r = 0; r < 3; r++)
      {
        clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t0);
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t1);
        cpu_best = MIN (cpu_best, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
      }
    openblas_set_num_threads (threads);
    json_num ("gflops_per_core_cpu", 2.0 * n * nn / cpu_best / 1e9);
  }
#endif
  tl_aligned_free (a);
  tl_aligned_free (b);
  tl_aligned_free (c);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const char *cmd;
  gboolean ok;

  /* as the application does: the benchmark measures the kernels it runs with */
  tl_gemm_restart_with_preferred_kernels (argv);
  context = g_option_context_new ("CASE — sgemm | describe | prepare-text | mlp | cnn | lstm | finetune | "
                                  "infer-mlp | infer-cnn | infer-lstm | infer-model | tokenize");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      fprintf (stderr, "%s\n", error ? error->message : "give one case; see --help");
      return 2;
    }
  if (opt_fmnist == NULL)
    opt_fmnist = g_strdup ("/usr/share/datasets/fashion-mnist");
  if (opt_shared == NULL)
    opt_shared = g_strdup ("../shared/data");
  cmd = argv[1];

  json_out = g_string_new ("{");
  json_str ("case", cmd);
  json_str ("side", "ours");
  if (g_str_equal (cmd, "sgemm"))
    ok = cmd_sgemm (&error);
  else if (g_str_equal (cmd, "prepare-text"))
    ok = cmd_prepare_text (&error);
  else if (g_str_equal (cmd, "mlp") || g_str_equal (cmd, "cnn") || g_str_equal (cmd, "lstm"))
    ok = cmd_train (cmd, &error);
  else if (g_str_equal (cmd, "finetune"))
    ok = cmd_finetune (&error);
  else if (g_str_equal (cmd, "infer-model"))
    ok = cmd_infer_model (&error);
  else if (g_str_has_prefix (cmd, "infer-"))
    ok = cmd_infer (cmd + 6, &error);
  else if (g_str_equal (cmd, "describe"))
    ok = cmd_describe (&error);
  else if (g_str_equal (cmd, "tokenize"))
    ok = cmd_tokenize (&error);
  else
    {
      fprintf (stderr, "unknown case \"%s\"\n", cmd);
      return 2;
    }
  if (!ok)
    {
      fprintf (stderr, "tl-bench %s: %s\n", cmd, error->message);
      return 1;
    }
  if (!g_str_equal (cmd, "sgemm"))
    json_num ("threads", tl_parallel_n_threads ());
  g_string_append (json_out, "}\n");
  fputs (json_out->str, stdout);
  g_string_free (json_out, TRUE);
  return 0;
}
