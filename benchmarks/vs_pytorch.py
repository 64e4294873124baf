#!/usr/bin/env python3
"""Throughput of zoo against PyTorch (CPU), side by side, back to back in one run.

    pip install torch
    swift build -c release
    python3 benchmarks/vs_pytorch.py            # --threads 2 --models lenet,cnn,tinynet,vgg-lite,resnet20,resnet18 --quick --json
    python3 benchmarks/vs_pytorch.py --isa avx2 # both sides capped at AVX2

Each sequential model is built in PyTorch with nn.Sequential in the same layer order as zoo's YAML, the
ResNets as the usual CIFAR modules (benchmarks/pytorch_resnet.py), and each is trained
with SGD (lr 0.01, momentum 0.9) on one fixed random batch held in memory; a step is zero_grad,
forward, loss, backward, step. Inference runs under model.eval() and torch.no_grad(). Timing: a
warm-up, then the median of 5 windows (3 with --quick) of as many steps as fill about 1.5 s
(0.5 s with --quick; at least one step, so VGG-lite windows hold only a few steps). PyTorch runs with
torch.set_num_threads(T) and zoo with OMP_NUM_THREADS=T, T = --threads. zoo is run as
`$ZOO_BIN bench MODEL --dataset D --batch N --infer-batch M --steps S --windows W --json` (S = the
training steps PyTorch needed to fill a window, W = the window count) and `$ZOO_BIN bench --sgemm --json`;
ZOO_BIN defaults to .build/release/zoo under the repository root (this script's parent folder).
Inference batch: 1000 for LeNet, the training batch for the others.
Ratios are zoo / PyTorch: above 1 means zoo is faster.
`--isa avx2` caps both sides at AVX2 on any x86-64 machine: ONEDNN_MAX_CPU_ISA=AVX2 (zoo's oneDNN and
PyTorch's) and ATEN_CPU_CAPABILITY=avx2 (PyTorch's own kernels), set before torch is imported.

Exit status: 0 when every figure was measured; 1 when the zoo binary is missing (the PyTorch
figures are still measured and printed, zoo's shown as n/a, and the build command is printed);
3 when zoo exists but one of its commands failed or printed no usable JSON (shown as "error");
2 for a usage error (argparse).
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

# Environment that caps each side's kernels; it must be set before torch loads.
ISA_CAPS = {"native": {}, "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}}


def requested_isa(arguments):
    for index, argument in enumerate(arguments):
        if argument == "--isa" and index + 1 < len(arguments):
            return arguments[index + 1]
        if argument.startswith("--isa="):
            return argument.split("=", 1)[1]
    return "native"


os.environ.update(ISA_CAPS.get(requested_isa(sys.argv[1:]), {}))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from pytorch_resnet import resnet18, resnet20  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SGEMM_SIZE = 1024  # used for torch.mm when zoo does not report its own size


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def course_cnn(n_feature=6):
    return nn.Sequential(
        nn.Conv2d(1, n_feature, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(n_feature, n_feature, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(n_feature * 16, 50), nn.ReLU(), nn.Linear(50, 10), nn.LogSoftmax(dim=1))


def tinynet():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10), nn.LogSoftmax(dim=1))


def vgg_lite():
    layers, channels = [], 3
    for item in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1), nn.BatchNorm2d(item), nn.ReLU()]
            channels = item
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, 10))


# name: (builder, zoo dataset, input shape, train batch, infer batch, loss)
MODELS = {
    "lenet": (lenet, "mnist", (1, 28, 28), 64, 1000, nn.CrossEntropyLoss),
    "cnn": (course_cnn, "mnist", (1, 28, 28), 64, 64, nn.NLLLoss),
    "tinynet": (tinynet, "mnist", (1, 28, 28), 64, 64, nn.NLLLoss),
    "vgg-lite": (vgg_lite, "cifar10", (3, 32, 32), 128, 128, nn.CrossEntropyLoss),
    "resnet20": (resnet20, "cifar10", (3, 32, 32), 128, 128, nn.CrossEntropyLoss),
    "resnet18": (resnet18, "cifar10", (3, 32, 32), 128, 128, nn.CrossEntropyLoss),
}


def median_rate(step, items, windows, target_seconds):
    """Items per second: warm-up, then the median of `windows` windows of steps filling ~target_seconds."""
    step()  # first call allocates and picks kernels
    count, start = 0, time.perf_counter()
    while count < 2 or time.perf_counter() - start < 0.5 * target_seconds:
        step()
        count += 1
    steps = max(1, round(target_seconds / ((time.perf_counter() - start) / count)))
    rates = []
    for _ in range(windows):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(items * steps / (time.perf_counter() - start))
    return statistics.median(rates), steps


def bench_torch(name, windows, target_seconds):
    build, _, shape, batch, infer_batch, loss_type = MODELS[name]
    torch.manual_seed(0)
    model = build()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = loss_type()
    images = torch.randn(batch, *shape)
    labels = torch.randint(0, 10, (batch,))

    def train_step():
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()

    model.train()
    train_rate, train_steps = median_rate(train_step, batch, windows, target_seconds)

    model.eval()
    infer_images = torch.randn(infer_batch, *shape)

    def infer_step():
        model(infer_images)

    with torch.no_grad():
        infer_rate, infer_steps = median_rate(infer_step, infer_batch, windows, target_seconds)
    return {"train_images_per_sec": train_rate, "infer_images_per_sec": infer_rate,
            "train_steps_per_window": train_steps, "infer_steps_per_window": infer_steps}


def bench_torch_sgemm(n, windows, target_seconds):
    torch.manual_seed(0)
    a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    rate, _ = median_rate(lambda: torch.mm(a, b, out=c), 2 * n ** 3, windows, target_seconds)
    return rate / 1e9


def run_zoo(zoo_bin, args, threads):
    """The JSON object zoo prints (the last stdout line that parses as one), or (None, error text)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    try:
        done = subprocess.run([zoo_bin, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, str(error)
    if done.returncode != 0:
        return None, f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}"
    # zoo may print notes before its (possibly pretty-printed) JSON: take the last object that parses
    decoder, found, text = json.JSONDecoder(), None, done.stdout
    starts = [index for index, char in enumerate(text) if char == "{" and (index == 0 or text[index - 1] == "\n")]
    for start in starts:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict):
            found = value
    if found is not None:
        return found, None
    return None, f"no JSON object in output: {done.stdout.strip()[-500:]}"


