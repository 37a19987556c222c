#define G_LOG_DOMAIN "tl-evaluate-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "tl-audio-explanation.h"
#include "tl-audio-preview.h"
#include "tl-bar-view.h"
#include "tl-confusion-view.h"
#include "tl-domain-map-card.h"
#include "tl-evaluate-page.h"
#include "tl-sample-explanation.h"
#include "tl-ui-util.h"

#define MAX_SAMPLES_LISTED 200

struct _TlEvaluatePage
{
  GtkWidget        parent_instance;

  TlDocument      *document;
  GtkStringList   *rows;          /* row index into the metrics table: class index, or -1 / -2 for averages */
  guint            n_samples_shown;
  /* The cell clicked, listed again when the predictions arrive after the click. */
  const TlMetrics *cell_metrics;
  int              cell_true, cell_predicted;
  GPtrArray       *run_names;     /* the runs offered, in the dropdown's order */
  char            *run_name;      /* the run shown */
  const TlMetrics *metrics;       /* its metrics, owned by the document's result */
  int             *run_predictions; /* its class per test row when it is not the main run, or NULL */
  gboolean         updating;

  GtkStack        *stack;
  GtkLabel        *summary_label;
  GtkLabel        *accuracy_label;
  GtkLabel        *baseline_label;
  GtkToggleButton *normalised_toggle;
  TlConfusionView *confusion_view;
  GtkLabel        *cell_label;
  GtkListBox      *sample_list;
  TlAudioPreview  *audio_preview;   /* the recording selected in sample_list, for audio data */
  TlAudioExplanation *audio_explanation; /* what the shown run's prediction of it depends on */
  TlSampleExplanation *sample_explanation; /* the same for an image or a text */
  GtkWidget       *matrix_box;
  GtkWidget       *samples_box;
  GtkScrolledWindow *samples_scroller;
  GtkColumnView   *metrics_view;
  GtkDropDown     *run_dropdown;
  TlBarView       *run_bars;
  TlDomainMapCard *domain_map_card;
};

G_DEFINE_FINAL_TYPE (TlEvaluatePage, tl_evaluate_page, GTK_TYPE_WIDGET)

enum { COL_NAME, COL_PRECISION, COL_RECALL, COL_F1, COL_SUPPORT };

GtkWidget *
tl_evaluate_page_get_confusion_view (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), NULL);
  return GTK_WIDGET (self->confusion_view);
}

guint
tl_evaluate_page_get_n_samples_shown (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), 0);
  return self->n_samples_shown;
}

guint
tl_evaluate_page_get_n_metric_rows (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->rows));
}

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);
  int column = GPOINTER_TO_INT (data);

  gtk_label_set_xalign (GTK_LABEL (label), column == COL_NAME ? 0.0f : 1.0f);
  if (column != COL_NAME)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, TlEvaluatePage *self)
{
  int column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "column"));
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  int row = atoi (gtk_string_object_get_string (gtk_list_item_get_item (item)));
  const TlMetrics *m = self->metrics;
  g_autofree char *text = NULL;
  double p, r, f;
  int support;

  if (m == NULL)
    return;
  if (row >= 0)
    {
      p = m->precision[row]; r = m->recall[row]; f = m->f1[row]; support = m->support[row];
    }
  else if (row == -1)
    {
      p = m->macro_precision; r = m->macro_recall; f = m->macro_f1; support = m->n_samples;
    }
  else
    {
      p = m->weighted_precision; r = m->weighted_recall; f = m->weighted_f1; support = m->n_samples;
    }
  switch (column)
    {
    case COL_NAME:
      text = g_strdup (row >= 0 ? m->class_names[row] : row == -1 ? _("Macro average") : _("Weighted average"));
      break;
    case COL_PRECISION: text = g_strdup_printf ("%.3f", p); break;
    case COL_RECALL: text = g_strdup_printf ("%.3f", r); break;
    case COL_F1: text = g_strdup_printf ("%.3f", f); break;
    default: text = g_strdup_printf ("%d", support); break;
    }
  gtk_label_set_text (label, text);
  if (row < 0)
    gtk_widget_add_css_class (GTK_WIDGET (label), "heading");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (label), "heading");
}

