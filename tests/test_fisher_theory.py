"""infolib.fisher_theory against closed forms computed another way (full matrices, fisher_matrix,
finite differences)."""

import copy
import math

import numpy as np
import pytest
import torch

from infolib.fisher import fisher_matrix
from infolib.fisher_theory import (
    fisher_in_span,
    hessian_matrix,
    optimal_variances,
    pac_bayes_bound,
    weight_information,
)
from infolib.models import mlp, small_resnet


def gaussian_kl(mean, cov, prior_var):
    """KL(N(mean, cov) || N(0, prior_var I)) from the general formula, with full matrices."""
    k = len(mean)
    return 0.5 * (np.trace(cov) / prior_var + mean @ mean / prior_var - k
                  + k * math.log(prior_var) - np.linalg.slogdet(cov)[1])


def test_weight_information_is_the_gaussian_kl_of_prop_2_5():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    h = a @ a.T / 6  # a positive definite "Hessian"
    w = rng.normal(size=6)
    beta, prior_std, n = 0.7, 2.0, 50
    b = beta / n
    cov = b / 2 * np.linalg.inv(h + b / (2 * prior_std**2) * np.eye(6))
    expected = gaussian_kl(w, cov, prior_std**2)
    got = weight_information(np.linalg.eigvalsh(h), w @ w, beta=beta, prior_std=prior_std, n=n)
    assert got == pytest.approx(expected, rel=1e-10)


def test_optimal_variances_minimize_the_papers_objective_without_the_half():
    """Eq. (8) minimizes the objective as the proof of Prop. 2.5 writes it, tr(H Sigma) + b KL:
    the paper's algebra, not the minimizer of the second-order bound (see the next test)."""
    # the paper's objective for Q = N(w*, Sigma), in H's eigenbasis: tr(H Sigma) + b KL(Q || P)
    h = np.array([3.0, 0.5, 1e-4, 0.0])
    b, prior_var = 0.02, 1.5

    def objective(s):
        kl = 0.5 * (s.sum() / prior_var - len(s) + len(s) * math.log(prior_var) - np.log(s).sum())
        return (h * s).sum() + b * kl

    best = optimal_variances(h, beta=b * 10, prior_std=math.sqrt(prior_var), n=10)
    for i in range(len(h)):
        for factor in (0.9, 1.1):
            moved = best.copy()
            moved[i] *= factor
            assert objective(moved) > objective(best)


def test_the_exact_second_order_minimizer_has_the_half_and_differs_from_eq_8():
    """With the 1/2 of the Taylor expansion, E_Q L_D ~ L_D(w*) + 1/2 tr(H Sigma), the objective
    1/2 tr(H Sigma) + b KL is minimized by b / (h + b / lambda^2), not by eq. (8)'s
    b/2 / (h + b / (2 lambda^2)): twice the factor and twice the damping."""
    from scipy.optimize import minimize_scalar

    b, prior_var = 1.0 / 500, 1.0
    h = np.array([3.0, 0.5, 1e-3, 0.0])

    def exact_objective(s, hi):  # one eigendirection; the KL's constant terms dropped
        return 0.5 * hi * s + b * 0.5 * (s / prior_var - math.log(s))

    found = np.array([minimize_scalar(lambda t, hi=hi: exact_objective(math.exp(t), hi),
                                      bounds=(-30, 5), method="bounded",
                                      options={"xatol": 1e-10}).x for hi in h])
    found = np.exp(found)
    np.testing.assert_allclose(found, b / (h + b / prior_var), rtol=1e-6)
    paper = optimal_variances(h, beta=b * 500, prior_std=math.sqrt(prior_var), n=500)
    # about twice eq. (8)'s variance where h >> b / lambda^2, the same (lambda^2) where h = 0
    assert found[0] / paper[0] == pytest.approx(2.0, rel=1e-3)  # the audit's 6.662e-4 / 3.332e-4
    assert found[0] == pytest.approx(6.662e-4, rel=1e-3)
    assert found[-1] == pytest.approx(paper[-1]) == pytest.approx(prior_var)
    assert all(exact_objective(f, hi) < exact_objective(q, hi)
               for f, q, hi in zip(found[:-1], paper[:-1], h[:-1]))


