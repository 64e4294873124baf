#!/usr/bin/env python3
"""Holds out part of an IDX dataset's training set as its "test" set, to choose recipes without the real test set.

    python3 benchmarks/holdout_split.py ../shared/datasets/mnist /tmp/holdout/mnist
    .build/release/zoo train configs/speedrun_mnist.yaml --data-dir /tmp/holdout     # scored on the held-out 10,000

Writes OUT/train-*-ubyte.gz with the other training images and OUT/t10k-*-ubyte.gz with --count of them
(default 10,000), chosen by a fixed permutation (numpy default_rng(--seed), default 12345); the real test
files are not read.
"""
import argparse
import gzip
import os
import struct

import numpy as np

from pytorch_lenet_mnist import read_idx


def write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb", compresslevel=1) as file:
        file.write(header + array.tobytes())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="folder holding train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz")
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=12345)
    options = parser.parse_args()
    images = read_idx(os.path.join(options.source, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(options.source, "train-labels-idx1-ubyte.gz"))
    order = np.random.default_rng(options.seed).permutation(len(labels))
    held, kept = order[:options.count], order[options.count:]
    os.makedirs(options.out, exist_ok=True)
    for split, chosen in (("train", kept), ("t10k", held)):
        write_idx(os.path.join(options.out, f"{split}-images-idx3-ubyte.gz"), images[chosen])
        write_idx(os.path.join(options.out, f"{split}-labels-idx1-ubyte.gz"), labels[chosen])


if __name__ == "__main__":
    main()
