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

**Block ends.** ``fractions`` f_1 < ... < f_m = 1 give ends[j] = max(m_0, round(f_j N)), rounded
half to even (``numpy.rint``: 0.0625 x 1000 = 62.5 -> 62), with repeated ends dropped (small N);
m_0 = ``min_first_block`` (default 1) is the least size of the first block, so that no block's
model trains on fewer than m_0 examples (at the paper's k = 10,000 the first fraction already
gives 10; at k = 800 it gives 1, and a model trained on one example codes the next block).
:data:`DEFAULT_FRACTIONS` are Voita & Titov's: 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.25, 12.5, 25, 50
and 100 % of N; for N = 1000, ends = 1, 2, 4, 8, 16, 32, 62, 125, 250, 500, 1000.

**Training each block's model** (:func:`infolib.train.fit_early_stopping`, configured by
:class:`infolib.train.BlockTraining`): Adam on the earlier examples through
:func:`infolib.train.fit` (seed ``seed + j`` for block j, which fixes the mini-batch order, and
the same seed for torch's global generator, used by dropout, restored afterwards), with early
stopping: the last ``validation_fraction`` of the earlier examples (at least 1) is held out, its
mean cross-entropy is measured before training and after every epoch, training stops after
``patience`` epochs without a new best, and the best state (possibly the untrained one: here
the code's answer, kept without :func:`~infolib.train.fit_early_stopping`'s warning) is kept.
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

**Synced distillation** (:func:`synced_distillation_codelengths`, sec. 7 and eq. (8) of *Model
information as an analysis tool*): a student's prequential code of the labels with a teacher
that never sees a label before the student may. For block j >= 1, a copy of the teacher is
trained on the ends[j-1] earlier examples (plain cross-entropy, seed ``seed + j``), and a copy of
the student is trained on the same examples with the distillation loss
(:func:`infolib.train.distillation_loss`) toward the true labels and that teacher's outputs; the
student codes block j. The information the teacher transfers is

    I = L_preq(y | x; student alone) - L_preq(y | x; student with the synced teacher),

the bits the teacher's outputs save the student's code (0 for alpha = 0). The teacher is
re-trained for every block; each block's teacher serves every distillation coefficient.

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

from infolib.checks import (
    class_indices,
    inputs,
    integer,
    log_base,
    logits,
    module,
    one_of,
    random_seed,
    real,
)
from infolib.config import resolve_device
from infolib.train import (
    BlockTraining,
    chunked_logits,
    cross_entropy_sum,
    distillation_loss,
    fit_early_stopping,
)

DEFAULT_FRACTIONS = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.0625, 0.125, 0.25, 0.5, 1.0)
FIRST_BLOCK_CODES = ("model", "uniform")