static void
add_column (TlEvaluatePage *self, const char *title, int column, gboolean expand)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkColumnViewColumn) col = NULL;

  g_object_set_data (G_OBJECT (factory), "column", GINT_TO_POINTER (column));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GINT_TO_POINTER (column));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
  col = gtk_column_view_column_new (title, g_object_ref (factory));
  gtk_column_view_column_set_expand (col, expand);
  gtk_column_view_append_column (self->metrics_view, col);
}

static GdkTexture *
thumbnail_for (const TlDataset *ds, int row)
{
  int c, h, w;
  g_autoptr (GBytes) bytes = NULL;
  guint8 *pixels;
  const float *x;

  if (ds->kind != TL_DATA_IMAGE || ds->sample_ndim != 3)
    return NULL;
  c = ds->sample_shape[0]; h = ds->sample_shape[1]; w = ds->sample_shape[2];
  if (c != 1 && c != 3)
    return NULL;
  g_autofree float *row_floats = g_new (float, ds->sample_size);
  x = tl_dataset_row (ds, row, row_floats);
  pixels = g_malloc ((gsize) w * h * 3);
  for (int i = 0; i < h * w; i++)
    for (int k = 0; k < 3; k++)
      {
        float v = x[(c == 1 ? 0 : k) * h * w + i];
        pixels[i * 3 + k] = (guint8) CLAMP (v * 255.0f + 0.5f, 0.0f, 255.0f);
      }
  bytes = g_bytes_new_take (pixels, (gsize) w * h * 3);
  return gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8, bytes, (gsize) w * 3);
}

/* A recording: its file name, the folder above it, the whole path as a tooltip. */
static GtkWidget *
audio_sample_row (GtkWidget *box, const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *folder = g_path_get_basename (dir);
  g_autofree char *markup = g_markup_printf_escaped ("%s\n<small>%s</small>", base, folder);
  GtkWidget *icon = gtk_image_new_from_icon_name ("audio-x-generic-symbolic");
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_tooltip_text (box, path);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), label);
  return box;
}

static GtkWidget *
sample_row (const TlDataset *ds, int row)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  g_autoptr (GdkTexture) texture = thumbnail_for (ds, row);
  g_autofree char *where = NULL;
  GtkWidget *label;

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  if (texture != NULL)
    {
      GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
      gtk_widget_set_size_request (picture, 56, 56);
      gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
      gtk_widget_add_css_class (picture, "thumbnail");
      gtk_box_append (GTK_BOX (box), picture);
    }
  g_object_set_data (G_OBJECT (box), "row", GINT_TO_POINTER (row));
  if (ds->kind == TL_DATA_AUDIO && ds->source_text != NULL && ds->source_text[row] != NULL)
    return audio_sample_row (box, ds->source_text[row]);
  if (ds->source_index != NULL)
    where = g_strdup_printf (ds->kind == TL_DATA_IMAGE ? _("Sample %d") : _("Line %d"), ds->source_index[row]);
  else
    where = g_strdup_printf (_("Test row %d"), row + 1);
  if (ds->source_text != NULL && ds->source_text[row] != NULL && texture == NULL)
    {
      g_autofree char *snippet = g_utf8_substring (ds->source_text[row], 0,
                                                   MIN (g_utf8_strlen (ds->source_text[row], -1), 160));
      g_autofree char *markup = g_markup_printf_escaped ("<small><b>%s</b></small>\n%s", where, snippet);
      label = gtk_label_new (NULL);
      gtk_label_set_markup (GTK_LABEL (label), markup);
    }
  else
    label = gtk_label_new (where);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (label), 4);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  return box;
}

static void
clear_samples (TlEvaluatePage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sample_list))) != NULL)
    gtk_list_box_remove (self->sample_list, child);
  self->n_samples_shown = 0;
  tl_audio_preview_set_file (self->audio_preview, NULL, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->audio_preview), FALSE);
  tl_audio_explanation_set_sample (self->audio_explanation, NULL, NULL, NULL, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->audio_explanation), FALSE);
  tl_sample_explanation_set_sample (self->sample_explanation, NULL, NULL, TL_DATA_IMAGE, NULL, NULL, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->sample_explanation), FALSE);
}

