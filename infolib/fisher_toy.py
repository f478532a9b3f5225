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

Everything here is in nats. Functions are vectorized over datasets and runs. The simulations
(:func:`sgd`, :func:`escape_steps`) and the mixture densities of :func:`shannon_information` run in
torch (float64) on any ``device``; their random numbers come from a ``seed`` (an int or a sequence
of ints), so the same seed gives the same mini-batches on the same device. They take and return
numpy arrays. Every function but :func:`phi` and :func:`phi_prime` (elementwise maps, which let
NaN through as numpy does) refuses NaN or infinite inputs with a ``ValueError`` naming them.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
from scipy import integrate, stats

from infolib.checks import finite, integer, random_seed, real
from infolib.config import resolve_device

AMPLITUDE, FREQUENCY = 1.5, 6.0
FISHER_FLOOR = 1e-12  # an end point at an extremum of phi (phi' = 0) keeps a finite width


def _array(theta):
    """theta as float64 with the functions of its kind: (torch, tensor) or (numpy, array)."""
    if isinstance(theta, torch.Tensor):
        return torch, theta
    return np, np.asarray(theta, dtype=float)


def phi(theta):
    """The redundant parametrization: A sin(f sign(theta) log(1 + abs(theta))) (numpy or torch)."""
    xp, theta = _array(theta)
    return AMPLITUDE * xp.sin(FREQUENCY * xp.sign(theta) * xp.log1p(xp.abs(theta)))


def phi_prime(theta):
    """d phi / d theta = A f cos(f sign(theta) log(1 + abs(theta))) / (1 + abs(theta))."""
    xp, theta = _array(theta)
    angle = FREQUENCY * xp.sign(theta) * xp.log1p(xp.abs(theta))
    return AMPLITUDE * FREQUENCY * xp.cos(angle) / (1 + xp.abs(theta))


@contextmanager
def _one_thread_on_cpu(device):
    """The simulations' tensors are small: on a CPU, torch's thread pool costs more than it saves
    (measured: 1.6x slower with two threads, and tens of times slower while another process keeps
    the cores busy), so their loops run on one thread."""
    if device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _per_run(name, value, runs):
    """``value`` (a number, or one per run) as a float array of ``runs`` values, each > 0."""
    values = np.asarray(value, dtype=float)
    if values.ndim > 1 or (values.ndim == 1 and values.size != runs):
        raise ValueError(f"{name} must be a number or one value per run ({runs}), got shape "
                         f"{values.shape}")
    if not (np.isfinite(values) & (values > 0)).all():
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return np.broadcast_to(values, (runs,)).copy()


def _generator(seed, device) -> torch.Generator:
    """A torch generator on ``device`` seeded from an int or a non-empty sequence of ints (each
    checked: a float or a bool is refused, not truncated, so that 1.9 and 1 differ)."""
    values = seed.tolist() if isinstance(seed, np.ndarray) else seed
    if not isinstance(values, (list, tuple)):
        values = [random_seed("seed", values)]
    if not values:
        raise ValueError("seed must be an int or a non-empty sequence of ints, got []")
    entropy = [random_seed(f"seed[{i}]", v) for i, v in enumerate(values)]
    state = np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint64)[0]
    generator = torch.Generator(device=device)
    generator.manual_seed(int(state >> np.uint64(1)))
    return generator


def fisher(theta, n_points: int):
    """F(theta) = N phi'(theta)^2 for N points of x ~ N(phi(theta), 1), floored at 1e-12."""
    n_points = integer("n_points", n_points, minimum=1)
    theta = np.asarray(theta, dtype=float)
    finite("theta", theta)
    return np.maximum(n_points * phi_prime(theta) ** 2, FISHER_FLOOR)


def basin(theta):
    """Index of the basin of the loss that holds theta: the loss's maxima (for any dataset whose
    mean lies inside (-A, A)) are the extrema of phi, at f sign(theta) log(1 + abs(theta)) =
    pi/2 + k pi, so the basins are the intervals between consecutive extrema. An SGD run has
    escaped its basin when this index changes."""
    theta = np.asarray(theta, dtype=float)
    finite("theta", theta)
    return np.asarray(_basin_index(theta), dtype=int)


def _basin_index(theta):
    """:func:`basin` for a numpy array or a torch tensor (floats holding whole numbers)."""
    xp, theta = _array(theta)
    angle = FREQUENCY * xp.sign(theta) * xp.log1p(xp.abs(theta))
    return xp.floor((angle - np.pi / 2) / np.pi)


def minimum_near(target: float, x_mean: float) -> float:
    """The minimum of the loss of a dataset with mean ``x_mean`` (abs(x_mean) < A) in the basin of
    ``target``: the theta of that basin where phi(theta) = x_mean (found by bisection)."""
    target = real("target", target)
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


