#pragma once

#include <glib.h>

#include "tl-trainer-private.h"

G_BEGIN_DECLS

/* A training checkpoint holds the weights, the optimiser state, the random
 * streams, the progress and the history of a run, so that a resumed run ends
 * bitwise where an uninterrupted one would. */

/* Writes run->config->checkpoint_path atomically. */
gboolean tl_train_checkpoint_save   (const TlTrainRun *run, const TlHistory *history, GError **error);
/* Restores run and history from run->config->resume_path; the run's optimiser must be prepared. */
gboolean tl_train_checkpoint_resume (TlTrainRun *run, TlHistory *history, GError **error);

G_END_DECLS
