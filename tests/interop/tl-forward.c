#include "config.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl-architecture.h"
#include "tl-loss.h"
#include "tl-model-file.h"
#include "tl-model.h"
#include "tl-onnx.h"

/* Runs a model file on inputs and writes its class probabilities, for the
 * interoperability tests.
 *   tl-forward MODEL INPUT.f32 OUTPUT.f32 [ONNX]
 * With TL_FORWARD_LOGITS in the environment, OUTPUT.f32 receives the last
 * layer's outputs instead of probabilities.
 * INPUT.f32 holds float32 little-endian samples of the model's input shape
 * (token ids as floats for text models); OUTPUT.f32 receives float32
 * [samples, classes]. With ONNX, the model is also exported there.
 * Prints {"samples": N, "classes": C} on success.
 *   tl-forward --preset NAME CLASSES VOCAB SEED OUT.safetensors DIM...
 * writes a fresh preset model for inputs of shape DIM... instead.
 *   tl-forward --arch ARCH.json SEED OUT.safetensors
 * writes a fresh model of that architecture. */

#define CHUNK 256

static int
write_preset (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = NULL;
  int shape[TL_MAX_DIMS];
  int ndim = argc - 7;
  TlPreset preset;

  if (ndim < 1 || ndim >= TL_MAX_DIMS || !tl_preset_from_name (argv[2], &preset))
    {
      fprintf (stderr, "usage: tl-forward --preset NAME CLASSES VOCAB SEED OUT DIM...\n");
      return 2;
    }
  for (int i = 0; i < ndim; i++)
    shape[i] = atoi (argv[7 + i]);
  model = tl_model_new_preset (preset, ndim, shape, atoi (argv[3]), atoi (argv[4]),
                               g_ascii_strtoull (argv[5], NULL, 10), &error);
  if (model == NULL || !tl_model_file_save (argv[6], model, NULL, &error))
    {
      fprintf (stderr, "tl-forward: %s\n", error->message);
      return 1;
    }
  return 0;
}

static int
write_architecture (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (TlArchitecture) arch = NULL;
  g_autoptr (TlModel) model = NULL;

  if (argc != 5)
    {
      fprintf (stderr, "usage: tl-forward --arch ARCH.json SEED OUT\n");
      return 2;
    }
  if (!json_parser_load_from_file (parser, argv[2], &error) ||
      !(arch = tl_architecture_from_json (json_parser_get_root (parser), &error)) ||
      !(model = tl_architecture_build (arch, g_ascii_strtoull (argv[3], NULL, 10), 0, &error)) ||
      !tl_model_file_save (argv[4], model, NULL, &error))
    {
      fprintf (stderr, "tl-forward: %s\n", error->message);
      return 1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlTensor) batch = tl_tensor_new_empty ();
  g_autoptr (TlTensor) probs = tl_tensor_new_empty ();
  g_autofree char *raw = NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gsize len, sample, n;
  gboolean ends_softmax, raw_outputs;
  int classes;

  if (argc > 1 && g_str_equal (argv[1], "--preset"))
    return write_preset (argc, argv);
  if (argc > 1 && g_str_equal (argv[1], "--arch"))
    return write_architecture (argc, argv);
  if (argc != 4 && argc != 5)
    {
      fprintf (stderr, "usage: tl-forward MODEL INPUT.f32 OUTPUT.f32 [MODEL.onnx]\n");
      return 2;
    }
  model = tl_model_file_load (argv[1], &info, &error);
  if (model == NULL)
    goto fail;
  if (argc == 5 && !tl_onnx_export (model, (const char *const *) info->labels, info->preprocessing,
                                    argv[4], &error))
    goto fail;
  if (!g_file_get_contents (argv[2], &raw, &len, &error))
    goto fail;
  sample = tl_shape_size (model->in_ndim, model->in_shape);
  if (len % (sample * sizeof (float)) != 0)
    {
      fprintf (stderr, "tl-forward: %s: %" G_GSIZE_FORMAT " bytes is not a whole number of samples of %"
               G_GSIZE_FORMAT " floats\n", argv[2], len, sample);
      return 1;
    }
  n = len / (sample * sizeof (float));
  classes = tl_model_n_outputs (model);
  /* TL_FORWARD_LOGITS set: the last layer's outputs as they are */
  raw_outputs = g_getenv ("TL_FORWARD_LOGITS") != NULL;
  ends_softmax = tl_model_layer (model, tl_model_n_layers (model) - 1)->spec.kind == TL_LAYER_SOFTMAX;

  for (gsize first = 0; first < n; first += CHUNK)
    {
      int count = (int) MIN ((gsize) CHUNK, n - first);
      const TlTensor *y;

      tl_tensor_resize_batch (batch, count, model->in_ndim, model->in_shape);
      memcpy (batch->data, raw + first * sample * sizeof (float), (gsize) count * sample * sizeof (float));
      y = tl_model_forward (model, batch, FALSE);
      if (ends_softmax || raw_outputs)
        tl_tensor_copy_into (probs, y);
      else
        tl_softmax_rows (y, probs);
      g_byte_array_append (out, (const guint8 *) probs->data, (guint) (probs->size * sizeof (float)));
    }
  if (!g_file_set_contents (argv[3], (const char *) out->data, out->len, &error))
    goto fail;
  printf ("{\"samples\": %" G_GSIZE_FORMAT ", \"classes\": %d}\n", n, classes);
  return 0;

fail:
  fprintf (stderr, "tl-forward: %s\n", error->message);
  return 1;
}
