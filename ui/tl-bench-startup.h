#pragma once

#include "tl-window.h"

G_BEGIN_DECLS

/* Start-up figures for bench/run.sh, only when the environment sets
 * TL_BENCH_STARTUP (otherwise nothing happens). Printed on stdout, each line
 * "EVENT SECONDS PEAK_KB CPU_SECONDS": seconds since the process started, its
 * peak resident memory so far (VmHWM) and the CPU time of all its threads so far.
 *   first-frame  the window's first frame is painted
 *   data-ready   the opened experiment's data are loaded
 *   run-done     with TL_BENCH_STARTUP=run: the run started at data-ready has ended
 * The application then quits (after data-ready, or after run-done). */
void tl_bench_startup_watch (TlWindow *window);

G_END_DECLS
