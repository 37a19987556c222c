#define G_LOG_DOMAIN "tl-layer-block"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tl-layer-block.h"
#include "tl-layer-registry.h"

struct _TlLayerBlock
{
  GObject     parent_instance;
  TlModel    *model;    /* borrowed from the table */
  GListStore *rows;     /* TlLayerRow */
  int         first, last;
  char       *title;
  gboolean    syncing;
};

G_DEFINE_FINAL_TYPE (TlLayerBlock, tl_layer_block, G_TYPE_OBJECT)

enum { PROP_0, PROP_TRAINABLE, N_PROPS };
static GParamSpec *props[N_PROPS];

static void
tl_layer_block_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_TRAINABLE: g_value_set_boolean (value, tl_layer_block_get_trainable (TL_LAYER_BLOCK (object))); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_layer_block_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_TRAINABLE: tl_layer_block_set_trainable (TL_LAYER_BLOCK (object), g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_layer_block_dispose (GObject *object)
{
  TlLayerBlock *self = TL_LAYER_BLOCK (object);

  if (self->rows != NULL)
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->rows)); i++)
      {
        g_autoptr (GObject) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
        g_signal_handlers_disconnect_by_data (row, self);
      }
  g_clear_object (&self->rows);
  g_clear_pointer (&self->title, g_free);
  G_OBJECT_CLASS (tl_layer_block_parent_class)->dispose (object);
}

static void
tl_layer_block_class_init (TlLayerBlockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = tl_layer_block_get_property;
  object_class->set_property = tl_layer_block_set_property;
  object_class->dispose = tl_layer_block_dispose;
  props[PROP_TRAINABLE] = g_param_spec_boolean ("trainable", NULL, NULL, TRUE,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
tl_layer_block_init (TlLayerBlock *self)
{
  self->rows = g_list_store_new (TL_TYPE_LAYER_ROW);
}

static void
on_row_trainable (TlLayerBlock *self)
{
  if (!self->syncing)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TRAINABLE]);
}

/* The longest common start of the names, ending before a '_' (or at a name's end). */
static char *
common_title (TlModel *model, int first, int last)
{
  const char *a = tl_model_layer (model, first)->name;
  gsize n = strlen (a);

  for (int i = first + 1; i <= last; i++)
    {
      const char *b = tl_model_layer (model, i)->name;
      gsize k = 0;

      while (k < n && a[k] == b[k])
        k++;
      /* a whole word of both, or a cut before a '_' */
      while (k > 0 && !((a[k] == '_' || a[k] == '\0') && (b[k] == '_' || b[k] == '\0')))
        k--;
      n = k;
    }
  return g_strndup (a, n);
}

static TlLayerBlock *
block_new (TlModel *model, GListModel *rows, int first, int last)
{
  TlLayerBlock *self = g_object_new (TL_TYPE_LAYER_BLOCK, NULL);

  self->model = model;
  self->first = first;
  self->last = last;
  self->title = common_title (model, first, last);
  for (int i = first; i <= last; i++)
    {
      g_autoptr (TlLayerRow) row = g_list_model_get_item (rows, (guint) i);

      g_list_store_append (self->rows, row);
      g_signal_connect_swapped (row, "notify::trainable", G_CALLBACK (on_row_trainable), self);
    }
  return self;
}

GListModel *
tl_layer_block_get_rows (TlLayerBlock *self)
{
  g_return_val_if_fail (TL_IS_LAYER_BLOCK (self), NULL);
  return G_LIST_MODEL (self->rows);
}

int
tl_layer_block_get_first (TlLayerBlock *self)
{
  g_return_val_if_fail (TL_IS_LAYER_BLOCK (self), -1);
  return self->first;
}

int
tl_layer_block_get_last (TlLayerBlock *self)
{
  g_return_val_if_fail (TL_IS_LAYER_BLOCK (self), -1);
  return self->last;
}

