#define G_LOG_DOMAIN "tl-layer-editor"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "tl-architecture.h"
#include "tl-error.h"
#include "tl-layer-editor.h"
#include "tl-model.h"
#include "tl-ui-util.h"

/* A layer whose weights alone would exceed this is refused before it is allocated. */
#define MAX_PARAMS ((guint64) 200000000)

typedef struct {
  TlLayerSpec spec;
  char       *name;
  char       *text;         /* the row's subtitle */
  char       *auto_name;    /* the name given when name is NULL */
} Entry;

struct _TlLayerEditor
{
  GtkWidget    parent_instance;

  GArray      *entries;     /* Entry */
  int          in_ndim;
  int          in_shape[TL_MAX_DIMS];
  int          n_classes;
  int          vocab_size;
  int          head;        /* index of the last Dense, or -1 */
  int          error_index;
  char        *error;
  gboolean     building;

  GtkListBox  *list;
  GPtrArray   *rows;        /* the list's row of each entry */
  GtkWidget   *error_box;
  GtkLabel    *error_label;
  GtkLabel    *empty_label;
  GtkDropDown *kind_dropdown;
};

G_DEFINE_FINAL_TYPE (TlLayerEditor, tl_layer_editor, GTK_TYPE_WIDGET)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The kinds offered, in the order of the drop-down. */
static const TlLayerKind offered[] = {
  TL_LAYER_DENSE, TL_LAYER_RELU, TL_LAYER_TANH, TL_LAYER_SIGMOID, TL_LAYER_DROPOUT, TL_LAYER_FLATTEN,
  TL_LAYER_CONV2D, TL_LAYER_MAXPOOL2D, TL_LAYER_EMBEDDING, TL_LAYER_LSTM, TL_LAYER_GRU,
  TL_LAYER_GLOBAL_AVG_POOL1D, TL_LAYER_GLOBAL_MAX_POOL1D, TL_LAYER_SOFTMAX,
  TL_LAYER_BATCHNORM2D, TL_LAYER_BATCHNORM1D, TL_LAYER_RELU6, TL_LAYER_CLIP, TL_LAYER_HARDSWISH,
  TL_LAYER_AVGPOOL2D, TL_LAYER_GLOBAL_AVG_POOL2D, TL_LAYER_HARDSIGMOID,
};

static const char *
kind_title (TlLayerKind kind)
{
  switch (kind)
    {
    case TL_LAYER_DENSE: return _("Dense");
    case TL_LAYER_RELU: return _("ReLU");
    case TL_LAYER_TANH: return _("Tanh");
    case TL_LAYER_SIGMOID: return _("Sigmoid");
    case TL_LAYER_SOFTMAX: return _("Softmax");
    case TL_LAYER_DROPOUT: return _("Dropout");
    case TL_LAYER_FLATTEN: return _("Flatten");
    case TL_LAYER_CONV2D: return _("Convolution (2D)");
    case TL_LAYER_MAXPOOL2D: return _("Max pooling (2D)");
    case TL_LAYER_EMBEDDING: return _("Embedding");
    case TL_LAYER_LSTM: return _("LSTM");
    case TL_LAYER_GRU: return _("GRU");
    case TL_LAYER_GLOBAL_AVG_POOL1D: return _("Global average pooling");
    case TL_LAYER_GLOBAL_MAX_POOL1D: return _("Global max pooling");
    case TL_LAYER_BATCHNORM2D: return _("Batch normalization (2D)");
    case TL_LAYER_BATCHNORM1D: return _("Batch normalization (1D)");
    case TL_LAYER_RELU6: return _("ReLU6");
    case TL_LAYER_CLIP: return _("Clip");
    case TL_LAYER_HARDSWISH: return _("Hard swish");
    case TL_LAYER_AVGPOOL2D: return _("Average pooling (2D)");
    case TL_LAYER_GLOBAL_AVG_POOL2D: return _("Global average pooling (2D)");
    case TL_LAYER_ADD: return _("Sum of branches");
    case TL_LAYER_CONCAT: return _("Concatenation of branches");
    case TL_LAYER_HARDSIGMOID: return _("Hard sigmoid");
    case TL_LAYER_MUL: return _("Product of branches");
    case TL_N_LAYER_KINDS:
    default: return "?";
    }
}

typedef struct {
  const char *param;
  const char *title;
  const char *subtitle;
  double      lower, upper, step;
  int         digits;
} ParamInfo;

