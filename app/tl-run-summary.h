#pragma once

#include "tl-pipeline.h"

G_BEGIN_DECLS

/* The table of runs `run` prints at its end: accuracy, F1, epochs, time, parameters. */
void tl_cmd_run_print_summary (const TlPipelineResult *result);

G_END_DECLS
