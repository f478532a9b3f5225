"""Fisher information of the weights of a classifier (Achille, Paolini & Soatto, 2019, section 1.2).

    F(w) = (1/N) sum_i E_{y ~ p_w(y|x_i)} [ g g^T ],    g = grad_w log p_w(y | x_i),

the Fisher of the model's own predictive distribution p_w(y|x) = softmax(f_w(x))_y, averaged (not
summed) over the N inputs. The log is natural, so F is in nats per squared unit of weight. To
second order, 2 E_x KL(p_w(.|x) || p_{w + dw}(.|x)) = dw^T F dw: F says how much a perturbation of
the weights changes the network's outputs. (Section 1.2 of the paper states it without the 2.)

- :func:`fisher_trace`: tr F = (1/N) sum_i E_y ||g||^2, the paper's Figure 4 measure.
- :func:`fisher_diagonal`: diag F, a vector of P entries (the paper's Figure 2 ellipse).
- :func:`fisher_matrix`: F itself, (P, P), for small models (Figure 1).
- :func:`fisher_logdet`: log det(F + damping I), the Fisher term of eq. (8).

**Parameters.** w is every parameter with ``requires_grad``, flattened in the order of
``torch.nn.utils.parameters_to_vector`` over those parameters (``model.parameters()`` order,
each tensor row-major). Frozen parameters and buffers are held fixed.

**Modes** (the expectation over y):

- ``"expected"``: the true Fisher, the exact sum over the K classes weighted by p_w(y|x).
- ``"sampled"``: a Monte-Carlo estimate of the true Fisher with ``mc_samples`` labels per input,
  drawn from p_w(y|x) by inverse-CDF sampling: u = ``numpy.random.default_rng(seed).random((N,
  mc_samples))`` and y = the number of classes k with p_0 + ... + p_k <= u (at most K - 1).
  The labels depend on ``seed`` only, not on ``chunk_size`` or the device. For the exact
  expectation at about K / ``mc_samples`` times the cost, see ``"expected"``.
- ``"empirical"``: the given labels ``y`` instead of the model's. This is the *empirical Fisher*
  (1/N) sum_i g_i g_i^T with g_i = grad_w log p_w(y_i|x_i), not the Fisher: it measures the
  gradients of the training loss and differs from F wherever the model's predictions differ from
  the labels (Kunstner, Balles & Hennig, 2019).

**How.** With J the Jacobian of the logits with respect to w and p the softmax, the score of class
y is g_y = J^T (e_y - p). Each mode is therefore a set of R weighted rows c_r in logit space per
input, and the per-input Fisher is sum_r (J^T c_r)(J^T c_r)^T:

- expected: R = K rows c_y = sqrt(p_y) (e_y - p) (so that sum_y c_y c_y^T = diag(p) - p p^T);
- sampled: R = mc_samples rows (e_{y_s} - p) / sqrt(mc_samples), or, when mc_samples >= K, the
  same sum grouped by class: K rows sqrt(count_y / mc_samples) (e_y - p);
- empirical: R = 1 row e_{y_i} - p.

For each chunk of ``chunk_size`` inputs (a memory knob: the result does not depend on it, up to
rounding), ``torch.func`` computes one forward pass per input and R vector-Jacobian products
(``vjp`` under ``vmap`` over the inputs and the rows): per-input gradients, never a Python loop
over inputs and never the gradient of a batch mean. Each chunk is computed in the model's dtype
(float32, usually) on ``device``; its sums of squares (diagonal, trace) are added up across
chunks in float64, its outer products (matrix) are
computed in float64. On CUDA, TF32 is off meanwhile (:func:`infolib.config.full_precision`): with
it, cuDNN's convolutions put a CNN's trace 1.6e-4 (relative) from the CPU's value.

**Cost.** N forward passes and N R backward passes' worth of work, R = K in expected mode,
min(mc_samples, K) in sampled mode and 1 in empirical mode. Memory: about ``chunk_size`` x R x P
numbers at once, and as many per activation (for the matrix, the gradients again in float64 plus
the (P, P) result): with P = 11 million (ResNet-18) and K = 10, a ``chunk_size`` of 8 already
holds 3.5 GB, so lower ``chunk_size`` for large models. On a CPU, where that working set falls out
of the cache, the expected mode of a small CNN runs about 1.6x faster with ``chunk_size=64`` (the
default) than with 256 (benchmarks/bench_fisher.py).

**The model is not modified.** It is evaluated in eval mode (dropout off, batch-norm with its
running statistics, which makes each input's output independent of the rest of the chunk; a
batch-norm without running statistics, ``track_running_stats=False``, is refused);
every submodule's training flag is restored afterwards. Its parameters and buffers are passed to
``torch.func.functional_call`` on ``device`` (copied there if they live elsewhere); the model
itself stays where it is and its parameters are never written.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vjp, vmap

from infolib.checks import (
    class_indices,
    inputs,
    integer,
    integer_inputs_named,
    logits,
    module,
    one_of,
    random_seed,
    real,
)
from infolib.config import full_precision, resolve_device
from infolib.models import eval_mode

MODES = ("expected", "sampled", "empirical")
MAX_MATRIX_PARAMETERS = 5000  # fisher_matrix and fisher_logdet hold a (P, P) float64 matrix


def fisher_trace(
    model: nn.Module,
    x: torch.Tensor,
    *,
    mode: str = "expected",
    y: torch.Tensor | None = None,
    mc_samples: int = 1,
    chunk_size: int = 64,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> float:
    """tr F = (1/N) sum_i E_y ||grad_w log p_w(y|x_i)||^2, in nats per squared unit of weight.

    ``x``: the inputs, a tensor with a leading batch dimension (N, ...); the model must map them to
    logits (N, K); they are detached first (inputs that require grad give the same numbers).
    ``mode``, ``y``, ``mc_samples`` and ``seed``: see the module docstring (``y``, labels (N,), only
    for ``mode="empirical"``; ``mc_samples`` and ``seed`` only matter for ``mode="sampled"``).
    Equals ``fisher_diagonal(...).sum()``. Cost: N forward and N R backward passes, R = K
    (expected), min(mc_samples, K) (sampled) or 1 (empirical); memory about ``chunk_size`` R P
    numbers. ``progress``: a progress bar over the chunks.
    """
    diagonal = _fisher(
        model, x, "diagonal", mode, y, mc_samples, chunk_size, seed, device, progress
    )
    return float(diagonal.sum())


def fisher_diagonal(
    model: nn.Module,
    x: torch.Tensor,
    *,
    mode: str = "expected",
    y: torch.Tensor | None = None,
    mc_samples: int = 1,
    chunk_size: int = 64,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> np.ndarray:
    """diag F = (1/N) sum_i E_y [g * g] (elementwise square of g = grad_w log p_w(y|x_i)), (P,).

    Float64, in nats per squared unit of each weight, in ``parameters_to_vector`` order of the
    parameters that require grad. Arguments and cost as :func:`fisher_trace`.
    """
    return _fisher(model, x, "diagonal", mode, y, mc_samples, chunk_size, seed, device, progress)


def fisher_matrix(
    model: nn.Module,
    x: torch.Tensor,
    *,
    mode: str = "expected",
    y: torch.Tensor | None = None,
    mc_samples: int = 1,
    chunk_size: int = 64,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> np.ndarray:
    """F = (1/N) sum_i E_y [g g^T], g = grad_w log p_w(y|x_i): a symmetric float64 (P, P) array.

    For small models only: raises ``ValueError`` when P > :data:`MAX_MATRIX_PARAMETERS`. Rows
    and columns follow ``parameters_to_vector`` over the parameters that require grad. Its rank is
    at most N (K - 1) (expected), N min(mc_samples, K - 1) (sampled) or N (empirical). Arguments
    as :func:`fisher_trace`; cost the same plus N R P^2 multiply-adds for the outer products.
    """
    return _fisher(model, x, "matrix", mode, y, mc_samples, chunk_size, seed, device, progress)


def fisher_logdet(
    model: nn.Module,
    x: torch.Tensor,
    *,
    damping: float = 1e-8,
    mode: str = "expected",
    y: torch.Tensor | None = None,
    mc_samples: int = 1,
    chunk_size: int = 64,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> float:
    """log det(F + damping I), natural log (nats, as in the paper's eq. 8), from ``slogdet``.

    ``damping`` >= 0 plays the part of beta / (2 lambda^2 N) in eq. (8): the paper's H there is
    the Hessian of the loss summed over the N training samples, about N F for this F (a mean over
    inputs), and log det(N F + beta / (2 lambda^2) I) = P log N + log det(F + beta / (2 lambda^2 N)
    I) for P parameters. That is the paper's damping, from its proof of Prop. 2.5, which drops
    the 1/2 of the second-order term; the exact second-order minimizer gives beta / (lambda^2 N)
    (see :mod:`infolib.fisher_theory`).
    F is singular for every softmax classifier whose last layer is linear
    and trainable (adding one vector to every row of its weight and one number to every bias
    leaves the softmax unchanged: fan_in + 1 null directions), and its rank is at most N (K - 1)
    (see :func:`fisher_matrix`). Each null direction adds log(damping), so compare
    log-determinants only at the same ``damping``, N and architecture. The default 1e-8 keeps the
    matrix invertible in float64 for ||F|| up to about 1e7.
    With ``damping=0`` the result is ``-inf`` when F is singular (numerical rank below P, as
    ``numpy.linalg.matrix_rank`` counts it), rather than the log of rounding errors. For small
    models only, as :func:`fisher_matrix`; cost that of :func:`fisher_matrix` plus an O(P^3)
    factorization.
    """
    damping = real("damping", damping, minimum=0)
    matrix = _fisher(model, x, "matrix", mode, y, mc_samples, chunk_size, seed, device, progress)
    if damping == 0 and np.linalg.matrix_rank(matrix, hermitian=True) < len(matrix):
        return -math.inf
    sign, logdet = np.linalg.slogdet(matrix + damping * np.eye(len(matrix)))
    return float(logdet) if sign > 0 else -math.inf


def _fisher(model, x, what, mode, y, mc_samples, chunk_size, seed, device, progress) -> np.ndarray:
    """The diagonal (``what="diagonal"``) or the matrix (``"matrix"``) of F, float64 numpy."""
    x, mc_samples, chunk_size, seed = _check_arguments(
        model, x, mode, y, mc_samples, chunk_size, seed
    )
    x = x.detach()  # F is a function of the weights only: no graph back to the inputs
    batch_statistics = [
        name for name, m in model.named_modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is None
    ]
    if batch_statistics:
        raise ValueError(
            f"batch-norm {batch_statistics[0]!r} keeps no running statistics "
            "(track_running_stats=False), so even in eval mode it normalizes each input by the "
            "batch it comes in: the per-input Fisher of such a model is not defined (each input "
            "would be normalized by itself). Use track_running_stats=True"
        )
    device = resolve_device(device)
    trainable = {name: p for name, p in model.named_parameters() if p.requires_grad}
    n_params = sum(p.numel() for p in trainable.values())
    if n_params == 0:
        raise ValueError("model has no parameters with requires_grad=True: F would be empty")
    if what == "matrix" and n_params > MAX_MATRIX_PARAMETERS:
        raise ValueError(
            f"the model has P = {n_params} trainable parameters; the full Fisher matrix is limited "
            f"to P <= {MAX_MATRIX_PARAMETERS} (a P x P float64 array). Use fisher_diagonal or "
            "fisher_trace for larger models"
        )
    params = {name: p.detach().to(device) for name, p in trainable.items()}
    fixed = {
        name: p.detach().to(device) for name, p in model.named_parameters() if name not in params
    }
    fixed.update({name: b.detach().to(device) for name, b in model.named_buffers()})
    dtype = next(iter(params.values())).dtype

    # eval mode; no TF32 on CUDA (1.6e-4 from the CPU's values with it)
    with eval_mode(model), full_precision():
        n_classes = _check_logits(model, params, fixed, x[:chunk_size], dtype, device)
        if mode == "empirical":
            y = class_indices(y, len(x), n_classes)
        per_input = _per_input_gradients(model, fixed, mode, mc_samples, n_classes)
        extras = _mode_data(mode, y, mc_samples, seed, device)
        total = _accumulate(per_input, params, x, extras, what, chunk_size, dtype, device,
                            progress)
    result = (total / len(x)).cpu().numpy()
    if not np.isfinite(result).all():
        raise ValueError(
            "the Fisher is not finite: the model's logits or their gradients overflowed or contain "
            "NaN for some input"
        )
    return result


def _per_input_gradients(model, fixed, mode, mc_samples, n_classes):
    """A function of (params, one input, its mode data) -> {name: (R, *shape)} weighted scores.

    The rows are J^T c_r with the cotangents c_r of the module docstring; ``vmap`` it over inputs.
    """

    def gradients(params, x_one, extra):
        def logits_of(p):
            return functional_call(model, (p, fixed), (x_one.unsqueeze(0),)).squeeze(0)

        logits, pullback = vjp(logits_of, params)
        cotangents = _cotangents(torch.softmax(logits, dim=-1), mode, extra, mc_samples, n_classes)
        (rows,) = vmap(pullback)(cotangents)
        return rows

    return gradients


def _cotangents(p, mode, extra, mc_samples, n_classes):
    """The (R, K) rows c_r in logit space whose sum of c_r c_r^T is the mode's E_y of
    (e_y - p)(e_y - p)^T. ``extra``: nothing (expected), the label (empirical) or the mc_samples
    uniform numbers (sampled)."""
    classes = torch.arange(n_classes, device=p.device)
    if mode == "expected":
        root = p.sqrt()
        return torch.diag_embed(root) - root[:, None] * p[None, :]
    if mode == "empirical":
        return ((classes == extra).to(p.dtype) - p)[None, :]
    cdf = p.to(torch.float64).cumsum(-1)
    labels = (cdf[None, :] <= extra[:, None]).sum(-1).clamp(max=n_classes - 1)
    one_hot = (labels[:, None] == classes[None, :]).to(p.dtype)  # (mc_samples, K)
    if mc_samples < n_classes:
        return (one_hot - p[None, :]) / math.sqrt(mc_samples)
    weight = one_hot.mean(0).sqrt()
    return weight[:, None] * (torch.eye(n_classes, dtype=p.dtype, device=p.device) - p[None, :])


def _mode_data(mode, y, mc_samples, seed, device):
    """A function (start, stop) -> the mode's data for inputs start..stop-1, one row per input:
    nothing (zeros) for expected, the labels for empirical, mc_samples uniform numbers for
    sampled (drawn chunk after chunk from one generator: the same numbers as one
    (N, mc_samples) draw)."""
    rng = np.random.default_rng(seed)

    def data(start: int, stop: int) -> torch.Tensor:
        if mode == "expected":
            return torch.zeros(stop - start, device=device)
        if mode == "empirical":
            return y[start:stop].to(device)
        return torch.from_numpy(rng.random((stop - start, mc_samples))).to(device)

    return data


def _accumulate(per_input, params, x, extras, what, chunk_size, dtype, device, progress):
    """Sum over inputs of the per-input Fisher (or its diagonal), float64 on ``device``."""
    n_params = sum(p.numel() for p in params.values())
    size = (n_params, n_params) if what == "matrix" else (n_params,)
    total = torch.zeros(size, dtype=torch.float64, device=device)
    batched = vmap(per_input, in_dims=(None, 0, 0))
    starts = range(0, len(x), chunk_size)
    if progress and len(starts) > 1:  # imported here: tqdm.auto warns at import without ipywidgets
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="Fisher", leave=False)
    for start in starts:
        stop = min(start + chunk_size, len(x))
        rows = batched(params, _as_input(x[start:stop], dtype, device), extras(start, stop))
        if what == "matrix":  # rows: {name: (B, R, *shape)}
            flat = torch.cat([g.flatten(2) for g in rows.values()], dim=2).flatten(0, 1).double()
            total += flat.T @ flat
        else:
            total += torch.cat([g.square().sum((0, 1)).flatten() for g in rows.values()]).double()
    return total


def _check_arguments(model, x, mode, y, mc_samples, chunk_size, seed):
    """Refuse bad input with a clear error; return x as a tensor, and mc_samples, chunk_size and
    seed as ints."""
    module("model", model)
    x = inputs("x", x)
    one_of("mode", mode, MODES)
    if mode == "empirical" and y is None:
        raise ValueError("y (labels of shape (N,)) is required for mode='empirical'")
    if mode != "empirical" and y is not None:
        raise ValueError(
            f"y is used only by mode='empirical' (the empirical Fisher); mode={mode!r} draws "
            "labels from the model, so pass y=None"
        )
    return (
        x,
        integer("mc_samples", mc_samples, minimum=1),
        integer("chunk_size", chunk_size, minimum=1),
        random_seed("seed", seed),
    )


def _check_logits(model, params, fixed, x_first, dtype, device) -> int:
    """Run the first chunk; the output must be finite logits (B, K) with K >= 2. Returns K."""
    with torch.no_grad(), integer_inputs_named("x", x_first):
        scores = functional_call(model, (params, fixed), (_as_input(x_first, dtype, device),))
    return logits("model", scores, len(x_first))


def _as_input(x: torch.Tensor, dtype, device) -> torch.Tensor:
    """``x`` on ``device``; floating inputs in the parameters' dtype."""
    return x.to(device=device, dtype=dtype if x.is_floating_point() else x.dtype)
