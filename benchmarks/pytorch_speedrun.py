#!/usr/bin/env python3
"""A zoo speedrun config's recipe in PyTorch: the same net, schedule, batch size and augmentation.

    python3 benchmarks/pytorch_speedrun.py configs/speedrun_mnist.yaml --seed 1 --data-dir ../shared/datasets
    python3 benchmarks/pytorch_speedrun.py configs/speedrun_fashion.yaml --seed 1 --json

The zoo config and its architecture file (zoo/NAME.yaml, or the path the config names) are read with PyYAML and
translated, key by key, into torch: a sequential net of conv2d, batchnorm(2d), relu, gelu, silu, maxpool2d,
avgpool2d, global_avgpool, flatten, linear, dropout and log_softmax layers (torch's default initialisation,
as zoo's); SGD, Adam or AdamW with the config's settings; `onecycle` as torch.optim.lr_scheduler.OneCycleLR
stepped every batch, or a constant rate; `loss: {label_smoothing}` as nn.CrossEntropyLoss(label_smoothing=...);
`dataset.translate: N` (each image shifted by -N..N pixels per axis, zero fill before normalisation) and
`dataset.hflip`; `replicas: N` (zoo splits each batch across N single-threaded copies of the net, so each
batch norm normalises each share on that share's own statistics, as DistributedDataParallel without
SyncBatchNorm) as GhostBatchNorm2d: the batch cut into the same N shares (torch.tensor_split, as zoo's), each
normalised on its own mean and variance, the running statistics updated from the first share only (as DDP's
rank 0 keeps them); `evaluate_every: N` (test evaluation after every N epochs and the last); `tta: [translate]` / `[hflip, translate]` (mean softmax over the views, zero fill after
normalisation, as zoo); `precision: bf16` as torch.autocast("cpu", torch.bfloat16) around forward and loss.
Anything else in the config is refused, so the two sides cannot drift apart silently.

Data: the gzipped IDX files are read into memory as normalised float tensors before the clock starts (zoo's
whole-command time includes its reading). The timed part is every epoch (shuffled batches of batch_size,
the last partial one included, augmentation on the batch, zero_grad, forward, loss, backward, step,
scheduler step) and the test evaluation after each evaluated epoch (chunks of 1000 under eval() and no_grad()).
Prints one line per epoch, `epoch E: test accuracy A, S s since the clock started`, or with --json one
object: {"seed", "epochs": [{"epoch", "test_accuracy", "seconds"}], "load_seconds", "process_seconds"}.
"""
import argparse
import json
import os
import sys
import time

PROCESS_START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402
from torch import nn  # noqa: E402

from pytorch_lenet_mnist import read_idx  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# zoo's default normalisation per dataset (Sources/ZooData/Datasets) and where the data usually is
DATASETS = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530)}
SYSTEM_FOLDERS = {"fashion-mnist": "/usr/share/datasets/fashion-mnist"}


def refuse(message):
    sys.exit(f"pytorch_speedrun.py: {message}")


def canonical(name):
    return str(name).lower().replace("_", "-")


def load_split(folder, split):
    images = torch.from_numpy(read_idx(f"{folder}/{split}-images-idx3-ubyte.gz").copy()).unsqueeze(1)
    labels = torch.from_numpy(read_idx(f"{folder}/{split}-labels-idx1-ubyte.gz").astype(np.int64))
    return images, labels


def data_folder(dataset, data_dir):
    for root in (data_dir, os.environ.get("ZOO_DATA"), os.path.join(REPO_ROOT, "data")):
        if root and os.path.isfile(os.path.join(root, dataset, "train-images-idx3-ubyte.gz")):
            return os.path.join(root, dataset)
    folder = SYSTEM_FOLDERS.get(dataset)
    if folder and os.path.isfile(os.path.join(folder, "train-images-idx3-ubyte.gz")):
        return folder
    refuse(f"no {dataset} under {data_dir}, $ZOO_DATA or ./data; pass --data-dir")


