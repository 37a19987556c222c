#define G_LOG_DOMAIN "tl-import-wizard"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-audio-examples.h"
#include "tl-bar-view.h"
#include "tl-csv.h"
#include "tl-error.h"
#include "tl-data-import.h"
#include "tl-import-wizard-private.h"


G_DEFINE_FINAL_TYPE (TlImportWizard, tl_import_wizard, ADW_TYPE_WINDOW)

enum { FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
show_error (TlImportWizard *self, const char *message)
{
  if (message != NULL)
    gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

const char *
tl_import_wizard_get_error (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), NULL);
  return gtk_revealer_get_reveal_child (self->error_revealer) ? gtk_label_get_text (self->error_label) : NULL;
}

const char *
tl_import_wizard_get_step (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

gboolean
tl_import_wizard_is_busy (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), FALSE);
  return self->busy;
}

static gboolean
is_csv (TlImportWizard *self)
{
  return self->format == TL_SOURCE_CSV;
}

static void
update_buttons (TlImportWizard *self)
{
  const char *step = gtk_stack_get_visible_child_name (self->stack);
  gboolean first = g_strcmp0 (step, "file") == 0;
  gboolean last = g_strcmp0 (step, "split") == 0;
  gboolean importing = g_strcmp0 (step, "import") == 0;

  gtk_widget_set_visible (GTK_WIDGET (self->back_button), !first && !importing);
  gtk_button_set_label (self->next_button, last ? _("_Import") : _("_Next"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button),
                            !self->busy && !importing && (!first || self->path != NULL)
                            && (g_strcmp0 (step, "classes") != 0 || self->analysed));
  adw_window_title_set_subtitle (self->title, gtk_stack_page_get_title (
                                   gtk_stack_get_page (self->stack, gtk_stack_get_visible_child (self->stack))));
}

static void
go_to (TlImportWizard *self, const char *step)
{
  gtk_stack_set_visible_child_name (self->stack, step);
  update_buttons (self);
}

/* The file */

static gboolean
is_image_name (const char *name)
{
  static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm" };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; i < G_N_ELEMENTS (exts); i++)
    if (g_str_has_suffix (lower, exts[i]))
      return TRUE;
  return FALSE;
}

static int
sort_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
sorted_entries (const char *folder)
{
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, sort_names);
  return names;
}

/* Up to max images of a folder of images: the first of each class folder, then the next. */
static GPtrArray *
first_images (const char *folder, guint max)
{
  g_autoptr (GPtrArray) classes = sorted_entries (folder);
  GPtrArray *images = g_ptr_array_new_with_free_func (g_free);

  for (guint round = 0; round < 2 && images->len < max; round++)
    for (guint c = 0; c < classes->len && images->len < max; c++)
      {
        g_autofree char *sub = g_build_filename (folder, g_ptr_array_index (classes, c), NULL);
        g_autoptr (GPtrArray) files = NULL;
        guint seen = 0;

        if (!g_file_test (sub, G_FILE_TEST_IS_DIR))
          {
            if (round == 0 && is_image_name (sub))
              g_ptr_array_add (images, g_steal_pointer (&sub));
            continue;
          }
        files = sorted_entries (sub);
        for (guint f = 0; f < files->len; f++)
          if (is_image_name (g_ptr_array_index (files, f)) && seen++ == round)
            {
              g_ptr_array_add (images, g_build_filename (sub, g_ptr_array_index (files, f), NULL));
              break;
            }
      }
  return images;
}

/* Thumbnails of the first images, and the images' own size as the default size. */
static void
show_first_images (TlImportWizard *self)
{
  g_autoptr (GPtrArray) images = first_images (self->path, 8);
  GtkWidget *child;
  int width = 0, height = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->thumbnail_box))) != NULL)
    gtk_flow_box_remove (self->thumbnail_box, child);
  for (guint i = 0; i < images->len; i++)
    {
      GtkWidget *picture = gtk_picture_new_for_filename (g_ptr_array_index (images, i));

      gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
      gtk_widget_set_size_request (picture, 48, 48);
      gtk_flow_box_append (self->thumbnail_box, picture);
    }
  if (images->len > 0 && !self->size_chosen
      && gdk_pixbuf_get_file_info (g_ptr_array_index (images, 0), &width, &height) != NULL)
    {
      self->setting_size = TRUE;
      gtk_spin_button_set_value (self->image_size_spin, CLAMP (MAX (width, height), 8, 256));
      self->setting_size = FALSE;
    }
}

guint
tl_import_wizard_get_n_thumbnails (TlImportWizard *self)
{
  guint n = 0;

  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), 0);
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self->thumbnail_box)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
}

int
tl_import_wizard_get_image_size (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), 0);
  return gtk_spin_button_get_value_as_int (self->image_size_spin);
}

static void
on_image_size_changed (TlImportWizard *self)
{
  if (!self->setting_size)
    self->size_chosen = TRUE;
}

/* The experiment's data source the wizard imports into. */
static const TlDataSourceSpec *
role_spec (TlImportWizard *self)
{
  TlExperiment *exp = tl_document_get_experiment (self->document);

  return tl_import_wizard_get_role (self) == TL_ROLE_TARGET ? &exp->target : &exp->source;
}

/* The audio settings the import uses (and the previews show): those the experiment has for
 * the role when it reads audio there already, else the defaults. Augmented copies are made of
 * the source's recordings only, so a target imported again drops copies an older file asked for. */
static void
audio_settings (TlImportWizard *self, TlAudioSettings *audio, TlAudioAugment *augment)
{
  const TlDataSourceSpec *spec = role_spec (self);
  g_autoptr (TlImportSettings) defaults = tl_import_settings_new ();

  *audio = spec->format == TL_DATA_FORMAT_AUDIO ? spec->audio : defaults->audio;
  if (augment == NULL)
    return;
  *augment = spec->format == TL_DATA_FORMAT_AUDIO ? spec->audio_augment : defaults->audio_augment;
  if (tl_import_wizard_get_role (self) == TL_ROLE_TARGET)
    augment->copies = 0;
}

static void
on_recording_selected (TlImportWizard *self)
{
  guint i = adw_combo_row_get_selected (self->recording_row);
  TlAudioSettings s;

  if (i >= self->recordings->len || !gtk_widget_get_visible (self->audio_group))
    return;
  audio_settings (self, &s, NULL);
  tl_audio_preview_set_file (self->audio_preview, g_ptr_array_index (self->recordings, i), &s);
}

/* The first recording of each class offered in recording_row, the first one previewed. */
static void
show_recordings (TlImportWizard *self, GPtrArray *paths, GPtrArray *labels)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_set_size (self->recordings, 0);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *base = g_path_get_basename (g_ptr_array_index (paths, i));

      g_ptr_array_add (self->recordings, g_strdup (g_ptr_array_index (paths, i)));
      g_ptr_array_add (items, g_strdup_printf ("%s: %s", (char *) g_ptr_array_index (labels, i), base));
    }
  g_ptr_array_add (items, NULL);
  gtk_string_list_splice (self->recording_list, 0, g_list_model_get_n_items (G_LIST_MODEL (self->recording_list)),
                          (const char *const *) items->pdata);
  adw_combo_row_set_selected (self->recording_row, 0);
  on_recording_selected (self);
}

/* The recordings a folder or CSV lists, or NULL when it lists none. */
static GPtrArray *
recordings_of (const char *path, GPtrArray **labels)
{
  GPtrArray *paths = tl_audio_examples (path, 12, labels, NULL);

  if (paths != NULL && paths->len > 0)
    return paths;
  if (paths != NULL)
    {
      g_ptr_array_unref (paths);
      g_clear_pointer (labels, g_ptr_array_unref);
    }
  return NULL;
}

/* The image choices apply to folders of images only, the recordings to audio; the encoding to text. */
static void
update_image_group (TlImportWizard *self)
{
  guint chosen = adw_combo_row_get_selected (self->format_row);
  gboolean folder = self->path != NULL && g_file_test (self->path, G_FILE_TEST_IS_DIR);
  TlSourceFormat guessed = self->path != NULL ? tl_import_guess_format (self->path) : TL_SOURCE_AUTO;
  g_autoptr (GPtrArray) recordings = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  gboolean audio, images;

  self->lists_recordings = FALSE;
  if (self->path != NULL && (chosen == 4 || (chosen == 0 && (guessed == TL_SOURCE_AUDIO || guessed == TL_SOURCE_CSV))))
    recordings = recordings_of (self->path, &labels);
  /* a CSV is taken for a list of recordings when its path column names audio files */
  self->lists_recordings = recordings != NULL && !folder && guessed == TL_SOURCE_CSV;
  audio = chosen == 4 || (chosen == 0 && (guessed == TL_SOURCE_AUDIO || self->lists_recordings));
  images = chosen == 3 || (chosen == 0 && folder && !audio);
  gtk_widget_set_visible (self->image_group, images);
  gtk_widget_set_visible (self->audio_group, audio && recordings != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->encoding_row), chosen == 1 || (chosen == 0 && !folder && !audio
                                                            && guessed != TL_SOURCE_IDX));
  if (images && folder)
    show_first_images (self);
  if (audio && recordings != NULL)
    show_recordings (self, recordings, labels);
  else
    tl_audio_preview_set_file (self->audio_preview, NULL, NULL);
}

