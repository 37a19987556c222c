#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TL_TYPE_RUN_ON_GROUP (tl_run_on_group_get_type ())
G_DECLARE_FINAL_TYPE (TlRunOnGroup, tl_run_on_group, TL, RUN_ON_GROUP, AdwPreferencesGroup)

typedef enum {
  TL_RUN_ON_LOCAL,      /* the built-in trainer, in a thread */
  TL_RUN_ON_TORCH,      /* the PyTorch engine on this computer */
  TL_RUN_ON_CLUSTER,    /* a job folder to run elsewhere, collected later */
} TlRunOn;

/* Where Start trains: "This computer", "PyTorch on this computer" (looked for
 * in a thread when the group is first shown; off, saying why, without Python and
 * torch) or "Prepare a cluster job", whose row has "Collect Results…".
 * "notify::choice" follows the choice, "notify::torch-checked" the end of the
 * search for torch; "collect" is emitted by "Collect Results…". */
TlRunOn     tl_run_on_group_get_choice       (TlRunOnGroup *self);
/* FALSE (and nothing changes) for PyTorch while torch is missing or still looked for. */
gboolean    tl_run_on_group_set_choice       (TlRunOnGroup *self, TlRunOn choice);
gboolean    tl_run_on_group_get_torch_checked (TlRunOnGroup *self);
/* The interpreter with torch, and "cpu" or "cuda"; NULL without torch. */
const char *tl_run_on_group_get_python       (TlRunOnGroup *self);
const char *tl_run_on_group_get_device       (TlRunOnGroup *self);
/* Why PyTorch cannot be chosen, or NULL. */
const char *tl_run_on_group_get_torch_problem (TlRunOnGroup *self);
GtkWidget  *tl_run_on_group_get_row          (TlRunOnGroup *self, TlRunOn choice);
void        tl_run_on_group_set_running      (TlRunOnGroup *self, gboolean running);

G_END_DECLS
