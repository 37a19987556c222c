"""The training loop of a job folder's stages, one process per device."""

import argparse
import json
import math
import os
import sys
import time

import torch
from torch import distributed as dist
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import transfer_lab_torch as tlt

from . import JOB_FORMAT, JOB_FORMAT_VERSION
from .strategies import DomainAdversary, pseudo_labels


class JobError(Exception):
    pass


def _log(rank, text):
    if rank == 0 and not _JSON_PROGRESS:
        print(text, flush=True)


# TL_TORCH_PROGRESS=json: the progress is one JSON object a line on stdout
# ({"event": "stage" | "epoch" | "done", ...}), for a program that follows the run.
_JSON_PROGRESS = os.environ.get("TL_TORCH_PROGRESS") == "json"


def _progress(rank, event, **fields):
    if rank == 0 and _JSON_PROGRESS:
        print(json.dumps({"event": event, **fields}), flush=True)


def read_job(job_dir):
    path = os.path.join(job_dir, "job.json")
    try:
        with open(path, encoding="utf-8") as f:
            job = json.load(f)
    except OSError as e:
        raise JobError(f"{path}: cannot read it: {e.strerror}")
    except json.JSONDecodeError as e:
        raise JobError(f"{path}: line {e.lineno}: not JSON: {e.msg}")
    if job.get("format") != JOB_FORMAT or job.get("format_version") != JOB_FORMAT_VERSION:
        raise JobError(f"{path}: not a job folder of this engine (format {job.get('format')!r} "
                       f"version {job.get('format_version')!r}, expected {JOB_FORMAT!r} {JOB_FORMAT_VERSION})")
    return job


def read_data(job_dir, relative):
    """{"train": (x, y), "val": ..., "test": ..., "unlabeled": x}, with the splits that have rows."""
    tensors, _ = tlt.read_safetensors(os.path.join(job_dir, relative))
    splits = {}
    for split in ("train", "val", "test"):
        if split + ".x" in tensors:
            splits[split] = (tensors[split + ".x"], tensors[split + ".y"].long())
    if "unlabeled.x" in tensors:
        splits["unlabeled"] = tensors["unlabeled.x"]
    return splits


def _optimizer(model, spec):
    """The optimiser of a stage: one parameter group per trainable layer at lr * its lr_mult."""
    groups = []
    for layer in model.architecture["layers"]:
        params = [p for p in getattr(model, layer["name"]).parameters() if p.requires_grad]
        if params:
            groups.append({"params": params, "lr": spec["optimizer"]["lr"] * layer.get("lr_mult", 1.0),
                           "lr_mult": layer.get("lr_mult", 1.0)})
    return optimizer_of(groups, spec)


def optimizer_of(groups, spec):
    """The stage's kind of optimiser over parameter groups (each with its lr_mult)."""
    o = spec["optimizer"]
    kind = o["kind"]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"],
                               weight_decay=o["weight_decay"])
    if kind in ("adam", "adamw"):
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        return cls(groups, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                   weight_decay=o["weight_decay"])
    raise JobError(f"optimizer {kind!r}: not one this engine knows (sgd, adam, adamw)")


def _cos_anneal(start, end, pct):
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)


