#define G_LOG_DOMAIN "tl-architecture"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-architecture.h"
#include "tl-error.h"

/* Larger sizes are refused: they cannot be a real model and would overflow int arithmetic. */
#define MAX_DIM (1 << 24)

enum {
  F_UNITS = 1 << 0,
  F_FILTERS = 1 << 1,
  F_KERNEL = 1 << 2,
  F_STRIDE = 1 << 3,
  F_PADDING = 1 << 4,
  F_VOCAB = 1 << 5,
  F_EMBED = 1 << 6,
  F_RETURN_SEQ = 1 << 7,
  F_RATE = 1 << 8,
  F_GROUPS = 1 << 9,
  F_CLIP = 1 << 10,
  F_FROZEN_STATS = 1 << 11,
};

static guint
kind_fields (TlLayerKind kind)
{
  switch (kind)
    {
    case TL_LAYER_DENSE:
      return F_UNITS;
    case TL_LAYER_CONV2D:
      return F_FILTERS | F_KERNEL | F_STRIDE | F_PADDING | F_GROUPS;
    case TL_LAYER_MAXPOOL2D:
      return F_KERNEL | F_STRIDE | F_PADDING;
    case TL_LAYER_AVGPOOL2D:
      return F_KERNEL | F_STRIDE | F_PADDING;
    case TL_LAYER_BATCHNORM2D:
    case TL_LAYER_BATCHNORM1D:
      return F_FROZEN_STATS;
    case TL_LAYER_CLIP:
      return F_CLIP;
    case TL_LAYER_EMBEDDING:
    case TL_LAYER_EMBEDDING_BAG:
      return F_VOCAB | F_EMBED;
    case TL_LAYER_LSTM:
    case TL_LAYER_GRU:
      return F_UNITS | F_RETURN_SEQ;
    case TL_LAYER_DROPOUT:
    case TL_LAYER_GRADIENT_REVERSAL:
      return F_RATE;
    case TL_LAYER_RELU:
    case TL_LAYER_TANH:
    case TL_LAYER_SIGMOID:
    case TL_LAYER_SOFTMAX:
    case TL_LAYER_FLATTEN:
    case TL_LAYER_GLOBAL_AVG_POOL1D:
    case TL_LAYER_GLOBAL_MAX_POOL1D:
    case TL_LAYER_RELU6:
    case TL_LAYER_HARDSWISH:
    case TL_LAYER_GLOBAL_AVG_POOL2D:
    case TL_LAYER_ADD:
    case TL_LAYER_CONCAT:
    case TL_LAYER_HARDSIGMOID:
    case TL_LAYER_MUL:
    case TL_N_LAYER_KINDS:
    default:
      return 0;
    }
}

static void
arch_layer_clear (gpointer data)
{
  TlArchLayer *l = data;

  g_free (l->name);
  g_strfreev (l->inputs);
}

TlArchitecture *
tl_architecture_new (int in_ndim, const int *in_shape)
{
  TlArchitecture *arch;

  g_return_val_if_fail (in_ndim >= 1 && in_ndim < TL_MAX_DIMS && in_shape != NULL, NULL);

  arch = g_new0 (TlArchitecture, 1);
  arch->in_ndim = in_ndim;
  memcpy (arch->in_shape, in_shape, sizeof (int) * in_ndim);
  arch->layers = g_array_new (FALSE, TRUE, sizeof (TlArchLayer));
  g_array_set_clear_func (arch->layers, arch_layer_clear);
  return arch;
}

void
tl_architecture_free (TlArchitecture *arch)
{
  if (arch == NULL)
    return;
  g_array_unref (arch->layers);
  g_free (arch);
}

void
tl_architecture_add (TlArchitecture *arch, const TlLayerSpec *spec, const char *name,
                     gboolean trainable, float lr_mult)
{
  TlArchLayer l = { *spec, g_strdup (name), trainable, lr_mult, NULL };

  g_return_if_fail (arch != NULL && spec != NULL);
  g_array_append_val (arch->layers, l);
}

