"""Input checks shared by the estimators, so that each error reads the same everywhere.

One function per kind of argument. Numpy scalars are accepted wherever a Python number is
(``np.int64(3)`` is an int, ``np.float32(0.1)`` a float); a bool is never a number.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def integer(name: str, value, *, minimum: int | None = None) -> int:
    """``value`` as a Python int (numpy integers included, bools refused), ``>= minimum`` when
    given; otherwise a TypeError/ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return value


def real(
    name: str,
    value,
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    finite: bool = True,
) -> float:
    """``value`` as a Python float (ints and numpy scalars included, bools refused), finite unless
    ``finite=False``, ``>= minimum``, ``> above`` and ``<= maximum`` when given; otherwise a
    TypeError/ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r})")
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if above is not None and value <= above:
        raise ValueError(f"{name} must be > {above}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def log_base(base) -> float:
    """The base of the logarithm that sets the units, one rule everywhere: a finite number > 1
    (2: bits, math.e: nats, 10: bans). Returns it as a float."""
    if isinstance(base, (bool, np.bool_)) or not isinstance(base, numbers.Real):
        raise TypeError(
            f"base must be a number > 1 (2: bits, math.e: nats), got {type(base).__name__}"
        )
    if not math.isfinite(base) or base <= 1:
        raise ValueError(f"base must be a finite number > 1 (2: bits, math.e: nats), got {base!r}")
    return float(base)


def class_indices(y, n_inputs: int, n_classes: int):
    """``y`` as an int64 tensor of shape (n_inputs,) with values in 0..n_classes - 1, or a clear
    TypeError/ValueError. Numpy arrays are accepted."""
    import torch  # here: the scalar checks need no torch

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
