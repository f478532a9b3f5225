"""Fisher information of the weights against the closed form of softmax regression, a slow
per-sample autograd loop, the KL divergence it approximates, and bad input."""

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from infolib.fisher import (
    MAX_MATRIX_PARAMETERS,
    fisher_diagonal,
    fisher_logdet,
    fisher_matrix,
    fisher_trace,
)

OPTIONS = {"device": "cpu", "progress": False}


def mlp(seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).to(dtype)


def small_cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 4)
    )  # P = 30 + 196


def inputs(*shape, seed=1, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def reference_fisher(model, x, mode="expected", y=None, mc_samples=1, seed=0):
    """F from its definition: one autograd backward per input and per label, in a Python loop.

    Sampled labels follow the rule of the module docstring (inverse CDF of default_rng(seed))."""
    params = [p for p in model.parameters() if p.requires_grad]
    size = sum(p.numel() for p in params)
    total = torch.zeros(size, size, dtype=torch.float64)
    uniforms = np.random.default_rng(seed).random((len(x), mc_samples))
    model.eval()
    for i in range(len(x)):
        log_p = torch.log_softmax(model(x[i : i + 1])[0], dim=-1)
        p = log_p.detach().exp().double().numpy()
        if mode == "expected":
            labels = [(k, p[k]) for k in range(len(p))]
        elif mode == "empirical":
            labels = [(int(y[i]), 1.0)]
        else:
            cdf = np.cumsum(p)
            labels = [(min(int((cdf <= u).sum()), len(p) - 1), 1 / mc_samples) for u in uniforms[i]]
        for label, weight in labels:
            grads = torch.autograd.grad(log_p[label], params, retain_graph=True)
            g = parameters_to_vector(grads).double()
            total += weight * torch.outer(g, g)
    return (total / len(x)).numpy()


def softmax_regression_fisher(model, x):
    """(1/N) sum_i (diag(p_i) - p_i p_i^T) kron [x_i; 1][x_i; 1]^T, in parameters_to_vector order:
    the weight (K, d) row by row, then the bias (K,)."""
    weight = model.weight.detach().numpy()
    bias = model.bias.detach().numpy()
    total = 0
    for xi in x.numpy():
        logits = weight @ xi + bias
        p = np.exp(logits - logits.max())
        p /= p.sum()
        a = np.diag(p) - np.outer(p, p)  # (K, K): the Fisher of the logits
        total = total + np.block(
            [
                [np.kron(a, np.outer(xi, xi)), np.kron(a, xi[:, None])],  # weight rows (k, j)
                [np.kron(a, xi[None, :]), a],  # bias
            ]
        )
    return total / len(x)


def relative(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


def test_softmax_regression_matches_the_closed_form():
    torch.manual_seed(0)
    model = nn.Linear(3, 3).double()
    x = inputs(20, 3, dtype=torch.float64)
    matrix = fisher_matrix(model, x, chunk_size=7, **OPTIONS)
    expected = softmax_regression_fisher(model, x)
    assert matrix.shape == (12, 12)
    np.testing.assert_allclose(matrix, expected, rtol=1e-10, atol=1e-13)
    with torch.no_grad():
        p = torch.softmax(model(x), dim=1).numpy()
    trace = np.mean((np.sum(x.numpy() ** 2, axis=1) + 1) * (1 - np.sum(p**2, axis=1)))
    assert fisher_trace(model, x, **OPTIONS) == pytest.approx(trace, rel=1e-12)
    np.testing.assert_allclose(fisher_diagonal(model, x, **OPTIONS), np.diag(expected), rtol=1e-10)


@pytest.mark.parametrize(
    "mode, extra",
    [("expected", {}), ("sampled", {"mc_samples": 2}), ("sampled", {"mc_samples": 7})]
    + [("empirical", {"y": torch.tensor([0, 2, 1, 1, 0, 2, 2, 1, 0, 0, 1, 2, 0])})],
)
def test_trace_diagonal_and_matrix_agree_in_every_mode(mode, extra):
    model, x = mlp(), inputs(13, 4)
    trace = fisher_trace(model, x, mode=mode, seed=3, chunk_size=5, **extra, **OPTIONS)
    diagonal = fisher_diagonal(model, x, mode=mode, seed=3, chunk_size=5, **extra, **OPTIONS)
    matrix = fisher_matrix(model, x, mode=mode, seed=3, chunk_size=5, **extra, **OPTIONS)
    assert diagonal.shape == (51,) and matrix.shape == (51, 51)
    assert diagonal.dtype == matrix.dtype == np.float64
    assert trace > 0
    assert trace == pytest.approx(diagonal.sum(), rel=1e-12)
    assert trace == pytest.approx(np.trace(matrix), rel=1e-6)
    np.testing.assert_allclose(np.diag(matrix), diagonal, rtol=1e-6)
    np.testing.assert_allclose(matrix, matrix.T, rtol=0, atol=1e-12)
    assert np.linalg.eigvalsh(matrix).min() > -1e-9 * trace


@pytest.mark.parametrize(
    "mode, extra",
    [("expected", {}), ("sampled", {"mc_samples": 2}), ("sampled", {"mc_samples": 6})]
    + [("empirical", {"y": torch.tensor([3, 0, 1, 2, 2, 1, 0, 3, 3, 1, 0, 2])})],
)
def test_vectorized_equals_a_per_sample_autograd_loop_on_a_cnn(mode, extra):
    model, x = small_cnn(), inputs(12, 1, 6, 6)
    reference = reference_fisher(model, x, mode=mode, seed=4, **extra)
    matrix = fisher_matrix(model, x, mode=mode, seed=4, chunk_size=5, **extra, **OPTIONS)
    diagonal = fisher_diagonal(model, x, mode=mode, seed=4, chunk_size=5, **extra, **OPTIONS)
    trace = fisher_trace(model, x, mode=mode, seed=4, **extra, **OPTIONS)
    assert relative(matrix, reference) < 1e-5
    assert relative(diagonal, np.diag(reference)) < 1e-5
    assert trace == pytest.approx(np.trace(reference), rel=1e-5)


def test_sampled_converges_to_expected_and_is_reproducible():
    model, x = mlp(), inputs(6, 4)
    expected = fisher_trace(model, x, **OPTIONS)
    sampled = fisher_trace(model, x, mode="sampled", mc_samples=20_000, **OPTIONS)
    assert sampled == pytest.approx(expected, rel=0.02)
    one = fisher_trace(model, x, mode="sampled", seed=5, **OPTIONS)
    assert one == fisher_trace(model, x, mode="sampled", seed=5, **OPTIONS)
    assert one != fisher_trace(model, x, mode="sampled", seed=6, **OPTIONS)
    # the labels depend on the seed only, not on how the inputs are split into chunks
    assert one == pytest.approx(
        fisher_trace(model, x, mode="sampled", seed=5, chunk_size=4, **OPTIONS), rel=1e-6
    )


def test_twice_the_kl_divergence_is_the_fisher_quadratic_form():
    model, x = mlp(dtype=torch.float64), inputs(30, 4, dtype=torch.float64)
    matrix = fisher_matrix(model, x, **OPTIONS)
    dw = 1e-3 * torch.randn(matrix.shape[0], generator=torch.Generator().manual_seed(2)).double()
    moved = copy.deepcopy(model)
    vector_to_parameters(parameters_to_vector(model.parameters()) + dw, moved.parameters())
    with torch.no_grad():
        log_p, log_q = torch.log_softmax(model(x), 1), torch.log_softmax(moved(x), 1)
    kl = (log_p.exp() * (log_p - log_q)).sum(1).mean().item()
    quadratic = dw.numpy() @ matrix @ dw.numpy()
    assert 2 * kl == pytest.approx(quadratic, rel=0.01)


def test_logdet_equals_numpy_slogdet_of_the_damped_matrix():
    model, x = mlp(), inputs(40, 4)
    matrix = fisher_matrix(model, x, **OPTIONS)
    for damping in (1e-8, 1e-3):
        sign, logdet = np.linalg.slogdet(matrix + damping * np.eye(len(matrix)))
        assert sign == 1
        value = fisher_logdet(model, x, damping=damping, **OPTIONS)
        assert value == pytest.approx(logdet, rel=1e-9)
    assert fisher_logdet(model, x, **OPTIONS) == pytest.approx(
        np.linalg.slogdet(matrix + 1e-8 * np.eye(len(matrix)))[1], rel=1e-9
    )
    # independent of slogdet: the last layer's fan_in + 1 = 7 null directions each add
    # log(damping), and the other eigenvalues (>= 2.7e-7 here) barely move between two dampings
    # far below them, so the log-determinants differ by 7 log(10) per decade
    decade = (fisher_logdet(model, x, damping=1e-11, **OPTIONS)
              - fisher_logdet(model, x, damping=1e-12, **OPTIONS))
    assert decade / math.log(10) == pytest.approx(7.0, abs=1e-2)
    # 2 inputs: rank <= 2 (K - 1) = 4 < P = 51, singular without damping
    assert fisher_logdet(model, x[:2], damping=0.0, **OPTIONS) == -math.inf
    # Adding a vector to every row of the last layer leaves the softmax unchanged: F is singular
    # whatever N. With that layer frozen, F of the first layer (P = 30) has full rank.
    assert fisher_logdet(model, x, damping=0.0, **OPTIONS) == -math.inf
    model[2].requires_grad_(False)
    first_layer = fisher_matrix(model, x, **OPTIONS)
    full_rank = fisher_logdet(model, x, damping=0.0, **OPTIONS)
    assert full_rank == pytest.approx(np.linalg.slogdet(first_layer)[1], rel=1e-9)


def test_frozen_parameters_are_left_out_and_the_order_is_parameters_to_vector():
    model, x = mlp(), inputs(10, 4)
    full = fisher_diagonal(model, x, **OPTIONS)
    model[0].weight.requires_grad_(False)  # the first 24 entries of parameters_to_vector
    assert len(fisher_diagonal(model, x, **OPTIONS)) == 51 - 24
    np.testing.assert_allclose(fisher_diagonal(model, x, **OPTIONS), full[24:], rtol=1e-6)


def test_the_model_is_left_unchanged_and_evaluated_in_eval_mode():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3)
    )
    model.train()
    model[1].eval()  # a mixed state, restored exactly
    flags = [module.training for module in model.modules()]
    state = copy.deepcopy(model.state_dict())
    x = inputs(9, 4)
    value = fisher_trace(model, x, chunk_size=4, **OPTIONS)
    assert [module.training for module in model.modules()] == flags
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, state[name]), name  # weights and running statistics
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert value == fisher_trace(model, x, chunk_size=4, **OPTIONS)  # dropout off
    assert value == pytest.approx(fisher_trace(model.eval(), x, chunk_size=4, **OPTIONS))