TlArchitecture *
tl_architecture_from_model (const TlModel *model)
{
  TlArchitecture *arch;

  g_return_val_if_fail (model != NULL, NULL);

  arch = tl_architecture_new (model->in_ndim, model->in_shape);
  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      const TlLayer *layer = tl_model_layer (model, i);

      tl_architecture_add (arch, &layer->spec, layer->name, layer->trainable, layer->lr_mult);
      if (layer->n_inputs > 0)
        {
          char **names = g_new0 (char *, layer->n_inputs + 1);

          for (int k = 0; k < layer->n_inputs; k++)
            names[k] = g_strdup (layer->inputs[k] < 0 ? "" : tl_model_layer (model, layer->inputs[k])->name);
          g_array_index (arch->layers, TlArchLayer, arch->layers->len - 1).inputs = names;
        }
    }
  return arch;
}

static void
add_int (JsonBuilder *b, const char *name, int v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

JsonNode *
tl_architecture_to_json (const TlArchitecture *arch)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (arch != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "input_shape");
  json_builder_begin_array (b);
  for (int d = 0; d < arch->in_ndim; d++)
    json_builder_add_int_value (b, arch->in_shape[d]);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint i = 0; i < arch->layers->len; i++)
    {
      const TlArchLayer *l = &g_array_index (arch->layers, TlArchLayer, i);
      const TlLayerSpec *s = &l->spec;
      guint f = kind_fields (s->kind);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, tl_layer_kind_name (s->kind));
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, l->name);
      if (f & F_UNITS)
        add_int (b, "units", s->units);
      if (f & F_FILTERS)
        add_int (b, "filters", s->filters);
      if (f & F_KERNEL)
        add_int (b, "kernel", s->kernel);
      if (f & F_STRIDE)
        add_int (b, "stride", s->stride);
      /* a max-pool's padding is written only when there is one, as in files from before it had any */
      if ((f & F_PADDING) && (s->kind != TL_LAYER_MAXPOOL2D || s->padding > 0))
        add_int (b, "padding", s->padding);
      if ((f & F_GROUPS) && s->groups > 1)
        add_int (b, "groups", s->groups);
      if (f & F_CLIP)
        {
          json_builder_set_member_name (b, "min");
          json_builder_add_double_value (b, s->clip_min);
          json_builder_set_member_name (b, "max");
          json_builder_add_double_value (b, s->clip_max);
        }
      if ((f & F_FROZEN_STATS) && s->frozen_stats)
        {
          json_builder_set_member_name (b, "frozen_updates_stats");
          json_builder_add_boolean_value (b, TRUE);
        }
      if (f & F_VOCAB)
        add_int (b, "vocab_size", s->vocab_size);
      if (f & F_EMBED)
        add_int (b, "embed_dim", s->embed_dim);
      if (f & F_RETURN_SEQ)
        {
          json_builder_set_member_name (b, "return_sequences");
          json_builder_add_boolean_value (b, s->return_sequences);
        }
      if (f & F_RATE)
        {
          json_builder_set_member_name (b, "rate");
          json_builder_add_double_value (b, s->rate);
        }
      if (l->inputs)
        {
          json_builder_set_member_name (b, "inputs");
          json_builder_begin_array (b);
          for (char **in = l->inputs; *in; in++)
            json_builder_add_string_value (b, *in);
          json_builder_end_array (b);
        }
      json_builder_set_member_name (b, "trainable");
      json_builder_add_boolean_value (b, l->trainable);
      json_builder_set_member_name (b, "lr_mult");
      json_builder_add_double_value (b, l->lr_mult);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
tl_model_architecture_to_json (const TlModel *model)
{
  g_autoptr (TlArchitecture) arch = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  arch = tl_architecture_from_model (model);
  return tl_architecture_to_json (arch);
}

static gboolean
arch_error (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
arch_error (GError **error, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "Architecture: %s", msg);
  return FALSE;
}

static gboolean
get_int (JsonNode *n, int lo, int hi, int *out)
{
  gint64 v;

  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (n);
  if (v < lo || v > hi)
    return FALSE;
  *out = (int) v;
  return TRUE;
}

static gboolean
get_number (JsonNode *n, double *out)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  t = json_node_get_value_type (n);
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return FALSE;
  *out = json_node_get_double (n);
  return isfinite (*out);
}

