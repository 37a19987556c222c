#define G_LOG_DOMAIN "tl-runs-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "tl-curve-view.h"
#include "tl-run-history.h"
#include "tl-runs-view.h"
#include "tl-settings.h"
#include "tl-ui-util.h"

struct _TlRunsView
{
  GtkWidget        parent_instance;

  TlDocument      *document;
  TlRunHistory    *history;      /* records oldest first; the list shows them newest first */
  TlRunComparison *comparison;
  gint64           confusion_change;
  gboolean         updating;

  GtkLabel        *root_label;
  GtkLabel        *privacy_label;
  GtkListBox      *run_list;
  GtkWidget       *compare_box;
  GtkDropDown     *a_dropdown;
  GtkDropDown     *b_dropdown;
  GtkLabel        *settings_label;
  GtkGrid         *metrics_grid;
  TlCurveView     *curve_view;
  GtkLabel        *confusion_title;
  GtkGrid         *confusion_grid;
  guint            n_metric_rows;
};

G_DEFINE_FINAL_TYPE (TlRunsView, tl_runs_view, GTK_TYPE_WIDGET)

enum { RELOADED, N_SIGNALS };
static guint signals[N_SIGNALS];

static TlRunRecord *
record_at (TlRunsView *self, guint i)
{
  if (self->history == NULL || i >= self->history->records->len)
    return NULL;
  return g_ptr_array_index (self->history->records, self->history->records->len - 1 - i);
}

/* "2026-12-05 20:40:12" in local time. */
static char *
record_date (const TlRunRecord *record)
{
  g_autoptr (GDateTime) local = g_date_time_to_local (record->started);

  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

/* The privacy a private run spent (its last epoch's epsilon in its history), NAN for other runs. */
static double
record_epsilon (const TlRunRecord *record, const char *run)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlHistory) history = tl_run_record_load_history (record, run, &error);

  if (history == NULL)
    return NAN;
  for (guint i = history->epochs->len; i > 0; i--)
    {
      double epsilon = g_array_index (history->epochs, TlEpochRecord, i - 1).epsilon;

      if (isfinite (epsilon))
        return epsilon;
    }
  return NAN;
}

static char *
record_accuracies (const TlRunRecord *record)
{
  g_auto (GStrv) names = tl_run_record_run_names (record);
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    {
      double accuracy = tl_run_record_accuracy (record, names[i]);
      double epsilon;

      if (isnan (accuracy))
        continue;
      if (text->len > 0)
        g_string_append (text, C_("list separator", ", "));
      g_string_append_printf (text, C_("run and its accuracy", "%s %.1f%%"), tl_run_title (names[i]),
                              accuracy * 100.0);
      if (isfinite (epsilon = record_epsilon (record, names[i])))
        g_string_append_printf (text, C_("privacy a run spent", " (ε %.2f)"), epsilon);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
record_details (const TlRunRecord *record)
{
  g_auto (GStrv) names = tl_run_record_run_names (record);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *accuracies = record_accuracies (record);

  g_string_append (text, *accuracies != '\0' ? accuracies : _("No results"));
  if (record->status == TL_RUN_STOPPED)
    g_string_append_printf (text, " · %s", _("stopped"));
  else if (record->status == TL_RUN_INCOMPLETE)
    g_string_append_printf (text, " · %s", _("unfinished"));
  if (record->changes != NULL && record->changes[0] != NULL)
    {
      g_autofree char *keys = g_strjoinv (C_("list separator", ", "), record->changes);
      g_string_append_c (text, '\n');
      g_string_append_printf (text, _("Changed: %s"), keys);
    }
  for (guint i = 0; names[i] != NULL; i++)
    if (tl_run_record_reused_from (record, names[i]) != NULL)
      {
        g_string_append_c (text, '\n');
        g_string_append_printf (text, _("%s reused from an earlier run"), tl_run_title (names[i]));
      }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
clear_grid (GtkGrid *grid)
{
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL;)
    gtk_grid_remove (grid, child);
}

static GtkWidget *
cell (GtkGrid *grid, int column, int row, const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), column == 0 ? 0.0f : 1.0f);
  gtk_widget_add_css_class (label, "numeric");
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  gtk_grid_attach (grid, label, column, row, 1, 1);
  return label;
}

static char *
percent (double value)
{
  return isnan (value) ? g_strdup ("—") : g_strdup_printf ("%.1f%%", value * 100.0);
}

