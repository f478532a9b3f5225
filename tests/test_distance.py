"""Baseline distances of infolib.distance against hand computations, the HSIC definition of CKA,
the assignment problem, neuron permutations, a direct KL, and bad input."""

import copy
import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from scipy.stats import ortho_group
from torch import nn

from infolib.cache import cached
from infolib.coding import Codelength, kl_prequential_codelength
from infolib.distance import (
    InformationDistance,
    linear_cka,
    output_kl,
    param_cosine,
    param_emd,
    param_l2,
    penultimate,
    rep_cosine,
    rep_emd,
    rep_l2,
    sampled_label_code,
)
from infolib.models import mlp, small_resnet
from infolib.reparam import swap_neurons

OPTIONS = {"device": "cpu"}


def random_matrix(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def permute_hidden(model, index, permutation):
    """A copy of ``model`` (a Sequential) whose weight layer ``index`` has its neurons (output
    units) reordered by ``permutation``, and the next weight layer its inputs to match."""
    copied = copy.deepcopy(model)
    layers = [m for m in copied if isinstance(m, (nn.Linear, nn.Conv2d))]
    this, after = layers[index], layers[index + 1]
    with torch.no_grad():
        this.weight.copy_(this.weight[permutation])
        this.bias.copy_(this.bias[permutation])
        if isinstance(after, nn.Linear) and after.in_features != len(permutation):
            block = after.in_features // len(permutation)  # a flattened (C, H, W) map
            w = after.weight.reshape(after.out_features, len(permutation), block)
            after.weight.copy_(w[:, permutation].reshape(after.out_features, -1))
        else:
            after.weight.copy_(after.weight[:, permutation])
    return copied


def small_cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 5, 3), nn.ReLU(), nn.Flatten(), nn.Linear(5 * 2 * 2, 3),
    )  # fmt: skip


# --- linear CKA


def hsic_cka(x, y):
    """CKA from its published definition with centering matrices H = I - 11^T / n."""
    n = len(x)
    h = np.eye(n) - np.ones((n, n)) / n
    k, l_ = x @ x.T, y @ y.T
    return np.trace(k @ h @ l_ @ h) / np.sqrt(np.trace(k @ h @ k @ h) * np.trace(l_ @ h @ l_ @ h))


def test_linear_cka_matches_the_hsic_definition():
    for d_a, d_b in [(3, 7), (12, 5), (40, 40)]:
        x = random_matrix(30, d_a, seed=d_a) + 2.0  # an offset: centering matters
        y = random_matrix(30, d_b, seed=100 + d_b) + x[:, :1] ** 2
        assert linear_cka(x, y) == pytest.approx(hsic_cka(x, y), abs=1e-10)


def test_linear_cka_is_one_under_orthogonal_transform_and_scaling():
    x = random_matrix(25, 6, seed=1)
    q = ortho_group.rvs(6, random_state=2)
    assert linear_cka(x, 3 * x @ q) == pytest.approx(1.0, abs=1e-12)
    y = random_matrix(25, 4, seed=3)
    assert linear_cka(x, 7.5 * y) == pytest.approx(linear_cka(x, y), abs=1e-12)
    assert linear_cka(0.01 * x, y) == pytest.approx(linear_cka(x, y), abs=1e-12)
    assert linear_cka(x, y) == pytest.approx(linear_cka(y, x), abs=1e-14)
    assert 0 <= linear_cka(x, y) < 1


def test_linear_cka_on_a_small_example_by_hand():
    # centered x = (-1, 0, 1), y = (1, -2, 1): orthogonal, so CKA = 0; with y = x^2 likewise
    x = np.array([[0.0], [1.0], [2.0]])
    assert linear_cka(x, np.array([[1.0], [-2.0], [1.0]])) == pytest.approx(0.0, abs=1e-15)
    # one feature each: CKA = corr(x, y)^2
    y = np.array([[1.0], [2.0], [4.0]])
    assert linear_cka(x, y) == pytest.approx(np.corrcoef(x[:, 0], y[:, 0])[0, 1] ** 2)


