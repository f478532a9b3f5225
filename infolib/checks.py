"""Input checks shared by the estimators, so that each error reads the same everywhere.

One function per kind of argument. Numpy scalars are accepted wherever a Python number is
(``np.int64(3)`` is an int, ``np.float32(0.1)`` a float); a bool is never a number.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Hashable

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


def random_seed(name: str, value) -> int:
    """``value`` as a seed of a random generator: an int in 0..2**32 - 1, or a
    TypeError/ValueError naming ``name``. torch would wrap a negative seed (-1 draws as
    2**64 - 1); numpy's legacy seeding stops at 2**32 - 1. A seed derived from another
    (seed + j, an offset plus seed) must be in this range too: check it where it is derived,
    naming what the caller gave (as :func:`infolib.config.seeds` does)."""
    value = integer(name, value, minimum=0)
    if value > 2**32 - 1:
        raise ValueError(f"{name} must be an int <= 2**32 - 1, got {value}")
    return value


def real(
    name: str,
    value,
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    below: float | None = None,
    finite: bool = True,
) -> float:
    """``value`` as a Python float (ints and numpy scalars included, bools refused), finite unless
    ``finite=False``, ``>= minimum``, ``> above``, ``<= maximum`` and ``< below`` when given;
    otherwise a TypeError/ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r})")
    try:
        value = float(value)
    except OverflowError:  # an int (or a fraction) beyond the floats
        raise ValueError(f"{name} must be a finite number, got one beyond the floats "
                         f"({type(value).__name__})") from None
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if above is not None and value <= above:
        raise ValueError(f"{name} must be > {above}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    if below is not None and value >= below:
        raise ValueError(f"{name} must be < {below}, got {value}")
    return value


def log_base(base) -> float:
    """The base of the logarithm that sets the units, one rule everywhere: a finite number > 1
    (2: bits, math.e: nats, 10: bans). Returns it as a float."""
    if isinstance(base, (bool, np.bool_)) or not isinstance(base, numbers.Real):
        raise TypeError(
            f"base must be a number > 1 (2: bits, math.e: nats), got {type(base).__name__}"
        )
    try:
        value = float(base)
    except OverflowError:
        raise ValueError("base must be a finite number > 1 (2: bits, math.e: nats), got an int "
                         "beyond the floats") from None
    if not math.isfinite(value) or value <= 1:
        raise ValueError(f"base must be a finite number > 1 (2: bits, math.e: nats), got {base!r}")
    return value


def boolean(name: str, value) -> bool:
    """``value`` as a Python bool (numpy bools included), or a TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} ({value!r})")
    return bool(value)


def one_of(name: str, value, options) -> None:
    """A ValueError naming ``name`` and listing ``options`` unless ``value`` is one of them."""
    try:
        known = isinstance(value, Hashable) and value in options
    except (TypeError, ValueError):  # e.g. a numpy array against a tuple of strings
        known = False
    if not known:  # a numpy array is not Hashable: refused here too
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")


def same_length(name_a: str, a, name_b: str, b) -> None:
    """A ValueError naming both unless ``len(a) == len(b)``."""
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same length, got {len(a)} and {len(b)}"
        )


def module(name: str, value) -> None:
    """A TypeError naming ``name`` unless ``value`` is a ``torch.nn.Module``."""
    from torch import nn

    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")


def finite(name: str, values) -> None:
    """A ValueError naming ``name`` if the tensor or array ``values`` holds NaN or infinities."""
    import torch

    if isinstance(values, torch.Tensor):
        ok = (not (values.is_floating_point() or values.is_complex())
              or bool(torch.isfinite(values).all()))
    else:
        ok = bool(np.isfinite(values).all())
    if not ok:
        raise ValueError(f"{name} contains NaN or infinite values")


def inputs(name: str, x, *, min_len: int = 1, why: str = ""):
    """Inputs of a model: ``x`` as a torch tensor (a numpy array is converted, sharing its memory)
    with a leading batch dimension of at least ``min_len`` inputs, finite when floating; or a
    TypeError/ValueError naming ``name``. ``why``: the reason for ``min_len``, for the error."""
    import torch

    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor or numpy array with a leading batch dimension, got "
            f"{type(x).__name__}"
        )
    if x.ndim < 1 or len(x) < min_len:
        reason = f" ({why})" if why else ""
        raise ValueError(
            f"{name} must have a leading batch dimension with at least {min_len} input(s)"
            f"{reason}, got shape {tuple(x.shape)}"
        )
    finite(name, x)
    return x


@contextlib.contextmanager
def integer_inputs_named(name: str, x):
    """Inside the block, a ``RuntimeError`` of a model run on integer ``x`` (uint8 images given to
    a model of floats: "mat1 and mat2 must have the same dtype") becomes a TypeError naming
    ``name``, its dtype and the conversion. Integer inputs are kept as they are elsewhere (an
    embedding's indices); errors on floating inputs pass unchanged."""
    try:
        yield
    except RuntimeError as error:
        if x.is_floating_point() or x.is_complex():
            raise
        raise TypeError(
            f"{name} has integer dtype {str(x.dtype).removeprefix('torch.')} and the model failed "
            f"on it ({error}); a model of floats takes float inputs: convert images with "
            f"{name}.float() / 255, or as the model was trained"
        ) from error


def matrix(
    name: str, values, *, columns: str = "features", min_rows: int = 1, min_columns: int = 1
) -> np.ndarray:
    """``values`` (a tensor, array or nested sequence of real numbers, bools refused) as a 2-D
    float64 numpy array (samples, ``columns``) with at least ``min_rows`` rows and
    ``min_columns`` columns, finite; or a TypeError/ValueError naming ``name``. Conversion to
    float64 is exact for floats and for integers up to 2**53."""
    import torch

    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
        values = (values.double() if values.is_floating_point() else values).numpy()
    elif not isinstance(values, np.ndarray) and _holds_bool(values):  # [[1, True]] -> [[1, 1]]
        raise TypeError(f"{name} must hold real numbers, got a bool in a sequence")
    try:
        values = np.asarray(values)
    except ValueError:  # rows of different lengths
        raise ValueError(f"{name} must be 2-D (samples, {columns}) with rows of one length") \
            from None
    if values.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples, {columns}), got shape {values.shape}")
    if values.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {values.dtype}")
    values = values.astype(np.float64)
    finite(name, values)
    if values.shape[1] < min_columns:
        raise ValueError(
            f"{name} must have at least {min_columns} {columns} (columns), got {values.shape[1]}"
        )
    if values.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} samples (rows), got {len(values)}")
    return values


