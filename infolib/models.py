"""Networks used by the chapters, and a way to read out their hidden layers.

``mlp`` builds plain fully connected ReLU networks (the papers' "Small FC", "Medium FC", the
memorization MLPs). ``hidden_activations`` runs a model and returns what each hidden layer
computed, through forward hooks, so it works for any ``nn.Module`` built from standard layers.

It also holds the one registry of the layer types that infolib's structural tools understand
(:data:`WEIGHT_LAYERS`, :data:`CHAIN_LAYERS` and its parts), used by ``reparam``, ``distance`` and
``complexity``, and :func:`check_layers`, which words every refusal of another layer the same way.
:func:`eval_mode` runs models in eval mode and gives each submodule back its own training flag.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from infolib.checks import integer, one_of, random_seed, real
from infolib.checks import module as check_module

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU}


class GlobalAvgPool(nn.AdaptiveAvgPool2d):
    """``AdaptiveAvgPool2d(1)`` computed as a mean over height and width: the same numbers, and a
    backward pass with a deterministic CUDA kernel (adaptive pooling's has none, so it raises
    under :func:`infolib.config.deterministic`)."""

    def __init__(self) -> None:
        super().__init__(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(-2, -1), keepdim=True)


# --- the registry of supported layers ------------------------------------------------------------
# Weight layers: their units (neurons) are the rows of a Linear, the output channels of a Conv2d.
WEIGHT_LAYERS = (nn.Linear, nn.Conv2d)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
# Positively homogeneous, f(c z) = c f(z) for c > 0, and acting on each channel separately
# (an empty nn.Sequential is the identity).
HOMOGENEOUS = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveMaxPool2d,
    nn.AdaptiveAvgPool2d,
    GlobalAvgPool,
    nn.Flatten,
    nn.Dropout,
    nn.Dropout2d,
    nn.Identity,
    nn.Sequential,
)
# Acting on each unit separately, but not positively homogeneous.
ELEMENTWISE = (nn.Tanh, nn.ReLU6, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Softplus, nn.Hardtanh)
# Every layer a plain feed-forward chain may hold: each keeps the units of the previous weight
# layer as the channels (or blocks of features) of its output, in the same order.
CHAIN_LAYERS = WEIGHT_LAYERS + BATCH_NORMS + HOMOGENEOUS + ELEMENTWISE


def check_layers(
    model: nn.Module,
    supported: tuple[type[nn.Module], ...] = CHAIN_LAYERS,
    *,
    caller: str,
    name: str = "model",
    hint: str = "",
) -> None:
    """``ValueError`` when a module of ``model`` is not exactly one of the ``supported`` types
    (``nn.Sequential`` containers are always allowed), in one wording for every tool: the caller,
    the offending types and the supported ones, then ``hint`` (what to do instead). Exact types:
    a subclass may change ``forward``. ``TypeError`` when ``model`` is not an ``nn.Module``."""
    check_module(name, model)
    found = sorted(
        {
            type(m).__name__
            for m in model.modules()
            if type(m) is not nn.Sequential and type(m) not in supported
        }
    )
    if found:
        allowed = ", ".join(t.__name__ for t in supported if t is not nn.Sequential)
        raise ValueError(
            f"{caller} does not support {', '.join(found)} ({name} contains them); supported "
            f"layers: {allowed}, in nn.Sequential containers{hint}"
        )


def weight_layers(model: nn.Module, *, caller: str, name: str = "model") -> list[nn.Module]:
    """The weight layers (:data:`WEIGHT_LAYERS`, subclasses included) of ``model`` in
    ``model.modules()`` order; ``ValueError`` when there is none, when another convolution
    (Conv1d, ConvTranspose2d, ...) would be silently left out, or when one is registered at two
    places (shared weights: ``model.modules()`` lists it once, so a layer-by-layer measure would
    miss a use of it). A custom module that calls one layer twice in its ``forward`` is not seen
    here: :func:`check_layers` refuses custom modules where that matters."""
    others = sorted(
        {
            type(m).__name__
            for m in model.modules()
            if isinstance(m, nn.modules.conv._ConvNd) and not isinstance(m, nn.Conv2d)
        }
    )
    if others:
        allowed = ", ".join(t.__name__ for t in WEIGHT_LAYERS)
        raise ValueError(
            f"{caller} does not support {', '.join(others)} ({name} contains them); supported "
            f"weight layers: {allowed}"
        )
    layers = [m for m in model.modules() if isinstance(m, WEIGHT_LAYERS)]
    if not layers:
        raise ValueError(f"{caller}: {name} has no Linear or Conv2d layer")
    check_used_once(model, WEIGHT_LAYERS, caller=caller, name=name)
    return layers


def check_units_reach(first: nn.Module, following: nn.Module, flattened: bool, *, caller: str,
                      index: int, hint: str = "") -> None:
    """``ValueError`` unless the units of weight layer ``index`` (``first``) are, in order, the
    input units of the next weight layer ``following`` (or, through a ``Flatten``, blocks of its
    inputs, one block per channel): the rule that lets :func:`infolib.reparam.swap_neurons` and
    ``param_emd(align=True)`` permute one layer's units and the next layer's inputs together.
    Refused: a Conv2d reaching a Linear without a Flatten (the Linear acts on the last spatial
    axis), a Linear reaching a Linear through a Flatten of more inputs than its units (on
    (N, T, F) inputs the units are the last axis of the flattened layout, not blocks), and a
    Linear or a Flatten feeding a Conv2d. ``flattened``: a Flatten lies between the two."""
    if isinstance(first, nn.Conv2d) and isinstance(following, nn.Linear) and not flattened:
        raise ValueError(
            f"{caller}: Conv2d weight layer {index} reaches the next Linear without a Flatten; "
            f"the Linear would act on the last spatial axis, not on the channels{hint}"
        )
    if (isinstance(first, nn.Linear) and isinstance(following, nn.Linear) and flattened
            and following.in_features != first.out_features):
        raise ValueError(
            f"{caller}: Linear weight layer {index} reaches the next Linear "
            f"({following.in_features} inputs) through a Flatten of more than its "
            f"{first.out_features} units: on (N, T, F) inputs its units lie on the last axis, "
            f"so the flattened inputs are not blocks of units{hint}"
        )
    if isinstance(following, nn.Conv2d) and (isinstance(first, nn.Linear) or flattened):
        raise ValueError(
            f"{caller}: weight layer {index} ({type(first).__name__}) feeds a Conv2d"
            f"{' through a Flatten' if flattened else ''}: its units are not the Conv2d's "
            f"channels{hint}"
        )


def check_used_once(model: nn.Module, types: tuple[type[nn.Module], ...], *, caller: str,
                    name: str = "model") -> None:
    """``ValueError`` when a module of ``types`` appears at two places in ``model`` (one
    ``nn.Linear`` instance in two positions of a Sequential: shared weights), which
    ``model.modules()`` would list only once."""
    places: dict[int, list[str]] = {}
    for place, module in model.named_modules(remove_duplicate=False):
        if isinstance(module, types):
            places.setdefault(id(module), []).append(place)
    shared = [where for where in places.values() if len(where) > 1]
    if shared:
        raise ValueError(
            f"{caller}: {name} uses one {types[0].__name__ if len(types) == 1 else 'layer'} at "
            f"several places ({', '.join(shared[0])}): shared weights are not supported; give "
            "each position its own layer"
        )


def mlp(
    in_features: int,
    hidden: Sequence[int],
    out_features: int,
    *,
    activation: str = "relu",
    init: str = "default",
    seed: int | None = None,
) -> nn.Sequential:
    """Fully connected network ``in -> hidden[0] -> ... -> hidden[-1] -> out``.

    Each hidden layer is ``Linear`` followed by the activation; the last layer is a ``Linear``
    producing logits. ``init``: ``"default"`` (PyTorch's), ``"xavier"`` (every layer's weights
    Glorot-uniform, U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), biases zero) or
    ``"xavier-hidden"`` (the same for the hidden layers only, the output layer PyTorch's default,
    as in Bansal et al.'s code). ``seed`` makes it reproducible without touching the global random
    state.
    """
    in_features = integer("in_features", in_features, minimum=1)
    out_features = integer("out_features", out_features, minimum=1)
    hidden = check_widths("hidden", hidden, allow_empty=True)
    seed = _seed(seed)
    one_of("activation", activation, sorted(_ACTIVATIONS))
    one_of("init", init, ("default", "xavier", "xavier-hidden"))

    sizes = (in_features, *hidden)
    layers: list[nn.Module] = []
    with _seeded(seed):
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(fan_in, fan_out), _ACTIVATIONS[activation]()]
        layers.append(nn.Linear(sizes[-1], out_features))
        linears = [m for m in layers if isinstance(m, nn.Linear)]
        for layer in linears if init == "xavier" else linears[:-1] if init != "default" else []:
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


@contextmanager
def eval_mode(*models: nn.Module) -> Iterator[None]:
    """Every submodule of ``models`` in eval mode inside the ``with`` block; afterwards (also on an
    error) each submodule gets back its own training flag, so a frozen (eval) batch-norm inside a
    model in train mode stays frozen, which ``model.train(was_training)`` would undo."""
    flags = {module: module.training for model in models for module in model.modules()}
    try:
        for model in models:
            model.eval()
        yield
    finally:
        for module, training in flags.items():
            module.training = training


def hidden_activations(
    model: nn.Module,
    x: torch.Tensor,
    *,
    kind: str = "post",
    chunk_size: int = 4096,
) -> list[torch.Tensor]:
    """Every hidden layer's output for inputs ``x``, in the order the layers are registered
    (``model.named_modules()``: the forward order of ``nn.Sequential`` and of this module's
    builders, not of a custom module that registers its head first), on the CPU.

    ``kind="post"``: the outputs of the activation modules (ReLU, Tanh, LeakyReLU; a model with
    any other activation module is refused), i.e. the hidden representations z_l.
    ``kind="pre"``: the outputs of every ``Linear``/``Conv`` layer except the last registered one
    (the pre-activations; copies, so that an in-place activation after a layer does not
    overwrite them). Convolutional maps are flattened to (samples, features).
    The model is run in eval mode without gradients, ``chunk_size`` inputs at a time (memory
    only: the result does not depend on it), and each submodule's mode is restored afterwards.
    Each captured module must run exactly once per forward pass: a module used at two places
    (one ``nn.ReLU()`` instance shared by two layers) is refused with a ``ValueError``.
    """
    one_of("kind", kind, ("post", "pre"))
    chunk_size = integer("chunk_size", chunk_size, minimum=1)
    if kind == "post":
        captured = tuple(_ACTIVATIONS.values())
        wanted = [(name, m) for name, m in model.named_modules() if isinstance(m, captured)]
        other = sorted({type(m).__name__ for m in model.modules()
                        if type(m).__module__ == "torch.nn.modules.activation"
                        and not isinstance(m, captured)})
        if other:  # their hidden layers would be left out without a word
            raise ValueError(f"model has activations {other} that kind='post' does not capture "
                             f"(it captures {[c.__name__ for c in captured]})")
    else:
        wanted = [(name, m) for name, m in model.named_modules()
                  if isinstance(m, WEIGHT_LAYERS)][:-1]
    if not wanted:
        raise ValueError(f"model has no hidden layers of kind {kind!r} to capture")

    outputs: dict[int, list[torch.Tensor]] = {i: [] for i in range(len(wanted))}
    hooks = [
        module.register_forward_hook(
            lambda _m, _inp, out, i=i: outputs[i].append(  # a copy: in-place layers follow
                out.detach().flatten(1).to("cpu", copy=True))
        )
        for i, (_name, module) in enumerate(wanted)
    ]
    device = next(model.parameters()).device
    try:
        with eval_mode(model), torch.no_grad():
            for calls, start in enumerate(range(0, len(x), chunk_size), start=1):
                model(x[start : start + chunk_size].to(device))
                for i, (name, module) in enumerate(wanted):
                    if len(outputs[i]) != calls:
                        ran = len(outputs[i]) - (calls - 1)
                        raise ValueError(
                            f"module {name!r} ({type(module).__name__}) ran {ran} times in one "
                            "forward pass; hidden_activations needs each captured module to run "
                            "exactly once (use a separate module instance at each place)"
                        )
    finally:
        for hook in hooks:
            hook.remove()
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
    blocks_per_stage: int | Sequence[int] = 1,
    seed: int | None = None,
) -> nn.Sequential:
    """A CIFAR-style ResNet (He et al., 2016): a 3x3 stem, one stage per entry of ``widths`` made
    of ``blocks_per_stage`` basic blocks (an int: as many in every stage; a sequence: one count
    per stage), the first block of each stage from the second on with stride 2 and a 1x1
    projection shortcut, then global average pooling and a linear head.

    The default, one block per stage of 8, 16 and 32 channels, has 19,810 parameters (one input
    channel, 10 classes) and is small enough for a CPU. ``widths=(16, 32, 64)`` with
    ``blocks_per_stage=3`` is ResNet-20 (272,474 parameters for 3 input channels and 10
    classes), ``9`` ResNet-56 (855,770); ``widths=(64, 128, 256, 512)`` with ``2`` is
    ResNet-18-like (3x3 stem, no max-pool). The modules form one flat ``nn.Sequential`` (stem,
    blocks, head). ``seed`` makes the initialization reproducible without touching the global
    random state.
    """
    in_channels = integer("in_channels", in_channels, minimum=1)
    n_classes = integer("n_classes", n_classes, minimum=1)
    widths = check_widths("widths", widths, allow_empty=False)
    if isinstance(blocks_per_stage, numbers.Integral) and not isinstance(blocks_per_stage, bool):
        blocks_per_stage = (blocks_per_stage,) * len(widths)
    blocks_per_stage = check_widths("blocks_per_stage", blocks_per_stage, allow_empty=False)
    if len(blocks_per_stage) != len(widths):
        raise ValueError(
            f"blocks_per_stage must have one entry per stage, as widths ({len(widths)}), got "
            f"{len(blocks_per_stage)}: {blocks_per_stage}"
        )
    seed = _seed(seed)
    with _seeded(seed):
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        ]
        for i, (width, n_blocks) in enumerate(zip(widths, blocks_per_stage)):
            layers.append(_BasicBlock(widths[max(i - 1, 0)], width, stride=1 if i == 0 else 2))
            layers += [_BasicBlock(width, width, stride=1) for _ in range(n_blocks - 1)]
        layers += [GlobalAvgPool(), nn.Flatten(), nn.Linear(widths[-1], n_classes)]
    return nn.Sequential(*layers)


def cifar_resnet(
    depth: int, in_channels: int = 1, n_classes: int = 10, *, seed: int | None = None
) -> nn.Sequential:
    """He et al.'s (2016) CIFAR ResNet of ``depth`` = 6n + 2 layers: :func:`small_resnet` with
    16, 32 and 64 channels and n basic blocks per stage. ResNet-20 (n = 3) has 272,186
    parameters, ResNet-56 (n = 9) 855,482 (one input channel, 10 classes)."""
    depth = integer("depth", depth, minimum=8)
    if (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 (20, 32, 44, 56, 110, ...), got {depth}")
    return small_resnet(in_channels, n_classes, widths=(16, 32, 64),
                        blocks_per_stage=(depth - 2) // 6, seed=seed)


def small_cnn(
    in_channels: int = 1, n_classes: int = 10, *, widths: Sequence[int] = (16, 32),
    input_size: int = 28, hidden: int | None = None, dropout: float = 0.0,
    batch_norm: bool = False, seed: int | None = None,
) -> nn.Sequential:
    """Conv(w1, 3x3)-ReLU-MaxPool(2)-Conv(w2, 3x3)-ReLU-MaxPool(2)-Flatten-Linear(s^2 w2,
    n_classes), (w1, w2) = ``widths``, for square inputs of ``input_size`` pixels (s = 5 for the
    default 28, 2 for 14; at least 10): 12,810 parameters with the default (16, 32), one input
    channel and 10 classes. The network of the model-information chapters and of the Fisher and
    coding benchmarks. ``hidden``: a fully connected ReLU layer of that width before the output
    (the information-distance chapters' network: ``hidden=64``, 56,714 parameters), with dropout
    of rate ``dropout`` after it when > 0. ``batch_norm``: a BatchNorm2d after each convolution,
    before its ReLU, as VGG-BN has it (+2 w per convolution: 96 with the default widths); the
    other layers get the same initial weights as without. ``seed`` makes the initialization
    reproducible without touching the global random state."""
    in_channels = integer("in_channels", in_channels, minimum=1)
    n_classes = integer("n_classes", n_classes, minimum=1)
    input_size = integer("input_size", input_size, minimum=10)
    if len(widths) != 2:
        raise ValueError(f"widths must be two channel counts (w1, w2), got {widths!r}")
    w1, w2 = (integer("widths", w, minimum=1) for w in widths)
    if hidden is not None:
        hidden = integer("hidden", hidden, minimum=1)
    dropout = real("dropout", dropout, minimum=0.0)
    if dropout >= 1 or (dropout > 0 and hidden is None):
        raise ValueError(f"dropout must be in [0, 1) and needs a hidden layer, got {dropout} with "
                         f"hidden={hidden}")
    if not isinstance(batch_norm, bool):
        raise TypeError(f"batch_norm must be True or False, got {batch_norm!r}")
    side = ((input_size - 2) // 2 - 2) // 2
    seed = _seed(seed)
    with _seeded(seed):
        layers: list[nn.Module] = []
        for channels_in, channels_out in [(in_channels, w1), (w1, w2)]:
            layers.append(nn.Conv2d(channels_in, channels_out, 3))
            layers += [nn.BatchNorm2d(channels_out)] if batch_norm else []
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
        layers.append(nn.Flatten())
        features = w2 * side * side
        if hidden is not None:
            layers += [nn.Linear(features, hidden), nn.ReLU()]
            layers += [nn.Dropout(dropout)] if dropout > 0 else []
            features = hidden
        layers.append(nn.Linear(features, n_classes))
        return nn.Sequential(*layers)


def all_cnn(
    in_channels: int = 1, n_classes: int = 10, *, widths: Sequence[int] = (16, 32),
    seed: int | None = None,
) -> nn.Sequential:
    """A slim All-CNN (Springenberg et al., 2015; the network of the Fisher paper's Fig. 2): per
    entry of ``widths`` a 3x3 convolution and a 3x3 convolution of stride 2 (in place of pooling),
    each followed by ReLU, then a 1x1 convolution to ``n_classes`` and global average pooling. No
    batch-norm. With the default widths, one input channel and 10 classes: 16,698 parameters, for
    inputs of any size of at least 4x4 per stage."""
    in_channels = integer("in_channels", in_channels, minimum=1)
    n_classes = integer("n_classes", n_classes, minimum=1)
    widths = check_widths("widths", widths, allow_empty=False)
    seed = _seed(seed)
    with _seeded(seed):
        layers: list[nn.Module] = []
        previous = in_channels
        for width in widths:
            layers += [nn.Conv2d(previous, width, 3, 1, 1), nn.ReLU(),
                       nn.Conv2d(width, width, 3, 2, 1), nn.ReLU()]
            previous = width
        layers += [nn.Conv2d(previous, n_classes, 1), GlobalAvgPool(), nn.Flatten()]
        return nn.Sequential(*layers)


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
    return None if seed is None else random_seed("seed", seed)


@contextmanager
def _seeded(seed: int | None):
    """Draws from torch's global generator seeded with ``seed``, the caller's state restored
    afterwards; ``None``: from the global generator as it is, advancing it (two unseeded builds
    differ, as two ``nn.Linear`` do)."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
