#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "tl-model.h"
#include "tl-onnx.h"
#include "tl-preprocess.h"
#include "tl-rng.h"

/* Exported models run by ONNX Runtime (onnxruntime-node) must give what the
 * model's own forward pass gives, and pass onnx.checker with full_check. */

#define TOLERANCE 1e-4

static char *modules_dir;       /* holds node_modules/onnxruntime-node */
static char *runtime_missing;   /* why the runtime cannot be used, or NULL */
static char *work_dir;

static char *
source_path (const char *name)
{
  const char *src = g_getenv ("TL_SOURCE_DIR");
  return g_build_filename (src ? src : ".", "tests", "onnx", name, NULL);
}

static gboolean
run (const char *const *argv, char **out, GError **error)
{
  g_autofree char *err = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, &err,
                     &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s: %s: ", argv[0], err ? g_strstrip (err) : "");
      return FALSE;
    }
  return TRUE;
}

/* Installs onnxruntime-node into the build folder once; its CPU build is in
 * the package itself, the install script would only fetch GPU parts. */
static void
prepare_runtime (void)
{
  const char *dir = g_getenv ("TL_ORT_DIR");
  g_autofree char *package = NULL;
  g_autoptr (GError) error = NULL;

  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *npm = g_find_program_in_path ("npm");

  /* never into the source tree: the build folder (from meson) or the user's cache */
  modules_dir = dir ? g_strdup (dir)
                    : g_build_filename (g_get_user_cache_dir (), "transfer-lab", "onnxruntime", NULL);
  package = g_build_filename (modules_dir, "node_modules", "onnxruntime-node", "package.json", NULL);
  if (g_file_test (package, G_FILE_TEST_EXISTS))
    return;
  if (node == NULL || npm == NULL)
    {
      runtime_missing = g_strdup ("node and npm are needed to run ONNX Runtime (tools/install-deps.sh installs them)");
      return;
    }
  g_mkdir_with_parents (modules_dir, 0755);
  {
    const char *argv[] = { "npm", "install", "--prefix", modules_dir, "--ignore-scripts", "--no-audit",
                           "--no-fund", "--loglevel=error", "onnxruntime-node", NULL };
    g_autofree char *out = NULL;
    if (!run (argv, &out, &error) || !g_file_test (package, G_FILE_TEST_EXISTS))
      runtime_missing = g_strdup_printf ("could not install onnxruntime-node with npm into %s: %s",
                                         modules_dir, error ? error->message : "no package after install");
  }
}

/* One input of run_onnx.mjs: {"type": ..., "dims": [...], "data": [...]}. */
static void
append_tensor (GString *s, const float *data, int ndim, const int *shape, gboolean int64)
{
  gsize size = 1;

  g_string_append_printf (s, "{\"type\": \"%s\", \"dims\": [", int64 ? "int64" : "float32");
  for (int i = 0; i < ndim; i++)
    {
      g_string_append_printf (s, "%s%d", i ? ", " : "", shape[i]);
      size *= shape[i];
    }
  g_string_append (s, "], \"data\": [");
  for (gsize i = 0; i < size; i++)
    {
      if (int64)
        g_string_append_printf (s, "%s%d", i ? "," : "", (int) data[i]);
      else
        g_string_append_printf (s, "%s%.9g", i ? "," : "", data[i]);
    }
  g_string_append (s, "]}");
}

static void
write_input (const char *path, const TlTensor *x, gboolean tokens)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  append_tensor (s, x->data, x->ndim, x->shape, tokens);
  g_string_append (s, "\n");
  g_file_set_contents (path, s->str, s->len, &error);
  g_assert_no_error (error);
}

/* A batch of bags [batch, 2, K] (ids, then weights, as the model takes them)
 * as the exported graph's two inputs, "ids" int64 [batch, terms] and
 * "weights" float [batch, terms], keeping the first `terms` slots of each. */
