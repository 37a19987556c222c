#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "tl-architecture.h"
#include "tl-error.h"
#include "tl-import.h"
#include "tl-model-file.h"
#include "tl-rng.h"
#include "tl-trainer.h"

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static void
fill_params (TlModel *model, float scale)
{
  float v = 0.25f;

  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      TlLayer *layer = tl_model_layer (model, i);

      for (int p = 0; p < layer->n_params; p++)
        for (gsize k = 0; k < layer->params[p].value->size; k++)
          {
            v = fmodf (v * 1.37f + 0.011f, 2.0f) - 0.5f;
            layer->params[p].value->data[k] = v * scale;
          }
      for (int p = 0; p < layer->n_buffers; p++)
        for (gsize k = 0; k < layer->buffers[p].value->size; k++)
          {
            v = fmodf (v * 1.37f + 0.011f, 2.0f) - 0.5f;
            layer->buffers[p].value->data[k] = 1.0f + v;
          }
    }
}

static void
assert_same_models (TlModel *a, TlModel *b)
{
  g_assert_cmpint (tl_model_n_layers (a), ==, tl_model_n_layers (b));
  g_assert_cmpint (a->in_ndim, ==, b->in_ndim);
  for (int d = 0; d < a->in_ndim; d++)
    g_assert_cmpint (a->in_shape[d], ==, b->in_shape[d]);
  for (int i = 0; i < tl_model_n_layers (a); i++)
    {
      TlLayer *la = tl_model_layer (a, i), *lb = tl_model_layer (b, i);

      g_assert_cmpstr (la->name, ==, lb->name);
      g_assert_cmpint (la->spec.kind, ==, lb->spec.kind);
      g_assert_true (memcmp (&la->spec, &lb->spec, sizeof la->spec) == 0);
      g_assert_cmpint (la->trainable, ==, lb->trainable);
      g_assert_cmpfloat (la->lr_mult, ==, lb->lr_mult);
      g_assert_cmpint (la->n_params, ==, lb->n_params);
      for (int p = 0; p < la->n_params; p++)
        {
          g_assert_cmpstr (la->params[p].name, ==, lb->params[p].name);
          g_assert_true (tl_tensor_same_shape (la->params[p].value, lb->params[p].value));
          g_assert_true (memcmp (la->params[p].value->data, lb->params[p].value->data,
                                 la->params[p].value->size * sizeof (float)) == 0);
        }
      g_assert_cmpint (la->n_buffers, ==, lb->n_buffers);
      for (int p = 0; p < la->n_buffers; p++)
        {
          g_assert_cmpstr (la->buffers[p].name, ==, lb->buffers[p].name);
          g_assert_true (memcmp (la->buffers[p].value->data, lb->buffers[p].value->data,
                                 la->buffers[p].value->size * sizeof (float)) == 0);
        }
    }
}

static gsize
buffer_count (TlModel *model)
{
  gsize n = 0;

  for (int i = 0; i < tl_model_n_layers (model); i++)
    for (int p = 0; p < tl_model_layer (model, i)->n_buffers; p++)
      n += tl_model_layer (model, i)->buffers[p].value->size;
  return n;
}

static TlModel *
make_cnn (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *m = tl_model_new (3, (int[]) { 1, 8, 8 }, 7);

  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .stride = 1, .padding = 1 }, "conv1", &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 }, "pool1", &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_FLATTEN }, NULL, &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_DROPOUT, .rate = 0.25f }, NULL, &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "fc", &error));
  g_assert_no_error (error);
  tl_model_freeze_below (m, 2);
  tl_model_set_lr_mult (m, 5, 0.5f);
  return m;
}