static void
show_metrics (TlRunsView *self)
{
  static const char *heads[] = { N_("Run"), N_("Accuracy A"), N_("Accuracy B"), N_("Change"), N_("Macro F1 A"),
                                 N_("Macro F1 B"), N_("Epochs A"), N_("Epochs B") };

  clear_grid (self->metrics_grid);
  self->n_metric_rows = 0;
  for (int c = 0; c < (int) G_N_ELEMENTS (heads); c++)
    cell (self->metrics_grid, c, 0, _(heads[c]), "heading");
  for (guint i = 0; i < self->comparison->runs->len; i++)
    {
      TlRunMetricsPair *pair = g_ptr_array_index (self->comparison->runs, i);
      g_autofree char *a = percent (pair->accuracy_a), *b = percent (pair->accuracy_b);
      g_autofree char *fa = percent (pair->macro_f1_a), *fb = percent (pair->macro_f1_b);
      g_autofree char *change = NULL, *ea = NULL, *eb = NULL;
      double d = pair->accuracy_b - pair->accuracy_a;
      int row = (int) i + 1;

      change = isnan (d) ? g_strdup ("—") : g_strdup_printf ("%+.1f", d * 100.0);
      ea = pair->in_a ? g_strdup_printf ("%d", pair->epochs_a) : g_strdup ("—");
      eb = pair->in_b ? g_strdup_printf ("%d", pair->epochs_b) : g_strdup ("—");
      cell (self->metrics_grid, 0, row, tl_run_title (pair->run), NULL);
      cell (self->metrics_grid, 1, row, a, NULL);
      cell (self->metrics_grid, 2, row, b, NULL);
      cell (self->metrics_grid, 3, row, change, isnan (d) || fabs (d) < 1e-9 ? "dim-label" : d > 0 ? "success" : "error");
      cell (self->metrics_grid, 4, row, fa, NULL);
      cell (self->metrics_grid, 5, row, fb, NULL);
      cell (self->metrics_grid, 6, row, ea, NULL);
      cell (self->metrics_grid, 7, row, eb, NULL);
      self->n_metric_rows++;
    }
}

static void
show_settings (TlRunsView *self)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < self->comparison->settings->len; i++)
    {
      TlSettingChange *change = g_ptr_array_index (self->comparison->settings, i);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append_printf (text, "%s: %s → %s", change->key, change->a != NULL ? change->a : "—",
                              change->b != NULL ? change->b : "—");
    }
  gtk_label_set_text (self->settings_label, text->len > 0 ? text->str : _("The two runs have the same settings."));
}

/* The main runs of both, A in one colour and B in another, each run's train and validation curves. */
static void
show_curves (TlRunsView *self)
{
  static const char *wanted[] = { "transfer", "baseline", "pretrain" };
  int slot = 0;

  tl_curve_view_clear (self->curve_view);
  for (guint w = 0; w < G_N_ELEMENTS (wanted) && slot + 1 < TL_CURVE_VIEW_MAX_RUNS; w++)
    for (int side = 0; side < 2; side++)
      {
        TlRunRecord *record = side == 0 ? self->comparison->a : self->comparison->b;
        g_autoptr (TlHistory) history = tl_run_record_load_history (record, wanted[w], NULL);
        g_autofree char *label = NULL;

        if (history == NULL || history->epochs->len == 0)
          continue;
        label = g_strdup_printf (side == 0 ? _("%s (A)") : _("%s (B)"), tl_run_title (wanted[w]));
        tl_curve_view_set_history (self->curve_view, slot, history, label);
        tl_curve_view_set_color (self->curve_view, slot, (int) w * 2 + side);
        slot++;
      }
}

static void
show_confusion (TlRunsView *self)
{
  TlConfusionDiff *diff = NULL;
  g_autofree char *title = NULL;
  int n;

  clear_grid (self->confusion_grid);
  self->confusion_change = 0;
  for (guint i = 0; i < self->comparison->confusion->len && diff == NULL; i++)
    {
      TlConfusionDiff *d = g_ptr_array_index (self->comparison->confusion, i);
      if (g_strcmp0 (d->run, "transfer") == 0)
        diff = d;
    }
  if (diff == NULL && self->comparison->confusion->len > 0)
    diff = g_ptr_array_index (self->comparison->confusion, 0);
  if (diff == NULL)
    {
      const char *note = self->comparison->notes->len > 0 ? g_ptr_array_index (self->comparison->notes, 0) : NULL;
      gtk_label_set_text (self->confusion_title, note != NULL ? note : _("No confusion matrices to compare."));
      return;
    }
  title = g_strdup_printf (_("%s: confusion matrix of B minus A (true class by row, predicted by column)"),
                           tl_run_title (diff->run));
  gtk_label_set_text (self->confusion_title, title);
  n = diff->n_classes;
  for (int c = 0; c < n; c++)
    {
      cell (self->confusion_grid, c + 1, 0, diff->labels[c], "heading");
      cell (self->confusion_grid, 0, c + 1, diff->labels[c], "heading");
    }
  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++)
      {
        gint64 v = diff->diff[r * n + c];
        g_autofree char *text = v == 0 ? g_strdup ("0") : g_strdup_printf ("%+" G_GINT64_FORMAT, v);
        /* more on the diagonal, or fewer off it, is better */
        gboolean better = r == c ? v > 0 : v < 0;

        cell (self->confusion_grid, c + 1, r + 1, text, v == 0 ? "dim-label" : better ? "success" : "error");
        self->confusion_change += v < 0 ? -v : v;
      }
}