/* The parameters each kind is edited by; NULL-terminated by param. */
static const ParamInfo *
kind_params (TlLayerKind kind)
{
  static const ParamInfo dense[] = {
    { "units", N_("Units"), NULL, 1, 65536, 1, 0 }, { NULL } };
  static const ParamInfo conv[] = {
    { "filters", N_("Filters"), N_("Output channels"), 1, 4096, 1, 0 },
    { "kernel", N_("Kernel"), N_("Side of the square window"), 1, 15, 1, 0 },
    { "stride", N_("Stride"), NULL, 1, 8, 1, 0 },
    { "padding", N_("Padding"), N_("Zeros added on each side"), 0, 8, 1, 0 },
    { "groups", N_("Groups"), N_("Channel groups; the input channels for a depthwise convolution"), 1, 4096, 1, 0 },
    { NULL } };
  static const ParamInfo avgpool[] = {
    { "kernel", N_("Window"), N_("Side of the square window"), 1, 8, 1, 0 },
    { "stride", N_("Stride"), N_("0: the window's side"), 0, 8, 1, 0 },
    { "padding", N_("Padding"), N_("Zeros added on each side, counted in the average"), 0, 4, 1, 0 }, { NULL } };
  static const ParamInfo clip[] = {
    { "min", N_("Minimum"), NULL, -1000, 1000, 0.5, 2 },
    { "max", N_("Maximum"), NULL, -1000, 1000, 0.5, 2 }, { NULL } };
  static const ParamInfo batchnorm[] = {
    { "frozen_updates_stats", N_("Update Statistics When Frozen"),
      N_("A frozen layer still normalizes with each batch and updates its running statistics"), 0, 1, 1, 0 },
    { NULL } };
  static const ParamInfo pool[] = {
    { "kernel", N_("Window"), N_("Side of the square window"), 1, 8, 1, 0 },
    { "stride", N_("Stride"), N_("0: the window's side"), 0, 8, 1, 0 }, { NULL } };
  static const ParamInfo dropout[] = {
    { "rate", N_("Rate"), N_("Probability of dropping a value while training"), 0, 0.95, 0.05, 2 }, { NULL } };
  static const ParamInfo embedding[] = {
    { "embed_dim", N_("Embedding Size"), NULL, 1, 4096, 1, 0 },
    { "vocab_size", N_("Vocabulary"), N_("Words, with padding and unknown; 0: the data's vocabulary"), 0, 1000000, 1, 0 },
    { NULL } };
  static const ParamInfo recurrent[] = {
    { "units", N_("Units"), N_("Size of the hidden state"), 1, 4096, 1, 0 },
    { "return_sequences", N_("Return Sequences"), N_("Every step's state instead of the last"), 0, 1, 1, 0 },
    { NULL } };

  switch (kind)
    {
    case TL_LAYER_DENSE: return dense;
    case TL_LAYER_CONV2D: return conv;
    case TL_LAYER_MAXPOOL2D: return pool;
    case TL_LAYER_AVGPOOL2D: return avgpool;
    case TL_LAYER_CLIP: return clip;
    case TL_LAYER_BATCHNORM2D:
    case TL_LAYER_BATCHNORM1D: return batchnorm;
    case TL_LAYER_DROPOUT: return dropout;
    case TL_LAYER_EMBEDDING: return embedding;
    case TL_LAYER_LSTM:
    case TL_LAYER_GRU: return recurrent;
    default: return NULL;
    }
}

static double
get_param (const TlLayerSpec *spec, const char *param)
{
  if (g_str_equal (param, "units")) return spec->units;
  if (g_str_equal (param, "filters")) return spec->filters;
  if (g_str_equal (param, "kernel")) return spec->kernel;
  if (g_str_equal (param, "stride")) return spec->stride;
  if (g_str_equal (param, "padding")) return spec->padding;
  if (g_str_equal (param, "rate")) return spec->rate;
  if (g_str_equal (param, "embed_dim")) return spec->embed_dim;
  if (g_str_equal (param, "vocab_size")) return spec->vocab_size;
  if (g_str_equal (param, "return_sequences")) return spec->return_sequences;
  if (g_str_equal (param, "groups")) return MAX (spec->groups, 1);
  if (g_str_equal (param, "min")) return spec->clip_min;
  if (g_str_equal (param, "max")) return spec->clip_max;
  if (g_str_equal (param, "frozen_updates_stats")) return spec->frozen_stats;
  g_return_val_if_reached (0);
}

