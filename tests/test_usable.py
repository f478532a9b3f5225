"""Usable information against ground truth: determined labels, independence, analytic mixtures."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from infolib.usable import usable_information, usable_information_many

N = 2000


def plugin_entropy_bits(labels):
    p = np.bincount(labels) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def determined(n_classes=4, n=N, seed=0):
    """z: a noisy one-hot of y, from which y is recovered without error."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    z = np.eye(n_classes)[y] + 0.05 * rng.normal(size=(n, n_classes))
    return z, y


def mixture_mi_bits(mu):
    """I(Z;Y) in bits for Y uniform on {0, 1} and Z | Y ~ N(+-mu, 1): 1 - E_z[h(P(Y=1|z))]."""

    def integrand(z):
        p_plus, p_minus = stats.norm.pdf(z, mu), stats.norm.pdf(z, -mu)
        posterior = p_plus / (p_plus + p_minus)
        binary_entropy = -sum(q * math.log2(q) for q in (posterior, 1 - posterior) if q > 0)
        return 0.5 * (p_plus + p_minus) * binary_entropy

    return 1 - integrate.quad(integrand, -12, 12)[0]


def test_determined_labels_give_the_label_entropy():
    z, y = determined()
    estimate = usable_information(z, y)
    assert estimate == pytest.approx(plugin_entropy_bits(y), abs=0.05)
    assert estimate <= plugin_entropy_bits(y) + 0.01


def test_independent_representation_gives_about_zero():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(N, 20)), rng.integers(0, 4, N)
    assert abs(usable_information(z, y)) < 0.05


@pytest.mark.parametrize("mu", [0.5, 1.0])
def test_gaussian_mixture_matches_the_analytic_mutual_information(mu):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 4000)
    z = np.where(y == 1, mu, -mu)[:, None] + rng.normal(size=(4000, 1))
    truth = mixture_mi_bits(mu)
    estimate = usable_information(z, y)
    # a decoder's cross-entropy bounds H(Y|Z) from above, so the estimate sits at or below the truth
    assert truth - 0.06 < estimate < truth + 0.03


def test_more_label_noise_gives_less_information():
    z, y = determined(n_classes=2, n=4000)
    rng = np.random.default_rng(3)
    estimates = []
    for flip in (0.0, 0.1, 0.3):
        noisy = np.where(rng.random(len(y)) < flip, 1 - y, y)
        estimates.append(usable_information(z, noisy))
    assert estimates[0] > estimates[1] + 0.2 > estimates[2] + 0.4
    # the noisy label's information is 1 - h(flip) bits: about 0.53 and 0.12
    assert estimates[1] == pytest.approx(1 - stats.entropy([0.1, 0.9], base=2), abs=0.06)


def test_many_decoders_at_once_agree_with_the_truth_of_each():
    z_det, y_det = determined(n_classes=5)
    rng = np.random.default_rng(4)
    z_indep, y_indep = rng.normal(size=(N, 3)), rng.integers(0, 2, N)
    estimates = usable_information_many([z_det, z_indep], [y_det, y_indep])
    assert estimates.shape == (2,)
    assert estimates[0] == pytest.approx(plugin_entropy_bits(y_det), abs=0.06)
    assert abs(estimates[1]) < 0.05


def test_same_seed_same_number_and_units_follow_base():
    z, y = determined(n_classes=3, n=500)
    bits = usable_information(z, y, epochs=5, seed=7)
    assert usable_information(z, y, epochs=5, seed=7) == bits
    assert usable_information(z, y, epochs=5, seed=8) != bits
    nats = usable_information(z, y, epochs=5, seed=7, base=math.e)
    assert nats == pytest.approx(bits * math.log(2), rel=1e-5)


def test_label_names_do_not_matter():
    z, y = determined(n_classes=3, n=500)
    renamed = np.array([3, 10, 42])[y]  # order-preserving, so the codes are the same
    assert usable_information(z, renamed, epochs=5) == usable_information(z, y, epochs=5)


@pytest.mark.parametrize(
    ("z", "y", "error", "message"),
    [
        (np.zeros((100, 2)), np.zeros(99, int), ValueError, "labels but its representation has"),
        (np.full((100, 2), np.nan), np.arange(100) % 2, ValueError, "NaN or infinite"),
        (np.random.rand(100, 2), np.zeros(100, int), ValueError, "single class"),
        (np.random.rand(10, 2), np.arange(10) % 2, ValueError, "too few samples"),
        (np.random.rand(100, 2), (np.arange(100) % 2).astype(float), TypeError, "integer"),
        (np.random.rand(100, 2, 2), np.arange(100) % 2, ValueError, "2-D"),
    ],
)
def test_bad_input_raises_a_clear_error(z, y, error, message):
    with pytest.raises(error, match=message):
        usable_information(z, y)


def test_bad_arguments_raise():
    z, y = determined(n=100)
    with pytest.raises(ValueError, match="test_fraction"):
        usable_information(z, y, test_fraction=1.0)
    with pytest.raises(ValueError, match="dropout"):
        usable_information(z, y, dropout=1.0)
    with pytest.raises(ValueError, match="same length"):
        usable_information_many([z, z], [y])
    with pytest.raises(ValueError, match="same number of samples"):
        usable_information_many([z, z[:50]], [y, y[:50]])
