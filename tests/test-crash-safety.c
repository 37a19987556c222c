#include "config.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl-checkpoint.h"
#include "tl-csv.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-export.h"
#include "tl-model-file.h"

/* A child process saves the same file over and over, each time with the next
 * generation number in it, and is killed with SIGKILL at a random moment.
 * The file must then always load, hold one whole generation (never a mix, never
 * an older one than already seen), and leftover temporary files must never
 * look like the file itself. */

#define KILLS 40

static int total_leftovers, kinds_run;

typedef struct {
  const char *name;        /* file name in the folder */
  const char *extension;   /* what a folder scan would look for */
  /* writes generation g; FALSE on error */
  gboolean (*save) (const char *path, guint64 g, GError **error);
  /* the generation in the file, or -1 with error set */
  gint64   (*load) (const char *path, GError **error);
} Kind;

static char *tmpdir;

/* Models: every weight holds the generation. */

static TlModel *
make_model (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *m = tl_model_new (1, (int[]) { 256 }, 1);

  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 512 }, "fc", &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, &error));
  g_assert_true (tl_model_add (m, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 4 }, "head", &error));
  g_assert_no_error (error);
  return m;
}

static void
fill_model (TlModel *m, float value)
{
  for (int i = 0; i < tl_model_n_layers (m); i++)
    {
      TlLayer *layer = tl_model_layer (m, i);

      for (int p = 0; p < layer->n_params; p++)
        for (gsize k = 0; k < layer->params[p].value->size; k++)
          layer->params[p].value->data[k] = value;
    }
}

static gboolean
save_model (const char *path, guint64 g, GError **error)
{
  static TlModel *m;

  if (m == NULL)
    m = make_model ();
  fill_model (m, (float) g);
  return tl_model_file_save (path, m, NULL, error);
}

static gint64
load_model (const char *path, GError **error)
{
  g_autoptr (TlModel) m = tl_model_file_load (path, NULL, error);
  float first = NAN;

  if (m == NULL)
    return -1;
  for (int i = 0; i < tl_model_n_layers (m); i++)
    {
      TlLayer *layer = tl_model_layer (m, i);

      for (int p = 0; p < layer->n_params; p++)
        for (gsize k = 0; k < layer->params[p].value->size; k++)
          {
            float v = layer->params[p].value->data[k];

            if (isnan (first))
              first = v;
            if (v != first)
              {
                g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s mixes generations %g and %g", path, first, v);
                return -1;
              }
          }
    }
  return (gint64) first;
}

/* Experiments: the generation in the name and, repeated, in a long description. */

static gboolean
save_experiment (const char *path, guint64 g, GError **error)
{
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  GString *description = g_string_new (NULL);

  for (int i = 0; i < 20000; i++)
    g_string_append_printf (description, "%" G_GUINT64_FORMAT " ", g);
  g_free (exp->name);
  exp->name = g_strdup_printf ("generation-%" G_GUINT64_FORMAT, g);
  exp->description = g_string_free (description, FALSE);
  exp->source.path = g_strdup ("source.csv");
  exp->target.path = g_strdup ("target.csv");
  if (exp->architecture.preset == NULL && exp->architecture.n_layers == 0)
    exp->architecture.preset = g_strdup ("mlp");
  return tl_experiment_save (exp, path, error);
}

static gint64
load_experiment (const char *path, GError **error)
{
  g_autoptr (TlExperiment) exp = tl_experiment_load (path, error);
  g_auto (GStrv) words = NULL;
  guint64 g;

  if (exp == NULL)
    return -1;
  if (!g_str_has_prefix (exp->name, "generation-")
      || !g_ascii_string_to_unsigned (exp->name + strlen ("generation-"), 10, 0, G_MAXINT64, &g, error))
    return -1;
  words = g_strsplit (g_strstrip (exp->description), " ", -1);
  if (g_strv_length (words) != 20000)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: description cut to %u words", path,
                   g_strv_length (words));
      return -1;
    }
  for (guint i = 0; words[i] != NULL; i++)
    if (g_ascii_strtoull (words[i], NULL, 10) != g)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s mixes generations", path);
        return -1;
      }
  return (gint64) g;
}