def test_the_fisher_is_computed_without_tf32():
    # cuDNN's TF32 put a CNN's trace 1.6e-4 from the CPU's on an H200; the Fisher turns it off
    # (infolib.config.full_precision) and gives the caller's setting back.
    class Recording(nn.Linear):
        seen = []

        def forward(self, x):
            Recording.seen.append(torch.backends.cudnn.allow_tf32)
            return super().forward(x)

    saved = torch.backends.cudnn.allow_tf32
    try:
        torch.backends.cudnn.allow_tf32 = True
        fisher_trace(Recording(4, 3), inputs(6, 4), chunk_size=4, **OPTIONS)
        assert Recording.seen and not any(Recording.seen)
        assert torch.backends.cudnn.allow_tf32
    finally:
        torch.backends.cudnn.allow_tf32 = saved


def test_a_batch_norm_without_running_statistics_is_refused():
    # it normalizes each input by its batch even in eval mode: per input (as F is computed), by
    # itself, a function the model never computes on a batch (the trace came out 24.0 before)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4, track_running_stats=False),
                          nn.ReLU(), nn.Flatten(), nn.Linear(64, 3))
    for function in (fisher_trace, fisher_diagonal, fisher_matrix, fisher_logdet):
        with pytest.raises(ValueError, match="batch-norm '1' keeps no running statistics"):
            function(model, inputs(8, 1, 6, 6), **OPTIONS)


