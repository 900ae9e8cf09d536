"""Training loop: AdamW, warm-up + cosine schedule, clipping, validation, checkpoints and resume.

Runs on CPU or CUDA, and data-parallel under torchrun (DistributedDataParallel) unchanged:
torchrun sets RANK/WORLD_SIZE/LOCAL_RANK and each rank draws its own windows.
Batches are a pure function of (seed, step, rank), so a resumed run continues exactly.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from .model import GPT, GPTConfig


@dataclass
class TrainConfig:
    out_dir: str = "training/runs/default"
    train_bin: str = "training/work/tokens/train.bin"
    val_bin: str = "training/work/tokens/validation.bin"
    batch_size: int = 16
    context: int = 256
    lr: float = 1.5e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 200
    max_steps: int = 2000
    time_budget_min: float = 0.0  # if set, the schedule follows wall time and training stops when it is spent
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 250
    eval_batches: int = 20
    ckpt_every: int = 100
    log_every: int = 20
    seed: int = 1234
    threads: int = 0
    precision: str = "fp32"  # "bf16": autocast matmuls to bfloat16 (about 3x faster on CPUs with AVX512-BF16); weights stay fp32
    stop_at_step: int = 0  # pause the run here (checkpointed); a later call with the same config resumes it
    save_rank_weights: bool = False  # each rank writes rank{N}.pt at the end (DDP consistency checks)
    init_from: str = ""  # a final.pt or checkpoint.pt whose weights (and model shape) start a new run: continued pretraining
    # A snapshot (see `snapshot`: fp16 weights, step and history, committed between sessions) this run resumes from when
    # its checkpoint.pt is missing (a fresh machine). The optimizer restarts, with a short re-warm-up of the rate.
    resume_snapshot: str = ""
    rewarmup_steps: int = 100
    model: dict = field(default_factory=dict)


def progress(step: int, tc: TrainConfig, wall_s: float) -> float:
    """Fraction of the run done: by steps, or by wall time under a time budget (whichever is further)."""
    p = step / tc.max_steps
    if tc.time_budget_min:
        p = max(p, wall_s / (tc.time_budget_min * 60))
    return min(1.0, p)


def lr_at(step: int, tc: TrainConfig, p: float | None = None) -> float:
    if step < tc.warmup_steps:
        return tc.lr * (step + 1) / tc.warmup_steps
    if p is None:
        p = progress(step, tc, 0.0)
    w = tc.warmup_steps / tc.max_steps if not tc.time_budget_min else 0.0
    p = min(1.0, max(0.0, (p - w) / (1 - w)))
    return tc.lr * (tc.min_lr_ratio + (1 - tc.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * p)))


def get_batch(stream: np.ndarray, tc: TrainConfig, step: int, rank: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng([tc.seed, step, rank])
    starts = rng.integers(0, len(stream) - tc.context - 1, size=tc.batch_size)
    win = np.stack([np.asarray(stream[s:s + tc.context + 1], dtype=np.int64) for s in starts])
    t = torch.from_numpy(win).to(device)
    return t[:, :-1], t[:, 1:]


@torch.no_grad()
def evaluate(model: GPT, stream: np.ndarray, tc: TrainConfig, device) -> float:
    """Mean NLL over fixed, non-overlapping validation windows."""
    model.eval()
    n = min(tc.eval_batches * tc.batch_size, (len(stream) - 1) // tc.context)
    losses = []
    for i in range(0, n, tc.batch_size):
        idx = range(i, min(n, i + tc.batch_size))
        win = np.stack([np.asarray(stream[j * tc.context:j * tc.context + tc.context + 1], dtype=np.int64) for j in idx])
        t = torch.from_numpy(win).to(device)
        losses.append(model(t[:, :-1], t[:, 1:]).item() * len(idx))
    model.train()
    return sum(losses) / n


def setup_distributed():
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        rank, world = dist.get_rank(), dist.get_world_size()
        if torch.cuda.is_available():
            local = int(os.environ.get("LOCAL_RANK", 0))
            torch.cuda.set_device(local)
            return rank, world, torch.device("cuda", local)
        return rank, world, torch.device("cpu")
    return 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")


def save_checkpoint(path: Path, model, opt, step: int, tc: TrainConfig, extra: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "train_config": asdict(tc),
                "extra": extra}, tmp)
    tmp.replace(path)  # atomic: an interrupted save never corrupts the last checkpoint


def train(tc: TrainConfig, log=print) -> dict:
    from .data import load_stream

    if tc.precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be fp32 or bf16, not {tc.precision!r}")
    rank, world, device = setup_distributed()
    if device.type == "cuda":  # TF32 for what autocast leaves in fp32 (the optimizer, the loss)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    if tc.threads or device.type == "cpu":
        torch.set_num_threads(tc.threads or os.cpu_count() or 1)
    out = Path(tc.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for p in (tc.train_bin, tc.val_bin):
        if not Path(p).exists():
            raise FileNotFoundError(f"token stream {p} is missing: run `python -m plausibility_train tokenize` first")
    train_stream = load_stream(Path(tc.train_bin))
    val_stream = load_stream(Path(tc.val_bin))
    ckpt_path = out / "checkpoint.pt"
    state = torch.load(ckpt_path, map_location="cpu") if ckpt_path.exists() else None
    if state:
        saved = state["train_config"]
        tc.max_steps = saved["max_steps"]  # the schedule of the run being resumed
        tc.model = saved["model"]
    snap = None
    if not state and tc.resume_snapshot and Path(tc.resume_snapshot).exists():
        snap = torch.load(tc.resume_snapshot, map_location="cpu")
        tc.max_steps = snap["max_steps"]
        tc.model = snap["config"]
    init = None
    if not state and not snap and tc.init_from:
        init = torch.load(tc.init_from, map_location="cpu")
        tc.model = init.get("config") or init["train_config"]["model"]  # the starting weights fix the shape
    cfg = GPTConfig(**tc.model)
    torch.manual_seed(tc.seed)
    model = GPT(cfg).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": tc.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=tc.lr, betas=(0.9, 0.95), eps=1e-8)
    step, history = 0, {"log": [], "evals": []}
    if init:
        model.load_state_dict(init["model"])  # fresh optimizer and schedule; only the weights carry over
        if rank == 0:
            log(f"initialised from {tc.init_from}")
    resumed_at = 0
    if snap:
        model.load_state_dict({k: v.float() for k, v in snap["model"].items()})
        step = resumed_at = snap["step"]
        history = snap["history"]
        if rank == 0:
            log(f"resumed weights from {tc.resume_snapshot} at step {step} (fresh optimizer)")
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        history = state["extra"].get("history", history)
        if rank == 0:
            log(f"resumed from {ckpt_path} at step {step}")
    ddp = world > 1
    net = torch.nn.parallel.DistributedDataParallel(model) if ddp else model
    if rank == 0:
        log(f"params={model.num_params()} non_embedding={model.num_params(True)} world={world} device={device} "
            f"train_tokens={len(train_stream)} val_tokens={len(val_stream)}")
    tokens_per_step = tc.batch_size * tc.context * world
    def run_eval(at: int) -> None:
        v = evaluate(model, val_stream, tc, device)
        history["evals"].append({"step": at, "val_loss": v, "val_ppl": math.exp(v)})
        log(json.dumps(history["evals"][-1]))

    t0 = time.time()
    wall_before = history.get("wall_s", 0.0)
    t_last, tokens_last = time.time(), 0
    while True:
        wall = wall_before + time.time() - t0
        if world > 1 and tc.time_budget_min:  # every rank must agree on the schedule position
            w = torch.tensor([wall], dtype=torch.float64, device=device)
            dist.broadcast(w, 0)
            wall = w.item()
        p = progress(step, tc, wall)
        if p >= 1.0 or (tc.stop_at_step and step >= tc.stop_at_step):
            break
        lr = lr_at(step, tc, p)
        if resumed_at and step - resumed_at < tc.rewarmup_steps:
            lr *= (step - resumed_at + 1) / tc.rewarmup_steps  # fresh Adam moments: ease in
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = get_batch(train_stream, tc, step, rank, device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=tc.precision == "bf16"):
            loss = net(x, y)  # cross-entropy runs in fp32 under autocast
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        opt.step()
        step += 1
        tokens_last += tokens_per_step
        if rank == 0 and step % tc.log_every == 0:
            dt = time.time() - t_last
            rec = {"step": step, "loss": round(loss.item(), 4), "lr": lr, "tokens_per_s": round(tokens_last / dt),
                   "tokens": step * tokens_per_step}
            history["log"].append(rec)
            log(json.dumps(rec))
            t_last, tokens_last = time.time(), 0
        if rank == 0 and step % tc.eval_every == 0:
            run_eval(step)
        if rank == 0 and step % tc.ckpt_every == 0:
            history["wall_s"] = wall_before + time.time() - t0
            save_checkpoint(ckpt_path, model, opt, step, tc, {"history": history})
    if rank == 0:
        if not history["evals"] or history["evals"][-1]["step"] != step:
            run_eval(step)
        history["wall_s"] = wall_before + time.time() - t0
        save_checkpoint(ckpt_path, model, opt, step, tc, {"history": history})
    if tc.save_rank_weights:
        torch.save(model.state_dict(), out / f"rank{rank}.pt")
    if ddp:
        dist.barrier()
    where = (f"{torch.cuda.get_device_name(device)} x{world} (CUDA, torch {torch.__version__})" if device.type == "cuda"
             else f"{os.cpu_count()}-core CPU x{world} (torch {torch.__version__})")
    summary = {"steps": step, "tokens": step * tokens_per_step, "wall_s": wall_before + time.time() - t0, "device": where,
               "params": model.num_params(), "config": cfg.to_dict(), "history": history}
    if rank == 0:
        torch.save({"model": model.state_dict(), "config": cfg.to_dict()}, out / "final.pt")
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
    if ddp:
        dist.destroy_process_group()
    return summary


def snapshot(run_dir: Path, out: Path, wall_s: float | None = None) -> dict:
    """The run's checkpoint as a small resumable file: fp16 weights, step, history and schedule length (no optimizer)."""
    state = torch.load(run_dir / "checkpoint.pt", map_location="cpu")
    snap = {"model": {k: v.half() for k, v in state["model"].items()}, "step": state["step"],
            "history": state["extra"].get("history", {}), "max_steps": state["train_config"]["max_steps"],
            "config": state["train_config"]["model"]}
    if wall_s is not None:
        snap["history"]["wall_s"] = wall_s
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    torch.save(snap, tmp)
    tmp.replace(out)
    return {"step": snap["step"], "wall_s": snap["history"].get("wall_s", 0.0), "bytes": out.stat().st_size}


