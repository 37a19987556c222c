#define G_LOG_DOMAIN "tl-logme"

#include "config.h"

#include <cblas.h>
#include <glib/gi18n.h>
#include <math.h>

#include "tl-error.h"
#include "tl-logme.h"

/* LAPACK from OpenBLAS, called directly so no LAPACKE header is needed. */
extern void dsyevd_ (const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                     double *work, const int *lwork, int *iwork, const int *liwork, int *info);

#define LOGME_MAX_ITER 200
#define LOGME_TOL 1e-7
/* Added to both denominators of the update, as the authors' own implementation does: with more
 * features than rows the fit can become exact, and without a floor the noise precision grows
 * without bound and the iteration ends in NaN. */
#define LOGME_FLOOR 1e-5

/* Eigenvalues s[0..k) and the energies z2[j * n_classes + c] of each class's
 * one-hot target along them, where k = min(n, dim) and z_j = v_j^T F^T y_c. */
static gboolean
spectrum (const float *f, int n, int dim, const int *labels, int n_classes, int *k_out, double **s_out,
          double **z2_out, GError **error)
{
  g_autofree double *F = g_new (double, (gsize) n * dim);
  g_autofree double *G = NULL;
  g_autofree double *s = NULL;
  g_autofree double *work = NULL;
  g_autofree int *iwork = NULL;
  double *z2;
  int k = MIN (n, dim), info = 0, lwork = -1, liwork = -1, iw = 0;
  double wq = 0;

  for (gsize i = 0; i < (gsize) n * dim; i++)
    F[i] = f[i];
  G = g_new (double, (gsize) k * k);
  s = g_new (double, k);
  /* the smaller Gram matrix: F^T F when dim <= n, else F F^T; row-major upper is LAPACK's lower */
  if (dim <= n)
    cblas_dsyrk (CblasRowMajor, CblasUpper, CblasTrans, dim, n, 1.0, F, dim, 0.0, G, k);
  else
    cblas_dsyrk (CblasRowMajor, CblasUpper, CblasNoTrans, n, dim, 1.0, F, dim, 0.0, G, k);
  dsyevd_ ("V", "L", &k, G, &k, s, &wq, &lwork, &iw, &liwork, &info);
  if (info == 0)
    {
      lwork = (int) wq;
      liwork = iw;
      work = g_new (double, MAX (lwork, 1));
      iwork = g_new (int, MAX (liwork, 1));
      dsyevd_ ("V", "L", &k, G, &k, s, work, &lwork, iwork, &liwork, &info);
    }
  if (info != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_FAILED, _("the eigen-decomposition of the features failed (%d)"), info);
      return FALSE;
    }
  for (int j = 0; j < k; j++)
    s[j] = MAX (s[j], 0.0);

  z2 = g_new0 (double, (gsize) k * n_classes);
  if (dim <= n)
    {
      /* z = V^T (F^T Y): F^T Y sums each class's rows */
      g_autofree double *fty = g_new0 (double, (gsize) dim * n_classes);
      for (int i = 0; i < n; i++)
        for (int d = 0; d < dim; d++)
          fty[(gsize) d * n_classes + labels[i]] += F[(gsize) i * dim + d];
      for (int j = 0; j < k; j++)
        for (int c = 0; c < n_classes; c++)
          {
            double z = 0;
            for (int d = 0; d < dim; d++)
              z += G[(gsize) j * k + d] * fty[(gsize) d * n_classes + c];
            z2[(gsize) j * n_classes + c] = z * z;
          }
    }
  else
    {
      /* F = U S V^T: z_j = sqrt(s_j) u_j^T y */
      for (int j = 0; j < k; j++)
        {
          g_autofree double *q = g_new0 (double, n_classes);
          for (int i = 0; i < n; i++)
            q[labels[i]] += G[(gsize) j * k + i];
          for (int c = 0; c < n_classes; c++)
            z2[(gsize) j * n_classes + c] = s[j] * q[c] * q[c];
        }
    }
  *k_out = k;
  *s_out = g_steal_pointer (&s);
  *z2_out = z2;
  return TRUE;
}

/* One class: the fixed-point iteration of the paper's Algorithm 1 in the eigenbasis. */
static double
class_evidence (const double *s, const double *z2, int stride, int k, int n, int dim, double yy)
{
  double alpha = 1.0, beta = 1.0, lam = 1.0, alpha_de = 0, beta_de = 0, logdet = 0;

  for (int it = 0; it < LOGME_MAX_ITER; it++)
    {
      double gamma = 0, new_lam;

      alpha_de = 0;
      beta_de = yy;
      for (int j = 0; j < k; j++)
        {
          double den = alpha + beta * s[j];
          double a = alpha / den;
          double zz = z2[(gsize) j * stride];

          gamma += s[j] / (s[j] + lam);
          alpha_de += beta * beta * zz / (den * den);
          /* ||y - F m||^2 without dividing by s_j, which may be 0 */
          beta_de -= zz * beta * (1.0 + a) / den;
        }
      beta_de = MAX (beta_de, 1e-300);
      alpha_de = MAX (alpha_de, 1e-300);
      alpha = gamma / (alpha_de + LOGME_FLOOR);
      beta = (n - gamma) / (beta_de + LOGME_FLOOR);
      new_lam = alpha / beta;
      if (fabs (new_lam - lam) / lam < LOGME_TOL)
        break;
      lam = new_lam;
    }
  for (int j = 0; j < k; j++)
    logdet += log (alpha + beta * s[j]);
  logdet += (double) (dim - k) * log (alpha);
  return (dim / 2.0 * log (alpha) + n / 2.0 * log (beta) - 0.5 * logdet - beta / 2.0 * beta_de
          - alpha / 2.0 * alpha_de - n / 2.0 * log (2.0 * G_PI))
         / n;
}

double
tl_logme (const float *f, int n, int dim, const int *labels, int n_classes, GError **error)
{
  g_autofree double *s = NULL;
  g_autofree double *z2 = NULL;
  g_autofree int *counts = NULL;
  double total = 0;
  int k = 0, present = 0;

  g_return_val_if_fail (f != NULL && labels != NULL && n > 0 && dim > 0 && n_classes > 0, NAN);
  counts = g_new0 (int, n_classes);
  for (int i = 0; i < n; i++)
    {
      g_return_val_if_fail (labels[i] >= 0 && labels[i] < n_classes, NAN);
      counts[labels[i]]++;
    }
  if (!spectrum (f, n, dim, labels, n_classes, &k, &s, &z2, error))
    return NAN;
  for (int c = 0; c < n_classes; c++)
    if (counts[c] > 0)
      {
        total += class_evidence (s, z2 + c, n_classes, k, n, dim, counts[c]);
        present++;
      }
  return total / present;
}
