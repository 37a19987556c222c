#define G_LOG_DOMAIN "tl-data-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-bar-view.h"
#include "tl-data-import.h"
#include "tl-data-page.h"
#include "tl-import-wizard.h"

typedef struct {
  AdwPreferencesGroup *group;
  AdwActionRow        *file_row;
  AdwActionRow        *samples_row;
  AdwActionRow        *classes_row;
  TlBarView           *bars;
  GtkWidget           *bars_row;
  GtkWidget           *locate_button;
  char                *missing;     /* the data file the experiment names, not found (absolute) */
} Slot;

struct _TlDataPage
{
  GtkWidget      parent_instance;

  TlDocument    *document;
  Slot           slots[TL_N_ROLES];
  int            loading;       /* imports still running */
  gboolean       updating;
  gboolean       relocated;     /* a missing file was located: the experiment has changed */
  GCancellable  *cancellable;
  GPtrArray     *shared_files;  /* read by the source's import, held for the target's */
  guint          start_id;      /* the imports to start once the window has drawn itself */
  gboolean       start_roles[TL_N_ROLES];

  GtkWidget     *content;
  GtkWidget     *loading_box;
  GtkSpinner    *loading_spinner;
  AdwPreferencesGroup *experiment_group;
  AdwEntryRow   *name_row;
  GtkSpinButton *seed_spin;
};

G_DEFINE_FINAL_TYPE (TlDataPage, tl_data_page, GTK_TYPE_WIDGET)

static void
on_import_clicked (GtkButton *button, TlDataPage *self)
{
  tl_data_page_import (self, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "role")));
}

static void on_locate_clicked (GtkButton *button, TlDataPage *self);

static void
build_slot (TlDataPage *self, TlDataRole role)
{
  Slot *slot = &self->slots[role];
  GtkWidget *button = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();

  slot->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (slot->group, role == TL_ROLE_SOURCE ? _("Source Data") : _("Target Data"));
  adw_preferences_group_set_description (slot->group, role == TL_ROLE_SOURCE
                                         ? _("Plenty of labelled samples from a related domain")
                                         : _("The task you care about, often with few labels"));
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "document-open-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _("Import…"));
  gtk_button_set_child (GTK_BUTTON (button), content);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_object_set_data (G_OBJECT (button), "role", GINT_TO_POINTER (role));
  g_signal_connect (button, "clicked", G_CALLBACK (on_import_clicked), self);
  adw_preferences_group_set_header_suffix (slot->group, button);

  slot->file_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_action_row_add_prefix (slot->file_row, gtk_image_new_from_icon_name ("text-x-generic-symbolic"));
  adw_action_row_set_subtitle_lines (slot->file_row, 3);
  slot->locate_button = gtk_button_new_with_mnemonic (_("_Locate…"));
  gtk_widget_set_valign (slot->locate_button, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (slot->locate_button, FALSE);
  gtk_widget_add_css_class (slot->locate_button, "suggested-action");
  g_object_set_data (G_OBJECT (slot->locate_button), "role", GINT_TO_POINTER (role));
  g_signal_connect (slot->locate_button, "clicked", G_CALLBACK (on_locate_clicked), self);
  adw_action_row_add_suffix (slot->file_row, slot->locate_button);
  slot->samples_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (slot->samples_row), _("Samples"));
  adw_action_row_add_prefix (slot->samples_row, gtk_image_new_from_icon_name ("view-list-symbolic"));
  slot->classes_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (slot->classes_row), _("Classes"));
  adw_action_row_add_prefix (slot->classes_row, gtk_image_new_from_icon_name ("view-grid-symbolic"));
  slot->bars = TL_BAR_VIEW (tl_bar_view_new ());
  gtk_widget_set_margin_top (GTK_WIDGET (slot->bars), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (slot->bars), 4);
  gtk_widget_set_margin_start (GTK_WIDGET (slot->bars), 6);
  gtk_widget_set_margin_end (GTK_WIDGET (slot->bars), 12);
  slot->bars_row = adw_preferences_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (slot->bars_row), _("Samples per class"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (slot->bars_row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (slot->bars_row), GTK_WIDGET (slot->bars));

  adw_preferences_group_add (slot->group, GTK_WIDGET (slot->file_row));
  adw_preferences_group_add (slot->group, GTK_WIDGET (slot->samples_row));
  adw_preferences_group_add (slot->group, GTK_WIDGET (slot->classes_row));
  adw_preferences_group_add (slot->group, slot->bars_row);
  gtk_box_append (GTK_BOX (self->content), GTK_WIDGET (slot->group));
}

