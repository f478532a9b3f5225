"""Neuron entropy and KSG mutual information against analytic values and a KD-tree reference."""

import math

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree
from scipy.special import digamma

from infolib.neurons import ksg_mi, neuron_entropy, pairwise_mi


def ksg_reference(x, y, k=3, standardize=True):
    """Kraskov et al. (2004) estimator 1 in nats, straight from its definition with a KD-tree, on
    each variable minus its mean, divided by its std (unless ``standardize=False``)."""
    if standardize:
        x, y = (x - x.mean()) / x.std(), (y - y.mean()) / y.std()
    points = np.c_[x, y]
    distances, _ = cKDTree(points).query(points, k=k + 1, p=np.inf)
    eps = distances[:, -1]
    n_x = np.array([np.sum(np.abs(x - xi) < e) - 1 for xi, e in zip(x, eps)])
    n_y = np.array([np.sum(np.abs(y - yi) < e) - 1 for yi, e in zip(y, eps)])
    return digamma(k) + digamma(len(x)) - np.mean(digamma(n_x + 1) + digamma(n_y + 1))


def gaussian_pair(rho, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], n).T


def tied_pair(n=1000, seed=0):
    """Independent x, y uniform on {0, 1, 2, 3} (MI 0): every sample tied with about n / 4."""
    return np.random.default_rng(seed).integers(0, 4, (2, n)).astype(float)


@pytest.mark.parametrize("rho", [0.5, 0.9])
def test_ksg_matches_the_gaussian_mutual_information(rho):
    x, y = gaussian_pair(rho)
    truth = -0.5 * math.log(1 - rho**2)  # nats
    # KSG's error at S = 2000, k = 3 is a few hundredths of a nat (Kraskov et al., Fig. 4)
    assert ksg_mi(x, y, base=math.e) == pytest.approx(truth, abs=0.03)
    assert ksg_mi(x, y) == pytest.approx(ksg_mi(x, y, base=math.e) / math.log(2), rel=1e-12)


def test_ksg_of_independent_variables_is_near_zero_even_with_exact_zeros():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=2000), rng.normal(size=2000)
    assert abs(ksg_mi(x, y, base=math.e)) < 0.02
    relu_x, relu_y = np.maximum(x, 0), np.maximum(y, 0)  # half of each exactly zero
    assert abs(ksg_mi(relu_x, relu_y, base=math.e)) < 0.03


def test_ksg_equals_the_kd_tree_reference_on_tie_free_data():
    x, y = gaussian_pair(0.7, n=800, seed=2)
    x, y = 3 * x, 0.2 * y  # different units: standardized and raw estimates differ
    # tie-free data: the 1e-10 relative jitter moves the estimate far less than 1e-6 nats
    assert ksg_mi(x, y, base=math.e) == pytest.approx(ksg_reference(x, y), abs=1e-6)
    raw = ksg_reference(x, y, standardize=False)
    assert ksg_mi(x, y, base=math.e, standardize=False) == pytest.approx(raw, abs=1e-6)
    assert abs(raw - ksg_reference(x, y)) > 0.02


@pytest.mark.parametrize("c", [1e-3, 0.1, 10.0, 1e3])
def test_ksg_does_not_depend_on_the_units_of_either_variable(c):
    x, y = gaussian_pair(0.9)
    reference = ksg_mi(x, y)
    assert reference == pytest.approx(-0.5 * math.log2(1 - 0.81), abs=0.05)
    assert ksg_mi(c * x, y) == pytest.approx(reference, abs=1e-9)
    assert ksg_mi(x, c * y) == pytest.approx(reference, abs=1e-9)
    assert ksg_mi(c * x + 5, -c * y) == pytest.approx(reference, abs=1e-9)  # MI(x, -y) too
    relu_x, relu_y = np.maximum(x, 0), np.maximum(y, 0)  # ties: the same jitter at every scale
    assert ksg_mi(c * relu_x, relu_y) == pytest.approx(ksg_mi(relu_x, relu_y), abs=1e-9)
    if c >= 100:  # the raw estimator is dominated by the larger variable and loses the MI
        assert ksg_mi(c * x, y, standardize=False) < reference - 0.1