def schedule_lr(schedule, base_lr, step, total_steps, epoch):
    """The learning rate at 0-based optimiser step `step` of `total_steps`, in
    0-based `epoch`, as the application's trainer computes it."""
    kind = (schedule or {}).get("kind", "constant")
    step = max(step, 0)
    total_steps = max(total_steps, 1)
    if kind == "step":
        size = schedule["step_size"] if schedule["step_size"] > 0 else 1
        return base_lr * schedule["gamma"] ** (max(epoch, 0) // size)
    if kind == "cosine":
        return _cos_anneal(base_lr, schedule["min_lr"], min(step / total_steps, 1.0))
    if kind == "one-cycle":
        warm = schedule["warmup_fraction"] if schedule["warmup_fraction"] > 0 else 0.3
        initial = base_lr / 25.0
        final = schedule["min_lr"] if schedule["min_lr"] > 0 else initial / 1e4
        rise_end = warm * total_steps - 1.0
        end = total_steps - 1.0
        if step <= rise_end:
            return _cos_anneal(initial, base_lr, step / rise_end if rise_end > 0 else 1.0)
        if end <= rise_end:
            return final
        return _cos_anneal(base_lr, final, min((step - rise_end) / (end - rise_end), 1.0))
    if kind != "constant":
        raise JobError(f"schedule {kind!r}: not one this engine knows (constant, step, cosine, one-cycle)")
    return base_lr


def _log_probabilities(model, out):
    return torch.log(out.clamp_min(1e-12)) if model.ends_with_softmax else F.log_softmax(out, dim=-1)


def _evaluate(model, x, y, device, batch=512):
    """Mean loss and accuracy of the whole split, and the probabilities, in this process."""
    model.eval()
    loss, correct, probs = 0.0, 0, []
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            xb, yb = x[i:i + batch].to(device), y[i:i + batch].to(device)
            logp = _log_probabilities(model, model(xb))
            loss += F.nll_loss(logp, yb, reduction="sum").item()
            correct += (logp.argmax(1) == yb).sum().item()
            probs.append(logp.exp().cpu())
    n = max(1, x.shape[0])
    return loss / n, correct / n, torch.cat(probs) if probs else torch.zeros(0)


def train_stage(model, stage, data, ctx, part=None):
    """Trains model (a TransferLabModel on ctx.device) in every process; returns the history.
    part, for a stage that trains in rounds: {"name": of its checkpoint, "train": (x, y)
    instead of data's, "seed", "offset": epochs of the rounds before, "epochs": of all rounds,
    "budget": this round's epochs instead of the stage's}.
    stage["adversary"]: domain-adversarial training (strategies.DomainAdversary)."""
    part = part or {}
    spec = stage["train"]
    name = part.get("name", stage["name"])
    world, rank, device = ctx["world"], ctx["rank"], ctx["device"]
    x, y = part.get("train", data["train"])
    seed = int(part.get("seed", stage["seed"]))
    offset, all_epochs = part.get("offset", 0), part.get("epochs", spec["epochs"])
    budget = int(part.get("budget", spec["epochs"]))
    torch.manual_seed(seed)
    checkpoint = _read_checkpoint(ctx, name)
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
    per_process = max(1, spec["batch_size"] // world)
    # the row numbers ride along: domain-adversarial training tells source rows from target rows by them
    rows = TensorDataset(x, y, torch.arange(x.shape[0]))
    sampler = DistributedSampler(rows, num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=False)
    loader = DataLoader(rows, batch_size=per_process, sampler=sampler)
    adversary = None
    if "adversary" in stage:
        adversary = DomainAdversary(model, stage["adversary"], data["unlabeled"] if "unlabeled" in data else None,
                                    x, spec, seed, ctx)
        ddp = adversary.wrapped
    else:
        ddp = DistributedDataParallel(model) if ctx["distributed"] and any(
            p.requires_grad for p in model.parameters()) else model
    optimizer = _optimizer(model, spec)
    smoothing = float(spec.get("label_smoothing", 0.0))
    clip = float(spec["optimizer"].get("clip_norm", 0.0))
    history = []
    schedule = spec.get("schedule")
    base_lr = spec["optimizer"]["lr"]
    total_steps = len(loader) * budget
    step = 0
    lr = base_lr
    patience = int(spec.get("patience", 0))
    best_val, best_epoch, best_state, bad_epochs = math.inf, 0, None, 0
    # tail averaging: the round ends on the mean weights of its last N epochs; with gradual
    # unfreezing, only the last phase averages
    average = int(spec.get("average_epochs", 0)) if "budget" not in part or offset + budget == all_epochs else 0
    average_state, n_averaged = None, 0
    first, earlier_seconds, stopped = 1, 0.0, False
    if checkpoint is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])
        torch.set_rng_state(checkpoint["rng"])
        history, step, lr = checkpoint["history"], checkpoint["step"], checkpoint["lr"]
        if adversary is not None:
            adversary.load_state_dict(checkpoint["adversary"])
        best_val, best_epoch, bad_epochs = checkpoint["best_val"], checkpoint["best_epoch"], checkpoint["bad_epochs"]
        best_state, stopped = checkpoint["best_state"], checkpoint["stopped"]
        average_state, n_averaged = checkpoint.get("average_state"), checkpoint.get("n_averaged", 0)
        first, earlier_seconds = checkpoint["epoch"] + 1, checkpoint["train_seconds"]
        if stopped or first > budget:
            _log(rank, f"[{stage['name']}] epochs {offset + 1}-{offset + checkpoint['epoch']} finished before: kept")
        else:
            _log(rank, f"[{stage['name']}] continues from epoch {offset + first} (checkpoint of epoch "
                       f"{offset + checkpoint['epoch']})")
        for record in history:
            _progress(rank, "epoch", stage=stage["name"], epochs=all_epochs, **dict(record, epoch=offset + record["epoch"]))
    began = time.perf_counter() - earlier_seconds
    for epoch in range(first, budget + 1 if not stopped else first):
        start = time.perf_counter()
        sampler.set_epoch(epoch)
        model.train()
        sums = torch.zeros(3, dtype=torch.float64)
        for xb, yb, ib in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad(set_to_none=True)
            if adversary is not None:
                # the label loss, as the application's adversarial step has it: no smoothing
                logits, domain_loss = adversary.forward(xb, ib, step / max(total_steps, 1))
                logp = _log_probabilities(model, logits)
                loss = F.nll_loss(logp, yb)
                (loss + domain_loss).backward()
            else:
                logp = _log_probabilities(model, ddp(xb))
                loss = F.nll_loss(logp, yb)
                if smoothing > 0:
                    loss = (1 - smoothing) * loss - smoothing * logp.mean(1).mean()
                loss.backward()
            if clip > 0:
                nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], clip)
            lr = schedule_lr(schedule, base_lr, step, total_steps, epoch - 1)
            for group in optimizer.param_groups:
                group["lr"] = lr * group["lr_mult"]
            optimizer.step()
            if adversary is not None:
                adversary.step(lr, clip)
            step += 1
            sums += torch.tensor([loss.item() * len(yb), (logp.argmax(1) == yb).sum().item(), len(yb)],
                                 dtype=torch.float64)
        if ctx["distributed"]:
            dist.all_reduce(sums)
        record = {"epoch": epoch, "train_loss": sums[0].item() / max(1.0, sums[2].item()),
                  "train_accuracy": sums[1].item() / max(1.0, sums[2].item()),
                  "val_loss": None, "val_accuracy": None, "learning_rate": lr}
        stop = False
        if "val" in data:
            record["val_loss"], record["val_accuracy"], _ = _evaluate(model, *data["val"], device)
            # every process evaluates the whole validation split: they all decide alike
            if record["val_loss"] < best_val:
                best_val, best_epoch, bad_epochs = record["val_loss"], epoch, 0
                if patience > 0:
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            elif patience > 0:
                bad_epochs += 1
                stop = bad_epochs >= patience
        if average > 0 and epoch > budget - average:
            average_state, n_averaged = _fold_average(average_state, n_averaged, model.state_dict())
        record["seconds"] = time.perf_counter() - start
        history.append(record)
        _write_checkpoint(ctx, name, {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state(),
            "epoch": epoch, "history": history, "step": step, "lr": lr, "best_val": best_val,
            "best_epoch": best_epoch, "bad_epochs": bad_epochs, "best_state": best_state, "stopped": stop,
            "average_state": average_state, "n_averaged": n_averaged,
            "train_seconds": time.perf_counter() - began,
            "adversary": adversary.state_dict() if adversary is not None else None})
        _progress(rank, "epoch", stage=stage["name"], epochs=all_epochs, **dict(record, epoch=offset + epoch))
        _log(rank, f"[{stage['name']}] epoch {offset + epoch}/{all_epochs}: loss {record['train_loss']:.4f}, "
                   f"accuracy {100 * record['train_accuracy']:.1f}% ({record['seconds']:.2f} s)")
        if stop:
            _log(rank, f"[{stage['name']}] early stop: no better validation loss for {patience} epochs")
            stopped = True
            break
    # with patience set, the stage ends on the weights of its best validation epoch
    if best_state is not None:
        model.load_state_dict(best_state)
    if average_state is not None:
        model.load_state_dict(average_state)
        last = len(history)
        _log(rank, f"[{stage['name']}] ends on the mean weights of epochs {offset + last - n_averaged + 1}-"
                   f"{offset + last}")
    return {"epochs": history, "train_seconds": time.perf_counter() - began, "best_epoch": best_epoch,
            "stopped_early": stopped, "averaged_epochs": n_averaged}