guint
tl_import_wizard_get_n_recordings (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), 0);
  return gtk_widget_get_visible (self->audio_group) ? self->recordings->len : 0;
}

void
tl_import_wizard_select_recording (TlImportWizard *self, guint index)
{
  g_return_if_fail (TL_IS_IMPORT_WIZARD (self));
  adw_combo_row_set_selected (self->recording_row, index);
}

GtkWidget *
tl_import_wizard_get_audio_preview (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), NULL);
  return GTK_WIDGET (self->audio_preview);
}

/* "t10k-images-idx3-ubyte" or "test-images..." beside "train-images-idx3-ubyte", or NULL. */
static char *
idx_test_beside (const char *path)
{
  static const char *const names[] = { "t10k", "test" };
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  const char *train = strstr (base, "train");

  if (train == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *name = g_strdup_printf ("%.*s%s%s", (int) (train - base), base, names[i], train + 5);
      g_autofree char *candidate = g_build_filename (dir, name, NULL);

      if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&candidate);
    }
  return NULL;
}

const char *
tl_import_wizard_get_test_path (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), NULL);
  return self->idx_test_path;
}

static const char *const encodings[] = { "UTF-8", "WINDOWS-1252", "WINDOWS-1250", "WINDOWS-1251", "GB18030",
                                         "SHIFT_JIS" };

/* What the encoding check reads at most: the preview's rows; text further on that is not
 * UTF-8 is found by the analysis. */
#define PREVIEW_BYTES ((gsize) 256 << 10)

/* Whether the start of a file is UTF-8 (a character cut at the end of the part read is not an error). */
static gboolean
file_is_utf8 (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, NULL);
  g_autofree char *buffer = g_malloc (PREVIEW_BYTES);
  gsize n = 0;
  const char *end;

  if (in == NULL || !g_input_stream_read_all (G_INPUT_STREAM (in), buffer, PREVIEW_BYTES, &n, NULL, NULL))
    return TRUE;   /* the reader says what is wrong */
  /* the rows the preview shows; a later row that is not UTF-8 is named by the analysis */
  for (gsize i = 0, lines = 0; i < n; i++)
    if (buffer[i] == '\n' && ++lines == PREVIEW_ROWS + 1)
      {
        n = i + 1;
        break;
      }
  if (g_utf8_validate (buffer, (gssize) n, &end))
    return TRUE;
  return n == PREVIEW_BYTES && (gsize) (end - buffer) + 4 > n;
}

/* A UTF-8 copy of the chosen file beside it ("reviews.utf-8.csv"), else in the user's data folder. */
static char *
utf8_copy (const char *path, const char *charset, GError **error)
{
  g_autofree char *contents = NULL, *converted = NULL, *base = NULL, *dir = NULL, *name = NULL, *copy = NULL;
  gsize len = 0, written = 0;
  char *dot;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  if ((converted = g_convert (contents, (gssize) len, "UTF-8", charset, NULL, &written, error)) == NULL)
    return NULL;
  base = g_path_get_basename (path);
  if ((dot = strrchr (base, '.')) != NULL && dot != base)
    *dot = '\0';
  name = g_strdup_printf ("%s.utf-8.csv", base);
  dir = g_path_get_dirname (path);
  copy = g_build_filename (dir, name, NULL);
  if (g_file_set_contents (copy, converted, (gssize) written, NULL))
    return g_steal_pointer (&copy);
  g_free (copy);
  g_free (dir);
  dir = g_build_filename (g_get_user_data_dir (), "transfer-lab", "converted", NULL);
  g_mkdir_with_parents (dir, 0755);
  copy = g_build_filename (dir, name, NULL);
  if (!g_file_set_contents (copy, converted, (gssize) written, error))
    return NULL;
  return g_steal_pointer (&copy);
}

