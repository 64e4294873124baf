"""Write zoo's correctness fixtures: PyTorch reference results as safetensors files.

Run from the repository root:

    pip install torch safetensors
    python3 scripts/make_fixtures.py                          # every file
    python3 scripts/make_fixtures.py layer_gelu.safetensors   # only the files named

Files go to Tests/ZooCoreTests/Fixtures/ (format described in the README.md there).
The output is deterministic: running the script twice gives byte-identical files.
"""

import copy
import json
import math
import os
import sys

import torch
import torch.nn as nn
from safetensors.torch import save as safetensors_bytes

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
from pytorch_resnet import resnet20  # noqa: E402  (the ResNet the benchmarks and the reference recipe use)

OUTPUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ZooCoreTests", "Fixtures")

ONLY = set(sys.argv[1:])  # e.g. layer_gelu.safetensors: regenerate just these

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def save(tensors, name, metadata):
    """With file names on the command line, only those files are written (the others are left as they are).
    safetensors' save_file writes __metadata__ in Rust HashMap order, which changes from run to run;
    re-emit the same header with sorted metadata keys so the bytes are reproducible."""
    if ONLY and name not in ONLY:
        return
    tensors = {key: value.detach().contiguous().clone() for key, value in tensors.items()}
    for key, value in tensors.items():
        assert value.dtype in (torch.float32, torch.int64, torch.uint8), key
    data = safetensors_bytes(tensors, metadata=metadata)
    header_length = int.from_bytes(data[:8], "little")
    header = data[8:8 + header_length]
    text = header.rstrip(b" ")
    parsed = json.loads(text, object_pairs_hook=dict)
    parsed["__metadata__"] = dict(sorted(parsed["__metadata__"].items()))
    canonical = json.dumps(parsed, separators=(",", ":")).encode()
    assert len(canonical) == len(text), name
    header = canonical + b" " * (header_length - len(canonical))
    with open(os.path.join(OUTPUT_DIR, name), "wb") as file:
        file.write(data[:8] + header + data[8 + header_length:])


def to_json(value):
    return json.dumps(value, separators=(",", ":"))


def layer(kind, **args):
    return {"type": kind, "args": args}


def pair(value):
    return tuple(value) if isinstance(value, list) else (value, value)


def make_module(description, shape):
    """One torch module for one zoo layer description, given its input shape."""
    kind, args = description["type"], description.get("args", {})
    if kind == "conv2d":
        return nn.Conv2d(shape[1], args["out"], pair(args["kernel"]), stride=pair(args.get("stride", 1)),
                         padding=pair(args.get("padding", 0)), dilation=pair(args.get("dilation", 1)),
                         groups=args.get("groups", 1), bias=args.get("bias", True))
    if kind == "linear":
        return nn.Linear(shape[1], args["out"], bias=args.get("bias", True))
    if kind == "relu":
        return nn.ReLU()
    if kind == "leaky_relu":
        return nn.LeakyReLU(args.get("slope", 0.01))
    if kind == "sigmoid":
        return nn.Sigmoid()
    if kind == "tanh":
        return nn.Tanh()
    if kind == "gelu":
        return nn.GELU()
    if kind == "silu":
        return nn.SiLU()
    if kind in ("maxpool2d", "avgpool2d"):
        kernel = pair(args["kernel"])
        stride = pair(args.get("stride", args["kernel"]))
        padding = pair(args.get("padding", 0))
        if kind == "maxpool2d":
            return nn.MaxPool2d(kernel, stride, padding, ceil_mode=False)
        return nn.AvgPool2d(kernel, stride, padding, ceil_mode=False, count_include_pad=True)
    if kind == "global_avgpool":
        return nn.AdaptiveAvgPool2d(1)
    if kind in ("batchnorm", "batchnorm2d"):
        norm = nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d
        return norm(shape[1], eps=args.get("eps", 1e-5), momentum=args.get("momentum", 0.1))
    if kind == "dropout":
        return nn.Dropout(args.get("p", 0.5))
    if kind == "flatten":
        return nn.Flatten()
    if kind == "softmax":
        return nn.Softmax(dim=1)
    if kind == "log_softmax":
        return nn.LogSoftmax(dim=1)
    if kind in ("add", "concat"):
        return Join(kind)
    raise ValueError(f"unknown layer type {kind}")


class Join(nn.Module):
    """`add` (x + y + ...) or `concat` (torch.cat along channels) of a graph layer's inputs."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def forward(self, *inputs):
        return sum(inputs[1:], inputs[0]) if self.kind == "add" else torch.cat(inputs, dim=1)


class Graph(nn.Module):
    """A zoo layer list with `from:` (names or negative offsets; none = the layer before), run as a DAG."""

    def __init__(self, layers, input_shape):
        super().__init__()
        names = [description.get("name", str(index)) for index, description in enumerate(layers)]
        self.names = names
        self.sources = []
        self.steps = nn.ModuleList()
        shapes = []
        for index, description in enumerate(layers):
            references = description.get("from", [-1])
            sources = [index + reference if isinstance(reference, int) else names.index(reference) for reference in references]
            in_shapes = [list(input_shape) if source < 0 else shapes[source] for source in sources]
            module = make_module(description, in_shapes[0])
            module.eval()
            with torch.no_grad():
                shapes.append(list(module(*[torch.zeros(shape) for shape in in_shapes]).shape))
            module.train()
            randomize(module)
            self.steps.append(module)
            self.sources.append(sources)

    def forward(self, x):
        outputs = []
        for module, sources in zip(self.steps, self.sources):
            outputs.append(module(*[x if source < 0 else outputs[source] for source in sources]))
        return outputs[-1]

    def zoo_name(self, key):
        """'<layer name>.<parameter>' for PyTorch's 'steps.<index>.<parameter>'."""
        _, index, rest = key.split(".", 2)
        return f"{self.names[int(index)]}.{rest}"