def _fold_average(mean, n, state):
    """The running mean of the floating-point weights and statistics, as the
    application's trainer keeps it; integer counters keep their last value."""
    n += 1
    if mean is None:
        return {k: v.detach().clone() for k, v in state.items()}, n
    for k, v in state.items():
        if v.is_floating_point():
            mean[k] += (v.detach() - mean[k]) / n
        else:
            mean[k] = v.detach().clone()
    return mean, n


def _layers_with_weights(model):
    return [i for i, layer in enumerate(model.architecture["layers"])
            if any(True for _ in getattr(model, layer["name"]).parameters())]


def _trainable(model, i):
    return all(p.requires_grad for p in getattr(model, model.architecture["layers"][i]["name"]).parameters())


def _release_one(model):
    """One more frozen layer made trainable, the highest one with weights, as the
    application's gradual unfreezing does; the layers without weights just below
    it follow it. False when none is left frozen."""
    layers = model.architecture["layers"]
    weighted = _layers_with_weights(model)
    for i in reversed(weighted):
        if not _trainable(model, i):
            for p in getattr(model, layers[i]["name"]).parameters():
                p.requires_grad_(True)
            layers[i]["trainable"] = True
            for j in range(i - 1, -1, -1):
                if j in weighted:
                    break
                layers[j]["trainable"] = True
            return True
    return False