/* The file as the CSV reader takes it: UTF-8, converted from the encoding chosen.
 * FALSE with the message shown when it is not UTF-8 and no encoding was chosen. */
static gboolean
ensure_utf8 (TlImportWizard *self)
{
  guint chosen = MIN (adw_combo_row_get_selected (self->encoding_row), G_N_ELEMENTS (encodings) - 1);
  const char *source = self->original_path != NULL ? self->original_path : self->path;
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *shown = NULL;

  if (chosen == 0)
    {
      if (self->original_path != NULL)
        {
          g_free (self->path);
          self->path = g_steal_pointer (&self->original_path);
        }
      if (file_is_utf8 (self->path))
        return TRUE;
      shown = g_strdup_printf (_("%s is not UTF-8 text. Choose its encoding under Text Encoding: a UTF-8 copy is "
                                 "made beside it and imported."), self->path);
      gtk_widget_set_visible (GTK_WIDGET (self->encoding_row), TRUE);
      show_error (self, shown);
      return FALSE;
    }
  if ((copy = utf8_copy (source, encodings[chosen], &error)) == NULL)
    {
      shown = g_strdup_printf (_("%s cannot be read as %s: %s"), source, encodings[chosen], error->message);
      show_error (self, shown);
      return FALSE;
    }
  if (self->original_path == NULL)
    self->original_path = g_steal_pointer (&self->path);
  g_free (self->path);
  self->path = g_steal_pointer (&copy);
  shown = g_strdup_printf (_("%s, read as %s into %s"), self->original_path, encodings[chosen], self->path);
  adw_action_row_set_subtitle (self->path_row, shown);
  return TRUE;
}

void
tl_import_wizard_set_encoding (TlImportWizard *self, const char *charset)
{
  g_return_if_fail (TL_IS_IMPORT_WIZARD (self));

  for (guint i = 0; i < G_N_ELEMENTS (encodings); i++)
    if (g_ascii_strcasecmp (encodings[i], charset) == 0)
      adw_combo_row_set_selected (self->encoding_row, i);
}

void
tl_import_wizard_set_image_options (TlImportWizard *self, int size, gboolean grey)
{
  g_return_if_fail (TL_IS_IMPORT_WIZARD (self));
  gtk_spin_button_set_value (self->image_size_spin, size);
  adw_combo_row_set_selected (self->channels_row, grey ? 0 : 1);
}

guint
tl_import_wizard_get_progress (TlImportWizard *self, double *fraction)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), 0);
  if (fraction != NULL)
    *fraction = self->progress_fraction;
  return self->n_progress_updates;
}

void
tl_import_wizard_set_file (TlImportWizard *self, GFile *file)
{
  g_autofree char *path = NULL;
  g_autofree char *shown = NULL;

  g_return_if_fail (TL_IS_IMPORT_WIZARD (self));
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  if (path == NULL)
    {
      show_error (self, _("Only local files and folders can be imported."));
      return;
    }
  g_free (self->path);
  self->path = g_steal_pointer (&path);
  g_clear_pointer (&self->original_path, g_free);
  self->analysed = FALSE;
  shown = g_file_get_parse_name (file);
  adw_action_row_set_subtitle (self->path_row, shown);
  show_error (self, NULL);
  update_image_group (self);
  update_buttons (self);
}

