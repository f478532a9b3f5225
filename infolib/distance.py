"""Baseline distances and similarities between two networks (Information distance paper, app. B.1).

The information distance paper compares its d_p with the usual ways of saying how far apart two
networks f_A and f_B are (its Figure 1 and Table 1). They live in three spaces:

- **Parameters**, for two networks of the same architecture: :func:`param_l2`, the L2 norm of the
  difference of the flattened parameter vectors; :func:`param_cosine`, their cosine; and
  :func:`param_emd`, the cost of the optimal transport of each layer's neurons onto the other
  network's (Li et al., 2020), which does not see a permutation of the hidden neurons.
- **Representations** h (samples x features, usually the second-to-last layer, which
  :func:`penultimate` reads out): :func:`rep_l2` and :func:`rep_cosine` compare the two
  representations of each sample; :func:`rep_emd` transports the features of one network onto
  the other's; :func:`linear_cka` is the linear centered kernel alignment of Kornblith et al.
  (2019), invariant to orthogonal transforms and isotropic scaling of either representation.
- **Outputs**: :func:`output_kl`, the mean KL divergence between the two softmax outputs.

The paper's own measure, :func:`information_distance` (d_p, eq. 7), is the larger of the two
expected prequential codelengths of one network's outputs starting from the other
(:func:`infolib.coding.kl_prequential_codelength`); it returns both, as an
:class:`InformationDistance` whose ``float`` is d_p. :func:`step_floor_distance` is d_p with the
coding the information-distance chapters share.

``*_l2``, ``*_emd`` and ``output_kl`` are distances (0 for identical inputs); ``*_cosine`` and
``linear_cka`` are similarities (1 for identical inputs), as in the paper.

**Parameters, not buffers, and no batch-norm.** Parameter vectors hold what
``model.named_parameters()`` yields, in that order, in float64. Batch-norm running statistics
(``running_mean``, ``running_var``, ``num_batches_tracked``) are buffers and never enter. The
paper (app. B.1) flattens "all weight matrices and biases of the network ... excluding parameters
in batch normalization layers, because some statistic variable in them can be large and dominate
the norm": by default (``exclude_batch_norm=True``) :func:`param_l2` and :func:`param_cosine`
also leave out the affine weight and bias of every batch-norm module (``nn.BatchNorm1d/2d/3d``,
``nn.SyncBatchNorm``); ``exclude_batch_norm=False`` keeps them.

**Optimal transport** is solved exactly, by POT's network simplex (``ot.emd``), with uniform
weights: between n and m points with cost matrix M, EMD = min_P <P, M>_F over couplings P >= 0
with row sums 1/n and column sums 1/m. For n = m this is the optimal assignment's total cost
divided by n: the mean distance between matched points. Cost O(n^3) per problem in the worst case,
a fraction of a second for n = 1000.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import ot
import torch
from scipy.spatial.distance import cdist
from torch import nn
from torch.func import functional_call

from infolib.checks import boolean, inputs, integer, logits, matrix
from infolib.checks import module as check_module
from infolib.coding import (
    DEFAULT_FRACTIONS,
    Codelength,
    kl_prequential_codelength,
    prequential_codelength,
    step_floor_options,
)
from infolib.config import resolve_device
from infolib.models import (
    CHAIN_LAYERS,
    check_layers,
    check_units_reach,
    eval_mode,
    weight_layers,
)
from infolib.train import BlockTraining

__all__ = [
    "InformationDistance",
    "SampledCode",
    "information_distance",
    "sampled_label_code",
    "linear_cka",
    "output_kl",
    "param_cosine",
    "param_emd",
    "param_l2",
    "penultimate",
    "rep_cosine",
    "rep_emd",
    "rep_l2",
]

_EMD_MAX_ITERATIONS = 100_000_000  # POT's default (1e5) stops short of optimal beyond ~1500 points


@dataclass(frozen=True)
class InformationDistance:
    """The information distance d_p(f_A, f_B) and its two parts, in units of log ``base``.

    ``a_given_b`` = L'(f_A | f_B), the expected prequential code of A's outputs starting from B,
    and ``b_given_a`` = L'(f_B | f_A), each a :class:`infolib.coding.Codelength` (total and
    blocks). ``total`` = max of the two totals = d_p (eq. 7); ``float(d)`` is ``d.total``.
    """

    a_given_b: Codelength
    b_given_a: Codelength

    @property
    def total(self) -> float:
        return max(self.a_given_b.total, self.b_given_a.total)

    def __float__(self) -> float:
        return self.total

    def as_record(self) -> dict[str, float]:
        """{"d_p", "a_given_b", "b_given_a"}: the distance and its two directions' totals, a
        row of a table of coded pairs."""
        return dict(d_p=self.total, a_given_b=self.a_given_b.total,
                    b_given_a=self.b_given_a.total)


def information_distance(
    model_a: nn.Module,
    model_b: nn.Module,
    x: torch.Tensor,
    *,
    fractions=DEFAULT_FRACTIONS,
    min_first_block: int = 1,
    train: BlockTraining | None = None,
    base: float = 2,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> InformationDistance:
    """d_p(f_A, f_B) = max{L'(f_A | f_B), L'(f_B | f_A)} (eq. 7), in units of log ``base`` (bits),
    with its two parts: an :class:`InformationDistance`, ``float(d)`` = ``d.total`` = d_p.

    L'(f_B | f_A) is :func:`infolib.coding.kl_prequential_codelength` (eq. 6) on the inputs ``x``
    with the same fractions, ``min_first_block``, block training and seed in both directions, so
    d_p is symmetric by construction and 0 for two networks that compute the same function. The
    two models may differ in architecture; they need the same number of outputs. Models with
    batch-norm layers work: their copies never train on a batch of one example
    (:func:`infolib.train.fit`).
    Cost: two prequential codes.
    """
    options = dict(fractions=fractions, min_first_block=min_first_block, train=train, base=base,
                   seed=seed, device=device, progress=progress)
    b_given_a = kl_prequential_codelength(model_a, model_b, x, **options)
    a_given_b = kl_prequential_codelength(model_b, model_a, x, **options)
    return InformationDistance(a_given_b=a_given_b, b_given_a=b_given_a)


def step_floor_distance(
    model_a: nn.Module,
    model_b: nn.Module,
    x: torch.Tensor,
    *,
    seed: int = 0,
    device: str | torch.device = "auto",
    min_first_block: int = 10,
    lr: float = 1e-3,
) -> InformationDistance:
    """d_p(f_A, f_B) of :func:`information_distance` on the inputs ``x`` (in bits) with the block
    training the information-distance chapters share: :func:`infolib.coding.step_floor_options`
    for a code of len(x) examples (Adam at ``lr`` with early stopping and a floor on the
    optimizer steps of small blocks), a first block of ``min_first_block`` examples, no progress
    bar. Cost: two prequential codes."""
    return information_distance(model_a, model_b, x, **step_floor_options(
        len(x), min_first_block=min_first_block, lr=lr, seed=seed, device=device))


@dataclass(frozen=True)
class SampledCode:
    """L_k(f_B | f_A) of eq. (3) and its two parts, in units of log base: ``labels`` the
    prequential code of labels sampled from f_B, starting from f_A (a :class:`Codelength`), and
    ``bits_back`` = sum_i -log p_B(y_i | x_i), the information of the particular samples, which
    the bits-back argument returns. ``total`` = labels.total - bits_back; ``float(c)`` is it."""

    labels: Codelength
    bits_back: float

    @property
    def total(self) -> float:
        return self.labels.total - self.bits_back

    def __float__(self) -> float:
        return self.total


def zero_function(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every parameter 0 (buffers kept). For a network of linear,
    convolution and ReLU layers its outputs are all 0, a uniform distribution over the classes,
    and no gradient reaches any parameter but the last bias: a code that starts from it never
    uses the inputs. So it is *not* the book's reading of the paper's "empty function" (the
    chapters use the network's initialization, the paper's "random model"); it is kept for the
    exercise that shows why. The original is left as it was."""
    check_module("model", model)
    empty = copy.deepcopy(model)
    with torch.no_grad():
        for parameter in empty.parameters():
            parameter.zero_()
    return empty


