"""Train the seeds of one small network together, as one batched network.

:func:`fit_together` trains S fully connected networks of the same architecture (as built by
:func:`infolib.models.mlp`) at once: layer l's weights are stacked into one (S, out, in) tensor
and applied with ``torch.baddbmm``, so a step costs about one step of one network in Python
overhead. Each network keeps everything :func:`infolib.train.fit` gives it with its own seed: the
same per-epoch random permutation of the training set (a ``torch.Generator`` seeded with its
seed), the same mini-batches, its own mean cross-entropy (the loss is the sum of the S means, so
each network's gradient is its separate gradient), and SGD (momentum, weight decay) or Adam,
whose updates are elementwise, so one optimizer over the stacked tensors makes the S separate
optimizers' steps. The results equal S calls of ``fit`` up to floating-point rounding (batched
and separate matrix products may sum in different orders): parameters differ by about 1e-7 after
a few hundred steps (benchmarks/bench_ensemble.py), so a long run's results agree only as far as
the training is insensitive to such differences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from infolib.checks import integer, random_seed, real, same_length
from infolib.config import resolve_device
from infolib.models import check_layers
from infolib.train import check_optimizer, check_training_values

# The layers a network trained together may hold (in nn.Sequential containers): the Linear
# layers and the activations of infolib.models.mlp. Activations act elementwise, so one module
# applies to all S networks' (S, batch, units) activations at once.
SUPPORTED_LAYERS = (nn.Linear, nn.ReLU, nn.Tanh, nn.LeakyReLU)

Callback = Callable[[int, nn.Module], Any]


def fit_together(
    models: Sequence[nn.Module],
    x: torch.Tensor | Sequence[torch.Tensor],
    y: torch.Tensor | Sequence[torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seeds: Sequence[int],
    optimizer: str = "sgd",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    lr_decay: float = 1.0,
    callback: Callback | Sequence[Callback] | None = None,
    start_epoch: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
    desc: str = "training together",
) -> list[list[Any]]:
    """Train each ``models[s]`` in place as ``fit(models[s], x, y, seed=seeds[s], ...)`` would,
    all S at once; return what the callbacks recorded, one list per model.

    ``models``: S distinct networks of one architecture, each an ``nn.Sequential`` of ``Linear``
    layers and ReLU/Tanh/LeakyReLU activations (as :func:`infolib.models.mlp` builds them), all
    parameters trainable; anything else is a ``ValueError`` (train it with
    :func:`infolib.train.fit`). ``x`` (N, in_features) and ``y`` (N,) class indices or (N, K)
    probabilities: each either one tensor that every model trains on, or a sequence of S tensors,
    one per model (its own data set), all of N examples. The loss is the mean cross-entropy of
    each model's mini-batch (``fit``'s default ``loss_fn``), summed over the models.

    ``epochs``, ``batch_size``, ``lr``, ``optimizer``, ``momentum``, ``weight_decay``,
    ``lr_decay``, ``start_epoch``, ``device``, ``progress``: as in ``fit``. ``callback``: one
    callable for every model, or S callables, one per model; ``callback(epoch, models[s])`` is
    called as ``fit`` calls it (before training and after each epoch, the model in eval mode and
    holding its current parameters; changes it makes to them are trained on). The models are left
    in eval mode on ``device``.

    Cost: per step, one batched forward and backward pass of S networks (S times the arithmetic of
    one, about the Python overhead of one); memory: S copies of the parameters and of the
    optimizer's state.
    """
    if isinstance(models, nn.Module) or not isinstance(models, Sequence):
        raise TypeError(f"models must be a list of nn.Module, got {type(models).__name__}")
    if len(models) == 0:
        raise ValueError("models is empty: give at least one network to train")
    n_models = len(models)
    layers = _layers(models)
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise TypeError(f"seeds must be a list of ints, one per model, got {type(seeds).__name__}")
    same_length("models", models, "seeds", seeds)
    seeds = [random_seed(f"seeds[{s}]", seed) for s, seed in enumerate(seeds)]
    epochs = integer("epochs", epochs, minimum=0)
    batch_size = integer("batch_size", batch_size, minimum=1)
    start_epoch = integer("start_epoch", start_epoch, minimum=0)
    lr = real("lr", lr, minimum=0)
    momentum = real("momentum", momentum, minimum=0)
    weight_decay = real("weight_decay", weight_decay, minimum=0)
    lr_decay = real("lr_decay", lr_decay, above=0)
    check_optimizer(optimizer, momentum)
    callbacks = _callbacks(callback, n_models)

    device = resolve_device(device)
    for model in models:
        model.to(device)
    # x_flat[index] with index = order + offset: a shared tensor (offset 0) or S stacked data sets
    # (offset s * N), one (N, ...) block per model; gradients go to the models only
    (x_flat, x_offset), (y_flat, y_offset), n = _stacked_data(x, y, n_models, device)
    check_training_values(x_flat, y_flat)
    in_features = layers[0][0].in_features
    if x_flat.ndim != 2 or x_flat.shape[1] != in_features:
        raise ValueError(
            f"x must be 2-D (samples, {in_features} features) for models whose first Linear "
            f"takes {in_features} inputs, got samples of shape {tuple(x_flat.shape[1:])}"
        )
    # (S, out, in) weights and (S, out) biases, trained; activations applied as they are
    stacked = [
        [_stack([m.weight for m in column]), _stack([m.bias for m in column])]
        if isinstance(column[0], nn.Linear) else column[0]
        for column in zip(*layers)
    ]
    parameters = [t for step in stacked if isinstance(step, list) for t in step if t is not None]
    if optimizer == "sgd":
        opt = torch.optim.SGD(parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay)
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]

    records: list[list[Any]] = [[] for _ in models]
    # each model's callback draws from torch's global generator as under fit (seeded with its
    # seed, its draws carried on from call to call); the caller's generator is left as it was
    rng_devices = [device] if device.type == "cuda" else []
    rng_states = [_seeded_rng_state(seed, rng_devices) for seed in seeds]

    def record(epoch: int) -> None:
        if not callbacks:
            return
        _write_back(stacked, layers)
        for s, (model, call, kept) in enumerate(zip(models, callbacks, records)):
            model.eval()
            with torch.random.fork_rng(devices=rng_devices):
                _set_rng_state(rng_states[s], rng_devices)
                value = call(epoch, model)
                rng_states[s] = _rng_state(rng_devices)
            if value is not None:
                kept.append(value)
        _read_back(stacked, layers)  # what a callback changed is trained on, as in fit

    record(start_epoch)
    epochs_range = range(start_epoch + 1, start_epoch + epochs + 1)
    if progress:  # imported here: tqdm.auto warns at import in a kernel without ipywidgets
        from tqdm.auto import tqdm

        epochs_range = tqdm(epochs_range, desc=desc, leave=False)
    for epoch in epochs_range:
        order = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(device)
        for batch in torch.split(order, batch_size, dim=1):  # (S, B): model s's batch in row s
            opt.zero_grad(set_to_none=True)
            logits = _forward(stacked, x_flat[batch + x_offset])  # (S, B, K)
            targets = y_flat[batch + y_offset]
            loss = F.cross_entropy(  # sum over models of each model's mean over its batch
                logits.flatten(0, 1), targets.flatten(0, 1), reduction="sum"
            ) / batch.shape[1]
            loss.backward()
            opt.step()
        for group in opt.param_groups:
            group["lr"] *= lr_decay
        record(epoch)
    _write_back(stacked, layers)
    for model in models:
        model.eval()
    return records


def _seeded_rng_state(seed: int, devices: list) -> tuple:
    """torch's global generators (CPU, and the CUDA ``devices``) as ``torch.manual_seed(seed)``
    leaves them; the caller's are not touched."""
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        return _rng_state(devices)


