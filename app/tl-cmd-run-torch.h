#pragma once

#include <glib.h>

#include "tl-experiment.h"
#include "tl-pipeline.h"

G_BEGIN_DECLS

/* `transfer-lab run --engine torch`: the experiment trained by PyTorch under torchrun. */
typedef struct {
  const char *devices;        /* "cpu", "cuda" or "auto" */
  int         nproc;          /* processes (one per device) */
  gboolean    prepare_only;   /* write the job folder (out, or NAME-torch-job) and stop */
  gboolean    dry_run;        /* print the device and the command line, write nothing */
  const char *out;            /* the results folder; with prepare_only the job folder */
  gboolean    force;          /* replace a finished run in out */
  /* continue the stopped job (out.torch-job, or .torch-job in the run history)
   * from its finished stages and its last epoch's checkpoint */
  gboolean    resume;
} TlTorchRunOptions;

int  tl_cmd_run_torch         (const TlExperiment *exp, const TlTorchRunOptions *options);
/* `--collect JOBDIR`: a job run elsewhere into a run folder (out, or a new one in its run history). */
int  tl_cmd_run_torch_collect (const char *job_dir, const char *out);

G_END_DECLS
