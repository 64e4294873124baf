"""ResNets for 32x32 images as the usual PyTorch CIFAR implementations write them, and the reference
recipe for configs/resnet20_fashion.yaml.

BasicBlock: two 3x3 convolutions with batchnorm, relu(out + shortcut(x)), the shortcut a 1x1
convolution + batchnorm where the block changes the shape (option B of He et al. 2016), else the
identity. ResNet-20: 3 stages of 3 blocks (16/32/64); ResNet-18: 4 stages of 2 blocks (64..512) with
a 3x3 stem and no max pooling. State-dict names match zoo's (`layer2.0.shortcut.0.weight`).

The recipe: Fashion-MNIST, ResNet-20, SGD lr 0.1 momentum 0.9 weight decay 5e-4, batch 128 shuffled,
cosine schedule stepped per epoch over all epochs, 5 epochs, pixels normalised with the dataset's
mean and std; test accuracy per epoch. Reads the gzipped IDX files directly (no torchvision needed).

    pip install torch
    python3 benchmarks/pytorch_resnet.py --data /usr/share/datasets/fashion-mnist --seeds 1 2 3
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                                          nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, num_blocks, widths, num_classes=10, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        in_planes = widths[0]
        for stage, (count, planes) in enumerate(zip(num_blocks, widths)):
            blocks = []
            for index in range(count):
                blocks.append(BasicBlock(in_planes, planes, 2 if stage > 0 and index == 0 else 1))
                in_planes = planes
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
        self.stages = len(num_blocks)
        self.linear = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        for stage in range(self.stages):
            out = getattr(self, f"layer{stage + 1}")(out)
        out = torch.flatten(F.adaptive_avg_pool2d(out, 1), 1)
        return self.linear(out)


def resnet20(in_channels=3, num_classes=10):
    return ResNet([3, 3, 3], [16, 32, 64], num_classes, in_channels)


def resnet18(in_channels=3, num_classes=10):
    return ResNet([2, 2, 2, 2], [64, 128, 256, 512], num_classes, in_channels)


def main():
    from pytorch_lenet_mnist import load

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--mean", type=float, default=0.2860)
    parser.add_argument("--std", type=float, default=0.3530)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    train_images, train_labels = load(arguments.data, "train", arguments.mean, arguments.std)
    test_images, test_labels = load(arguments.data, "t10k", arguments.mean, arguments.std)
    for seed in arguments.seeds:
        torch.manual_seed(seed)
        model = resnet20(in_channels=1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=arguments.epochs)
        for epoch in range(arguments.epochs):
            model.train()
            order = torch.randperm(len(train_labels))
            for start in range(0, len(order), 128):
                batch = order[start:start + 128]
                optimizer.zero_grad()
                F.cross_entropy(model(train_images[batch]), train_labels[batch]).backward()
                optimizer.step()
            schedule.step()
            model.eval()
            correct = 0
            with torch.no_grad():
                for start in range(0, len(test_labels), 1000):
                    correct += (model(test_images[start:start + 1000]).argmax(1) == test_labels[start:start + 1000]).sum().item()
            print(f"seed {seed} epoch {epoch + 1}: test accuracy {correct / 100:.2f}%", flush=True)


if __name__ == "__main__":
    main()
