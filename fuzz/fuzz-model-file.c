#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include <math.h>

#include "fuzz-common.h"
#include "tl-error.h"
#include "tl-model-file.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Largest per-sample activation the forward check runs; a model file may
 * legitimately describe bigger ones, which only cost time here. */
#define FORWARD_MAX_FLOATS (1 << 20)

static guint64
shape_size (int ndim, const int *shape)
{
  guint64 n = 1;

  for (int d = 0; d < ndim; d++)
    {
      if (shape[d] <= 0)
        abort ();
      n *= (guint64) shape[d];
      if (n > G_MAXUINT32)
        return G_MAXUINT64;
    }
  return n;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *path = NULL;
  g_autoptr (TlModelInfo) header = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) load_error = NULL;
  g_autoptr (TlTensor) input = NULL;
  int shape[TL_MAX_DIMS + 1];
  gboolean small;

  tl_fuzz_init ();
  path = tl_fuzz_write ("model.safetensors", data, size);

  header = tl_model_file_read_header (path, &error);
  tl_fuzz_check_error (header != NULL, error);
  model = tl_model_file_load (path, &info, &load_error);
  tl_fuzz_check_error (model != NULL, load_error);
  if (model == NULL)
    return 0;
  if (header == NULL)
    abort ();

  /* A model that loads must run: one batch of two zero samples. */
  small = shape_size (model->in_ndim, model->in_shape) <= FORWARD_MAX_FLOATS;
  for (int i = 0; small && i < tl_model_n_layers (model); i++)
    {
      TlLayer *layer = tl_model_layer (model, i);
      small = shape_size (layer->out_ndim, layer->out_shape) <= FORWARD_MAX_FLOATS;
    }
  if (!small)
    return 0;
  shape[0] = 2;
  for (int d = 0; d < model->in_ndim; d++)
    shape[d + 1] = model->in_shape[d];
  input = tl_tensor_new (model->in_ndim + 1, shape);
  {
    const TlTensor *out = tl_model_forward (model, input, FALSE);

    if (out == NULL || out->size != 2 * (gsize) tl_model_n_outputs (model))
      abort ();
  }
  return 0;
}
