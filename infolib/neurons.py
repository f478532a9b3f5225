"""Information measures of single neurons and of neuron pairs (Bansal, Pruthi & Belinkov, 2022).

- :func:`neuron_entropy`: the entropy of each neuron's activations, binned (the paper's eq. 1),
  over each neuron's own range or over edges shared by all neurons (the authors' code).
- :func:`ksg_mi`: the Kraskov-Stögbauer-Grassberger estimator 1 of I(X;Y) between two 1-D samples
  (Kraskov et al. 2004, eq. 8, max-norm): I = psi(k) + psi(S) - < psi(n_x + 1) + psi(n_y + 1) >.
- :func:`pairwise_mi`: that estimate for every pair of neurons, batched over pairs.

**Units.** The max-norm mixes the two variables' distances, so the raw estimator depends on their
units: for x, y Gaussian with correlation 0.9 (1.20 bits, S = 2000), the raw ``ksg_mi(c * x, y)``
gives 1.23, 1.23, 1.06 and 0.23 bits for c = 1, 10, 100, 1000. By default (``standardize=True``,
as scikit-learn's ``mutual_info_regression``) each variable is first standardized,
``x -> (x - mean(x)) / std(x)`` (population std, each variable alone), which makes the estimate
invariant to rescaling (and shifting) either variable; the mean and std are computed on x
divided by a power of two near max|x| (exact), so that values as small as 1e-300 or as large as
1e300 neither underflow nor overflow. ``standardize=False`` gives the raw estimator, which only
uses differences: on x - min(x) (see Ties).

**Constant variables.** A variable whose samples are all equal (min = max; a dead ReLU) carries
no information, and standardizing it would divide by 0: every pair that involves one gets exactly
0, without running the estimator, in both modes. A variable with any spread, however small, is
estimated.

**Ties.** KSG assumes continuous variables; exact ties (ReLU zeros, discrete values) make its
neighbour counts meaningless. Before estimating, a tiny deterministic jitter is added to each
variable: ``v + 1e-10 * s * u``, with v = (x - mean(x)) / std(x) and s = 1 by default, and for
the raw estimator v = x - min(x) and s = std(x). The shift changes no difference in exact
arithmetic, but keeps a large common offset from rounding the jitter away (ties would survive);
min(x) is one of the samples, so integers with any offset are shifted exactly. ``u`` is a
standard normal vector drawn from
``numpy.random.default_rng(seed)``: the first row of a (2, S) draw for the first variable of a
pair, the second row for the second. A pair (a, b) with a < b in :func:`pairwise_mi` therefore
gets exactly the jitter of ``ksg_mi(acts[:, a], acts[:, b])``.

**The neighbour search.** Each neuron is sorted once. For every point, the max-norm distance to
its k-th neighbour is found by walking outward in x order, nearest x first, until the x distance
alone reaches the current k-th smallest distance (no point further out can be nearer); n_x and
n_y come from binary searches in the sorted values, on distances as the definition states. On the
CPU a compiled kernel (numba) runs the pairs in parallel; on CUDA, torch processes batches of
pairs with a fixed x-order window, certified by the x gap to the first point outside it, then a
window four times wider and at last exhaustive search where it is not. Both give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numba import njit, prange
from scipy import special

from infolib.checks import boolean, integer, log_base, matrix, one_of, random_seed, same_length
from infolib.config import resolve_device

JITTER = 1e-10  # relative to each variable's standard deviation
_ELEMENTS_PER_BATCH = 2**23  # pairs x samples x window held at once (float64), on the CPU
# On CUDA the batch is sized from the free memory: a (pairs, samples, window) float64 block needs
# about five temporaries at its peak (differences, absolute values, their maximum, the selection's
# copy); 80 bytes per element and half of the free memory leave room for the rest.
_CUDA_BYTES_PER_ELEMENT = 80
_CUDA_MEMORY_SHARE = 0.5


def neuron_entropy(
    acts, *, bins: int = 100, base: float = 2, binning: str = "neuron"
) -> np.ndarray:
    """Entropy of each neuron's binned activations, H = -sum_b p_b log p_b (eq. 1), in log ``base``.

    ``acts``: (samples S, neurons N). ``binning="neuron"``: each neuron is binned into ``bins``
    equal-width bins over its own [min, max]. ``binning="global"``: one set of ``bins``
    equal-width bins over the [min, max] of all values in ``acts``, shared by every neuron (as
    Bansal et al.'s code does with the pooled pre-activations of all hidden layers), so a neuron
    whose values span a small part of the range falls into few bins and has low entropy. In both,
    the edges are ``np.linspace(min, max, bins + 1)`` and bins are half-open [e_j, e_{j+1})
    except the last, which holds its right edge: each neuron's counts equal those of
    ``np.histogram`` on the same range, values lying exactly on an edge included (quantised or
    saturated activations), where a plain ``floor((x - min) / (max - min) * bins)`` can be off
    by one bin. A constant neuron has entropy 0. At most log(bins). Cost: O(S N).
    """
    acts = _as_matrix(acts, "acts", min_neurons=1)
    bins = integer("bins", bins, minimum=1)
    base = log_base(base)
    one_of("binning", binning, ("neuron", "global"))
    n_samples, n_neurons = acts.shape
    if binning == "neuron":
        index = np.empty(acts.shape, dtype=np.int64)
        for j, column in enumerate(acts.T):
            index[:, j] = _bin_index(column, column.min(), column.max(), bins)
    else:
        index = _bin_index(acts, acts.min(), acts.max(), bins)
    counts = np.bincount((index + bins * np.arange(n_neurons)).ravel(), minlength=bins * n_neurons)
    p = counts.reshape(n_neurons, bins) / n_samples
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    return entropy / math.log(base)


def _bin_index(values: np.ndarray, low: float, high: float, bins: int) -> np.ndarray:
    """Bin of each value, as ``np.histogram(values, bins, range=(low, high))`` counts it.

    The edges are ``np.linspace(low, high, bins + 1)``; a value's bin is first estimated as
    ``floor((x - low) / (high - low) * bins)``, then moved by one where that estimate disagrees
    with the edges (``x < e_i`` or ``x >= e_{i+1}``), as numpy does: the estimate can be off by
    one for a value lying exactly on an interior edge (quantised or saturated activations). Bins
    are half-open [e_i, e_{i+1}) except the last, which holds ``high``. ``high == low`` (a
    constant neuron) puts every value in bin 0; a range wider than the largest float (1.8e308)
    is an error. Memory: that of ``values`` plus ``bins`` edges.
    """
    if high <= low:
        return np.zeros(values.shape, dtype=np.int64)
    if math.isinf(float(high) - float(low)):  # Python floats: inf, without numpy's warning
        raise ValueError(f"acts: the range of values to bin, {low} to {high}, is wider than the "
                         "largest float64; rescale the activations")
    edges = np.linspace(low, high, bins + 1)
    index = ((values - low) / (high - low) * bins).astype(np.int64)
    index[index == bins] -= 1
    index -= values < edges[index]
    index += (values >= edges[index + 1]) & (index != bins - 1)
    return index


def ksg_mi(
    x, y, *, k: int = 3, base: float = 2, seed: int = 0, standardize: bool = True
) -> float:
    """KSG estimate (estimator 1, max-norm) of I(X;Y) from paired 1-D samples, in log ``base``.

    I = psi(k) + psi(S) - < psi(n_x + 1) + psi(n_y + 1) > nats (Kraskov et al. 2004, eq. 8),
    divided by ln(base): bits by default. Not clipped: it can be slightly negative for independent
    variables. ``standardize``: map each variable to (x - mean) / std first (default; the
    estimate then does not depend on the units), or not (the raw estimator); see the module
    docstring, which also says how ties and constant variables (MI exactly 0) are handled.
    Cost: about O(S sqrt(k S)) for independent variables, less for dependent ones, but up to
    quadratic with a large tie group in x (ReLU zeros, discrete values): the walk in x order
    cannot stop inside a group whose jittered values lie within 1e-10 std of each other.
    """
    if np.ndim(x) != 1 or np.ndim(y) != 1:
        raise ValueError(f"x and y must be 1-D samples, got shapes {tuple(np.shape(x))} and "
                         f"{tuple(np.shape(y))}")
    same_length("x", x, "y", y)
    # each checked alone (bools refused): np.c_ would turn a bool next to a float into 0/1
    x, y = (matrix(name, [v], columns="samples")[0] for name, v in (("x", x), ("y", y)))
    pair = _as_matrix(np.c_[x, y], "x and y", min_neurons=2)
    return float(
        pairwise_mi(pair, k=k, base=base, seed=seed, device="cpu", standardize=standardize)[0, 1]
    )


def pairwise_mi(
    acts,
    *,
    k: int = 3,
    base: float = 2,
    seed: int = 0,
    device: str | torch.device = "auto",
    standardize: bool = True,
) -> np.ndarray:
    """KSG mutual information of every pair of neurons: a symmetric (N, N) array, NaN diagonal.

    ``acts``: (samples S, neurons N). Entry (a, b) equals ``ksg_mi(acts[:, a], acts[:, b], k=k,
    base=base, seed=seed, standardize=standardize)`` for a < b (the same standardization and
    jitter), in log ``base`` (bits by default); 0 where either neuron is constant. Each neuron is
    sorted once; the pairs are then processed by a compiled kernel in parallel on the CPU, or in
    batches with torch on CUDA. Cost: N (N - 1) / 2 pairs of about S sqrt(k S) operations each
    (more with large tie groups, see :func:`ksg_mi`).
    """
    acts = _as_matrix(acts, "acts", min_neurons=2)
    n_samples, n_neurons = acts.shape
    k = _check_k(k, n_samples)
    base = log_base(base)
    seed = random_seed("seed", seed)
    standardize = boolean("standardize", standardize)
    device = resolve_device(device)
    values, scale, constant = _prepared(acts, standardize)  # (N, S), (N, 1), (N,)
    noise = _noise(n_samples, seed)
    first = values + JITTER * scale * noise[0]  # each neuron as a pair's first variable
    second = values + JITTER * scale * noise[1]  # ... and as a pair's second variable
    rows, cols = np.triu_indices(n_neurons, k=1)
    live = ~(constant[rows] | constant[cols])
    nats = np.zeros(len(rows))  # a pair with a constant neuron: exactly 0
    if device.type == "cuda":
        nats[live] = _pairs_torch(first, second, rows[live], cols[live], k, device)
    else:
        nats[live] = _pairs_compiled(first, second, rows[live], cols[live], k)
    result = np.full((n_neurons, n_neurons), np.nan)
    result[rows, cols] = result[cols, rows] = nats / math.log(base)
    return result


def _pairs_compiled(first, second, rows, cols, k) -> np.ndarray:
    """KSG in nats of the pairs (first[rows[i]], second[cols[i]]) with the compiled kernel."""
    n_samples = first.shape[1]
    first_order = np.argsort(first, axis=1, kind="stable")
    first_sorted = np.take_along_axis(first, first_order, axis=1)
    second_order = np.argsort(second, axis=1, kind="stable")
    second_sorted = np.take_along_axis(second, second_order, axis=1)
    second_rank = np.empty_like(second_order)
    np.put_along_axis(second_rank, second_order, np.arange(n_samples)[None], axis=1)
    table = special.digamma(np.arange(1, n_samples + 1, dtype=np.float64))  # psi(n + 1)
    sums = _ksg_digamma_sums(
        first_sorted,
        first_order,
        second,
        second_sorted,
        second_rank,
        rows.astype(np.int64),
        cols.astype(np.int64),
        k,
        table,
    )
    return special.digamma(k) + special.digamma(n_samples) - sums / n_samples


def _pairs_torch(first, second, rows, cols, k, device) -> np.ndarray:
    """The same as :func:`_pairs_compiled`, in batches of pairs with torch (for CUDA)."""
    first = torch.from_numpy(first).to(device)
    second = torch.from_numpy(second).to(device)
    first_order = first.argsort(dim=1)
    first_sorted = first.gather(1, first_order)
    second_sorted = second.sort(dim=1).values
    n_samples = first.shape[1]
    window = _window(k, n_samples)
    batch = max(1, _elements_per_batch(device) // (n_samples * (2 * window + 1)))
    nats = np.empty(len(rows))
    for start in range(0, len(rows), batch):
        a = torch.from_numpy(rows[start : start + batch]).to(device)
        b = torch.from_numpy(cols[start : start + batch]).to(device)
        y_in_x_order = second[b].gather(1, first_order[a])
        values = _ksg_sorted(first_sorted[a], y_in_x_order, second_sorted[b], k)
        nats[start : start + batch] = values.cpu().numpy()
    return nats


def _elements_per_batch(device) -> int:
    """Elements of a (pairs, samples, window) block the torch path holds at once on ``device``:
    a fixed 2**23 on the CPU; on CUDA, half the free memory at 80 bytes an element."""
    device = torch.device(device)
    if device.type != "cuda":
        return _ELEMENTS_PER_BATCH
    free_bytes, _ = torch.cuda.mem_get_info(device)
    return max(_ELEMENTS_PER_BATCH, int(free_bytes * _CUDA_MEMORY_SHARE) // _CUDA_BYTES_PER_ELEMENT)


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


def _kth_neighbour_distance(xs: torch.Tensor, ys: torch.Tensor, k: int,
                            half_widths: tuple[int, ...] | None = None) -> torch.Tensor:
    """Max-norm distance from every point to its k-th nearest other point, (P, S); xs sorted.

    Each point looks first at the h nearest points on each side in x order (``half_widths[0]``,
    default w = sqrt(k S)). Its k-th distance eps there is certified when the x gap to the first
    point outside the window is at least eps: no point outside can be nearer. A point that is not
    certified looks again with the next half-width (default 4 w), then at every point.
    """
    n_pairs, n_samples = xs.shape
    if half_widths is None:
        w = _window(k, n_samples)
        half_widths = (w, 4 * w)
    half_widths = [min(h, n_samples - 1) for h in half_widths]
    pad = max(half_widths) + 1
    inf = torch.full((n_pairs, pad), math.inf, dtype=xs.dtype, device=xs.device)
    x_pad = torch.cat([-inf, xs, inf], dim=1)  # xs[:, i] is x_pad[:, pad + i]
    y_pad = torch.cat([torch.zeros_like(inf), ys, torch.zeros_like(inf)], dim=1)

    h = half_widths[0]  # every point at once: (P, S, 2h + 1) windows
    x_win = x_pad[:, pad - h : pad + n_samples + h].unfold(1, 2 * h + 1, 1)
    y_win = y_pad[:, pad - h : pad + n_samples + h].unfold(1, 2 * h + 1, 1)
    dist = torch.maximum((x_win - xs[..., None]).abs(), (y_win - ys[..., None]).abs())
    eps = _kth_smallest(dist, k + 1)  # the point itself is the nearest, at 0
    del x_win, y_win, dist
    gap = torch.minimum(xs - x_pad[:, pad - h - 1 : pad - h - 1 + n_samples],
                        x_pad[:, pad + h + 1 : pad + h + 1 + n_samples] - xs)
    pair, point = torch.nonzero(gap < eps, as_tuple=True)

    for h in half_widths[1:]:  # the uncertified points, with a wider window
        offsets = torch.arange(-h, h + 1, device=xs.device)
        chunk = max(1, _elements_per_batch(xs.device) // (2 * h + 1))
        uncertified = []
        for start in range(0, len(pair), chunk):
            p, i = pair[start : start + chunk], point[start : start + chunk]
            columns = pad + i[:, None] + offsets
            x, y = xs[p, i], ys[p, i]
            dist = torch.maximum((x_pad[p[:, None], columns] - x[:, None]).abs(),
                                 (y_pad[p[:, None], columns] - y[:, None]).abs())
            eps[p, i] = _kth_smallest(dist, k + 1)
            gap = torch.minimum(x - x_pad[p, pad + i - h - 1], x_pad[p, pad + i + h + 1] - x)
            uncertified.append(gap < eps[p, i])
        if uncertified:
            keep = torch.cat(uncertified)
            pair, point = pair[keep], point[keep]

    chunk = max(1, _elements_per_batch(xs.device) // n_samples)
    for start in range(0, len(pair), chunk):  # exhaustive search where no window is enough
        p, i = pair[start : start + chunk], point[start : start + chunk]
        dist = torch.maximum((xs[p] - xs[p, i][:, None]).abs(), (ys[p] - ys[p, i][:, None]).abs())
        eps[p, i] = _kth_smallest(dist, k + 1)
    return eps


def _kth_smallest(values: torch.Tensor, k: int) -> torch.Tensor:
    """The k-th smallest entry along the last dimension (ties counted). On the CPU ``topk`` is
    7.5x faster than ``kthvalue`` for a small k; on an H100 ``kthvalue`` is (0.15 against 0.19 ms
    per pair at S = 10,000, benchmarks/bench_pairwise_mi.py --kernels)."""
    if values.device.type == "cuda":
        return values.kthvalue(k, dim=-1).values
    return values.topk(k, dim=-1, largest=False, sorted=True).values[..., -1]


def _count_within(sorted_values: torch.Tensor, centres: torch.Tensor, radius: torch.Tensor):
    """Number of other points at distance ``abs(v - centre) < radius`` of each centre, float (P, S).

    Each centre is one of the ``sorted_values`` of its row. As in the compiled kernel's
    :func:`_count_closer`, two binary searches compare the distances themselves with the radius
    (not the values with the rounded ``centre +- radius``), so that a tie group lying exactly at
    the radius is counted as the definition says; radius 0 counts no point.
    """
    n_samples = sorted_values.shape[1]

    def first_where(condition):  # first index with condition true; false then true along a row
        low = torch.zeros_like(centres, dtype=torch.long)
        high = torch.full_like(low, n_samples)
        for _ in range(n_samples.bit_length()):
            middle = (low + high) // 2
            value = sorted_values.gather(1, middle.clamp(max=n_samples - 1))
            right = (low < high) & ~condition(value)
            low = torch.where(right, middle + 1, low)
            high = torch.where(right, high, middle)
        return low

    beyond = first_where(lambda v: v - centres >= radius)  # the first point past the radius
    within = first_where(lambda v: centres - v < radius)  # the first point inside it
    return torch.where(radius > 0, beyond - within - 1, 0).to(sorted_values.dtype)


def _window(k: int, n_samples: int) -> int:
    return min(n_samples, max(2 * k, math.ceil(math.sqrt(k * n_samples))))


def _noise(n_samples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((2, n_samples))


def _prepared(acts: np.ndarray, standardize: bool):
    """Each neuron of ``acts`` (S, N) as a row, prepared for the estimator, with its jitter scale.

    Returns ``values`` (N, S): (x - mean) / std per neuron if ``standardize``, else x - min(x)
    (the raw estimator only uses differences); ``scale`` (N, 1): the std the jitter is relative
    to (1 after standardization); ``constant`` (N,): the neurons whose samples are all equal
    (min = max; left unscaled, their pairs are not estimated). The mean and std are computed on
    x / 2**e, e such that max|x / 2**e| is in [1, 2), and scaled back: exact, without underflow
    or overflow. Each neuron's are computed alone, on a contiguous row, so that it gets bit for
    bit the same values whether it comes in a pair (``ksg_mi``) or inside a matrix.
    """
    values = np.ascontiguousarray(acts.T)
    constant = values.min(axis=1) == values.max(axis=1)
    if not standardize:
        values = values - values.min(axis=1, keepdims=True)
    power = np.ldexp(1.0, np.frexp(np.abs(values).max(axis=1))[1] - 1)[:, None]
    scaled = values / power
    std = np.array([row.std() for row in scaled])[:, None]
    std[constant] = 1.0
    if standardize:
        mean = np.array([row.mean() for row in scaled])[:, None]
        return (scaled - mean) / std, np.ones_like(std), constant
    scale = std * power
    if not (np.isfinite(values).all() and np.isfinite(scale).all()):
        raise ValueError("acts: a neuron's range or standard deviation overflows float64 (raw "
                         "estimator, standardize=False); rescale it")
    return values, scale, constant


def _as_matrix(acts, name: str, min_neurons: int) -> np.ndarray:
    return matrix(name, acts, columns="neurons", min_rows=2, min_columns=min_neurons)


def _check_k(k, n_samples: int) -> int:
    k = integer("k", k, minimum=1)
    if k >= n_samples:
        raise ValueError(f"k must be smaller than the number of samples ({n_samples}), got {k}")
    return k


@njit(cache=True)
def _kth_distance(xs, ys, p, k, best):
    """Max-norm distance from point ``p`` to its k-th nearest other point; ``xs`` sorted.

    Walks outward in x order, nearest x first, and stops once the x distance alone reaches the
    current k-th smallest distance: no point further out in x can be nearer.
    """
    best[:] = np.inf  # the k smallest distances so far, ascending
    n = xs.shape[0]
    left, right = p - 1, p + 1
    while True:
        to_left = xs[p] - xs[left] if left >= 0 else np.inf
        to_right = xs[right] - xs[p] if right < n else np.inf
        if to_left <= to_right:
            dx, j = to_left, left
            left -= 1
        else:
            dx, j = to_right, right
            right += 1
        if dx >= best[k - 1]:  # also ends the walk when both sides are exhausted (inf >= inf)
            return best[k - 1]
        d = max(dx, abs(ys[j] - ys[p]))
        if d < best[k - 1]:
            t = k - 1
            while t > 0 and best[t - 1] > d:
                best[t] = best[t - 1]
                t -= 1
            best[t] = d


@njit(cache=True)
def _count_closer(values, q, eps):
    """Number of j != q with |values[j] - values[q]| < eps; ``values`` sorted (binary search)."""
    centre = values[q]
    low, high = q + 1, values.shape[0]  # first j > q at distance >= eps
    while low < high:
        middle = (low + high) // 2
        if values[middle] - centre >= eps:
            high = middle
        else:
            low = middle + 1
    count = low - q - 1
    low, high = 0, q  # first j < q at distance < eps
    while low < high:
        middle = (low + high) // 2
        if centre - values[middle] < eps:
            high = middle
        else:
            low = middle + 1
    return count + q - low


@njit(parallel=True, cache=True)
def _ksg_digamma_sums(
    first_sorted, first_order, second, second_sorted, second_rank, rows, cols, k, table
):
    """sum_i psi(n_x(i) + 1) + psi(n_y(i) + 1) of every pair, ``table[n] = psi(n + 1)``."""
    n_pairs, n_samples = rows.shape[0], first_sorted.shape[1]
    sums = np.empty(n_pairs)
    for i in prange(n_pairs):
        a, b = rows[i], cols[i]
        xs = first_sorted[a]
        ys = np.empty(n_samples)  # the second variable in the first one's order
        for p in range(n_samples):
            ys[p] = second[b, first_order[a, p]]
        best = np.empty(k)
        total = 0.0
        for p in range(n_samples):
            eps = _kth_distance(xs, ys, p, k, best)
            n_x = _count_closer(xs, p, eps)
            n_y = _count_closer(second_sorted[b], second_rank[b, first_order[a, p]], eps)
            total += table[n_x] + table[n_y]
        sums[i] = total
    return sums