/* The layers of a mobile backbone, one of each kind. */
static TlModel *
make_vision (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *m = tl_model_new (3, (int[]) { 3, 9, 9 }, 11);
  const TlLayerSpec specs[] = {
    { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .stride = 2, .padding = 1 },
    { .kind = TL_LAYER_BATCHNORM2D },
    { .kind = TL_LAYER_RELU6 },
    { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1, .groups = 4 },
    { .kind = TL_LAYER_BATCHNORM2D, .frozen_stats = TRUE },
    { .kind = TL_LAYER_HARDSWISH },
    { .kind = TL_LAYER_CONV2D, .filters = 6, .kernel = 1, .groups = 2 },
    { .kind = TL_LAYER_HARDSIGMOID },
    { .kind = TL_LAYER_AVGPOOL2D, .kernel = 3, .stride = 1, .padding = 1 },
    { .kind = TL_LAYER_CLIP, .clip_min = -1.5f, .clip_max = 2.25f },
    { .kind = TL_LAYER_GLOBAL_AVG_POOL2D },
    { .kind = TL_LAYER_BATCHNORM1D },
    { .kind = TL_LAYER_DENSE, .units = 3 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    g_assert_true (tl_model_add (m, &specs[i], NULL, &error));
  g_assert_no_error (error);
  tl_model_freeze_below (m, 5);
  return m;
}

static TlModel *
make_text (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *m = tl_model_new (1, (int[]) { 6 }, 9);

  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_EMBEDDING, .vocab_size = 20, .embed_dim = 5 }, "embed", &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_LSTM, .units = 4, .return_sequences = TRUE }, "lstm1", &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_GRU, .units = 3 }, "gru1", &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "head", &error));
  g_assert_no_error (error);
  return m;
}

static void
round_trip (TlModel *model, const char *const *labels, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModelInfo) info = tl_model_info_new ();
  g_autoptr (TlModelInfo) back = NULL;
  g_autoptr (TlModelInfo) header = NULL;
  g_autoptr (TlModel) loaded = NULL;
  g_autofree char *path = tmp_path (name);
  g_autofree char *pre = NULL, *prov = NULL;
  g_autoptr (JsonNode) pre_node = json_from_string ("{\"normalise\":{\"mean\":0.5,\"std\":0.25},\"seq_len\":6}", NULL);
  g_autoptr (JsonNode) prov_node = json_from_string ("{\"seed\":42,\"source\":\"fashion-mnist\",\"frozen\":[\"conv1\"]}", NULL);

  fill_params (model, 1.0f);
  info->labels = g_strdupv ((char **) labels);
  info->preprocessing = json_node_ref (pre_node);
  info->provenance = json_node_ref (prov_node);
  g_assert_true (tl_model_file_save (path, model, info, &error));
  g_assert_no_error (error);

  loaded = tl_model_file_load (path, &back, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  assert_same_models (model, loaded);
  g_assert_cmpstrv (back->labels, labels);
  g_assert_true (json_node_equal (back->preprocessing, pre_node));
  g_assert_true (json_node_equal (back->provenance, prov_node));
  g_assert_cmpstr (back->format_version, ==, "1");

  header = tl_model_file_read_header (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (header->header_size % 8, ==, 0);
  g_assert_cmpuint (header->data_size, ==, (tl_model_param_count (model, FALSE) + buffer_count (model)) * 4);
  g_assert_nonnull (header->architecture);
}

static void
test_round_trip_cnn (void)
{
  g_autoptr (TlModel) model = make_cnn ();
  const char *labels[] = { "shirt", "trouser, long", "“quoted” \"bag\"", NULL };

  round_trip (model, labels, "cnn.safetensors");
}

static void
test_round_trip_vision (void)
{
  g_autoptr (TlModel) model = make_vision ();
  const char *labels[] = { "cat", "dog", "bird", NULL };

  g_assert_cmpuint (buffer_count (model), ==, 2 * (4 + 4 + 6));
  round_trip (model, labels, "vision.safetensors");
}

/* A file whose running statistics are missing is refused, naming the tensor:
 * written from a layer whose buffers are hidden from the writer. */
static void
test_missing_running_stats (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 3 }, 1);
  g_autoptr (TlModel) loaded = NULL;
  g_autofree char *path = tmp_path ("no-stats.safetensors");

  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_BATCHNORM1D }, "bn", &error));
  tl_model_layer (model, 0)->n_buffers = 0;
  g_assert_true (tl_model_file_save (path, model, NULL, &error));
  tl_model_layer (model, 0)->n_buffers = 2;
  loaded = tl_model_file_load (path, NULL, &error);
  g_assert_null (loaded);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "bn.running_mean"));
  g_assert_nonnull (strstr (error->message, "no-stats.safetensors"));
}

