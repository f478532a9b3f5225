"""Re-parameterizations and perturbations of a network, for the information distance chapter
("Information distance for neural network functions", ICLR 2021 submission, section 3.2).

Two parameter vectors can compute the same function. A distance between *functions* should
therefore not move when the parameters change but the function does not, and should grow when
the function changes. This module builds such modified copies of a network theta_A:

- :func:`scale_layers` and :func:`swap_neurons` change the parameters but keep the function
  exactly (up to floating-point rounding): ReLU is positively homogeneous, relu(c z) = c relu(z)
  for c > 0, and a layer's units can be listed in any order if the next layer reads them in the
  same order.
- :func:`scale_residual_block` and :func:`swap_residual_channels` do the same inside the basic
  blocks of a residual network (:func:`infolib.models.small_resnet`), where the skip connection
  rules out :func:`scale_layers` and :func:`swap_neurons`: the change is made and undone between
  a block's first batch-norm and its second convolution, which the skip connection bypasses.
- :func:`perturb` adds Gaussian noise to every parameter; :func:`adversarial_perturb` adds a
  perturbation of the same size chosen to change the network's penultimate representation as
  much as it can.
- :func:`interpolate` walks the straight line (1 - c) theta_A + c theta_B between two networks.

Each function returns a new model (``copy.deepcopy``) and never modifies its inputs; the copy keeps
the input's training mode. "Same function" means the same outputs in eval mode (dropout off,
batch-norm with its running statistics).

**Weight layers.** ``nn.Linear`` and ``nn.Conv2d`` modules (:data:`infolib.models.WEIGHT_LAYERS`),
numbered from 0 in ``model.modules()`` order. ``layer`` = i names the i-th of them, and its
"next weight layer" is number i + 1.

**Which models** :func:`scale_layers` **and** :func:`swap_neurons` **accept.** A plain feed-forward
chain: the model is an ``nn.Sequential`` (possibly nested) whose leaf modules, in
``model.modules()`` order, are applied one after the other, each to the previous one's output.
The leaves must be among :data:`infolib.models.CHAIN_LAYERS`, the registry shared with
``distance`` and ``complexity`` (weight layers, elementwise activations, max and average pooling,
Flatten, Dropout, BatchNorm1d/2d, Identity). The forward pass of a custom module cannot be read,
so any other module type (a residual block, a custom network class) is refused with a
``ValueError`` that lists the offending and the supported types
(:func:`infolib.models.check_layers`): a residual connection would carry the unscaled or
unpermuted units around the next weight layer. A weight layer or batch-norm used
twice in the chain (shared weights) is refused too. :func:`perturb`, :func:`adversarial_perturb`
and :func:`interpolate` need no structure and accept any ``nn.Module``.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.func import functional_call

from infolib.checks import boolean, inputs, integer, integer_inputs_named, random_seed, real
from infolib.checks import module as check_module
from infolib.models import (
    BATCH_NORMS,
    CHAIN_LAYERS,
    HOMOGENEOUS,
    WEIGHT_LAYERS,
    _BasicBlock,
    check_layers,
    check_units_reach,
    check_used_once,
    eval_mode,
    weight_layers,
)


def scale_layers(model: nn.Sequential, layer: int, c: float) -> nn.Sequential:
    """A copy with weight layer ``layer``'s weight and bias times c and the next weight layer's
    weight divided by c (its bias unchanged); the same function for ReLU networks.

    W_l -> c W_l, b_l -> c b_l, W_{l+1} -> W_{l+1} / c. Between the two, every module must be
    positively homogeneous (:data:`infolib.models.HOMOGENEOUS`: ReLU, LeakyReLU, pooling, Flatten,
    Dropout): then the next layer's input is c times the old one and W_{l+1} / c undoes it.
    ``c``: a finite number > 0 (numpy scalars included) such that c and 1/c are normal numbers of
    the weights' dtype (for float32, c in about [1.2e-38, 8.5e37]).
    Refused (``ValueError``): a model that is not a plain chain (module docstring), ``layer`` the
    last weight layer, a Tanh, GELU or other non-homogeneous activation between the two layers
    (tanh(c z) != c tanh(z)), a batch-norm between them (it would absorb the scale in training
    mode, and in eval mode its eps breaks the exact invariance even with rescaled running
    statistics), and a c for which c, 1/c or a rescaled weight overflows or underflows in the
    weights' dtype (the copy would compute NaN or another function).
    """
    c = real("c", c, above=0)
    result = copy.deepcopy(model)
    first, between, following = _pair(result, layer, "scale_layers")
    for module in between:
        if isinstance(module, BATCH_NORMS):
            raise ValueError(
                f"scale_layers: a {type(module).__name__} lies between weight layer {layer} and "
                f"the next one; batch-norm absorbs a rescaling (its eps prevents an exact "
                "eval-mode invariance), so the function cannot be kept. Scale another layer"
            )
        if not isinstance(module, HOMOGENEOUS):
            raise ValueError(
                f"scale_layers: {type(module).__name__} between weight layer {layer} and the next "
                "one is not positively homogeneous (f(c z) != c f(z)), so rescaling would change "
                "the function"
            )
    for tensor in (first.weight, following.weight):
        _check_representable(c, tensor.dtype, layer)
    with torch.no_grad():
        updates = [(first.weight, first.weight * c), (following.weight, following.weight / c)]
        if first.bias is not None:
            updates.append((first.bias, first.bias * c))
        for old, new in updates:
            if not torch.isfinite(new).all() or ((new == 0) & (old != 0)).any():
                raise ValueError(
                    f"scale_layers: c = {c:g} makes weights of weight layer {layer} or the next "
                    f"one overflow to inf or underflow to 0 in {old.dtype}; choose a c closer to 1"
                )
        for old, new in updates:
            old.copy_(new)
    return result


def _check_representable(c: float, dtype: torch.dtype, layer: int,
                         where: str = "scale_layers: ... around weight layer") -> None:
    """c and 1/c must be normal numbers of ``dtype``: finite, and not flushed to 0."""
    info = torch.finfo(dtype)
    if not (info.tiny <= c <= info.max and info.tiny <= 1 / c <= info.max):
        caller, place = where.split(": ... ")
        raise ValueError(
            f"{caller}: c = {c:g} is out of range for the {dtype} weights {place} "
            f"{layer}: c and 1/c must both lie in [{info.tiny:.3g}, {info.max:.3g}] (finite, "
            f"nonzero normal {dtype} numbers)"
        )


def swap_neurons(
    model: nn.Sequential, layer: int, fraction: float, *, seed: int = 0
) -> nn.Sequential:
    """A copy in which a random ``fraction`` of weight layer ``layer``'s units trade places;
    the same function.

    A unit is an output row of a Linear (weight row and bias) or an output channel of a Conv2d.
    k = ``round(fraction * n_units)`` units (Python's ``round``: halves to even) are drawn without
    replacement and permuted among themselves by a uniformly random *derangement* (a permutation
    that moves every one of them: ``torch.randperm`` drawn again until it has no fixed point,
    about e = 2.7 draws on average), all from a CPU ``torch.Generator`` seeded with ``seed``. So
    exactly k units change place and ``fraction`` is the fraction of units that moved, except
    that a single chosen unit (k = 1) has nowhere to go and stays. ``fraction=0`` returns an
    identical copy; ``fraction=1`` moves every unit.

    To keep the function, everything downstream reads the units in their new order: the next
    weight layer's input columns (Linear) or input channels (Conv2d); the weight, bias,
    running_mean and running_var of a batch-norm in between; and, for Conv2d -> Flatten -> Linear,
    the blocks of H*W columns of each channel (Flatten lays out (C, H, W) row-major: channel j
    occupies columns j*H*W to (j+1)*H*W - 1, with H*W = in_features / C). Elementwise activations
    (Tanh, GELU, ... included), pooling and dropout act on each channel separately and need nothing.
    Refused (``ValueError``): a model that is not a plain chain (module docstring), ``layer`` the
    last weight layer, grouped convolutions, a Conv2d that reaches a Linear without Flatten, a
    Linear (or a Flatten) that feeds a Conv2d, and a Linear that reaches the next Linear through a
    Flatten of more inputs than its units (a Linear on (N, T, F) inputs: its units are the last
    axis of the flattened layout, not blocks).
    """
    fraction = real("fraction", fraction, minimum=0, maximum=1)
    seed = random_seed("seed", seed)
    result = copy.deepcopy(model)
    first, between, following = _pair(result, layer, "swap_neurons")
    for module in (first, following):
        if isinstance(module, nn.Conv2d) and module.groups != 1:
            raise ValueError(
                f"swap_neurons: grouped convolutions (groups={module.groups}) are not supported: "
                "a channel cannot move to another group"
            )
    flattened = any(isinstance(module, nn.Flatten) for module in between)
    check_units_reach(first, following, flattened, caller="swap_neurons", index=layer)
    for module in between:
        if isinstance(module, nn.Flatten) and (module.start_dim, module.end_dim) != (1, -1):
            raise ValueError(
                "swap_neurons supports only Flatten(start_dim=1, end_dim=-1), got "
                f"Flatten(start_dim={module.start_dim}, end_dim={module.end_dim})"
            )

    n_units = first.weight.shape[0]
    order = _partial_permutation(n_units, round(fraction * n_units), seed)
    with torch.no_grad():
        _permute_outputs(first, order)
        seen_flatten = False
        for module in between:
            seen_flatten = seen_flatten or isinstance(module, nn.Flatten)
            if isinstance(module, BATCH_NORMS):
                index = _block_order(order, module.num_features, seen_flatten, type(module))
                for tensor in (module.weight, module.bias, module.running_mean, module.running_var):
                    if tensor is not None:
                        _permute(tensor, index, 0)
        if isinstance(following, nn.Linear):
            index = _block_order(order, following.in_features, flattened, nn.Linear)
            _permute(following.weight, index, 1)
        else:
            _permute(following.weight, order, 1)
    return result


def scale_residual_block(model: nn.Module, block: int, c: float) -> nn.Module:
    """A copy in which residual block ``block`` has its first batch-norm's weight and bias times
    c and its second convolution's weight divided by c; the same function.

    A residual block is a module with ``conv1``, ``bn1`` and ``conv2`` computing
    conv2(relu(bn1(conv1(x)))) inside it (the basic blocks of
    :func:`infolib.models.small_resnet`), numbered from 0 in ``model.modules()`` order. bn1's
    output is c times the old one, relu(c z) = c relu(z) for c > 0, and conv2 (without bias) /c
    undoes it: exact in eval and in training mode, since bn2 sees conv2's output unchanged. The
    skip connection bypasses both, so nothing else changes. ``c``: a finite number > 0 with c
    and 1/c normal numbers of the weights' dtype. Refused (``ValueError``): no such block, a
    conv2 with a bias, a bn1 without affine weights, a module with conv1, bn1 and conv2 of another
    class than those basic blocks (its forward cannot be read).
    """
    c = real("c", c, above=0)
    result = copy.deepcopy(model)
    first_norm, second_conv = _residual_pair(result, block, "scale_residual_block")
    _check_representable(c, second_conv.weight.dtype, block,
                         "scale_residual_block: ... of residual block")
    with torch.no_grad():
        first_norm.weight.mul_(c)
        first_norm.bias.mul_(c)
        second_conv.weight.div_(c)
    return result


def swap_residual_channels(
    model: nn.Module, block: int, fraction: float, *, seed: int = 0
) -> nn.Module:
    """A copy in which a random ``fraction`` of residual block ``block``'s inner channels (the
    output channels of conv1) trade places; the same function.

    The channels moved and the derangement are drawn as in :func:`swap_neurons` (``seed``, a CPU
    generator); conv1's output channels, bn1's weight, bias, running_mean and running_var, and
    conv2's input channels are permuted alike. Blocks as in :func:`scale_residual_block`.
    """
    fraction = real("fraction", fraction, minimum=0, maximum=1)
    seed = random_seed("seed", seed)
    result = copy.deepcopy(model)
    first_norm, second_conv = _residual_pair(result, block, "swap_residual_channels")
    first_conv = _residual_blocks(result, "swap_residual_channels")[block].conv1
    n_channels = first_conv.weight.shape[0]
    order = _partial_permutation(n_channels, round(fraction * n_channels), seed)
    with torch.no_grad():
        _permute_outputs(first_conv, order)
        for tensor in (first_norm.weight, first_norm.bias, first_norm.running_mean,
                       first_norm.running_var):
            if tensor is not None:
                _permute(tensor, order, 0)
        _permute(second_conv.weight, order, 1)
    return result


def _residual_blocks(model: nn.Module, caller: str) -> list[nn.Module]:
    """The basic blocks of :func:`infolib.models.small_resnet` in ``model``, in modules() order. A
    module that has conv1, bn1 and conv2 but is another class is refused: its forward (a
    pre-activation block, say) need not compute conv2(relu(bn1(conv1(x)))), and rescaling or
    permuting it would change the function without a word."""
    blocks = []
    for name, m in model.named_modules():
        if all(isinstance(getattr(m, attribute, None), kind) for attribute, kind in
               (("conv1", nn.Conv2d), ("bn1", nn.BatchNorm2d), ("conv2", nn.Conv2d))):
            if type(m) is not _BasicBlock or type(m.relu1) is not nn.ReLU:
                raise ValueError(
                    f"{caller}: module {name!r} ({type(m).__name__}) has conv1, bn1 and conv2, "
                    "but its forward is unknown: only the basic blocks of "
                    "infolib.models.small_resnet (conv2(relu(bn1(conv1(x))))) are supported")
            blocks.append(m)
    return blocks


def _residual_pair(model: nn.Module, block, caller: str):
    """(bn1, conv2) of residual block ``block``, checked."""
    check_module("model", model)
    block = integer("block", block)
    blocks = _residual_blocks(model, caller)
    if not 0 <= block < len(blocks):
        raise ValueError(f"{caller}: block must be in [0, {len(blocks) - 1}] (the model has "
                         f"{len(blocks)} residual blocks with conv1, bn1 and conv2), got {block}")
    first_norm, second_conv = blocks[block].bn1, blocks[block].conv2
    if first_norm.weight is None or second_conv.bias is not None or second_conv.groups != 1:
        raise ValueError(f"{caller}: block {block} needs an affine bn1 and an ungrouped conv2 "
                         "without bias")
    return first_norm, second_conv


def perturb(model: nn.Module, std: float, *, relative: bool = False, seed: int = 0) -> nn.Module:
    """A copy with i.i.d. N(0, std^2) noise added to every parameter (buffers such as batch-norm
    running statistics unchanged).

    theta -> theta + std * z, z ~ N(0, I), in the units of the parameters; with
    ``relative=True``, each parameter tensor t gets theta_t + std RMS(theta_t) z_t instead
    (RMS = root mean square of its entries), so the noise is the same fraction of every layer's
    scale and ||delta_t|| is about std ||theta_t||. The noise is drawn on
    the CPU by ``torch.randn`` from a ``torch.Generator`` seeded with ``seed``, one tensor per
    parameter in ``model.parameters()`` order and in its dtype, then moved to the parameter's
    device: the same seed gives the same noise on every device. ``std``: a finite number >= 0.
    Its squared norm is std^2 P on average (P = number of parameters); see
    :func:`adversarial_perturb`.
    """
    std = real("std", std, minimum=0)
    relative = boolean("relative", relative)
    seed = random_seed("seed", seed)
    result = copy.deepcopy(model)
    params = list(result.parameters())
    noise = _gaussian(params, seed)
    with torch.no_grad():
        for param, z in zip(params, noise):
            param.add_(z, alpha=std * (_rms(param) if relative else 1.0))
    return result


def adversarial_perturb(
    model: nn.Module,
    std: float,
    x: torch.Tensor,
    *,
    steps: int = 10,
    relative: bool = False,
    seed: int = 0,
) -> nn.Module:
    """A copy with a perturbation delta of the parameters, of the same size as :func:`perturb`'s
    at this ``std``, chosen to change the penultimate representation on ``x`` as much as it can.

    "Same size": ||delta||_2 = std sqrt(P) exactly, P the number of parameters (every parameter,
    as in :func:`perturb`), i.e. the root mean square of delta's entries is ``std`` (the paper's
    "vector of standard deviation c"); :func:`perturb`'s noise has this norm on average. With
    ``relative=True``: ||delta_t|| = std ||theta_t|| exactly for every parameter tensor t (so
    ||delta|| = std ||theta||), the size :func:`perturb`'s relative noise has on average.
    The objective is L(delta) = (1/N) sum_i ||h_{theta+delta}(x_i) - h_theta(x_i)||^2, h the
    input of the last weight layer (the last Linear/Conv2d in ``model.modules()`` order),
    flattened per input, with the model in eval mode. The parameters of that last layer do not
    enter h, so the perturbation puts its weight on the other layers.

    Method: projected (normalized) gradient ascent on the sphere ||delta|| = r = std sqrt(P)
    (relative: on the product of the spheres ||delta_t|| = r_t = std ||theta_t||, each tensor
    stepped and projected on its own). Start from :func:`perturb`'s noise with this ``seed``,
    rescaled to norm r; then ``steps`` times: delta <- r (delta + r g / ||g||) / ||delta + r g /
    ||g|| ||, g = grad L(delta). The iterate with the largest finite L (the start included) is
    returned, so L is never below that of the random start. An iterate whose L overflows to inf
    or NaN is never kept; if no iterate has a finite L, a ``ValueError`` says the perturbation is
    too large. Cost: ``steps`` forward and backward passes on all of ``x`` at once plus two
    forward passes; memory that of one training step on a batch of len(x) inputs.
    """
    std = real("std", std, minimum=0)
    relative = boolean("relative", relative)
    seed = random_seed("seed", seed)
    steps = integer("steps", steps, minimum=0)
    x = inputs("x", x)
    result = copy.deepcopy(model)
    last_layer = weight_layers(result, caller="adversarial_perturb")[-1]
    names, params = zip(*((name, p.detach()) for name, p in result.named_parameters()))
    if relative:  # one sphere per tensor, radius std ||theta_t||
        radii = [std * _norm([p]) for p in params]
    else:  # one sphere for all, radius std sqrt(P)
        radii = [std * math.sqrt(sum(p.numel() for p in params))]

    def project(tensors):
        if not relative:
            return _rescaled(tensors, radii[0])
        return [_rescaled([t], r)[0] if r > 0 else torch.zeros_like(t)
                for t, r in zip(tensors, radii)]

    def step(tensors, grads, grad_norm):
        if not relative:
            return [t + g * (radii[0] / grad_norm) for t, g in zip(tensors, grads)]
        norms = [_norm([g]) for g in grads]
        return [t + g * (r / n) if n > 0 else t for t, g, r, n in zip(tensors, grads, radii,
                                                                       norms)]

    if max(radii) == 0:
        return result
    x = x.to(params[0].device, params[0].dtype if x.is_floating_point() else x.dtype)
    buffers = dict(result.named_buffers())
    captured: list[torch.Tensor] = []
    hook = last_layer.register_forward_pre_hook(
        lambda _module, args: captured.append(args[0].flatten(1))
    )

    def representation_change(delta):
        captured.clear()
        values = {name: p + d for name, p, d in zip(names, params, delta)}
        functional_call(result, (values, buffers), (x,))
        return (captured[0] - reference).square().sum(1).mean()

    try:
        with eval_mode(result):
            with torch.no_grad(), integer_inputs_named("x", x):
                captured.clear()
                result(x)
                reference = captured[0]
            delta = project(_gaussian(params, seed))
            best, best_delta = -math.inf, delta
            for _ in range(steps):
                delta = [d.requires_grad_() for d in delta]
                loss = representation_change(delta)
                grads = torch.autograd.grad(loss, delta, allow_unused=True,
                                            materialize_grads=True)
                delta = [d.detach() for d in delta]
                if math.isfinite(loss.item()) and loss.item() > best:
                    best, best_delta = loss.item(), delta
                grad_norm = _norm(grads)
                if not (math.isfinite(grad_norm) and grad_norm > 0):
                    break
                delta = project(step(delta, grads, grad_norm))
            with torch.no_grad():
                last = representation_change(delta).item()
            if math.isfinite(last) and last > best:
                best, best_delta = last, delta
    finally:
        hook.remove()
    if not math.isfinite(best):
        raise ValueError(
            f"adversarial_perturb: at std={std} ({'relative' if relative else 'absolute'} size) "
            "the representation change L is not finite (it overflows or is NaN in "
            f"{params[0].dtype}) for every iterate, the random start included: a perturbation "
            "this large makes the representation change non-finite; use a smaller std"
        )
    with torch.no_grad():
        for param, d in zip(result.parameters(), best_delta):
            param.add_(d)
    return result


def interpolate(model_a: nn.Module, model_b: nn.Module, c: float) -> nn.Module:
    """A copy of ``model_a`` with parameters and floating-point buffers (1 - c) theta_A + c theta_B.

    Everything in the ``state_dict`` is interpolated except integer buffers (batch-norm's
    ``num_batches_tracked``), which are model_a's. Batch-norm running statistics are mixed
    linearly like the weights, not recomputed on data, so they are not the statistics of the
    interpolated network's own activations. ``c``: any finite real; c = 0 gives theta_A, c = 1
    theta_B, values outside [0, 1] extrapolate (a ``ValueError`` where that makes a batch-norm
    ``running_var`` negative). The two models must have the same ``state_dict`` names and shapes
    (else ``ValueError``); the result has model_a's modules, so parameter-free modules
    (activations) are model_a's. model_b's tensors are converted to model_a's dtype and device.
    """
    check_module("model_a", model_a)
    check_module("model_b", model_b)
    c = real("c", c)
    state_a, state_b = model_a.state_dict(), model_b.state_dict()
    if list(state_a) != list(state_b):
        only_a = [k for k in state_a if k not in state_b]
        only_b = [k for k in state_b if k not in state_a]
        raise ValueError(
            "model_a and model_b have different architectures: parameter and buffer names differ"
            f" (only in model_a: {only_a[:5]}, only in model_b: {only_b[:5]}"
            f"{', or the same names in another order' if not only_a and not only_b else ''})"
        )
    shapes = [(k, tuple(a.shape), tuple(state_b[k].shape)) for k, a in state_a.items()]
    mismatched = [f"{k}: {sa} vs {sb}" for k, sa, sb in shapes if sa != sb]
    if mismatched:
        raise ValueError(
            "model_a and model_b have different architectures: shapes differ for "
            + "; ".join(mismatched[:5])
        )
    result = copy.deepcopy(model_a)
    mixed = {}
    for key, a in state_a.items():
        if a.is_floating_point() or a.is_complex():
            b = state_b[key].to(device=a.device, dtype=a.dtype)
            mixed[key] = (1 - c) * a + c * b
        else:
            mixed[key] = a
        if not bool(torch.isfinite(mixed[key]).all()):  # (1 - c) a + c b overflowed: inf - inf
            raise ValueError(f"interpolate: at c={c} {key!r} overflows in {a.dtype}; use a c of "
                             "smaller magnitude")
        if key.rsplit(".", 1)[-1] == "running_var" and (mixed[key] < 0).any():
            raise ValueError(
                f"interpolate: at c={c} the batch-norm buffer {key!r} becomes negative "
                f"(min {mixed[key].min().item():.3g}): a variance below 0 makes the network's "
                "outputs NaN. Extrapolate less far outside [0, 1]"
            )
    result.load_state_dict(mixed)
    return result


def _chain(model: nn.Module, caller: str) -> list[nn.Module]:
    """The leaf modules of a plain feed-forward chain, in order; ``ValueError`` otherwise."""
    check_layers(
        model,
        CHAIN_LAYERS,
        caller=caller,
        hint=" (a plain feed-forward chain: other modules may route their inputs otherwise)",
    )
    leaves = [
        module
        for _name, module in model.named_modules(remove_duplicate=False)
        if next(module.children(), None) is None
    ]
    check_used_once(model, WEIGHT_LAYERS + BATCH_NORMS, caller=caller)
    return leaves


def _pair(model, layer, caller):
    """Weight layer ``layer``, the modules between it and the next weight layer, and that one."""
    leaves = _chain(model, caller)
    positions = [i for i, m in enumerate(leaves) if isinstance(m, WEIGHT_LAYERS)]
    layer = integer("layer", layer)
    if len(positions) < 2:
        raise ValueError(
            f"{caller} needs a model with at least two weight layers (Linear/Conv2d), got "
            f"{len(positions)}"
        )
    if not 0 <= layer < len(positions):
        raise ValueError(
            f"layer must be in [0, {len(positions) - 2}] (the model has {len(positions)} weight "
            f"layers), got {layer}"
        )
    if layer == len(positions) - 1:
        raise ValueError(
            f"{caller}: layer {layer} is the last weight layer; there is no next weight layer to "
            "compensate the change"
        )
    start, stop = positions[layer], positions[layer + 1]
    return leaves[start], leaves[start + 1 : stop], leaves[stop]


def _partial_permutation(n: int, k: int, seed: int) -> torch.Tensor:
    """Index ``order`` (n,): position j takes unit order[j]; k random units deranged among
    themselves (none in place when k >= 2), the others fixed."""
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(n, generator=generator)[:k]
    shuffle = torch.randperm(k, generator=generator)
    while k >= 2 and (shuffle == torch.arange(k)).any():
        shuffle = torch.randperm(k, generator=generator)
    order = torch.arange(n)
    order[chosen] = chosen[shuffle]
    return order


def _block_order(order, size, flattened, kind):
    """``order`` of n channels extended to ``size`` = n * s features laid out (channel, s)."""
    n = len(order)
    if size == n:
        return order
    if not flattened or size % n:
        raise ValueError(
            f"swap_neurons: a {kind.__name__} with {size} input features follows a layer of {n} "
            f"units; expected {n}{' or a multiple (after Flatten)' if flattened else ''}"
        )
    block = size // n
    return (order[:, None] * block + torch.arange(block)).reshape(-1)


def _permute(tensor, index, dim):
    tensor.copy_(tensor.index_select(dim, index.to(tensor.device)))


def _permute_outputs(layer, order):
    """Reorder the output units (channels) of a linear or convolution layer: weight and bias."""
    _permute(layer.weight, order, 0)
    if layer.bias is not None:
        _permute(layer.bias, order, 0)


def _gaussian(params, seed):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device) for p in params]


def _rms(tensor: torch.Tensor) -> float:
    return float(tensor.detach().double().square().mean().sqrt())


def _norm(tensors) -> float:
    return math.sqrt(sum(float(t.detach().double().square().sum()) for t in tensors))


def _rescaled(tensors, radius):
    scale = radius / _norm(tensors)
    return [t * scale for t in tensors]