def sampled_label_code(
    model_a: nn.Module,
    model_b: nn.Module,
    x: torch.Tensor,
    *,
    sample_seed: int = 0,
    fractions=DEFAULT_FRACTIONS,
    min_first_block: int = 1,
    train: BlockTraining | None = None,
    base: float = 2,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> SampledCode:
    """L_k(f_B | f_A) = -sum_i log p_{theta_i}(y_i | x_i) + sum_i log p_B(y_i | x_i) (eq. 3), with
    y_i ~ f_B(x_i) drawn once (``sample_seed``, a CPU generator: the same on every device): the
    prequential code of the sampled labels starting from ``model_a``
    (:func:`infolib.coding.prequential_codelength`, first block coded by ``model_a``), less the
    bits-back term. Its expectation over the samples is at least the expected code L'(f_B | f_A)
    of eq. (6) when the blocks' models are the ensembles of eq. (5); with models trained on one
    sample the inequality is the paper's approximation, which a chapter can test. Units of log
    ``base``. Cost: one prequential code. Neither model is modified."""
    sample_seed = integer("sample_seed", sample_seed)
    check_module("model_b", model_b)
    x = inputs("x", x, min_len=2)
    with eval_mode(model_b), torch.no_grad():
        state = _state_on(model_b, torch.device("cpu"))
        scores = functional_call(model_b, state, (_on(x, state, torch.device("cpu")),))
    logits("model_b", scores, len(x))
    log_p = torch.log_softmax(scores.double(), dim=1)
    generator = torch.Generator().manual_seed(sample_seed)
    y = torch.multinomial(log_p.exp(), 1, generator=generator).squeeze(1)
    labels = prequential_codelength(
        model_a, x, y, fractions=fractions, min_first_block=min_first_block, first_block="model",
        train=train, base=base, seed=seed, device=device, progress=progress)
    bits_back = float(-log_p[torch.arange(len(y)), y].sum()) / math.log(base)
    return SampledCode(labels=labels, bits_back=bits_back)


# ---------------------------------------------------------------------------------------------
# parameter space


def param_l2(model_a: nn.Module, model_b: nn.Module, *, exclude_batch_norm: bool = True) -> float:
    """||w_A - w_B||_2, w the flattened, concatenated parameters (units of the weights).

    The models must have the same parameters (names and shapes); buffers such as batch-norm
    running statistics are left out, and so, with ``exclude_batch_norm=True`` (default, the
    paper's app. B.1), are the affine weight and bias of the batch-norm modules (module
    docstring); ``exclude_batch_norm=False`` keeps them.
    """
    w_a, w_b = _parameter_vectors(model_a, model_b, exclude_batch_norm=exclude_batch_norm)
    return float(np.linalg.norm(w_a - w_b))


def param_cosine(
    model_a: nn.Module, model_b: nn.Module, *, exclude_batch_norm: bool = True
) -> float:
    """w_A . w_B / (||w_A||_2 ||w_B||_2), in [-1, 1], w the flattened parameters.

    A similarity: 1 for proportional parameter vectors. A zero vector has cosine 0 with anything
    (scikit-learn's convention). Same parameters required, and the same ``exclude_batch_norm``
    (default True: batch-norm weights and biases left out), as for :func:`param_l2`.
    """
    w_a, w_b = _parameter_vectors(model_a, model_b, exclude_batch_norm=exclude_batch_norm)
    return float(_cosines(w_a[None, :], w_b[None, :])[0])


def param_emd(model_a: nn.Module, model_b: nn.Module, *, align: bool = True) -> float:
    """Sum over weight layers of the EMD between the two networks' neurons of that layer.

    The weight layers are the ``nn.Linear`` and ``nn.Conv2d`` modules, in ``model.modules()``
    order. A neuron is an output unit (a row of a Linear weight, an output channel of a Conv2d);
    its point is its incoming weights, flattened (a Conv2d kernel: in_channels x kh x kw numbers),
    followed by its bias when the layer has one. Layer l contributes
    EMD_l = min_P <P, M_l>_F, M_l[m, n] = ||w_A,m - w_B,n||_2, with uniform weights: with equal
    widths, the mean distance between matched neurons (units of the weights). The output layer's
    units are matched too, as the paper does, although their order (the classes) is fixed.

    The layers are summed, not averaged: each layer's EMD is already a mean over its neurons, and
    the sum, like :func:`param_l2`, grows with every layer that differs rather than being diluted
    by the layers that do not.

    ``align=True`` (default): the columns of layer l + 1 of B are reordered by layer l's optimal
    plan before its costs are computed (the barycentric map n P, a permutation matrix for equal
    widths), as in OT model fusion (Singh & Jaggi, 2020). The distance is then 0 between a network
    and a copy whose hidden neurons are permuted (with the next layer's inputs permuted to
    match). This needs a chain: a model made only of ``nn.Sequential`` containers and layers that
    keep neurons in place (:data:`infolib.models.CHAIN_LAYERS`: Linear, Conv2d with groups=1,
    activations, batch-norm, dropout, pooling, Flatten), with a Flatten between a Conv2d and the
    next Linear, no Linear or Flatten before a Conv2d, and no Flatten between two Linear layers
    that widens the first one's units (the rule of :func:`infolib.reparam.swap_neurons`);
    otherwise ``ValueError``. A weight layer used at two places (shared weights) is refused with
    either ``align``.
    ``align=False``: every layer is matched on its raw incoming weights, the paper's description
    read literally, for any architecture; a permutation of layer l then still changes the cost of
    layer l + 1.

    Batch-norm parameters, and any other parameter outside the Linear/Conv2d layers, are not
    used. The models must have the same parameters (names and shapes). Cost: one EMD per layer,
    O(width^3) each at worst.
    """
    _parameter_vectors(model_a, model_b)  # same architecture, finite parameters
    align = boolean("align", align)
    layers_a = weight_layers(model_a, caller="param_emd", name="model_a")
    layers_b = weight_layers(model_b, caller="param_emd", name="model_b")
    if [type(m) for m in layers_a] != [type(m) for m in layers_b]:
        raise ValueError(
            "model_a and model_b must have the same weight layers (Linear/Conv2d) in the same "
            f"order, got {[type(m).__name__ for m in layers_a]} and "
            f"{[type(m).__name__ for m in layers_b]}"
        )
    if align:
        _check_chain(model_a, "model_a")
        _check_chain(model_b, "model_b")
    total = 0.0
    mapping = None  # (n_prev, n_prev): row i, A's neuron i as a mix of B's neurons
    for layer_a, layer_b in zip(layers_a, layers_b):
        weight_a, weight_b = _incoming(layer_a), _incoming(layer_b)
        if mapping is not None:
            weight_b = _align_inputs(weight_b, mapping, layer_b)
        cost, plan = _emd(_with_bias(weight_a, layer_a), _with_bias(weight_b, layer_b))
        total += cost
        mapping = len(plan) * plan if align else None
    return total


def _parameter_vectors(
    model_a: nn.Module, model_b: nn.Module, *, exclude_batch_norm: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The two flattened parameter vectors, float64, after checking the architectures match;
    without the parameters of batch-norm modules when ``exclude_batch_norm``."""
    exclude_batch_norm = boolean("exclude_batch_norm", exclude_batch_norm)
    params_a = _named_parameters(model_a, "model_a")
    params_b = _named_parameters(model_b, "model_b")
    if list(params_a) != list(params_b):
        only_a = [name for name in params_a if name not in params_b]
        only_b = [name for name in params_b if name not in params_a]
        detail = (
            f"only in model_a: {only_a[:5]}, only in model_b: {only_b[:5]}"
            if only_a or only_b
            else "the same names in another order"
        )
        raise ValueError(
            f"model_a and model_b must have the same parameters (same architecture); {detail}"
        )
    shapes = [
        f"{name}: {tuple(params_a[name].shape)} vs {tuple(params_b[name].shape)}"
        for name in params_a
        if params_a[name].shape != params_b[name].shape
    ]
    if shapes:
        raise ValueError(
            "model_a and model_b must have parameters of the same shapes (same architecture), "
            f"got {shapes[:5]}"
        )
    if exclude_batch_norm:
        excluded = _batch_norm_parameters(model_a)
        if excluded != _batch_norm_parameters(model_b):
            raise ValueError(
                "model_a and model_b must have their batch-norm layers at the same places (same "
                "architecture)"
            )
        params_a = {key: p for key, p in params_a.items() if key not in excluded}
        params_b = {key: p for key, p in params_b.items() if key not in excluded}
        if not params_a:
            raise ValueError(
                "model_a has no parameters outside its batch-norm layers; use "
                "exclude_batch_norm=False"
            )
    return _flatten(params_a.values()), _flatten(params_b.values())


def _batch_norm_parameters(model: nn.Module) -> set[str]:
    """Names (as ``named_parameters`` gives them) of the parameters of batch-norm modules."""
    return {
        f"{prefix}.{name}" if prefix else name
        for prefix, module in model.named_modules()
        if isinstance(module, nn.modules.batchnorm._BatchNorm)
        for name, _ in module.named_parameters(recurse=False)
    }


def _named_parameters(model: nn.Module, name: str) -> dict[str, torch.Tensor]:
    check_module(name, model)
    params = dict(model.named_parameters())
    if not params:
        raise ValueError(f"{name} has no parameters")
    bad = [key for key, p in params.items() if not torch.isfinite(p.detach()).all()]
    if bad:
        raise ValueError(f"{name} has NaN or infinite values in parameters {bad[:5]}")
    return params


def _flatten(tensors) -> np.ndarray:
    return torch.cat([t.detach().to("cpu", torch.float64).flatten() for t in tensors]).numpy()


def _check_chain(model: nn.Module, name: str) -> None:
    """align=True needs the weight layers to feed each other in ``modules()`` order."""
    check_layers(
        model,
        CHAIN_LAYERS,
        caller="param_emd(align=True)",
        name=name,
        hint="; use align=False for other architectures (residual networks, ...)",
    )
    for module in model.modules():
        if isinstance(module, nn.Conv2d) and module.groups != 1:
            raise ValueError(
                f"{name}: param_emd(align=True) needs Conv2d layers with groups=1, got "
                f"groups={module.groups}; use align=False"
            )
        if isinstance(module, nn.Flatten) and (module.start_dim, module.end_dim) != (1, -1):
            raise ValueError(
                f"{name}: param_emd(align=True) needs Flatten(start_dim=1, end_dim=-1), got "
                f"start_dim={module.start_dim}, end_dim={module.end_dim}; use align=False"
            )
    # the rule of reparam.swap_neurons (infolib.models.check_units_reach)
    previous, flattened = None, False  # the last weight layer (index, module); a Flatten since?
    for module in model.modules():
        if isinstance(module, nn.Flatten):
            flattened = True
        if not isinstance(module, (nn.Linear, nn.Conv2d)):
            continue
        if previous is not None:
            index, first = previous
            check_units_reach(first, module, flattened, caller=f"{name}: param_emd(align=True)",
                              index=index, hint="; use align=False")
        previous = (0 if previous is None else previous[0] + 1, module)
        flattened = False


def _incoming(layer: nn.Module) -> torch.Tensor:
    """The layer's weight as (out, in, k) float64: k = kh kw for a Conv2d, 1 for a Linear."""
    weight = layer.weight.detach().to("cpu", torch.float64)
    return weight.reshape(weight.shape[0], weight.shape[1], -1)


def _align_inputs(weight: torch.Tensor, mapping: np.ndarray, layer: nn.Module) -> torch.Tensor:
    """Reorder the input neurons of ``weight`` (out, in, k) by ``mapping`` (A's x B's neurons).

    A Linear after a flattened (C, H, W) map sees each channel as a block of H W inputs."""
    n_prev = len(mapping)
    out, n_in, k = weight.shape
    if n_in * k % n_prev or (isinstance(layer, nn.Conv2d) and n_in != n_prev):
        raise ValueError(
            f"param_emd(align=True): a {type(layer).__name__} with {n_in} inputs follows a layer "
            f"of {n_prev} neurons, so its inputs are not those neurons (or blocks of them); the "
            "weight layers do not form a chain; use align=False"
        )
    blocks = weight.reshape(out, n_prev, -1)
    aligned = torch.einsum("ocr,ic->oir", blocks, torch.from_numpy(mapping))
    return aligned.reshape(out, n_in, k)


def _with_bias(weight: torch.Tensor, layer: nn.Module) -> np.ndarray:
    """One row per neuron: its flattened incoming weights, then its bias if any."""
    rows = weight.flatten(1)
    if layer.bias is not None:
        rows = torch.cat([rows, layer.bias.detach().to("cpu", torch.float64)[:, None]], dim=1)
    return rows.numpy()


# ---------------------------------------------------------------------------------------------
# representation space


def rep_l2(h_a, h_b) -> float:
    """(1/S) sum_i ||h_A,i - h_B,i||_2: the mean over the S samples of the distance between the
    two representations of each sample (the paper's definition; units of the features).

    ``h_a``, ``h_b``: (S, d) arrays or tensors, the same S samples in the same order and the same
    number d of features. Unlike the Frobenius norm of h_A - h_B, it does not grow with S.
    """
    a, b = _representations(h_a, h_b, same_features=True)
    return float(np.linalg.norm(a - b, axis=1).mean())


def rep_cosine(h_a, h_b) -> float:
    """(1/S) sum_i h_A,i . h_B,i / (||h_A,i|| ||h_B,i||): the mean cosine of the two
    representations of each sample, in [-1, 1] (a similarity).

    A sample whose representation is zero in either network counts with cosine 0
    (scikit-learn's convention). Shapes as :func:`rep_l2`.
    """
    a, b = _representations(h_a, h_b, same_features=True)
    return float(_cosines(a, b).mean())


def rep_emd(h_a, h_b) -> float:
    """EMD between the features of A and of B, each feature a point in R^S (its values on the S
    samples): min_P <P, M>_F, M[m, n] = ||h_A[:, m] - h_B[:, n]||_2, uniform weights 1/d_A, 1/d_B.

    Invariant to permuting the features of either network; d_A and d_B may differ. Units of the
    features; the costs grow like sqrt(S), so compare values at the same S. Cost: the d_A x d_B
    distance matrix (S d_A d_B) and one exact EMD.
    """
    a, b = _representations(h_a, h_b, same_features=False)
    return _emd(a.T, b.T)[0]


def linear_cka(h_a, h_b) -> float:
    """Linear CKA (Kornblith et al., 2019): ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F), X and Y
    the column-centered h_A and h_B. A similarity in [0, 1].

    Equals HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) for the linear kernels K = X X^T and
    L = Y Y^T, and is invariant to orthogonal transforms and isotropic scaling of either
    representation (not to general invertible ones). d_A and d_B may differ. Raises
    ``ValueError`` when a representation is the same for every sample (judged on the values
    given: centring a constant such as 0.1 leaves rounding residues of 1e-17, whose CKA would be
    a meaningless number). Rounding can put the ratio 1e-16 past 1; it is clipped to [0, 1].
    Cost O(S (d_A + d_B)^2).
    """
    a, b = _representations(h_a, h_b, same_features=False)
    for name, values in (("h_a", a), ("h_b", b)):
        if (values == values[0]).all():
            raise ValueError(f"{name} is the same for every sample: CKA is undefined")
    x, y = a - a.mean(axis=0), b - b.mean(axis=0)
    norm_x, norm_y = np.linalg.norm(x.T @ x), np.linalg.norm(y.T @ y)
    return float(np.clip(np.linalg.norm(y.T @ x) ** 2 / (norm_x * norm_y), 0.0, 1.0))


def _representations(h_a, h_b, *, same_features: bool) -> tuple[np.ndarray, np.ndarray]:
    a, b = matrix("h_a", h_a), matrix("h_b", h_b)
    if len(a) != len(b):
        raise ValueError(
            f"h_a and h_b must hold the same samples (rows), got {len(a)} and {len(b)} rows"
        )
    if same_features and a.shape[1] != b.shape[1]:
        raise ValueError(
            f"h_a and h_b must have the same number of features (columns) here, got "
            f"{a.shape[1]} and {b.shape[1]}; rep_emd and linear_cka compare different widths"
        )
    return a, b


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two (n, d) arrays, in [-1, 1]; 0 where a row is zero.

    Each row is scaled to unit length first (by its largest entry, then its norm), so that rows
    of norm near 1e-170 or 1e200 do not underflow or overflow the product of norms."""
    return np.clip(np.einsum("ij,ij->i", _unit_rows(a), _unit_rows(b)), -1.0, 1.0)


def _unit_rows(a: np.ndarray) -> np.ndarray:
    """Rows divided by their Euclidean norm (zero rows stay zero), without under- or overflow."""
    a = np.asarray(a, dtype=np.float64)
    largest = np.abs(a).max(axis=1, keepdims=True)
    scaled = np.divide(a, largest, out=np.zeros_like(a), where=largest > 0)
    norms = np.linalg.norm(scaled, axis=1, keepdims=True)
    return np.divide(scaled, norms, out=np.zeros_like(a), where=norms > 0)


def _emd(points_a: np.ndarray, points_b: np.ndarray) -> tuple[float, np.ndarray]:
    """Exact EMD between two uniform point clouds (rows) with Euclidean cost: (cost, plan)."""
    cost = np.ascontiguousarray(cdist(points_a, points_b))
    weights_a = np.full(len(points_a), 1 / len(points_a))
    weights_b = np.full(len(points_b), 1 / len(points_b))
    plan, log = ot.emd(weights_a, weights_b, cost, numItermax=_EMD_MAX_ITERATIONS, log=True)
    if log["warning"] is not None:
        raise RuntimeError(f"the optimal transport solver did not converge: {log['warning']}")
    return float(log["cost"]), plan


# ---------------------------------------------------------------------------------------------
# output space and read-out


def output_kl(
    model_a: nn.Module,
    model_b: nn.Module,
    x,
    *,
    chunk_size: int = 512,
    device: str | torch.device = "auto",
) -> float:
    """(1/N) sum_i KL(p_A(.|x_i) || p_B(.|x_i)), in bits: p = softmax of the model's logits.

    The direction is the paper's: E_x D_KL(f_A(x) || f_B(x)), expectations under A's
    predictions, so output_kl(A, B) != output_kl(B, A) in general. ``x``: inputs (N, ...), a
    tensor or array; both models must map them to logits (N, K) with the same K. The models are
    evaluated in eval mode on ``device`` (their parameters are copied there, the models are not
    moved or modified, and their training flags are restored). Softmax and KL in float64. Cost:
    one forward pass of each model over x, ``chunk_size`` inputs at a time (memory only).
    """
    check_module("model_a", model_a)
    check_module("model_b", model_b)
    x = inputs("x", x)
    chunk_size = integer("chunk_size", chunk_size, minimum=1)
    device = resolve_device(device)
    total = torch.zeros((), dtype=torch.float64)
    with eval_mode(model_a, model_b):
        state_a, state_b = _state_on(model_a, device), _state_on(model_b, device)
        for start in range(0, len(x), chunk_size):
            batch = x[start : start + chunk_size]
            log_p_a = _log_softmax(model_a, state_a, batch, device, "model_a", start)
            log_p_b = _log_softmax(model_b, state_b, batch, device, "model_b", start)
            if log_p_a.shape != log_p_b.shape:
                raise ValueError(
                    f"model_a and model_b must give the same number of classes, got "
                    f"{log_p_a.shape[1]} and {log_p_b.shape[1]} logits"
                )
            total += (log_p_a.exp() * (log_p_a - log_p_b)).sum().cpu()
    return float(total) / len(x) / math.log(2)


def penultimate(
    model: nn.Module,
    x,
    *,
    chunk_size: int = 512,
    device: str | torch.device = "auto",
) -> torch.Tensor:
    """The input of the model's last weight layer (the last ``nn.Linear``/``nn.Conv2d`` in
    ``model.modules()`` order) for inputs x, flattened to (N, features), on the CPU.

    This is the second-to-last layer representation f_A,i of the paper's representation
    distances, read after whatever pooling or flattening precedes the head. Captured by a forward
    pre-hook, in eval mode without gradients, on ``device`` (parameters copied there; the model
    is not moved and its training flags are restored), ``chunk_size`` inputs at a time (memory
    only). The last weight layer must run exactly once per forward pass.
    """
    check_module("model", model)
    x = inputs("x", x)
    chunk_size = integer("chunk_size", chunk_size, minimum=1)
    device = resolve_device(device)
    layers = weight_layers(model, caller="penultimate")
    captured: list[torch.Tensor] = []
    hook = layers[-1].register_forward_pre_hook(
        lambda _module, inputs: captured.append(inputs[0].detach().flatten(1).cpu())
    )
    try:
        with eval_mode(model), torch.no_grad():
            state = _state_on(model, device)
            for start in range(0, len(x), chunk_size):
                before = len(captured)
                functional_call(model, state, (_on(x[start : start + chunk_size], state, device),))
                if len(captured) != before + 1:
                    raise ValueError(
                        f"the last weight layer ({type(layers[-1]).__name__}) ran "
                        f"{len(captured) - before} times in one forward pass, expected once"
                    )
    finally:
        hook.remove()
    return torch.cat(captured)


def _log_softmax(model, state, batch, device, name, start) -> torch.Tensor:
    with torch.no_grad():
        out = functional_call(model, state, (_on(batch, state, device),))
    logits(name, out, len(batch), first_index=start)
    return torch.log_softmax(out.double(), dim=-1)


def _state_on(model: nn.Module, device: torch.device) -> dict[str, torch.Tensor]:
    """The model's parameters and buffers, detached, on ``device``, for ``functional_call``."""
    state = {name: p.detach().to(device) for name, p in model.named_parameters()}
    state.update({name: b.detach().to(device) for name, b in model.named_buffers()})
    return state


def _on(batch: torch.Tensor, state: dict[str, torch.Tensor], device) -> torch.Tensor:
    """``batch`` on ``device``; floating inputs in the dtype of the model's first floating
    parameter (or buffer)."""
    dtypes = [t.dtype for t in state.values() if t.is_floating_point()]
    if batch.is_floating_point() and dtypes:
        return batch.to(device=device, dtype=dtypes[0])
    return batch.to(device)
