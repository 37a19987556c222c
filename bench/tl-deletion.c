/* The deletion test of explanation faithfulness (Petsiuk, Das and Saenko,
 * "RISE", BMVC 2018): remove an input's parts most important first by an
 * explanation, and the predicted class's probability should fall faster than
 * when the same parts go in random order. Per sample, the area under the
 * probability curve (over the fraction removed, 0 to 1) is compared with the
 * mean over random orders; reported: the fraction of samples whose
 * explanation's area is lower, for each explanation method.
 *
 *   tl-deletion MODEL DATA [--rows N] [--seed S] [--random R] [--json FILE]
 *
 * Images: pixels are set to 0 (the explanations' own baseline: occlusion
 * squares are 0, integrated gradients start from 0), in 100 steps. n-gram bags
 * [2, K]: a term's weight is set to 0, one term per step up to 100 steps.
 * Spectrograms of an audio model [1, bands, frames]: tiles of 8 mel bands x 10
 * frames are set to the masks' filling (tl_spectrogram_mask_fill), one per step.
 * Methods: occlusion (4x4 squares moved by 2 for images, leave-one-term-out
 * for text, 8 x 10 masks moved by half for spectrograms, averaged per tile) and
 * integrated gradients (64 steps; summed per tile); and as a control,
 * occlusion's order reversed (least important first), which should rarely beat
 * random. */

#include "config.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tl-explain-spectrogram.h"
#include "tl-explain.h"
#include "tl-import.h"
#include "tl-model-file.h"
#include "tl-preprocess.h"
#include "tl-rng.h"
#include "tl-trainer.h"

#define MAX_STEPS 100

/* The last is a control that must do worse than random: occlusion's order reversed. */
typedef enum { METHOD_OCCLUSION, METHOD_GRADIENTS, METHOD_REVERSED, N_METHODS } Method;
static const char *const method_names[N_METHODS] = { "occlusion", "integrated-gradients",
                                                     "control: occlusion reversed" };

typedef struct {
  TlModel         *model;
  const TlDataset *ds;
  gboolean         bag;       /* [2, K] n-gram bag: positions are the K weights */
  const TlPreprocess *pre;
  gboolean         audio;     /* spectrogram [1, bands, frames]: positions are tiles */
  int              bands, frames, tiles_across;
  const float     *fill;      /* audio: the sample's masked level */
  int              n_positions;
} Bench;

#define TILE_BANDS  8
#define TILE_FRAMES 10

/* Tile k of a spectrogram: its first band and frame, and one past its last. */
static void
tile_bounds (const Bench *b, int k, int *b0, int *b1, int *f0, int *f1)
{
  *b0 = (k / b->tiles_across) * TILE_BANDS;
  *f0 = (k % b->tiles_across) * TILE_FRAMES;
  *b1 = MIN (*b0 + TILE_BANDS, b->bands);
  *f1 = MIN (*f0 + TILE_FRAMES, b->frames);
}

/* The positions that can be removed: every pixel, or the bag's filled slots. */
static int
removable (const Bench *b, const float *x, int *positions)
{
  int n = 0;

  for (int k = 0; k < b->n_positions; k++)
    if (!b->bag || x[b->n_positions + k] != 0.0f)
      positions[n++] = k;
  return n;
}

static void
remove_position (const Bench *b, float *x, int k)
{
  if (b->audio)
    {
      int b0, b1, f0, f1;

      tile_bounds (b, k, &b0, &b1, &f0, &f1);
      for (int i = b0; i < b1; i++)
        for (int j = f0; j < f1; j++)
          x[i * b->frames + j] = b->fill[i * b->frames + j];
      return;
    }
  x[b->bag ? b->n_positions + k : k] = 0.0f;
}

/* Audio: one score per tile, the occlusion map's mean or the gradients' sum over it. */
static float *
tile_scores (const Bench *b, const float *x, int target, Method m, GError **error)
{
  g_autoptr (TlSpectrogramExplanation) e = NULL;
  TlSpectrogramExplainOptions o;
  float *s;

  tl_spectrogram_explain_options_init (&o);
  o.band_patch = TILE_BANDS;
  o.frame_patch = TILE_FRAMES;
  o.steps = m == METHOD_GRADIENTS ? 64 : 0;
  o.fill = b->fill;
  if ((e = tl_explain_spectrogram (b->model, x, target, &o, error)) == NULL)
    return NULL;
  s = g_new0 (float, b->n_positions);
  for (int k = 0; k < b->n_positions; k++)
    {
      int b0, b1, f0, f1;

      tile_bounds (b, k, &b0, &b1, &f0, &f1);
      for (int i = b0; i < b1; i++)
        for (int j = f0; j < f1; j++)
          s[k] += m == METHOD_GRADIENTS ? e->gradients[i * b->frames + j] : e->occlusion[i * b->frames + j];
      if (m != METHOD_GRADIENTS)
        s[k] /= (b1 - b0) * (f1 - f0);
    }
  return s;
}

