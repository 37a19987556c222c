#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Row-major single-precision matrix product C = alpha op(A) op(B) + beta C,
 * with op(A) [M, K] and op(B) [K, N], as cblas_sgemm computes it. The larger
 * side of C is cut into blocks that depend on the shape alone, and each block
 * is one single-threaded BLAS call on the thread pool: the result is the same
 * whatever the number of threads, and a thread the system pauses delays one
 * block rather than the whole product. */
void tl_sgemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
               float alpha, const float *A, int lda, const float *B, int ldb,
               float beta, float *C, int ldc);

/* The kernels to ask OpenBLAS for (its OPENBLAS_CORETYPE, read when it loads)
 * when it misjudged this CPU and chose its slowest ones; NULL when its choice
 * stands. */
const char *tl_gemm_preferred_kernels (void);
/* When OpenBLAS misjudged this CPU: runs the program again (argv as main got
 * it, before any option parsing) with the preferred kernels named; returns
 * when their choice stands, or when it cannot. */
void tl_gemm_restart_with_preferred_kernels (char **argv);

G_END_DECLS