def layer_settings(entry):
    """(type, settings) of one architecture-file layer: `relu`, `maxpool2d: 2` or `conv2d: {...}`."""
    if isinstance(entry, str):
        return canonical(entry), {}
    (kind, value), = entry.items()
    settings = value if isinstance(value, dict) else ({} if value is None else {"primary": value})
    return canonical(kind), {key: item for key, item in settings.items() if key != "name"}


class GhostBatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d over each of `replicas` shares of the training batch on that share's own statistics;
    the running statistics follow the first share (zoo's replica 0, DDP's rank 0). Evaluation as nn.BatchNorm2d."""

    def __init__(self, channels, replicas, **settings):
        super().__init__(channels, **settings)
        self.replicas = replicas

    def forward(self, images):
        if not self.training or self.replicas == 1:
            return super().forward(images)
        first, *others = torch.tensor_split(images, self.replicas)
        outputs = [nn.functional.batch_norm(first, self.running_mean, self.running_var, self.weight, self.bias, True,
                                            self.momentum, self.eps)]
        outputs += [nn.functional.batch_norm(share, None, None, self.weight, self.bias, True, 0.0, self.eps)
                    for share in others if len(share)]
        return torch.cat(outputs)


def build_net(architecture, classes, shape, replicas=1):
    """torch modules in the architecture's order; `shape` (channels, height, width) follows the layers."""
    if "blocks" in architecture or "params" in architecture:
        refuse("only plain sequential architectures (no blocks or params) are translated")
    layers, (channels, height, width), flat = [], shape, None

    def size(value):
        return classes if value == "num_classes" else int(value)

    for entry in architecture["layers"]:
        kind, settings = layer_settings(entry)
        if kind == "conv2d":
            kernel, stride, padding = size(settings["kernel"]), size(settings.get("stride", 1)), size(settings.get("padding", 0))
            out = size(settings["out"])
            layers.append(nn.Conv2d(channels, out, kernel, stride, padding, bias=settings.get("bias", True)))
            channels, height, width = out, (height + 2 * padding - kernel) // stride + 1, (width + 2 * padding - kernel) // stride + 1
        elif kind in ("batchnorm", "batchnorm2d"):
            layers.append(GhostBatchNorm2d(channels, replicas, eps=settings.get("eps", 1e-5), momentum=settings.get("momentum", 0.1)))
        elif kind in ("relu", "gelu", "silu", "log-softmax"):
            layers.append({"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "log-softmax": lambda: nn.LogSoftmax(1)}[kind]())
        elif kind in ("maxpool2d", "avgpool2d"):
            kernel = size(settings.get("primary", settings.get("kernel")))
            stride = size(settings.get("stride", kernel))
            layers.append((nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d)(kernel, stride))
            height, width = (height - kernel) // stride + 1, (width - kernel) // stride + 1
        elif kind == "global-avgpool":
            layers.append(nn.AdaptiveAvgPool2d(1))
            height = width = 1
        elif kind == "flatten":
            layers.append(nn.Flatten())
            flat = channels * height * width
        elif kind == "linear":
            out = size(settings["out"])
            layers.append(nn.Linear(flat, out, bias=settings.get("bias", True)))
            flat = out
        elif kind == "dropout":
            layers.append(nn.Dropout(float(settings.get("primary", settings.get("p", 0.5)))))
        else:
            refuse(f"layer type {kind} is not translated")
        unknown = set(settings) - {"primary", "kernel", "stride", "padding", "out", "bias", "eps", "momentum", "p"}
        if unknown:
            refuse(f"{kind} settings {sorted(unknown)} are not translated")
    return nn.Sequential(*layers)


def optimizer_for(settings, parameters):
    settings = {"name": settings} if isinstance(settings, str) else dict(settings)
    name = canonical(settings.pop("name", "sgd"))
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=settings.get("lr", 0.01), momentum=settings.get("momentum", 0),
                               dampening=settings.get("dampening", 0), nesterov=settings.get("nesterov", False),
                               weight_decay=settings.get("weight_decay", 0))
    if name in ("adam", "adamw"):
        kind = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return kind(parameters, lr=settings.get("lr", 0.001), betas=tuple(settings.get("betas", (0.9, 0.999))),
                    eps=float(settings.get("eps", 1e-8)), weight_decay=settings.get("weight_decay", 0 if name == "adam" else 0.01))
    refuse(f"optimizer {name} is not translated")


def scheduler_for(settings, optimizer, epochs, steps_per_epoch):
    """OneCycleLR stepped every batch, or None for a constant rate."""
    if settings in (None, "none"):
        return None
    settings = dict(settings)
    if canonical(settings.pop("name")) != "onecycle":
        refuse("only the onecycle schedule is translated")
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.get("max_lr", optimizer.param_groups[0]["lr"]), epochs=settings.get("epochs", epochs),
        steps_per_epoch=steps_per_epoch, pct_start=settings.get("pct_start", 0.3),
        anneal_strategy=settings.get("anneal_strategy", "cos"), div_factor=settings.get("div_factor", 25.0),
        final_div_factor=settings.get("final_div_factor", 1e4), three_phase=settings.get("three_phase", False),
        cycle_momentum=settings.get("cycle_momentum", True), base_momentum=settings.get("base_momentum", 0.85),
        max_momentum=settings.get("max_momentum", 0.95))


