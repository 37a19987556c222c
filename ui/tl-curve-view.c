#define G_LOG_DOMAIN "tl-curve-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "tl-curve-view.h"
#include "tl-ui-util.h"

struct _TlCurveView
{
  GtkWidget        parent_instance;

  TlChartQuantity  quantity;
  gboolean         log_scale;
  TlLineChart     *chart;
  gboolean         dirty;
  GArray          *batch;           /* pairs of doubles: x, value */
  GArray          *runs[TL_CURVE_VIEW_MAX_RUNS];   /* TlEpochRecord */
  char            *labels[TL_CURVE_VIEW_MAX_RUNS];
  char            *keys[TL_CURVE_VIEW_MAX_RUNS];   /* the run's name, or NULL */
  int              colors[TL_CURVE_VIEW_MAX_RUNS];
  double           pointer_x;       /* NAN when the pointer is outside */
  int              batch_color;
};

G_DEFINE_FINAL_TYPE (TlCurveView, tl_curve_view, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_QUANTITY, PROP_LOG_SCALE, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { EPOCH_ADDED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gboolean
is_dark (void)
{
  return adw_style_manager_get_dark (adw_style_manager_get_default ());
}

static void
rebuild_chart (TlCurveView *self)
{
  TlChartStyle style = { is_dark (), TRUE };
  gboolean loss = self->quantity == TL_CHART_LOSS;
  gboolean any_validation = FALSE;

  tl_line_chart_clear (self->chart);
  tl_line_chart_set_style (self->chart, &style);
  tl_line_chart_set_log_y (self->chart, loss && self->log_scale);

  /* One legend entry per run (its training curve, solid); the dashed validation
   * curves share one neutral key, so that many runs still fit the legend. */
  for (int r = 0; r < TL_CURVE_VIEW_MAX_RUNS; r++)
    {
      int tr, va = -1;

      if (self->runs[r] == NULL || self->runs[r]->len == 0)
        continue;
      for (guint i = 0; i < self->runs[r]->len && va < 0; i++)
        {
          const TlEpochRecord *e = &g_array_index (self->runs[r], TlEpochRecord, i);
          if (isfinite (loss ? e->val_loss : e->val_accuracy))
            va = 0;
        }
      tr = tl_line_chart_add_series (self->chart, self->labels[r], self->colors[r], TL_LINE_SOLID, TL_MARKER_FILLED, 2.0);
      if (va == 0)
        {
          va = tl_line_chart_add_series (self->chart, "", self->colors[r], TL_LINE_DASHED, TL_MARKER_HOLLOW, 2.0);
          any_validation = TRUE;
        }
      for (guint i = 0; i < self->runs[r]->len; i++)
        {
          const TlEpochRecord *e = &g_array_index (self->runs[r], TlEpochRecord, i);

          if (tr >= 0)
            tl_line_chart_append (self->chart, tr, e->epoch, loss ? e->train_loss : e->train_accuracy);
          if (va >= 0)
            tl_line_chart_append (self->chart, va, e->epoch, loss ? e->val_loss : e->val_accuracy);
        }
    }
  if (any_validation)
    tl_line_chart_add_series (self->chart, _("dashed: validation"), -1, TL_LINE_DASHED, TL_MARKER_HOLLOW, 2.0);
  if (self->batch->len > 0)
    {
      int series = tl_line_chart_add_series (self->chart, _("per batch"), self->batch_color, TL_LINE_SOLID,
                                             TL_MARKER_NONE, 1.0);

      for (guint i = 0; i + 1 < self->batch->len; i += 2)
        tl_line_chart_append (self->chart, series, g_array_index (self->batch, double, i),
                              g_array_index (self->batch, double, i + 1));
    }
  if (loss)
    tl_line_chart_set_axis_labels (self->chart, _("Epoch"), self->log_scale ? _("Loss (log scale)") : _("Loss"));
  else
    {
      tl_line_chart_set_axis_labels (self->chart, _("Epoch"), _("Accuracy"));
      tl_line_chart_set_y_percent (self->chart, TRUE);
      tl_line_chart_set_y_limits (self->chart, 0.0, 1.0);
    }
  self->dirty = FALSE;
}

static void
mark_dirty (TlCurveView *self)
{
  self->dirty = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
tl_curve_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  TlCurveView *self = TL_CURVE_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  if (self->dirty)
    rebuild_chart (self);
  {
    TlChartPick pick;
    double highlight = NAN;

    if (isfinite (self->pointer_x) && tl_line_chart_pick (self->chart, width, height, self->pointer_x, &pick))
      highlight = pick.x;
    tl_line_chart_set_highlight (self->chart, highlight);
  }
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  tl_line_chart_draw (self->chart, cr, width, height);
  cairo_destroy (cr);
}

static void
tl_curve_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                       int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 180 : 280;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 320;
}

char *
tl_curve_view_read_out (TlCurveView *self, double x)
{
  TlChartPick pick;
  GString *text;

  g_return_val_if_fail (TL_IS_CURVE_VIEW (self), NULL);

  if (self->dirty)
    rebuild_chart (self);
  if (!tl_line_chart_pick (self->chart, gtk_widget_get_width (GTK_WIDGET (self)),
                           gtk_widget_get_height (GTK_WIDGET (self)), x, &pick) || pick.n_values == 0)
    return NULL;
  text = g_string_new (NULL);
  g_string_append_printf (text, _("Epoch %.2f"), pick.x);
  for (int i = 0; i < pick.n_values; i++)
    {
      if (self->quantity == TL_CHART_ACCURACY)
        g_string_append_printf (text, "  ·  %.1f%%", pick.y[i] * 100.0);
      else
        g_string_append_printf (text, "  ·  %.4f", pick.y[i]);
    }
  return g_string_free (text, FALSE);
}

static void
on_motion (GtkEventControllerMotion *motion, double x, double y, TlCurveView *self)
{
  g_autofree char *text = NULL;

  self->pointer_x = x;
  text = tl_curve_view_read_out (self, x);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *motion, TlCurveView *self)
{
  self->pointer_x = NAN;
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
update_accessible (TlCurveView *self)
{
  const char *what = self->quantity == TL_CHART_LOSS ? _("Loss curves") : _("Accuracy curves");
  g_autofree char *desc = NULL;

  int r = 0;

  while (r < TL_CURVE_VIEW_MAX_RUNS - 1 && (self->runs[r] == NULL || self->runs[r]->len == 0))
    r++;
  if (self->runs[r] != NULL && self->runs[r]->len > 0)
    {
      const TlEpochRecord *last = &g_array_index (self->runs[r], TlEpochRecord, self->runs[r]->len - 1);
      double value = self->quantity == TL_CHART_LOSS ? last->train_loss : last->train_accuracy;
      desc = g_strdup_printf (_("%s: epoch %d, training %.4f"), what, last->epoch, value);
    }
  else
    desc = g_strdup_printf (_("%s: no data yet"), what);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, what,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, desc, -1);
}

void
tl_curve_view_set_quantity (TlCurveView *self, TlChartQuantity quantity)
{
  g_return_if_fail (TL_IS_CURVE_VIEW (self));

  if (self->quantity == quantity)
    return;
  self->quantity = quantity;
  update_accessible (self);
  mark_dirty (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_QUANTITY]);
}

