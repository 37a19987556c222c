#include "config.h"

#include <glib.h>
#include <string.h>

#include "tl-model.h"
#include "tl-optimizer.h"
#include "tl-parallel.h"
#include "tl-trainer.h"

/* ---- the loop itself ---- */

typedef struct {
  gint  *hits;          /* per item: how many times it was visited */
  gsize  grain;
  gint   bad_chunks;    /* chunks not aligned on the grain */
} Cover;

static void
cover_chunk (gpointer data, gsize start, gsize end)
{
  Cover *c = data;

  if (start % c->grain != 0 || end - start > c->grain || end <= start)
    g_atomic_int_inc (&c->bad_chunks);
  for (gsize i = start; i < end; i++)
    g_atomic_int_inc (&c->hits[i]);
}

static void
test_covers_range (void)
{
  const gsize sizes[] = { 0, 1, 7, 64, 1000, 100003 };
  const gsize grains[] = { 1, 3, 64, 5000, 200000 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint g = 0; g < G_N_ELEMENTS (grains); g++)
      {
        g_autofree gint *hits = g_new0 (gint, sizes[s] + 1);
        Cover c = { hits, grains[g], 0 };

        tl_parallel_for (sizes[s], grains[g], cover_chunk, &c);
        g_assert_cmpint (c.bad_chunks, ==, 0);
        for (gsize i = 0; i < sizes[s]; i++)
          g_assert_cmpint (hits[i], ==, 1);
        g_assert_cmpint (hits[sizes[s]], ==, 0);
      }
}

static void
nested_chunk (gpointer data, gsize start, gsize end)
{
  Cover *outer = data;

  for (gsize i = start; i < end; i++)
    {
      gint inner_hits[10] = { 0 };
      Cover inner = { inner_hits, 2, 0 };

      tl_parallel_for (10, 2, cover_chunk, &inner);
      for (int k = 0; k < 10; k++)
        g_assert_cmpint (inner_hits[k], ==, 1);
      g_atomic_int_inc (&outer->hits[i]);
    }
}

static void
test_nested (void)
{
  gint hits[40] = { 0 };
  Cover c = { hits, 4, 0 };

  tl_parallel_for (40, 4, nested_chunk, &c);
  for (int i = 0; i < 40; i++)
    g_assert_cmpint (hits[i], ==, 1);
}

static gpointer
loop_thread (gpointer data)
{
  for (int r = 0; r < 200; r++)
    {
      g_autofree gint *hits = g_new0 (gint, 513);
      Cover c = { hits, 16, 0 };

      tl_parallel_for (513, 16, cover_chunk, &c);
      for (int i = 0; i < 513; i++)
        if (hits[i] != 1)
          return GINT_TO_POINTER (1);
    }
  return NULL;
}

/* Two threads issuing loops at once: one gets the pool, the other runs inline. */
static void
test_concurrent_callers (void)
{
  GThread *a = g_thread_new ("a", loop_thread, NULL);
  GThread *b = g_thread_new ("b", loop_thread, NULL);

  g_assert_null (g_thread_join (a));
  g_assert_null (g_thread_join (b));
}

/* Each chunk multiplies 1e-20 by 1e-20: 1e-40 is a denormal float, which chunks flush to zero. */
static void
tiny_products (gpointer data, gsize start, gsize end)
{
  float *out = data;
  volatile float a = 1e-20f, b = 1e-20f;

  for (gsize i = start; i < end; i++)
    out[i] = a * b;
}

static void
test_denormals_flushed (void)
{
#ifndef __SSE2__
  g_test_skip ("flushing denormals is done on x86-64 only");
#else
  float out[64];
  volatile float a = 1e-20f, b = 1e-20f;

  /* one chunk (inline) and many (on the pool) */
  for (gsize grain = 64; grain >= 1; grain /= 8)
    {
      for (int i = 0; i < 64; i++)
        out[i] = 1.0f;
      tl_parallel_for (64, grain, tiny_products, out);
      for (int i = 0; i < 64; i++)
        g_assert_cmpfloat (out[i], ==, 0.0f);
    }
  /* the caller's own arithmetic is left as it was */
  g_assert_cmpfloat (a * b, >, 0.0f);
#endif
}

static void
test_grain (void)
{
  int t = tl_parallel_n_threads ();

  g_assert_cmpint (t, >=, 1);
  g_assert_cmpuint (tl_parallel_grain (100, 1), ==, (100 + t - 1) / t);
  g_assert_cmpuint (tl_parallel_grain (100, 80), >=, 80);
  g_assert_cmpuint (tl_parallel_grain (0, 0), ==, 1);
}

/* ---- the optimiser's fused clearing ---- */

static TlModel *
small_model (void)
{
  g_autoptr (GError) error = NULL;
  TlModel *model = tl_model_new (1, (int[]) { 5 }, 3);

  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 7 }, NULL, &error));
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_RELU }, NULL, &error));
  g_assert_true (tl_model_add (model, &(TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, NULL, &error));
  return model;
}

static void
fill_grads (TlModel *model, float base)
{
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      TlLayer *layer = tl_model_layer (model, i);
      for (int p = 0; p < layer->n_params; p++)
        for (gsize k = 0; k < layer->params[p].grad->size; k++)
          layer->params[p].grad->data[k] = base * (float) ((k * 7 + p * 3 + i) % 11) - 0.4f;
    }
}