/* A model saved without preprocessing is written with "{}", and read back as
 * having none: an experiment can start from it (pretrain.model). */
static void
test_no_preprocessing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) model = tl_model_new (1, (int[]) { 3 }, 1);
  g_autoptr (TlModel) loaded = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autofree char *path = tmp_path ("no-preprocessing.safetensors");

  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "fc", &error));
  g_assert_true (tl_model_file_save (path, model, NULL, &error));
  loaded = tl_model_file_load (path, &info, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_null (info->preprocessing);
  g_assert_cmpstr (info->labels[1], ==, "1");
}

static void
test_round_trip_text (void)
{
  g_autoptr (TlModel) model = make_text ();
  const char *labels[] = { "negative", "positive", NULL };

  round_trip (model, labels, "text.safetensors");
}

/* A file assembled byte by byte: Dense(2) on 3 inputs, named "fc". */

#define ARCH "{\\\"input_shape\\\":[3],\\\"layers\\\":[{\\\"kind\\\":\\\"dense\\\",\\\"name\\\":\\\"fc\\\",\\\"units\\\":2}]}"
#define META "\"__metadata__\":{\"format\":\"transfer-lab\",\"format_version\":\"1\",\"architecture\":\"" ARCH "\",\"labels\":\"[\\\"a\\\",\\\"b\\\"]\"}"
#define GOOD_HEADER "{" META ",\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}"

static char *
write_raw (const char *name, const char *header, gint64 claimed_len, gsize n_floats, gsize cut)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint64 len = GUINT64_TO_LE (claimed_len >= 0 ? (guint64) claimed_len : strlen (header));
  char *path = tmp_path (name);
  g_autoptr (GError) error = NULL;

  g_byte_array_append (bytes, (const guint8 *) &len, 8);
  g_byte_array_append (bytes, (const guint8 *) header, strlen (header));
  for (gsize i = 0; i < n_floats; i++)
    {
      float f = (float) (i + 1);
      g_byte_array_append (bytes, (const guint8 *) &f, 4);
    }
  g_assert_cmpuint (cut, <=, bytes->len);
  g_assert_true (g_file_set_contents (path, (const char *) bytes->data, bytes->len - cut, &error));
  return path;
}

static void
test_hand_made_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autofree char *path = write_raw ("hand.safetensors", GOOD_HEADER, -1, 8, 0);
  g_autoptr (TlModel) model = tl_model_file_load (path, &info, &error);
  TlLayer *fc;

  g_assert_no_error (error);
  g_assert_nonnull (model);
  g_assert_cmpint (tl_model_n_layers (model), ==, 1);
  fc = tl_model_layer (model, 0);
  g_assert_cmpstr (fc->name, ==, "fc");
  for (int k = 0; k < 6; k++)
    g_assert_cmpfloat (fc->params[0].value->data[k], ==, k + 1);
  g_assert_cmpfloat (fc->params[1].value->data[0], ==, 7);
  g_assert_cmpfloat (fc->params[1].value->data[1], ==, 8);
  g_assert_cmpstr (info->labels[1], ==, "b");
  g_assert_true (fc->trainable);
}

typedef struct {
  const char *name;
  const char *header;
  gint64      claimed_len;     /* -1: the header's length */
  gsize       n_floats;
  gsize       cut;             /* bytes removed from the end */
  const char *expect;          /* part of the message */
} Corruption;

