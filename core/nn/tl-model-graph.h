#pragma once

#include "tl-model.h"

G_BEGIN_DECLS

/* The passes of a graph model (model->graph), called by tl-model.c with the
 * context already set up; `lowest` is the lowest layer backward runs. */
const TlTensor *tl_model_graph_forward  (TlModel *model, const TlTensor *input, int from, int to);
void            tl_model_graph_backward (TlModel *model, const TlTensor *input, const TlTensor *grad_output,
                                         int from, int to, int lowest);

G_END_DECLS