def test_linear_cka_accepts_tensors_and_refuses_constant_representations():
    x = random_matrix(10, 3, seed=4)
    assert linear_cka(torch.from_numpy(x).float(), x) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="h_b is the same for every sample"):
        linear_cka(x, np.ones((10, 2)))
    # centring 0.1 leaves residues of 1e-17 (its mean is not exactly 0.1): still constant; CKA
    # of those residues gave 1.0, even 1.0000000000000002
    constant = np.full((10, 2), 0.1)
    assert constant.mean(axis=0)[0] != 0.1
    for other in (x, constant, np.full((10, 4), 0.7)):
        with pytest.raises(ValueError, match="h_a is the same for every sample"):
            linear_cka(constant, other)


# --- optimal transport


def test_rep_emd_is_the_assignment_optimum_over_n_and_permutation_invariant():
    h_a, h_b = random_matrix(20, 9, seed=5), random_matrix(20, 9, seed=6)
    cost = cdist(h_a.T, h_b.T)
    rows, cols = linear_sum_assignment(cost)
    assert rep_emd(h_a, h_b) == pytest.approx(cost[rows, cols].sum() / 9, rel=1e-12)
    permutation = np.random.default_rng(7).permutation(9)
    assert rep_emd(h_a, h_a[:, permutation]) == pytest.approx(0.0, abs=1e-12)
    assert rep_emd(h_a, h_b[:, permutation]) == pytest.approx(rep_emd(h_a, h_b), rel=1e-12)


def test_rep_emd_with_different_widths():
    h = random_matrix(15, 4, seed=8)
    # B holds each of A's features twice: every unit of A's mass finds itself at cost 0
    assert rep_emd(h, np.concatenate([h, h], axis=1)) == pytest.approx(0.0, abs=1e-12)
    # one feature in B: every feature of A travels to it, weight 1/4 each
    column = h[:, :1]
    assert rep_emd(h, column) == pytest.approx(np.linalg.norm(h - column, axis=0).mean())


def test_param_emd_of_one_layer_is_the_assignment_optimum_with_biases():
    a, b = nn.Linear(3, 6), nn.Linear(3, 6)
    points = [
        torch.cat([m.weight, m.bias[:, None]], dim=1).detach().double().numpy() for m in (a, b)
    ]
    cost = cdist(*points)
    rows, cols = linear_sum_assignment(cost)
    assert param_emd(a, b) == pytest.approx(cost[rows, cols].sum() / 6, rel=1e-10)


@pytest.mark.parametrize("index", [0, 1])
def test_param_emd_does_not_see_a_permutation_of_hidden_neurons(index):
    model = mlp(5, [7, 6], 3, seed=0)
    permutation = torch.from_numpy(np.random.default_rng(index).permutation([7, 6][index]))
    permuted = permute_hidden(model, index, permutation)
    x = torch.randn(8, 5)
    torch.testing.assert_close(permuted(x), model(x))  # the same function
    assert param_emd(model, permuted) == pytest.approx(0.0, abs=1e-8)
    assert param_l2(model, permuted) > 0.1
    # matched on raw incoming weights, the next layer's rows differ
    assert param_emd(model, permuted, align=False) > 0.01


def test_param_emd_aligns_channels_through_pooling_and_flatten():
    model = small_cnn().eval()
    for index in (0, 1):
        n = [4, 5][index]
        permutation = torch.from_numpy(np.random.default_rng(index).permutation(n))
        permuted = permute_hidden(model, index, permutation)
        if index == 0:  # the batch-norm after the first convolution follows its channels
            bn = permuted[1]
            for t in (bn.weight, bn.bias, bn.running_mean, bn.running_var):
                t.data.copy_(t.data[permutation])
        x = torch.randn(4, 1, 10, 10)
        torch.testing.assert_close(permuted(x), model(x))
        assert param_emd(model, permuted) == pytest.approx(0.0, abs=1e-8)
    other = small_cnn(seed=1)
    assert param_emd(model, other) > 0
    assert param_emd(model, other) == pytest.approx(param_emd(other, model), rel=1e-9)