static void
on_cell_activated (TlEvaluatePage *self, int true_class, int predicted)
{
  const TlDataSlot *slot = tl_document_target_slot (self->document);
  const TlMetrics *m = self->metrics;
  const TlDataset *test = slot->test;
  g_autofree char *title = NULL;
  const int *predictions;
  int count, n_predictions;
  gboolean audio;

  clear_samples (self);
  audio = test != NULL && test->kind == TL_DATA_AUDIO && test->source_text != NULL;
  /* a selected sample is played (audio) and explained */
  gtk_list_box_set_selection_mode (self->sample_list,
                                   audio || (test != NULL && (test->kind == TL_DATA_IMAGE || test->kind == TL_DATA_TEXT))
                                     ? GTK_SELECTION_SINGLE : GTK_SELECTION_NONE);
  gtk_widget_set_visible (GTK_WIDGET (self->audio_preview), audio);
  if (m == NULL)
    return;
  self->cell_metrics = m;
  self->cell_true = true_class;
  self->cell_predicted = predicted;
  count = tl_metrics_confusion_at (m, true_class, predicted);
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d sample of %s predicted as %s",
                                        "%d samples of %s predicted as %s", count),
                           count, m->class_names[true_class], m->class_names[predicted]);
  gtk_label_set_text (self->cell_label, title);
  if (self->run_predictions != NULL)
    {
      predictions = self->run_predictions;
      n_predictions = m->n_samples;
    }
  else
    predictions = tl_document_get_predictions (self->document, &n_predictions);
  if (test == NULL || predictions == NULL || n_predictions != test->n)
    {
      GtkWidget *label = gtk_label_new (_("The samples are listed once the predictions are ready."));
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_list_box_append (self->sample_list, label);
      return;
    }
  for (int i = 0; i < test->n && self->n_samples_shown < MAX_SAMPLES_LISTED; i++)
    if (test->y[i] == true_class && predictions[i] == predicted)
      {
        gtk_list_box_append (self->sample_list, sample_row (test, i));
        self->n_samples_shown++;
      }
}

/* How the document's audio was read: the target's, else the source's preprocessing it went through. */
static void
audio_settings (TlEvaluatePage *self, TlAudioSettings *out)
{
  const TlDataSlot *target = tl_document_target_slot (self->document);
  const TlDataSlot *source = tl_document_get_data (self->document, TL_ROLE_SOURCE);

  if (target->preprocess != NULL && target->preprocess->kind == TL_DATA_AUDIO)
    *out = target->preprocess->audio;
  else if (source->preprocess != NULL && source->preprocess->kind == TL_DATA_AUDIO)
    *out = source->preprocess->audio;
  else
    tl_audio_settings_init (out);
}

static TlRunResult *shown_run (TlEvaluatePage *self);

/* The shown run's prediction of test row index, explained over its spectrogram in a worker. */
static void
explain_sample (TlEvaluatePage *self, const TlDataset *test, int index)
{
  const TlDataSlot *target = tl_document_target_slot (self->document);
  const TlDataSlot *source = tl_document_get_data (self->document, TL_ROLE_SOURCE);
  const TlPreprocess *pre = target->preprocess != NULL ? target->preprocess : source->preprocess;
  TlRunResult *run = shown_run (self);
  const char *const *names;
  g_autofree float *row = NULL;

  if (run == NULL || run->model == NULL || index < 0 || index >= test->n)
    return;
  row = g_new (float, MAX (test->sample_size, 1));
  names = (const char *const *) (run->labels != NULL ? run->labels : self->metrics != NULL
                                                                         ? self->metrics->class_names : NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->audio_explanation), TRUE);
  tl_audio_explanation_set_sample (self->audio_explanation, run->model, pre,
                                   tl_dataset_row (test, index, row), names);
}

