"""Norm-based complexity measures of fully connected ReLU networks (Jiang et al., 2019).

The memorization chapter compares them with the information measures for model selection
(Bansal et al., NeurIPS 2022, appendix D.2). Larger values are read as "more complex", i.e. worse
expected generalization. Each is computed from the ``nn.Linear`` layers of an ``nn.Sequential``
network in order; other layers than :data:`SUPPORTED_LAYERS` are refused rather than silently
skipped.
"""

from __future__ import annotations

import torch
from torch import nn

from infolib.models import check_layers, check_used_once

__all__ = ["SUPPORTED_LAYERS", "frobenius_product", "path_norm", "spectral_product"]

# The part of the registry (infolib.models.CHAIN_LAYERS) these measures are defined for: weight
# matrices (no convolution, no batch-norm whose scale the products would miss) and layers that
# pass non-negative values unchanged, as path_norm's squared network needs.
SUPPORTED_LAYERS = (nn.Linear, nn.ReLU, nn.Identity, nn.Flatten)


def _linear_layers(model: nn.Module) -> list[nn.Linear]:
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential of Linear and ReLU, got {type(model)}")
    check_layers(model, SUPPORTED_LAYERS, caller="infolib.complexity")
    check_used_once(model, (nn.Linear,), caller="infolib.complexity")
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError("model has no Linear layer")
    return layers


@torch.no_grad()
def spectral_product(model: nn.Module) -> float:
    """prod_l ||W_l||_2^2: the product of the squared spectral norms (largest singular values)."""
    return float(
        torch.prod(
            torch.stack(
                [
                    torch.linalg.matrix_norm(m.weight.double(), ord=2) ** 2
                    for m in _linear_layers(model)
                ]
            )
        )
    )


@torch.no_grad()
def frobenius_product(model: nn.Module) -> float:
    """prod_l ||W_l||_F^2: the product of the squared Frobenius norms of the weight matrices."""
    return float(
        torch.prod(torch.stack([m.weight.double().pow(2).sum() for m in _linear_layers(model)]))
    )


@torch.no_grad()
def path_norm(model: nn.Module) -> float:
    """sum_i f_{w^2}(1)_i: the network with every parameter squared, applied to an all-ones input.

    Without biases this is sum over all input-output paths of prod_l w_l^2 (the ReLUs pass
    everything, as all values are non-negative); with biases, each bias contributes like a path
    that starts at its unit. This is Jiang et al.'s (2019) definition.
    """
    layers = _linear_layers(model)
    h = torch.ones(layers[0].in_features, dtype=torch.float64)
    for m in layers:
        h = m.weight.double().pow(2) @ h
        if m.bias is not None:
            h = h + m.bias.double().pow(2)
    return float(h.sum())