@pytest.mark.parametrize("c", [1e-170, 1e-300, 1e300])
def test_ksg_does_not_depend_on_the_units_even_at_extreme_scales(c):
    # the std of 1e-170 * x underflows when computed directly: x was declared constant (MI 0)
    x, y = gaussian_pair(0.9)
    reference = ksg_mi(x, y)
    assert ksg_mi(c * x, y) == pytest.approx(reference, rel=1e-9)
    assert ksg_mi(x, c * y) == pytest.approx(reference, rel=1e-9)
    acts = np.c_[x, y, np.maximum(x, 0)]
    np.testing.assert_allclose(pairwise_mi(acts * [c, 1.0, c], device="cpu"),
                               pairwise_mi(acts, device="cpu"), rtol=1e-9)


@pytest.mark.parametrize("offset", [1e5, 1e7])
def test_the_raw_estimate_of_tied_data_does_not_depend_on_an_offset(offset):
    # the raw estimator only uses differences; an offset must not round away the jitter that
    # breaks the ties (it did: 12.96 bits for independent 2-bit variables at offset 1e7)
    x, y = tied_pair()
    reference = ksg_mi(x, y, standardize=False)
    assert abs(reference) < 0.05
    assert ksg_mi(x + offset, y + offset, standardize=False) == pytest.approx(reference, abs=1e-12)
    assert ksg_mi(x - offset, y, standardize=False) == pytest.approx(reference, abs=1e-12)
    acts = np.c_[x, y, x + y]
    np.testing.assert_allclose(
        pairwise_mi(acts + [offset, -offset, 3 * offset], device="cpu", standardize=False),
        pairwise_mi(acts, device="cpu", standardize=False), rtol=0, atol=1e-12,
    )


@pytest.mark.parametrize("c", [2.0**-30, 2.0**-20, 2.0**20])
def test_the_raw_jitter_is_relative_to_each_variables_std(c):
    # c * x has c times the jitter of x, so the raw estimate (which scaling both variables alike
    # leaves unchanged) is the same; an absolute jitter would be near the spacing of the values
    # at c = 1e-9 and rounded away at c = 1e6. Powers of two: the scaling itself is exact.
    x, y = tied_pair()
    reference = ksg_mi(x, 10 * y, standardize=False)
    assert ksg_mi(c * x, c * 10 * y, standardize=False) == pytest.approx(reference, abs=1e-12)


def test_ksg_depends_on_its_seed_through_the_jitter_of_ties():
    x, y = np.maximum(gaussian_pair(0.9, n=1000), 0)
    for standardize in (True, False):
        first = ksg_mi(x, y, seed=5, standardize=standardize)
        assert first == ksg_mi(x, y, seed=5, standardize=standardize)
        assert abs(first - ksg_mi(x, y, seed=6, standardize=standardize)) > 1e-4


def test_pairwise_does_not_depend_on_per_neuron_units():
    rng = np.random.default_rng(8)
    acts = rng.normal(size=(500, 5))
    acts[:, 1] += acts[:, 0]
    acts[:, 3] = np.maximum(acts[:, 3] + acts[:, 2], 0)
    scales = np.array([1e-3, 1e3, 1.0, 0.05, 70.0])
    standardized = pairwise_mi(acts, device="cpu")
    np.testing.assert_allclose(pairwise_mi(acts * scales, device="cpu"), standardized, atol=1e-9)
    raw = pairwise_mi(acts * scales, device="cpu", standardize=False)
    assert standardized[0, 1] > 0.5 and raw[0, 1] < 0.1  # the raw estimate depends on the units


def test_a_constant_neuron_has_zero_information_with_everything():
    rng = np.random.default_rng(9)
    acts = np.c_[rng.normal(size=300), np.full(300, 1e7), rng.normal(size=300), np.zeros(300)]
    acts[:, 2] += acts[:, 0]
    for standardize in (True, False):
        matrix = pairwise_mi(acts, device="cpu", standardize=standardize)
        assert not np.isnan(matrix[np.triu_indices(4, k=1)]).any()
        assert (matrix[1, [0, 2, 3]] == 0).all() and (matrix[3, [0, 1, 2]] == 0).all()
        assert matrix[0, 2] > 0.3
        assert ksg_mi(acts[:, 0], acts[:, 1], standardize=standardize) == 0.0
        assert ksg_mi(np.zeros(300), np.ones(300), standardize=standardize) == 0.0


