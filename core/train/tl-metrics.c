#define G_LOG_DOMAIN "tl-metrics"

#include "config.h"

#include <math.h>

#include "tl-error.h"
#include "tl-metrics.h"

/* Probabilities are clipped so a confident mistake costs a large but finite loss. */
#define LOG_LOSS_EPS 1e-15

static TlMetrics *
metrics_alloc (int n_classes, const char *const *class_names)
{
  TlMetrics *m = g_new0 (TlMetrics, 1);

  m->n_classes = n_classes;
  m->class_names = g_new0 (char *, n_classes + 1);
  for (int c = 0; c < n_classes; c++)
    m->class_names[c] = class_names && class_names[c] ? g_strdup (class_names[c])
                                                     : g_strdup_printf ("%d", c);
  m->precision = g_new0 (double, n_classes);
  m->recall = g_new0 (double, n_classes);
  m->f1 = g_new0 (double, n_classes);
  m->support = g_new0 (int, n_classes);
  m->confusion = g_new0 (int, (gsize) n_classes * n_classes);
  m->log_loss = NAN;
  return m;
}

void
tl_metrics_free (TlMetrics *m)
{
  if (m == NULL)
    return;
  g_strfreev (m->class_names);
  g_free (m->precision);
  g_free (m->recall);
  g_free (m->f1);
  g_free (m->support);
  g_free (m->confusion);
  g_free (m);
}

static double
safe_div (double a, double b)
{
  return b > 0 ? a / b : 0.0;
}

/* Everything except the log loss follows from the confusion matrix. */
static void
derive_from_confusion (TlMetrics *m)
{
  int C = m->n_classes;
  long correct = 0, total = 0;

  for (int c = 0; c < C; c++)
    {
      long tp = m->confusion[c * C + c];
      long row = 0, col = 0;

      for (int k = 0; k < C; k++)
        {
          row += m->confusion[c * C + k];
          col += m->confusion[k * C + c];
        }
      m->support[c] = (int) row;
      m->precision[c] = safe_div (tp, col);
      m->recall[c] = safe_div (tp, row);
      m->f1[c] = safe_div (2.0 * m->precision[c] * m->recall[c], m->precision[c] + m->recall[c]);
      correct += tp;
      total += row;
    }
  m->n_samples = (int) total;
  m->accuracy = safe_div (correct, total);

  m->macro_precision = m->macro_recall = m->macro_f1 = 0;
  m->weighted_precision = m->weighted_recall = m->weighted_f1 = 0;
  for (int c = 0; c < C; c++)
    {
      m->macro_precision += m->precision[c] / C;
      m->macro_recall += m->recall[c] / C;
      m->macro_f1 += m->f1[c] / C;
      m->weighted_precision += safe_div (m->precision[c] * m->support[c], total);
      m->weighted_recall += safe_div (m->recall[c] * m->support[c], total);
      m->weighted_f1 += safe_div (m->f1[c] * m->support[c], total);
    }
}

static gboolean
check_labels (const int *y, int n, int n_classes, const char *what, GError **error)
{
  for (int i = 0; i < n; i++)
    if (y[i] < 0 || y[i] >= n_classes)
      {
        g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                     "%s label %d of row %d is outside the %d classes", what, y[i], i, n_classes);
        return FALSE;
      }
  return TRUE;
}

int
tl_metrics_argmax (const float *row, int n)
{
  int best = 0;

  g_return_val_if_fail (row != NULL && n > 0, 0);
  for (int c = 1; c < n; c++)
    if (row[c] > row[best])
      best = c;
  return best;
}

TlMetrics *
tl_metrics_from_labels (const int *y_true, const int *y_pred, int n, int n_classes,
                        const char *const *class_names, GError **error)
{
  TlMetrics *m;

  g_return_val_if_fail (n >= 0 && (n == 0 || (y_true && y_pred)), NULL);
  g_return_val_if_fail (n_classes > 0, NULL);

  if (!check_labels (y_true, n, n_classes, "True", error) ||
      !check_labels (y_pred, n, n_classes, "Predicted", error))
    return NULL;

  m = metrics_alloc (n_classes, class_names);
  for (int i = 0; i < n; i++)
    m->confusion[y_true[i] * n_classes + y_pred[i]]++;
  derive_from_confusion (m);
  return m;
}

TlMetrics *
tl_metrics_compute (const int *y_true, const float *probs, int n, int n_classes,
                    const char *const *class_names, GError **error)
{
  g_autofree int *y_pred = NULL;
  TlMetrics *m;
  double loss = 0;

  g_return_val_if_fail (n >= 0 && (n == 0 || (y_true && probs)), NULL);
  g_return_val_if_fail (n_classes > 0, NULL);

  y_pred = g_new (int, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      const float *row = probs + (gsize) i * n_classes;

      for (int c = 0; c < n_classes; c++)
        if (!isfinite (row[c]))
          {
            g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                         "Probability of class %d in row %d is not a finite number", c, i);
            return NULL;
          }
      y_pred[i] = tl_metrics_argmax (row, n_classes);
    }

  m = tl_metrics_from_labels (y_true, y_pred, n, n_classes, class_names, error);
  if (m == NULL)
    return NULL;
  for (int i = 0; i < n; i++)
    {
      double p = probs[(gsize) i * n_classes + y_true[i]];

      loss -= log (CLAMP (p, LOG_LOSS_EPS, 1.0));
    }
  m->log_loss = n > 0 ? loss / n : NAN;
  return m;
}

