#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-metrics.h"

/* Worked by hand. Confusion (rows true, columns predicted):
 *   [2 1 0]   precision 1, 1/3, 2/3   recall 2/3, 1/2, 2/3   F1 4/5, 2/5, 2/3
 *   [0 1 1]   macro P 2/3, R 11/18, F1 28/45
 *   [0 1 2]   weighted P 17/24, R 5/8, F1 13/20; accuracy 5/8 */
static const int y_true[8] = { 0, 0, 0, 1, 1, 2, 2, 2 };
static const float probs[8 * 3] = {
  0.7f, 0.2f, 0.1f,
  0.5f, 0.3f, 0.2f,
  0.3f, 0.6f, 0.1f,
  0.1f, 0.8f, 0.1f,
  0.2f, 0.3f, 0.5f,
  0.1f, 0.1f, 0.8f,
  0.0f, 0.4f, 0.6f,
  0.1f, 0.5f, 0.4f,
};
static const char *names[] = { "cat", "dog", "bird", NULL };

#define EPS 1e-9

static void
check_hand_example (const TlMetrics *m, gboolean with_loss)
{
  static const int confusion[9] = { 2, 1, 0, 0, 1, 1, 0, 1, 2 };

  g_assert_cmpint (m->n_classes, ==, 3);
  g_assert_cmpint (m->n_samples, ==, 8);
  g_assert_cmpmem (m->confusion, sizeof confusion, confusion, sizeof confusion);
  g_assert_cmpfloat_with_epsilon (m->accuracy, 5.0 / 8, EPS);
  g_assert_cmpfloat_with_epsilon (m->precision[0], 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (m->precision[1], 1.0 / 3, EPS);
  g_assert_cmpfloat_with_epsilon (m->precision[2], 2.0 / 3, EPS);
  g_assert_cmpfloat_with_epsilon (m->recall[0], 2.0 / 3, EPS);
  g_assert_cmpfloat_with_epsilon (m->recall[1], 1.0 / 2, EPS);
  g_assert_cmpfloat_with_epsilon (m->recall[2], 2.0 / 3, EPS);
  g_assert_cmpfloat_with_epsilon (m->f1[0], 4.0 / 5, EPS);
  g_assert_cmpfloat_with_epsilon (m->f1[1], 2.0 / 5, EPS);
  g_assert_cmpfloat_with_epsilon (m->f1[2], 2.0 / 3, EPS);
  g_assert_cmpint (m->support[0], ==, 3);
  g_assert_cmpint (m->support[1], ==, 2);
  g_assert_cmpint (m->support[2], ==, 3);
  g_assert_cmpfloat_with_epsilon (m->macro_precision, 2.0 / 3, EPS);
  g_assert_cmpfloat_with_epsilon (m->macro_recall, 11.0 / 18, EPS);
  g_assert_cmpfloat_with_epsilon (m->macro_f1, 28.0 / 45, EPS);
  g_assert_cmpfloat_with_epsilon (m->weighted_precision, 17.0 / 24, EPS);
  g_assert_cmpfloat_with_epsilon (m->weighted_recall, 5.0 / 8, EPS);
  g_assert_cmpfloat_with_epsilon (m->weighted_f1, 13.0 / 20, EPS);
  g_assert_cmpstr (m->class_names[2], ==, "bird");
  g_assert_null (m->class_names[3]);
  if (with_loss)
    /* -(ln .7 + ln .5 + 2 ln .3 + 2 ln .8 + ln .6 + ln .4) / 8 */
    g_assert_cmpfloat_with_epsilon (m->log_loss, 5.3311717 / 8, 1e-6);
  else
    g_assert_true (isnan (m->log_loss));
  g_assert_cmpint (tl_metrics_confusion_at (m, 2, 1), ==, 1);
  g_assert_cmpfloat_with_epsilon (tl_metrics_confusion_normalised (m, 1, 2), 0.5, EPS);
}

static void
test_hand_example (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlMetrics) m = tl_metrics_compute (y_true, probs, 8, 3, names, &error);

  g_assert_no_error (error);
  check_hand_example (m, TRUE);
}

static void
test_from_labels (void)
{
  static const int y_pred[8] = { 0, 0, 1, 1, 2, 2, 2, 1 };
  g_autoptr (GError) error = NULL;
  g_autoptr (TlMetrics) m = tl_metrics_from_labels (y_true, y_pred, 8, 3, names, &error);
  static const int bad[8] = { 0, 0, 1, 1, 2, 2, 3, 1 };
  g_autoptr (TlMetrics) none = NULL;

  g_assert_no_error (error);
  check_hand_example (m, FALSE);

  none = tl_metrics_from_labels (y_true, bad, 8, 3, names, &error);
  g_assert_null (none);
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "row 6"));
}

static void
test_edge_cases (void)
{
  /* class 1 is never predicted, a tie goes to the lower index, a zero probability stays finite */
  static const int y[3] = { 0, 1, 2 };
  static const float p[9] = { 0.5f, 0.5f, 0.0f,  1.0f, 0.0f, 0.0f,  0.0f, 0.0f, 1.0f };
  g_autoptr (GError) error = NULL;
  g_autoptr (TlMetrics) m = tl_metrics_compute (y, p, 3, 3, NULL, &error);
  static const float nan_row[3] = { NAN, 0.5f, 0.5f };
  g_autoptr (TlMetrics) bad = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (tl_metrics_confusion_at (m, 0, 0), ==, 1);
  g_assert_cmpint (tl_metrics_confusion_at (m, 1, 0), ==, 1);
  g_assert_cmpfloat (m->precision[1], ==, 0.0);
  g_assert_cmpfloat (m->recall[1], ==, 0.0);
  g_assert_cmpfloat (m->f1[1], ==, 0.0);
  g_assert_cmpfloat_with_epsilon (m->precision[0], 0.5, EPS);
  g_assert_cmpstr (m->class_names[1], ==, "1");
  g_assert_true (isfinite (m->log_loss));
  g_assert_cmpfloat_with_epsilon (m->log_loss, (-log (0.5) - log (1e-15)) / 3, 1e-9);

  bad = tl_metrics_compute (y, nan_row, 1, 3, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
}

static void
test_json_round_trip (void)
{
  g_autoptr (TlMetrics) m = tl_metrics_compute (y_true, probs, 8, 3, names, NULL);
  g_autoptr (JsonNode) node = tl_metrics_to_json (m);
  g_autofree char *text = json_to_string (node, TRUE);
  g_autoptr (JsonNode) parsed = json_from_string (text, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TlMetrics) back = tl_metrics_from_json (parsed, &error);
  g_autoptr (JsonNode) broken = json_from_string ("{\"confusion_matrix\":{\"labels\":[\"a\",\"b\"],\"counts\":[[1,2]]}}", NULL);
  g_autoptr (TlMetrics) none = NULL;
  JsonObject *root = json_node_get_object (parsed);

  g_assert_no_error (error);
  check_hand_example (back, TRUE);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (json_object_get_object_member (root, "macro_avg"), "f1"), 28.0 / 45, EPS);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (json_object_get_object_member (root, "weighted_avg"), "f1"), 13.0 / 20, EPS);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (root, "classes")), ==, 3);

  none = tl_metrics_from_json (broken, &error);
  g_assert_null (none);
  g_assert_error (error, TL_ERROR, TL_ERROR_PARSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/hand-example", test_hand_example);
  g_test_add_func ("/metrics/from-labels", test_from_labels);
  g_test_add_func ("/metrics/edge-cases", test_edge_cases);
  g_test_add_func ("/metrics/json-round-trip", test_json_round_trip);
  return g_test_run ();
}
