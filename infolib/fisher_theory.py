"""The paper's theory, computed: eq. (8)'s information in the weights, eq. (3)'s PAC-Bayes bound,
the exact Fisher in a few directions, and the exact Hessian (Achille et al., "Where is the
information in a deep network?", sec. 2).

Conventions: ``L_D`` is the mean cross-entropy over the N training inputs (nats); ``H`` its
Hessian and ``F`` the Fisher of one input averaged over the N inputs (as :mod:`infolib.fisher`).
The bound of eq. (3) weighs the KL by beta / N, so this module uses Prop. 2.5 / eq. (8) with
beta / N in place of beta: Sigma* = beta / (2N) (H + beta / (2 lambda^2 N))^-1, the paper's
formula, kept on purpose.

**Not the exact minimizer.** Sigma* minimizes the objective as the paper's proof of Prop. 2.5
writes it, L_D(w*) + tr(H Sigma) + (beta / N) KL(Q || P), whose quadratic term lacks the 1/2 of
the Taylor expansion. With it, E_Q L_D ~ L_D(w*) + 1/2 tr(H Sigma), the exact minimizer of the
second-order objective is b (H + b / lambda^2)^-1 with b = beta / N: twice the paper's factor
(b for b / 2) and twice its damping (beta / (lambda^2 N) for beta / (2 lambda^2 N)), i.e. eq. (8)
with H / 2 in place of H. Its variance is about twice Sigma*'s along directions where
h >> b / lambda^2, and the same (lambda^2) where h = 0. So :func:`weight_information` is the KL
of the paper's Q, and a PAC-Bayes bound computed with it is valid but not the tightest the
Gaussians centred at w* give.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, hessian, jvp

from infolib.checks import class_indices, inputs, integer, logits, module, real
from infolib.models import eval_mode


def optimal_variances(eigenvalues, *, beta: float, prior_std: float, n: int) -> np.ndarray:
    """Eigenvalues of Prop. 2.5's Sigma* = b/2 (H + b / (2 lambda^2) I)^-1 with b = beta / n.

    The paper's eq. (8): the minimizer of tr(H Sigma) + b KL(Q || P), the paper's objective
    without the 1/2 of the second-order term. The exact minimizer of 1/2 tr(H Sigma) + b KL is
    b (H + b / lambda^2 I)^-1, with twice the factor and twice the damping (see the module
    docstring); the book keeps the paper's formula. ``eigenvalues``: of H (or F, the paper's
    substitute), 1-D. Raises ``ValueError`` where h + b / (2 lambda^2) <= 0: a direction of
    negative curvature that deep has no Gaussian minimizer (Remark 2.6)."""
    h, b, damping = _checked(eigenvalues, beta, prior_std, n)
    curvature = h + damping
    if (curvature <= 0).any():
        raise ValueError(
            f"{int((curvature <= 0).sum())} eigenvalues are at or below -beta / (2 lambda^2 n) = "
            f"{-damping:.3g}: the Gaussian of Prop. 2.5 does not exist there (use the Fisher, "
            "Remark 2.6)"
        )
    return b / 2 / curvature


def weight_information(
    eigenvalues, weight_norm_sq: float, *, beta: float, prior_std: float, n: int
) -> float:
    """KL(Q || P) in nats for P = N(0, lambda^2 I) and Q = N(w*, Sigma*) of eq. (8), beta -> beta/n.

    KL = 1/2 [tr(Sigma*) / lambda^2 + w*.w* / lambda^2 - k + k log lambda^2 - log det Sigma*],
    the exact Gaussian KL; eq. (8) as printed has -k where this has -k/2 (its derivation in the
    appendix gives -k/2). ``eigenvalues``: of H or F (k of them); ``weight_norm_sq``: w*.w*, the
    squared norm of the weights.
    """
    variances = optimal_variances(eigenvalues, beta=beta, prior_std=prior_std, n=n)
    weight_norm_sq = real("weight_norm_sq", weight_norm_sq, minimum=0)
    var_prior = prior_std**2
    k = len(variances)
    return float(0.5 * (variances.sum() / var_prior + weight_norm_sq / var_prior - k
                        + k * math.log(var_prior) - np.log(variances).sum()))


def pac_bayes_bound(expected_train_loss: float, kl: float, *, n: int, beta: float,
                    delta: float = 0.05) -> float:
    """Eq. (3) (McAllester):
    L_test(Q) <= [E_Q L_D + beta / n (KL + log 1/delta)] / (1 - 1/(2 beta)), with probability
    1 - delta, for a per-sample loss in [0, 1] (the 0-1 error, say) and beta > 1/2.
    """
    loss = real("expected_train_loss (eq. 3's loss is bounded by 1)", expected_train_loss,
                minimum=0, maximum=1)
    kl = real("kl", kl, minimum=0)
    beta = real("beta", beta, above=0.5)
    delta = real("delta", delta, above=0, below=1)
    n = integer("n", n, minimum=1)
    return (loss + beta / n * (kl + math.log(1 / delta))) / (1 - 1 / (2 * beta))


def fisher_in_span(model: nn.Module, x: torch.Tensor, directions: torch.Tensor) -> np.ndarray:
    """D^T F D for the columns of ``directions`` (P, d): the exact expected Fisher of the softmax
    in their span, (d, d) float64, from Jacobian-vector products.

    (D^T F D)_ab = (1/N) sum_i (J_i d_a)^T (diag p_i - p_i p_i^T) (J_i d_b), J_i the Jacobian of
    the logits at input i; P in ``parameters_to_vector`` order over the parameters that require
    grad. In eval mode, as :mod:`infolib.fisher` (dropout off, batch-norm's running statistics;
    the training flags are restored). Computed in float64 on copies of the parameters and
    buffers, as :func:`hessian_matrix` (a float32 model's own precision is ~1e-7 relative).
    Empty or non-finite inputs, directions that are not (P, d) with d >= 1, and a non-finite
    result raise ``ValueError``."""
    module("model", model)
    x = inputs("x", x).double()
    names = [name for name, p in model.named_parameters() if p.requires_grad]
    params = {name: _float64_copy(p) for name, p in model.named_parameters() if p.requires_grad}
    fixed = {name: _float64_copy(p) for name, p in model.named_parameters()
             if not p.requires_grad}
    buffers = {name: _float64_copy(b) for name, b in model.named_buffers()}
    sizes = [p.numel() for p in params.values()]
    if (not isinstance(directions, torch.Tensor) or directions.ndim != 2
            or directions.shape[0] != sum(sizes) or directions.shape[1] == 0):
        shape = tuple(directions.shape) if isinstance(directions, torch.Tensor) else directions
        raise ValueError(f"directions must be a tensor (P, d) with P = {sum(sizes)} parameters "
                         f"and d >= 1 directions, got {shape}")
    directions = directions.to(next(iter(params.values())))

    def logits_of(p):
        return functional_call(model, ({**p, **fixed}, buffers), (x,))

    tangents = []
    with eval_mode(model):
        for column in directions.T:
            pieces = torch.split(column, sizes)
            tangent = {name: piece.view_as(params[name]) for name, piece in zip(names, pieces)}
            out, jd = jvp(logits_of, (params,), (tangent,))
            tangents.append(jd)
    logits("model", out, len(x))
    probs = torch.softmax(out, dim=1)
    jds = torch.stack(tangents, dim=2)  # (N, K, d)
    weighted = probs[:, :, None] * jds - probs[:, :, None] * (probs[:, None, :] @ jds)
    return _finite_result("D^T F D", (jds.transpose(1, 2) @ weighted).mean(0).cpu().numpy())


def hessian_matrix(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """The exact Hessian (P, P) float64 of the mean cross-entropy over (x, y) with respect to the
    parameters that require grad (``parameters_to_vector`` order). For small models: P^2 memory.

    Computed in float64 on copies of the parameters and buffers (batch-norm statistics included;
    the other parameters held fixed), so ``model`` is left unchanged. In eval mode (dropout off,
    batch-norm's running statistics; the training flags are restored). ``y``: class indices (N,).
    Empty or non-finite inputs, labels that are not class indices of the model's K classes, and
    a non-finite Hessian raise ``ValueError``."""
    module("model", model)
    x = inputs("x", x)
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    flat = torch.cat([p.detach().reshape(-1) for _, p in named]).double()
    fixed = {name: _float64_copy(p.detach()) for name, p in model.named_parameters()
             if not p.requires_grad}
    buffers = {name: _float64_copy(b) for name, b in model.named_buffers()}
    sizes = [p.numel() for _, p in named]

    def loss(vector):
        pieces = torch.split(vector, sizes)
        params = {name: piece.view(p.shape) for (name, p), piece in zip(named, pieces)}
        out = functional_call(model, ({**params, **fixed}, buffers), (x.double(),))
        return nn.functional.cross_entropy(out, y)

    with eval_mode(model):
        with torch.no_grad():  # K from one input: the Hessian's own pass covers the rest
            scores = model(x[:1].to(next(model.parameters()).dtype))
        y = class_indices(y, len(x), logits("model", scores, 1)).to(x.device)
        return _finite_result("the Hessian", hessian(loss)(flat).cpu().numpy())


def _finite_result(what: str, values: np.ndarray) -> np.ndarray:
    """``values``, or a ValueError when an entry is NaN or infinite."""
    if not np.isfinite(values).all():
        raise ValueError(f"{what} is not finite: the model's logits or their derivatives "
                         "overflowed or contain NaN for some input")
    return values


def _float64_copy(tensor: torch.Tensor) -> torch.Tensor:
    """A detached copy, in float64 if floating (integer buffers such as batch-norm's
    ``num_batches_tracked`` keep their dtype)."""
    tensor = tensor.detach()
    return tensor.to(torch.float64, copy=True) if tensor.is_floating_point() else tensor.clone()


def _checked(eigenvalues, beta, prior_std, n):
    h = np.asarray(eigenvalues, dtype=float)
    if h.ndim != 1 or h.size == 0 or not np.isfinite(h).all():
        raise ValueError(f"eigenvalues must be a non-empty finite 1-D array, got shape {h.shape}")
    beta = real("beta", beta, above=0)
    prior_std = real("prior_std", prior_std, above=0)
    b = beta / integer("n", n, minimum=1)
    return h, b, b / (2 * prior_std**2)