static void
put_param (TlLayerSpec *spec, const char *param, double value)
{
  int v = (int) (value + (value >= 0 ? 0.5 : -0.5));

  if (g_str_equal (param, "units")) spec->units = v;
  else if (g_str_equal (param, "filters")) spec->filters = v;
  else if (g_str_equal (param, "kernel")) spec->kernel = v;
  else if (g_str_equal (param, "stride")) spec->stride = v;
  else if (g_str_equal (param, "padding")) spec->padding = v;
  else if (g_str_equal (param, "rate")) spec->rate = (float) value;
  else if (g_str_equal (param, "embed_dim")) spec->embed_dim = v;
  else if (g_str_equal (param, "vocab_size")) spec->vocab_size = v;
  else if (g_str_equal (param, "return_sequences")) spec->return_sequences = v != 0;
  else if (g_str_equal (param, "groups")) spec->groups = v > 1 ? v : 0;
  else if (g_str_equal (param, "min")) spec->clip_min = (float) value;
  else if (g_str_equal (param, "max")) spec->clip_max = (float) value;
  else if (g_str_equal (param, "frozen_updates_stats")) spec->frozen_stats = v != 0;
}

static gboolean
is_switch (const char *param)
{
  return g_str_equal (param, "return_sequences") || g_str_equal (param, "frozen_updates_stats");
}

static void
default_spec (TlLayerKind kind, TlLayerSpec *spec)
{
  memset (spec, 0, sizeof *spec);
  spec->kind = kind;
  switch (kind)
    {
    case TL_LAYER_DENSE: spec->units = 64; break;
    case TL_LAYER_CONV2D: spec->filters = 32; spec->kernel = 3; spec->stride = 1; spec->padding = 1; break;
    case TL_LAYER_MAXPOOL2D: spec->kernel = 2; break;
    case TL_LAYER_AVGPOOL2D: spec->kernel = 2; break;
    case TL_LAYER_CLIP: spec->clip_min = -1.0f; spec->clip_max = 1.0f; break;
    case TL_LAYER_DROPOUT: spec->rate = 0.25f; break;
    case TL_LAYER_EMBEDDING: spec->embed_dim = 64; break;
    case TL_LAYER_LSTM:
    case TL_LAYER_GRU: spec->units = 64; break;
    default: break;
    }
}

static Entry *
entry_at (TlLayerEditor *self, int i)
{
  return &g_array_index (self->entries, Entry, i);
}

static void
entry_clear (gpointer data)
{
  Entry *e = data;

  g_clear_pointer (&e->name, g_free);
  g_clear_pointer (&e->text, g_free);
  g_clear_pointer (&e->auto_name, g_free);
}

/* The spec as built: the head sized for the classes, an Embedding's 0 vocabulary from the data. */
static TlLayerSpec
effective_spec (TlLayerEditor *self, int i)
{
  TlLayerSpec spec = entry_at (self, i)->spec;

  if (i == self->head && self->n_classes > 0)
    spec.units = self->n_classes;
  if (spec.kind == TL_LAYER_EMBEDDING && spec.vocab_size == 0)
    spec.vocab_size = MAX (self->vocab_size, 2);
  return spec;
}

/* A name for an unnamed layer that no other layer of the stack uses. */
static char *
free_name (TlLayerEditor *self, const TlModel *model, int index)
{
  TlLayerKind kind = entry_at (self, index)->spec.kind;

  for (int k = 1;; k++)
    {
      g_autofree char *name = g_strdup_printf ("%s%d", tl_layer_kind_name (kind), k);
      gboolean used = model != NULL && tl_model_find_layer (model, name) >= 0;

      for (guint j = 0; !used && j < self->entries->len; j++)
        used = g_strcmp0 (entry_at (self, (int) j)->name, name) == 0;
      if (!used)
        return g_steal_pointer (&name);
    }
}