def machine_busy_seconds():
    """CPU seconds all processes have used since boot (/proc/stat), or None off Linux."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(value, digits=0):
    if isinstance(value, str):
        return value
    return "n/a" if value is None else f"{value:,.{digits}f}"


def ratio(zoo, torch_value):
    if isinstance(zoo, (int, float)) and isinstance(torch_value, (int, float)) and torch_value > 0:
        return zoo / torch_value
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads and OMP_NUM_THREADS (default 2)")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma list out of {','.join(MODELS)}")
    parser.add_argument("--quick", action="store_true", help="3 windows of ~0.5 s instead of 5 of ~1.5 s")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of Markdown")
    parser.add_argument("--isa", choices=list(ISA_CAPS), default="native",
                        help="native (default), or avx2: cap oneDNN (both sides) and PyTorch's kernels at AVX2")
    options = parser.parse_args()
    models = [name.strip() for name in options.models.split(",") if name.strip()]
    unknown = [name for name in models if name not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    windows, target = (3, 0.5) if options.quick else (5, 1.5)

    torch.set_num_threads(options.threads)
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"warning: 1-minute load average is {load_before:.2f} before the run; other processes will "
              "distort the figures (OpenMP threads collapse when a core is taken)", file=sys.stderr)
    busy_start, own_start, wall_start = machine_busy_seconds(), own_cpu_seconds(), time.monotonic()
    zoo_bin = os.environ.get("ZOO_BIN") or os.path.join(REPO_ROOT, ".build", "release", "zoo")
    zoo_missing = not (os.path.isfile(zoo_bin) and os.access(zoo_bin, os.X_OK))
    build_hint = (f"zoo binary not found at {zoo_bin}: build it with `swift build -c release` in {REPO_ROOT} "
                  "(or set ZOO_BIN); zoo figures are n/a")
    if zoo_missing:
        print(build_hint, file=sys.stderr)
    zoo_failed = False

    def log(message):
        print(message, file=sys.stderr, flush=True)

    rows = []
    for name in models:
        _, dataset, _, batch, infer_batch, _ = MODELS[name]
        log(f"PyTorch {name} ...")
        theirs = bench_torch(name, windows, target)
        ours, error = (None, "zoo binary missing") if zoo_missing else (None, None)
        # zoo gets as many training steps per window as PyTorch needed to fill one (zoo times
        # max(1, steps / 4) inference steps), and the same number of windows
        zoo_steps = theirs["train_steps_per_window"]
        if not zoo_missing:
            log(f"zoo {name} ...")
            ours, error = run_zoo(zoo_bin, ["bench", name, "--dataset", dataset, "--batch", str(batch),
                                            "--infer-batch", str(infer_batch), "--steps", str(zoo_steps),
                                            "--windows", str(windows), "--json"], options.threads)
            if error:
                zoo_failed = True
                log(f"zoo bench {name} failed: {error}")
        zoo_value = (lambda key: ours.get(key) if ours else ("n/a" if zoo_missing else "error"))
        row = {"model": name, "dataset": dataset, "batch": batch, "infer_batch": infer_batch,
               "pytorch_train_images_per_sec": theirs["train_images_per_sec"],
               "zoo_train_images_per_sec": zoo_value("train_images_per_sec"),
               "pytorch_infer_images_per_sec": theirs["infer_images_per_sec"],
               "zoo_infer_images_per_sec": zoo_value("infer_images_per_sec"),
               "pytorch_train_steps_per_window": theirs["train_steps_per_window"],
               "pytorch_infer_steps_per_window": theirs["infer_steps_per_window"],
               "zoo_steps_per_window": None if zoo_missing else zoo_steps, "zoo": ours, "zoo_error": error}
        row["train_ratio"] = ratio(row["zoo_train_images_per_sec"], row["pytorch_train_images_per_sec"])
        row["infer_ratio"] = ratio(row["zoo_infer_images_per_sec"], row["pytorch_infer_images_per_sec"])
        rows.append(row)

    zoo_sgemm, sgemm_error, size = None, "zoo binary missing" if zoo_missing else None, DEFAULT_SGEMM_SIZE
    if not zoo_missing:
        log("zoo sgemm ...")
        zoo_sgemm, sgemm_error = run_zoo(zoo_bin, ["bench", "--sgemm", "--json"], options.threads)
        if sgemm_error:
            zoo_failed = True
            log(f"zoo bench --sgemm failed: {sgemm_error}")
        elif isinstance(zoo_sgemm.get("size"), int):
            size = zoo_sgemm["size"]
    log(f"PyTorch sgemm {size} ...")
    torch_gflops = bench_torch_sgemm(size, windows, target)
    zoo_gflops = zoo_sgemm.get("sgemm_gflops") if zoo_sgemm else ("n/a" if zoo_missing else "error")
    sgemm = {"size": size, "pytorch_gflops": torch_gflops, "zoo_gflops": zoo_gflops,
             "ratio": ratio(zoo_gflops, torch_gflops), "zoo_error": sgemm_error}

    # CPU other processes took while we measured, as a share of all cores: noise in the figures.
    busy_end, foreign_share = machine_busy_seconds(), None
    if busy_start is not None and busy_end is not None:
        foreign = (busy_end - busy_start) - (own_cpu_seconds() - own_start)
        foreign_share = max(0.0, foreign / ((time.monotonic() - wall_start) * (os.cpu_count() or 1)))
        if foreign_share > 0.05:
            print(f"warning: other processes used {foreign_share:.0%} of the CPU during the run; "
                  "the figures are not trustworthy", file=sys.stderr)
    meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "torch_version": torch.__version__, "cpu": cpu_model(), "threads": options.threads,
            "windows": windows, "window_seconds": target, "zoo_bin": zoo_bin, "zoo_missing": zoo_missing,
            "load_average_before": load_before, "other_processes_cpu_share": foreign_share,
            "isa": options.isa, "isa_environment": ISA_CAPS[options.isa],
            "pytorch_cpu_capability": torch.backends.cpu.get_cpu_capability()}

    if options.json:
        print(json.dumps({**meta, "models": rows, "sgemm": sgemm}, indent=2))
    else:
        print("| model | batch | PyTorch train img/s | zoo train img/s | ratio | "
              "PyTorch infer img/s | zoo infer img/s | ratio |")
        print("|---|---|--:|--:|--:|--:|--:|--:|")
        for row in rows:
            batch = str(row["batch"])
            if row["infer_batch"] != row["batch"]:
                batch += f" / {row['infer_batch']}"
            print(f"| {row['model']} | {batch} | {fmt(row['pytorch_train_images_per_sec'])} | "
                  f"{fmt(row['zoo_train_images_per_sec'])} | {fmt(row['train_ratio'], 2)} | "
                  f"{fmt(row['pytorch_infer_images_per_sec'])} | {fmt(row['zoo_infer_images_per_sec'])} | "
                  f"{fmt(row['infer_ratio'], 2)} |")
        print()
        print(f"sgemm {size}x{size} float32: PyTorch {fmt(torch_gflops, 1)} GFLOP/s, "
              f"zoo (oneDNN) {fmt(zoo_gflops, 1)} GFLOP/s, ratio {fmt(sgemm['ratio'], 2)}")
        print()
        print(f"Batch \"a / b\": train batch a, inference batch b. Ratio = zoo / PyTorch. Median of {windows} "
              f"windows of ~{target:g} s after a warm-up.")
        print(f"{meta['date']} · torch {meta['torch_version']} · {meta['cpu']} · ISA {options.isa} "
              f"(PyTorch kernels {meta['pytorch_cpu_capability']}) · {options.threads} threads · "
              f"other processes' CPU share during the run {fmt(foreign_share and 100 * foreign_share, 1)}%")

    if zoo_missing:
        print(build_hint, file=sys.stderr)
        return 1
    return 3 if zoo_failed else 0


if __name__ == "__main__":
    sys.exit(main())