def test_param_emd_needs_a_chain_to_align():
    a, b = small_resnet(widths=(4, 8), seed=0), small_resnet(widths=(4, 8), seed=1)
    with pytest.raises(ValueError, match="align=True.* not support _BasicBlock .*align=False"):
        param_emd(a, b)
    assert param_emd(a, b, align=False) > 0
    assert param_emd(a, copy.deepcopy(a), align=False) == 0


def test_param_emd_aligns_a_linear_through_a_flatten_only_when_the_flatten_keeps_its_units():
    # on (N, T, F) inputs a Linear's units are the last axis: after Flatten, input t H + h of the
    # next Linear, not a block of T inputs per unit. A permuted copy computes the same function
    # and align=True used to give 0.86 instead of 0
    def widening(seed):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Flatten(), nn.Linear(20, 2))

    a = widening(0)
    with pytest.raises(ValueError, match="Linear weight layer 0 reaches the next Linear "
                                         r"\(20 inputs\) through a Flatten.*align=False"):
        param_emd(a, widening(1))
    with pytest.raises(ValueError, match="through a Flatten of more than its 4 units"):
        swap_neurons(a, 0, 1.0)  # the same rule as the reparametrization
    # on (N, F) inputs the Flatten keeps the units: aligned, a permuted copy is at distance 0
    torch.manual_seed(2)
    plain = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2))
    permuted = swap_neurons(plain, 0, 1.0, seed=1)
    x = torch.randn(6, 3)
    torch.testing.assert_close(permuted(x), plain(x))
    assert not torch.equal(permuted[0].weight, plain[0].weight)
    assert param_emd(plain, permuted) == pytest.approx(0.0, abs=1e-6)


def test_param_measures_refuse_shared_weights():
    # model.modules() lists a layer used twice once: a layer-by-layer measure would miss a use
    layer = nn.Linear(3, 3)
    shared = nn.Sequential(layer, nn.ReLU(), layer)
    for align in (True, False):
        with pytest.raises(ValueError, match=r"model_a uses one layer at several places \(0, 2\)"):
            param_emd(shared, copy.deepcopy(shared), align=align)
    with pytest.raises(ValueError, match="penultimate: model uses one layer at several places"):
        penultimate(shared, torch.randn(2, 3), **OPTIONS)


def test_param_emd_refuses_to_align_a_conv_reaching_a_linear_without_flatten():
    # the Linear acts on the last spatial axis (8 columns = 2 blocks of 4 "channels"), not on the
    # channels: align=True used to apply the channel plan to width blocks and return a number
    def conv_linear(seed):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Linear(8, 3))

    a, b = conv_linear(0), conv_linear(1)
    with pytest.raises(ValueError, match="Conv2d weight layer 0 reaches the next Linear without "
                                         "a Flatten.*align=False"):
        param_emd(a, b)
    with pytest.raises(ValueError, match="without a Flatten"):
        swap_neurons(a, 0, 1.0)  # the same rule as the reparametrization
    assert param_emd(a, b, align=False) > 0
    # a Linear (or a Flatten) feeding a Conv2d is refused too
    linear_conv = nn.Sequential(nn.Linear(10, 10), nn.Conv2d(1, 2, 3))
    with pytest.raises(ValueError, match=r"weight layer 0 \(Linear\) feeds a Conv2d"):
        param_emd(linear_conv, copy.deepcopy(linear_conv))
    flat_conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Conv2d(2, 2, 1))
    with pytest.raises(ValueError, match="feeds a Conv2d through a Flatten"):
        param_emd(flat_conv, copy.deepcopy(flat_conv))
    # with the Flatten the chain is accepted (as in small_cnn)
    flattened = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 2 * 8, 3))
    assert param_emd(flattened, copy.deepcopy(flattened)) == pytest.approx(0.0, abs=1e-12)


# --- parameter space


def test_param_l2_and_cosine_by_hand():
    a, b = nn.Linear(2, 1), nn.Linear(2, 1)
    with torch.no_grad():
        a.weight.copy_(torch.tensor([[1.0, 2.0]])), a.bias.fill_(2.0)  # w_A = (1, 2, 2)
        b.weight.copy_(torch.tensor([[1.0, 0.0]])), b.bias.fill_(0.0)  # w_B = (1, 0, 0)
    assert param_l2(a, b) == pytest.approx(math.sqrt(8))
    assert param_cosine(a, b) == pytest.approx(1 / 3)
    assert param_cosine(a, a) == pytest.approx(1.0)
    with torch.no_grad():
        b.weight.mul_(-4)
    assert param_cosine(a, b) == pytest.approx(-1 / 3)