def test_a_negative_curvature_below_the_damping_is_refused():
    with pytest.raises(ValueError, match="negative|below"):
        optimal_variances([1.0, -0.5], beta=1.0, prior_std=1.0, n=10)


def test_pac_bayes_bound_by_hand_and_its_domain():
    got = pac_bayes_bound(0.1, 20.0, n=1000, beta=1.0, delta=0.05)
    assert got == pytest.approx((0.1 + (20 + math.log(20)) / 1000) / 0.5)
    with pytest.raises(ValueError, match="bounded by 1"):
        pac_bayes_bound(2.3, 1.0, n=10, beta=1.0)  # a cross-entropy, not a bounded loss
    with pytest.raises(ValueError, match="beta"):
        pac_bayes_bound(0.1, 1.0, n=10, beta=0.5)


@pytest.mark.parametrize("model", [mlp(3, [5], 4, seed=0), small_resnet(1, 3, widths=[2], seed=0)],
                         ids=["mlp", "resnet-bn"])
def test_fisher_in_span_equals_the_projected_fisher_matrix(model):
    model = model.double().eval()
    x = torch.randn(7, 3, dtype=torch.float64) if model[0].__class__.__name__ == "Linear" else \
        torch.randn(7, 1, 6, 6, dtype=torch.float64)
    n_params = sum(p.numel() for p in model.parameters())
    directions = torch.randn(n_params, 2, dtype=torch.float64)
    full = fisher_matrix(model, x, mode="expected", device="cpu", progress=False)
    expected = directions.numpy().T @ full @ directions.numpy()
    np.testing.assert_allclose(fisher_in_span(model, x, directions), expected, rtol=1e-9,
                               atol=1e-12)


def test_fisher_in_span_of_a_float32_model_is_computed_in_float64():
    # a float32 model, a frozen layer (parameters that do not require grad) and batch-norm
    # buffers: the same numbers as the float64 copy of the model, far below float32's 1e-7
    model = small_resnet(1, 3, widths=[2], seed=1).eval()
    model[0].weight.requires_grad_(False)
    x = torch.randn(9, 1, 6, 6)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    directions = torch.randn(n_params, 3, dtype=torch.float64)
    reference = fisher_in_span(copy.deepcopy(model).double(), x.double(), directions)
    np.testing.assert_allclose(fisher_in_span(model, x, directions), reference, rtol=1e-12)
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_fisher_in_span_reads_a_model_in_training_mode_in_eval_mode():
    # with dropout in training mode each direction had its own mask: D^T F D was random (2.86,
    # then 3.20 for 1.72)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Dropout(0.5),
                                torch.nn.Linear(8, 3)).double().train()
    x = torch.randn(20, 3, dtype=torch.float64)
    directions = torch.randn(sum(p.numel() for p in model.parameters()), 2, dtype=torch.float64)
    full = fisher_matrix(model, x, mode="expected", device="cpu", progress=False)
    expected = directions.numpy().T @ full @ directions.numpy()
    for _ in range(2):
        np.testing.assert_allclose(fisher_in_span(model, x, directions), expected, rtol=1e-9)
    assert all(m.training for m in model.modules())


