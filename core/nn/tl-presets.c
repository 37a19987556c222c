#define G_LOG_DOMAIN "tl-presets"

#include "config.h"

#include "tl-error.h"
#include "tl-model.h"

static const char *preset_names[] = {
  [TL_PRESET_MLP] = "mlp",
  [TL_PRESET_CNN] = "cnn",
  [TL_PRESET_TEXT_LSTM] = "text-lstm",
  [TL_PRESET_TEXT_POOL] = "text-pool",
  [TL_PRESET_TEXT_NGRAM] = "text-ngram",
  [TL_PRESET_AUDIO_CNN] = "audio-cnn",
};

const char *
tl_preset_name (TlPreset preset)
{
  g_return_val_if_fail ((guint) preset < G_N_ELEMENTS (preset_names), "unknown");
  return preset_names[preset];
}

void
tl_preset_training (TlPreset preset, int n_train, TlPresetTraining *t)
{
  *t = (TlPresetTraining) { 10, 32, 1e-3f };
  /* A bag's step costs by the table rows its batch touches, which many texts
   * share: batches four times larger, at three times the rate, reach the same
   * accuracy in fewer epochs and a third of the time (20 Newsgroups: 0.872
   * both ways, bench/text_recipe_notes.md). Smaller sets keep the small
   * batches, which give them enough steps. */
  if (preset == TL_PRESET_TEXT_NGRAM && n_train >= 4096)
    *t = (TlPresetTraining) { 6, 128, 3e-3f };
}

gboolean
tl_preset_from_name (const char *name, TlPreset *preset)
{
  g_return_val_if_fail (name != NULL, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (preset_names); i++)
    if (g_ascii_strcasecmp (name, preset_names[i]) == 0)
      {
        if (preset)
          *preset = (TlPreset) i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
add_layers (TlModel *model, const TlLayerSpec *specs, guint n, GError **error)
{
  for (guint i = 0; i < n; i++)
    if (!tl_model_add (model, &specs[i], NULL, error))
      return FALSE;
  return TRUE;
}

TlModel *
tl_model_new_preset (TlPreset preset, int in_ndim, const int *in_shape, int n_classes,
                     int vocab_size, guint64 seed, GError **error)
{
  g_autoptr (TlModel) model = NULL;
  g_autofree char *shape = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (in_ndim >= 1 && in_ndim < TL_MAX_DIMS && in_shape != NULL, NULL);

  if (n_classes < 2)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "preset %s: a classifier needs at least 2 classes, got %d",
                   tl_preset_name (preset), n_classes);
      return NULL;
    }

  model = tl_model_new (in_ndim, in_shape, seed);
  shape = tl_tensor_shape_string (in_ndim, in_shape);

  switch (preset)
    {
    case TL_PRESET_MLP:
      {
        const TlLayerSpec specs[] = {
          { .kind = TL_LAYER_FLATTEN },
          { .kind = TL_LAYER_DENSE, .units = 256 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_DENSE, .units = 128 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_DENSE, .units = n_classes },
        };
        ok = add_layers (model, specs, G_N_ELEMENTS (specs), error);
        break;
      }
    case TL_PRESET_CNN:
      {
        const TlLayerSpec specs[] = {
          { .kind = TL_LAYER_CONV2D, .filters = 32, .kernel = 3, .stride = 1, .padding = 0 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
          { .kind = TL_LAYER_CONV2D, .filters = 64, .kernel = 3, .stride = 1, .padding = 0 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
          { .kind = TL_LAYER_FLATTEN },
          { .kind = TL_LAYER_DENSE, .units = 128 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_DENSE, .units = n_classes },
        };
        if (in_ndim != 3)
          {
            g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                         "preset cnn needs images [channels, height, width], got samples of shape %s",
                         shape);
            return NULL;
          }
        ok = add_layers (model, specs, G_N_ELEMENTS (specs), error);
        break;
      }
    case TL_PRESET_TEXT_LSTM:
    case TL_PRESET_TEXT_POOL:
      {
        const TlLayerSpec lstm[] = {
          { .kind = TL_LAYER_EMBEDDING, .vocab_size = vocab_size, .embed_dim = 128 },
          { .kind = TL_LAYER_LSTM, .units = 64 },
          { .kind = TL_LAYER_DENSE, .units = n_classes },
        };
        const TlLayerSpec pool[] = {
          { .kind = TL_LAYER_EMBEDDING, .vocab_size = vocab_size, .embed_dim = 64 },
          { .kind = TL_LAYER_GLOBAL_AVG_POOL1D },
          { .kind = TL_LAYER_DENSE, .units = 64 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_DENSE, .units = n_classes },
        };
        if (in_ndim != 1)
          {
            g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                         "preset %s needs token sequences [steps], got samples of shape %s",
                         tl_preset_name (preset), shape);
            return NULL;
          }
        if (vocab_size < 2)
          {
            g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                         "preset %s needs a vocabulary of at least 2 tokens (0 is padding), got %d",
                         tl_preset_name (preset), vocab_size);
            return NULL;
          }
        if (preset == TL_PRESET_TEXT_LSTM)
          ok = add_layers (model, lstm, G_N_ELEMENTS (lstm), error);
        else
          ok = add_layers (model, pool, G_N_ELEMENTS (pool), error);
        break;
      }
    case TL_PRESET_TEXT_NGRAM:
      {
        const TlLayerSpec bag[] = {
          { .kind = TL_LAYER_EMBEDDING_BAG, .vocab_size = vocab_size, .embed_dim = TL_PRESET_NGRAM_DIM },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_DROPOUT, .rate = 0.5f },
          { .kind = TL_LAYER_DENSE, .units = n_classes },
        };
        if (in_ndim != 2 || in_shape[0] != 2)
          {
            g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                         "preset text-ngram needs n-gram bags [2, terms], got samples of shape %s; "
                         "import the text with n-gram features", shape);
            return NULL;
          }
        if (vocab_size < 2)
          {
            g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                         "preset text-ngram needs a vocabulary of at least 2 terms, got %d", vocab_size);
            return NULL;
          }
        ok = add_layers (model, bag, G_N_ELEMENTS (bag), error);
        break;
      }
    case TL_PRESET_AUDIO_CNN:
      {
        const TlLayerSpec specs[] = {
          { .kind = TL_LAYER_CONV2D, .filters = 32, .kernel = 3, .stride = 1, .padding = 1 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
          { .kind = TL_LAYER_CONV2D, .filters = 64, .kernel = 3, .stride = 1, .padding = 1 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
          { .kind = TL_LAYER_CONV2D, .filters = 64, .kernel = 3, .stride = 1, .padding = 1 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
          { .kind = TL_LAYER_FLATTEN },
          { .kind = TL_LAYER_DENSE, .units = 128 },
          { .kind = TL_LAYER_RELU },
          { .kind = TL_LAYER_DROPOUT, .rate = 0.3f },
          { .kind = TL_LAYER_DENSE, .units = n_classes },
        };
        if (in_ndim != 3 || in_shape[1] < 8 || in_shape[2] < 8)
          {
            g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                         "preset audio-cnn needs spectrograms [1, bands, frames] of at least 8 x 8, "
                         "got samples of shape %s", shape);
            return NULL;
          }
        ok = add_layers (model, specs, G_N_ELEMENTS (specs), error);
        break;
      }
    default:
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, "unknown preset %d", preset);
      return NULL;
    }

  if (!ok)
    {
      g_prefix_error (error, "preset %s: ", tl_preset_name (preset));
      return NULL;
    }
  return g_steal_pointer (&model);
}
