"""Information measures of single neurons and of neuron pairs (Bansal, Pruthi & Belinkov, 2022).

- :func:`neuron_entropy`: the entropy of each neuron's activations, binned (the paper's eq. 1).
- :func:`ksg_mi`: the Kraskov-Stögbauer-Grassberger estimator 1 of I(X;Y) between two 1-D samples
  (Kraskov et al. 2004, eq. 8, max-norm): I = psi(k) + psi(S) - < psi(n_x + 1) + psi(n_y + 1) >.
- :func:`pairwise_mi`: that estimate for every pair of neurons, batched over pairs.

**Ties.** KSG assumes continuous variables; exact ties (ReLU zeros, discrete values) make its
neighbour counts meaningless. Before estimating, a tiny deterministic jitter is added to each
variable: ``x + 1e-10 * std(x) * u`` (``std`` replaced by 1 for a constant variable), where ``u`` is
a standard normal vector drawn from ``numpy.random.default_rng(seed)``: the first row of a (2, S)
draw for the first variable of a pair, the second row for the second. A pair (a, b) with a < b in
:func:`pairwise_mi` therefore gets exactly the jitter of ``ksg_mi(acts[:, a], acts[:, b])``.
Nothing else is rescaled.

**The neighbour search.** For every point the distance to its k-th neighbour in the max-norm is
found among the ``2w`` points nearest in x order (w about sqrt(k S)); it is exact whenever the gap
in x to the first point outside that window is at least that distance (a point outside cannot be
nearer), and the few points where it is not are searched exhaustively. Counts n_x and n_y come from
binary search in each neuron's sorted values, which :func:`pairwise_mi` sorts once per neuron.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import special

from infolib.config import resolve_device

JITTER = 1e-10  # relative to each variable's standard deviation
_ELEMENTS_PER_BATCH = 2**23  # pairs x samples x window held at once (float64)


def neuron_entropy(acts, bins: int = 100, base: float = 2) -> np.ndarray:
    """Entropy of each neuron's binned activations, H = -sum_b p_b log p_b (eq. 1), in log ``base``.

    ``acts``: (samples S, neurons N). Each neuron is binned into ``bins`` equal-width bins over its
    own [min, max]; a constant neuron has entropy 0. At most log(bins). Cost: O(S N).
    """
    acts = _as_matrix(acts, "acts", min_neurons=1)
    if not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive int, got {bins!r}")
    _check_base(base)
    n_samples, n_neurons = acts.shape
    low, high = acts.min(axis=0), acts.max(axis=0)
    width = np.where(high > low, high - low, 1.0)
    index = np.clip(((acts - low) / width * bins).astype(np.int64), 0, bins - 1)
    counts = np.bincount((index + bins * np.arange(n_neurons)).ravel(), minlength=bins * n_neurons)
    p = counts.reshape(n_neurons, bins) / n_samples
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    return entropy / math.log(base)


def ksg_mi(x, y, k: int = 3, base: float = 2, seed: int = 0) -> float:
    """KSG estimate (estimator 1, max-norm) of I(X;Y) from paired 1-D samples, in log ``base``.

    Raw: it can be slightly negative for independent variables. Ties are broken by the jitter
    described in the module docstring. Cost: about O(S sqrt(k S)).
    """
    x = _as_matrix(np.asarray(x, dtype=float).reshape(-1, 1) if np.ndim(x) == 1 else x, "x", 1)
    y = _as_matrix(np.asarray(y, dtype=float).reshape(-1, 1) if np.ndim(y) == 1 else y, "y", 1)
    if x.shape[1] != 1 or y.shape[1] != 1:
        raise ValueError(f"x and y must be 1-D samples, got shapes {x.shape} and {y.shape}")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    _check_k(k, len(x))
    _check_base(base)
    noise = _noise(len(x), seed)
    first = torch.from_numpy(_jittered(x[:, 0], noise[0]))[None]
    second = torch.from_numpy(_jittered(y[:, 0], noise[1]))[None]
    order = first.argsort(dim=1)
    nats = _ksg_sorted(
        first.gather(1, order), second.gather(1, order), second.sort(dim=1).values, k
    )
    return float(nats[0]) / math.log(base)


def pairwise_mi(
    acts, k: int = 3, base: float = 2, seed: int = 0, device: str | torch.device = "auto"
) -> np.ndarray:
    """KSG mutual information of every pair of neurons: a symmetric (N, N) array, NaN diagonal.

    ``acts``: (samples S, neurons N). Entry (a, b) equals ``ksg_mi(acts[:, a], acts[:, b], k,
    base, seed)`` for a < b (the jitter is the same). Pairs are processed in batches on ``device``;
    each neuron is sorted once. Cost: about N^2/2 * S sqrt(k S) operations.
    """
    acts = _as_matrix(acts, "acts", min_neurons=2)
    n_samples, n_neurons = acts.shape
    _check_k(k, n_samples)
    _check_base(base)
    device = resolve_device(device)
    noise = _noise(n_samples, seed)
    first = torch.from_numpy(_jittered(acts, noise[0][:, None]).T.copy()).to(device)  # (N, S)
    second = torch.from_numpy(_jittered(acts, noise[1][:, None]).T.copy()).to(device)
    first_order = first.argsort(dim=1)
    first_sorted = first.gather(1, first_order)
    second_sorted = second.sort(dim=1).values

    rows, cols = np.triu_indices(n_neurons, k=1)
    window = _window(k, n_samples)
    batch = max(1, _ELEMENTS_PER_BATCH // (n_samples * (2 * window + 1)))
    values = np.empty(len(rows))
    for start in range(0, len(rows), batch):
        a = torch.from_numpy(rows[start : start + batch]).to(device)
        b = torch.from_numpy(cols[start : start + batch]).to(device)
        y_in_x_order = second[b].gather(1, first_order[a])
        nats = _ksg_sorted(first_sorted[a], y_in_x_order, second_sorted[b], k)
        values[start : start + batch] = nats.cpu().numpy()
    result = np.full((n_neurons, n_neurons), np.nan)
    result[rows, cols] = result[cols, rows] = values / math.log(base)
    return result


def _ksg_sorted(xs: torch.Tensor, ys: torch.Tensor, y_sorted: torch.Tensor, k: int) -> torch.Tensor:
    """KSG estimate in nats for P pairs: ``xs`` (P, S) sorted, ``ys`` the matching y values,
    ``y_sorted`` (P, S) the y values sorted (for counting)."""
    n_samples = xs.shape[1]
    eps = _kth_neighbour_distance(xs, ys, k)
    n_x = _count_within(xs, xs, eps)
    n_y = _count_within(y_sorted, ys, eps)
    digamma = torch.special.digamma
    mean = (digamma(n_x + 1.0) + digamma(n_y + 1.0)).mean(dim=1)
    return float(special.digamma(k) + special.digamma(n_samples)) - mean


def _kth_neighbour_distance(xs: torch.Tensor, ys: torch.Tensor, k: int) -> torch.Tensor:
    """Max-norm distance from every point to its k-th nearest other point, (P, S); xs sorted."""
    n_pairs, n_samples = xs.shape
    w = _window(k, n_samples)
    inf = torch.full((n_pairs, w + 1), math.inf, dtype=xs.dtype, device=xs.device)
    zero = torch.zeros_like(inf)
    x_pad = torch.cat([-inf, xs, inf], dim=1)  # w + 1 on each side
    y_pad = torch.cat([zero, ys, zero], dim=1)
    x_win = x_pad[:, 1:-1].unfold(1, 2 * w + 1, 1)  # (P, S, 2w + 1), centred on each point
    y_win = y_pad[:, 1:-1].unfold(1, 2 * w + 1, 1)
    dist = torch.maximum((x_win - xs[..., None]).abs(), (y_win - ys[..., None]).abs())
    eps = dist.kthvalue(k + 1, dim=2).values  # the point itself is the nearest, at 0
    # A point outside the window is at least this far away in x alone.
    gap = torch.minimum(xs - x_pad[:, :n_samples], x_pad[:, 2 * w + 2 :] - xs)
    pair, point = torch.nonzero(gap < eps, as_tuple=True)
    chunk = max(1, _ELEMENTS_PER_BATCH // n_samples)
    for start in range(0, len(pair), chunk):  # exhaustive search where the window is not enough
        p, i = pair[start : start + chunk], point[start : start + chunk]
        dist = torch.maximum((xs[p] - xs[p, i][:, None]).abs(), (ys[p] - ys[p, i][:, None]).abs())
        eps[p, i] = dist.kthvalue(k + 1, dim=1).values
    return eps


def _count_within(sorted_values: torch.Tensor, centres: torch.Tensor, radius: torch.Tensor):
    """Number of other points at distance |v - centre| < radius of each centre, float (P, S).

    Binary search finds the bounds of (centre - radius, centre + radius); ``centre + radius`` is
    rounded, so the one value on each side of each bound is re-checked on its distance, as the
    definition says (the k-th neighbour itself lies exactly at the radius on one axis).
    """
    last = sorted_values.shape[1] - 1

    def distance_at(index):
        values = sorted_values.gather(1, index.clamp(0, last))
        return (values - centres).abs()

    upper = torch.searchsorted(sorted_values, centres + radius, right=False)
    upper = upper - ((upper > 0) & (distance_at(upper - 1) >= radius)).long()
    upper = upper + ((upper <= last) & (distance_at(upper) < radius)).long()
    lower = torch.searchsorted(sorted_values, centres - radius, right=True)
    lower = lower + ((lower <= last) & (distance_at(lower) >= radius)).long()
    lower = lower - ((lower > 0) & (distance_at(lower - 1) < radius)).long()
    return (upper - lower - 1).to(sorted_values.dtype)


def _window(k: int, n_samples: int) -> int:
    return min(n_samples, max(2 * k, math.ceil(math.sqrt(k * n_samples))))


def _noise(n_samples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((2, n_samples))


def _jittered(values: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """``values + JITTER * std * noise`` per column; each column's std is computed alone, so that a
    column gets bit for bit the same jitter whether it comes alone (1-D) or inside a matrix."""
    columns = values.reshape(len(values), -1).T
    scale = np.array([column.std() for column in columns]).reshape(values.shape[1:])
    scale = np.where(scale > 0, scale, 1.0)
    return values + JITTER * scale * noise


def _as_matrix(acts, name: str, min_neurons: int) -> np.ndarray:
    if isinstance(acts, torch.Tensor):
        acts = acts.detach().cpu().numpy()
    acts = np.asarray(acts)
    if acts.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples, neurons), got shape {acts.shape}")
    if not np.issubdtype(acts.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {acts.dtype}")
    acts = acts.astype(np.float64)
    if not np.isfinite(acts).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if acts.shape[1] < min_neurons:
        raise ValueError(
            f"{name} must have at least {min_neurons} neuron(s) (columns), got {acts.shape[1]}"
        )
    if acts.shape[0] < 2:
        raise ValueError(f"{name} must have at least 2 samples (rows), got {acts.shape[0]}")
    return acts


def _check_k(k: int, n_samples: int) -> None:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if k >= n_samples:
        raise ValueError(f"k must be smaller than the number of samples ({n_samples}), got {k}")


def _check_base(base: float) -> None:
    if base <= 1:
        raise ValueError(f"base must be > 1, got {base!r}")