static void
test_corruptions (void)
{
  static const char *tensors_fmt =
    "{" META ",\"fc.weight\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":%s},"
    "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":%s}}";
  g_autofree char *f16 = g_strdup_printf (tensors_fmt, "F16", "[2,3]", "[0,24]", "[24,32]");
  g_autofree char *shape = g_strdup_printf (tensors_fmt, "F32", "[3,2]", "[0,24]", "[24,32]");
  g_autofree char *size = g_strdup_printf (tensors_fmt, "F32", "[2,4]", "[0,24]", "[24,32]");
  g_autofree char *overlap = g_strdup_printf (tensors_fmt, "F32", "[2,3]", "[0,24]", "[16,24]");
  g_autofree char *range = g_strdup_printf (tensors_fmt, "F32", "[2,3]", "[0,24]", "[32,40]");
  g_autofree char *gap = g_strdup_printf (tensors_fmt, "F32", "[2,3]", "[0,24]", "[28,36]");
  g_autofree char *huge = g_strdup_printf (tensors_fmt, "F32", "[25000000000]", "[0,100000000000]", "[24,32]");
  g_autofree char *overflow = g_strdup_printf (tensors_fmt, "F32", "[4294967296,4294967296,4294967296]", "[0,24]", "[24,32]");
  const char *missing = "{" META ",\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
  const char *renamed = "{" META ",\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                        "\"fc.b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}";
  const char *extra = "{" META ",\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                      "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]},"
                      "\"fc.extra\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[32,36]}}";
  const char *meta_number = "{\"__metadata__\":{\"format\":\"transfer-lab\",\"format_version\":1},"
                            "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                            "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}";
  const char *big_arch = "{\"__metadata__\":{\"format\":\"transfer-lab\",\"format_version\":\"1\",\"labels\":\"[]\","
                         "\"architecture\":\"{\\\"input_shape\\\":[16000000],\\\"layers\\\":[{\\\"kind\\\":\\\"dense\\\",\\\"name\\\":\\\"fc\\\",\\\"units\\\":16000000}]}\"},"
                         "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                         "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}";
  const Corruption cases[] = {
    { "truncated", GOOD_HEADER, -1, 8, 5, "holds only 27 bytes" },
    { "tiny", GOOD_HEADER, -1, 0, strlen (GOOD_HEADER) + 4, "too short" },
    { "length-beyond-size", GOOD_HEADER, (gint64) strlen (GOOD_HEADER) + 100, 8, 0, "truncated" },
    { "header-over-limit", GOOD_HEADER, 200 * 1024 * 1024, 8, 0, "allowed" },
    { "bad-json", "{\"fc.weight\": {\"dtype\": \"F32\",,}", -1, 8, 0, "JSON" },
    { "not-object", "[1, 2, 3]", -1, 8, 0, "object" },
    { "dtype", f16, -1, 8, 0, "F16" },
    { "shape", shape, -1, 8, 0, "architecture needs [2, 3]" },
    { "size", size, -1, 8, 0, "needs 32 bytes" },
    { "overlap", overlap, -1, 8, 0, "overlaps" },
    { "out-of-range", range, -1, 8, 0, "holds only 32 bytes" },
    { "gap", gap, -1, 9, 0, "belong to no tensor" },
    { "100GB", huge, -1, 8, 0, "100000000000" },
    { "overflow", overflow, -1, 8, 0, "overflows" },
    { "missing-data", missing, -1, 6, 0, "need at least 8 parameters but there is data for 6" },
    { "missing", renamed, -1, 8, 0, "tensor “fc.bias” [2] is missing" },
    { "extra", extra, -1, 9, 0, "fc.extra" },
    { "metadata-number", meta_number, -1, 8, 0, "not a string" },
    { "big-architecture", big_arch, -1, 8, 0, "data for 8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) herror = NULL;
      g_autofree char *name = g_strdup_printf ("bad-%s.safetensors", cases[i].name);
      g_autofree char *path = write_raw (name, cases[i].header, cases[i].claimed_len, cases[i].n_floats,
                                         cases[i].cut);
      g_autoptr (TlModel) model = tl_model_file_load (path, NULL, &error);

      g_test_message ("%s: %s", cases[i].name, error ? error->message : "(accepted)");
      g_assert_null (model);
      g_assert_error (error, TL_ERROR, error->code);
      g_assert_true (g_str_has_prefix (error->message, path));
      if (strstr (error->message, cases[i].expect) == NULL)
        g_error ("case %s: “%s” does not mention “%s”", cases[i].name, error->message, cases[i].expect);
      /* The header reader must refuse every case it can see without the architecture. */
      if (!g_str_equal (cases[i].name, "shape") && !g_str_has_prefix (cases[i].name, "missing") &&
          !g_str_equal (cases[i].name, "extra") && !g_str_equal (cases[i].name, "big-architecture"))
        {
          g_autoptr (TlModelInfo) info = tl_model_file_read_header (path, &herror);
          g_assert_null (info);
          g_assert_nonnull (herror);
        }
    }
}

