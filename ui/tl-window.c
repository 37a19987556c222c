#define G_LOG_DOMAIN "tl-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-data-page.h"
#include "tl-experiment-check.h"
#include "tl-evaluate-page.h"
#include "tl-export-page.h"
#include "tl-model-page.h"
#include "tl-runs-view.h"
#include "tl-settings.h"
#include "tl-train-page.h"
#include "tl-transfer-page.h"
#include "tl-window.h"

/* The steps of the sidebar, in order: the stack's pages have the same names. */
typedef enum {
  STEP_DATA,
  STEP_MODEL,
  STEP_TRANSFER,
  STEP_TRAIN,
  STEP_EVALUATE,
  STEP_EXPORT,
  STEP_RUNS,
  N_STEPS
} TlStep;

static const char *const step_names[N_STEPS] = { "data", "model", "transfer", "train", "evaluate", "export", "runs" };
/* The template's label under each step's title. */
static const char *const step_status_ids[N_STEPS] = {
  "data_status", "model_status", "transfer_status", "train_status", "evaluate_status", "export_status", "runs_status",
};

struct _TlWindow
{
  AdwApplicationWindow parent_instance;

  TlDocument      *document;
  gboolean         close_confirmed;

  AdwToastOverlay *toast_overlay;
  AdwToast        *last_toast;      /* weak */
  AdwWindowTitle  *window_title;
  GtkRevealer     *error_revealer;
  GtkLabel        *error_label;
  GtkListBox      *step_list;
  GtkStack        *stack;
  GMenu           *recent_section;
  TlDataPage      *data_page;
  TlModelPage     *model_page;
  TlTransferPage  *transfer_page;
  TlTrainPage     *train_page;
  TlEvaluatePage  *evaluate_page;
  TlExportPage    *export_page;
  TlRunsView      *runs_view;

  GtkLabel        *step_status[N_STEPS];
  GtkRevealer     *problems_revealer;
  GtkLabel        *problems_label;
  GPtrArray       *problems;        /* TlExperimentProblem *: what keeps the experiment from running */
  gboolean         show_last_results;  /* after the opened experiment's data is loaded */
};

G_DEFINE_FINAL_TYPE (TlWindow, tl_window, ADW_TYPE_APPLICATION_WINDOW)

static void save_to (TlWindow *self, const char *path, gboolean then_close);
static void update_problems (TlWindow *self);

TlDocument *
tl_window_get_document (TlWindow *self)
{
  g_return_val_if_fail (TL_IS_WINDOW (self), NULL);
  return self->document;
}

GtkWidget *
tl_window_get_page (TlWindow *self, const char *name)
{
  g_return_val_if_fail (TL_IS_WINDOW (self), NULL);
  /* the Runs step's page is its view, in a scrolled window */
  if (g_strcmp0 (name, "runs") == 0)
    return GTK_WIDGET (self->runs_view);
  return gtk_stack_get_child_by_name (self->stack, name);
}

const char *
tl_window_get_error (TlWindow *self)
{
  g_return_val_if_fail (TL_IS_WINDOW (self), NULL);
  if (!gtk_revealer_get_reveal_child (self->error_revealer))
    return NULL;
  return gtk_label_get_text (self->error_label);
}

void
tl_window_show_error (TlWindow *self, const char *message)
{
  g_return_if_fail (TL_IS_WINDOW (self));

  if (message == NULL)
    {
      gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
      return;
    }
  gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
}