def unfreezing(model, stage, data, ctx):
    """Gradual unfreezing (stage["unfreeze_every"] = N): the stage's epochs in rounds of
    N, and after each round one more frozen layer trainable, as the application's
    pipeline does it (core/experiment/tl-pipeline.c, train_model). Each round is a
    trainer run of its own, as there: a new optimiser (its state and the learning-rate
    schedule start over, over the round's epochs, every trainable layer at lr times
    its lr_mult), its own early stopping, seed stage seed + epochs done. Under
    DistributedDataParallel each round wraps the model anew (train_stage does), so
    the wrapper registers exactly the parameters trainable in that round."""
    every = int(stage["unfreeze_every"])
    epochs = int(stage["train"]["epochs"])
    # in one run, as the application decides it, when the lowest trainable layer with weights is the first layer
    lowest = next((i for i in _layers_with_weights(model) if _trainable(model, i)), None)
    if every <= 0 or lowest == 0:
        return train_stage(model, stage, data, ctx)
    done, phase = 0, 1
    merged = {"epochs": [], "train_seconds": 0.0, "best_epoch": 0, "stopped_early": False}
    while done < epochs:
        budget = min(every, epochs - done)
        part = train_stage(model, stage, data, ctx, {
            "name": f"{stage['name']}-phase{phase}", "seed": int(stage["seed"]) + done, "offset": done,
            "epochs": epochs, "budget": budget})
        merged["epochs"] += [dict(r, epoch=r["epoch"] + done) for r in part["epochs"]]
        if part["best_epoch"] > 0:
            merged["best_epoch"] = part["best_epoch"] + done
        merged["averaged_epochs"] = part.get("averaged_epochs", 0)
        merged["train_seconds"] += part["train_seconds"]
        done += budget
        if part["stopped_early"]:
            merged["stopped_early"] = True
            break
        # as the application does: a layer is released after every round, the last one too
        if _release_one(model):
            _log(ctx["rank"], f"[{stage['name']}] after epoch {done}: "
                              f"{sum(p.numel() for p in model.parameters() if p.requires_grad)} parameters trainable")
        phase += 1
    return merged