static void
test_architecture_json (void)
{
  g_autoptr (TlModel) model = make_cnn ();
  g_autoptr (JsonNode) node = tl_model_architecture_to_json (model);
  g_autoptr (TlArchitecture) arch = NULL;
  g_autoptr (TlModel) rebuilt = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) bad = json_from_string ("{\"input_shape\":[4],\"layers\":[{\"kind\":\"dense\",\"name\":\"d\",\"units\":2,\"filters\":3}]}", NULL);
  g_autoptr (JsonNode) bad_kind = json_from_string ("{\"input_shape\":[4],\"layers\":[{\"kind\":\"transformer\",\"name\":\"d\"}]}", NULL);

  arch = tl_architecture_from_json (node, &error);
  g_assert_no_error (error);
  rebuilt = tl_architecture_build (arch, 1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tl_model_n_layers (rebuilt), ==, tl_model_n_layers (model));
  g_assert_false (tl_model_layer (rebuilt, 0)->trainable);
  g_assert_true (tl_model_layer (rebuilt, 5)->trainable);
  g_assert_cmpfloat (tl_model_layer (rebuilt, 5)->lr_mult, ==, 0.5f);
  g_assert_cmpfloat (tl_model_layer (rebuilt, 4)->spec.rate, ==, 0.25f);
  g_assert_cmpuint (tl_model_param_count (rebuilt, FALSE), ==, tl_model_param_count (model, FALSE));

  g_clear_pointer (&arch, tl_architecture_free);
  arch = tl_architecture_from_json (bad, &error);
  g_assert_null (arch);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "filters"));
  g_clear_error (&error);
  arch = tl_architecture_from_json (bad_kind, &error);
  g_assert_null (arch);
  g_assert_nonnull (strstr (error->message, "transformer"));
}

