#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include "fuzz-common.h"
#include "tl-error.h"
#include "tl-onnx-import.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Largest per-sample activation the forward check runs. */
#define FORWARD_MAX_FLOATS (1 << 18)

/* An ONNX file: parsed and imported, or refused with a message; an imported
 * model runs a batch of one. */
int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlOnnxFile) file = NULL;
  g_autoptr (TlModel) model = NULL;

  tl_fuzz_init ();
  file = tl_onnx_file_parse ("fuzz.onnx", data, size, &error);
  tl_fuzz_check_error (file != NULL, error);
  if (file == NULL)
    return 0;
  model = tl_onnx_import (file, "fuzz.onnx", &error);
  tl_fuzz_check_error (model != NULL, error);
  if (model == NULL)
    return 0;
  if (tl_model_n_layers (model) < 1)
    abort ();
  {
    gsize largest = tl_shape_size (model->in_ndim, model->in_shape);
    gboolean small = largest <= FORWARD_MAX_FLOATS;

    for (int i = 0; i < tl_model_n_layers (model) && small; i++)
      {
        const TlLayer *layer = tl_model_layer (model, i);
        small = tl_shape_size (layer->out_ndim, layer->out_shape) <= FORWARD_MAX_FLOATS;
      }
    if (small)
      {
        g_autoptr (TlTensor) x = tl_tensor_new_empty ();
        const TlTensor *y;

        tl_tensor_resize_batch (x, 1, model->in_ndim, model->in_shape);
        tl_tensor_fill (x, 0.5f);
        y = tl_model_forward (model, x, FALSE);
        if (y->size != (gsize) tl_model_n_outputs (model))
          abort ();
      }
  }
  return 0;
}