def average_weights(parts: list[tuple[Path, float]], out_dir: Path) -> dict:
    """Weighted average of runs' final weights (runs of one shape, e.g. a run and its continuation from init_from).

    Writes out_dir/final.pt and out_dir/summary.json. The summary's steps, tokens and wall time add up the distinct
    runs behind the ingredients (a run whose weights started another is counted once), so the card reports the
    compute that went into the average."""
    if not parts:
        raise ValueError("nothing to average")
    total = sum(w for _, w in parts)
    if total <= 0 or any(w < 0 for _, w in parts):
        raise ValueError("averaging weights must be non-negative with a positive sum")
    states = [torch.load(p, map_location="cpu") for p, _ in parts]
    config = states[0]["config"]
    for (p, _), st in zip(parts, states):
        if st["config"] != config:
            raise ValueError(f"{p} has a different model shape ({st['config']} vs {config})")
    avg = {}
    for k, v in states[0]["model"].items():
        if v.is_floating_point():
            avg[k] = sum(st["model"][k] * (w / total) for st, (_, w) in zip(states, parts))
        else:
            avg[k] = v
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save({"model": avg, "config": config}, out_dir / "final.pt")
    runs: dict[str, dict] = {}

    def collect(run: Path) -> None:
        s = json.loads((run / "summary.json").read_text()) if (run / "summary.json").exists() else {}
        if str(run.resolve()) in runs or not s:
            return
        runs[str(run.resolve())] = s
        ckpt = run / "checkpoint.pt"
        init = torch.load(ckpt, map_location="cpu")["train_config"].get("init_from") if ckpt.exists() else ""
        if init:
            collect(Path(init).parent)

    for p, _ in parts:
        collect(Path(p).parent)
    summary = {"averaged_from": [{"weights": str(p), "weight": w / total} for p, w in parts],
               "runs": sorted(os.path.relpath(r) for r in runs), "params": sum(v.numel() for v in avg.values() if v.is_floating_point()),
               "config": config, "steps": sum(s.get("steps", 0) for s in runs.values()),
               "tokens": sum(s.get("tokens", 0) for s in runs.values()),
               "wall_s": sum(s.get("wall_s", 0.0) for s in runs.values()),
               "history": {"log": [r for s in runs.values() for r in s.get("history", {}).get("log", [])], "evals": []}}
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def split_weights(run_dir: Path, out: Path, parts: int = 2) -> list[Path]:
    """A run's final weights as `parts` fp16 files of about equal size (a GPU lease returns files of 16 MiB at most).

    The first file also carries the model shape and the run's summary; `join_weights` puts them back together."""
    src = run_dir / "final.pt" if (run_dir / "final.pt").exists() else run_dir / "checkpoint.pt"
    st = torch.load(src, map_location="cpu")
    weights = {k: v.half() if v.is_floating_point() else v for k, v in st["model"].items()}
    groups: list[dict] = [{} for _ in range(parts)]
    sizes = [0] * parts
    for k in sorted(weights, key=lambda k: -weights[k].numel()):  # largest first, each to the lightest file
        i = sizes.index(min(sizes))
        groups[i][k] = weights[k]
        sizes[i] += weights[k].numel()
    summary = json.loads((run_dir / "summary.json").read_text()) if (run_dir / "summary.json").exists() else {}
    config = st.get("config") or st["train_config"]["model"]
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for i, g in enumerate(groups):
        f = out / f"{run_dir.name}.w{i}.pt"
        torch.save({"model": g, "part": i, "parts": parts, **({"config": config, "summary": summary} if i == 0 else {})}, f)
        files.append(f)
    return files


def join_weights(files: list[Path], out_dir: Path) -> dict:
    """The inverse of `split_weights`: out_dir/final.pt (fp32) and out_dir/summary.json."""
    states = sorted((torch.load(f, map_location="cpu") for f in files), key=lambda s: s["part"])
    if [s["part"] for s in states] != list(range(states[0]["parts"])):
        raise ValueError(f"expected parts 0..{states[0]['parts'] - 1} of one run, got {[s['part'] for s in states]}")
    model = {k: v.float() if v.is_floating_point() else v for s in states for k, v in s["model"].items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model, "config": states[0]["config"]}, out_dir / "final.pt")
    summary = states[0]["summary"]
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary
