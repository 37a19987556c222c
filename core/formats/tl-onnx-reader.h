#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The parts of an ONNX file (a ModelProto) that an import needs: the graph's
 * nodes, its initializers (float32 and int64 tensors, inline), its inputs and
 * outputs, the default domain's opset and the metadata. Other fields are skipped. */

#define TL_ONNX_MAX_DIMS 8

typedef struct {
  char   *name;
  int     data_type;            /* 1 float32, 7 int64 */
  int     ndim;
  gint64  dims[TL_ONNX_MAX_DIMS];
  gsize   n;                    /* values: the product of dims */
  float  *floats;               /* float32 tensors */
  gint64 *ints;                 /* int64 (and int32) tensors */
} TlOnnxTensor;

typedef struct {
  char         *name;
  int           type;           /* AttributeProto.type: 1 float, 2 int, 3 string, 4 tensor, 6 floats, 7 ints */
  float         f;
  gint64        i;
  char         *s;
  GArray       *ints;           /* gint64 */
  GArray       *floats;         /* float */
  TlOnnxTensor *t;
} TlOnnxAttr;

typedef struct {
  char      *name;
  char      *op_type;
  char      *domain;
  char     **inputs;            /* "" for an omitted optional input */
  char     **outputs;
  GPtrArray *attrs;             /* TlOnnxAttr* */
} TlOnnxNode;

typedef struct {
  char   *name;
  int     elem_type;
  int     ndim;                 /* -1: no shape given */
  gint64  dims[TL_ONNX_MAX_DIMS]; /* -1 for a symbolic or missing dimension */
} TlOnnxValueInfo;

typedef struct {
  gint64     ir_version;
  gint64     opset;             /* of the default domain; 0 when not listed */
  GPtrArray *nodes;             /* TlOnnxNode* */
  GHashTable *initializers;     /* name -> TlOnnxTensor* */
  GPtrArray *inputs;            /* TlOnnxValueInfo* */
  GPtrArray *outputs;
  GHashTable *metadata;         /* metadata_props: key -> value, both strings */
} TlOnnxFile;

/* Errors name the file and the byte offset of the damage. */
TlOnnxFile   *tl_onnx_file_parse (const char *path, const guint8 *data, gsize len, GError **error);
TlOnnxFile   *tl_onnx_file_read  (const char *path, GError **error);
void          tl_onnx_file_free  (TlOnnxFile *file);

const TlOnnxAttr *tl_onnx_node_attr (const TlOnnxNode *node, const char *name);
void          tl_onnx_tensor_free (TlOnnxTensor *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlOnnxFile, tl_onnx_file_free)

G_END_DECLS