static void
write_bag_input (const char *path, const TlTensor *x, int terms)
{
  const int batch = x->shape[0], K = x->shape[2];
  g_autofree float *ids = g_new (float, (gsize) batch * terms);
  g_autofree float *weights = g_new (float, (gsize) batch * terms);
  g_autoptr (GString) s = g_string_new ("{\"inputs\": {\"ids\": ");
  g_autoptr (GError) error = NULL;

  for (int b = 0; b < batch; b++)
    for (int k = 0; k < terms; k++)
      {
        ids[b * terms + k] = x->data[(gsize) b * 2 * K + k];
        weights[b * terms + k] = x->data[(gsize) b * 2 * K + K + k];
      }
  append_tensor (s, ids, 2, (int[]) { batch, terms }, TRUE);
  g_string_append (s, ", \"weights\": ");
  append_tensor (s, weights, 2, (int[]) { batch, terms }, FALSE);
  g_string_append (s, "}}\n");
  g_file_set_contents (path, s->str, s->len, &error);
  g_assert_no_error (error);
}

static gboolean
takes_bags (TlModel *model)
{
  return tl_model_layer (model, 0)->spec.kind == TL_LAYER_EMBEDDING_BAG;
}

/* Largest absolute difference between an ORT output and the expected values. */
static double
compare_output (JsonObject *result, const char *name, const float *expected, gsize n,
                int batch, int width)
{
  JsonObject *out;
  JsonArray *data, *dims;
  double worst = 0;

  g_assert_true (json_object_has_member (result, name));
  out = json_object_get_object_member (result, name);
  dims = json_object_get_array_member (out, "dims");
  g_assert_cmpint (json_array_get_length (dims), ==, 2);
  g_assert_cmpint (json_array_get_int_element (dims, 0), ==, batch);
  g_assert_cmpint (json_array_get_int_element (dims, 1), ==, width);
  data = json_object_get_array_member (out, "data");
  g_assert_cmpuint (json_array_get_length (data), ==, n);
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs (json_array_get_double_element (data, i) - expected[i]));
  return worst;
}

static void
softmax_rows (float *p, const float *x, int batch, int width)
{
  for (int b = 0; b < batch; b++)
    {
      const float *row = x + (gsize) b * width;
      float *q = p + (gsize) b * width;
      float max = row[0], sum = 0;
      for (int j = 1; j < width; j++)
        max = MAX (max, row[j]);
      for (int j = 0; j < width; j++)
        sum += q[j] = expf (row[j] - max);
      for (int j = 0; j < width; j++)
        q[j] /= sum;
    }
}