def test_param_l2_ignores_batch_norm_running_statistics_and_by_default_its_affine_weights():
    model = small_cnn().train()
    other = copy.deepcopy(model)
    before = param_l2(model, other), param_cosine(model, other)
    other(torch.randn(8, 1, 10, 10) * 5 + 3)  # a training-mode pass updates the statistics
    other[1].running_mean.add_(100.0)
    assert not torch.equal(other[1].running_var, model[1].running_var)
    assert (param_l2(model, other), param_cosine(model, other)) == before
    assert (param_l2(model, other, exclude_batch_norm=False),
            param_cosine(model, other, exclude_batch_norm=False)) == before
    assert before == (0.0, pytest.approx(1.0, abs=1e-12))
    with torch.no_grad():
        other[1].weight.add_(1.0)  # 4 affine weights of the batch-norm, each + 1
        other[1].bias.sub_(3.0)
    # the paper (app. B.1) leaves out the parameters of batch-normalization layers: only the
    # batch-norm's weight and bias differ, so the distance is 0 and the cosine 1 by default
    assert param_l2(model, other) == 0.0
    assert param_cosine(model, other) == pytest.approx(1.0, abs=1e-12)
    # ... and they count with exclude_batch_norm=False: 4 weights + 1, 4 biases - 3
    assert param_l2(model, other, exclude_batch_norm=False) == pytest.approx(math.sqrt(40))
    assert param_cosine(model, other, exclude_batch_norm=False) < 1 - 1e-4
    with torch.no_grad():
        other[0].bias.add_(2.0)  # the conv's 4 biases, each + 2: counted either way
    assert param_l2(model, other) == pytest.approx(4.0)
    assert param_l2(model, other, exclude_batch_norm=False) == pytest.approx(math.sqrt(56))


def test_exclude_batch_norm_covers_every_batch_norm_and_nested_modules():
    def net():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4),
                             nn.Sequential(nn.ReLU(), nn.Linear(4, 5), nn.BatchNorm1d(5)),
                             nn.Linear(5, 2))

    a, b = net(), net()
    with torch.no_grad():
        b[1].weight.mul_(3.0), b[2][2].bias.add_(1.0)
    assert param_l2(a, b) == 0.0 and param_cosine(a, b) == pytest.approx(1.0, abs=1e-12)
    assert param_l2(a, b, exclude_batch_norm=False) > 0.5
    with torch.no_grad():
        b[2][1].weight[0, 0] += 0.5  # a Linear inside the nested container still counts
    assert param_l2(a, b) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="outside its batch-norm"):
        param_l2(nn.BatchNorm1d(3), nn.BatchNorm1d(3))
    assert param_l2(nn.BatchNorm1d(3), nn.BatchNorm1d(3), exclude_batch_norm=False) == 0.0
    with pytest.raises(TypeError, match="exclude_batch_norm"):
        param_cosine(a, b, exclude_batch_norm="yes")


def test_param_distances_refuse_different_architectures():
    with pytest.raises(ValueError, match="same shapes.*0.weight"):
        param_l2(mlp(3, [4], 2), mlp(3, [5], 2))
    with pytest.raises(ValueError, match=r"only in model_b: \['4.weight'"):
        param_cosine(mlp(3, [4], 2), mlp(3, [4, 4], 2))
    with pytest.raises(TypeError, match="model_b must be a torch.nn.Module"):
        param_emd(mlp(3, [4], 2), "model")
    broken = mlp(3, [4], 2)
    with torch.no_grad():
        broken[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="model_a has NaN"):
        param_l2(broken, mlp(3, [4], 2))
    with pytest.raises(ValueError, match="Conv1d"):
        param_emd(nn.Conv1d(1, 2, 3), nn.Conv1d(1, 2, 3))


# --- representation space


