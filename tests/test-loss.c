#include "config.h"

#include <glib.h>
#include <math.h>

#include "tl-loss.h"

static const float logits_data[] = { 1.0f, 2.0f, 0.5f, -1.0f, 0.0f, 3.0f, 0.2f, 0.1f, -0.3f, 2.0f, -2.0f, 1.0f };
static const int labels[] = { 1, 2, 0, 1 };
static const float weights[] = { 1.0f, 2.0f, 0.5f };

static TlTensor *
make_logits (void)
{
  TlTensor *z = tl_tensor_new_2d (4, 3);
  for (int i = 0; i < 12; i++)
    z->data[i] = logits_data[i];
  return z;
}

/* Reference values from torch.nn.functional.cross_entropy in float64. */
static void
check_against_reference (const float *w, float smoothing, double want_loss, const double *want_grad)
{
  g_autoptr (TlTensor) z = make_logits ();
  g_autoptr (TlTensor) grad = tl_tensor_new_empty ();
  g_autoptr (TlTensor) probs = tl_tensor_new_empty ();
  float loss = tl_cross_entropy (z, labels, w, smoothing, grad, probs);

  g_assert_cmpfloat_with_epsilon (loss, want_loss, 1e-5);
  for (int i = 0; i < 12; i++)
    g_assert_cmpfloat_with_epsilon (grad->data[i], want_grad[i], 1e-6);
  for (int r = 0; r < 4; r++)
    {
      double s = 0.0;
      for (int c = 0; c < 3; c++)
        s += probs->data[r * 3 + c];
      g_assert_cmpfloat_with_epsilon (s, 1.0, 1e-6);
    }
}

static void
test_cross_entropy_plain (void)
{
  const double g[] = { 0.057805974, -0.092867070, 0.035061096, 0.004286956, 0.011653156, -0.015940112,
                       -0.150452665, 0.090074154, 0.060378511, 0.180349796, -0.246696778, 0.066346982 };
  check_against_reference (NULL, 0.0f, 1.444410746, g);
}

static void
test_cross_entropy_weighted (void)
{
  const double g[] = { 0.084081417, -0.135079375, 0.050997958, 0.001558893, 0.004237511, -0.005796404,
                       -0.109420120, 0.065508475, 0.043911644, 0.262326976, -0.358831677, 0.096504701 };
  check_against_reference (weights, 0.0f, 1.915569538, g);
}

static void
test_cross_entropy_smoothing (void)
{
  const double g[] = { 0.049472641, -0.076200404, 0.026727762, -0.004046377, 0.003319822, 0.000726555,
                       -0.133785998, 0.081740820, 0.052045178, 0.172016463, -0.230030112, 0.058013649 };
  const double gw[] = { 0.064953420, -0.105640942, 0.040687522, -0.010146614, -0.018874910, 0.029021524,
                        -0.082764427, 0.043449667, 0.039314760, 0.228345183, -0.310747220, 0.082402037 };
  check_against_reference (NULL, 0.1f, 1.470244080, g);
  check_against_reference (weights, 0.2f, 1.858779878, gw);
}

static void
test_cross_entropy_finite_differences (void)
{
  const float *ws[] = { NULL, weights };
  const float smooth[] = { 0.0f, 0.15f };

  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++)
      {
        g_autoptr (TlTensor) z = make_logits ();
        g_autoptr (TlTensor) grad = tl_tensor_new_empty ();

        tl_cross_entropy (z, labels, ws[a], smooth[b], grad, NULL);
        for (int i = 0; i < 12; i++)
          {
            const float h = 1e-2f;
            float keep = z->data[i], up, down;

            z->data[i] = keep + h;
            up = tl_cross_entropy (z, labels, ws[a], smooth[b], NULL, NULL);
            z->data[i] = keep - h;
            down = tl_cross_entropy (z, labels, ws[a], smooth[b], NULL, NULL);
            z->data[i] = keep;
            g_assert_cmpfloat_with_epsilon (grad->data[i], (up - down) / (2 * h), 2e-4);
          }
      }
}

static void
test_cross_entropy_stable (void)
{
  g_autoptr (TlTensor) z = tl_tensor_new_2d (2, 3);
  g_autoptr (TlTensor) grad = tl_tensor_new_empty ();
  const int y[] = { 0, 2 };
  const float v[] = { 1000.0f, -1000.0f, 0.0f, 500.0f, 600.0f, 400.0f };
  float loss;

  for (int i = 0; i < 6; i++)
    z->data[i] = v[i];
  loss = tl_cross_entropy (z, y, NULL, 0.0f, grad, NULL);
  g_assert_true (isfinite (loss));
  /* row 0 is certain and right (loss 0); row 1 is 200 below the best logit */
  g_assert_cmpfloat_with_epsilon (loss, 100.0, 1e-3);
  for (int i = 0; i < 6; i++)
    g_assert_true (isfinite (grad->data[i]));
  g_assert_cmpfloat_with_epsilon (grad->data[4], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (grad->data[5], -0.5, 1e-6);
}

static void
test_mse (void)
{
  g_autoptr (TlTensor) p = tl_tensor_new_2d (2, 2);
  g_autoptr (TlTensor) t = tl_tensor_new_2d (2, 2);
  g_autoptr (TlTensor) grad = tl_tensor_new_empty ();
  const float pv[] = { 1.0f, 2.0f, 3.0f, -1.0f };
  const float tv[] = { 0.0f, 2.0f, 1.0f, 1.0f };
  float loss;

  for (int i = 0; i < 4; i++)
    {
      p->data[i] = pv[i];
      t->data[i] = tv[i];
    }
  loss = tl_mse (p, t, grad);
  g_assert_cmpfloat_with_epsilon (loss, (1.0 + 0.0 + 4.0 + 4.0) / 4.0, 1e-6);
  for (int i = 0; i < 4; i++)
    {
      const float h = 1e-2f;
      float keep = p->data[i], up, down;
      p->data[i] = keep + h;
      up = tl_mse (p, t, NULL);
      p->data[i] = keep - h;
      down = tl_mse (p, t, NULL);
      p->data[i] = keep;
      g_assert_cmpfloat_with_epsilon (grad->data[i], (up - down) / (2 * h), 1e-4);
      g_assert_cmpfloat_with_epsilon (grad->data[i], 2.0 * (pv[i] - tv[i]) / 4.0, 1e-6);
    }
}

static void
test_softmax_and_correct (void)
{
  g_autoptr (TlTensor) z = make_logits ();
  g_autoptr (TlTensor) p = tl_tensor_new_empty ();

  tl_softmax_rows (z, p);
  g_assert_cmpfloat_with_epsilon (p->data[0], exp (1.0) / (exp (1.0) + exp (2.0) + exp (0.5)), 1e-6);
  /* argmax per row: 1, 2, 0, 0 against labels 1, 2, 0, 1 */
  g_assert_cmpint (tl_count_correct (z, labels), ==, 3);
  g_assert_cmpint (tl_count_correct (p, labels), ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/loss/cross-entropy/plain", test_cross_entropy_plain);
  g_test_add_func ("/loss/cross-entropy/class-weights", test_cross_entropy_weighted);
  g_test_add_func ("/loss/cross-entropy/label-smoothing", test_cross_entropy_smoothing);
  g_test_add_func ("/loss/cross-entropy/finite-differences", test_cross_entropy_finite_differences);
  g_test_add_func ("/loss/cross-entropy/stable", test_cross_entropy_stable);
  g_test_add_func ("/loss/mse", test_mse);
  g_test_add_func ("/loss/softmax-and-correct", test_softmax_and_correct);
  return g_test_run ();
}
