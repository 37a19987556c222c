#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-model.h"

G_BEGIN_DECLS

/* Model files are safetensors: docs/model-format.md describes them. */

#define TL_MODEL_FILE_FORMAT         "transfer-lab"
#define TL_MODEL_FILE_FORMAT_VERSION "1"
/* Headers beyond this are refused before they are read. */
#define TL_MODEL_FILE_MAX_HEADER     (100u * 1024 * 1024)
/* Models whose input or any layer's output has more values per sample are refused:
 * a batch through them could not be allocated. */
#define TL_MODEL_FILE_MAX_SAMPLE_VALUES ((guint64) 1 << 24)

typedef struct {
  char   *name;                  /* "conv1.weight" */
  int     ndim;
  gint64  shape[8];
  guint64 begin, end;            /* byte offsets in the data section */
} TlTensorEntry;

typedef struct {
  char     **labels;             /* class names, one per model output */
  JsonNode  *preprocessing;      /* opaque here; may be NULL */
  JsonNode  *provenance;         /* opaque here; may be NULL */

  /* Filled when a file is read; ignored when saving. */
  JsonNode  *architecture;       /* NULL when the file has none */
  char      *format_version;
  GPtrArray *tensors;            /* TlTensorEntry*, in file order */
  guint64    header_size;        /* bytes of JSON */
  guint64    data_size;          /* bytes of tensor data */
} TlModelInfo;

TlModelInfo *tl_model_info_new          (void);
void         tl_model_info_free         (TlModelInfo *info);

/* Writes the weights of every layer and the metadata, atomically. info may be
 * NULL (labels are then "0", "1", ...). */
gboolean     tl_model_file_save         (const char *path, TlModel *model, const TlModelInfo *info,
                                         GError **error);
/* Checks the whole file before it builds the model; errors name the file. */
TlModel     *tl_model_file_load         (const char *path, TlModelInfo **info_out, GError **error);
/* Reads and checks the header only (sizes, offsets, metadata), without the weights. */
TlModelInfo *tl_model_file_read_header  (const char *path, GError **error);

/* Refuses a model whose input layer disagrees with the preprocessing stored
 * beside it: an embedding_bag whose table rows (vocab_size) are not the n-gram
 * features' ids, or whose bag size is not their max_terms, or n-gram bags read
 * from other features. Without preprocessing (NULL, {} or no "kind") there is
 * nothing to compare. */
gboolean     tl_model_check_preprocessing (TlModel *model, JsonNode *preprocessing, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlModelInfo, tl_model_info_free)

G_END_DECLS