void
tl_window_show_toast (TlWindow *self, const char *message)
{
  AdwToast *toast;

  g_return_if_fail (TL_IS_WINDOW (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 4);
  g_clear_weak_pointer (&self->last_toast);
  g_set_weak_pointer (&self->last_toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
tl_window_dismiss_toast (TlWindow *self)
{
  g_return_if_fail (TL_IS_WINDOW (self));

  if (self->last_toast != NULL)
    adw_toast_dismiss (self->last_toast);
}

void
tl_window_show_step (TlWindow *self, const char *name)
{
  g_return_if_fail (TL_IS_WINDOW (self));

  for (int i = 0; i < N_STEPS; i++)
    if (g_strcmp0 (step_names[i], name) == 0)
      {
        gtk_list_box_select_row (self->step_list, gtk_list_box_get_row_at_index (self->step_list, i));
        return;
      }
  g_return_if_reached ();
}

gboolean
tl_window_is_training (TlWindow *self)
{
  g_return_val_if_fail (TL_IS_WINDOW (self), FALSE);
  return tl_train_page_is_running (self->train_page);
}

gboolean
tl_window_is_pristine (TlWindow *self)
{
  g_return_val_if_fail (TL_IS_WINDOW (self), FALSE);
  return tl_document_get_path (self->document) == NULL && !tl_document_get_modified (self->document)
         && !tl_document_has_data (self->document, TL_ROLE_SOURCE)
         && !tl_document_has_data (self->document, TL_ROLE_TARGET);
}

static void
on_error_dismiss (TlWindow *self)
{
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
}

static void
on_step_selected (TlWindow *self, GtkListBoxRow *row)
{
  if (row == NULL)
    return;
  gtk_stack_set_visible_child_name (self->stack, step_names[gtk_list_box_row_get_index (row)]);
}

static void
update_title (TlWindow *self)
{
  g_autofree char *title = tl_document_get_title (self->document);
  g_autofree char *shown = g_strdup_printf ("%s%s", tl_document_get_modified (self->document) ? "• " : "", title);
  g_autofree char *subtitle = NULL;
  const char *path = tl_document_get_path (self->document);

  if (path != NULL)
    {
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GFile) parent = g_file_get_parent (file);
      subtitle = g_file_get_parse_name (parent);
      if (g_str_has_prefix (subtitle, g_get_home_dir ()))
        {
          char *home = g_strconcat ("~", subtitle + strlen (g_get_home_dir ()), NULL);
          g_free (subtitle);
          subtitle = home;
        }
    }
  else
    subtitle = g_strdup (_("Not saved"));
  adw_window_title_set_title (self->window_title, shown);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_window_set_title (GTK_WINDOW (self), title);
}

/* The page where a field of the experiment file is edited. */
static TlStep
field_step (const char *field)
{
  if (g_str_has_prefix (field, "source.") || g_str_has_prefix (field, "target."))
    return STEP_DATA;
  if (g_str_has_prefix (field, "architecture.") || g_str_has_prefix (field, "pretrain."))
    return STEP_MODEL;
  /* the fine-tuning budget is set on the Train page, everything else of the transfer on its own */
  if ((g_str_has_prefix (field, "transfer.") && !g_str_has_prefix (field, "transfer.epochs")
       && !g_str_has_prefix (field, "transfer.batch_size") && !g_str_has_prefix (field, "transfer.optimizer"))
      || g_strcmp0 (field, "baseline") == 0)
    return STEP_TRANSFER;
  return STEP_TRAIN;
}

static char *
format_count (gsize n)
{
  if (n >= 1000000)
    return g_strdup_printf ("%.1fM", n / 1e6);
  if (n >= 10000)
    return g_strdup_printf ("%.0fk", n / 1e3);
  return g_strdup_printf ("%" G_GSIZE_FORMAT, n);
}

static void
update_step_status (TlWindow *self)
{
  TlDocument *doc = self->document;
  TlModel *source = tl_document_get_source_model (doc);
  TlModel *target = tl_document_get_target_model (doc);
  const TlMetrics *metrics = tl_document_get_metrics (doc);
  char *text[N_STEPS] = { NULL };
  int n_data = tl_document_has_data (doc, TL_ROLE_SOURCE) + tl_document_has_data (doc, TL_ROLE_TARGET);

  text[STEP_DATA] = n_data == 0 ? g_strdup (_("No data yet"))
                    : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d data set", "%d data sets", n_data), n_data);
  if (source != NULL)
    {
      g_autofree char *params = format_count (tl_model_param_count (source, FALSE));
      const char *pretrained = tl_document_get_experiment (doc)->pretrained_model;
      g_autofree char *file = pretrained != NULL ? g_path_get_basename (pretrained) : NULL;

      /* a pretrained model by its file's name, else the architecture's */
      text[STEP_MODEL] = g_strdup_printf (_("%s · %s parameters"),
                                          file != NULL ? file
                                          : tl_document_has_layers (doc) ? _("custom")
                                          : tl_preset_name (tl_document_get_preset (doc)),
                                          params);
    }
  else
    text[STEP_MODEL] = g_strdup (_("Needs data"));
  if (target != NULL)
    {
      g_autofree char *trainable = format_count (tl_model_param_count (target, TRUE));
      text[STEP_TRANSFER] = g_strdup_printf (_("%s trainable"), trainable);
    }
  else
    text[STEP_TRANSFER] = g_strdup (_("Needs a model"));
  text[STEP_TRAIN] = g_strdup (tl_train_page_get_status (self->train_page));
  if (metrics != NULL)
    text[STEP_EVALUATE] = g_strdup_printf (_("Accuracy %.1f%%"), metrics->accuracy * 100.0);
  else
    text[STEP_EVALUATE] = g_strdup (_("After training"));
  text[STEP_EXPORT] = g_strdup (metrics != NULL ? _("Ready") : _("After training"));
  {
    guint n_runs = tl_runs_view_get_n_runs (self->runs_view);
    text[STEP_RUNS] = n_runs == 0 ? g_strdup (_("None kept yet"))
                      : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run kept", "%u runs kept", n_runs), n_runs);
  }

  for (int i = 0; i < N_STEPS; i++)
    {
      guint n_problems = 0;

      for (guint k = 0; self->problems != NULL && k < self->problems->len; k++)
        n_problems += field_step (((TlExperimentProblem *) g_ptr_array_index (self->problems, k))->field) == (TlStep) i;
      if (n_problems > 0)
        {
          g_free (text[i]);
          text[i] = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u problem to fix", "%u problems to fix",
                                                  n_problems), n_problems);
          gtk_widget_add_css_class (GTK_WIDGET (self->step_status[i]), "step-problem");
        }
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self->step_status[i]), "step-problem");
      gtk_label_set_text (self->step_status[i], text[i]);
      g_free (text[i]);
    }
}