static void
test_step_and_zero (void)
{
  const TlOptimizerKind kinds[] = { TL_OPTIMIZER_SGD, TL_OPTIMIZER_ADAM, TL_OPTIMIZER_ADAMW };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autoptr (TlModel) a = small_model ();
      g_autoptr (TlModel) b = small_model ();
      TlOptimizerConfig config;
      g_autoptr (TlOptimizer) oa = NULL;
      g_autoptr (TlOptimizer) ob = NULL;

      tl_optimizer_config_init (&config, kinds[k], 0.01f);
      config.momentum = 0.9f;
      oa = tl_optimizer_new (&config);
      ob = tl_optimizer_new (&config);
      tl_model_set_trainable (b, 0, FALSE);
      tl_model_set_trainable (a, 0, FALSE);
      for (int step = 0; step < 3; step++)
        {
          fill_grads (a, 0.1f * (step + 1));
          fill_grads (b, 0.1f * (step + 1));
          tl_optimizer_step (oa, a, 0.01f);
          tl_model_zero_grad (a);
          tl_optimizer_step_and_zero (ob, b, 0.01f);
          for (int i = 0; i < tl_model_n_layers (a); i++)
            {
              TlLayer *la = tl_model_layer (a, i), *lb = tl_model_layer (b, i);
              for (int p = 0; p < la->n_params; p++)
                {
                  gsize bytes = la->params[p].value->size * sizeof (float);
                  g_assert_cmpmem (la->params[p].value->data, bytes, lb->params[p].value->data, bytes);
                  /* frozen layers keep their gradients, as tl_model_zero_grad leaves them */
                  g_assert_cmpmem (la->params[p].grad->data, bytes, lb->params[p].grad->data, bytes);
                }
            }
        }
      g_assert_cmpfloat (tl_model_layer (b, 2)->params[0].grad->data[0], ==, 0.0f);
    }
}

/* ---- results independent of the thread count ---- */

/* Trains a small CNN and a small LSTM, big enough for every parallel pass to
 * split, and returns a digest of the final weights. */
static char *
training_digest (void)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const char *names[] = { "a", "b", "c", NULL };
  TlRng rng;

  tl_rng_init (&rng, 5);
  for (int which = 0; which < 2; which++)
    {
      g_autoptr (TlDataset) ds = NULL;
      g_autoptr (TlModel) model = NULL;
      g_autoptr (TlHistory) history = tl_history_new ();
      g_autoptr (GError) error = NULL;
      TlTrainConfig c;

      if (which == 0)
        {
          ds = tl_dataset_new (TL_DATA_IMAGE, 48, 3, (int[]) { 1, 28, 28 }, 3, names);
          for (gsize i = 0; i < (gsize) ds->n * ds->sample_size; i++)
            ds->x[i] = tl_rng_uniform (&rng);
          model = tl_model_new_preset (TL_PRESET_CNN, 3, (int[]) { 1, 28, 28 }, 3, 0, 9, &error);
        }
      else
        {
          ds = tl_dataset_new (TL_DATA_TEXT, 40, 1, (int[]) { 30 }, 3, names);
          for (gsize i = 0; i < (gsize) ds->n * 30; i++)
            ds->x[i] = i % 30 < (i / 30) % 12 ? 0.0f : (float) (1 + tl_rng_below (&rng, 99));
          model = tl_model_new_preset (TL_PRESET_TEXT_LSTM, 1, (int[]) { 30 }, 3, 100, 9, &error);
        }
      g_assert_no_error (error);
      for (int i = 0; i < ds->n; i++)
        ds->y[i] = tl_rng_below (&rng, 3);
      tl_train_config_init (&c);
      c.epochs = 2;
      c.batch_size = 16;
      g_assert_true (tl_train (model, ds, NULL, &c, NULL, history, &error));
      g_assert_no_error (error);
      for (int i = 0; i < tl_model_n_layers (model); i++)
        {
          TlLayer *layer = tl_model_layer (model, i);
          for (int p = 0; p < layer->n_params; p++)
            g_checksum_update (sum, (const guchar *) layer->params[p].value->data,
                               layer->params[p].value->size * sizeof (float));
        }
    }
  return g_strdup (g_checksum_get_string (sum));
}

static char *
digest_with_threads (const char *self, int threads)
{
  g_autofree char *n = g_strdup_printf ("%d", threads);
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "TL_NUM_THREADS", n, TRUE);
  g_autoptr (GError) error = NULL;
  char *argv[] = { (char *) self, (char *) "--digest", NULL };
  char *out = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_strstrip (out);
}

static const char *self_path;

static void
test_thread_count_independent (void)
{
  g_autofree char *one = digest_with_threads (self_path, 1);
  g_autofree char *two = digest_with_threads (self_path, 2);
  g_autofree char *three = digest_with_threads (self_path, 3);

  g_assert_cmpuint (strlen (one), ==, 64);
  g_assert_cmpstr (one, ==, two);
  g_assert_cmpstr (one, ==, three);
}

int
main (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "--digest") == 0)
    {
      g_autofree char *digest = training_digest ();
      g_print ("%s\n", digest);
      return 0;
    }
  self_path = argv[0];
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/parallel/thread-count-independent", test_thread_count_independent);
  g_test_add_func ("/parallel/covers-range", test_covers_range);
  g_test_add_func ("/parallel/nested", test_nested);
  g_test_add_func ("/parallel/concurrent-callers", test_concurrent_callers);
  g_test_add_func ("/parallel/grain", test_grain);
  g_test_add_func ("/parallel/denormals-flushed", test_denormals_flushed);
  g_test_add_func ("/parallel/optimizer-step-and-zero", test_step_and_zero);
  return g_test_run ();
}