def test_rep_l2_and_cosine_by_hand():
    h_a = np.array([[3.0, 4.0], [1.0, 0.0]])
    h_b = np.array([[0.0, 0.0], [0.0, 2.0]])
    assert rep_l2(h_a, h_b) == pytest.approx((5 + math.sqrt(5)) / 2)  # mean, not Frobenius
    h_b = np.array([[6.0, 8.0], [0.0, 2.0]])
    assert rep_cosine(h_a, h_b) == pytest.approx((1 + 0) / 2)
    assert rep_cosine(h_a, np.array([[0.0, 0.0], [-1.0, 0.0]])) == pytest.approx((0 - 1) / 2)
    assert rep_l2(h_a, torch.tensor(h_a)) == 0


def test_rep_cosine_of_tiny_and_huge_rows_and_its_range():
    # the product of two norms near 1e-170 underflows to 0 (and near 1e200 overflows): parallel
    # rows must still have cosine 1, opposite rows -1, and no rounding may leave [-1, 1]
    h = np.array([[3e-170, 4e-170], [3e200, -4e200], [1e-320, 0.0]])
    assert rep_cosine(h, 2 * h) == 1.0
    assert rep_cosine(h, -h) == -1.0
    rows = np.random.default_rng(0).normal(size=(500, 7)) * 0.1
    cosines = [rep_cosine(r[None], 3 * r[None]) for r in rows]
    assert max(cosines) <= 1.0 and min(cosines) == pytest.approx(1.0, abs=1e-15)


def test_representations_bad_input():
    h = random_matrix(5, 3)
    with pytest.raises(ValueError, match="same samples.*5 and 4"):
        rep_emd(h, h[:4])
    with pytest.raises(ValueError, match="same number of features.*3 and 2"):
        rep_l2(h, h[:, :2])
    with pytest.raises(ValueError, match="h_a must be 2-D"):
        rep_cosine(h[:, 0], h[:, 0])
    with pytest.raises(ValueError, match="h_b contains NaN"):
        linear_cka(h, np.full((5, 3), np.nan))
    assert rep_l2(h.tolist(), h) == 0.0  # nested lists of numbers, as infolib.checks.matrix
    with pytest.raises(TypeError, match="h_a must hold real numbers"):
        rep_l2(np.array([["a"] * 3] * 5), h)
    with pytest.raises(TypeError, match="real numbers"):
        rep_emd(h.astype(complex), h)


# --- output space and read-out


def test_output_kl_is_zero_for_one_model_and_matches_a_direct_computation():
    model_a, model_b = mlp(4, [6], 3, seed=0), mlp(4, [6], 3, seed=1)
    x = torch.randn(50, 4, generator=torch.Generator().manual_seed(0))
    assert output_kl(model_a, model_a, x, **OPTIONS) == pytest.approx(0.0, abs=1e-15)
    with torch.no_grad():
        p_a = torch.softmax(model_a(x).double(), -1)
        p_b = torch.softmax(model_b(x).double(), -1)
    forward = (p_a * torch.log2(p_a / p_b)).sum(-1).mean().item()
    backward = (p_b * torch.log2(p_b / p_a)).sum(-1).mean().item()
    kl = output_kl(model_a, model_b, x, chunk_size=7, **OPTIONS)
    assert kl > 0
    assert kl == pytest.approx(forward, rel=1e-5)
    assert output_kl(model_b, model_a, x.numpy(), **OPTIONS) == pytest.approx(backward, rel=1e-5)
    assert abs(forward - backward) > 1e-3 * forward  # the direction matters here


def test_output_kl_restores_modes_and_leaves_the_models_alone():
    model = small_cnn().train()
    other = copy.deepcopy(model)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(6, 1, 10, 10)
    output_kl(model, other, x, **OPTIONS)  # in train mode batch-norm would update its statistics
    assert model.training and all(m.training for m in model.modules())
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert output_kl(model, other, x, **OPTIONS) == pytest.approx(0.0, abs=1e-12)


