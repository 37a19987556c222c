#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sndfile.h>
#include <string.h>

#include "tl-architecture.h"
#include "tl-checkpoint.h"
#include "tl-idx.h"
#include "tl-model-file.h"
#include "tl-onnx.h"
#include "tl-word-vectors.h"

/* Writes the binary seeds of fuzz/corpus/ (the text seeds are written by hand):
 *   make-seeds CORPUS_FOLDER */

static void
save_model (const char *dir, const char *name, TlArchitecture *arch)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = tl_architecture_build (arch, 7, 0, &error);
  g_autofree char *path = g_build_filename (dir, "model-file", name, NULL);

  g_assert_no_error (error);
  if (!tl_model_file_save (path, model, NULL, &error))
    g_error ("%s: %s", path, error->message);
}

/* A small residual network and a plain stack as ONNX, for the onnx target. */
static void
write_onnx_seeds (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) block = tl_model_new (3, (int[]) { 2, 6, 6 }, 3);
  g_autoptr (TlModel) mlp = tl_model_new (1, (int[]) { 4 }, 3);
  g_autofree char *block_path = g_build_filename (dir, "onnx", "residual.onnx", NULL);
  g_autofree char *mlp_path = g_build_filename (dir, "onnx", "mlp.onnx", NULL);
  const TlLayerSpec conv = { .kind = TL_LAYER_CONV2D, .filters = 2, .kernel = 3, .padding = 1 };
  gboolean ok;

  ok = tl_model_add (block, &conv, "conv1", &error)
       && tl_model_add (block, &(TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, "bn1", &error)
       && tl_model_add (block, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, "relu1", &error)
       && tl_model_add (block, &(TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 3, .stride = 1,
                                                .padding = 1 }, "pool", &error)
       && tl_model_add_joined (block, &(TlLayerSpec) { .kind = TL_LAYER_ADD }, "add", 2, (int[]) { 3, -1 }, &error)
       && tl_model_add_joined (block, &(TlLayerSpec) { .kind = TL_LAYER_CONCAT }, "cat", 2, (int[]) { 4, 0 }, &error)
       && tl_model_add (block, &(TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "gap", &error)
       && tl_model_add (block, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "fc", &error)
       && tl_onnx_export (block, NULL, NULL, block_path, &error)
       && tl_model_add (mlp, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "fc1", &error)
       && tl_model_add (mlp, &(TlLayerSpec) { .kind = TL_LAYER_RELU6 }, "act", &error)
       && tl_model_add (mlp, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "fc2", &error)
       && tl_onnx_export (mlp, NULL, NULL, mlp_path, &error);
  if (!ok)
    g_error ("ONNX seeds: %s", error->message);
}

static void
write_idx (const char *path, int ndim, const int *dims, gboolean gzip)
{
  g_autoptr (GError) error = NULL;
  gsize n = 1;
  g_autofree guint8 *data = NULL;

  for (int d = 0; d < ndim; d++)
    n *= dims[d];
  data = g_malloc (MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    data[i] = (guint8) (ndim == 1 ? i % 3 : i * 37);
  if (!tl_idx_write (path, ndim, dims, data, gzip, &error))
    g_error ("%s: %s", path, error->message);
}

/* A short stereo chirp in the given libsndfile format, for the audio target. */
static void
write_audio (const char *dir, const char *name, int format, int rate, int channels, int frames)
{
  g_autofree char *path = g_build_filename (dir, "audio", name, NULL);
  g_autofree float *buf = g_new (float, (gsize) frames * channels);
  SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
  SNDFILE *f;

  for (int i = 0; i < frames; i++)
    for (int c = 0; c < channels; c++)
      buf[i * channels + c] = (float) (0.5 * sin (0.002 * i * i) / (c + 1));
  f = sf_open (path, SFM_WRITE, &info);
  if (f == NULL)
    g_error ("%s: %s", path, sf_strerror (NULL));
  sf_writef_float (f, buf, frames);
  sf_close (f);
}

/* The IDX target cuts its input in two at the fraction the first byte gives. */
static void
write_idx_pair (const char *dir, const char *name, gboolean gzip)
{
  g_autofree char *images = g_build_filename (dir, "tmp-images", NULL);
  g_autofree char *labels = g_build_filename (dir, "tmp-labels", NULL);
  g_autofree char *path = g_build_filename (dir, "idx", name, NULL);
  g_autofree char *a = NULL, *b = NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gsize na, nb;
  guint8 cut;

  write_idx (images, 3, (int[]) { 3, 4, 4 }, gzip);
  write_idx (labels, 1, (int[]) { 3 }, gzip);
  g_file_get_contents (images, &a, &na, NULL);
  g_file_get_contents (labels, &b, &nb, NULL);
  g_unlink (images);
  g_unlink (labels);
  /* cut = 1 + (size - 1) * byte / 255 must land at 1 + na */
  for (cut = 0; cut < 255 && 1 + (na + nb) * cut / 255 < 1 + na; cut++)
    ;
  g_byte_array_append (out, &cut, 1);
  g_byte_array_append (out, (guint8 *) a, na);
  g_byte_array_append (out, (guint8 *) b, nb);
  g_file_set_contents (path, (char *) out->data, out->len, NULL);
}

int
main (int argc, char **argv)
{
  const char *dir;
  g_autoptr (GError) error = NULL;

  if (argc != 2)
    g_error ("usage: make-seeds CORPUS_FOLDER");
  dir = argv[1];
  write_onnx_seeds (dir);

  {
    g_autoptr (TlArchitecture) arch = tl_architecture_new (1, (int[]) { 4 });
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "fc1", TRUE, 1.0f);
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, TRUE, 1.0f);
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "head", TRUE, 1.0f);
    save_model (dir, "mlp.safetensors", arch);
  }
  {
    g_autoptr (TlArchitecture) arch = tl_architecture_new (3, (int[]) { 1, 6, 6 });
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 2, .kernel = 3, .padding = 1 },
                         "conv1", TRUE, 1.0f);
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, NULL, TRUE, 1.0f);
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, NULL, TRUE, 1.0f);
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "head", TRUE, 1.0f);
    save_model (dir, "cnn.safetensors", arch);
  }
  {
    g_autoptr (TlArchitecture) arch = tl_architecture_new (1, (int[]) { 5 });
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_EMBEDDING, .vocab_size = 6, .embed_dim = 2 },
                         "embed", TRUE, 1.0f);
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_LSTM, .units = 2 }, "lstm", FALSE, 1.0f);
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "head", TRUE, 0.5f);
    save_model (dir, "lstm.safetensors", arch);
  }
  {
    g_autoptr (TlArchitecture) arch = tl_architecture_new (1, (int[]) { 4 });
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_EMBEDDING, .vocab_size = 5, .embed_dim = 2 },
                         "embed", TRUE, 1.0f);
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_GRU, .units = 2 }, "gru", TRUE, 1.0f);
    tl_architecture_add (arch, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "head", TRUE, 1.0f);
    save_model (dir, "gru.safetensors", arch);
  }

  {
    static const char *const words[] = { "the", "Good", "café", "日本" };
    static const float vectors[] = { 1.0f, -0.5f, 0.25f, 0.0f, 2.0f, 1e-3f, -7.0f, 3.5f };
    g_autofree char *path = g_build_filename (dir, "word-vectors", "word2vec.bin", NULL);

    if (!tl_word_vectors_write_binary (path, words, vectors, 4, 2, &error))
      g_error ("%s: %s", path, error->message);
  }
  {
    g_autoptr (TlCheckpoint) ck = tl_checkpoint_new ();
    g_autofree char *path = g_build_filename (dir, "checkpoint", "small.ckpt", NULL);
    const float w[] = { 0.5f, -1.0f, 2.0f };
    const guint64 step[] = { 12 };

    tl_checkpoint_set_f32 (ck, "fc1.weight", w, 3);
    tl_checkpoint_set_u64 (ck, "step", step, 1);
    tl_checkpoint_set_f32 (ck, "empty", NULL, 0);
    if (!tl_checkpoint_save (ck, path, &error))
      g_error ("%s", error->message);
  }

  write_audio (dir, "pcm16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 400);
  write_audio (dir, "float-stereo.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 2, 300);
  write_audio (dir, "ulaw.wav", SF_FORMAT_WAV | SF_FORMAT_ULAW, 11025, 1, 300);
  write_audio (dir, "pcm24.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 22050, 2, 500);
  write_audio (dir, "vorbis.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 8000, 1, 2000);
  write_audio (dir, "aiff.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 8000, 1, 200);
  write_idx_pair (dir, "pair-raw", FALSE);
  write_idx_pair (dir, "pair-gzip", TRUE);
  return 0;
}
