#pragma once

#include <glib.h>

#include "tl-experiment.h"

G_BEGIN_DECLS

/* An experiment trained by PyTorch instead of the built-in trainer.
 *
 * The application imports and preprocesses the data exactly as for a local run
 * (same features, splits and seed), and writes a job folder:
 *   job.json            the stages (pretrain, one per strategy, baseline), their
 *                       data, initial models and training settings, and the
 *                       recipe of domain-adversarial and self-training
 *   experiment.json     the experiment as run, overrides included
 *   data/source.safetensors, data/target.safetensors   (tl-torch-tensors.h)
 *   models/<stage>.safetensors   the initial model of each stage; transfer's
 *                       holds the freeze plan, learning-rate multipliers and
 *                       its new head, the rest of its weights come from pretrain
 *   engine/             tl_torch_engine, transfer_lab_torch.py and transfer_lab_graph.py (vendored)
 *   run.sh, job.slurm   the torchrun command line, and a SLURM batch script
 *   data/joint.safetensors   with joint, domain-adversarial or self-training:
 *                       the rows they train on; data/target.safetensors then
 *                       also holds the unlabelled target rows (split "unlabeled")
 * The engine writes results/ (tl-torch-collect.h reads them back), and
 * checkpoints/<stage>.pt after every epoch so that a stopped job continues
 * (self-training's second round: <stage>-2.pt). */

#define TL_TORCH_JOB_FORMAT "transfer-lab-torch-job"
#define TL_TORCH_JOB_VERSION 1

typedef struct {
  /* The folder holding tl_torch_engine/, transfer_lab_torch.py and transfer_lab_graph.py; copied
   * into engine/ of the job. */
  const char *engine_dir;
  int         nproc;          /* processes (devices) per node, >= 1 */
  const char *device;         /* "cpu" or "cuda" */
  /* The run history the collected run joins; NULL: the experiment's own. */
  const char *results_root;
} TlTorchJobOptions;

/* FALSE, naming the field, when the experiment asks for what cannot work,
 * checked before any data is read: strategies that train on the source data
 * with a pretrained model file (pretrain.model) instead. */
gboolean  tl_torch_job_check   (const TlExperiment *exp, GError **error);

/* The stage (and run) a strategy trains as: "transfer" for fine-tune, else its name. */
const char *tl_torch_job_stage_name (TlStrategy strategy);

/* Imports the data and writes the job folder `job_dir` (created; it must not
 * exist). It is built under a temporary name beside it and renamed into place
 * when complete, so that a failure leaves nothing behind. */
gboolean  tl_torch_job_prepare (const TlExperiment *exp, const TlTorchJobOptions *options, const char *job_dir,
                                GError **error);

/* The command that trains a job: python ENGINE/tl_torch_engine/torchrun.py
 * (torch.distributed.run, that is torchrun) --standalone --nproc_per_node N
 * ENGINE/tl_torch_engine/__main__.py JOB --device D.
 * engine_dir NULL: the job's own engine/. */
GStrv     tl_torch_job_argv    (const char *python, const char *engine_dir, const char *job_dir, int nproc,
                                const char *device);

G_END_DECLS