def randomize(module):
    """Replace default initialisation with seeded random values, so fixtures exercise every parameter."""
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                if name == "weight":
                    parameter.uniform_(0.5, 1.5)
                else:
                    parameter.copy_(torch.randn_like(parameter) * 0.2)
            elif parameter.dim() > 1:
                parameter.copy_(torch.randn_like(parameter) / math.sqrt(parameter[0].numel()))
            else:
                parameter.copy_(torch.randn_like(parameter) * 0.1)


def build(layers, input_shape):
    """nn.Sequential from zoo layer descriptions; parameter names are '<index>.<name>' as zoo expects.
    Each layer's input size comes from a dummy forward pass in eval mode (so batchnorm stats stay untouched)."""
    modules = []
    shape = list(input_shape)
    for description in layers:
        module = make_module(description, shape)
        module.eval()
        with torch.no_grad():
            shape = list(module(torch.zeros(shape)).shape)
        module.train()
        modules.append(module)
    model = nn.Sequential(*modules)
    for module in model:
        randomize(module)
    return model


def away_from_zero(tensor, gap=0.05):
    """Keep values at least `gap` from zero so relu's kink is never straddled by float error."""
    return torch.where(tensor >= 0, tensor + gap, tensor - gap)


def distinct(shape, spacing=0.05):
    """Values that differ pairwise by at least `spacing`, so max pooling never sees a near tie."""
    count = math.prod(shape)
    values = (torch.randperm(count).float() - count / 2) * spacing
    return values.reshape(shape)


def buffers_of(module):
    return {name: buffer for name, buffer in module.named_buffers() if "running" in name}


# Layer fixtures ------------------------------------------------------------------------------------

def layer_fixture(case, description, make_input, mode="train"):
    torch.manual_seed(hash_seed(case))
    input_tensor = make_input()
    module = build([description], list(input_tensor.shape))[0]
    if mode == "eval" and description["type"] == "batchnorm":
        with torch.no_grad():
            module.running_mean.copy_(torch.randn_like(module.running_mean) * 0.3)
            module.running_var.uniform_(0.5, 2.0)
    initial = {name: buffer.clone() for name, buffer in buffers_of(module).items()}
    module.train(mode == "train")
    input_tensor = input_tensor.clone().requires_grad_(True)
    output = module(input_tensor)
    grad_output = torch.randn_like(output)
    output.backward(grad_output)
    tensors = {"input": input_tensor, "output": output, "grad_output": grad_output, "grad_input": input_tensor.grad}
    for name, parameter in module.named_parameters():
        tensors[f"param.{name}"] = parameter
        tensors[f"grad.{name}"] = parameter.grad
    for name, buffer in buffers_of(module).items():
        tensors[f"buffer.{name}"] = buffer
        tensors[f"initial.{name}"] = initial[name]
    save(tensors, f"layer_{case}.safetensors", {"kind": "layer", "layer": to_json(description), "mode": mode})


def hash_seed(text):
    """A stable per-case seed (Python's hash() is salted per process)."""
    return sum((index + 1) * ord(character) for index, character in enumerate(text))


def make_layer_fixtures():
    image = lambda *shape: lambda: torch.randn(*shape)
    signed = lambda *shape: lambda: away_from_zero(torch.randn(*shape))
    spread = lambda *shape: lambda: distinct(shape)
    shifted = lambda *shape: lambda: torch.randn(*shape) * 2 + 0.5
    layer_fixture("conv2d", layer("conv2d", out=4, kernel=3), image(2, 3, 9, 9))
    layer_fixture("conv2d_stride2_pad1", layer("conv2d", out=4, kernel=3, stride=2, padding=1), image(2, 3, 9, 9))
    layer_fixture("conv2d_rect_nobias", layer("conv2d", out=4, kernel=[3, 2], bias=False), image(2, 3, 7, 8))
    layer_fixture("conv2d_lenet1", layer("conv2d", out=6, kernel=5), image(2, 1, 28, 28))
    layer_fixture("conv2d_groups2", layer("conv2d", out=6, kernel=3, groups=2, padding=1), image(2, 4, 7, 7))
    layer_fixture("conv2d_depthwise", layer("conv2d", out=4, kernel=3, groups=4, stride=2, padding=1, bias=False), image(2, 4, 9, 9))
    layer_fixture("conv2d_dilation2", layer("conv2d", out=4, kernel=3, dilation=2, padding=2), image(2, 3, 9, 9))
    layer_fixture("linear", layer("linear", out=4), image(3, 6))
    layer_fixture("linear_nobias", layer("linear", out=4, bias=False), image(3, 6))
    layer_fixture("relu", layer("relu"), signed(2, 3, 5, 5))
    layer_fixture("leaky_relu", layer("leaky_relu", slope=0.2), signed(2, 3, 5, 5))
    layer_fixture("sigmoid", layer("sigmoid"), image(2, 3, 5, 5))
    layer_fixture("tanh", layer("tanh"), image(2, 3, 5, 5))
    layer_fixture("gelu", layer("gelu"), lambda: torch.randn(2, 3, 5, 5) * 2)
    layer_fixture("silu", layer("silu"), lambda: torch.randn(2, 3, 5, 5) * 2)
    layer_fixture("batchnorm2d_train", layer("batchnorm2d"), shifted(2, 3, 5, 5))
    layer_fixture("maxpool2d", layer("maxpool2d", kernel=2), spread(2, 3, 8, 8))
    layer_fixture("maxpool2d_k3_s2_p1", layer("maxpool2d", kernel=3, stride=2, padding=1), spread(2, 3, 9, 9))
    layer_fixture("avgpool2d", layer("avgpool2d", kernel=2), image(2, 3, 8, 8))
    layer_fixture("avgpool2d_k3_s2_p1", layer("avgpool2d", kernel=3, stride=2, padding=1), image(2, 3, 9, 9))
    layer_fixture("global_avgpool", layer("global_avgpool"), image(2, 3, 5, 5))
    layer_fixture("batchnorm_train", layer("batchnorm"), shifted(2, 3, 5, 5))
    layer_fixture("batchnorm_eval", layer("batchnorm"), shifted(2, 3, 5, 5), mode="eval")
    layer_fixture("batchnorm1d_train", layer("batchnorm"), shifted(4, 5))
    layer_fixture("flatten", layer("flatten"), image(2, 3, 4, 4))
    layer_fixture("softmax", layer("softmax"), lambda: torch.randn(3, 5) * 2)
    layer_fixture("log_softmax", layer("log_softmax"), lambda: torch.randn(3, 5) * 2)


