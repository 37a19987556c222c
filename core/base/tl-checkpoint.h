#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A training checkpoint: named arrays of float32 or uint64, stored as
 *   "TLCKPT\r\n"  8-byte magic
 *   u32 version (1), u32 entry count
 *   per entry: u32 name length, name (UTF-8, no NUL), u32 type (1 = f32, 2 = u64),
 *              u64 element count, the elements
 * all little-endian. Files are written atomically. */
typedef struct _TlCheckpoint TlCheckpoint;

typedef enum {
  TL_CHECKPOINT_F32 = 1,
  TL_CHECKPOINT_U64 = 2,
} TlCheckpointType;

#define TL_CHECKPOINT_VERSION 1
#define TL_CHECKPOINT_MAX_NAME 1024

TlCheckpoint  *tl_checkpoint_new        (void);
void           tl_checkpoint_free       (TlCheckpoint *ck);
/* Adds a copy of data under name, replacing an entry of the same name. */
void           tl_checkpoint_set_f32    (TlCheckpoint *ck, const char *name, const float *data, gsize n);
void           tl_checkpoint_set_u64    (TlCheckpoint *ck, const char *name, const guint64 *data, gsize n);
/* Adds data itself, not a copy: it must stay alive and unchanged until the
 * checkpoint is saved or freed. For large arrays saved right away. */
void           tl_checkpoint_set_f32_borrowed (TlCheckpoint *ck, const char *name, const float *data, gsize n);
/* NULL when there is no entry of that name and type. */
const float   *tl_checkpoint_get_f32    (const TlCheckpoint *ck, const char *name, gsize *n);
const guint64 *tl_checkpoint_get_u64    (const TlCheckpoint *ck, const char *name, gsize *n);
/* Like the getters, but fail with a message naming the file and entry unless the
 * entry exists with exactly `n` elements. */
const float   *tl_checkpoint_require_f32 (const TlCheckpoint *ck, const char *name, gsize n, GError **error);
const guint64 *tl_checkpoint_require_u64 (const TlCheckpoint *ck, const char *name, gsize n, GError **error);
guint          tl_checkpoint_n_entries  (const TlCheckpoint *ck);
/* The file it was loaded from, or NULL. */
const char    *tl_checkpoint_path       (const TlCheckpoint *ck);

gboolean       tl_checkpoint_save       (const TlCheckpoint *ck, const char *path, GError **error);
TlCheckpoint  *tl_checkpoint_load       (const char *path, GError **error);
/* Parses a checkpoint held in memory; `path` only names it in messages. */
TlCheckpoint  *tl_checkpoint_parse      (const guint8 *bytes, gsize length, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlCheckpoint, tl_checkpoint_free)

G_END_DECLS