/* Builds the stack through the core and fills each row's text and the error. */
static void
recompute (TlLayerEditor *self)
{
  g_autoptr (TlModel) model = NULL;
  int n = (int) self->entries->len;

  g_clear_pointer (&self->error, g_free);
  self->error_index = -1;
  self->head = -1;
  for (int i = 0; i < n; i++)
    if (entry_at (self, i)->spec.kind == TL_LAYER_DENSE)
      self->head = i;
  for (int i = 0; i < n; i++)
    {
      g_clear_pointer (&entry_at (self, i)->text, g_free);
      g_clear_pointer (&entry_at (self, i)->auto_name, g_free);
    }

  if (n == 0)
    {
      self->error = g_strdup (_("The stack is empty: add layers, ending with a Dense head."));
      return;
    }
  if (self->in_ndim > 0)
    model = tl_model_new (self->in_ndim, self->in_shape, 1);
  for (int i = 0; i < n; i++)
    {
      Entry *e = entry_at (self, i);
      TlLayerSpec spec = effective_spec (self, i);
      g_autoptr (GError) error = NULL;
      const TlLayer *prev, *layer;
      g_autofree char *shape = NULL, *params = NULL;

      if (model == NULL)
        {
          e->text = g_strdup (e->name != NULL ? e->name : _("Shapes are shown once there is data"));
          continue;
        }
      prev = i > 0 ? tl_model_layer (model, i - 1) : NULL;
      if (tl_architecture_layer_params (&spec, prev ? prev->out_ndim : self->in_ndim,
                                        prev ? prev->out_shape : self->in_shape) > MAX_PARAMS)
        {
          g_autofree char *limit = tl_format_thousands (MAX_PARAMS);
          g_set_error (&error, TL_ERROR, TL_ERROR_TOO_LARGE, _("this layer would have more than %s parameters"),
                       limit);
        }
      if (e->name == NULL)
        e->auto_name = free_name (self, model, i);
      if (error != NULL || !tl_model_add (model, &spec, e->name != NULL ? e->name : e->auto_name, &error))
        {
          self->error_index = i;
          self->error = g_strdup_printf (_("Layer %d (%s): %s"), i + 1, kind_title (spec.kind), error->message);
          e->text = g_strdup (error->message);
          for (int j = i + 1; j < n; j++)
            entry_at (self, j)->text = g_strdup (_("Not built: a layer above cannot be built"));
          return;
        }
      layer = tl_model_layer (model, i);
      shape = tl_tensor_shape_string (layer->out_ndim, layer->out_shape);
      params = tl_format_thousands ((guint64) tl_architecture_layer_params (&spec, layer->in_ndim, layer->in_shape));
      e->text = g_strdup_printf (_("%s · output %s · %s parameters"), layer->name, shape, params);
    }
  if (self->head < 0)
    {
      self->error_index = n - 1;
      self->error = g_strdup (_("The stack needs a Dense layer as its head, sized for the classes."));
    }
  else if (model != NULL && self->head < n - 1)
    for (int i = self->head + 1; i < n; i++)
      {
        TlLayerKind k = entry_at (self, i)->spec.kind;
        if (k != TL_LAYER_SOFTMAX && k != TL_LAYER_SIGMOID && k != TL_LAYER_TANH && k != TL_LAYER_RELU
            && k != TL_LAYER_DROPOUT)
          {
            self->error_index = i;
            self->error = g_strdup_printf (_("Layer %d (%s): only an activation may follow the Dense head"),
                                           i + 1, kind_title (k));
            break;
          }
      }
}

static void
update_texts (TlLayerEditor *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);
      Entry *e = entry_at (self, (int) i);
      TlLayerSpec spec = effective_spec (self, (int) i);
      g_autofree char *describe = tl_layer_spec_describe (&spec);
      g_autofree char *title = NULL;
      const char *text = e->text != NULL ? e->text : "";

      if ((int) i == self->head)
        title = g_strdup_printf (_("%d. %s — head"), i + 1, describe);
      else
        title = g_strdup_printf ("%d. %s", i + 1, describe);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      if (ADW_IS_EXPANDER_ROW (row))
        adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), text);
      else
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), text);
      if ((int) i == self->error_index)
        gtk_widget_add_css_class (row, "layer-error");
      else
        gtk_widget_remove_css_class (row, "layer-error");
    }
  gtk_widget_set_visible (self->error_box, self->error != NULL);
  gtk_label_set_text (self->error_label, self->error != NULL ? self->error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label), self->entries->len == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->list), self->entries->len > 0);
}

static void
edited (TlLayerEditor *self)
{
  recompute (self);
  update_texts (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_spin_changed (GtkSpinButton *spin, TlLayerEditor *self)
{
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (spin), "index"));
  const char *param = g_object_get_data (G_OBJECT (spin), "param");

  if (self->building || index >= (int) self->entries->len)
    return;
  put_param (&entry_at (self, index)->spec, param, gtk_spin_button_get_value (spin));
  edited (self);
}

