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
    from pytorch_lenet_mnist import data_arguments, run

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data_arguments(parser, "/usr/share/datasets/fashion-mnist", 0.2860, 0.3530, epochs=5)
    arguments = parser.parse_args()
    run(arguments, lambda: resnet20(in_channels=1),
        lambda parameters: torch.optim.SGD(parameters, lr=0.1, momentum=0.9, weight_decay=5e-4), 128,
        lambda optimizer: torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=arguments.epochs))


if __name__ == "__main__":
    main()
