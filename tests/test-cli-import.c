#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include <cairo.h>

#include "cli-run.h"
#include "tl-image-folder.h"
#include "tl-loss.h"
#include "tl-model-file.h"
#include "tl-onnx.h"
#include "tl-rng.h"

/* `transfer-lab import`: an ONNX network becomes a model file that computes
 * the same, carries its input shape and normalisation, and is listed by
 * inspect; bad files and options are refused with the reason. */

static char *tmpdir;

static char *
path_in (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static TlModel *
residual_model (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *m = tl_model_new (3, (int[]) { 3, 8, 8 }, 5);
  TlRng rng;
  gboolean ok;

  ok = tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1 },
                     "stem", &error)
       && tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, "stem_relu", &error)
       && tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1 },
                        "conv", &error)
       && tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, "bn", &error)
       && tl_model_add_joined (m, &(TlLayerSpec) { .kind = TL_LAYER_ADD }, "residual", 2, (int[]) { 3, 1 }, &error)
       && tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, "out_relu", &error)
       && tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "pool", &error)
       && tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "fc", &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  tl_rng_init (&rng, 2);
  for (int i = 0; i < tl_model_n_layers (m); i++)
    {
      TlLayer *layer = tl_model_layer (m, i);
      for (int b = 0; b < layer->n_buffers; b++)
        for (gsize k = 0; k < layer->buffers[b].value->size; k++)
          layer->buffers[b].value->data[k] = 0.5f + (float) tl_rng_uniform (&rng);
    }
  return m;
}

static void
test_import_round_trip (void)
{
  g_autofree char *onnx = path_in ("net.onnx"), *out = path_in ("net.safetensors");
  g_autoptr (TlModel) model = residual_model ();
  g_autoptr (TlModel) loaded = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlTensor) x = tl_tensor_new_empty ();
  g_autoptr (TlTensor) want = NULL;
  g_autofree char *pre = NULL;
  const TlTensor *got;

  g_assert_true (tl_onnx_export (model, NULL, NULL, onnx, &error));
  g_assert_no_error (error);
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", onnx, "--out", out, "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225");
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "Imported 8 layers"));
  }
  loaded = tl_model_file_load (out, &info, &error);
  g_assert_no_error (error);
  g_assert_true (loaded->graph);
  /* the same layers under the same names: no Flatten added after the pooling, no "_add" after "residual" */
  g_assert_cmpint (tl_model_n_layers (loaded), ==, tl_model_n_layers (model));
  for (int i = 0; i < tl_model_n_layers (model); i++)
    g_assert_cmpstr (tl_model_layer (loaded, i)->name, ==, tl_model_layer (model, i)->name);
  pre = json_to_string (info->preprocessing, FALSE);
  g_assert_nonnull (strstr (pre, "\"kind\":\"image\""));
  g_assert_nonnull (strstr (pre, "\"channels\":3"));
  g_assert_nonnull (strstr (pre, "\"mean\":[0.48"));
  g_assert_nonnull (strstr (pre, "\"std\":[0.22"));

  tl_tensor_resize_batch (x, 2, 3, (int[]) { 3, 8, 8 });
  for (gsize i = 0; i < x->size; i++)
    x->data[i] = sinf ((float) i * 0.37f);
  want = tl_tensor_copy (tl_model_forward (model, x, FALSE));
  got = tl_model_forward (loaded, x, FALSE);
  for (gsize i = 0; i < want->size; i++)
    g_assert_cmpfloat_with_epsilon (got->data[i], want->data[i], 1e-5);

  {
    g_auto (Result) r = { 0 };
    RUN (&r, "inspect", out);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "Add"));
  }
  /* the file is not replaced without --force */
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", onnx, "--out", out);
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, "exists"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", onnx, "--out", out, "--force");
    expect_status (&r, 0);
  }
}

/* A file written by `export --onnx` carries its class names and normalisation
 * in its metadata: importing it keeps them, and --mean/--std still override. */