/* The shown run's prediction of an image or a text, explained in a worker. */
static void
explain_image_or_text (TlEvaluatePage *self, const TlDataset *test, int index)
{
  const TlDataSlot *target = tl_document_target_slot (self->document);
  const TlDataSlot *source = tl_document_get_data (self->document, TL_ROLE_SOURCE);
  const TlPreprocess *pre = target->preprocess != NULL ? target->preprocess : source->preprocess;
  TlRunResult *run = shown_run (self);
  g_autofree float *row = NULL;
  const float *x;
  gsize size;
  const char *const *names;

  if (run == NULL || run->model == NULL)
    return;
  size = (gsize) run->model->in_shape[0];
  for (int d = 1; d < run->model->in_ndim; d++)
    size *= (gsize) run->model->in_shape[d];
  if (size != test->sample_size)
    return;
  names = (const char *const *) (run->labels != NULL ? run->labels : self->metrics != NULL
                                                                         ? self->metrics->class_names : NULL);
  row = g_new (float, test->sample_size);
  x = tl_dataset_row (test, index, row);
  gtk_widget_set_visible (GTK_WIDGET (self->sample_explanation), TRUE);
  tl_sample_explanation_set_sample (self->sample_explanation, run->model, pre, test->kind, x,
                                    test->source_text != NULL ? test->source_text[index] : NULL, names);
}

static void
on_sample_selected (TlEvaluatePage *self, GtkListBoxRow *row)
{
  const TlDataset *test = tl_document_target_slot (self->document)->test;
  GtkWidget *child = row != NULL ? gtk_list_box_row_get_child (row) : NULL;
  TlAudioSettings s;
  int index;

  if (child == NULL || test == NULL)
    return;
  index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (child), "row"));
  if (index < 0 || index >= test->n)
    return;
  if (test->kind == TL_DATA_IMAGE || test->kind == TL_DATA_TEXT)
    {
      explain_image_or_text (self, test, index);
      return;
    }
  if (test->kind != TL_DATA_AUDIO || test->source_text == NULL || test->source_text[index] == NULL)
    return;
  audio_settings (self, &s);
  tl_audio_preview_set_file (self->audio_preview, test->source_text[index], &s);
  explain_sample (self, test, index);
}

gboolean
tl_evaluate_page_select_sample (TlEvaluatePage *self, guint index)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), FALSE);
  if (index >= self->n_samples_shown || (row = gtk_list_box_get_row_at_index (self->sample_list, (int) index)) == NULL
      || gtk_list_box_get_selection_mode (self->sample_list) == GTK_SELECTION_NONE)
    return FALSE;
  gtk_list_box_select_row (self->sample_list, row);
  return TRUE;
}

GtkWidget *
tl_evaluate_page_get_audio_preview (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), NULL);
  return GTK_WIDGET (self->audio_preview);
}

GtkWidget *
tl_evaluate_page_get_audio_explanation (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), NULL);
  return GTK_WIDGET (self->audio_explanation);
}

GtkWidget *
tl_evaluate_page_get_sample_explanation (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), NULL);
  return GTK_WIDGET (self->sample_explanation);
}

static TlRunResult *
shown_run (TlEvaluatePage *self)
{
  return self->run_name != NULL ? tl_document_get_run (self->document, self->run_name) : NULL;
}

/* A run's title, with the privacy it spent when it trained privately. */
static char *
bar_name (const TlRunResult *run)
{
  const TlHistory *h = run->history;
  double epsilon = h != NULL && h->epochs->len > 0
                   ? g_array_index (h->epochs, TlEpochRecord, h->epochs->len - 1).epsilon : NAN;

  if (isfinite (epsilon))
    return g_strdup_printf (C_("a private run and the privacy it spent", "%s (ε %.2f)"), tl_run_title (run->name),
                            epsilon);
  return g_strdup (tl_run_title (run->name));
}

/* Every run evaluated on the target's test data (not pretraining, tested on the source's), as bars;
 * with no target, pretraining is the run there is, tested on the source's test data. */
