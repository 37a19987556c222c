#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "cli-run.h"
#include "test-util.h"
#include "tl-model-file.h"

/* `run --engine torch` from an imported graph model: a torchvision ResNet-18
 * (random weights, one grey channel, made here by /usr/bin/python3) imported
 * with `transfer-lab import STATE.pth --arch resnet18 --input 1x28x28` is the
 * experiment's pretrain.model, fine-tuned on a small slice of Fashion-MNIST
 * by two processes on the CPU: residual blocks frozen, the head rebuilt,
 * learning-rate multipliers on the last block; then with gradual unfreezing
 * against the built-in trainer. Skipped, saying why, without torch,
 * torchvision or the data. */

#define FASHION "/usr/share/datasets/fashion-mnist"
#define PYTHON "/usr/bin/python3"
/* layer4_1_conv1: the layers below it (the stem and three and a half residual stages) stay frozen */
#define FROZEN_BELOW 41

static char *tmp;

static char *
path_in (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

static gboolean
python (const char *code)
{
  const char *argv[] = { PYTHON, "-c", code, NULL };
  int status = 1;

  return g_spawn_sync (tmp, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                       NULL, NULL, NULL, &status, NULL)
         && g_spawn_check_wait_status (status, NULL);
}

static gboolean
can_run (void)
{
  if (!g_file_test (FASHION "/train-images-idx3-ubyte.gz", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed (" FASHION ")");
      return FALSE;
    }
  if (!python ("import torch, torchvision"))
    {
      g_test_skip ("python3-torch and python3-torchvision are not installed: no backbone to import, no engine");
      return FALSE;
    }
  return TRUE;
}

/* The imported backbone, made once: its path. */
static const char *
backbone (void)
{
  static char *model;
  g_autofree char *pth = NULL;
  g_auto (Result) r = { 0 };

  if (model != NULL)
    return model;
  g_assert_true (python ("import torch, torchvision\n"
                         "torch.manual_seed(0)\n"
                         "m = torchvision.models.resnet18(num_classes=10)\n"
                         "m.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)\n"
                         "torch.save(m.state_dict(), 'resnet18.pth')\n"));
  pth = path_in ("resnet18.pth");
  model = path_in ("resnet18.safetensors");
  RUN (&r, "import", pth, "--arch", "resnet18", "--input", "1x28x28", "--out", model);
  expect_status (&r, 0);
  return model;
}

/* An experiment on Fashion-MNIST's last five classes starting from the backbone; `transfer` is the
 * transfer object's extra members. */
static char *
write_experiment (const char *name, const char *transfer, gboolean baseline)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.json", tmp, name);
  g_autofree char *text = g_strdup_printf (
    "{\n"
    "  \"name\": \"%s\", \"seed\": 7,\n"
    "  \"source\": { \"format\": \"idx\", \"path\": \"" FASHION "/train-images-idx3-ubyte.gz\",\n"
    "              \"labels\": \"" FASHION "/train-labels-idx1-ubyte.gz\", \"per_class\": 20, \"grey\": true,\n"
    "              \"classes\": [\"T-shirt/top\", \"Trouser\", \"Pullover\", \"Dress\", \"Coat\"] },\n"
    "  \"target\": { \"format\": \"idx\", \"path\": \"" FASHION "/train-images-idx3-ubyte.gz\",\n"
    "              \"labels\": \"" FASHION "/train-labels-idx1-ubyte.gz\", \"per_class\": 60,\n"
    "              \"test_per_class\": 30, \"grey\": true,\n"
    "              \"classes\": [\"Sandal\", \"Shirt\", \"Sneaker\", \"Bag\", \"Ankle boot\"] },\n"
    "  \"pretrain\": { \"model\": \"%s\" },\n"
    "  \"transfer\": { \"freeze\": { \"below\": %d }, \"rebuild_head\": true, \"epochs\": 2, \"batch_size\": 32,\n"
    "                \"optimizer\": { \"kind\": \"adam\", \"lr\": 0.002 }%s },\n"
    "  \"baseline\": %s,\n"
    "  \"outputs\": { \"plots\": [\"svg\"] }\n"
    "}\n", name, backbone (), FROZEN_BELOW, transfer, baseline ? "true" : "false");

  tl_test_write_text (path, text);
  return g_steal_pointer (&path);
}

static JsonNode *
load_json (const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

static JsonObject *
find_run (JsonNode *summary, const char *name)
{
  JsonArray *runs = json_object_get_array_member (json_node_get_object (summary), "runs");

  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      if (g_str_equal (json_object_get_string_member (run, "name"), name))
        return run;
    }
  g_error ("no run %s in the summary", name);
  return NULL;
}

static JsonNode *
summary_of (const char *out)
{
  g_autofree char *path = g_build_filename (out, "summary.json", NULL);
  return load_json (path);
}

static TlModel *
load_model (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  TlModel *model = tl_model_file_load (path, &info, &error);

  g_assert_no_error (error);
  return model;
}

static gboolean
same_params (TlLayer *a, TlLayer *b)
{
  if (a->n_params != b->n_params)
    return FALSE;
  for (int p = 0; p < a->n_params; p++)
    if (a->params[p].value->size != b->params[p].value->size
        || memcmp (a->params[p].value->data, b->params[p].value->data, a->params[p].value->size * sizeof (float)) != 0)
      return FALSE;
  return TRUE;
}

static void
test_fine_tune (void)
{
  g_autofree char *exp = NULL;
  g_autofree char *out = path_in ("fine-tune");
  g_autofree char *job = path_in ("fine-tune-job");
  g_autofree char *graph_py = g_build_filename (job, "engine", "transfer_lab_graph.py", NULL);
  g_autofree char *tuned_path = g_build_filename (out, "transfer", "model.safetensors", NULL);
  g_autoptr (TlModel) imported = NULL, tuned = NULL;
  g_autoptr (JsonNode) summary = NULL;
  g_auto (Result) prepared = { 0 }, r = { 0 };
  JsonObject *transfer, *baseline;
  TlLayer *head;

  if (!can_run ())
    return;
  g_setenv ("TL_PYTHON", PYTHON, TRUE);
  exp = write_experiment ("graph-fine-tune",
                          ", \"lr_mult\": { \"layer4_1_conv1\": 0.1, \"layer4_1_conv2\": 0.5 }", TRUE);

  /* the job folder carries the bridge's graph part */
  RUN (&prepared, "run", exp, "--engine", "torch", "--prepare-only", "--out", job);
  expect_status (&prepared, 0);
  g_assert_true (g_file_test (graph_py, G_FILE_TEST_IS_REGULAR));

  RUN (&r, "run", exp, "--engine", "torch", "--devices", "cpu", "--nproc", "2", "--out", out);
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "[transfer] epoch 2/2"));

  summary = summary_of (out);
  transfer = find_run (summary, "transfer");
  baseline = find_run (summary, "baseline");
  g_test_message ("graph fine-tune: transfer accuracy %.3f, baseline %.3f, engine differences %.2g and %.2g",
                  json_object_get_double_member (transfer, "test_accuracy"),
                  json_object_get_double_member (baseline, "test_accuracy"),
                  json_object_get_double_member (transfer, "engine_max_probability_difference"),
                  json_object_get_double_member (baseline, "engine_max_probability_difference"));
  /* the application's evaluation agrees with the engine's */
  g_assert_cmpfloat (json_object_get_double_member (transfer, "engine_max_probability_difference"), <=, 1e-4);
  g_assert_cmpfloat (json_object_get_double_member (baseline, "engine_max_probability_difference"), <=, 1e-4);
  g_assert_cmpint (json_object_get_int_member (transfer, "test_samples"), ==, 150);
  g_assert_cmpint (json_object_get_int_member (transfer, "epochs"), ==, 2);
  /* five classes: chance is 0.2; the last residual block on random features learns them well */
  g_assert_cmpfloat (json_object_get_double_member (transfer, "test_accuracy"), >, 0.6);
  g_assert_cmpfloat (json_object_get_double_member (transfer, "test_accuracy"), <=, 1.0);
  g_assert_cmpfloat (json_object_get_double_member (baseline, "test_accuracy"), >, 0.25);
  g_assert_cmpint (json_object_get_int_member (transfer, "trainable_params"), <,
                   json_object_get_int_member (baseline, "trainable_params"));

  /* the tuned model loads in the application as the graph it was */
  imported = load_model (backbone ());
  tuned = load_model (tuned_path);
  g_assert_true (tuned->graph);
  g_assert_cmpint (tl_model_n_layers (tuned), ==, tl_model_n_layers (imported));
  for (int i = 0; i < tl_model_n_layers (tuned); i++)
    {
      TlLayer *a = tl_model_layer (imported, i), *b = tl_model_layer (tuned, i);

      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpint (a->n_inputs, ==, b->n_inputs);
      for (int k = 0; k < a->n_inputs; k++)
        g_assert_cmpint (a->inputs[k], ==, b->inputs[k]);
      if (i < FROZEN_BELOW)
        {
          /* frozen: the same bytes, still frozen */
          g_assert_true (same_params (a, b));
          if (b->n_params > 0)
            g_assert_false (b->trainable);
        }
      else if (b->n_params > 0)
        {
          g_assert_true (b->trainable);
          if (i + 1 < tl_model_n_layers (tuned))
            g_assert_false (same_params (a, b));
        }
    }
  g_assert_cmpfloat (tl_model_layer (tuned, tl_model_find_layer (tuned, "layer4_1_conv1"))->lr_mult, ==, 0.1f);
  g_assert_cmpfloat (tl_model_layer (tuned, tl_model_find_layer (tuned, "layer4_1_conv2"))->lr_mult, ==, 0.5f);
  /* the head made anew for five classes */
  head = tl_model_layer (tuned, tl_model_n_layers (tuned) - 1);
  g_assert_cmpint (head->out_shape[0], ==, 5);
}