gboolean
tl_runs_view_compare (TlRunsView *self, guint a, guint b)
{
  TlRunRecord *ra, *rb;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (TL_IS_RUNS_VIEW (self), FALSE);

  ra = record_at (self, a);
  rb = record_at (self, b);
  g_clear_pointer (&self->comparison, tl_run_comparison_free);
  gtk_widget_set_visible (self->compare_box, FALSE);
  if (ra == NULL || rb == NULL)
    return FALSE;
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->a_dropdown, a);
  gtk_drop_down_set_selected (self->b_dropdown, b);
  self->updating = FALSE;
  if ((self->comparison = tl_run_compare (ra, rb, &error)) == NULL)
    {
      g_warning ("comparing %s and %s: %s", ra->id, rb->id, error->message);
      return FALSE;
    }
  show_settings (self);
  show_metrics (self);
  show_curves (self);
  show_confusion (self);
  gtk_widget_set_visible (self->compare_box, TRUE);
  return TRUE;
}

static void
on_choice_changed (TlRunsView *self)
{
  if (self->updating)
    return;
  tl_runs_view_compare (self, gtk_drop_down_get_selected (self->a_dropdown),
                        gtk_drop_down_get_selected (self->b_dropdown));
}

void
tl_runs_view_reload (TlRunsView *self)
{
  g_autofree char *root = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GtkStringList) dates = gtk_string_list_new (NULL);
  g_autofree char *where = NULL;
  guint n;

  g_return_if_fail (TL_IS_RUNS_VIEW (self));

  g_clear_pointer (&self->comparison, tl_run_comparison_free);
  g_clear_pointer (&self->history, tl_run_history_free);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self->run_list))) != NULL;)
    gtk_list_box_remove (self->run_list, child);
  if (self->document == NULL)
    return;
  root = tl_document_dup_results_root (self->document);
  where = g_strdup_printf (_("Kept in %s"), root);
  gtk_label_set_text (self->root_label, where);
  if ((self->history = tl_run_history_load (root, &error)) == NULL)
    g_debug ("%s: %s", root, error->message);
  n = self->history != NULL ? self->history->records->len : 0;
  for (guint i = 0; i < n; i++)
    {
      TlRunRecord *record = record_at (self, i);
      g_autofree char *date = record_date (record);
      g_autofree char *details = record_details (record);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), date);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), details);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
      gtk_list_box_append (self->run_list, row);
      gtk_string_list_append (dates, date);
    }
  if (n == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No runs yet"));
      gtk_list_box_append (self->run_list, row);
    }
  self->updating = TRUE;
  gtk_drop_down_set_model (self->a_dropdown, G_LIST_MODEL (dates));
  gtk_drop_down_set_model (self->b_dropdown, G_LIST_MODEL (dates));
  self->updating = FALSE;
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->a_dropdown)), n >= 2);
  /* the newest against the one before it */
  if (n >= 2)
    tl_runs_view_compare (self, 1, 0);
  else
    gtk_widget_set_visible (self->compare_box, FALSE);
  g_signal_emit (self, signals[RELOADED], 0);
}

static void
on_document_changed (TlRunsView *self, const char *what)
{
  /* another experiment: the privacy shown was its predecessor's */
  if (g_strcmp0 (what, "file") == 0)
    gtk_widget_set_visible (GTK_WIDGET (self->privacy_label), FALSE);
  if (g_strcmp0 (what, "results") == 0 || g_strcmp0 (what, "file") == 0)
    tl_runs_view_reload (self);
}

void
tl_runs_view_set_document (TlRunsView *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_RUNS_VIEW (self));

  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  tl_runs_view_reload (self);
}

guint
tl_runs_view_get_n_runs (TlRunsView *self)
{
  g_return_val_if_fail (TL_IS_RUNS_VIEW (self), 0);
  return self->history != NULL ? self->history->records->len : 0;
}

