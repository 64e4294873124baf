#!/usr/bin/env python3
"""Throughput of zoo against PyTorch (CPU), side by side, back to back in one run.

    pip install torch
    swift build -c release
    python3 benchmarks/vs_pytorch.py            # --threads 2 --models lenet,cnn,tinynet,vgg-lite,resnet20,resnet18 --quick --json
    python3 benchmarks/vs_pytorch.py --isa avx2 # both sides capped at AVX2
    python3 benchmarks/vs_pytorch.py --end-to-end --models lenet   # one real MNIST epoch each side
    python3 benchmarks/vs_pytorch.py --precision bf16               # zoo bf16 against PyTorch autocast bf16 and zoo fp32

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

`--precision bf16` compares mixed precision instead (default models vgg-lite, resnet20, resnet18): PyTorch's
training step runs forward and loss under torch.autocast("cpu", dtype=torch.bfloat16) (backward and step outside
it, as its documentation does) and inference under autocast and no_grad(); zoo runs `zoo bench` twice, with
`--precision bf16` and `--precision fp32` (the same steps and windows). The table shows zoo bf16 / PyTorch bf16
and zoo bf16 / zoo fp32. Where oneDNN has no native bf16 (e.g. with `--isa avx2`) zoo refuses bf16; the row
says so and the script still exits 0.

`--end-to-end` measures one real epoch instead of the synthetic steps above (the sgemm line is skipped),
for the models with a real dataset here: lenet, cnn and tinynet on MNIST (the default set) and resnet20 on
Fashion-MNIST (slow; only when named in --models); vgg-lite and resnet18 need CIFAR-10 and are refused.
zoo side: `$ZOO_BIN train --model M --dataset D --epochs 2 --batch-size B --seed 1 --out TMP/run
--data-dir DATA` under OMP_NUM_THREADS=T (TMP from tempfile.mkdtemp(), removed afterwards; DATA =
--data-dir, default ../shared/datasets beside the repository root, searched like zoo: DATA, $ZOO_DATA,
./data, then /usr/share/datasets/fashion-mnist). Its epoch images/s and seconds are the `images_per_sec`
and `seconds` columns of the first epoch in TMP/run/metrics.csv: zoo times the epoch's training loop, that is
gathering each shuffled batch out of the uint8 images and normalising it (one batch ahead, on a background
thread), the steps, and the loss and accuracy bookkeeping; its shuffled order is drawn before the clock starts
and the test-set evaluation is left out. zoo flushes every line it prints, so each "Test set:" line is stamped
as it arrives: the time between the two is one whole epoch as a run lives it (epoch 1's metrics.csv, TensorBoard
events, report.html and both checkpoints, then epoch 2's loader, steps and evaluation), shown as "whole epoch"
images/s; the time to the first is the whole command up to epoch 1's test result (process start, reading the
gzipped IDX files, the epoch, its evaluation).

PyTorch side: the same 60,000 images read with pytorch_lenet_mnist.load (normalised with the dataset's
mean and std, as zoo does by default, and held in memory as tensors), torch.manual_seed(1), the same
modules as the synthetic table (resnet20 with one input channel), SGD lr 0.01 momentum 0.9, one epoch of
shuffled batches of B including the last partial one. The torch.randperm order is drawn before the clock
starts; the timed loop is, per step, indexing the batch out of the tensors, zero_grad, forward, loss,
backward, step, and summing the loss and correct count. The 10,000 test images are then evaluated in
chunks of 1000 under eval() and no_grad(), timed separately; the time to load the data is reported in
--json but is in neither figure. Both sides are real epochs without a warm-up (first-step kernel setup
included). "train/bench" is zoo's epoch images/s over the train_images_per_sec of `$ZOO_BIN bench M
--dataset D --batch B --json` (issue 10's target: 90% or more), "whole/bench" the whole epoch's (issue 21's: 95%).

Exit status: 0 when every figure was measured; 1 when the zoo binary is missing (the PyTorch
figures are still measured and printed, zoo's shown as n/a, and the build command is printed);
3 when zoo exists but one of its commands failed, printed no usable JSON or (--end-to-end) left no
usable metrics.csv (shown as "error");
2 for a usage error (argparse).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
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
from pytorch_lenet_mnist import load  # noqa: E402

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

# --end-to-end: name: (dataset, PyTorch builder for its images); the batch and loss come from MODELS.
END_TO_END = {
    "lenet": ("mnist", lenet),
    "cnn": ("mnist", course_cnn),
    "tinynet": ("mnist", tinynet),
    "resnet20": ("fashion-mnist", lambda: resnet20(in_channels=1)),
}
END_TO_END_DEFAULT = ["lenet", "cnn", "tinynet"]  # resnet20 takes long: only when named in --models
# zoo's default normalisation of each dataset (ZooData/Datasets/*.swift)
DATASET_STATS = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530)}
SYSTEM_DATA_FOLDERS = {"fashion-mnist": ["/usr/share/datasets/fashion-mnist"]}
DEFAULT_DATA_DIR = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "datasets"))
SEED = 1


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


def bench_torch(name, windows, target_seconds, bf16=False):
    build, _, shape, batch, infer_batch, loss_type = MODELS[name]
    torch.manual_seed(0)
    model = build()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = loss_type()
    images = torch.randn(batch, *shape)
    labels = torch.randint(0, 10, (batch,))

    def train_step():
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()

    model.train()
    train_rate, train_steps = median_rate(train_step, batch, windows, target_seconds)

    model.eval()
    infer_images = torch.randn(infer_batch, *shape)

    def infer_step():
        model(infer_images)

    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        infer_rate, infer_steps = median_rate(infer_step, infer_batch, windows, target_seconds)
    return {"train_images_per_sec": train_rate, "infer_images_per_sec": infer_rate,
            "train_steps_per_window": train_steps, "infer_steps_per_window": infer_steps}


def bench_torch_sgemm(n, windows, target_seconds):
    torch.manual_seed(0)
    a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    rate, _ = median_rate(lambda: torch.mm(a, b, out=c), 2 * n ** 3, windows, target_seconds)
    return rate / 1e9


def run_zoo_command(zoo_bin, args, threads):
    """(completed process, None) when zoo exited 0, else (None, error text)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    try:
        done = subprocess.run([zoo_bin, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, str(error)
    if done.returncode != 0:
        return None, f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}"
    return done, None


def run_zoo(zoo_bin, args, threads):
    """The JSON object zoo prints (the last stdout line that parses as one), or (None, error text)."""
    done, error = run_zoo_command(zoo_bin, args, threads)
    if error:
        return None, error
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


def dataset_folder(data_dir, dataset):
    """The folder holding `dataset`'s gzipped IDX files, searched as zoo does: DATA_DIR, $ZOO_DATA, ./data
    (under the repository root, zoo's working directory), then the system folders; None if absent."""
    roots = [data_dir, os.environ.get("ZOO_DATA"), os.path.join(REPO_ROOT, "data")]
    candidates = [os.path.join(root, dataset) for root in roots if root] + SYSTEM_DATA_FOLDERS.get(dataset, [])
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, "train-images-idx3-ubyte.gz")):
            return folder
    return None


