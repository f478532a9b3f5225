"""Prequential (online) codelengths of labels, and the model information of a trained network.

**The code.** A sender transmits the labels y_1..y_N of inputs x_1..x_N that a receiver already
has, block after block. Both start from the same model; after each block, both train a fresh copy
of it on every label sent so far, with the same seed, and use it to code the next block. Only the
labels cost bits (Voita & Titov, 2020; Blier & Ollivier, 2018):

    L_preq(y_1:N | x_1:N) = sum_j sum_{i in block j} -log p_{theta_j}(y_i | x_i),

with p = softmax of the logits, block j the examples ends[j-1] .. ends[j] - 1 and theta_j the
starting model trained on the ends[j-1] examples before it. The first block has no earlier
examples: it is coded by the starting model itself (``first_block="model"``, the code of Zhang et
al. (2020) that eq. (2) needs) or by the uniform code, n_0 log K (``first_block="uniform"``, as in
Voita & Titov). A model that learns the task from few examples codes most labels cheaply;
labels that cannot be learned cost about log K each.

**Model information** (eq. (2) of *Model information as an analysis tool in deep learning*):

    L(M_D, D) = L_preq^{theta_init}(y_1:k | x_1:k) - L_preq^{theta_D}(y_1:k | x_1:k),

the bits that starting from the trained model M_D (weights theta_D) saves over starting from the
initial model, on k examples of the task that M_D never saw. The paper uses k = 10,000.

**Block ends.** ``fractions`` f_1 < ... < f_m = 1 give ends[j] = max(1, round(f_j N)), rounded
half to even (``numpy.rint``: 0.0625 x 1000 = 62.5 -> 62), with repeated ends dropped (small N).
:data:`DEFAULT_FRACTIONS` are Voita & Titov's: 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.25, 12.5, 25, 50
and 100 % of N; for N = 1000, ends = 1, 2, 4, 8, 16, 32, 62, 125, 250, 500, 1000.

**Training each block's model** (:func:`infolib.train.fit_early_stopping`, configured by
:class:`infolib.train.BlockTraining`): Adam on the earlier examples through
:func:`infolib.train.fit` (seed ``seed + j`` for block j, which fixes the mini-batch order, and
the same seed for torch's global generator, used by dropout, restored afterwards), with early
stopping: the last ``validation_fraction`` of the earlier examples (at least 1) is held out, its
mean cross-entropy is measured before training and after every epoch, training stops after
``patience`` epochs without a new best, and the best state (possibly the untrained one) is kept.
With fewer than 2 earlier examples, or ``validation_fraction=0``, the model is trained on all of
them for ``max_epochs`` epochs, without early stopping. A model without trainable parameters is
not trained. Held-out examples are labels already sent, so the receiver can do the same. A
model with batch-norm layers never trains on a batch of one example (:func:`infolib.train.fit`:
``batch_size`` must be >= 2, a last batch of one is merged into the previous one, and a training
part of one example is not trained on), so a block whose training part is a single example (the
blocks after 1 and 2 earlier examples, with the defaults) is coded by the starting model.

**Non-finite logits** (a model that returns NaN, or a block whose training diverged without
early stopping to catch it) raise ``ValueError`` naming the input and the model that coded it,
rather than a codelength of NaN.

**Order.** The examples are coded in the order given, and the held-out examples are the latest
ones: pass them in random order (a dataset sorted by class would make the first blocks one-class).

**Cost.** Block j trains on ends[j-1] examples for at most ``max_epochs`` epochs, so one epoch of
all blocks costs sum_{j >= 1} ends[j-1] example passes (forward and backward on 1 -
``validation_fraction`` of them, forward only on the rest). With the default fractions this sum is
1.0005 k (1,000 for k = 1,000): about one pass over the k examples per epoch, three quarters of it
in the last two blocks (trained on k/2 and k/4 examples). The cost thus grows linearly with k,
times the number of epochs before early stopping (at most ``max_epochs``), plus one forward pass
over the k examples to code them. :func:`model_information` pays it twice. Memory: x and y on
``device`` (moved there once), the block's model, its best state and Adam's two moments.

**Coding another network's outputs** (:func:`kl_prequential_codelength`, eq. (6) of *Information
distance for neural network functions*): the same blocks, but instead of labels the sender
transmits the output distributions of a second network f_B, in expectation over labels drawn from
them. Starting from f_A, each block's model is f_A fine-tuned with the soft cross-entropy (the KL
objective) toward f_B's distributions on all earlier inputs, and block j costs

    sum_{i in block j} KL(f_B(x_i) || f_{theta_j}(x_i)),

so L'(f_B | f_A) is small when f_A already computes f_B or learns it from few examples. The
first block is coded by f_A itself. Early stopping uses the held-out soft cross-entropy (the KL
plus the entropy of f_B's outputs, a constant). The cost is that of one prequential code.

**The caller's model is not modified**: each block trains a deep copy of it on ``device``, and
its own predictions (first block) come from a copy in eval mode. It may live on any device.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from infolib.checks import class_indices, inputs, integer, log_base, logits, module, one_of
from infolib.config import resolve_device
from infolib.train import BlockTraining, chunked_logits, cross_entropy_sum, fit_early_stopping

DEFAULT_FRACTIONS = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.0625, 0.125, 0.25, 0.5, 1.0)
FIRST_BLOCK_CODES = ("model", "uniform")


@dataclass(frozen=True)
class Codelength:
    """A prequential codelength: ``total`` (float) in units of ``log base`` (bits by default),
    ``blocks`` the codelength of each block (float64 array summing to ``total``) and ``ends`` the
    end index (exclusive) of each block (int64 array, last = N). ``float(c)`` is ``c.total``."""

    total: float
    blocks: np.ndarray
    ends: np.ndarray

    def __float__(self) -> float:
        return self.total


@dataclass(frozen=True)
class ModelInformation:
    """The model information L(M_D, D) of :func:`model_information` with its two parts, the
    prequential codes of the same k labels starting from the initial model (``from_init``) and
    from the trained model (``from_trained``), each a :class:`Codelength` in units of log base.
    ``total`` = from_init.total - from_trained.total; ``float(m)`` is ``m.total``."""

    from_init: Codelength
    from_trained: Codelength

    @property
    def total(self) -> float:
        return self.from_init.total - self.from_trained.total

    def __float__(self) -> float:
        return self.total


def prequential_codelength(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | np.ndarray,
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    first_block: str = "model",
    train: BlockTraining | None = None,
    base: float = 2,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> Codelength:
    """L_preq(y | x) = sum_j sum_{i in block j} -log_base p_{theta_j}(y_i | x_i), starting from
    ``model``.

    ``model`` maps inputs x (N, ...) to logits (N, K), K >= 2; ``y``: class indices (N,) in
    0..K-1, N >= 2. Block j >= 1 is coded by a copy of ``model`` trained on the ends[j-1] earlier
    examples (``train``: a :class:`BlockTraining`, ``None`` for its defaults); the first block by
    ``model`` itself (``first_block="model"``) or by the uniform code, n_0 log_base K bits
    (``"uniform"``). ``fractions``: where the blocks end, as fractions of N (see the module
    docstring). Units: bits for ``base=2``, nats for ``base=math.e``. On the CPU, the same
    ``seed`` gives the same number. ``progress``: a progress bar over the blocks.

    Cost: about (sum of ``fractions[:-1]``) N example passes per epoch of training, times at most
    ``train.max_epochs`` epochs, plus one forward pass over the N examples: linear in N; 1.0005 N
    passes per epoch with the default fractions. ``model`` is never modified.
    """
    train = BlockTraining() if train is None else train
    x = _check_arguments(model, x, first_block, train)
    base, seed = log_base(base), integer("seed", seed)
    ends = _block_ends(len(x), fractions)
    device = resolve_device(device)
    start, x, n_classes = _starting_model(model, x, device)
    y = class_indices(y, len(x), n_classes).to(device)

    if first_block == "uniform":
        first_nats = ends[0] * math.log(n_classes)
    else:
        first_nats = cross_entropy_sum(start, x[: ends[0]], y[: ends[0]], name="model")
    return _online_code(
        start, x, y, ends, first_nats,
        lambda model, part, coded_by: cross_entropy_sum(
            model, x[part], y[part], name=coded_by, first_index=part.start
        ),
        train=train, seed=seed, base=base, device=device, progress=progress,
        desc="prequential code",
    )


def model_information(
    init_model: nn.Module,
    trained_model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | np.ndarray,
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    first_block: str = "model",
    train: BlockTraining | None = None,
    base: float = 2,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> ModelInformation:
    """L(M_D, D) = L_preq^{init}(y_1:k | x_1:k) - L_preq^{trained}(y_1:k | x_1:k), eq. (2).

    The bits (units of log ``base``) that starting the prequential code of the k = len(x)
    labels from ``trained_model`` saves over starting it from ``init_model`` (the same
    architecture before training), with the same fractions, block training and seed for both.
    Returns a :class:`ModelInformation`: ``float()`` of it is L(M_D, D), and it holds both
    prequential codes (``from_init``, ``from_trained``), block by block.
    The k examples must be new to ``trained_model`` (held out from its training set): that is the
    caller's responsibility, and on its training set the value would count memorized labels.
    Arguments as :func:`prequential_codelength`; cost: two of its calls. Neither model is
    modified.
    """
    train = BlockTraining() if train is None else train
    x = _check_arguments(init_model, x, first_block, train, name="init_model")
    module("trained_model", trained_model)
    on = resolve_device(device)
    n_init = _starting_model(init_model, x, on, "init_model")[2]
    n_trained = _starting_model(trained_model, x, on, "trained_model")[2]
    if n_init != n_trained:
        raise ValueError(
            f"init_model has {n_init} classes and trained_model {n_trained}: they must be the "
            "same architecture, before and after training"
        )
    options = {
        "fractions": fractions,
        "first_block": first_block,
        "train": train,
        "base": base,
        "seed": seed,
        "device": device,
        "progress": progress,
    }
    return ModelInformation(
        from_init=prequential_codelength(init_model, x, y, **options),
        from_trained=prequential_codelength(trained_model, x, y, **options),
    )


def kl_prequential_codelength(
    model_a: nn.Module,
    model_b: nn.Module,
    x: torch.Tensor,
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    train: BlockTraining | None = None,
    base: float = 2,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> Codelength:
    """L'(f_B | f_A) = sum_j sum_{i in block j} KL(f_B(x_i) || f_{theta_j}(x_i)), eq. (6): the
    expected prequential codelength of ``model_b``'s outputs on inputs ``x``, starting from
    ``model_a`` (see the module docstring). Units of log ``base`` (bits by default).

    Both models map x to logits with the same number of classes K. Block 0 is coded by
    ``model_a``; block j >= 1 by a copy of ``model_a`` trained (``train``, seed ``seed + j``) on
    the soft targets f_B(x_i) of the earlier inputs. Zero when the two compute the same function.
    Cost: one prequential code (see :func:`prequential_codelength`). Neither model is modified.
    """
    train = BlockTraining() if train is None else train
    x = _check_arguments(model_a, x, "model", train, name="model_a")
    module("model_b", model_b)
    base, seed = log_base(base), integer("seed", seed)
    ends = _block_ends(len(x), fractions)
    device = resolve_device(device)
    start, x, n_a = _starting_model(model_a, x, device, "model_a")
    target, _, n_b = _starting_model(model_b, x, device, "model_b")
    if n_a != n_b:
        raise ValueError(f"model_a has {n_a} classes and model_b {n_b}: they must agree")
    probabilities = torch.cat([
        torch.softmax(scores, dim=1) for _, scores in chunked_logits(target, x, name="model_b")
    ])
    soft_targets = probabilities.to(next(start.parameters()).dtype)

    first_nats = _sum_kl(start, x[: ends[0]], probabilities[: ends[0]], coded_by="model_a")
    return _online_code(
        start, x, soft_targets, ends, first_nats,
        lambda model, part, coded_by: _sum_kl(
            model, x[part], probabilities[part], part.start, coded_by
        ),
        train=train, seed=seed, base=base, device=device, progress=progress,
        desc="KL prequential code",
    )


def _online_code(
    start, x, targets, ends, first_nats, block_nats, *, train, seed, base, device, progress, desc
) -> Codelength:
    """The block loop both codes share: block 0 costs ``first_nats``; block j >= 1 costs
    ``block_nats(model_j, slice, coded_by)``, model_j a copy of ``start`` trained on (x, targets)
    of the ends[j-1] earlier examples (seed ``seed + j``) and ``coded_by`` its description for
    error messages. Returns the code in units of log ``base``."""
    nats = np.zeros(len(ends))
    nats[0] = first_nats
    blocks = range(1, len(ends))
    if progress and len(blocks) > 1:  # imported here: tqdm.auto warns at import without ipywidgets
        from tqdm.auto import tqdm

        blocks = tqdm(blocks, desc=desc, leave=False)
    for j in blocks:
        block_model = copy.deepcopy(start)
        seen = slice(0, int(ends[j - 1]))
        fit_early_stopping(
            block_model, x[seen], targets[seen], train=train, seed=seed + j, device=device
        )
        block_model.eval()
        coded_by = (
            f"the model of block {j} (the starting model trained on x[:{seen.stop}]; if its "
            "training diverged, lower train.lr)"
        )
        nats[j] = block_nats(block_model, slice(int(ends[j - 1]), int(ends[j])), coded_by)
    codelengths = nats / math.log(base)
    return Codelength(total=float(codelengths.sum()), blocks=codelengths, ends=ends)


def _sum_kl(model, x, p, first_index: int = 0, coded_by: str = "model") -> float:
    """sum_i KL(p_i || softmax(model(x_i))) in nats, float64 (eval mode). NaN or infinite logits
    raise ``ValueError`` naming the input (x[0] is input ``first_index``) and ``coded_by``."""
    total = 0.0
    for start, scores in chunked_logits(model, x, name=coded_by, first_index=first_index):
        log_q = torch.log_softmax(scores, 1)
        target = p[start : start + len(scores)]
        total += float(torch.special.xlogy(target, target).sum() - (target * log_q).sum())
    return total


def _block_ends(n: int, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> np.ndarray:
    """End indices (exclusive) of the blocks of N = ``n`` examples: max(1, round(f N)) for each
    fraction f, rounded half to even, repeated ends dropped. An int64 array ending with N."""
    n = integer("n", n, minimum=1)
    try:
        values = np.asarray(fractions, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"fractions must be a sequence of floats in (0, 1], got {fractions!r}"
        ) from None
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"fractions must be a non-empty 1-D sequence of floats, got {fractions!r}")
    if not np.isfinite(values).all() or values[0] <= 0 or values[-1] != 1:
        raise ValueError(f"fractions must lie in (0, 1] and end with 1.0, got {fractions!r}")
    if (np.diff(values) <= 0).any():
        raise ValueError(f"fractions must be strictly increasing, got {fractions!r}")
    return np.unique(np.maximum(1, np.rint(values * n)).astype(np.int64))


def _check_arguments(model, x, first_block, train, name: str = "model") -> torch.Tensor:
    """Refuse bad arguments with a clear error; return ``x`` as a tensor."""
    module(name, model)
    x = inputs(
        "x", x, min_len=2,
        why="one block coded by the starting model, at least one by a trained copy",
    )
    one_of("first_block", first_block, FIRST_BLOCK_CODES)
    if not isinstance(train, BlockTraining):
        raise TypeError(
            f"train must be a BlockTraining or None (its defaults), got {type(train).__name__}"
        )
    return x


def _starting_model(model: nn.Module, x: torch.Tensor, device, name: str = "model"):
    """(a deep copy of ``model`` on ``device`` in eval mode, ``x`` as its input, K): the caller's
    model is left untouched, and K is read from its logits for x[0]."""
    start = copy.deepcopy(model).to(device).eval()
    x = _as_input(x, start, device)
    with torch.no_grad():
        n_classes = logits(name, start(x[:1]), 1)
    return start, x, n_classes


def _as_input(x: torch.Tensor, model: nn.Module, device) -> torch.Tensor:
    """``x`` detached, on ``device``; floating inputs in the dtype of the model's parameters."""
    x = x.detach()
    dtype = next((p.dtype for p in model.parameters()), None)
    if x.is_floating_point() and dtype is not None and dtype.is_floating_point:
        return x.to(device=device, dtype=dtype)
    return x.to(device)