static gboolean
get_bool (JsonNode *n, gboolean *out)
{
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return FALSE;
  *out = json_node_get_boolean (n);
  return TRUE;
}

static gboolean
parse_layer (JsonNode *node, guint index, TlArchLayer *out, GError **error)
{
  static const struct {
    const char *name;
    guint flag;
    gsize offset;
  } int_fields[] = {
    { "units", F_UNITS, G_STRUCT_OFFSET (TlLayerSpec, units) },
    { "filters", F_FILTERS, G_STRUCT_OFFSET (TlLayerSpec, filters) },
    { "kernel", F_KERNEL, G_STRUCT_OFFSET (TlLayerSpec, kernel) },
    { "stride", F_STRIDE, G_STRUCT_OFFSET (TlLayerSpec, stride) },
    { "padding", F_PADDING, G_STRUCT_OFFSET (TlLayerSpec, padding) },
    { "groups", F_GROUPS, G_STRUCT_OFFSET (TlLayerSpec, groups) },
    { "vocab_size", F_VOCAB, G_STRUCT_OFFSET (TlLayerSpec, vocab_size) },
    { "embed_dim", F_EMBED, G_STRUCT_OFFSET (TlLayerSpec, embed_dim) },
  };
  g_autoptr (GList) members = NULL;
  JsonObject *obj;
  JsonNode *m;
  const char *kind_name;
  guint fields;

  memset (out, 0, sizeof *out);
  out->trainable = TRUE;
  out->lr_mult = 1.0f;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return arch_error (error, "layer %u is not a JSON object", index);
  obj = json_node_get_object (node);

  m = json_object_get_member (obj, "kind");
  if (m == NULL || !JSON_NODE_HOLDS_VALUE (m) || json_node_get_value_type (m) != G_TYPE_STRING)
    return arch_error (error, "layer %u has no “kind” string", index);
  kind_name = json_node_get_string (m);
  if (!tl_layer_kind_from_name (kind_name, &out->spec.kind))
    return arch_error (error, "layer %u has the unknown kind “%s”", index, kind_name);
  m = json_object_get_member (obj, "name");
  if (m == NULL || !JSON_NODE_HOLDS_VALUE (m) || json_node_get_value_type (m) != G_TYPE_STRING ||
      *json_node_get_string (m) == '\0' || strchr (json_node_get_string (m), '.') != NULL)
    return arch_error (error, "layer %u needs a “name”: a non-empty string without “.”", index);
  out->name = g_strdup (json_node_get_string (m));

  fields = kind_fields (out->spec.kind);
  members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      const char *key = l->data;
      gboolean known = FALSE;
      double d;

      m = json_object_get_member (obj, key);
      if (g_str_equal (key, "kind") || g_str_equal (key, "name"))
        continue;
      for (guint f = 0; f < G_N_ELEMENTS (int_fields); f++)
        if (g_str_equal (key, int_fields[f].name) && (fields & int_fields[f].flag))
          {
            if (!get_int (m, 0, MAX_DIM, G_STRUCT_MEMBER_P (&out->spec, int_fields[f].offset)))
              return arch_error (error, "layer %u (“%s”): “%s” must be an integer from 0 to %d",
                                 index, out->name, key, MAX_DIM);
            known = TRUE;
          }
      if (known)
        continue;
      if (g_str_equal (key, "return_sequences") && (fields & F_RETURN_SEQ))
        {
          if (!get_bool (m, &out->spec.return_sequences))
            return arch_error (error, "layer %u (“%s”): “return_sequences” must be true or false",
                               index, out->name);
        }
      else if (g_str_equal (key, "rate") && (fields & F_RATE))
        {
          if (!get_number (m, &d) || d < 0 || d >= 1)
            return arch_error (error, "layer %u (“%s”): “rate” must be a number in [0, 1)", index,
                               out->name);
          out->spec.rate = (float) d;
        }
      else if ((g_str_equal (key, "min") || g_str_equal (key, "max")) && (fields & F_CLIP))
        {
          if (!get_number (m, &d) || fabs (d) > 1e30)
            return arch_error (error, "layer %u (“%s”): “%s” must be a number", index, out->name, key);
          if (key[1] == 'i')
            out->spec.clip_min = (float) d;
          else
            out->spec.clip_max = (float) d;
        }
      else if (g_str_equal (key, "frozen_updates_stats") && (fields & F_FROZEN_STATS))
        {
          if (!get_bool (m, &out->spec.frozen_stats))
            return arch_error (error, "layer %u (“%s”): “frozen_updates_stats” must be true or false",
                               index, out->name);
        }
      else if (g_str_equal (key, "inputs"))
        {
          JsonArray *arr = JSON_NODE_HOLDS_ARRAY (m) ? json_node_get_array (m) : NULL;
          guint n = arr ? json_array_get_length (arr) : 0;

          if (arr == NULL || n < 1 || n > TL_LAYER_MAX_INPUTS)
            return arch_error (error, "layer %u (“%s”): “inputs” must be an array of 1 to %d layer names",
                               index, out->name, TL_LAYER_MAX_INPUTS);
          g_strfreev (out->inputs);
          out->inputs = g_new0 (char *, n + 1);
          for (guint k = 0; k < n; k++)
            {
              JsonNode *e = json_array_get_element (arr, k);

              if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
                return arch_error (error, "layer %u (“%s”): input %u is not a layer name", index,
                                   out->name, k + 1);
              out->inputs[k] = g_strdup (json_node_get_string (e));
            }
        }
      else if (g_str_equal (key, "trainable"))
        {
          if (!get_bool (m, &out->trainable))
            return arch_error (error, "layer %u (“%s”): “trainable” must be true or false", index,
                               out->name);
        }
      else if (g_str_equal (key, "lr_mult"))
        {
          if (!get_number (m, &d) || d < 0 || d > 1e6)
            return arch_error (error, "layer %u (“%s”): “lr_mult” must be a number from 0 to 1e6",
                               index, out->name);
          out->lr_mult = (float) d;
        }
      else
        return arch_error (error, "layer %u (“%s”, %s) has the unknown field “%s”", index, out->name,
                           tl_layer_kind_name (out->spec.kind), key);
    }
  return TRUE;
}

