#pragma once

#include <gio/gio.h>

#include "tl-dataset.h"
#include "tl-domain-map.h"
#include "tl-model.h"
#include "tl-transferability.h"

G_BEGIN_DECLS

/* Transferability of a model's layers for a target, computed in a worker
 * thread on copies of the model and the data (the window never waits). */
void               tl_layer_assessment_run    (const TlModel *model, const TlDataset *target,
                                               const TlDataset *source, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
/* The scores, or NULL with an error (G_IO_ERROR_CANCELLED once cancelled). */
TlTransferability *tl_layer_assessment_finish (GAsyncResult *result, GError **error);

/* The domain map of source and target through a model at a layer (-1: the
 * input of the head), in a worker as above; for a view of the map before and
 * after fine-tuning, call it for the pretrained and the fine-tuned model and
 * draw both with tl_domain_map_chart_draw. */
void               tl_domain_map_run          (const TlModel *model, int layer, const TlDataset *source,
                                               const TlDataset *target, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
TlDomainMap       *tl_domain_map_run_finish   (GAsyncResult *result, GError **error);

G_END_DECLS
