#define G_LOG_DOMAIN "tl-gemm"

#include "config.h"

#include <cblas.h>
#include <string.h>
#include <unistd.h>

#include "tl-gemm.h"
#include "tl-parallel.h"

/* Every block packs the whole shared operand again: a block has at least this
 * many rows (or columns), each packed element serving as many of them, and
 * does at least this many multiply-adds. (With 32 rows, the packing of the
 * weights in a 256-sample inference batch took a fifth of the time.) The
 * blocks depend on the shapes only, never on the number of threads, so that
 * results are the same on any machine. */
#define MIN_BLOCK_WORK (1 << 20)
#define MIN_BLOCK_SIDE 64
#define MAX_BLOCKS 16

typedef struct {
  gboolean trans_a, trans_b, by_rows;
  int M, N, K;
  float alpha, beta;
  const float *A, *B;
  float *C;
  int lda, ldb, ldc;
} Gemm;

static void
gemm_blocks (gpointer data, gsize start, gsize end)
{
  const Gemm *g = data;
  const int first = (int) start, n = (int) (end - start);

  if (g->by_rows)
    cblas_sgemm (CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans, g->trans_b ? CblasTrans : CblasNoTrans,
                 n, g->N, g->K, g->alpha,
                 g->trans_a ? g->A + first : g->A + (gsize) first * g->lda, g->lda,
                 g->B, g->ldb, g->beta, g->C + (gsize) first * g->ldc, g->ldc);
  else
    cblas_sgemm (CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans, g->trans_b ? CblasTrans : CblasNoTrans,
                 g->M, n, g->K, g->alpha, g->A, g->lda,
                 g->trans_b ? g->B + (gsize) first * g->ldb : g->B + first, g->ldb,
                 g->beta, g->C + first, g->ldc);
}

void
tl_sgemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
          float alpha, const float *A, int lda, const float *B, int ldb,
          float beta, float *C, int ldc)
{
  Gemm g = { trans_a, trans_b, M < N ? FALSE : TRUE, M, N, K, alpha, beta, A, B, C, lda, ldb, ldc };
  gsize side, work, blocks, block;

  if (M <= 0 || N <= 0)
    return;
  side = (gsize) (g.by_rows ? M : N);
  work = (gsize) M * N * MAX (K, 1);
  blocks = MIN (MIN (side / MIN_BLOCK_SIDE, work / MIN_BLOCK_WORK), MAX_BLOCKS);
  blocks = MAX (blocks, 1);
  block = (side + blocks - 1) / blocks;
  block = (block + 15) / 16 * 16;
  tl_parallel_for (side, block, gemm_blocks, &g);
}

const char *
tl_gemm_preferred_kernels (void)
{
#if defined(TL_HAVE_OPENBLAS) && defined(__x86_64__)
  const char *name = openblas_get_corename ();

  /* OpenBLAS falls back to its SSE3 kernels on a CPU it does not recognise
   * (0.3.21 on newer Xeons): about a fifth of the speed the CPU allows */
  if (name == NULL || g_ascii_strcasecmp (name, "Prescott") != 0)
    return NULL;
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512dq") && __builtin_cpu_supports ("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return "Haswell";
#endif
  return NULL;
}

/* OpenBLAS picks its kernels when it loads, so the program starts once more
 * with the right ones named. Not under Valgrind, which runs the program on a
 * CPU of its own. */
void
tl_gemm_restart_with_preferred_kernels (char **argv)
{
  const char *kernels = tl_gemm_preferred_kernels ();
  const char *preload = g_getenv ("LD_PRELOAD");

  if (kernels == NULL || g_getenv ("OPENBLAS_CORETYPE") != NULL || (preload && strstr (preload, "vgpreload")))
    return;
  g_setenv ("OPENBLAS_CORETYPE", kernels, TRUE);
  execv ("/proc/self/exe", argv);
  g_unsetenv ("OPENBLAS_CORETYPE");   /* carry on with the slow kernels */
}
