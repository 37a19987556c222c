#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cli-run.h"
#include "tl-model-file.h"
#include "tl-remove-tree.h"

/* `transfer-lab import STATE.pth --arch NAME --input CxHxW`: torchvision
 * state dicts (made here by /usr/bin/python3 with random weights) become
 * model files; the wrong architecture, missing and unexpected keys, a file
 * that is no state dict and a Python without torch are refused by name.
 * Skipped, saying why, without torch and torchvision. */

#define PYTHON "/usr/bin/python3"

static char *tmpdir;

static char *
path_in (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Runs Python code with the temporary folder as its working directory; FALSE if it fails. */
static gboolean
python (const char *code)
{
  const char *argv[] = { PYTHON, "-c", code, NULL };
  int status = 1;

  return g_spawn_sync (tmpdir, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, NULL, NULL, &status, NULL)
         && g_spawn_check_wait_status (status, NULL);
}

static gboolean
has_torchvision (void)
{
  if (!python ("import torch, torchvision"))
    {
      g_test_skip ("python3-torch and python3-torchvision are not installed: no state dict can be made or read");
      return FALSE;
    }
  return TRUE;
}

static void
test_resnet (void)
{
  g_autofree char *pth = path_in ("resnet18.pth"), *out = path_in ("resnet18.safetensors");
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *prov = NULL;
  int ndim;
  const int *shape;

  if (!has_torchvision ())
    return;
  g_assert_true (python ("import torch, torchvision\n"
                         "torch.manual_seed(0)\n"
                         "m = torchvision.models.resnet18(num_classes=5)\n"
                         "m.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)\n"
                         "torch.save(m.state_dict(), 'resnet18.pth')\n"));
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", pth, "--arch", "resnet18", "--input", "1x28x28", "--out", out);
    expect_status (&r, 0);
    /* 48: the Flatten after the pooling adds no layer, the pooled channels being rows already */
    g_assert_nonnull (strstr (r.out, "Imported 48 layers"));
  }
  model = tl_model_file_load (out, &info, &error);
  g_assert_no_error (error);
  g_assert_true (model->graph);
  g_assert_cmpint (model->in_shape[0], ==, 1);
  g_assert_cmpint (model->in_shape[1], ==, 28);
  shape = tl_model_out_shape (model, &ndim);
  g_assert_cmpint (shape[0], ==, 5);
  prov = json_to_string (info->provenance, FALSE);
  g_assert_nonnull (strstr (prov, "\"imported_from\":\"resnet18.pth\""));
  g_assert_nonnull (strstr (prov, "\"torchvision_arch\":\"resnet18\""));

  /* the channels the first convolution reads decide */
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", pth, "--arch", "resnet18", "--input", "3x28x28", "--out", out, "--force");
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "resnet18.pth"));
    g_assert_nonnull (strstr (r.err, "reads 1 channels but --input gives 3"));
  }
}

static void
test_mobilenet (void)
{
  g_autofree char *pth = path_in ("mobilenet.pth"), *out = path_in ("mobilenet.safetensors");
  g_autoptr (TlModel) model = NULL;
  g_autoptr (GError) error = NULL;

  if (!has_torchvision ())
    return;
  /* a checkpoint wrapping the state dict, saved from DataParallel ("module." keys) */
  g_assert_true (python ("import torch, torchvision\n"
                         "m = torch.nn.DataParallel(torchvision.models.mobilenet_v2(num_classes=4))\n"
                         "torch.save({'epoch': 3, 'state_dict': m.state_dict()}, 'mobilenet.pth')\n"));
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", pth, "--arch", "mobilenet_v2", "--input", "3x32x32", "--out", out);
    expect_status (&r, 0);
    g_assert_nonnull (strstr (r.out, "Imported 99 layers"));   /* no layer for the Flatten of pooled channels */
  }
  model = tl_model_file_load (out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tl_model_n_outputs (model), ==, 4);
}

static void
test_refusals (void)
{
  g_autofree char *out = path_in ("refused.safetensors");
  g_autofree char *good = path_in ("good.pth"), *missing = path_in ("missing.pth"), *extra = path_in ("extra.pth");
  g_autofree char *junk = path_in ("junk.pth");

  if (!has_torchvision ())
    return;
  g_assert_true (python ("import torch, torchvision\n"
                         "s = torchvision.models.resnet18(num_classes=3).state_dict()\n"
                         "torch.save(s, 'good.pth')\n"
                         "t = dict(s); del t['layer2.0.bn1.running_var']\n"
                         "torch.save(t, 'missing.pth')\n"
                         "t = dict(s); t['head.weight'] = torch.zeros(3)\n"
                         "torch.save(t, 'extra.pth')\n"));
  g_assert_true (g_file_set_contents (junk, "not a state dict", -1, NULL));
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", good, "--arch", "mobilenet_v2", "--input", "3x32x32", "--out", out);
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "good.pth: not a torchvision mobilenet_v2 state dict"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", good, "--arch", "vgg16", "--input", "3x32x32", "--out", out);
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "unknown architecture “vgg16”; supported are: mobilenet_v2"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", missing, "--arch", "resnet18", "--input", "3x32x32", "--out", out);
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "missing.pth"));
    g_assert_nonnull (strstr (r.err, "1 missing (layer2.0.bn1.running_var)"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", extra, "--arch", "resnet18", "--input", "3x32x32", "--out", out);
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "1 unexpected (head.weight)"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", junk, "--arch", "resnet18", "--input", "3x32x32", "--out", out);
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "junk.pth: cannot be read as a state dict"));
  }
  /* usage: the architecture and the input shape are needed */
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", good, "--out", out);
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, "--arch"));
  }
  {
    g_auto (Result) r = { 0 };
    RUN (&r, "import", good, "--arch", "resnet18", "--input", "3x32", "--out", out);
    expect_status (&r, 2);
    g_assert_nonnull (strstr (r.err, "--input CHANNELSxHEIGHTxWIDTH"));
  }
  /* no Python with torch */
  {
    g_auto (Result) r = { 0 };
    g_setenv ("TL_PYTHON", "/nonexistent/python3", TRUE);
    RUN (&r, "import", good, "--arch", "resnet18", "--input", "3x32x32", "--out", out);
    g_setenv ("TL_PYTHON", PYTHON, TRUE);
    expect_status (&r, 1);
    g_assert_nonnull (strstr (r.err, "good.pth: importing a state dict needs PyTorch"));
  }
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_setenv ("TL_PYTHON", PYTHON, TRUE);
  tmpdir = g_dir_make_tmp ("tl-cli-state-dict-XXXXXX", NULL);
  g_test_add_func ("/cli-state-dict/resnet", test_resnet);
  g_test_add_func ("/cli-state-dict/mobilenet", test_mobilenet);
  g_test_add_func ("/cli-state-dict/refusals", test_refusals);
  status = g_test_run ();
  tl_remove_tree (tmpdir);
  return status;
}
