"""The Fisher toy (sec. 4, Fig. 3) against ground truth: derivatives, basins, minima, a Gaussian
mutual information, an entropy limit, the Brunel-Nadal value at exact minimizers."""

import numpy as np
import pytest

from infolib import fisher_toy as toy


def test_phi_prime_is_the_derivative_of_phi():
    theta = np.linspace(-30, 30, 1001) + 1e-3
    h = 1e-6
    numeric = (toy.phi(theta + h) - toy.phi(theta - h)) / (2 * h)
    np.testing.assert_allclose(toy.phi_prime(theta), numeric, atol=1e-5)


def test_basins_change_exactly_at_the_extrema_of_phi():
    for k in range(-3, 4):
        angle = np.pi / 2 + k * np.pi
        edge = np.sign(angle) * np.expm1(abs(angle) / toy.FREQUENCY)
        assert abs(abs(toy.phi(edge)) - toy.AMPLITUDE) < 1e-9  # an extremum of phi
        assert toy.basin(edge - 1e-6) == toy.basin(edge + 1e-6) - 1


@pytest.mark.parametrize("target, x_mean", [(0.1, 0.0), (22.0, 0.3), (-5.0, -1.2)])
def test_minimum_near_solves_phi_equals_the_mean_in_the_targets_basin(target, x_mean):
    theta = toy.minimum_near(target, x_mean)
    assert toy.phi(theta) == pytest.approx(x_mean, abs=1e-9)
    assert toy.basin(theta) == toy.basin(target)
    with pytest.raises(ValueError, match="x_mean"):
        toy.minimum_near(target, 1.5)


def test_gradient_descent_ends_at_the_minimum_of_its_basin_and_the_jacobian_is_one_over_phi_prime():
    rng = np.random.default_rng(0)
    x = rng.normal(0.2, 1, (1, 100))
    theta0 = np.array([[0.69]])  # the basin of the minimum near 0.69
    common = dict(batch_size=100, lr=0.002, steps=20_000)
    end = toy.sgd(x, theta0, seed=1, **common)
    assert end[0, 0] == pytest.approx(toy.minimum_near(0.69, x.mean()), abs=1e-6)
    shifted = toy.sgd(x, theta0, seed=1, shift=1e-4, **common)
    jacobian = (shifted - end)[0, 0] / 1e-4
    assert jacobian == pytest.approx(1 / toy.phi_prime(end[0, 0]), rel=1e-3)


def test_shannon_information_of_gaussian_posteriors_matches_the_closed_form():
    """Dataset centres c ~ N(0, s^2), posterior N(c, sigma^2): Q(w) is (for many datasets) close
    to N(0, s^2 + sigma^2) and I = 1/2 log(1 + s^2 / sigma^2)."""
    rng = np.random.default_rng(2)
    s, sigma, n = 2.0, 0.5, 1000
    centres = rng.normal(0, s, (n, 1)).repeat(4, axis=1)  # four identical runs per dataset
    estimate = toy.shannon_information(centres, np.full(centres.shape, sigma), seed=2)
    assert estimate == pytest.approx(0.5 * np.log(1 + s**2 / sigma**2), abs=0.05)
    # runs that scatter within a dataset (as random starts do) carry less about it
    scattered = centres + rng.normal(0, 2.0, centres.shape)
    less = toy.shannon_information(scattered, np.full(centres.shape, sigma), seed=2)
    assert less < estimate - 0.3
    with pytest.raises(ValueError, match="std"):
        toy.shannon_information(centres, np.zeros(centres.shape), seed=2)


