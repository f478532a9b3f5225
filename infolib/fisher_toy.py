"""The one-dimensional toy of Achille, Paolini and Soatto ("Where is the information in a deep
network?", sec. 4, Fig. 3): SGD on a redundant parametrization, and the information its end points
hold about the dataset.

A dataset is N points x_i ~ N(mu, 1) with mu ~ U[-1, 1]; the loss is
L_D(theta) = (1/N) sum_i (x_i - phi(theta))^2 with the fixed redundant parametrization

    phi(theta) = A sin(f sign(theta) log(1 + abs(theta))),   A = 1.5, f = 6,

a sine in log abs(theta): every value of [-A, A] is reached again and again (many minima of equal
loss), and abs(phi'(theta)) <= A f / (1 + abs(theta)) (minima flatter away from the origin). For the
model x ~ N(phi(theta), 1), N points carry the Fisher information F(theta) = N phi'(theta)^2
(nats per squared unit of theta), whatever the data.

Everything here is in nats. Functions are vectorized over datasets and runs (numpy).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special, stats

from infolib.checks import integer, real

AMPLITUDE, FREQUENCY = 1.5, 6.0
FISHER_FLOOR = 1e-12  # an end point at an extremum of phi (phi' = 0) keeps a finite width


def phi(theta):
    """The redundant parametrization: A sin(f sign(theta) log(1 + abs(theta)))."""
    theta = np.asarray(theta, dtype=float)
    return AMPLITUDE * np.sin(FREQUENCY * np.sign(theta) * np.log1p(np.abs(theta)))


def phi_prime(theta):
    """d phi / d theta = A f cos(f sign(theta) log(1 + abs(theta))) / (1 + abs(theta))."""
    theta = np.asarray(theta, dtype=float)
    angle = FREQUENCY * np.sign(theta) * np.log1p(np.abs(theta))
    return AMPLITUDE * FREQUENCY * np.cos(angle) / (1 + np.abs(theta))


def fisher(theta, n_points: int):
    """F(theta) = N phi'(theta)^2 for N points of x ~ N(phi(theta), 1), floored at 1e-12."""
    n_points = integer("n_points", n_points, minimum=1)
    return np.maximum(n_points * phi_prime(theta) ** 2, FISHER_FLOOR)


def basin(theta):
    """Index of the basin of the loss that holds theta: the loss's maxima (for any dataset whose
    mean lies inside (-A, A)) are the extrema of phi, at f sign(theta) log(1 + abs(theta)) =
    pi/2 + k pi, so the basins are the intervals between consecutive extrema. An SGD run has
    escaped its basin when this index changes."""
    theta = np.asarray(theta, dtype=float)
    angle = FREQUENCY * np.sign(theta) * np.log1p(np.abs(theta))
    return np.floor((angle - np.pi / 2) / np.pi).astype(int)


def minimum_near(target: float, x_mean: float) -> float:
    """The minimum of the loss of a dataset with mean ``x_mean`` (abs(x_mean) < A) in the basin of
    ``target``: the theta of that basin where phi(theta) = x_mean (found by bisection)."""
    x_mean = real("x_mean", x_mean)
    if abs(x_mean) >= AMPLITUDE:
        raise ValueError(f"x_mean must lie in (-{AMPLITUDE}, {AMPLITUDE}), got {x_mean}")
    k = int(basin(target))
    lo_angle, hi_angle = np.pi / 2 + k * np.pi, np.pi / 2 + (k + 1) * np.pi

    def theta_of(angle):
        return np.sign(angle) * np.expm1(np.abs(angle) / FREQUENCY)

    lo, hi = theta_of(lo_angle), theta_of(hi_angle)
    f_lo = phi(lo) - x_mean
    for _ in range(200):  # phi is monotone between two extrema
        mid = 0.5 * (lo + hi)
        f_mid = phi(mid) - x_mean
        if np.sign(f_mid) == np.sign(f_lo):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return float(0.5 * (lo + hi))