# Network fixtures -----------------------------------------------------------------------------------

def loss_function(name):
    return nn.CrossEntropyLoss() if name == "cross_entropy" else nn.NLLLoss()


def net_fixture(name, layers, input_shape, loss_name, classes=10, bf16=False):
    torch.manual_seed(hash_seed(name))
    model = build(layers, input_shape)
    input_tensor = torch.randn(*input_shape).requires_grad_(True)
    labels = torch.randint(0, classes, (input_shape[0],), dtype=torch.int64)
    save_net(name, model, input_tensor, labels, loss_name, {"layers": to_json(layers)}, bf16=bf16)


def save_net(name, model, input_tensor, labels, loss_name, metadata, zoo_name=lambda key: key, half_parameters=False, bf16=False):
    """One training-mode forward, loss and backward; parameters, gradients and running statistics
    saved under zoo's names (`zoo_name` maps a PyTorch state-dict key to zoo's). With `half_parameters`
    the parameters (already rounded to float16 values) are stored as their float16 bits in U8 tensors
    `param16.NAME`, which halves them and keeps a large net's fixture under 2 MiB. With `bf16` the forward
    runs under torch.autocast("cpu", dtype=torch.bfloat16) and the loss on its output in float32, as zoo's bf16;
    the float32 gradients are kept too (`fp32.grad_input`, `fp32.grad.NAME`): how far autocast is from them says how far
    bf16 rounding moves ReLU and max-pooling decisions, which a bf16 comparison has to allow."""
    model.train()
    reference = {}
    if bf16:
        reference_model, reference_input = copy.deepcopy(model), input_tensor.detach().clone().requires_grad_(True)
        loss_function(loss_name)(reference_model(reference_input), labels).backward()
        reference["fp32.grad_input"] = reference_input.grad
        for parameter_name, parameter in reference_model.named_parameters():
            reference[f"fp32.grad.{zoo_name(parameter_name)}"] = parameter.grad
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        output = model(input_tensor)
    output = output.float()
    if bf16:
        metadata = {**metadata, "precision": "bf16"}
    loss = loss_function(loss_name)(output, labels)
    loss.backward()
    tensors = {"input": input_tensor, "labels": labels, "output": output, "loss": loss.reshape(1),
               "grad_input": input_tensor.grad, **reference}
    for parameter_name, parameter in model.named_parameters():
        if half_parameters:
            assert torch.equal(parameter, parameter.half().float()), parameter_name
            tensors[f"param16.{zoo_name(parameter_name)}"] = parameter.detach().half().view(torch.uint8)
        else:
            tensors[f"param.{zoo_name(parameter_name)}"] = parameter
        tensors[f"grad.{zoo_name(parameter_name)}"] = parameter.grad
    for buffer_name, buffer in model.named_buffers():
        if "running" in buffer_name:
            tensors[f"buffer.{zoo_name(buffer_name)}"] = buffer
    save(tensors, f"net_{name}.safetensors",
         {"kind": "net", "input_shape": to_json(list(input_tensor.shape)), "loss": loss_name, **metadata})


def vgg_layers(config, classes):
    layers = []
    for item in config:
        if item == "M":
            layers.append(layer("maxpool2d", kernel=2))
        else:
            layers += [layer("conv2d", out=item, kernel=3, padding=1), layer("batchnorm"), layer("relu")]
    return layers + [layer("flatten"), layer("linear", out=classes)]


# 1x28x28 would give a 9216x128 weight (9 MB with its gradient) and 1x12x12 still 1.2 MB;
# 1x10x10 keeps the architecture (flatten size 576) and the fixtures well under 2 MB.
TINYNET_INPUT = [2, 1, 10, 10]