def test_shannon_information_of_runs_with_their_own_widths_matches_quadrature():
    """Three datasets of two runs each, every run with its own centre and width (the toy's end
    points have widths 1/sqrt(F) that differ within a dataset): E_j KL(Q_j || Q) by quadrature
    on a grid, Q_j the mixture of dataset j's runs and Q of all six. A dataset's mean width, run
    0's width for every component, or every draw from run 0 each miss it by 2-4% on the
    chapter's end points and passed the tests of equal widths."""
    from scipy import stats

    theta = np.array([[-2.0, 0.5], [1.0, 1.3], [3.0, -0.5]])
    std = np.array([[0.3, 1.2], [0.5, 0.2], [0.8, 0.4]])
    grid = np.linspace(-10, 10, 400_001)
    runs = stats.norm.pdf(grid[:, None, None], theta, std)  # (grid, datasets, runs)
    own, everything = runs.mean(axis=2), runs.mean(axis=(1, 2))[:, None]
    kl = np.trapezoid(own * np.log(own / everything), grid, axis=0)
    estimate = toy.shannon_information(theta, std, seed=3, draws=40_000)
    assert estimate == pytest.approx(kl.mean(), abs=0.02)


def test_gaussian_information_bounds_the_shannon_information_from_above():
    rng = np.random.default_rng(3)
    theta = rng.uniform(-10, 10, (500, 4))
    std = 1 / np.sqrt(toy.fisher(theta, 100))
    assert toy.gaussian_information(theta, 100) >= toy.shannon_information(theta, std, seed=3)


def test_gaussian_information_is_the_mean_kl_to_the_best_single_gaussian_prior():
    """The closed form (m = mean end point, lambda^2 = var + mean 1/F) against a numerical
    minimization over (m, lambda^2) of the mean KL(N(theta, 1/F) || N(m, lambda^2)), nats."""
    from scipy.optimize import minimize

    theta = np.random.default_rng(0).uniform(-3, 3, 15)
    var = 1 / toy.fisher(theta, 100)

    def mean_kl(point):
        m, lam2 = point[0], np.exp(point[1])
        return np.mean(0.5 * (var / lam2 + (theta - m) ** 2 / lam2 - 1 + np.log(lam2 / var)))

    best = minimize(mean_kl, [0.0, 0.0], method="Nelder-Mead",
                    options=dict(xatol=1e-10, fatol=1e-12, maxiter=5000))
    assert toy.gaussian_information(theta, 100) == pytest.approx(best.fun, rel=1e-8)


def test_mean_entropy_reaches_the_uniforms_entropy_for_large_datasets():
    assert toy.mean_entropy(10**6) == pytest.approx(np.log(2), abs=1e-3)
    grid = np.linspace(-8, 8, 200_001)
    from scipy import stats
    p = 0.5 * (stats.norm.cdf(grid + 1) - stats.norm.cdf(grid - 1))  # N = 1
    reference = -np.trapezoid(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), grid)
    assert toy.mean_entropy(1) == pytest.approx(reference, abs=1e-5)
    # at the chapter's N = 100 the noise has sd 1/sqrt(N) = 0.1 (a variance 1/N^2 was 0.08 nats
    # off and passed the two checks above, where 1/N and 1/sqrt(N) agree or do not matter)
    grid = np.linspace(-3, 3, 200_001)
    p = 0.5 * (stats.norm.cdf((grid + 1) / 0.1) - stats.norm.cdf((grid - 1) / 0.1))
    reference = -np.trapezoid(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), grid)
    assert toy.mean_entropy(100) == pytest.approx(reference, abs=1e-5)


def test_brunel_nadal_at_exact_minimizers_does_not_depend_on_the_minimum():
    """At an exact minimizer J = 1 / phi'(theta*), so J^2 F = N whatever theta*: the
    approximation is H(x_bar) + 1/2 log(N / (2 pi e)) for sharp and flat minima alike."""
    theta = np.array([toy.minimum_near(t, 0.3) for t in (0.1, 0.7, 5.0, 22.0)])
    expected = toy.mean_entropy(100) + 0.5 * np.log(100 / (2 * np.pi * np.e))
    assert toy.brunel_nadal(theta, 1 / toy.phi_prime(theta), 100) == pytest.approx(expected)