static void
chooser_response (GtkNativeDialog *dialog, int response, TlImportWizard *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      tl_import_wizard_set_file (self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
choose (TlImportWizard *self, GtkFileChooserAction action)
{
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (action == GTK_FILE_CHOOSER_ACTION_OPEN ? _("Choose a Data File")
                                                                              : _("Choose a Folder of Images or Recordings"),
                                        GTK_WINDOW (self), action, _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_choose_file (TlImportWizard *self)
{
  choose (self, GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
on_choose_folder (TlImportWizard *self)
{
  choose (self, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, TlImportWizard *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = g_value_get_boxed (value);
  if (files == NULL)
    return FALSE;
  tl_import_wizard_set_file (self, G_FILE (files->data));
  return TRUE;
}

static TlImportSettings *
build_settings (TlImportWizard *self, gboolean full)
{
  TlImportSettings *s = tl_import_settings_new ();

  s->format = self->format;
  s->seed = (guint64) gtk_spin_button_get_value_as_int (self->seed_spin);
  if (is_csv (self))
    {
      g_autoptr (GStrvBuilder) features = g_strv_builder_new ();
      guint header_choice = adw_combo_row_get_selected (self->header_row);

      s->delimiter = tl_import_wizard_chosen_delimiter (self);
      s->header = header_choice == 1 ? TL_CSV_HEADER_YES : header_choice == 2 ? TL_CSV_HEADER_NO : TL_CSV_HEADER_AUTO;
      for (guint c = 0; c < self->role_rows->len; c++)
        {
          char buffer[32];
          const char *name = self->has_header ? tl_import_wizard_column_name (self, c, buffer, sizeof buffer)
                                              : (g_snprintf (buffer, sizeof buffer, "%u", c), buffer);
          switch (adw_combo_row_get_selected (g_ptr_array_index (self->role_rows, c)))
            {
            case ROLE_LABEL: g_free (s->label_column); s->label_column = g_strdup (name); break;
            case ROLE_TEXT: g_free (s->text_column); s->text_column = g_strdup (name); break;
            case ROLE_FEATURE: g_strv_builder_add (features, name); break;
            default: break;
            }
        }
      if (s->text_column == NULL)
        s->feature_columns = g_strv_builder_end (features);
      else
        tl_import_wizard_text_settings (self, role_spec (self), s);
    }
  /* the test images of an IDX set, when they are beside the training images */
  if (self->format == TL_SOURCE_IDX && self->idx_test_path != NULL)
    s->test_path = g_strdup (self->idx_test_path);
  if (self->format == TL_SOURCE_AUDIO)
    audio_settings (self, &s->audio, &s->audio_augment);
  if (self->format == TL_SOURCE_IMAGE_FOLDER)
    {
      s->image_width = s->image_height = gtk_spin_button_get_value_as_int (self->image_size_spin);
      s->channels = adw_combo_row_get_selected (self->channels_row) == 0 ? 1 : 3;
    }
  if (full)
    {
      g_autoptr (GStrvBuilder) classes = g_strv_builder_new ();
      gboolean all = TRUE;

      for (guint i = 0; i < self->class_checks->len; i++)
        {
          if (gtk_check_button_get_active (g_ptr_array_index (self->class_checks, i)))
            g_strv_builder_add (classes, self->class_names[i]);
          else
            all = FALSE;
        }
      if (!all)
        s->classes = g_strv_builder_end (classes);
      s->per_class = gtk_spin_button_get_value_as_int (self->per_class_spin);
      s->val_fraction = gtk_spin_button_get_value (self->val_spin);
      s->test_fraction = gtk_spin_button_get_value (self->test_spin);
    }
  else
    {
      s->val_fraction = 0.0;
      s->test_fraction = 0.0;
    }
  return s;
}

/* Work in a thread */

static gboolean
pulse (gpointer data)
{
  TlImportWizard *self = data;

  gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
set_busy (TlImportWizard *self, gboolean busy)
{
  self->busy = busy;
  if (busy && self->pulse_id == 0)
    self->pulse_id = g_timeout_add (100, pulse, self);
  else if (!busy)
    g_clear_handle_id (&self->pulse_id, g_source_remove);
  gtk_spinner_set_spinning (self->analysing_spinner, busy);
  gtk_widget_set_visible (self->analysing_box, busy && !self->analysed);
  update_buttons (self);
}

static void
on_class_toggled (GtkCheckButton *check, TlImportWizard *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (check), "index"));
  tl_bar_view_set_selected (self->bar_view, (int) index, gtk_check_button_get_active (check));
}

static void
analysed (GObject *source, GAsyncResult *res, gpointer data)
{
  TlImportWizard *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataImportResult) result = tl_data_import_finish (res, &error);
  const TlImportReport *report;
  GtkWidget *child;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  set_busy (self, FALSE);
  if (result == NULL)
    {
      g_autofree char *message = NULL;

      /* text further on than the check read: the encoding is chosen on the first page */
      if (is_csv (self) && strstr (error->message, "UTF-8") != NULL)
        message = g_strdup_printf (_("%s. Go Back to choose the file's Text Encoding."), error->message);
      show_error (self, message != NULL ? message : error->message);
      go_to (self, is_csv (self) ? "columns" : "file");
      g_object_unref (self);
      return;
    }
  report = result->import->report;
  self->analysed = TRUE;
  tl_bar_view_set_counts (self->bar_view, report->n_classes, (const char *const *) report->class_names,
                          report->class_counts, NULL);
  if (report->imbalance > 3.0)
    {
      g_autofree char *text = g_strdup_printf (_("The classes are imbalanced: the largest has %.1f times the samples of the smallest. Consider a per-class sample size or class weights."), report->imbalance);
      gtk_label_set_text (self->imbalance_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->imbalance_label), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->imbalance_label), FALSE);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->class_box))) != NULL)
    gtk_flow_box_remove (self->class_box, child);
  g_ptr_array_set_size (self->class_checks, 0);
  g_strfreev (self->class_names);
  self->class_names = g_strdupv (report->class_names);
  for (int i = 0; i < report->n_classes; i++)
    {
      g_autofree char *label = g_strdup_printf ("%s (%d)", report->class_names[i], report->class_counts[i]);
      GtkWidget *check = gtk_check_button_new_with_label (label);

      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
      g_object_set_data (G_OBJECT (check), "index", GUINT_TO_POINTER ((guint) i));
      g_signal_connect (check, "toggled", G_CALLBACK (on_class_toggled), self);
      gtk_flow_box_append (self->class_box, check);
      g_ptr_array_add (self->class_checks, check);
    }
  tl_import_wizard_show_text (self, report->vocab_size > 0 || report->max_len > 0);
  update_buttons (self);
  g_object_unref (self);
}