static void
on_switch_changed (GtkSwitch *sw, GParamSpec *pspec, TlLayerEditor *self)
{
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (sw), "index"));
  const char *param = g_object_get_data (G_OBJECT (sw), "param");

  if (self->building || index >= (int) self->entries->len)
    return;
  put_param (&entry_at (self, index)->spec, param, gtk_switch_get_active (sw));
  edited (self);
}

static void rebuild_rows (TlLayerEditor *self, int expand);

static void
on_move_clicked (GtkButton *button, TlLayerEditor *self)
{
  tl_layer_editor_move_layer (self, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "index")),
                              GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "delta")));
}

static void
on_remove_clicked (GtkButton *button, TlLayerEditor *self)
{
  tl_layer_editor_remove_layer (self, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "index")));
}

static GtkWidget *
row_button (TlLayerEditor *self, const char *icon, const char *tooltip, int index, int delta, gboolean sensitive,
            GCallback callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_set_sensitive (button, sensitive);
  g_object_set_data (G_OBJECT (button), "index", GINT_TO_POINTER (index));
  g_object_set_data (G_OBJECT (button), "delta", GINT_TO_POINTER (delta));
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

static GtkWidget *
param_row (TlLayerEditor *self, int index, const ParamInfo *info)
{
  const TlLayerSpec *spec = &entry_at (self, index)->spec;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *control;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(info->title));
  if (info->subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(info->subtitle));
  if (is_switch (info->param))
    {
      control = gtk_switch_new ();
      gtk_switch_set_active (GTK_SWITCH (control), get_param (spec, info->param) != 0);
      g_signal_connect (control, "notify::active", G_CALLBACK (on_switch_changed), self);
    }
  else
    {
      control = gtk_spin_button_new_with_range (info->lower, info->upper, info->step);
      gtk_spin_button_set_digits (GTK_SPIN_BUTTON (control), (guint) info->digits);
      gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (control), TRUE);
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (control), get_param (spec, info->param));
      g_signal_connect (control, "value-changed", G_CALLBACK (on_spin_changed), self);
      if (index == self->head && g_str_equal (info->param, "units") && self->n_classes > 0)
        {
          /* The head's units are the classes' count; the pipeline sizes it so. */
          gtk_spin_button_set_value (GTK_SPIN_BUTTON (control), self->n_classes);
          gtk_widget_set_sensitive (control, FALSE);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("The head has one unit per class of the data"));
        }
    }
  gtk_widget_set_valign (control, GTK_ALIGN_CENTER);
  g_object_set_data (G_OBJECT (control), "index", GINT_TO_POINTER (index));
  g_object_set_data (G_OBJECT (control), "param", (gpointer) info->param);
  g_object_set_data (G_OBJECT (row), "control", control);
  g_object_set_data (G_OBJECT (row), "param", (gpointer) info->param);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), control);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), control);
  return row;
}

static void
rebuild_rows (TlLayerEditor *self, int expand)
{
  int n = (int) self->entries->len;

  self->building = TRUE;
  for (guint i = 0; i < self->rows->len; i++)
    gtk_list_box_remove (self->list, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  recompute (self);
  for (int i = 0; i < n; i++)
    {
      const ParamInfo *params = kind_params (entry_at (self, i)->spec.kind);
      GtkWidget *row, *actions;
      GtkWidget *buttons[3];

      buttons[0] = row_button (self, "go-up-symbolic", _("Move Up"), i, -1, i > 0, G_CALLBACK (on_move_clicked));
      buttons[1] = row_button (self, "go-down-symbolic", _("Move Down"), i, 1, i < n - 1,
                               G_CALLBACK (on_move_clicked));
      buttons[2] = row_button (self, "user-trash-symbolic", _("Remove"), i, 0, TRUE, G_CALLBACK (on_remove_clicked));
      actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      gtk_widget_set_valign (actions, GTK_ALIGN_CENTER);
      for (int b = 0; b < 3; b++)
        gtk_box_append (GTK_BOX (actions), buttons[b]);
      if (params != NULL)
        {
          row = adw_expander_row_new ();
          adw_expander_row_add_action (ADW_EXPANDER_ROW (row), actions);
          for (const ParamInfo *p = params; p->param != NULL; p++)
            adw_expander_row_add_row (ADW_EXPANDER_ROW (row), param_row (self, i, p));
          adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), i == expand);
        }
      else
        {
          /* Keeps the buttons in line with those of the rows that expand. */
          GtkWidget *spacer = gtk_image_new_from_icon_name ("pan-down-symbolic");

          gtk_widget_set_opacity (spacer, 0);
          gtk_widget_set_margin_start (spacer, 6);
          gtk_box_append (GTK_BOX (actions), spacer);
          row = adw_action_row_new ();
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), actions);
        }
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      g_object_set_data (G_OBJECT (row), "index", GINT_TO_POINTER (i));
      gtk_list_box_append (self->list, row);
      g_ptr_array_add (self->rows, row);
    }
  update_texts (self);
  self->building = FALSE;
}

