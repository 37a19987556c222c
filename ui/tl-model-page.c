#define G_LOG_DOMAIN "tl-model-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-layer-editor.h"
#include "tl-model-file.h"
#include "tl-model-page.h"
#include "tl-ui-util.h"

struct _TlModelPage
{
  GtkWidget      parent_instance;

  TlDocument    *document;
  gboolean       updating;

  AdwComboRow   *preset_row;
  AdwActionRow  *pretrained_row;
  GtkSpinButton *epochs_spin;
  GtkSpinButton *lr_spin;
  GtkLabel      *params_label;
  GtkStack      *table_stack;
  TlLayerEditor *layer_editor;
  gboolean       storing;       /* the editor's stack is being written to the document */
  /* The presets the combo offers for the data's kind, then "Custom layers". */
  TlPreset       offered[8];
  guint          n_offered;
};

G_DEFINE_FINAL_TYPE (TlModelPage, tl_model_page, GTK_TYPE_WIDGET)

static const TlDataSlot *
architecture_slot (TlDocument *doc)
{
  const TlDataSlot *source = tl_document_get_data (doc, TL_ROLE_SOURCE);

  return source->train != NULL ? source : tl_document_get_data (doc, TL_ROLE_TARGET);
}

static void
load_editor (TlModelPage *self)
{
  TlDocument *doc = self->document;
  const TlDataSlot *slot = architecture_slot (doc);
  const TlExperiment *exp = tl_document_get_experiment (doc);
  TlModel *source = tl_document_get_source_model (doc);

  if (slot->train != NULL)
    tl_layer_editor_set_input (self->layer_editor, slot->train->sample_ndim, slot->train->sample_shape,
                               slot->train->n_classes, slot->vocab_size);
  else
    tl_layer_editor_set_input (self->layer_editor, 0, NULL, 0, 0);
  if (tl_document_has_layers (doc) && exp->pretrained_model == NULL)
    tl_layer_editor_set_layers (self->layer_editor, exp->architecture.layers,
                                exp->architecture.layer_names, exp->architecture.n_layers);
  else if (source != NULL)
    {
      int n = tl_model_n_layers (source);
      g_autofree TlLayerSpec *specs = g_new0 (TlLayerSpec, MAX (n, 1));
      g_autofree char **names = g_new0 (char *, n + 1);

      for (int i = 0; i < n; i++)
        {
          TlLayer *layer = tl_model_layer (source, i);
          specs[i] = layer->spec;
          names[i] = layer->name;
        }
      tl_layer_editor_set_layers (self->layer_editor, specs, names, n);
    }
  else
    tl_layer_editor_set_layers (self->layer_editor, NULL, NULL, 0);
}

static const char *
preset_title (TlPreset preset)
{
  const char *name = tl_preset_name (preset);

  if (g_strcmp0 (name, "mlp") == 0)
    return _("Multilayer perceptron");
  if (g_strcmp0 (name, "cnn") == 0)
    return _("Small CNN (images)");
  if (g_strcmp0 (name, "text-lstm") == 0)
    return _("LSTM (text)");
  if (g_strcmp0 (name, "text-pool") == 0)
    return _("Average pooling (text)");
  if (g_strcmp0 (name, "text-ngram") == 0)
    return _("Bag of n-grams (text)");
  if (g_strcmp0 (name, "audio-cnn") == 0)
    return _("Spectrogram CNN (audio)");
  return name;
}

/* Only the presets that can take the data: never the CNN or the MLP over token ids for text. */
static void
fill_presets (TlModelPage *self)
{
  g_autoptr (GtkStringList) list = gtk_string_list_new (NULL);
  TlPreset offered[G_N_ELEMENTS (self->offered)];
  guint n = tl_document_list_presets (self->document, offered, G_N_ELEMENTS (offered));

  if (n == self->n_offered && memcmp (offered, self->offered, n * sizeof (TlPreset)) == 0)
    return;
  memcpy (self->offered, offered, n * sizeof (TlPreset));
  self->n_offered = n;
  for (guint i = 0; i < n; i++)
    gtk_string_list_append (list, preset_title (offered[i]));
  gtk_string_list_append (list, _("Custom layers"));
  adw_combo_row_set_model (self->preset_row, G_LIST_MODEL (list));
}

static guint
preset_index (TlModelPage *self, TlPreset preset)
{
  for (guint i = 0; i < self->n_offered; i++)
    if (self->offered[i] == preset)
      return i;
  return self->n_offered;
}

guint
tl_model_page_get_n_presets (TlModelPage *self, TlPreset *presets)
{
  g_return_val_if_fail (TL_IS_MODEL_PAGE (self), 0);
  if (presets != NULL)
    memcpy (presets, self->offered, self->n_offered * sizeof (TlPreset));
  return self->n_offered;
}

static void
update_full (TlModelPage *self, gboolean with_layers)
{
  TlDocument *doc = self->document;
  TlExperiment *exp = tl_document_get_experiment (doc);
  TlModel *source = tl_document_get_source_model (doc);
  gboolean custom = tl_document_has_layers (doc);

  self->updating = TRUE;
  fill_presets (self);
  adw_combo_row_set_selected (self->preset_row, custom ? self->n_offered : preset_index (self, tl_document_get_preset (doc)));
  gtk_spin_button_set_value (self->epochs_spin, exp->pretrain.epochs);
  gtk_spin_button_set_value (self->lr_spin, exp->pretrain.optimizer.learning_rate);
  if (exp->pretrained_model != NULL)
    {
      g_autofree char *base = g_path_get_basename (exp->pretrained_model);
      adw_action_row_set_subtitle (self->pretrained_row, base);
    }
  else
    adw_action_row_set_subtitle (self->pretrained_row, _("None: pretrain on the source data"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->epochs_spin), exp->pretrained_model == NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->layer_editor), exp->pretrained_model == NULL);
  if (with_layers && !self->storing)
    load_editor (self);
  self->updating = FALSE;

  gtk_stack_set_visible_child_name (self->table_stack, source != NULL || custom ? "table" : "empty");
  if (source != NULL)
    {
      g_autofree char *count = tl_format_thousands (tl_model_param_count (source, FALSE));
      g_autofree char *text = g_strdup_printf (_("%s parameters in %d layers"), count, tl_model_n_layers (source));
      gtk_label_set_text (self->params_label, text);
    }
  else
    gtk_label_set_text (self->params_label, "");
}

