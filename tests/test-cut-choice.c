#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tl-cut-choice.h"
#include "tl-logme.h"
#include "tl-rng.h"

/* The rule alone: the lowest cut whose gap to the best lies within its standard error. */
static void
test_rule (void)
{
  double logme[] = { -0.30, -0.25, -0.20, -0.10 };
  double se[] = { 0.02, 0.06, 0.0, NAN };

  /* the output (index 3) is no candidate: the best is among the first three */
  g_assert_cmpint (tl_cut_choice_best (logme, 3), ==, 2);
  g_assert_cmpint (tl_cut_choice_recommend (logme, se, 2), ==, 1);
  /* cut 1 outside its error, cut 0 too: the best itself */
  se[1] = 0.04;
  g_assert_cmpint (tl_cut_choice_recommend (logme, se, 2), ==, 2);
  /* the lowest qualifying cut wins over a higher one */
  se[0] = 0.11;
  se[1] = 0.06;
  g_assert_cmpint (tl_cut_choice_recommend (logme, se, 2), ==, 0);
  /* a cut whose score or error is not a number never qualifies */
  logme[0] = NAN;
  g_assert_cmpint (tl_cut_choice_recommend (logme, se, 2), ==, 1);
  se[1] = NAN;
  g_assert_cmpint (tl_cut_choice_recommend (logme, se, 2), ==, 2);
  g_assert_cmpint (tl_cut_choice_best (logme, 1), ==, -1);
  g_assert_cmpint (tl_cut_choice_best (logme, 2), ==, 1);
}

/* n rows of 3 classes; `signal` moves each class's mean along the first `informative` features. */
static TlTensor *
features (int n, int dim, int informative, float signal, guint64 seed, int *labels)
{
  TlTensor *t = tl_tensor_new_2d (n, dim);
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (int i = 0; i < n; i++)
    {
      labels[i] = i % 3;
      for (int d = 0; d < dim; d++)
        t->data[(gsize) i * dim + d] = (float) tl_rng_normal (&rng)
                                       + (d < informative && d % 3 == labels[i] ? signal : 0.0f);
    }
  return t;
}

static void
gap_errors (int n, float low_signal, float high_signal, double *logme, double *se)
{
  g_autoptr (GError) error = NULL;
  g_autofree int *labels = g_new (int, n);
  TlTensor *f[2];

  f[0] = features (n, 12, 6, low_signal, 5, labels);
  f[1] = features (n, 12, 6, high_signal, 6, labels);
  for (int c = 0; c < 2; c++)
    {
      logme[c] = tl_logme (f[c]->data, n, f[c]->shape[1], labels, 3, &error);
      g_assert_no_error (error);
    }
  /* the higher cut is made the best: when both carry the same signal, that is the lower cut's bad luck */
  if (logme[0] > logme[1])
    {
      double v = logme[0];
      TlTensor *t = f[0];
      logme[0] = logme[1];
      logme[1] = v;
      f[0] = f[1];
      f[1] = t;
    }
  g_assert_cmpint (tl_cut_choice_best (logme, 2), ==, 1);
  g_assert_true (tl_cut_choice_gap_errors (f, logme, 2, 1, labels, 3, TL_CUT_CHOICE_GROUPS, 7, se, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (se[1], ==, 0.0);
  g_assert_true (isfinite (se[0]) && se[0] > 0.0);
  tl_tensor_free (f[0]);
  tl_tensor_free (f[1]);
}

/* Two cuts of the same signal differ by chance alone: the lower one is recommended. The standard
 * error shrinks as the rows grow (about as one over their square root). A clearly better higher cut
 * is chosen even on few rows. */
static void
test_gap_errors (void)
{
  double logme[2], se_few[2], se_many[2], se_clear[2];

  gap_errors (60, 1.5f, 1.5f, logme, se_few);
  g_test_message ("60 rows: LogME %.4f, %.4f; gap %.4f, its error %.4f", logme[0], logme[1], logme[1] - logme[0],
                  se_few[0]);
  g_assert_cmpint (tl_cut_choice_recommend (logme, se_few, 1), ==, 0);

  gap_errors (960, 1.5f, 1.5f, logme, se_many);
  g_test_message ("960 rows: LogME %.4f, %.4f; gap %.4f, its error %.4f", logme[0], logme[1], logme[1] - logme[0],
                  se_many[0]);
  g_assert_cmpfloat (se_many[0], <, se_few[0] / 2.0);
  g_assert_cmpfloat (se_many[0], >, se_few[0] / 8.0);

  gap_errors (60, 0.2f, 3.0f, logme, se_clear);
  g_test_message ("60 rows, clear gap: %.4f, its error %.4f", logme[1] - logme[0], se_clear[0]);
  g_assert_cmpint (tl_cut_choice_recommend (logme, se_clear, 1), ==, 1);
}

/* The same features at two cuts: every jackknife group left out gives both the same score, so the error is 0 and the
 * lower cut is recommended. */
static void
test_identical_cuts (void)
{
  g_autoptr (GError) error = NULL;
  int labels[90];
  TlTensor *f = features (90, 10, 4, 1.0f, 9, labels);
  TlTensor *both[2] = { f, f };
  double logme[2], se[2];

  logme[0] = logme[1] = tl_logme (f->data, 90, 10, labels, 3, &error);
  g_assert_no_error (error);
  g_assert_true (tl_cut_choice_gap_errors (both, logme, 2, 1, labels, 3, 8, 1, se, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (se[0], ==, 0.0);
  g_assert_cmpint (tl_cut_choice_recommend (logme, se, 1), ==, 0);
  tl_tensor_free (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cut-choice/rule", test_rule);
  g_test_add_func ("/cut-choice/gap-errors", test_gap_errors);
  g_test_add_func ("/cut-choice/identical-cuts", test_identical_cuts);
  return g_test_run ();
}
