"""The reference recipes for zoo's LeNet accuracy checks, in PyTorch.

LeNet (conv 6 k5, relu, maxpool 2, conv 16 k5, relu, maxpool 2, linear 120, 84, 10), batch 64, shuffled,
pixels normalised with the dataset's mean and std; test accuracy per epoch. By default the MNIST recipe
(SGD lr 0.01 momentum 0.9); `--optimizer adam --lr 0.001` gives configs/lenet_fashion.yaml's, and
`--lr 0.05 --weight-decay 0.0005 --cosine --hflip --epochs 6` configs/results/lenet_fashion-mnist.yaml's.
Reads the gzipped IDX files directly (no torchvision needed).

    pip install torch
    python3 benchmarks/pytorch_lenet_mnist.py --data ../shared/datasets/mnist --seeds 1 2 3 --epochs 2
    python3 benchmarks/pytorch_lenet_mnist.py --data /usr/share/datasets/fashion-mnist --mean 0.2860 --std 0.3530 \
        --optimizer adam --lr 0.001 --epochs 1
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


def load(folder, split, mean, std):
    images = read_idx(f"{folder}/{split}-images-idx3-ubyte.gz").astype(np.float32) / 255
    labels = read_idx(f"{folder}/{split}-labels-idx1-ubyte.gz").astype(np.int64)
    images = (images - mean) / std
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def data_arguments(parser, data, mean, std, epochs):
    """The options every reference recipe takes."""
    parser.add_argument("--data", default=data)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--mean", type=float, default=mean)
    parser.add_argument("--std", type=float, default=std)
    parser.add_argument("--hflip", action="store_true", help="mirror each training image left-right with probability 0.5 (zoo's hflip)")


def run(arguments, make_model, make_optimizer, batch_size, make_schedule=None):
    """Trains a fresh model per seed on shuffled batches and prints the test accuracy after each epoch
    (the schedule, if any, steps once per epoch)."""
    torch.set_num_threads(arguments.threads)
    train_images, train_labels = load(arguments.data, "train", arguments.mean, arguments.std)
    test_images, test_labels = load(arguments.data, "t10k", arguments.mean, arguments.std)
    for seed in arguments.seeds:
        torch.manual_seed(seed)
        model = make_model()
        optimizer = make_optimizer(model.parameters())
        schedule = make_schedule(optimizer) if make_schedule else None
        for epoch in range(arguments.epochs):
            model.train()
            order = torch.randperm(len(train_labels))
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                images = train_images[batch]
                if arguments.hflip:
                    flipped = torch.rand(len(batch)) < 0.5
                    images[flipped] = images[flipped].flip(-1)
                optimizer.zero_grad()
                F.cross_entropy(model(images), train_labels[batch]).backward()
                optimizer.step()
            if schedule:
                schedule.step()
            model.eval()
            correct = 0
            with torch.no_grad():
                for start in range(0, len(test_labels), 1000):
                    chunk = slice(start, start + 1000)
                    correct += (model(test_images[chunk]).argmax(1) == test_labels[chunk]).sum().item()
            print(f"seed {seed} epoch {epoch + 1}: test accuracy {correct / 100:.2f}%", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data_arguments(parser, "../shared/datasets/mnist", 0.1307, 0.3081, epochs=2)
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--cosine", action="store_true", help="cosine schedule over the epochs (zoo's `schedule: cosine`)")
    arguments = parser.parse_args()
    if arguments.optimizer == "sgd":
        make_optimizer = lambda parameters: torch.optim.SGD(parameters, lr=arguments.lr, momentum=0.9, weight_decay=arguments.weight_decay)
    else:
        make_optimizer = lambda parameters: torch.optim.Adam(parameters, lr=arguments.lr, weight_decay=arguments.weight_decay)
    make_schedule = (lambda optimizer: torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, arguments.epochs)) if arguments.cosine else None
    run(arguments, lenet, make_optimizer, 64, make_schedule)


if __name__ == "__main__":
    main()