char *
tl_runs_view_get_run_text (TlRunsView *self, guint i)
{
  TlRunRecord *record;
  g_autofree char *date = NULL, *details = NULL;

  g_return_val_if_fail (TL_IS_RUNS_VIEW (self), NULL);
  if ((record = record_at (self, i)) == NULL)
    return NULL;
  date = record_date (record);
  details = record_details (record);
  return g_strdup_printf ("%s · %s", date, details);
}

guint
tl_runs_view_get_n_metric_rows (TlRunsView *self)
{
  g_return_val_if_fail (TL_IS_RUNS_VIEW (self), 0);
  return self->comparison != NULL ? self->n_metric_rows : 0;
}

const char *
tl_runs_view_get_settings_text (TlRunsView *self)
{
  g_return_val_if_fail (TL_IS_RUNS_VIEW (self), NULL);
  return self->comparison != NULL ? gtk_label_get_text (self->settings_label) : NULL;
}

GtkWidget *
tl_runs_view_get_curve_view (TlRunsView *self)
{
  g_return_val_if_fail (TL_IS_RUNS_VIEW (self), NULL);
  return GTK_WIDGET (self->curve_view);
}

gint64
tl_runs_view_get_confusion_change (TlRunsView *self)
{
  g_return_val_if_fail (TL_IS_RUNS_VIEW (self), 0);
  return self->confusion_change;
}

void
tl_runs_view_show_epoch (TlRunsView *self, const char *run, const TlEpochRecord *record)
{
  const TlPrivacyConfig *budget;
  g_autofree char *text = NULL;

  g_return_if_fail (TL_IS_RUNS_VIEW (self));
  g_return_if_fail (record != NULL);

  if (!isfinite (record->epsilon))
    {
      /* the reference trained without privacy after the private run: that run's spend stays */
      if (g_strcmp0 (run, TL_RUN_NON_PRIVATE) != 0)
        gtk_widget_set_visible (GTK_WIDGET (self->privacy_label), FALSE);
      return;
    }
  budget = self->document != NULL ? &tl_document_get_experiment (self->document)->transfer.finetune.privacy : NULL;
  if (budget != NULL && budget->epsilon > 0.0)
    text = g_strdup_printf (_("%s, epoch %d: privacy spent ε %.2f of %g (δ %g)"), tl_run_title (run), record->epoch,
                            record->epsilon, budget->epsilon, budget->delta);
  else
    text = g_strdup_printf (_("%s, epoch %d: privacy spent ε %.2f"), tl_run_title (run), record->epoch,
                            record->epsilon);
  gtk_label_set_text (self->privacy_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->privacy_label), TRUE);
}

const char *
tl_runs_view_get_privacy_text (TlRunsView *self)
{
  g_return_val_if_fail (TL_IS_RUNS_VIEW (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->privacy_label)) ? gtk_label_get_text (self->privacy_label) : NULL;
}

static void
on_results_folder_changed (TlRunsView *self)
{
  tl_runs_view_reload (self);
}

static void
tl_runs_view_dispose (GObject *object)
{
  TlRunsView *self = TL_RUNS_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_RUNS_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (tl_runs_view_parent_class)->dispose (object);
}

static void
tl_runs_view_finalize (GObject *object)
{
  TlRunsView *self = TL_RUNS_VIEW (object);

  g_clear_pointer (&self->comparison, tl_run_comparison_free);
  g_clear_pointer (&self->history, tl_run_history_free);
  g_clear_object (&self->document);
  G_OBJECT_CLASS (tl_runs_view_parent_class)->finalize (object);
}

static void
tl_runs_view_class_init (TlRunsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_runs_view_dispose;
  object_class->finalize = tl_runs_view_finalize;
  signals[RELOADED] = g_signal_new ("reloaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 0);

  g_type_ensure (TL_TYPE_CURVE_VIEW);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-runs-view.ui");
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, root_label);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, privacy_label);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, run_list);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, compare_box);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, a_dropdown);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, b_dropdown);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, settings_label);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, metrics_grid);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, curve_view);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, confusion_title);
  gtk_widget_class_bind_template_child (widget_class, TlRunsView, confusion_grid);
  gtk_widget_class_bind_template_callback (widget_class, on_choice_changed);
}

static void
tl_runs_view_init (TlRunsView *self)
{
  GSettings *settings = tl_settings_get ();

  gtk_widget_init_template (GTK_WIDGET (self));
  if (settings != NULL)
    g_signal_connect_object (settings, "changed::results-folder", G_CALLBACK (on_results_folder_changed), self,
                             G_CONNECT_SWAPPED);
}