def sgd(x, theta0, *, batch_size: int, lr: float, steps: int, seed, shift: float = 0.0,
        device="cpu"):
    """SGD on each dataset's loss, every (dataset, run) at once; returns the final theta (numpy).

    ``x`` (datasets, N) the datasets; ``theta0`` (datasets, runs) the starting points. Each step
    draws, for every run, a mini-batch of ``batch_size`` indices with replacement (``batch_size``
    = N: the whole dataset, plain gradient descent) and moves theta by
    -lr * d/dtheta mean_batch (x - phi(theta))^2. ``seed`` (int or ints) draws the mini-batches;
    the same seed draws the same ones, so a run on the shifted datasets ``x + shift`` (``shift`` a
    number) sees the same noise: d theta* / d mean(x) by finite differences."""
    device = resolve_device(device)
    shift = real("shift", shift)
    x, theta0 = np.asarray(x, dtype=float), np.array(theta0, dtype=float)
    finite("x", x)
    finite("theta0", theta0)
    x = torch.as_tensor(x + shift, device=device)
    theta = torch.as_tensor(theta0, device=device)
    if x.ndim != 2 or theta.ndim != 2 or theta.shape[0] != x.shape[0]:
        raise ValueError(f"x must be (datasets, N) and theta0 (datasets, runs), got "
                         f"{tuple(x.shape)} and {tuple(theta.shape)}")
    n_sets, n_points = x.shape
    n_runs = theta.shape[1]
    if not n_sets or not n_points or not n_runs:
        raise ValueError(f"x (datasets, N) and theta0 (datasets, runs) must hold at least one "
                         f"dataset, point and run, got {tuple(x.shape)} and {tuple(theta.shape)}")
    batch_size = integer("batch_size", batch_size, minimum=1)
    steps = integer("steps", steps, minimum=0)
    lr = real("lr", lr, above=0)
    generator = _generator(seed, device)
    means = x.mean(dim=1, keepdim=True)
    with _one_thread_on_cpu(device):
        for _ in range(steps):
            if batch_size == n_points:
                batch_mean = means
            else:
                picks = torch.randint(0, n_points, (n_sets, n_runs * batch_size), device=device,
                                      generator=generator)
                batch_mean = x.gather(1, picks).view(n_sets, n_runs, batch_size).mean(dim=2)
            theta -= lr * (-2.0 * (batch_mean - phi(theta)) * phi_prime(theta))
    return theta.cpu().numpy()


def _log_normal(w, mean, std):
    return -0.5 * ((w - mean) / std) ** 2 - torch.log(std) - 0.5 * np.log(2 * np.pi)


def shannon_information(theta, std, *, seed, draws: int = 32, chunk: int = 2048, device="cpu"):
    """I(D; w) = E_D KL(Q(w|D) || Q(w)) in nats, by Monte Carlo.

    ``theta`` (datasets, runs): the end points of several runs on each dataset; ``std`` (same
    shape): the width of each end point's Gaussian (for the toy, the Cramér-Rao width
    1 / sqrt(F(theta))). Q(w|D_j) is the mixture over its runs of N(theta_jr, std_jr^2) (the
    paper's Q(w|D) = N(w*, F^-1), averaged over what else the end point depends on: the start
    and the mini-batches); Q(w) is the mixture over every dataset and run. ``draws`` samples of
    Q(w|D_j) per dataset (drawn from ``seed``); log Q(w|D_j) and log Q(w) are evaluated exactly
    (log-sum-exp), ``chunk`` samples at a time against every component of Q(w)."""
    theta = np.asarray(theta, dtype=float)
    std = np.asarray(std, dtype=float)
    if theta.ndim != 2 or std.shape != theta.shape:
        raise ValueError(f"theta and std must both be (datasets, runs), got {theta.shape} and "
                         f"{std.shape}")
    if not theta.size:
        raise ValueError(f"theta must hold at least one dataset and one run, got {theta.shape}")
    finite("theta", theta)
    finite("std", std)
    if not (std > 0).all():
        raise ValueError("every std must be > 0")
    draws = integer("draws", draws, minimum=1)
    chunk = integer("chunk", chunk, minimum=1)
    device = resolve_device(device)
    generator = _generator(seed, device)
    theta, std = torch.as_tensor(theta, device=device), torch.as_tensor(std, device=device)
    n_sets, n_runs = theta.shape
    component = torch.randint(0, n_runs, (n_sets, draws), device=device, generator=generator)
    mean, width = theta.gather(1, component), std.gather(1, component)
    noise = torch.randn((n_sets, draws), device=device, dtype=theta.dtype, generator=generator)
    w = mean + width * noise  # (datasets, draws)
    own = torch.logsumexp(_log_normal(w[:, :, None], theta[:, None, :], std[:, None, :]),
                          dim=2) - np.log(n_runs)
    points, all_means, all_stds = w.reshape(-1), theta.reshape(-1), std.reshape(-1)
    marginal = torch.cat([
        torch.logsumexp(_log_normal(points[i:i + chunk, None], all_means[None], all_stds[None]),
                        dim=1)
        for i in range(0, len(points), chunk)
    ]) - np.log(theta.numel())
    return float((own.reshape(-1) - marginal).mean())