def _holds_bool(values) -> bool:
    """Whether a nested list or tuple holds a Python or numpy bool at any depth."""
    if isinstance(values, (bool, np.bool_)):
        return True
    return isinstance(values, (list, tuple)) and any(_holds_bool(item) for item in values)


def labels(name: str, y, n_samples: int, *, match: str = "x"):
    """``y`` (a tensor, array or sequence of integers) as an int64 tensor of shape
    (``n_samples``,), on the device of a tensor; or a TypeError/ValueError naming ``name`` (and
    ``match``, what its length must match)."""
    import torch

    if not isinstance(y, torch.Tensor):
        if not isinstance(y, np.ndarray) and _holds_bool(y):  # [1, True] -> [1, 1]
            raise TypeError(f"{name} must hold integer labels, got a bool in a sequence")
        array = np.asarray(y)
        if array.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integer labels, got {_kind(y, array.dtype)}")
        y = torch.from_numpy(array)
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer labels, got dtype {y.dtype}")
    if tuple(y.shape) != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},) to match {match}, got "
                         f"{tuple(y.shape)}")
    if y.dtype == torch.uint64 and len(y) and int(y.cpu().numpy().max()) > 2**63 - 1:
        raise ValueError(f"{name} holds a label above 2**63 - 1, which int64 cannot hold")
    return y.long()


def _kind(value, dtype) -> str:
    """How an error names what came: the dtype of an array, else the type."""
    return f"dtype {dtype}" if isinstance(value, np.ndarray) else type(value).__name__


def class_indices(y, n_inputs: int, n_classes: int, *, name: str = "y"):
    """``y`` as an int64 tensor of shape (n_inputs,) with values in 0..n_classes - 1 (see
    :func:`labels`), or a TypeError/ValueError naming ``name``."""
    y = labels(name, y, n_inputs)
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{name} must hold class indices in 0..{n_classes - 1} (the model has K = "
            f"{n_classes} logits), got values in {int(y.min())}..{int(y.max())}"
        )
    return y


def logits(name: str, values, n_inputs: int, *, first_index: int = 0) -> int:
    """Check the output of a classifier for ``n_inputs`` inputs: finite 2-D logits (N, K) with
    K >= 2; return K. ``name`` says who gave them (a model's description); a non-finite row is
    named as input ``first_index + row`` (x[first_index + row]). A ValueError otherwise."""
    import torch

    if not isinstance(values, torch.Tensor) or values.ndim != 2 or len(values) != n_inputs:
        shape = tuple(values.shape) if isinstance(values, torch.Tensor) else type(values).__name__
        raise ValueError(
            f"{name} must return 2-D logits (N, K) for x of N = {n_inputs} inputs, got {shape}"
        )
    if values.shape[1] < 2:
        raise ValueError(
            f"{name} returns {values.shape[1]} logit(s) per input; the softmax needs K >= 2 "
            "classes (a binary classifier needs 2 logits)"
        )
    bad = (~torch.isfinite(values)).any(dim=1).nonzero()
    if len(bad):
        index = first_index + int(bad[0])
        raise ValueError(f"{name} gives NaN or infinite logits for input {index} (x[{index}])")
    return values.shape[1]