def self_training(model, stage, data, ctx):
    """Two rounds: the stage's rows, then again with the first round's most confident
    guesses on the unlabelled target rows added, each as many times as a labelled
    target row; one history of both."""
    spec = stage["self_training"]
    epochs = stage["train"]["epochs"]
    first = train_stage(model, stage, data, ctx, {"epochs": 2 * epochs})
    guessed_x, guessed_y = pseudo_labels(model, data["unlabeled"], int(spec["pseudo_labels"]), ctx)
    copies = int(spec.get("pseudo_copies", 1))
    held = f", each held {copies} times as a labelled one" if copies != 1 else ""
    _log(ctx["rank"], f"[{stage['name']}] a second round with {guessed_x.shape[0]} pseudo-labelled target rows{held}")
    x, y = data["train"]
    done = len(first["epochs"])
    second = train_stage(model, stage, data, ctx, {
        "name": stage["name"] + "-2",
        "train": (torch.cat([x] + [guessed_x] * copies), torch.cat([y] + [guessed_y] * copies)),
        "seed": spec["second_seed"], "offset": done, "epochs": done + epochs})
    return {"epochs": first["epochs"] + [dict(r, epoch=r["epoch"] + done) for r in second["epochs"]],
            "train_seconds": first["train_seconds"] + second["train_seconds"],
            "best_epoch": second["best_epoch"] + done if second["best_epoch"] > 0 else first["best_epoch"],
            "averaged_epochs": second["averaged_epochs"], "pseudo_labelled": guessed_x.shape[0]}


def _checkpoint_path(ctx, name):
    return os.path.join(ctx["job"], "checkpoints", name + ".pt")


def _read_checkpoint(ctx, name):
    """The state after the last finished epoch of a stage that was interrupted, or None."""
    path = _checkpoint_path(ctx, name)
    if not os.path.exists(path):
        return None
    try:
        return torch.load(path, map_location="cpu")
    except Exception as e:
        raise JobError(f"{path}: not a checkpoint this engine can read ({e}); remove it to start the stage over")