def _rng_state(devices: list) -> tuple:
    return torch.get_rng_state(), [torch.cuda.get_rng_state(d) for d in devices]


def _set_rng_state(state: tuple, devices: list) -> None:
    cpu, cuda = state
    torch.set_rng_state(cpu)
    for d, s in zip(devices, cuda):
        torch.cuda.set_rng_state(s, d)


def _layers(models: Sequence[nn.Module]) -> list[list[nn.Module]]:
    """Each model's layers in forward order (nested ``nn.Sequential`` flattened), after checking
    that they are supported, trainable, not shared, and the same architecture in every model."""
    layers = []
    for s, model in enumerate(models):
        check_layers(
            model, SUPPORTED_LAYERS, caller="fit_together", name=f"models[{s}]",
            hint="; train other networks one at a time with infolib.train.fit",
        )
        layers.append(list(_flatten(model)))
        if not any(isinstance(layer, nn.Linear) for layer in layers[-1]):
            raise ValueError(f"fit_together: models[{s}] has no Linear layer to train")
        frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
        if frozen:
            raise ValueError(
                f"fit_together does not support frozen parameters (models[{s}] has "
                f"{', '.join(frozen)} with requires_grad=False); train it with infolib.train.fit"
            )
    linears = [layer for model in layers for layer in model if isinstance(layer, nn.Linear)]
    if len({id(layer) for layer in linears}) < len(linears):
        raise ValueError(
            "fit_together: a Linear layer appears twice among the models (the same model given "
            "twice, or a layer shared between positions); give S distinct networks"
        )
    reference = [_signature(layer) for layer in layers[0]]
    for s, model in enumerate(layers[1:], start=1):
        signature = [_signature(layer) for layer in model]
        if signature != reference:
            raise ValueError(
                f"fit_together needs one architecture: models[{s}] has layers {signature}, "
                f"models[0] has {reference}"
            )
    return layers


