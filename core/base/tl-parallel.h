#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Loops split over a small pool of persistent threads. The range [0, n) is cut
 * into chunks of `grain` items whatever the number of threads, and every chunk
 * is computed by one thread in order, so results never depend on the thread
 * count as long as chunks write disjoint data. */

typedef void (*TlParallelFunc) (gpointer data, gsize start, gsize end);

/* Calls func (data, start, end) for consecutive chunks covering [0, n) and
 * returns when all are done. Runs inline for a single chunk, on a single
 * core, or when called from inside another parallel loop. Chunks run with
 * denormal floats flushed to zero (on x86-64), whichever thread runs them. */
void tl_parallel_for       (gsize n, gsize grain, TlParallelFunc func, gpointer data);

/* Threads a loop may use, the calling one included: the TL_NUM_THREADS
 * environment variable, else OPENBLAS_NUM_THREADS, else the number of
 * processors. With OpenBLAS, the first call sets OpenBLAS itself to one
 * thread: products are split over this pool instead (tl-gemm.h). */
int  tl_parallel_n_threads (void);

/* A grain giving about one chunk per thread, at least `min_grain` items. */
gsize tl_parallel_grain    (gsize n, gsize min_grain);

/* Multiversioned hot loops: one clone per vector width, picked at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#define TL_VECTORIZED __attribute__ ((target_clones ("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define TL_VECTORIZED
#endif

G_END_DECLS