static void
check_with_onnx_checker (const char *model_path, int n_classes, gboolean tokens, gboolean bags)
{
  g_autofree char *checker = source_path ("check_onnx.py");
  const char *python = g_getenv ("TL_PYTHON") ? g_getenv ("TL_PYTHON") : "/usr/bin/python3";
  const char *argv[] = { python, checker, model_path, NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *labels = NULL;
  JsonObject *summary, *inputs, *input, *metadata;

  if (!run (argv, &out, &error))
    {
      if (g_error_matches (error, G_SPAWN_EXIT_ERROR, 77))
        {
          g_test_message ("python3-onnx is missing: onnx.checker not run");
          return;
        }
      g_error ("onnx.checker refused %s: %s", model_path, error->message);
    }
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  summary = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (summary, "ir_version"), ==, TL_ONNX_IR_VERSION);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (summary, "opset"), ""),
                   ==, TL_ONNX_OPSET);
  g_assert_cmpstr (json_object_get_string_member (summary, "producer_name"), ==, "transfer-lab");
  inputs = json_object_get_object_member (summary, "inputs");
  if (bags)
    {
      /* ids int64 [batch, terms], weights float [batch, terms] */
      static const char *const names[] = { "ids", "weights" };
      g_assert_cmpuint (json_object_get_size (inputs), ==, 2);
      for (int i = 0; i < 2; i++)
        {
          JsonArray *dims;
          input = json_object_get_object_member (inputs, names[i]);
          g_assert_nonnull (input);
          g_assert_cmpint (json_object_get_int_member (input, "elem_type"), ==, i == 0 ? 7 : 1);
          dims = json_object_get_array_member (input, "dims");
          g_assert_cmpuint (json_array_get_length (dims), ==, 2);
          g_assert_cmpstr (json_array_get_string_element (dims, 0), ==, "batch");
          g_assert_cmpstr (json_array_get_string_element (dims, 1), ==, "terms");
        }
      /* standard operators only: the sum of weighted rows as Gather, Mul, ReduceSum */
      {
        g_autoptr (GString) ops = g_string_new (" ");
        JsonArray *list = json_object_get_array_member (summary, "ops");
        for (guint i = 0; i < json_array_get_length (list); i++)
          g_string_append_printf (ops, "%s ", json_array_get_string_element (list, i));
        g_assert_nonnull (strstr (ops->str, " Gather "));
        g_assert_nonnull (strstr (ops->str, " Mul "));
        g_assert_nonnull (strstr (ops->str, " ReduceSum "));
      }
    }
  else
    {
      g_assert_cmpuint (json_object_get_size (inputs), ==, 1);
      input = json_object_get_object_member (inputs, "input");
      g_assert_nonnull (input);
      g_assert_cmpint (json_object_get_int_member (input, "elem_type"), ==, tokens ? 7 : 1);
      g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (input, "dims"), 0),
                       ==, "batch");
    }
  g_assert_true (json_object_has_member (json_object_get_object_member (summary, "outputs"), "logits"));
  g_assert_true (json_object_has_member (json_object_get_object_member (summary, "outputs"),
                                         "probabilities"));
  metadata = json_object_get_object_member (summary, "metadata");
  labels = g_strdup_printf ("class%d", n_classes - 1);
  g_assert_nonnull (strstr (json_object_get_string_member (metadata, "labels"), labels));
  g_assert_nonnull (strstr (json_object_get_string_member (metadata, "preprocessing"),
                           bags ? "\"ngrams\"" : "\"steps\""));
}

/* Runs the exported model in ONNX Runtime on an input file. */
static JsonObject *
run_runtime (JsonParser *parser, const char *model_path, const char *input_path)
{
  g_autofree char *script = source_path ("run_onnx.mjs");
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "node", script, modules_dir, model_path, input_path, NULL };

  if (!run (argv, &out, &error))
    g_error ("ONNX Runtime failed on %s: %s", model_path, error->message);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* Slots of a batch of bags past which every id is 0. */
static int
used_terms (const TlTensor *x)
{
  const int K = x->shape[2];
  int used = 1;

  for (int b = 0; b < x->shape[0]; b++)
    for (int k = 0; k < K; k++)
      if (x->data[(gsize) b * 2 * K + k] != 0.0f)
        used = MAX (used, k + 1);
  return used;
}

/* Exports `model` with `preprocessing` in its metadata (NULL: a stand-in),
 * runs it on `x` in ONNX Runtime and compares with the model. Bags run twice:
 * with every slot, and with the empty slots at the end cut off. */