static void
test_save_is_atomic (void)
{
  g_autoptr (TlModel) model = make_text ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = tmp_path ("no-such-dir");
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree char *good = tmp_path ("keep.safetensors");
  g_autofree char *before = NULL, *after = NULL;
  gsize len1, len2;
  GDir *d;
  const char *entry;

  g_assert_false (tl_model_file_save (path, model, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  /* Saving over an existing file replaces it whole and leaves no temporary behind. */
  g_assert_true (tl_model_file_save (good, model, NULL, &error));
  g_assert_true (g_file_get_contents (good, &before, &len1, NULL));
  fill_params (model, 3.0f);
  g_assert_true (tl_model_file_save (good, model, NULL, &error));
  g_assert_true (g_file_get_contents (good, &after, &len2, NULL));
  g_assert_cmpuint (len1, ==, len2);
  g_assert_true (memcmp (before, after, len1) != 0);
  d = g_dir_open (tmpdir, 0, NULL);
  while ((entry = g_dir_read_name (d)) != NULL)
    g_assert_false (g_str_has_prefix (entry, ".keep"));
  g_dir_close (d);
}

/* N-gram text models: the preprocessing travels in the file */

static const char *const good_words[] = { "great", "good", "loved", "wonderful", "fun", "moving" };
static const char *const bad_words[] = { "bad", "awful", "boring", "dull", "poor", "weak" };
static const char *const plain_words[] = { "the", "film", "book", "plot", "was", "a", "and", "story", "it" };

/* A review of `n` words: plain words with some of the class's words, and
 * "not" before a word of the other class now and then. */
static char *
review (TlRng *rng, gboolean positive, int n)
{
  const char *const *own = positive ? good_words : bad_words;
  const char *const *other = positive ? bad_words : good_words;
  g_autoptr (GString) s = g_string_new (NULL);

  for (int i = 0; i < n; i++)
    {
      guint r = tl_rng_below (rng, 10);
      if (i > 0)
        g_string_append_c (s, ' ');
      if (r < 3)
        g_string_append (s, own[tl_rng_below (rng, 6)]);
      else if (r == 3)
        g_string_append_printf (s, "not %s", other[tl_rng_below (rng, 6)]);
      else
        g_string_append (s, plain_words[tl_rng_below (rng, 9)]);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
write_reviews (const char *name, int n, guint64 seed)
{
  g_autoptr (GString) csv = g_string_new ("text,label\n");
  g_autoptr (GError) error = NULL;
  char *path = tmp_path (name);
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (int i = 0; i < n; i++)
    {
      const gboolean positive = i % 2 == 0;
      g_autofree char *text = review (&rng, positive, 6 + (int) tl_rng_below (&rng, 10));
      g_string_append_printf (csv, "\"%s\",%s\n", text, positive ? "positive" : "negative");
    }
  g_file_set_contents (path, csv->str, csv->len, &error);
  g_assert_no_error (error);
  return path;
}

static TlImportSettings *
ngram_settings (int min_df)
{
  TlImportSettings *s = tl_import_settings_new ();

  s->text_features = TL_TEXT_NGRAMS;
  s->ngrams.min_df = min_df;
  s->label_column = g_strdup ("label");
  s->text_column = g_strdup ("text");
  s->seed = 3;
  s->val_fraction = 0.2;
  s->test_fraction = 0.0;
  return s;
}

/* Texts the model never saw: known words, unknown words, bigrams, one text
 * longer than the bag has slots, and one of nothing but unknown words. */
static char *
write_new_texts (int slots)
{
  g_autoptr (GString) csv = g_string_new ("text,label\n"
                                          "\"a great and moving film, loved it\",positive\n"
                                          "\"dull, boring and weak: a poor plot\",negative\n"
                                          "\"not bad at all, not boring\",positive\n"
                                          "\"the story was good but the film was awful\",negative\n"
                                          "\"ǂǂǂ ʘʘʘ ǂʘ\",negative\n");
  g_autoptr (GError) error = NULL;
  char *path = tmp_path ("new-texts.csv");

  g_string_append (csv, "\"");
  for (int i = 0; i < slots + 10; i++)
    g_string_append_printf (csv, "%s %s %s ", good_words[i % 6], plain_words[i % 9], bad_words[(i / 6) % 6]);
  g_string_append (csv, "\",positive\n");
  g_file_set_contents (path, csv->str, csv->len, &error);
  g_assert_no_error (error);
  return path;
}

/* Reviews imported as n-gram bags (terms in min_df reviews or more). */
static TlImport *
import_reviews (int min_df)
{
  g_autofree char *csv = write_reviews ("reviews.csv", 120, 17);
  g_autoptr (TlImportSettings) settings = ngram_settings (min_df);
  g_autoptr (GError) error = NULL;
  TlImport *import = tl_import_run (csv, settings, &error);

  g_assert_no_error (error);
  g_assert_nonnull (import->preprocess->ngrams);
  return import;
}

static TlModel *
ngram_model (const TlImport *import)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new_preset (TL_PRESET_TEXT_NGRAM, import->dataset->sample_ndim,
                                        import->dataset->sample_shape, import->dataset->n_classes,
                                        tl_preprocess_vocab_size (import->preprocess), 5, &error);

  g_assert_no_error (error);
  g_assert_cmpint (tl_model_layer (model, 0)->spec.kind, ==, TL_LAYER_EMBEDDING_BAG);
  return model;
}

/* Trains a text-ngram model on reviews; returns it with its import. */
static TlModel *
train_ngram_model (TlImport **import_out)
{
  g_autoptr (TlImport) import = import_reviews (2);
  g_autoptr (TlDataset) train = NULL;
  g_autoptr (TlDataset) val = NULL;
  g_autoptr (TlHistory) history = tl_history_new ();
  g_autoptr (GError) error = NULL;
  TlTrainConfig config;
  TlModel *model = ngram_model (import);

  tl_split_apply (import->split, import->dataset, &train, &val, NULL);
  tl_train_config_init (&config);
  config.epochs = 15;
  config.batch_size = 16;
  config.optimizer.learning_rate = 0.01f;
  config.seed = 5;
  g_assert_true (tl_train (model, train, val, &config, NULL, history, &error));
  g_assert_no_error (error);
  *import_out = g_steal_pointer (&import);
  return model;
}

/* Raw text through the model's preprocessing: the bags, and the probabilities. */
static TlTensor *
predict_texts (TlModel *model, const TlPreprocess *pre, const char *path, TlDataset **bags_out)
{
  g_autoptr (TlImportSettings) settings = tl_import_settings_new ();
  g_autoptr (GError) error = NULL;
  TlDataset *ds = tl_import_apply (path, settings, pre, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ds);
  *bags_out = ds;
  return tl_predict (model, ds, 4);
}

/* Train on a CSV, predict on raw text, save, load, predict again: the same
 * bags and the same probabilities, from the preprocessing stored in the file. */
static void
test_ngram_preprocessing_round_trip (void)
{
  g_autoptr (TlImport) import = NULL;
  g_autoptr (TlModel) model = train_ngram_model (&import);
  const TlPreprocess *pre = import->preprocess;
  g_autofree char *texts = write_new_texts (pre->ngrams->settings.max_terms);
  g_autofree char *path = tmp_path ("ngram.safetensors");
  g_autoptr (TlModelInfo) info = tl_model_info_new ();
  g_autoptr (TlModelInfo) back = NULL;
  g_autoptr (TlModel) loaded = NULL;
  g_autoptr (TlPreprocess) loaded_pre = NULL;
  g_autoptr (TlDataset) bags = NULL;
  g_autoptr (TlDataset) bags_after = NULL;
  g_autoptr (TlTensor) before = NULL;
  g_autoptr (TlTensor) after = NULL;
  g_autoptr (GError) error = NULL;
  const int K = pre->ngrams->settings.max_terms;
  double worst = 0.0;
  int empty = 0, full = 0;

  before = predict_texts (model, pre, texts, &bags);
  g_assert_cmpint (bags->n, ==, 6);

  info->labels = g_strdupv (import->dataset->class_names);
  info->preprocessing = tl_preprocess_to_json (pre);
  g_assert_true (tl_model_file_save (path, model, info, &error));
  g_assert_no_error (error);

  loaded = tl_model_file_load (path, &back, &error);
  g_assert_no_error (error);
  loaded_pre = tl_preprocess_from_json (back->preprocessing, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded_pre->ngrams);
  g_assert_cmpint (loaded_pre->ngrams->n_ids, ==, tl_model_layer (loaded, 0)->spec.vocab_size);
  after = predict_texts (loaded, loaded_pre, texts, &bags_after);

  /* the same bags, slot for slot; one text filled every slot, one none */
  g_assert_cmpuint (bags_after->sample_size, ==, bags->sample_size);
  g_assert_cmpmem (bags_after->x, bags->n * bags->sample_size * sizeof (float),
                   bags->x, bags->n * bags->sample_size * sizeof (float));
  for (int i = 0; i < bags->n; i++)
    {
      const float *ids = bags->x + (gsize) i * bags->sample_size;
      empty += ids[0] == 0.0f;
      full += ids[K - 1] != 0.0f;
    }
  g_assert_cmpint (empty, ==, 1);
  g_assert_cmpint (full, >=, 1);

  g_assert_cmpuint (after->size, ==, before->size);
  for (gsize i = 0; i < before->size; i++)
    worst = MAX (worst, fabs ((double) after->data[i] - before->data[i]));
  g_test_message ("n-gram model, %d ids, bags of %d: largest probability difference after save and load %.3g",
                  pre->ngrams->n_ids, K, worst);
  g_assert_cmpfloat (worst, <=, 1e-6);

  /* the model learnt the task: the clear reviews go their way */
  {
    const int pos = g_str_equal (back->labels[1], "positive") ? 1 : 0;
    g_assert_cmpstr (back->labels[pos], ==, "positive");
    g_assert_cmpfloat (after->data[0 * 2 + pos], >, 0.5f);
    g_assert_cmpfloat (after->data[1 * 2 + pos], <, 0.5f);
  }
}

/* A bag whose table does not fit the n-gram features stored beside it is
 * refused on loading, naming the file, the layer and both sizes. */
static void
test_ngram_mismatch (void)
{
  g_autoptr (TlImport) import = import_reviews (2);
  g_autoptr (TlModel) model = ngram_model (import);
  g_autoptr (TlImport) other = NULL;
  g_autofree char *path = tmp_path ("mismatch.safetensors");
  g_autoptr (TlModelInfo) info = tl_model_info_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModel) loaded = NULL;
  g_autofree char *rows = NULL;

  /* the same text with min_df 1: more terms than the model's table has rows */
  other = import_reviews (1);
  g_assert_cmpint (other->preprocess->ngrams->n_ids, >, import->preprocess->ngrams->n_ids);
  other->preprocess->ngrams->settings.max_terms = import->preprocess->ngrams->settings.max_terms;
  info->labels = g_strdupv (import->dataset->class_names);
  info->preprocessing = tl_preprocess_to_json (other->preprocess);
  g_assert_true (tl_model_file_save (path, model, info, &error));
  g_assert_no_error (error);

  loaded = tl_model_file_load (path, NULL, &error);
  g_assert_null (loaded);
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, tl_model_layer (model, 0)->name));
  rows = g_strdup_printf ("table of %d rows", import->preprocess->ngrams->n_ids);
  g_assert_nonnull (strstr (error->message, rows));
  g_clear_pointer (&rows, g_free);
  rows = g_strdup_printf ("%d rows: the model and its preprocessing do not belong together",
                          other->preprocess->ngrams->n_ids);
  g_assert_nonnull (strstr (error->message, rows));
  g_clear_error (&error);

  /* sequence features under a bag */
  json_node_unref (info->preprocessing);
  info->preprocessing = json_from_string ("{\"kind\": \"text\", \"max_len\": 8, \"padding\": \"pre\", "
                                          "\"truncating\": \"pre\", \"class_names\": [], "
                                          "\"vocabulary\": [\"<pad>\", \"<unk>\", \"good\"]}", NULL);
  g_assert_true (tl_model_file_save (path, model, info, &error));
  g_assert_null (tl_model_file_load (path, NULL, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "reads bags of n-grams"));
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tl-model-file-XXXXXX", NULL);

  g_test_add_func ("/model-file/round-trip-cnn", test_round_trip_cnn);
  g_test_add_func ("/model-file/round-trip-text", test_round_trip_text);
  g_test_add_func ("/model-file/round-trip-vision", test_round_trip_vision);
  g_test_add_func ("/model-file/missing-running-stats", test_missing_running_stats);
  g_test_add_func ("/model-file/no-preprocessing", test_no_preprocessing);
  g_test_add_func ("/model-file/hand-made", test_hand_made_file);
  g_test_add_func ("/model-file/corruptions", test_corruptions);
  g_test_add_func ("/model-file/architecture-json", test_architecture_json);
  g_test_add_func ("/model-file/save-atomic", test_save_is_atomic);
  g_test_add_func ("/model-file/ngram-preprocessing", test_ngram_preprocessing_round_trip);
  g_test_add_func ("/model-file/ngram-mismatch", test_ngram_mismatch);
  ret = g_test_run ();

  if (g_getenv ("TL_KEEP_TMP") == NULL)
    {
      g_autoptr (GFile) dir = g_file_new_for_path (tmpdir);
      g_autoptr (GFileEnumerator) e = g_file_enumerate_children (dir, "standard::name", 0, NULL, NULL);
      GFileInfo *fi;

      while (e && (fi = g_file_enumerator_next_file (e, NULL, NULL)) != NULL)
        {
          g_autofree char *p = g_build_filename (tmpdir, g_file_info_get_name (fi), NULL);
          g_unlink (p);
          g_object_unref (fi);
        }
      g_rmdir (tmpdir);
    }
  g_free (tmpdir);
  return ret;
}