void
tl_curve_view_set_log_scale (TlCurveView *self, gboolean log_scale)
{
  g_return_if_fail (TL_IS_CURVE_VIEW (self));

  log_scale = !!log_scale;
  if (self->log_scale == log_scale)
    return;
  self->log_scale = log_scale;
  mark_dirty (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LOG_SCALE]);
}

gboolean
tl_curve_view_get_log_scale (TlCurveView *self)
{
  g_return_val_if_fail (TL_IS_CURVE_VIEW (self), FALSE);
  return self->log_scale;
}

void
tl_curve_view_clear (TlCurveView *self)
{
  g_return_if_fail (TL_IS_CURVE_VIEW (self));

  g_array_set_size (self->batch, 0);
  for (int r = 0; r < TL_CURVE_VIEW_MAX_RUNS; r++)
    {
      g_clear_pointer (&self->runs[r], g_array_unref);
      g_clear_pointer (&self->labels[r], g_free);
      g_clear_pointer (&self->keys[r], g_free);
    }
  update_accessible (self);
  mark_dirty (self);
}

void
tl_curve_view_clear_batches (TlCurveView *self, int color)
{
  g_return_if_fail (TL_IS_CURVE_VIEW (self));

  g_array_set_size (self->batch, 0);
  self->batch_color = color;
  mark_dirty (self);
}

