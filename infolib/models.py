"""Networks used by the chapters, and a way to read out their hidden layers.

``mlp`` builds plain fully connected ReLU networks (the papers' "Small FC", "Medium FC", the
memorization MLPs). ``hidden_activations`` runs a model and returns what each hidden layer
computed, through forward hooks, so it works for any ``nn.Module`` built from standard layers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from infolib.checks import integer

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU}


def mlp(
    in_features: int,
    hidden: Sequence[int],
    out_features: int,
    *,
    activation: str = "relu",
    seed: int | None = None,
) -> nn.Sequential:
    """Fully connected network ``in -> hidden[0] -> ... -> hidden[-1] -> out``.

    Each hidden layer is ``Linear`` followed by the activation; the last layer is a ``Linear``
    producing logits. PyTorch's default initialization; ``seed`` makes it reproducible without
    touching the global random state.
    """
    in_features = integer("in_features", in_features, minimum=1)
    out_features = integer("out_features", out_features, minimum=1)
    hidden = check_widths("hidden", hidden, allow_empty=True)
    seed = _seed(seed)
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")

    sizes = (in_features, *hidden)
    layers: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(fan_in, fan_out), _ACTIVATIONS[activation]()]
        layers.append(nn.Linear(sizes[-1], out_features))
    return nn.Sequential(*layers)


def hidden_activations(
    model: nn.Module,
    x: torch.Tensor,
    *,
    kind: str = "post",
    batch_size: int = 4096,
) -> list[torch.Tensor]:
    """Every hidden layer's output for inputs ``x``, in forward order, on the CPU.

    ``kind="post"``: the outputs of the activation modules (ReLU, Tanh, ...), i.e. the hidden
    representations z_l. ``kind="pre"``: the outputs of every ``Linear``/``Conv`` layer except the
    last one (the pre-activations). Convolutional maps are flattened to (samples, features).
    The model is run in eval mode without gradients and restored to its previous mode.
    """
    if kind not in ("post", "pre"):
        raise ValueError(f"kind must be 'post' or 'pre', got {kind!r}")
    batch_size = integer("batch_size", batch_size, minimum=1)
    if kind == "post":
        wanted = [m for m in model.modules() if isinstance(m, tuple(_ACTIVATIONS.values()))]
    else:
        weight_layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
        wanted = weight_layers[:-1]
    if not wanted:
        raise ValueError(f"model has no hidden layers of kind {kind!r} to capture")

    outputs: dict[int, list[torch.Tensor]] = {i: [] for i in range(len(wanted))}
    hooks = [
        module.register_forward_hook(
            lambda _m, _inp, out, i=i: outputs[i].append(out.detach().flatten(1).cpu())
        )
        for i, module in enumerate(wanted)
    ]
    was_training = model.training
    device = next(model.parameters()).device
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                model(x[start : start + batch_size].to(device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return [torch.cat(outputs[i]) for i in range(len(wanted))]


class _BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch-norm and a skip connection (He et al., 2016)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu1, self.relu2 = nn.ReLU(), nn.ReLU()  # two modules: one hook call each
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        return self.relu2(self.bn2(self.conv2(out)) + self.shortcut(x))


def small_resnet(
    in_channels: int = 1,
    n_classes: int = 10,
    *,
    widths: Sequence[int] = (8, 16, 32),
    seed: int | None = None,
) -> nn.Sequential:
    """A ResNet-style network small enough for a CPU: a 3x3 stem, one basic block per stage
    (stride 2 from the second stage on), global average pooling and a linear head.

    With ``widths=(64, 128, 256, 512)`` and two blocks per stage this would be ResNet-18; the
    default has about 24k parameters. ``seed`` makes the initialization reproducible.
    """
    in_channels = integer("in_channels", in_channels, minimum=1)
    n_classes = integer("n_classes", n_classes, minimum=1)
    widths = check_widths("widths", widths, allow_empty=False)
    seed = _seed(seed)
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        ]
        for i, width in enumerate(widths):
            layers.append(_BasicBlock(widths[max(i - 1, 0)], width, stride=1 if i == 0 else 2))
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(widths[-1], n_classes)]
    return nn.Sequential(*layers)


def small_cnn(
    in_channels: int = 1, n_classes: int = 10, *, seed: int | None = None
) -> nn.Sequential:
    """Conv(16, 3x3)-ReLU-MaxPool(2)-Conv(32, 3x3)-ReLU-MaxPool(2)-Flatten-Linear(800, n_classes)
    for 28x28 inputs: 12,810 parameters with one input channel and 10 classes. The network of the
    model-information chapter and of the Fisher and coding benchmarks. ``seed`` makes the
    initialization reproducible without touching the global random state."""
    in_channels = integer("in_channels", in_channels, minimum=1)
    n_classes = integer("n_classes", n_classes, minimum=1)
    seed = _seed(seed)
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        return nn.Sequential(
            nn.Conv2d(in_channels, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 5 * 5, n_classes),
        )


def check_widths(name: str, widths, *, allow_empty: bool) -> tuple[int, ...]:
    """Layer widths as a tuple of Python ints >= 1 (numpy integers and arrays accepted), or a
    TypeError/ValueError naming ``name``. Also checks the decoder widths of infolib.usable."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a sequence of ints, got {type(widths).__name__}")
    widths = tuple(widths)
    if not widths and not allow_empty:
        raise ValueError(f"{name} must be a non-empty sequence of positive ints, got ()")
    return tuple(integer(f"{name}[{i}]", w, minimum=1) for i, w in enumerate(widths))


def _seed(seed) -> int | None:
    return None if seed is None else integer("seed", seed)