static void
update (TlModelPage *self)
{
  update_full (self, TRUE);
}

/* Writes the editor's stack into the experiment when it builds. */
static void
store_layers (TlModelPage *self)
{
  TlLayerEditor *editor = self->layer_editor;
  int n = tl_layer_editor_get_n_layers (editor);
  g_autofree TlLayerSpec *specs = NULL;
  g_autofree char **names = NULL;
  g_autoptr (GError) error = NULL;

  if (self->document == NULL || n == 0 || tl_layer_editor_get_error (editor) != NULL)
    return;
  specs = g_new0 (TlLayerSpec, n);
  names = g_new0 (char *, n + 1);
  for (int i = 0; i < n; i++)
    {
      specs[i] = *tl_layer_editor_get_spec (editor, i);
      names[i] = (char *) tl_layer_editor_get_name (editor, i);
    }
  self->storing = TRUE;
  if (!tl_document_set_layers (self->document, specs, names, n, &error))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", error->message);
  self->storing = FALSE;
}

static void
on_editor_changed (TlModelPage *self)
{
  if (self->updating)
    return;
  store_layers (self);
}

static void
on_document_changed (TlModelPage *self, const char *what)
{
  /* Hyper-parameters leave the layer rows (and what is expanded in them) as they are. */
  if (g_strcmp0 (what, "model") == 0 || g_strcmp0 (what, "data") == 0)
    update (self);
  else if (g_strcmp0 (what, "params") == 0)
    update_full (self, FALSE);
}

static void
on_preset_changed (TlModelPage *self)
{
  g_autoptr (GError) error = NULL;
  guint selected = adw_combo_row_get_selected (self->preset_row);
  TlPreset preset;

  if (self->updating || self->document == NULL || selected == GTK_INVALID_LIST_POSITION)
    return;
  if (selected >= self->n_offered)
    {
      /* The preset's layers become the starting point of an explicit list. */
      if (!tl_document_has_layers (self->document))
        store_layers (self);
      update (self);
      return;
    }
  preset = self->offered[selected];
  if (preset == tl_document_get_preset (self->document) && !tl_document_has_layers (self->document))
    return;
  g_clear_pointer (&tl_document_get_experiment (self->document)->pretrained_model, g_free);
  if (!tl_document_set_preset (self->document, preset, &error))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", error->message);
      update (self);
    }
}

static void
on_param_changed (TlModelPage *self)
{
  TlTrainSpec *spec;

  if (self->updating || self->document == NULL)
    return;
  spec = &tl_document_get_experiment (self->document)->pretrain;
  spec->epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  spec->optimizer.learning_rate = (float) gtk_spin_button_get_value (self->lr_spin);
  tl_document_changed (self->document, "params");
}

void
tl_model_page_open_model (TlModelPage *self, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  TlModel *model;

  g_return_if_fail (TL_IS_MODEL_PAGE (self));

  model = tl_model_file_load (path, &info, &error);
  if (model == NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-error", "s", error->message);
      return;
    }
  tl_document_set_source_model (self->document, model, TRUE, path);
}

static void
open_response (GtkNativeDialog *dialog, int response, TlModelPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        tl_model_page_open_model (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_open_model (TlModelPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Open a Pretrained Model"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Models (safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

GtkWidget *
tl_model_page_get_layer_editor (TlModelPage *self)
{
  g_return_val_if_fail (TL_IS_MODEL_PAGE (self), NULL);
  return GTK_WIDGET (self->layer_editor);
}

void
tl_model_page_set_document (TlModelPage *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_MODEL_PAGE (self));

  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  update (self);
}

static void
tl_model_page_dispose (GObject *object)
{
  TlModelPage *self = TL_MODEL_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_MODEL_PAGE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->document);
  G_OBJECT_CLASS (tl_model_page_parent_class)->dispose (object);
}

static void
tl_model_page_class_init (TlModelPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_model_page_dispose;
  g_type_ensure (TL_TYPE_LAYER_EDITOR);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-model-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TlModelPage, preset_row);
  gtk_widget_class_bind_template_child (widget_class, TlModelPage, pretrained_row);
  gtk_widget_class_bind_template_child (widget_class, TlModelPage, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, TlModelPage, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, TlModelPage, params_label);
  gtk_widget_class_bind_template_child (widget_class, TlModelPage, table_stack);
  gtk_widget_class_bind_template_child (widget_class, TlModelPage, layer_editor);
  gtk_widget_class_bind_template_callback (widget_class, on_open_model);
}

static void
tl_model_page_init (TlModelPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->n_offered = G_MAXUINT;
  g_signal_connect_swapped (self->layer_editor, "changed", G_CALLBACK (on_editor_changed), self);
  g_signal_connect_swapped (self->preset_row, "notify::selected", G_CALLBACK (on_preset_changed), self);
  g_signal_connect_swapped (self->epochs_spin, "value-changed", G_CALLBACK (on_param_changed), self);
  g_signal_connect_swapped (self->lr_spin, "value-changed", G_CALLBACK (on_param_changed), self);
}
