#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli-run.h"
#include "test-util.h"
#include "tl-model-file.h"
#include "tl-torch-tensors.h"
#include "tl-trainer.h"

/* `run --engine torch`: PyTorch under torchrun trains, the application
 * prepares the data and evaluates the models. On a small slice of the split
 * Fashion-MNIST experiment, two processes on the CPU. */

#define FASHION "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
#define PYTHON "/usr/bin/python3"

static char *tmp;

static char *
path_in (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

static char *
experiment (void)
{
  const char *src = g_getenv ("TL_SOURCE_DIR");

  g_assert_nonnull (src);
  return g_build_filename (src, "data", "experiments", "fashion-split.json", NULL);
}

/* TRUE when /usr/bin/python3 with torch is there; else the test is skipped with why. */
static gboolean
has_torch (void)
{
  const char *argv[] = { PYTHON, "-c", "import torch", NULL };
  int status = 1;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                     NULL, NULL, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      g_test_skip ("python3-torch is not installed: the torch engine cannot run");
      return FALSE;
    }
  return TRUE;
}

/* TRUE when the data and /usr/bin/python3 with torch are there; else the test is skipped with why. */
static gboolean
can_run (void)
{
  if (!g_file_test (FASHION, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed (/usr/share/datasets/fashion-mnist)");
      return FALSE;
    }
  return has_torch ();
}

static gboolean
has_gpu (void)
{
  const char *argv[] = { PYTHON, "-c", "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)", NULL };
  int status = 1;

  return g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                       NULL, NULL, NULL, &status, NULL)
         && g_spawn_check_wait_status (status, NULL);
}

/* The reduced budget: 40 source and 8 target images per class, 20 test images per class, 1 + 3 epochs. */
#define SLICE "--set", "source.per_class=40", "--set", "source.test_per_class=10", "--set", "target.per_class=8", \
              "--set", "target.test_per_class=20", "--set", "pretrain.epochs=1", "--set", "transfer.epochs=3", \
              "--set", "outputs.plots=[\"png\"]"

static JsonNode *
load_json (const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

/* summary.json of a torch run: its three runs, each model agreeing with the engine's within 1e-4. */
static void
check_summary (const char *out, int world_size)
{
  g_autofree char *path = g_build_filename (out, "summary.json", NULL);
  g_autoptr (JsonNode) root = load_json (path);
  JsonObject *summary = json_node_get_object (root);
  JsonObject *engine = json_object_get_object_member (summary, "engine");
  JsonArray *runs = json_object_get_array_member (summary, "runs");
  const char *names[] = { "pretrain", "transfer", "baseline" };

  g_assert_nonnull (engine);
  g_assert_cmpint (json_object_get_int_member (engine, "world_size"), ==, world_size);
  g_assert_cmpstr (json_object_get_string_member (engine, "backend"), ==, "gloo");
  g_assert_cmpuint (json_array_get_length (runs), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      g_autofree char *model = g_build_filename (out, names[i], "model.safetensors", NULL);
      g_autofree char *history = g_build_filename (out, names[i], "history.csv", NULL);

      g_assert_cmpstr (json_object_get_string_member (run, "name"), ==, names[i]);
      g_assert_cmpfloat (json_object_get_double_member (run, "engine_max_probability_difference"), <=, 1e-4);
      g_assert_cmpint (json_object_get_int_member (run, "epochs"), ==, i == 0 ? 1 : 3);
      g_assert_true (g_file_test (model, G_FILE_TEST_IS_REGULAR));
      g_assert_true (g_file_test (history, G_FILE_TEST_IS_REGULAR));
    }
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (runs, 1), "test_samples"), ==, 100);
  /* the frozen convolutions: transfer trains fewer parameters than the baseline */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (runs, 1), "trainable_params"), <,
                   json_object_get_int_member (json_array_get_object_element (runs, 2), "trainable_params"));
}

