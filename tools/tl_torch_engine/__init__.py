"""Trains the stages of a Transfer Lab job folder with PyTorch.

`transfer-lab run EXPERIMENT.json --engine torch` (or `--prepare-only`)
writes a job folder: the prepared tensors of the source and target
(data/*.safetensors), the initial model of each stage (models/), and job.json,
which lists the stages and their training settings. This package trains them,
one process per device under torchrun, with DistributedDataParallel, and
writes into results/ of the job: for each stage its model file, history.json
and its probabilities on the test rows. `transfer-lab run --collect JOBDIR`
then evaluates the models in the application and makes a normal run folder.

    torchrun --standalone --nproc_per_node 2 tl_torch_engine/__main__.py JOBDIR --device cpu
"""

JOB_FORMAT = "transfer-lab-torch-job"
JOB_FORMAT_VERSION = 1
