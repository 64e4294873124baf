#!/usr/bin/env python3
"""Fine-tuning, measured: LeNet on 1,000 MNIST training images (configs/finetune_lenet_mnist.yaml), three ways,
seeds 1-3 each, and the table for docs/fine-tuning.md on stdout.

    swift build -c release
    python3 scripts/fine_tuning.py            # ZOO_BIN (default .build/release/zoo), OMP_NUM_THREADS=1

- from scratch: the recipe without `init_from` and `freeze`;
- from lenet@fashion-mnist: every layer loaded (the shapes match: both datasets have 10 classes), all trained;
- the same with conv1 and conv2 frozen (the recipe as written).
Accuracy is the final epoch's, on the whole MNIST test set; epoch time is the training loop's (metrics.csv),
averaged over epochs and seeds. Runs go to runs/fine-tuning/VARIANT/seed-S; finished ones are not run again.
"""
import csv
import os
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPE = "configs/finetune_lenet_mnist.yaml"
VARIANTS = [
    ("from scratch", ["--set", "init_from=~", "--set", "freeze=[]"]),
    ("from lenet@fashion-mnist, all layers train", ["--set", "freeze=[]"]),
    ("from lenet@fashion-mnist, conv1 and conv2 frozen", []),
]


def main():
    zoo = os.environ.get("ZOO_BIN", os.path.join(ROOT, ".build", "release", "zoo"))
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    print("| start | test accuracy % (mean ± std, seeds 1-3) | training s per epoch |")
    print("| --- | ---: | ---: |")
    for index, (label, flags) in enumerate(VARIANTS):
        accuracies, seconds = [], []
        for seed in (1, 2, 3):
            folder = os.path.join(ROOT, "runs", "fine-tuning", f"variant-{index}", f"seed-{seed}")
            metrics = os.path.join(folder, "metrics.csv")
            if not os.path.exists(metrics):
                with open(os.path.join(ROOT, "runs", f"fine-tuning-{index}-{seed}.log"), "w") as log:
                    subprocess.run([zoo, "train", RECIPE, "--seed", str(seed), "--out", folder, "--quiet"] + flags,
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
            with open(metrics) as file:
                rows = list(csv.DictReader(file))
            accuracies.append(float(rows[-1]["test_accuracy"]) * 100)
            seconds += [float(row["seconds"]) for row in rows]
        print(f"| {label} | {statistics.mean(accuracies):.2f} ± {statistics.stdev(accuracies):.2f} | {statistics.mean(seconds):.3f} |")


if __name__ == "__main__":
    main()
