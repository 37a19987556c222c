#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-model.h"

G_BEGIN_DECLS

/* A model's structure without its weights:
 * {"input_shape": [1, 28, 28],
 *  "layers": [{"kind": "conv2d", "name": "conv1", "filters": 32, "kernel": 3, "stride": 1,
 *              "padding": 1, "trainable": true, "lr_mult": 1.0}, ...]}
 * Each layer holds only the spec fields its kind uses. A layer of a graph model
 * also lists the layers it reads, by name ("" for the model's input):
 *   {"kind": "add", "name": "block1_add", "inputs": ["block1_bn2", "relu1"], ...} */

typedef struct {
  TlLayerSpec spec;
  char       *name;
  gboolean    trainable;
  float       lr_mult;
  char      **inputs;          /* NULL: the previous layer's output */
} TlArchLayer;

typedef struct {
  int     in_ndim;
  int     in_shape[TL_MAX_DIMS];
  GArray *layers;              /* TlArchLayer */
} TlArchitecture;

TlArchitecture *tl_architecture_new        (int in_ndim, const int *in_shape);
void            tl_architecture_free       (TlArchitecture *arch);
void            tl_architecture_add        (TlArchitecture *arch, const TlLayerSpec *spec, const char *name,
                                            gboolean trainable, float lr_mult);
TlArchitecture *tl_architecture_from_model (const TlModel *model);
JsonNode       *tl_architecture_to_json    (const TlArchitecture *arch);
/* Checks every member: kinds, known fields, integer ranges. */
TlArchitecture *tl_architecture_from_json  (JsonNode *node, GError **error);
/* Builds the model with fresh weights from seed. With max_params > 0, a layer
 * whose parameters would exceed that many in total is refused before it is allocated. */
TlModel        *tl_architecture_build      (const TlArchitecture *arch, guint64 seed, guint64 max_params,
                                            GError **error);
/* The fewest parameters a layer of this spec has on inputs of this shape
 * (saturating at G_MAXUINT64). */
guint64         tl_architecture_layer_params (const TlLayerSpec *spec, int in_ndim, const int *in_shape);

JsonNode       *tl_model_architecture_to_json (const TlModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlArchitecture, tl_architecture_free)

G_END_DECLS