def test_fisher_in_span_and_hessian_refuse_bad_input():
    model = mlp(3, [4], 2, seed=0)
    directions = torch.randn(sum(p.numel() for p in model.parameters()), 1)
    x, y = torch.randn(5, 3), torch.randint(0, 2, (5,))
    with pytest.raises(ValueError, match="at least 1 input"):  # a mean over 0 inputs was NaN
        fisher_in_span(model, x[:0], directions)
    with pytest.raises(ValueError, match="at least 1 input"):  # the Hessian was all zeros
        hessian_matrix(model, x[:0], y[:0])
    nan = x.clone()
    nan[2, 0] = math.nan
    with pytest.raises(ValueError, match="x contains NaN"):
        fisher_in_span(model, nan, directions)
    with pytest.raises(ValueError, match="x contains NaN"):
        hessian_matrix(model, nan, y)
    with pytest.raises(ValueError, match="d >= 1 directions"):
        fisher_in_span(model, x, directions[:, :0])
    with pytest.raises(ValueError, match="class indices in 0..1"):
        hessian_matrix(model, x, y + 2)
    with torch.no_grad():
        model[0].weight.fill_(math.inf)  # computed in float64, 1e38 no longer overflows
    with pytest.raises(ValueError, match="NaN or infinite logits|D\\^T F D is not finite"):
        fisher_in_span(model, x, directions)


def test_hessian_matrix_of_a_model_in_training_mode_is_that_of_eval_mode():
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(),
                                torch.nn.Dropout(0.5), torch.nn.Linear(4, 2))
    x, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    expected = hessian_matrix(copy.deepcopy(model).eval(), x, y)
    np.testing.assert_allclose(hessian_matrix(model.train(), x, y), expected, atol=1e-12)
    assert all(m.training for m in model.modules())


def test_hessian_matrix_matches_finite_differences_of_the_gradient():
    torch.manual_seed(0)
    model = mlp(2, [3], 2, seed=1)
    x, y = torch.randn(20, 2), torch.randint(0, 2, (20,))
    h = hessian_matrix(model, x, y)
    assert next(model.parameters()).dtype == torch.float32  # the model is left as it was
    model = model.double()
    flat = torch.nn.utils.parameters_to_vector(model.parameters()).detach()

    def grad_at(vector):
        torch.nn.utils.vector_to_parameters(vector, model.parameters())
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x.double()), y).backward()
        return torch.cat([p.grad.reshape(-1) for p in model.parameters()]).clone()

    eps = 1e-6
    columns = [(grad_at(flat + eps * e) - grad_at(flat - eps * e)) / (2 * eps)
               for e in torch.eye(len(flat), dtype=torch.float64)]
    np.testing.assert_allclose(h, torch.stack(columns, 1).numpy(), atol=1e-6)
    np.testing.assert_allclose(h, h.T, atol=1e-12)


def test_hessian_matrix_of_a_batch_norm_model_in_eval_mode():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(),
                                torch.nn.Linear(4, 2))
    model.train()
    with torch.no_grad():  # non-trivial running statistics and affine parameters
        for _ in range(5):
            model(3 * torch.randn(16, 3) + 1)
        model[1].weight.uniform_(0.5, 2.0)
        model[1].bias.normal_()
    model.eval()
    model[1].bias.requires_grad_(False)  # a frozen parameter is held fixed, not differentiated
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    h = hessian_matrix(model, x, y)
    # the caller's model is left as it was: dtypes, values, mode
    after = model.state_dict()
    assert all(after[k].dtype == v.dtype and torch.equal(after[k], v) for k, v in before.items())
    assert not model.training and not model[1].bias.requires_grad

    # reference: torch.autograd.functional.hessian on a float64 copy of the model
    reference = copy.deepcopy(model).double()
    names = [name for name, p in reference.named_parameters() if p.requires_grad]
    params = [reference.get_parameter(name).detach() for name in names]
    assert h.shape == (sum(p.numel() for p in params),) * 2

    def loss(*values):
        out = torch.func.functional_call(reference, dict(zip(names, values)), (x.double(),))
        return torch.nn.functional.cross_entropy(out, y)

    blocks = torch.autograd.functional.hessian(loss, tuple(params))
    sizes = [p.numel() for p in params]
    full = np.block([[blocks[i][j].reshape(sizes[i], sizes[j]).numpy()
                      for j in range(len(params))] for i in range(len(params))])
    np.testing.assert_allclose(h, full, atol=1e-12)
    assert np.abs(full).max() > 0.1