def shifted(images, rows, columns, fill):
    """Each image moved by its own (row, column) shift, `fill` where nothing moves in (one slice per distinct shift)."""
    reach = int(max(rows.abs().max(), columns.abs().max()))
    if reach == 0:
        return images
    height, width = images.shape[-2:]
    padded = torch.nn.functional.pad(images, (reach, reach, reach, reach), value=fill)
    result = torch.empty_like(images)
    keys = (rows + reach) * (2 * reach + 1) + (columns + reach)
    for key in keys.unique().tolist():
        row, column = divmod(key, 2 * reach + 1)
        chosen = (keys == key).nonzero().squeeze(1)
        # output(y, x) = input(y - row, x - column)
        top, left = 2 * reach - row, 2 * reach - column
        result[chosen] = padded[chosen, :, top:top + height, left:left + width]
    return result


def tta_views(names):
    flips = [False, True] if "hflip" in names else [False]
    shifts = [0, 1, -1] if "translate" in names else [0]
    return [(flip, shift) for flip in flips for shift in shifts]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "datasets")))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    with open(options.config) as file:
        config = yaml.safe_load(file)
    translated = {"name", "model", "dataset", "optimizer", "schedule", "epochs", "batch_size", "seed", "loss", "tta",
                  "precision", "log_every", "replicas", "evaluate_every"}
    if set(config) - translated:
        refuse(f"config keys {sorted(set(config) - translated)} are not translated")
    model = config.get("model", "lenet")
    model_path = model if str(model).endswith(".yaml") else os.path.join(REPO_ROOT, "zoo", f"{model}.yaml")
    with open(model_path if os.path.isabs(model_path) else os.path.join(REPO_ROOT, model_path)) as file:
        architecture = yaml.safe_load(file)
    dataset = config.get("dataset", "mnist")
    dataset = {"name": dataset} if isinstance(dataset, str) else dict(dataset)
    name = canonical(dataset.pop("name", "mnist"))
    if set(dataset) - {"normalize", "translate", "hflip", "data_dir"}:
        refuse(f"dataset keys {sorted(set(dataset) - {'normalize', 'translate', 'hflip', 'data_dir'})} are not translated")
    mean, std = DATASETS[name] if dataset.get("normalize", True) else (0.0, 1.0)
    loss_settings = config.get("loss", {}) or {}
    loss_settings = {"name": loss_settings} if isinstance(loss_settings, str) else loss_settings
    if canonical(loss_settings.get("name", "cross-entropy")) != "cross-entropy":
        refuse("only the cross_entropy loss is translated")
    epochs, batch = config.get("epochs", 1), config.get("batch_size", 64)
    translate, hflip = dataset.get("translate", 0), dataset.get("hflip", False)
    views = tta_views(config.get("tta") or [])
    bf16 = canonical(config.get("precision", "fp32")) == "bf16"

    torch.set_num_threads(options.threads)
    folder = data_folder(name, dataset.get("data_dir", options.data_dir))
    load_start = time.perf_counter()
    train_images, train_labels = load_split(folder, "train")
    test_images, test_labels = load_split(folder, "t10k")
    # zoo's lookup table: (byte / 255 - mean) / std
    train_images = (train_images.float() / 255 - mean) / std
    test_images = (test_images.float() / 255 - mean) / std
    load_seconds = time.perf_counter() - load_start
    zero_pixel = (0 - mean) / std

    torch.manual_seed(options.seed)
    net = build_net(architecture, 10, tuple(train_images.shape[1:]), config.get("replicas", 1))
    optimizer = optimizer_for(config.get("optimizer", {"name": "sgd", "momentum": 0.9}), net.parameters())
    steps_per_epoch = (len(train_labels) + batch - 1) // batch
    scheduler = scheduler_for(config.get("schedule"), optimizer, epochs, steps_per_epoch)
    criterion = nn.CrossEntropyLoss(label_smoothing=loss_settings.get("label_smoothing", 0.0))
    ends_in_log_softmax = isinstance(net[-1], nn.LogSoftmax)
    if ends_in_log_softmax and loss_settings.get("label_smoothing"):
        refuse("label smoothing after log_softmax is not translated")

    def evaluate():
        net.eval()
        correct = 0
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for first in range(0, len(test_labels), 1000):
                images = test_images[first:first + 1000]
                mean_probabilities = 0
                for flip, shift in views:
                    view = images.flip(3) if flip else images
                    if shift:
                        offsets = torch.full((len(view),), shift)
                        view = shifted(view, offsets, offsets, 0.0)
                    mean_probabilities = mean_probabilities + net(view).float().softmax(1)
                correct += (mean_probabilities.argmax(1) == test_labels[first:first + 1000]).sum().item()
        return correct / len(test_labels)

    history = []
    clock = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(train_labels))
        for first in range(0, len(order), batch):
            indices = order[first:first + batch]
            images, labels = train_images[indices], train_labels[indices]
            if hflip:
                flips = torch.rand(len(indices)) < 0.5
                images = torch.where(flips[:, None, None, None], images.flip(3), images)
            if translate:
                rows = torch.randint(-translate, translate + 1, (len(indices),))
                columns = torch.randint(-translate, translate + 1, (len(indices),))
                images = shifted(images, rows, columns, zero_pixel)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                output = net(images)
                loss = nn.functional.nll_loss(output, labels) if ends_in_log_softmax else criterion(output, labels)
            loss.backward()
            optimizer.step()
            if scheduler:
                scheduler.step()
        # zoo's `evaluate_every`: the epochs between only train; the last is always scored.
        if (epoch + 1) % config.get("evaluate_every", 1) and epoch + 1 < epochs:
            continue
        accuracy = evaluate()
        history.append({"epoch": epoch + 1, "test_accuracy": accuracy, "seconds": time.perf_counter() - clock})
        if not options.json:
            print(f"epoch {epoch + 1}: test accuracy {accuracy:.4f}, {history[-1]['seconds']:.2f} s since the clock started", flush=True)
    if options.json:
        print(json.dumps({"seed": options.seed, "epochs": history, "load_seconds": load_seconds,
                          "process_seconds": time.perf_counter() - PROCESS_START}))


if __name__ == "__main__":
    main()
