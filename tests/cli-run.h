#pragma once

#include <glib.h>

/* The command line as a real process: the binary named by TL_BINARY. */

typedef struct {
  int   status;       /* exit status, or 128 + signal */
  char *out;
  char *err;
} Result;

void result_clear (Result *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

/* The binary the runs start (TL_BINARY); aborts the test program when it is not executable. */
const char *cli_binary  (void);
void        run_argv    (Result *r, const char *const *argv);
#define RUN(r, ...) run_argv (r, (const char *const[]) { __VA_ARGS__, NULL })
/* Fails the test with both outputs when the exit status is not `status`. */
void        expect_status (const Result *r, int status);