static void
start_analysis (TlImportWizard *self)
{
  g_autoptr (TlImportSettings) settings = build_settings (self, FALSE);

  self->analysed = FALSE;
  go_to (self, "classes");
  set_busy (self, TRUE);
  tl_data_import_async (self->path, settings, self->cancellable, analysed, g_object_ref (self));
}

static void
imported (GObject *source, GAsyncResult *res, gpointer data)
{
  TlImportWizard *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlDataImportResult) result = tl_data_import_finish (res, &error);
  g_autoptr (TlImportSettings) settings = NULL;
  g_autofree char *description = NULL;
  g_autofree char *toast = NULL;
  TlDataRole role;
  TlDataSourceSpec *spec;
  TlExperiment *exp;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  set_busy (self, FALSE);
  if (result == NULL)
    {
      /* Back to the last choices, all of them kept. */
      show_error (self, error->message);
      go_to (self, "split");
      g_object_unref (self);
      return;
    }
  role = adw_combo_row_get_selected (self->role_row) == 1 ? TL_ROLE_TARGET : TL_ROLE_SOURCE;
  settings = build_settings (self, TRUE);
  exp = tl_document_get_experiment (self->document);
  spec = role == TL_ROLE_SOURCE ? &exp->source : &exp->target;
  tl_data_spec_from_settings (spec, self->path, settings);
  exp->seed = settings->seed;
  description = tl_data_import_describe (result);
  tl_document_set_data (self->document, role, self->path, description,
                        g_steal_pointer (&result->train), g_steal_pointer (&result->val),
                        g_steal_pointer (&result->test), result->vocab_size);
  if (result->data != NULL)
    tl_document_set_preprocess (self->document, role, g_steal_pointer (&result->data->preprocess));
  toast = g_strdup_printf (_("Imported %d samples"), result->n_rows);
  gtk_widget_activate_action (GTK_WIDGET (gtk_window_get_transient_for (GTK_WINDOW (self))), "win.toast", "s", toast);
  g_signal_emit (self, signals[FINISHED], 0, TRUE);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

/* On the main loop, at most one delivery pending however often the importer reports. */
static void
on_import_progress (double fraction, gpointer data)
{
  TlImportWizard *self = data;
  g_autofree char *text = NULL;

  if (!self->busy)
    return;
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  self->n_progress_updates++;
  self->progress_fraction = fraction;
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  text = g_strdup_printf (_("%.0f%%"), fraction * 100.0);
  gtk_progress_bar_set_text (self->progress_bar, text);
  gtk_progress_bar_set_show_text (self->progress_bar, TRUE);
}

static void
start_import (TlImportWizard *self)
{
  g_autoptr (TlImportSettings) settings = build_settings (self, TRUE);
  g_autofree char *base = g_path_get_basename (self->path);
  g_autofree char *text = g_strdup_printf (_("Importing %s…"), base);

  gtk_label_set_text (self->progress_label, text);
  show_error (self, NULL);
  go_to (self, "import");
  set_busy (self, TRUE);
  self->n_progress_updates = 0;
  self->progress_fraction = 0;
  gtk_progress_bar_set_show_text (self->progress_bar, FALSE);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  {
    gboolean target = adw_combo_row_get_selected (self->role_row) == 1;
    g_autoptr (TlExperiment) planned = tl_experiment_copy (tl_document_get_experiment (self->document));
    g_autoptr (TlPreprocess) through = NULL;

    /* Split (and for a target, read through the source's preprocessing) as a run will. */
    tl_data_spec_from_settings (target ? &planned->target : &planned->source, self->path, settings);
    planned->seed = settings->seed;
    if (target)
      through = tl_data_import_through (planned, tl_document_get_data (self->document, TL_ROLE_SOURCE)->preprocess);
    tl_data_import_async_with_progress (self->path, settings, planned, target, through, self->cancellable,
                                        on_import_progress, g_object_ref (self), g_object_unref, imported,
                                        g_object_ref (self));
  }
}