static void
update_slot (TlDataPage *self, TlDataRole role)
{
  Slot *slot = &self->slots[role];
  const TlDataSlot *data = tl_document_get_data (self->document, role);
  gboolean has = data->train != NULL;

  gtk_widget_set_visible (GTK_WIDGET (slot->samples_row), has);
  gtk_widget_set_visible (GTK_WIDGET (slot->classes_row), has);
  gtk_widget_set_visible (slot->bars_row, has);
  gtk_widget_set_visible (slot->locate_button, !has && slot->missing != NULL);
  gtk_widget_remove_css_class (GTK_WIDGET (slot->file_row), "missing-file");
  if (!has && slot->missing != NULL)
    {
      g_autofree char *base = g_path_get_basename (slot->missing);
      g_autofree char *title = g_strdup_printf (_("Missing: %s"), base);
      g_autofree char *subtitle = g_strdup_printf (_("Not found at %s. Locate the file to load it; the rest of the "
                                                     "experiment is kept."), slot->missing);

      gtk_widget_add_css_class (GTK_WIDGET (slot->file_row), "missing-file");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (slot->file_row), title);
      adw_action_row_set_subtitle (slot->file_row, subtitle);
      tl_bar_view_set_counts (slot->bars, 0, NULL, NULL, NULL);
      return;
    }
  if (!has)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (slot->file_row), _("No data imported"));
      adw_action_row_set_subtitle (slot->file_row, role == TL_ROLE_SOURCE
                                   ? _("Import a CSV file, an IDX file or a folder of images (Ctrl+I)")
                                   : _("Without target data, the model is trained and evaluated on the source data"));
      tl_bar_view_set_counts (slot->bars, 0, NULL, NULL, NULL);
      return;
    }
  {
    g_autofree char *base = g_path_get_basename (data->path != NULL ? data->path : "");
    g_autofree char *folder = g_path_get_dirname (data->path != NULL ? data->path : "");
    g_autofree char *samples = g_strdup_printf (_("%d for training · %d for validation · %d for testing"),
                                                data->train->n, data->val != NULL ? data->val->n : 0,
                                                data->test != NULL ? data->test->n : 0);
    g_autofree char *shape = tl_tensor_shape_string (data->train->sample_ndim, data->train->sample_shape);
    g_autofree char *classes = g_strdup_printf (_("%d classes · samples of shape %s"), data->train->n_classes, shape);
    g_autofree int *counts = g_new0 (int, data->train->n_classes);

    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (slot->file_row), base);
    adw_action_row_set_subtitle (slot->file_row, folder);
    adw_action_row_set_subtitle (slot->samples_row, samples);
    adw_action_row_set_subtitle (slot->classes_row, classes);
    tl_dataset_class_counts (data->train, counts);
    tl_bar_view_set_counts (slot->bars, data->train->n_classes, (const char *const *) data->train->class_names,
                            counts, NULL);
  }
}

static void
update (TlDataPage *self)
{
  for (int r = 0; r < TL_N_ROLES; r++)
    update_slot (self, r);
}

static void
on_document_changed (TlDataPage *self, const char *what)
{
  if (g_strcmp0 (what, "data") == 0)
    {
      /* set_text passes through an empty text, which must not reach the experiment. */
      const TlExperiment *exp = tl_document_get_experiment (self->document);
      g_autofree char *name = g_strdup (exp->name != NULL ? exp->name : "");

      update (self);
      /* what the experiment is for, as its file describes it */
      adw_preferences_group_set_description (self->experiment_group, exp->description);
      self->updating = TRUE;
      if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->name_row)), name) != 0)
        gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
      gtk_spin_button_set_value (self->seed_spin, (double) exp->seed);
      self->updating = FALSE;
    }
}