/* Exports: a predictions table whose first class is named after the generation. */

#define EXPORT_ROWS 4000

static gboolean
save_export (const char *path, guint64 g, GError **error)
{
  g_autofree char *first = g_strdup_printf ("cat%" G_GUINT64_FORMAT, g);
  const char *names[] = { first, "dog", NULL };
  g_autofree float *probs = g_new (float, 2 * EXPORT_ROWS);
  g_autofree int *truth = g_new (int, EXPORT_ROWS);

  for (int i = 0; i < EXPORT_ROWS; i++)
    {
      probs[2 * i] = 0.25f;
      probs[2 * i + 1] = 0.75f;
      truth[i] = 0;
    }
  return tl_export_predictions_csv (path, truth, probs, EXPORT_ROWS, 2, names, error);
}

static gint64
load_export (const char *path, GError **error)
{
  g_autoptr (TlCsvReader) reader = tl_csv_reader_open (path, ',', error);
  g_autofree char *label = NULL;
  const TlCsvRecord *rec;
  int rows = -1;
  guint64 g = 0;

  if (reader == NULL)
    return -1;
  while ((rec = tl_csv_reader_next (reader, error)) != NULL)
    {
      rows++;
      if (rec->n_fields != 5)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s:%d: a cut row", path, rec->line);
          return -1;
        }
      if (rows == 0)
        continue;
      if (label == NULL)
        label = g_strdup (rec->fields[1]);
      if (!g_str_equal (label, rec->fields[1]))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s:%d: mixes %s and %s", path, rec->line, label,
                       rec->fields[1]);
          return -1;
        }
    }
  if (error != NULL && *error != NULL)
    return -1;
  if (rows != EXPORT_ROWS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s has %d rows, not %d", path, rows, EXPORT_ROWS);
      return -1;
    }
  if (!g_str_has_prefix (label, "cat")
      || !g_ascii_string_to_unsigned (label + 3, 10, 0, G_MAXINT64, &g, error))
    return -1;
  return (gint64) g;
}

/* Training checkpoints: one array of the generation and a step counter. */

#define CHECKPOINT_VALUES 200000

static gboolean
save_checkpoint (const char *path, guint64 g, GError **error)
{
  g_autoptr (TlCheckpoint) ck = tl_checkpoint_new ();
  g_autofree float *values = g_new (float, CHECKPOINT_VALUES);

  for (gsize i = 0; i < CHECKPOINT_VALUES; i++)
    values[i] = (float) g;
  tl_checkpoint_set_f32 (ck, "weights", values, CHECKPOINT_VALUES);
  tl_checkpoint_set_u64 (ck, "step", &g, 1);
  return tl_checkpoint_save (ck, path, error);
}

static gint64
load_checkpoint (const char *path, GError **error)
{
  g_autoptr (TlCheckpoint) ck = tl_checkpoint_load (path, error);
  const float *values;
  const guint64 *step;

  if (ck == NULL
      || (values = tl_checkpoint_require_f32 (ck, "weights", CHECKPOINT_VALUES, error)) == NULL
      || (step = tl_checkpoint_require_u64 (ck, "step", 1, error)) == NULL)
    return -1;
  for (gsize i = 0; i < CHECKPOINT_VALUES; i++)
    if (values[i] != (float) *step)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s mixes generations", path);
        return -1;
      }
  return (gint64) *step;
}

/* Removes what a killed writer left behind; returns how many files, and fails
 * if one of them could pass for the file itself. */
