#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-explain-spectrogram.h"
#include "tl-explain.h"
#include "tl-import.h"
#include "tl-model.h"
#include "tl-rng.h"
#include "tl-split.h"
#include "tl-trainer.h"

/* Explanations over spectrograms [1, bands, frames]: a model that listens to one
 * band and time span only; on real spoken digits, integrated gradients sum to
 * the change of the probability and masking the most important regions first
 * lowers the class's probability faster than masking them in random order. */

#define BANDS  16
#define FRAMES 24

/* Flatten - Dense 2: class 1 depends on bands 10..12 in frames 6..9 alone. */
static TlModel *
listening_model (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (3, (int[]) { 1, BANDS, FRAMES }, 5);
  TlLayerSpec flatten = { .kind = TL_LAYER_FLATTEN };
  TlLayerSpec dense = { .kind = TL_LAYER_DENSE, .units = 2 };
  TlTensor *w;

  g_assert_true (tl_model_add (model, &flatten, NULL, &error));
  g_assert_true (tl_model_add (model, &dense, NULL, &error));
  g_assert_no_error (error);
  w = tl_model_layer (model, 1)->params[0].value;   /* [2, bands * frames] */
  tl_tensor_zero (w);
  tl_tensor_zero (tl_model_layer (model, 1)->params[1].value);
  for (int b = 10; b <= 12; b++)
    for (int t = 6; t <= 9; t++)
      w->data[BANDS * FRAMES + b * FRAMES + t] = 0.2f;
  return model;
}

static gboolean
in_region (int b, int t)
{
  return b >= 10 && b <= 12 && t >= 6 && t <= 9;
}