/* The visible page's problems, above it. */
static void
show_page_problems (TlWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->stack);
  g_autoptr (GString) text = g_string_new (NULL);

  if (tl_train_page_is_running (self->train_page)
      && (g_strcmp0 (page, "data") == 0 || g_strcmp0 (page, "model") == 0 || g_strcmp0 (page, "transfer") == 0))
    {
      gtk_label_set_text (self->problems_label, _("Locked while the experiment runs: the run trains the data, model "
                                                  "and freeze plan as they were when it started."));
      gtk_revealer_set_reveal_child (self->problems_revealer, TRUE);
      return;
    }

  for (guint k = 0; self->problems != NULL && k < self->problems->len; k++)
    {
      TlExperimentProblem *p = g_ptr_array_index (self->problems, k);

      if (g_strcmp0 (step_names[field_step (p->field)], page) != 0)
        continue;
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, p->message);
    }
  gtk_label_set_text (self->problems_label, text->str);
  gtk_revealer_set_reveal_child (self->problems_revealer, text->len > 0);
}

static const char *
step_title (TlStep step)
{
  switch (step)
    {
    case STEP_DATA: return _("Data");
    case STEP_MODEL: return _("Model");
    case STEP_TRANSFER: return _("Transfer");
    default: return _("Train");
    }
}