/* One score per position, higher first to remove. */
static float *
scores (const Bench *b, const float *x, int target, Method m, GError **error)
{
  float *s = NULL;

  if (b->audio)
    return tile_scores (b, x, target, m, error);
  if (b->bag)
    {
      if (m == METHOD_OCCLUSION)
        {
          int n = 0;
          s = tl_explain_occlusion_terms (b->model, x, target, &n, error);
        }
      else
        {
          g_autofree float *base = g_memdup2 (x, sizeof (float) * 2 * b->n_positions);
          g_autofree float *attr = NULL;

          memset (base + b->n_positions, 0, sizeof (float) * b->n_positions);
          attr = tl_explain_integrated_gradients (b->model, x, base, target, 64, NULL, error);
          if (attr != NULL)
            s = g_memdup2 (attr + b->n_positions, sizeof (float) * b->n_positions);
        }
      return s;
    }
  if (m == METHOD_OCCLUSION)
    {
      TlTensor *heat = tl_explain_occlusion_image (b->model, x, target, 4, 2, error);
      if (heat != NULL)
        {
          s = g_memdup2 (heat->data, sizeof (float) * b->n_positions);
          tl_tensor_free (heat);
        }
      return s;
    }
  {
    g_autofree float *attr = tl_explain_integrated_gradients (b->model, x, NULL, target, 64, NULL, error);
    int channels = (int) (b->ds->sample_size / b->n_positions);

    if (attr == NULL)
      return NULL;
    s = g_new0 (float, b->n_positions);
    for (int c = 0; c < channels; c++)
      for (int k = 0; k < b->n_positions; k++)
        s[k] += attr[(gsize) c * b->n_positions + k];
    return s;
  }
}

static const float *sort_scores;

static int
by_score (gconstpointer pa, gconstpointer pb)
{
  float a = sort_scores[*(const int *) pa], b = sort_scores[*(const int *) pb];
  return a > b ? -1 : a < b ? 1 : *(const int *) pa - *(const int *) pb;
}

/* Area under the target's probability as the positions go in `order`, over the fraction removed. */
static double
deletion_auc (const Bench *b, const float *x, const int *order, int n, int target)
{
  int steps = MIN (n, MAX_STEPS), done = 0;
  g_autoptr (TlDataset) batch = tl_dataset_new (b->ds->kind, steps + 1, b->ds->sample_ndim, b->ds->sample_shape,
                                                b->ds->n_classes, (const char *const *) b->ds->class_names);
  g_autofree float *cur = g_memdup2 (x, sizeof (float) * b->ds->sample_size);
  g_autoptr (TlTensor) probs = NULL;
  int n_classes = tl_model_n_outputs (b->model);
  double area = 0;

  for (int s = 0; s <= steps; s++)
    {
      int until = (int) ((gint64) n * s / steps);
      for (; done < until; done++)
        remove_position (b, cur, order[done]);
      memcpy (batch->x + (gsize) s * b->ds->sample_size, cur, sizeof (float) * b->ds->sample_size);
      batch->y[s] = 0;
    }
  probs = tl_predict (b->model, batch, 128);
  for (int s = 0; s < steps; s++)
    area += 0.5 * (probs->data[(gsize) s * n_classes + target] + probs->data[(gsize) (s + 1) * n_classes + target])
            / steps;
  return area;
}

