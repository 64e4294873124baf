#!/usr/bin/env python3
"""zoo's int8 inference against its float32 inference, natively and under ONEDNN_MAX_CPU_ISA=AVX2, in one run.

    swift build -c release
    python3 benchmarks/int8_speed.py   # --models lenet,vgg-lite,resnet20,resnet18 --batch 128 --repeats 3 --threads 2 --steps 8 --windows 5

For each ISA (native, then AVX2) and model it runs `$ZOO_BIN bench MODEL --dataset D --infer-batch B --precision int8
--json` `--repeats` times (ZOO_BIN defaults to .build/release/zoo). Each such run quantizes the model's random
weights on the benchmark's images and times float32 and int8 inference of the same network in alternating windows,
so a shared machine's load falls on both alike; the table shows the median over the repeats of each rate and of
the per-run int8/fp32 ratio. The load average before and after is printed: on a shared machine quote the ratios.
Datasets: lenet on MNIST's shape, the others on CIFAR-10's (3x32x32); the data itself is not read.
"""

import argparse
import json
import os
import statistics
import subprocess

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def bench(zoo, model, batch, threads, isa, steps, windows):
    environment = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if isa:
        environment["ONEDNN_MAX_CPU_ISA"] = isa
    dataset = "mnist" if model == "lenet" else "cifar10"
    command = [zoo, "bench", model, "--dataset", dataset, "--infer-batch", str(batch), "--precision", "int8", "--json",
               "--steps", str(steps), "--windows", str(windows)]
    return json.loads(subprocess.run(command, env=environment, check=True, capture_output=True, text=True).stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lenet,vgg-lite,resnet20,resnet18")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8, help="zoo bench --steps: a quarter of them per inference window")
    parser.add_argument("--windows", type=int, default=5)
    arguments = parser.parse_args()
    zoo = os.environ.get("ZOO_BIN", os.path.join(ROOT, ".build", "release", "zoo"))
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rows = []
    for isa in [None, "AVX2"]:
        for model in arguments.models.split(","):
            runs = [bench(zoo, model, arguments.batch, arguments.threads, isa, arguments.steps, arguments.windows) for _ in range(arguments.repeats)]
            float32 = statistics.median(run["fp32_infer_images_per_sec"] for run in runs)
            int8 = statistics.median(run["int8_infer_images_per_sec"] for run in runs)
            ratio = statistics.median(run["int8_infer_images_per_sec"] / run["fp32_infer_images_per_sec"] for run in runs)
            rows.append((isa or "native", model, float32, int8, ratio, runs[0]["precision_reason"]))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"\n| ISA | model | zoo fp32 infer | zoo int8 infer | int8 / fp32 |   (images/s, batch {arguments.batch}, "
          f"{arguments.threads} threads, median of {arguments.repeats} runs)")
    print("|---|---|--:|--:|--:|")
    for isa, model, float32, int8, ratio, _ in rows:
        print(f"| {isa} | {model} | {float32:,.0f} | {int8:,.0f} | {ratio:.2f} |")
    for isa in sorted({row[0] for row in rows}):
        print(f"{isa}: {next(row[5] for row in rows if row[0] == isa)}")


if __name__ == "__main__":
    main()