TlDataRole
tl_import_wizard_get_role (TlImportWizard *self)
{
  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), TL_ROLE_SOURCE);
  return adw_combo_row_get_selected (self->role_row) == 1 ? TL_ROLE_TARGET : TL_ROLE_SOURCE;
}

/* Navigation */

gboolean
tl_import_wizard_next (TlImportWizard *self)
{
  const char *step;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (TL_IS_IMPORT_WIZARD (self), FALSE);

  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->next_button)))
    return FALSE;
  step = gtk_stack_get_visible_child_name (self->stack);
  show_error (self, NULL);
  if (g_strcmp0 (step, "file") == 0)
    {
      static const TlSourceFormat formats[] = { TL_SOURCE_AUTO, TL_SOURCE_CSV, TL_SOURCE_IDX, TL_SOURCE_IMAGE_FOLDER,
                                                TL_SOURCE_AUDIO };
      guint chosen = adw_combo_row_get_selected (self->format_row);

      self->format = formats[MIN (chosen, G_N_ELEMENTS (formats) - 1)];
      if (self->format == TL_SOURCE_AUTO)
        self->format = self->lists_recordings ? TL_SOURCE_AUDIO : tl_import_guess_format (self->path);
      if (self->format == TL_SOURCE_AUTO)
        self->format = g_file_test (self->path, G_FILE_TEST_IS_DIR) ? TL_SOURCE_IMAGE_FOLDER : TL_SOURCE_CSV;
      g_clear_pointer (&self->idx_test_path, g_free);
      if (self->format == TL_SOURCE_IDX && (self->idx_test_path = idx_test_beside (self->path)) != NULL)
        {
          g_autofree char *test_base = g_path_get_basename (self->idx_test_path);
          g_autofree char *shown = g_strdup_printf (_("%s, tested on %s beside it"), self->path, test_base);

          adw_action_row_set_subtitle (self->path_row, shown);
          gtk_widget_set_sensitive (GTK_WIDGET (self->test_spin), FALSE);
          gtk_widget_set_tooltip_text (GTK_WIDGET (self->test_spin), shown);
        }
      else
        {
          gtk_widget_set_sensitive (GTK_WIDGET (self->test_spin), TRUE);
          gtk_widget_set_tooltip_text (GTK_WIDGET (self->test_spin), NULL);
        }
      if (is_csv (self))
        {
          if (!ensure_utf8 (self))
            return TRUE;
          if (!tl_import_wizard_load_preview (self, &error))
            {
              show_error (self, error->message);
              return TRUE;
            }
          go_to (self, "columns");
        }
      else
        start_analysis (self);
    }
  else if (g_strcmp0 (step, "columns") == 0)
    {
      if (!tl_import_wizard_check_roles (self, &error))
        show_error (self, error->message);
      else
        start_analysis (self);
    }
  else if (g_strcmp0 (step, "classes") == 0)
    go_to (self, "split");
  else if (g_strcmp0 (step, "split") == 0)
    start_import (self);
  return TRUE;
}

static void
on_next (TlImportWizard *self)
{
  tl_import_wizard_next (self);
}

static void
on_back (TlImportWizard *self)
{
  const char *step = gtk_stack_get_visible_child_name (self->stack);

  show_error (self, NULL);
  if (self->busy)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
      set_busy (self, FALSE);
    }
  if (g_strcmp0 (step, "columns") == 0)
    go_to (self, "file");
  else if (g_strcmp0 (step, "classes") == 0)
    go_to (self, is_csv (self) ? "columns" : "file");
  else if (g_strcmp0 (step, "split") == 0)
    go_to (self, "classes");
}