static void
test_known_band (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = listening_model ();
  g_autoptr (TlSpectrogramExplanation) e = NULL;
  g_autoptr (GArray) tiles = NULL;
  TlSpectrogramExplainOptions o;
  float x[BANDS * FRAMES], probs[2];
  const TlSpectrogramTile *top;
  int best = 0;
  double total = 0;

  for (int i = 0; i < BANDS * FRAMES; i++)
    x[i] = 1.0f + 0.1f * (float) sin (i);
  g_assert_cmpint (tl_explain_predict (model, x, probs), ==, 1);
  tl_spectrogram_explain_options_init (&o);
  o.band_patch = 2;
  o.frame_patch = 3;
  o.steps = 32;
  e = tl_explain_spectrogram (model, x, 1, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpint (e->bands, ==, BANDS);
  g_assert_cmpint (e->frames, ==, FRAMES);
  g_assert_cmpfloat_with_epsilon (e->probability, probs[1], 1e-6);
  for (int i = 1; i < BANDS * FRAMES; i++)
    if (e->occlusion[i] > e->occlusion[best])
      best = i;
  g_test_message ("occlusion peaks at band %d, frame %d: %.4f", best / FRAMES, best % FRAMES, e->occlusion[best]);
  /* the map peaks where the model listens, and masks that never touch that region change nothing */
  g_assert_true (in_region (best / FRAMES, best % FRAMES));
  g_assert_cmpfloat (e->occlusion[best], >, 0.05);
  for (int b = 0; b < BANDS; b++)
    for (int t = 0; t < FRAMES; t++)
      {
        gsize at = (gsize) b * FRAMES + t;
        if (b < 8 || b > 14 || t < 3 || t > 12)
          g_assert_cmpfloat (fabs (e->occlusion[at]), <, 1e-7);
        if (!in_region (b, t))
          g_assert_cmpfloat (fabs (e->gradients[at]), <, 1e-7);
        else
          g_assert_cmpfloat (e->gradients[at], >, 0);
        total += e->gradients[at];
      }
  g_assert_cmpfloat (fabs (total - e->gradient_sum), <, 1e-4);
  g_assert_cmpfloat (fabs (e->gradient_sum - e->difference), <=, 0.01 * fabs (e->difference));

  /* the most important tile overlaps the region; tiles come sorted and cover the spectrogram */
  tiles = tl_spectrogram_explanation_tiles (e);
  g_assert_cmpuint (tiles->len, ==, (BANDS / 2) * (FRAMES / 3));
  top = &g_array_index (tiles, TlSpectrogramTile, 0);
  g_assert_true (top->band0 <= 12 && top->band1 > 10 && top->frame0 <= 9 && top->frame1 > 6);
  for (guint i = 1; i < tiles->len; i++)
    g_assert_cmpfloat (g_array_index (tiles, TlSpectrogramTile, i - 1).occlusion, >=,
                       g_array_index (tiles, TlSpectrogramTile, i).occlusion);

  /* masks filled with another value: the same region, the filling given */
  {
    g_autoptr (TlSpectrogramExplanation) filled = NULL;
    float fill[BANDS * FRAMES];

    for (int i = 0; i < BANDS * FRAMES; i++)
      fill[i] = -1.0f;
    o.fill = fill;
    o.steps = 0;
    filled = tl_explain_spectrogram (model, x, 1, &o, &error);
    g_assert_no_error (error);
    g_assert_null (filled->gradients);
    g_assert_cmpfloat (filled->occlusion[11 * FRAMES + 7], >, e->occlusion[11 * FRAMES + 7]);
  }
}

static void
test_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) flat = tl_model_new (1, (int[]) { 8 }, 1);
  g_autoptr (TlModel) model = listening_model ();
  TlLayerSpec dense = { .kind = TL_LAYER_DENSE, .units = 2 };
  TlSpectrogramExplainOptions o;
  float x[BANDS * FRAMES] = { 0 };

  g_assert_true (tl_model_add (flat, &dense, NULL, &error));
  g_assert_null (tl_explain_spectrogram (flat, x, 0, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_null (tl_explain_spectrogram (model, x, 2, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "class 2"));
  g_clear_error (&error);
  tl_spectrogram_explain_options_init (&o);
  o.frame_patch = 0;
  g_assert_null (tl_explain_spectrogram (model, x, 0, &o, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
}

/* Class target's probability after masking the first `k` tiles of order, for k = 0 .. n. */
static double
deletion_area (TlModel *model, const float *x, const float *fill, int target, const TlSpectrogramTile *tiles,
               const int *order, int n, int frames)
{
  g_autofree float *masked = g_memdup2 (x, sizeof (float) * (gsize) model->in_shape[1] * frames);
  g_autofree float *probs = g_new (float, tl_model_n_outputs (model));
  double area = 0;

  for (int k = 0; k <= n; k++)
    {
      tl_explain_predict (model, masked, probs);
      area += (k == 0 || k == n ? 0.5 : 1.0) * probs[target];
      if (k == n)
        break;
      for (int b = tiles[order[k]].band0; b < tiles[order[k]].band1; b++)
        for (int t = tiles[order[k]].frame0; t < tiles[order[k]].frame1; t++)
          masked[b * frames + t] = fill[b * frames + t];
    }
  return area / n;
}

static void
test_deletion_on_spoken_digits (void)
{
  const char *shared = g_getenv ("TL_SHARED_DATA");
  g_autofree char *folder = NULL;
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlSplit) split = NULL;
  g_autoptr (TlDataset) full = NULL;
  g_autoptr (TlDataset) train = NULL;
  g_autoptr (TlDataset) test = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlHistory) history = tl_history_new ();
  TlTrainConfig config;
  TlRng rng;
  double sum_ranked = 0, sum_random = 0;
  int n_explained = 0, n_faster = 0;

  if (shared == NULL)
    shared = "../shared/data";
  folder = g_build_filename (shared, "spoken-digits", "george", NULL);
  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("no spoken digits in TL_SHARED_DATA");
      return;
    }
  import = tl_import_run (folder, NULL, &error);
  g_assert_no_error (error);
  split = tl_dataset_split (import->dataset, 0.0, 0.2, 3, &error);
  g_assert_no_error (error);
  tl_split_apply (split, import->dataset, &full, NULL, &test);
  /* 30 recordings of each digit train it well enough in a few seconds */
  train = tl_dataset_sample_per_class (full, 30, 3, &error);
  g_assert_no_error (error);
  model = tl_model_new_preset (TL_PRESET_AUDIO_CNN, train->sample_ndim, train->sample_shape, train->n_classes, 0, 3,
                               &error);
  g_assert_no_error (error);
  tl_train_config_init (&config);
  config.epochs = 5;
  config.seed = 3;
  g_assert_true (tl_train (model, train, NULL, &config, NULL, history, &error));
  g_assert_no_error (error);

  tl_rng_init (&rng, 17);
  /* every seventh test recording, so that several digits are explained */
  for (int k = 0; k < test->n && n_explained < 6; k++)
    {
      int row = (k * 7) % test->n;
      const float *x = test->x + (gsize) row * test->sample_size;
      int bands = test->sample_shape[1], frames = test->sample_shape[2];
      g_autofree float *probs = g_new (float, test->n_classes);
      g_autofree float *fill = NULL;
      g_autofree int *order = NULL;
      g_autoptr (TlSpectrogramExplanation) e = NULL;
      g_autoptr (GArray) tiles = NULL;
      TlSpectrogramExplainOptions o;
      double ranked, random = 0;
      int n;

      if (tl_explain_predict (model, x, probs) != test->y[row])
        continue;
      fill = tl_spectrogram_mask_fill (import->preprocess, x, bands, frames);
      tl_spectrogram_explain_options_init (&o);
      o.steps = n_explained < 2 ? 32 : 0;
      o.fill = fill;
      e = tl_explain_spectrogram (model, x, test->y[row], &o, &error);
      g_assert_no_error (error);
      if (e->gradients != NULL)
        {
          /* integrated gradients from the masks' filling sum to the change of the probability */
          g_test_message ("test row %d: gradients sum %.6f, F(x) - F(fill) %.6f (%.3f%%)", row, e->gradient_sum,
                          e->difference, 100.0 * fabs (e->gradient_sum - e->difference) / fabs (e->difference));
          g_assert_cmpfloat (fabs (e->difference), >, 0.05);
          g_assert_cmpfloat (fabs (e->gradient_sum - e->difference), <=, 0.01 * fabs (e->difference));
        }
      tiles = tl_spectrogram_explanation_tiles (e);
      n = (int) tiles->len;
      order = g_new (int, n);
      for (int i = 0; i < n; i++)
        order[i] = i;
      ranked = deletion_area (model, x, fill, e->target, (TlSpectrogramTile *) tiles->data, order, n, frames);
      for (int r = 0; r < 3; r++)
        {
          for (int i = n - 1; i > 0; i--)
            {
              int j = (int) tl_rng_uniform_range (&rng, 0, i + 1), t;
              j = MIN (j, i);
              t = order[i], order[i] = order[j], order[j] = t;
            }
          random += deletion_area (model, x, fill, e->target, (TlSpectrogramTile *) tiles->data, order, n, frames) / 3;
        }
      g_test_message ("test row %d (%s, p %.3f): deletion area %.3f most important first, %.3f random", row,
                      test->class_names[test->y[row]], e->probability, ranked, random);
      sum_ranked += ranked;
      sum_random += random;
      n_faster += ranked < random;
      n_explained++;
    }
  g_test_message ("mean deletion area over %d recordings: %.3f ranked, %.3f random; ranked lower on %d", n_explained,
                  sum_ranked / n_explained, sum_random / n_explained, n_faster);
  g_assert_cmpint (n_explained, ==, 6);
  g_assert_cmpfloat (sum_ranked, <, 0.8 * sum_random);
  g_assert_cmpint (n_faster, >=, 5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/explain-audio/known-band", test_known_band);
  g_test_add_func ("/explain-audio/errors", test_errors);
  g_test_add_func ("/explain-audio/deletion-spoken-digits", test_deletion_on_spoken_digits);
  return g_test_run ();
}