static void
update_runs (TlEvaluatePage *self)
{
  TlPipelineResult *result = tl_document_get_result (self->document);
  TlRunResult *main_run = tl_document_get_main_run (self->document);
  g_autoptr (GtkStringList) titles = gtk_string_list_new (NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) shares = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GPtrArray) bar_names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *keep = g_strdup (self->run_name);
  guint selected = 0;

  for (guint i = 0; result != NULL && i < result->runs->len; i++)
    {
      TlRunResult *r = g_ptr_array_index (result->runs, i);
      double a;

      if (r->metrics == NULL || (g_strcmp0 (r->name, "pretrain") == 0 && r != main_run))
        continue;
      a = r->metrics->accuracy;
      g_ptr_array_add (names, g_strdup (r->name));
      g_ptr_array_add (bar_names, bar_name (r));
      g_array_append_val (shares, a);
      gtk_string_list_append (titles, tl_run_title (r->name));
    }
  for (guint i = 0; i < names->len; i++)
    if (g_strcmp0 (names->pdata[i], keep) == 0
        || (keep == NULL && main_run != NULL && g_strcmp0 (names->pdata[i], main_run->name) == 0))
      selected = i;
  if (keep != NULL && tl_document_get_run (self->document, keep) == NULL && main_run != NULL)
    for (guint i = 0; i < names->len; i++)
      if (g_strcmp0 (names->pdata[i], main_run->name) == 0)
        selected = i;
  g_clear_pointer (&self->run_names, g_ptr_array_unref);
  self->run_names = g_ptr_array_ref (names);
  g_free (self->run_name);
  self->run_name = names->len > 0 ? g_strdup (names->pdata[selected]) : NULL;
  self->updating = TRUE;
  gtk_drop_down_set_model (self->run_dropdown, G_LIST_MODEL (titles));
  gtk_drop_down_set_selected (self->run_dropdown, selected);
  self->updating = FALSE;
  tl_bar_view_set_shares (self->run_bars, (int) names->len, (const char *const *) bar_names->pdata,
                          (const double *) shares->data, _("Test accuracy"));
  for (guint i = 0; i < names->len; i++)
    tl_bar_view_set_selected (self->run_bars, (int) i, i == selected);
}

static void
show_run (TlEvaluatePage *self)
{
  TlRunResult *run = shown_run (self);
  TlRunResult *main_run = tl_document_get_main_run (self->document);
  TlRunResult *baseline = tl_document_get_run (self->document, "baseline");
  const TlMetrics *m = run != NULL ? run->metrics : NULL;
  g_autofree char *accuracy = NULL;
  g_autofree char *summary = NULL;

  self->metrics = m;
  g_clear_pointer (&self->run_predictions, g_free);
  if (m != NULL && run != main_run)
    self->run_predictions = tl_run_read_predictions (run, m->n_samples);
  self->cell_metrics = NULL;
  clear_samples (self);
  gtk_label_set_text (self->cell_label, _("Click a cell to see its samples"));
  gtk_string_list_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)), NULL);
  if (m == NULL)
    {
      tl_confusion_view_set_matrix (self->confusion_view, 0, NULL, NULL);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "results");
  accuracy = g_strdup_printf ("%.1f%%", m->accuracy * 100.0);
  gtk_label_set_text (self->accuracy_label, accuracy);
  summary = g_strdup_printf (_("The %s model on %d held-out test samples: macro F1 %.3f, weighted F1 %.3f."),
                             tl_run_title (run->name), m->n_samples, m->macro_f1, m->weighted_f1);
  gtk_label_set_text (self->summary_label, summary);
  gtk_widget_remove_css_class (GTK_WIDGET (self->baseline_label), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->baseline_label), "error");
  if (baseline != NULL && baseline->metrics != NULL && baseline != run)
    {
      double gain = (m->accuracy - baseline->metrics->accuracy) * 100.0;
      g_autofree char *text = g_strdup_printf (_("baseline %.1f%% · transfer gain %+.1f points"),
                                               baseline->metrics->accuracy * 100.0, gain);
      gtk_label_set_text (self->baseline_label, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->baseline_label), gain >= 0 ? "success" : "error");
    }
  else if (baseline == run)
    gtk_label_set_text (self->baseline_label, _("trained from scratch on the target alone"));
  else
    gtk_label_set_text (self->baseline_label, _("accuracy on the test split"));
  tl_confusion_view_set_matrix (self->confusion_view, m->n_classes, m->confusion,
                                (const char *const *) m->class_names);
  for (int i = 0; i < m->n_classes; i++)
    {
      char index[16];
      g_snprintf (index, sizeof index, "%d", i);
      gtk_string_list_append (self->rows, index);
    }
  gtk_string_list_append (self->rows, "-1");
  gtk_string_list_append (self->rows, "-2");
}

