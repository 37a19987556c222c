#define G_LOG_DOMAIN "tl-parallel"

#include "config.h"

#include <stdlib.h>
#ifdef __SSE2__
#include <xmmintrin.h>
#endif
#ifdef TL_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include "tl-parallel.h"

/* Workers spin this long after a loop before sleeping: training issues loops
 * every few microseconds, below the cost of a wake-up, but a longer spin
 * takes a shared machine's CPU from threads that have work. */
#define SPIN_USEC 20

#define MAX_THREADS 64

/* Each thread first takes the chunks of its own share of the range, so that
 * with one block per thread (tl-gemm.c) the same thread works on the same rows
 * of a layer from one loop to the next; a thread done with its share takes
 * the remaining chunks of the others, so that a late or descheduled thread
 * holds nobody up. Which thread runs a chunk never changes what it computes. */
typedef struct {
  gint next;                      /* next unclaimed chunk of this share */
  gint end;
} __attribute__ ((aligned (64))) Share;

typedef struct {
  TlParallelFunc func;
  gpointer       data;
  gsize          n, grain;
  int            n_shares;
  Share          shares[MAX_THREADS];
} Job;

static struct {
  GMutex  busy;                   /* one loop at a time: a second caller runs inline */
  GMutex  lock;
  GCond   wake;
  Job    *job;
  gint    generation;             /* bumped for every loop */
  gboolean open;                  /* workers may still join the current loop */
  int     inside;                 /* workers running chunks of the current loop */
  int     sleeping;
  int     n_threads;
} pool;

static GPrivate in_loop;

/* Chunks run with denormal floats flushed to zero, in and out. An Adam moment
 * whose gradient stays zero decays by a constant factor every step and ends
 * up denormal, where every operation on it costs the processor a slow path
 * (six times slower Adam steps in a test). The mode is the same for every
 * chunk on every thread, so results still do not depend on the thread count. */
#ifdef __SSE2__
#define MXCSR_FLUSH_DENORMALS 0x8040    /* flush-to-zero | denormals-are-zero */

static inline guint
flush_denormals_begin (void)
{
  guint saved = _mm_getcsr ();

  _mm_setcsr (saved | MXCSR_FLUSH_DENORMALS);
  return saved;
}

static inline void
flush_denormals_end (guint saved)
{
  _mm_setcsr (saved);
}
#else
static inline guint flush_denormals_begin (void) { return 0; }
static inline void flush_denormals_end (guint saved) { }
#endif

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

static void
run_share (Job *job, Share *share)
{
  for (;;)
    {
      gint c = g_atomic_int_add (&share->next, 1);
      gsize start, end;

      if (c >= share->end)
        return;
      start = (gsize) c * job->grain;
      end = MIN (job->n, start + job->grain);
      job->func (job->data, start, end);
    }
}

static void
run_chunks (Job *job, int thread)
{
  for (int k = 0; k < job->n_shares; k++)
    run_share (job, &job->shares[(thread + k) % job->n_shares]);
}

static gpointer
worker_main (gpointer index)
{
  gint seen = g_atomic_int_get (&pool.generation);
  const int me = GPOINTER_TO_INT (index);

  flush_denormals_begin ();        /* for good: this thread runs only chunks */
  g_private_set (&in_loop, GINT_TO_POINTER (1));
  for (;;)
    {
      gint64 deadline = 0;
      Job *job = NULL;

      for (int spins = 0; g_atomic_int_get (&pool.generation) == seen; spins++)
        {
          cpu_relax ();
          if ((spins & 255) != 255)
            continue;
          if (deadline == 0)
            deadline = g_get_monotonic_time () + SPIN_USEC;
          else if (g_get_monotonic_time () > deadline)
            {
              g_mutex_lock (&pool.lock);
              pool.sleeping++;
              while (g_atomic_int_get (&pool.generation) == seen)
                g_cond_wait (&pool.wake, &pool.lock);
              pool.sleeping--;
              g_mutex_unlock (&pool.lock);
              break;
            }
        }

      g_mutex_lock (&pool.lock);
      seen = pool.generation;
      if (pool.open)
        {
          job = pool.job;
          pool.inside++;
        }
      g_mutex_unlock (&pool.lock);
      if (job == NULL)
        continue;
      run_chunks (job, me);
      g_mutex_lock (&pool.lock);
      pool.inside--;
      g_mutex_unlock (&pool.lock);
    }
  return NULL;
}

