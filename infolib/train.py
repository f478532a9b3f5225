"""One seeded training loop for every chapter, its early-stopping variant, and evaluation.

- :func:`fit`: the loop. The data are moved to the device once and mini-batches are drawn by
  indexing a seeded random permutation each epoch, so a run is reproducible and no ``DataLoader``
  overhead is paid for the small tensors the chapters use.
- :func:`fit_early_stopping` and its settings :class:`BlockTraining`: Adam with early stopping on
  the last examples, the best state restored; how the prequential codes of :mod:`infolib.coding`
  train each block's model, and how the chapters train the models they code.
- :class:`TrainingState` and :func:`fit_in_segments`: a run stopped and continued exactly, in
  another process or on another machine; a long training stored in the result cache in segments,
  so that GPU sessions of a few minutes (:mod:`infolib.shard`) carry it on one after another.
- :class:`BestValidation`: a callback for :func:`fit` that keeps the checkpoint with the best
  validation accuracy (Bansal et al.'s protocol).
- :func:`accuracy`, :func:`chunked_logits` and :func:`cross_entropy_sum`: evaluation without
  gradients, ``chunk_size`` inputs per forward pass (memory only: the results do not depend on it).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from infolib.cache import SEGMENT_OF, cached, current_unit
from infolib.checks import finite, integer, labels, logits, one_of, random_seed, real, same_length
from infolib.config import resolve_device
from infolib.models import eval_mode

Callback = Callable[[int, nn.Module], Any]
EVAL_CHUNK_SIZE = 4096  # inputs per forward pass when evaluating (memory only)


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
    state: TrainingState | None = None,
) -> list[Any]:
    """Train ``model`` in place on (x, y) and return what ``callback`` recorded.

    Each epoch visits the training set once in a random order (the last batch may be smaller),
    drawn from ``seed``; torch's global generator (dropout's masks) is seeded with ``seed`` too
    while training, so a run does not depend on what ran before it, and the caller's generator
    state is restored afterwards.
    A model with batch-norm layers never trains on a batch of one example (its batch statistics
    would be undefined): it needs ``batch_size >= 2``, a last batch of one is merged into the one
    before it, and a training set of a single example is not trained on at all (the epochs pass
    without a step; ``callback`` still sees each).
    ``optimizer`` is ``"sgd"`` (with ``momentum``) or ``"adam"``; the learning rate is multiplied
    by ``lr_decay`` after every epoch (1.0: constant, as in the checkerboard experiments).
    Every submodule trains in training mode (``model.train()`` each epoch): a batch-norm the
    caller froze with ``.eval()`` updates its statistics too. ``x`` and ``y`` must be finite and
    integer labels >= 0 (:func:`check_training_values`).

    ``callback(epoch, model)`` is called before training (epoch ``start_epoch``) and after each
    epoch, with the model in eval mode; its non-``None`` return values are returned as a list.
    ``start_epoch`` numbers the epochs of a run that continues an earlier one (a pre-training
    phase, say). The model is left in eval mode on ``device``.

    ``state``, a :class:`TrainingState`, makes a run resumable. Empty, the run starts here and the
    state is filled in at its end; filled in, ``model`` (a freshly built one will do), the
    optimizer (momentum, Adam's moments, the decayed learning rate), the mini-batch order and
    torch's generators are restored from it, the run goes on from its last epoch (the callback is
    not called again at that epoch), and the state is updated at the end. Every argument but
    ``epochs``, ``callback``, ``device``, ``progress`` and ``desc`` must then be the run's first
    call's (a ``ValueError`` names what differs). ``fit(.., epochs=a, state=s)`` followed by
    ``fit(.., epochs=b, state=s)`` trains exactly as one ``fit(.., epochs=a + b)`` on the same
    device, in another process too (tests/test_models_train.py). A module with its own random
    generator (a data augmentation) carries its state through ``get_extra_state`` and
    ``set_extra_state``.
    """
    same_length("x", x, "y", y)
    if len(x) == 0:
        raise ValueError("x is empty: nothing to train on")
    check_training_values(x, y)
    epochs = integer("epochs", epochs, minimum=0)
    batch_size = integer("batch_size", batch_size, minimum=1)
    start_epoch = integer("start_epoch", start_epoch, minimum=0)
    seed = random_seed("seed", seed)
    lr = real("lr", lr, minimum=0)
    momentum = real("momentum", momentum, minimum=0)
    weight_decay = real("weight_decay", weight_decay, minimum=0)
    lr_decay = real("lr_decay", lr_decay, above=0)
    check_optimizer(optimizer, momentum)

    has_batch_norm = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if has_batch_norm and batch_size == 1 and len(x) > 1:
        raise ValueError(
            "batch_size must be >= 2 for a model with batch-norm layers (the statistics of a batch "
            "of one example are undefined), got 1"
        )

    run = dict(optimizer=optimizer, lr=lr, momentum=momentum, weight_decay=weight_decay,
               lr_decay=lr_decay, batch_size=batch_size, start_epoch=start_epoch, seed=seed)
    if state is not None and not isinstance(state, TrainingState):
        raise TypeError(f"state must be a TrainingState or None, got {type(state).__name__}")
    resuming = state is not None and state.started
    if resuming:
        differ = {name: (state.run.get(name), value) for name, value in run.items()
                  if state.run.get(name) != value}
        if differ:
            raise ValueError(
                "state is of a run with other settings (name: (the run's, this call's)): "
                f"{differ}; continue a run with the arguments it started with")
        model.load_state_dict(state.model)
        start_epoch = state.epoch

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
    if resuming:
        opt.load_state_dict(state.optimizer)
        generator.set_state(state.order)

    records: list[Any] = []

    def record(epoch: int) -> None:
        if callback is None:
            return
        model.eval()
        value = callback(epoch, model)
        if value is not None:
            records.append(value)

    epochs_range = range(start_epoch + 1, start_epoch + epochs + 1)
    if progress:  # imported here: tqdm.auto warns at import in a kernel without ipywidgets
        from tqdm.auto import tqdm

        epochs_range = tqdm(epochs_range, desc=desc, leave=False)
    # Dropout (and anything else drawing from torch's global generator while training) draws
    # from `seed`, not from whatever ran before in the process; the caller's state is restored.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        if resuming:
            torch.set_rng_state(state.torch_rng)
            if device.type == "cuda" and state.cuda_rng is not None:
                torch.cuda.set_rng_state(state.cuda_rng, device)
        else:
            torch.manual_seed(seed)
            record(start_epoch)
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
        if state is not None:
            state.epoch, state.run = start_epoch + epochs, run
            state.model, state.optimizer = _on_cpu(model.state_dict()), _on_cpu(opt.state_dict())
            state.order, state.torch_rng = generator.get_state(), torch.get_rng_state()
            state.cuda_rng = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return records


def check_training_values(x: torch.Tensor, y: torch.Tensor) -> None:
    """The values of a training set, checked as :func:`fit` and
    :func:`infolib.ensemble.fit_together` need them: finite inputs (one NaN makes every parameter
    NaN), finite targets, and integer labels >= 0 (-100, ``cross_entropy``'s ``ignore_index``,
    would leave examples out of ``fit``'s batch mean but not of ``fit_together``'s); a
    ``ValueError`` otherwise."""
    finite("x", x)
    finite("y", y)
    if not y.is_floating_point() and len(y) and int(y.min()) < 0:
        raise ValueError(f"y must hold class indices >= 0, got {int(y.min())} (labels are never "
                         "ignored: -100 is not cross_entropy's ignore_index here)")


def check_optimizer(optimizer: str, momentum: float) -> None:
    """``optimizer`` is "sgd" or "adam", and ``momentum`` is 0 with Adam (which has none of SGD's
    momentum, only its own betas: a momentum there would be silently ignored)."""
    one_of("optimizer", optimizer, ("sgd", "adam"))
    if optimizer == "adam" and momentum != 0:
        raise ValueError(f"momentum is SGD's (Adam uses its betas), got momentum={momentum} with "
                         "optimizer='adam'")


@dataclass
class TrainingState:
    """Where a :func:`fit` run stopped, for another call to continue it exactly (in another
    process or on another machine: it is stored in the result cache as it is). Empty
    (``TrainingState()``): a run that has not started. ``epoch``: epochs trained so far (counted
    from the run's ``start_epoch``); ``model`` and ``optimizer``: their ``state_dict()`` on the
    CPU; ``order``: the mini-batch order's generator; ``torch_rng`` and ``cuda_rng``: torch's
    global CPU and CUDA generators (dropout's draws); ``run``: the run's settings, checked when it
    continues."""

    epoch: int = 0
    model: dict | None = None
    optimizer: dict | None = None
    order: torch.Tensor | None = None
    torch_rng: torch.Tensor | None = None
    cuda_rng: torch.Tensor | None = None
    run: dict | None = None

    @property
    def started(self) -> bool:
        """Whether a run has filled this state in."""
        return self.model is not None


def _on_cpu(tree: Any) -> Any:
    """A copy of a state dict (nested dicts, lists, tuples) with every tensor cloned to the CPU."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().to("cpu", copy=True)
    if isinstance(tree, dict):
        return {key: _on_cpu(value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_on_cpu(value) for value in tree)
    return tree


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


@dataclass(frozen=True)
class BlockTraining:
    """How :func:`fit_early_stopping` trains (and so each block's model of a prequential code):
    Adam with early stopping.

    ``max_epochs`` (30): at most this many passes over the training part (0: no training).
    ``batch_size`` (64) and ``lr`` (1e-3): Adam's mini-batch size and learning rate.
    ``patience`` (3): stop after this many epochs without a lower held-out cross-entropy.
    ``validation_fraction`` (0.1): the last part of the examples held out for early stopping (at
    least 1 example; 0 turns early stopping off).
    ``min_steps`` (0): a floor on the optimizer steps a small training set may take: the cap on
    epochs becomes max(max_epochs, ceil(min_steps / steps per epoch)), so a block of 100
    examples (2 steps per epoch) is not stopped after 60 steps by a cap meant for large ones;
    early stopping (patience) still ends training as before. Ignored when ``max_epochs`` is 0.
    Checked when constructed.
    """

    max_epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    patience: int = 3
    validation_fraction: float = 0.1
    min_steps: int = 0

    def held_out(self, n: int) -> int:
        """How many of ``n`` examples early stopping holds out: round(validation_fraction n),
        at least 1 and at most n - 1; 0 when validation_fraction is 0."""
        if self.validation_fraction == 0:
            return 0
        return min(n - 1, max(1, round(self.validation_fraction * n)))

    def epoch_cap(self, steps_per_epoch: int) -> int:
        """The most epochs a training set with ``steps_per_epoch`` optimizer steps per epoch
        may take: max(max_epochs, ceil(min_steps / steps_per_epoch)); 0 when max_epochs is 0."""
        steps_per_epoch = integer("steps_per_epoch", steps_per_epoch, minimum=1)
        if self.max_epochs == 0:
            return 0
        return max(self.max_epochs, -(-self.min_steps // steps_per_epoch))

    def __post_init__(self) -> None:
        values = {
            "max_epochs": integer("max_epochs", self.max_epochs, minimum=0),
            "min_steps": integer("min_steps", self.min_steps, minimum=0),
            "batch_size": integer("batch_size", self.batch_size, minimum=1),
            "patience": integer("patience", self.patience, minimum=1),
            "lr": real("lr", self.lr, minimum=0),
            "validation_fraction": real(
                "validation_fraction", self.validation_fraction, minimum=0, below=1
            ),
        }
        for name, value in values.items():  # numpy scalars stored as Python numbers
            object.__setattr__(self, name, value)


def fit_early_stopping(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    train: BlockTraining | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    warn_untrained: bool = True,
) -> TrainingLog:
    """Train ``model`` in place with Adam on (x, y) except its last ``train.validation_fraction``
    (at least 1 example), with early stopping on those held-out examples: their mean
    cross-entropy is measured before training and after every epoch, training stops after
    ``train.patience`` epochs without a new best (at most ``train.epoch_cap(steps per epoch)``
    epochs: ``max_epochs``, raised for small sets by ``min_steps``), and the best state (possibly
    the untrained one) is restored. ``train=None``: :class:`BlockTraining`'s defaults. Returns a
    :class:`TrainingLog` (epochs run, the epoch of the state kept, optimizer steps).

    **The untrained state.** When no epoch beat the held-out loss measured before training, the
    model is returned as it was built: its accuracy and information are an untrained network's.
    That is the protocol's answer for a block of a prequential code (:mod:`infolib.coding`, which
    passes ``warn_untrained=False`` and records ``best_epoch``), but for a model whose numbers a
    chapter reports it is a failure, so it issues an :class:`UntrainedModelWarning` naming the
    losses and the steps taken (stored with a cached unit and shown again on each read).

    ``y``: class indices (N,), or probabilities (N, K) for the soft cross-entropy.
    ``loss_fn``: another training loss, ``loss_fn(logits, index)`` with ``index`` the positions
    in ``x`` of the batch's examples (so it can read per-example targets of its own, such as a
    teacher's outputs); early stopping still measures the cross-entropy against ``y``. ``None``:
    the cross-entropy against ``y``. Through :func:`fit` with seed ``seed`` (the mini-batch
    order, and dropout's draws from torch's global generator, restored afterwards).
    With fewer than 2 examples, or ``validation_fraction=0``, the model is trained on all of them
    for ``train.epoch_cap(steps per epoch)`` epochs, without early stopping; a model without
    trainable parameters is not trained. When no held-out loss is finite (NaN logits from the
    start), a ``ValueError``. ``x`` and ``y`` are expected on ``device``, and the model is left
    there, in eval mode.
    """
    train = BlockTraining() if train is None else train
    if not isinstance(train, BlockTraining):
        raise TypeError(
            f"train must be a BlockTraining or None (its defaults), got {type(train).__name__}"
        )
    same_length("x", x, "y", y)
    if len(x) == 0:
        raise ValueError("x is empty: nothing to train on")
    seed, device = random_seed("seed", seed), resolve_device(device)
    if train.max_epochs == 0 or not any(p.requires_grad for p in model.parameters()):
        return TrainingLog(epochs=0, best_epoch=0, steps=0)
    n_held_out = train.held_out(len(x))
    n_fit = len(x) - n_held_out
    steps_per_epoch = _steps_per_epoch(model, n_fit, train.batch_size)
    epochs = train.epoch_cap(max(1, steps_per_epoch))
    x_held_out, y_held_out = x[n_fit:].to(device), y[n_fit:].to(device)  # where the model will be
    best = {"loss": math.inf, "state": None, "epochs_since": 0, "epoch": epochs, "last": epochs,
            "losses": []}

    def early_stopping(epoch: int, model: nn.Module) -> None:
        best["last"] = epoch
        loss = cross_entropy_sum(model, x_held_out, y_held_out) / n_held_out
        best["losses"].append(loss)
        if loss < best["loss"]:  # NaN is never a new best
            state = {name: value.detach().clone() for name, value in model.state_dict().items()}
            best.update(loss=loss, state=state, epochs_since=0, epoch=epoch)
            return
        best["epochs_since"] += 1
        if best["epochs_since"] >= train.patience:
            raise _StopTraining

    try:
        fit(
            model,
            x[:n_fit],
            y[:n_fit] if loss_fn is None else torch.arange(n_fit, device=x.device),
            epochs=epochs,
            batch_size=train.batch_size,
            lr=train.lr,
            optimizer="adam",
            loss_fn=F.cross_entropy if loss_fn is None else loss_fn,
            callback=early_stopping if n_held_out else None,
            seed=seed,
            device=device,
            progress=False,
        )
    except _StopTraining:
        pass
    if n_held_out and best["state"] is None:
        raise ValueError(
            "no held-out cross-entropy was finite, before training or after any of its "
            f"{best['last']} epochs (the model gives NaN or infinite logits): nothing to keep")
    if best["state"] is None:  # no early stopping: the last state
        best["epoch"] = best["last"]
    else:
        model.load_state_dict(best["state"])
    log = TrainingLog(epochs=best["last"], best_epoch=best["epoch"],
                      steps=best["last"] * steps_per_epoch)
    if warn_untrained and log.kept_untrained:
        before, *after = best["losses"]
        warnings.warn(
            f"early stopping kept the untrained model: {log.steps} Adam steps ({log.epochs} "
            f"epochs of {steps_per_epoch}, lr {train.lr:g}) never brought the held-out "
            f"cross-entropy ({n_held_out} examples) below its value before training, "
            f"{before:.4g} nats (best after training {min(after):.4g}); patience "
            f"{train.patience} epochs. The model's numbers are an untrained network's: let more "
            "steps pass before early stopping may end training (a larger BlockTraining.patience) "
            "or check the learning rate",
            UntrainedModelWarning, stacklevel=2)
    return log


class UntrainedModelWarning(UserWarning):
    """:func:`fit_early_stopping` returned the model as it was built: no epoch beat the held-out
    loss measured before training."""


@dataclass(frozen=True)
class TrainingLog:
    """What :func:`fit_early_stopping` did: ``epochs`` run, ``best_epoch`` (the epoch whose state
    was kept: 0 for the untrained state; ``epochs`` without early stopping) and the optimizer
    ``steps`` taken (0 for a set :func:`fit` does not train on, a single example under
    batch-norm)."""

    epochs: int
    best_epoch: int
    steps: int

    @property
    def kept_untrained(self) -> bool:
        """Whether training took steps but the state kept is the untrained one (``best_epoch``
        0 after at least one step)."""
        return self.best_epoch == 0 and self.steps > 0


def _steps_per_epoch(model: nn.Module, n: int, batch_size: int) -> int:
    """Optimizer steps :func:`fit` takes per epoch on ``n`` examples (0: a single example under
    batch-norm, which it does not train on)."""
    has_batch_norm = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    return len(_batches(torch.arange(n), batch_size, single_allowed=not has_batch_norm))


class BestValidation:
    """A :func:`fit` callback that keeps the state with the best validation accuracy.

    The model is checked after epochs 1, 1 + ``every``, 1 + 2 ``every``, ... (Bansal et al.'s
    code: every 10 epochs, counted from 0, and a ``best.pt`` saved when the validation accuracy
    improves); a check with a strictly higher accuracy than every earlier one replaces the kept
    state. After training, :meth:`restore` loads the kept state into the model. ``best_epoch`` and
    ``best_accuracy`` say which check won; ``history`` lists (epoch, accuracy) of every check.
    """

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor, *, every: int = 10,
        chunk_size: int = EVAL_CHUNK_SIZE,
    ) -> None:
        same_length("x", x, "y", y)
        if len(x) == 0:
            raise ValueError("x is empty: no validation examples to choose a checkpoint by")
        self.x, self.y = x, y
        self.every = integer("every", every, minimum=1)
        self.chunk_size = integer("chunk_size", chunk_size, minimum=1)
        self.best_epoch: int | None = None
        self.best_accuracy = -math.inf
        self.history: list[tuple[int, float]] = []
        self._state: dict[str, torch.Tensor] | None = None

    def __call__(self, epoch: int, model: nn.Module) -> None:
        if epoch < 1 or (epoch - 1) % self.every:
            return
        value = accuracy(model, self.x, self.y, chunk_size=self.chunk_size)
        self.history.append((epoch, value))
        if value > self.best_accuracy:
            self.best_epoch, self.best_accuracy = epoch, value
            self._state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def restore(self, model: nn.Module) -> nn.Module:
        """Load the kept state into ``model`` (in place) and return it."""
        if self._state is None:
            raise ValueError("no checkpoint was kept: fit ran for 0 epochs with this callback")
        model.load_state_dict(self._state)
        return model


class _StopTraining(Exception):
    """Raised by the early-stopping callback to end :func:`fit`'s epochs."""


@torch.no_grad()
def chunked_logits(
    model: nn.Module,
    x: torch.Tensor,
    *,
    chunk_size: int = EVAL_CHUNK_SIZE,
    name: str | None = None,
    first_index: int = 0,
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield (start, float64 logits of x[start : start + chunk_size]) without gradients, on the
    model's device (each chunk of ``x`` is moved there: a model on CUDA may be given images on
    the CPU). With ``name`` (who gives the logits, for the error), each
    chunk is checked by :func:`infolib.checks.logits`: NaN or infinite logits raise
    ``ValueError`` naming the first such input, numbered from ``first_index`` for x[0]."""
    device = next(iter(model.parameters()), x).device  # a model without parameters: x's
    for start in range(0, len(x), chunk_size):
        chunk = model(x[start : start + chunk_size].to(device))
        if name is not None:
            logits(name, chunk, len(x[start : start + chunk_size]), first_index=first_index + start)
        yield start, chunk.to(torch.float64)


def cross_entropy_sum(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    chunk_size: int = EVAL_CHUNK_SIZE,
    name: str | None = None,
    first_index: int = 0,
) -> float:
    """sum_i -ln softmax(model(x_i))[y_i] in nats, float64, without gradients (the model as it
    is: put it in eval mode first). ``y``: class indices (N,), or probabilities (N, K) for the
    soft cross-entropy. ``name`` and ``first_index``: as :func:`chunked_logits` (without
    ``name``, NaN logits give NaN: early stopping, where a diverged model is never the best)."""
    same_length("x", x, "y", y)
    total = 0.0
    for start, chunk in chunked_logits(
        model, x, chunk_size=chunk_size, name=name, first_index=first_index
    ):
        labels = y[start : start + len(chunk)].to(chunk.device)
        if labels.is_floating_point():
            labels = labels.to(torch.float64)
        total += float(F.cross_entropy(chunk, labels, reduction="sum"))
    return total


def distillation_loss(
    teacher_logits: torch.Tensor, y: torch.Tensor, *, alpha: float, temperature: float
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Knowledge distillation's loss (Hinton et al., 2015; eq. (17)-(19) of *Model information as
    an analysis tool*), for :func:`fit_early_stopping`'s ``loss_fn``: for a batch with positions
    ``index`` and student logits z,

        alpha T^2 KL(softmax(t_i / T) || softmax(z_i / T)) + (1 - alpha) (-ln softmax(z_i)[y_i]),

    averaged over the batch, in nats; t = ``teacher_logits`` (N, K) and ``y`` (N,) class indices
    of the same N examples, T = ``temperature`` > 0, ``alpha`` in [0, 1] (0: the plain
    cross-entropy). The factor T^2 keeps the soft term's gradients on the scale of the hard
    term's as T changes (Hinton et al.)."""
    alpha = real("alpha", alpha, minimum=0, maximum=1)
    temperature = real("temperature", temperature, above=0)
    same_length("teacher_logits", teacher_logits, "y", y)
    soft_targets = torch.softmax(teacher_logits.detach() / temperature, dim=1)

    def loss(student_logits: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        targets = soft_targets[index].to(student_logits.dtype)
        soft = F.kl_div(torch.log_softmax(student_logits / temperature, dim=1), targets,
                        reduction="batchmean")
        hard = F.cross_entropy(student_logits, y[index])
        return alpha * temperature**2 * soft + (1 - alpha) * hard

    return loss


@torch.no_grad()
def accuracy(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, chunk_size: int = EVAL_CHUNK_SIZE
) -> float:
    """Fraction of ``x`` whose arg-max prediction equals ``y`` (model evaluated in eval mode,
    ``chunk_size`` inputs per forward pass; each submodule's mode restored afterwards). ``y``:
    integer labels (N,)."""
    y = labels("y", y, len(x))
    device = next(model.parameters()).device
    correct = 0
    with eval_mode(model):
        for start in range(0, len(x), chunk_size):
            scores = model(x[start : start + chunk_size].to(device))
            correct += (scores.argmax(1).cpu() == y[start : start + chunk_size].cpu()).sum().item()
    return correct / len(x)


def fit_and_score(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    epochs: int,
    seed: int,
    device: str | torch.device = "auto",
    batch_size: int = 64,
    lr: float = 1e-3,
    optimizer: str = "adam",
) -> dict[str, Any]:
    """Train ``model`` with :func:`fit` (Adam at 1e-3, batch 64 by default; ``seed`` draws the
    mini-batches), then {"state": its state_dict on the CPU, "test_accuracy": its accuracy on
    (x_test, y_test)}: what :func:`cached_network` stores."""
    fit(model, x, y, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, seed=seed,
        device=device, progress=False)
    model = model.cpu().eval()
    return dict(state=model.state_dict(), test_accuracy=accuracy(model, x_test, y_test))


def cached_network(key: dict, build: Callable[[], nn.Module],
                   train: Callable[[], dict[str, Any]]) -> tuple[nn.Module, float]:
    """A network trained once: ``train()`` returns {"state", "test_accuracy"}
    (:func:`fit_and_score`), stored in the result cache under ``key``
    (:func:`infolib.cache.cached`); ``build()`` makes the untrained network the state loads
    into. Returns (the network in eval mode on the CPU, its test accuracy)."""
    record = cached(key, train)
    model = build()
    model.load_state_dict(record["state"])
    return model.eval(), float(record["test_accuracy"])


def fit_in_segments(
    key: dict,
    build: Callable[[], nn.Module],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    segment_epochs: int | None,
    callback: Callback | None = None,
    part: str = "training",
    device: str | torch.device = "auto",
    **fit_arguments: Any,
) -> tuple[nn.Module, list[Any]]:
    """``fit(build(), x, y, epochs=epochs, callback=callback, **fit_arguments)`` in segments of
    at most ``segment_epochs`` epochs, each stored in the result cache with the state to continue
    from (:class:`TrainingState`): a training longer than one session of a machine (a GPU shard's
    minutes) goes on in the next from where the last stopped, with the numbers of one
    uninterrupted run on the same device. Returns (the trained network, in eval mode on the CPU;
    the callback's records of every epoch, in order).

    ``key`` is the key of the cached unit this is called from (the run this training belongs
    to): segment ``i`` is stored under ``{"chapter": ..., "segment_of": key, "unit": the running
    unit's entry name, "part": part, "epochs": e_i}`` (``part`` names one of several trainings of
    that unit; the entry name changes with the unit's code, so that segments trained on data the
    unit prepared otherwise are not reused), which
    :mod:`infolib.shard` gives to ``key``'s shard. ``build()`` makes the untrained network (the
    segments' code includes its code and the callback's). ``segment_epochs`` None (or at least
    ``epochs``): trained at once, nothing stored here. The callback must return what it records
    (it runs in the segment that reaches the epoch; earlier segments' records come from the
    cache)."""
    epochs = integer("epochs", epochs, minimum=0)
    if segment_epochs is not None:
        segment_epochs = integer("segment_epochs", segment_epochs, minimum=1)
        if not isinstance(key, dict):
            raise TypeError(f"key must be the dict of the unit that trains, got {key!r}")
    if segment_epochs is None or segment_epochs >= epochs:
        model = build()
        records = fit(model, x, y, epochs=epochs, callback=callback, device=device,
                      **fit_arguments)
        return model.cpu().eval(), records
    ends = [*range(segment_epochs, epochs, segment_epochs), epochs]
    records, device = [], resolve_device(device)
    unit = current_unit()  # the segments belong to this version of the unit (its data, its code)
    for i in range(len(ends)):  # only the last segment's state is kept: one network's memory
        segment = _segment(key, unit, part, build, x, y, ends, i, callback, device,
                           fit_arguments)
        records += segment["records"]
    model = build()
    model.load_state_dict(segment["state"].model)
    return model.eval(), records


def _segment(key, unit, part, build, x, y, ends, i, callback, device, fit_arguments) -> dict:
    """Segment ``i`` of :func:`fit_in_segments`, from the cache or trained on from segment
    ``i - 1`` (read, or trained, the same way): {"state", "records"}. ``unit``: the entry name of
    the cached unit that trains (:func:`infolib.cache.current_unit`), in the key, since the
    fingerprint cannot see the data ``x`` and ``y`` that unit prepared. The device goes in as a
    torch.device, which the code's fingerprint leaves out (the same unit on any device)."""
    segment_key = {"chapter": key.get("chapter"), SEGMENT_OF: key, "unit": unit, "part": part,
                   "epochs": ends[i]}
    compute = functools.partial(_train_segment, key, unit, part, build, x, y, ends, i, callback,
                                device, fit_arguments)
    return cached(segment_key, compute)


def _train_segment(key, unit, part, build, x, y, ends, i, callback, device,
                   fit_arguments) -> dict:
    state = TrainingState() if i == 0 else _segment(
        key, unit, part, build, x, y, ends, i - 1, callback, device, fit_arguments)["state"]
    model = build()
    records = fit(model, x, y, epochs=ends[i] - (ends[i - 1] if i else 0), callback=callback,
                  device=device, state=state, **fit_arguments)
    return {"state": state, "records": records}