static void
test_dry_run (void)
{
  g_autofree char *exp = experiment ();
  g_autofree char *out = path_in ("dry");
  g_auto (Result) r = { 0 }, cuda = { 0 }, missing = { 0 }, refused = { 0 };

  if (!can_run ())
    return;
  g_setenv ("TL_PYTHON", PYTHON, TRUE);
  RUN (&r, "run", exp, "--engine", "torch", "--devices", "cpu", "--nproc", "2", "--dry-run", "--out", out);
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "device: cpu, 2 process(es), backend gloo"));
  g_assert_nonnull (strstr (r.out, "command: " PYTHON " JOBDIR/engine/tl_torch_engine/torchrun.py --standalone "
                                   "--nnodes 1 --nproc_per_node 2 JOBDIR/engine/tl_torch_engine/__main__.py JOBDIR "
                                   "--device cpu\n"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  /* auto takes the GPU when there is one */
  {
    g_auto (Result) a = { 0 };
    RUN (&a, "run", exp, "--engine", "torch", "--dry-run");
    expect_status (&a, 0);
    g_assert_nonnull (strstr (a.out, has_gpu () ? "device: cuda, 1 process(es), backend nccl"
                                                : "device: cpu, 1 process(es), backend gloo"));
  }

  if (!has_gpu ())
    {
      RUN (&cuda, "run", exp, "--engine", "torch", "--devices", "cuda", "--dry-run");
      expect_status (&cuda, 1);
      g_assert_nonnull (strstr (cuda.err, "--devices cuda: PyTorch"));
      g_assert_nonnull (strstr (cuda.err, "sees no CUDA device"));
    }

  g_setenv ("TL_PYTHON", "/nonexistent/python3", TRUE);
  RUN (&missing, "run", exp, "--engine", "torch", "--out", out);
  expect_status (&missing, 1);
  g_assert_nonnull (strstr (missing.err, "the torch engine needs Python 3 with PyTorch"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_setenv ("TL_PYTHON", PYTHON, TRUE);

  /* a plan that cannot work is refused before anything is read or written */
  RUN (&refused, "run", exp, "--engine", "torch", "--set", "pretrain.model=/nonexistent/model.safetensors", "--set",
       "transfer.strategy=[\"joint\"]", "--out", out);
  expect_status (&refused, 2);
  g_assert_nonnull (strstr (refused.err, "transfer.strategy: Joint, domain-adversarial and self-training train on "
                                         "the source data too: they cannot start from a model file."));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  /* PyTorch would fine-tune on private rows without the guarantee: refused, not run plainly */
  {
    g_auto (Result) priv = { 0 };
    RUN (&priv, "run", exp, "--engine", "torch", "--set", "transfer.privacy={\"epsilon\": 3, \"delta\": 1e-4}",
         "--out", out);
    expect_status (&priv, 1);
    g_assert_nonnull (strstr (priv.err, "transfer.privacy: "));
    g_assert_nonnull (strstr (priv.err, "PyTorch engine does not train privately"));
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  }
}

static void
test_run_two_processes (void)
{
  g_autofree char *exp = experiment ();
  g_autofree char *root = path_in ("history");
  g_autofree char *set_root = g_strdup_printf ("outputs.folder=%s", root);
  g_auto (Result) r = { 0 }, history = { 0 };
  g_autoptr (GDir) dir = NULL;
  g_autofree char *run = NULL;
  const char *name;

  if (!can_run ())
    return;
  g_setenv ("TL_PYTHON", PYTHON, TRUE);
  RUN (&r, "run", exp, "--engine", "torch", "--devices", "cpu", "--nproc", "2", "--set", set_root, SLICE);
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "2 process(es) on cpu"));

  /* a dated run folder of the history, which `history` lists */
  dir = g_dir_open (root, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "20"))
      run = g_build_filename (root, name, NULL);
  g_assert_nonnull (run);
  check_summary (run, 2);
  RUN (&history, "history", root);
  expect_status (&history, 0);
  g_assert_nonnull (strstr (history.out, "finished"));
}

