#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-model-file.h"
#include "tl-pretrained-card.h"

#define N_ROWS 3
#define LABELS_SHOWN 6

struct _TlPretrainedCard {
  GtkWidget            parent_instance;
  AdwPreferencesGroup *group;
  GtkWidget           *rows[N_ROWS];
  char                *texts[N_ROWS];
  TlDocument          *document;
};

G_DEFINE_FINAL_TYPE (TlPretrainedCard, tl_pretrained_card, GTK_TYPE_WIDGET)

static const char *
string_member (JsonNode *node, const char *name)
{
  JsonNode *m;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  m = json_object_get_member (json_node_get_object (node), name);
  return m != NULL && JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_STRING
         ? json_node_get_string (m) : NULL;
}

/* "Imported from resnet18.onnx (ONNX opset 17)", "Run “transfer” of the experiment “sentiment”, trained on
 * kitchen.csv", ... */
static char *
describe_origin (JsonNode *provenance)
{
  const char *imported = string_member (provenance, "imported_from");
  const char *arch = string_member (provenance, "torchvision_arch");
  const char *experiment = string_member (provenance, "experiment");
  const char *run = string_member (provenance, "run");
  const char *data = string_member (provenance, "data");

  if (imported != NULL && arch != NULL)
    return g_strdup_printf (_("Imported from the PyTorch state dict %s (torchvision %s)"), imported, arch);
  if (imported != NULL)
    {
      JsonObject *o = json_node_get_object (provenance);
      gint64 opset = json_object_get_int_member_with_default (o, "onnx_opset", 0);

      return opset > 0 ? g_strdup_printf (_("Imported from %s (ONNX opset %d)"), imported, (int) opset)
                       : g_strdup_printf (_("Imported from %s"), imported);
    }
  if (experiment != NULL && run != NULL && data != NULL)
    return g_strdup_printf (_("Run “%s” of the experiment “%s”, trained on %s"), run, experiment, data);
  if (experiment != NULL && run != NULL)
    return g_strdup_printf (_("Run “%s” of the experiment “%s”"), run, experiment);
  return g_strdup (_("The file does not say"));
}

static void
append_numbers (GString *text, JsonObject *o, const char *name)
{
  JsonArray *values = json_object_has_member (o, name) ? json_object_get_array_member (o, name) : NULL;

  for (guint i = 0; values != NULL && i < json_array_get_length (values); i++)
    g_string_append_printf (text, "%s%.4g", i > 0 ? ", " : "", json_array_get_double_element (values, i));
}

/* "1 × 28 × 28, normalised by mean 0.286 and standard deviation 0.353" */
static char *
describe_input (const TlModel *model, JsonNode *preprocessing)
{
  g_autoptr (GString) shape = g_string_new (NULL);
  JsonObject *o;

  for (int d = 0; d < model->in_ndim; d++)
    g_string_append_printf (shape, "%s%d", d > 0 ? " × " : "", model->in_shape[d]);
  if (preprocessing == NULL || !JSON_NODE_HOLDS_OBJECT (preprocessing))
    return g_strdup_printf (_("%s, no preprocessing recorded"), shape->str);
  o = json_node_get_object (preprocessing);
  if (json_object_has_member (o, "mean") && json_object_has_member (o, "std"))
    {
      g_autoptr (GString) mean = g_string_new (NULL);
      g_autoptr (GString) std = g_string_new (NULL);

      append_numbers (mean, o, "mean");
      append_numbers (std, o, "std");
      return g_strdup_printf (_("%s, normalised by mean %s and standard deviation %s"), shape->str, mean->str,
                              std->str);
    }
  return g_string_free (g_steal_pointer (&shape), FALSE);
}

static char *
describe_labels (char **labels)
{
  g_autoptr (GString) text = g_string_new (NULL);
  guint n = labels != NULL ? g_strv_length (labels) : 0;

  for (guint i = 0; i < MIN (n, LABELS_SHOWN); i++)
    g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", labels[i]);
  if (n > LABELS_SHOWN)
    g_string_append (text, ", …");
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u class: %s", "%u classes: %s", n), n, text->str);
}

static void
set_row (TlPretrainedCard *self, int row, char *text)
{
  g_free (self->texts[row]);
  self->texts[row] = text;
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->rows[row]), text);
}

static void
update (TlPretrainedCard *self)
{
  TlExperiment *exp = tl_document_get_experiment (self->document);
  TlModel *model = tl_document_get_source_model (self->document);
  g_autofree char *path = NULL, *base = NULL, *title = NULL;
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (GError) error = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self), exp->pretrained_model != NULL && model != NULL);
  if (exp->pretrained_model == NULL || model == NULL)
    return;
  path = tl_experiment_resolve_path (exp, exp->pretrained_model);
  base = g_path_get_basename (path);
  title = g_strdup_printf (_("Pretrained Model: %s"), base);
  adw_preferences_group_set_title (self->group, title);
  adw_preferences_group_set_description (self->group, path);
  info = tl_model_file_read_header (path, &error);
  if (info == NULL)
    {
      set_row (self, 0, g_strdup (error->message));
      set_row (self, 1, describe_input (model, NULL));
      set_row (self, 2, g_strdup (""));
      return;
    }
  set_row (self, 0, describe_origin (info->provenance));
  set_row (self, 1, describe_input (model, info->preprocessing));
  set_row (self, 2, describe_labels (info->labels));
}

static void
on_document_changed (TlPretrainedCard *self, const char *what)
{
  if (g_strcmp0 (what, "model") == 0 || g_strcmp0 (what, "file") == 0)
    update (self);
}

void
tl_pretrained_card_set_document (TlPretrainedCard *self, TlDocument *document)
{
  g_return_if_fail (TL_IS_PRETRAINED_CARD (self));
  g_set_object (&self->document, document);
  g_signal_connect_object (document, "changed", G_CALLBACK (on_document_changed), self, G_CONNECT_SWAPPED);
  update (self);
}

const char *
tl_pretrained_card_get_text (TlPretrainedCard *self, int row)
{
  g_return_val_if_fail (TL_IS_PRETRAINED_CARD (self), NULL);
  g_return_val_if_fail (row >= 0 && row < N_ROWS, NULL);
  return self->texts[row];
}

static void
tl_pretrained_card_dispose (GObject *object)
{
  TlPretrainedCard *self = TL_PRETRAINED_CARD (object);

  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->document);
  for (int i = 0; i < N_ROWS; i++)
    g_clear_pointer (&self->texts[i], g_free);
  G_OBJECT_CLASS (tl_pretrained_card_parent_class)->dispose (object);
}

static void
tl_pretrained_card_class_init (TlPretrainedCardClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_pretrained_card_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
tl_pretrained_card_init (TlPretrainedCard *self)
{
  const char *titles[N_ROWS] = { N_("Origin"), N_("Input"), N_("Labels") };

  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  gtk_widget_set_parent (GTK_WIDGET (self->group), GTK_WIDGET (self));
  for (int i = 0; i < N_ROWS; i++)
    {
      self->rows[i] = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->rows[i]), _(titles[i]));
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (self->rows[i]), 0);
      adw_preferences_group_add (self->group, self->rows[i]);
    }
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