def torch_epoch(name, folder, dataset):
    """One real epoch in PyTorch on the dataset held in memory: training loop and test evaluation timed apart."""
    build = END_TO_END[name][1]
    _, _, _, batch, _, loss_type = MODELS[name]
    mean, std = DATASET_STATS[dataset]
    start = time.perf_counter()
    train_images, train_labels = load(folder, "train", mean, std)
    test_images, test_labels = load(folder, "t10k", mean, std)
    load_seconds = time.perf_counter() - start
    torch.manual_seed(SEED)
    model = build()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = loss_type()

    model.train()
    loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.int64)
    order = torch.randperm(len(train_labels))  # zoo too draws its order before its epoch clock starts
    start = time.perf_counter()
    for first in range(0, len(order), batch):
        indices = order[first:first + batch]
        images, labels = train_images[indices], train_labels[indices]
        optimizer.zero_grad()
        output = model(images)
        loss = criterion(output, labels)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * len(indices)
        correct += (output.detach().argmax(1) == labels).sum()
    train_seconds = time.perf_counter() - start

    model.eval()
    test_correct = 0
    start = time.perf_counter()
    with torch.no_grad():
        for first in range(0, len(test_labels), 1000):
            chunk = slice(first, first + 1000)
            test_correct += (model(test_images[chunk]).argmax(1) == test_labels[chunk]).sum().item()
    test_seconds = time.perf_counter() - start
    count = len(train_labels)
    return {"images": count, "train_seconds": train_seconds, "train_images_per_sec": count / train_seconds,
            "train_loss": loss_sum.item() / count, "train_accuracy": correct.item() / count,
            "test_seconds": test_seconds, "test_accuracy": test_correct / len(test_labels),
            "load_seconds": load_seconds}