def test_output_kl_of_two_models_in_training_mode_is_their_eval_mode_kl():
    # both models read in eval mode (running statistics, no dropout), both left as they were
    def network(seed):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.5),
                              nn.Linear(6, 3))
        with torch.no_grad():
            model[1].running_mean.uniform_(-1, 1)
            model[1].running_var.uniform_(0.5, 2)
        return model.train()

    model_a, model_b = network(0), network(1)
    states = [copy.deepcopy(m.state_dict()) for m in (model_a, model_b)]
    x = torch.randn(20, 4, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        p_a, p_b = (torch.softmax(copy.deepcopy(m).eval()(x).double(), -1)
                    for m in (model_a, model_b))
    expected = (p_a * torch.log2(p_a / p_b)).sum(-1).mean().item()
    assert output_kl(model_a, model_b, x, **OPTIONS) == pytest.approx(expected, rel=1e-5)
    for model, state in zip((model_a, model_b), states):
        assert all(m.training for m in model.modules())
        assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_output_kl_bad_input():
    model = mlp(4, [6], 3, seed=0)
    with pytest.raises(ValueError, match="same number of classes, got 3 and 2"):
        output_kl(model, mlp(4, [6], 2), torch.randn(3, 4), **OPTIONS)
    with pytest.raises(ValueError, match="needs K >= 2"):
        output_kl(model, mlp(4, [6], 1), torch.randn(3, 4), **OPTIONS)
    with pytest.raises(ValueError, match="x contains NaN"):
        output_kl(model, model, torch.full((3, 4), math.nan), **OPTIONS)
    with pytest.raises(ValueError, match="chunk_size must be an int >= 1"):
        output_kl(model, model, torch.randn(3, 4), chunk_size=0, **OPTIONS)
    with pytest.raises(TypeError, match="chunk_size must be an int"):
        output_kl(model, model, torch.randn(3, 4), chunk_size=2.0, **OPTIONS)


def test_chunk_sizes_may_be_numpy_integers():
    model, other = mlp(4, [6], 3, seed=0), mlp(4, [6], 3, seed=1)
    x = torch.randn(9, 4)
    kl = output_kl(model, other, x, chunk_size=np.int64(4), **OPTIONS)
    assert kl == pytest.approx(output_kl(model, other, x, chunk_size=4, **OPTIONS), rel=1e-12)
    torch.testing.assert_close(
        penultimate(model, x, chunk_size=np.int32(4), **OPTIONS), penultimate(model, x, **OPTIONS)
    )
    with pytest.raises(TypeError, match="x must be a torch.Tensor or numpy array"):
        output_kl(model, model, [[0.0] * 4], **OPTIONS)
    with pytest.raises(ValueError, match="device must be"):
        output_kl(model, model, torch.randn(3, 4), device="tpu")


def test_penultimate_is_the_input_of_the_last_weight_layer():
    model = mlp(4, [6, 5], 3, seed=0).train()
    x = torch.randn(9, 4)
    h = penultimate(model, x, chunk_size=4, **OPTIONS)
    with torch.no_grad():
        expected = model[:-1](x)
    torch.testing.assert_close(h, expected)
    assert model.training
    cnn = small_cnn()
    h = penultimate(cnn, torch.randn(3, 1, 10, 10), **OPTIONS)
    assert h.shape == (3, 20) and h.device.type == "cpu"
    resnet = small_resnet(widths=(4, 8), seed=0)
    assert penultimate(resnet, torch.randn(2, 1, 8, 8), **OPTIONS).shape == (2, 8)
    with pytest.raises(ValueError, match="no Linear or Conv2d"):
        penultimate(nn.Sequential(nn.ReLU()), x, **OPTIONS)
    with pytest.raises(ValueError, match="penultimate does not support Conv1d.*Linear, Conv2d"):
        penultimate(nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten(), nn.Linear(4, 2)), x, **OPTIONS)


def test_penultimate_reads_a_model_in_training_mode_in_eval_mode_and_leaves_it_so():
    # batch-norm with its running statistics, dropout off; the statistics are not updated
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(6, 3))
    with torch.no_grad():
        model[1].running_mean.uniform_(-1, 1)
        model[1].running_var.uniform_(0.5, 2)
    model.train()
    before = copy.deepcopy(model.state_dict())
    x = torch.randn(9, 4)
    h = penultimate(model, x, **OPTIONS)
    with torch.no_grad():
        expected = copy.deepcopy(model).eval()[:-1](x)
    torch.testing.assert_close(h, expected)
    assert model.training and all(module.training for module in model)
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