int
main (int argc, char **argv)
{
  int rows = 200, n_random = 3;
  gint64 seed = 1;
  g_autofree char *json_path = NULL;
  GOptionEntry entries[] = {
    { "rows", 0, 0, G_OPTION_ARG_INT, &rows, "Samples to test (default 200)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the sample and the random orders", "S" },
    { "random", 0, 0, G_OPTION_ARG_INT, &n_random, "Random orders per sample (default 3)", "R" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Write the results as JSON", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("MODEL DATA — the deletion test of explanations");
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlPreprocess) pre = NULL;
  g_autoptr (TlImportSettings) settings = tl_import_settings_new ();
  g_autoptr (TlDataset) ds = NULL;
  g_autofree int *picked = NULL;
  g_autofree float *probs = NULL;
  g_autoptr (GString) json = g_string_new ("");
  int lower[N_METHODS] = { 0 }, tested = 0;
  double sum_auc[N_METHODS] = { 0 }, sum_random = 0;
  Bench b = { 0 };
  TlRng rng;
  gint64 started = g_get_monotonic_time ();

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 3 || rows < 1 || n_random < 1)
    {
      fprintf (stderr, "tl-deletion: %s\n", error != NULL ? error->message : "give MODEL and DATA");
      return 2;
    }
  model = tl_model_file_load (argv[1], &info, &error);
  if (model == NULL || info->preprocessing == NULL
      || (pre = tl_preprocess_from_json (info->preprocessing, &error)) == NULL
      || (ds = tl_import_apply (argv[2], settings, pre, &error)) == NULL)
    {
      fprintf (stderr, "tl-deletion: %s\n", error != NULL ? error->message : "the model has no preprocessing");
      return 1;
    }
  b.model = model;
  b.ds = ds;
  b.bag = tl_model_layer (model, 0)->spec.kind == TL_LAYER_EMBEDDING_BAG;
  b.pre = pre;
  b.audio = tl_explain_takes_spectrograms (model, pre);
  if (b.audio)
    {
      b.bands = ds->sample_shape[1];
      b.frames = ds->sample_shape[2];
      b.tiles_across = (b.frames + TILE_FRAMES - 1) / TILE_FRAMES;
      b.n_positions = ((b.bands + TILE_BANDS - 1) / TILE_BANDS) * b.tiles_across;
    }
  else if (b.bag)
    b.n_positions = (int) (ds->sample_size / 2);
  else if (ds->sample_ndim == 3)
    b.n_positions = ds->sample_shape[1] * ds->sample_shape[2];
  else
    {
      fprintf (stderr, "tl-deletion: %s: images [C, H, W], spectrograms or n-gram bags only\n", argv[2]);
      return 1;
    }

  /* a seeded sample of rows */
  picked = g_new (int, ds->n);
  for (int i = 0; i < ds->n; i++)
    picked[i] = i;
  tl_rng_init (&rng, (guint64) seed);
  tl_rng_shuffle (&rng, picked, ds->n);
  rows = MIN (rows, ds->n);
  probs = g_new (float, tl_model_n_outputs (model));

  for (int r = 0; r < rows; r++)
    {
      const float *x = ds->x + (gsize) picked[r] * ds->sample_size;
      int target = tl_explain_predict (model, x, probs);
      g_autofree int *positions = g_new (int, b.n_positions);
      g_autofree float *fill = b.audio ? tl_spectrogram_mask_fill (pre, x, b.bands, b.frames) : NULL;
      int n = removable (&b, x, positions);
      double random_auc = 0;

      b.fill = fill;

      if (n < 2)
        continue;
      for (int k = 0; k < n_random; k++)
        {
          g_autofree int *order = g_memdup2 (positions, sizeof (int) * n);
          tl_rng_shuffle (&rng, order, n);
          random_auc += deletion_auc (&b, x, order, n, target) / n_random;
        }
      for (int m = 0; m < N_METHODS; m++)
        {
          g_autofree float *s = scores (&b, x, target, m == METHOD_REVERSED ? METHOD_OCCLUSION : m, &error);
          g_autofree int *order = g_memdup2 (positions, sizeof (int) * n);
          double auc;

          if (s == NULL)
            {
              fprintf (stderr, "tl-deletion: row %d: %s\n", picked[r], error->message);
              return 1;
            }
          if (m == METHOD_REVERSED)
            for (int k = 0; k < b.n_positions; k++)
              s[k] = -s[k];
          sort_scores = s;
          qsort (order, n, sizeof (int), (int (*) (const void *, const void *)) by_score);
          auc = deletion_auc (&b, x, order, n, target);
          sum_auc[m] += auc;
          lower[m] += auc < random_auc;
        }
      sum_random += random_auc;
      tested++;
    }

  printf ("%s on %s: %d samples, %d random orders each, %.1f s\n", argv[1], argv[2], tested, n_random,
          (g_get_monotonic_time () - started) / 1e6);
  printf ("  mean deletion AUC, random order: %.4f\n", sum_random / MAX (tested, 1));
  g_string_append_printf (json, "{\n  \"model\": \"%s\",\n  \"data\": \"%s\",\n  \"samples\": %d,\n"
                          "  \"random_orders\": %d,\n  \"random_auc\": %.5f,\n  \"methods\": {", argv[1], argv[2],
                          tested, n_random, sum_random / MAX (tested, 1));
  for (int m = 0; m < N_METHODS; m++)
    {
      printf ("  %-28s mean AUC %.4f, lower than random on %d of %d samples (%.1f%%)\n", method_names[m],
              sum_auc[m] / MAX (tested, 1), lower[m], tested, 100.0 * lower[m] / MAX (tested, 1));
      g_string_append_printf (json, "%s\n    \"%s\": { \"auc\": %.5f, \"lower_than_random\": %.4f }",
                              m > 0 ? "," : "", method_names[m], sum_auc[m] / MAX (tested, 1),
                              (double) lower[m] / MAX (tested, 1));
    }
  g_string_append (json, "\n  }\n}\n");
  if (json_path != NULL && !g_file_set_contents (json_path, json->str, (gssize) json->len, &error))
    {
      fprintf (stderr, "tl-deletion: %s\n", error->message);
      return 1;
    }
  return 0;
}