/* Finds the control of a parameter in a layer's row. */
static GtkWidget *
find_control (TlLayerEditor *self, int index, const char *param)
{
  GtkWidget *row = g_ptr_array_index (self->rows, index);
  g_autoptr (GPtrArray) stack = g_ptr_array_new ();

  g_ptr_array_add (stack, row);
  while (stack->len > 0)
    {
      GtkWidget *w = g_ptr_array_steal_index (stack, stack->len - 1);
      const char *p = g_object_get_data (G_OBJECT (w), "param");

      if (p != NULL && g_str_equal (p, param) && ADW_IS_ACTION_ROW (w))
        return g_object_get_data (G_OBJECT (w), "control");
      for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
        g_ptr_array_add (stack, c);
    }
  return NULL;
}

void
tl_layer_editor_add_layer (TlLayerEditor *self, TlLayerKind kind)
{
  Entry e = { 0 };
  int n, at;

  g_return_if_fail (TL_IS_LAYER_EDITOR (self));
  g_return_if_fail (kind < TL_N_LAYER_KINDS);

  default_spec (kind, &e.spec);
  n = (int) self->entries->len;
  /* New layers go below the head, where layers are usually added. */
  at = n > 0 && entry_at (self, n - 1)->spec.kind == TL_LAYER_DENSE ? n - 1 : n;
  g_array_insert_val (self->entries, (guint) at, e);
  rebuild_rows (self, at);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
tl_layer_editor_remove_layer (TlLayerEditor *self, int index)
{
  g_return_if_fail (TL_IS_LAYER_EDITOR (self));
  g_return_if_fail (index >= 0 && index < (int) self->entries->len);

  g_array_remove_index (self->entries, (guint) index);
  rebuild_rows (self, -1);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
tl_layer_editor_move_layer (TlLayerEditor *self, int index, int delta)
{
  int to = index + delta;
  Entry tmp;

  g_return_if_fail (TL_IS_LAYER_EDITOR (self));
  g_return_if_fail (index >= 0 && index < (int) self->entries->len);

  if (to < 0 || to >= (int) self->entries->len || delta == 0)
    return;
  tmp = *entry_at (self, index);
  *entry_at (self, index) = *entry_at (self, to);
  *entry_at (self, to) = tmp;
  rebuild_rows (self, -1);
  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
tl_layer_editor_set_param (TlLayerEditor *self, int index, const char *param, double value)
{
  GtkWidget *control;

  g_return_val_if_fail (TL_IS_LAYER_EDITOR (self), FALSE);
  g_return_val_if_fail (index >= 0 && index < (int) self->entries->len, FALSE);
  g_return_val_if_fail (param != NULL, FALSE);

  control = find_control (self, index, param);
  if (control == NULL || !gtk_widget_get_sensitive (control))
    return FALSE;
  if (GTK_IS_SWITCH (control))
    gtk_switch_set_active (GTK_SWITCH (control), value != 0);
  else
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (control), value);
  return TRUE;
}

void
tl_layer_editor_set_input (TlLayerEditor *self, int in_ndim, const int *in_shape, int n_classes, int vocab_size)
{
  g_return_if_fail (TL_IS_LAYER_EDITOR (self));
  g_return_if_fail (in_ndim >= 0 && in_ndim <= TL_MAX_DIMS);

  self->in_ndim = in_ndim;
  memset (self->in_shape, 0, sizeof self->in_shape);
  if (in_ndim > 0)
    memcpy (self->in_shape, in_shape, sizeof (int) * (gsize) in_ndim);
  self->n_classes = n_classes;
  self->vocab_size = vocab_size;
  rebuild_rows (self, -1);
}

void
tl_layer_editor_set_layers (TlLayerEditor *self, const TlLayerSpec *specs, char *const *names, int n)
{
  g_return_if_fail (TL_IS_LAYER_EDITOR (self));
  g_return_if_fail (n == 0 || specs != NULL);

  g_array_set_size (self->entries, 0);
  for (int i = 0; i < n; i++)
    {
      Entry e = { specs[i], g_strdup (names != NULL ? names[i] : NULL), NULL, NULL };
      g_array_append_val (self->entries, e);
    }
  rebuild_rows (self, -1);
}

int
tl_layer_editor_get_n_layers (TlLayerEditor *self)
{
  g_return_val_if_fail (TL_IS_LAYER_EDITOR (self), 0);
  return (int) self->entries->len;
}

const TlLayerSpec *
tl_layer_editor_get_spec (TlLayerEditor *self, int index)
{
  g_return_val_if_fail (TL_IS_LAYER_EDITOR (self), NULL);
  g_return_val_if_fail (index >= 0 && index < (int) self->entries->len, NULL);
  return &entry_at (self, index)->spec;
}

const char *
tl_layer_editor_get_name (TlLayerEditor *self, int index)
{
  g_return_val_if_fail (TL_IS_LAYER_EDITOR (self), NULL);
  g_return_val_if_fail (index >= 0 && index < (int) self->entries->len, NULL);
  return entry_at (self, index)->name != NULL ? entry_at (self, index)->name : entry_at (self, index)->auto_name;
}

const char *
tl_layer_editor_get_error (TlLayerEditor *self)
{
  g_return_val_if_fail (TL_IS_LAYER_EDITOR (self), NULL);
  return self->error;
}

int
tl_layer_editor_get_error_index (TlLayerEditor *self)
{
  g_return_val_if_fail (TL_IS_LAYER_EDITOR (self), -1);
  return self->error_index;
}

const char *
tl_layer_editor_get_row_text (TlLayerEditor *self, int index)
{
  g_return_val_if_fail (TL_IS_LAYER_EDITOR (self), NULL);
  g_return_val_if_fail (index >= 0 && index < (int) self->entries->len, NULL);
  return entry_at (self, index)->text;
}

static void
on_add_clicked (TlLayerEditor *self)
{
  guint selected = gtk_drop_down_get_selected (self->kind_dropdown);

  if (selected < G_N_ELEMENTS (offered))
    tl_layer_editor_add_layer (self, offered[selected]);
}

static void
tl_layer_editor_dispose (GObject *object)
{
  TlLayerEditor *self = TL_LAYER_EDITOR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TL_TYPE_LAYER_EDITOR);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (tl_layer_editor_parent_class)->dispose (object);
}

static void
tl_layer_editor_finalize (GObject *object)
{
  TlLayerEditor *self = TL_LAYER_EDITOR (object);

  g_array_unref (self->entries);
  g_ptr_array_unref (self->rows);
  g_free (self->error);
  G_OBJECT_CLASS (tl_layer_editor_parent_class)->finalize (object);
}

static void
tl_layer_editor_class_init (TlLayerEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tl_layer_editor_dispose;
  object_class->finalize = tl_layer_editor_finalize;
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "layereditor");
  gtk_widget_class_set_template_from_resource (widget_class, "/org/transferlab/TransferLab/ui/tl-layer-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, TlLayerEditor, list);
  gtk_widget_class_bind_template_child (widget_class, TlLayerEditor, error_box);
  gtk_widget_class_bind_template_child (widget_class, TlLayerEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, TlLayerEditor, empty_label);
  gtk_widget_class_bind_template_child (widget_class, TlLayerEditor, kind_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, on_add_clicked);
}

static void
tl_layer_editor_init (TlLayerEditor *self)
{
  g_autoptr (GtkStringList) kinds = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (self->entries, entry_clear);
  self->rows = g_ptr_array_new ();
  self->head = -1;
  self->error_index = -1;

  for (guint i = 0; i < G_N_ELEMENTS (offered); i++)
    gtk_string_list_append (kinds, kind_title (offered[i]));
  gtk_drop_down_set_model (self->kind_dropdown, G_LIST_MODEL (kinds));
  rebuild_rows (self, -1);
}

GtkWidget *
tl_layer_editor_new (void)
{
  return g_object_new (TL_TYPE_LAYER_EDITOR, NULL);
}