static void
check_model_with (TlModel *model, const TlTensor *x, const char *tag, JsonNode *preprocessing)
{
  const gboolean tokens = tl_model_takes_tokens (model);
  const gboolean bags = takes_bags (model);
  const int n_classes = tl_model_n_outputs (model);
  const int batch = x->shape[0];
  const gboolean ends_softmax =
    tl_model_layer (model, tl_model_n_layers (model) - 1)->spec.kind == TL_LAYER_SOFTMAX;
  g_autofree char *model_path = g_strdup_printf ("%s/%s.onnx", work_dir, tag);
  g_autofree char *input_path = g_strdup_printf ("%s/%s.json", work_dir, tag);
  g_autofree float *expected = NULL;
  g_autofree float *probs = NULL;
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonNode) stand_in = json_from_string ("{\"steps\": 12, \"normalise\": [0.5, 0.25]}", NULL);
  JsonNode *prep = preprocessing ? preprocessing : stand_in;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  const TlTensor *y;
  JsonObject *result;
  double diff_logits = 0, diff_probs;
  gsize n = (gsize) batch * n_classes;

  for (int i = 0; i < n_classes; i++)
    g_ptr_array_add (labels, g_strdup_printf ("class%d", i));
  g_ptr_array_add (labels, NULL);
  g_assert_true (tl_onnx_export (model, (const char *const *) labels->pdata, prep, model_path, &error));
  g_assert_no_error (error);

  check_with_onnx_checker (model_path, n_classes, tokens, bags);

  if (runtime_missing)
    {
      g_test_skip (runtime_missing);
      return;
    }

  y = tl_model_forward (model, x, FALSE);
  g_assert_cmpuint (y->size, ==, n);
  expected = g_memdup2 (y->data, n * sizeof (float));
  probs = g_new (float, n);
  if (ends_softmax)
    memcpy (probs, expected, n * sizeof (float));
  else
    softmax_rows (probs, expected, batch, n_classes);

  for (int pass = 0; pass < (bags ? 2 : 1); pass++)
    {
      const int terms = bags ? (pass == 0 ? x->shape[2] : used_terms (x)) : 0;

      if (bags)
        write_bag_input (input_path, x, terms);
      else
        write_input (input_path, x, tokens);
      result = run_runtime (parser, model_path, input_path);
      if (!ends_softmax)
        diff_logits = compare_output (result, "logits", expected, n, batch, n_classes);
      diff_probs = compare_output (result, "probabilities", probs, n, batch, n_classes);
      if (bags)
        g_test_message ("%s, %d of %d term slots: largest difference from the model: logits %.3g, "
                        "probabilities %.3g", tag, terms, x->shape[2], diff_logits, diff_probs);
      else
        g_test_message ("%s: largest difference from the model: logits %.3g, probabilities %.3g",
                        tag, diff_logits, diff_probs);
      g_assert_cmpfloat (diff_logits, <=, TOLERANCE);
      g_assert_cmpfloat (diff_probs, <=, TOLERANCE);
    }
}

static void
check_model (TlModel *model, const TlTensor *x, const char *tag)
{
  check_model_with (model, x, tag, NULL);
}

static TlTensor *
random_input (TlModel *model, int batch, guint64 seed)
{
  TlTensor *x = tl_tensor_new_empty ();
  TlRng rng;

  tl_rng_init (&rng, seed);
  tl_tensor_resize_batch (x, batch, model->in_ndim, model->in_shape);
  for (gsize i = 0; i < x->size; i++)
    x->data[i] = (float) tl_rng_normal (&rng);
  return x;
}

/* Token ids with every kind of padding: after, before, inside, none, only
 * padding, and ids outside the vocabulary. */
static TlTensor *
token_input (int steps, int vocab, guint64 seed)
{
  const int batch = 8;
  TlTensor *x = tl_tensor_new_2d (batch, steps);
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (int b = 0; b < batch; b++)
    for (int t = 0; t < steps; t++)
      {
        float *v = &x->data[b * steps + t];
        int real = 1;
        switch (b)
          {
          case 0: real = t < steps / 2; break;            /* post-padding */
          case 1: real = t >= steps - 3; break;           /* pre-padding */
          case 2: real = t % 3 != 1; break;               /* padding inside */
          case 3: real = 0; break;                        /* nothing but padding */
          case 4: real = t == 0; break;
          default: break;                                 /* no padding */
          }
        *v = real ? (float) (1 + tl_rng_below (&rng, vocab - 1)) : 0.0f;
      }
  x->data[6 * steps + 2] = (float) (vocab + 5);          /* unknown ids read the padding row */
  return x;
}