def sgd(x, theta0, *, batch_size: int, lr: float, steps: int, rng, shift: float = 0.0):
    """SGD on each dataset's loss, every (dataset, run) at once; returns the final theta.

    ``x`` (datasets, N) the datasets; ``theta0`` (datasets, runs) the starting points. Each step
    draws, for every run, a mini-batch of ``batch_size`` indices with replacement (``batch_size``
    = N: the whole dataset, plain gradient descent) and moves theta by
    -lr * d/dtheta mean_batch (x - phi(theta))^2. ``rng`` (a numpy Generator) draws the mini-batches;
    the same seed draws the same ones, so a run on the shifted datasets ``x + shift`` (``shift`` a
    number) sees the same noise: d theta* / d mean(x) by finite differences."""
    x = np.asarray(x, dtype=float) + shift
    theta = np.array(theta0, dtype=float, copy=True)
    if x.ndim != 2 or theta.ndim != 2 or theta.shape[0] != x.shape[0]:
        raise ValueError(f"x must be (datasets, N) and theta0 (datasets, runs), got {x.shape} and "
                         f"{theta.shape}")
    n_sets, n_points = x.shape
    n_runs = theta.shape[1]
    batch_size = integer("batch_size", batch_size, minimum=1)
    steps = integer("steps", steps, minimum=0)
    lr = real("lr", lr, above=0)
    full = batch_size == n_points
    means = x.mean(axis=1, keepdims=True)
    rows = np.arange(n_sets)[:, None, None]
    for _ in range(steps):
        if full:
            batch_mean = means
        else:
            picks = rng.integers(0, n_points, (n_sets, n_runs, batch_size))
            batch_mean = x[rows, picks].mean(axis=2)
        theta -= lr * (-2.0 * (batch_mean - phi(theta)) * phi_prime(theta))
    return theta


def _log_normal(w, mean, std):
    return -0.5 * ((w - mean) / std) ** 2 - np.log(std) - 0.5 * np.log(2 * np.pi)


def shannon_information(theta, std, *, rng, draws: int = 32, chunk: int = 2048):
    """I(D; w) = E_D KL(Q(w|D) || Q(w)) in nats, by Monte Carlo.

    ``theta`` (datasets, runs): the end points of several runs on each dataset; ``std`` (same
    shape): the width of each end point's Gaussian (for the toy, the Cramér-Rao width
    1 / sqrt(F(theta))). Q(w|D_j) is the mixture over its runs of N(theta_jr, std_jr^2) (the
    paper's Q(w|D) = N(w*, F^-1), averaged over what else the end point depends on: the start
    and the mini-batches); Q(w) is the mixture over every dataset and run. ``draws`` samples of
    Q(w|D_j) per dataset; log Q(w|D_j) and log Q(w) are evaluated exactly (log-sum-exp)."""
    theta = np.asarray(theta, dtype=float)
    std = np.asarray(std, dtype=float)
    if theta.ndim != 2 or std.shape != theta.shape:
        raise ValueError(f"theta and std must both be (datasets, runs), got {theta.shape} and "
                         f"{std.shape}")
    if not (std > 0).all():
        raise ValueError("every std must be > 0")
    draws = integer("draws", draws, minimum=1)
    n_sets, n_runs = theta.shape
    component = rng.integers(0, n_runs, (n_sets, draws))
    mean = np.take_along_axis(theta, component, axis=1)
    width = np.take_along_axis(std, component, axis=1)
    w = mean + width * rng.standard_normal((n_sets, draws))  # (datasets, draws)
    own = special.logsumexp(_log_normal(w[:, :, None], theta[:, None, :], std[:, None, :]),
                            axis=2) - np.log(n_runs)
    points, all_means, all_stds = w.ravel(), theta.ravel(), std.ravel()
    marginal = np.concatenate([
        special.logsumexp(_log_normal(points[i:i + chunk, None], all_means[None],
                                      all_stds[None]), axis=1)
        for i in range(0, len(points), chunk)
    ]) - np.log(theta.size)
    return float(np.mean(own.ravel() - marginal))