# --------------------------------------------------------------------------------------------
# information_distance: d_p of eq. 7
# --------------------------------------------------------------------------------------------


def _trained_mlp(seed, x, y):
    from infolib.models import mlp
    from infolib.train import fit

    model = mlp(2, [16], 3, seed=seed)
    fit(model, x, y, epochs=20, batch_size=32, lr=1e-2, optimizer="adam", seed=seed,
        progress=False)
    return model


def test_information_distance_is_zero_for_one_function_and_symmetric():
    from infolib.distance import information_distance

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(600, 2, generator=generator)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()  # three classes
    model_a = _trained_mlp(1, x[:400], y[:400])
    independent = _trained_mlp(2, x[:400], y[:400])  # another seed, the same task
    constant = _trained_mlp(3, x[:400], y[:400] * 0)  # a different function: always class 0
    probe = x[400:]
    options = dict(seed=0, device="cpu", progress=False)
    same = information_distance(model_a, copy.deepcopy(model_a), probe, **options)
    near = information_distance(model_a, independent, probe, **options)
    far = information_distance(model_a, constant, probe, **options)
    assert float(same) == pytest.approx(0.0, abs=1e-6)
    assert 1e-3 < float(near) < float(far) and float(far) > 10.0
    swapped = information_distance(constant, model_a, probe, **options)
    assert float(swapped) == pytest.approx(float(far))
    # the two parts: each direction is one KL-prequential code, d_p the larger total
    assert far.a_given_b.total == pytest.approx(swapped.b_given_a.total)
    assert far.b_given_a.total == pytest.approx(swapped.a_given_b.total)
    direct = kl_prequential_codelength(model_a, constant, probe, **options)
    assert far.b_given_a.total == direct.total
    np.testing.assert_array_equal(far.b_given_a.blocks, direct.blocks)
    assert float(far) == far.total == max(far.a_given_b.total, far.b_given_a.total)
    assert isinstance(far, InformationDistance) and isinstance(float(far), float)


def test_step_floor_distance_is_information_distance_with_the_chapters_coding():
    """The same numbers, bit for bit, as information_distance with step_floor_options for len(x)
    examples, a first block of 10 and Adam at 1e-3; another learning rate changes them."""
    from infolib.coding import step_floor_options
    from infolib.distance import information_distance, step_floor_distance

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(300, 2, generator=generator)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    model_a, model_b = _trained_mlp(1, x[:200], y[:200]), _trained_mlp(2, x[:200], y[:200])
    probe = x[200:]
    shared = step_floor_distance(model_a, model_b, probe, seed=3, device="cpu")
    direct = information_distance(model_a, model_b, probe, **step_floor_options(
        100, min_first_block=10, lr=1e-3, seed=3, device="cpu"))
    for name in ("a_given_b", "b_given_a"):
        np.testing.assert_array_equal(getattr(shared, name).blocks, getattr(direct, name).blocks)
        np.testing.assert_array_equal(getattr(shared, name).ends, getattr(direct, name).ends)
    assert shared.a_given_b.ends[0] == 10  # the first block
    faster = step_floor_distance(model_a, model_b, probe, seed=3, device="cpu", lr=1e-2)
    assert float(faster) != float(shared)


