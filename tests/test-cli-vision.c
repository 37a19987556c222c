#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "cli-run.h"
#include "test-util.h"
#include "tl-model-file.h"

/* An experiment whose architecture is a small mobile backbone (batch norm,
 * depthwise and grouped convolutions, ReLU6, HardSwish, Clip, average pools),
 * run from the command line as a real process: the running statistics reach
 * the model files, frozen batch norms keep theirs, and the results do not
 * depend on the number of threads. */

static char *tmp;

static char *
path_in (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

static void
write_idx (const char *path, int ndim, const int *dims, const guint8 *data, gsize size)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 head[4] = { 0, 0, 0x08, (guint8) ndim };
  g_autoptr (GError) error = NULL;

  g_byte_array_append (bytes, head, 4);
  for (int d = 0; d < ndim; d++)
    {
      guint32 be = GUINT32_TO_BE ((guint32) dims[d]);
      g_byte_array_append (bytes, (guint8 *) &be, 4);
    }
  g_byte_array_append (bytes, data, size);
  g_file_set_contents (path, (char *) bytes->data, bytes->len, &error);
  g_assert_no_error (error);
}

/* 12x12 grey images of 3 classes: a bright band at a class-specific height,
 * horizontal for the source and vertical for the target. */
static void
write_bands (const char *images, const char *labels, int n, gboolean vertical, guint32 seed)
{
  const int side = 12;
  g_autofree guint8 *pixels = g_new0 (guint8, n * side * side);
  g_autofree guint8 *y = g_new0 (guint8, n);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < n; i++)
    {
      y[i] = i % 3;
      for (int p = 0; p < side * side; p++)
        {
          int at = vertical ? p % side : p / side;
          gboolean band = at >= 1 + 4 * y[i] && at < 3 + 4 * y[i];
          pixels[i * side * side + p] = (guint8) (band ? 180 + g_rand_int_range (rand, 0, 75)
                                                       : g_rand_int_range (rand, 0, 70));
        }
    }
  write_idx (images, 3, (int[]) { n, side, side }, pixels, n * side * side);
  write_idx (labels, 1, (int[]) { n }, y, n);
}

static char *
write_experiment (void)
{
  g_autofree char *si = path_in ("src-images"), *sl = path_in ("src-labels");
  g_autofree char *ti = path_in ("tgt-images"), *tl = path_in ("tgt-labels");
  char *path = path_in ("vision.json");

  write_bands (si, sl, 150, FALSE, 3);
  write_bands (ti, tl, 90, TRUE, 4);
  tl_test_write_text (path,
    "{\n"
    "  \"name\": \"mobile\",\n"
    "  \"seed\": 7,\n"
    "  \"source\": { \"format\": \"idx\", \"path\": \"src-images\", \"labels\": \"src-labels\" },\n"
    "  \"target\": { \"format\": \"idx\", \"path\": \"tgt-images\", \"labels\": \"tgt-labels\",\n"
    "              \"per_class\": 15, \"val_fraction\": 0.1, \"test_fraction\": 0.3 },\n"
    "  \"architecture\": { \"layers\": [\n"
    "    { \"kind\": \"conv2d\", \"name\": \"stem\", \"filters\": 8, \"kernel\": 3, \"stride\": 2, \"padding\": 1 },\n"
    "    { \"kind\": \"batchnorm2d\", \"name\": \"stem_bn\" },\n"
    "    { \"kind\": \"relu6\", \"name\": \"stem_act\" },\n"
    "    { \"kind\": \"conv2d\", \"name\": \"dw\", \"filters\": 8, \"kernel\": 3, \"padding\": 1, \"groups\": 8 },\n"
    "    { \"kind\": \"batchnorm2d\", \"name\": \"dw_bn\" },\n"
    "    { \"kind\": \"hardswish\", \"name\": \"dw_act\" },\n"
    "    { \"kind\": \"conv2d\", \"name\": \"pw\", \"filters\": 12, \"kernel\": 1, \"groups\": 2 },\n"
    "    { \"kind\": \"avgpool2d\", \"name\": \"pool\", \"kernel\": 3, \"stride\": 2, \"padding\": 1 },\n"
    "    { \"kind\": \"clip\", \"name\": \"clip\", \"min\": -1, \"max\": 4 },\n"
    "    { \"kind\": \"global_avg_pool2d\", \"name\": \"gap\" },\n"
    "    { \"kind\": \"batchnorm1d\", \"name\": \"head_bn\" },\n"
    "    { \"kind\": \"dense\", \"name\": \"head\", \"units\": 3 } ] },\n"
    "  \"pretrain\": { \"epochs\": 3, \"batch_size\": 16 },\n"
    "  \"transfer\": { \"freeze\": { \"below\": 6 }, \"epochs\": 3, \"batch_size\": 8 }\n"
    "}\n");
  return path;
}