def _flatten(module: nn.Module):
    """The layers of ``module`` in the order its (nested) ``nn.Sequential`` applies them."""
    if type(module) is not nn.Sequential:
        yield module
        return
    for child in module:
        yield from _flatten(child)


def _signature(layer: nn.Module) -> tuple:
    """What must match between the models at one position: the type and its settings."""
    if isinstance(layer, nn.Linear):
        bias = layer.bias is not None
        return ("Linear", layer.in_features, layer.out_features, f"bias={bias}",
                str(layer.weight.dtype))
    return (type(layer).__name__, layer.extra_repr())


def _callbacks(callback, n_models: int) -> list[Callback]:
    """``callback`` as a list of one callable per model (empty for ``None``)."""
    if callback is None:
        return []
    if callable(callback):
        return [callback] * n_models
    if isinstance(callback, Sequence) and all(callable(c) for c in callback):
        same_length("callback", callback, "models", range(n_models))
        return list(callback)
    raise TypeError(
        f"callback must be None, a callable or a list of one callable per model, got "
        f"{type(callback).__name__}"
    )


def _stacked_data(x, y, n_models: int, device: torch.device):
    """((x_flat, x_offset), (y_flat, y_offset), N): each of ``x``, ``y`` on ``device`` as one
    tensor indexed by ``order + offset`` (offset (S, 1): 0 for a shared tensor, s * N for the
    s-th of S per-model tensors concatenated), and N, the examples each model trains on."""
    parts = {"x": _as_list("x", x, n_models), "y": _as_list("y", y, n_models)}
    lengths = {len(t) for tensors in parts.values() for t in tensors}
    if len(lengths) > 1:
        xs, ys = parts["x"], parts["y"]
        if len(xs) == len(ys):  # one message for the usual case, as fit words it
            for s, (a, b) in enumerate(zip(xs, ys)):
                suffix = f"[{s}]" if len(xs) > 1 else ""
                same_length(f"x{suffix}", a, f"y{suffix}", b)
        raise ValueError(
            "x and y must hold the same number of examples for every model (their batches are "
            f"drawn together), got lengths {[len(t) for t in xs]} and {[len(t) for t in ys]}"
        )
    (n,) = lengths
    if n == 0:
        raise ValueError("x is empty: nothing to train on")
    flat = []
    for tensors in parts.values():
        offset = torch.zeros(1, 1, dtype=torch.long, device=device)
        if len(tensors) > 1:
            offset = (torch.arange(n_models, device=device) * n).view(n_models, 1)
        flat.append((torch.cat([t.detach() for t in tensors]).to(device), offset))
    return flat[0], flat[1], n


def _as_list(name: str, value, n_models: int) -> list[torch.Tensor]:
    """``value`` as [one shared tensor] or S tensors, one per model."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(t, torch.Tensor) for t in value):
        same_length(name, value, "models", range(n_models))
        return list(value)
    raise TypeError(
        f"{name} must be a torch.Tensor or a list of one tensor per model, got "
        f"{type(value).__name__}"
    )


def _stack(tensors: list[torch.Tensor | None]) -> torch.Tensor | None:
    """One trainable leaf tensor (S, ...) holding a copy of the S models' tensors."""
    if tensors[0] is None:
        return None
    return torch.stack([t.detach() for t in tensors]).requires_grad_(True)


def _forward(stacked: list, h: torch.Tensor) -> torch.Tensor:
    """The S networks on their own inputs: h (S, B, in) -> logits (S, B, K);
    a Linear is h W^T + b per network, with W (S, out, in) and b (S, out)."""
    for step in stacked:
        if isinstance(step, nn.Module):
            h = step(h)
            continue
        weight, bias = step
        if bias is None:
            h = torch.bmm(h, weight.transpose(1, 2))
        else:
            h = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))
    return h


@torch.no_grad()
def _write_back(stacked: list, layers: list[list[nn.Module]]) -> None:
    """Copy the stacked parameters into the models' own."""
    for step, column in zip(stacked, zip(*layers)):
        if isinstance(step, list):
            for s, layer in enumerate(column):
                layer.weight.copy_(step[0][s])
                if step[1] is not None:
                    layer.bias.copy_(step[1][s])


@torch.no_grad()
def _read_back(stacked: list, layers: list[list[nn.Module]]) -> None:
    """Copy the models' parameters into the stacked ones (after callbacks that may change them)."""
    for step, column in zip(stacked, zip(*layers)):
        if isinstance(step, list):
            step[0].copy_(torch.stack([layer.weight for layer in column]))
            if step[1] is not None:
                step[1].copy_(torch.stack([layer.bias for layer in column]))
