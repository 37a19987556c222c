#pragma once

#include <glib.h>

#include "tl-model.h"

G_BEGIN_DECLS

/* Importing a torchvision state dict (a .pth file of torch.save
 * (model.state_dict())) of a known architecture: Python with torch and
 * torchvision builds the architecture, loads the tensors strictly and exports
 * ONNX into a temporary folder (tools/tl_torch_engine/state_dict.py), which
 * the ONNX import reads. */

/* The architectures, NULL-terminated: "mobilenet_v2", "mobilenet_v3_small", "resnet18". */
extern const char *const tl_torch_state_dict_archs[];

/* The network of `arch` with the state dict's weights, for inputs
 * [channels, height, width]. Errors name the file: not a state dict, keys
 * missing or unexpected, shapes that differ, no Python with torch. */
TlModel *tl_torch_state_dict_import (const char *path, const char *arch, const int shape[3], GError **error);

G_END_DECLS