static void
on_name_changed (TlDataPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  TlExperiment *exp;

  if (self->updating || self->document == NULL)
    return;
  exp = tl_document_get_experiment (self->document);
  if (g_strcmp0 (text, exp->name) == 0 || (exp->name == NULL && text[0] == '\0'))
    return;
  g_free (exp->name);
  exp->name = g_strdup (text);
  tl_document_changed (self->document, "params");
}

static void
on_seed_changed (TlDataPage *self)
{
  guint64 seed = (guint64) gtk_spin_button_get_value_as_int (self->seed_spin);
  TlExperiment *exp;

  if (self->updating || self->document == NULL)
    return;
  exp = tl_document_get_experiment (self->document);
  if (seed == exp->seed)
    return;
  exp->seed = seed;
  tl_document_changed (self->document, "params");
}

static void start_load (TlDataPage *self, TlDataRole role);
static void set_loading (TlDataPage *self, int delta);

/* A new source changes how the target is read (its vocabulary, its scaling). */
static void
on_wizard_finished (TlDataPage *self, gboolean ok, TlImportWizard *wizard)
{
  const TlExperiment *exp = tl_document_get_experiment (self->document);

  const TlPreprocess *source = tl_document_get_data (self->document, TL_ROLE_SOURCE)->preprocess;

  if (ok && tl_import_wizard_get_role (wizard) == TL_ROLE_SOURCE && exp->target.path != NULL
      && tl_document_has_data (self->document, TL_ROLE_TARGET))
    start_load (self, TL_ROLE_TARGET);
  /* A run's source text features also count the target's text: the source is read again as
   * the run reads it (and the target through it), so that the window shows the run's data. */
  else if (ok && tl_import_wizard_get_role (wizard) == TL_ROLE_TARGET && exp->transfer.unlabeled_text
           && exp->pretrained_model == NULL && exp->source.path != NULL && source != NULL
           && source->kind == TL_DATA_TEXT)
    start_load (self, TL_ROLE_SOURCE);
}

GtkWidget *
tl_data_page_import (TlDataPage *self, TlDataRole role)
{
  GtkRoot *root;
  TlImportWizard *wizard;

  g_return_val_if_fail (TL_IS_DATA_PAGE (self), NULL);
  g_return_val_if_fail (self->document != NULL, NULL);

  root = gtk_widget_get_root (GTK_WIDGET (self));
  wizard = tl_import_wizard_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->document, role);
  g_signal_connect_object (wizard, "finished", G_CALLBACK (on_wizard_finished), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (wizard));
  return GTK_WIDGET (wizard);
}

gboolean
tl_data_page_is_loading (TlDataPage *self)
{
  g_return_val_if_fail (TL_IS_DATA_PAGE (self), FALSE);
  return self->loading > 0;
}

const char *
tl_data_page_get_samples_text (TlDataPage *self, TlDataRole role)
{
  g_return_val_if_fail (TL_IS_DATA_PAGE (self), NULL);
  g_return_val_if_fail (role < TL_N_ROLES, NULL);
  return adw_action_row_get_subtitle (self->slots[role].samples_row);
}

const char *
tl_data_page_get_description_text (TlDataPage *self)
{
  g_return_val_if_fail (TL_IS_DATA_PAGE (self), NULL);
  return adw_preferences_group_get_description (self->experiment_group);
}

const char *
tl_data_page_get_name_text (TlDataPage *self)
{
  g_return_val_if_fail (TL_IS_DATA_PAGE (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->name_row));
}

guint64
tl_data_page_get_seed (TlDataPage *self)
{
  g_return_val_if_fail (TL_IS_DATA_PAGE (self), 0);
  return (guint64) gtk_spin_button_get_value_as_int (self->seed_spin);
}

static void
set_loading (TlDataPage *self, int delta)
{
  self->loading += delta;
  gtk_widget_set_visible (self->loading_box, self->loading > 0);
  gtk_spinner_set_spinning (self->loading_spinner, self->loading > 0);
}

typedef struct {
  TlDataPage *self;
  TlDataRole  role;
} LoadJob;

static void
load_job_free (LoadJob *job)
{
  g_object_unref (job->self);
  g_free (job);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadJob, load_job_free)

static void start_load (TlDataPage *self, TlDataRole role);