static void
test_import_keeps_metadata (void)
{
  g_autofree char *onnx = path_in ("named.onnx"), *out = path_in ("named.safetensors");
  g_autofree char *odd = path_in ("odd-labels.onnx");
  const char *labels[] = { "cat", "dog", "bird", NULL };
  g_autoptr (TlModel) model = residual_model ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser,
                                             "{\"kind\":\"image\",\"width\":8,\"height\":8,\"channels\":3,"
                                             "\"class_names\":[\"cat\",\"dog\",\"bird\"],"
                                             "\"mean\":[0.25,0.5,0.75],\"std\":[0.5,0.25,2]}", -1, &error));
  g_assert_true (tl_onnx_export (model, labels, json_parser_get_root (parser), onnx, &error));
  g_assert_no_error (error);
  for (int override = 0; override < 2; override++)
    {
      g_auto (Result) r = { 0 };
      g_autoptr (TlModel) loaded = NULL;
      g_autoptr (TlModelInfo) info = NULL;
      g_autofree char *pre = NULL;

      if (override)
        RUN (&r, "import", onnx, "--out", out, "--force", "--mean", "0.1,0.2,0.3", "--std", "1,1,1");
      else
        RUN (&r, "import", onnx, "--out", out, "--force");
      expect_status (&r, 0);
      loaded = tl_model_file_load (out, &info, &error);
      g_assert_no_error (error);
      g_assert_cmpstrv (info->labels, labels);
      pre = json_to_string (info->preprocessing, FALSE);
      g_assert_nonnull (strstr (pre, "\"class_names\":[\"cat\",\"dog\",\"bird\"]"));
      if (override)
        g_assert_nonnull (strstr (pre, "\"mean\":[0.1"));
      else
        {
          g_assert_nonnull (strstr (pre, "\"mean\":[0.25,0.5,0.75]"));
          g_assert_nonnull (strstr (pre, "\"std\":[0.5,0.25,2"));
        }
    }
  /* labels that do not fit the outputs (a later metadata entry replaces the
   * first, as protobuf reads a field appended to a message): numbered, and said so */
  {
    g_autofree char *bytes = NULL;
    gsize len = 0;
    const char *value = "[\"cat\",\"dog\"]";
    GString *file;
    guint8 entry[64];
    gsize n = 0;

    g_assert_true (g_file_get_contents (onnx, &bytes, &len, NULL));
    entry[n++] = 0x0a;
    entry[n++] = 6;
    memcpy (entry + n, "labels", 6);
    n += 6;
    entry[n++] = 0x12;
    entry[n++] = (guint8) strlen (value);
    memcpy (entry + n, value, strlen (value));
    n += strlen (value);
    file = g_string_new_len (bytes, len);
    g_string_append_c (file, 0x72);   /* ModelProto.metadata_props, field 14, length-delimited */
    g_string_append_c (file, (char) n);
    g_string_append_len (file, (const char *) entry, n);
    g_assert_true (g_file_set_contents (odd, file->str, file->len, NULL));
    g_string_free (file, TRUE);
  }
  {
    g_auto (Result) r = { 0 };
    g_autoptr (TlModel) loaded = NULL;
    g_autoptr (TlModelInfo) info = NULL;

    RUN (&r, "import", odd, "--out", out, "--force");
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.err, "not one name per output"));
    loaded = tl_model_file_load (out, &info, &error);
    g_assert_no_error (error);
    g_assert_true (info->labels == NULL || g_strcmp0 (info->labels[0], "0") == 0);
  }
}

static void
write_png (const char *path, int seed)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 8, 8);
  guint32 *px = (guint32 *) cairo_image_surface_get_data (s);
  const int stride = cairo_image_surface_get_stride (s) / 4;

  cairo_surface_flush (s);
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 8; x++)
      px[y * stride + x] = (guint32) ((x * 29 + seed * 71) % 256) << 16 | (guint32) ((y * 31 + seed) % 256) << 8
                           | (guint32) ((x * y * 7 + seed * 13) % 256);
  cairo_surface_mark_dirty (s);
  g_assert_cmpint (cairo_surface_write_to_png (s, path), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (s);
}

/* predict reads images through the imported model's normalisation. */
static void
test_predict_normalised (void)
{
  static const double mean[3] = { 0.485, 0.456, 0.406 }, std[3] = { 0.229, 0.224, 0.225 };
  g_autofree char *onnx = path_in ("pred.onnx"), *out = path_in ("pred.safetensors");
  g_autofree char *folder = path_in ("images"), *sub = g_build_filename (folder, "0", NULL);
  g_autofree char *csv = path_in ("pred.csv"), *text = NULL;
  g_autoptr (TlModel) model = residual_model ();
  g_autoptr (TlDataset) ds = NULL;
  g_autoptr (TlTensor) probs = tl_tensor_new_empty ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_true (tl_onnx_export (model, NULL, NULL, onnx, &error));
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("%d.png", i);
      g_autofree char *png = g_build_filename (sub, name, NULL);
      write_png (png, i + 1);
    }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", onnx, "--out", out, "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225");
    expect_status (&r, 0);
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "predict", out, folder, "--out", csv);
    expect_status (&r, 0);
  }

  /* the same by hand: pixels in [0, 1], normalised, through the original network */
  ds = tl_image_folder_load (folder, 8, 8, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->n, ==, 3);
  for (int r = 0; r < ds->n; r++)
    for (int c = 0; c < 3; c++)
      for (int i = 0; i < 64; i++)
        {
          float *v = &ds->x[(gsize) r * ds->sample_size + c * 64 + i];
          *v = (float) ((*v - mean[c]) / std[c]);
        }
  {
    g_autoptr (TlTensor) x = tl_tensor_new_empty ();
    tl_tensor_resize_batch (x, ds->n, 3, (int[]) { 3, 8, 8 });
    memcpy (x->data, ds->x, x->size * sizeof (float));
    tl_softmax_rows (tl_model_forward (model, x, FALSE), probs);
  }
  g_assert_true (g_file_get_contents (csv, &text, NULL, &error));
  lines = g_strsplit (text, "\n", -1);
  for (int r = 0; r < ds->n; r++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[r + 1], ",", -1);
      guint n = g_strv_length (fields);

      /* row, true label, prediction, three probabilities, the image file */
      g_assert_cmpuint (n, ==, 7);
      g_assert_true (g_str_has_suffix (fields[6], ".png"));
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat_with_epsilon (g_ascii_strtod (fields[3 + c], NULL), probs->data[r * 3 + c], 1e-4);
    }
}