def make_net_fixtures():
    lenet = [
        layer("conv2d", out=6, kernel=5), layer("relu"), layer("maxpool2d", kernel=2),
        layer("conv2d", out=16, kernel=5), layer("relu"), layer("maxpool2d", kernel=2),
        layer("flatten"), layer("linear", out=120), layer("relu"), layer("linear", out=84), layer("relu"),
        layer("linear", out=10),
    ]
    net_fixture("lenet", lenet, [4, 1, 28, 28], "cross_entropy")
    net_fixture("bf16_lenet", lenet, [8, 1, 28, 28], "cross_entropy", bf16=True)
    # LeNet-5 as first published (tanh, average pooling): no ReLU or max-pooling decision for bf16 rounding to flip.
    smooth = {"relu": layer("tanh"), "maxpool2d": layer("avgpool2d", kernel=2)}
    net_fixture("bf16_lenet_tanh", [smooth.get(item["type"], item) for item in lenet], [8, 1, 28, 28], "cross_entropy", bf16=True)
    # PyTorch examples/mnist Net; dropout p is 0.0 so the reference is deterministic.
    tinynet = [
        layer("conv2d", out=32, kernel=3), layer("relu"), layer("conv2d", out=64, kernel=3), layer("relu"),
        layer("maxpool2d", kernel=2), layer("dropout", p=0.0), layer("flatten"), layer("linear", out=128),
        layer("relu"), layer("dropout", p=0.0), layer("linear", out=10), layer("log_softmax"),
    ]
    net_fixture("tinynet", tinynet, TINYNET_INPUT, "nll")
    net_fixture("vgg_narrow", vgg_layers([8, "M", 16, "M", 16, 16, "M"], 10), [4, 3, 16, 16], "cross_entropy")



def graph_fixture(name, layers, input_shape, classes=10, bf16=False):
    """Like net_fixture, for a layer list with `from:`, `add` and `concat`."""
    torch.manual_seed(hash_seed(name))
    model = Graph(layers, input_shape)
    input_tensor = torch.randn(*input_shape).requires_grad_(True)
    labels = torch.randint(0, classes, (input_shape[0],), dtype=torch.int64)
    save_net(name, model, input_tensor, labels, "cross_entropy", {"layers": to_json(layers)}, model.zoo_name, bf16=bf16)


def named(description, name, sources=None):
    description = dict(description, name=name)
    if sources is not None:
        description["from"] = sources
    return description


def make_graph_fixtures():
    conv = lambda out, **args: layer("conv2d", out=out, kernel=args.pop("kernel", 3), **args)
    head = [layer("global_avgpool"), layer("flatten"), layer("linear", out=10)]
    residual = [
        named(conv(8, padding=1, bias=False), "stem"), named(layer("batchnorm"), "stem_bn"), named(layer("relu"), "stem_relu"),
        conv(8, padding=1, bias=False), layer("batchnorm"), layer("relu"), conv(8, padding=1, bias=False), layer("batchnorm"),
        named(layer("add"), "add1", [-1, "stem_relu"]), named(layer("relu"), "block1"),
        named(conv(16, stride=2, padding=1, bias=False), "conv_a"), layer("batchnorm"), layer("relu"),
        conv(16, padding=1, bias=False), named(layer("batchnorm"), "bn_b"),
        named(conv(16, kernel=1, stride=2, bias=False), "projection", ["block1"]), named(layer("batchnorm"), "projection_bn"),
        named(layer("add"), "add2", ["bn_b", -1]), named(layer("relu"), "block2"),
        conv(16, padding=1, bias=False), layer("batchnorm"), layer("relu"), conv(16, padding=1, bias=False), layer("batchnorm"),
        named(layer("add"), "add3", [-1, "block2"]), layer("relu"),
    ] + head
    graph_fixture("residual_projection", residual, [2, 3, 8, 8])
    graph_fixture("bf16_residual_projection", residual, [4, 3, 8, 8], bf16=True)
    branches = [
        named(conv(6, padding=1), "stem"), named(layer("relu"), "stem_relu"),
        named(conv(4, kernel=1), "left"), layer("relu"),
        named(conv(5, padding=2, dilation=2), "right", ["stem_relu"]), layer("relu"),
        named(layer("concat"), "joined", [-3, -1]), layer("batchnorm"),
    ] + head
    graph_fixture("concat_branches", branches, [2, 3, 7, 7])
    separable = [conv(8, padding=1), layer("relu"), conv(8, padding=1, groups=8, bias=False), layer("relu"),
                 conv(12, kernel=1, groups=4), layer("relu")] + head
    graph_fixture("grouped_depthwise", separable, [2, 4, 6, 6])



def activations_fixture(name, layers, input_shape):
    """Every layer's output in eval mode, recorded by forward hooks: `output.<layer name>` (what zoo's
    `Network.forward(images:count:capturing:)` must return), the parameters and running statistics as `param.<name>`."""
    torch.manual_seed(hash_seed(name))
    model = Graph(layers, input_shape)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.running_mean.copy_(torch.randn_like(module.running_mean) * 0.3)
                module.running_var.uniform_(0.5, 2.0)
    model.eval()
    recorded = {}
    for layer_name, module in zip(model.names, model.steps):
        module.register_forward_hook(lambda _module, _inputs, output, layer_name=layer_name: recorded.__setitem__(layer_name, output))
    input_tensor = torch.randn(*input_shape)
    with torch.no_grad():
        output = model(input_tensor)
    tensors = {"input": input_tensor, "output": output, **{f"output.{key}": value for key, value in recorded.items()}}
    for key, value in model.state_dict().items():
        if "num_batches_tracked" not in key:
            tensors[f"param.{model.zoo_name(key)}"] = value
    save(tensors, f"activations_{name}.safetensors",
         {"kind": "activations", "layers": to_json(layers), "input_shape": to_json(list(input_shape))})