TlArchitecture *
tl_architecture_from_json (JsonNode *node, GError **error)
{
  g_autoptr (TlArchitecture) arch = NULL;
  JsonObject *obj;
  JsonNode *m;
  JsonArray *shape, *layers;
  int in_shape[TL_MAX_DIMS] = { 0 };
  guint ndim;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return arch_error (error, "expected a JSON object"), NULL;
  obj = json_node_get_object (node);
  m = json_object_get_member (obj, "input_shape");
  if (m == NULL || !JSON_NODE_HOLDS_ARRAY (m))
    return arch_error (error, "expected an “input_shape” array"), NULL;
  shape = json_node_get_array (m);
  ndim = json_array_get_length (shape);
  if (ndim < 1 || ndim >= TL_MAX_DIMS)
    return arch_error (error, "“input_shape” must have 1 to %d dimensions, not %u", TL_MAX_DIMS - 1,
                       ndim), NULL;
  for (guint d = 0; d < ndim; d++)
    if (!get_int (json_array_get_element (shape, d), 1, MAX_DIM, &in_shape[d]))
      return arch_error (error, "“input_shape” dimension %u must be an integer from 1 to %d", d,
                         MAX_DIM), NULL;

  m = json_object_get_member (obj, "layers");
  if (m == NULL || !JSON_NODE_HOLDS_ARRAY (m))
    return arch_error (error, "expected a “layers” array"), NULL;
  layers = json_node_get_array (m);

  arch = tl_architecture_new ((int) ndim, in_shape);
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      TlArchLayer l;

      if (!parse_layer (json_array_get_element (layers, i), i, &l, error))
        {
          g_free (l.name);
          g_strfreev (l.inputs);
          return NULL;
        }
      for (guint j = 0; j < arch->layers->len; j++)
        if (g_str_equal (g_array_index (arch->layers, TlArchLayer, j).name, l.name))
          {
            arch_error (error, "layers %u and %u are both named “%s”", j, i, l.name);
            g_free (l.name);
            g_strfreev (l.inputs);
            return NULL;
          }
      g_array_append_val (arch->layers, l);
    }
  return g_steal_pointer (&arch);
}

