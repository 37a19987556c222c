#define G_LOG_DOMAIN "tl-layer-row"

#include "config.h"

#include <math.h>

#include "tl-layer-row.h"

struct _TlLayerRow
{
  GObject   parent_instance;
  TlModel  *model;    /* borrowed from the table */
  int       index;
  gboolean  trainable;
  double    lr_mult;
  gboolean  is_cut;
  double    logme;
  double    a_distance;
  gboolean  recommended;
};

G_DEFINE_FINAL_TYPE (TlLayerRow, tl_layer_row, G_TYPE_OBJECT)

enum { PROP_0, PROP_TRAINABLE, PROP_LR_MULT, N_PROPS };
static GParamSpec *props[N_PROPS];

static void
tl_layer_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TlLayerRow *self = TL_LAYER_ROW (object);

  switch (prop_id)
    {
    case PROP_TRAINABLE: g_value_set_boolean (value, self->trainable); break;
    case PROP_LR_MULT: g_value_set_double (value, self->lr_mult); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_layer_row_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TlLayerRow *self = TL_LAYER_ROW (object);

  switch (prop_id)
    {
    case PROP_TRAINABLE: tl_layer_row_set_trainable (self, g_value_get_boolean (value)); break;
    case PROP_LR_MULT: tl_layer_row_set_lr_mult (self, g_value_get_double (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tl_layer_row_class_init (TlLayerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = tl_layer_row_get_property;
  object_class->set_property = tl_layer_row_set_property;
  props[PROP_TRAINABLE] = g_param_spec_boolean ("trainable", NULL, NULL, TRUE,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_LR_MULT] = g_param_spec_double ("lr-mult", NULL, NULL, 0.0, 100.0, 1.0,
                                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
tl_layer_row_init (TlLayerRow *self)
{
  self->trainable = TRUE;
  self->lr_mult = 1.0;
  self->logme = NAN;
  self->a_distance = NAN;
}

TlLayerRow *
tl_layer_row_new (TlModel *model, int index)
{
  TlLayerRow *self;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (index >= 0 && index < tl_model_n_layers (model), NULL);

  self = g_object_new (TL_TYPE_LAYER_ROW, NULL);
  self->model = model;
  self->index = index;
  self->trainable = tl_model_layer (model, index)->trainable;
  self->lr_mult = tl_model_layer (model, index)->lr_mult;
  return self;
}

int
tl_layer_row_get_index (TlLayerRow *self)
{
  g_return_val_if_fail (TL_IS_LAYER_ROW (self), -1);
  return self->index;
}

TlLayer *
tl_layer_row_get_layer (TlLayerRow *self)
{
  g_return_val_if_fail (TL_IS_LAYER_ROW (self), NULL);
  return tl_model_layer (self->model, self->index);
}

gboolean
tl_layer_row_has_params (TlLayerRow *self)
{
  g_return_val_if_fail (TL_IS_LAYER_ROW (self), FALSE);
  return tl_layer_row_get_layer (self)->n_params > 0;
}

gboolean
tl_layer_row_get_trainable (TlLayerRow *self)
{
  g_return_val_if_fail (TL_IS_LAYER_ROW (self), FALSE);
  return self->trainable;
}

void
tl_layer_row_set_trainable (TlLayerRow *self, gboolean trainable)
{
  g_return_if_fail (TL_IS_LAYER_ROW (self));

  trainable = !!trainable;
  if (self->trainable == trainable)
    return;
  self->trainable = trainable;
  tl_model_set_trainable (self->model, self->index, trainable);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TRAINABLE]);
}

double
tl_layer_row_get_lr_mult (TlLayerRow *self)
{
  g_return_val_if_fail (TL_IS_LAYER_ROW (self), 1.0);
  return self->lr_mult;
}

void
tl_layer_row_set_lr_mult (TlLayerRow *self, double mult)
{
  g_return_if_fail (TL_IS_LAYER_ROW (self));

  if (self->lr_mult == mult)
    return;
  self->lr_mult = mult;
  tl_model_set_lr_mult (self->model, self->index, (float) mult);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LR_MULT]);
}

void
tl_layer_row_sync (TlLayerRow *self)
{
  TlLayer *layer;

  g_return_if_fail (TL_IS_LAYER_ROW (self));

  layer = tl_layer_row_get_layer (self);
  if (self->trainable != layer->trainable)
    {
      self->trainable = layer->trainable;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TRAINABLE]);
    }
  if (self->lr_mult != layer->lr_mult)
    {
      self->lr_mult = layer->lr_mult;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LR_MULT]);
    }
}

void
tl_layer_row_set_score (TlLayerRow *self, gboolean is_cut, double logme, double a_distance, gboolean recommended)
{
  g_return_if_fail (TL_IS_LAYER_ROW (self));

  self->is_cut = is_cut;
  self->logme = is_cut ? logme : NAN;
  self->a_distance = is_cut ? a_distance : NAN;
  self->recommended = is_cut && recommended;
}

gboolean
tl_layer_row_is_cut (TlLayerRow *self)
{
  g_return_val_if_fail (TL_IS_LAYER_ROW (self), FALSE);
  return self->is_cut;
}

double
tl_layer_row_get_logme (TlLayerRow *self)
{
  g_return_val_if_fail (TL_IS_LAYER_ROW (self), NAN);
  return self->logme;
}

double
tl_layer_row_get_a_distance (TlLayerRow *self)
{
  g_return_val_if_fail (TL_IS_LAYER_ROW (self), NAN);
  return self->a_distance;
}

gboolean
tl_layer_row_is_recommended (TlLayerRow *self)
{
  g_return_val_if_fail (TL_IS_LAYER_ROW (self), FALSE);
  return self->recommended;
}