def make_activations_fixtures():
    conv = lambda out, **args: layer("conv2d", out=out, kernel=3, padding=1, **args)
    # conv1's ReLU fuses into it and runs in the max pooling after it; conv3's and fc1's fuse as post-ops;
    # bn2 runs relu2 in place (captured here, it stays separate). 20 channels are padded in oneDNN's 16-channel blocks.
    layers = [
        named(conv(20), "conv1"), named(layer("relu"), "relu1"), named(layer("maxpool2d", kernel=2), "pool1"),
        named(conv(12, bias=False), "conv2"), named(layer("batchnorm"), "bn2"), named(layer("relu"), "relu2"),
        named(conv(8), "conv3"), named(layer("relu"), "relu3"), named(layer("avgpool2d", kernel=2), "pool3"),
        named(layer("flatten"), "flat"), named(layer("linear", out=16), "fc1"), named(layer("relu"), "fc1_relu"),
        named(layer("linear", out=10), "fc2"),
    ]
    activations_fixture("small_cnn", layers, [3, 3, 12, 12])

def smallest_relu_input(model, input_tensor):
    """The smallest |x| any torch.relu sees in a training-mode forward of a copy of `model`."""
    seen = []
    relu = torch.relu
    torch.relu = lambda tensor: seen.append(tensor.detach().abs().min().item()) or relu(tensor)
    try:
        with torch.no_grad():
            copy.deepcopy(model).train()(input_tensor)
    finally:
        torch.relu = relu
    return min(seen)


def make_resnet20_fixture():
    """The zoo's resnet20 against the PyTorch module, loaded by state-dict name (N=2, CIFAR-10 shapes)."""
    # The first seed whose every ReLU input stays 1e-4 from zero: 19 ReLUs over 2x16x32x32 values or so
    # otherwise put one within float error of the kink, where a flipped decision is not an error.
    for attempt in range(100):
        torch.manual_seed(hash_seed("resnet20") + attempt)
        model = resnet20()
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                randomize(module)
        # Float16 values in float32 parameters: stored as 2 bytes each (see save_net).
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.copy_(parameter.half().float())
        input_tensor = torch.randn(2, 3, 32, 32).requires_grad_(True)
        labels = torch.randint(0, 10, (2,), dtype=torch.int64)
        if smallest_relu_input(model, input_tensor) > 1e-4:
            break
    save_net("resnet20", model, input_tensor, labels, "cross_entropy", {"architecture": "resnet20"}, half_parameters=True)


# Optimizer fixtures ---------------------------------------------------------------------------------

OPTIMIZER_LAYERS = [layer("linear", out=5), layer("relu"), layer("linear", out=3)]
OPTIMIZER_INPUT = [6, 4]


def make_optimizer(settings, parameters):
    if settings["name"] == "sgd":
        return torch.optim.SGD(parameters, lr=settings["lr"], momentum=settings["momentum"],
                               dampening=settings["dampening"], nesterov=settings["nesterov"],
                               weight_decay=settings["weight_decay"], foreach=False)
    optimizer_class = torch.optim.Adam if settings["name"] == "adam" else torch.optim.AdamW
    return optimizer_class(parameters, lr=settings["lr"], betas=tuple(settings["betas"]), eps=settings["eps"],
                           weight_decay=settings["weight_decay"], foreach=False)


