"""Input checks shared by the estimators, so that each error reads the same everywhere."""

from __future__ import annotations

import numpy as np
import torch


def class_indices(y, n_inputs: int, n_classes: int) -> torch.Tensor:
    """``y`` as an int64 tensor of shape (n_inputs,) with values in 0..n_classes - 1, or a clear
    TypeError/ValueError. Numpy arrays are accepted."""
    if isinstance(y, np.ndarray):
        y = torch.from_numpy(y)
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"y must be a tensor or array of class indices, got {type(y).__name__}")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"y must hold integer class indices, got dtype {y.dtype}")
    if tuple(y.shape) != (n_inputs,):
        raise ValueError(f"y must have shape ({n_inputs},) to match x, got {tuple(y.shape)}")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(
            f"y must hold class indices in 0..{n_classes - 1} (the model has K = {n_classes} "
            f"logits), got values in {int(y.min())}..{int(y.max())}"
        )
    return y.long()