def gaussian_information(theta, n_points: int):
    """The paper's "Gaussian" information in nats: E KL(N(theta, 1/F(theta)) || P) over every end
    point, P = N(m, lambda^2) the single Gaussian prior that minimizes it (m the mean end point,
    lambda^2 = var(theta) + mean(1/F)). It exceeds the Shannon information by KL(Q(w) || P) >= 0."""
    theta = np.asarray(theta, dtype=float).ravel()
    var = 1.0 / fisher(theta, n_points)
    lam2 = np.var(theta) + np.mean(var)
    return float(np.mean(0.5 * np.log(lam2 / var) + (var + (theta - theta.mean()) ** 2)
                         / (2 * lam2) - 0.5))


def mean_entropy(n_points: int) -> float:
    """Differential entropy (nats) of a dataset's mean x_bar = mu + e, mu ~ U[-1, 1],
    e ~ N(0, 1/N): the entropy of the dataset's one-dimensional sufficient statistic, H(D) in
    Prop. 2.9 for this toy."""
    scale = 1.0 / np.sqrt(integer("n_points", n_points, minimum=1))

    def density(t):
        return 0.5 * (stats.norm.cdf((t + 1) / scale) - stats.norm.cdf((t - 1) / scale))

    def integrand(t):
        p = density(t)
        return -p * np.log(p) if p > 0 else 0.0

    edge = 1 + 12 * scale
    return float(integrate.quad(integrand, -edge, edge, points=[-1, 1], limit=200)[0])


def brunel_nadal(theta, jacobian, n_points: int):
    """Prop. 2.9's approximation of I(w; D) in nats (beta = 1, k = 1):
    H(x_bar) - E[1/2 log(2 pi e / (J^2 F(theta*)))], J = d theta* / d x_bar the Jacobian of the
    end point with respect to the dataset's mean (one per end point), F = N phi'(theta*)^2."""
    theta = np.asarray(theta, dtype=float).ravel()
    jacobian = np.asarray(jacobian, dtype=float).ravel()
    if theta.shape != jacobian.shape:
        raise ValueError(f"theta and jacobian must match, got {theta.shape} and {jacobian.shape}")
    data_fisher = np.maximum(jacobian**2 * fisher(theta, n_points), FISHER_FLOOR)
    return float(mean_entropy(n_points) - np.mean(0.5 * np.log(2 * np.pi * np.e / data_fisher)))


def escape_steps(theta0, x, *, lr: float, max_steps: int, rng, batch_size: int | None = None,
                 temperature: float | None = None):
    """Steps each run takes to leave the basin it starts in (:func:`basin`), on one dataset ``x``
    (N,), from the starting points ``theta0`` (runs,); ``max_steps`` + 1 for a run that did not
    leave within ``max_steps`` (censored). Give one of

    - ``batch_size``: SGD, each step on a mini-batch drawn with replacement (its noise is
      proportional to phi'(theta), so it vanishes at the loss's maxima);
    - ``temperature`` T: Langevin dynamics, the full gradient plus isotropic Gaussian noise,
      theta -= lr * dL/dtheta - sqrt(2 lr T) * xi, the setting of the paper's Prop. 2.8.
    """
    x = np.asarray(x, dtype=float)
    theta = np.array(theta0, dtype=float, copy=True).ravel()
    max_steps = integer("max_steps", max_steps, minimum=1)
    lr = real("lr", lr, above=0)
    if (batch_size is None) == (temperature is None):
        raise ValueError("give either batch_size (SGD) or temperature (Langevin), not both")
    if batch_size is not None:
        batch_size = integer("batch_size", batch_size, minimum=1)
    else:
        kick = np.sqrt(2 * lr * real("temperature", temperature, above=0))
    start = basin(theta)
    escaped = np.full(theta.shape, max_steps + 1)
    running = np.ones(theta.shape, dtype=bool)
    x_mean = x.mean()
    for step in range(1, max_steps + 1):
        if batch_size is not None:
            batch_mean = x[rng.integers(0, len(x), (theta.size, batch_size))].mean(axis=1)
            move = lr * (-2.0 * (batch_mean - phi(theta)) * phi_prime(theta))
        else:
            move = (lr * (-2.0 * (x_mean - phi(theta)) * phi_prime(theta))
                    - kick * rng.standard_normal(theta.size))
        theta = np.where(running, theta - move, theta)
        left = running & (basin(theta) != start)
        escaped[left] = step
        running &= ~left
        if not running.any():
            break
    return escaped