def test_bad_input_is_rejected_with_a_clear_message():
    model, x = mlp(), inputs(5, 4)
    y = torch.tensor([0, 1, 2, 0, 1])
    assert fisher_trace(model, x.numpy(), **OPTIONS) == fisher_trace(model, x, **OPTIONS)
    with pytest.raises(TypeError, match="x must be a torch.Tensor or numpy array"):
        fisher_trace(model, x.tolist(), **OPTIONS)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        fisher_trace(lambda v: v, x, **OPTIONS)
    with pytest.raises(ValueError, match="batch dimension"):
        fisher_trace(model, torch.tensor(1.0), **OPTIONS)
    with pytest.raises(ValueError, match="at least 1 input"):
        fisher_trace(model, x[:0], **OPTIONS)
    with pytest.raises(ValueError, match="NaN"):
        fisher_trace(model, torch.full((2, 4), math.nan), **OPTIONS)
    # uint8 images to a model of floats failed deep in torch ("mat1 and mat2 must have the same
    # dtype"); integer inputs are kept for an embedding's indices, below
    with pytest.raises(TypeError, match=r"x has integer dtype uint8 .* x\.float\(\) / 255"):
        fisher_trace(model, torch.zeros(5, 4, dtype=torch.uint8), **OPTIONS)
    embedding = nn.Sequential(nn.Embedding(6, 3), nn.Flatten(), nn.Linear(6, 3)).double()
    assert fisher_trace(embedding, torch.tensor([[0, 5], [2, 3]]), **OPTIONS) > 0
    with pytest.raises(ValueError, match="mode must be one of"):
        fisher_trace(model, x, mode="true", **OPTIONS)
    with pytest.raises(ValueError, match="y .* is required for mode='empirical'"):
        fisher_trace(model, x, mode="empirical", **OPTIONS)
    with pytest.raises(ValueError, match="y is used only by mode='empirical'"):
        fisher_trace(model, x, y=y, **OPTIONS)
    with pytest.raises(ValueError, match=r"y must have shape \(5,\)"):
        fisher_trace(model, x, mode="empirical", y=y[:4], **OPTIONS)
    with pytest.raises(ValueError, match=r"class indices in 0..2"):
        fisher_trace(model, x, mode="empirical", y=y + 1, **OPTIONS)
    with pytest.raises(TypeError, match="y must hold integer labels"):
        fisher_trace(model, x, mode="empirical", y=y.float(), **OPTIONS)
    with pytest.raises(ValueError, match="mc_samples must be an int >= 1"):
        fisher_trace(model, x, mode="sampled", mc_samples=0, **OPTIONS)
    with pytest.raises(ValueError, match="chunk_size must be an int >= 1"):
        fisher_trace(model, x, chunk_size=0, **OPTIONS)
    with pytest.raises(TypeError, match="chunk_size must be an int"):
        fisher_trace(model, x, chunk_size=2.0, **OPTIONS)
    with pytest.raises(TypeError, match="seed must be an int"):
        fisher_trace(model, x, seed=np.float64(1), **OPTIONS)
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        fisher_trace(model, x, seed=-1, **OPTIONS)
    with pytest.raises(ValueError, match=r"2-D logits \(N, K\)"):
        fisher_trace(nn.Sequential(model, nn.Unflatten(1, (3, 1))), x, **OPTIONS)
    with pytest.raises(ValueError, match="K >= 2"):
        fisher_trace(nn.Linear(4, 1), x, **OPTIONS)
    with pytest.raises(ValueError, match="damping must be >= 0"):
        fisher_logdet(model, x, damping=-1.0, **OPTIONS)
    with pytest.raises(ValueError, match="damping must be a finite number"):
        fisher_logdet(model, x, damping=math.inf, **OPTIONS)
    with pytest.raises(TypeError, match="damping must be a number"):
        fisher_logdet(model, x, damping="1e-8", **OPTIONS)
    frozen = mlp().requires_grad_(False)
    with pytest.raises(ValueError, match="no parameters with requires_grad"):
        fisher_trace(frozen, x, **OPTIONS)
    big = nn.Linear(4, MAX_MATRIX_PARAMETERS // 4)  # P = 5 * 1250 = 6250
    with pytest.raises(ValueError, match=r"P = 6250 .* limited to P <= 5000"):
        fisher_matrix(big, x, **OPTIONS)
    with pytest.raises(ValueError, match=r"P = 6250 .* limited to P <= 5000"):
        fisher_logdet(big, x, **OPTIONS)


@pytest.mark.parametrize(
    "mode, extra",
    [
        ("expected", {}),
        ("sampled", {"mc_samples": 3}),
        ("empirical", {"y": torch.tensor([0, 2, 1])}),
    ],
)
def test_inputs_that_require_grad_give_the_same_numbers(mode, extra):
    model, x = mlp(), inputs(3, 4)
    options = {"mode": mode, "seed": 2, **extra, **OPTIONS}
    graph_x = x.clone().requires_grad_()
    assert fisher_trace(model, graph_x, **options) == fisher_trace(model, x, **options)
    np.testing.assert_array_equal(
        fisher_diagonal(model, graph_x, **options), fisher_diagonal(model, x, **options)
    )
    np.testing.assert_array_equal(
        fisher_matrix(model, graph_x, **options), fisher_matrix(model, x, **options)
    )
    assert fisher_logdet(model, graph_x, **options) == fisher_logdet(model, x, **options)
    assert graph_x.grad is None and all(p.grad is None for p in model.parameters())


def test_numpy_scalars_are_accepted_as_arguments():
    model, x = mlp(), inputs(7, 4)
    options = {"mode": "sampled", "mc_samples": 3, "chunk_size": 2, "seed": 5, **OPTIONS}
    numpy_options = {
        **options,
        "mc_samples": np.int64(3),
        "chunk_size": np.int32(2),
        "seed": np.uint8(5),
    }
    assert fisher_trace(model, x, **numpy_options) == fisher_trace(model, x, **options)
    np.testing.assert_array_equal(
        fisher_diagonal(model, x, **numpy_options), fisher_diagonal(model, x, **options)
    )
    assert fisher_logdet(model, x, damping=np.float32(1e-3), **OPTIONS) == fisher_logdet(
        model, x, damping=float(np.float32(1e-3)), **OPTIONS
    )
    assert fisher_logdet(model, x, damping=np.float64(0), **OPTIONS) == -math.inf