int
tl_metrics_confusion_at (const TlMetrics *m, int t, int p)
{
  g_return_val_if_fail (m != NULL, 0);
  g_return_val_if_fail (t >= 0 && t < m->n_classes && p >= 0 && p < m->n_classes, 0);
  return m->confusion[t * m->n_classes + p];
}

double
tl_metrics_confusion_normalised (const TlMetrics *m, int t, int p)
{
  g_return_val_if_fail (m != NULL, 0);
  g_return_val_if_fail (t >= 0 && t < m->n_classes && p >= 0 && p < m->n_classes, 0);
  return safe_div (m->confusion[t * m->n_classes + p], m->support[t]);
}

static void
add_double (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_average (JsonBuilder *b, const char *name, double p, double r, double f1, int support)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  add_double (b, "precision", p);
  add_double (b, "recall", r);
  add_double (b, "f1", f1);
  json_builder_set_member_name (b, "support");
  json_builder_add_int_value (b, support);
  json_builder_end_object (b);
}

JsonNode *
tl_metrics_to_json (const TlMetrics *m)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  int C;

  g_return_val_if_fail (m != NULL, NULL);
  C = m->n_classes;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "n_samples");
  json_builder_add_int_value (b, m->n_samples);
  add_double (b, "accuracy", m->accuracy);
  add_double (b, "log_loss", m->log_loss);

  json_builder_set_member_name (b, "classes");
  json_builder_begin_array (b);
  for (int c = 0; c < C; c++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, m->class_names[c]);
      add_double (b, "precision", m->precision[c]);
      add_double (b, "recall", m->recall[c]);
      add_double (b, "f1", m->f1[c]);
      json_builder_set_member_name (b, "support");
      json_builder_add_int_value (b, m->support[c]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  add_average (b, "macro_avg", m->macro_precision, m->macro_recall, m->macro_f1, m->n_samples);
  add_average (b, "weighted_avg", m->weighted_precision, m->weighted_recall, m->weighted_f1,
               m->n_samples);

  json_builder_set_member_name (b, "confusion_matrix");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "labels");
  json_builder_begin_array (b);
  for (int c = 0; c < C; c++)
    json_builder_add_string_value (b, m->class_names[c]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "rows");
  json_builder_add_string_value (b, "true");
  json_builder_set_member_name (b, "columns");
  json_builder_add_string_value (b, "predicted");
  json_builder_set_member_name (b, "counts");
  json_builder_begin_array (b);
  for (int t = 0; t < C; t++)
    {
      json_builder_begin_array (b);
      for (int p = 0; p < C; p++)
        json_builder_add_int_value (b, m->confusion[t * C + p]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
parse_error (GError **error, const char *msg)
{
  g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "Metrics: %s", msg);
  return FALSE;
}

TlMetrics *
tl_metrics_from_json (JsonNode *node, GError **error)
{
  g_autoptr (TlMetrics) m = NULL;
  g_auto (GStrv) names = NULL;
  JsonObject *root, *cm;
  JsonArray *labels, *counts;
  JsonNode *loss, *member;
  guint C;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return parse_error (error, "expected a JSON object"), NULL;
  root = json_node_get_object (node);
  member = json_object_get_member (root, "confusion_matrix");
  if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member))
    return parse_error (error, "expected a “confusion_matrix” object"), NULL;
  cm = json_node_get_object (member);
  member = json_object_get_member (cm, "labels");
  labels = member && JSON_NODE_HOLDS_ARRAY (member) ? json_node_get_array (member) : NULL;
  member = json_object_get_member (cm, "counts");
  counts = member && JSON_NODE_HOLDS_ARRAY (member) ? json_node_get_array (member) : NULL;
  if (labels == NULL || counts == NULL)
    return parse_error (error, "“confusion_matrix” needs “labels” and “counts” arrays"), NULL;
  C = json_array_get_length (labels);
  if (C == 0 || json_array_get_length (counts) != C)
    return parse_error (error, "“counts” must have one row per label"), NULL;

  names = g_new0 (char *, C + 1);
  for (guint c = 0; c < C; c++)
    {
      JsonNode *n = json_array_get_element (labels, c);

      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
        return parse_error (error, "labels must be strings"), NULL;
      names[c] = g_strdup (json_node_get_string (n));
    }

  m = metrics_alloc ((int) C, (const char *const *) names);
  for (guint t = 0; t < C; t++)
    {
      JsonNode *rn = json_array_get_element (counts, t);
      JsonArray *row;

      if (!JSON_NODE_HOLDS_ARRAY (rn) || json_array_get_length (json_node_get_array (rn)) != C)
        return parse_error (error, "each row of “counts” must have one entry per label"), NULL;
      row = json_node_get_array (rn);
      for (guint p = 0; p < C; p++)
        {
          JsonNode *v = json_array_get_element (row, p);

          if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_INT64 ||
              json_node_get_int (v) < 0 || json_node_get_int (v) > G_MAXINT)
            return parse_error (error, "counts must be non-negative integers"), NULL;
          m->confusion[t * C + p] = (int) json_node_get_int (v);
        }
    }
  derive_from_confusion (m);

  loss = json_object_get_member (root, "log_loss");
  if (loss && JSON_NODE_HOLDS_VALUE (loss) && json_node_get_value_type (loss) != G_TYPE_STRING)
    m->log_loss = json_node_get_double (loss);
  return g_steal_pointer (&m);
}