static void
on_cancel (TlImportWizard *self)
{
  g_cancellable_cancel (self->cancellable);
  g_signal_emit (self, signals[FINISHED], 0, FALSE);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_preview_option_changed (TlImportWizard *self)
{
  g_autoptr (GError) error = NULL;

  if (self->path == NULL || g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "columns") != 0)
    return;
  if (!tl_import_wizard_load_preview (self, &error))
    show_error (self, error->message);
  else
    show_error (self, NULL);
}

static void
tl_import_wizard_dispose (GObject *object)
{
  TlImportWizard *self = TL_IMPORT_WIZARD (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_IMPORT_WIZARD);
  G_OBJECT_CLASS (tl_import_wizard_parent_class)->dispose (object);
}

static void
tl_import_wizard_finalize (GObject *object)
{
  TlImportWizard *self = TL_IMPORT_WIZARD (object);

  g_clear_object (&self->document);
  g_clear_object (&self->cancellable);
  g_free (self->path);
  g_free (self->original_path);
  g_free (self->idx_test_path);
  g_ptr_array_unref (self->records);
  g_ptr_array_unref (self->role_rows);
  g_ptr_array_unref (self->class_checks);
  g_ptr_array_unref (self->recordings);
  g_strfreev (self->class_names);
  G_OBJECT_CLASS (tl_import_wizard_parent_class)->finalize (object);
}

static void
tl_import_wizard_class_init (TlImportWizardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_import_wizard_dispose;
  object_class->finalize = tl_import_wizard_finalize;

  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  g_type_ensure (TL_TYPE_BAR_VIEW);
  g_type_ensure (TL_TYPE_AUDIO_PREVIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-import-wizard.ui");
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, title);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, next_button);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, back_button);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, error_label);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, stack);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, drop_area);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, path_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, role_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, format_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, delimiter_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, header_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, preview);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, roles_group);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, analysing_box);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, analysing_spinner);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, imbalance_label);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, bar_view);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, class_box);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, per_class_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, val_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, test_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, text_group);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, max_len_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, vocab_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, ngram_group);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, ngram_max_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, min_df_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, max_features_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, chars_switch);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, char_lengths_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, char_min_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, char_max_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, progress_label);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, image_group);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, image_size_spin);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, encoding_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, thumbnail_box);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, channels_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, audio_group);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, recording_row);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, recording_list);
  gtk_widget_class_bind_template_child (widget_class, TlImportWizard, audio_preview);
  gtk_widget_class_bind_template_callback (widget_class, on_next);
  gtk_widget_class_bind_template_callback (widget_class, on_back);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_file);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_folder);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
tl_import_wizard_init (TlImportWizard *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->records = g_ptr_array_new_with_free_func ((GDestroyNotify) tl_csv_record_free);
  self->role_rows = g_ptr_array_new ();
  self->class_checks = g_ptr_array_new ();
  self->recordings = g_ptr_array_new_with_free_func (g_free);
  self->cancellable = g_cancellable_new ();

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  g_signal_connect_swapped (self->format_row, "notify::selected", G_CALLBACK (update_image_group), self);
  g_signal_connect_swapped (self->recording_row, "notify::selected", G_CALLBACK (on_recording_selected), self);
  /* the experiment may read the source's and the target's audio with different settings */
  g_signal_connect_swapped (self->role_row, "notify::selected", G_CALLBACK (on_recording_selected), self);
  tl_audio_preview_set_playable (self->audio_preview, TRUE);
  g_signal_connect_swapped (self->image_size_spin, "value-changed", G_CALLBACK (on_image_size_changed), self);
  g_signal_connect_swapped (self->delimiter_row, "notify::selected", G_CALLBACK (on_preview_option_changed), self);
  g_signal_connect_swapped (self->header_row, "notify::selected", G_CALLBACK (on_preview_option_changed), self);
  tl_import_wizard_init_text (self);
  update_buttons (self);
}

TlImportWizard *
tl_import_wizard_new (GtkWindow *parent, TlDocument *document, TlDataRole role)
{
  TlImportWizard *self;

  g_return_val_if_fail (TL_IS_DOCUMENT (document), NULL);

  self = g_object_new (TL_TYPE_IMPORT_WIZARD, "transient-for", parent, NULL);
  self->document = g_object_ref (document);
  adw_combo_row_set_selected (self->role_row, role == TL_ROLE_TARGET ? 1 : 0);
  gtk_spin_button_set_value (self->seed_spin, (double) tl_document_get_experiment (document)->seed);
  tl_import_wizard_load_text (self, role_spec (self));
  return self;
}
