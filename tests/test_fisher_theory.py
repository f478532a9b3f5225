"""infolib.fisher_theory against closed forms computed another way (full matrices, fisher_matrix,
finite differences)."""

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


def test_optimal_variances_minimize_the_paper_objective():
    # Prop. 2.5's objective for Q = N(w*, Sigma), in H's eigenbasis: tr(H Sigma) + b KL(Q || P)
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