/* The whole experiment checked as a run would start it, after every change. */
static void
update_problems (TlWindow *self)
{
  TlDocument *doc = self->document;
  g_autoptr (TlExperiment) planned = NULL;
  TlDataSummary summaries[TL_N_ROLES];
  const TlDataSummary *given[TL_N_ROLES] = { NULL, NULL };
  g_autofree char *reason = NULL;

  g_clear_pointer (&self->problems, g_ptr_array_unref);
  if (!tl_window_is_pristine (self) && !tl_data_page_is_loading (self->data_page))
    {
      planned = tl_document_dup_planned_experiment (doc);
      for (int r = 0; r < TL_N_ROLES; r++)
        {
          const TlDataSlot *slot = tl_document_get_data (doc, r);

          if (slot->train == NULL)
            continue;
          tl_data_summary_from_dataset (&summaries[r], slot->train, slot->test, MAX (slot->vocab_size, 2));
          given[r] = &summaries[r];
        }
      self->problems = tl_experiment_check (planned, given[TL_ROLE_SOURCE], given[TL_ROLE_TARGET]);
    }
  if (self->problems != NULL && self->problems->len > 0)
    {
      TlExperimentProblem *first = g_ptr_array_index (self->problems, 0);

      reason = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Run is off until %u problem is fixed. %s: %s",
                                             "Run is off until %u problems are fixed. %s: %s", self->problems->len),
                                self->problems->len, step_title (field_step (first->field)), first->message);
    }
  tl_train_page_set_blocked (self->train_page, reason);
  show_page_problems (self);
}

guint
tl_window_get_problems (TlWindow *self, const char *page, const char **first_message, const char **first_field)
{
  guint n = 0;

  g_return_val_if_fail (TL_IS_WINDOW (self), 0);

  for (guint k = 0; self->problems != NULL && k < self->problems->len; k++)
    {
      TlExperimentProblem *p = g_ptr_array_index (self->problems, k);

      if (page != NULL && g_strcmp0 (step_names[field_step (p->field)], page) != 0)
        continue;
      if (n++ == 0)
        {
          if (first_message != NULL)
            *first_message = p->message;
          if (first_field != NULL)
            *first_field = p->field;
        }
    }
  return n;
}

const char *
tl_window_get_problems_text (TlWindow *self)
{
  g_return_val_if_fail (TL_IS_WINDOW (self), NULL);
  return gtk_revealer_get_reveal_child (self->problems_revealer) ? gtk_label_get_text (self->problems_label) : NULL;
}

static void
update_run_action (TlWindow *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-training",
                                 tl_document_get_target_model (self->document) != NULL
                                 && !tl_train_page_is_running (self->train_page)
                                 && (self->problems == NULL || self->problems->len == 0));
}

static void
on_document_changed (TlWindow *self, const char *what, TlDocument *doc)
{
  update_title (self);
  if (g_strcmp0 (what, "results") != 0 && g_strcmp0 (what, "file") != 0)
    update_problems (self);
  update_step_status (self);
  update_run_action (self);
}

static void
on_data_loaded (TlWindow *self)
{
  /* an experiment just opened shows its last results, once its data is there */
  if (self->show_last_results)
    {
      self->show_last_results = FALSE;
      tl_document_load_last_result (self->document);
    }
  update_problems (self);
  update_step_status (self);
  update_run_action (self);
}

/* The pages whose settings the running experiment uses are locked until it ends,
 * so that the results are shown beside the model that was trained. */
static void
lock_pages (TlWindow *self)
{
  gboolean running = tl_train_page_is_running (self->train_page);

  gtk_widget_set_sensitive (GTK_WIDGET (self->data_page), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->model_page), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->transfer_page), !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.import", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open", !running);
  show_page_problems (self);
}

static void
on_training_changed (TlWindow *self)
{
  update_step_status (self);
  update_run_action (self);
  lock_pages (self);
}

static void
update_recent_menu (TlWindow *self)
{
  GSettings *settings = tl_settings_get ();
  g_auto (GStrv) recent = NULL;
  guint shown = 0;

  g_menu_remove_all (self->recent_section);
  if (settings == NULL)
    return;
  recent = g_settings_get_strv (settings, "recent-experiments");
  for (guint i = 0; recent[i] != NULL; i++)
    {
      g_autofree char *base = NULL;
      g_autoptr (GMenuItem) item = NULL;

      if (!g_file_test (recent[i], G_FILE_TEST_EXISTS))
        continue;
      base = g_path_get_basename (recent[i]);
      item = g_menu_item_new (base, NULL);
      g_menu_item_set_action_and_target (item, "app.open-recent", "s", recent[i]);
      g_menu_append_item (self->recent_section, item);
      shown++;
    }
  if (shown == 0)
    {
      g_autoptr (GMenuItem) item = g_menu_item_new (_("No Recent Experiments"), "win.none");
      g_menu_append_item (self->recent_section, item);
    }
}