def zoo_epoch(zoo_bin, name, dataset, batch, data_dir, threads):
    """Two `zoo train` epochs in a temporary run folder: metrics.csv's figures of the first, the whole epoch
    between the two test results, and the wall times; or (None, error text)."""
    folder = tempfile.mkdtemp(prefix=f"zoo-e2e-{name}-")
    run_folder = os.path.join(folder, "run")
    command = [zoo_bin, "train", "--model", name, "--dataset", dataset, "--epochs", "2", "--batch-size", str(batch),
               "--seed", str(SEED), "--out", run_folder, "--data-dir", data_dir]
    try:
        # zoo flushes each line: the moment "Test set: ..." arrives is the end of that epoch's evaluation
        start, test_lines = time.perf_counter(), []
        try:
            process = subprocess.Popen(command, env=dict(os.environ, OMP_NUM_THREADS=str(threads)), cwd=REPO_ROOT,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        except OSError as error:
            return None, str(error)
        output = []
        for line in process.stdout:
            output.append(line)
            if line.startswith("Test set:"):
                test_lines.append(time.perf_counter() - start)
        process.wait()
        wall_seconds = time.perf_counter() - start
        if process.returncode != 0 or len(test_lines) != 2:
            return None, f"exit {process.returncode}: {''.join(output).strip()[-500:]}"
        try:
            with open(os.path.join(run_folder, "metrics.csv")) as metrics:
                lines = [line.strip() for line in metrics if line.strip()]
            row = dict(zip(lines[0].split(","), lines[1].split(",")))
            figures = {key: float(row[key]) for key in ("images_per_sec", "seconds", "train_loss",
                                                        "train_accuracy", "test_accuracy")}
        except (OSError, IndexError, KeyError, ValueError) as error:
            return None, f"no usable metrics.csv in {run_folder}: {error}"
        return {**figures, "first_test_seconds": test_lines[0], "whole_epoch_seconds": test_lines[1] - test_lines[0],
                "wall_seconds": wall_seconds}, None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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


def run_synthetic(models, options, windows, target, zoo_bin, zoo_missing, log):
    """The synthetic table's rows and the sgemm line, and whether a zoo command failed."""
    zoo_failed = False
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
    return rows, sgemm, zoo_failed


def print_synthetic(rows, sgemm, windows, target):
    size, torch_gflops, zoo_gflops = sgemm["size"], sgemm["pytorch_gflops"], sgemm["zoo_gflops"]
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


BF16_DEFAULT = ["vgg-lite", "resnet20", "resnet18"]
BF16_REFUSED = "bf16 needs a CPU with native bf16"


def run_precision(models, options, windows, target, zoo_bin, zoo_missing, log):
    """Per model: PyTorch autocast bf16, zoo bf16 and zoo fp32, back to back; and whether a zoo command failed."""
    zoo_failed, rows = False, []
    for name in models:
        _, dataset, _, batch, infer_batch, _ = MODELS[name]
        log(f"PyTorch {name} autocast bf16 ...")
        theirs = bench_torch(name, windows, target, bf16=True)
        row = {"model": name, "dataset": dataset, "batch": batch, "infer_batch": infer_batch,
               "pytorch_bf16_train_images_per_sec": theirs["train_images_per_sec"],
               "pytorch_bf16_infer_images_per_sec": theirs["infer_images_per_sec"]}
        for precision in ("bf16", "fp32"):
            figures, error = (None, "zoo binary missing") if zoo_missing else (None, None)
            if not zoo_missing:
                log(f"zoo {name} {precision} ...")
                figures, error = run_zoo(zoo_bin, ["bench", name, "--dataset", dataset, "--batch", str(batch),
                                                   "--infer-batch", str(infer_batch), "--precision", precision,
                                                   "--steps", str(theirs["train_steps_per_window"]),
                                                   "--windows", str(windows), "--json"], options.threads)
                if error and BF16_REFUSED in error:
                    error = "refused: " + error[error.index(BF16_REFUSED):].splitlines()[0]
                elif error:
                    zoo_failed = True
                    log(f"zoo bench {name} --precision {precision} failed: {error}")
            missing = "n/a" if zoo_missing else ("refused" if error and error.startswith("refused") else "error")
            for kind in ("train", "infer"):
                row[f"zoo_{precision}_{kind}_images_per_sec"] = figures.get(f"{kind}_images_per_sec") if figures else missing
            row[f"zoo_{precision}"], row[f"zoo_{precision}_error"] = figures, error
        for kind in ("train", "infer"):
            row[f"{kind}_ratio_to_pytorch_bf16"] = ratio(row[f"zoo_bf16_{kind}_images_per_sec"], row[f"pytorch_bf16_{kind}_images_per_sec"])
            row[f"{kind}_ratio_to_zoo_fp32"] = ratio(row[f"zoo_bf16_{kind}_images_per_sec"], row[f"zoo_fp32_{kind}_images_per_sec"])
        rows.append(row)
    return rows, zoo_failed


def print_precision(rows, windows, target):
    for kind, title in (("train", "training"), ("infer", "inference")):
        print(f"| model | batch | PyTorch bf16 {kind} img/s | zoo fp32 {kind} img/s | zoo bf16 {kind} img/s | "
              "zoo bf16 / PyTorch bf16 | zoo bf16 / zoo fp32 |")
        print("|---|---|--:|--:|--:|--:|--:|")
        for row in rows:
            batch = row["batch"] if kind == "train" else row["infer_batch"]
            print(f"| {row['model']} | {batch} | {fmt(row[f'pytorch_bf16_{kind}_images_per_sec'])} | "
                  f"{fmt(row[f'zoo_fp32_{kind}_images_per_sec'])} | {fmt(row[f'zoo_bf16_{kind}_images_per_sec'])} | "
                  f"{fmt(row[f'{kind}_ratio_to_pytorch_bf16'], 2)} | {fmt(row[f'{kind}_ratio_to_zoo_fp32'], 2)} |")
        print()
    refusals = sorted({row["zoo_bf16_error"] for row in rows if (row["zoo_bf16_error"] or "").startswith("refused")})
    for refusal in refusals:
        print(f"zoo {refusal}")
    print(f"PyTorch: torch.autocast(\"cpu\", dtype=torch.bfloat16). Median of {windows} windows of ~{target:g} s "
          "after a warm-up.")


def run_end_to_end(models, options, data_dir, zoo_bin, zoo_missing, log):
    """One real epoch per model on each side, and zoo bench's training figure; and whether zoo failed."""
    zoo_failed, rows = False, []
    quick = ["--windows", "3"] if options.quick else []
    for name in models:
        dataset = END_TO_END[name][0]
        batch = MODELS[name][3]
        folder = dataset_folder(data_dir, dataset)
        log(f"PyTorch {name} epoch on {folder} ...")
        theirs = torch_epoch(name, folder, dataset)
        epoch, epoch_error, bench, bench_error = None, None, None, None
        if zoo_missing:
            epoch_error = bench_error = "zoo binary missing"
        else:
            log(f"zoo train {name} (two epochs) ...")
            epoch, epoch_error = zoo_epoch(zoo_bin, name, dataset, batch, data_dir, options.threads)
            if epoch_error:
                zoo_failed = True
                log(f"zoo train {name} failed: {epoch_error}")
            log(f"zoo bench {name} ...")
            bench, bench_error = run_zoo(zoo_bin, ["bench", name, "--dataset", dataset, "--batch", str(batch),
                                                   *quick, "--json"], options.threads)
            if bench_error:
                zoo_failed = True
                log(f"zoo bench {name} failed: {bench_error}")
        missing = "n/a" if zoo_missing else "error"
        epoch_value = (lambda key: epoch[key] if epoch else missing)
        row = {"model": name, "dataset": dataset, "data_folder": folder, "batch": batch, "images": theirs["images"],
               "pytorch_train_images_per_sec": theirs["train_images_per_sec"],
               "zoo_train_images_per_sec": epoch_value("images_per_sec"),
               "pytorch_train_seconds": theirs["train_seconds"], "zoo_train_seconds": epoch_value("seconds"),
               "pytorch_test_seconds": theirs["test_seconds"], "pytorch_load_seconds": theirs["load_seconds"],
               "zoo_first_test_seconds": epoch_value("first_test_seconds"),
               "zoo_whole_epoch_seconds": epoch_value("whole_epoch_seconds"),
               "zoo_two_epoch_command_seconds": epoch_value("wall_seconds"),
               "pytorch_train_loss": theirs["train_loss"], "zoo_train_loss": epoch_value("train_loss"),
               "pytorch_test_accuracy": theirs["test_accuracy"], "zoo_test_accuracy": epoch_value("test_accuracy"),
               "zoo_bench_train_images_per_sec": bench.get("train_images_per_sec") if bench else missing,
               "zoo_bench": bench, "zoo_train_error": epoch_error, "zoo_bench_error": bench_error}
        row["train_ratio"] = ratio(row["zoo_train_images_per_sec"], row["pytorch_train_images_per_sec"])
        row["train_over_bench"] = ratio(row["zoo_train_images_per_sec"], row["zoo_bench_train_images_per_sec"])
        whole = row["zoo_whole_epoch_seconds"]
        row["zoo_whole_epoch_images_per_sec"] = theirs["images"] / whole if isinstance(whole, float) and whole > 0 else whole
        row["whole_epoch_over_bench"] = ratio(row["zoo_whole_epoch_images_per_sec"], row["zoo_bench_train_images_per_sec"])
        rows.append(row)
    return rows, zoo_failed


def print_end_to_end(rows):
    print("| model | batch | PyTorch epoch img/s | zoo epoch img/s | ratio | zoo bench train img/s | train/bench | "
          "zoo whole epoch img/s | whole/bench | PyTorch train + test s | zoo train s / launch to first test s | "
          "test accuracy PyTorch / zoo |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    def percent(value, digits):
        return f"{100 * value:.{digits}f}%" if isinstance(value, (int, float)) else fmt(value)

    for row in rows:
        print(f"| {row['model']} ({row['dataset']}) | {row['batch']} | {fmt(row['pytorch_train_images_per_sec'])} | "
              f"{fmt(row['zoo_train_images_per_sec'])} | {fmt(row['train_ratio'], 2)} | "
              f"{fmt(row['zoo_bench_train_images_per_sec'])} | {percent(row['train_over_bench'], 0)} | "
              f"{fmt(row['zoo_whole_epoch_images_per_sec'])} | {percent(row['whole_epoch_over_bench'], 0)} | "
              f"{fmt(row['pytorch_train_seconds'], 1)} + {fmt(row['pytorch_test_seconds'], 1)} | "
              f"{fmt(row['zoo_train_seconds'], 1)} / {fmt(row['zoo_first_test_seconds'], 1)} | "
              f"{percent(row['pytorch_test_accuracy'], 2)} / {percent(row['zoo_test_accuracy'], 2)} |")
    print()
    print("One real epoch of 60,000 images, seed 1, SGD lr 0.01 momentum 0.9. Epoch img/s: the first epoch's training loop "
          "(zoo: metrics.csv, gathering and normalising batches included; PyTorch: data already normalised in memory). "
          "Ratio = zoo / PyTorch. train/bench = zoo's epoch img/s / `zoo bench`'s training img/s. zoo whole epoch: "
          "60,000 images over the time between the first and the second epoch's test result of a two-epoch `zoo train` "
          "(epoch 1's metrics, report and checkpoints, epoch 2's loader and steps, its evaluation); whole/bench: issue 21's "
          "target 95%. Launch to first test: `zoo train`'s process start, reading the data, epoch 1 and its evaluation.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads and OMP_NUM_THREADS (default 2)")
    parser.add_argument("--models", help=f"comma list out of {','.join(MODELS)} (default: all); with --end-to-end out of "
                                         f"{','.join(END_TO_END)} (default: {','.join(END_TO_END_DEFAULT)})")
    parser.add_argument("--quick", action="store_true", help="3 windows of ~0.5 s instead of 5 of ~1.5 s "
                                                             "(with --end-to-end: zoo bench --windows 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of Markdown")
    parser.add_argument("--isa", choices=list(ISA_CAPS), default="native",
                        help="native (default), or avx2: cap oneDNN (both sides) and PyTorch's kernels at AVX2")
    parser.add_argument("--end-to-end", action="store_true",
                        help="one real epoch of `zoo train` against the same epoch in PyTorch (data in memory), "
                             "and zoo's epoch against `zoo bench`, instead of the synthetic table")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="bf16: zoo bf16 against PyTorch autocast bf16 and zoo fp32 (default models "
                             f"{','.join(BF16_DEFAULT)}; not with --end-to-end)")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR,
                        help=f"with --end-to-end: folder holding mnist/ (and fashion-mnist/), passed to zoo train "
                             f"(default {DEFAULT_DATA_DIR}; fashion-mnist is also found in /usr/share/datasets)")
    options = parser.parse_args()
    if options.end_to_end and options.precision == "bf16":
        parser.error("--precision bf16 compares synthetic steps; leave out --end-to-end")
    bf16 = options.precision == "bf16"
    choices = END_TO_END if options.end_to_end else MODELS
    if options.models is None:
        models = END_TO_END_DEFAULT if options.end_to_end else BF16_DEFAULT if bf16 else list(MODELS)
    else:
        models = [name.strip() for name in options.models.split(",") if name.strip()]
    unknown = [name for name in models if name not in choices]
    if unknown:
        no_data = [name for name in unknown if name in MODELS]
        why = f" ({', '.join(no_data)}: no real dataset here, CIFAR-10 is needed)" if no_data else ""
        parser.error(f"model(s) {', '.join(unknown)} not available{' with --end-to-end' if options.end_to_end else ''}"
                     f"{why}; choose from {', '.join(choices)}")
    data_dir = os.path.abspath(options.data_dir)
    if options.end_to_end:
        absent = sorted({END_TO_END[name][0] for name in models if not dataset_folder(data_dir, END_TO_END[name][0])})
        if absent:
            parser.error(f"dataset(s) {', '.join(absent)} not found under {data_dir}, $ZOO_DATA, "
                         f"{os.path.join(REPO_ROOT, 'data')} or the system folders; pass --data-dir")
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

    def log(message):
        print(message, file=sys.stderr, flush=True)

    sgemm = None
    if options.end_to_end:
        rows, zoo_failed = run_end_to_end(models, options, data_dir, zoo_bin, zoo_missing, log)
    elif bf16:
        rows, zoo_failed = run_precision(models, options, windows, target, zoo_bin, zoo_missing, log)
    else:
        rows, sgemm, zoo_failed = run_synthetic(models, options, windows, target, zoo_bin, zoo_missing, log)

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
            # with --end-to-end: zoo bench's --windows (3 with --quick, else its default 5) of its default 20 steps
            "windows": windows, "window_seconds": None if options.end_to_end else target,
            "zoo_bin": zoo_bin, "zoo_missing": zoo_missing,
            "load_average_before": load_before, "other_processes_cpu_share": foreign_share,
            "isa": options.isa, "isa_environment": ISA_CAPS[options.isa], "precision": options.precision,
            "pytorch_cpu_capability": torch.backends.cpu.get_cpu_capability()}

    if options.json:
        extra = ({"mode": "end-to-end", "data_dir": data_dir} if options.end_to_end else {"mode": "precision"} if bf16
                 else {"sgemm": sgemm})
        print(json.dumps({**meta, "models": rows, **extra}, indent=2))
    else:
        if options.end_to_end:
            print_end_to_end(rows)
        elif bf16:
            print_precision(rows, windows, target)
        else:
            print_synthetic(rows, sgemm, windows, target)
        print(f"{meta['date']} · torch {meta['torch_version']} · {meta['cpu']} · ISA {options.isa} "
              f"(PyTorch kernels {meta['pytorch_cpu_capability']}) · {options.threads} threads · "
              f"other processes' CPU share during the run {fmt(foreign_share and 100 * foreign_share, 1)}%")

    if zoo_missing:
        print(build_hint, file=sys.stderr)
        return 1
    return 3 if zoo_failed else 0


if __name__ == "__main__":
    sys.exit(main())
