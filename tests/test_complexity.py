"""Tests of infolib.complexity against direct computations."""

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from infolib.complexity import (
    SUPPORTED_LAYERS,
    frobenius_product,
    path_norm,
    spectral_product,
)
from infolib.models import CHAIN_LAYERS, mlp


def _weights(model):
    return [m.weight.detach().double().numpy() for m in model if isinstance(m, nn.Linear)]


def test_spectral_and_frobenius_products_match_numpy():
    model = mlp(5, [4, 3], 2, seed=0)
    ws = _weights(model)
    assert spectral_product(model) == pytest.approx(
        np.prod([np.linalg.norm(w, 2) ** 2 for w in ws])
    )
    assert frobenius_product(model) == pytest.approx(np.prod([np.sum(w**2) for w in ws]))


def test_path_norm_without_biases_is_the_sum_over_all_paths():
    model = mlp(3, [4, 2], 2, seed=1)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)
    w1, w2, w3 = _weights(model)
    brute = sum(
        w1[j, i] ** 2 * w2[k, j] ** 2 * w3[o, k] ** 2
        for i, j, k, o in itertools.product(range(3), range(4), range(2), range(2))
    )
    assert path_norm(model) == pytest.approx(brute, rel=1e-12)


def test_path_norm_counts_a_bias_as_a_path_from_its_unit():
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.fill_(2.0), model[0].bias.fill_(3.0)
        model[2].weight.fill_(5.0), model[2].bias.fill_(7.0)
    # (1 * 2^2 + 3^2) * 5^2 + 7^2
    assert path_norm(model) == pytest.approx((4 + 9) * 25 + 49)


def test_measures_scale_as_their_formulas_say():
    model = mlp(6, [5], 3, seed=2)
    before = (spectral_product(model), frobenius_product(model))
    with torch.no_grad():
        model[0].weight.mul_(2.0)
    assert spectral_product(model) == pytest.approx(4 * before[0])
    assert frobenius_product(model) == pytest.approx(4 * before[1])


def test_unsupported_models_are_refused():
    with pytest.raises(ValueError, match="does not support Conv2d.*supported layers: Linear, ReLU"):
        path_norm(nn.Sequential(nn.Conv2d(1, 1, 3), nn.ReLU(), nn.Linear(1, 1)))
    with pytest.raises(ValueError, match="does not support BatchNorm1d, Tanh"):
        path_norm(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.Tanh(), nn.Linear(2, 1)))
    with pytest.raises(TypeError, match="Sequential"):
        frobenius_product(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="no Linear"):
        spectral_product(nn.Sequential(nn.ReLU()))
    # one Linear used twice: model.modules() lists it once, so the products and the path norm
    # missed a factor (0.547 for 0.299, ...)
    layer = nn.Linear(3, 3)
    for measure in (spectral_product, frobenius_product, path_norm):
        with pytest.raises(ValueError, match=r"one Linear at several places \(0, 2\)"):
            measure(nn.Sequential(layer, nn.ReLU(), layer))


def test_supported_layers_are_part_of_the_shared_registry_and_nesting_is_allowed():
    assert set(SUPPORTED_LAYERS) <= set(CHAIN_LAYERS)
    flat = mlp(4, [3, 2], 2, seed=1)
    nested = nn.Sequential(nn.Sequential(flat[0], flat[1]), nn.Sequential(*flat[2:]))
    for measure in (spectral_product, frobenius_product, path_norm):
        assert measure(nested) == measure(flat)