def test_pairwise_equals_ksg_of_each_pair_and_the_reference():
    rng = np.random.default_rng(3)
    acts = rng.normal(size=(600, 6))
    acts[:, 1] += acts[:, 0]
    acts[:, 2] = np.maximum(acts[:, 2], 0)  # ties, broken by the same jitter in both
    acts *= [1.0, 0.3, 5.0, 1.0, 20.0, 1e-3]  # per-neuron units
    matrix = pairwise_mi(acts, base=math.e, device="cpu")
    assert matrix.shape == (6, 6)
    assert np.isnan(np.diag(matrix)).all()
    np.testing.assert_array_equal(matrix, matrix.T)
    for a in range(6):
        for b in range(a + 1, 6):
            assert matrix[a, b] == pytest.approx(
                ksg_mi(acts[:, a], acts[:, b], base=math.e), abs=1e-9
            )
            if b != 2 and a != 2:  # tie-free columns: the definition itself
                assert matrix[a, b] == pytest.approx(
                    ksg_reference(acts[:, a], acts[:, b]), abs=1e-6
                )
    assert matrix[0, 1] > 0.3 > abs(matrix[0, 3])


def test_pairwise_is_deterministic_by_seed():
    acts = np.maximum(np.random.default_rng(4).normal(size=(300, 4)), 0)
    first = pairwise_mi(acts, seed=5, device="cpu")
    np.testing.assert_array_equal(first, pairwise_mi(acts, seed=5, device="cpu"))
    assert not np.array_equal(first, pairwise_mi(acts, seed=6, device="cpu"))


def test_entropy_of_uniform_data_is_log_bins_and_of_a_constant_is_zero():
    rng = np.random.default_rng(5)
    acts = np.c_[rng.uniform(size=100_000), np.full(100_000, 3.0), rng.integers(0, 2, 100_000)]
    entropy = neuron_entropy(acts, bins=100)
    assert entropy[0] == pytest.approx(math.log2(100), abs=0.01)
    assert entropy[1] == 0.0
    assert entropy[2] == pytest.approx(1.0, abs=1e-3)  # two values: the lowest and highest bin
    assert neuron_entropy(acts, bins=100, base=math.e)[0] == pytest.approx(entropy[0] * math.log(2))


def test_entropy_bins_are_per_neuron_ranges():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(5000, 1))
    both = neuron_entropy(np.c_[x, 1000 * x + 7], bins=20)
    assert both[0] == pytest.approx(both[1])  # an affine map keeps every sample in its bin


def histogram_entropies(acts, edges):
    """Slow reference: each neuron's counts in `edges` by numpy.histogram, entropy in bits."""
    result = []
    for column in acts.T:
        p = np.histogram(column, bins=edges)[0] / len(column)
        p = p[p > 0]
        result.append(-(p * np.log2(p)).sum())
    return np.array(result)


def test_global_binning_equals_numpy_histograms_on_shared_edges():
    rng = np.random.default_rng(7)
    scales = np.exp(rng.normal(size=64))  # log-normal scales: neurons span very different ranges
    acts = rng.normal(size=(3000, 64)) * scales + rng.normal(size=64)
    edges = np.histogram_bin_edges(acts, bins=100)
    shared = neuron_entropy(acts, bins=100, binning="global")
    np.testing.assert_allclose(shared, histogram_entropies(acts, edges), atol=1e-12)
    own = neuron_entropy(acts, bins=100)
    per_neuron = [histogram_entropies(a[:, None], np.histogram_bin_edges(a, 100))[0]
                  for a in acts.T]
    np.testing.assert_allclose(own, per_neuron, atol=1e-12)
    assert shared.mean() < own.mean() - 1  # the two binnings measure different quantities
    # the neuron with the widest range is binned almost as finely under both
    widest = np.argmax(acts.max(axis=0) - acts.min(axis=0))
    assert shared[widest] == pytest.approx(own[widest], abs=0.05)


