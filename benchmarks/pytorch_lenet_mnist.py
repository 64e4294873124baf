"""The reference recipe for zoo's LeNet-on-MNIST accuracy check, in PyTorch.

LeNet (conv 6 k5, relu, maxpool 2, conv 16 k5, relu, maxpool 2, linear 120, 84, 10), SGD lr 0.01
momentum 0.9, batch 64, shuffled, pixels normalised with (0.1307, 0.3081); test accuracy per epoch.
Reads the gzipped IDX files directly (no torchvision needed).

    pip install torch
    python3 benchmarks/pytorch_lenet_mnist.py --data ../shared/datasets/mnist --seeds 1 2 3 --epochs 2
"""
import argparse
import gzip
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as file:
        data = file.read()
    dimensions = data[3]
    shape = struct.unpack(">" + "I" * dimensions, data[4:4 + 4 * dimensions])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def load(folder, split):
    images = read_idx(f"{folder}/{split}-images-idx3-ubyte.gz").astype(np.float32) / 255
    labels = read_idx(f"{folder}/{split}-labels-idx1-ubyte.gz").astype(np.int64)
    images = (images - 0.1307) / 0.3081
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/datasets/mnist")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    train_images, train_labels = load(arguments.data, "train")
    test_images, test_labels = load(arguments.data, "t10k")
    for seed in arguments.seeds:
        torch.manual_seed(seed)
        model = lenet()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        for epoch in range(arguments.epochs):
            model.train()
            order = torch.randperm(len(train_labels))
            for start in range(0, len(order), 64):
                batch = order[start:start + 64]
                optimizer.zero_grad()
                F.cross_entropy(model(train_images[batch]), train_labels[batch]).backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                correct = (model(test_images).argmax(1) == test_labels).sum().item()
            print(f"seed {seed} epoch {epoch + 1}: test accuracy {correct / 100:.2f}%", flush=True)


if __name__ == "__main__":
    main()