static void
update (TlEvaluatePage *self)
{
  TlRunResult *run;

  update_runs (self);
  run = shown_run (self);
  if (run != NULL && run->metrics != NULL && run->metrics == self->cell_metrics
      && self->cell_true < run->metrics->n_classes && self->cell_predicted < run->metrics->n_classes)
    {
      /* Same results, new predictions: the cell's samples can now be listed. */
      on_cell_activated (self, self->cell_true, self->cell_predicted);
      return;
    }
  show_run (self);
}

static void
on_run_selected (TlEvaluatePage *self)
{
  guint i = gtk_drop_down_get_selected (self->run_dropdown);

  if (self->updating || self->run_names == NULL || i >= self->run_names->len)
    return;
  g_free (self->run_name);
  self->run_name = g_strdup (self->run_names->pdata[i]);
  for (guint k = 0; k < self->run_names->len; k++)
    tl_bar_view_set_selected (self->run_bars, (int) k, k == i);
  show_run (self);
}

gboolean
tl_evaluate_page_select_run (TlEvaluatePage *self, const char *name)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), FALSE);

  for (guint i = 0; self->run_names != NULL && i < self->run_names->len; i++)
    if (g_strcmp0 (self->run_names->pdata[i], name) == 0)
      {
        gtk_drop_down_set_selected (self->run_dropdown, i);
        return TRUE;
      }
  return FALSE;
}

const char *
tl_evaluate_page_get_run (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), NULL);
  return self->run_name;
}

guint
tl_evaluate_page_get_n_runs (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), 0);
  return self->run_names != NULL ? self->run_names->len : 0;
}

const char *
tl_evaluate_page_get_accuracy_text (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), NULL);
  return gtk_label_get_text (self->accuracy_label);
}

static void
on_normalised_toggled (TlEvaluatePage *self)
{
  tl_confusion_view_set_normalised (self->confusion_view, gtk_toggle_button_get_active (self->normalised_toggle));
}

static void
on_document_changed (TlEvaluatePage *self, const char *what)
{
  if (g_strcmp0 (what, "results") == 0)
    update (self);
}

void
tl_evaluate_page_set_document (TlEvaluatePage *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_EVALUATE_PAGE (self));

  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  tl_domain_map_card_set_document (self->domain_map_card, document);
  update (self);
}

GtkWidget *
tl_evaluate_page_get_domain_map_card (TlEvaluatePage *self)
{
  g_return_val_if_fail (TL_IS_EVALUATE_PAGE (self), NULL);
  return GTK_WIDGET (self->domain_map_card);
}

static void
tl_evaluate_page_dispose (GObject *object)
{
  TlEvaluatePage *self = TL_EVALUATE_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_EVALUATE_PAGE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->rows);
  g_clear_object (&self->document);
  g_clear_pointer (&self->run_names, g_ptr_array_unref);
  g_clear_pointer (&self->run_name, g_free);
  g_clear_pointer (&self->run_predictions, g_free);
  G_OBJECT_CLASS (tl_evaluate_page_parent_class)->dispose (object);
}

