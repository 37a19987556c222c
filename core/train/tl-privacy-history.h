#pragma once

#include <glib.h>

#include "tl-trainer.h"

G_BEGIN_DECLS

/* The per-epoch history of a private run as CSV: the columns of every history
 * (epoch, train_loss, train_accuracy, val_loss, val_accuracy, learning_rate,
 * seconds) and then epsilon, the privacy spent after each epoch. Written atomically. */
gboolean tl_privacy_history_csv (const char *path, const TlHistory *history, GError **error);

G_END_DECLS