static TlModel *
preset (TlPreset which, int ndim, const int *shape, int classes, int vocab)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new_preset (which, ndim, shape, classes, vocab, 7, &error);
  g_assert_no_error (error);
  return model;
}

static TlModel *
stack (int ndim, const int *shape, const TlLayerSpec *specs, int n)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (ndim, shape, 11);

  for (int i = 0; i < n; i++)
    {
      tl_model_add (model, &specs[i], NULL, &error);
      g_assert_no_error (error);
    }
  return model;
}

static void
test_mlp (void)
{
  g_autoptr (TlModel) model = preset (TL_PRESET_MLP, 3, (int[]) { 1, 28, 28 }, 10, 0);
  g_autoptr (TlTensor) x = random_input (model, 5, 1);
  check_model (model, x, "mlp");
}

static void
test_cnn (void)
{
  g_autoptr (TlModel) model = preset (TL_PRESET_CNN, 3, (int[]) { 1, 28, 28 }, 10, 0);
  g_autoptr (TlTensor) x = random_input (model, 4, 2);
  check_model (model, x, "cnn");
}

static void
test_lstm (void)
{
  g_autoptr (TlModel) model = preset (TL_PRESET_TEXT_LSTM, 1, (int[]) { 12 }, 4, 50);
  g_autoptr (TlTensor) x = token_input (12, 50, 3);
  check_model (model, x, "lstm");
}

static void
test_gru (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_EMBEDDING, .vocab_size = 40, .embed_dim = 16 },
    { .kind = TL_LAYER_GRU, .units = 24 },
    { .kind = TL_LAYER_DENSE, .units = 5 },
  };
  g_autoptr (TlModel) model = stack (1, (int[]) { 12 }, specs, G_N_ELEMENTS (specs));
  g_autoptr (TlTensor) x = token_input (12, 40, 4);
  check_model (model, x, "gru");
}

static void
test_text_pool (void)
{
  g_autoptr (TlModel) model = preset (TL_PRESET_TEXT_POOL, 1, (int[]) { 12 }, 3, 60);
  g_autoptr (TlTensor) x = token_input (12, 60, 5);
  check_model (model, x, "pool");
}

/* Sequences through two recurrent layers into a masked max pool. */
static void
test_stacked_sequences (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_EMBEDDING, .vocab_size = 30, .embed_dim = 8 },
    { .kind = TL_LAYER_LSTM, .units = 10, .return_sequences = TRUE },
    { .kind = TL_LAYER_DROPOUT, .rate = 0.5f },
    { .kind = TL_LAYER_GRU, .units = 12, .return_sequences = TRUE },
    { .kind = TL_LAYER_TANH },
    { .kind = TL_LAYER_GLOBAL_MAX_POOL1D },
    { .kind = TL_LAYER_DENSE, .units = 3 },
    { .kind = TL_LAYER_SOFTMAX },
  };
  g_autoptr (TlModel) model = stack (1, (int[]) { 12 }, specs, G_N_ELEMENTS (specs));
  g_autoptr (TlTensor) x = token_input (12, 30, 6);
  check_model (model, x, "stacked");
}

/* A sequence whose step order matters downstream: padded steps show the carried state. */
static void
test_sequence_order (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_EMBEDDING, .vocab_size = 25, .embed_dim = 6 },
    { .kind = TL_LAYER_GRU, .units = 5, .return_sequences = TRUE },
    { .kind = TL_LAYER_LSTM, .units = 4, .return_sequences = TRUE },
    { .kind = TL_LAYER_FLATTEN },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };
  g_autoptr (TlModel) model = stack (1, (int[]) { 12 }, specs, G_N_ELEMENTS (specs));
  g_autoptr (TlTensor) x = token_input (12, 25, 10);
  check_model (model, x, "sequence-order");
}