def _write_checkpoint(ctx, name, state):
    """After every epoch, in place at once: a stopped job continues from the last one."""
    if ctx["rank"] != 0:
        return
    path = _checkpoint_path(ctx, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _finished_stage(job_dir, results, stage, device):
    """A stage whose results are all written (history.json comes last): its model and history."""
    folder = os.path.join(results, stage["name"])
    history_path = os.path.join(folder, "history.json")
    if not os.path.exists(history_path):
        return None
    with open(history_path, encoding="utf-8") as f:
        history = json.load(f)
    model, _ = tlt.load(os.path.join(folder, "model.safetensors"))
    return model.to(device), history


def _initial_model(job_dir, stage, trained, device):
    """The stage's starting point: its initial model file, with the weights of the
    stage it starts from except for the layers it makes afresh (a new head)."""
    model, info = tlt.load(os.path.join(job_dir, stage["init"]))
    source = stage.get("from")
    if source is not None:
        if source not in trained:
            raise JobError(f"stage {stage['name']}: starts from {source!r}, which has not run before it")
        fresh = set(stage.get("fresh_layers", []))
        state = model.state_dict()
        for key, value in trained[source].items():
            if key.split(".", 1)[0] not in fresh:
                if key not in state or state[key].shape != value.shape:
                    raise JobError(f"stage {stage['name']}: tensor {key} of {source} does not fit its model")
                state[key] = value.clone()
        model.load_state_dict(state)
    return model.to(device), info


def _write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def run(job_dir, device_name):
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    world = int(os.environ.get("WORLD_SIZE", "1")) if distributed else 1
    rank = int(os.environ.get("RANK", "0")) if distributed else 0
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device_name == "auto":
        device_name = "cuda" if torch.cuda.is_available() else "cpu"
    if device_name == "cuda":
        if not torch.cuda.is_available():
            raise JobError("--device cuda: PyTorch sees no CUDA device here")
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
        device = torch.device("cuda", torch.cuda.current_device())
    else:
        device = torch.device("cpu")
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    ctx = {"world": world, "rank": rank, "device": device, "distributed": distributed, "job": job_dir}
    job = read_job(job_dir)
    results = os.path.join(job_dir, "results")
    datasets = {name: read_data(job_dir, path) for name, path in job["data"].items()}
    trained = {}
    engine = {"torch": torch.__version__, "world_size": world, "device": device.type,
              "backend": dist.get_backend() if distributed else None, "stages": {}}
    for stage in job["stages"]:
        data = datasets[stage["data"]]
        unlabeled_from = (stage.get("adversary") or stage.get("self_training") or {}).get("unlabeled")
        if unlabeled_from is not None:
            if "unlabeled" not in datasets.get(unlabeled_from, {}):
                raise JobError(f"stage {stage['name']}: data {unlabeled_from!r} has no unlabelled rows")
            data = dict(data, unlabeled=datasets[unlabeled_from]["unlabeled"])
        finished = _finished_stage(job_dir, results, stage, device)
        if finished is not None:
            model, history = finished
            _log(rank, f"[{stage['name']}] finished before: its results are kept")
            _progress(rank, "stage", stage=stage["name"], parameters=0, samples=data["train"][0].shape[0],
                      processes=world, device=device.type)
            for record in history["epochs"]:
                # self-training's two rounds: twice the stage's epochs
                _progress(rank, "epoch", stage=stage["name"],
                          epochs=max(stage["train"]["epochs"], len(history["epochs"])), **record)
            trained[stage["name"]] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
            engine["stages"][stage["name"]] = {"train_seconds": history["train_seconds"]}
            continue
        model, info = _initial_model(job_dir, stage, trained, device)
        n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
        _log(rank, f"[{stage['name']}] training {n_train} of {sum(p.numel() for p in model.parameters())} "
                   f"parameters on {data['train'][0].shape[0]} samples, {world} process(es) on {device.type}")
        _progress(rank, "stage", stage=stage["name"], parameters=n_train, samples=data["train"][0].shape[0],
                  processes=world, device=device.type)
        if "self_training" in stage:
            history = self_training(model, stage, data, ctx)
        elif stage.get("unfreeze_every", 0) > 0:
            history = unfreezing(model, stage, data, ctx)
        else:
            history = train_stage(model, stage, data, ctx)
        trained[stage["name"]] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        engine["stages"][stage["name"]] = {"train_seconds": history["train_seconds"]}
        if rank == 0:
            folder = os.path.join(results, stage["name"])
            os.makedirs(folder, exist_ok=True)
            model_cpu = model.to("cpu").eval()
            tlt.save(model_cpu, os.path.join(folder, "model.safetensors"), info)
            if "test" in data:
                _, _, probs = _evaluate(model_cpu, *data["test"], torch.device("cpu"))
                tlt.write_safetensors(os.path.join(folder, "test-probabilities.safetensors"),
                                      {"probabilities": probs}, {})
            # last: a stage with its history.json is finished, and its checkpoint is no longer needed
            _write_json(os.path.join(folder, "history.json"), history)
            folder_ckpt = os.path.dirname(_checkpoint_path(ctx, stage["name"]))
            rounds = [n[:-3] for n in os.listdir(folder_ckpt) if n.startswith(stage["name"] + "-phase")
                      and n.endswith(".pt")] if os.path.isdir(folder_ckpt) else []
            for name in [stage["name"], stage["name"] + "-2"] + rounds:
                if os.path.exists(_checkpoint_path(ctx, name)):
                    os.unlink(_checkpoint_path(ctx, name))
            model.to(device)
        if distributed:
            dist.barrier()
    if rank == 0:
        _write_json(os.path.join(results, "engine.json"), engine)
        _progress(rank, "done")
    if distributed:
        dist.destroy_process_group()


def main(argv):
    parser = argparse.ArgumentParser(prog="tl_torch_engine", description=__doc__)
    parser.add_argument("job", help="the job folder (job.json, data/, models/)")
    parser.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu")
    args = parser.parse_args(argv)
    try:
        run(args.job, args.device)
    except JobError as e:
        print(f"tl_torch_engine: {e}", file=sys.stderr)
        return 1
    return 0