const char *
tl_layer_block_get_title (TlLayerBlock *self)
{
  g_return_val_if_fail (TL_IS_LAYER_BLOCK (self), NULL);
  return self->title;
}

gboolean
tl_layer_block_get_trainable (TlLayerBlock *self)
{
  g_return_val_if_fail (TL_IS_LAYER_BLOCK (self), FALSE);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->rows)); i++)
    {
      g_autoptr (TlLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);

      if (tl_layer_row_has_params (row) && !tl_layer_row_get_trainable (row))
        return FALSE;
    }
  return TRUE;
}

void
tl_layer_block_set_trainable (TlLayerBlock *self, gboolean trainable)
{
  gboolean before;

  g_return_if_fail (TL_IS_LAYER_BLOCK (self));
  before = tl_layer_block_get_trainable (self);
  self->syncing = TRUE;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->rows)); i++)
    {
      g_autoptr (TlLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);

      if (tl_layer_row_has_params (row))
        tl_layer_row_set_trainable (row, trainable);
    }
  self->syncing = FALSE;
  if (before != tl_layer_block_get_trainable (self))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TRAINABLE]);
}

/* An activation: no weights, its output the shape of its input. */
static gboolean
is_activation (const TlLayer *layer)
{
  return tl_layer_param_count (layer) == 0 && layer->n_inputs <= 1 && layer->out_ndim == layer->in_ndim
         && memcmp (layer->out_shape, layer->in_shape, sizeof (int) * layer->in_ndim) == 0;
}

static gboolean
is_join (const TlLayer *layer)
{
  return layer->spec.kind == TL_LAYER_ADD || layer->spec.kind == TL_LAYER_CONCAT || layer->spec.kind == TL_LAYER_MUL;
}

/* The length of the module a layer's name says it belongs to: its first two
 * words ("features_2" of "features_2_conv_0_0", "layer1_0" of
 * "layer1_0_conv1"), 0 for a name of fewer than three. */
static gsize
module_of (const char *name)
{
  const char *first = strchr (name, '_'), *second = first ? strchr (first + 1, '_') : NULL;

  return second != NULL && second[1] != '\0' ? (gsize) (second - name) : 0;
}

/* Layers [first, i) that stand alone: as one block when they are two or more of one module. */
static void
flush_run (GListStore *items, TlModel *model, GListModel *rows, int first, int i)
{
  if (i - first >= 2)
    {
      g_autoptr (TlLayerBlock) block = block_new (model, rows, first, i - 1);
      g_list_store_append (items, block);
      return;
    }
  for (int k = first; k < i; k++)
    {
      g_autoptr (GObject) row = g_list_model_get_item (rows, (guint) k);
      g_list_store_append (items, row);
    }
}

/* Appends layer i, standing alone, to the run of layers of one module before it. */
static void
add_alone (GListStore *items, TlModel *model, GListModel *rows, int *run, int i)
{
  const char *name = tl_model_layer (model, i)->name;
  gsize len = module_of (name);

  if (*run >= 0)
    {
      const char *other = tl_model_layer (model, *run)->name;

      if (len > 0 && module_of (other) == len && strncmp (name, other, len) == 0)
        return;
      flush_run (items, model, rows, *run, i);
    }
  *run = i;
}