/* Every other kind: padded strided convolution, Tanh, Sigmoid, Dropout, a final Softmax. */
static void
test_other_layers (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .stride = 2, .padding = 1 },
    { .kind = TL_LAYER_TANH },
    { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 },
    { .kind = TL_LAYER_FLATTEN },
    { .kind = TL_LAYER_DROPOUT, .rate = 0.3f },
    { .kind = TL_LAYER_DENSE, .units = 6 },
    { .kind = TL_LAYER_SIGMOID },
    { .kind = TL_LAYER_DENSE, .units = 3 },
    { .kind = TL_LAYER_SOFTMAX },
  };
  g_autoptr (TlModel) model = stack (3, (int[]) { 3, 9, 9 }, specs, G_N_ELEMENTS (specs));
  g_autoptr (TlTensor) x = random_input (model, 3, 8);
  check_model (model, x, "other");
}

/* A mobile backbone's layers: batch normalisation with trained running
 * statistics, depthwise and grouped convolutions, ReLU6, HardSwish, Clip,
 * padded average pooling, the global pool and a 1-D batch norm. */
static void
test_vision_layers (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .stride = 2, .padding = 1 },
    { .kind = TL_LAYER_BATCHNORM2D },
    { .kind = TL_LAYER_RELU6 },
    { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1, .groups = 4 },
    { .kind = TL_LAYER_HARDSWISH },
    { .kind = TL_LAYER_CONV2D, .filters = 6, .kernel = 1, .groups = 2 },
    { .kind = TL_LAYER_HARDSIGMOID },
    { .kind = TL_LAYER_AVGPOOL2D, .kernel = 3, .stride = 2, .padding = 1 },
    { .kind = TL_LAYER_CLIP, .clip_min = -0.5f, .clip_max = 0.75f },
    { .kind = TL_LAYER_GLOBAL_AVG_POOL2D },
    { .kind = TL_LAYER_BATCHNORM1D },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };
  g_autoptr (TlModel) model = stack (3, (int[]) { 3, 11, 10 }, specs, G_N_ELEMENTS (specs));
  g_autoptr (TlTensor) x = random_input (model, 4, 12);
  TlRng rng;

  tl_rng_init (&rng, 13);
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      TlLayer *layer = tl_model_layer (model, i);

      for (int p = 0; p < layer->n_buffers; p++)
        for (gsize k = 0; k < layer->buffers[p].value->size; k++)
          layer->buffers[p].value->data[k] = p == 0 ? 0.3f * (float) tl_rng_normal (&rng)
                                                    : 0.5f + tl_rng_uniform (&rng);
      if (layer->n_buffers > 0)
        for (gsize k = 0; k < layer->params[0].value->size; k++)
          {
            layer->params[0].value->data[k] = 0.5f + tl_rng_uniform (&rng);
            layer->params[1].value->data[k] = 0.2f * (float) tl_rng_normal (&rng);
          }
    }
  check_model (model, x, "vision");
}

/* A graph of MobileNetV3's gates: the channels scaled by a squeeze-excitation
 * branch (exported with an Unsqueeze to [batch, C, 1, 1]), a value-by-value
 * product, and a residual sum. */
static void
test_gates (void)
{
  const struct { TlLayerSpec spec; int n; int inputs[2]; } layers[] = {
    { { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1 } },
    { { .kind = TL_LAYER_GLOBAL_AVG_POOL2D } },
    { { .kind = TL_LAYER_DENSE, .units = 2 } },
    { { .kind = TL_LAYER_RELU } },
    { { .kind = TL_LAYER_DENSE, .units = 4 } },
    { { .kind = TL_LAYER_HARDSIGMOID } },
    { { .kind = TL_LAYER_MUL }, 2, { 0, 5 } },
    { { .kind = TL_LAYER_HARDSIGMOID }, 1, { 0 } },
    { { .kind = TL_LAYER_MUL }, 2, { 0, 7 } },
    { { .kind = TL_LAYER_ADD }, 2, { 6, 8 } },
    { { .kind = TL_LAYER_GLOBAL_AVG_POOL2D } },
    { { .kind = TL_LAYER_DENSE, .units = 3 } },
  };
  g_autoptr (TlModel) model = tl_model_new (3, (int[]) { 3, 7, 6 }, 5);
  g_autoptr (TlTensor) x = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    {
      g_assert_true (tl_model_add_joined (model, &layers[i].spec, NULL, layers[i].n, layers[i].inputs, &error));
      g_assert_no_error (error);
    }
  g_assert_true (model->graph);
  x = random_input (model, 4, 15);
  for (gsize i = 0; i < x->size; i++)
    x->data[i] *= 3.0f;
  check_model (model, x, "gates");
}