def test_values_on_bin_edges_are_counted_as_numpy_histogram_counts_them():
    # quantised activations: every value 0.0, 0.1, ..., 1.0 lies on (or within a rounding error
    # of) an edge of 10 bins over [0, 1]; a plain floor((x - min) / width * bins) puts 0.3 and
    # 0.7 in the bins below their numpy bins (numpy: [259 526 966 0 526 959 494 0 531 739])
    rng = np.random.default_rng(0)
    x = np.round(rng.uniform(0, 1, 5000), 1)
    counts = np.histogram(x, bins=10)[0]
    assert counts[3] == counts[7] == 0
    p = counts[counts > 0] / len(x)
    assert neuron_entropy(x[:, None], bins=10)[0] == pytest.approx(-(p * np.log2(p)).sum(),
                                                                   abs=1e-12)
    assert neuron_entropy(x[:, None], bins=10)[0] == pytest.approx(2.901, abs=1e-3)
    # per-neuron and shared edges, several grids, offsets, scales and bin counts
    for step, offset, scale in [(0.1, 0.0, 1.0), (0.05, -1.0, 3.0), (0.25, 0.3, 1e3),
                                (1 / 3, -2.7, 0.01), (0.125, 0.0, 7.0)]:
        acts = (np.round(rng.uniform(0, 1, (400, 3)) / step) * step * scale + offset)
        acts[:, 2] *= 0.5  # a neuron with half the range of the others
        for bins in (3, 5, 10, 20, 100):
            own = [histogram_entropies(a[:, None], np.histogram_bin_edges(a, bins))[0]
                   for a in acts.T]
            np.testing.assert_allclose(neuron_entropy(acts, bins=bins), own, atol=1e-12)
            shared = histogram_entropies(acts, np.histogram_bin_edges(acts, bins))
            np.testing.assert_allclose(neuron_entropy(acts, bins=bins, binning="global"), shared,
                                       atol=1e-12)