/* On a narrow page the sample list goes below the matrix instead of beside it. */
static void
tl_evaluate_page_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  TlEvaluatePage *self = TL_EVALUATE_PAGE (widget);
  GtkOrientation want = width < 900 ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;

  if (gtk_orientable_get_orientation (GTK_ORIENTABLE (self->matrix_box)) != want)
    {
      gboolean narrow = want == GTK_ORIENTATION_VERTICAL;

      gtk_orientable_set_orientation (GTK_ORIENTABLE (self->matrix_box), want);
      gtk_widget_set_size_request (self->samples_box, narrow ? -1 : 280, -1);
      gtk_scrolled_window_set_min_content_height (self->samples_scroller, narrow ? 220 : 380);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_should_layout (child))
      gtk_widget_allocate (child, width, height, baseline, NULL);
}

static void
tl_evaluate_page_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                          int *minimum_baseline, int *natural_baseline)
{
  *minimum = *natural = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_should_layout (child))
      {
        int min, nat;

        gtk_widget_measure (child, orientation, for_size, &min, &nat, NULL, NULL);
        *minimum = MAX (*minimum, min);
        *natural = MAX (*natural, nat);
      }
  /* below the side-by-side layout's minimum the samples go under the matrix (size_allocate) */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = MIN (*minimum, 420);
}

static void
tl_evaluate_page_class_init (TlEvaluatePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_evaluate_page_dispose;
  g_type_ensure (TL_TYPE_CONFUSION_VIEW);
  g_type_ensure (TL_TYPE_BAR_VIEW);
  g_type_ensure (TL_TYPE_AUDIO_PREVIEW);
  g_type_ensure (TL_TYPE_AUDIO_EXPLANATION);
  g_type_ensure (TL_TYPE_SAMPLE_EXPLANATION);
  g_type_ensure (TL_TYPE_DOMAIN_MAP_CARD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-evaluate-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, stack);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, accuracy_label);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, baseline_label);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, normalised_toggle);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, confusion_view);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, cell_label);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, sample_list);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, audio_preview);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, audio_explanation);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, sample_explanation);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, matrix_box);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, samples_box);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, samples_scroller);
  widget_class->size_allocate = tl_evaluate_page_size_allocate;
  widget_class->measure = tl_evaluate_page_measure;
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, metrics_view);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, run_dropdown);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, run_bars);
  gtk_widget_class_bind_template_child (widget_class, TlEvaluatePage, domain_map_card);
}

static void
tl_evaluate_page_init (TlEvaluatePage *self)
{
  g_autoptr (GtkNoSelection) selection = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = gtk_string_list_new (NULL);
  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->rows)));
  gtk_column_view_set_model (self->metrics_view, GTK_SELECTION_MODEL (selection));
  add_column (self, _("Class"), COL_NAME, TRUE);
  add_column (self, _("Precision"), COL_PRECISION, FALSE);
  add_column (self, _("Recall"), COL_RECALL, FALSE);
  add_column (self, _("F1"), COL_F1, FALSE);
  add_column (self, _("Support"), COL_SUPPORT, FALSE);
  {
    GtkWidget *placeholder = gtk_label_new (_("A click on a cell of the matrix lists the test samples behind it."));

    gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
    gtk_label_set_justify (GTK_LABEL (placeholder), GTK_JUSTIFY_CENTER);
    gtk_widget_set_margin_start (placeholder, 18);
    gtk_widget_set_margin_end (placeholder, 18);
    gtk_widget_set_margin_top (placeholder, 24);
    gtk_widget_set_valign (placeholder, GTK_ALIGN_START);
    gtk_widget_add_css_class (placeholder, "dim-label");
    gtk_list_box_set_placeholder (self->sample_list, placeholder);
  }
  g_signal_connect_swapped (self->run_dropdown, "notify::selected", G_CALLBACK (on_run_selected), self);
  g_signal_connect_swapped (self->normalised_toggle, "toggled", G_CALLBACK (on_normalised_toggled), self);
  g_signal_connect_swapped (self->confusion_view, "cell-activated", G_CALLBACK (on_cell_activated), self);
  g_signal_connect_swapped (self->sample_list, "row-selected", G_CALLBACK (on_sample_selected), self);
  tl_audio_preview_set_playable (self->audio_preview, TRUE);
}