static int
run_script (const char *job, const char *cwd)
{
  g_autofree char *script = g_build_filename (job, "run.sh", NULL);
  g_autofree char *home = g_strdup_printf ("HOME=%s", tmp);
  const char *argv[] = { "/bin/sh", script, NULL };
  /* nothing of the checkout or of the test's environment */
  const char *envp[] = { "PATH=/usr/bin:/bin", "PYTHON=" PYTHON, "NPROC=2", "DEVICE=cpu", home, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = -1;

  g_assert_true (g_spawn_sync (cwd, (char **) argv, (char **) envp, 0, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("run.sh failed:\n%s\n%s", out, err);
  return status;
}

/* A file of the job that names the checkout would tie it to this machine. */
static void
assert_free_of (const char *job, const char *file, const char *checkout)
{
  g_autofree char *path = g_build_filename (job, file, NULL);
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  if (strstr (text, checkout) != NULL)
    g_error ("%s names the checkout %s", path, checkout);
}

static void
test_job_folder (void)
{
  g_autofree char *exp = experiment ();
  g_autofree char *job = path_in ("job");
  g_autofree char *elsewhere = path_in ("elsewhere");
  g_autofree char *moved = g_build_filename (elsewhere, "job", NULL);
  g_autofree char *out = path_in ("collected");
  g_autofree char *set_root = g_strdup_printf ("outputs.folder=%s", tmp);
  g_autofree char *model_path = g_build_filename (out, "transfer", "model.safetensors", NULL);
  g_autofree char *data_path = g_build_filename (moved, "data", "target.safetensors", NULL);
  g_autofree char *probs_path = g_build_filename (moved, "results", "transfer", "test-probabilities.safetensors",
                                                  NULL);
  const char *checkout = g_getenv ("TL_SOURCE_DIR");
  g_auto (Result) r = { 0 }, early = { 0 }, collect = { 0 }, again = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (TlDataset) test = NULL;
  g_autoptr (TlTensor) probs = NULL;
  g_autofree float *theirs = NULL;
  gint64 shape[2];
  int ndim = 0, agree = 0;
  double worst = 0;

  if (!can_run ())
    return;
  RUN (&r, "run", exp, "--engine", "torch", "--prepare-only", "--nproc", "2", "--devices", "cpu", "--out", job,
       "--set", set_root, SLICE);
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "--collect"));
  for (const char *const *f = (const char *const[]) { "run.sh", "job.slurm", "job.json", "experiment.json", NULL }; *f;
       f++)
    assert_free_of (job, *f, checkout);
  {
    g_autofree char *slurm = g_build_filename (job, "job.slurm", NULL);
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (slurm, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "#SBATCH --nodes=1"));
    g_assert_nonnull (strstr (text, "NPROC=2 DEVICE=cpu exec ./run.sh"));
  }

  /* copied away, run there without the checkout, collected back */
  g_assert_cmpint (g_mkdir_with_parents (elsewhere, 0755), ==, 0);
  {
    const char *cp[] = { "/bin/cp", "-a", job, moved, NULL };
    int status = -1;
    g_assert_true (g_spawn_sync (NULL, (char **) cp, NULL, 0, NULL, NULL, NULL, NULL, &status, NULL));
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  tl_test_remove_tree (job);
  RUN (&early, "run", "--engine", "torch", "--collect", moved, "--out", out);
  expect_status (&early, 1);
  g_assert_nonnull (strstr (early.err, "has not run to its end"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  run_script (moved, tmp);
  RUN (&collect, "run", "--engine", "torch", "--collect", moved, "--out", out);
  expect_status (&collect, 0);
  check_summary (out, 2);
  RUN (&again, "run", "--engine", "torch", "--collect", moved, "--out", out);
  expect_status (&again, 1);
  g_assert_nonnull (strstr (again.err, "holds a run already"));

  /* the collected model in the application gives the engine's probabilities */
  model = tl_model_file_load (model_path, &info, &error);
  g_assert_no_error (error);
  test = tl_torch_tensors_read_split (data_path, "test", &error);
  g_assert_no_error (error);
  g_assert_nonnull (test);
  g_assert_cmpint (test->n, ==, 100);
  probs = tl_predict (model, test, 64);
  theirs = tl_torch_tensors_read (probs_path, "probabilities", &ndim, shape, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ndim, ==, 2);
  g_assert_cmpint (shape[0], ==, test->n);
  g_assert_cmpint (shape[1], ==, 5);
  for (int i = 0; i < test->n; i++)
    {
      int a = 0, b = 0;
      for (int c = 0; c < 5; c++)
        {
          worst = MAX (worst, fabs (probs->data[i * 5 + c] - theirs[i * 5 + c]));
          if (probs->data[i * 5 + c] > probs->data[i * 5 + a])
            a = c;
          if (theirs[i * 5 + c] > theirs[i * 5 + b])
            b = c;
        }
      agree += a == b;
    }
  g_test_message ("largest probability difference %g", worst);
  g_assert_cmpfloat (worst, <=, 1e-4);
  g_assert_cmpint (agree, ==, test->n);

  /* the engine's probabilities of another model: the collect refuses, and leaves no run folder */
  {
    g_autofree char *baseline = g_build_filename (moved, "results", "baseline", "test-probabilities.safetensors",
                                                  NULL);
    g_autofree char *out2 = path_in ("collected-wrong");
    g_auto (Result) wrong = { 0 };

    g_assert_cmpint (g_rename (baseline, probs_path), ==, 0);
    RUN (&wrong, "run", "--engine", "torch", "--collect", moved, "--out", out2);
    expect_status (&wrong, 1);
    g_assert_nonnull (strstr (wrong.err, "differ from the engine's"));
    g_assert_false (g_file_test (out2, G_FILE_TEST_EXISTS));
  }
}

/* Blobs in 4 dimensions, the same three classes in both domains, the target's shifted. */
static void
write_blobs (const char *path, int per_class, double shift, guint32 seed)
{
  g_autoptr (GString) s = g_string_new ("f0,f1,f2,f3,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < per_class * 3; i++)
    {
      int c = i % 3;
      for (int f = 0; f < 4; f++)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          double centre = ((c + f) % 3 == 0 ? 3.0 : 0.0) + (f == c ? 2.0 : 0.0) + shift;
          g_string_append_printf (s, "%s,", g_ascii_formatd (buf, sizeof buf, "%.4f",
                                                             centre + g_rand_double_range (rand, -1.2, 1.2)));
        }
      g_string_append_printf (s, "%c\n", "abc"[c]);
    }
  tl_test_write_text (path, s->str);
}

/* One column of a history.csv, by its header name. */
static GArray *
history_column (const char *run_folder, const char *stage, const char *column)
{
  g_autofree char *path = g_build_filename (run_folder, stage, "history.csv", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL, header = NULL;
  GArray *values = g_array_new (FALSE, FALSE, sizeof (double));
  int col = -1;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  header = g_strsplit (lines[0], ",", -1);
  for (int i = 0; header[i] != NULL; i++)
    if (strcmp (header[i], column) == 0)
      col = i;
  g_assert_cmpint (col, >=, 0);
  for (int i = 1; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      g_auto (GStrv) cells = g_strsplit (lines[i], ",", -1);
      double v;

      g_assert_cmpuint (g_strv_length (cells), >, (guint) col);
      v = g_ascii_strtod (cells[col], NULL);
      g_array_append_val (values, v);
    }
  return values;
}

/* The summary entry of run `name` (asserts there is one). */
static JsonObject *
find_run (JsonArray *runs, const char *name)
{
  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      if (g_strcmp0 (json_object_get_string_member (run, "name"), name) == 0)
        return run;
    }
  g_error ("no run %s in the summary", name);
  return NULL;
}

static double
run_accuracy (const char *run_folder, const char *name)
{
  g_autofree char *path = g_build_filename (run_folder, "summary.json", NULL);
  g_autoptr (JsonNode) root = load_json (path);
  JsonArray *runs = json_object_get_array_member (json_node_get_object (root), "runs");

  return json_object_get_double_member (find_run (runs, name), "test_accuracy");
}

/* The joint strategy, learning-rate schedules (step when pretraining, cosine when
 * transferring), tail weight averaging (pretraining) and early stopping, by the engine and by the built-in trainer on
 * the same tiny case: the same learning rate at every epoch, both stopping early,
 * and accuracies within a loose bound (they draw different batches). */
static void
test_joint_schedule_patience (void)
{
  g_autofree char *dir = path_in ("blobs");
  g_autofree char *src = g_build_filename (dir, "source.csv", NULL);
  g_autofree char *tgt = g_build_filename (dir, "target.csv", NULL);
  g_autofree char *exp = g_build_filename (dir, "blobs.json", NULL);
  g_autofree char *builtin = g_build_filename (dir, "builtin", NULL);
  g_autofree char *torch = g_build_filename (dir, "torch", NULL);
  const char *stages[] = { "pretrain", "transfer", "joint" };
  g_auto (Result) c = { 0 }, t = { 0 };

  if (!can_run ())
    return;
  g_setenv ("TL_PYTHON", PYTHON, TRUE);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  write_blobs (src, 100, 0.0, 21);
  write_blobs (tgt, 60, 0.8, 22);
  tl_test_write_text (exp,
    "{\n"
    "  \"name\": \"blobs\", \"seed\": 3,\n"
    "  \"source\": { \"format\": \"csv\", \"path\": \"source.csv\", \"label_column\": \"label\" },\n"
    "  \"target\": { \"format\": \"csv\", \"path\": \"target.csv\", \"per_class\": 12, \"val_fraction\": 0.25,\n"
    "              \"test_fraction\": 0.4 },\n"
    "  \"architecture\": { \"preset\": \"mlp\" },\n"
    "  \"pretrain\": { \"epochs\": 6, \"batch_size\": 16, \"optimizer\": { \"kind\": \"adam\", \"lr\": 0.01 },\n"
    "                \"schedule\": { \"kind\": \"step\", \"step_size\": 2, \"gamma\": 0.5 }, \"average_epochs\": 3 },\n"
    "  \"transfer\": { \"strategy\": [\"fine-tune\", \"joint\"], \"epochs\": 40, \"batch_size\": 8,\n"
    "                \"optimizer\": { \"kind\": \"adam\", \"lr\": 0.05 }, \"schedule\": \"cosine\", \"patience\": 2 },\n"
    "  \"baseline\": false,\n"
    "  \"outputs\": { \"plots\": [\"svg\"] }\n"
    "}\n");
  RUN (&c, "run", exp, "--quiet", "--out", builtin);
  expect_status (&c, 0);
  RUN (&t, "run", exp, "--engine", "torch", "--devices", "cpu", "--out", torch);
  expect_status (&t, 0);
  g_assert_nonnull (strstr (t.out, "[joint] early stop"));
  /* pretraining ends on the mean of its last three epochs' weights */
  g_assert_nonnull (strstr (t.out, "[pretrain] ends on the mean weights of epochs 4-6"));

  for (guint s = 0; s < G_N_ELEMENTS (stages); s++)
    {
      g_autoptr (GArray) lr_c = history_column (builtin, stages[s], "learning_rate");
      g_autoptr (GArray) lr_t = history_column (torch, stages[s], "learning_rate");
      double acc_c = run_accuracy (builtin, stages[s]), acc_t = run_accuracy (torch, stages[s]);

      g_test_message ("%s: built-in %u epochs, accuracy %.3f; torch %u epochs, accuracy %.3f", stages[s],
                      lr_c->len, acc_c, lr_t->len, acc_t);
      /* the schedule is a function of the step: the same in both, epoch by epoch */
      for (guint i = 0; i < MIN (lr_c->len, lr_t->len); i++)
        g_assert_cmpfloat_with_epsilon (g_array_index (lr_c, double, i), g_array_index (lr_t, double, i),
                                        1e-6 * g_array_index (lr_c, double, i));
      if (s == 0)
        {
          g_assert_cmpuint (lr_t->len, ==, 6);
          g_assert_cmpfloat_with_epsilon (g_array_index (lr_t, double, 5), 0.0025, 1e-8);
        }
      else
        {
          /* patience 2 on a dozen target rows: both stop long before 40 epochs, and decay the rate */
          g_assert_cmpuint (lr_c->len, <, 40);
          g_assert_cmpuint (lr_t->len, <, 40);
          g_assert_cmpfloat (g_array_index (lr_t, double, lr_t->len - 1), <, 0.05);
        }
      g_assert_cmpfloat (acc_t, >, 0.6);
      g_assert_cmpfloat (fabs (acc_t - acc_c), <, 0.15);
    }
}

/* Domain-adversarial training and self-training on the blobs, two processes:
 * the target's unlabelled rows go into the job's tensors, the domain classifier
 * reads the layer the built-in pipeline picks, self-training runs its second
 * round on pseudo-labelled rows, and both runs land in summary.json beside the
 * built-in trainer's, with accuracies within a loose bound of them. */
static void
test_adversarial_self_training (void)
{
  g_autofree char *dir = path_in ("dann");
  g_autofree char *src = g_build_filename (dir, "source.csv", NULL);
  g_autofree char *tgt = g_build_filename (dir, "target.csv", NULL);
  g_autofree char *exp = g_build_filename (dir, "dann.json", NULL);
  g_autofree char *builtin = g_build_filename (dir, "builtin", NULL);
  g_autofree char *torch = g_build_filename (dir, "torch", NULL);
  g_autofree char *job = g_build_filename (dir, "job", NULL);
  g_autofree char *target_data = g_build_filename (job, "data", "target.safetensors", NULL);
  g_autofree char *manifest = g_build_filename (job, "job.json", NULL);
  g_autofree char *summary_path = g_build_filename (torch, "summary.json", NULL);
  const char *names[] = { "pretrain", "source-only", "domain-adversarial", "self-training" };
  g_auto (Result) c = { 0 }, t = { 0 }, p = { 0 }, none = { 0 };
  g_autoptr (GError) error = NULL;

  if (!has_torch ())
    return;
  g_setenv ("TL_PYTHON", PYTHON, TRUE);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  write_blobs (src, 100, 0.0, 41);
  write_blobs (tgt, 60, 1.0, 42);
  tl_test_write_text (exp,
    "{\n"
    "  \"name\": \"dann\", \"seed\": 5,\n"
    "  \"source\": { \"format\": \"csv\", \"path\": \"source.csv\", \"label_column\": \"label\" },\n"
    "  \"target\": { \"format\": \"csv\", \"path\": \"target.csv\", \"per_class\": 6, \"val_fraction\": 0.2,\n"
    "              \"test_fraction\": 0.4 },\n"
    "  \"architecture\": { \"preset\": \"mlp\" },\n"
    "  \"pretrain\": { \"epochs\": 4, \"batch_size\": 16, \"optimizer\": { \"kind\": \"adam\", \"lr\": 0.01 } },\n"
    "  \"transfer\": { \"strategy\": [\"domain-adversarial\", \"self-training\"], \"epochs\": 4,\n"
    "                \"batch_size\": 16, \"adversarial_weight\": 0.5, \"pseudo_labels\": 10, \"target_weight\": 2,\n"
    "                \"optimizer\": { \"kind\": \"adam\", \"lr\": 0.01 } },\n"
    "  \"baseline\": false,\n"
    "  \"outputs\": { \"plots\": [\"svg\"] }\n"
    "}\n");

  /* the job: the unlabelled target rows beside the labelled ones, the recipe in job.json */
  RUN (&p, "run", exp, "--engine", "torch", "--prepare-only", "--devices", "cpu", "--out", job);
  expect_status (&p, 0);
  {
    g_autoptr (TlDataset) train = tl_torch_tensors_read_split (target_data, "train", &error);
    g_autoptr (TlDataset) val = tl_torch_tensors_read_split (target_data, "val", &error);
    g_autoptr (TlDataset) test = tl_torch_tensors_read_split (target_data, "test", &error);
    g_autoptr (TlDataset) unlabeled = tl_torch_tensors_read_split (target_data, "unlabeled", &error);
    g_autoptr (JsonNode) root = load_json (manifest);
    JsonArray *stages = json_object_get_array_member (json_node_get_object (root), "stages");
    JsonObject *dann = json_array_get_object_element (stages, 1);
    JsonObject *self = json_array_get_object_element (stages, 2);
    JsonObject *adversary = json_object_get_object_member (dann, "adversary");

    g_assert_no_error (error);
    g_assert_cmpint (train->n, ==, 15);
    g_assert_cmpint (unlabeled->n, >, 0);
    /* six per class labelled, three of them for validation; every target row is in one split */
    g_assert_cmpint (train->n + val->n + test->n + unlabeled->n, ==, 180);
    g_assert_cmpstr (json_object_get_string_member (dann, "name"), ==, "domain-adversarial");
    g_assert_cmpstr (json_object_get_string_member (dann, "data"), ==, "joint");
    /* the mlp's features: the input of the layer above its first activation */
    g_assert_cmpstr (json_object_get_string_member (adversary, "cut_layer"), ==, "dense2");
    g_assert_cmpfloat (json_object_get_double_member (adversary, "weight"), ==, 0.5);
    g_assert_cmpint (json_object_get_int_member (adversary, "hidden"), ==, 32);
    g_assert_cmpint (json_object_get_int_member (adversary, "source_rows"), >, 0);
    g_assert_cmpstr (json_object_get_string_member (self, "name"), ==, "self-training");
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (self, "self_training"),
                                                 "pseudo_labels"), ==, 10);
    /* target_weight 2: a pseudo-labelled row weighs as much as a labelled one */
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (self, "self_training"),
                                                 "pseudo_copies"), ==, 2);
  }

  RUN (&c, "run", exp, "--out", builtin);
  expect_status (&c, 0);
  g_assert_nonnull (strstr (c.out, "a second round with 30 pseudo-labelled target rows, each held 2 times"));
  RUN (&t, "run", exp, "--engine", "torch", "--devices", "cpu", "--nproc", "2", "--out", torch);
  expect_status (&t, 0);
  /* ten per class from the three classes' confident guesses */
  g_assert_nonnull (strstr (t.out, "[self-training] a second round with 30 pseudo-labelled target rows, each held 2 "
                                   "times as a labelled one"));
  {
    g_autoptr (JsonNode) root = load_json (summary_path);
    JsonObject *summary = json_node_get_object (root);
    JsonArray *runs = json_object_get_array_member (summary, "runs");

    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (summary, "engine"), "world_size"), ==,
                     2);
    g_assert_cmpuint (json_array_get_length (runs), ==, G_N_ELEMENTS (names));
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        JsonObject *run = json_array_get_object_element (runs, i);
        g_autofree char *model = g_build_filename (torch, names[i], "model.safetensors", NULL);

        g_assert_cmpstr (json_object_get_string_member (run, "name"), ==, names[i]);
        g_assert_true (g_file_test (model, G_FILE_TEST_IS_REGULAR));
        if (i != 1)
          g_assert_cmpfloat (json_object_get_double_member (run, "engine_max_probability_difference"), <=, 1e-4);
      }
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (runs, 2), "epochs"), ==, 4);
    /* two rounds of four epochs */
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (runs, 3), "epochs"), ==, 8);
  }
  for (guint i = 2; i < G_N_ELEMENTS (names); i++)
    {
      double acc_c = run_accuracy (builtin, names[i]), acc_t = run_accuracy (torch, names[i]);

      g_test_message ("%s: built-in %.3f, torch %.3f", names[i], acc_c, acc_t);
      g_assert_cmpfloat (acc_t, >, 0.6);
      g_assert_cmpfloat (fabs (acc_t - acc_c), <, 0.15);
    }

  /* unsupervised adaptation: domain-adversarial alone, the target's labels unused */
  {
    g_autofree char *unsupervised = g_build_filename (dir, "unsupervised", NULL);
    g_autofree char *path = g_build_filename (unsupervised, "summary.json", NULL);
    g_auto (Result) u = { 0 };
    g_autoptr (JsonNode) root = NULL;
    JsonArray *runs;

    RUN (&u, "run", exp, "--engine", "torch", "--devices", "cpu", "--set", "target.use_labels=false", "--strategy",
         "domain-adversarial", "--out", unsupervised);
    expect_status (&u, 0);
    root = load_json (path);
    runs = json_object_get_array_member (json_node_get_object (root), "runs");
    g_assert_cmpuint (json_array_get_length (runs), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (runs, 2), "name"), ==,
                     "domain-adversarial");
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (runs, 2), "epochs"), ==, 4);
    g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (runs, 2),
                                                      "engine_max_probability_difference"), <=, 1e-4);
  }

  /* without unlabelled rows, the experiment is refused before anything is written */
  tl_test_remove_tree (job);
  RUN (&none, "run", exp, "--engine", "torch", "--set", "target.per_class=0", "--out", job);
  expect_status (&none, 2);
  g_assert_nonnull (strstr (none.err, "need unlabelled target samples"));
  g_assert_false (g_file_test (job, G_FILE_TEST_EXISTS));
}