/* Gradual unfreezing through the residual stages, by the engine and by the built-in trainer: the
 * same layers released (the downsampling convolution of layer4_0, then its second convolution), the
 * same parameters trainable at the end, accuracies near each other. */
static void
test_unfreezing (void)
{
  g_autofree char *exp = NULL;
  g_autofree char *torch = path_in ("unfreeze-torch");
  g_autofree char *builtin = path_in ("unfreeze-builtin");
  g_autoptr (JsonNode) st = NULL, sc = NULL;
  g_auto (Result) t = { 0 }, c = { 0 };
  JsonObject *rt, *rc;

  if (!can_run ())
    return;
  g_setenv ("TL_PYTHON", PYTHON, TRUE);
  exp = write_experiment ("graph-unfreeze", ", \"unfreeze_every\": 1", FALSE);
  RUN (&t, "run", exp, "--engine", "torch", "--devices", "cpu", "--nproc", "2", "--out", torch);
  expect_status (&t, 0);
  g_assert_nonnull (strstr (t.out, "[transfer] after epoch 1: "));
  RUN (&c, "run", exp, "--quiet", "--out", builtin);
  expect_status (&c, 0);

  st = summary_of (torch);
  sc = summary_of (builtin);
  rt = find_run (st, "transfer");
  rc = find_run (sc, "transfer");
  g_test_message ("graph unfreezing: torch %.3f, built-in %.3f", json_object_get_double_member (rt, "test_accuracy"),
                  json_object_get_double_member (rc, "test_accuracy"));
  g_assert_cmpfloat (json_object_get_double_member (rt, "engine_max_probability_difference"), <=, 1e-4);
  g_assert_cmpint (json_object_get_int_member (rt, "trainable_params"), ==,
                   json_object_get_int_member (rc, "trainable_params"));
  g_assert_cmpint (json_object_get_int_member (rt, "trainable_params"), <,
                   json_object_get_int_member (rt, "total_params"));
  g_assert_cmpfloat (json_object_get_double_member (rt, "test_accuracy"), >, 0.5);
  g_assert_cmpfloat (fabs (json_object_get_double_member (rt, "test_accuracy")
                           - json_object_get_double_member (rc, "test_accuracy")), <, 0.2);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  cli_binary ();
  tmp = g_dir_make_tmp ("tl-cli-torch-graph-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  g_test_add_func ("/cli/torch-graph/fine-tune", test_fine_tune);
  g_test_add_func ("/cli/torch-graph/unfreezing", test_unfreezing);
  status = g_test_run ();
  tl_test_remove_tree (tmp);
  g_free (tmp);
  return status;
}