/* Unmasked pools over a float sequence. */
static void
test_float_sequence (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_GRU, .units = 6, .return_sequences = TRUE },
    { .kind = TL_LAYER_GLOBAL_AVG_POOL1D },
    { .kind = TL_LAYER_DENSE, .units = 2 },
  };
  g_autoptr (TlModel) model = stack (2, (int[]) { 7, 3 }, specs, G_N_ELEMENTS (specs));
  g_autoptr (TlTensor) x = random_input (model, 4, 9);
  check_model (model, x, "float-sequence");
}

/* N-gram bags */

static const char *const reviews[] = {
  "a good book, not a bad book at all",
  "the film was good and the book was better",
  "not good: a bad film, a bad plot",
  "good good good, the best book this year",
  "bad acting and a bad film",
  "the plot was not bad but the book was good",
};

/* N-gram features of the reviews: words and pairs of words, bags of `terms` slots. */
static TlPreprocess *
ngram_preprocess (int hash_size, int terms)
{
  g_autoptr (TlPreprocess) pre = tl_preprocess_new (TL_DATA_TEXT);
  g_autoptr (TlNgramCounter) counter = NULL;
  g_autoptr (GError) error = NULL;
  TlNgramSettings s;

  tl_ngram_settings_init (&s);
  s.min_df = 1;
  s.hash_size = hash_size;
  s.char_max = hash_size > 0 ? 0 : s.char_max;
  s.max_terms = terms;
  counter = tl_ngram_counter_new (&s);
  for (gsize i = 0; i < G_N_ELEMENTS (reviews); i++)
    {
      g_auto (GStrv) tokens = tl_tokenize_strv (reviews[i]);
      tl_ngram_counter_add (counter, (const char *const *) tokens, g_strv_length (tokens));
    }
  pre->ngrams = tl_ngram_counter_finish (counter, &error);
  g_assert_no_error (error);
  pre->text_column = g_strdup ("text");
  return g_steal_pointer (&pre);
}

/* Bags of real texts as the preprocessing encodes them (one longer than the
 * slots, one empty, one of unknown words), and by hand: ids outside the table,
 * below 0, the unknown id 1, an empty slot with a weight, and slots out of order. */
static TlTensor *
bag_input (const TlPreprocess *pre)
{
  static const char *const texts[] = {
    "a good book, not a bad book at all",
    "the plot was not bad but the book was good and the film was better than the best book this year",
    "",
    "zebra quux",
    "good",
    "bad film",
  };
  const int K = pre->ngrams->settings.max_terms, V = pre->ngrams->n_ids;
  const int batch = G_N_ELEMENTS (texts) + 2;
  TlTensor *x = tl_tensor_new_empty ();
  float *row;

  tl_tensor_resize_batch (x, batch, 2, (int[]) { 2, K });
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    tl_preprocess_encode_text (pre, texts[i], x->data + i * 2 * K);
  row = x->data + G_N_ELEMENTS (texts) * 2 * K;
  memset (row, 0, sizeof (float) * 4 * K);
  row[0] = 3, row[K + 0] = 0.5f;
  row[1] = (float) (V + 4), row[K + 1] = 0.7f;     /* outside the table: nothing */
  row[2] = -2, row[K + 2] = 0.9f;                  /* below 0: nothing */
  row[3] = 1, row[K + 3] = 0.25f;                  /* the unknown entry's row */
  row[4] = 0, row[K + 4] = 3.0f;                   /* an empty slot with a weight: nothing */
  row[5] = (float) (V - 1), row[K + 5] = -1.5f;
  row += 2 * K;
  row[0] = 4, row[K + 0] = 0.1f;                   /* the same id twice, out of order */
  row[1] = 2, row[K + 1] = 0.3f;
  row[2] = 4, row[K + 2] = 0.6f;
  return x;
}