GListStore *
tl_layer_blocks_group (TlModel *model, GListModel *rows)
{
  GListStore *items;
  const int n = model ? tl_model_n_layers (model) : 0;
  int start = 0, run = -1;

  g_return_val_if_fail (rows != NULL && g_list_model_get_n_items (rows) == (guint) n, NULL);
  if (model == NULL || !model->graph)
    return NULL;
  items = g_list_store_new (G_TYPE_OBJECT);
  for (int k = 1; k <= n; k++)
    {
      gboolean joins = FALSE;

      if (k < n && !tl_model_is_cut (model, k))
        continue;
      /* the segment [start, k) between two cuts */
      for (int i = start; i < k; i++)
        joins = joins || is_join (tl_model_layer (model, i));
      if (k - start > 1 && joins)
        {
          g_autoptr (TlLayerBlock) block = NULL;
          int end = k;

          /* an activation of the join (the ReLU after a residual Add) */
          if (end < n && is_join (tl_model_layer (model, end - 1)) && tl_model_n_inputs_of (model, end) == 1
              && tl_model_input_of (model, end, 0) == end - 1 && is_activation (tl_model_layer (model, end))
              && (end + 1 == n || tl_model_is_cut (model, end + 1)))
            end++;
          if (run >= 0)
            flush_run (items, model, rows, run, start);
          run = -1;
          block = block_new (model, rows, start, end - 1);
          g_list_store_append (items, block);
          start = end;
          k = end;
          continue;
        }
      for (int i = start; i < k; i++)
        add_alone (items, model, rows, &run, i);
      start = k;
    }
  if (run >= 0)
    flush_run (items, model, rows, run, n);
  return items;
}

char *
tl_layer_item_title (GObject *item)
{
  if (TL_IS_LAYER_BLOCK (item))
    {
      TlLayerBlock *b = TL_LAYER_BLOCK (item);
      return g_strdup_printf ("%d–%d  %s", b->first, b->last, *b->title ? b->title : _("block"));
    }
  return g_strdup_printf ("%d  %s", tl_layer_row_get_index (TL_LAYER_ROW (item)),
                          tl_layer_row_get_layer (TL_LAYER_ROW (item))->name);
}

char *
tl_layer_item_describe (GObject *item)
{
  if (TL_IS_LAYER_BLOCK (item))
    {
      TlLayerBlock *b = TL_LAYER_BLOCK (item);
      g_autoptr (GString) joins = g_string_new (NULL);

      for (int i = b->first; i <= b->last; i++)
        if (is_join (tl_model_layer (b->model, i)))
          {
            g_autofree char *what = tl_layer_spec_describe (&tl_model_layer (b->model, i)->spec);
            if (strstr (joins->str, what) == NULL)
              g_string_append_printf (joins, "%s%s", joins->len ? ", " : "", what);
          }
      if (joins->len == 0)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Block of %d layer", "Block of %d layers",
                                             b->last - b->first + 1), b->last - b->first + 1);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Block of %d layer, joined by %s",
                                           "Block of %d layers, joined by %s", b->last - b->first + 1),
                              b->last - b->first + 1, joins->str);
    }
  return tl_layer_spec_describe (&tl_layer_row_get_layer (TL_LAYER_ROW (item))->spec);
}

char *
tl_layer_item_shape (GObject *item)
{
  const TlLayer *layer = TL_IS_LAYER_BLOCK (item)
                           ? tl_model_layer (TL_LAYER_BLOCK (item)->model, TL_LAYER_BLOCK (item)->last)
                           : tl_layer_row_get_layer (TL_LAYER_ROW (item));

  return tl_tensor_shape_string (layer->out_ndim, layer->out_shape);
}

gsize
tl_layer_item_param_count (GObject *item)
{
  gsize n = 0;

  if (!TL_IS_LAYER_BLOCK (item))
    return tl_layer_param_count (tl_layer_row_get_layer (TL_LAYER_ROW (item)));
  for (int i = TL_LAYER_BLOCK (item)->first; i <= TL_LAYER_BLOCK (item)->last; i++)
    n += tl_layer_param_count (tl_model_layer (TL_LAYER_BLOCK (item)->model, i));
  return n;
}

int
tl_layer_item_last_index (GObject *item)
{
  return TL_IS_LAYER_BLOCK (item) ? TL_LAYER_BLOCK (item)->last : tl_layer_row_get_index (TL_LAYER_ROW (item));
}

GListModel *
tl_layer_block_children (gpointer item, gpointer data)
{
  return TL_IS_LAYER_BLOCK (item) ? g_object_ref (G_LIST_MODEL (TL_LAYER_BLOCK (item)->rows)) : NULL;
}