def test_escape_needs_noise_and_is_censored_without_it():
    """One learning rate, below gradient descent's stability limit at the sharp minimum (lr <
    2 / curvature, curvature 2 phi'^2), so that only the mini-batch noise can carry a run out:
    batch 1 escapes, batch 100 (10 times less noise) does not. (At lr = 0.2, 16 times the limit,
    runs escaped with almost no noise: the old test could not show that noise is needed.)"""
    x = np.random.default_rng(4).normal(0, 1, 100)
    x -= x.mean()
    sharp = np.full(50, toy.minimum_near(0.01, 0.0))
    lr = 0.01
    assert lr < 2 / (2 * toy.phi_prime(sharp[0]) ** 2)
    quiet = toy.escape_steps(sharp, x, batch_size=100, lr=lr, max_steps=2000, seed=5)
    assert (quiet == 2001).all()
    noisy = toy.escape_steps(sharp, x, batch_size=1, lr=lr, max_steps=2000, seed=5)
    assert (noisy <= 2000).mean() > 0.5
    with pytest.raises(ValueError, match="either"):
        toy.escape_steps(sharp, x, lr=1e-3, max_steps=10, seed=5)
    with pytest.raises(ValueError, match=r"one dataset, a non-empty 1-D array \(N,\)"):
        toy.escape_steps(sharp, x.reshape(2, 50), batch_size=1, lr=lr, max_steps=10, seed=5)


def test_a_run_that_leaves_at_the_first_step_took_one_step():
    """Hot Langevin runs from the edge of a sharp basin leave at once: their count is 1 (step 1
    is the first), never 0; an off-by-one passed every other test."""
    steps = toy.escape_steps(np.full(50, 0.25), np.zeros(10), lr=1.0, temperature=5.0,
                             max_steps=10, seed=0)
    assert steps.min() == 1 and (steps == 1).mean() > 0.5


def test_langevin_escape_follows_kramers_in_temperature_and_curvature():
    """Isotropic noise (Prop. 2.8's setting): hotter escapes sooner, and a sharp basin sooner than
    a flat one of the same barrier. Kramers: log(time) grows like barrier / T, whose slope
    against 1 / T is the barrier, (1.5)^2 = 2.25 for data of mean 0."""
    x = np.random.default_rng(6).normal(0, 1, 100)
    x -= x.mean()
    sharp = np.full(400, toy.minimum_near(1e-9, 0.0))
    times = {}
    for temperature in (0.4, 0.6):
        steps = toy.escape_steps(sharp, x, lr=0.002, temperature=temperature,
                                 max_steps=200_000, seed=7)
        assert (steps <= 200_000).all()
        times[temperature] = np.mean(steps)
    slope = np.log(times[0.4] / times[0.6]) / (1 / 0.4 - 1 / 0.6)
    assert 1.5 < slope < 3.0
    flat = np.full(100, toy.minimum_near(22.0, 0.0))
    flat_steps = toy.escape_steps(flat, x, lr=0.002, temperature=0.6, max_steps=20_000,
                                  seed=7)
    assert np.median(flat_steps) > 10 * np.median(times[0.6])


def test_one_sgd_step_is_the_mean_of_the_drawn_mini_batch_and_a_seed_repeats_it():
    """A slow reference: one step by hand from the same draws (the generator of the same seed)."""
    import torch

    x = np.random.default_rng(8).normal(0.3, 1, (3, 10))
    theta0 = np.array([[0.2, 1.5], [-0.4, 3.0], [7.0, -2.0]])
    end = toy.sgd(x, theta0, batch_size=4, lr=0.01, steps=1, seed=[9, 1])
    picks = torch.randint(0, 10, (3, 2 * 4), generator=toy._generator([9, 1], "cpu")).numpy()
    batch_mean = np.take_along_axis(x, picks, axis=1).reshape(3, 2, 4).mean(axis=2)
    by_hand = theta0 + 0.01 * 2 * (batch_mean - toy.phi(theta0)) * toy.phi_prime(theta0)
    np.testing.assert_allclose(end, by_hand, rtol=1e-12)
    np.testing.assert_array_equal(toy.sgd(x, theta0, batch_size=4, lr=0.01, steps=50,
                                          seed=[9, 1]),
                                  toy.sgd(x, theta0, batch_size=4, lr=0.01, steps=50,
                                          seed=[9, 1]))
    assert not np.array_equal(toy.sgd(x, theta0, batch_size=4, lr=0.01, steps=50, seed=[9, 2]),
                              toy.sgd(x, theta0, batch_size=4, lr=0.01, steps=50, seed=[9, 1]))