@dataclass(frozen=True)
class Codelength:
    """A prequential codelength: ``total`` (float) in units of ``log base`` (bits by default),
    ``blocks`` the codelength of each block (float64 array summing to ``total``) and ``ends`` the
    end index (exclusive) of each block (int64 array, last = N). ``float(c)`` is ``c.total``.

    How each block's model was trained (int64 arrays, one entry per block, 0 for the first block,
    which no model trained for; ``None`` for a code built by hand): ``epochs`` run, ``best_epochs``
    (the epoch whose state coded the block: 0 = the starting model itself) and optimizer
    ``steps``."""

    total: float
    blocks: np.ndarray
    ends: np.ndarray
    epochs: np.ndarray | None = None
    best_epochs: np.ndarray | None = None
    steps: np.ndarray | None = None

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
    min_first_block: int = 1,
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
    (``"uniform"``). ``fractions``: where the blocks end, as fractions of N, and
    ``min_first_block``: the least size of the first block (see the module docstring). Units:
    bits for ``base=2``, nats for ``base=math.e``. On the CPU, the same ``seed`` gives the same
    number. ``progress``: a progress bar over the blocks. The returned code logs how each block's
    model trained (:class:`Codelength`).

    Cost: about (sum of ``fractions[:-1]``) N example passes per epoch of training, times at most
    ``train.epoch_cap`` epochs, plus one forward pass over the N examples: linear in N; 1.0005 N
    passes per epoch with the default fractions. ``model`` is never modified.
    """
    train = BlockTraining() if train is None else train
    x = _check_arguments(model, x, first_block, train)
    base, seed = log_base(base), random_seed("seed", seed)
    ends = _block_ends(len(x), fractions, min_first_block)
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
    min_first_block: int = 1,
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
    _same_architecture(init_model, trained_model)
    options = {
        "fractions": fractions,
        "min_first_block": min_first_block,
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
    min_first_block: int = 1,
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
    base, seed = log_base(base), random_seed("seed", seed)
    ends = _block_ends(len(x), fractions, min_first_block)
    device = resolve_device(device)
    _same_dtype("model_a", model_a, "model_b", model_b)
    start, x, n_a = _starting_model(model_a, x, device, "model_a")
    target, _, n_b = _starting_model(model_b, x, device, "model_b")
    if n_a != n_b:
        raise ValueError(f"model_a has {n_a} classes and model_b {n_b}: they must agree")
    probabilities = torch.cat([
        torch.softmax(scores, dim=1) for _, scores in chunked_logits(target, x, name="model_b")
    ])
    soft_targets = probabilities.to(next(start.parameters(), probabilities).dtype)

    first_nats = _sum_kl(start, x[: ends[0]], probabilities[: ends[0]], coded_by="model_a")
    return _online_code(
        start, x, soft_targets, ends, first_nats,
        lambda model, part, coded_by: _sum_kl(
            model, x[part], probabilities[part], part.start, coded_by
        ),
        train=train, seed=seed, base=base, device=device, progress=progress,
        desc="KL prequential code",
    )


@dataclass(frozen=True)
class SyncedDistillation:
    """What :func:`synced_distillation_codelengths` measured, in units of log base: the teacher's
    own prequential code of the labels (``teacher``, the code of its block-by-block copies) and,
    for each distillation coefficient of ``alphas``, the student's code with that teacher
    (``students``, :class:`Codelength` each, in the order of ``alphas``)."""

    teacher: Codelength
    students: tuple[Codelength, ...]
    alphas: tuple[float, ...]

    def student(self, alpha: float) -> Codelength:
        """The student's code at distillation coefficient ``alpha`` (one of ``alphas``)."""
        if alpha not in self.alphas:
            raise KeyError(f"alpha {alpha} was not run; the alphas are {self.alphas}")
        return self.students[self.alphas.index(alpha)]