/* An imported residual network as an experiment's pretrained model: frozen
 * lower layers, a new head, fine-tuned on images. */
static void
test_fine_tune_imported (void)
{
  g_autofree char *onnx = path_in ("ft.onnx"), *tlm = path_in ("ft.safetensors");
  g_autofree char *folder = path_in ("ft-images"), *json = path_in ("ft.json"), *out = path_in ("ft-run");
  g_autofree char *text = NULL, *metrics = NULL, *content = NULL;
  g_autoptr (TlModel) model = residual_model ();
  g_autoptr (GError) error = NULL;

  g_assert_true (tl_onnx_export (model, NULL, NULL, onnx, &error));
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 8; i++)
      {
        g_autofree char *sub = g_strdup_printf ("%s/%c", folder, 'a' + c);
        g_autofree char *name = g_strdup_printf ("%d.png", i);
        g_autofree char *png = g_build_filename (sub, name, NULL);

        g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
        write_png (png, c * 40 + i);
      }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", onnx, "--out", tlm);
    expect_status (&r, 0);
  }
  text = g_strdup_printf ("{\"format_version\": 1, \"name\": \"ft\", \"seed\": 3,\n"
                          " \"source\": {\"format\": \"images\", \"path\": \"%s\"},\n"
                          " \"target\": {\"format\": \"images\", \"path\": \"%s\", \"test_fraction\": 0.25},\n"
                          " \"pretrain\": {\"model\": \"%s\"},\n"
                          " \"transfer\": {\"freeze\": {\"below\": 4}, \"rebuild_head\": true, \"epochs\": 2,"
                          " \"batch_size\": 4},\n"
                          " \"outputs\": {\"exports\": [\"metrics\"], \"plots\": [\"svg\"]}}\n",
                          folder, folder, tlm);
  g_assert_true (g_file_set_contents (json, text, -1, &error));
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "run", json, "--out", out);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "with a new head"));
    g_assert_nonnull (strstr (r.out, "test accuracy"));
  }
  {
    g_autoptr (GDir) dir = g_dir_open (out, 0, &error);
    const char *name;

    g_assert_no_error (error);
    while ((name = g_dir_read_name (dir)) != NULL && metrics == NULL)
      {
        g_autofree char *m = g_build_filename (out, name, "metrics.json", NULL);
        if (g_file_test (m, G_FILE_TEST_EXISTS))
          metrics = g_steal_pointer (&m);
      }
  }
  if (metrics == NULL)
    g_error ("no metrics.json in the run folder %s", out);
  g_assert_true (g_file_get_contents (metrics, &content, NULL, &error));
  g_assert_nonnull (strstr (content, "accuracy"));
}

static void
test_import_refusals (void)
{
  g_autofree char *onnx = path_in ("tanh.onnx"), *out = path_in ("tanh.safetensors");
  g_autofree char *cut = path_in ("cut.onnx"), *good = path_in ("good.onnx");
  g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 4 }, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *bytes = NULL;
  gsize len;

  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "fc", &error));
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_TANH }, "squash", &error));
  g_assert_true (tl_onnx_export (model, NULL, NULL, onnx, &error));
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", onnx, "--out", out);
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "tanh.onnx"));
    g_assert_nonnull (strstr (r.err, "Tanh"));
    g_assert_nonnull (strstr (r.err, "supported are: Add"));
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  }

  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "head", &error));
  tl_model_free (g_steal_pointer (&model));
  model = residual_model ();
  g_assert_true (tl_onnx_export (model, NULL, NULL, good, &error));
  g_assert_true (g_file_get_contents (good, &bytes, &len, &error));
  g_assert_true (g_file_set_contents (cut, bytes, (gssize) (len * 2 / 3), &error));
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", cut, "--out", out);
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "cut.onnx"));
    g_assert_nonnull (strstr (r.err, "truncated"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", good);
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, "--out"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", good, "--out", out, "--mean", "0.5,0.5", "--std", "1,1");
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, "3 numbers"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", good, "--out", out, "--mean", "0,0,0", "--std", "1,0,1");
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, "above 0"));
  }
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tl-cli-import-XXXXXX", NULL);
  g_test_add_func ("/cli-import/round-trip", test_import_round_trip);
  g_test_add_func ("/cli-import/keeps-metadata", test_import_keeps_metadata);
  g_test_add_func ("/cli-import/refusals", test_import_refusals);
  g_test_add_func ("/cli-import/predict-normalised", test_predict_normalised);
  g_test_add_func ("/cli-import/fine-tune", test_fine_tune_imported);
  status = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return status;
}