def test_phi_and_basin_agree_between_numpy_and_torch():
    import torch

    theta = np.linspace(-40, 40, 2001) + 1e-4
    tensor = torch.as_tensor(theta)
    np.testing.assert_allclose(toy.phi(tensor).numpy(), toy.phi(theta), atol=1e-12)
    np.testing.assert_allclose(toy.phi_prime(tensor).numpy(), toy.phi_prime(theta), atol=1e-12)
    np.testing.assert_array_equal(toy._basin_index(tensor).numpy(), toy.basin(theta))


def test_the_simulations_leave_torchs_thread_count_as_they_found_it():
    import torch

    before = torch.get_num_threads()
    toy.sgd(np.zeros((2, 10)), np.zeros((2, 2)), batch_size=3, lr=0.01, steps=5, seed=0)
    toy.escape_steps(np.zeros(4), np.zeros(10), lr=0.01, batch_size=2, max_steps=5, seed=0)
    assert torch.get_num_threads() == before


def test_escape_conditions_run_as_one_batch_with_a_value_per_run():
    """Gradient descent leaves the sharp minimum at once at lr = 0.05 (far above its stability
    limit 1/81) and stays at 0.005: with next to no noise (T = 1e-12) the runs of each learning
    rate in one batch do what a call of their own does; hotter runs in a Langevin batch escape
    sooner; bad shapes are refused."""
    x = np.random.default_rng(4).normal(0, 1, 100)
    x -= x.mean()
    sharp = toy.minimum_near(1e-9, 0.0) + 1e-3
    alone = toy.escape_steps(np.full(3, sharp), x, lr=0.05, temperature=1e-12, max_steps=500,
                             seed=1)
    batch = toy.escape_steps(np.full(6, sharp), x, lr=[0.005] * 3 + [0.05] * 3,
                             temperature=1e-12, max_steps=500, seed=1)
    assert (alone <= 500).all() and (batch[:3] == 501).all()
    np.testing.assert_array_equal(batch[3:], alone)
    mixed = toy.escape_steps(np.full(800, toy.minimum_near(1e-9, 0.0)), x, lr=0.002,
                             temperature=[0.4] * 400 + [0.8] * 400, max_steps=100_000, seed=2)
    assert np.median(mixed[400:]) < np.median(mixed[:400]) / 3
    with pytest.raises(ValueError, match="one value per run"):
        toy.escape_steps(np.zeros(4), x, lr=[0.01, 0.02], batch_size=2, max_steps=5, seed=0)
    with pytest.raises(ValueError, match="temperature must be finite and > 0"):
        toy.escape_steps(np.zeros(2), x, lr=0.01, temperature=[0.5, 0.0], max_steps=5, seed=0)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: toy.minimum_near(NAN, 0.0), "target must be a finite number"),
        (lambda: toy.minimum_near(INF, 0.0), "target must be a finite number"),
        (lambda: toy.minimum_near(1.0, NAN), "x_mean must be a finite number"),
        (lambda: toy.fisher([0.1, NAN], 10), "theta contains NaN or infinite"),
        (lambda: toy.basin([INF]), "theta contains NaN or infinite"),
        (lambda: toy.brunel_nadal([NAN], [1.0], 100), "theta contains NaN or infinite"),
        (lambda: toy.brunel_nadal([0.1], [INF], 100), "jacobian contains NaN or infinite"),
        (lambda: toy.gaussian_information([0.1, NAN], 100), "theta contains NaN or infinite"),
        (lambda: toy.shannon_information(np.array([[NAN, 1.0]]), np.ones((1, 2)), seed=0),
         "theta contains NaN or infinite"),
        (lambda: toy.shannon_information(np.zeros((1, 2)), np.array([[1.0, INF]]), seed=0),
         "std contains NaN or infinite"),
        (lambda: toy.sgd(np.array([[NAN] * 4]), np.zeros((1, 2)), batch_size=2, lr=0.1, steps=3,
                         seed=0), "x contains NaN or infinite"),
        (lambda: toy.sgd(np.zeros((1, 4)), np.array([[0.0, INF]]), batch_size=2, lr=0.1, steps=3,
                         seed=0), "theta0 contains NaN or infinite"),
        (lambda: toy.sgd(np.zeros((1, 4)), np.zeros((1, 2)), batch_size=2, lr=0.1, steps=3,
                         seed=0, shift=NAN), "shift must be a finite number"),
        (lambda: toy.escape_steps([NAN], [0.0, 1.0], lr=0.01, max_steps=5, seed=0, batch_size=1),
         "theta0 contains NaN or infinite"),
        (lambda: toy.escape_steps([0.0], [0.0, NAN], lr=0.01, max_steps=5, seed=0,
                                  temperature=0.1), "x contains NaN or infinite"),
    ],
)
def test_non_finite_inputs_raise_a_clear_error(call, message):
    # before, these returned -inf (minimum_near), NaN (brunel_nadal, shannon_information, sgd)
    # or a meaningless basin index
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(("seed", "error", "message"), [
    (1.9, TypeError, r"seed must be an int, got float \(1.9\)"),
    (True, TypeError, "seed must be an int, got bool"),
    ([9, 0.5], TypeError, r"seed\[1\] must be an int, got float"),
    (-1, ValueError, "seed must be an int >= 0"),
    (None, TypeError, "seed must be an int, got NoneType"),
    ([], ValueError, "seed must be an int or a non-empty sequence of ints"),
])
def test_seeds_are_checked_not_truncated(seed, error, message):
    """int() turned seed 1.9 into 1 (the same mini-batches as seed 1) and accepted True."""
    x, theta0 = np.random.default_rng(0).normal(0, 1, (2, 20)), np.zeros((2, 3))
    for call in (lambda: toy.sgd(x, theta0, batch_size=5, lr=0.01, steps=2, seed=seed),
                 lambda: toy.shannon_information(theta0, np.ones((2, 3)), seed=seed),
                 lambda: toy.escape_steps([0.1], x[0], lr=0.01, max_steps=2, seed=seed,
                                          batch_size=1)):
        with pytest.raises(error, match=message):
            call()
    same = toy.sgd(x, theta0 + 1, batch_size=5, lr=0.01, steps=3, seed=np.array([7, 1]))
    np.testing.assert_array_equal(
        same, toy.sgd(x, theta0 + 1, batch_size=5, lr=0.01, steps=3, seed=(np.int64(7), 1)))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: toy.gaussian_information([], 100), "theta must hold at least one end point"),
    (lambda: toy.brunel_nadal([], [], 100), "at least one end point"),
    (lambda: toy.shannon_information(np.zeros((0, 2)), np.ones((0, 2)), seed=0),
     "at least one dataset and one run"),
    (lambda: toy.shannon_information(np.zeros((3, 0)), np.ones((3, 0)), seed=0),
     "at least one dataset and one run"),
    (lambda: toy.sgd(np.zeros((1, 0)), np.zeros((1, 2)), batch_size=1, lr=0.1, steps=1, seed=0),
     "at least one dataset, point and run"),
    (lambda: toy.sgd(np.zeros((1, 4)), np.zeros((1, 0)), batch_size=1, lr=0.1, steps=1, seed=0),
     "at least one dataset, point and run"),
])
def test_empty_inputs_are_refused_not_averaged_to_nan(call, message):
    with pytest.raises(ValueError, match=message):
        call()