def test_global_binning_depends_on_the_other_neurons_and_per_neuron_does_not():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(5000, 1))
    alone = neuron_entropy(x, bins=50, binning="global")[0]
    assert alone == pytest.approx(neuron_entropy(x, bins=50)[0])  # one neuron: the same edges
    beside_wide = neuron_entropy(np.c_[x, 10 * x], bins=50, binning="global")
    assert beside_wide[0] < alone - 2  # a tenth of the shared range: about log2(10) bits fewer
    assert beside_wide[1] == pytest.approx(alone)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: neuron_entropy(np.zeros(10)), "2-D"),
        (lambda: neuron_entropy(np.full((10, 2), np.nan)), "NaN or infinite"),
        (lambda: pairwise_mi(np.zeros((10, 1))), "at least 2 neuron"),
        (lambda: pairwise_mi(np.random.rand(3, 2), k=3), "k must be smaller"),
        (lambda: ksg_mi(np.random.rand(10), np.random.rand(9)), "same length"),
        (lambda: ksg_mi(np.random.rand(10), np.r_[np.random.rand(9), np.inf]), "NaN or infinite"),
        (lambda: neuron_entropy(np.random.rand(10, 2), bins=0), "bins"),
        (lambda: neuron_entropy(np.random.rand(10, 2), base=1), "base"),
        (lambda: neuron_entropy(np.random.rand(10, 2), base=math.inf), "base"),
        (lambda: neuron_entropy(np.random.rand(10, 2), binning="layer"), "binning"),
        (lambda: pairwise_mi(np.random.rand(10, 2), k=0), "k must be an int >= 1"),
        (lambda: pairwise_mi(np.random.rand(10, 2), base=0.5), "base"),
        (lambda: pairwise_mi(np.random.rand(10, 2), seed=-1), "seed"),
        (lambda: ksg_mi(np.random.rand(10), np.random.rand(10), base=np.float64(1)), "base"),
        (lambda: neuron_entropy(np.array([[-1e308], [1e308], [0.0]]), bins=10),
         "range of values to bin, -1e.308 to 1e.308, is wider than the largest float64"),
        (lambda: neuron_entropy(np.array([[-1e308, 0.0], [1e308, 1.0], [0.0, 2.0]]), bins=10,
                                binning="global"), "wider than the largest float64"),
    ],
)
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: neuron_entropy(np.random.rand(10, 2), bins=10.0), "bins must be an int"),
        (lambda: pairwise_mi(np.random.rand(10, 2), k=True), "k must be an int"),
        (lambda: pairwise_mi(np.random.rand(10, 2), seed=0.5), "seed must be an int"),
        (lambda: pairwise_mi(np.random.rand(10, 2), base="2"), "base must be a number"),
        (lambda: ksg_mi(np.random.rand(10), np.random.rand(10), standardize=1), "standardize"),
        # a bool is never a number (infolib.checks), whether next to a float or to a bool
        (lambda: ksg_mi(np.random.rand(10), np.random.rand(10) > 0.5), "y must hold real numbers"),
        (lambda: ksg_mi(np.random.rand(10) > 0.5, np.random.rand(10)), "x must hold real numbers"),
        (lambda: ksg_mi(np.arange(10) > 4, np.arange(10) > 5), "x must hold real numbers"),
        (lambda: ksg_mi([0.5, True, 0.2, 0.7], np.arange(4.0)), "x must hold real numbers"),
        (lambda: pairwise_mi(np.random.rand(10, 2) > 0.5), "acts must hold real numbers"),
    ],
)
def test_bad_types_raise_a_clear_error(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_numpy_scalars_are_accepted_as_arguments():
    x, y = gaussian_pair(0.5, n=300)
    expected = ksg_mi(x, y, k=4, base=math.e, seed=2)
    assert ksg_mi(x, y, k=np.int64(4), base=np.float32(math.e), seed=np.int32(2)) == (
        pytest.approx(expected, rel=1e-6)  # base as float32 rounds e
    )
    assert ksg_mi(x, y, k=np.int64(4), base=np.float64(math.e), seed=np.uint8(2)) == expected
    acts = np.c_[x, y]
    np.testing.assert_array_equal(
        pairwise_mi(acts, k=np.int16(4), base=np.int64(2), device="cpu"),
        pairwise_mi(acts, k=4, device="cpu"),
    )
    np.testing.assert_array_equal(
        neuron_entropy(acts, bins=np.int64(7), base=np.float64(2)), neuron_entropy(acts, bins=7)
    )


def test_the_torch_path_for_cuda_gives_the_compiled_kernels_numbers():
    from infolib.neurons import JITTER, _noise, _pairs_compiled, _pairs_torch, _prepared

    rng = np.random.default_rng(7)
    acts = rng.normal(size=(500, 5))
    acts[:, 1] = np.maximum(acts[:, 1] + acts[:, 0], 0)
    values, scale, _ = _prepared(acts, standardize=True)
    noise = _noise(500, 0)
    first, second = values + JITTER * scale * noise[0], values + JITTER * scale * noise[1]
    rows, cols = np.triu_indices(5, k=1)
    np.testing.assert_allclose(
        _pairs_torch(first, second, rows, cols, 3, "cpu"),
        _pairs_compiled(first, second, rows, cols, 3),
        rtol=0,
        atol=1e-9,
    )


def test_the_torch_counts_equal_brute_force_with_ties_and_radius_zero():
    # tie groups lying exactly at the radius, and radius 0, counted as the definition says
    from infolib.neurons import _count_within

    rng = np.random.default_rng(2)
    v = np.round(rng.normal(size=(3, 60)) * 3) * 0.1 + [[0.0], [1e5], [-7.3]]  # heavy ties
    other = np.take_along_axis(v, rng.integers(0, 60, v.shape), axis=1)
    radius = np.abs(other - v)  # as KSG's eps: the distance to a sample, 0 for a tied one
    assert (radius == 0).any()
    brute = (np.abs(v[:, None, :] - v[:, :, None]) < radius[..., None]).sum(axis=2) - (radius > 0)
    got = _count_within(torch.from_numpy(np.sort(v, axis=1)), torch.from_numpy(v),
                        torch.from_numpy(radius))
    np.testing.assert_array_equal(got.numpy(), brute)


def test_the_torch_path_equals_the_compiled_kernel_on_unbroken_ties():
    # without jitter: the k-th neighbour at distance 0 (n_x = n_y = 0), or tie groups at eps
    from infolib.neurons import _pairs_compiled, _pairs_torch

    rng = np.random.default_rng(3)
    values = np.r_[rng.integers(0, 3, (2, 200)), rng.integers(0, 40, (2, 200))].astype(float)
    rows, cols = np.triu_indices(4, k=1)
    compiled = _pairs_compiled(values, values, rows, cols, 3)
    assert np.isfinite(compiled).all()
    np.testing.assert_allclose(_pairs_torch(values, values, rows, cols, 3, "cpu"), compiled,
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize("half_widths", [None, (2,), (2, 9), (3, 40, 10_000)])
def test_kth_neighbour_distance_by_windows_equals_brute_force(half_widths):
    # The torch path's windows (certified by the x gap to the first point outside them, then
    # wider windows, then all points) against every distance computed. Half-widths this small
    # send most points to the later levels; x dense where y is spread sends some to the last.
    from infolib.neurons import _kth_neighbour_distance

    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(size=(4, 200)), 1e-3 * rng.normal(size=(4, 100))], axis=1)
    y = np.concatenate([rng.normal(size=(4, 200)), rng.normal(size=(4, 100))], axis=1)
    y[0, :50] = np.round(y[0, :50], 1)  # ties in y
    order = np.argsort(x, axis=1)
    xs, ys = np.take_along_axis(x, order, axis=1), np.take_along_axis(y, order, axis=1)
    brute = np.maximum(np.abs(xs[:, :, None] - xs[:, None, :]),
                       np.abs(ys[:, :, None] - ys[:, None, :]))
    for k in (1, 3):
        expected = np.sort(brute, axis=2)[:, :, k]  # index 0: the point itself
        got = _kth_neighbour_distance(torch.from_numpy(xs), torch.from_numpy(ys), k, half_widths)
        np.testing.assert_array_equal(got.numpy(), expected)


