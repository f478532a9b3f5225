"""One seeded training loop for every chapter.

The data are moved to the device once and mini-batches are drawn by indexing a seeded random
permutation each epoch, so a run is reproducible and no ``DataLoader`` overhead is paid for the
small tensors the chapters use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from infolib.checks import integer, real
from infolib.config import resolve_device

Callback = Callable[[int, nn.Module], Any]


def fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    optimizer: str = "sgd",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    lr_decay: float = 1.0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
    callback: Callback | None = None,
    start_epoch: int = 0,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
    desc: str = "training",
) -> list[Any]:
    """Train ``model`` in place on (x, y) and return what ``callback`` recorded.

    Each epoch visits the training set once in a random order (the last batch may be smaller).
    A model with batch-norm layers never trains on a batch of one example (its batch statistics
    would be undefined): it needs ``batch_size >= 2``, a last batch of one is merged into the one
    before it, and a training set of a single example is not trained on at all (the epochs pass
    without a step; ``callback`` still sees each).
    ``optimizer`` is ``"sgd"`` (with ``momentum``) or ``"adam"``; the learning rate is multiplied
    by ``lr_decay`` after every epoch (1.0: constant, as in the checkerboard experiments).

    ``callback(epoch, model)`` is called before training (epoch ``start_epoch``) and after each
    epoch, with the model in eval mode; its non-``None`` return values are returned as a list.
    ``start_epoch`` numbers the epochs of a run that continues an earlier one (a pre-training
    phase, say). The model is left in eval mode on ``device``.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError("x is empty: nothing to train on")
    epochs = integer("epochs", epochs, minimum=0)
    batch_size = integer("batch_size", batch_size, minimum=1)
    start_epoch = integer("start_epoch", start_epoch, minimum=0)
    seed = integer("seed", seed)
    lr = real("lr", lr, minimum=0)
    momentum = real("momentum", momentum, minimum=0)
    weight_decay = real("weight_decay", weight_decay, minimum=0)
    lr_decay = real("lr_decay", lr_decay, above=0)
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")

    has_batch_norm = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if has_batch_norm and batch_size == 1 and len(x) > 1:
        raise ValueError(
            "batch_size must be >= 2 for a model with batch-norm layers (the statistics of a batch "
            "of one example are undefined), got 1"
        )

    device = resolve_device(device)
    model.to(device)
    x, y = x.detach().to(device), y.detach().to(device)  # gradients go to the model only
    if optimizer == "sgd":
        opt = torch.optim.SGD(
            model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay
        )
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)

    records: list[Any] = []

    def record(epoch: int) -> None:
        if callback is None:
            return
        model.eval()
        value = callback(epoch, model)
        if value is not None:
            records.append(value)

    record(start_epoch)
    epochs_range = range(start_epoch + 1, start_epoch + epochs + 1)
    if progress:  # imported here: tqdm.auto warns at import in a kernel without ipywidgets
        from tqdm.auto import tqdm

        epochs_range = tqdm(epochs_range, desc=desc, leave=False)
    for epoch in epochs_range:
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        for batch in _batches(order, batch_size, single_allowed=not has_batch_norm):
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x[batch]), y[batch]).backward()
            opt.step()
        for group in opt.param_groups:
            group["lr"] *= lr_decay
        record(epoch)
    model.eval()
    return records


def _batches(order: torch.Tensor, batch_size: int, *, single_allowed: bool) -> list[torch.Tensor]:
    """``order`` cut into consecutive batches of ``batch_size``. Unless ``single_allowed``, no
    batch holds a single example: a last one is merged into the batch before it, or dropped
    when it is the only one."""
    batches = list(torch.split(order, batch_size))
    if not single_allowed and len(batches[-1]) == 1:
        last = batches.pop()
        if batches:
            batches[-1] = torch.cat([batches[-1], last])
    return batches


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 4096) -> float:
    """Fraction of ``x`` whose arg-max prediction equals ``y`` (model evaluated in eval mode)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, len(x), batch_size):
        logits = model(x[start : start + batch_size].to(device))
        correct += (logits.argmax(1).cpu() == y[start : start + batch_size].cpu()).sum().item()
    model.train(was_training)
    return correct / len(x)