static int
sweep_leftovers (const char *dir, const Kind *kind)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  int n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_str_equal (name, kind->name))
        continue;
      g_test_message ("left by a killed writer: %s", name);
      g_assert_true (name[0] == '.');
      g_assert_false (g_str_has_suffix (name, kind->extension));
      g_unlink (path);
      n++;
    }
  return n;
}

static void
run_kind (gconstpointer data)
{
  const Kind *kind = data;
  g_autofree char *dir = g_build_filename (tmpdir, kind->name, NULL);
  g_autofree char *path = g_build_filename (dir, kind->name, NULL);
  g_autoptr (GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());
  gint64 seen = 0;
  int leftovers = 0, changed = 0;

  gint64 save_us, start;
  int kill_no;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  start = g_get_monotonic_time ();
  for (int i = 0; i < 5; i++)
    {
      g_assert_true (kind->save (path, 0, &error));
      g_assert_no_error (error);
    }
  save_us = MAX ((g_get_monotonic_time () - start) / 5, 1);

  for (kill_no = 0; kill_no < KILLS; kill_no++)
    {
      gint64 g;
      int status, ready[2];
      char byte;
      pid_t pid;

      g_assert_cmpint (pipe (ready), ==, 0);
      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          /* the child: save forever, each generation after the last one seen,
           * telling the parent once the first save is done */
          close (ready[0]);
          for (guint64 next = (guint64) seen + 1;; next++)
            {
              if (!kind->save (path, next, NULL))
                _exit (3);
              if (ready[1] >= 0 && write (ready[1], "+", 1) == 1)
                {
                  close (ready[1]);
                  ready[1] = -1;
                }
            }
        }
      close (ready[1]);
      g_assert_cmpint (read (ready[0], &byte, 1), ==, 1);
      close (ready[0]);
      /* somewhere within the next two saves: mid-write or between writes */
      g_usleep (g_rand_int_range (rand, 0, (gint32) MIN (2 * save_us, G_MAXINT32)));
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

      g = kind->load (path, &error);
      if (g < 0)
        g_error ("after kill %d, %s does not load: %s", kill_no, path, error->message);
      g_assert_cmpint (g, >=, seen);
      changed += g != seen;
      seen = g;
      leftovers += sweep_leftovers (dir, kind);
    }
  g_rand_free (rand);
  g_test_message ("%s: %d kills, the file changed %d times, %d temporary files left behind",
                  kind->name, kill_no, changed, leftovers);
  /* the child always finishes one save before the kill, so every kill changes the file */
  g_assert_cmpint (changed, ==, kill_no);
  total_leftovers += leftovers;
  kinds_run++;
  g_unlink (path);
  g_rmdir (dir);
}

/* Kills that landed mid-write leave a temporary file: without any, the kinds'
 * tests would only have seen whole saves. Files whose save is mostly I/O (a
 * model, a checkpoint) catch most of them, so this is counted over all kinds. */
static void
test_kills_landed_mid_write (void)
{
  if (kinds_run == 0)
    {
      g_test_skip ("no kind was run");
      return;
    }
  g_test_message ("%d temporary files left behind in all", total_leftovers);
  g_assert_cmpint (total_leftovers, >, 0);
}

static const Kind kinds[] = {
  { "model.safetensors", ".safetensors", save_model, load_model },
  { "experiment.json", ".json", save_experiment, load_experiment },
  { "predictions.csv", ".csv", save_export, load_export },
  { "training.ckpt", ".ckpt", save_checkpoint, load_checkpoint },
};

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tl-crash-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);

  g_test_add_data_func ("/crash-safety/model", &kinds[0], run_kind);
  g_test_add_data_func ("/crash-safety/experiment", &kinds[1], run_kind);
  g_test_add_data_func ("/crash-safety/export", &kinds[2], run_kind);
  g_test_add_data_func ("/crash-safety/checkpoint", &kinds[3], run_kind);
  g_test_add_func ("/crash-safety/kills-landed-mid-write", test_kills_landed_mid_write);

  status = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return status;
}