void
tl_curve_view_add_batch (TlCurveView *self, double x, double value)
{
  g_return_if_fail (TL_IS_CURVE_VIEW (self));

  if (!isfinite (value))
    return;
  g_array_append_val (self->batch, x);
  g_array_append_val (self->batch, value);
  mark_dirty (self);
}

void
tl_curve_view_set_history (TlCurveView *self, int run, const TlHistory *history, const char *label)
{
  g_return_if_fail (TL_IS_CURVE_VIEW (self));
  g_return_if_fail (run >= 0 && run < TL_CURVE_VIEW_MAX_RUNS);

  g_clear_pointer (&self->runs[run], g_array_unref);
  g_free (self->labels[run]);
  self->labels[run] = g_strdup (label);
  if (self->keys[run] == NULL)
    self->colors[run] = run == 0 ? 0 : 2;
  if (history != NULL)
    {
      self->runs[run] = g_array_sized_new (FALSE, FALSE, sizeof (TlEpochRecord), history->epochs->len);
      g_array_append_vals (self->runs[run], history->epochs->data, history->epochs->len);
    }
  update_accessible (self);
  mark_dirty (self);
}

TlLineChart *
tl_curve_view_get_chart (TlCurveView *self)
{
  g_return_val_if_fail (TL_IS_CURVE_VIEW (self), NULL);

  rebuild_chart (self);
  return self->chart;
}

void
tl_curve_view_set_color (TlCurveView *self, int run, int color)
{
  g_return_if_fail (TL_IS_CURVE_VIEW (self));
  g_return_if_fail (run >= 0 && run < TL_CURVE_VIEW_MAX_RUNS);

  if (self->colors[run] == color)
    return;
  self->colors[run] = color;
  mark_dirty (self);
}

static int
run_slot (TlCurveView *self, const char *key)
{
  for (int r = 0; r < TL_CURVE_VIEW_MAX_RUNS; r++)
    if (g_strcmp0 (self->keys[r], key) == 0)
      return r;
  for (int r = 0; r < TL_CURVE_VIEW_MAX_RUNS; r++)
    if (self->keys[r] == NULL && self->runs[r] == NULL)
      {
        self->keys[r] = g_strdup (key);
        self->colors[r] = tl_run_color (key);
        self->labels[r] = g_strdup (tl_run_title (key));
        return r;
      }
  return -1;
}

void
tl_curve_view_set_run (TlCurveView *self, const char *name, const TlHistory *history)
{
  int r;

  g_return_if_fail (TL_IS_CURVE_VIEW (self));
  g_return_if_fail (name != NULL);

  if ((r = run_slot (self, name)) < 0)
    return;
  g_clear_pointer (&self->runs[r], g_array_unref);
  if (history != NULL)
    {
      self->runs[r] = g_array_sized_new (FALSE, FALSE, sizeof (TlEpochRecord), history->epochs->len);
      g_array_append_vals (self->runs[r], history->epochs->data, history->epochs->len);
    }
  update_accessible (self);
  mark_dirty (self);
}

void
tl_curve_view_add_epoch (TlCurveView *self, const char *name, const TlEpochRecord *record)
{
  GArray *records;
  int r;

  g_return_if_fail (TL_IS_CURVE_VIEW (self));
  g_return_if_fail (name != NULL && record != NULL);

  if ((r = run_slot (self, name)) < 0)
    return;
  if (self->runs[r] == NULL)
    self->runs[r] = g_array_new (FALSE, FALSE, sizeof (TlEpochRecord));
  records = self->runs[r];
  /* an epoch seen again (a resumed run repeats its history) replaces the one shown */
  for (guint i = 0; i < records->len; i++)
    if (g_array_index (records, TlEpochRecord, i).epoch == record->epoch)
      {
        g_array_index (records, TlEpochRecord, i) = *record;
        mark_dirty (self);
        g_signal_emit (self, signals[EPOCH_ADDED], 0, name, record);
        return;
      }
  g_array_append_val (records, *record);
  update_accessible (self);
  mark_dirty (self);
  g_signal_emit (self, signals[EPOCH_ADDED], 0, name, record);
}