static TlModel *
load_model (const char *dir, const char *run)
{
  g_autofree char *path = g_build_filename (dir, run, "model.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_file_load (path, NULL, &error);

  g_assert_no_error (error);
  return model;
}

static const float *
stats (TlModel *model, const char *layer, const char *buffer)
{
  TlParam *p = tl_layer_find_buffer (tl_model_layer (model, tl_model_find_layer (model, layer)), buffer);

  g_assert_nonnull (p);
  return p->value->data;
}

static void
test_run_mobile_backbone (void)
{
  g_autofree char *exp = write_experiment ();
  g_autofree char *out = path_in ("out");
  g_autoptr (TlModel) pre = NULL, tuned = NULL;
  g_auto (Result) r = { 0 };

  RUN (&r, "run", exp, "--out", out, "--quiet");
  expect_status (&r, 0);
  pre = load_model (out, "pretrain");
  tuned = load_model (out, "transfer");

  /* training moved the running statistics away from their start (0 and 1) */
  g_assert_cmpfloat (stats (pre, "stem_bn", "running_mean")[0], !=, 0.0f);
  g_assert_cmpfloat (stats (pre, "head_bn", "running_var")[0], !=, 1.0f);
  /* the frozen batch norms kept theirs; the trainable one went on learning */
  g_assert_true (memcmp (stats (pre, "stem_bn", "running_mean"), stats (tuned, "stem_bn", "running_mean"),
                         8 * sizeof (float)) == 0);
  g_assert_true (memcmp (stats (pre, "dw_bn", "running_var"), stats (tuned, "dw_bn", "running_var"),
                         8 * sizeof (float)) == 0);
  g_assert_true (memcmp (stats (pre, "head_bn", "running_mean"), stats (tuned, "head_bn", "running_mean"),
                         12 * sizeof (float)) != 0);
  g_assert_cmpint (tl_model_layer (tuned, tl_model_find_layer (tuned, "dw"))->params[0].value->shape[1], ==, 1);

  /* the experiment written with the results keeps the new fields */
  {
    g_autofree char *saved = g_build_filename (out, "experiment.json", NULL);
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (saved, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "\"groups\": 8"));
    g_assert_nonnull (strstr (text, "\"kind\": \"clip\""));
    g_assert_nonnull (strstr (text, "\"min\": -1"));
    g_assert_nonnull (strstr (text, "\"max\": 4"));
    g_assert_nonnull (strstr (text, "\"kind\": \"avgpool2d\""));
  }

  /* the saved model evaluates from the command line */
  {
    g_auto (Result) e = { 0 };
    g_autofree char *model = g_build_filename (out, "transfer", "model.safetensors", NULL);
    g_autofree char *ti = path_in ("tgt-images"), *tl = path_in ("tgt-labels");

    RUN (&e, "evaluate", model, ti, "--format", "idx", "--labels", tl);
    expect_status (&e, 0);
  }
}

/* One thread or two: the same model files, bit for bit. */
static void
test_threads_do_not_change_results (void)
{
  g_autofree char *exp = write_experiment ();
  g_autofree char *one = path_in ("one-thread"), *two = path_in ("two-threads");
  g_autofree char *a = NULL, *b = NULL;
  gsize na, nb;
  g_auto (Result) r1 = { 0 };
  g_auto (Result) r2 = { 0 };

  g_setenv ("TL_NUM_THREADS", "1", TRUE);
  RUN (&r1, "run", exp, "--out", one, "--quiet", "--set", "pretrain.epochs=2", "--set", "transfer.epochs=1");
  g_setenv ("TL_NUM_THREADS", "2", TRUE);
  RUN (&r2, "run", exp, "--out", two, "--quiet", "--set", "pretrain.epochs=2", "--set", "transfer.epochs=1");
  g_unsetenv ("TL_NUM_THREADS");
  expect_status (&r1, 0);
  expect_status (&r2, 0);
  for (int i = 0; i < 2; i++)
    {
      const char *run = i == 0 ? "pretrain" : "transfer";
      g_autofree char *pa = g_build_filename (one, run, "model.safetensors", NULL);
      g_autofree char *pb = g_build_filename (two, run, "model.safetensors", NULL);

      g_clear_pointer (&a, g_free);
      g_clear_pointer (&b, g_free);
      g_assert_true (g_file_get_contents (pa, &a, &na, NULL));
      g_assert_true (g_file_get_contents (pb, &b, &nb, NULL));
      g_assert_cmpuint (na, ==, nb);
      g_assert_true (memcmp (a, b, na) == 0);
    }
}

/* A bad field names the file, the layer and what was expected. */
static void
test_bad_vision_fields (void)
{
  g_autofree char *exp = write_experiment ();
  g_auto (Result) r = { 0 };
  g_auto (Result) g = { 0 };

  RUN (&r, "run", exp, "--set", "architecture.layers.3.groups=3", "--quiet");
  expect_status (&r, 1);
  g_assert_nonnull (strstr (r.err, "groups 3 must divide"));
  RUN (&g, "run", exp, "--set", "architecture.layers.8.min=5", "--quiet");
  expect_status (&g, 1);
  g_assert_nonnull (strstr (g.err, "clip needs min below max"));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp = g_dir_make_tmp ("tl-cli-vision-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  g_test_add_func ("/cli-vision/run-mobile-backbone", test_run_mobile_backbone);
  g_test_add_func ("/cli-vision/threads", test_threads_do_not_change_results);
  g_test_add_func ("/cli-vision/bad-fields", test_bad_vision_fields);
  status = g_test_run ();
  tl_test_remove_tree (tmp);
  g_free (tmp);
  return status;
}