def optimizer_fixture(case, settings, steps=5):
    torch.manual_seed(7)  # same net, batch and labels for every optimizer
    model = build(OPTIMIZER_LAYERS, OPTIMIZER_INPUT)
    input_tensor = torch.randn(*OPTIMIZER_INPUT)
    labels = torch.randint(0, 3, (OPTIMIZER_INPUT[0],), dtype=torch.int64)
    tensors = {"input": input_tensor, "labels": labels}
    for name, parameter in model.named_parameters():
        tensors[f"initial.{name}"] = parameter.detach().clone()
    optimizer = make_optimizer(settings, model.parameters())
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(model(input_tensor), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    for name, parameter in model.named_parameters():
        tensors[f"final.{name}"] = parameter
    tensors["losses"] = torch.tensor(losses, dtype=torch.float32)
    save(tensors, f"optim_{case}.safetensors",
         {"kind": "optimizer", "layers": to_json(OPTIMIZER_LAYERS), "input_shape": to_json(OPTIMIZER_INPUT),
          "loss": "cross_entropy", "optimizer": to_json(settings), "steps": str(steps)})


def sgd(lr=0.1, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    return {"name": "sgd", "lr": lr, "momentum": momentum, "dampening": dampening, "nesterov": nesterov,
            "weight_decay": weight_decay}


def adam(name="adam", lr=0.01, weight_decay=0.0):
    return {"name": name, "lr": lr, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": weight_decay}


def make_optimizer_fixtures():
    optimizer_fixture("sgd", sgd())
    optimizer_fixture("sgd_momentum", sgd(momentum=0.9, dampening=0.1))
    optimizer_fixture("sgd_weight_decay", sgd(weight_decay=0.05))  # the momentum-free path adds decay on its own
    optimizer_fixture("sgd_nesterov", sgd(momentum=0.9, nesterov=True, weight_decay=0.01))
    optimizer_fixture("adam", adam())
    optimizer_fixture("adam_weight_decay", adam(weight_decay=0.01))
    optimizer_fixture("adamw", adam(name="adamw", weight_decay=0.1))


# Schedule fixtures ----------------------------------------------------------------------------------

BASE_LR = 0.1
EPOCHS = 12


def make_scheduler(settings, optimizer):
    scheduler = torch.optim.lr_scheduler
    name = settings["name"]
    if name == "step":
        return scheduler.StepLR(optimizer, step_size=settings["step_size"], gamma=settings["gamma"])
    if name == "multistep":
        return scheduler.MultiStepLR(optimizer, milestones=settings["milestones"], gamma=settings["gamma"])
    if name == "cosine":
        return scheduler.CosineAnnealingLR(optimizer, T_max=settings["t_max"], eta_min=settings["eta_min"])
    warmup = scheduler.LinearLR(optimizer, start_factor=settings["start_factor"], end_factor=1.0,
                                total_iters=settings["warmup_epochs"])
    if name == "warmup":
        return warmup
    cosine = scheduler.CosineAnnealingLR(optimizer, T_max=settings["t_max"], eta_min=settings["eta_min"])
    return scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[settings["warmup_epochs"]])


def schedule_fixture(case, settings):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    scheduler = make_scheduler(settings, optimizer)
    rates = []
    for _ in range(EPOCHS):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    save({"lrs": torch.tensor(rates, dtype=torch.float32)}, f"schedule_{case}.safetensors",
         {"kind": "schedule", "schedule": to_json(settings), "base_lr": str(BASE_LR)})


def make_schedule_fixtures():
    schedule_fixture("step", {"name": "step", "step_size": 3, "gamma": 0.1})
    schedule_fixture("multistep", {"name": "multistep", "milestones": [2, 5], "gamma": 0.5})
    schedule_fixture("cosine", {"name": "cosine", "t_max": 10, "eta_min": 0.001})
    schedule_fixture("warmup", {"name": "warmup", "warmup_epochs": 3, "start_factor": 0.1})
    schedule_fixture("warmup_cosine",
                     {"name": "warmup_cosine", "warmup_epochs": 2, "start_factor": 0.1, "t_max": 8, "eta_min": 0})


STEPS_PER_EPOCH = 7
STEP_EPOCHS = 4


def per_step_scheduler(settings, optimizer):
    """The scheduler zoo's per-batch schedule equals: epoch counts times the steps per epoch, or OneCycleLR."""
    scheduler = torch.optim.lr_scheduler
    if settings["name"] != "onecycle":
        scaled = {key: value * STEPS_PER_EPOCH if key in ("step_size", "t_max", "warmup_epochs") else value
                  for key, value in settings.items()}
        return make_scheduler(scaled, optimizer)
    return scheduler.OneCycleLR(optimizer, max_lr=settings["max_lr"], epochs=STEP_EPOCHS, steps_per_epoch=STEPS_PER_EPOCH,
                                pct_start=settings["pct_start"], anneal_strategy=settings["anneal_strategy"],
                                div_factor=settings["div_factor"], final_div_factor=settings["final_div_factor"],
                                three_phase=settings["three_phase"], cycle_momentum=settings["cycle_momentum"],
                                base_momentum=settings["base_momentum"], max_momentum=settings["max_momentum"])


def per_step_schedule_fixture(case, settings, optimizer_name="sgd"):
    """The rate (and the momentum, SGD's or Adam's beta1) in force at every step of a short run."""
    parameters = [torch.zeros(1, requires_grad=True)]
    optimizer = (torch.optim.SGD(parameters, lr=BASE_LR, momentum=0.9) if optimizer_name == "sgd"
                 else torch.optim.Adam(parameters, lr=BASE_LR))
    scheduler = per_step_scheduler(settings, optimizer)
    rates, momenta = [], []
    for _ in range(STEP_EPOCHS * STEPS_PER_EPOCH):
        group = optimizer.param_groups[0]
        rates.append(group["lr"])
        momenta.append(group["momentum"] if optimizer_name == "sgd" else group["betas"][0])
        optimizer.step()
        scheduler.step()
    save({"lrs": torch.tensor(rates, dtype=torch.float32), "momenta": torch.tensor(momenta, dtype=torch.float32)},
         f"schedule_per_step_{case}.safetensors",
         {"kind": "schedule", "schedule": to_json(settings), "base_lr": str(BASE_LR), "optimizer": optimizer_name,
          "steps_per_epoch": str(STEPS_PER_EPOCH), "epochs": str(STEP_EPOCHS)})


def onecycle(**changes):
    settings = {"name": "onecycle", "max_lr": 0.5, "pct_start": 0.3, "anneal_strategy": "cos", "div_factor": 25.0,
                "final_div_factor": 1e4, "three_phase": False, "cycle_momentum": True, "base_momentum": 0.85,
                "max_momentum": 0.95}
    settings.update(changes)
    return settings


def make_per_step_schedule_fixtures():
    per_step_schedule_fixture("onecycle", onecycle())
    per_step_schedule_fixture("onecycle_three_phase_linear_adam",
                              onecycle(three_phase=True, anneal_strategy="linear", pct_start=0.25, div_factor=10.0,
                                       final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9), optimizer_name="adam")
    per_step_schedule_fixture("step", {"name": "step", "step_size": 1, "gamma": 0.5})
    per_step_schedule_fixture("cosine", {"name": "cosine", "t_max": 3, "eta_min": 0.001})
    per_step_schedule_fixture("warmup_cosine",
                              {"name": "warmup_cosine", "warmup_epochs": 1, "start_factor": 0.1, "t_max": 3, "eta_min": 0})


# Loss fixtures --------------------------------------------------------------------------------------

def loss_fixture(case, label_smoothing):
    """nn.CrossEntropyLoss(label_smoothing=...) on random logits: the mean loss and its gradient."""
    torch.manual_seed(hash_seed(case))
    logits = (torch.randn(6, 5) * 2).requires_grad_(True)
    labels = torch.randint(0, 5, (6,), dtype=torch.int64)
    loss = nn.CrossEntropyLoss(label_smoothing=label_smoothing)(logits, labels)
    loss.backward()
    save({"output": logits, "labels": labels, "loss": loss.reshape(1), "grad_output": logits.grad}, f"loss_{case}.safetensors",
         {"kind": "loss", "loss": "cross_entropy", "label_smoothing": str(label_smoothing)})


def mixed_loss_fixture(case, label_smoothing, weight):
    """Cross-entropy against MixUp/CutMix soft targets (weight on the label, 1 - weight on the label of the
    image before it in the batch, as torchvision's roll(1)), with label smoothing on top."""
    torch.manual_seed(hash_seed(case))
    logits = (torch.randn(6, 5) * 2).requires_grad_(True)
    labels = torch.randint(0, 5, (6,), dtype=torch.int64)
    partners = labels.roll(1, 0)
    targets = weight * nn.functional.one_hot(labels, 5).float() + (1 - weight) * nn.functional.one_hot(partners, 5).float()
    loss = nn.CrossEntropyLoss(label_smoothing=label_smoothing)(logits, targets)
    loss.backward()
    save({"output": logits, "labels": labels, "partners": partners, "loss": loss.reshape(1), "grad_output": logits.grad},
         f"loss_{case}.safetensors",
         {"kind": "loss", "loss": "cross_entropy", "label_smoothing": str(label_smoothing), "label_weight": str(weight)})


def make_loss_fixtures():
    loss_fixture("label_smoothing", 0.1)
    loss_fixture("label_smoothing_full", 1.0)
    mixed_loss_fixture("mixed_soft_targets", 0.0, 0.7)
    mixed_loss_fixture("mixed_soft_targets_label_smoothing", 0.1, 0.35)


def int8_reference(model, calibration, input_tensor):
    """zoo's int8 inference written out in PyTorch on a Sequential of conv2d, batchnorm, relu, maxpool2d, flatten and
    linear (fake quantization: integers held in float64, so sums are exact): batch norm folded into the conv before it,
    weights symmetric int8 per output channel, each activation's scale from its max-abs over `calibration` (unsigned
    when never negative or after a ReLU), bias added to the int32 sum in its units, rounding half to even and
    saturation as oneDNN's conversions, the last layer's output in float32."""
    model.eval()
    with torch.no_grad():
        outputs = [calibration]
        for module in model:
            outputs.append(module(outputs[-1]))
    ranges = [(float(value.min()), float(value.max())) for value in outputs]

    def int8_format(value_range, after_relu=False):
        low, high = value_range
        if after_relu or low >= 0:
            return 0.0, 255.0, (max(high, 0.0) / 255) or 1.0
        return -128.0, 127.0, (max(-low, high) / 127) or 1.0

    def quantize(values, low, high, scale):
        return torch.clamp(torch.round(values / scale), low, high)

    weights = {}
    modules = list(model)
    low, high, scale = int8_format(ranges[0])
    values = quantize(input_tensor.double(), low, high, scale)
    index = 0
    while index < len(modules):
        module = modules[index]
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            weight, bias = module.weight.double(), module.bias.double()
            end = index
            if end + 1 < len(modules) and isinstance(modules[end + 1], nn.BatchNorm2d):
                norm = modules[end + 1]
                factor = norm.weight.double() / torch.sqrt(norm.running_var.double() + norm.eps)
                weight = weight * factor.view(-1, *[1] * (weight.dim() - 1))
                bias = (bias - norm.running_mean.double()) * factor + norm.bias.double()
                end += 1
            relu = end + 1 < len(modules) and isinstance(modules[end + 1], nn.ReLU)
            end += 1 if relu else 0
            weight_scale = (weight.float().abs().amax(dim=tuple(range(1, weight.dim()))) / 127).double()
            quantized = torch.clamp(torch.round(weight / weight_scale.view(-1, *[1] * (weight.dim() - 1))), -127, 127)
            weights[f"int8.{index}.weight"] = quantized.to(torch.float32)
            accumulator = (nn.functional.conv2d(values, quantized, padding=module.padding) if isinstance(module, nn.Conv2d)
                           else nn.functional.linear(values, quantized))
            accumulator_scale = weight_scale * scale
            shape = (1, -1) + (1,) * (accumulator.dim() - 2)
            real = (accumulator + (bias / accumulator_scale).view(shape)) * accumulator_scale.view(shape)
            if end == len(modules) - 1:
                values, scale = torch.relu(real) if relu else real, 1.0
            else:
                low, high, scale = int8_format(ranges[end + 1], after_relu=relu)
                values = quantize(real, low, high, scale)
            index = end + 1
        else:
            values = module(values)  # max pooling and flatten keep the integers and their scale
            index += 1
    with torch.no_grad():
        float_output = model(input_tensor)
    return (values * scale).float(), float_output, weights


def make_int8_fixture():
    """A conv net with a folded batch norm through zoo's int8 scheme (`int8_reference`), for QuantizationTests."""
    name = "net_int8_lenet_bn"
    torch.manual_seed(hash_seed(name))
    layers = [layer("conv2d", out=8, kernel=3, padding=1), layer("batchnorm"), layer("relu"), layer("maxpool2d", kernel=2),
              layer("conv2d", out=12, kernel=3), layer("relu"), layer("flatten"), layer("linear", out=10)]
    input_shape = [16, 3, 10, 10]
    model = build(layers, input_shape)
    with torch.no_grad():
        model[1].running_mean.copy_(torch.randn(8) * 0.2)
        model[1].running_var.uniform_(0.5, 1.5)
    calibration = torch.randn(32, *input_shape[1:])
    input_tensor = torch.randn(*input_shape)
    output, float_output, weights = int8_reference(model, calibration, input_tensor)
    tensors = {"calibration": calibration, "input": input_tensor, "output": output, "float_output": float_output.detach(), **weights}
    tensors.update({f"param.{key}": value for key, value in model.state_dict().items() if value.dtype == torch.float32})
    save(tensors, f"{name}.safetensors", {"layers": to_json(layers), "input_shape": to_json(input_shape)})


# Moving-average fixtures ---------------------------------------------------------------------------

EMA_LAYERS = [layer("linear", out=5), layer("batchnorm"), layer("relu"), layer("linear", out=3)]
EMA_INPUT = [8, 4]
EMA_STEPS = 6


def timm_ema_v3_decay(decay, step, warmup_gamma=1.0, warmup_power=2 / 3):
    """timm.utils.ModelEmaV3.get_decay(step) with use_warmup=True, update_after_step=0, min_decay=0 (timm's defaults);
    timm's train.py passes the number of optimizer updates so far, 1 for the first."""
    step = max(0, step - 1)
    if step <= 0:
        return 0.0
    return max(min(1 - (1 + step / warmup_gamma) ** -warmup_power, decay), 0.0)


def ema_fixture(case, decay, warmup):
    """SGD with momentum on a small net with batch norm, a new batch each step; the average of parameters and running
    statistics after every step: torch's AveragedModel(get_ema_multi_avg_fn, use_buffers=True), or with warmup
    timm's ModelEmaV3 update (torch._foreach_lerp_ with weight 1 - decay_t)."""
    torch.manual_seed(11)
    model = build(EMA_LAYERS, EMA_INPUT)
    inputs = torch.randn(EMA_STEPS, *EMA_INPUT)
    labels = torch.randint(0, 3, (EMA_STEPS * EMA_INPUT[0],), dtype=torch.int64)
    tensors = {"inputs": inputs, "labels": labels}
    for name, value in model.state_dict().items():
        if value.is_floating_point():
            tensors[f"initial.{name}"] = value.clone()
    if warmup:
        average = copy.deepcopy(model)
    else:
        average = torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(decay), use_buffers=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, foreach=False)
    model.train()
    for step in range(EMA_STEPS):
        optimizer.zero_grad()
        batch = slice(step * EMA_INPUT[0], (step + 1) * EMA_INPUT[0])
        nn.CrossEntropyLoss()(model(inputs[step]), labels[batch]).backward()
        optimizer.step()
        if warmup:
            with torch.no_grad():
                pairs = [(mine, theirs) for mine, theirs in zip(average.state_dict().values(), model.state_dict().values())
                         if mine.is_floating_point()]
                torch._foreach_lerp_([mine for mine, _ in pairs], [theirs for _, theirs in pairs],
                                     weight=1.0 - timm_ema_v3_decay(decay, step + 1))
        else:
            average.update_parameters(model)
    averaged = average if warmup else average.module
    for name, value in averaged.state_dict().items():
        if value.is_floating_point():
            tensors[f"ema.{name}"] = value
    for name, value in model.state_dict().items():
        if value.is_floating_point():
            tensors[f"final.{name}"] = value
    save(tensors, f"ema_{case}.safetensors",
         {"kind": "ema", "layers": to_json(EMA_LAYERS), "input_shape": to_json(EMA_INPUT), "steps": str(EMA_STEPS),
          "decay": str(decay), "warmup": str(warmup).lower(), "optimizer": to_json(sgd(momentum=0.9))})


def make_ema_fixtures():
    ema_fixture("decay", 0.9, warmup=False)
    ema_fixture("warmup", 0.9, warmup=True)


def main():
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    make_layer_fixtures()
    make_net_fixtures()
    make_graph_fixtures()
    make_activations_fixtures()
    make_resnet20_fixture()
    make_optimizer_fixtures()
    make_schedule_fixtures()
    make_loss_fixtures()
    make_per_step_schedule_fixtures()
    make_ema_fixtures()
    make_int8_fixture()


if __name__ == "__main__":
    main()
