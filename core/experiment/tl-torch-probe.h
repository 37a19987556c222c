#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The Python interpreter that can run the torch engine, and what its torch offers. */
typedef struct {
  char    *python;          /* as it is started: "python3", "/usr/bin/python3", $TL_PYTHON */
  char    *torch_version;
  gboolean cuda;
  int      gpus;
} TlTorchProbe;

void        tl_torch_probe_clear (TlTorchProbe *probe);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TlTorchProbe, tl_torch_probe_clear)

/* Asks $TL_PYTHON when set, else python3 on the PATH, else /usr/bin/python3,
 * for its torch (this starts Python: seconds, so not on a main loop).
 * FALSE with TL_ERROR_UNSUPPORTED saying why none can run the engine. */
gboolean    tl_torch_probe_run   (TlTorchProbe *probe, GError **error);

/* $TL_TORCH_ENGINE_DIR, the source checkout's tools/, or the installed copy:
 * the first that holds tl_torch_engine/. */
const char *tl_torch_engine_dir  (void);

G_END_DECLS