static void
loaded (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (LoadJob) job = data;
  TlDataPage *self = job->self;
  TlDataRole role = job->role;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataImportResult) result = tl_data_import_experiment_finish (res, &error);
  const TlExperiment *exp;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->document == NULL)
    return;
  exp = tl_document_get_experiment (self->document);
  if (result == NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", error->message);
  else
    {
      g_autofree char *description = tl_data_import_describe (result);
      tl_document_set_data (self->document, role, result->path, description, g_steal_pointer (&result->train),
                            g_steal_pointer (&result->val), g_steal_pointer (&result->test),
                            result->vocab_size);
      if (result->data != NULL)
        tl_document_set_preprocess (self->document, role, g_steal_pointer (&result->data->preprocess));
      if (role == TL_ROLE_SOURCE)
        {
          g_clear_pointer (&self->shared_files, g_ptr_array_unref);
          self->shared_files = g_steal_pointer (&result->shared_files);
        }
    }
  /* A run reads the target through the source's preprocessing: so does the window. */
  if (role == TL_ROLE_SOURCE && exp->target.path != NULL && result != NULL && self->slots[TL_ROLE_TARGET].missing == NULL)
    start_load (self, TL_ROLE_TARGET);
  set_loading (self, -1);
  if (self->loading == 0)
    {
      g_clear_pointer (&self->shared_files, g_ptr_array_unref);
      tl_document_set_modified (self->document, self->relocated);
      g_signal_emit_by_name (self, "loaded");
    }
}

static void
start_load (TlDataPage *self, TlDataRole role)
{
  const TlExperiment *exp = tl_document_get_experiment (self->document);
  g_autoptr (TlPreprocess) through = NULL;
  LoadJob *job = g_new0 (LoadJob, 1);

  job->self = g_object_ref (self);
  job->role = role;
  set_loading (self, 1);
  if (role == TL_ROLE_TARGET)
    through = tl_data_import_through (exp, tl_document_get_data (self->document, TL_ROLE_SOURCE)->preprocess);
  tl_data_import_experiment_async (exp, role == TL_ROLE_TARGET, through, self->cancellable, loaded, job);
}

static void load_data (TlDataPage *self);

static TlDataSourceSpec *
role_spec (TlExperiment *exp, TlDataRole role)
{
  return role == TL_ROLE_SOURCE ? &exp->source : &exp->target;
}

/* Marks each data file the experiment names that is not there. */
static void
find_missing (TlDataPage *self)
{
  TlExperiment *exp = tl_document_get_experiment (self->document);

  for (int r = 0; r < TL_N_ROLES; r++)
    {
      const TlDataSourceSpec *spec = role_spec (exp, r);
      g_autofree char *path = spec->path != NULL ? tl_experiment_resolve_path (exp, spec->path) : NULL;

      g_clear_pointer (&self->slots[r].missing, g_free);
      if (path != NULL && !g_file_test (path, G_FILE_TEST_EXISTS))
        self->slots[r].missing = g_steal_pointer (&path);
    }
}

const char *
tl_data_page_get_missing (TlDataPage *self, TlDataRole role)
{
  g_return_val_if_fail (TL_IS_DATA_PAGE (self), NULL);
  g_return_val_if_fail (role < TL_N_ROLES, NULL);
  return self->slots[role].missing;
}