static gpointer
pool_start (gpointer unused)
{
  const char *env = g_getenv ("TL_NUM_THREADS");
  int n;

  /* the pool takes over the threads BLAS was given, and runs BLAS itself in
   * single-threaded blocks (tl-gemm.c): two pools spinning on two cores fight */
  if (env == NULL)
    env = g_getenv ("OPENBLAS_NUM_THREADS");
  n = env != NULL ? atoi (env) : (int) g_get_num_processors ();
#ifdef TL_HAVE_OPENBLAS
  openblas_set_num_threads (1);
#endif
  pool.n_threads = CLAMP (n, 1, MAX_THREADS);
  for (int i = 1; i < pool.n_threads; i++)
    {
      GThread *t = g_thread_new ("tl-worker", worker_main, GINT_TO_POINTER (i));
      g_thread_unref (t);
    }
  return NULL;
}

int
tl_parallel_n_threads (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, pool_start, NULL);
  return pool.n_threads;
}

gsize
tl_parallel_grain (gsize n, gsize min_grain)
{
  gsize t = (gsize) tl_parallel_n_threads ();
  gsize g = (n + t - 1) / t;

  return MAX (MAX (g, min_grain), 1);
}

void
tl_parallel_for (gsize n, gsize grain, TlParallelFunc func, gpointer data)
{
  Job job;
  gsize n_chunks;
  guint mode;

  g_return_if_fail (func != NULL);
  if (n == 0)
    return;
  grain = MAX (grain, n / G_MAXINT + 1);   /* chunk numbers fit a gint */
  if (n <= grain || tl_parallel_n_threads () == 1 || g_private_get (&in_loop) != NULL
      || !g_mutex_trylock (&pool.busy))
    {
      mode = flush_denormals_begin ();
      for (gsize start = 0; start < n; start += grain)
        func (data, start, MIN (n, start + grain));
      flush_denormals_end (mode);
      return;
    }

  job.func = func;
  job.data = data;
  job.n = n;
  job.grain = grain;
  n_chunks = (n + grain - 1) / grain;
  job.n_shares = (int) MIN (n_chunks, (gsize) pool.n_threads);
  for (int t = 0; t < job.n_shares; t++)
    {
      job.shares[t].next = (gint) (n_chunks * t / job.n_shares);
      job.shares[t].end = (gint) (n_chunks * (t + 1) / job.n_shares);
    }

  g_mutex_lock (&pool.lock);
  pool.job = &job;
  pool.open = TRUE;
  g_atomic_int_inc (&pool.generation);
  if (pool.sleeping > 0)
    g_cond_broadcast (&pool.wake);
  g_mutex_unlock (&pool.lock);

  g_private_set (&in_loop, GINT_TO_POINTER (1));
  mode = flush_denormals_begin ();
  run_chunks (&job, 0);
  flush_denormals_end (mode);
  g_private_set (&in_loop, NULL);

  /* every chunk is claimed; wait for the workers still computing theirs, and
   * after a short spin let the system run them if they share this CPU */
  for (int spins = 0;; spins++)
    {
      gboolean done;

      g_mutex_lock (&pool.lock);
      done = pool.inside == 0;
      if (done)
        {
          pool.open = FALSE;
          pool.job = NULL;
        }
      g_mutex_unlock (&pool.lock);
      if (done)
        break;
      if (spins < 64)
        cpu_relax ();
      else
        g_thread_yield ();
    }
  g_mutex_unlock (&pool.busy);
}