/* The text-ngram preset over a vocabulary of n-grams, with its real preprocessing. */
static void
test_ngram (void)
{
  g_autoptr (TlPreprocess) pre = ngram_preprocess (0, 24);
  g_autoptr (JsonNode) prep = tl_preprocess_to_json (pre);
  g_autoptr (TlModel) model = preset (TL_PRESET_TEXT_NGRAM, 2, (int[]) { 2, 24 }, 3, pre->ngrams->n_ids);
  g_autoptr (TlTensor) x = bag_input (pre);
  check_model_with (model, x, "ngram", prep);
}

/* Hashed n-grams straight into a Dense and a final Softmax. */
static void
test_ngram_hashed (void)
{
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_EMBEDDING_BAG, .vocab_size = 65, .embed_dim = 12 },
    { .kind = TL_LAYER_TANH },
    { .kind = TL_LAYER_DENSE, .units = 4 },
    { .kind = TL_LAYER_SOFTMAX },
  };
  g_autoptr (TlPreprocess) pre = ngram_preprocess (64, 40);
  g_autoptr (JsonNode) prep = tl_preprocess_to_json (pre);
  g_autoptr (TlModel) model = stack (2, (int[]) { 2, 40 }, specs, G_N_ELEMENTS (specs));
  g_autoptr (TlTensor) x = bag_input (pre);
  check_model_with (model, x, "ngram-hashed", prep);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  work_dir = g_dir_make_tmp ("tl-onnx-XXXXXX", NULL);
  g_assert_nonnull (work_dir);
  prepare_runtime ();
  if (runtime_missing)
    g_test_message ("%s", runtime_missing);

  g_test_add_func ("/onnx-runtime/mlp", test_mlp);
  g_test_add_func ("/onnx-runtime/cnn", test_cnn);
  g_test_add_func ("/onnx-runtime/lstm", test_lstm);
  g_test_add_func ("/onnx-runtime/gru", test_gru);
  g_test_add_func ("/onnx-runtime/text-pool", test_text_pool);
  g_test_add_func ("/onnx-runtime/stacked-sequences", test_stacked_sequences);
  g_test_add_func ("/onnx-runtime/sequence-order", test_sequence_order);
  g_test_add_func ("/onnx-runtime/other-layers", test_other_layers);
  g_test_add_func ("/onnx-runtime/float-sequence", test_float_sequence);
  g_test_add_func ("/onnx-runtime/vision-layers", test_vision_layers);
  g_test_add_func ("/onnx-runtime/gates", test_gates);
  g_test_add_func ("/onnx-runtime/ngram", test_ngram);
  g_test_add_func ("/onnx-runtime/ngram-hashed", test_ngram_hashed);
  status = g_test_run ();

  if (!g_getenv ("TL_KEEP_TEST_FILES"))
    {
      g_autoptr (GDir) dir = g_dir_open (work_dir, 0, NULL);
      const char *name;
      while (dir && (name = g_dir_read_name (dir)))
        {
          g_autofree char *path = g_build_filename (work_dir, name, NULL);
          g_unlink (path);
        }
      g_rmdir (work_dir);
    }
  g_free (work_dir);
  g_free (modules_dir);
  g_free (runtime_missing);
  return status;
}