def test_options_after_the_data_are_keyword_only():
    acts = np.random.default_rng(0).random((20, 3))
    for call in (
        lambda: neuron_entropy(acts, 10),
        lambda: ksg_mi(acts[:, 0], acts[:, 1], 3),
        lambda: pairwise_mi(acts, 3),
    ):
        with pytest.raises(TypeError, match="positional argument"):
            call()


def test_kth_smallest_equals_kthvalue_with_ties():
    from infolib.neurons import _kth_smallest

    values = torch.tensor([[3.0, 1.0, 1.0, 0.0, 2.0], [5.0, 5.0, 5.0, 5.0, 4.0]],
                          dtype=torch.float64)
    for k in range(1, 6):
        torch.testing.assert_close(_kth_smallest(values, k), values.kthvalue(k, dim=-1).values)
    random = torch.rand(3, 50, 41, dtype=torch.float64).round(decimals=1)  # many ties
    torch.testing.assert_close(_kth_smallest(random, 4), random.kthvalue(4, dim=-1).values)


def test_ksg_mi_equals_scikit_learns_kraskov_estimator():
    """Kraskov et al.'s published form, psi(n_x + 1) + psi(n_y + 1) (the memorization paper's text
    writes psi(n_x) + psi(n_y)): the same number as scikit-learn's mutual_info_regression, which
    also standardizes (its 1e-10 jitter moves nothing here)."""
    from sklearn.feature_selection import mutual_info_regression

    rng = np.random.default_rng(7)
    for rho, n in ((0.3, 200), (0.8, 500)):
        x = rng.normal(size=n)
        y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n)
        reference = mutual_info_regression(x[:, None], y, n_neighbors=3, random_state=0)[0]
        assert ksg_mi(x, y, k=3, base=np.e) == pytest.approx(reference, abs=1e-9)
