#include "config.h"

#include <glib.h>
#include <math.h>

#include "tl-cut-choice.h"
#include "tl-logme.h"
#include "tl-rng.h"
#include "tl-tensor.h"

/* The rule alone: the lowest cut against which the best's evidence is not strong. */
static void
test_rule (void)
{
  /* 100 rows of 4 classes: a LogME difference d is a log Bayes factor of 400 d */
  double logme[] = { -0.60, -0.556, -0.55, -0.10 };

  g_assert_cmpfloat_with_epsilon (tl_cut_choice_log_bayes_factor (-0.55, -0.556, 100, 4), 2.4, 1e-9);
  /* the output (index 3) is no candidate */
  g_assert_cmpint (tl_cut_choice_best (logme, 3), ==, 2);
  /* cut 0: ln 20, strong; cut 1: 2.4, not */
  g_assert_cmpint (tl_cut_choice_recommend (logme, 2, 100, 4), ==, 1);
  /* the same differences on four times the rows are strong evidence */
  g_assert_cmpint (tl_cut_choice_recommend (logme, 2, 400, 4), ==, 2);
  /* a bar just above or below ln 20 */
  logme[0] = -0.55 - (TL_CUT_CHOICE_STRONG_EVIDENCE - 1e-6) / 400;
  g_assert_cmpint (tl_cut_choice_recommend (logme, 2, 100, 4), ==, 0);
  logme[0] = -0.55 - (TL_CUT_CHOICE_STRONG_EVIDENCE + 1e-6) / 400;
  g_assert_cmpint (tl_cut_choice_recommend (logme, 2, 100, 4), ==, 1);
  /* a cut whose score is not a number never qualifies */
  logme[0] = logme[1] = NAN;
  g_assert_cmpint (tl_cut_choice_recommend (logme, 2, 100, 4), ==, 2);
  g_assert_cmpint (tl_cut_choice_best (logme, 2), ==, -1);
  g_assert_cmpint (tl_cut_choice_recommend (logme, -1, 100, 4), ==, -1);
  g_assert_cmpint (tl_cut_choice_best (logme, 3), ==, 2);
}

/* n rows of 3 classes; `signal` moves each class's mean along the first 6 of 12 features. */
static TlTensor *
features (int n, float signal, guint64 seed, int *labels)
{
  TlTensor *t = tl_tensor_new_2d (n, 12);
  TlRng rng;

  tl_rng_init (&rng, seed);
  for (int i = 0; i < n; i++)
    {
      labels[i] = i % 3;
      for (int d = 0; d < 12; d++)
        t->data[(gsize) i * 12 + d] = (float) tl_rng_normal (&rng) + (d < 6 && d % 3 == labels[i] ? signal : 0.0f);
    }
  return t;
}

/* Two cuts of one network: the higher one the lower's features with `extra` more of the class signal
 * (the noise the same). */
static int
recommend (int n, float extra, double *evidence)
{
  g_autoptr (GError) error = NULL;
  g_autofree int *labels = g_new (int, n);
  g_autoptr (TlTensor) low = features (n, 1.0f, 5, labels);
  g_autoptr (TlTensor) high = features (n, 1.0f + extra, 5, labels);
  double logme[2];

  logme[0] = tl_logme (low->data, n, 12, labels, 3, &error);
  g_assert_no_error (error);
  logme[1] = tl_logme (high->data, n, 12, labels, 3, &error);
  g_assert_no_error (error);
  *evidence = tl_cut_choice_log_bayes_factor (logme[1], logme[0], n, 3);
  g_test_message ("%d rows, %.2f more signal above: LogME %.4f, %.4f, ln Bayes factor %.2f", n, extra, logme[0],
                  logme[1], *evidence);
  return tl_cut_choice_recommend (logme, tl_cut_choice_best (logme, 2), n, 3);
}

/* On real LogMEs: a higher cut only slightly better stays behind the lower one on few rows, wins
 * once the rows make the same small edge strong evidence, and wins at once when it is clearly better. */
static void
test_on_logme (void)
{
  double few, many, clear;

  g_assert_cmpint (recommend (60, 0.03f, &few), ==, 0);
  g_assert_cmpfloat (few, >, 0.0);
  g_assert_cmpfloat (few, <, TL_CUT_CHOICE_STRONG_EVIDENCE);
  g_assert_cmpint (recommend (3000, 0.03f, &many), ==, 1);
  g_assert_cmpfloat (many, >=, TL_CUT_CHOICE_STRONG_EVIDENCE);
  g_assert_cmpint (recommend (60, 1.0f, &clear), ==, 1);
  g_assert_cmpfloat (clear, >, 3 * TL_CUT_CHOICE_STRONG_EVIDENCE);
}

/* Models: by best LogME, except that the first is the one of highest LEEP among
 * those the top one's evidence does not strongly beat. 100 rows of 5 classes:
 * a LogME gap of 0.006 is a log Bayes factor of 3, the bar. */
static void
test_rank_models (void)
{
  {
    /* 0 and 2 are within the bar of 1 (gaps 0.0013, 0.0053), 3 is not (0.0113): 2 has the best LEEP */
    const double logme[] = { -0.1965, -0.1952, -0.2005, -0.2065, NAN };
    const double leep[] = { -1.504, -1.588, -1.490, -1.2, -1.0 };
    int order[5];

    tl_cut_choice_rank_models (logme, leep, 5, 100, 5, order);
    g_assert_cmpmem (order, sizeof order, ((int[]) { 2, 1, 0, 3, 4 }), sizeof order);
    /* on 400 rows only 0 is still within the bar (ln factors 2.6 and 10.6), and has the better LEEP */
    tl_cut_choice_rank_models (logme, leep, 5, 400, 5, order);
    g_assert_cmpmem (order, sizeof order, ((int[]) { 0, 1, 2, 3, 4 }), sizeof order);
    /* on 1,000 rows every gap is strong evidence: the best LogME stays first */
    tl_cut_choice_rank_models (logme, leep, 5, 1000, 5, order);
    g_assert_cmpmem (order, sizeof order, ((int[]) { 1, 0, 2, 3, 4 }), sizeof order);
  }
  {
    /* a model without LEEP does not displace one with it; one model alone; no LogME at all */
    const double logme[] = { -0.30, -0.301 };
    const double leep[] = { -1.5, NAN };
    const double none[] = { NAN, NAN };
    int order[2], one;

    tl_cut_choice_rank_models (logme, leep, 2, 100, 5, order);
    g_assert_cmpmem (order, sizeof order, ((int[]) { 0, 1 }), sizeof order);
    tl_cut_choice_rank_models (logme, leep, 1, 100, 5, &one);
    g_assert_cmpint (one, ==, 0);
    tl_cut_choice_rank_models (none, leep, 2, 100, 5, order);
    g_assert_cmpmem (order, sizeof order, ((int[]) { 0, 1 }), sizeof order);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cut-choice/rule", test_rule);
  g_test_add_func ("/cut-choice/on-logme", test_on_logme);
  g_test_add_func ("/cut-choice/rank-models", test_rank_models);
  return g_test_run ();
}