static void
own_group (gpointer data)
{
  setpgid (0, 0);
}

/* A run killed (the whole process group, SIGKILL) once its first epoch's
 * checkpoint is written; --resume continues it to the full epoch count. */
static void
test_resume_after_kill (void)
{
  g_autofree char *dir = path_in ("resume");
  g_autofree char *src = g_build_filename (dir, "source.csv", NULL);
  g_autofree char *tgt = g_build_filename (dir, "target.csv", NULL);
  g_autofree char *exp = g_build_filename (dir, "resume.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *job = g_build_filename (dir, "out.torch-job", NULL);
  g_autofree char *checkpoint = g_build_filename (job, "checkpoints", "pretrain.pt", NULL);
  g_autofree char *summary = g_build_filename (out, "summary.json", NULL);
  const char *argv[] = { g_getenv ("TL_BINARY"), "run", exp, "--engine", "torch", "--devices", "cpu", "--out", out,
                         NULL };
  g_autoptr (GError) error = NULL;
  g_auto (Result) nothing = { 0 }, r = { 0 };
  GPid pid = 0;
  int status = 0;

  if (!can_run ())
    return;
  g_setenv ("TL_PYTHON", PYTHON, TRUE);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  write_blobs (src, 100, 0.0, 31);
  write_blobs (tgt, 60, 0.8, 32);
  tl_test_write_text (exp,
    "{\n"
    "  \"name\": \"resume\", \"seed\": 9,\n"
    "  \"source\": { \"format\": \"csv\", \"path\": \"source.csv\", \"label_column\": \"label\" },\n"
    "  \"target\": { \"format\": \"csv\", \"path\": \"target.csv\", \"per_class\": 12, \"test_fraction\": 0.4 },\n"
    "  \"architecture\": { \"preset\": \"mlp\" },\n"
    "  \"pretrain\": { \"epochs\": 40, \"batch_size\": 16, \"schedule\": \"cosine\" },\n"
    "  \"transfer\": { \"epochs\": 5, \"batch_size\": 8 },\n"
    "  \"baseline\": true,\n"
    "  \"outputs\": { \"plots\": [\"svg\"] }\n"
    "}\n");

  /* nothing to continue yet */
  RUN (&nothing, "run", exp, "--engine", "torch", "--devices", "cpu", "--out", out, "--resume");
  expect_status (&nothing, 1);
  g_assert_nonnull (strstr (nothing.err, "no stopped PyTorch job"));

  g_assert_true (g_spawn_async (dir, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL
                                | G_SPAWN_STDERR_TO_DEV_NULL, own_group, NULL, &pid, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 6000 && !g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR); i++)
    g_usleep (50000);
  g_assert_true (g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (kill (-pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_false (g_file_test (summary, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR));

  RUN (&r, "run", exp, "--engine", "torch", "--devices", "cpu", "--out", out, "--resume");
  expect_status (&r, 0);
  g_assert_nonnull (strstr (r.out, "Continuing the stopped PyTorch job"));
  g_assert_nonnull (strstr (r.out, "[pretrain] continues from epoch "));
  {
    g_autoptr (GArray) pretrain = history_column (out, "pretrain", "epoch");
    g_autoptr (GArray) transfer = history_column (out, "transfer", "epoch");
    g_autoptr (GArray) baseline = history_column (out, "baseline", "epoch");

    g_assert_cmpuint (pretrain->len, ==, 40);
    for (guint i = 0; i < pretrain->len; i++)
      g_assert_cmpfloat (g_array_index (pretrain, double, i), ==, i + 1);
    g_assert_cmpuint (transfer->len, ==, 5);
    g_assert_cmpuint (baseline->len, ==, 5);
  }
  g_assert_cmpfloat (run_accuracy (out, "transfer"), >, 0.6);
  /* collected: the job is gone */
  g_assert_false (g_file_test (job, G_FILE_TEST_EXISTS));
}

static JsonArray *
summary_runs (const char *run_folder, JsonNode **root_out)
{
  g_autofree char *path = g_build_filename (run_folder, "summary.json", NULL);

  *root_out = load_json (path);
  return json_object_get_array_member (json_node_get_object (*root_out), "runs");
}

static gint64
run_int (JsonArray *runs, const char *name, const char *member)
{
  return json_object_get_int_member (find_run (runs, name), member);
}

/* pretrain.model and gradual unfreezing on the blobs, two processes: the given
 * model is the pretrained one (no pretrain run, no source data), fine-tuning
 * trains in rounds of two epochs, each with the learning-rate schedule started
 * over and one more layer trainable after it, as the built-in trainer does:
 * the same runs, the same learning rate at every epoch, the same parameters
 * trainable at the end, and the model file evaluates in the application. */
static void
test_model_file_unfreezing (void)
{
  g_autofree char *dir = path_in ("given");
  g_autofree char *src = g_build_filename (dir, "source.csv", NULL);
  g_autofree char *tgt = g_build_filename (dir, "target.csv", NULL);
  g_autofree char *first = g_build_filename (dir, "first.json", NULL);
  g_autofree char *exp = g_build_filename (dir, "given.json", NULL);
  g_autofree char *pretrained = g_build_filename (dir, "first", NULL);
  g_autofree char *builtin = g_build_filename (dir, "builtin", NULL);
  g_autofree char *torch = g_build_filename (dir, "torch", NULL);
  g_autofree char *model_path = g_build_filename (torch, "transfer", "model.safetensors", NULL);
  g_autofree char *no_pretrain = g_build_filename (torch, "pretrain", NULL);
  g_autofree char *text = NULL;
  const char *names[] = { "source-only", "transfer", "baseline" };
  g_auto (Result) p = { 0 }, c = { 0 }, t = { 0 };
  g_autoptr (JsonNode) root_c = NULL, root_t = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (TlModel) model = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *runs_c, *runs_t;

  if (!can_run ())
    return;
  g_setenv ("TL_PYTHON", PYTHON, TRUE);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  write_blobs (src, 100, 0.0, 31);
  write_blobs (tgt, 60, 0.8, 32);
  /* the model to start from: pretrained on the source by the built-in trainer */
  tl_test_write_text (first,
    "{\n"
    "  \"name\": \"first\", \"seed\": 5,\n"
    "  \"source\": { \"format\": \"csv\", \"path\": \"source.csv\", \"label_column\": \"label\" },\n"
    "  \"target\": { \"format\": \"csv\", \"path\": \"target.csv\", \"per_class\": 12, \"test_fraction\": 0.4 },\n"
    "  \"architecture\": { \"preset\": \"mlp\" },\n"
    "  \"pretrain\": { \"epochs\": 6, \"batch_size\": 16, \"optimizer\": { \"kind\": \"adam\", \"lr\": 0.01 } },\n"
    "  \"transfer\": { \"epochs\": 1 },\n"
    "  \"baseline\": false,\n"
    "  \"outputs\": { \"plots\": [\"svg\"] }\n"
    "}\n");
  RUN (&p, "run", first, "--quiet", "--out", pretrained);
  expect_status (&p, 0);
  /* the mlp preset: dense 0, relu 1, dense 2, relu 3, dense 4 (the head); 0-3 frozen, released two by two epochs */
  text = g_strdup_printf (
    "{\n"
    "  \"name\": \"given\", \"seed\": 9,\n"
    "  \"source\": { \"format\": \"csv\", \"path\": \"source.csv\", \"label_column\": \"label\" },\n"
    "  \"target\": { \"format\": \"csv\", \"path\": \"target.csv\", \"label_column\": \"label\",\n"
    "              \"per_class\": 12, \"test_fraction\": 0.4 },\n"
    "  \"pretrain\": { \"model\": \"%s/pretrain/model.safetensors\" },\n"
    "  \"transfer\": { \"freeze\": { \"below\": 4 }, \"unfreeze_every\": 2, \"epochs\": 6, \"batch_size\": 8,\n"
    "                \"optimizer\": { \"kind\": \"adam\", \"lr\": 0.02 }, \"schedule\": \"cosine\" },\n"
    "  \"baseline\": true,\n"
    "  \"outputs\": { \"plots\": [\"svg\"] }\n"
    "}\n", pretrained);
  tl_test_write_text (exp, text);
  RUN (&c, "run", exp, "--quiet", "--out", builtin);
  expect_status (&c, 0);
  RUN (&t, "run", exp, "--engine", "torch", "--devices", "cpu", "--nproc", "2", "--out", torch);
  expect_status (&t, 0);
  g_assert_nonnull (strstr (t.out, "[transfer] after epoch 2: "));
  g_assert_nonnull (strstr (t.out, "[transfer] after epoch 4: "));

  /* the same runs as the built-in pipeline's: no pretraining */
  runs_c = summary_runs (builtin, &root_c);
  runs_t = summary_runs (torch, &root_t);
  g_assert_cmpuint (json_array_get_length (runs_c), ==, G_N_ELEMENTS (names));
  g_assert_cmpuint (json_array_get_length (runs_t), ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonObject *run = json_array_get_object_element (runs_t, i);

      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (runs_c, i), "name"), ==,
                       names[i]);
      g_assert_cmpstr (json_object_get_string_member (run, "name"), ==, names[i]);
      /* the trained runs: the application's evaluation agrees with the engine's */
      if (i > 0)
        g_assert_cmpfloat (json_object_get_double_member (run, "engine_max_probability_difference"), <=, 1e-4);
      g_assert_cmpint (json_object_get_int_member (run, "epochs"), ==, i == 0 ? 0 : 6);
    }
  g_assert_false (g_file_test (no_pretrain, G_FILE_TEST_EXISTS));
  /* the given model as it is: the same accuracy in both */
  g_assert_cmpfloat_with_epsilon (run_accuracy (torch, "source-only"), run_accuracy (builtin, "source-only"), 1e-9);

  {
    g_autoptr (GArray) lr_c = history_column (builtin, "transfer", "learning_rate");
    g_autoptr (GArray) lr_t = history_column (torch, "transfer", "learning_rate");

    g_assert_cmpuint (lr_c->len, ==, 6);
    g_assert_cmpuint (lr_t->len, ==, 6);
    for (guint i = 0; i < 6; i++)
      g_assert_cmpfloat_with_epsilon (g_array_index (lr_c, double, i), g_array_index (lr_t, double, i),
                                      1e-6 * g_array_index (lr_c, double, i));
    /* every round starts its cosine schedule over */
    g_assert_cmpfloat_with_epsilon (g_array_index (lr_t, double, 2), g_array_index (lr_t, double, 0), 1e-9);
    g_assert_cmpfloat_with_epsilon (g_array_index (lr_t, double, 4), g_array_index (lr_t, double, 0), 1e-9);
    g_assert_cmpfloat (g_array_index (lr_t, double, 1), <, g_array_index (lr_t, double, 0));
  }
  /* after three rounds every layer is trainable, in both */
  g_assert_cmpint (run_int (runs_t, "transfer", "trainable_params"), ==, run_int (runs_c, "transfer", "trainable_params"));
  g_assert_cmpint (run_int (runs_t, "transfer", "trainable_params"), ==, run_int (runs_t, "transfer", "total_params"));
  model = tl_model_file_load (model_path, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tl_model_param_count (model, TRUE), ==, tl_model_param_count (model, FALSE));
  g_test_message ("transfer accuracy: built-in %.3f, torch %.3f", run_accuracy (builtin, "transfer"),
                  run_accuracy (torch, "transfer"));
  g_assert_cmpfloat (run_accuracy (torch, "transfer"), >, 0.6);
  g_assert_cmpfloat (fabs (run_accuracy (torch, "transfer") - run_accuracy (builtin, "transfer")), <, 0.15);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  cli_binary ();
  tmp = g_dir_make_tmp ("tl-cli-torch-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  g_test_add_func ("/cli/torch/dry-run", test_dry_run);
  g_test_add_func ("/cli/torch/run-two-processes", test_run_two_processes);
  g_test_add_func ("/cli/torch/job-folder", test_job_folder);
  g_test_add_func ("/cli/torch/joint-schedule-patience", test_joint_schedule_patience);
  g_test_add_func ("/cli/torch/resume-after-kill", test_resume_after_kill);
  g_test_add_func ("/cli/torch/adversarial-self-training", test_adversarial_self_training);
  g_test_add_func ("/cli/torch/model-file-unfreezing", test_model_file_unfreezing);
  status = g_test_run ();
  tl_test_remove_tree (tmp);
  g_free (tmp);
  return status;
}