void
tl_data_page_locate (TlDataPage *self, TlDataRole role, GFile *file)
{
  TlExperiment *exp;
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;

  g_return_if_fail (TL_IS_DATA_PAGE (self));
  g_return_if_fail (role < TL_N_ROLES);
  g_return_if_fail (G_IS_FILE (file));

  if ((path = g_file_get_path (file)) == NULL)
    return;
  exp = tl_document_get_experiment (self->document);
  g_free (role_spec (exp, role)->path);
  role_spec (exp, role)->path = g_strdup (path);
  /* the other missing file is often beside this one, as it was beside it before */
  folder = g_path_get_dirname (path);
  for (int r = 0; r < TL_N_ROLES; r++)
    {
      g_autofree char *base = NULL, *candidate = NULL;

      if (r == (int) role || self->slots[r].missing == NULL)
        continue;
      base = g_path_get_basename (self->slots[r].missing);
      candidate = g_build_filename (folder, base, NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
        {
          g_free (role_spec (exp, r)->path);
          role_spec (exp, r)->path = g_steal_pointer (&candidate);
        }
    }
  self->relocated = TRUE;
  load_data (self);
}

static void
locate_response (GtkNativeDialog *dialog, int response, TlDataPage *self)
{
  TlDataRole role = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "role"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        tl_data_page_locate (self, role, file);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
on_locate_clicked (GtkButton *button, TlDataPage *self)
{
  TlDataRole role = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "role"));
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *base = g_path_get_basename (self->slots[role].missing != NULL ? self->slots[role].missing : "");
  g_autofree char *title = g_strdup_printf (_("Locate %s"), base);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));

  g_object_set_data (G_OBJECT (dialog), "role", GINT_TO_POINTER (role));
  g_signal_connect (dialog, "response", G_CALLBACK (locate_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
tl_data_page_load_experiment_data (TlDataPage *self)
{
  g_return_if_fail (TL_IS_DATA_PAGE (self));
  g_return_if_fail (self->document != NULL);

  self->relocated = FALSE;
  load_data (self);
}

/* The imports start from the main loop at low priority, after what is waiting to
 * be drawn: a window opening on an experiment shows itself (with the loading
 * state) before its import threads take the processors. Until then the page
 * counts as loading. */
static gboolean
start_pending_loads (gpointer data)
{
  TlDataPage *self = data;

  self->start_id = 0;
  for (int r = 0; r < TL_N_ROLES; r++)
    if (self->start_roles[r])
      start_load (self, r);
  set_loading (self, -1);
  if (self->loading == 0)
    g_signal_emit_by_name (self, "loaded");
  return G_SOURCE_REMOVE;
}

static void
load_data (TlDataPage *self)
{
  TlExperiment *exp = tl_document_get_experiment (self->document);
  gboolean *start = self->start_roles;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->start_id, g_source_remove);
  self->cancellable = g_cancellable_new ();
  self->loading = 0;
  find_missing (self);
  /* The target after the source (whose preprocessing it is read through), unless
   * a pretrained model gives that preprocessing. A missing file is marked, not read. */
  start[TL_ROLE_SOURCE] = exp->source.path != NULL && self->slots[TL_ROLE_SOURCE].missing == NULL;
  start[TL_ROLE_TARGET] = (exp->source.path == NULL || exp->pretrained_model != NULL) && exp->target.path != NULL
                          && self->slots[TL_ROLE_TARGET].missing == NULL;
  if (start[TL_ROLE_SOURCE] || start[TL_ROLE_TARGET])
    {
      set_loading (self, 1);
      self->start_id = g_idle_add_full (G_PRIORITY_LOW, start_pending_loads, self, NULL);
    }
  update (self);
  if (self->loading == 0)
    g_signal_emit_by_name (self, "loaded");
}

void
tl_data_page_set_document (TlDataPage *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_DATA_PAGE (self));

  if (self->document != NULL)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  on_document_changed (self, "data");
}

static void
tl_data_page_dispose (GObject *object)
{
  TlDataPage *self = TL_DATA_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->start_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_DATA_PAGE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (tl_data_page_parent_class)->dispose (object);
}

static void
tl_data_page_finalize (GObject *object)
{
  TlDataPage *self = TL_DATA_PAGE (object);

  g_clear_object (&self->document);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->shared_files, g_ptr_array_unref);
  for (int r = 0; r < TL_N_ROLES; r++)
    g_free (self->slots[r].missing);
  G_OBJECT_CLASS (tl_data_page_parent_class)->finalize (object);
}

static void
tl_data_page_class_init (TlDataPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_data_page_dispose;
  object_class->finalize = tl_data_page_finalize;
  /* Emitted when the data an experiment names has been imported (or failed to). */
  g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-data-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TlDataPage, content);
  gtk_widget_class_bind_template_child (widget_class, TlDataPage, loading_box);
  gtk_widget_class_bind_template_child (widget_class, TlDataPage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, TlDataPage, experiment_group);
  gtk_widget_class_bind_template_child (widget_class, TlDataPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, TlDataPage, seed_spin);
}

static void
tl_data_page_init (TlDataPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  build_slot (self, TL_ROLE_SOURCE);
  build_slot (self, TL_ROLE_TARGET);
  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (on_name_changed), self);
  g_signal_connect_swapped (self->seed_spin, "value-changed", G_CALLBACK (on_seed_changed), self);
}