def test_information_distance_result_round_trips_through_the_cache(tmp_path):
    parts = [
        Codelength(total=t, blocks=np.array([t / 4, 3 * t / 4]), ends=np.array([2, 10]))
        for t in (1.5, 2.25)
    ]
    result = InformationDistance(a_given_b=parts[0], b_given_a=parts[1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.a_given_b = parts[1]

    def compute():  # counts its calls, in an attribute: a closure's values enter the key
        compute.calls += 1
        return result

    compute.calls = 0
    key = dict(chapter="test_distance", unit=1)
    first = cached(key, compute, root=tmp_path)
    again = cached(key, compute, root=tmp_path)
    assert compute.calls == 1 and first is result and isinstance(again, InformationDistance)
    assert float(again) == float(result) == 2.25
    assert result.as_record() == dict(d_p=2.25, a_given_b=1.5, b_given_a=2.25)
    for name in ("a_given_b", "b_given_a"):
        stored, original = getattr(again, name), getattr(result, name)
        assert isinstance(stored, Codelength) and stored.total == original.total
        np.testing.assert_array_equal(stored.blocks, original.blocks)
        np.testing.assert_array_equal(stored.ends, original.ends)


def test_information_distance_works_with_batch_norm_models():
    """The first blocks train on 1, 2, 3, ... examples; batch-norm copies never see a training
    batch of one (infolib.train.fit)."""
    from infolib.distance import information_distance
    from infolib.train import BlockTraining

    def batch_norm_mlp(seed):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))

    x = torch.randn(100, 2, generator=torch.Generator().manual_seed(1), requires_grad=True)
    options = dict(train=BlockTraining(max_epochs=5), seed=0, device="cpu", progress=False)
    model_a, model_b = batch_norm_mlp(0), batch_norm_mlp(1)
    same = information_distance(model_a, copy.deepcopy(model_a), x, **options)
    apart = information_distance(model_a, model_b, x, **options)
    assert float(same) == pytest.approx(0.0, abs=1e-6)
    assert math.isfinite(apart) and float(apart) > 1e-3
    assert x.grad is None


def frozen_constant(p):
    """A frozen network that outputs the distribution p for every 2-D input."""
    layer = nn.Linear(2, len(p))
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.copy_(torch.log(torch.tensor(p)))
    return layer.requires_grad_(False)


def test_sampled_label_code_of_frozen_networks_is_the_log_ratio_and_averages_to_the_kl():
    """Nothing learns: L_k = sum_i log2 p(y_i) / q(y_i) for y_i ~ p exactly (eq. 3), and its mean
    over samples is N KL(p || q) = L'(f_B | f_A) (eq. 6), the expected code."""
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.3, 0.5])
    f_a, f_b = frozen_constant(q), frozen_constant(p)
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(0))
    options = {"device": "cpu", "progress": False}
    codes = [sampled_label_code(f_a, f_b, x, sample_seed=s, **options) for s in range(40)]
    one = codes[0]
    generator = torch.Generator().manual_seed(0)
    y = torch.multinomial(torch.tensor(p, dtype=torch.float64).expand(300, 3), 1,
                          generator=generator).squeeze(1).numpy()
    assert one.bits_back == pytest.approx(-np.log2(p[y]).sum(), rel=1e-9)
    assert one.total == pytest.approx(np.log2(p[y] / q[y]).sum(), rel=1e-6)
    expected = float(kl_prequential_codelength(f_a, f_b, x, **options))
    assert expected == pytest.approx(300 * (p * np.log2(p / q)).sum(), rel=1e-6)
    totals = np.array([c.total for c in codes])
    assert abs(totals.mean() - expected) < 3 * totals.std() / math.sqrt(len(totals))
    same = sampled_label_code(f_b, f_b, x, **options)
    assert same.total == pytest.approx(0.0, abs=1e-9)


def test_sampled_label_code_rejects_bad_input():
    f = frozen_constant([0.5, 0.5])
    with pytest.raises(ValueError):
        sampled_label_code(f, f, torch.zeros(1, 2), device="cpu", progress=False)
    with pytest.raises(TypeError):
        sampled_label_code(f, f, torch.zeros(5, 2), sample_seed=0.5, device="cpu", progress=False)


def test_zero_function_gives_uniform_outputs_and_leaves_the_model_alone():
    from infolib.distance import zero_function
    from infolib.models import small_cnn

    model = small_cnn(hidden=16, seed=3)
    before = [p.clone() for p in model.parameters()]
    empty = zero_function(model)
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(empty(x), torch.zeros(4, 10))
    assert torch.allclose(torch.softmax(empty(x), dim=1), torch.full((4, 10), 0.1))
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), before, strict=True))
    assert sum(p.numel() for p in empty.parameters()) == sum(p.numel() for p in before)
    with pytest.raises(TypeError):
        zero_function("not a model")