def gaussian_information(theta, n_points: int):
    """The paper's "Gaussian" information in nats: E KL(N(theta, 1/F(theta)) || P) over every end
    point, P = N(m, lambda^2) the single Gaussian prior that minimizes it (m the mean end point,
    lambda^2 = var(theta) + mean(1/F)). It is I(end point; w) + KL(Q(w) || P), Q(w) the mixture
    of every end point's Gaussian: so it exceeds :func:`shannon_information`, whose Q(w|D) mixes
    a dataset's runs, by at least KL(Q(w) || P) >= 0 (by exactly that with one run per
    dataset)."""
    theta = np.asarray(theta, dtype=float).ravel()
    if not theta.size:
        raise ValueError("theta must hold at least one end point, got none")
    finite("theta", theta)
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
    if theta.shape != jacobian.shape or not theta.size:
        raise ValueError(f"theta and jacobian must match and hold at least one end point, got "
                         f"{theta.shape} and {jacobian.shape}")
    finite("theta", theta)
    finite("jacobian", jacobian)
    data_fisher = np.maximum(jacobian**2 * fisher(theta, n_points), FISHER_FLOOR)
    return float(mean_entropy(n_points) - np.mean(0.5 * np.log(2 * np.pi * np.e / data_fisher)))


def escape_steps(theta0, x, *, lr, max_steps: int, seed, batch_size: int | None = None,
                 temperature=None, device="cpu"):
    """Steps each run takes to leave the basin it starts in (:func:`basin`), on one dataset ``x``
    (N,), from the starting points ``theta0`` (runs,); ``max_steps`` + 1 for a run that did not
    leave within ``max_steps`` (censored). ``seed`` (int or ints) draws the noise. Give one of

    - ``batch_size``: SGD, each step on a mini-batch drawn with replacement (its noise is
      proportional to phi'(theta), so it vanishes at the loss's maxima);
    - ``temperature`` T: Langevin dynamics, the full gradient plus isotropic Gaussian noise,
      theta -= lr * dL/dtheta - sqrt(2 lr T) * xi, the setting of the paper's Prop. 2.8.

    ``lr`` and ``temperature`` are numbers or one value per run, so several conditions run as
    one batch of runs (one loop over the steps instead of one per condition).
    """
    max_steps = integer("max_steps", max_steps, minimum=1)
    if (batch_size is None) == (temperature is None):
        raise ValueError("give either batch_size (SGD) or temperature (Langevin), not both")
    theta = np.array(theta0, dtype=float).ravel()
    finite("theta0", theta)
    lr = _per_run("lr", lr, theta.size)
    if batch_size is not None:
        batch_size = integer("batch_size", batch_size, minimum=1)
    else:
        kick = np.sqrt(2 * lr * _per_run("temperature", temperature, theta.size))
    device = resolve_device(device)
    generator = _generator(seed, device)
    x = np.asarray(x, dtype=float)
    finite("x", x)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must be one dataset, a non-empty 1-D array (N,), got shape {x.shape}; "
                         "run escape_steps once per dataset")
    x = torch.as_tensor(x, device=device)
    theta = torch.as_tensor(theta, device=device)
    lr = torch.as_tensor(lr, device=device)
    if batch_size is None:
        kick = torch.as_tensor(kick, device=device)
    start = _basin_index(theta)
    escaped = torch.full(theta.shape, max_steps + 1, device=device)
    running = torch.ones(theta.shape, dtype=torch.bool, device=device)
    x_mean = x.mean()
    with _one_thread_on_cpu(device):
        for step in range(1, max_steps + 1):
            if batch_size is not None:
                picks = torch.randint(0, len(x), (theta.numel(), batch_size), device=device,
                                      generator=generator)
                move = lr * (-2.0 * (x[picks].mean(dim=1) - phi(theta)) * phi_prime(theta))
            else:
                noise = torch.randn(theta.shape, device=device, dtype=theta.dtype,
                                    generator=generator)
                move = lr * (-2.0 * (x_mean - phi(theta)) * phi_prime(theta)) - kick * noise
            theta = torch.where(running, theta - move, theta)
            left = running & (_basin_index(theta) != start)
            escaped[left] = step
            running &= ~left
            if step % 100 == 0 and not running.any():  # a device sync every 100 steps
                break
    return escaped.cpu().numpy()