static guint64
mul_sat (guint64 a, guint64 b)
{
  if (a != 0 && b > G_MAXUINT64 / a)
    return G_MAXUINT64;
  return a * b;
}

static guint64
add_sat (guint64 a, guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

guint64
tl_architecture_layer_params (const TlLayerSpec *s, int in_ndim, const int *in_shape)
{
  guint64 last = in_ndim > 0 ? (guint64) MAX (in_shape[in_ndim - 1], 0) : 0;
  guint64 first = in_ndim > 0 ? (guint64) MAX (in_shape[0], 0) : 0;
  guint64 u = (guint64) MAX (s->units, 0);

  switch (s->kind)
    {
    case TL_LAYER_DENSE:
      return mul_sat (u, add_sat (last, 1));
    case TL_LAYER_CONV2D:
      if (s->groups > 1)
        first /= (guint64) s->groups;
      return mul_sat ((guint64) MAX (s->filters, 0),
                      add_sat (mul_sat (first, mul_sat ((guint64) MAX (s->kernel, 0),
                                                        (guint64) MAX (s->kernel, 0))), 1));
    case TL_LAYER_BATCHNORM2D:
    case TL_LAYER_BATCHNORM1D:
      return mul_sat (2, first);          /* scale and shift; the running statistics come on top */
    case TL_LAYER_EMBEDDING:
    case TL_LAYER_EMBEDDING_BAG:
      return mul_sat ((guint64) MAX (s->vocab_size, 0), (guint64) MAX (s->embed_dim, 0));
    case TL_LAYER_LSTM:
      return mul_sat (4 * u, add_sat (add_sat (last, u), 2));
    case TL_LAYER_GRU:
      return mul_sat (3 * u, add_sat (add_sat (last, u), 2));
    default:
      return 0;
    }
}

TlModel *
tl_architecture_build (const TlArchitecture *arch, guint64 seed, guint64 max_params, GError **error)
{
  g_autoptr (TlModel) model = NULL;
  guint64 total = 0;

  g_return_val_if_fail (arch != NULL, NULL);

  model = tl_model_new (arch->in_ndim, arch->in_shape, seed);
  for (guint i = 0; i < arch->layers->len; i++)
    {
      const TlArchLayer *l = &g_array_index (arch->layers, TlArchLayer, i);
      const int *in_shape = arch->in_shape;
      int in_ndim = arch->in_ndim;
      g_autoptr (GError) local = NULL;
      int inputs[TL_LAYER_MAX_INPUTS];
      int n_inputs = l->inputs ? (int) g_strv_length (l->inputs) : 0;

      for (int k = 0; k < n_inputs; k++)
        {
          inputs[k] = *l->inputs[k] == '\0' ? -1 : tl_model_find_layer (model, l->inputs[k]);
          if (inputs[k] == -1 && *l->inputs[k] != '\0')
            {
              g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                           "Architecture: layer %u (“%s”) reads “%s”, which is not an earlier layer",
                           i, l->name, l->inputs[k]);
              return NULL;
            }
        }
      if (n_inputs > 0 && inputs[0] >= 0)
        {
          const TlLayer *src = tl_model_layer (model, inputs[0]);
          in_ndim = src->out_ndim;
          in_shape = src->out_shape;
        }
      else if (i > 0 && n_inputs == 0)
        in_shape = tl_model_out_shape (model, &in_ndim);
      total = add_sat (total, tl_architecture_layer_params (&l->spec, in_ndim, in_shape));
      if (max_params > 0 && total > max_params)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                       "Architecture: layers up to %u (“%s”) need at least %" G_GUINT64_FORMAT
                       " parameters but there is data for %" G_GUINT64_FORMAT,
                       i, l->name, total, max_params);
          return NULL;
        }
      if (!tl_model_add_joined (model, &l->spec, l->name, n_inputs, inputs, &local))
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "Architecture: layer %u (“%s”): %s", i,
                       l->name, local->message);
          return NULL;
        }
      tl_model_set_trainable (model, (int) i, l->trainable);
      tl_model_set_lr_mult (model, (int) i, l->lr_mult);
    }
  return g_steal_pointer (&model);
}