/* Opening */

static void
open_response (GtkNativeDialog *dialog, int response, TlWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
      TlWindow *target = self;

      if (!tl_window_is_pristine (self))
        {
          target = tl_window_new (TL_APPLICATION (app));
          gtk_window_present (GTK_WINDOW (target));
        }
      tl_window_open_file (target, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
add_json_filter (GtkFileChooser *chooser)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Experiments"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_chooser_add_filter (chooser, filter);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (chooser, all);
}

static void
open_action (GtkWidget *widget, const char *name, GVariant *param)
{
  TlWindow *self = TL_WINDOW (widget);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Open Experiment"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  add_json_filter (GTK_FILE_CHOOSER (dialog));
  g_signal_connect (dialog, "response", G_CALLBACK (open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
tl_window_open_file (TlWindow *self, GFile *file)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  TlExperiment *exp;

  g_return_if_fail (TL_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);
      g_autofree char *message = g_strdup_printf (_("%s: only local files can be opened"), uri);
      tl_window_show_error (self, message);
      return;
    }
  exp = tl_experiment_load (path, &error);
  if (exp == NULL)
    {
      tl_window_show_error (self, error->message);
      return;
    }
  tl_window_open_experiment (self, exp, path);
  tl_settings_add_recent (path);
}

void
tl_window_open_experiment (TlWindow *self, TlExperiment *exp, const char *path)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (TL_IS_WINDOW (self));
  g_return_if_fail (exp != NULL);

  tl_window_show_error (self, NULL);
  tl_document_set_experiment (self->document, exp, path);
  if (!tl_document_load_pretrained (self->document, &error))
    tl_window_show_error (self, error->message);
  self->show_last_results = TRUE;
  tl_data_page_load_experiment_data (self->data_page);
  tl_window_show_step (self, "data");
}

/* Saving */

static void
save_response (GtkNativeDialog *dialog, int response, TlWindow *self)
{
  gboolean then_close = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "then-close"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        save_to (self, path, then_close);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
save_as (TlWindow *self, gboolean then_close)
{
  GtkFileChooserNative *dialog;
  g_autofree char *title = tl_document_get_title (self->document);
  g_autofree char *name = g_strconcat (title, ".json", NULL);

  dialog = gtk_file_chooser_native_new (_("Save Experiment"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  add_json_filter (GTK_FILE_CHOOSER (dialog));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_object_set_data (G_OBJECT (dialog), "then-close", GINT_TO_POINTER (then_close));
  g_signal_connect (dialog, "response", G_CALLBACK (save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
save_to (TlWindow *self, const char *path, gboolean then_close)
{
  g_autoptr (GError) error = NULL;

  tl_document_store_plan (self->document);
  if (!tl_experiment_save (tl_document_get_experiment (self->document), path, &error))
    {
      tl_window_show_error (self, error->message);
      return;
    }
  tl_document_set_path (self->document, path);
  tl_document_set_modified (self->document, FALSE);
  tl_settings_add_recent (path);
  tl_window_show_toast (self, _("Experiment saved"));
  if (then_close)
    {
      self->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
}

static void
save_action (GtkWidget *widget, const char *name, GVariant *param)
{
  TlWindow *self = TL_WINDOW (widget);

  if (tl_document_get_path (self->document) != NULL)
    save_to (self, tl_document_get_path (self->document), FALSE);
  else
    save_as (self, FALSE);
}

static void
save_as_action (GtkWidget *widget, const char *name, GVariant *param)
{
  save_as (TL_WINDOW (widget), FALSE);
}

static void
import_action (GtkWidget *widget, const char *name, GVariant *param)
{
  TlWindow *self = TL_WINDOW (widget);

  tl_window_show_step (self, "data");
  tl_data_page_import (self->data_page, tl_document_has_data (self->document, TL_ROLE_SOURCE)
                                          ? TL_ROLE_TARGET : TL_ROLE_SOURCE);
}

static void
start_training_action (GtkWidget *widget, const char *name, GVariant *param)
{
  TlWindow *self = TL_WINDOW (widget);

  tl_window_show_step (self, "train");
  tl_train_page_start (self->train_page);
}

static void
go_step_action (GtkWidget *widget, const char *name, GVariant *param)
{
  TlWindow *self = TL_WINDOW (widget);
  int index = g_variant_get_int32 (param);

  if (index >= 0 && index < N_STEPS)
    tl_window_show_step (self, step_names[index]);
}

static void
show_error_action (GtkWidget *widget, const char *name, GVariant *param)
{
  tl_window_show_error (TL_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
toast_action (GtkWidget *widget, const char *name, GVariant *param)
{
  tl_window_show_toast (TL_WINDOW (widget), g_variant_get_string (param, NULL));
}

/* Closing */

static void
unsaved_response (AdwMessageDialog *dialog, const char *response, TlWindow *self)
{
  if (g_strcmp0 (response, "discard") == 0)
    {
      self->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
  else if (g_strcmp0 (response, "save") == 0)
    {
      if (tl_document_get_path (self->document) != NULL)
        save_to (self, tl_document_get_path (self->document), TRUE);
      else
        save_as (self, TRUE);
    }
}

static void
ask_unsaved (TlWindow *self)
{
  g_autofree char *title = tl_document_get_title (self->document);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Save Changes?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("“%s” has unsaved changes. Changes which are not saved will be lost."),
                                  title);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (unsaved_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_stopped_for_close (TlWindow *self)
{
  g_signal_handlers_disconnect_by_func (self->train_page, on_stopped_for_close, self);
  gtk_window_close (GTK_WINDOW (self));
}

static void
training_close_response (AdwMessageDialog *dialog, const char *response, TlWindow *self)
{
  if (g_strcmp0 (response, "stop") != 0)
    return;
  g_signal_connect_swapped (self->train_page, "run-finished", G_CALLBACK (on_stopped_for_close), self);
  tl_train_page_stop (self->train_page);
}

static void
ask_stop_training (TlWindow *self)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Stop Training?"),
                                   _("A model is training in this window. Closing stops it after the current batch; the last finished epoch is kept."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Keep Training"),
                                    "stop", _("_Stop and Close"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "stop", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (training_close_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
save_window_state (TlWindow *self)
{
  GSettings *settings = tl_settings_get ();
  int width, height;

  if (settings == NULL)
    return;
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    {
      g_settings_set_int (settings, "window-width", width);
      g_settings_set_int (settings, "window-height", height);
    }
}

static gboolean
tl_window_close_request (GtkWindow *window)
{
  TlWindow *self = TL_WINDOW (window);

  if (tl_train_page_is_running (self->train_page))
    {
      ask_stop_training (self);
      return TRUE;
    }
  if (tl_document_get_modified (self->document) && !self->close_confirmed)
    {
      ask_unsaved (self);
      return TRUE;
    }
  save_window_state (self);
  return GTK_WINDOW_CLASS (tl_window_parent_class)->close_request (window);
}

static void
tl_window_dispose (GObject *object)
{
  TlWindow *self = TL_WINDOW (object);

  if (self->document != NULL)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_clear_weak_pointer (&self->last_toast);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_WINDOW);
  G_OBJECT_CLASS (tl_window_parent_class)->dispose (object);
}

static void
tl_window_finalize (GObject *object)
{
  TlWindow *self = TL_WINDOW (object);

  g_clear_object (&self->document);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  G_OBJECT_CLASS (tl_window_parent_class)->finalize (object);
}

static void
tl_window_class_init (TlWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = tl_window_dispose;
  object_class->finalize = tl_window_finalize;
  window_class->close_request = tl_window_close_request;

  g_type_ensure (TL_TYPE_DATA_PAGE);
  g_type_ensure (TL_TYPE_MODEL_PAGE);
  g_type_ensure (TL_TYPE_TRANSFER_PAGE);
  g_type_ensure (TL_TYPE_TRAIN_PAGE);
  g_type_ensure (TL_TYPE_EVALUATE_PAGE);
  g_type_ensure (TL_TYPE_EXPORT_PAGE);
  g_type_ensure (TL_TYPE_RUNS_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TlWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, step_list);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, problems_revealer);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, problems_label);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, recent_section);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, data_page);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, model_page);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, transfer_page);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, train_page);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, evaluate_page);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, export_page);
  gtk_widget_class_bind_template_child (widget_class, TlWindow, runs_view);
  for (int i = 0; i < N_STEPS; i++)
    gtk_widget_class_bind_template_child_full (widget_class, step_status_ids[i], FALSE,
                                               G_STRUCT_OFFSET (TlWindow, step_status) + i * (gssize) sizeof (GtkLabel *));
  gtk_widget_class_bind_template_callback (widget_class, on_error_dismiss);
  gtk_widget_class_bind_template_callback (widget_class, on_step_selected);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "win.save-as", NULL, save_as_action);
  gtk_widget_class_install_action (widget_class, "win.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "win.start-training", NULL, start_training_action);
  gtk_widget_class_install_action (widget_class, "win.go-step", "i", go_step_action);
  gtk_widget_class_install_action (widget_class, "win.show-error", "s", show_error_action);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.save-as", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK, "win.import", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.start-training", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "win.start-training", NULL);
  for (int i = 0; i < N_STEPS; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK, "win.go-step", "i", i);
}

static void
tl_window_init (TlWindow *self)
{
  GSettings *settings = tl_settings_get ();

  gtk_widget_init_template (GTK_WIDGET (self));

  if (settings != NULL)
    {
      gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (settings, "window-width"),
                                   g_settings_get_int (settings, "window-height"));
      if (g_settings_get_boolean (settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      g_signal_connect_object (settings, "changed::recent-experiments", G_CALLBACK (update_recent_menu),
                               self, G_CONNECT_SWAPPED);
    }

  self->document = tl_document_new ();
  if (settings != NULL)
    {
      TlExperiment *exp = tl_document_get_experiment (self->document);

      exp->seed = (guint64) g_settings_get_int (settings, "default-seed");
      exp->baseline = g_settings_get_boolean (settings, "run-baseline");
      exp->transfer.finetune.epochs = g_settings_get_int (settings, "default-epochs");
      exp->transfer.finetune.batch_size = g_settings_get_int (settings, "default-batch-size");
      exp->transfer.finetune.optimizer.learning_rate = (float) g_settings_get_double (settings, "default-learning-rate");
      exp->pretrain.epochs = g_settings_get_int (settings, "default-epochs");
      exp->pretrain.batch_size = g_settings_get_int (settings, "default-batch-size");
      exp->pretrain.optimizer.learning_rate = (float) g_settings_get_double (settings, "default-learning-rate");
    }
  g_signal_connect_object (self->document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);

  gtk_list_box_select_row (self->step_list, gtk_list_box_get_row_at_index (self->step_list, STEP_DATA));
  tl_data_page_set_document (self->data_page, self->document);
  tl_model_page_set_document (self->model_page, self->document);
  tl_transfer_page_set_document (self->transfer_page, self->document);
  tl_train_page_set_document (self->train_page, self->document);
  tl_evaluate_page_set_document (self->evaluate_page, self->document);
  tl_export_page_set_document (self->export_page, self->document);
  g_signal_connect_object (self->runs_view, "reloaded", G_CALLBACK (update_step_status), self, G_CONNECT_SWAPPED);
  tl_runs_view_set_document (self->runs_view, self->document);
  /* every epoch the Train page draws, so that the Runs page can show a private run's privacy spent live */
  g_signal_connect_object (tl_train_page_get_curve_view (self->train_page, FALSE), "epoch-added",
                           G_CALLBACK (tl_runs_view_show_epoch), self->runs_view, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->train_page, "notify::status", G_CALLBACK (on_training_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->stack, "notify::visible-child-name", G_CALLBACK (show_page_problems), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->data_page, "loaded", G_CALLBACK (on_data_loaded), self, G_CONNECT_SWAPPED);

  update_recent_menu (self);
  update_title (self);
  update_step_status (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-training", FALSE);
}

TlWindow *
tl_window_new (TlApplication *app)
{
  return g_object_new (TL_TYPE_WINDOW, "application", app, NULL);
}