def synced_distillation_codelengths(
    student: nn.Module,
    teacher: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | np.ndarray,
    *,
    alphas: Sequence[float],
    temperature: float = 4.0,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    min_first_block: int = 1,
    train: BlockTraining | None = None,
    teacher_train: BlockTraining | None = None,
    base: float = 2,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> SyncedDistillation:
    """The student's prequential code of y | x with a teacher trained in sync (sec. 7), for each
    distillation coefficient in ``alphas`` (see the module docstring).

    Block 0 is coded by ``student`` itself (and by ``teacher`` in the teacher's code). For block
    j >= 1, a copy of ``teacher`` is trained on the ends[j-1] earlier examples with
    ``teacher_train`` (``None``: the same as ``train``) and seed ``seed + j``; then, for each
    alpha, a copy of ``student`` is trained on them with ``train``, the same seed and
    :func:`infolib.train.distillation_loss` (alpha, ``temperature``, that teacher's logits in
    eval mode), and codes block j. Early stopping of both uses the held-out labels. No model
    sees a label of block j before block j is coded. With alpha = 0 the student's code equals
    :func:`prequential_codelength` of ``student`` with the same arguments, and the teacher's code
    equals :func:`prequential_codelength` of ``teacher`` with ``teacher_train``.
    Both map x to logits with the same number of classes K. Units of log ``base``. Cost: one
    prequential code for the teacher and one per alpha. Neither model is modified.
    """
    train = BlockTraining() if train is None else train
    teacher_train = train if teacher_train is None else teacher_train
    x = _check_arguments(student, x, "model", train, name="student")
    _check_arguments(teacher, x, "model", teacher_train, name="teacher")
    if isinstance(alphas, np.ndarray) and alphas.ndim == 1:
        alphas = alphas.tolist()  # a 1-D array of coefficients is a sequence too
    if isinstance(alphas, (str, bytes)) or not isinstance(alphas, Sequence) or not alphas:
        raise ValueError(f"alphas must be a non-empty sequence of coefficients in [0, 1], "
                         f"got {alphas!r}")
    alphas = tuple(real("alphas", alpha, minimum=0, maximum=1) for alpha in alphas)
    if len(set(alphas)) != len(alphas):
        raise ValueError(f"alphas must not repeat a coefficient, got {alphas}")
    temperature = real("temperature", temperature, above=0)
    base, seed = log_base(base), random_seed("seed", seed)
    ends = _block_ends(len(x), fractions, min_first_block)
    device = resolve_device(device)
    _same_dtype("student", student, "teacher", teacher)
    student_start, x, n_student = _starting_model(student, x, device, "student")
    teacher_start, _, n_teacher = _starting_model(teacher, x, device, "teacher")
    if n_student != n_teacher:
        raise ValueError(f"student has {n_student} classes and teacher {n_teacher}: they must "
                         "agree")
    y = class_indices(y, len(x), n_student).to(device)

    nats = np.zeros((1 + len(alphas), len(ends)))  # row 0: the teacher, then one per alpha
    logs = np.zeros((1 + len(alphas), len(ends), 3), dtype=np.int64)
    first = slice(0, int(ends[0]))
    nats[0, 0] = cross_entropy_sum(teacher_start, x[first], y[first], name="teacher")
    nats[1:, 0] = cross_entropy_sum(student_start, x[first], y[first], name="student")
    blocks = range(1, len(ends))
    if progress and len(blocks) > 1:  # imported here: tqdm.auto warns at import without ipywidgets
        from tqdm.auto import tqdm

        blocks = tqdm(blocks, desc="synced distillation code", leave=False)
    for j in blocks:
        seen, part = slice(0, int(ends[j - 1])), slice(int(ends[j - 1]), int(ends[j]))
        block_teacher = copy.deepcopy(teacher_start)
        log = fit_early_stopping(block_teacher, x[seen], y[seen], train=teacher_train,
                                 seed=seed + j, device=device, warn_untrained=False)
        logs[0, j] = log.epochs, log.best_epoch, log.steps
        block_teacher.eval()
        who = f"the teacher of block {j} (trained on x[:{seen.stop}])"
        nats[0, j] = cross_entropy_sum(block_teacher, x[part], y[part], name=who,
                                       first_index=part.start)
        teacher_logits = torch.cat([
            scores for _, scores in chunked_logits(block_teacher, x[seen], name=who)
        ])
        for row, alpha in enumerate(alphas, start=1):
            block_student = copy.deepcopy(student_start)
            log = fit_early_stopping(
                block_student, x[seen], y[seen], train=train, seed=seed + j, device=device,
                warn_untrained=False,
                loss_fn=distillation_loss(teacher_logits, y[seen], alpha=alpha,
                                          temperature=temperature),
            )
            logs[row, j] = log.epochs, log.best_epoch, log.steps
            block_student.eval()
            nats[row, j] = cross_entropy_sum(
                block_student, x[part], y[part], first_index=part.start,
                name=f"the student of block {j} at alpha {alpha} (trained on x[:{seen.stop}])",
            )
    codes = [_as_codelength(nats[row], logs[row], ends, base) for row in range(len(nats))]
    return SyncedDistillation(teacher=codes[0], students=tuple(codes[1:]), alphas=alphas)


def step_floor_training(k: int, *, fractions: Sequence[float] = DEFAULT_FRACTIONS,
                        min_first_block: int = 1, **fields) -> BlockTraining:
    """A :class:`BlockTraining` (``fields``: its other settings) whose ``min_steps`` lets every
    block of a code of ``k`` examples take as many optimizer steps as the largest block's epoch
    cap allows: min_steps = max_epochs x ceil(n_fit / batch_size), n_fit the training part of the
    last block's earlier examples (ends[-2] less its held-out ``validation_fraction``). With the
    default fractions and settings: 180 steps for k = 800, 540 for k = 2,500."""
    train = BlockTraining(**fields)
    ends = _block_ends(integer("k", k, minimum=2), fractions, min_first_block)
    seen = int(ends[-2]) if len(ends) > 1 else 1
    steps = -(-(seen - train.held_out(seen)) // train.batch_size)
    return BlockTraining(**{**fields, "min_steps": train.max_epochs * steps})


def step_floor_options(k: int, *, min_first_block: int = 1, seed: int = 0,
                       device: str | torch.device = "auto", **fields) -> dict:
    """The keyword arguments of a code of ``k`` examples with :func:`step_floor_training`
    (``fields``: its other settings) and the same ``min_first_block``: ``train``,
    ``min_first_block``, ``seed``, ``device`` and ``progress=False``, for
    :func:`prequential_codelength`, :func:`model_information` and the functions built on them.
    With the default ``min_first_block=1`` a model is trained on the first example alone, and
    with no held-out example it trains for the whole raised epoch cap; the chapters pass 10 (the
    paper's first block at k = 10,000)."""
    return dict(train=step_floor_training(k, min_first_block=min_first_block, **fields),
                min_first_block=min_first_block, seed=seed, device=device, progress=False)


def information_similarity(l_ab: float, l_aa: float, l_bb: float) -> float:
    """S(A, B) = L(M_A, B) / (L(M_A, A) + L(M_B, B) - L(M_A, B)), eq. (4) of *Model information as
    an analysis tool*: the informational (Jaccard) similarity of two domains A and B.

    ``l_ab`` = L(M_A, B), the model information of a network trained on A about B's labels
    (:func:`model_information` with B's coding examples), standing for K(f_B) - K(f_B | f_A), the
    information common to both; ``l_aa`` = L(M_A, A) ~ K(f_A) and ``l_bb`` = L(M_B, B) ~ K(f_B),
    all in one unit (bits, say). S is in [0, 1] when 0 <= L(M_A, B) <= min(L(M_A, A),
    L(M_B, B)); estimates need not satisfy this, and S is returned as computed. Raises
    ``ValueError`` unless L(M_A, A) and L(M_B, B) are positive and the denominator is too."""
    l_ab, l_aa, l_bb = (real(name, value) for name, value in
                        (("l_ab", l_ab), ("l_aa", l_aa), ("l_bb", l_bb)))
    for name, value in (("l_aa", l_aa), ("l_bb", l_bb)):
        if value <= 0:
            raise ValueError(f"{name} = {value:g}: a domain's own model information must be "
                             "positive (a model that learned nothing has no similarity to give)")
    union = l_aa + l_bb - l_ab
    if union <= 0:
        raise ValueError(f"L(M_A, A) + L(M_B, B) - L(M_A, B) = {union:g} <= 0: the estimates "
                         "are inconsistent (L(M_A, B) is at least the sum of both domains' "
                         "information)")
    return l_ab / union


def unidirectional_similarity(l_ab: float, l_bb: float) -> float:
    """S_uni(A, B) = L(M_A, B) / L(M_B, B), eq. (5): the share of B's information (K(f_B)) that a
    model of A already holds. Not symmetric: S_uni(A, B) < 1 = S_uni(B, A) says A is a part of B.
    Arguments as :func:`information_similarity`; raises ``ValueError`` unless L(M_B, B) > 0."""
    l_ab, l_bb = real("l_ab", l_ab), real("l_bb", l_bb)
    if l_bb <= 0:
        raise ValueError(f"l_bb = {l_bb:g}: a domain's own model information must be positive")
    return l_ab / l_bb


def component_entries(model: nn.Module, component: Sequence[str] | str) -> list[str]:
    """The names of ``model.state_dict()`` inside a component: each entry that equals a name of
    ``component`` or starts with it followed by ``"."`` (``"3"`` covers ``"3.conv1.weight"``).
    Raises ``ValueError`` when the component is empty or one of its names matches nothing."""
    module("model", model)
    component = [component] if isinstance(component, str) else list(component)
    names = list(model.state_dict())

    def inside(name: str, prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    unmatched = [prefix for prefix in component if not any(inside(k, prefix) for k in names)]
    if unmatched or not component:
        raise ValueError(f"component names {unmatched or component!r} match no entry of the "
                         f"models' state_dict (entries: {names[:8]} ...)")
    return [name for name in names if any(inside(name, prefix) for prefix in component)]


def _same_architecture(init_model: nn.Module, trained_model: nn.Module) -> None:
    """Raise ``ValueError`` unless the two models have the same state_dict names and shapes."""
    trained_state, init_state = trained_model.state_dict(), init_model.state_dict()
    if trained_state.keys() != init_state.keys() or any(
            trained_state[k].shape != init_state[k].shape for k in trained_state):
        raise ValueError("trained_model and init_model must be the same architecture "
                         "(the same state_dict names and shapes), before and after training")


def reset_parameters(trained_model: nn.Module, init_model: nn.Module,
                     component: Sequence[str], *, buffers: bool = False) -> nn.Module:
    """A copy of ``trained_model`` whose component is back at its initial values: every
    parameter inside the component (:func:`component_entries`) takes ``init_model``'s value.
    The information ablation of eq. (7): "we reset all parameters within this component to their
    initialized value"; the structure stays, the information learned in C's weights goes.
    Buffers (batch-norm running statistics) are not parameters and keep their trained values,
    unless ``buffers=True`` resets them too (then resetting every entry gives ``init_model``).
    Raises ``ValueError`` when the two models' entries differ or a name matches nothing."""
    module("trained_model", trained_model)
    module("init_model", init_model)
    _same_architecture(init_model, trained_model)
    trained_state, init_state = trained_model.state_dict(), init_model.state_dict()
    resettable = set(init_state) if buffers else {name for name, _ in
                                                   init_model.named_parameters()}
    inside = set(component_entries(init_model, component)) & resettable
    if not inside:
        raise ValueError(f"component {list(component)!r} holds no parameter to reset (only "
                         "buffers; pass buffers=True to reset those)")
    ablated = copy.deepcopy(trained_model)
    state = {name: (init_state[name] if name in inside else value)
             for name, value in trained_state.items()}
    ablated.load_state_dict({name: value.detach().clone() for name, value in state.items()})
    return ablated


@dataclass(frozen=True)
class InformationAblation:
    """I(C) of :func:`information_ablation`: ``from_ablated`` and ``from_trained``, the
    prequential codes of the same labels starting from the ablated and the trained model;
    ``total`` = from_ablated.total - from_trained.total; ``float(a)`` is ``a.total``."""

    from_ablated: Codelength
    from_trained: Codelength

    @property
    def total(self) -> float:
        return self.from_ablated.total - self.from_trained.total

    def __float__(self) -> float:
        return self.total


def information_ablation(
    init_model: nn.Module,
    trained_model: nn.Module,
    components: dict[str, Sequence[str]],
    x: torch.Tensor,
    y: torch.Tensor | np.ndarray,
    *,
    buffers: bool = False,
    **options,
) -> dict[str, InformationAblation]:
    """I(C) = L(M_D, D) - L(M_D^C, D) = L_preq^{M_D^C}(y | x) - L_preq^{M_D}(y | x), eq. (15-16),
    for each named component C (a list of state_dict names or prefixes, see
    :func:`reset_parameters`): the information, in units of log ``base``, lost when C is reset to
    its initial values. The init term of eq. (2) cancels. ``options``: those of
    :func:`prequential_codelength` (``fractions``, ``min_first_block``, ``train``, ``base``,
    ``seed``, ``device``, ``progress``), the same for every code. ``buffers``: as
    :func:`reset_parameters` (False: parameters only, the paper's words). Resetting every entry
    with ``buffers=True`` gives exactly L(M_D, D) of :func:`model_information` with the same
    options (with ``buffers=False`` too, for a model without buffers). Cost: one code for M_D
    plus one per component. Neither model is modified."""
    if not isinstance(components, dict) or not components:
        raise ValueError("components must be a non-empty dict: name -> state_dict names")
    ablated = {name: reset_parameters(trained_model, init_model, names, buffers=buffers)
               for name, names in components.items()}  # every name checked before any code
    from_trained = prequential_codelength(trained_model, x, y, **options)
    return {name: InformationAblation(prequential_codelength(model, x, y, **options), from_trained)
            for name, model in ablated.items()}


def _online_code(
    start, x, targets, ends, first_nats, block_nats, *, train, seed, base, device, progress, desc
) -> Codelength:
    """The block loop both codes share: block 0 costs ``first_nats``; block j >= 1 costs
    ``block_nats(model_j, slice, coded_by)``, model_j a copy of ``start`` trained on (x, targets)
    of the ends[j-1] earlier examples (seed ``seed + j``) and ``coded_by`` its description for
    error messages. Returns the code in units of log ``base``."""
    nats = np.zeros(len(ends))
    nats[0] = first_nats
    logs = np.zeros((len(ends), 3), dtype=np.int64)  # epochs, best epoch, steps per block
    blocks = range(1, len(ends))
    if progress and len(blocks) > 1:  # imported here: tqdm.auto warns at import without ipywidgets
        from tqdm.auto import tqdm

        blocks = tqdm(blocks, desc=desc, leave=False)
    for j in blocks:
        block_model = copy.deepcopy(start)
        seen = slice(0, int(ends[j - 1]))
        log = fit_early_stopping(
            block_model, x[seen], targets[seen], train=train, seed=seed + j, device=device,
            warn_untrained=False,
        )
        logs[j] = log.epochs, log.best_epoch, log.steps
        block_model.eval()
        coded_by = (
            f"the model of block {j} (the starting model trained on x[:{seen.stop}]; if its "
            "training diverged, lower train.lr)"
        )
        nats[j] = block_nats(block_model, slice(int(ends[j - 1]), int(ends[j])), coded_by)
    return _as_codelength(nats, logs, ends, base)


def _as_codelength(nats: np.ndarray, logs: np.ndarray, ends: np.ndarray, base: float):
    """A :class:`Codelength` in units of log ``base`` from each block's ``nats`` and training
    ``logs`` (rows: epochs, best epoch, steps)."""
    codelengths = nats / math.log(base)
    return Codelength(total=float(codelengths.sum()), blocks=codelengths, ends=ends,
                      epochs=logs[:, 0], best_epochs=logs[:, 1], steps=logs[:, 2])


def _sum_kl(model, x, p, first_index: int = 0, coded_by: str = "model") -> float:
    """sum_i KL(p_i || softmax(model(x_i))) in nats, float64 (eval mode). NaN or infinite logits
    raise ``ValueError`` naming the input (x[0] is input ``first_index``) and ``coded_by``."""
    total = 0.0
    for start, scores in chunked_logits(model, x, name=coded_by, first_index=first_index):
        log_q = torch.log_softmax(scores, 1).double()
        target = p[start : start + len(scores)].double()
        total += float((torch.special.xlogy(target, target) - target * log_q).sum())
    return total


def _block_ends(n: int, fractions: Sequence[float] = DEFAULT_FRACTIONS,
                min_first_block: int = 1) -> np.ndarray:
    """End indices (exclusive) of the blocks of N = ``n`` examples: max(min_first_block,
    round(f N)) for each fraction f, rounded half to even, repeated ends dropped. An int64 array
    ending with N. ``min_first_block`` must lie in 1..N-1. ``fractions=[1.0]`` (or fractions that
    round to N) give one block, coded by the first block's code alone (with
    ``first_block="uniform"``: the uniform code)."""
    n = integer("n", n, minimum=1)
    min_first_block = integer("min_first_block", min_first_block, minimum=1)
    if n > 1 and min_first_block >= n:
        raise ValueError(f"min_first_block must be below the number of examples {n} (a first "
                         f"block of all of them leaves no block to a trained model), got "
                         f"{min_first_block}")
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
    return np.unique(np.maximum(min_first_block, np.rint(values * n)).astype(np.int64))


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


def _same_dtype(name_a: str, a: nn.Module, name_b: str, b: nn.Module) -> None:
    """A ValueError unless the floating parameters of the two models share one dtype: both read
    the same inputs, cast once to the first model's dtype."""
    dtypes = [{p.dtype for p in m.parameters() if p.is_floating_point()} for m in (a, b)]
    if dtypes[0] and dtypes[1] and dtypes[0] != dtypes[1]:
        raise ValueError(f"{name_a} and {name_b} must share one float dtype (they read the same "
                         f"inputs), got {sorted(map(str, dtypes[0]))} and "
                         f"{sorted(map(str, dtypes[1]))}")


def _as_input(x: torch.Tensor, model: nn.Module, device) -> torch.Tensor:
    """``x`` detached, on ``device``; floating inputs in the dtype of the model's parameters."""
    x = x.detach()
    dtype = next((p.dtype for p in model.parameters()), None)
    if x.is_floating_point() and dtype is not None and dtype.is_floating_point:
        return x.to(device=device, dtype=dtype)
    return x.to(device)
