#!/usr/bin/env python3
"""oneDNN's raw bf16 against float32 convolution kernels on this CPU: the ceiling for bf16 training speed.

    python3 benchmarks/bf16_kernels.py                 # every distinct conv shape of resnet20, vgg-lite, resnet18
    python3 benchmarks/bf16_kernels.py --models resnet20 --windows 5 --json
    python3 benchmarks/bf16_kernels.py --verbose       # also prints oneDNN's verbose line of each kernel once

For each distinct convolution shape of the three CIFAR networks at batch 128 (3x32x32 input, as `zoo bench`
uses), it times PyTorch's oneDNN convolution forward, backward data and backward weights on channels-last
tensors, once in float32 and once in bf16 (`torch.ops.aten.convolution_backward` with one output mask per
pass, so each pass is its own oneDNN primitive), in alternating windows of about 0.3 s; the figure is the median
of the windows. The last column is bf16 time / float32 time turned into a speed-up (above 1: bf16 faster).
"Network" rows weigh each shape by how often the network has it, so they are what a network made only of
convolutions could gain from bf16 at most: the other layers (batch norm, ReLU, pooling, adds) move memory and
gain at most their bandwidth's 2x.

This is PyTorch's oneDNN (3.x), not zoo's 2.6: its bf16 kernels are at least as good, so its ratios bound zoo's.
Threads: torch.set_num_threads(--threads, default 2). ONEDNN_MAX_CPU_ISA, when set, caps both dtypes.
"""

import argparse
import collections
import json
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

BATCH = 128


def conv_shapes(model):
    """(in_channels, out_channels, kernel, stride, padding, input_size) of each conv of the network, in order."""
    shapes = []
    if model == "vgg-lite":
        channels, size = 3, 32
        for item in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
            if item == "M":
                size //= 2
            else:
                shapes.append((channels, item, 3, 1, 1, size))
                channels = item
        return shapes
    stages = {"resnet20": ([16, 32, 64], 3), "resnet18": ([64, 128, 256, 512], 2)}[model]
    widths, blocks = stages
    shapes.append((3, widths[0], 3, 1, 1, 32))
    channels, size = widths[0], 32
    for stage, width in enumerate(widths):
        for block in range(blocks):
            stride = 2 if stage > 0 and block == 0 else 1
            shapes.append((channels, width, 3, stride, 1, size))
            if stride == 2:
                shapes.append((channels, width, 1, 2, 0, size))  # projection shortcut
                size //= 2
            shapes.append((width, width, 3, 1, 1, size))
            channels = width
    return shapes


def passes(shape, dtype):
    """Forward, backward data and backward weights of one conv as callables on fixed random tensors."""
    cin, cout, kernel, stride, padding, size = shape
    memory_format = torch.channels_last
    x = torch.randn(BATCH, cin, size, size).to(dtype=dtype, memory_format=memory_format)
    w = (torch.randn(cout, cin, kernel, kernel) * 0.1).to(dtype=dtype, memory_format=memory_format)
    y = F.conv2d(x, w, None, stride, padding)
    dy = torch.randn_like(y).contiguous(memory_format=memory_format)

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, [stride] * 2, [padding] * 2, [1, 1], False,
                                                           [0, 0], 1, mask)
    return {"forward": lambda: F.conv2d(x, w, None, stride, padding),
            "backward data": backward([True, False, False]),
            "backward weights": backward([False, True, False])}


def window(function, seconds):
    """Seconds per call over a window of about `seconds`."""
    calls, start = 0, time.perf_counter()
    while True:
        function()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / calls


def measure(shape, windows, seconds):
    """{pass: (float32 ms, bf16 ms)}, alternating float32 and bf16 windows, medians."""
    calls = {dtype: passes(shape, dtype) for dtype in (torch.float32, torch.bfloat16)}
    result = {}
    for name in calls[torch.float32]:
        times = {torch.float32: [], torch.bfloat16: []}
        for dtype in times:
            calls[dtype][name]()  # warm-up: primitive creation
        for _ in range(windows):
            for dtype in times:
                times[dtype].append(window(calls[dtype][name], seconds))
        result[name] = tuple(1000 * statistics.median(times[dtype]) for dtype in (torch.float32, torch.bfloat16))
    return result


def show_kernels(shape):
    """oneDNN's verbose line of each pass in both dtypes, to confirm the bf16 kernels are native."""
    for dtype in (torch.float32, torch.bfloat16):
        with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
            for function in passes(shape, dtype).values():
                function()


def describe(shape):
    cin, cout, kernel, stride, padding, size = shape
    return f"{cin:>3}->{cout:<3} {kernel}x{kernel}/{stride} @{size}x{size}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="resnet20,vgg-lite,resnet18")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.3, help="length of one timing window")
    parser.add_argument("--verbose", action="store_true", help="print oneDNN's verbose line of each kernel once")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        print("note: this CPU has no native bf16 in oneDNN; bf16 is emulated", file=sys.stderr)

    models = arguments.models.split(",")
    per_model = {model: collections.Counter(conv_shapes(model)) for model in models}
    shapes = list(dict.fromkeys(shape for model in models for shape in per_model[model]))
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    print(f"{started}, {platform.processor() or platform.machine()}, torch {torch.__version__}, {arguments.threads} threads, "
          f"batch {BATCH}, ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', 'default')}, load average {load_before:.2f}")
    timings = {}
    print(f"{'conv':<24}{'pass':<18}{'fp32 ms':>9}{'bf16 ms':>9}{'bf16 speed-up':>15}")
    for shape in shapes:
        if arguments.verbose:
            show_kernels(shape)
        timings[shape] = measure(shape, arguments.windows, arguments.seconds)
        for name, (fp32, bf16) in timings[shape].items():
            print(f"{describe(shape):<24}{name:<18}{fp32:>9.2f}{bf16:>9.2f}{fp32 / bf16:>14.2f}x", flush=True)

    print(f"\n{'network (convs only)':<24}{'pass':<18}{'fp32 ms':>9}{'bf16 ms':>9}{'bf16 speed-up':>15}")
    totals = {}
    for model in models:
        for name in ("forward", "backward data", "backward weights", "training step"):
            names = ["forward", "backward data", "backward weights"] if name == "training step" else [name]
            fp32 = sum(count * timings[shape][n][0] for shape, count in per_model[model].items() for n in names)
            bf16 = sum(count * timings[shape][n][1] for shape, count in per_model[model].items() for n in names)
            totals[f"{model} {name}"] = (fp32, bf16)
            print(f"{model:<24}{name:<18}{fp32:>9.1f}{bf16:>9.1f}{fp32 / bf16:>14.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if arguments.json:
        print(json.dumps({"started": started, "threads": arguments.threads, "batch": BATCH, "load_before": load_before,
                          "load_after": os.getloadavg()[0],
                          "shapes": [{"conv": describe(shape), **{name: {"fp32_ms": f, "bf16_ms": b} for name, (f, b) in t.items()}}
                                     for shape, t in timings.items()],
                          "networks": {key: {"fp32_ms": f, "bf16_ms": b} for key, (f, b) in totals.items()}}))


if __name__ == "__main__":
    main()