int
tl_curve_view_get_n_runs (TlCurveView *self)
{
  int n = 0;

  g_return_val_if_fail (TL_IS_CURVE_VIEW (self), 0);
  for (int r = 0; r < TL_CURVE_VIEW_MAX_RUNS; r++)
    n += self->runs[r] != NULL && self->runs[r]->len > 0;
  return n;
}

gboolean
tl_curve_view_has_run (TlCurveView *self, const char *name)
{
  g_return_val_if_fail (TL_IS_CURVE_VIEW (self), FALSE);
  for (int r = 0; r < TL_CURVE_VIEW_MAX_RUNS; r++)
    if (g_strcmp0 (self->keys[r], name) == 0)
      return self->runs[r] != NULL && self->runs[r]->len > 0;
  return FALSE;
}

int
tl_curve_view_get_n_points (TlCurveView *self)
{
  int total = 0;

  g_return_val_if_fail (TL_IS_CURVE_VIEW (self), 0);

  if (self->dirty)
    rebuild_chart (self);
  for (int s = 0; s < tl_line_chart_n_series (self->chart); s++)
    total += tl_line_chart_n_points (self->chart, s);
  return total;
}

int
tl_curve_view_get_n_batch_points (TlCurveView *self)
{
  g_return_val_if_fail (TL_IS_CURVE_VIEW (self), 0);
  return (int) (self->batch->len / 2);
}

static void
tl_curve_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TlCurveView *self = TL_CURVE_VIEW (object);

  switch (prop_id)
    {
    case PROP_QUANTITY: g_value_set_int (value, self->quantity); break;
    case PROP_LOG_SCALE: g_value_set_boolean (value, self->log_scale); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_curve_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TlCurveView *self = TL_CURVE_VIEW (object);

  switch (prop_id)
    {
    case PROP_QUANTITY: tl_curve_view_set_quantity (self, g_value_get_int (value)); break;
    case PROP_LOG_SCALE: tl_curve_view_set_log_scale (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_curve_view_finalize (GObject *object)
{
  TlCurveView *self = TL_CURVE_VIEW (object);

  tl_line_chart_free (self->chart);
  g_array_unref (self->batch);
  for (int r = 0; r < TL_CURVE_VIEW_MAX_RUNS; r++)
    {
      g_clear_pointer (&self->runs[r], g_array_unref);
      g_free (self->labels[r]);
      g_free (self->keys[r]);
    }
  G_OBJECT_CLASS (tl_curve_view_parent_class)->finalize (object);
}

static void
tl_curve_view_class_init (TlCurveViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = tl_curve_view_finalize;
  object_class->get_property = tl_curve_view_get_property;
  object_class->set_property = tl_curve_view_set_property;
  widget_class->snapshot = tl_curve_view_snapshot;
  widget_class->measure = tl_curve_view_measure;

  /* 0 = loss, 1 = accuracy (TlChartQuantity) */
  props[PROP_QUANTITY] = g_param_spec_int ("quantity", NULL, NULL, TL_CHART_LOSS, TL_CHART_ACCURACY, TL_CHART_LOSS,
                                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_LOG_SCALE] = g_param_spec_boolean ("log-scale", NULL, NULL, FALSE,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  signals[EPOCH_ADDED] = g_signal_new ("epoch-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                       NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_POINTER);

  gtk_widget_class_set_css_name (widget_class, "curveview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
tl_curve_view_init (TlCurveView *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->chart = tl_line_chart_new ();
  self->batch = g_array_new (FALSE, FALSE, sizeof (double));
  self->pointer_x = NAN;
  self->dirty = TRUE;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (mark_dirty), self,
                           G_CONNECT_SWAPPED);
  update_accessible (self);
}

GtkWidget *
tl_curve_view_new (TlChartQuantity quantity)
{
  return g_object_new (TL_TYPE_CURVE_VIEW, "quantity", quantity, NULL);
}
